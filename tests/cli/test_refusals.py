"""Requests the tool refuses up front, before it writes or allocates anything.

An output that is one of the inputs, a FIFO or device as input, a request larger
than the machine, names that collide, and `validate` agreeing with `run`.
"""

import os
import shutil
import stat
import subprocess

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


# ------------------------------------------------------- item 9: larger than the machine

BIG_NETWORK = ["--set", "customers.count=100000000", "--set", "network.mean_degree=42"]
WIDE_AND_LONG = ["--set", "firms.0.count=997", "--set", "run.steps=100000", "--set", "customers.count=10"]


def limited(cli, *args, memory=None, disk=None, **kwargs):
    """Runs the CLI with the available memory and disk it assumes set (bytes)."""
    env = dict(os.environ)
    if memory is not None:
        env["MISSIONSIM_ASSUME_MEMORY"] = str(memory)
    if disk is not None:
        env["MISSIONSIM_ASSUME_DISK"] = str(disk)
    return subprocess.run([cli.path, *map(str, args)], capture_output=True, text=True, timeout=60, env=env,
                          stdin=subprocess.DEVNULL, **kwargs)


def test_absurd_thread_counts_are_refused_before_starting(cli, tiny_scenario, tmp_path):
    out = tmp_path / "o.h5"
    assert_refused(cli("run", tiny_scenario, "-o", out, "-q", "--threads", "2147483647"),
                   "--threads must be <= 4096, got 2147483647")
    assert_refused(cli("run", tiny_scenario, "-o", out, "-q", "--threads", "2147483647", "--force"),
                   "--threads must be <= 4096")
    many = 4 * os.cpu_count() + 1
    assert_refused(cli("run", tiny_scenario, "-o", out, "-q", "--threads", many), "hardware threads", "--force")
    assert not out.exists() and not (tmp_path / "o.h5.partial").exists()
    forced = cli("run", tiny_scenario, "-o", out, "-q", "--threads", many, "--force", "--set", "run.steps=1")
    assert forced.returncode == 0, forced.stderr
    sweep = write_grid_sweep(tmp_path / "s.toml", "t", tiny_scenario)
    for option in ("--jobs", "--threads"):
        assert_refused(cli("sweep", "run", sweep, "-o", tmp_path / "d", option, "2147483647"), f"{option} must be <= 4096")
    assert not (tmp_path / "d").exists()


def test_run_larger_than_memory_is_refused_with_the_estimate(cli, tiny_scenario, tmp_path):
    out = tmp_path / "big.h5"
    # 1e8 customers at degree 42: 4.2e9 adjacency entries, built from two edge lists.
    proc = limited(cli, "run", tiny_scenario, "-o", out, "-q", *BIG_NETWORK, memory=30e9)
    assert_refused(proc, "this run needs about 34.4 GB of memory", "network 17.2 GB (34.4 GB while it is built)",
                   "more than the 30 GB available (MISSIONSIM_ASSUME_MEMORY)", "--force")
    assert not out.exists() and not (tmp_path / "big.h5.partial").exists()
    # The real machine's MemAvailable is what counts without the variable.
    assert cli("validate", tiny_scenario, *BIG_NETWORK).returncode == 0


def test_output_larger_than_the_disk_is_refused_and_the_estimate_is_right(cli, tiny_scenario, tmp_path):
    out = tmp_path / "wide.h5"
    proc = limited(cli, "run", tiny_scenario, "-o", out, "-q", *WIDE_AND_LONG, disk=10e9)
    assert_refused(proc, "this run will write about 16.5 GB", "more than the 10 GB free")
    assert not out.exists()
    # The estimate matches a file actually written (200 firms x 500 steps).
    small = ["--set", "firms.0.count=197", "--set", "run.steps=500", "--set", "customers.count=50"]
    proc = limited(cli, "run", tiny_scenario, "-o", out, "-q", *small, disk=0)
    assert_refused(proc, "will write about")
    estimate = float(proc.stderr.split("will write about ")[1].split(" MB")[0]) * 1e6
    forced = limited(cli, "run", tiny_scenario, "-o", out, "-q", *small, "--force", disk=0)
    assert forced.returncode == 0, forced.stderr
    assert 0.9 * estimate <= out.stat().st_size <= 1.1 * estimate, (estimate, out.stat().st_size)
    # Long names count too: 200 firms named by a 50 kB name write 10 MB of names.
    named = tmp_path / "named.toml"
    named.write_text(f'[[firms]]\nname = "{"n" * 50000}"\nstrategy = "success"\ncount = 200\n')
    small = ["--set", "run.steps=1", "--set", "customers.count=10", "--set", "network.kind=complete"]
    proc = limited(cli, "run", named, "-o", out, "-q", *small, disk=0)
    estimate = float(proc.stderr.split("will write about ")[1].split(" MB")[0]) * 1e6
    assert limited(cli, "run", named, "-o", out, "-q", *small, "--force", disk=0).returncode == 0
    assert 0.9 * estimate <= out.stat().st_size <= 1.1 * estimate, (estimate, out.stat().st_size)


SWEEP_HEAD = '[sweep]\nbase = "{base}"\n{design}\n[[parameters]]\nkey = "{key}"\n{values}\n'


def sweep_file(tmp_path, base, design, key, values, name="s.toml"):
    path = tmp_path / name
    path.write_text(SWEEP_HEAD.format(base=base, design=design, key=key, values=values))
    return path


