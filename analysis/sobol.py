"""Variance-based sensitivity: Saltelli sampling and Sobol indices.

Design (Saltelli 2002; Saltelli et al. 2010, "Variance based sensitivity
analysis of model output", Comput. Phys. Commun. 181:259):
two N x k base matrices A and B, and for each input i the matrix AB_i,
which is A with column i taken from B. The model is run on the N (k + 2)
rows of ``[A; B; AB_1; ...; AB_k]`` (``saltelli_sample``). A and B are the
two halves of one scrambled Sobol' sequence of dimension 2k
(``analysis.design.saltelli_points``, scipy.stats.qmc; N a power of two, at
least ``MIN_SALTELLI_N``), or with ``sampler="random"`` independent
uniforms.

Estimators (``sobol_indices``), with f_A, f_B, f_ABi the outputs and V the
variance of [f_A, f_B]:

- first order, Saltelli et al. 2010 (their Table 2, b):
  S_i  = mean(f_B (f_ABi - f_A)) / V
- total order, Jansen 1999 (Saltelli et al. 2010, Table 2, f):
  ST_i = mean((f_A - f_ABi)^2) / (2 V)

Confidence intervals: the N rows are resampled jointly (row j of A, B and
every AB_i together, so each resample is again a Saltelli design) with
``scipy.stats.bootstrap``, BCa by default (``ci_method="percentile"`` or
``"basic"`` also), and the estimators recomputed; ``*_se`` is the bootstrap
standard deviation. The bootstrap treats rows as independent: exact for
``sampler="random"`` (checked for coverage in tests/analysis/test_sobol.py),
conservative for Sobol' points, whose error is smaller than that of
independent rows.

Small N is refused (``N < MIN_SALTELLI_N`` unless ``allow_small``) and the
result warns (``SaltelliWarning``, also kept in ``SobolResult.warnings``)
when an interval is wider than ``max_ci_width`` or when S1 exceeds ST beyond
the interval of ST - S1 (impossible for true indices: N too small, or noise
in the outcome).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from .design import MIN_SALTELLI_N, saltelli_points


class SaltelliWarning(UserWarning):
    """Sobol' indices too uncertain to read: widen N (docs/SWEEP.md, "Designs")."""


