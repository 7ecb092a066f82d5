"""load_dataset, the long tables, mean/CI helpers and time-to-event helpers.

Time-resolved sweeps are built with h5py from a real collected sweep, in the
sweep.h5 schema agreed for `[outcomes]` (docs/SWEEP.md): /outcomes/time,
/outcomes_t/..., /outcomes/derived/...; sweeps collected without it are read
with one time, the final step.
"""

import shutil

import h5py
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.readers import by_strategy, load_run
from analysis.sweep import (SweepError, bootstrap_ci, first_time, firm_table, load_dataset,
                            load_sweep, mean_ci, run_table, strategy_table, summarise,
                            survival_time, sweep_events, time_share_exceeds, time_to_adoption)
from conftest import _reseal, add_time_resolved

TIMES = [2, 4, 6]  # tiny-lhs runs 6 steps


def _exceeds(ds):
    return time_share_exceeds(ds, "success", 0.01)


@pytest.fixture(scope="module")
def resolved(lhs_sweep, tmp_path_factory):
    """tiny-lhs with outcomes at t = 2, 4, 6, a per-time and an event derived outcome."""
    target = tmp_path_factory.mktemp("resolved") / "lhs"
    shutil.copytree(lhs_sweep, target)
    diff = ("share[success] - share[shareholder]",
            lambda made: made["share"][:, :, 2] - made["share"][:, :, 0])
    return add_time_resolved(target, TIMES, per_time={"success_minus_shareholder": diff},
                             events={"t_success_1pc": ("first share[success] >= 0.01", _exceeds)})


def test_final_step_only_sweep_has_one_time(lhs_sweep):
    ds = load_dataset(lhs_sweep)
    df = load_sweep(lhs_sweep)
    assert ds.attrs["time_resolved"] is False
    assert ds.sizes["time"] == 1 and ds.time.values.tolist() == [6]  # run.steps = 6 from [sweep] set
    assert ds.time.values[0] == load_run(df["file"].iloc[0]).time.values[-1]
    assert dict(ds.sizes) == {"run": 8, "time": 1, "strategy": 3, "firm": 4}
    assert ds.run.values.tolist() == df["run"].tolist()
    for s in df.attrs["strategies"]:
        np.testing.assert_array_equal(ds.share.sel(strategy=s, time=6).values, df[f"{s}:share"])
    np.testing.assert_array_equal(ds.market_hhi.isel(time=0).values, df["market:hhi"])
    np.testing.assert_array_equal(ds["choice.churn_base"].values, df["choice.churn_base"])
    assert ds.point.values.tolist() == df["point"].tolist()
    # Parameters are coordinates on run: group replicates of a point by them.
    means = ds.share.groupby("point").mean("run")
    assert means.sizes["point"] == 4
    assert set(ds.firm_strategy.values.ravel()) <= set(df.attrs["strategies"]) | {""}


def test_time_resolved_outcomes_are_the_run_files_values(resolved):
    ds = load_dataset(resolved)
    df = load_sweep(resolved)
    assert ds.attrs["time_resolved"] is True and ds.time.values.tolist() == TIMES
    for i in (0, 5):
        run = load_run(df["file"].iloc[i])
        share = by_strategy(run, "share").fillna(0.0)
        for t in TIMES:
            for s in df.attrs["strategies"]:
                got = float(ds.share.isel(run=i).sel(time=t, strategy=s))
                want = float(share.sel(time=t, strategy=s)) if s in share.strategy else 0.0
                assert got == pytest.approx(want, abs=1e-12), (i, t, s)
            np.testing.assert_allclose(ds.firm_share.isel(run=i).sel(time=t).values[:run.sizes["firm"]],
                                       run.share.sel(time=t).values)
    # The last row is the final-step dataset.
    for s in df.attrs["strategies"]:
        np.testing.assert_array_equal(ds.share.sel(strategy=s, time=6).values, df[f"{s}:share"])
    d = ds["success_minus_shareholder"]
    assert d.dims == ("run", "time") and d.attrs["kind"] == "per_time"
    assert d.attrs["expression"] == "share[success] - share[shareholder]"
    np.testing.assert_allclose(d.values, (ds.share.sel(strategy="success") -
                                          ds.share.sel(strategy="shareholder")).values)
    e = ds["t_success_1pc"]
    assert e.dims == ("run",) and e.attrs["kind"] == "event"
    want = [time_share_exceeds(load_run(p), "success", 0.01) for p in df["file"]]
    np.testing.assert_array_equal(e.values, want)


