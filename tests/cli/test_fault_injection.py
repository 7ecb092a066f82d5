"""`missionsim run` killed (SIGKILL) at many points (docs/OUTPUT.md, "Guarantees").

MISSIONSIM_FAULT_AT=<point> is the writer's test hook (sim/output/fault.hpp):
the process kills itself there, inside a row's writes, after a row, before
the complete flag, before the close, between the close and the rename, and
after it. Kills at random times add points inside HDF5 calls. Whatever the
point, no file claims to be complete that is not, a complete file is
identical to an uninterrupted run, and what an interrupted file holds is a
prefix of the uninterrupted run.
"""

import os
import random
import signal
import subprocess
import time

import numpy as np
import pytest

from analysis.readers import TrajectoryError, load_run
from testlib import h5_differences

# tiny.toml has 24 steps: rows 0..24; flush every 10 rows.
POINTS = ["after-create", "row-0", "after-row-0", "row-7", "after-row-9", "row-10", "after-row-19",
          "row-24", "after-row-24", "before-complete", "before-close", "before-rename", "after-rename"]


def _check_prefix(ds, reference):
    """Every variable of an interrupted run equals the uninterrupted run's first rows."""
    n = ds.sizes["time"]
    assert n <= reference.sizes["time"]
    for name, var in ds.data_vars.items():
        a = np.asarray(var.values)
        b = np.asarray(reference[name].values)
        if var.dims and var.dims[0] == "time":  # static variables (e.g. segment_population) whole
            b = b[:n]
        assert a.shape == b.shape, name
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), name


def _check_outcome(out, reference_path, reference, completed):
    partial = out.with_name(out.name + ".partial")
    if completed:
        assert out.exists() and not partial.exists()
        assert h5_differences(out, reference_path) == []
        load_run(out)
        return
    # Nothing under the final name that a reader takes for this run.
    if out.exists():
        with pytest.raises(TrajectoryError, match="earlier run"):
            load_run(out)
    if partial.exists():
        with pytest.raises(TrajectoryError):
            load_run(partial)  # never complete under a .partial name
        try:
            ds = load_run(partial, allow_incomplete=True)
        except TrajectoryError:
            pass  # killed before anything readable reached the disk
        else:
            assert ds.attrs["complete"] == 0
            _check_prefix(ds, reference)


@pytest.fixture(scope="module")
def reference(cli, tiny_scenario, tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "ref.h5"
    assert cli("run", tiny_scenario, "-o", path, "-q").returncode == 0
    return path, load_run(path)


@pytest.mark.parametrize("rerun", [False, True], ids=["fresh", "rerun"])
def test_kill_at_each_point(cli, tiny_scenario, tmp_path, reference, rerun):
    ref_path, ref = reference
    for point in POINTS:
        out = tmp_path / point / "run.h5"
        out.parent.mkdir()
        if rerun:  # an earlier complete run of the same path (another seed: different numbers)
            assert cli("run", tiny_scenario, "-o", out, "--seed", "99", "-q").returncode == 0
        env = dict(os.environ, MISSIONSIM_FAULT_AT=point)
        proc = subprocess.run([cli.path, "run", str(tiny_scenario), "-o", str(out), "-q"], env=env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == -signal.SIGKILL, (point, proc.returncode, proc.stderr)
        _check_outcome(out, ref_path, ref, completed=point == "after-rename")


def test_kill_at_random_times(cli, tiny_scenario, tmp_path):
    """SIGKILL from outside, at random moments of a longer run (inside HDF5 calls too)."""
    args = ["--set", "run.steps=400", "--set", "customers.count=20000", "--threads", "1", "-q"]
    ref_path = tmp_path / "ref.h5"
    t0 = time.monotonic()
    assert cli("run", tiny_scenario, "-o", ref_path, *args).returncode == 0
    duration = time.monotonic() - t0
    ref = load_run(ref_path)
    rng = random.Random(20261129)
    for k in range(6):
        out = tmp_path / f"kill{k}" / "run.h5"
        out.parent.mkdir()
        proc = subprocess.Popen([cli.path, "run", str(tiny_scenario), "-o", str(out), *args],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 1.1) * duration)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        # One of the moments (1.06 of the reference's duration) can fall after the rename and before the
        # process exits: then the run was published, and its file must be the complete one (no earlier file
        # was at `out` here).
        published = out.exists() and not out.with_name(out.name + ".partial").exists()
        _check_outcome(out, ref_path, ref, completed=proc.returncode == 0 or published)
