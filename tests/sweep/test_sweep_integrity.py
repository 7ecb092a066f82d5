"""Damaged run files in a sweep (docs/OUTPUT.md, "Guarantees"; docs/SWEEP.md).

A run file whose bytes changed after it was written is never counted as
done: `sweep status` lists it as damaged, `sweep collect` never crashes on it
and leaves its row NaN with status "damaged", and `sweep run --resume` redoes
it, ending identical to an undamaged sweep.
"""

import shutil

import h5py
import pytest

from conftest import identical_runs, write_sweep

RUN = "p000001-r00"


@pytest.fixture
def swept(cli, tmp_path):
    sweep = write_sweep(tmp_path)
    out = tmp_path / "d"
    assert cli("sweep", "run", sweep, "-o", out, "-q").returncode == 0
    reference = tmp_path / "reference.h5"
    shutil.copyfile(out / "runs" / f"{RUN}.h5", reference)
    return sweep, out, reference


def test_flipped_bits_never_pass_as_done_nor_crash_collect(cli, swept):
    _, out, reference = swept
    target = out / "runs" / f"{RUN}.h5"
    data = bytearray(reference.read_bytes())
    offsets = [k * len(data) // 20 + k for k in range(20)]
    damaged_seen = 0
    for i, off in enumerate(offsets):
        flipped = bytearray(data)
        flipped[off] ^= 1 << (i % 8)
        target.write_bytes(bytes(flipped))
        status = cli("sweep", "status", out)
        assert status.returncode == 0, status.stderr
        collect = cli("sweep", "collect", out)
        assert collect.returncode == 0, (off, collect.returncode, collect.stderr)  # never a crash
        with h5py.File(out / "sweep.h5", "r") as f:
            ids = list(f["runs/id"].asstr()[:])
            state = f["runs/status"].asstr()[ids.index(RUN)]
        if f"{RUN}  damaged" in status.stdout:
            damaged_seen += 1
            assert state == "damaged" and "7 of 8 runs done" in collect.stdout, off
        else:  # accepted as done: then it must hold exactly what was written
            assert "8 runs, 8 done" in status.stdout, status.stdout
            assert state == "done"
            assert identical_runs(target, reference), off
    assert damaged_seen > 0


def test_resume_redoes_a_damaged_run(cli, swept):
    sweep, out, reference = swept
    target = out / "runs" / f"{RUN}.h5"
    with h5py.File(target, "r+") as f:  # a change no checksum of HDF5's can see
        f["firms/name"][0] = b"mallory"
    status = cli("sweep", "status", out)
    assert "7 done" in status.stdout and "1 damaged" in status.stdout
    assert f"{RUN}  damaged" in status.stdout
    proc = cli("sweep", "run", sweep, "-o", out, "--resume", "-q")
    assert proc.returncode == 0, proc.stderr
    assert "8 runs, 8 done" in cli("sweep", "status", out).stdout
    assert identical_runs(target, reference)


def test_scales_with_several_links_digest_alike_in_cpp_and_python(cli, swept):
    """A run file whose dimension scales have more than one hard link, its digest rewritten by
    analysis.readers (which, like the C++ digest, looks each scale's path up once per walk): the
    C++ reader (sweep status) accepts it as done, so both digests name every scale alike."""
    import hashlib

    import numpy as np

    from analysis.readers import DIGEST_ATTR, OBJECT_DIGESTS, _content_digest, _content_digest_by_object

    _, out, _ = swept
    target = out / "runs" / f"{RUN}.h5"
    with h5py.File(target, "r+") as f:
        f["a_time"] = f["time"]  # /time now has three links, /firm two
        f["zz_time"] = f["time"]
        f["a_firm"] = f["firm"]
        del f[OBJECT_DIGESTS]
        lines = [f"{h} {p}" for p, h in _content_digest_by_object(f)[1]]
        lines.append(hashlib.sha256("\n".join(lines).encode()).hexdigest() + " " + OBJECT_DIGESTS)
        f.create_dataset(OBJECT_DIGESTS, data=np.array(lines, dtype=object), dtype=h5py.string_dtype())
        f.attrs.modify(DIGEST_ATTR, _content_digest(f))
    status = cli("sweep", "status", out)
    assert status.returncode == 0 and "8 runs, 8 done" in status.stdout, status.stdout
