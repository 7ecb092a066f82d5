"""Readers for missionsim HDF5 trajectory files (schema in docs/OUTPUT.md).

``load_run(path)`` returns an ``xarray.Dataset``:

- dimensions ``time`` [T] (step, t = 0 is the initial state), ``firm`` [F]
  (firm names, entrant slots included) and ``attribute`` [A];
- coordinates ``time``, ``firm`` (names), ``strategy`` (each firm's strategy at
  t = 0, "" for an entrant slot) and ``attribute`` (index);
- one data variable per dataset of ``/firms`` and ``/market``, named after the
  dataset (``ds.share`` is ``/firms/share``, ``ds.adopters`` is
  ``/market/adopters``), with the dataset's ``units`` and ``long_name``
  attributes. Should a name ever exist in both groups, both get their group
  as prefix (``firms_x``, ``market_x``);
- one data variable ``custom_<name>`` per dataset ``/custom/<name>`` that a
  Python reporter wrote (python/README.md): its rows placed at their steps
  (``first_step + k * every``) along ``time``, NaN at the other steps, with a
  second dimension ``custom_<name>_column`` for a vector reporter, and the
  dataset's attributes;
- when the file has the ``/segments`` group (added within version 2; files
  written before it load without): dimension ``segment`` [G] (segment
  names), ``segment_customers`` and ``segment_values_customers``
  [time, segment, firm] (``/segments/customers``, ``/segments/values_customers``)
  and ``segment_population``, ``segment_values_population`` [segment];
  ``segment_shares(ds)`` sums them by strategy;
- ``ds.attrs``: ``scenario_toml`` (text), ``scenario`` (parsed dict),
  ``seed``, ``missionsim_version``, ``scenario_sha256``, ``created_utc``,
  ``complete``, ``format``, ``format_version``, ``strategy_names`` (the index
  space of ``strategy_id``) and ``path``.

Files are checked before anything is read: an unknown ``format``, another
``format_version``, an incomplete run (unless ``allow_incomplete=True``; a
``.partial`` name is always incomplete), a ``<path>.partial`` beside the file
(a later run into the same path did not finish), a damaged or non-HDF5 file,
a complete file whose content no longer matches its ``content_sha256``
(docs/OUTPUT.md, "Content digest") and a missing dataset each raise
``TrajectoryError`` with a message that says what is wrong.
"""

from __future__ import annotations

import os
import signal
from time import monotonic, sleep
import tomllib
import warnings

import numpy as np
import xarray as xr

FORMAT = "missionsim-trajectory"
FORMAT_VERSION = 2
PARTIAL_SUFFIX = ".partial"
DIGEST_ATTR = "content_sha256"
OBJECT_DIGESTS = "/content_digests"

# Datasets of schema version 1. Others found in /firms and /market are read too.
FIRM_FIELDS = (
    "customers", "share", "price", "revenue", "grants", "costs", "profit", "payout", "cash",
    "satisfaction", "success", "nps", "engagement", "social_impact", "harm", "retention",
    "strategy_id", "alive",
)
MARKET_FIELDS = (
    "adopters", "churn_rate", "hhi", "success_weight", "amplification", "expectation_mean",
    "disconfirmation_mean", "societal_value", "kano_maturity",
)
# The /segments group, added within version 2: optional.
SEGMENT_FIELDS = ("name", "population", "values_population", "customers", "values_customers")
ROOT_ATTRS = ("format", "format_version", "missionsim_version", "seed", "scenario_sha256",
              "created_utc", "complete", "content_sha256")
REQUIRED = ("scenario", "time", "firms/name", "firms/strategy", "strategies/name") + \
    tuple(f"firms/{f}" for f in FIRM_FIELDS) + tuple(f"market/{f}" for f in MARKET_FIELDS)


class TrajectoryError(Exception):
    """A trajectory file that cannot be read: the message says why."""


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return _text(value.reshape(-1)[0]) if value.size == 1 else str(value)
    return str(value)


def _scalar(value):
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise ValueError(f"expected a scalar, got shape {value.shape}")
        value = value.reshape(-1)[0]
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if isinstance(value, np.generic):
        value = value.item()
    return value


def _strings(dataset) -> list[str]:
    return [_text(v) for v in dataset[()].reshape(-1)]


class _Damaged(Exception):
    pass