def saltelli_sample(n: int, bounds, rng=None, sampler: str = "sobol",
                    allow_small: bool = False) -> np.ndarray:
    """Rows ``[A; B; AB_1; ...; AB_k]`` of shape (n (k + 2), k), inputs uniform in ``bounds``.

    ``bounds`` is a sequence of k (low, high) pairs. ``sampler="sobol"``
    (default): A and B from scrambled Sobol' points, n a power of two and at
    least ``MIN_SALTELLI_N`` (unless ``allow_small``), ``rng`` an integer
    seed; ``"random"``: independent uniforms, ``rng`` a seed or
    ``numpy.random.Generator``.
    """
    bounds = np.asarray(bounds, dtype=float)
    if bounds.ndim != 2 or bounds.shape[1] != 2 or np.any(bounds[:, 1] < bounds[:, 0]):
        raise ValueError("bounds must be a sequence of (low, high) pairs with low <= high")
    if n < 2:
        raise ValueError("n must be at least 2")
    k = bounds.shape[0]
    if sampler == "sobol":
        x, _ = saltelli_points(n, k, 0 if rng is None else int(rng), allow_small=allow_small)
    elif sampler == "random":
        rng = np.random.default_rng(rng)
        unit = rng.random((n, 2 * k))
        a, b = unit[:, :k], unit[:, k:]
        blocks = [a, b]
        for i in range(k):
            ab = a.copy()
            ab[:, i] = b[:, i]
            blocks.append(ab)
        x = np.vstack(blocks)
    else:
        raise ValueError(f"sampler must be 'sobol' or 'random', got {sampler!r}")
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
    diff_ci: np.ndarray = None  # interval of ST - S1 [k, 2]
    ci_method: str = "BCa"
    warnings: list = field(default_factory=list)

    def table(self) -> str:
        """Plain-text table, one input per line."""
        lines = [f"{'input':>12} {'S1':>8} {'S1 CI':>17} {'ST':>8} {'ST CI':>17}"]
        for i, name in enumerate(self.names):
            lines.append(f"{name:>12} {self.S1[i]:8.4f} [{self.S1_ci[i, 0]:7.4f},{self.S1_ci[i, 1]:7.4f}]"
                         f" {self.ST[i]:8.4f} [{self.ST_ci[i, 0]:7.4f},{self.ST_ci[i, 1]:7.4f}]")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def sobol_indices(y, k: int, n_boot: int = 1000, conf: float = 0.95, rng=None, names=None,
                  ci_method: str = "BCa", allow_small: bool = False,
                  max_ci_width: float = 0.2) -> SobolResult:
    """Sobol indices from the outputs ``y`` of the rows of ``saltelli_sample`` (same order).

    Refuses N below ``MIN_SALTELLI_N`` unless ``allow_small``; warns
    (``SaltelliWarning``) when an interval is wider than ``max_ci_width`` or
    S1 > ST beyond the interval of ST - S1.
    """
    f_a, f_b, f_ab = split_outputs(y, k)
    n = f_a.size
    if n < MIN_SALTELLI_N and not allow_small:
        raise ValueError(f"N = {n} base rows is too few for stable Sobol' indices "
                         f"(at least {MIN_SALTELLI_N}; "
                         "docs/SWEEP.md \"Designs\"); pass allow_small=True to compute them anyway")
    if not (np.all(np.isfinite(f_a)) and np.all(np.isfinite(f_b)) and np.all(np.isfinite(f_ab))):
        raise ValueError("outputs contain NaN or infinity")
    first, total = _estimate(f_a, f_b, f_ab)
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(k)]

    def statistic(idx, axis=-1):
        # idx [..., m]: row numbers of a resample; A, B and every AB_i rows move together.
        idx = np.asarray(idx).astype(np.int64)
        s1, st = _estimate(f_a[idx], f_b[idx], f_ab[idx])
        return np.moveaxis(np.concatenate([s1, st, st - s1], axis=-1), -1, 0)

    batch = max(1, int(2e7 // (n * (k + 2))))
    if isinstance(rng, (int, np.integer)) or rng is None:
        rng = np.random.Generator(np.random.Philox(0 if rng is None else int(rng)))
    with np.errstate(invalid="ignore", divide="ignore"):
        res = stats.bootstrap((np.arange(n, dtype=float),), statistic, n_resamples=n_boot, batch=batch,
                              vectorized=True, confidence_level=conf, method=ci_method, random_state=rng)
    lo, hi = res.confidence_interval.low, res.confidence_interval.high
    ci = np.column_stack([lo, hi])
    se = res.standard_error
    out = SobolResult(S1=first, ST=total, S1_ci=ci[:k], ST_ci=ci[k:2 * k], S1_se=se[:k], ST_se=se[k:2 * k],
                      conf=conf, n=n, names=names, diff_ci=ci[2 * k:], ci_method=ci_method)
    for i, name in enumerate(names):
        for what, c in (("S1", out.S1_ci[i]), ("ST", out.ST_ci[i])):
            if not np.all(np.isfinite(c)) or c[1] - c[0] > max_ci_width:
                out.warnings.append(f"{name}: the {conf:.0%} interval of {what} [{c[0]:.3f}, {c[1]:.3f}] is "
                                    f"wider than {max_ci_width}; use a larger N (now {n})")
        if out.diff_ci[i, 1] < 0:
            out.warnings.append(f"{name}: S1 = {first[i]:.3f} > ST = {total[i]:.3f} beyond the {conf:.0%} "
                                f"interval of ST - S1; the indices are not reliable at N = {n}")
    for w in out.warnings:
        warnings.warn(w, SaltelliWarning, stacklevel=2)
    return out


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
