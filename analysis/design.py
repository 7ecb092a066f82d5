"""Sweep designs from scipy.stats.qmc, written as a points file the C++ sweep reads.

The sweep runner needs no Python: this tool writes the design once, as a
plain CSV of unit-cube coordinates, and the sweep file names it
(``design = "points"``, ``points = "FILE.csv"``, docs/SWEEP.md "Designs").
Each coordinate in [0, 1] is mapped by the engine through its parameter's
range and scale (or onto its levels), exactly as the ``random`` design's
draws are.

    /usr/bin/python3 -m analysis.design METHOD SWEEP.toml [--n N] [--seed S] -o POINTS.csv

Methods:

- ``sobol``: n scrambled Sobol' points (``scipy.stats.qmc.Sobol``,
  Owen scrambling with a digital shift); n a power of two.
- ``lhs``: a Latin hypercube of n points (``scipy.stats.qmc.LatinHypercube``)
  optimised with ``random-cd`` (default), ``lloyd`` or ``none``.
- ``saltelli``: the layout ``[A; B; AB_1; ...; AB_d]`` for first- and
  total-order Sobol' indices (analysis/sobol.py), A and B the two halves of
  one scrambled Sobol' sequence of dimension 2d (Saltelli 2002; Saltelli et
  al. 2010); N a power of two, at least ``MIN_SALTELLI_N``.
- ``morris``: r one-at-a-time trajectories on a p-level grid (Morris 1991),
  optionally the r most spread out of a larger pool (Campolongo et al.
  2007); see analysis/morris.py.

Every draw comes from ``numpy.random.Generator(numpy.random.Philox(seed))``:
the same method, options and seed give the same file, byte for byte.
"""

from __future__ import annotations

import argparse
import io
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy
from scipy.stats import qmc

FORMAT = "missionsim-design 1"
METHODS = ("sobol", "lhs", "saltelli", "morris")
# Saltelli: below this N the indices of a smooth three-input function are
# already off by more than 0.1 (Ishigami at N = 32 gives S1 > 1); the default
# gives bootstrap standard errors near 0.02 on Ishigami (tests/analysis/test_sobol.py).
MIN_SALTELLI_N = 64
DEFAULT_SALTELLI_N = 1024


class DesignError(ValueError):
    """A bad option or points file; the message names what and where."""


def rng_of(seed: int) -> np.random.Generator:
    """The generator of every design draw: Philox, keyed by ``seed``."""
    if not isinstance(seed, (int, np.integer)) or seed < 0 or seed >= 2 ** 63:
        raise DesignError(f"seed must be an integer in [0, 2^63), got {seed!r}")
    return np.random.Generator(np.random.Philox(int(seed)))


def _power_of_two(n: int, what: str) -> int:
    if n < 1 or n & (n - 1):
        lower = 1 << max(0, int(n).bit_length() - 1)
        raise DesignError(f"{what} must be a power of two for Sobol' points (their balance holds only "
                          f"for 2^m points), got {n}; use {lower} or {lower * 2}")
    return int(n).bit_length() - 1


def sobol_points(n: int, d: int, seed: int, scramble: bool = True) -> np.ndarray:
    """n scrambled Sobol' points in [0, 1)^d; n a power of two."""
    m = _power_of_two(n, "n")
    return qmc.Sobol(d, scramble=scramble, seed=rng_of(seed)).random_base2(m)


def lhs_points(n: int, d: int, seed: int, optimization: str | None = "random-cd") -> np.ndarray:
    """A Latin hypercube of n points in [0, 1)^d; optimization ``random-cd``, ``lloyd`` or None."""
    if n < 1:
        raise DesignError(f"n must be at least 1, got {n}")
    if optimization not in (None, "random-cd", "lloyd"):
        raise DesignError(f"optimization must be 'random-cd', 'lloyd' or 'none', got {optimization!r}")
    return qmc.LatinHypercube(d, optimization=optimization, seed=rng_of(seed)).random(n)


def saltelli_points(n: int, d: int, seed: int, allow_small: bool = False):
    """Rows ``[A; B; AB_1; ...; AB_d]`` (n (d + 2) x d) and their block labels.

    A and B are columns 0..d-1 and d..2d-1 of n scrambled Sobol' points of
    dimension 2d. Refuses n below ``MIN_SALTELLI_N`` unless ``allow_small``.
    """
    _power_of_two(n, "N (Saltelli base samples)")
    if n < MIN_SALTELLI_N and not allow_small:
        raise DesignError(f"N = {n} base samples is too few for stable Sobol' indices (at least "
                          f"{MIN_SALTELLI_N}, default {DEFAULT_SALTELLI_N}; docs/SWEEP.md \"Designs\"); "
                          f"pass --allow-small for a smoke test")
    base = sobol_points(n, 2 * d, seed)
    a, b = base[:, :d], base[:, d:]
    blocks = [a, b]
    labels = ["A"] * n + ["B"] * n
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
        labels += [f"AB{i + 1}"] * n
    return np.vstack(blocks), labels


@dataclass
class Points:
    """A points file: parameter keys, unit-cube rows, block labels (or None) and metadata."""

    keys: list
    rows: np.ndarray
    blocks: list | None = None
    meta: dict = field(default_factory=dict)


def _meta_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_points(p: Points) -> str:
    """The CSV text of a points file (docs/SWEEP.md "Points files")."""
    out = io.StringIO()
    out.write(f"# {FORMAT}\n")
    for k, v in p.meta.items():
        out.write(f"# {k} = {_meta_value(v)}\n")
    header = (["block"] if p.blocks is not None else []) + list(p.keys)
    out.write(",".join(header) + "\n")
    for i, row in enumerate(np.asarray(p.rows, dtype=float)):
        cells = ([p.blocks[i]] if p.blocks is not None else []) + [repr(float(x)) for x in row]
        out.write(",".join(cells) + "\n")
    return out.getvalue()