_DIGEST_SKIP = (b"REFERENCE_LIST", b"DIMENSION_LIST")
_MAX_DEPTH = 8


def _content_digest(f, file_bytes: int = 0) -> str:
    """SHA-256 of the canonical serialisation of an open h5py file (docs/OUTPUT.md)."""
    return _content_digest_by_object(f, file_bytes, by_object=False)[0]


def _content_digest_by_object(f, file_bytes: int = 0, by_object: bool = True):
    """The content digest and [(path, digest of its record)] in stream order.

    Computes the same bytes as sim/output/content_digest.cpp, through
    h5py's low-level API so that names and strings are hashed as raw bytes.
    Raises ``_Damaged("<object>: <why>")`` for what the canonical form does
    not allow. Without ``by_object`` the list is empty and the stream is
    hashed once instead of twice.
    """
    import hashlib
    import struct

    import h5py
    from h5py import h5a, h5ds, h5i, h5l, h5o, h5s, h5t

    sha = hashlib.sha256()
    objects = []  # [path, hasher of its record]
    # The path of each dimension scale met in this walk, by (file number,
    # address): a scale comes opened through its object reference, with no
    # path, so h5i.get_name searches the whole file for one (as in C++).
    scale_names = {}

    if by_object:
        def feed(b):
            sha.update(b)
            objects[-1][1].update(b)

        def begin(path):
            objects.append([path, hashlib.sha256()])
    else:
        feed = sha.update

        def begin(path):
            pass

    def u64(v):
        feed(struct.pack("<Q", v))

    def text(b: bytes):
        u64(len(b))
        feed(b)

    def describe(tid, obj):
        cls, size = tid.get_class(), tid.get_size()
        if cls == h5t.INTEGER:
            sign = tid.get_sign()
            if sign not in (h5t.SGN_NONE, h5t.SGN_2):
                raise _Damaged(f"{obj}: integer type with an unknown sign")
            if size not in (1, 2, 4, 8):
                raise _Damaged(f"{obj}: integer type of {size} bytes")
            signed = sign == h5t.SGN_2
            return (f"{'int' if signed else 'uint'}{size * 8}",
                    np.dtype(f"<{'i' if signed else 'u'}{size}"), None)
        if cls == h5t.FLOAT:
            if size not in (4, 8):
                raise _Damaged(f"{obj}: floating-point type of {size} bytes")
            return f"float{size * 8}", np.dtype(f"<f{size}"), None
        if cls == h5t.STRING:
            if size == 0:
                raise _Damaged(f"{obj}: unreadable string type")
            if tid.is_variable_str():
                return "string", h5py.vlen_dtype(bytes), "variable"
            return "string", np.dtype(f"S{size}"), "fixed"
        raise _Damaged(f"{obj}: datatype class {cls} is not one a trajectory holds "
                       f"(integer, float, string)")

    def shape(space, obj, name, dtype):
        cls = space.get_simple_extent_type()
        if cls not in (h5s.SCALAR, h5s.SIMPLE):
            raise _Damaged(f"{obj}: null or unknown dataspace")
        dims = tuple(space.shape)
        item = 8 if dtype.kind == "O" else dtype.itemsize
        if file_bytes and item * int(np.prod(dims, dtype=object)) > 16 * file_bytes + 65536:
            raise _Damaged(f"{obj}: its shape claims more values than the file can hold")
        text(name.encode())
        u64(len(dims))
        for d in dims:
            u64(d)
        return dims

    def values(arr, kind):
        if kind is None:
            feed(np.ascontiguousarray(arr).tobytes())
            return
        for v in arr.reshape(-1):
            b = v if isinstance(v, bytes) else bytes(v)
            if kind == "fixed":
                b = b.split(b"\0", 1)[0]
            text(b.split(b"\0", 1)[0])

    def attributes(oid, obj, root):
        names = []
        h5a.iterate(oid, lambda n, *_: names.append(n))
        names = sorted(n for n in names if n not in _DIGEST_SKIP
                       and not (root and n == DIGEST_ATTR.encode()))
        u64(len(names))
        for n in names:
            what = f"{obj} attribute {n.decode('utf-8', 'replace')}"
            try:
                aid = h5a.open(oid, n)
                name, dtype, kind = describe(aid.get_type(), what)
                text(n)
                dims = shape(aid.get_space(), what, name, dtype)
                arr = np.empty(dims, dtype=dtype)
                if arr.size:
                    aid.read(arr)
            except _Damaged:
                raise
            except Exception as err:  # noqa: BLE001 -- any failure to read is damage
                raise _Damaged(f"{what}: cannot read it ({err})") from None
            values(arr, kind)

    def dataset(did, path):
        try:
            name, dtype, kind = describe(did.get_type(), path)
            begin(path)
            text(b"dataset")
            text(path.encode("utf-8", "surrogateescape"))
            dims = shape(did.get_space(), path, name, dtype)
            arr = np.empty(dims, dtype=dtype)
            if arr.size:
                did.read(h5s.ALL, h5s.ALL, arr)
        except _Damaged:
            raise
        except Exception as err:  # noqa: BLE001
            raise _Damaged(f"{path}: cannot read its values ({err})") from None
        values(arr, kind)
        scales(did, path, len(dims))
        attributes(did, path, False)

    def scales(did, path, rank):
        """The dimension scales of each dimension, by path (what DIMENSION_LIST means)."""
        try:
            if not h5a.exists(did, b"DIMENSION_LIST"):
                u64(0)
                return
            u64(rank)
            for d in range(rank):
                n = h5ds.get_num_scales(did, d)
                names = []

                def visit(sid):
                    info = h5o.get_info(sid)
                    key = (info.fileno, info.addr)
                    name = scale_names.get(key)
                    if name is None:
                        name = scale_names[key] = h5i.get_name(sid)
                    names.append(name)

                if n:
                    h5ds.iterate(did, d, visit)
                if len(names) != n:
                    raise _Damaged(f"{path}: inconsistent dimension scales of dimension {d}")
                u64(len(names))
                for name in names:
                    text(name)
        except _Damaged:
            raise
        except Exception as err:  # noqa: BLE001
            raise _Damaged(f"{path}: cannot resolve its dimension scales ({err})") from None

    def group(gid, path, depth):
        if depth > _MAX_DEPTH:
            raise _Damaged(f"{path}: groups nest deeper than {_MAX_DEPTH}")
        begin(path)
        text(b"group")
        text(path.encode("utf-8", "surrogateescape"))
        attributes(gid, path, depth == 0)
        names = []
        gid.links.iterate(lambda n: names.append(n))
        for n in sorted(names):
            child = (b"" if path == "/" else path.encode("utf-8", "surrogateescape")) + b"/" + n
            cpath = child.decode("utf-8", "surrogateescape")
            if b"/" in n or n in (b"", b"."):
                raise _Damaged(f"{cpath}: invalid member name")
            kind = gid.links.get_info(n).type
            if kind == h5l.TYPE_EXTERNAL:  # sweep.h5 links to the run files: hash the target
                try:
                    target_file, target_object = gid.links.get_val(n)
                except Exception as err:  # noqa: BLE001
                    raise _Damaged(f"{cpath}: unreadable external link ({err})") from None
                begin(cpath)
                text(b"external")
                text(child)
                text(target_file)
                text(target_object)
                continue
            if kind != h5l.TYPE_HARD:
                raise _Damaged(f"{cpath}: a link that is neither a hard nor an external link")
            try:
                oid = h5o.open(gid, n)
            except Exception as err:  # noqa: BLE001
                raise _Damaged(f"{cpath}: cannot open it ({err})") from None
            if isinstance(oid, h5py.h5g.GroupID):
                group(oid, cpath, depth + 1)
            elif isinstance(oid, h5py.h5d.DatasetID):
                dataset(oid, cpath)
            else:
                raise _Damaged(f"{cpath}: is neither a group nor a dataset")

    try:
        group(f.id if isinstance(f.id, h5py.h5g.GroupID) else h5py.h5g.open(f.id, b"/"), "/", 0)
    except _Damaged:
        raise
    except Exception as err:  # noqa: BLE001 -- h5py raises many types on corrupt metadata
        raise _Damaged(f"/: unreadable ({type(err).__name__}: {err})") from None
    return sha.hexdigest(), [(p, h.hexdigest()) for p, h in objects]


