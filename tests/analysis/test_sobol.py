"""Sobol estimators against the analytic indices of the Ishigami function, and their intervals."""

import warnings

import numpy as np
import pytest

from analysis.design import DEFAULT_SALTELLI_N, MIN_SALTELLI_N
from analysis.sobol import (SaltelliWarning, ishigami, ishigami_indices, saltelli_sample,
                            sobol_indices)


@pytest.mark.parametrize("sampler,n", [("sobol", 64), ("random", 50)])
def test_saltelli_matrices_swap_one_column(sampler, n):
    x = saltelli_sample(n, [(0, 1), (10, 20), (-1, 1)], rng=0, sampler=sampler)
    assert x.shape == (n * 5, 3)
    a, b = x[:n], x[n:2 * n]
    for i in range(3):
        ab = x[2 * n + n * i: 3 * n + n * i]
        np.testing.assert_array_equal(ab[:, i], b[:, i])
        np.testing.assert_array_equal(np.delete(ab, i, axis=1), np.delete(a, i, axis=1))
    assert np.all((x[:, 1] >= 10) & (x[:, 1] <= 20))


def test_ishigami_indices_within_tolerance_at_the_default_n():
    s1_true, st_true = ishigami_indices(a=7.0, b=0.1)
    # Published (Ishigami & Homma 1990; Saltelli et al. 2008, "Global Sensitivity Analysis: The Primer").
    np.testing.assert_allclose(s1_true, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(st_true, [0.5576, 0.4424, 0.2437], atol=1e-4)
    x = saltelli_sample(DEFAULT_SALTELLI_N, [(-np.pi, np.pi)] * 3, rng=20240601)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SaltelliWarning)  # no warning at the default N
        res = sobol_indices(ishigami(x, a=7.0, b=0.1), k=3, n_boot=1000, rng=7)
    assert res.warnings == []
    assert np.all(np.abs(res.S1 - s1_true) < 0.05), res.table()
    assert np.all(np.abs(res.ST - st_true) < 0.05), res.table()
    assert np.all(np.abs(res.S1 - s1_true) <= 3 * res.S1_se), res.table()
    assert np.all(np.abs(res.ST - st_true) <= 3 * res.ST_se), res.table()
    assert np.all(res.S1_ci[:, 0] <= s1_true) and np.all(s1_true <= res.S1_ci[:, 1]), res.table()
    assert np.all(res.ST_ci[:, 0] <= st_true) and np.all(st_true <= res.ST_ci[:, 1]), res.table()


def test_small_n_is_refused_and_noisy_indices_warn():
    x = saltelli_sample(32, [(-np.pi, np.pi)] * 3, rng=1, sampler="random")
    with pytest.raises(ValueError, match=f"N = 32 base rows is too few.*at least {MIN_SALTELLI_N}"):
        sobol_indices(ishigami(x), k=3)
    with pytest.raises(ValueError, match="too few"):
        saltelli_sample(32, [(-np.pi, np.pi)] * 3, rng=1)
    with pytest.raises(ValueError, match="power of two"):
        saltelli_sample(100, [(-np.pi, np.pi)] * 3, rng=1)
    # Accepted when asked, with a warning per interval too wide to read.
    with pytest.warns(SaltelliWarning, match="wider than 0.2; use a larger N"):
        res = sobol_indices(ishigami(x), k=3, n_boot=300, rng=1, allow_small=True)
    assert any("wider than" in w for w in res.warnings)
    # An outcome that is mostly noise (as seed noise in a sweep with one
    # replicate): S1 far above ST, flagged beyond the interval of ST - S1.
    x = saltelli_sample(64, [(0, 1)] * 2, rng=3)
    noise = np.random.default_rng(5).normal(size=len(x))
    y = np.concatenate([np.full(64, 0.0), np.full(64, 0.0), np.zeros(128)]) + x[:, 0] + 0.3 * noise
    y[64:128] += 3.0 * x[64:128, 0]  # B rows carry a spurious extra effect: S1 estimate inflated
    with pytest.warns(SaltelliWarning):
        res = sobol_indices(y, k=2, n_boot=500, rng=2)
    flagged = [w for w in res.warnings if "S1 =" in w and "> ST" in w]
    assert flagged, res.table()


@pytest.mark.filterwarnings("ignore::analysis.sobol.SaltelliWarning")
def test_bootstrap_intervals_cover_at_their_level():
    """Independent rows (sampler="random"): the 90 % BCa intervals of an additive model,
    S1 = ST = a_i^2 / sum a^2, cover the truth about 90 % of the time."""
    a = np.array([1.0, 2.0, 3.0])
    truth = a ** 2 / np.sum(a ** 2)
    covered, total = 0, 0
    for rep in range(60):
        x = saltelli_sample(128, [(0, 1)] * 3, rng=1000 + rep, sampler="random")
        res = sobol_indices(x @ a, k=3, n_boot=400, conf=0.9, rng=rep, max_ci_width=1.0)
        for ci in (res.S1_ci, res.ST_ci):
            covered += int(np.sum((ci[:, 0] <= truth) & (truth <= ci[:, 1])))
            total += 3
    coverage = covered / total
    print(f"coverage {coverage:.3f}")
    assert 0.82 <= coverage <= 0.97, coverage
