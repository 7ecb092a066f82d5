"""Outcomes over time and derived outcomes in sweep.h5 ([outcomes] in the sweep file, docs/SWEEP.md).

Every expected value is recomputed here from the run files themselves (h5py,
not the C++ reader), at the steps the sweep file names.
"""

import math
import re

import h5py
import numpy as np
import pytest

from conftest import REPO

SWEEP = """
[sweep]
name = "outcomes"
base = "{base}"
design = "random"
samples = 3
replicates = 2
seed = 11
set = ["run.steps=30", "customers.count=200", "economics.entry_rate=0.3", "economics.bankrupt_after=2",
       "economics.initial_cash=30000"]

[[parameters]]
key = "choice.churn_base"
range = [0.005, 0.05]

[outcomes]
{when}

[outcomes.derived]
gap = "share[success] - share[shareholder]"
mixed = "(firm.cash[satisfaction] + 2 * firm.profit[success]) / 1000 - hhi * customers[satisfaction]"
firms_left = "firms[shareholder] + firms[success]"
half = "time_to(adopters_share >= 0.03)"
lead = "first_time(share[success] > share[shareholder] + 0.005)"
lasts = "survival(firm.alive[satisfaction])"
entrant = "survival(firm.alive[entrant-1])"
gap_times = "time_to(market.adopters_share > 0.04) - time_to(adopters_share > 0.02)"
never = "time_to(hhi > 2)"
"""


def write(tmp_path, when, name="o.toml"):
    path = tmp_path / name
    path.write_text(SWEEP.format(base=REPO / "scenarios" / "tiny.toml", when=when))
    return path


class Run:
    """One run file, read with h5py; running sums as the schema defines them."""

    def __init__(self, path):
        with h5py.File(path, "r") as f:
            self.steps = f["time"][:].astype(np.int64)
            self.firm_names = list(f["firms/name"].asstr()[:])
            self.strategy_names = list(f["strategies/name"].asstr()[:])
            g = {k: f["firms/" + k][:].astype(float) for k in (
                "share", "customers", "profit", "cash", "satisfaction", "success", "social_impact", "harm",
                "alive", "strategy_id")}
            hhi = f["market/hhi"][:]
            sv = f["market/societal_value"][:]
        zero = lambda a: np.where(np.isfinite(a), a, 0.0)  # noqa: E731
        profit, impact = zero(g["profit"]), zero(g["social_impact"])
        profit[0] = impact[0] = 0
        self.firm = {
            "share": g["share"], "customers": g["customers"], "cash": g["cash"], "alive": g["alive"],
            "satisfaction": g["satisfaction"], "success": g["success"],
            "profit": np.cumsum(profit, axis=0),
            "societal_value": np.cumsum(impact, axis=0) - zero(g["harm"]),
        }
        self.sid = g["strategy_id"].astype(int)
        sv = zero(sv)
        sv[0] = 0
        self.market = {"adopters_share": zero(g["share"]).sum(axis=1), "hhi": hhi,
                       "societal_value": np.cumsum(sv)}

    def strategy(self, quantity, name):
        """Per row: the firms whose strategy on that row is `name`."""
        k = self.strategy_names.index(name) if name in self.strategy_names else -2
        mask = self.sid == k
        cust = np.where(mask, np.nan_to_num(self.firm["customers"]), 0.0)
        if quantity in ("satisfaction", "success"):
            tot = cust.sum(axis=1)
            w = np.where(cust > 0, cust * self.firm[quantity], 0.0).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(tot > 0, w / tot, np.nan)
        if quantity == "firms":
            return (mask & (self.firm["alive"] > 0)).sum(axis=1).astype(float)
        if quantity == "customers":
            return cust.sum(axis=1)
        return np.where(mask, np.nan_to_num(self.firm[quantity], nan=0.0), 0.0).sum(axis=1)

    def firm_series(self, quantity, name):
        return self.firm[quantity][:, self.firm_names.index(name)]

    def row(self, step):
        return int(np.flatnonzero(self.steps == step)[0])

    # Events, by their definitions in docs/SWEEP.md.
    def first(self, condition):
        hit = np.flatnonzero(condition)
        return float(self.steps[hit[0]]) if hit.size else math.nan

    def survival(self, x):
        pos = x > 0
        start = np.flatnonzero(pos)
        if not start.size:
            return math.nan
        after = np.flatnonzero(~pos[start[0]:])
        return float(self.steps[start[0] + after[0]] - self.steps[start[0]]) if after.size else math.nan