def _changed_objects(objects, listed) -> str:
    """What differs from the /content_digests lines written at finish (as the C++ reader says it)."""
    import hashlib

    if not listed:
        return ""
    if listed[-1] != hashlib.sha256("\n".join(listed[:-1]).encode("utf-8", "surrogateescape")
                                   ).hexdigest() + " " + OBJECT_DIGESTS:
        return OBJECT_DIGESTS
    then = {}
    for line in listed[:-1]:
        if len(line) < 66 or line[64] != " ":
            return OBJECT_DIGESTS
        then[line[65:]] = line[:64]
    now = dict(objects)
    changes = [p + (" (not in the file as written)" if p not in then else "")
               for p, h in objects if p != OBJECT_DIGESTS and then.get(p) != h]
    changes += [p + " (gone)" for p in then if p not in now]
    shown = ", ".join(changes[:5])
    return shown + (f" and {len(changes) - 5} more" if len(changes) > 5 else "")


def _verify_digest(f, path: str, error=None, complete="marked complete",
                   since="the run finished") -> None:
    """Refuse a complete file whose content does not match its content_sha256.

    ``error``: the exception class to raise (default ``TrajectoryError``);
    ``complete`` and ``since`` word the message for other files (sweep.h5).
    """
    error = error or TrajectoryError
    stored = f.attrs.get(DIGEST_ATTR) if DIGEST_ATTR in f.attrs else None
    stored = _text(stored) if stored is not None else None
    if stored is None or len(stored) != 64:
        raise error(f"{path}: damaged: {complete} but has no valid {DIGEST_ATTR} attribute")
    try:
        actual = _content_digest(f, os.path.getsize(path))
    except _Damaged as err:
        raise error(f"{path}: damaged: {err}") from None
    if actual != stored:
        # Only now each object's digest, to name what changed (a second walk).
        try:
            objects = _content_digest_by_object(f, os.path.getsize(path))[1]
            listed = [v.decode("utf-8", "surrogateescape") for v in
                      f[OBJECT_DIGESTS][()].reshape(-1)]
        except Exception:  # noqa: BLE001 -- then nothing names the object
            objects, listed = [], []
        changed = _changed_objects(objects, listed) or \
            "its content (a name, datatype, shape, value or attribute)"
        raise error(f"{path}: damaged: {changed} changed since {since} "
                    f"({DIGEST_ATTR} does not match)")


