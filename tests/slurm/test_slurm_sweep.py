"""`missionsim sweep slurm` on a real (private, single-node) Slurm cluster.

The generated job-array script is submitted with `sbatch --wait`, then the
collect job with --dependency=afterok on the array; the run files and
sweep.h5 must equal, bit for bit, those of the same sweep run locally. Then,
with one run file lost and one cut short, the generated submit.sh resubmits
both jobs: only those two runs are redone, and the result is the same again.
"""

import os
import pathlib
import re
import subprocess

import h5py
import pytest

from testlib import GRID_SWEEP_RUNS, cli_path, h5_differences, write_grid_sweep

REPO = pathlib.Path(__file__).resolve().parents[2]
ARRAY_SIZE = 3

def run_cli(cli, *args, timeout=60):
    return subprocess.run([cli, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def assert_same_h5(expected_path, actual_path):
    diff = h5_differences(expected_path, actual_path)
    assert not diff, f"{actual_path.name} differs from the local run: {diff}"


def ledger_entries(out_dir):
    """(id, status, host:pid) of every line of DIR/ledger*."""
    entries = []
    for path in sorted(out_dir.glob("ledger*")):
        for line in path.read_text().splitlines():
            fields = line.split("\t")
            assert len(fields) >= 6, f"{path}: malformed ledger line {line!r}"
            entries.append((fields[1], fields[2], fields[5]))
    return entries


@pytest.fixture(scope="module")
def cli():
    path = cli_path()
    proc = run_cli(path, "sweep", "slurm", "--help", timeout=30)
    if proc.returncode != 0 or "--array-size" not in proc.stdout + proc.stderr:
        pytest.fail(f"{path} has no 'sweep slurm' command:\n{proc.stdout}{proc.stderr}", pytrace=False)
    return os.path.abspath(path)


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep") / "slurm-check.toml"
    return write_grid_sweep(path, "slurm-check", REPO / "scenarios" / "tiny.toml")


@pytest.fixture(scope="module")
def local_sweep(cli, sweep_file, tmp_path_factory):
    """The same sweep run and collected on this machine, without Slurm."""
    out = tmp_path_factory.mktemp("local") / "sweep"
    for args in (["run", sweep_file, "-o", out], ["collect", out]):
        proc = run_cli(cli, "sweep", *args)
        assert proc.returncode == 0, f"local sweep {args[0]} failed:\n{proc.stdout}{proc.stderr}"
    assert len(list((out / "runs").glob("*.h5"))) == GRID_SWEEP_RUNS
    return out


def test_slurm_array_and_collect_match_local_sweep(cli, sweep_file, local_sweep, slurm_cluster):
    out = slurm_cluster.path / "sweep"
    slurm_cluster.watch(out)
    gen = run_cli(cli, "sweep", "slurm", sweep_file, "-o", out, "--array-size", ARRAY_SIZE, "--time", "00:10:00")
    assert gen.returncode == 0, f"sweep slurm failed:\n{gen.stdout}{gen.stderr}"
    array_script, collect_script = out / "sweep.sbatch", out / "collect.sbatch"
    assert array_script.is_file() and collect_script.is_file(), sorted(p.name for p in out.iterdir())
    assert re.search(rf"^#SBATCH --array=0-{ARRAY_SIZE - 1}\b", array_script.read_text(), re.M)

    array_job, status = slurm_cluster.sbatch_wait(array_script)
    assert status == 0, f"array job {array_job} failed (exit {status})\n{slurm_cluster.queue()}"
    # Every task has ended: every run file is complete, none is left partial.
    runs = sorted((out / "runs").glob("*.h5"))
    assert [p.name for p in runs] == sorted(p.name for p in (local_sweep / "runs").glob("*.h5"))
    assert not list(out.rglob("*.partial")), "partial files left after the array"
    for path in runs:
        with h5py.File(path, "r") as f:
            assert int(f.attrs["complete"]) == 1, path.name

    # Each run done exactly once, by the three array tasks (three processes).
    done = [(run_id, who) for run_id, status, who in ledger_entries(out) if status == "done"]
    assert sorted(run_id for run_id, _ in done) == sorted(p.stem for p in runs)
    assert len({who for _, who in done}) == ARRAY_SIZE

    collect_job, status = slurm_cluster.sbatch_wait(f"--dependency=afterok:{array_job}", collect_script)
    assert status == 0, f"collect job {collect_job} failed (exit {status})"
    with h5py.File(out / "sweep.h5", "r") as f:
        assert f.attrs["format"] in ("missionsim-sweep", b"missionsim-sweep")
        assert int(f.attrs["runs"]) == GRID_SWEEP_RUNS and int(f.attrs["runs_done"]) == GRID_SWEEP_RUNS
        ids = [s.decode() if isinstance(s, bytes) else s for s in f["runs/id"][()]]
        assert sorted(ids) == [p.stem for p in runs]
        assert all((s.decode() if isinstance(s, bytes) else s) == "done" for s in f["runs/status"][()])
        assert f["parameters/value"].shape == (GRID_SWEEP_RUNS, 2)

    # Bit for bit: every run file and the collected table.
    for path in runs:
        assert_same_h5(local_sweep / "runs" / path.name, path)
    assert_same_h5(local_sweep / "sweep.h5", out / "sweep.h5")

    # Resubmission, as after a time limit or a lost node: one run file gone,
    # one cut short (.partial), sweep.h5 gone. The generated submit.sh
    # submits both jobs again; only the two lost runs are redone.
    lost, cut = runs[1], runs[7]
    lost.unlink()
    data = cut.read_bytes()
    cut.with_name(cut.name + ".partial").write_bytes(data[: len(data) // 2])
    cut.unlink()
    (out / "sweep.h5").unlink()
    submitted = slurm_cluster.run("sh", out / "submit.sh", cwd=out).stdout
    job_ids = re.findall(r"\b(\d+)\b", submitted)
    assert len(job_ids) >= 2, f"submit.sh printed no job ids: {submitted!r}"
    array_job, collect_job = int(job_ids[0]), int(job_ids[-1])
    slurm_cluster.wait_gone([array_job, collect_job])
    assert slurm_cluster.job_field(collect_job, "JobState") == "COMPLETED", slurm_cluster.job_field(collect_job, "Reason")

    assert not list(out.rglob("*.partial")), "partial files left after the resubmission"
    for path in runs:
        assert_same_h5(local_sweep / "runs" / path.name, path)
    assert_same_h5(local_sweep / "sweep.h5", out / "sweep.h5")
    done = sorted(run_id for run_id, status, _ in ledger_entries(out) if status == "done")
    assert done == sorted([p.stem for p in runs] + [lost.stem, cut.stem]), "a complete run was redone, or one lost"


SITE_TABLE = """
[slurm]
account = "proj-42"
qos = "normal"
time = "0:10:00"
mem = "100M"
sbatch = ["--comment=missionsim-site-check"]
setup = ["export MISSIONSIM_SITE_SETUP=1", "echo setup-ran"]
"""


def sbatch_options(script):
    return [line[len("#SBATCH "):] for line in script.read_text().splitlines() if line.startswith("#SBATCH ")]


def test_site_options_pass_sbatch_test_only(cli, sweep_file, slurm_cluster, tmp_path):
    site_sweep = tmp_path / "site.toml"
    site_sweep.write_text(sweep_file.read_text() + SITE_TABLE)
    out = slurm_cluster.path / "site"
    gen = run_cli(cli, "sweep", "slurm", site_sweep, "-o", out, "--partition", "debug", "--cpus-per-task", "2",
                  "--array-size", ARRAY_SIZE, "--throttle", "2")
    assert gen.returncode == 0, gen.stderr
    array, collect = out / "sweep.sbatch", out / "collect.sbatch"
    for script in (array, collect):
        options = sbatch_options(script)
        for expected in ("--account=proj-42", "--qos=normal", "--time=0:10:00", "--mem=100M", "--partition=debug",
                         "--comment=missionsim-site-check"):
            assert expected in options, (script.name, options)
    assert "--cpus-per-task=2" in sbatch_options(array) and f"--array=0-{ARRAY_SIZE - 1}%2" in sbatch_options(array)
    assert "--kill-on-invalid-dep=yes" in sbatch_options(collect)
    # Slurm itself accepts both scripts as written (--test-only: checked, scheduled on paper, not run).
    for script in (array, collect):
        proc = slurm_cluster.run("sbatch", "--test-only", script, check=False)
        assert proc.returncode == 0 and "to start at" in proc.stderr, (script.name, proc.stderr)
    # Every time format missionsim accepts, Slurm accepts.
    for limit in ("90", "5:30", "1:00:00", "1-0", "1-2:30", "1-2:30:00", "unlimited", "INFINITE"):
        gen = run_cli(cli, "sweep", "slurm", site_sweep, "-o", out, "--time", limit)
        assert gen.returncode == 0, gen.stderr
        proc = slurm_cluster.run("sbatch", "--test-only", array, check=False)
        assert proc.returncode == 0 and "to start at" in proc.stderr, (limit, proc.stderr)
    # ... and the check is real: a partition the cluster lacks is refused.
    gen = run_cli(cli, "sweep", "slurm", site_sweep, "-o", out, "--partition", "gpu-nonexistent")
    assert gen.returncode == 0, gen.stderr
    proc = slurm_cluster.run("sbatch", "--test-only", array, check=False)
    assert proc.returncode != 0 and "invalid partition" in proc.stderr.lower(), proc.stderr


def test_a_failed_array_task_cancels_the_collect_job_and_a_resubmission_finishes(cli, sweep_file, local_sweep,
                                                                                 slurm_cluster):
    out = slurm_cluster.path / "failing"
    slurm_cluster.watch(out)
    gen = run_cli(cli, "sweep", "slurm", sweep_file, "-o", out, "--array-size", ARRAY_SIZE, "--time", "00:10:00")
    assert gen.returncode == 0, gen.stderr

    # Every task kills itself (SIGKILL, as a node failure or the OOM killer would) at its first run.
    env = dict(slurm_cluster.env, MISSIONSIM_FAULT_AT="sweep-claimed")
    submitted = subprocess.run(["sh", out / "submit.sh"], env=env, capture_output=True, text=True, timeout=60,
                               stdin=subprocess.DEVNULL)
    assert submitted.returncode == 0, submitted.stderr
    array_job = int(re.search(r"array job (\d+)", submitted.stdout).group(1))
    collect_job = int(re.search(r"collect job (\d+)", submitted.stdout).group(1))
    slurm_cluster.wait_gone([array_job, collect_job])
    # The collect job never ran: Slurm cancelled it once its dependency could not be met.
    assert slurm_cluster.job_field(collect_job, "JobState") == "CANCELLED"
    assert slurm_cluster.job_field(collect_job, "Reason") == "DependencyNeverSatisfied"
    assert not (out / "sweep.h5").exists() and not list((out / "logs").glob("collect-*.out"))
    first_logs = sorted(p.name for p in (out / "logs").glob("shard-*.out"))
    assert first_logs == [f"shard-{array_job}_{task}.out" for task in range(ARRAY_SIZE)]
    assert not list((out / "runs").glob("*.h5"))

    # Resubmitted without the fault: the array finishes, the collect job runs, the old logs are kept.
    submitted = slurm_cluster.run("sh", out / "submit.sh", cwd=out).stdout
    array_job2, collect_job2 = int(re.search(r"array job (\d+)", submitted).group(1)), int(
        re.search(r"collect job (\d+)", submitted).group(1))
    slurm_cluster.wait_gone([array_job2, collect_job2])
    assert slurm_cluster.job_field(collect_job2, "JobState") == "COMPLETED"
    logs = sorted(p.name for p in (out / "logs").glob("*.out"))
    assert logs == sorted(first_logs + [f"shard-{array_job2}_{task}.out" for task in range(ARRAY_SIZE)] +
                          [f"collect-{collect_job2}.out"])
    assert_same_h5(local_sweep / "sweep.h5", out / "sweep.h5")
