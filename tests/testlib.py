"""Helpers shared by the Python integration tests (tests/*/test_*.py).

ctest puts tests/ on PYTHONPATH and sets MISSIONSIM_CLI to the built binary.
"""

import os
import subprocess

import h5py
import numpy as np
import pytest


def cli_path():
    """The missionsim binary named by MISSIONSIM_CLI, or a failed test saying how to set it."""
    path = os.environ.get("MISSIONSIM_CLI")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"MISSIONSIM_CLI={path!r} is not an executable: run through ctest, or export the path of the "
                    "missionsim binary", pytrace=False)
    return os.path.abspath(path)


class Cli:
    """Runs the missionsim binary; returns the CompletedProcess (text mode)."""

    def __init__(self, path, timeout=300, popen_output=subprocess.PIPE):
        self.path = path
        self.timeout = timeout
        self.popen_output = popen_output

    def __call__(self, *args, timeout=None, cwd=None):
        return subprocess.run([self.path, *map(str, args)], capture_output=True, text=True,
                              timeout=timeout or self.timeout, cwd=cwd, stdin=subprocess.DEVNULL)

    def popen(self, *args, **kwargs):
        kwargs.setdefault("stdout", self.popen_output)
        kwargs.setdefault("stderr", self.popen_output)
        return subprocess.Popen([self.path, *map(str, args)], text=True, **kwargs)


def read_h5(path):
    """Every dataset of an HDF5 file as a numpy array (by path) and the root attributes."""
    datasets = {}
    with h5py.File(path, "r") as f:
        attrs = {k: f.attrs[k] for k in f.attrs}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                datasets[name] = obj[()]

        f.visititems(visit)
    return datasets, attrs


def _bits(value):
    """What 'bit for bit' compares: dtype, shape and raw bytes (strings by value)."""
    a = np.asarray(value)
    return a.dtype.str, a.shape, repr(a.tolist()) if a.dtype.kind == "O" else a.tobytes()


def h5_differences(a, b, ignore=("created_utc", "content_sha256", "content_digests")):
    """Datasets and root attributes that differ between two HDF5 files, bit for bit; [] if none.

    By default created_utc is ignored, and with it the digests that cover it:
    the content_sha256 attribute and the content_digests dataset (named in `ignore`).
    """
    da, aa = read_h5(a)
    db, ab = read_h5(b)
    for name in ignore:
        da.pop(name, None), db.pop(name, None)
    diff = [f"dataset {k} only in one file" for k in sorted(set(da) ^ set(db))]
    diff += [f"dataset {k}" for k in sorted(set(da) & set(db)) if _bits(da[k]) != _bits(db[k])]
    keys = (set(aa) | set(ab)) - set(ignore)
    diff += [f"attribute {k}" for k in sorted(keys) if k not in aa or k not in ab or _bits(aa[k]) != _bits(ab[k])]
    return diff


# 2 network kinds x 3 churn rates x 2 replicates = 12 runs of the tiny
# scenario: a string and a number level, more runs than workers.
GRID_SWEEP_RUNS = 12
GRID_SWEEP = """\
[sweep]
name = "{name}"
base = "{base}"
design = "grid"
replicates = 2
seed = 20261128
set = [{set}]

[[parameters]]
key = "network.kind"
levels = ["watts-strogatz", "erdos-renyi"]

[[parameters]]
key = "choice.churn_base"
levels = [0.01, 0.02, 0.04]
"""


def write_grid_sweep(path, name, base, overrides=()):
    """Writes the 12-run grid sweep over `base` to `path` and returns the path."""
    path.write_text(GRID_SWEEP.format(name=name, base=base, set=", ".join(f'"{o}"' for o in overrides)))
    return path