def _open(path: str):
    import h5py

    if not os.path.exists(path):
        partial = path + ".partial"
        hint = (f"; the run did not finish: {partial} exists (read it with allow_incomplete=True)"
                if os.path.exists(partial) else "")
        raise TrajectoryError(f"{path}: no such file{hint}")
    if os.path.isdir(path):
        raise TrajectoryError(f"{path}: is a directory, not a trajectory file")
    if not path.endswith(PARTIAL_SUFFIX) and os.path.exists(path + PARTIAL_SUFFIX):
        raise TrajectoryError(
            f"{path}: {path}{PARTIAL_SUFFIX} exists beside it: a later run into this path was "
            f"interrupted or is still writing, so {path} is an earlier run; remove the .partial "
            f"file to read it, or rerun")
    try:
        return h5py.File(path, "r")
    except Exception as err:  # OSError for most damage; h5py raises others on odd bytes
        size = os.path.getsize(path)
        raise TrajectoryError(
            f"{path}: damaged or not an HDF5 file ({size} bytes; truncated or overwritten?): "
            f"{err}") from None


def _read_everything(path: str) -> None:
    import h5py

    with h5py.File(path, "r") as f:
        def visit(_, obj):
            dict(obj.attrs)
            if isinstance(obj, h5py.Dataset):
                obj[()]
        dict(f.attrs)
        f.visititems(visit)
        if f.attrs.get("format") in (FORMAT, "missionsim-sweep"):
            try:  # the digest follows references too: a crash there happens here
                _content_digest(f, os.path.getsize(path))
            except _Damaged:
                pass  # reported by the real read


