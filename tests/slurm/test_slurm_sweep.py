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
import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
ARRAY_SIZE = 3

# 2 network kinds x 3 churn rates x 2 replicates = 12 runs of the tiny
# scenario: a string and a number level, more runs than workers.
SWEEP = """\
[sweep]
name = "slurm-check"
base = "{base}"
design = "grid"
replicates = 2
seed = 20261128

[[parameters]]
key = "network.kind"
levels = ["watts-strogatz", "erdos-renyi"]

[[parameters]]
key = "choice.churn_base"
levels = [0.01, 0.02, 0.04]
"""
EXPECTED_RUNS = 12


def run_cli(cli, *args, timeout=60):
    return subprocess.run([cli, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def read_h5(path):
    """{dataset path: (dtype, shape, bytes)} and root attributes of an HDF5 file."""
    datasets = {}
    with h5py.File(path, "r") as f:
        attrs = {k: f.attrs[k] for k in f.attrs}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                a = np.asarray(obj[()])
                datasets[name] = (a.dtype.str, a.shape, repr(a.tolist()) if a.dtype.kind == "O" else a.tobytes())

        f.visititems(visit)
    return datasets, attrs


def assert_same_h5(expected_path, actual_path):
    expected, expected_attrs = read_h5(expected_path)
    actual, actual_attrs = read_h5(actual_path)
    assert sorted(actual) == sorted(expected), f"{actual_path.name}: different datasets"
    for key, value in expected.items():
        assert actual[key] == value, f"{actual_path.name}:{key} differs from the local run"
    for key, value in expected_attrs.items():
        if key != "created_utc":
            assert np.array_equal(np.asarray(value), np.asarray(actual_attrs.get(key))), \
                f"{actual_path.name}: attribute {key} differs from the local run"


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
    path = os.environ.get("MISSIONSIM_CLI")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"MISSIONSIM_CLI={path!r} is not an executable: run through ctest, or export the path of the "
                    "missionsim binary", pytrace=False)
    proc = run_cli(path, "sweep", "slurm", "--help", timeout=30)
    if proc.returncode != 0 or "--array-size" not in proc.stdout + proc.stderr:
        pytest.fail(f"{path} has no 'sweep slurm' command:\n{proc.stdout}{proc.stderr}", pytrace=False)
    return os.path.abspath(path)


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep") / "slurm-check.toml"
    path.write_text(SWEEP.format(base=REPO / "scenarios" / "tiny.toml"))
    return path


@pytest.fixture(scope="module")
def local_sweep(cli, sweep_file, tmp_path_factory):
    """The same sweep run and collected on this machine, without Slurm."""
    out = tmp_path_factory.mktemp("local") / "sweep"
    for args in (["run", sweep_file, "-o", out], ["collect", out]):
        proc = run_cli(cli, "sweep", *args)
        assert proc.returncode == 0, f"local sweep {args[0]} failed:\n{proc.stdout}{proc.stderr}"
    assert len(list((out / "runs").glob("*.h5"))) == EXPECTED_RUNS
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
        assert int(f.attrs["runs"]) == EXPECTED_RUNS and int(f.attrs["runs_done"]) == EXPECTED_RUNS
        ids = [s.decode() if isinstance(s, bytes) else s for s in f["runs/id"][()]]
        assert sorted(ids) == [p.stem for p in runs]
        assert all((s.decode() if isinstance(s, bytes) else s) == "done" for s in f["runs/status"][()])
        assert f["parameters/value"].shape == (EXPECTED_RUNS, 2)

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
