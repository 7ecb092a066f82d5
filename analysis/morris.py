"""Morris elementary effects for screening (Morris 1991; Campolongo et al. 2007).

Design (``morris_points``): r trajectories of d + 1 points on the grid
{0, 1/(p-1), ..., 1}^d. Each starts at a random grid point and moves one
input at a time, in a random order, by +-Delta with Delta = p / (2 (p - 1))
(Morris's choice, which makes every level equally likely). With
``candidates = M > r``, M trajectories are drawn and the r most spread out
kept: Campolongo et al. 2007 maximise the sum of squared distances between
the chosen trajectories (their Eq. 3, the distance of two trajectories being
the sum of the Euclidean distances between their points); the exact choice
is combinatorial, so they are chosen greedily here (the farthest pair first,
then the trajectory adding the most).

Measures (``morris_indices``), per input i over its r elementary effects
EE_i = (y(x + Delta_i e_i) - y(x)) / Delta_i on the unit scale:
``mu`` (mean), ``mu_star`` (mean of |EE|, Campolongo et al. 2007: a proxy
for the total-order index), ``sigma`` (standard deviation: interactions or
non-linearity), and a bootstrap interval of mu* over trajectories (BCa,
``scipy.stats.bootstrap``).

    /usr/bin/python3 -m analysis.design morris SWEEP.toml --n 20 --candidates 200 -o points.csv
    ... missionsim sweep run / collect ...
    /usr/bin/python3 -m analysis.morris DIR --outcome market:hhi
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .design import DesignError, rng_of


def _one_trajectory(rng, d: int, levels: int) -> np.ndarray:
    delta = levels / (2 * (levels - 1))
    # Base levels k / (p - 1) <= 1 - Delta: k in 0 .. p/2 - 1.
    base = rng.integers(0, levels // 2, size=d) / (levels - 1)
    up = rng.random(d) < 0.5
    start = np.where(up, base, base + delta)
    order = rng.permutation(d)
    traj = np.empty((d + 1, d))
    traj[0] = start
    x = start.copy()
    for s, i in enumerate(order, 1):
        x[i] += delta if up[i] else -delta
        traj[s] = x
    return traj


def _spread(trajs: np.ndarray) -> np.ndarray:
    """Campolongo's distance between every pair of trajectories [M, M]."""
    m = trajs.shape[0]
    dist = np.zeros((m, m))
    for a in range(m):
        diff = trajs[a][None, :, None, :] - trajs[:, None, :, :]  # [M, d+1, d+1, d]
        dist[a] = np.sqrt((diff ** 2).sum(-1)).sum((1, 2))
    return dist


def morris_points(r: int, d: int, levels: int = 4, seed: int = 0,
                  candidates: int | None = None) -> np.ndarray:
    """r trajectories, stacked: rows t (d + 1) .. t (d + 1) + d are trajectory t ([r (d + 1), d])."""
    if r < 2:
        raise DesignError(f"morris needs at least 2 trajectories, got {r}")
    if levels < 2 or levels % 2:
        raise DesignError(f"morris levels p must be even and at least 2, got {levels}")
    m = r if candidates is None else candidates
    if m < r:
        raise DesignError(f"--candidates ({m}) must be at least the number of trajectories ({r})")
    if m > 2000:
        raise DesignError(f"--candidates above 2000 ({m}) would take long; use fewer")
    rng = rng_of(seed)
    trajs = np.stack([_one_trajectory(rng, d, levels) for _ in range(m)])
    if m > r:
        dist = _spread(trajs) ** 2
        a, b = np.unravel_index(np.argmax(dist), dist.shape)
        chosen = [int(a), int(b)]
        total = dist[a] + dist[b]
        while len(chosen) < r:
            total_masked = total.copy()
            total_masked[chosen] = -np.inf
            nxt = int(np.argmax(total_masked))
            chosen.append(nxt)
            total += dist[nxt]
        trajs = trajs[sorted(chosen)]
    return trajs.reshape(r * (d + 1), d)


@dataclass
class MorrisResult:
    """mu, mu* and sigma per input [d], with a bootstrap interval of mu* [d, 2]."""

    mu: np.ndarray
    mu_star: np.ndarray
    sigma: np.ndarray
    mu_star_ci: np.ndarray
    conf: float
    r: int
    names: list

    def ranking(self) -> list:
        """Input names, most influential (largest mu*) first."""
        return [self.names[i] for i in np.argsort(-self.mu_star, kind="stable")]

    def table(self) -> str:
        lines = [f"{'input':>24} {'mu':>10} {'mu*':>10} {'mu* CI':>23} {'sigma':>10}"]
        for i, name in enumerate(self.names):
            lines.append(f"{name:>24} {self.mu[i]:10.4g} {self.mu_star[i]:10.4g} "
                         f"[{self.mu_star_ci[i, 0]:10.4g},{self.mu_star_ci[i, 1]:10.4g}] "
                         f"{self.sigma[i]:10.4g}")
        return "\n".join(lines)