def _probe(path: str, others=()) -> None:
    """Read the whole file (and the files ``others``) once in a forked child first.

    The file's metadata carries no checksums (HDF5 superblock v0), and libhdf5
    can crash or loop forever on damaged metadata; in a child that costs a
    message instead of the caller's process. Python errors are left to the
    real read, which reports them. With ``others``, a crash names ``path``:
    probe the files one by one to find the damaged one.
    """
    if not hasattr(os, "fork"):
        return
    paths = [path, *others]
    timeout = 30.0 + sum(os.path.getsize(p) for p in paths if os.path.isfile(p)) / 20e6  # 20 MB/s
    pid = os.fork()
    if pid == 0:  # child: never returns into the caller's code
        try:
            import faulthandler
            faulthandler.disable()  # a crash here is the expected report, not a traceback to print
        except Exception:  # noqa: BLE001
            pass
        code = 0
        try:
            for p in paths:
                try:
                    _read_everything(p)
                except Exception:  # noqa: BLE001 -- reported by the real read of that file
                    code = 1
        except BaseException:  # noqa: B036 -- the parent reports it by reading again
            code = 1
        os._exit(code)
    deadline = monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise TrajectoryError(f"{path}: damaged file: reading it did not finish within "
                                  f"{timeout:.0f} s (corrupt HDF5 metadata?)")
        sleep(0.005)
    if os.WIFSIGNALED(status):
        raise TrajectoryError(f"{path}: damaged file: the HDF5 library crashed reading it "
                              f"(signal {os.WTERMSIG(status)}; corrupt metadata?)")


def _check_header(f, path: str, allow_incomplete: bool) -> dict:
    attrs = {}
    if "format" not in f.attrs:
        raise TrajectoryError(f"{path}: not a missionsim trajectory (no 'format' attribute)")
    fmt = _text(f.attrs["format"])
    if fmt != FORMAT:
        raise TrajectoryError(f"{path}: unknown format '{fmt}', expected '{FORMAT}'")
    if "format_version" not in f.attrs:
        raise TrajectoryError(f"{path}: no 'format_version' attribute")
    try:
        version = int(_scalar(f.attrs["format_version"]))
    except (TypeError, ValueError):
        raise TrajectoryError(f"{path}: unreadable format_version "
                              f"{f.attrs['format_version']!r}") from None
    if version != FORMAT_VERSION:
        why = ("; version 1 files carry no content digest, so their integrity cannot be "
               "checked: rerun the scenario with this missionsim, or read it with the analysis/ "
               "of the missionsim that wrote it" if version == 1 else
               "; use the analysis/ of the missionsim that wrote it")
        raise TrajectoryError(
            f"{path}: format_version {version} is not supported by this reader (it reads "
            f"version {FORMAT_VERSION}){why}")
    for key in ROOT_ATTRS:
        if key in f.attrs:
            attrs[key] = _scalar(f.attrs[key])
    complete = attrs.get("complete")
    if path.endswith(PARTIAL_SUFFIX) and complete is not None and int(complete) == 1:
        complete = 0  # the name decides: a file is published complete only by the rename
    if complete is None or int(complete) != 1:
        if not allow_incomplete:
            why = ("has no 'complete' attribute" if complete is None else
                   f"has a {PARTIAL_SUFFIX} name" if path.endswith(PARTIAL_SUFFIX) else
                   "is marked complete = 0")
            raise TrajectoryError(
                f"{path}: incomplete run (the file {why}: the run was interrupted or is still "
                f"being written); pass allow_incomplete=True (plot_run: --allow-incomplete) to "
                f"read the steps written so far")
    attrs["complete"] = 0 if complete is None else int(complete)
    if attrs["complete"] == 1:
        _verify_digest(f, path)
    return attrs


def _read(f, name: str, path: str):
    try:
        return f[name][()]
    except KeyError:
        raise TrajectoryError(f"{path}: missing dataset /{name}") from None
    except OSError as err:
        raise TrajectoryError(f"{path}: damaged dataset /{name}: {err}") from None


def _check_values(path, time, series, n_time, n_strategies):
    """Cheap invariants of schema v1 that damaged bytes are likely to break."""
    if time.size and (time[0] != 0 or np.any(np.diff(time) <= 0)):
        raise TrajectoryError(f"{path}: damaged file: /time does not start at 0 and increase")
    alive = series[("firms", "alive")][:n_time]
    if not np.isin(alive, (0, 1)).all():
        raise TrajectoryError(f"{path}: damaged file: /firms/alive holds values other than 0, 1")
    ids = series[("firms", "strategy_id")][:n_time]
    if ids.size and (ids.min() < -1 or ids.max() >= n_strategies):
        raise TrajectoryError(f"{path}: damaged file: /firms/strategy_id outside -1..{n_strategies - 1}")


