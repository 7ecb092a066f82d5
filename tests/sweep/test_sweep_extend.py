"""Extending a finished sweep (`sweep extend`, then `run --resume`): nothing that exists is rerun,
and the result equals one big sweep."""

import shutil

import pytest

from conftest import REPO, TWO_RANGES, identical_runs, run_files

SWEEP = """
[sweep]
name = "ext"
base = "{base}"
design = "{design}"
{size}
replicates = {replicates}
seed = {seed}
set = ["run.steps=4", "customers.count=120"]
""" + TWO_RANGES


def write(path, design="random", size="samples = 3", replicates=2, seed=7):
    path.write_text(SWEEP.format(base=REPO / "scenarios" / "tiny.toml", design=design, size=size,
                                 replicates=replicates, seed=seed))
    return path


def fingerprint(d):
    """(inode, mtime_ns, size) of every run file: rewritten or replaced files change it."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size) for p in (d / "runs").iterdir()}


def ok(proc):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_extend_reruns_nothing_and_equals_one_big_sweep(cli, tmp_path):
    small = write(tmp_path / "small.toml", size="samples = 3", replicates=2)
    big = write(tmp_path / "big.toml", size="samples = 5", replicates=3)
    ext, one = tmp_path / "ext", tmp_path / "one"
    ok(cli("sweep", "run", small, "-o", ext, "-q"))
    ok(cli("sweep", "collect", ext))
    before = fingerprint(ext)
    assert len(before) == 6
    ledger_before = (ext / "ledger").read_text()

    out = ok(cli("sweep", "extend", big, "-o", ext)).stdout
    assert "now 5 points x 3 replicates = 15 runs, 9 added" in out
    assert not (ext / "sweep.h5").exists()  # it described the smaller sweep
    assert fingerprint(ext) == before       # extend itself writes no run
    ok(cli("sweep", "run", big, "-o", ext, "--resume", "-q"))
    ok(cli("sweep", "collect", ext))
    after = fingerprint(ext)
    assert {k: after[k] for k in before} == before  # untouched: same inode, mtime and size
    new_lines = (ext / "ledger").read_text()[len(ledger_before):].splitlines()
    assert sorted(line.split("\t")[1] + ".h5" for line in new_lines) == sorted(set(after) - set(before))
    assert len(new_lines) == 9 and all(line.split("\t")[1] + ".h5" not in before for line in new_lines)

    ok(cli("sweep", "run", big, "-o", one, "-q"))
    ok(cli("sweep", "collect", one))
    assert run_files(ext) == run_files(one)
    for name in run_files(one):
        assert identical_runs(ext / "runs" / name, one / "runs" / name), name
    assert identical_runs(ext / "sweep.h5", one / "sweep.h5")
    # Extending to the same file again changes nothing.
    assert "0 added" in ok(cli("sweep", "extend", big, "-o", ext)).stdout
    assert (ext / "sweep.h5").exists()


def test_points_files_grow_by_appended_rows(cli, tmp_path):
    import subprocess
    import sys

    def design(sweep, n, out):
        subprocess.run([sys.executable, "-m", "analysis.design", "sobol", str(sweep), "--n", str(n),
                        "--seed", "3", "-o", str(out)], check=True, cwd=REPO, capture_output=True)

    small = write(tmp_path / "small.toml", design="points", size='points = "p4.csv"', replicates=1)
    big = write(tmp_path / "big.toml", design="points", size='points = "p8.csv"', replicates=1)
    design(small, 4, tmp_path / "p4.csv")
    design(small, 8, tmp_path / "p8.csv")  # Sobol' points: the first 4 of 8 are the 4
    d = tmp_path / "d"
    ok(cli("sweep", "run", small, "-o", d, "-q"))
    before = fingerprint(d)
    assert "4 added" in ok(cli("sweep", "extend", big, "-o", d)).stdout
    assert (d / "points.csv").read_text() == (tmp_path / "p8.csv").read_text()
    ok(cli("sweep", "run", big, "-o", d, "--resume", "-q"))
    after = fingerprint(d)
    assert len(after) == 8 and {k: after[k] for k in before} == before


@pytest.mark.parametrize("change,message", [
    (dict(seed=8), "must stay the same"),
    (dict(replicates=1), "an extension may only add"),
    (dict(size="samples = 2"), "an extension may only add"),
    (dict(replicates=101), "would become p000000-r000 (its id gets wider"),
])
def test_what_is_not_an_extension_is_refused(cli, tmp_path, change, message):
    small = write(tmp_path / "small.toml")
    d = tmp_path / "d"
    ok(cli("sweep", "run", small, "-o", d, "-q"))
    manifest = (d / "manifest.toml").read_bytes()
    proc = cli("sweep", "extend", write(tmp_path / "other.toml", **change), "-o", d)
    assert proc.returncode == 2 and "is not an extension of the sweep in" in proc.stderr, proc.stderr
    assert message in proc.stderr, proc.stderr
    assert (d / "manifest.toml").read_bytes() == manifest  # nothing changed
    assert (d / "sweep.toml").read_text() == small.read_text()


def test_a_saltelli_design_does_not_grow_by_points(cli, tmp_path):
    import subprocess
    import sys

    small = write(tmp_path / "small.toml", design="points", size='points = "s.csv"', replicates=1)
    big = write(tmp_path / "big.toml", design="points", size='points = "b.csv"', replicates=1)
    for n, out in ((2, "s.csv"), (4, "b.csv")):
        subprocess.run([sys.executable, "-m", "analysis.design", "saltelli", str(small), "--n", str(n),
                        "--allow-small", "-o", str(tmp_path / out)], check=True, cwd=REPO,
                       capture_output=True)
    d = tmp_path / "d"
    ok(cli("sweep", "run", small, "-o", d, "-q"))
    proc = cli("sweep", "extend", big, "-o", d)
    assert proc.returncode == 2 and "a Saltelli design cannot grow by points" in proc.stderr, proc.stderr


def test_interrupted_extend_is_finished_by_running_it_again(cli, tmp_path):
    small = write(tmp_path / "small.toml")
    big = write(tmp_path / "big.toml", replicates=3)
    d = tmp_path / "d"
    ok(cli("sweep", "run", small, "-o", d, "-q"))
    # As if killed after the copies and before the manifest.
    shutil.copy(big, d / "sweep.toml")
    proc = cli("sweep", "status", d)
    assert proc.returncode == 2 and "does not match manifest.toml" in proc.stderr
    ok(cli("sweep", "extend", big, "-o", d))
    assert "9 runs" in ok(cli("sweep", "status", d)).stdout

