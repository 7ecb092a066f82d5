"""Reader for a collected parameter sweep (``sweep.h5``, schema in docs/SWEEP.md).

``load_sweep(dir_or_file)`` returns a ``pandas.DataFrame`` with one row per
run, in run-index order (the index is the run index, ``point * replicates +
replicate``):

- ``run`` (id, ``p000012-r03``), ``point``, ``replicate``, ``seed``,
  ``status`` (``done``, ``partial``, ``missing``, ``failed``, ``damaged``), ``file``
  (absolute path of the run's trajectory), ``saltelli_matrix`` and
  ``saltelli_column`` (sobol designs; ``""`` and -1 otherwise);
- one column per varied parameter, named by its scenario key
  (``choice.churn_base``): floats, integers for ``integer`` parameters, the
  level itself (string, number or boolean) for ``levels`` parameters;
- summary outcomes, named ``<who>:<what>``: ``<strategy>:share``,
  ``:customers``, ``:profit``, ``:societal_value``, ``:satisfaction``,
  ``:success``, ``:firms`` for every strategy (``success:share``), and
  ``market:adopters_share``, ``market:hhi``, ``market:societal_value``;
- ``winner``: the strategy with the highest final share (``"tie"`` when
  several share the top, ``""`` when no run data or nobody adopted).

``df.attrs`` holds the sweep's provenance (``name``, ``design``, ``samples``,
``replicates``, ``seed``, ``runs``, ``runs_done``, ``sweep_sha256``,
``missionsim_version``, ``created_utc``, ``format``, ``format_version``), the
column groups (``parameters``, ``strategies``, ``outcomes``), per-parameter
``scales``, ``lo``, ``hi``, per-column ``units`` and ``long_names``, the
``base_scenario`` text, ``fixed_overrides`` and ``path`` (of sweep.h5).

A run's trajectories: ``sweep_run(df.loc[i])`` or ``sweep_run(df, "p000001-r00")``
returns ``load_run`` of its file; ``sweep_runs(df)`` iterates over all done runs.
``sweep_firms(df)`` gives the per-firm outcomes in long form.
"""

from __future__ import annotations

import os
import tomllib
import warnings

import numpy as np
import pandas as pd

from .readers import TrajectoryError, _probe, _scalar, _text, _verify_digest, load_run

FORMAT = "missionsim-sweep"
FORMAT_VERSION = 2
FILE_NAME = "sweep.h5"
STATUSES = ("done", "partial", "missing", "failed", "damaged")
STRATEGY_OUTCOMES = ("share", "customers", "profit", "societal_value", "satisfaction", "success",
                     "firms")
MARKET_OUTCOMES = ("adopters_share", "hhi", "societal_value")
FIRM_OUTCOMES = ("share", "customers", "profit", "cash", "satisfaction", "success",
                 "societal_value", "alive")
ROOT_ATTRS = ("format", "format_version", "missionsim_version", "sweep_sha256", "name", "design",
              "samples", "replicates", "seed", "runs", "runs_done", "created_utc")
REQUIRED = ("base_scenario", "fixed_overrides", "parameters/name", "parameters/scale",
            "parameters/lo", "parameters/hi", "parameters/value", "parameters/text", "runs/id",
            "runs/seed", "runs/point", "runs/replicate", "runs/status", "runs/file",
            "runs/saltelli_matrix", "runs/saltelli_column", "outcomes/firm/name",
            "outcomes/firm/strategy_id", "outcomes/strategy/name") + \
    tuple(f"outcomes/firm/{o}" for o in FIRM_OUTCOMES) + \
    tuple(f"outcomes/strategy/{o}" for o in STRATEGY_OUTCOMES) + \
    tuple(f"outcomes/market/{o}" for o in MARKET_OUTCOMES)


class SweepError(TrajectoryError):
    """A sweep that cannot be read: the message says why."""