def load_run(path, allow_incomplete: bool = False, probe: bool = True,
             variables=None) -> xr.Dataset:
    """Read one trajectory file into an ``xarray.Dataset`` (see the module doc).

    ``probe``: first read the file in a forked child process, so that a
    damaged file that crashes or hangs libhdf5 raises ``TrajectoryError``
    instead (POSIX only; costs one extra read of the file).
    ``variables``: read only these datasets of /firms and /market (by name;
    ``alive``, ``strategy_id`` and ``customers`` are always read), to read many
    files fast. All schema datasets must still exist.
    """
    import h5py

    path = os.fspath(path)
    if probe and os.path.isfile(path):
        _probe(path)
    with _open(path) as f:
        try:
            attrs = _check_header(f, path, allow_incomplete)
            if attrs.get("complete") == 1:
                # As sim/output/trajectory_reader.cpp: every object's metadata must be walkable
                # (the digest reads every value, not every B-tree pointer).
                f.visititems(lambda name, obj: None)
            missing = [name for name in REQUIRED if name not in f]
            if missing:
                raise TrajectoryError(f"{path}: missing dataset(s) "
                                      + ", ".join("/" + m for m in missing))
            scenario_toml = _text(_read(f, "scenario", path))
            time = np.asarray(_read(f, "time", path)).astype(np.int64).reshape(-1)
            names = _strings(f["firms/name"])
            strategies = _strings(f["firms/strategy"])
            strategy_names = _strings(f["strategies/name"])
            kano_shape = f["market/kano_maturity"].shape
            wanted = set(variables or ()) | {"alive", "strategy_id", "customers"}
            series = {}
            var_attrs = {}
            for group in ("firms", "market"):
                for key, obj in f[group].items():
                    if not isinstance(obj, h5py.Dataset) or (group == "firms" and key in
                                                              ("name", "strategy")):
                        continue
                    if variables is not None and key not in wanted:
                        continue
                    series[(group, key)] = _read(f, f"{group}/{key}", path)
                    var_attrs[(group, key)] = {a: _text(obj.attrs[a]) for a in
                                               ("units", "long_name") if a in obj.attrs}
            segments = {}
            if "segments" in f and isinstance(f["segments"], h5py.Group) and (
                    variables is None or any(str(v).startswith("segment") for v in variables)):
                for key in SEGMENT_FIELDS:
                    if key in f["segments"]:
                        obj = f["segments"][key]
                        segments[key] = (_strings(obj) if key == "name" else _read(f, f"segments/{key}", path),
                                         {a: _text(obj.attrs[a]) for a in ("units", "long_name")
                                          if a in obj.attrs})
            custom = {}
            if "custom" in f and isinstance(f["custom"], h5py.Group):
                for key, obj in f["custom"].items():
                    if isinstance(obj, h5py.Dataset):
                        custom[key] = (_read(f, f"custom/{key}", path),
                                       {a: _scalar(obj.attrs[a]) for a in obj.attrs})
        except TrajectoryError:
            raise
        except Exception as err:  # h5py raises many types on corrupt metadata or strings
            raise TrajectoryError(f"{path}: damaged file ({type(err).__name__}: {err})") from None

    n_firms = len(names)
    if len(strategies) != n_firms:
        raise TrajectoryError(f"{path}: /firms/strategy has {len(strategies)} entries, "
                              f"/firms/name has {n_firms}")
    n_attr = kano_shape[1] if len(kano_shape) == 2 else 0

    # Rows along time: all equal in a complete file; an interrupted writer may
    # leave some datasets a row or so ahead, so an incomplete file is cut to
    # the rows every dataset has.
    rows = [len(time)] + [v.shape[0] for v in series.values() if v.ndim >= 1]
    n_time = min(rows)
    if max(rows) != n_time:
        if attrs["complete"] == 1:
            raise TrajectoryError(f"{path}: datasets disagree on the number of time rows "
                                  f"({min(rows)}..{max(rows)}): damaged file")
        warnings.warn(f"{path}: incomplete run, datasets have {min(rows)}..{max(rows)} rows; "
                      f"keeping the first {n_time}")

    data_vars = {}
    keys = [k for _, k in series]
    clash = [k for k in FIRM_FIELDS + MARKET_FIELDS if keys.count(k) > 1]
    if clash:  # the schema's names are unique across /firms and /market
        raise TrajectoryError(f"{path}: damaged file: /firms and /market both hold "
                              + ", ".join(clash))
    for (group, key), values in series.items():
        name = key if keys.count(key) == 1 else f"{group}_{key}"
        values = values[:n_time]
        if values.ndim == 1:
            dims = ("time",)
        elif values.ndim == 2 and values.shape[1] == n_firms and group == "firms":
            dims = ("time", "firm")
        elif values.ndim == 2 and values.shape[1] == n_attr and group == "market":
            dims = ("time", "attribute")
        else:
            raise TrajectoryError(f"{path}: /{group}/{key} has shape {values.shape}, "
                                  f"expected [T] or [T, {n_firms if group == 'firms' else n_attr}]")
        data_vars[name] = (dims, values, var_attrs[(group, key)])
    for key in ("alive", "strategy_id"):
        if series[("firms", key)].ndim != 2:
            raise TrajectoryError(f"{path}: /firms/{key} has shape {series[('firms', key)].shape}, "
                                  f"expected [T, {n_firms}]")
    _check_values(path, time[:n_time], series, n_time, len(strategy_names))

    segment_names = None
    if segments:
        if "name" not in segments:
            raise TrajectoryError(f"{path}: /segments has no name dataset: damaged file")
        segment_names = list(segments["name"][0])
        n_seg = len(segment_names)
        for key, (values, seg_attrs) in segments.items():
            if key == "name":
                continue
            values = np.asarray(values)
            if key in ("customers", "values_customers"):
                if values.ndim != 3 or values.shape[1:] != (n_seg, n_firms) or values.shape[0] < n_time:
                    raise TrajectoryError(f"{path}: /segments/{key} has shape {values.shape}, "
                                          f"expected [T, {n_seg}, {n_firms}]")
                data_vars[f"segment_{key}"] = (("time", "segment", "firm"), values[:n_time], seg_attrs)
            else:
                if values.shape != (n_seg,):
                    raise TrajectoryError(f"{path}: /segments/{key} has shape {values.shape}, "
                                          f"expected [{n_seg}]")
                data_vars[f"segment_{key}"] = (("segment",), values, seg_attrs)

    for key, (values, custom_attrs) in custom.items():
        values = np.asarray(values, dtype=float)
        every, first = int(custom_attrs.get("every", 1)), int(custom_attrs.get("first_step", 0))
        if every < 1 or values.ndim not in (1, 2):
            raise TrajectoryError(f"{path}: /custom/{key} has shape {values.shape} and every = {every}: "
                                  "expected [rows] or [rows, width] and every >= 1")
        steps = first + every * np.arange(values.shape[0])
        placed = np.full((n_time,) + values.shape[1:], np.nan)
        row_of = {int(t): i for i, t in enumerate(time[:n_time])}
        for r, t in enumerate(steps):
            if int(t) in row_of:
                placed[row_of[int(t)]] = values[r]
        dims = ("time",) if values.ndim == 1 else ("time", f"custom_{key}_column")
        data_vars[f"custom_{key}"] = (dims, placed, custom_attrs)

    try:
        scenario = tomllib.loads(scenario_toml)
    except tomllib.TOMLDecodeError as err:
        warnings.warn(f"{path}: /scenario is not valid TOML ({err}); attrs['scenario'] is empty")
        scenario = {}

    attrs.update(scenario_toml=scenario_toml, scenario=scenario, strategy_names=strategy_names,
                 path=path)
    return xr.Dataset(
        data_vars,
        coords={
            "time": ("time", time[:n_time]),
            "firm": ("firm", names),
            "strategy": ("firm", strategies),
            "attribute": ("attribute", np.arange(n_attr)),
            **({"segment": ("segment", segment_names)} if segment_names is not None else {}),
        },
        attrs=attrs,
    )


