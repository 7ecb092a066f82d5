"""The missionsim command-line tool, end to end: run, validate, errors, interrupts."""

import re
import signal
import time
import tomllib

import h5py
import numpy as np
import pytest

from conftest import arrays_identical, read_trajectory, resolved_scenario, sha256_hex, text

# ---------------------------------------------------------------- run: the file


def test_run_writes_complete_self_describing_file(tiny_run):
    path, _ = tiny_run
    datasets, attrs = read_trajectory(path)
    assert text(attrs["format"]) == "missionsim-trajectory"
    assert int(attrs["format_version"]) == 2
    assert int(attrs["complete"]) == 1
    assert re.fullmatch(r"[0-9a-f]{64}", text(attrs["content_sha256"]))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text(attrs["created_utc"]))
    scenario_toml = text(datasets["scenario"])
    assert text(attrs["scenario_sha256"]) == sha256_hex(scenario_toml)
    assert int(attrs["seed"]) == resolved_scenario(datasets)["run"]["seed"]
    assert not path.with_name(path.name + ".partial").exists()


def test_run_datasets_have_one_row_per_step(tiny_run):
    path, _ = tiny_run
    datasets, _ = read_trajectory(path)
    steps = resolved_scenario(datasets)["run"]["steps"]
    T, F = steps + 1, len(datasets["firms/name"])
    assert F >= 3
    assert list(datasets["time"]) == list(range(T))
    per_firm = [k for k in datasets if k.startswith("firms/") and k not in ("firms/name", "firms/strategy")]
    assert "firms/share" in per_firm and "firms/cash" in per_firm
    for key in per_firm:
        assert datasets[key].shape == (T, F), key
    market = [k for k in datasets if k.startswith("market/")]
    assert "market/adopters" in market
    for key in market:
        assert datasets[key].shape[0] == T, key
        assert datasets[key].ndim == (2 if key.startswith("market/kano_") else 1), key


def test_run_keeps_the_accounting_invariants_every_step(tiny_run):
    path, _ = tiny_run
    d, _ = read_trajectory(path)
    population = resolved_scenario(d)["customers"]["count"]
    customers, adopters = d["firms/customers"], d["market/adopters"]
    np.testing.assert_array_equal(customers.sum(axis=1), adopters)
    assert (customers >= 0).all() and (adopters <= population).all()
    np.testing.assert_allclose(np.nansum(d["firms/share"], axis=1), adopters / population, rtol=1e-9, atol=1e-12)
    for key in ("firms/satisfaction", "firms/success"):
        x = d[key][~np.isnan(d[key])]
        assert ((x >= 0) & (x <= 1)).all(), key
    cents = {k: np.rint(d[f"firms/{k}"] * 100) for k in ("cash", "profit", "payout")}
    known = np.isfinite(cents["cash"][1:]) & np.isfinite(cents["cash"][:-1])
    expected = cents["cash"][:-1] + cents["profit"][1:] - cents["payout"][1:]
    np.testing.assert_array_equal(cents["cash"][1:][known], expected[known])


def test_run_prints_a_summary_and_no_progress_bar_off_terminal(tiny_run):
    path, proc = tiny_run
    assert str(path) in proc.stdout
    assert "customer-steps/s" in proc.stdout
    strategies = [text(n) for n in read_trajectory(path)[0]["firms/strategy"]]
    assert any(s in proc.stdout for s in strategies if s)
    assert proc.stderr == ""


