"""A full disk (docs/OUTPUT.md, "Guarantees"): exit 1 with the reason, no crash,
nothing that looks complete, and a rerun or --resume that finishes identically
once there is space again.

The disk is a small tmpfs, which needs root (as in CI); otherwise the tests
skip with a message.
"""

import os
import shutil
import subprocess

import pytest

from analysis.readers import TrajectoryError, load_run
from testlib import h5_differences, write_grid_sweep

ENOSPC = "No space left on device (errno 28)"


def _mount(path, size):
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True)


@pytest.fixture
def small_disk(tmp_path):
    """A function resize(size) and the mount point of a tmpfs of that size."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("disk-full tests mount a small tmpfs: run them as root (CI does)")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    proc = _mount(mnt, "64k")
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()}): run the disk-full tests as root")

    def resize(size):
        subprocess.run(["mount", "-o", f"remount,size={size}", str(mnt)], check=True)

    try:
        yield mnt, resize
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _nothing_complete(directory):
    """No file under `directory` that a reader takes for a complete run."""
    for p in directory.rglob("*.h5*"):
        if p.name.endswith(".h5"):
            with pytest.raises(TrajectoryError):
                load_run(p)


# Disk sizes as fractions of the trajectory's size: full while creating the
# file, while writing rows, at the final flush.
@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.6, 0.9])
def test_run_on_a_full_disk_exits_1_with_the_reason(cli, tiny_scenario, small_disk, tmp_path, fraction):
    mnt, resize = small_disk
    reference = tmp_path / "reference.h5"
    assert cli("run", tiny_scenario, "-o", reference, "--quiet").returncode == 0
    resize(f"{max(4, int(reference.stat().st_size * fraction) // 1024)}k")
    out = mnt / "run.h5"
    # Up front, the size estimate refuses a run that cannot fit (exit 2, nothing written) ...
    proc = cli("run", tiny_scenario, "-o", out, "--quiet")
    assert proc.returncode == 2 and "free space" in proc.stderr, (proc.returncode, proc.stderr)
    assert not out.exists() and not (mnt / "run.h5.partial").exists()
    # ... and a disk that fills during the run (here: --force past the estimate) ends in exit 1.
    proc = cli("run", tiny_scenario, "-o", out, "--quiet", "--force")
    assert proc.returncode == 1, (proc.returncode, proc.stderr)  # never -11 / 139 (SIGSEGV)
    assert ENOSPC in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert not out.exists()
    assert not (mnt / "run.h5.partial").exists()  # a failed run keeps no space
    _nothing_complete(mnt)

    resize("8m")
    assert cli("run", tiny_scenario, "-o", out, "--quiet").returncode == 0
    assert h5_differences(out, reference) == []


def test_sweep_run_on_a_full_disk_resumes_identically(cli, tiny_scenario, small_disk, tmp_path):
    mnt, resize = small_disk
    sweep = write_grid_sweep(tmp_path / "grid.toml", "grid", tiny_scenario)
    reference = tmp_path / "reference"
    assert cli("sweep", "run", sweep, "-o", reference, "--jobs", "2").returncode == 0

    resize("600k")  # room for a few runs, not all
    out = mnt / "sweep"
    # --force past the up-front size estimate: the disk fills during the sweep.
    proc = cli("sweep", "run", sweep, "-o", out, "--jobs", "2", "--force")
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert ENOSPC in proc.stdout + proc.stderr
    status = cli("sweep", "status", out)
    assert status.returncode == 0 and " 12 done" not in status.stdout
    for p in (out / "runs").glob("*.h5"):  # what says done must be done and intact
        assert h5_differences(p, reference / "runs" / p.name) == []

    resize("16m")
    proc = cli("sweep", "run", sweep, "-o", out, "--resume", "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    assert "12 runs, 12 done" in cli("sweep", "status", out).stdout
    for p in sorted((reference / "runs").glob("*.h5")):
        assert h5_differences(out / "runs" / p.name, p) == [], p.name


def test_collect_on_a_full_disk_gives_the_reason(cli, tiny_scenario, small_disk, tmp_path):
    mnt, resize = small_disk
    resize("16m")
    sweep = write_grid_sweep(tmp_path / "grid.toml", "grid", tiny_scenario)
    out = mnt / "sweep"
    assert cli("sweep", "run", sweep, "-o", out, "--jobs", "2").returncode == 0
    st = os.statvfs(mnt)
    resize(f"{(st.f_blocks - st.f_bfree) * st.f_frsize // 1024 + 64}k")
    fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT)  # take what is left
    try:
        while os.write(fd, b"\0" * 4096) > 0:
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    proc = cli("sweep", "collect", out)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert ENOSPC in proc.stderr and "sweep.h5" in proc.stderr
    assert not (out / "sweep.h5").exists()
    assert not (out / "sweep.h5.partial").exists()
