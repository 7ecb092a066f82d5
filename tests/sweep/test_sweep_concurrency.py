"""Several `sweep run` processes on one sweep directory at once (docs/SWEEP.md, Guarantees).

Every run is done exactly once, whatever mix of workers shares the directory
(two --resume, shards overlapping a local run), and the directory ends bit for
bit as an uninterrupted sweep: run files and sweep.h5. A run whose lock another
live process holds is never touched: the worker skips it, finishes the rest,
then waits for the holder and re-checks the run before doing it.
"""

import fcntl
import os
import pathlib
import re
import shutil
import signal
import subprocess
import time

import h5py
import pytest

from testlib import GRID_SWEEP_RUNS, h5_differences, write_grid_sweep

REPO = pathlib.Path(__file__).resolve().parents[2]
# Runs long enough (~40 ms each) that concurrent workers really overlap.
OVERRIDES = ("run.steps=12", "customers.count=12000")


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    return write_grid_sweep(tmp_path_factory.mktemp("grid") / "grid.toml", "grid", REPO / "scenarios" / "tiny.toml",
                            OVERRIDES)


@pytest.fixture(scope="module")
def reference(cli, grid, tmp_path_factory):
    """The same sweep, run alone, then collected."""
    out = tmp_path_factory.mktemp("reference") / "d"
    proc = cli("sweep", "run", grid, "-o", out, "-q")
    assert proc.returncode == 0, proc.stderr
    assert cli("sweep", "collect", out).returncode == 0
    return out


def ledger_workers(out):
    """The host:pid of every "done" line."""
    return {line.split("\t")[5] for path in out.glob("ledger*") for line in path.read_text().splitlines()
            if line.split("\t")[2:3] == ["done"]}


def ledger_done(out):
    """Run id -> number of "done" lines in DIR/ledger*; every line is whole (7 fields)."""
    done = {}
    for path in sorted(out.glob("ledger*")):
        for line in path.read_text().splitlines():
            fields = line.split("\t")
            assert len(fields) == 7, f"{path.name}: interleaved or torn line {line!r}"
            if fields[2] == "done":
                done[fields[1]] = done.get(fields[1], 0) + 1
    return done


def assert_same_as_reference(cli, out, reference):
    """All runs done once, no leftovers, run files and sweep.h5 bit-identical to the reference."""
    names = sorted(p.name for p in (reference / "runs").iterdir())
    assert len(names) == GRID_SWEEP_RUNS
    assert sorted(p.name for p in (out / "runs").iterdir()) == names
    for name in names:
        diff = h5_differences(reference / "runs" / name, out / "runs" / name)
        assert not diff, f"{name} differs from the uninterrupted sweep: {diff}"
    done = ledger_done(out)
    assert sorted(done) == [n[: -len(".h5")] for n in names]
    assert set(done.values()) == {1}, f"runs done more than once: {done}"
    status = cli("sweep", "status", out)
    assert f"{GRID_SWEEP_RUNS} runs, {GRID_SWEEP_RUNS} done, 0 partial" in status.stdout, status.stdout
    proc = cli("sweep", "collect", out)
    assert proc.returncode == 0, proc.stderr
    diff = h5_differences(reference / "sweep.h5", out / "sweep.h5")
    assert not diff, f"sweep.h5 differs from the uninterrupted sweep: {diff}"
    with h5py.File(out / "sweep.h5") as f:
        assert "" not in list(f["outcomes/strategy/name"].asstr()[:])


def wait_all(procs, timeout=60):
    results = []
    for p in procs:
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            pytest.fail("a concurrent sweep run did not finish")
        results.append(p.returncode)
    return results


def test_concurrent_resumes_do_every_run_once(cli, grid, reference, tmp_path):
    out = tmp_path / "d"
    procs = [cli.popen("sweep", "run", grid, "-o", out, "--resume", "--jobs", "2", "-q") for _ in range(3)]
    assert wait_all(procs) == [0, 0, 0]
    assert_same_as_reference(cli, out, reference)
    assert len(ledger_workers(out)) >= 2, "the workers did not overlap"


def test_shards_overlapping_a_local_run(cli, grid, reference, tmp_path):
    out = tmp_path / "d"
    # A local run has started; a Slurm array over the same directory joins it.
    local = cli.popen("sweep", "run", grid, "-o", out, "--jobs", "2", "-q")
    while not (out / "manifest.toml").exists() and local.poll() is None:
        time.sleep(0.01)
    shards = [cli.popen("sweep", "run", grid, "-o", out, "--shard", f"{i}/3", "--resume", "-q") for i in range(3)]
    assert wait_all([local, *shards]) == [0, 0, 0, 0]
    assert_same_as_reference(cli, out, reference)
    assert len(ledger_workers(out)) >= 2, "the workers did not overlap"


