"""Sobol estimators against the analytic indices of the Ishigami function."""

import numpy as np

from analysis.sobol import ishigami, ishigami_indices, saltelli_sample, sobol_indices


def test_saltelli_matrices_swap_one_column():
    x = saltelli_sample(50, [(0, 1), (10, 20), (-1, 1)], rng=0)
    assert x.shape == (50 * 5, 3)
    a, b = x[:50], x[50:100]
    for i in range(3):
        ab = x[100 + 50 * i: 150 + 50 * i]
        np.testing.assert_array_equal(ab[:, i], b[:, i])
        np.testing.assert_array_equal(np.delete(ab, i, axis=1), np.delete(a, i, axis=1))
    assert np.all((x[:, 1] >= 10) & (x[:, 1] <= 20))


def test_ishigami_indices_within_bootstrap_error():
    s1_true, st_true = ishigami_indices(a=7.0, b=0.1)
    np.testing.assert_allclose(s1_true, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(st_true, [0.5576, 0.4424, 0.2437], atol=1e-4)
    x = saltelli_sample(2 ** 14, [(-np.pi, np.pi)] * 3, rng=20240601)
    res = sobol_indices(ishigami(x, a=7.0, b=0.1), k=3, n_boot=500, rng=7)
    # Within three bootstrap standard errors, and the errors small enough to mean something.
    assert np.all(np.abs(res.S1 - s1_true) <= 3 * res.S1_se), res.table()
    assert np.all(np.abs(res.ST - st_true) <= 3 * res.ST_se), res.table()
    assert np.all(res.S1_se < 0.02) and np.all(res.ST_se < 0.02), res.table()
    assert np.all(res.S1_ci[:, 0] <= res.S1) and np.all(res.S1 <= res.S1_ci[:, 1])
    assert np.all(res.ST_ci[:, 0] <= res.ST) and np.all(res.ST <= res.ST_ci[:, 1])
