"""The install target: `cmake --install` into a prefix, then the installed binary alone.

The build tree is installed with DESTDIR into a staging directory and the
prefix is then moved elsewhere, so the binary must run from a place that
neither the build nor the install knew. From a temporary working directory
outside the source tree, with a copied scenario and sweep file and a PATH
that holds only the moved prefix and the system, it runs a small sweep to
completion and collects it; the installed Python packages read the result.

ctest sets MISSIONSIM_BUILD_DIR; by hand:
    MISSIONSIM_BUILD_DIR=build/release MISSIONSIM_CLI=build/release/missionsim PYTHONPATH=.:tests \
        /usr/bin/python3 -m pytest tests/install
"""

import os
import pathlib
import re
import shutil
import subprocess

import h5py
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
PREFIX = "/opt/missionsim-install-test"

SWEEP = """
# A small random-design sweep, beside a copy of its base.
[sweep]
name = "installed"
base = "tiny.toml"
design = "random"
samples = 3
replicates = 2
seed = 7
set = ["run.steps=5", "customers.count=120"]

[[parameters]]
key = "choice.churn_base"
range = [0.005, 0.05]
"""


def build_dir():
    path = os.environ.get("MISSIONSIM_BUILD_DIR")
    if not path or not (pathlib.Path(path) / "cmake_install.cmake").is_file():
        pytest.fail(f"MISSIONSIM_BUILD_DIR={path!r} is not a configured build directory: run through ctest",
                    pytrace=False)
    return pathlib.Path(path).resolve()


def cache_value(build, name):
    text = (build / "CMakeCache.txt").read_text()
    m = re.search(rf"^{name}:[A-Z]+=(.*)$", text, re.M)
    return m.group(1) if m else None


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(moved prefix, staging root): installed with DESTDIR, then the prefix moved away."""
    build = build_dir()
    root = tmp_path_factory.mktemp("install")
    stage = root / "stage"
    proc = subprocess.run(["cmake", "--install", str(build), "--prefix", PREFIX], capture_output=True, text=True,
                          env=dict(os.environ, DESTDIR=str(stage)), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    moved = root / "elsewhere" / "missionsim"
    moved.parent.mkdir()
    shutil.move(str(stage / PREFIX.lstrip("/")), moved)
    return moved, stage


def clean_env(prefix):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MISSIONSIM_", "PYTHON", "LD_"))}
    env["PATH"] = f"{prefix / 'bin'}:/usr/bin:/bin"
    return env


def test_installed_binary_needs_nothing_from_the_build_or_source_tree(installed):
    prefix, _ = installed
    exe = prefix / "bin" / "missionsim"
    assert exe.is_file() and os.access(exe, os.X_OK)
    dynamic = subprocess.run(["readelf", "-d", exe], capture_output=True, text=True, check=True).stdout
    runpath = re.findall(r"\((?:RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[(.*)\]", dynamic)
    for entry in ":".join(runpath).split(":"):
        if entry:
            assert not entry.startswith((str(REPO), str(build_dir()), PREFIX)), f"RUNPATH points at {entry}"
    ldd = subprocess.run(["ldd", exe], capture_output=True, text=True, check=True).stdout
    assert "not found" not in ldd, ldd
    for name in ("README.md", "LICENSE", "CITATION.cff", "SWEEP.md"):
        assert (prefix / "share" / "doc" / "missionsim" / name).is_file(), name
    assert (prefix / "share" / "missionsim" / "scenarios" / "sweeps" / "tiny-lhs.toml").is_file()


def test_installed_binary_runs_and_collects_a_sweep_outside_the_source_tree(installed, tmp_path):
    prefix, stage = installed
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(prefix / "share" / "missionsim" / "scenarios" / "tiny.toml", work / "tiny.toml")
    (work / "sweep.toml").write_text(SWEEP)
    env = clean_env(prefix)

    def run(*args):
        proc = subprocess.run(["missionsim", *args], cwd=work, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"missionsim {' '.join(args)}: {proc.stdout}{proc.stderr}"
        return proc

    assert re.match(r"missionsim \d+\.\d+\.\d+", run("--version").stdout)
    run("sweep", "run", "sweep.toml", "-o", "out", "-q")
    assert "6 done" in run("sweep", "status", "out").stdout
    assert "6 of 6 runs done" in run("sweep", "collect", "out").stdout
    with h5py.File(work / "out" / "sweep.h5", "r") as f:
        assert int(f.attrs["runs_done"]) == 6
    # The Slurm scripts name the installed binary, not a build tree.
    assert "build tree" not in run("sweep", "slurm", "sweep.toml", "-o", "out", "--array-size", "2").stderr
    assert f"exec '{prefix / 'bin' / 'missionsim'}' sweep run" in (work / "out" / "sweep.sbatch").read_text()

    # The Python packages, where the build installs them: under the prefix unless
    # MISSIONSIM_PYTHON_INSTALL_DIR was set to an absolute directory.
    build = build_dir()
    if cache_value(build, "MISSIONSIM_WITH_PYTHON") != "ON":
        return
    site = cache_value(build, "MISSIONSIM_PYTHON_INSTALL_DIR")
    site_dir = stage / site.lstrip("/") if os.path.isabs(site) else prefix / site
    assert (site_dir / "analysis" / "__init__.py").is_file() and list(site_dir.glob("_missionsim*.so"))
    script = ("import sys, analysis, missionsim; "
              "assert analysis.__file__.startswith(sys.argv[1]), analysis.__file__; "
              "print(len(analysis.load_sweep('out')))")
    py = subprocess.run([cache_value(build, "MISSIONSIM_PYTHON") or "/usr/bin/python3", "-c", script, str(site_dir)],
                        cwd=work, env=dict(env, PYTHONPATH=str(site_dir), MPLBACKEND="Agg"), capture_output=True,
                        text=True, timeout=120)
    assert py.returncode == 0, py.stderr
    assert py.stdout.split()[-1] == "6"
