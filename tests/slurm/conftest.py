"""A private single-node Slurm cluster for the tests in this directory.

The `slurm_cluster` fixture starts munged, slurmctld and slurmd under a fresh
temporary directory with scripts/slurm-cluster.sh, and always stops them
(even when the test fails), then checks that none of its processes is left.
The daemons' logs and the jobs' output are printed at teardown, so pytest
shows them with a failing test. Missing Slurm or munge fails the test with
the apt-get command to run: these tests are never skipped.

By hand (as root, or as a user who may run the daemons):
    MISSIONSIM_CLI=build/release/missionsim PYTHONPATH=. \
        /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/slurm
"""

import ctypes
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CLUSTER_SCRIPT = REPO / "scripts" / "slurm-cluster.sh"
SBIN = ["/usr/sbin", "/sbin"]
# Commands the harness and tests use, and the Debian package of each.
REQUIRED = {"munged": "munge", "munge": "munge", "slurmctld": "slurmctld", "slurmd": "slurmd",
            "slurmstepd": "slurmd", "sbatch": "slurm-client", "sinfo": "slurm-client",
            "squeue": "slurm-client", "scancel": "slurm-client", "scontrol": "slurm-client"}


def _die_with_parent():
    """In the child before exec: SIGKILL when the test process dies, so that no
    `sbatch --wait` outlives a killed test (it would poll a stopped cluster forever)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def which(cmd):
    return shutil.which(cmd, path=os.pathsep.join([os.environ.get("PATH", ""), *SBIN]))


def require_slurm():
    missing = sorted({pkg for cmd, pkg in REQUIRED.items() if which(cmd) is None})
    if missing:
        pytest.fail("Slurm/munge not installed (scripts/setup.sh installs them); as root run:\n"
                    "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
                    f"--no-install-recommends slurm-wlm munge {' '.join(missing)}", pytrace=False)


class Cluster:
    """A started cluster: its directory, client environment and helpers."""

    def __init__(self, path):
        self.path = path
        self.conf = path / "slurm.conf"
        self.env = dict(os.environ, SLURM_CONF=str(self.conf))
        self.env["PATH"] = os.pathsep.join([self.env.get("PATH", ""), *SBIN])
        self.watched = [path]  # directories whose job output is printed at teardown

    def watch(self, directory):
        """Print the job output files (*.out, *.err) under directory at teardown too."""
        self.watched.append(pathlib.Path(directory))

    def run(self, *args, timeout=60, check=True, cwd=None):
        """A Slurm client command against this cluster; CompletedProcess (text)."""
        proc = subprocess.run([str(a) for a in args], env=self.env, cwd=cwd, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                              preexec_fn=_die_with_parent)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, args))} exited {proc.returncode}\n"
                                 f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}\n{self.queue()}")
        return proc

    def sbatch_wait(self, *args, timeout=90, cwd=None):
        """`sbatch --parsable --wait ARGS`: (job id, exit status of the job or array).

        sbatch --wait exits with the highest exit status of the array's tasks.
        """
        proc = self.run("sbatch", "--parsable", "--wait", *args, timeout=timeout, check=False, cwd=cwd)
        job_id = proc.stdout.strip().split(";")[0].splitlines()[0] if proc.stdout.strip() else ""
        if not job_id.isdigit():
            raise AssertionError(f"sbatch {' '.join(map(str, args))} did not submit (exit {proc.returncode})\n"
                                 f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return int(job_id), proc.returncode

    def wait_gone(self, job_ids, timeout=90):
        """Waits until squeue lists none of job_ids (finished, whatever the outcome)."""
        ids = ",".join(map(str, job_ids))
        deadline = time.monotonic() + timeout
        while self.run("squeue", "-h", "-j", ids, "-o", "%i", check=False).stdout.strip():
            if time.monotonic() > deadline:
                raise AssertionError(f"jobs {ids} still queued after {timeout} s\n{self.queue()}")
            time.sleep(0.5)

    def job_field(self, job_id, field):
        """A field of `scontrol show job` ("JobState", "ExitCode"); kept for MinJobAge after the end."""
        out = self.run("scontrol", "-o", "show", "job", job_id).stdout
        values = [w.split("=", 1)[1] for w in out.split() if w.startswith(field + "=")]
        assert values, f"no {field} in scontrol show job {job_id}: {out}"
        return values[0]

    def queue(self):
        proc = subprocess.run(["squeue", "-a", "-l"], env=self.env, capture_output=True, text=True,
                              timeout=20, stdin=subprocess.DEVNULL)
        return f"squeue:\n{proc.stdout}{proc.stderr}"


def dump(paths):
    for path in paths:
        try:
            text = path.read_text(errors="replace")
        except OSError as e:
            text = f"({e})"
        lines = text.splitlines()
        print(f"----- {path} ({len(lines)} lines, last 80) -----")
        print("\n".join(lines[-80:]))


def leftover_processes(marker_dir):
    """Pids of processes started for the cluster in marker_dir that are still alive."""
    marker = f"MISSIONSIM_SLURM_CLUSTER={marker_dir}".encode()
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in environ and state != "Z":
            found.append(int(proc.name))
    return found


@pytest.fixture
def slurm_cluster():
    """A running private Slurm cluster (Cluster); stopped and checked at teardown."""
    require_slurm()
    # A short path: the munge socket lives under it (Unix socket paths are short).
    path = pathlib.Path(tempfile.mkdtemp(prefix="msim-slurm-", dir="/tmp")).resolve()
    env = dict(os.environ, SLURM_CLUSTER_TIMEOUT="60")
    env.pop("SLURM_CONF", None)
    cluster = None
    # Should this process die without teardown (a ctest timeout kills it), a
    # watchdog in its own session stops the cluster.
    watchdog = subprocess.Popen(
        ["bash", "-c", 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec bash "$2" stop "$3"', "watchdog",
         str(os.getpid()), str(CLUSTER_SCRIPT), str(path)],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        start = subprocess.run(["bash", str(CLUSTER_SCRIPT), "start", str(path)], env=env, capture_output=True,
                               text=True, timeout=120, stdin=subprocess.DEVNULL)
        if start.returncode != 0:
            pytest.fail(f"could not start the Slurm cluster in {path} (exit {start.returncode}):\n"
                        f"{start.stdout}{start.stderr}", pytrace=False)
        cluster = Cluster(path)
        yield cluster
    finally:
        watchdog.kill()
        watchdog.wait()
        stop = subprocess.run(["bash", str(CLUSTER_SCRIPT), "stop", str(path)], env=env, capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL)
        # Shown by pytest only when the test fails.
        print(f"slurm-cluster.sh stop: exit {stop.returncode}\n{stop.stdout}{stop.stderr}")
        job_output = {p for d in (cluster.watched if cluster else [path]) for pattern in ("*.out", "*.err")
                      for p in pathlib.Path(d).rglob(pattern)}
        dump(sorted((path / "log").glob("*.log")) + sorted(job_output))
        left = leftover_processes(path)
        shutil.rmtree(path, ignore_errors=True)
        assert stop.returncode == 0, f"slurm-cluster.sh stop failed:\n{stop.stderr}"
        assert not left, f"processes of the test cluster still alive after stop: {left}"
