"""Integrity of trajectory files as analysis.load_run sees them (docs/OUTPUT.md, "Guarantees").

Every byte of a complete file that carries meaning is covered by the content
digest: a flipped bit anywhere either leaves every loaded value identical or
makes load_run refuse the file with "damaged". The rerun rule: a ``.partial``
name is never complete, and a ``.partial`` beside a file means the file is an
earlier run.
"""

import os
import shutil
import subprocess
import time

import h5py
import numpy as np
import pytest

from analysis.readers import TrajectoryError, _content_digest, load_run

from conftest import REPO, SCENARIO, copy_with, missionsim_cli

# Offsets sampled across the whole file, evenly, plus the first 2 KiB more
# densely (superblock, root group and its attributes). Each costs a forked
# probe, so the sample is kept to about 130 flips (the C++ reader's test in
# tests/test_output.cpp flips more).
FLIPS = 100


def _flip_offsets(size):
    dense = range(0, min(size, 2048), 71)
    return sorted(set(dense) | {k * size // FLIPS for k in range(FLIPS)})


def _same(a, b):
    """Every loaded value, coordinate and attribute identical (NaN equal to NaN)."""
    a, b = a.copy(), b.copy()
    a.attrs.pop("path"), b.attrs.pop("path")
    return a.identical(b)


def test_every_bit_flip_is_harmless_or_refused_as_damaged(run_file, tmp_path):
    original = load_run(run_file)
    data = bytearray(run_file.read_bytes())
    offsets = _flip_offsets(len(data))
    assert len(offsets) >= 100
    refused = harmless = 0
    wrong = []
    start = time.monotonic()
    for i, off in enumerate(offsets):
        damaged = bytearray(data)
        damaged[off] ^= 1 << (i % 8)
        path = tmp_path / f"flip{off}.h5"
        path.write_bytes(bytes(damaged))
        try:
            ds = load_run(path)
        except TrajectoryError as err:
            assert "damaged" in str(err) or "not a missionsim" in str(err) \
                or "format_version" in str(err) or "incomplete" in str(err), (off, str(err))
            refused += 1
        else:
            if _same(ds, original):
                harmless += 1
            else:
                wrong.append(off)
        path.unlink()
    assert not wrong, f"flips at offsets {wrong} changed loaded values without an error"
    assert refused > 0 and harmless > 0
    assert time.monotonic() - start < 120  # a hang would cost 30 s per flip (the probe's deadline)


def test_digest_covers_names_strings_types_and_attributes(run_file, tmp_path):
    """Edits through HDF5 itself (no checksum can catch them) are refused."""
    edits = {
        "scenario text": lambda f: f["scenario"].__setitem__((), b"[market]\npopulation = 1\n"),
        "firm name": lambda f: f["firms/name"].__setitem__(0, b"mallory"),
        "value": lambda f: f["market/kano_maturity"].__setitem__((0, 0), 5.5e18),
        "unit": lambda f: f["firms/cash"].attrs.modify("units", "euro"),
        "root attribute": lambda f: f.attrs.modify("seed", np.uint64(8)),
        "renamed dataset": lambda f: f.move("market/kano_better", "market/kano_bettes"),
        "removed dataset": lambda f: f.__delitem__("market/kano_worse"),
        "extra dataset": lambda f: f.create_dataset("firms/extra", data=[1.0]),
        "detached dimension scale": lambda f: f["firms/cash"].dims[1].detach_scale(f["firm"]),
        "swapped dimension scale": lambda f: (f["market/kano_maturity"].dims[1].detach_scale(
            f["attribute"]), f["market/kano_maturity"].dims[1].attach_scale(f["strategy"])),
        "retyped dataset": lambda f: (f.__delitem__("market/hhi"),
                                      f.create_dataset("market/hhi", data=np.zeros(
                                          f["time"].shape, dtype="<f4"))),
    }
    named = {"scenario text": "/scenario", "firm name": "/firms/name", "value": "/market/kano_maturity",
             "unit": "/firms/cash", "root attribute": "damaged: / changed",
             "renamed dataset": "/market/kano_bettes", "removed dataset": "/market/kano_worse (gone)",
             "retyped dataset": "/market/hhi", "detached dimension scale": "/firms/cash"}
    for what, edit in edits.items():
        bad = copy_with(run_file, tmp_path / "bad.h5", edit)
        with pytest.raises(TrajectoryError, match="damaged") as err:
            load_run(bad)
        assert named.get(what, "damaged") in str(err.value), (what, str(err.value))
        bad.unlink()


def test_resealed_file_loads(run_file, tmp_path):
    """The test helper that reshapes files on purpose writes what the writer would."""
    same = copy_with(run_file, tmp_path / "same.h5", lambda f: None, reseal=True)
    with h5py.File(same, "r") as a, h5py.File(run_file, "r") as b:
        assert a["content_digests"].asstr()[:].tolist() == b["content_digests"].asstr()[:].tolist()
    assert _same(load_run(same), load_run(run_file))


def test_digest_definition_matches_the_writer(run_file):
    with h5py.File(run_file, "r") as f:
        assert _content_digest(f) == f.attrs["content_sha256"]


def test_partial_name_is_never_complete(run_file, tmp_path):
    """A kill between the last write and the rename leaves a .partial marked complete."""
    partial = tmp_path / "run.h5.partial"
    shutil.copyfile(run_file, partial)
    with pytest.raises(TrajectoryError, match="incomplete run .*partial name"):
        load_run(partial)
    ds = load_run(partial, allow_incomplete=True)
    assert ds.attrs["complete"] == 0


def test_partial_beside_a_complete_file_is_refused(run_file, tmp_path):
    """A killed rerun into an existing path: the old file must not pass for the new run."""
    path = tmp_path / "run.h5"
    shutil.copyfile(run_file, path)
    load_run(path)
    shutil.copyfile(run_file, str(path) + ".partial")
    for allow in (False, True):
        with pytest.raises(TrajectoryError, match=r"\.partial exists beside it.*earlier run"):
            load_run(path, allow_incomplete=allow)


def test_killed_rerun_leaves_the_old_file_refused(tmp_path):
    """missionsim run into an existing OUT.h5, killed half-way: load_run refuses OUT.h5."""
    out = tmp_path / "run.h5"
    cmd = [missionsim_cli(), "run", str(SCENARIO), "-o", str(out), "--quiet"]
    assert subprocess.run(cmd, cwd=REPO, timeout=120).returncode == 0
    load_run(out)
    env = dict(os.environ, MISSIONSIM_FAULT_AT="after-row-3")
    proc = subprocess.run(cmd, cwd=REPO, env=env, timeout=120)
    assert proc.returncode == -9
    assert (tmp_path / "run.h5.partial").exists()
    with pytest.raises(TrajectoryError, match="earlier run"):
        load_run(out)


def test_version_1_files_are_refused_with_the_reason(run_file, tmp_path):
    old = copy_with(run_file, tmp_path / "v1.h5", lambda f: f.attrs.modify("format_version", 1))
    with pytest.raises(TrajectoryError, match="format_version 1 .*no content digest"):
        load_run(old)
