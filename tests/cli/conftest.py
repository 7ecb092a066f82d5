"""Fixtures for the command-line tests: the binary, the tiny scenario, readers.

ctest sets MISSIONSIM_CLI to the missionsim binary; to run by hand:
    MISSIONSIM_CLI=build/release/missionsim PYTHONPATH=.:tests /usr/bin/python3 -m pytest tests/cli
"""

import hashlib
import pathlib
import tomllib

import numpy as np
import pytest

from testlib import Cli, cli_path, read_h5

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli():
    return Cli(cli_path())


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


read_trajectory = read_h5  # every dataset by HDF5 path, and the root attributes


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
