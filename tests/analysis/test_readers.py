"""load_run on a real engine run, and its refusals of files it must not read."""

import numpy as np
import pytest

from analysis import FORMAT_VERSION, TrajectoryError, by_strategy, load_run, segment_shares, strategy_at
from conftest import copy_with, truncated_copy


@pytest.fixture(scope="module")
def ds(run_file):
    return load_run(run_file)


def test_dimensions_coordinates_and_provenance(ds, run_file):
    steps = ds.attrs["scenario"]["run"]["steps"]
    assert ds.sizes["time"] == steps + 1
    np.testing.assert_array_equal(ds.time.values, np.arange(steps + 1))
    assert ds.sizes["firm"] >= 1 and ds.sizes["attribute"] >= 1
    assert ds.share.dims == ("time", "firm")
    assert ds.adopters.dims == ("time",)
    assert ds.kano_maturity.dims == ("time", "attribute")
    assert ds.strategy.dims == ("firm",)
    assert all(isinstance(s, str) for s in ds.firm.values.tolist())
    assert ds.attrs["format_version"] == FORMAT_VERSION
    assert ds.attrs["complete"] == 1
    assert ds.attrs["missionsim_version"]
    assert ds.attrs["created_utc"]
    assert "[run]" in ds.attrs["scenario_toml"]
    assert isinstance(ds.attrs["seed"], int)
    assert set(ds.strategy.values.tolist()) - {""} <= set(ds.attrs["strategy_names"])


def test_values_obey_the_schema(ds):
    alive = ds.alive.values.astype(bool)
    assert set(np.unique(ds.alive.values)) <= {0, 1}
    share = ds.share.values
    assert np.all((share >= 0) & (share <= 1))
    assert np.all(share.sum(axis=1) <= 1 + 1e-9)
    customers = ds.customers.values
    assert np.all(customers[~alive] == 0), "a dead or empty slot has customers"
    # Means over a firm's customers are NaN when it has none (they may also be NaN
    # in the step customers first adopt, before anyone has experienced the firm).
    for var in ("satisfaction", "success"):
        values = ds[var].values
        assert np.all(np.isnan(values[customers == 0])), var
        known = values[np.isfinite(values)]
        assert known.size and np.all((known >= 0) & (known <= 1)), var
    ids = ds.strategy_id.values
    assert np.all((ids[alive] >= 0) & (ids[alive] < len(ds.attrs["strategy_names"])))
    w = ds.success_weight.values
    assert np.all((w >= 0) & (w <= 1))
    assert np.all(np.diff(ds.adopters.values) <= ds.adopters.values.max())


def test_cash_accounting_closes(ds):
    """cash(t) = cash(t-1) + profit(t) - payout(t) for a firm alive at t-1 and t (cents)."""
    cash, profit, payout = ds.cash.values, ds.profit.values, ds.payout.values
    alive = ds.alive.values.astype(bool)
    both = alive[1:] & alive[:-1]
    gap = (cash[1:] - cash[:-1] - profit[1:] + payout[1:])[both]
    assert np.all(np.abs(gap) <= 0.011 + 1e-9 * np.abs(cash[1:][both])), np.abs(gap).max()


def test_by_strategy_adds_up(ds):
    total = by_strategy(ds, "share").fillna(0.0).sum("strategy").values
    alive = ds.alive.values.astype(bool)
    np.testing.assert_allclose(total, np.where(alive, ds.share.values, 0.0).sum(axis=1),
                               atol=1e-12)
    labels = strategy_at(ds).values
    assert np.all(labels[ds.alive.values.astype(bool)] != "")


def test_refuses_wrong_format_version(run_file, tmp_path):
    bad = copy_with(run_file, tmp_path / "v2.h5",
                    lambda f: f.attrs.modify("format_version", FORMAT_VERSION + 1))
    with pytest.raises(TrajectoryError, match=f"format_version {FORMAT_VERSION + 1} is not "
                                              f"supported"):
        load_run(bad)


def test_refuses_unknown_format(run_file, tmp_path):
    bad = copy_with(run_file, tmp_path / "other.h5", lambda f: f.attrs.modify("format", "other"))
    with pytest.raises(TrajectoryError, match="unknown format 'other'"):
        load_run(bad)


def test_refuses_incomplete_unless_asked(run_file, tmp_path):
    partial = copy_with(run_file, tmp_path / "x.h5.partial",
                        lambda f: f.attrs.modify("complete", 0))
    with pytest.raises(TrajectoryError, match="incomplete run.*allow_incomplete=True"):
        load_run(partial)
    ds = load_run(partial, allow_incomplete=True)
    assert ds.attrs["complete"] == 0 and ds.sizes["time"] >= 1
    # Asking for the final name of an unfinished run points at the .partial file.
    with pytest.raises(TrajectoryError, match=r"x\.h5\.partial exists"):
        load_run(tmp_path / "x.h5")


