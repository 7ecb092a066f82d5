"""missionsim sweep end to end: plan, run (jobs, shards, resume, SIGKILL), status, collect, slurm, errors."""

import random
import re
import signal
import subprocess
import time

import h5py
import numpy as np

from conftest import REPO, identical_runs, run_files, write_sweep

# ---------------------------------------------------------------- plan


def test_plan_lists_runs_and_a_command_that_reproduces_one(cli, tmp_path):
    sweep = write_sweep(tmp_path)
    proc = cli("sweep", "plan", sweep, "--csv", tmp_path / "plan.csv")
    assert proc.returncode == 0, proc.stderr
    assert "4 points x 2 replicates = 8 runs" in proc.stdout
    rows = (tmp_path / "plan.csv").read_text().splitlines()
    assert rows[0] == "id,point,replicate,seed,choice.churn_base,economics.bankrupt_after"
    assert len(rows) == 9
    ids = [r.split(",")[0] for r in rows[1:]]
    assert ids[:2] == ["p000000-r00", "p000000-r01"]
    seeds = [int(r.split(",")[3]) for r in rows[1:]]
    assert len(set(seeds)) == 8
    # The plan is stable: the same file gives the same table.
    again = cli("sweep", "plan", sweep, "--csv", tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_text() == (tmp_path / "plan.csv").read_text()
    assert again.stdout == proc.stdout

    # `sweep plan --run ID` prints a shell-quoted `missionsim run` command that gives the same file.
    command = cli("sweep", "plan", sweep, "--run", "p000002-r01").stdout.strip()
    assert command.startswith("missionsim run ") and "--seed " in command
    out = tmp_path / "d"
    assert cli("sweep", "run", sweep, "-o", out, "-q").returncode == 0
    proc = subprocess.run(command.replace("missionsim", cli.path, 1) + f" -q -o {tmp_path / 'alone.h5'}",
                          shell=True, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert identical_runs(out / "runs" / "p000002-r01.h5", tmp_path / "alone.h5")


# ---------------------------------------------------------------- same results every way


def test_jobs_and_shards_give_bit_identical_runs(cli, tmp_path):
    sweep = write_sweep(tmp_path)
    one, two, shards = tmp_path / "j1", tmp_path / "j2", tmp_path / "shards"
    assert cli("sweep", "run", sweep, "-o", one, "--jobs", "1", "-q").returncode == 0
    assert cli("sweep", "run", sweep, "-o", two, "--jobs", "2", "-q").returncode == 0
    for i in range(3):
        proc = cli("sweep", "run", sweep, "-o", shards, "--shard", f"{i}/3", "-q")
        assert proc.returncode == 0, proc.stderr
    names = run_files(one)
    assert len(names) == 8 and all(n.endswith(".h5") for n in names)
    assert run_files(two) == names and run_files(shards) == names
    for n in names:
        assert identical_runs(one / "runs" / n, two / "runs" / n), n
        assert identical_runs(one / "runs" / n, shards / "runs" / n), n

    status = cli("sweep", "status", shards)
    assert status.returncode == 0
    assert "8 runs, 8 done, 0 partial, 0 missing, 0 failed, 0 damaged" in status.stdout
    assert re.search(r"^0/3\s+3\s+3\s+0\s+0\s+0\s+0$", status.stdout, re.M)
    assert re.search(r"^2/3\s+2\s+2\s+0\s+0\s+0\s+0$", status.stdout, re.M)


def test_collect_writes_parameters_outcomes_and_links(cli, tmp_path):
    sweep = write_sweep(tmp_path)
    out = tmp_path / "d"
    assert cli("sweep", "run", sweep, "-o", out, "-q").returncode == 0
    proc = cli("sweep", "collect", out)
    assert proc.returncode == 0 and "8 of 8 runs done" in proc.stdout
    with h5py.File(out / "sweep.h5", "r") as f:
        assert f.attrs["format"] == "missionsim-sweep" and int(f.attrs["format_version"]) == 2
        assert int(f.attrs["runs"]) == 8 and int(f.attrs["runs_done"]) == 8
        ids = f["runs/id"].asstr()[:]
        assert list(ids) == sorted(ids) and len(ids) == 8
        assert list(f["runs/status"].asstr()[:]) == ["done"] * 8
        assert list(f["parameters/name"].asstr()[:]) == ["choice.churn_base", "economics.bankrupt_after"]
        values = f["parameters/value"][:]
        assert values.shape == (8, 2)
        assert ((values[:, 0] >= 0.005) & (values[:, 0] <= 0.05)).all()
        assert (values[:, 1] == np.round(values[:, 1])).all()
        share = f["outcomes/firm/share"][:]
        assert share.shape[0] == 8
        # Outcomes agree with the linked trajectory.
        for i, rid in enumerate(ids):
            traj = f[f"trajectories/{rid}"]
            assert int(traj.attrs["seed"]) == int(f["runs/seed"][i])
            np.testing.assert_array_equal(share[i, : traj["firms/share"].shape[1]], traj["firms/share"][-1])
        by_strategy = f["outcomes/strategy/share"][:]
        names = list(f["outcomes/strategy/name"].asstr()[:])
        assert "shareholder" in names
        np.testing.assert_allclose(by_strategy.sum(axis=1), f["outcomes/market/adopters_share"][:], rtol=1e-12)
        for key in ("profit", "satisfaction", "success", "societal_value"):
            assert f[f"outcomes/firm/{key}"].shape == share.shape
            assert f[f"outcomes/strategy/{key}"].shape == by_strategy.shape
    assert not (out / "sweep.h5.partial").exists()


def test_collect_publishes_the_digest_of_the_whole_file(cli, tmp_path):
    """sweep.h5's content_sha256, computed in one read of the file (as TrajectoryWriter::finish()
    does), is the digest of the whole file read in full, and /content_digests lists each object's
    record (docs/OUTPUT.md, "Content digest"). Root members sort on both sides of content_digests."""
    import hashlib

    from analysis.readers import DIGEST_ATTR, OBJECT_DIGESTS, _content_digest_by_object

    sweep = write_sweep(tmp_path, steps=3)
    out = tmp_path / "d"
    assert cli("sweep", "run", sweep, "-o", out, "-q").returncode == 0
    assert cli("sweep", "collect", out).returncode == 0
    with h5py.File(out / "sweep.h5", "r") as f:
        members = sorted(f.keys())
        assert members[0] < "content_digests" < members[-1]
        digest, objects = _content_digest_by_object(f)
        assert f.attrs[DIGEST_ATTR] == digest
        lines = [f"{h} {p}" for p, h in objects if p != OBJECT_DIGESTS]
        listed = f["content_digests"].asstr()[:].tolist()
        assert listed[:-1] == lines
        assert listed[-1] == hashlib.sha256("\n".join(lines).encode()).hexdigest() + " " + OBJECT_DIGESTS


# ---------------------------------------------------------------- SIGKILL and resume


def test_sigkill_then_resume_loses_and_duplicates_nothing(cli, tmp_path):
    sweep = write_sweep(tmp_path, steps=24)
    reference = tmp_path / "ref"
    began = time.monotonic()
    assert cli("sweep", "run", sweep, "-o", reference, "--jobs", "2", "-q").returncode == 0
    duration = time.monotonic() - began  # kill delays are fractions of it
    assert cli("sweep", "collect", reference).returncode == 0
    names = run_files(reference)
    rng = random.Random(4)
    interrupted = 0
    for attempt in range(4):
        out = tmp_path / f"killed{attempt}"
        proc = cli.popen("sweep", "run", sweep, "-o", out, "--jobs", "2")
        time.sleep(rng.uniform(0.1, 0.8) * duration)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # Possibly a second kill during the resume itself.
        if attempt % 2:
            again = cli.popen("sweep", "run", sweep, "-o", out, "--jobs", "2", "--resume")
            time.sleep(rng.uniform(0.05, 0.3) * duration)
            again.send_signal(signal.SIGKILL)
            again.wait()
        if (out / "manifest.toml").exists():  # else killed before the directory was made
            status = cli("sweep", "status", out)
            assert status.returncode == 0, status.stderr
            interrupted += f"{len(names)} done" not in status.stdout
        else:
            interrupted += 1
        proc = cli("sweep", "run", sweep, "-o", out, "--jobs", "2", "--resume", "-q")
        assert proc.returncode == 0, proc.stderr
        assert run_files(out) == names  # no .partial left, none missing
        for n in names:
            assert identical_runs(reference / "runs" / n, out / "runs" / n), n
        assert cli("sweep", "collect", out).returncode == 0
        with h5py.File(reference / "sweep.h5") as a, h5py.File(out / "sweep.h5") as b:
            assert list(b["runs/id"].asstr()[:]) == list(a["runs/id"].asstr()[:])
            assert list(b["runs/status"].asstr()[:]) == ["done"] * len(names)
            for key in ("runs/seed", "parameters/value", "outcomes/firm/share", "outcomes/strategy/profit"):
                np.testing.assert_array_equal(a[key][:], b[key][:])
    assert interrupted >= 2  # the kills landed mid-sweep


def test_status_counts_partial_and_missing(cli, tmp_path):
    sweep = write_sweep(tmp_path)
    out = tmp_path / "d"
    assert cli("sweep", "run", sweep, "-o", out, "--shard", "0/2", "-q").returncode == 0
    (out / "runs" / "p000000-r00.h5").rename(out / "runs" / "p000000-r00.h5.partial")
    proc = cli("sweep", "status", out)
    assert "8 runs, 3 done, 1 partial, 4 missing, 0 failed, 0 damaged" in proc.stdout
    assert re.search(r"^1/2\s+4\s+0\s+0\s+4\s+0\s+0$", proc.stdout, re.M)
    assert "p000000-r00  partial" in proc.stdout
    # Without --resume an existing run is not overwritten.
    proc = cli("sweep", "run", sweep, "-o", out, "-q")
    assert proc.returncode == 2 and "--resume" in proc.stderr
    assert cli("sweep", "run", sweep, "-o", out, "--resume", "-q").returncode == 0
    assert "8 done" in cli("sweep", "status", out).stdout


def test_resume_with_another_sweep_file_is_refused(cli, tmp_path):
    out = tmp_path / "d"
    assert cli("sweep", "run", write_sweep(tmp_path), "-o", out, "--shard", "0/4", "-q").returncode == 0
    other = write_sweep(tmp_path, steps=7, name="other.toml")
    proc = cli("sweep", "run", other, "-o", out, "--resume")
    assert proc.returncode == 2
    assert "holds a different sweep" in proc.stderr


# ---------------------------------------------------------------- slurm script


def test_slurm_writes_array_collect_and_submit_scripts(cli, tmp_path):
    sweep = write_sweep(tmp_path)
    out = tmp_path / "d"
    proc = cli("sweep", "slurm", sweep, "-o", out, "--array-size", "3", "--throttle", "2", "--time", "00:10:00",
               "--partition", "debug")
    assert proc.returncode == 0, proc.stderr
    array = (out / "sweep.sbatch").read_text()
    assert "#SBATCH --array=0-2%2" in array and "#SBATCH --time=00:10:00" in array
    assert "#SBATCH --partition=debug" in array
    assert f"'{cli.path}' sweep run '{sweep}'" in array
    assert '--shard "${SLURM_ARRAY_TASK_ID}/3" --resume' in array
    collect = (out / "collect.sbatch").read_text()
    assert f"sweep collect '{out}'" in collect
    submit = (out / "submit.sh").read_text()
    assert "--dependency=afterok:" in submit
    for name in ("sweep.sbatch", "collect.sbatch", "submit.sh"):
        assert subprocess.run(["bash", "-n", out / name]).returncode == 0
    # The array task line, run by hand for each task, is the sharded sweep.
    for task in range(3):
        env = {"SLURM_ARRAY_TASK_ID": str(task), "SLURM_CPUS_PER_TASK": "1", "PATH": "/usr/bin:/bin"}
        proc = subprocess.run(["bash", out / "sweep.sbatch"], env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    assert "8 done" in cli("sweep", "status", out).stdout


def sbatch_options(script):
    """The #SBATCH options of a generated script, in order: [(name, value)], value None for a flag."""
    options = []
    for line in script.splitlines():
        if line.startswith("#SBATCH "):
            name, _, value = line[len("#SBATCH "):].partition("=")
            options.append((name, value if _ else None))
    return options


SLURM_TABLE = """
[slurm]
account = "proj-42"
partition = "short"
qos = "normal"
time = 90                      # minutes
mem = "2G"
cpus_per_task = 2
array_size = 3
throttle = 2
sbatch = ["--constraint=avx2", "--mail-type=FAIL"]
setup = ["module load hdf5/1.10", "export OMP_NUM_THREADS=1"]
"""


def test_slurm_site_settings_from_the_sweep_file_and_the_command_line(cli, tmp_path):
    sweep = write_sweep(tmp_path)
    plain_sha = re.search(r"sweep sha256: (\w+)", cli("sweep", "plan", sweep).stdout).group(1)
    sweep.write_text(sweep.read_text() + SLURM_TABLE)
    # The site's settings say where runs are scheduled, not what they compute.
    assert re.search(r"sweep sha256: (\w+)", cli("sweep", "plan", sweep).stdout).group(1) == plain_sha

    out = tmp_path / "d"
    proc = cli("sweep", "slurm", sweep, "-o", out)
    assert proc.returncode == 0, proc.stderr
    # Run from the build tree (as here, under ctest), it says so; the installed binary does not (tests/install).
    assert "which is in a build tree; install it" in proc.stderr
    array, collect = (out / "sweep.sbatch").read_text(), (out / "collect.sbatch").read_text()
    site = [("--account", "proj-42"), ("--partition", "short"), ("--qos", "normal"), ("--time", "90"),
            ("--mem", "2G"), ("--constraint", "avx2"), ("--mail-type", "FAIL")]
    a, c = sbatch_options(array), sbatch_options(collect)
    assert [o for o in a if o in site] == site and [o for o in c if o in site] == site
    assert ("--array", "0-2%2") in a and ("--cpus-per-task", "2") in a and ("--ntasks", "1") in a
    assert ("--cpus-per-task", "1") in c and ("--kill-on-invalid-dep", "yes") in c
    # Logs carry the array job id, so a resubmission keeps the old ones.
    assert ("--output", f"{out}/logs/shard-%A_%a.out") in a
    assert ("--output", f"{out}/logs/collect-%j.out") in c
    for script in (array, collect):
        body = script.splitlines()
        setup = [body.index("module load hdf5/1.10"), body.index("export OMP_NUM_THREADS=1")]
        assert body.index("set -eo pipefail") < setup[0] < setup[1] < body.index("set -u")
        assert body.index("set -u") == len(body) - 2 and body[-1].startswith("exec ")
        # sbatch reads #SBATCH lines only before the first command.
        assert max(i for i, line in enumerate(body) if line.startswith("#SBATCH")) < body.index("set -eo pipefail")
    assert '--shard "${SLURM_ARRAY_TASK_ID}/3" --resume --jobs "${SLURM_CPUS_PER_TASK:-2}"' in array
    submit = (out / "submit.sh").read_text()
    assert '--dependency=afterok:"$array" --kill-on-invalid-dep=yes' in submit
    for name in ("sweep.sbatch", "collect.sbatch", "submit.sh"):
        assert subprocess.run(["bash", "-n", out / name]).returncode == 0

    # The command line wins, key by key; --mem-per-cpu replaces the file's mem; lists are replaced.
    proc = cli("sweep", "slurm", sweep, "-o", out, "--partition", "long,debug", "--time", "1-12:00:00",
               "--mem-per-cpu", "500M", "--cpus-per-task", "4", "--array-size", "2",
               "--sbatch=--gres=gpu:1", "--setup", "source /etc/profile.d/modules.sh")
    assert proc.returncode == 0, proc.stderr
    array = (out / "sweep.sbatch").read_text()
    a = sbatch_options(array)
    assert [o for o in a if o[0] not in ("--job-name", "--output", "--ntasks")] == [
        ("--account", "proj-42"), ("--partition", "long,debug"), ("--qos", "normal"), ("--time", "1-12:00:00"),
        ("--mem-per-cpu", "500M"), ("--gres", "gpu:1"), ("--array", "0-1%2"), ("--cpus-per-task", "4")]
    assert "source /etc/profile.d/modules.sh\nset -u\n" in array and "module load" not in array
    for limit in ("5", "5:30", "1-0", "1-2:30", "unlimited"):
        proc = cli("sweep", "slurm", sweep, "-o", out, "--time", limit)
        assert proc.returncode == 0 and ("--time", limit) in sbatch_options((out / "sweep.sbatch").read_text()), limit


BAD_SLURM = [
    ('mem = "2 GB"', r"s\.toml:\d+:7: key 'slurm\.mem' must be a memory size: .*got \"2 GB\""),
    ('time = "1h"', r":\d+:8: key 'slurm\.time' must be a Slurm time limit: MM, .*got \"1h\""),
    ('account = "a\\nb"', r":\d+:11: key 'slurm\.account' must be one line without control characters.*"
                          r"got \"a\\nb\""),
    ('partition = "debug; rm -rf ~"', r"key 'slurm\.partition' must be a partition name"),
    ('mem = "2G"\nmem_per_cpu = "1G"', r":\d+:15: keys 'slurm\.mem' and 'slurm\.mem_per_cpu' exclude each other"),
    ('cpus_per_task = 0', r"key 'slurm\.cpus_per_task' must be in \[1, 4096\], got 0"),
    ('cpus_per_task = "2"', r"key 'slurm\.cpus_per_task' must be an integer"),
    ('sbatch = ["--output=/tmp/x"]', r":\d+:11: key 'slurm\.sbatch\.0' must be an sbatch option that missionsim "
                                     r"does not write itself: --output"),
    ('sbatch = ["--constraint=a", "-A other"]', r":\d+:29: key 'slurm\.sbatch\.1' must be .*--account comes from "
                                                r"the setting 'account'"),
    ('sbatch = ["constraint=a"]', r"key 'slurm\.sbatch\.0' must be an sbatch option such as"),
    ('sbatch = "--constraint=a"', r"key 'slurm\.sbatch' must be an array of strings"),
    ('setup = ["module load \\\\"]', r"key 'slurm\.setup\.0' must be a complete shell command line"),
    ('acount = "x"', r":\d+:1: unknown key 'slurm\.acount'; did you mean 'slurm\.account'\?"),
]


def test_slurm_bad_site_settings_exit_2_naming_file_line_and_key(cli, tmp_path):
    base = write_sweep(tmp_path, name="s.toml").read_text()
    path = tmp_path / "s.toml"
    for table, pattern in BAD_SLURM:
        path.write_text(base + "\n[slurm]\n" + table + "\n")
        for action in (["plan", path], ["slurm", path, "-o", tmp_path / "never"]):
            proc = cli("sweep", *action)
            assert proc.returncode == 2, (table, proc.stderr)
            assert re.search(pattern, proc.stderr), (table, proc.stderr)
        assert not (tmp_path / "never").exists()
    path.write_text(base)
    cases = [(["--time", "90 minutes"], r"--time must be a Slurm time limit"),
             (["--mem", "4GB"], r"--mem must be a memory size"),
             (["--mem", "4G", "--mem-per-cpu", "1G"], r"--mem and --mem-per-cpu exclude each other"),
             (["--account", "a'b"], r"--account must be a name of letters"),
             (["--qos", "x\ny"], r"--qos must be one line without control characters"),
             (["--sbatch=--array=0-9"], r"--sbatch must be .*--array comes from the setting 'array_size'"),
             (["--sbatch=--dep=afterok:1"], r"--sbatch must be .*--dependency is set by the generated scripts"),
             (["--setup", "echo a\necho b"], r"--setup must be one line"),
             (["--cpus-per-task", "5000"], r"--cpus-per-task must be <= 4096")]
    for args, pattern in cases:
        proc = cli("sweep", "slurm", path, "-o", tmp_path / "never", *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert re.search(pattern, proc.stderr), (args, proc.stderr)
        assert not (tmp_path / "never").exists()


# ---------------------------------------------------------------- errors


def test_bad_sweep_file_exits_2_naming_the_key(cli, tmp_path):
    sweep = write_sweep(tmp_path)
    text = sweep.read_text()
    cases = [
        (text.replace('"choice.churn_base"', '"choice.churn_bas"'),
         r":\d+:\d+: parameters.0 'choice.churn_bas'.*unknown key.*did you mean 'choice.churn_base'"),
        (text.replace('design = "random"', 'design = "randm"'),
         r":\d+:\d+: key 'sweep.design' must be one of .*did you mean 'random'"),
        (text.replace("samples = 4", "sampels = 4"), r":\d+:\d+: unknown key 'sweep.sampels'; did you mean 'sweep.samples'"),
        (text.replace("range = [0.005, 0.05]", "range = [0.005, 5]"),
         r":\d+:\d+: parameters.0 'choice.churn_base' = 5(\.0)?: key 'choice.churn_base' must be in \[0, 1\]"),
        (text.replace("replicates = 2", "replicates = 0"), r":\d+:\d+: key 'sweep.replicates' must be in \[1, "),
    ]
    for bad, pattern in cases:
        path = tmp_path / "bad.toml"
        path.write_text(bad)
        proc = cli("sweep", "plan", path)
        assert proc.returncode == 2, proc.stderr
        assert re.search(pattern, proc.stderr), proc.stderr
        assert str(path) in proc.stderr
        proc = cli("sweep", "run", path, "-o", tmp_path / "never")
        assert proc.returncode == 2
        assert not (tmp_path / "never").exists()
    assert cli("sweep", "plan", tmp_path / "absent.toml").returncode == 2
    assert cli("sweep", "run", sweep, "-o", tmp_path / "x", "--shard", "3/3").returncode == 2


def test_shipped_sweeps_plan(cli, tmp_path):
    for path in sorted((REPO / "scenarios" / "sweeps").glob("*.toml")):
        proc = cli("sweep", "plan", path)
        if proc.returncode != 0 and "unknown key 'outcomes'" in proc.stderr:
            # An engine without time-resolved sweep outcomes: the rest of the file must plan.
            # (synergy-vs-philanthropy.toml ends with its [outcomes] tables.)
            head, sep, _ = path.read_text().partition("\n[outcomes]")
            assert sep, (path, proc.stderr)
            cut = tmp_path / path.name
            cut.write_text(head)
            proc = cli("sweep", "plan", cut)
        assert proc.returncode == 0, (path, proc.stderr)