def expected_derived(run):
    s, fs, m = run.strategy, run.firm_series, run.market
    per_time = {
        "gap": s("share", "success") - s("share", "shareholder"),
        "mixed": (fs("cash", "satisfaction") + 2 * fs("profit", "success")) / 1000
        - m["hhi"] * s("customers", "satisfaction"),
        "firms_left": s("firms", "shareholder") + s("firms", "success"),
    }
    events = {
        "half": run.first(m["adopters_share"] >= 0.03),
        "lead": run.first(s("share", "success") > s("share", "shareholder") + 0.005),
        "lasts": run.survival(fs("alive", "satisfaction")),
        "entrant": run.survival(fs("alive", "entrant-1")),
        "gap_times": run.first(m["adopters_share"] > 0.04) - run.first(m["adopters_share"] > 0.02),
        "never": math.nan,
    }
    return per_time, events


def collect(cli, tmp_path, when):
    sweep = write(tmp_path, when)
    out = tmp_path / "d"
    proc = cli("sweep", "run", sweep, "-o", out, "-q")
    assert proc.returncode == 0, proc.stderr
    proc = cli("sweep", "collect", out)
    assert proc.returncode == 0, proc.stderr
    return out


def check_sweep(out, times):
    with h5py.File(out / "sweep.h5", "r") as f:
        np.testing.assert_array_equal(f["outcomes/time"][:], times)
        assert f["outcomes/time"].dtype == np.int64
        K = len(times)
        ids = list(f["runs/id"].asstr()[:])
        strategies = list(f["outcomes/strategy/name"].asstr()[:])
        events_seen = {}
        for i, rid in enumerate(ids):
            run = Run(out / "runs" / f"{rid}.h5")
            F = len(run.firm_names)
            rows = [run.row(t) for t in times]
            assert rows[-1] == len(run.steps) - 1
            for q, series in run.firm.items():
                got = f[f"outcomes_t/firm/{q}"][i]
                assert got.shape == (K, f[f"outcomes_t/firm/{q}"].shape[2])
                np.testing.assert_allclose(got[:, :F], series[rows], rtol=1e-12, atol=1e-9, equal_nan=True)
                # The last time is the final-step outcome, bit for bit.
                np.testing.assert_array_equal(got[-1], f[f"outcomes/firm/{q}"][i])
            sid = f["outcomes_t/firm/strategy_id"][i]
            for k, r in enumerate(rows):
                for j in range(F):
                    want = strategies.index(run.strategy_names[run.sid[r, j]]) if run.sid[r, j] >= 0 else -1
                    assert sid[k, j] == want
            np.testing.assert_array_equal(sid[-1], f["outcomes/firm/strategy_id"][i])
            for q in ("share", "customers", "profit", "satisfaction", "success", "societal_value", "firms"):
                got = f[f"outcomes_t/strategy/{q}"][i]
                for j, name in enumerate(strategies):
                    np.testing.assert_allclose(got[:, j], run.strategy(q, name)[rows], rtol=1e-12, atol=1e-9,
                                               equal_nan=True, err_msg=f"{rid} {q} {name}")
                np.testing.assert_array_equal(got[-1], f[f"outcomes/strategy/{q}"][i])
            for q, series in run.market.items():
                got = f[f"outcomes_t/market/{q}"][i]
                np.testing.assert_allclose(got, series[rows], rtol=1e-12, atol=1e-9)
                np.testing.assert_array_equal(got[-1], f[f"outcomes/market/{q}"][i])

            per_time, events = expected_derived(run)
            for name, series in per_time.items():
                d = f[f"outcomes/derived/{name}"]
                assert d.attrs["kind"] == "per_time" and d.shape == (len(ids), K)
                np.testing.assert_allclose(d[i], series[rows], rtol=1e-12, atol=1e-9, equal_nan=True,
                                           err_msg=name)
            for name, value in events.items():
                d = f[f"outcomes/derived/{name}"]
                assert d.attrs["kind"] == "event" and d.shape == (len(ids),)
                got = d[i]
                assert (math.isnan(got) and math.isnan(value)) or got == value, (rid, name, got, value)
                events_seen.setdefault(name, []).append(value)
        assert f["outcomes/derived/half"].attrs["expression"] == "time_to(adopters_share >= 0.03)"
    # The sweep exercises both outcomes of the events: some happen, "never" never does.
    for name in ("half", "lead", "gap_times"):
        assert any(not math.isnan(v) for v in events_seen[name]), name
    assert all(math.isnan(v) for v in events_seen["never"])