def test_refuses_truncated_file(run_file, tmp_path):
    bad = truncated_copy(run_file, tmp_path / "half.h5")
    with pytest.raises(TrajectoryError, match="damaged or not an HDF5 file"):
        load_run(bad)


@pytest.mark.parametrize("fraction", [0.01, 0.1, 0.3, 0.7, 0.9, 0.99])
def test_refuses_file_cut_anywhere(run_file, tmp_path, fraction):
    data = run_file.read_bytes()
    bad = tmp_path / "cut.h5"
    bad.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(TrajectoryError, match="damaged"):
        load_run(bad)


def test_refuses_non_hdf5_and_missing_files(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not a trajectory\n")
    with pytest.raises(TrajectoryError, match="damaged or not an HDF5 file"):
        load_run(text)
    with pytest.raises(TrajectoryError, match="no such file"):
        load_run(tmp_path / "absent.h5")


def test_refuses_missing_dataset(run_file, tmp_path):
    def drop(f):
        del f["market/hhi"]
    bad = copy_with(run_file, tmp_path / "nohhi.h5", drop, reseal=True)
    with pytest.raises(TrajectoryError, match="missing dataset.*/market/hhi"):
        load_run(bad)


def test_kano_questionnaire(ds):
    """Better in [0, 1], Worse in [-1, 0], NaN exactly where maturity is (undiscovered)."""
    assert ds.kano_better.dims == ("time", "attribute") == ds.kano_worse.dims
    better, worse = ds.kano_better.values, ds.kano_worse.values
    known = np.isfinite(ds.kano_maturity.values)
    assert np.array_equal(np.isfinite(better), known) and np.array_equal(np.isfinite(worse), known)
    assert np.all((better[known] >= 0) & (better[known] <= 1))
    assert np.all((worse[known] >= -1) & (worse[known] <= 0))


# ---------------------------------------------------------------- /segments (added within version 2)


@pytest.fixture(scope="module")
def segmented_run(tmp_path_factory):
    """A run with two segments (one of them mostly values-driven) and imitation between firms."""
    import subprocess

    from conftest import REPO, missionsim_cli

    out = tmp_path_factory.mktemp("segments") / "run.h5"
    cmd = [missionsim_cli(), "run", str(REPO / "tests/regression/all-on/scenario.toml"), "-o", str(out), "-q",
           "--set", "run.steps=40"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out


def test_segments_are_read_and_add_up(segmented_run):
    import h5py

    ds = load_run(segmented_run)
    assert list(ds.segment.values) == ["mainstream", "activists"]
    assert ds.segment_customers.dims == ("time", "segment", "firm")
    assert ds.segment_values_customers.dims == ("time", "segment", "firm")
    np.testing.assert_array_equal(ds.segment_customers.sum("segment").values, ds.customers.values)
    assert (ds.segment_values_customers.values <= ds.segment_customers.values).all()
    assert int(ds.segment_population.sum()) == ds.attrs["scenario"]["customers"]["count"]
    with h5py.File(segmented_run, "r") as f:
        customers = f["segments/customers"][:]
        values = f["segments/values_customers"][:]
        pop = f["segments/population"][:]
        vpop = f["segments/values_population"][:]
        ids = f["firms/strategy_id"][:]
        names = list(f["strategies/name"].asstr()[:])
    # segment_shares: each segment's customers by the strategy their firm follows at that step.
    for values_arg, counts, denom in ((None, customers, pop), (True, values, vpop),
                                      (False, customers - values, pop - vpop)):
        shares = segment_shares(ds, values=values_arg)
        assert shares.dims == ("time", "segment", "strategy")
        assert list(shares.strategy.values) == names
        for t in (0, 10, 40):
            for g in range(len(pop)):
                for k, name in enumerate(names):
                    want = counts[t, g, ids[t] == k].sum() / denom[g]
                    assert shares.sel(strategy=name).values[t, g] == pytest.approx(want, abs=1e-15)
    # The mechanism acts where it should: activists are mostly values-driven, and customers do move.
    assert vpop[1] / pop[1] > 0.8 > vpop[0] / pop[0]
    assert customers[-1].sum() > customers[0].sum()


def test_a_file_written_before_segments_were_added_still_loads(run_file, tmp_path):
    def drop(f):
        del f["segments"]
        del f["segment"]

    older = copy_with(run_file, tmp_path / "older.h5", drop, reseal=True)
    ds = load_run(older)
    assert "segment_customers" not in ds and "segment" not in ds.dims
    assert ds.customers.dims == ("time", "firm")
    with pytest.raises(KeyError, match="no /segments"):
        segment_shares(ds)
