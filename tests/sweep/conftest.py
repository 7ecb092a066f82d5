"""Fixtures for the sweep tests: the binary, sweep files, run-file comparison.

ctest sets MISSIONSIM_CLI; by hand:
    MISSIONSIM_CLI=build/release/missionsim /usr/bin/python3 -m pytest tests/sweep
"""

import os
import pathlib
import subprocess

import h5py
import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


class Cli:
    def __init__(self, path):
        self.path = path

    def __call__(self, *args, timeout=120, cwd=None):
        return subprocess.run([self.path, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                              cwd=cwd)

    def popen(self, *args, **kwargs):
        return subprocess.Popen([self.path, *map(str, args)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, **kwargs)


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("MISSIONSIM_CLI")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("MISSIONSIM_CLI must name the missionsim binary")
    return Cli(os.path.abspath(path))


SMALL_SWEEP = """
[sweep]
name = "small"
base = "{base}"
design = "lhs"
samples = 4
replicates = 2
seed = 99
set = ["run.steps={steps}", "customers.count=150"]

[[parameters]]
key = "choice.churn_base"
range = [0.005, 0.05]
scale = "log-uniform"

[[parameters]]
key = "economics.bankrupt_after"
range = [2, 9]
scale = "integer"
"""


def write_sweep(tmp_path, steps=6, name="small.toml"):
    path = tmp_path / name
    path.write_text(SMALL_SWEEP.format(base=REPO / "scenarios" / "tiny.toml", steps=steps))
    return path


def datasets(path):
    """Every dataset of an HDF5 file and the root attributes but created_utc."""
    out = {}
    with h5py.File(path, "r") as f:
        attrs = {k: f.attrs[k] for k in f.attrs if k != "created_utc"}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]

        f.visititems(visit)
    return out, attrs


def identical_runs(a, b):
    """Same datasets (bit for bit, NaN where NaN) and attributes, created_utc aside."""
    da, aa = datasets(a)
    db, ab = datasets(b)
    if sorted(da) != sorted(db) or sorted(aa) != sorted(ab):
        return False
    for k in da:
        x, y = np.asarray(da[k]), np.asarray(db[k])
        if x.shape != y.shape or x.dtype != y.dtype:
            return False
        if x.dtype.kind == "f":
            if not np.array_equal(x.view(np.uint64 if x.itemsize == 8 else np.uint32),
                                  y.view(np.uint64 if y.itemsize == 8 else np.uint32)):
                return False
        elif not np.array_equal(x, y):
            return False
    for k in aa:
        if not np.array_equal(np.asarray(aa[k]), np.asarray(ab[k])):
            return False
    return True


def run_files(d):
    return sorted(p.name for p in (d / "runs").iterdir())
