"""Fixtures for the command-line tests: the binary, the tiny scenario, readers.

ctest sets MISSIONSIM_CLI to the missionsim binary; to run by hand:
    MISSIONSIM_CLI=build/release/missionsim /usr/bin/python3 -m pytest tests/cli
"""

import hashlib
import os
import pathlib
import subprocess
import tomllib

import h5py
import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


class Cli:
    """Runs the missionsim binary and returns the CompletedProcess (text mode)."""

    def __init__(self, path):
        self.path = path

    def __call__(self, *args, timeout=300, cwd=None):
        return subprocess.run([self.path, *map(str, args)], capture_output=True, text=True,
                              timeout=timeout, cwd=cwd)

    def popen(self, *args, **kwargs):
        return subprocess.Popen([self.path, *map(str, args)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("MISSIONSIM_CLI")
    if not path:
        pytest.fail("MISSIONSIM_CLI is not set: run through ctest, or export the path of the missionsim binary")
    if not os.access(path, os.X_OK):
        pytest.fail(f"MISSIONSIM_CLI={path} is not an executable")
    return Cli(os.path.abspath(path))


@pytest.fixture(scope="session")
def tiny_scenario():
    return REPO / "scenarios" / "tiny.toml"


@pytest.fixture(scope="session")
def tiny_run(cli, tiny_scenario, tmp_path_factory):
    """One run of the tiny scenario shared by the read-only checks: (path, CompletedProcess)."""
    out = tmp_path_factory.mktemp("tiny") / "tiny.h5"
    proc = cli("run", tiny_scenario, "-o", out)
    assert proc.returncode == 0, proc.stderr
    return out, proc


def text(value):
    if isinstance(value, np.ndarray):
        value = value.reshape(-1)[0]
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def read_trajectory(path):
    """Every dataset as a numpy array (by HDF5 path) and the root attributes."""
    datasets = {}
    with h5py.File(path, "r") as f:
        attrs = {k: f.attrs[k] for k in f.attrs}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                datasets[name] = obj[()]

        f.visititems(visit)
    return datasets, attrs


def resolved_scenario(datasets):
    return tomllib.loads(text(datasets["scenario"]))


def sha256_hex(s):
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def arrays_identical(a, b):
    """Same shape, dtype and values, NaN in the same places."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":
        return np.array_equal(a, b, equal_nan=True)
    return np.array_equal(a, b)
