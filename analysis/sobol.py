"""Variance-based sensitivity: Saltelli sampling and Sobol indices (numpy only).

Design (Saltelli 2002; Saltelli et al. 2010, "Variance based sensitivity
analysis of model output", Comput. Phys. Commun. 181:259):
two independent N x k base matrices A and B, and for each input i the matrix
AB_i, which is A with column i taken from B. The model is run on the
N (k + 2) rows of ``[A; B; AB_1; ...; AB_k]`` (``saltelli_sample``).

Estimators (``sobol_indices``), with f_A, f_B, f_ABi the outputs and V the
variance of [f_A, f_B]:

- first order, Saltelli et al. 2010 (their Table 2, b):
  S_i  = mean(f_B (f_ABi - f_A)) / V
- total order, Jansen 1999 (Saltelli et al. 2010, Table 2, f):
  ST_i = mean((f_A - f_ABi)^2) / (2 V)

Confidence intervals: the N row-triples (A, B, AB_i) are resampled with
replacement ``n_boot`` times and the estimators recomputed; the interval is
the percentile interval at level ``conf``, and ``*_se`` the bootstrap standard
deviation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def saltelli_sample(n: int, bounds, rng=None) -> np.ndarray:
    """Rows ``[A; B; AB_1; ...; AB_k]`` of shape (n (k + 2), k), inputs uniform in ``bounds``.

    ``bounds`` is a sequence of k (low, high) pairs; ``rng`` a seed or
    ``numpy.random.Generator``.
    """
    bounds = np.asarray(bounds, dtype=float)
    if bounds.ndim != 2 or bounds.shape[1] != 2 or np.any(bounds[:, 1] < bounds[:, 0]):
        raise ValueError("bounds must be a sequence of (low, high) pairs with low <= high")
    if n < 2:
        raise ValueError("n must be at least 2")
    rng = np.random.default_rng(rng)
    k = bounds.shape[0]
    unit = rng.random((n, 2 * k))
    a, b = unit[:, :k], unit[:, k:]
    blocks = [a, b]
    for i in range(k):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    x = np.vstack(blocks)
    return bounds[:, 0] + x * (bounds[:, 1] - bounds[:, 0])


def split_outputs(y, k: int):
    """Split outputs of ``saltelli_sample`` rows into f_A [N], f_B [N], f_AB [N, k]."""
    y = np.asarray(y, dtype=float).reshape(-1)
    if y.size % (k + 2):
        raise ValueError(f"{y.size} outputs is not a multiple of k + 2 = {k + 2}")
    n = y.size // (k + 2)
    return y[:n], y[n:2 * n], y[2 * n:].reshape(k, n).T


def _estimate(f_a, f_b, f_ab):
    var = np.var(np.concatenate([f_a, f_b], axis=-1), axis=-1, ddof=1)[..., None]
    first = np.mean(f_b[..., None] * (f_ab - f_a[..., None]), axis=-2) / var
    total = 0.5 * np.mean((f_a[..., None] - f_ab) ** 2, axis=-2) / var
    return first, total


@dataclass
class SobolResult:
    """First- and total-order indices [k] with bootstrap intervals [k, 2] and errors [k]."""

    S1: np.ndarray
    ST: np.ndarray
    S1_ci: np.ndarray
    ST_ci: np.ndarray
    S1_se: np.ndarray
    ST_se: np.ndarray
    conf: float
    n: int
    names: list

    def table(self) -> str:
        """Plain-text table, one input per line."""
        lines = [f"{'input':>12} {'S1':>8} {'S1 CI':>17} {'ST':>8} {'ST CI':>17}"]
        for i, name in enumerate(self.names):
            lines.append(f"{name:>12} {self.S1[i]:8.4f} [{self.S1_ci[i, 0]:7.4f},{self.S1_ci[i, 1]:7.4f}]"
                         f" {self.ST[i]:8.4f} [{self.ST_ci[i, 0]:7.4f},{self.ST_ci[i, 1]:7.4f}]")
        return "\n".join(lines)


def sobol_indices(y, k: int, n_boot: int = 1000, conf: float = 0.95, rng=None,
                  names=None) -> SobolResult:
    """Sobol indices from the outputs ``y`` of the rows of ``saltelli_sample`` (same order)."""
    f_a, f_b, f_ab = split_outputs(y, k)
    n = f_a.size
    if not (np.all(np.isfinite(f_a)) and np.all(np.isfinite(f_b)) and np.all(np.isfinite(f_ab))):
        raise ValueError("outputs contain NaN or infinity")
    first, total = _estimate(f_a, f_b, f_ab)
    rng = np.random.default_rng(rng)
    boot_first = np.empty((n_boot, k))
    boot_total = np.empty((n_boot, k))
    chunk = max(1, int(2e7 // (n * (k + 2))))  # bound memory of the vectorised resamples
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        boot_first[start:stop], boot_total[start:stop] = _estimate(f_a[idx], f_b[idx], f_ab[idx])
    tail = 50.0 * (1.0 - conf)
    pct = [tail, 100.0 - tail]
    return SobolResult(
        S1=first, ST=total,
        S1_ci=np.percentile(boot_first, pct, axis=0).T,
        ST_ci=np.percentile(boot_total, pct, axis=0).T,
        S1_se=boot_first.std(axis=0, ddof=1), ST_se=boot_total.std(axis=0, ddof=1),
        conf=conf, n=n, names=list(names) if names is not None else [f"x{i + 1}" for i in range(k)],
    )


def ishigami(x, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """Ishigami-Homma test function on [-pi, pi]^3."""
    x = np.asarray(x, dtype=float)
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1):
    """Analytic first- and total-order indices of ``ishigami`` (Ishigami & Homma 1990)."""
    pi = np.pi
    v1 = 0.5 * (1 + b * pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v
