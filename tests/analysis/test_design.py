"""Designs from scipy.stats.qmc written as points files, and the engine reading them."""

import csv
import subprocess
import sys

import numpy as np
import pytest

from analysis.design import (MIN_SALTELLI_N, DesignError, format_points, make_design, parse_points,
                             read_points)
from conftest import REPO, SWEEPS, missionsim_cli, run_sweep

KEYS = ["choice.churn_base", "word_of_mouth.talk_rate", "economics.bankrupt_after"]


def design_cmd(*args):
    return subprocess.run([sys.executable, "-m", "analysis.design", *map(str, args)], capture_output=True,
                          text=True, cwd=REPO, timeout=120)


@pytest.mark.parametrize("method,n", [("sobol", 16), ("lhs", 10), ("saltelli", 64), ("morris", 6)])
def test_designs_are_deterministic_for_a_seed(method, n):
    a = make_design(method, KEYS, n=n, seed=42)
    b = make_design(method, KEYS, n=n, seed=42)
    c = make_design(method, KEYS, n=n, seed=43)
    assert format_points(a) == format_points(b)
    assert not np.array_equal(a.rows, c.rows)
    assert np.all((a.rows >= 0) & (a.rows <= 1))
    back = parse_points(format_points(a))
    np.testing.assert_array_equal(back.rows, a.rows)  # repr() round-trips every double
    assert back.keys == KEYS and back.meta["method"] == method and back.meta["seed"] == 42


@pytest.mark.parametrize("method", ["sobol", "lhs"])
def test_one_point_in_each_stratum_of_every_dimension(method):
    """Scrambled Sobol' 2^m points are a (0, m, d)-net: like a Latin hypercube, each of the n
    strata of every coordinate holds exactly one point."""
    rows = make_design(method, KEYS, n=32, seed=3).rows
    for k in range(len(KEYS)):
        assert sorted(np.floor(rows[:, k] * 32).astype(int)) == list(range(32))


def test_refusals_name_the_fix():
    with pytest.raises(DesignError, match="power of two.*got 100; use 64 or 128"):
        make_design("sobol", KEYS, n=100)
    with pytest.raises(DesignError, match=f"N = 32 base samples is too few.*at least {MIN_SALTELLI_N}"):
        make_design("saltelli", KEYS, n=32)
    assert len(make_design("saltelli", KEYS, n=32, allow_small=True).rows) == 32 * 5
    proc = design_cmd("saltelli", SWEEPS / "tiny-sobol.toml", "--n", 32, "-o", "/dev/null")
    assert proc.returncode == 2 and proc.stderr.startswith("analysis.design: error: N = 32"), proc.stderr
    proc = design_cmd("lhs", SWEEPS / "no-such.toml", "-o", "/dev/null")
    assert proc.returncode == 2 and "cannot read sweep file" in proc.stderr


@pytest.mark.parametrize("name,args", [
    ("tiny-lhs", ["lhs", "--n", 4, "--seed", 2026]),
    ("tiny-sobol", ["saltelli", "--n", 64, "--seed", 11]),
])
def test_shipped_points_files_are_what_the_tool_writes(tmp_path, name, args):
    out = tmp_path / "p.csv"
    proc = design_cmd(args[0], SWEEPS / f"{name}.toml", *args[1:], "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == (SWEEPS / f"{name}.points.csv").read_bytes()


def test_the_engine_maps_points_through_each_scale(tmp_path):
    """`missionsim sweep plan` of a points design: uniform lo + u (hi - lo), log-uniform
    lo (hi / lo)^u, integer floor(lo + u (hi - lo + 1)), row by row in file order."""
    sweep = tmp_path / "s.toml"
    sweep.write_text(f"""
[sweep]
base = "{REPO / 'scenarios' / 'tiny.toml'}"
design = "points"
points = "p.csv"
replicates = 2
[[parameters]]
key = "choice.churn_base"
range = [0.005, 0.05]
scale = "log-uniform"
[[parameters]]
key = "word_of_mouth.talk_rate"
range = [0.1, 0.5]
[[parameters]]
key = "economics.bankrupt_after"
range = [3, 12]
scale = "integer"
""")
    proc = design_cmd("sobol", sweep, "--n", 8, "--seed", 5, "-o", tmp_path / "p.csv")
    assert proc.returncode == 0, proc.stderr
    u = read_points(tmp_path / "p.csv").rows
    plan = tmp_path / "plan.csv"
    proc = subprocess.run([missionsim_cli(), "sweep", "plan", str(sweep), "--csv", str(plan)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "design points (sobol), 8 points x 2 replicates = 16 runs" in proc.stdout
    with open(plan, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 16
    for r in rows:
        p = int(r["point"])
        np.testing.assert_allclose(float(r["choice.churn_base"]), 0.005 * 10 ** u[p, 0], rtol=1e-12)
        np.testing.assert_allclose(float(r["word_of_mouth.talk_rate"]), 0.1 + 0.4 * u[p, 1], rtol=1e-12)
        assert int(r["economics.bankrupt_after"]) == min(12, int(np.floor(3 + 10 * u[p, 2])))


def test_a_points_file_is_copied_and_a_changed_one_is_refused(tmp_path):
    d = run_sweep(SWEEPS / "tiny-lhs.toml", tmp_path / "lhs")
    assert (d / "points.csv").read_bytes() == (SWEEPS / "tiny-lhs.points.csv").read_bytes()
    # Another design in the same directory is another sweep.
    sweep = tmp_path / "tiny-lhs.toml"
    sweep.write_text((SWEEPS / "tiny-lhs.toml").read_text().replace('"../tiny.toml"',
                                                                    f'"{REPO / "scenarios" / "tiny.toml"}"'))
    proc = design_cmd("lhs", sweep, "--n", 4, "--seed", 7, "-o", tmp_path / "tiny-lhs.points.csv")
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([missionsim_cli(), "sweep", "run", str(sweep), "-o", str(d), "--resume", "-q"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "holds a different sweep" in proc.stderr, proc.stderr


def test_linked_parameters_reach_the_runs_and_sweep_h5(tmp_path):
    """[[linked]] customers.segments.1.share = 1 - the swept share: in every run's scenario
    and in sweep.h5's /linked datasets."""
    import h5py

    from analysis import load_run
    sweep = tmp_path / "linked.toml"
    sweep.write_text("""
[sweep]
design = "grid"
replicates = 1
[[parameters]]
key = "customers.segments.0.share"
range = [0.2, 0.6]
points = 3
[[linked]]
key = "customers.segments.1.share"
expression = "1 - customers.segments.0.share"
[base.run]
steps = 2
[base.customers]
count = 50
[[base.customers.segments]]
name = "values"
share = 0.3
[[base.customers.segments]]
name = "other"
share = 0.7
[[base.firms]]
strategy = "success"
""")
    d = run_sweep(sweep, tmp_path / "out")
    with h5py.File(d / "sweep.h5", "r") as f:
        assert [x.decode() for x in f["linked/name"][()]] == ["customers.segments.1.share"]
        assert f["linked/expression"][0].decode() == "1 - customers.segments.0.share"
        swept = f["parameters/value"][:, 0]
        np.testing.assert_allclose(f["linked/value"][:, 0], 1 - swept)
        files = [x.decode() for x in f["runs/file"][()]]
    for x, file in zip(swept, files):
        segs = load_run(d / file).attrs["scenario"]["customers"]["segments"]
        assert segs[0]["share"] == pytest.approx(x) and segs[1]["share"] == pytest.approx(1 - x)