def test_long_tables(resolved):
    ds = load_dataset(resolved)
    t = strategy_table(ds)
    assert len(t) == 8 * 3 * 3
    assert list(t.columns[:3]) == ["run", "time", "strategy"]
    assert {"point", "replicate", "choice.churn_base", "share", "profit"} <= set(t.columns)
    row = t[(t.run == "p000002-r01") & (t.time == 4) & (t.strategy == "success")].iloc[0]
    assert row["share"] == float(ds.share.sel(run="p000002-r01", time=4, strategy="success"))
    assert row["choice.churn_base"] == float(ds["choice.churn_base"].sel(run="p000002-r01"))
    firms = firm_table(ds)
    assert (firms["firm_name"] != "").all() and {"share", "cash", "alive"} <= set(firms.columns)
    assert len(firms) == 3 * int((ds.firm_name.values != "").sum())
    runs = run_table(ds)
    assert len(runs) == 8 * 3
    assert {"market_hhi", "success_minus_shareholder", "t_success_1pc"} <= set(runs.columns)


def test_runs_not_done_are_nan_and_left_out_of_tables(resolved, tmp_path):
    partial = tmp_path / "p"
    shutil.copytree(resolved, partial)
    with h5py.File(partial / "sweep.h5", "r+") as f:
        f["runs/status"][3] = "missing"
        f.attrs.modify("runs_done", np.int64(7))
        _reseal(f)
    with pytest.warns(UserWarning):
        ds = load_dataset(partial, allow_missing=True)
    assert np.isnan(ds.share.isel(run=3).values).all()
    assert np.isnan(ds["success_minus_shareholder"].isel(run=3).values).all()
    with pytest.warns(UserWarning):
        assert "p000001-r01" not in set(strategy_table(load_dataset(partial, allow_missing=True)).run)


@pytest.mark.parametrize("edit, message", [
    (lambda f: f["outcomes/time"].__setitem__(0, 5), "not strictly ascending"),
    (lambda f: f.__delitem__("outcomes_t/strategy/profit"), "/outcomes_t/strategy/profit is missing"),
])
def test_refuses_inconsistent_time_resolved_outcomes(resolved, tmp_path, edit, message):
    bad = tmp_path / "bad"
    shutil.copytree(resolved, bad)
    with h5py.File(bad / "sweep.h5", "r+") as f:
        edit(f)
        _reseal(f)
    with pytest.raises(SweepError, match=message):
        load_dataset(bad)


def test_mean_ci_is_the_t_interval():
    x = np.array([1.0, 2.0, 4.0, 7.0, np.nan])
    ci = mean_ci(x)
    lo, hi = stats.t.interval(0.95, 3, loc=3.5, scale=np.std(x[:4], ddof=1) / 2.0)
    assert ci.n == 4 and ci.mean == 3.5
    assert ci.lo == pytest.approx(lo) and ci.hi == pytest.approx(hi)
    assert mean_ci([3.0, 3.0, 3.0])[1:3] == (3.0, 3.0)
    assert np.isnan(mean_ci([1.0]).lo) and mean_ci([]).n == 0
    assert mean_ci(x, conf=0.5).hi < ci.hi