def elementary_effects(x, y) -> np.ndarray:
    """Elementary effects [r, d] of stacked trajectories ``x`` [r (d + 1), d] with outputs ``y``."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float).reshape(-1)
    if x.ndim != 2 or x.shape[0] != y.size:
        raise ValueError(f"x has shape {x.shape}, y {y.size} values: expected [r (d + 1), d] and r (d + 1)")
    d = x.shape[1]
    if x.shape[0] % (d + 1):
        raise ValueError(f"{x.shape[0]} points is not a multiple of d + 1 = {d + 1} (whole trajectories)")
    if not np.all(np.isfinite(y)):
        raise ValueError("outputs contain NaN or infinity")
    r = x.shape[0] // (d + 1)
    xt, yt = x.reshape(r, d + 1, d), y.reshape(r, d + 1)
    dx = np.diff(xt, axis=1)  # [r, d, d]: step s changes one input
    dy = np.diff(yt, axis=1)  # [r, d]
    moved = np.abs(dx) > 1e-12
    if not np.all(moved.sum(-1) == 1):
        t, s = np.argwhere(moved.sum(-1) != 1)[0]
        raise ValueError(f"trajectory {t}, step {s + 1} changes {moved[t, s].sum()} inputs, not one: "
                         "not a Morris design")
    ee = np.full((r, d), np.nan)
    step_input = moved.argmax(-1)  # [r, d]
    for t in range(r):
        for s in range(d):
            i = step_input[t, s]
            ee[t, i] = dy[t, s] / dx[t, s, i]
    if np.isnan(ee).any():
        raise ValueError("a trajectory does not move every input once: not a Morris design")
    return ee


def morris_indices(x, y, names=None, conf: float = 0.95, n_boot: int = 2000, seed: int = 0) -> MorrisResult:
    """mu, mu*, sigma of each input from a Morris design ``x`` and its outputs ``y``."""
    ee = elementary_effects(x, y)
    r, d = ee.shape
    mu_star = np.abs(ee).mean(0)
    ci = np.full((d, 2), np.nan)
    if r >= 3:
        absee = np.abs(ee)
        # All effects equal (to rounding): BCa is undefined there; the interval is the value.
        constant = np.ptp(absee, axis=0) <= 1e-12 * np.max(absee, axis=0)
        ci[constant] = mu_star[constant, None]
        if not constant.all():
            with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
                warnings.simplefilter("ignore", stats.DegenerateDataWarning)
                res = stats.bootstrap((absee[:, ~constant],), lambda a, axis: a.mean(axis=axis),
                                      vectorized=True, axis=0, confidence_level=conf, n_resamples=n_boot,
                                      method="BCa", random_state=rng_of(seed))
            ci[~constant] = np.column_stack([res.confidence_interval.low, res.confidence_interval.high])
    return MorrisResult(mu=ee.mean(0), mu_star=mu_star, sigma=ee.std(0, ddof=1) if r > 1 else np.zeros(d),
                        mu_star_ci=ci, conf=conf, r=r,
                        names=list(names) if names is not None else [f"x{i + 1}" for i in range(d)])


def sweep_morris(sweep, outcome: str, conf: float = 0.95, seed: int = 0) -> MorrisResult:
    """Morris measures of one outcome column of a collected sweep whose points file is a morris design.

    Outcomes are averaged over the replicates of each design point; the
    unit-cube coordinates come from the points file recorded in sweep.h5.
    """
    import h5py
    from .design import parse_points
    from .sweep import load_sweep

    df = load_sweep(sweep)
    with h5py.File(df.attrs["path"], "r") as f:
        if "design/points" not in f:
            raise DesignError(f"{df.attrs['path']}: no /design/points: the sweep has no points file")
        text = f["design/points"][()]
    text = text.decode() if isinstance(text, bytes) else str(text)
    pts = parse_points(text, f"{df.attrs['path']}:/design/points")
    if pts.meta.get("method") != "morris":
        raise DesignError(f"{df.attrs['path']}: the points file's method is {pts.meta.get('method')!r}, "
                          "not 'morris'")
    if outcome not in df.columns:
        raise DesignError(f"unknown outcome {outcome!r}; one of {', '.join(df.attrs['outcomes'])}")
    y = df.groupby("point")[outcome].mean().reindex(range(len(pts.rows))).to_numpy()
    return morris_indices(pts.rows, y, names=pts.keys, conf=conf, seed=seed)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m analysis.morris",
                                 description="Morris mu*, mu, sigma of a collected sweep "
                                             "(morris points file).")
    ap.add_argument("sweep", help="sweep directory or its sweep.h5")
    ap.add_argument("--outcome", required=True, help="an outcome column, e.g. market:hhi or success:share")
    args = ap.parse_args(argv)
    try:
        res = sweep_morris(args.sweep, args.outcome)
    except (DesignError, ValueError, OSError) as e:
        print(f"analysis.morris: error: {e}", file=sys.stderr)
        return 2
    print(res.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
