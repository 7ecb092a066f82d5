"""Fault injection for `sweep run`: SIGKILL at named points and at evenly spread times, then --resume.

After every kill: no run file at its final name that is not complete and
bit-identical to an uninterrupted sweep, `status` counts as done exactly those
files, and the ledger has at most one "done" per run. After the resume the
directory equals the uninterrupted sweep, bit for bit.

Named points use the test hook MISSIONSIM_FAULT_AT=<point>[:<n>] (docs/SWEEP.md,
Guarantees): the process SIGKILLs itself the n-th time it reaches the point.
"""

import os
import pathlib
import signal
import time

import h5py
import pytest

from testlib import GRID_SWEEP_RUNS, h5_differences, write_grid_sweep

REPO = pathlib.Path(__file__).resolve().parents[2]
OVERRIDES = ("run.steps=12", "customers.count=2000")
REFERENCE_SECONDS = []  # wall time of the uninterrupted sweep


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    return write_grid_sweep(tmp_path_factory.mktemp("grid") / "grid.toml", "faults", REPO / "scenarios" / "tiny.toml",
                            OVERRIDES)


@pytest.fixture(scope="module")
def reference(cli, grid, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "d"
    began = time.monotonic()
    proc = cli("sweep", "run", grid, "-o", out, "--jobs", "2", "-q")
    assert proc.returncode == 0, proc.stderr
    REFERENCE_SECONDS.append(time.monotonic() - began)
    assert cli("sweep", "collect", out).returncode == 0
    return out


def complete_flag(path):
    """The root attribute `complete` of an HDF5 file, or None when it cannot be read."""
    try:
        with h5py.File(path, "r") as f:
            return int(f.attrs["complete"])
    except Exception:  # a file cut short by the kill
        return None


def check_after_kill(cli, out, reference, what):
    """Nothing in DIR claims to be complete unless it is, and equal to the uninterrupted run."""
    if not (out / "manifest.toml").exists():
        return 0  # killed before the directory was made
    final = sorted(p for p in (out / "runs").iterdir() if p.suffix == ".h5")
    for path in final:
        assert complete_flag(path) == 1, f"{what}: {path.name} has its final name but is not complete"
        diff = h5_differences(reference / "runs" / path.name, path)
        assert not diff, f"{what}: {path.name} differs from the uninterrupted run: {diff}"
    for path in (out / "runs").glob("*.partial"):
        if complete_flag(path) == 1:  # killed between `complete = 1` and the rename
            diff = h5_differences(reference / "runs" / path.name[: -len(".partial")], path)
            assert not diff, f"{what}: {path.name} says complete but differs: {diff}"
    status = cli("sweep", "status", out)
    assert status.returncode == 0, status.stderr
    assert f"{GRID_SWEEP_RUNS} runs, {len(final)} done," in status.stdout, f"{what}:\n{status.stdout}"
    done = {}
    for line in (out / "ledger").read_text().splitlines() if (out / "ledger").exists() else []:
        fields = line.split("\t")
        if len(fields) >= 7 and fields[2] == "done":
            done[fields[1]] = done.get(fields[1], 0) + 1
            assert (out / "runs" / f"{fields[1]}.h5").exists(), f"{what}: ledger says {fields[1]} is done"
    assert all(n == 1 for n in done.values()), f"{what}: runs done twice: {done}"
    return len(final)


def resume_and_compare(cli, grid, out, reference):
    proc = cli("sweep", "run", grid, "-o", out, "--resume", "--jobs", "2", "-q")
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in (reference / "runs").iterdir())
    assert sorted(p.name for p in (out / "runs").iterdir()) == names
    for name in names:
        assert not h5_differences(reference / "runs" / name, out / "runs" / name), name
    assert not list((out / "locks").iterdir())
    assert cli("sweep", "collect", out).returncode == 0
    assert not h5_differences(reference / "sweep.h5", out / "sweep.h5")


# Points of a run, in order: claimed (lock held, state re-checked), after a
# step's row went to the writer, after the last one (before `complete = 1`
# and the rename), renamed (before the ledger line), halfway through the
# ledger line. Each fires on its n-th occurrence in the process.
NAMED = ["sweep-claimed:2", "sweep-step-1", "sweep-step-7:2", "sweep-last-step", "sweep-renamed:2",
         "sweep-ledger:2", "sweep-claimed", "sweep-last-step:2"]


def test_sigkill_at_named_points_then_resume(cli, grid, reference, tmp_path):
    out = tmp_path / "d"
    before = 0
    for point in NAMED:
        env = dict(os.environ, MISSIONSIM_FAULT_AT=point)
        proc = cli.popen("sweep", "run", grid, "-o", out, "--resume", "--jobs", "1", env=env)
        assert proc.wait(timeout=60) == -signal.SIGKILL, f"{point}: the hook did not fire"
        after = check_after_kill(cli, out, reference, point)
        assert after >= before
        before = after
    # A .partial that says complete (killed between the flag and the rename) is not done.
    victim = sorted((out / "runs").glob("*.h5"))[0]
    os.rename(victim, victim.with_name(victim.name + ".partial"))
    assert complete_flag(victim.with_name(victim.name + ".partial")) == 1
    status = cli("sweep", "status", out)
    assert f"{victim.stem}  partial" in status.stdout, status.stdout
    # A torn ledger line (the sweep-ledger kill) is followed by whole lines.
    resume_and_compare(cli, grid, out, reference)
    lines = (out / "ledger").read_text().split("\n")
    assert all(line.count("\t") <= 6 for line in lines), "a torn ledger line ran into the next one"


def test_sigkill_at_evenly_spread_times_then_resume(cli, grid, reference, tmp_path):
    kills, landed = 8, 0
    for i in range(kills):
        out = tmp_path / f"k{i}"
        delay = (i + 0.5) / kills * 0.8 * REFERENCE_SECONDS[0]  # 0.8: a loaded machine's noise
        proc = cli.popen("sweep", "run", grid, "-o", out, "--jobs", "2")
        time.sleep(delay)
        landed += proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check_after_kill(cli, out, reference, f"kill after {delay:.3f} s")
        if i % 2:  # and once more during the resume
            again = cli.popen("sweep", "run", grid, "-o", out, "--resume", "--jobs", "2")
            time.sleep(delay / 2)
            again.send_signal(signal.SIGKILL)
            again.wait()
            check_after_kill(cli, out, reference, f"second kill after {delay / 2:.3f} s")
        resume_and_compare(cli, grid, out, reference)
    assert landed >= kills // 4, "the kills came after the sweep had finished"