def segment_shares(ds: xr.Dataset, values: bool | None = None) -> xr.DataArray:
    """Each segment's share held by each strategy at each step [time, segment, strategy].

    The customers of the firms following a strategy at step t (``strategy_id``
    at t, as ``strategy_at``), over the segment's population. ``values=True``:
    values-driven customers only, over the segment's values-driven population;
    ``values=False``: the other customers, over the rest of the segment. NaN
    for an empty population. Needs the ``/segments`` datasets (docs/OUTPUT.md).
    """
    if "segment_customers" not in ds:
        raise KeyError("this run file has no /segments datasets (written before they were added)")
    total = ds["segment_customers"].values.astype(float)
    vals = ds["segment_values_customers"].values.astype(float)
    pop = ds["segment_population"].values.astype(float)
    vpop = ds["segment_values_population"].values.astype(float)
    counts, denom = (total, pop) if values is None else (vals, vpop) if values else (total - vals, pop - vpop)
    names = list(ds.attrs["strategy_names"])
    ids = ds["strategy_id"].values.astype(np.int64)  # [time, firm]
    out = np.zeros((counts.shape[0], counts.shape[1], len(names)))
    for k in range(len(names)):
        mask = (ids == k)[:, None, :]  # [time, 1, firm]
        out[:, :, k] = np.where(mask, counts, 0.0).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(denom[None, :, None] > 0, out / denom[None, :, None], np.nan)
    return xr.DataArray(out, dims=("time", "segment", "strategy"),
                        coords={"time": ds.time, "segment": ds.segment, "strategy": names},
                        name="segment_share")


