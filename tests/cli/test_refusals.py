"""Requests the tool refuses up front, before it writes or allocates anything.

An output that is one of the inputs, a FIFO or device as input, a request larger
than the machine, names that collide, and `validate` agreeing with `run`.
"""

import os
import shutil
import stat

import pytest

from testlib import write_grid_sweep

REFUSED = 2  # bad usage or bad input


def copy_tiny(tiny_scenario, tmp_path, name="s.toml"):
    path = tmp_path / name
    shutil.copyfile(tiny_scenario, path)
    return path


def assert_refused(proc, *fragments):
    assert proc.returncode == REFUSED, (proc.returncode, proc.stderr)
    assert proc.stderr.startswith("missionsim: error: "), proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr  # one line
    for f in fragments:
        assert f in proc.stderr, (f, proc.stderr)


# ------------------------------------------------------- item 4: outputs that are inputs


@pytest.mark.parametrize("how", ["same", "dot-slash", "symlink", "hardlink", "partial"])
def test_run_refuses_an_output_that_is_its_scenario(cli, tiny_scenario, tmp_path, how):
    scenario = copy_tiny(tiny_scenario, tmp_path)
    before = scenario.read_bytes()
    out = {"same": scenario, "dot-slash": "./s.toml"}.get(how)
    if how == "symlink":
        (tmp_path / "link.h5").symlink_to(scenario)
        out = tmp_path / "link.h5"
    elif how == "hardlink":
        os.link(scenario, tmp_path / "hard.h5")
        out = tmp_path / "hard.h5"
    elif how == "partial":  # the run writes OUT.partial first
        scenario = scenario.rename(tmp_path / "o.h5.partial")
        out = tmp_path / "o.h5"
    proc = cli("run", scenario, "-o", out, "-q", cwd=tmp_path)
    assert_refused(proc, "is the input", "choose another output path")
    assert scenario.read_bytes() == before


def test_run_says_when_it_replaces_an_existing_output(cli, tiny_scenario, tmp_path):
    out = tmp_path / "o.h5"
    first = cli("run", tiny_scenario, "-o", out, "-q", "--set", "run.steps=2")
    assert first.returncode == 0 and first.stderr == ""
    again = cli("run", tiny_scenario, "-o", out, "-q", "--set", "run.steps=2")
    assert again.returncode == 0, again.stderr
    assert f"'{out}' exists; this run replaces it" in again.stderr


def test_sweep_refuses_outputs_over_its_inputs(cli, tiny_scenario, tmp_path):
    base = copy_tiny(tiny_scenario, tmp_path, "base.toml")
    sweep = write_grid_sweep(tmp_path / "sweep.toml", "g", base)
    texts = base.read_bytes(), sweep.read_bytes()
    assert_refused(cli("sweep", "plan", sweep, "--csv", sweep), "is the input")
    assert_refused(cli("sweep", "plan", sweep, "--csv", base), "is the input")
    # A sweep file kept as DIR/manifest.toml, or an inline-base sweep kept as DIR/base.toml.
    d = tmp_path / "d"
    d.mkdir()
    shutil.copyfile(sweep, d / "manifest.toml")
    assert_refused(cli("sweep", "run", d / "manifest.toml", "-o", d, "-q"), "is the input")
    shutil.copyfile(sweep, d / "base.toml")
    assert_refused(cli("sweep", "run", d / "base.toml", "-o", d, "-q"), "is the input")
    assert_refused(cli("sweep", "slurm", sweep, "-o", sweep), "is the input")
    assert (base.read_bytes(), sweep.read_bytes()) == texts
    assert not (d / "runs").exists()


# ------------------------------------------------------- item 8: FIFOs, devices, size cap


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def test_fifo_as_scenario_or_sweep_file_is_refused_at_once(cli, fifo):
    # Before the fix these blocked forever waiting for a writer (the timeout fails the test).
    for args in (["run", fifo, "-q"], ["validate", fifo], ["sweep", "plan", fifo], ["sweep", "run", fifo, "-o", "d"]):
        proc = cli(*args, timeout=20)
        assert_refused(proc, f"'{fifo}': not a regular file (a FIFO)")


def test_device_as_sweep_file_or_base_is_refused(cli, tmp_path):
    assert stat.S_ISCHR(os.stat("/dev/zero").st_mode)
    proc = cli("sweep", "plan", "/dev/zero", timeout=20)
    assert_refused(proc, "cannot read sweep file '/dev/zero': not a regular file (a character device)")
    sweep = write_grid_sweep(tmp_path / "s.toml", "z", "/dev/zero")
    proc = cli("sweep", "plan", sweep, timeout=20)
    assert_refused(proc, "key 'sweep.base': cannot read scenario '/dev/zero': not a regular file")
    proc = cli("run", "/dev/zero", "-q", timeout=20)
    assert_refused(proc, "not a regular file (a character device)")


def test_oversized_sweep_file_is_refused_as_scenarios_are(cli, tiny_scenario, tmp_path):
    big = tmp_path / "big.toml"
    with open(big, "wb") as f:  # sparse: 65 MiB of zeros cost no disk
        f.truncate(65 << 20)
    for args, what in ((["sweep", "plan", big], "sweep file"), (["run", big, "-q"], "scenario")):
        assert_refused(cli(*args, timeout=60), f"cannot read {what} '{big}': larger than 64 MiB")
