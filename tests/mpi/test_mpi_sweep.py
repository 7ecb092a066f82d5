"""`mpirun -np 3 missionsim sweep run ... --mpi` against the same sweep run locally.

Needs a missionsim built with -DMISSIONSIM_WITH_MPI=ON and Debian's
openmpi-bin (scripts/setup.sh installs it). Never skipped: a build without
MPI or a missing mpirun fails with what to do.

By hand:
    MISSIONSIM_CLI=build/release/missionsim PYTHONPATH=. \
        /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/mpi
"""

import os
import pathlib
import shutil
import signal
import subprocess

import pytest

from testlib import GRID_SWEEP_RUNS, cli_path, h5_differences, read_h5, write_grid_sweep

REPO = pathlib.Path(__file__).resolve().parents[2]
RANKS = 3

# A run of 20000 customers takes ~0.1 s, so that both worker ranks get runs
# even if one of them starts late.
CUSTOMERS = "customers.count=20000"
NO_MPI = ("{cli} was built without MPI: reconfigure with -DMISSIONSIM_WITH_MPI=ON (needs libopenmpi-dev; the "
          "release preset sets it) and rebuild")

# Single-node Open MPI without surprises: shared memory and self only (no
# network probing, nothing but loopback here), the ob1 messaging layer rather
# than UCX, no single-copy (CMA needs ptrace rights containers often lack),
# and the local launcher even when the test itself runs inside a Slurm job.
MPI_ENV = {
    "OMPI_MCA_btl": "self,vader",
    "OMPI_MCA_pml": "ob1",
    "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
    "OMPI_MCA_plm": "isolated",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
    "OMPI_MCA_hwloc_base_binding_policy": "none",
}


def run_bounded(cmd, timeout, env=None, cwd=None):
    """Runs cmd in its own process group; on timeout the whole group is killed."""
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=cwd, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        pytest.fail(f"{' '.join(map(str, cmd))} did not finish in {timeout} s\nstdout:\n{out}\nstderr:\n{err}")
    finally:
        # Ranks left behind by a failed mpirun share its process group.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@pytest.fixture(scope="module")
def cli():
    return cli_path()


@pytest.fixture(scope="module")
def mpirun():
    path = shutil.which("mpirun")
    if path is None:
        pytest.fail("mpirun not found; install Open MPI (scripts/setup.sh does it), as root:\n"
                    "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
                    "--no-install-recommends openmpi-bin libopenmpi-dev", pytrace=False)
    return path


def test_mpi_sweep_matches_local_run(cli, mpirun, tmp_path):
    # `sweep run --help` lists --mpi in every build; only an MPI build links libmpi.
    ldd = run_bounded(["ldd", cli], timeout=30)
    if "libmpi" not in ldd.stdout:
        pytest.fail(NO_MPI.format(cli=cli), pytrace=False)

    sweep = write_grid_sweep(tmp_path / "sweep.toml", "mpi-check", REPO / "scenarios" / "tiny.toml", [CUSTOMERS])

    local = run_bounded([cli, "sweep", "run", sweep, "-o", tmp_path / "local"], timeout=60)
    assert local.returncode == 0, f"local sweep run failed:\n{local.stdout}\n{local.stderr}"

    env = dict(os.environ, **MPI_ENV)
    env.pop("SLURM_CONF", None)
    mpi = run_bounded([mpirun, "--allow-run-as-root", "--oversubscribe", "-np", RANKS,
                       cli, "sweep", "run", sweep, "-o", tmp_path / "mpi", "--mpi"], timeout=90, env=env)
    if "built without MPI" in mpi.stderr:
        pytest.fail(NO_MPI.format(cli=cli), pytrace=False)
    assert mpi.returncode == 0, f"mpirun sweep run failed (exit {mpi.returncode}):\n{mpi.stdout}\n{mpi.stderr}"

    expected = sorted((tmp_path / "local" / "runs").glob("*.h5"))
    assert len(expected) == GRID_SWEEP_RUNS
    for path in expected:
        assert int(read_h5(path)[1]["complete"]) == 1, path.name
    assert not list((tmp_path / "mpi").rglob("*.partial")), "the MPI sweep left partial files"
    assert [p.name for p in sorted((tmp_path / "mpi" / "runs").glob("*.h5"))] == [p.name for p in expected]
    for path in expected:
        diff = h5_differences(path, tmp_path / "mpi" / "runs" / path.name)
        assert not diff, f"mpirun -np 3: {path.name} differs from the local run: {diff}"

    # Rank 0 hands out the runs: each is done exactly once, by a worker rank
    # (ledger.rank<k>), and more than one worker got some.
    done = {}
    for ledger in sorted((tmp_path / "mpi").glob("ledger*")):
        for line in ledger.read_text().splitlines():
            fields = line.split("\t")
            if fields[2] == "done":
                done.setdefault(fields[1], []).append(ledger.name)
    assert sorted(done) == sorted(pathlib.Path(name).stem for name in expected)
    assert all(len(where) == 1 for where in done.values()), f"runs done more than once: {done}"
    assert len({where[0] for where in done.values()}) >= 2, f"one rank did every run: {done}"


def test_mpi_sweep_shares_a_directory_with_a_local_resume(cli, mpirun, tmp_path):
    # Ranks claim runs as local workers do: an mpirun and a local --resume on
    # one directory at once do every run exactly once, bit for bit as alone.
    sweep = write_grid_sweep(tmp_path / "sweep.toml", "mpi-share", REPO / "scenarios" / "tiny.toml", [CUSTOMERS])
    local = run_bounded([cli, "sweep", "run", sweep, "-o", tmp_path / "local"], timeout=60)
    assert local.returncode == 0, local.stderr
    out = tmp_path / "shared"
    env = dict(os.environ, **MPI_ENV)
    env.pop("SLURM_CONF", None)
    other = subprocess.Popen([cli, "sweep", "run", sweep, "-o", out, "--resume", "--jobs", "1", "-q"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        mpi = run_bounded([mpirun, "--allow-run-as-root", "--oversubscribe", "-np", RANKS, cli, "sweep", "run",
                           sweep, "-o", out, "--mpi", "--resume"], timeout=90, env=env)
        assert mpi.returncode == 0, f"mpirun sweep run failed (exit {mpi.returncode}):\n{mpi.stdout}\n{mpi.stderr}"
        _, err = other.communicate(timeout=60)
        assert other.returncode == 0, err
    finally:
        if other.poll() is None:
            other.kill()
    expected = sorted((tmp_path / "local" / "runs").glob("*.h5"))
    assert sorted(p.name for p in (out / "runs").iterdir()) == [p.name for p in expected]
    for path in expected:
        diff = h5_differences(path, out / "runs" / path.name)
        assert not diff, f"{path.name} differs from the local run: {diff}"
    done = {}
    for ledger in sorted(out.glob("ledger*")):
        for line in ledger.read_text().splitlines():
            fields = line.split("\t")
            assert len(fields) == 7, f"{ledger.name}: torn or interleaved line {line!r}"
            if fields[2] == "done":
                done.setdefault(fields[1], []).append(ledger.name)
    assert sorted(done) == [p.stem for p in expected]
    assert all(len(where) == 1 for where in done.values()), f"runs done more than once: {done}"