def strategy_at(ds: xr.Dataset) -> xr.DataArray:
    """Each firm's strategy name at each step [time, firm] ("" where the slot is empty)."""
    names = np.array(list(ds.attrs["strategy_names"]) + [""], dtype=object)
    ids = ds["strategy_id"].values.astype(np.int64)
    ids = np.where((ids >= 0) & (ids < len(names) - 1), ids, len(names) - 1)
    return xr.DataArray(names[ids], dims=("time", "firm"), coords={"time": ds.time, "firm": ds.firm})


def strategies_in_run(ds: xr.Dataset) -> list[str]:
    """Strategies that some live firm follows at some step, in the file's order."""
    used = set(strategy_at(ds).values[ds["alive"].values.astype(bool)].tolist())
    used |= {s for s in ds["strategy"].values.tolist() if s}
    ordered = [s for s in ds.attrs["strategy_names"] if s in used]
    return ordered + sorted(used - set(ordered) - {""})


def by_strategy(ds: xr.Dataset, var: str, how: str = "sum") -> xr.DataArray:
    """Aggregate a per-firm variable over the firms following each strategy at each step.

    ``how``: ``"sum"`` (flows and stocks: customers, share, revenue, harm...),
    ``"customers"`` (mean weighted by customers: satisfaction, success, nps,
    engagement; where no firm of the strategy has customers, the plain mean of
    the finite values, so that a firm state such as engagement shows at t = 0), ``"lagged"`` (mean weighted by last step's customers:
    retention) or ``"mean"`` (plain mean over live firms: price).
    Strategies are taken from ``strategy_id`` at each step, so entrants and
    firms that adopt another strategy count where they are. The result is
    [time, strategy]; a strategy with no firm (or no customers for the
    weighted means) at a step is NaN there.
    """
    values = ds[var].values.astype(float)
    alive = ds["alive"].values.astype(bool)
    labels = strategy_at(ds).values
    if how == "customers":
        weight = ds["customers"].values.astype(float)
    elif how == "lagged":
        cust = ds["customers"].values.astype(float)
        weight = np.vstack([cust[:1], cust[:-1]])
    elif how in ("sum", "mean"):
        weight = np.ones_like(values)
    else:
        raise ValueError(f"by_strategy: unknown how='{how}'")
    names = strategies_in_run(ds)
    out = np.full((values.shape[0], len(names)), np.nan)
    for j, name in enumerate(names):
        member = alive & (labels == name)
        ok = member & np.isfinite(values)
        if how == "sum":
            total = np.where(ok, values, 0.0).sum(axis=1)
            out[:, j] = np.where(member.any(axis=1), total, np.nan)
        else:
            w = np.where(ok, weight, 0.0)
            wsum = w.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[:, j] = np.where(wsum > 0, (w * np.where(ok, values, 0.0)).sum(axis=1) / wsum,
                                     np.nan)
                if how == "customers":
                    # A firm state defined without customers (engagement at t = 0): plain mean.
                    n = ok.sum(axis=1)
                    plain = np.where(ok, values, 0.0).sum(axis=1) / np.maximum(n, 1)
                    out[:, j] = np.where((wsum == 0) & (n > 0), plain, out[:, j])
    return xr.DataArray(out, dims=("time", "strategy"),
                        coords={"time": ds.time, "strategy": names}, name=var)


def scenario_value(ds: xr.Dataset, *keys: str, default=None):
    """First of the dotted ``keys`` ("adoption.p") present in the parsed scenario."""
    for key in keys:
        node = ds.attrs.get("scenario", {})
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                break
            node = node[part]
        else:
            return node
    return default