def _locate(path: str) -> str:
    """sweep.h5 of a sweep directory, or the file itself."""
    if os.path.isdir(path):
        file = os.path.join(path, FILE_NAME)
        if os.path.exists(file):
            return file
        if os.path.exists(file + ".partial"):
            raise SweepError(f"{path}: {FILE_NAME} is not written yet ({FILE_NAME}.partial "
                             f"exists: 'missionsim sweep collect' did not finish); run it again")
        if os.path.exists(os.path.join(path, "manifest.toml")):
            raise SweepError(f"{path}: sweep directory without {FILE_NAME}; run "
                             f"'missionsim sweep collect {path}' first")
        raise SweepError(f"{path}: not a sweep directory (no {FILE_NAME}, no manifest.toml)")
    if not os.path.exists(path):
        raise SweepError(f"{path}: no such file or directory")
    return path


def _open(path: str):
    import h5py

    try:
        return h5py.File(path, "r")
    except Exception as err:
        raise SweepError(f"{path}: damaged or not an HDF5 file ({os.path.getsize(path)} bytes; "
                         f"truncated or overwritten?): {err}") from None


def _check_header(f, path: str) -> dict:
    if "format" not in f.attrs:
        raise SweepError(f"{path}: not a missionsim sweep (no 'format' attribute)")
    fmt = _text(f.attrs["format"])
    if fmt != FORMAT:
        hint = ("; it is a single run: read it with load_run" if fmt == "missionsim-trajectory"
                else "")
        raise SweepError(f"{path}: unknown format '{fmt}', expected '{FORMAT}'{hint}")
    if "format_version" not in f.attrs:
        raise SweepError(f"{path}: no 'format_version' attribute")
    try:
        version = int(_scalar(f.attrs["format_version"]))
    except (TypeError, ValueError):
        raise SweepError(f"{path}: unreadable format_version "
                         f"{f.attrs['format_version']!r}") from None
    if version != FORMAT_VERSION:
        hint = ("; version 1 has no content digest: collect it again with this missionsim "
                "('missionsim sweep collect DIR')" if version == 1 else
                "; use the analysis/ of the missionsim that wrote it")
        raise SweepError(f"{path}: format_version {version} is not supported by this reader (it "
                         f"reads version {FORMAT_VERSION}){hint}")
    _verify_digest(f, path, SweepError, complete="a collected sweep",
                   since="it was collected")
    missing = [k for k in ROOT_ATTRS if k not in f.attrs]
    if missing:
        raise SweepError(f"{path}: missing root attribute(s) " + ", ".join(missing))
    attrs = {k: _scalar(f.attrs[k]) for k in ROOT_ATTRS}
    for k in ("format_version", "samples", "replicates", "seed", "runs", "runs_done"):
        attrs[k] = int(attrs[k])
    return attrs


def _strings(values) -> np.ndarray:
    flat = [_text(v) for v in np.asarray(values).reshape(-1)]
    return np.array(flat, dtype=object).reshape(np.shape(values))


