"""Fixtures for the analysis tests: one real run of the engine per test session.

The engine is $MISSIONSIM_CLI (ctest sets it to the built `missionsim`); the
tests fail, never skip, when it is not set.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "scenarios" / "tiny.toml"


def missionsim_cli() -> str:
    cli = os.environ.get("MISSIONSIM_CLI")
    if not cli:
        pytest.fail("MISSIONSIM_CLI is not set: point it at the built missionsim binary "
                    "(ctest sets it), e.g. MISSIONSIM_CLI=build/release/missionsim")
    if not os.access(cli, os.X_OK):
        pytest.fail(f"MISSIONSIM_CLI={cli} is not an executable file")
    return cli


@pytest.fixture(scope="session")
def run_file(tmp_path_factory) -> Path:
    """A complete trajectory written by the engine for scenarios/tiny.toml."""
    out = tmp_path_factory.mktemp("run") / "tiny.h5"
    cmd = [missionsim_cli(), "run", str(SCENARIO), "-o", str(out), "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=600)
    if proc.returncode != 0 or not out.exists():
        pytest.fail(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return out


def copy_with(src: Path, dst: Path, edit=None, reseal=False) -> Path:
    """Copy a trajectory file and apply ``edit(h5py.File)`` to the copy.

    ``reseal``: then store the content digest of the edited file, as if the
    writer had written it so (a file of another shape, not a damaged one).
    """
    shutil.copyfile(src, dst)
    if edit is not None:
        with h5py.File(dst, "r+") as f:
            edit(f)
            if reseal:
                _reseal(f)
    return dst


def _reseal(f):
    """Rewrite /content_digests and content_sha256 as TrajectoryWriter::finish() does."""
    import hashlib

    from analysis.readers import DIGEST_ATTR, OBJECT_DIGESTS, _content_digest, _content_digest_by_object

    name = OBJECT_DIGESTS.lstrip("/")
    if name in f:
        del f[name]
    lines = [f"{h} {p}" for p, h in _content_digest_by_object(f)[1]]
    lines.append(hashlib.sha256("\n".join(lines).encode()).hexdigest() + " " + OBJECT_DIGESTS)
    d = f.create_dataset(name, data=np.array(lines, dtype=object), dtype=h5py.string_dtype(),
                         track_times=False)
    d.attrs.create("units", "", dtype=h5py.string_dtype())
    d.attrs.create("long_name", "SHA-256 of each object's record of the content digest, and its path "
                   "(docs/OUTPUT.md)", dtype=h5py.string_dtype())
    f.attrs.modify(DIGEST_ATTR, _content_digest(f))


def truncated_copy(src: Path, dst: Path) -> Path:
    """Copy the first half of the bytes of ``src``: a damaged file."""
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def plot_run_cmd(*args) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "analysis.plot_run", *map(str, args)],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=600)


SWEEPS = REPO / "scenarios" / "sweeps"


def run_sweep(sweep_file: Path, out: Path, *extra: str) -> Path:
    """`missionsim sweep run SWEEP -o OUT`, then `sweep collect OUT`: a real collected sweep."""
    cli = missionsim_cli()
    for cmd in ([cli, "sweep", "run", str(sweep_file), "-o", str(out), "-q", *extra],
                [cli, "sweep", "collect", str(out)]):
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=600)
        if proc.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stdout}\n"
                        f"{proc.stderr}")
    assert (out / "sweep.h5").is_file()
    return out


@pytest.fixture(scope="session")
def lhs_sweep(tmp_path_factory) -> Path:
    """scenarios/sweeps/tiny-lhs.toml run and collected (8 runs)."""
    return run_sweep(SWEEPS / "tiny-lhs.toml", tmp_path_factory.mktemp("sweep") / "lhs")


@pytest.fixture(scope="session")
def sobol_sweep(tmp_path_factory) -> Path:
    """scenarios/sweeps/tiny-sobol.toml run and collected (320 runs, a few seconds)."""
    return run_sweep(SWEEPS / "tiny-sobol.toml", tmp_path_factory.mktemp("sweep") / "sobol")


@pytest.fixture(scope="session")
def grid_sweep(tmp_path_factory) -> Path:
    """scenarios/sweeps/tiny-grid.toml (string levels x a range, 4 replicates: 36 runs)."""
    return run_sweep(SWEEPS / "tiny-grid.toml", tmp_path_factory.mktemp("sweep") / "grid")


def plot_sweep_cmd(*args) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "analysis.plot_sweep", *map(str, args)],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=600)


def png_size(path):
    """(width, height) of a PNG from its header."""
    import struct

    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def add_time_resolved(sweep_dir: Path, times, per_time=None, events=None) -> Path:
    """Give a collected sweep the time-resolved outcomes of the agreed schema (docs/SWEEP.md).

    Writes ``/outcomes/time`` = ``times`` (the last must be the final step),
    ``/outcomes_t/{strategy,firm,market}/<x>`` [R, K(, S|F)] and
    ``/outcomes/derived/<name>``, then reseals the content digest. Shares,
    customers and adopters at each time are the run files' values; the other
    quantities are the final value scaled by t / T (the schema, not the
    engine's numbers); row K-1 is the final-step dataset. ``per_time``:
    {name: (expression, function of {outcome: [R, K, S] array} -> [R, K])};
    ``events``: {name: (expression, function of a run Dataset -> float)}.
    """
    from analysis.readers import by_strategy, load_run
    from analysis.sweep import FIRM_OUTCOMES, MARKET_OUTCOMES, STRATEGY_OUTCOMES, load_sweep

    df = load_sweep(sweep_dir)
    times = np.asarray(times, dtype=np.int64)
    strategies = df.attrs["strategies"]
    with h5py.File(sweep_dir / "sweep.h5", "r+") as f:
        n_runs, n_firm = f["outcomes/firm/name"].shape
        for name in ("outcomes/time", "outcomes_t", "outcomes/derived"):  # collect's K = 1 ones
            if name in f:
                del f[name]
        final_t = int(times[-1])
        runs = [load_run(p) for p in df["file"]]
        assert all(int(ds.time.values[-1]) == final_t for ds in runs)
        scale = times.astype(float) / final_t

        def build(group, name, width):
            final = f[f"outcomes/{group}/{name}"][()].astype(float)
            if width is None:
                out = final[:, None] * scale[None, :]
            else:
                out = final[:, None, :] * scale[None, :, None]
            for r, ds in enumerate(runs):
                for k, t in enumerate(times[:-1]):
                    if group == "strategy" and name in ("share", "customers"):
                        da = by_strategy(ds, name).sel(time=t).fillna(0.0)
                        for s_idx, s in enumerate(strategies):
                            out[r, k, s_idx] = float(da.sel(strategy=s)) if s in da.strategy else 0.0
                    elif group == "firm" and name == "share":
                        width_run = ds.sizes["firm"]
                        out[r, k, :width_run] = ds["share"].sel(time=t).values
                    elif group == "market" and name == "adopters_share":
                        pop = float(ds.attrs["scenario"]["customers"]["count"])
                        out[r, k] = float(ds["adopters"].sel(time=t)) / pop
            out[:, -1, ...] = final
            return out

        f.create_dataset("outcomes/time", data=times)
        made = {}
        for name in STRATEGY_OUTCOMES:
            made[name] = build("strategy", name, len(strategies))
            f.create_dataset(f"outcomes_t/strategy/{name}", data=made[name])
        for name in FIRM_OUTCOMES:
            f.create_dataset(f"outcomes_t/firm/{name}", data=build("firm", name, n_firm))
        for name in MARKET_OUTCOMES:
            f.create_dataset(f"outcomes_t/market/{name}", data=build("market", name, None))
        for name, (text, fn) in (per_time or {}).items():
            d = f.create_dataset(f"outcomes/derived/{name}", data=np.asarray(fn(made), dtype=float))
            d.attrs["expression"], d.attrs["kind"] = text, "per_time"
        for name, (text, fn) in (events or {}).items():
            d = f.create_dataset(f"outcomes/derived/{name}",
                                 data=np.array([fn(ds) for ds in runs], dtype=float))
            d.attrs["expression"], d.attrs["kind"] = text, "event"
        derived = list(f["outcomes/derived"].values()) if "outcomes/derived" in f else []
        written = [f[f"outcomes_t/{g}/{n}"] for g in ("strategy", "firm", "market")
                   for n in f[f"outcomes_t/{g}"]]
        for obj in [f["outcomes/time"]] + written + derived:
            obj.attrs.create("units", "", dtype=h5py.string_dtype())
            obj.attrs.create("long_name", "test fixture", dtype=h5py.string_dtype())
        _reseal(f)
    return sweep_dir