def test_sweep_plans_larger_than_memory_are_refused_before_expansion(cli, tiny_scenario, tmp_path):
    # 1e8 runs (the documented maximum): ~104 bytes a run.
    runs = sweep_file(tmp_path, tiny_scenario, 'design = "random"\nsamples = 10000000\nreplicates = 10',
                      "choice.churn_base", "range = [0.01, 0.02]")
    for action in (["plan", runs], ["run", runs, "-o", tmp_path / "d"], ["slurm", runs, "-o", tmp_path / "d"]):
        proc = limited(cli, "sweep", *action, memory=5e9)
        assert_refused(proc, "the plan of 100000000 runs needs about 11.2 GB of memory", "--force")
    assert not (tmp_path / "d").exists()
    # The former built-in Saltelli design is refused, naming its replacement (docs/SWEEP.md, Designs).
    sobol = sweep_file(tmp_path, tiny_scenario, 'design = "sobol"\nsamples = 10000000', "choice.churn_base",
                       "range = [0.01, 0.02]", "sobol.toml")
    assert_refused(cli("sweep", "plan", sobol), 'sobol.toml:3:10: design "sobol" is no longer built in',
                   "analysis.design saltelli")
    # An integer range of 9e15 values is counted, not expanded.
    grid = sweep_file(tmp_path, tiny_scenario, 'design = "grid"', "run.seed",
                      'range = [0, 9000000000000000]\nscale = "integer"', "grid.toml")
    assert_refused(cli("sweep", "plan", grid), "grid.toml:6:9: the grid has more than 100000000 points")


def test_sweep_run_larger_than_the_machine_is_refused(cli, tiny_scenario, tmp_path):
    sweep = write_grid_sweep(tmp_path / "s.toml", "t", tiny_scenario)
    d = tmp_path / "d"
    proc = limited(cli, "sweep", "run", sweep, "-o", d, "--jobs", "2", memory=1e6)
    assert_refused(proc, "this sweep needs about", "2 runs at once, up to")
    proc = limited(cli, "sweep", "run", sweep, "-o", d, disk=1000)
    assert_refused(proc, "this sweep will write about", "more than the 1 kB free")
    assert not d.exists()
    ok = limited(cli, "sweep", "run", sweep, "-o", d, "-q", "--force", memory=1e6, disk=1000)
    assert ok.returncode == 0, ok.stderr


# ------------------------------------------------------- items 10-13: validate refuses what run refuses

SEGMENTS_17 = "".join(f'[[customers.segments]]\nname = "s{i}"\nshare = {1 / 17!r}\n' for i in range(17))
BAD_SCENARIOS = {
    # Network::build rounds the degree: 9.6 -> 10 = customers.count.
    "degree rounds up": ('[customers]\ncount = 10\n[network]\nkind = "erdos-renyi"\nmean_degree = 9.6\n',
                         "key 'network.mean_degree' must be < customers.count (10), got 9.6 (rounded to 10)"),
    "17 segments": (SEGMENTS_17, "key 'customers.segments' must have at most 16 segments"),
    "endogenous era rate 3": ('[era]\nkind = "endogenous"\nrate = 3\n', "key 'era.rate' must be in (0, 1]"),
    "logit scale 1e100": ('[choice]\nlogit_scale = 1e100\n[[firms]]\nstrategy = "shareholder"\n',
                          "key 'choice.logit_scale' must be <= 1000"),
    "expanded names collide": ('[[firms]]\nname = "x"\nstrategy = "synergy"\ncount = 2\n'
                               '[[firms]]\nname = "x-1"\nstrategy = "satisfaction"\n',
                               'firm name "x-1" of firms.1'),
    "entrant slot name": ('[economics]\nmax_entrants = 1\n[[firms]]\nname = "entrant-1"\nstrategy = "synergy"\n',
                          "reserved for entrant slot 1"),
    "NUL in a name": ('[[firms]]\nname = "a\\u0000b"\nstrategy = "synergy"\n',
                      "key 'firms.0.name' must not contain control characters"),
}


@pytest.mark.parametrize("case", sorted(BAD_SCENARIOS))
def test_validate_and_run_refuse_alike_with_position_and_key(cli, tmp_path, case):
    toml, expected = BAD_SCENARIOS[case]
    if "[[firms]]" not in toml:
        toml += '[[firms]]\nstrategy = "success"\n'
    path = tmp_path / "bad.toml"
    path.write_text('[run]\nsteps = 2\n' + toml)
    validate = cli("validate", path)
    run = cli("run", path, "-o", tmp_path / "o.h5", "-q")
    assert_refused(validate, expected, f"{path}:")
    assert validate.stderr == run.stderr and run.returncode == validate.returncode
    assert not (tmp_path / "o.h5").exists()


def test_messages_stay_short_for_huge_values(cli, tiny_scenario, tmp_path):
    huge = "n" * (1 << 20)
    path = tmp_path / "huge.toml"
    path.write_text(f'[[firms]]\nname = "{huge}"\nstrategy = "success"\n[[firms]]\nname = "{huge}"\n'
                    'strategy = "synergy"\n')
    for args in (["validate", path], ["run", path, "-q", "-o", tmp_path / "o.h5"]):
        proc = cli(*args)
        assert_refused(proc, "(1048576 bytes)")
        assert len(proc.stderr) < 1000
    sweep = tmp_path / "s.toml"
    for parameter in (f'key = "{huge}"\nlevels = [1]', f'key = "run.steps"\nlevels = ["{huge}"]',
                      f'key = "network.kind"\nlevels = ["{huge}"]', f'key = "{huge}"\nrange = [1, 2]\npoints = 2',
                      f'{huge} = 1'):
        sweep.write_text(f'[sweep]\nbase = "{tiny_scenario}"\ndesign = "grid"\n[[parameters]]\n{parameter}\n')
        proc = cli("sweep", "plan", sweep)
        assert_refused(proc, "(1048576 bytes)")
        assert len(proc.stderr) < 1000, proc.stderr[:300]