def read_points(path) -> Points:
    """Reads a points file written by ``format_points`` (or by hand, same format)."""
    return parse_points(Path(path).read_text(encoding="utf-8"), str(path))


def parse_points(text: str, source: str = "points") -> Points:
    """A points file's text; errors name ``source`` and the line."""
    meta, keys, rows, blocks = {}, None, [], []
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            body = line[1:].strip()
            if " = " in body:
                k, v = body.split(" = ", 1)
                try:
                    meta[k.strip()] = tomllib.loads(f"v = {v}")["v"]
                except tomllib.TOMLDecodeError:
                    meta[k.strip()] = v
            continue
        if not line.strip():
            continue
        cells = line.split(",")
        if keys is None:
            keys = cells
            continue
        if len(cells) != len(keys):
            raise DesignError(f"{source}:{lineno}: {len(cells)} values, expected {len(keys)}")
        if keys[0] == "block":
            blocks.append(cells[0])
            cells = cells[1:]
        try:
            rows.append([float(c) for c in cells])
        except ValueError as e:
            raise DesignError(f"{source}:{lineno}: {e}") from None
    if keys is None:
        raise DesignError(f"{source}: no header line")
    has_blocks = keys[0] == "block"
    d = len(keys) - has_blocks
    return Points(keys=keys[1:] if has_blocks else keys, rows=np.array(rows, dtype=float).reshape(-1, d),
                  blocks=blocks if has_blocks else None, meta=meta)


def sweep_parameters(path) -> list:
    """The ``[[parameters]] key``s of a sweep file, in order."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except OSError as e:
        raise DesignError(f"cannot read sweep file '{path}': {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise DesignError(f"{path}: invalid TOML: {e}") from None
    params = doc.get("parameters")
    if not isinstance(params, list) or not params:
        raise DesignError(f"{path}: no [[parameters]]; add at least one")
    keys = []
    for i, p in enumerate(params):
        if not isinstance(p, dict) or not isinstance(p.get("key"), str):
            raise DesignError(f"{path}: parameters.{i} has no 'key' string")
        keys.append(p["key"])
    return keys


def make_design(method: str, keys, n=None, seed: int = 0, optimization="random-cd", levels: int = 4,
                candidates=None, allow_small=False, scramble=True) -> Points:
    """The design ``method`` over the parameters ``keys``: a ``Points`` with its provenance."""
    d = len(keys)
    generator = f"scipy {scipy.__version__}, numpy {np.__version__}, Philox"
    meta = {"method": method}
    if method == "sobol":
        n = 256 if n is None else n
        rows, blocks = sobol_points(n, d, seed, scramble=scramble), None
        meta.update(n=n, seed=seed, scramble=scramble, generator="scipy.stats.qmc.Sobol; " + generator)
    elif method == "lhs":
        n = 64 if n is None else n
        rows, blocks = lhs_points(n, d, seed, optimization), None
        meta.update(n=n, seed=seed, optimization=optimization or "none",
                    generator="scipy.stats.qmc.LatinHypercube; " + generator)
    elif method == "saltelli":
        n = DEFAULT_SALTELLI_N if n is None else n
        rows, blocks = saltelli_points(n, d, seed, allow_small=allow_small)
        meta.update(n=n, seed=seed, generator="scipy.stats.qmc.Sobol (dimension 2d, scrambled); " + generator)
    elif method == "morris":
        from .morris import morris_points
        n = 20 if n is None else n
        rows = morris_points(n, d, levels=levels, seed=seed, candidates=candidates)
        blocks = [f"T{t}" for t in range(n) for _ in range(d + 1)]
        meta.update(n=n, seed=seed, levels=levels, trajectories=n,
                    candidates=candidates or n, generator="analysis.morris; " + generator)
    else:
        raise DesignError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    return Points(keys=list(keys), rows=rows, blocks=blocks, meta=meta)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python3 -m analysis.design",
        description="Write a sweep design (unit-cube points) for `design = \"points\"` (docs/SWEEP.md).")
    ap.add_argument("method", choices=METHODS)
    ap.add_argument("sweep", help="sweep file whose [[parameters]] the columns follow")
    ap.add_argument("--n", type=int, default=None,
                    help=f"points (sobol: 256, lhs: 64), base samples N (saltelli: {DEFAULT_SALTELLI_N}), "
                         "trajectories r (morris: 20)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--optimization", default="random-cd", choices=["random-cd", "lloyd", "none"],
                    help="lhs: scipy's optimisation of the hypercube")
    ap.add_argument("--no-scramble", action="store_true", help="sobol: the plain sequence")
    ap.add_argument("--levels", type=int, default=4, help="morris: grid levels p (even)")
    ap.add_argument("--candidates", type=int, default=None,
                    help="morris: pick the n most spread of this many trajectories (Campolongo et al. 2007)")
    ap.add_argument("--allow-small", action="store_true",
                    help=f"saltelli: accept N below {MIN_SALTELLI_N} (smoke tests only)")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args(argv)
    try:
        keys = sweep_parameters(args.sweep)
        pts = make_design(args.method, keys, n=args.n, seed=args.seed,
                          optimization=None if args.optimization == "none" else args.optimization,
                          levels=args.levels, candidates=args.candidates, allow_small=args.allow_small,
                          scramble=not args.no_scramble)
        text = format_points(pts)
        out = Path(args.output)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    except (DesignError, OSError) as e:
        print(f"analysis.design: error: {e}", file=sys.stderr)
        return 2
    print(f"{out}: {len(pts.rows)} points, {len(keys)} parameters ({args.method})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