def test_outcomes_at_chosen_steps_equal_the_run_files(cli, tmp_path):
    out = collect(cli, tmp_path, "at = [3, 10, 17, 29]")
    check_sweep(out, [3, 10, 17, 29, 30])


def test_outcomes_every_k_steps_equal_the_run_files(cli, tmp_path):
    out = collect(cli, tmp_path, "every = 7")
    check_sweep(out, [0, 7, 14, 21, 28, 30])


def test_without_outcomes_table_time_is_the_final_step(cli, tmp_path):
    sweep = tmp_path / "plain.toml"
    text = SWEEP.format(base=REPO / "scenarios" / "tiny.toml", when="")
    sweep.write_text(text[: text.index("[outcomes]")])
    out = tmp_path / "d"
    assert cli("sweep", "run", sweep, "-o", out, "-q").returncode == 0
    assert cli("sweep", "collect", out).returncode == 0
    with h5py.File(out / "sweep.h5", "r") as f:
        np.testing.assert_array_equal(f["outcomes/time"][:], [30])
        np.testing.assert_array_equal(f["outcomes_t/firm/share"][:, 0, :], f["outcomes/firm/share"][:])
        assert "derived" not in f["outcomes"]


def test_outcomes_do_not_change_the_sweep_hash(cli, tmp_path):
    a = cli("sweep", "plan", write(tmp_path, "at = [5]", "a.toml")).stdout
    b = cli("sweep", "plan", write(tmp_path, "every = 3", "b.toml")).stdout
    hash_of = lambda s: re.search(r"sweep sha256: (\w+)", s).group(1)  # noqa: E731
    assert hash_of(a) == hash_of(b)


@pytest.mark.parametrize("when,derived,pattern", [
    ("at = [5, 31]", "", r":\d+:\d+: key 'outcomes.at.1' must be <= the run's horizon run.steps = 30, got 31"),
    ("at = [5, 5]", "", r":\d+:\d+: key 'outcomes.at.1' must be greater than the step before it \(5\)"),
    ("at = [9, 5]", "", r":\d+:\d+: key 'outcomes.at.1' must be greater than the step before it \(9\)"),
    ("at = [5]\nevery = 2", "", r":\d+:\d+: both 'outcomes.at' and 'outcomes.every' are given; keep one"),
    ("evry = 2", "", r":\d+:\d+: unknown key 'outcomes.evry'; did you mean 'outcomes.every'\?"),
    ("every = 40", "", r":\d+:\d+: key 'outcomes.every' must be <= the run's horizon run.steps = 30, got 40"),
    ("at = 5", "", r":\d+:\d+: key 'outcomes.at' must be a non-empty array of steps"),
    ("", 'x = "share[success] - "',
     r":\d+:\d+: key 'outcomes.derived.x' = \"share\[success\] - \": at position 18: expected a name, a number"),
    ("", 'x = "shar[success]"', r"at position 1: unknown strategy outcome 'shar'; did you mean 'share'\?"),
    ("", 'x = "share[sucess]"', r"unknown strategy \"sucess\"; did you mean 'success'\?"),
    ("", 'x = "firm.cash[nobody]"', r"unknown firm \"nobody\""),
    ("", 'x = "adopters_share > 0.5"', r"at position 16: a comparison is only allowed inside time_to"),
    ("", 'x = "time_to(hhi > 0.5) + hhi"', r"at position 22: an outcome name outside"),
    ("", 'x = "(hhi * 2"', r"at position 9: expected '\)'"),
    ("", 'x = "time_to(hhi = 1)"', r"at position 13: '=' is not an operator"),
])
def test_bad_outcomes_fail_before_any_run(cli, tmp_path, when, derived, pattern):
    text = SWEEP.format(base=REPO / "scenarios" / "tiny.toml", when=when)
    text = text[: text.index("[outcomes.derived]")] + "[outcomes.derived]\n" + derived + "\n"
    path = tmp_path / "bad.toml"
    path.write_text(text)
    proc = cli("sweep", "run", path, "-o", tmp_path / "never")
    assert proc.returncode == 2, proc.stderr
    assert re.search(re.escape(str(path)) + r":\d+:\d+: ", proc.stderr), proc.stderr
    assert re.search(pattern, proc.stderr), proc.stderr
    assert not (tmp_path / "never").exists()