def hold_lock(out, run_id):
    """Takes the run's lock as a live worker would (a POSIX write lock on DIR/locks/<id>.lock)."""
    (out / "locks").mkdir(parents=True, exist_ok=True)
    fd = os.open(out / "locks" / f"{run_id}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, b"testhost:1\n")
    return fd


def wait_for(condition, proc, timeout=30):
    end = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, "the worker exited early"
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize("then", ["holder dies", "holder finishes", "worker interrupted"])
def test_a_held_run_is_skipped_not_truncated(cli, grid, reference, tmp_path, then):
    out = tmp_path / "d"
    assert cli("sweep", "run", grid, "-o", out, "--shard", "0/12", "-q").returncode == 0
    held = "p000002-r01"
    partial = out / "runs" / f"{held}.h5.partial"
    sentinel = b"being written by another worker"
    partial.write_bytes(sentinel)
    fd = hold_lock(out, held)
    # A lock file left by a dead worker (nobody holds it) blocks nothing.
    (out / "locks" / "p000003-r00.lock").write_text("otherhost:12345\n")
    log = tmp_path / "worker.log"
    with open(log, "w") as err:
        worker = cli.popen("sweep", "run", grid, "-o", out, "--resume", "--jobs", "2", stderr=err)
        try:
            others = [reference / "runs" / n for n in sorted(os.listdir(reference / "runs"))]
            others = [out / "runs" / p.name for p in others if p.name != f"{held}.h5"]
            wait_for(lambda: all(p.exists() for p in others), worker)
            time.sleep(0.3)
            # Everything else is done; the held run is untouched and the worker waits for it.
            assert worker.poll() is None
            assert partial.read_bytes() == sentinel
            assert not (out / "runs" / f"{held}.h5").exists()
            wait_for(lambda: f"waiting for {held}" in log.read_text(), worker)
            status = cli("sweep", "status", out).stdout
            assert re.search(rf"^  {held}  partial  \(shard [0-9/]+\)  being written by testhost:1$", status, re.M), status
            if then == "worker interrupted":
                # Ctrl-C while waiting: exit 130, the held run still untouched.
                worker.send_signal(signal.SIGINT)
                assert worker.wait(timeout=30) == 130, log.read_text()
                assert partial.read_bytes() == sentinel
                os.close(fd)
                fd = None
                assert cli("sweep", "run", grid, "-o", out, "--resume", "-q").returncode == 0
            if then == "holder finishes":
                # The holder completes the run, then releases it: the waiting
                # worker re-checks and leaves it alone.
                shutil.copyfile(reference / "runs" / f"{held}.h5", out / "runs" / "copy.tmp")
                os.replace(out / "runs" / "copy.tmp", out / "runs" / f"{held}.h5")
                os.unlink(partial)
            if fd is not None:  # the holder lets go (or dies)
                os.close(fd)
                fd = None
                assert worker.wait(timeout=30) == 0, log.read_text()
        finally:
            if fd is not None:
                os.close(fd)
            if worker.poll() is None:
                worker.kill()
    if then == "holder finishes":
        assert held not in ledger_done(out)
        with open(out / "ledger", "a") as ledger:  # as the holder would have written it
            ledger.write(f"2026-01-01T00:00:00Z\t{held}\tdone\t0\t0.000\tholder:1\t\n")
    else:
        assert ledger_done(out).get(held) == 1
    assert not list((out / "locks").iterdir()), "lock files are removed by the worker that released them"
    assert_same_as_reference(cli, out, reference)


def test_a_filesystem_without_locks_is_refused(cli, grid, tmp_path):
    # MISSIONSIM_FAULT_AT=sweep-nolock: every lock attempt fails as on NFS mounted with 'nolock' (ENOLCK).
    out = tmp_path / "d"
    env = dict(os.environ, MISSIONSIM_FAULT_AT="sweep-nolock")
    proc = subprocess.run([cli.path, "sweep", "run", str(grid), "-o", str(out)], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "without working file locks" in proc.stderr and "locks/p0000" in proc.stderr, proc.stderr
    assert not list((out / "runs").iterdir()), "nothing is written without a claim"
