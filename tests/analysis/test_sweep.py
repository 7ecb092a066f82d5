"""load_sweep on real sweeps run and collected by the engine, and its refusals."""

import shutil
import subprocess

import h5py
import numpy as np
import pytest

from analysis import TrajectoryError, by_strategy
from analysis.plot_sweep import Outcome, sobol_table
from analysis.sweep import (FORMAT_VERSION, SweepError, load_sweep, sweep_firms, sweep_run,
                            sweep_runs)
from conftest import REPO, SWEEPS, _reseal, missionsim_cli


@pytest.fixture(scope="module")
def lhs(lhs_sweep):
    return load_sweep(lhs_sweep)


def test_one_row_per_run_with_parameters_and_outcomes(lhs, lhs_sweep):
    assert len(lhs) == 8 and lhs.attrs["runs"] == 8 and lhs.attrs["runs_done"] == 8
    assert lhs.attrs["format_version"] == FORMAT_VERSION
    assert lhs.attrs["design"] == "points" and lhs.attrs["replicates"] == 2
    with h5py.File(lhs_sweep / "sweep.h5", "r") as f:  # the points file, recorded whole
        assert f.attrs["design_method"] == "lhs"
        assert f["design/points"][()].decode() == (SWEEPS / "tiny-lhs.points.csv").read_text()
        assert f["design/unit"].shape == (4, 2)
    assert lhs["run"].tolist() == [f"p{p:06d}-r{r:02d}" for p in range(4) for r in range(2)]
    assert (lhs["status"] == "done").all()
    assert lhs["seed"].nunique() == 8
    assert lhs.attrs["parameters"] == ["choice.churn_base", "innovation.rd_efficiency"]
    churn = lhs["choice.churn_base"]
    assert churn.between(0.005, 0.05).all() and lhs["innovation.rd_efficiency"].between(
        0.01, 0.04).all()
    # Replicates share the design point's values, points differ (Latin hypercube strata).
    assert churn.groupby(lhs["point"]).nunique().eq(1).all() and churn.nunique() == 4
    strategies = lhs.attrs["strategies"]
    assert set(strategies) == {"shareholder", "satisfaction", "success"}
    for s in strategies:
        for what in ("share", "customers", "profit", "satisfaction", "success", "firms"):
            assert f"{s}:{what}" in lhs.columns
    for what in ("adopters_share", "hhi", "societal_value"):
        assert np.isfinite(lhs[f"market:{what}"]).all()
    total = sum(lhs[f"{s}:share"] for s in strategies)
    np.testing.assert_allclose(total, lhs["market:adopters_share"], atol=1e-12)
    assert set(lhs["winner"]) <= set(strategies) | {"tie", ""}
    # The directory and its sweep.h5 read the same.
    again = load_sweep(lhs_sweep / "sweep.h5")
    assert again.drop(columns="file").equals(lhs.drop(columns="file"))


def test_outcomes_match_the_run_trajectories(lhs, lhs_sweep):
    row = lhs.loc[3]
    ds = sweep_run(row)
    assert ds.attrs["sweep_run"] == row["run"] and ds.attrs["seed"] == int(row["seed"])
    final = by_strategy(ds, "share").isel(time=-1)
    for s in final.strategy.values.tolist():
        assert float(final.sel(strategy=s)) == pytest.approx(row[f"{s}:share"], abs=1e-12)
    assert float(ds.adopters[-1]) / 200 == pytest.approx(row["market:adopters_share"])
    # The run's scenario has the row's parameter values.
    assert ds.attrs["scenario"]["choice"]["churn_base"] == pytest.approx(row["choice.churn_base"])
    # By id, by index, and through the external link in sweep.h5.
    assert sweep_run(lhs, row["run"]).attrs["path"] == sweep_run(lhs, 3).attrs["path"]
    assert sweep_run(lhs_sweep, row["run"]).attrs["sweep_run"] == row["run"]
    with h5py.File(lhs_sweep / "sweep.h5", "r") as f:
        linked = f[f"trajectories/{row['run']}/firms/share"][()]
    np.testing.assert_array_equal(linked, ds.share.values)
    with pytest.raises(SweepError, match="no run 'p999999-r00'"):
        sweep_run(lhs, "p999999-r00")
    assert len(list(sweep_runs(lhs, variables=["share"]))) == 8
    firms = sweep_firms(lhs)
    assert set(firms["run"]) == set(lhs["run"])
    assert {"firm", "strategy", "share", "cash", "choice.churn_base"} <= set(firms.columns)


def test_sweep_directory_can_be_moved(lhs_sweep, tmp_path):
    moved = shutil.copytree(lhs_sweep, tmp_path / "moved")
    df = load_sweep(moved)
    assert df["file"].iloc[0].startswith(str(moved))
    assert sweep_run(df, 0).sizes["time"] == 7


