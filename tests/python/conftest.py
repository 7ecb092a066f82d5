"""Fixtures for the Python API tests: the built module, the CLI, the tiny scenario.

ctest puts python/ and the build's python/ directory (where _missionsim is
built) on PYTHONPATH; to run by hand from the repository root:
    MISSIONSIM_CLI=build/release/missionsim PYTHONPATH=.:tests:python:build/release/python \\
        /usr/bin/python3 -m pytest tests/python
"""

import pathlib

import pytest

from testlib import Cli, cli_path

REPO = pathlib.Path(__file__).resolve().parents[2]
TINY = REPO / "scenarios" / "tiny.toml"


@pytest.fixture(scope="session")
def cli():
    return Cli(cli_path())


@pytest.fixture(scope="session")
def tiny():
    return TINY