def test_quiet_run_prints_nothing(cli, tiny_scenario, tmp_path):
    proc = cli("run", tiny_scenario, "-o", tmp_path / "q.h5", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""


def test_default_output_is_out_slash_stem(cli, tiny_scenario, tmp_path):
    proc = cli("run", tiny_scenario.resolve(), "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / (tiny_scenario.stem + ".h5")).is_file()


def test_output_parent_directories_are_created(cli, tiny_scenario, tmp_path):
    out = tmp_path / "a" / "b" / "run.h5"
    proc = cli("run", tiny_scenario, "-o", out, "-q")
    assert proc.returncode == 0, proc.stderr
    assert out.is_file()


# ---------------------------------------------------------------- reproducibility


def assert_same_run(a, b):
    da, aa = read_trajectory(a)
    db, ab = read_trajectory(b)
    assert sorted(da) == sorted(db)
    # The content digests cover created_utc, so they differ with it.
    varying = ("created_utc", "content_sha256", "content_digests")
    different = [k for k in da if k not in varying and not arrays_identical(da[k], db[k])]
    assert different == []
    assert {k for k in aa if k not in varying} == {k for k in ab if k not in varying}
    for k in aa:
        if k not in varying:
            assert arrays_identical(aa[k], ab[k]), k


# 50000 customers: enough ranges for TBB to split the phases between threads.
@pytest.mark.parametrize("customers", [500, 50000])
def test_thread_count_does_not_change_the_result(cli, tiny_scenario, tmp_path, customers):
    for n in (1, 2):
        proc = cli("run", tiny_scenario, "-o", tmp_path / f"t{n}.h5", "--threads", n, "-q",
                   "--set", f"customers.count={customers}")
        assert proc.returncode == 0, proc.stderr
    assert_same_run(tmp_path / "t1.h5", tmp_path / "t2.h5")


def test_same_seed_gives_the_same_run_and_another_seed_differs(cli, tiny_scenario, tmp_path):
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        proc = cli("run", tiny_scenario, "-o", tmp_path / f"{name}.h5", "--seed", seed, "-q")
        assert proc.returncode == 0, proc.stderr
    assert_same_run(tmp_path / "a.h5", tmp_path / "b.h5")
    da, aa = read_trajectory(tmp_path / "a.h5")
    dc, ac = read_trajectory(tmp_path / "c.h5")
    assert int(aa["seed"]) == 11 and int(ac["seed"]) == 12
    assert resolved_scenario(dc)["run"]["seed"] == 12
    assert any(not arrays_identical(da[k], dc[k]) for k in da if k.startswith("firms/") or k.startswith("market/"))


# ---------------------------------------------------------------- --set and validate


def test_set_changes_the_resolved_scenario(cli, tiny_scenario, tmp_path):
    proc = cli("run", tiny_scenario, "-o", tmp_path / "s.h5", "--set", "customers.count=321",
               "--set", "run.steps=5", "-q")
    assert proc.returncode == 0, proc.stderr
    d, _ = read_trajectory(tmp_path / "s.h5")
    scenario = resolved_scenario(d)
    assert scenario["customers"]["count"] == 321 and scenario["run"]["steps"] == 5
    assert d["time"].shape == (6,)


def test_validate_prints_toml_that_validates_again(cli, tiny_scenario, tmp_path):
    first = cli("validate", tiny_scenario, "--set", "customers.count=777")
    assert first.returncode == 0, first.stderr
    assert tomllib.loads(first.stdout)["customers"]["count"] == 777
    resolved = tmp_path / "resolved.toml"
    resolved.write_text(first.stdout)
    second = cli("validate", resolved)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout


# ---------------------------------------------------------------- bad input

GOOD_FIRMS = '\n[[firms]]\nname = "alpha"\nstrategy = "success"\n'

BAD_SCENARIOS = {
    # name: (file content, words the message must contain besides the file name)
    "unknown-key": ("[customers]\ncuont = 500\n" + GOOD_FIRMS, ["cuont", "count"]),
    "wrong-type": ('[customers]\ncount = "many"\n' + GOOD_FIRMS, ["count"]),
    "negative-count": ("[customers]\ncount = -5\n" + GOOD_FIRMS, ["count"]),
    "nan": ("[market]\nmaturity_rate = nan\n" + GOOD_FIRMS, ["maturity_rate"]),
    "empty": ("", []),
    "binary": (b"\x00\x89PNG\r\n\x1a\n\xff\xfe\x00garbage\x80\x81", []),
    "syntax": ("[customers\ncount = 5\n", []),
}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", sorted(BAD_SCENARIOS))
def test_bad_scenario_exits_2_naming_file_and_key(cli, tmp_path, command, case):
    content, words = BAD_SCENARIOS[case]
    path = tmp_path / f"{case}.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = tmp_path / "never.h5"
    proc = cli(command, path, *(["-o", out, "-q"] if command == "run" else []))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("missionsim: ")
    assert path.name in proc.stderr
    for word in words:
        assert word in proc.stderr
    assert proc.stdout == ""
    assert not out.exists() and not out.with_name(out.name + ".partial").exists()


@pytest.mark.parametrize("command", ["validate", "run"])
def test_missing_scenario_file_exits_2(cli, tmp_path, command):
    proc = cli(command, tmp_path / "nowhere.toml")
    assert proc.returncode == 2
    assert proc.stderr.startswith("missionsim: ") and "nowhere.toml" in proc.stderr


@pytest.mark.parametrize("override,key", [
    ("customers.count=-1", "customers.count"),
    ("customers.cuont=5", "cuont"),
    ("market.maturity_rate=nan", "market.maturity_rate"),
    ("no-equals-sign", "no-equals-sign"),
])
def test_bad_override_exits_2_naming_the_key(cli, tiny_scenario, override, key):
    proc = cli("validate", tiny_scenario, "--set", override)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("missionsim: ") and key in proc.stderr


BAD_USAGE = [
    [],
    ["bogus"],
    ["--bogus"],
    ["run"],
    ["validate"],
    ["run", "SCENARIO", "--threads", "0"],
    ["run", "SCENARIO", "--threads", "-2"],
    ["run", "SCENARIO", "--threads", "two"],
    ["run", "SCENARIO", "--threads"],
    ["run", "SCENARIO", "--seed", "-3"],
    ["run", "SCENARIO", "--seed", "x"],
    ["run", "SCENARIO", "--seed", "9223372036854775808"],
    ["run", "SCENARIO", "--bogus"],
    ["run", "SCENARIO", "SCENARIO"],
    ["validate", "SCENARIO", "--threads", "2"],
]


@pytest.mark.parametrize("args", BAD_USAGE, ids=lambda a: " ".join(a) or "no-args")
def test_bad_usage_exits_2_with_a_hint(cli, tiny_scenario, tmp_path, args):
    args = [str(tiny_scenario) if a == "SCENARIO" else a for a in args]
    proc = cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("missionsim: ")
    assert lines[1] == "try 'missionsim --help'"
    assert not (tmp_path / "out").exists()


def test_output_that_is_a_directory_exits_2_before_running(cli, tiny_scenario, tmp_path):
    proc = cli("run", tiny_scenario, "-o", tmp_path, "-q")
    assert proc.returncode == 2
    assert proc.stderr.startswith("missionsim: ") and "is a directory" in proc.stderr
    assert not tmp_path.with_name(tmp_path.name + ".partial").exists()


def test_seed_with_leading_zeros_is_the_same_seed(cli, tiny_scenario, tmp_path):
    proc = cli("run", tiny_scenario, "-o", tmp_path / "s.h5", "--seed", "007", "-q")
    assert proc.returncode == 0, proc.stderr
    assert int(read_trajectory(tmp_path / "s.h5")[1]["seed"]) == 7


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["run", "--help"], ["validate", "--help"]])
def test_help_exits_0(cli, args):
    proc = cli(*args)
    assert proc.returncode == 0 and proc.stderr == ""
    assert "usage: missionsim" in proc.stdout