def test_bootstrap_ci_is_reproducible_and_covers():
    rng = np.random.default_rng(3)
    x = rng.exponential(size=40)
    a, b = bootstrap_ci(x, seed=7), bootstrap_ci(x, seed=7)
    assert a == b and a.lo < x.mean() < a.hi
    p = bootstrap_ci(x, method="percentile", seed=7)
    assert p.lo < x.mean() < p.hi and p != a
    assert bootstrap_ci([2.0, 2.0, 2.0, 2.0])[1:3] == (2.0, 2.0)


def test_summarise_per_cell():
    table = pd.DataFrame({"a": [0, 0, 0, 1, 1, 1], "b": ["x"] * 6,
                          "y": [1.0, 2.0, 3.0, 10.0, 10.0, 13.0]})
    out = summarise(table, "y", ["a", "b"])
    assert out[["a", "b", "n"]].values.tolist() == [[0, "x", 3], [1, "x", 3]]
    assert out["mean"].tolist() == [2.0, 11.0]
    half = stats.t.ppf(0.975, 2) * 1.0 / np.sqrt(3)
    assert out["hi"].iloc[0] == pytest.approx(2.0 + half)
    assert "(a, b)" in out.attrs["interval"]
    boot = summarise(table, "y", "a", method="bootstrap", seed=1)
    assert boot["n"].tolist() == [3, 3] and (boot["lo"] <= boot["mean"]).all()


def test_first_time_and_events(run_file):
    ds = load_run(run_file)
    share = by_strategy(ds, "share")
    t = first_time(share, 0.01)
    assert t.dims == ("strategy",)
    for s in share.strategy.values:
        y = share.sel(strategy=s).values
        hit = np.flatnonzero(y >= 0.01)
        want = float(ds.time.values[hit[0]]) if hit.size else np.nan
        np.testing.assert_equal(float(t.sel(strategy=s)), want)
        np.testing.assert_equal(time_share_exceeds(ds, s, 0.01), want)
    assert np.isnan(time_share_exceeds(ds, share.strategy.values[0], 2.0))
    pop = ds.attrs["scenario"]["customers"]["count"]
    level = float(ds.adopters.values[-1]) / pop / 2.0
    when = time_to_adoption(ds, level)
    i = int(np.searchsorted(ds.time.values, when))
    assert ds.adopters.values[i] / pop >= level and (i == 0 or ds.adopters.values[i - 1] / pop < level)
    assert np.isnan(time_to_adoption(ds, 1.01))


def test_survival_time():
    import xarray as xr

    alive = np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1], [0, 1, 0]])
    sid = np.array([[0, 1, -1], [0, 1, 1], [0, 1, 1], [0, 1, 1]])
    ds = xr.Dataset({"alive": (("time", "firm"), alive), "strategy_id": (("time", "firm"), sid)},
                    coords={"time": [0, 1, 2, 3], "firm": ["a", "b", "c"],
                            "strategy": ("firm", ["s0", "s1", ""])},
                    attrs={"strategy_names": ["s0", "s1"]})
    exits = survival_time(ds)
    np.testing.assert_equal(exits.tolist(), [2.0, np.nan, 3.0])
    assert survival_time(ds, "s0") == 2.0
    assert np.isnan(survival_time(ds, "s1"))


def test_sweep_events_one_row_per_run(lhs_sweep):
    df = load_sweep(lhs_sweep)
    ev = sweep_events(df, adoption=(0.01,), exceeds=[("success", 0.01)], survival=["shareholder"])
    assert ev["run"].tolist() == df["run"].tolist()
    assert {"t_adoption_0.01", "t_exceeds_success_0.01", "t_exit_shareholder",
            "choice.churn_base"} <= set(ev.columns)
    first = load_run(df["file"].iloc[0])
    assert ev["t_adoption_0.01"].iloc[0] == time_to_adoption(first, 0.01) or \
        np.isnan(ev["t_adoption_0.01"].iloc[0])
