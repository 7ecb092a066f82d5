"""Fixtures for the sweep tests: the binary, sweep files, run-file comparison.

ctest sets MISSIONSIM_CLI; by hand:
    MISSIONSIM_CLI=build/release/missionsim PYTHONPATH=.:tests /usr/bin/python3 -m pytest tests/sweep
"""

import pathlib
import subprocess

import pytest

from testlib import Cli, cli_path, h5_differences

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli():
    return Cli(cli_path(), timeout=120, popen_output=subprocess.DEVNULL)


# Two ranged parameters of the tiny scenario: a log-uniform rate and an integer.
TWO_RANGES = """
[[parameters]]
key = "choice.churn_base"
range = [0.005, 0.05]
scale = "log-uniform"

[[parameters]]
key = "economics.bankrupt_after"
range = [2, 9]
scale = "integer"
"""

SMALL_SWEEP = """
[sweep]
name = "small"
base = "{base}"
design = "random"
samples = 4
replicates = 2
seed = 99
set = ["run.steps={steps}", "customers.count=150"]
""" + TWO_RANGES


def write_sweep(tmp_path, steps=6, name="small.toml"):
    path = tmp_path / name
    path.write_text(SMALL_SWEEP.format(base=REPO / "scenarios" / "tiny.toml", steps=steps))
    return path


def identical_runs(a, b):
    """Same datasets (bit for bit, NaN where NaN) and attributes, created_utc aside."""
    return not h5_differences(a, b)


def run_files(d):
    return sorted(p.name for p in (d / "runs").iterdir())