def test_sobol_layout_and_indices(sobol_sweep):
    df = load_sweep(sobol_sweep)
    k, n = len(df.attrs["parameters"]), df.attrs["samples"]
    assert df.attrs["design"] == "sobol" and len(df) == n * (k + 2)
    assert df["saltelli_matrix"].tolist() == ["A"] * n + ["B"] * n + ["AB"] * (k * n)
    assert df["saltelli_column"].tolist() == [-1] * (2 * n) + [i for i in range(k) for _ in range(n)]
    assert df["economics.bankrupt_after"].dtype.kind == "i"
    x = df[df.attrs["parameters"]].to_numpy(dtype=float)
    a, b = x[:n], x[n:2 * n]
    for i in range(k):  # AB_i is A with column i from B: the layout of analysis/sobol.py
        ab = x[(2 + i) * n:(3 + i) * n]
        np.testing.assert_array_equal(ab[:, i], b[:, i])
        np.testing.assert_array_equal(np.delete(ab, i, axis=1), np.delete(a, i, axis=1))
    table = sobol_table(df, Outcome(df, "market:adopters_share"), n_boot=200)
    assert table["parameter"].tolist() == df.attrs["parameters"]
    assert np.isfinite(table[["S1", "ST", "S1_lo", "S1_hi", "ST_lo", "ST_hi"]].to_numpy()).all()
    assert (table["S1_lo"] <= table["S1"]).all() and (table["S1"] <= table["S1_hi"]).all()


def test_grid_levels_are_values(grid_sweep):
    df = load_sweep(grid_sweep)
    assert set(df["network.kind"]) == {"erdos-renyi", "watts-strogatz", "barabasi-albert"}
    np.testing.assert_allclose(sorted(set(df["word_of_mouth.talk_rate"])), [0.1, 0.3, 0.5])
    assert df.attrs["scales"]["network.kind"] == "levels"


# --- refusals --------------------------------------------------------------------------


def _copy(src, dst, edit=None, reseal=False):
    """Copy a sweep directory and apply ``edit`` to its sweep.h5 (``reseal``: then re-digest it)."""
    shutil.copytree(src, dst)
    if edit is not None:
        with h5py.File(dst / "sweep.h5", "r+") as f:
            edit(f)
            if reseal:
                _reseal(f)
    return dst


def test_refuses_wrong_format_version(lhs_sweep, tmp_path):
    bad = _copy(lhs_sweep, tmp_path / "v3", lambda f: f.attrs.modify("format_version", 3))
    with pytest.raises(SweepError, match="format_version 3 is not supported"):
        load_sweep(bad)
    old = _copy(lhs_sweep, tmp_path / "v1", lambda f: f.attrs.modify("format_version", 1))
    with pytest.raises(SweepError, match="version 1 has no content digest: collect it again"):
        load_sweep(old)


def test_refuses_changed_contents(lhs_sweep, tmp_path):
    """sweep.h5 carries a content digest: a changed outcome is damage, named."""
    def edit(f):
        f["outcomes/market/hhi"][0] = 0.5
    bad = _copy(lhs_sweep, tmp_path / "c", edit)
    with pytest.raises(SweepError, match="damaged: /outcomes/market/hhi changed since it was "
                                         "collected"):
        load_sweep(bad)


def test_refuses_other_formats(lhs_sweep, run_file, tmp_path):
    bad = _copy(lhs_sweep, tmp_path / "x", lambda f: f.attrs.modify("format", "other"))
    with pytest.raises(SweepError, match="unknown format 'other', expected 'missionsim-sweep'"):
        load_sweep(bad)
    with pytest.raises(SweepError, match="single run: read it with load_run"):
        load_sweep(run_file)


@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.6, 0.95])
def test_refuses_truncated_sweep_file(lhs_sweep, tmp_path, fraction):
    bad = _copy(lhs_sweep, tmp_path / "cut")
    data = (bad / "sweep.h5").read_bytes()
    (bad / "sweep.h5").write_bytes(data[:int(len(data) * fraction)])
    with pytest.raises(SweepError, match="damaged"):
        load_sweep(bad)
    assert issubclass(SweepError, TrajectoryError)


def test_refuses_inconsistent_contents(lhs_sweep, tmp_path):
    bad = _copy(lhs_sweep, tmp_path / "n", lambda f: f.attrs.modify("runs_done", np.int64(5)),
                reseal=True)
    with pytest.raises(SweepError, match="'runs_done' attribute says 5"):
        load_sweep(bad)

    def drop(f):
        del f["outcomes/market/hhi"]
    bad = _copy(lhs_sweep, tmp_path / "m", drop, reseal=True)
    with pytest.raises(SweepError, match="missing dataset.*/outcomes/market/hhi"):
        load_sweep(bad)


def test_refuses_uncollected_and_absent(lhs_sweep, tmp_path):
    bad = _copy(lhs_sweep, tmp_path / "u")
    (bad / "sweep.h5").unlink()
    with pytest.raises(SweepError, match="sweep collect"):
        load_sweep(bad)
    with pytest.raises(SweepError, match="no such file or directory"):
        load_sweep(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SweepError, match="not a sweep directory"):
        load_sweep(tmp_path / "empty")


def test_missing_runs_need_the_flag(lhs_sweep, tmp_path):
    partial = _copy(lhs_sweep, tmp_path / "p")
    (partial / "runs" / "p000002-r01.h5").unlink()
    proc = subprocess.run([missionsim_cli(), "sweep", "collect", str(partial)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert (partial / "sweep.h5").is_file(), proc.stdout + proc.stderr
    with pytest.raises(SweepError, match=r"incomplete sweep: 7 of 8 runs done.*p000002-r01.*"
                                         r"allow_missing=True"):
        load_sweep(partial)
    with pytest.warns(UserWarning, match="7 of 8 runs done"):
        df = load_sweep(partial, allow_missing=True)
    row = df.loc[df["run"] == "p000002-r01"].iloc[0]
    assert row["status"] == "missing" and np.isnan(row["success:share"]) and row["winner"] == ""
    assert np.isfinite(df.loc[df["status"] == "done", "success:share"]).all()
    with pytest.raises(SweepError, match="status 'missing'"):
        sweep_run(row)