def _level(text: str):
    """The value of a level from its TOML text (``"erdos-renyi"`` -> erdos-renyi)."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _damaged(path, what):
    return SweepError(f"{path}: damaged file: {what}")


def load_sweep(path, allow_missing: bool = False, probe: bool = True) -> pd.DataFrame:
    """Read a collected sweep (a sweep directory or its ``sweep.h5``) into a DataFrame.

    Refuses (``SweepError``) an unknown ``format`` or ``format_version``, a
    damaged file and a sweep whose collection has runs that are not done;
    ``allow_missing=True`` reads the latter, with NaN outcomes in the rows of
    runs that are not done. ``probe``: read the file in a forked child first
    (see ``load_run``).
    """
    file = _locate(os.fspath(path))
    if probe and os.path.isfile(file):
        try:
            _probe(file)
        except TrajectoryError as err:
            raise SweepError(str(err)) from None
    with _open(file) as f:
        try:
            attrs = _check_header(f, file)
            missing = [name for name in REQUIRED if name not in f]
            if missing:
                raise SweepError(f"{file}: missing dataset(s) " + ", ".join("/" + m for m in
                                                                            missing))
            data = {name: f[name][()] for name in REQUIRED}
            units = {name: _text(f[name].attrs.get("units", "")) for name in REQUIRED}
            long_names = {name: _text(f[name].attrs.get("long_name", "")) for name in REQUIRED}
            links = set(f["trajectories"].keys()) if "trajectories" in f else set()
        except SweepError:
            raise
        except Exception as err:  # h5py raises many types on corrupt metadata
            raise _damaged(file, f"{type(err).__name__}: {err}") from None

    ids = _strings(data["runs/id"]).reshape(-1)
    n_runs = ids.size
    names = _strings(data["parameters/name"]).reshape(-1).tolist()
    n_par = len(names)
    strategies = _strings(data["outcomes/strategy/name"]).reshape(-1).tolist()
    n_strat = len(strategies)
    firm_slots = np.shape(data["outcomes/firm/name"])
    n_firm = firm_slots[1] if len(firm_slots) == 2 else -1

    # Shapes: everything must agree with R, P, F, S.
    expect = {"parameters/scale": (n_par,), "parameters/lo": (n_par,), "parameters/hi": (n_par,),
              "parameters/value": (n_runs, n_par), "parameters/text": (n_runs, n_par)}
    for k in ("seed", "point", "replicate", "status", "file", "saltelli_matrix",
              "saltelli_column"):
        expect[f"runs/{k}"] = (n_runs,)
    for k in FIRM_OUTCOMES + ("name", "strategy_id"):
        expect[f"outcomes/firm/{k}"] = (n_runs, n_firm)
    for k in STRATEGY_OUTCOMES:
        expect[f"outcomes/strategy/{k}"] = (n_runs, n_strat)
    for k in MARKET_OUTCOMES:
        expect[f"outcomes/market/{k}"] = (n_runs,)
    for name, shape in expect.items():
        if np.shape(data[name]) != shape and not (n_par == 0 and name.startswith("parameters")):
            raise _damaged(file, f"/{name} has shape {np.shape(data[name])}, expected "
                                 f"{list(shape)}")
    if n_runs != attrs["runs"]:
        raise _damaged(file, f"{n_runs} runs in /runs/id, but the 'runs' attribute says "
                             f"{attrs['runs']}")
    if len(set(ids.tolist())) != n_runs:
        raise _damaged(file, "/runs/id holds duplicate run ids")
    status = _strings(data["runs/status"]).reshape(-1)
    odd = sorted(set(status.tolist()) - set(STATUSES))
    if odd:
        raise _damaged(file, f"/runs/status holds unknown value(s) {odd}")
    done = status == "done"
    if int(done.sum()) != attrs["runs_done"]:
        raise _damaged(file, f"{int(done.sum())} runs have status 'done', but the 'runs_done' "
                             f"attribute says {attrs['runs_done']}")
    point = np.asarray(data["runs/point"]).astype(np.int64)
    replicate = np.asarray(data["runs/replicate"]).astype(np.int64)
    reps = max(attrs["replicates"], 1)
    if n_runs and not np.array_equal(point * reps + replicate, np.arange(n_runs)):
        raise _damaged(file, "/runs/point and /runs/replicate do not give the run index "
                             "point * replicates + replicate")
    strategy_id = np.asarray(data["outcomes/firm/strategy_id"]).astype(np.int64)
    if strategy_id.size and (strategy_id.min() < -1 or strategy_id.max() >= n_strat):
        raise _damaged(file, f"/outcomes/firm/strategy_id outside -1..{n_strat - 1}")
    if attrs["design"] == "sobol":
        per_point = n_runs // reps
        if n_runs % reps or per_point != attrs["samples"] * (n_par + 2):
            raise _damaged(file, f"sobol design with {n_runs} runs, expected samples x "
                                 f"(parameters + 2) x replicates = {attrs['samples']} x "
                                 f"{n_par + 2} x {reps}")
    if not done.all():
        counts = {s: int((status == s).sum()) for s in STATUSES[1:] if (status == s).any()}
        listed = ", ".join(f"{i} ({s})" for i, s in zip(ids[~done][:5], status[~done][:5]))
        more = f", ... ({int((~done).sum()) - 5} more)" if (~done).sum() > 5 else ""
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        if not allow_missing:
            raise SweepError(
                f"{file}: incomplete sweep: {attrs['runs_done']} of {n_runs} runs done "
                f"({summary}: {listed}{more}); finish it with 'missionsim sweep run ... "
                f"--resume' and collect again, or pass allow_missing=True (plot_sweep: "
                f"--allow-missing) to read the runs that are done")
        warnings.warn(f"{file}: {attrs['runs_done']} of {n_runs} runs done ({summary}); their "
                      f"rows have NaN outcomes")

    base_dir = os.path.dirname(os.path.abspath(file))
    rel = _strings(data["runs/file"]).reshape(-1)
    columns = {
        "run": ids,
        "point": point,
        "replicate": replicate,
        "seed": np.asarray(data["runs/seed"]).astype(np.uint64),
        "status": status,
        "file": np.array([os.path.normpath(os.path.join(base_dir, r)) for r in rel], dtype=object),
        "saltelli_matrix": _strings(data["runs/saltelli_matrix"]).reshape(-1),
        "saltelli_column": np.asarray(data["runs/saltelli_column"]).astype(np.int64),
    }
    col_units, col_long = {}, {}
    scales = _strings(data["parameters/scale"]).reshape(-1).tolist()
    values = np.asarray(data["parameters/value"], dtype=float).reshape(n_runs, n_par)
    texts = _strings(data["parameters/text"]).reshape(n_runs, n_par)
    for j, name in enumerate(names):
        if name in columns:
            raise _damaged(file, f"parameter name '{name}' collides with a column")
        if scales[j] == "levels":
            col = np.array([_level(t) for t in texts[:, j]], dtype=object)
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in col):
                col = values[:, j]
        elif scales[j] == "integer" and np.isfinite(values[:, j]).all():
            col = values[:, j].astype(np.int64)
        else:
            col = values[:, j]
        columns[name] = col
        col_long[name] = f"scenario key {name}"

    nan = np.where(done, 1.0, np.nan)  # outcomes of runs not done: NaN whatever the file says
    outcomes = []
    for s_idx, s in enumerate(strategies):
        for what in STRATEGY_OUTCOMES:
            key = f"{s}:{what}"
            columns[key] = np.asarray(data[f"outcomes/strategy/{what}"], dtype=float)[:, s_idx] * nan
            col_units[key] = units[f"outcomes/strategy/{what}"]
            col_long[key] = f"{s}: {long_names[f'outcomes/strategy/{what}']}"
            outcomes.append(key)
    for what in MARKET_OUTCOMES:
        key = f"market:{what}"
        columns[key] = np.asarray(data[f"outcomes/market/{what}"], dtype=float) * nan
        col_units[key] = units[f"outcomes/market/{what}"]
        col_long[key] = f"market: {long_names[f'outcomes/market/{what}']}"
        outcomes.append(key)
    share = np.column_stack([columns[f"{s}:share"] for s in strategies]) if strategies else \
        np.full((n_runs, 0), np.nan)
    winner = np.full(n_runs, "", dtype=object)
    for i in range(n_runs):
        row = np.nan_to_num(share[i], nan=-1.0)
        if row.size and row.max() > 0:
            top = np.flatnonzero(row == row.max())
            winner[i] = strategies[top[0]] if top.size == 1 else "tie"
    columns["winner"] = winner

    df = pd.DataFrame(columns)
    df.index.name = "index"
    df.attrs.update(attrs)
    df.attrs.update(
        path=file, parameters=names, strategies=strategies, outcomes=outcomes,
        scales=dict(zip(names, scales)),
        lo=dict(zip(names, np.asarray(data["parameters/lo"], dtype=float).tolist())),
        hi=dict(zip(names, np.asarray(data["parameters/hi"], dtype=float).tolist())),
        units=col_units, long_names=col_long,
        base_scenario=_text(data["base_scenario"]),
        fixed_overrides=_strings(data["fixed_overrides"]).reshape(-1).tolist(),
        linked=sorted(links),
    )
    return df


def sweep_run(sweep, run=None, allow_incomplete: bool = False, probe: bool = True):
    """``load_run`` of one run of a sweep: its trajectories as an ``xarray.Dataset``.

    ``sweep_run(df.loc[i])`` (a row of ``load_sweep``), ``sweep_run(df, "p000001-r00")``,
    ``sweep_run(df, 3)`` (run index) or ``sweep_run("out/lhs", "p000001-r00")``.
    The dataset's attrs gain ``sweep_run`` (the id) and the row's parameter values.
    """
    if isinstance(sweep, pd.Series):
        row = sweep
    else:
        df = sweep if isinstance(sweep, pd.DataFrame) else load_sweep(sweep, allow_missing=True)
        if run is None:
            raise ValueError("sweep_run: name the run (id or index) when passing a whole sweep")
        if isinstance(run, (int, np.integer)):
            if run not in df.index:
                raise SweepError(f"{df.attrs.get('path', 'sweep')}: no run with index {run} "
                                 f"(0..{len(df) - 1})")
            row = df.loc[run]
        else:
            hit = df.index[df["run"] == run]
            if hit.empty:
                raise SweepError(f"{df.attrs.get('path', 'sweep')}: no run '{run}' "
                                 f"(ids {df['run'].iloc[0]} .. {df['run'].iloc[-1]})")
            row = df.loc[hit[0]]
    if row["status"] != "done" and not allow_incomplete:
        raise SweepError(f"run {row['run']}: status '{row['status']}' in the sweep, no complete "
                         f"trajectory ({row['file']}); pass allow_incomplete=True to read a "
                         f"partial one")
    ds = load_run(row["file"], allow_incomplete=allow_incomplete, probe=probe)
    ds.attrs["sweep_run"] = row["run"]
    return ds


def sweep_runs(df: pd.DataFrame, variables=None):
    """Yield ``(row, dataset)`` for every done run of ``df``, reading the files fast.

    One forked child probes all files first (see ``load_run``); should it
    crash, the files are probed one by one, so the error names the damaged
    file. ``variables``: as for ``load_run``, the datasets to read.
    """
    rows = df[df["status"] == "done"]
    paths = rows["file"].tolist()
    if paths and all(os.path.isfile(p) for p in paths):
        try:
            _probe(paths[0], paths[1:])
        except TrajectoryError:
            for p in paths:
                _probe(p)
    for _, row in rows.iterrows():
        ds = load_run(row["file"], probe=False, variables=variables)
        ds.attrs["sweep_run"] = row["run"]
        yield row, ds


def sweep_firms(df: pd.DataFrame) -> pd.DataFrame:
    """Per-firm outcomes of every done run in long form: one row per (run, firm slot).

    Columns ``run``, ``slot``, ``firm``, ``strategy`` (final), then ``share``,
    ``customers``, ``profit``, ``cash``, ``satisfaction``, ``success``,
    ``societal_value``, ``alive``, and the run's parameters.
    """
    import h5py

    path = df.attrs["path"]
    with h5py.File(path, "r") as f:
        names = _strings(f["outcomes/firm/name"][()])
        sid = f["outcomes/firm/strategy_id"][()].astype(np.int64)
        values = {k: f[f"outcomes/firm/{k}"][()].astype(float) for k in FIRM_OUTCOMES}
    strategies = np.array(list(df.attrs["strategies"]) + [""], dtype=object)
    rows = []
    for i, (index, run) in enumerate(df[["run"]].itertuples()):
        if df.at[index, "status"] != "done":
            continue
        for slot in range(names.shape[1]):
            if not names[i, slot]:
                continue
            row = {"run": run, "slot": slot, "firm": names[i, slot],
                   "strategy": strategies[sid[i, slot]]}
            row.update({k: values[k][i, slot] for k in FIRM_OUTCOMES})
            row.update({p: df.at[index, p] for p in df.attrs["parameters"]})
            rows.append(row)
    return pd.DataFrame(rows)
