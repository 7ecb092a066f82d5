"""Morris elementary effects: the trajectory design and mu*, sigma on the Ishigami function."""

import itertools

import numpy as np
import pytest

from analysis.morris import _spread, elementary_effects, morris_indices, morris_points
from analysis.sobol import ishigami


def on_pi(u):
    return -np.pi + 2 * np.pi * u


def test_trajectories_move_one_input_at_a_time_on_the_grid():
    r, d, p = 30, 4, 6
    x = morris_points(r, d, levels=p, seed=9)
    assert x.shape == (r * (d + 1), d)
    np.testing.assert_allclose(x * (p - 1), np.round(x * (p - 1)), atol=1e-12)  # grid levels
    assert np.all((x >= 0) & (x <= 1))
    delta = p / (2 * (p - 1))
    steps = np.diff(x.reshape(r, d + 1, d), axis=1)
    moved = np.abs(steps) > 1e-12
    assert np.all(moved.sum(-1) == 1)               # one input per step ...
    assert np.all(moved.sum(1) == 1)                # ... each input once per trajectory
    np.testing.assert_allclose(np.abs(steps[moved]), delta)
    np.testing.assert_array_equal(x, morris_points(r, d, levels=p, seed=9))
    assert not np.array_equal(x, morris_points(r, d, levels=p, seed=10))


def test_campolongo_selection_spreads_the_trajectories():
    r, d = 10, 3
    chosen = morris_points(r, d, seed=4, candidates=100).reshape(r, d + 1, d)
    plain = morris_points(r, d, seed=4).reshape(r, d + 1, d)  # the first r of the same draws
    spread = lambda t: np.sqrt(np.sum(np.triu(_spread(t) ** 2, 1)))  # noqa: E731
    assert spread(chosen) > 1.2 * spread(plain)


def exact_grid_mu_star(levels=4):
    """mu* of Ishigami on the Morris grid by enumeration: the mean |EE_i| over every pair of
    grid points one step Delta apart in input i (each equally likely under Morris sampling)."""
    grid = np.arange(levels) / (levels - 1)
    delta = levels / (2 * (levels - 1))
    low = grid[grid <= 1 - delta + 1e-12]
    mu = []
    for i in range(3):
        effects = []
        for point in itertools.product(grid, repeat=3):
            if not np.any(np.isclose(point[i], low)):
                continue
            a = np.array([point])
            b = a.copy()
            b[0, i] += delta
            effects.append(abs(ishigami(on_pi(b))[0] - ishigami(on_pi(a))[0]) / delta)
        mu.append(np.mean(effects))
    return np.array(mu)


def test_morris_ranks_ishigami_inputs():
    # Exact on the 4-level grid: mu* = 7.70, 7.875, 6.25: x1 and x2 above x3, the order of
    # the total-order indices (ST = 0.558, 0.442, 0.244) for x3 last (Campolongo et al. 2007
    # propose mu* as a proxy for ST).
    exact = exact_grid_mu_star()
    np.testing.assert_allclose(exact, [7.70, 7.875, 6.25], atol=0.01)
    x = morris_points(1000, 3, levels=4, seed=2024)
    res = morris_indices(x, ishigami(on_pi(x)), names=["x1", "x2", "x3"], n_boot=500)
    assert set(res.ranking()[:2]) == {"x1", "x2"} and res.ranking()[2] == "x3", res.table()
    assert np.all(res.mu_star_ci[:2, 0] > res.mu_star_ci[2, 1]), res.table()  # apart beyond their CIs
    np.testing.assert_allclose(res.mu_star, exact, atol=0.5)
    # x3 acts only through its interaction with x1: mean effect ~0, spread large.
    assert abs(res.mu[2]) < 0.1 * res.mu_star[2] and res.sigma[2] > res.mu_star[2]


def test_a_design_that_is_not_morris_is_refused():
    x = morris_points(4, 3, seed=1)
    x[2, 0] += 0.1  # step 2 of trajectory 0 now moves two inputs
    with pytest.raises(ValueError, match="trajectory 0, step 2 changes 2 inputs"):
        elementary_effects(x, np.zeros(len(x)))
    with pytest.raises(ValueError, match="not a multiple of d \\+ 1"):
        elementary_effects(np.zeros((5, 3)), np.zeros(5))


def test_morris_on_a_collected_sweep(tmp_path):
    """analysis.design morris -> missionsim sweep run/collect -> analysis.morris: the elementary
    effects come from sweep.h5's recorded points and the outcome averaged over replicates."""
    import subprocess
    import sys

    from analysis.design import read_points
    from analysis.morris import sweep_morris
    from analysis.sweep import load_sweep
    from conftest import REPO, run_sweep

    sweep = tmp_path / "m.toml"
    sweep.write_text(f"""
[sweep]
base = "{REPO / 'scenarios' / 'tiny.toml'}"
design = "points"
points = "m.csv"
replicates = 2
set = ["run.steps=4", "customers.count=100"]
[[parameters]]
key = "choice.churn_base"
range = [0.005, 0.05]
[[parameters]]
key = "word_of_mouth.talk_rate"
range = [0.1, 0.5]
""")
    subprocess.run([sys.executable, "-m", "analysis.design", "morris", str(sweep), "--n", "4", "--seed", "2",
                    "-o", str(tmp_path / "m.csv")], check=True, cwd=REPO, capture_output=True)
    d = run_sweep(sweep, tmp_path / "out")
    res = sweep_morris(d, "market:adopters_share")
    df = load_sweep(d)
    y = df.groupby("point")["market:adopters_share"].mean().to_numpy()
    direct = morris_indices(read_points(tmp_path / "m.csv").rows, y)
    np.testing.assert_array_equal(res.mu_star, direct.mu_star)
    assert res.names == ["choice.churn_base", "word_of_mouth.talk_rate"] and res.r == 4
    proc = subprocess.run([sys.executable, "-m", "analysis.morris", str(d), "--outcome", "market:hhi"],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0 and "word_of_mouth.talk_rate" in proc.stdout, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "analysis.morris", str(d), "--outcome", "nope"],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 2 and "unknown outcome 'nope'" in proc.stderr
