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


def copy_with(src: Path, dst: Path, edit=None) -> Path:
    """Copy a trajectory file and apply ``edit(h5py.File)`` to the copy."""
    shutil.copyfile(src, dst)
    if edit is not None:
        with h5py.File(dst, "r+") as f:
            edit(f)
    return dst


def truncated_copy(src: Path, dst: Path) -> Path:
    """Copy the first half of the bytes of ``src``: a damaged file."""
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def plot_run_cmd(*args) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "analysis.plot_run", *map(str, args)],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