def test_version_exits_0(cli):
    proc = cli("--version")
    assert proc.returncode == 0
    assert re.fullmatch(r"missionsim \d+\.\d+\.\d+\S*\n", proc.stdout)


# ---------------------------------------------------------------- interrupts


@pytest.mark.parametrize("signo", [signal.SIGINT, signal.SIGTERM])
def test_signal_keeps_a_partial_trajectory_and_exits_130(cli, tiny_scenario, tmp_path, signo):
    out = tmp_path / "long.h5"
    partial = tmp_path / "long.h5.partial"
    proc = cli.popen("run", tiny_scenario, "-o", out, "-q", "--set", "customers.count=200000",
                     "--set", "run.steps=100000")
    try:
        deadline = time.monotonic() + 120
        while not partial.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert partial.exists(), proc.communicate()[1] if proc.poll() is not None else "no .partial after 120 s"
        time.sleep(0.5)
        proc.send_signal(signo)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    m = re.search(r"interrupted at step (\d+) of 100000; partial trajectory in (\S+)", stderr)
    assert m and m.group(2) == str(partial), stderr
    assert not out.exists()
    with h5py.File(partial, "r") as f:
        assert int(f.attrs["complete"]) == 0
        rows = f["time"].shape[0]
        assert rows >= 1 and f["time"][0] == 0
        assert f["firms/customers"].shape[0] == rows
    assert rows == int(m.group(1)) + 1
