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


# --- a sweep as one xarray Dataset over (run, time, firm, strategy) ----------------------

OUTCOMES_TIME = "outcomes/time"
DERIVED_KINDS = ("per_time", "event")
DEFAULT_STEPS = 120  # run.steps default (docs/SCENARIO.md)


def _final_steps(df: pd.DataFrame) -> np.ndarray:
    """The last step of every run, from ``run.steps`` as the sweep set it.

    In order of precedence: a ``run.steps`` parameter, the last ``run.steps=``
    of ``[sweep] set``, the base scenario's ``[run] steps``, the default 120.
    """
    steps = DEFAULT_STEPS
    try:
        steps = int(tomllib.loads(df.attrs.get("base_scenario", "")).get("run", {}).get(
            "steps", steps))
    except (tomllib.TOMLDecodeError, TypeError, ValueError):
        pass
    for text in df.attrs.get("fixed_overrides", []):
        key, _, value = text.partition("=")
        if key.strip() == "run.steps":
            try:
                steps = int(_level(value.strip()))
            except (TypeError, ValueError):
                pass
    if "run.steps" in df.columns:
        return df["run.steps"].to_numpy(dtype=float).astype(np.int64)
    return np.full(len(df), steps, dtype=np.int64)


def load_dataset(path, allow_missing: bool = False, probe: bool = True):
    """A collected sweep as an ``xarray.Dataset`` with dimensions (run, time, firm, strategy).

    Data variables (NaN in the rows of runs that are not done):

    - strategy outcomes [run, time, strategy], named as in ``/outcomes/strategy``:
      ``share``, ``customers``, ``profit``, ``societal_value``, ``satisfaction``,
      ``success``, ``firms``;
    - firm outcomes [run, time, firm] with the prefix ``firm_`` (``firm_share``,
      ``firm_cash``, ``firm_alive``, ...), and ``firm_name``, ``firm_strategy``
      [run, firm] (strings; the strategy at the last step, ``""`` for no slot);
    - market outcomes [run, time] with the prefix ``market_`` (``market_hhi``,
      ``market_adopters_share``, ``market_societal_value``);
    - derived outcomes (``/outcomes/derived/<name>``) under their own name:
      [run, time] for ``kind = "per_time"``, [run] for ``kind = "event"``; their
      attrs keep ``expression`` and ``kind``.

    Coordinates: ``run`` (ids, ``p000012-r03``), ``time`` (the steps in
    ``/outcomes/time``), ``strategy`` (names), ``firm`` (slot index), and on
    ``run``: ``index``, ``point``, ``replicate``, ``seed``, ``status`` and one
    coordinate per varied parameter, named by its scenario key. A sweep
    collected without an ``[outcomes]`` table (``/outcomes/time`` holds the
    final step only, or is absent in files from before it) has one time, the
    final step (``ds.attrs["time_resolved"]`` is False: K = 1); quantities
    summed over the run are running sums up to each time.

    ``ds.attrs``: the provenance of ``load_sweep`` (``name``, ``design``,
    ``replicates``, ...), ``parameters``, ``strategies``, ``path``,
    ``time_resolved``. Refusals as for ``load_sweep`` (``SweepError``).
    """
    import h5py
    import xarray as xr

    df = load_sweep(path, allow_missing=allow_missing, probe=probe)
    file = df.attrs["path"]
    n_runs = len(df)
    strategies = list(df.attrs["strategies"])
    done = (df["status"] == "done").to_numpy()
    nan_rows = np.where(done, 1.0, np.nan)

    def fail(what):
        raise _damaged(file, what)

    with h5py.File(file, "r") as f:
        resolved = OUTCOMES_TIME in f
        if resolved:
            time = np.asarray(f[OUTCOMES_TIME][()])
            if time.ndim != 1 or time.size == 0:
                fail(f"/{OUTCOMES_TIME} has shape {list(time.shape)}, expected [K] with K >= 1")
            time = time.astype(np.int64)
            if np.any(np.diff(time) <= 0):
                fail(f"/{OUTCOMES_TIME} is not strictly ascending: {time.tolist()}")
        else:
            final = _final_steps(df)
            time = np.array([int(final.max()) if final.size else DEFAULT_STEPS], dtype=np.int64)
        n_time = time.size

        def series(group, name, width):
            """[R, K(, width)] of one outcome: /outcomes_t when time-resolved, else final."""
            final = np.asarray(f[f"outcomes/{group}/{name}"][()], dtype=float)
            if not resolved:
                return final[:, None, ...]
            key = f"outcomes_t/{group}/{name}"
            if key not in f:
                fail(f"/{OUTCOMES_TIME} is present but /{key} is missing")
            data = np.asarray(f[key][()], dtype=float)
            shape = (n_runs, n_time) + ((width,) if width is not None else ())
            if data.shape != shape:
                fail(f"/{key} has shape {list(data.shape)}, expected {list(shape)}")
            return data

        n_firm = f["outcomes/firm/name"].shape[1]
        variables, attrs_of = {}, {}
        for name in STRATEGY_OUTCOMES:
            variables[name] = (("run", "time", "strategy"),
                               series("strategy", name, len(strategies)) *
                               nan_rows[:, None, None])
            attrs_of[name] = f"outcomes/strategy/{name}"
        for name in FIRM_OUTCOMES:
            variables[f"firm_{name}"] = (("run", "time", "firm"),
                                         series("firm", name, n_firm) * nan_rows[:, None, None])
            attrs_of[f"firm_{name}"] = f"outcomes/firm/{name}"
        for name in MARKET_OUTCOMES:
            variables[f"market_{name}"] = (("run", "time"),
                                           series("market", name, None) * nan_rows[:, None])
            attrs_of[f"market_{name}"] = f"outcomes/market/{name}"
        names = _strings(f["outcomes/firm/name"][()])
        sid = np.asarray(f["outcomes/firm/strategy_id"][()]).astype(np.int64)
        label = np.array(strategies + [""], dtype=object)
        variables["firm_name"] = (("run", "firm"), names)
        variables["firm_strategy"] = (("run", "firm"), label[sid])
        meta = {v: {k: _text(f[p].attrs.get(k, "")) for k in ("units", "long_name")}
                for v, p in attrs_of.items()}
        if "outcomes/derived" in f:
            for name, d in f["outcomes/derived"].items():
                if not isinstance(d, h5py.Dataset):
                    continue
                kind = _text(d.attrs.get("kind", ""))
                data = np.asarray(d[()], dtype=float)
                if kind == "per_time" and data.shape == (n_runs, n_time):
                    dims, data = ("run", "time"), data * nan_rows[:, None]
                elif kind == "event" and data.shape == (n_runs,):
                    dims, data = ("run",), data * nan_rows
                else:
                    fail(f"/outcomes/derived/{name}: kind '{kind}' with shape "
                         f"{list(data.shape)}; expected 'per_time' [{n_runs}, {n_time}] or "
                         f"'event' [{n_runs}]")
                key = name if name not in variables else f"derived_{name}"
                variables[key] = (dims, data)
                meta[key] = {k: _text(d.attrs.get(k, "")) for k in ("units", "long_name",
                                                                     "expression", "kind")}

    coords = {"run": df["run"].to_numpy(dtype=object), "time": time,
              "strategy": np.array(strategies, dtype=object), "firm": np.arange(n_firm)}
    coords["index"] = ("run", df.index.to_numpy())
    for col in ("point", "replicate", "seed", "status"):
        coords[col] = ("run", df[col].to_numpy())
    for key in df.attrs["parameters"]:
        coords[key] = ("run", df[key].to_numpy())
    ds = xr.Dataset(variables, coords=coords)
    for v, m in meta.items():
        ds[v].attrs.update(m)
    ds.time.attrs.update(units="step", long_name="step at which the outcomes were taken")
    keep = ("name", "design", "samples", "replicates", "seed", "runs", "runs_done",
            "sweep_sha256", "missionsim_version", "created_utc", "path")
    ds.attrs.update({k: df.attrs[k] for k in keep if k in df.attrs})
    ds.attrs.update(parameters=list(df.attrs["parameters"]), strategies=strategies,
                    scales=dict(df.attrs["scales"]), time_resolved=bool(time.size > 1))
    return ds


def _as_dataset(data):
    import xarray as xr

    return data if isinstance(data, xr.Dataset) else load_dataset(data)


def _run_columns(ds) -> list:
    return ["index", "point", "replicate", "seed", "status"] + list(ds.attrs["parameters"])


def strategy_table(data, variables=None) -> pd.DataFrame:
    """Long (tidy) table of the strategy outcomes: one row per (run, time, strategy).

    ``data``: a ``load_dataset`` Dataset or a sweep path. Columns ``run``,
    ``time``, ``strategy``, the run's ``index``, ``point``, ``replicate``,
    ``seed``, ``status``, its parameters, then one column per outcome
    (default: all of ``STRATEGY_OUTCOMES``). Runs not done are left out.
    """
    ds = _as_dataset(data)
    variables = list(variables or STRATEGY_OUTCOMES)
    return _long(ds, variables, ("run", "time", "strategy"))


def firm_table(data, variables=None) -> pd.DataFrame:
    """Long table of the firm outcomes: one row per (run, time, firm slot with a firm).

    Columns as ``strategy_table`` with ``firm`` (slot), ``firm_name``,
    ``firm_strategy`` and the outcomes without their ``firm_`` prefix.
    """
    ds = _as_dataset(data)
    variables = [f"firm_{v}" for v in (variables or FIRM_OUTCOMES)]
    table = _long(ds, variables + ["firm_name", "firm_strategy"], ("run", "time", "firm"))
    table = table[table["firm_name"] != ""]
    return table.rename(columns={v: v.removeprefix("firm_") for v in variables}).reset_index(
        drop=True)


def run_table(data) -> pd.DataFrame:
    """Long table of the per-run outcomes: one row per (run, time).

    Market outcomes (``market_hhi``, ...) and derived outcomes of kind
    ``per_time``; derived ``event`` outcomes repeat on every row of their run.
    """
    ds = _as_dataset(data)
    names = [v for v in ds.data_vars if set(ds[v].dims) <= {"run", "time"}]
    return _long(ds, names, ("run", "time"))


def _long(ds, variables, dims) -> pd.DataFrame:
    sub = ds[variables]
    sub = sub.isel(run=np.flatnonzero(ds["status"].values == "done"))
    table = sub.to_dataframe(dim_order=list(dims)).reset_index()
    front = list(dims) + [c for c in _run_columns(ds) if c in table.columns]
    rest = [c for c in table.columns if c not in front]
    return table[front + rest]


# --- means and confidence intervals ----------------------------------------------------


class Interval(tuple):
    """(mean, lo, hi, n) of a confidence interval of the mean."""

    __slots__ = ()

    def __new__(cls, mean, lo, hi, n):
        return super().__new__(cls, (mean, lo, hi, n))

    mean = property(lambda self: self[0])
    lo = property(lambda self: self[1])
    hi = property(lambda self: self[2])
    n = property(lambda self: self[3])


def mean_ci(values, conf: float = 0.95, min_n: int = 2) -> Interval:
    """Mean of the finite values and its Student t interval (``scipy.stats.t``).

    The interval is mean ± t_{(1+conf)/2, n-1} s / sqrt(n); NaN bounds with
    fewer than ``min_n`` values; a zero-width interval when all are equal.
    """
    from scipy import stats

    v = np.asarray(values, dtype=float).reshape(-1)
    v = v[np.isfinite(v)]
    n = int(v.size)
    if n == 0:
        return Interval(np.nan, np.nan, np.nan, 0)
    m = float(v.mean())
    if n < max(min_n, 2):
        return Interval(m, np.nan, np.nan, n)
    half = float(stats.t.ppf(0.5 + conf / 2.0, n - 1) * v.std(ddof=1) / np.sqrt(n))
    return Interval(m, m - half, m + half, n)


def bootstrap_ci(values, conf: float = 0.95, n_resamples: int = 2000, seed=0,
                 statistic=np.mean, method: str = "BCa") -> Interval:
    """A statistic of the finite values (default the mean) and its bootstrap interval.

    ``scipy.stats.bootstrap`` with ``method`` (``"BCa"``, ``"percentile"``,
    ``"basic"``) and a seeded generator, so the bounds are reproducible. For
    skewed outcomes (shares near 0 or 1, times to an event) where the t
    interval's normal approximation is poor. NaN bounds with fewer than 3
    values; all values equal give a zero-width interval.
    """
    from scipy import stats

    v = np.asarray(values, dtype=float).reshape(-1)
    v = v[np.isfinite(v)]
    n = int(v.size)
    if n == 0:
        return Interval(np.nan, np.nan, np.nan, 0)
    m = float(statistic(v))
    if n < 3:
        return Interval(m, np.nan, np.nan, n)
    if np.all(v == v[0]):
        return Interval(m, m, m, n)
    res = stats.bootstrap((v,), statistic, confidence_level=conf, n_resamples=n_resamples,
                          method=method, random_state=np.random.default_rng(seed),
                          vectorized=False)
    lo, hi = res.confidence_interval
    return Interval(m, float(lo), float(hi), n)


def summarise(table: pd.DataFrame, value: str, by, conf: float = 0.95, method: str = "t",
              **bootstrap) -> pd.DataFrame:
    """Mean and confidence interval of ``value`` in every group of ``by`` (one row each).

    Columns: the ``by`` columns, ``n``, ``mean``, ``sd``, ``lo``, ``hi``.
    ``method``: ``"t"`` (``mean_ci``) or ``"bootstrap"`` (``bootstrap_ci``,
    keyword arguments passed on). Group by every varied parameter (and time)
    to get intervals across replicates at one design point; leaving a
    parameter out pools over it. ``result.attrs["interval"]`` says which.
    """
    by = [by] if isinstance(by, str) else list(by)
    rows = []
    for key, group in table.groupby(by[0] if len(by) == 1 else by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        v = group[value].to_numpy(dtype=float)
        ci = (mean_ci(v, conf) if method == "t" else bootstrap_ci(v, conf, **bootstrap))
        finite = v[np.isfinite(v)]
        rows.append(dict(zip(by, key), n=ci.n, mean=ci.mean,
                         sd=float(finite.std(ddof=1)) if finite.size > 1 else np.nan,
                         lo=ci.lo, hi=ci.hi))
    out = pd.DataFrame(rows, columns=by + ["n", "mean", "sd", "lo", "hi"])
    kind = "Student t" if method == "t" else f"bootstrap ({bootstrap.get('method', 'BCa')})"
    out.attrs["interval"] = (f"{100 * conf:g} % {kind} interval of the mean of {value} over the "
                             f"rows of each ({', '.join(by)}) group")
    return out


# --- time to an event ------------------------------------------------------------------


def first_time(da, threshold: float, above: bool = True):
    """First ``time`` at which ``da`` reaches ``threshold`` (>=; ``above=False``: <=).

    ``da``: an ``xarray.DataArray`` with a ``time`` dimension (a run's
    trajectory or a ``load_dataset`` variable); the result keeps the other
    dimensions, NaN where the threshold is never reached.
    """
    hit = (da >= threshold) if above else (da <= threshold)
    hit = hit & da.notnull()
    index = hit.argmax("time")
    t = da["time"].values.astype(float)[index.values]
    return index.copy(data=np.where(hit.any("time").values, t, np.nan)).rename(None)


def time_to_adoption(ds, level: float = 0.5) -> float:
    """First step at which the adopters reach ``level`` of the population (NaN if never).

    ``ds``: ``load_run`` of a run file; the population is ``customers.count``.
    """
    from .readers import scenario_value

    pop = scenario_value(ds, "customers.count")
    if not isinstance(pop, (int, float)) or pop <= 0:
        raise ValueError(f"{ds.attrs.get('path', 'run')}: no customers.count in its scenario")
    return float(first_time(ds["adopters"] / float(pop), level))


def time_share_exceeds(ds, strategy: str, share: float) -> float:
    """First step at which ``strategy``'s market share (0..1) reaches ``share`` (NaN if never)."""
    from .readers import by_strategy

    da = by_strategy(ds, "share")
    if strategy not in da.strategy.values:
        return np.nan
    return float(first_time(da.sel(strategy=strategy), share))


def survival_time(ds, strategy: str = None):
    """Exit steps: of every firm (a Series by firm name), or of a strategy (a float).

    A firm's exit is the first step it is not alive after having been alive;
    NaN when it is alive at the end (right-censored) or never lived. A
    strategy's exit is the first step no live firm follows it after one did.
    """
    from .readers import strategy_at

    alive = ds["alive"].values.astype(bool)
    t = ds["time"].values.astype(float)
    if strategy is not None:
        alive = (alive & (strategy_at(ds).values == strategy)).any(axis=1)[:, None]
        names = [strategy]
    else:
        names = ds["firm"].values.tolist()
    out = np.full(alive.shape[1], np.nan)
    for j in range(alive.shape[1]):
        lived = np.flatnonzero(alive[:, j])
        if lived.size:
            after = np.flatnonzero(~alive[lived[0]:, j])
            if after.size:
                out[j] = t[lived[0] + after[0]]
    if strategy is not None:
        return float(out[0])
    return pd.Series(out, index=pd.Index(names, name="firm"), name="exit")


def sweep_events(df: pd.DataFrame, adoption=(0.5,), exceeds=(), survival=()) -> pd.DataFrame:
    """Times to events of every done run of ``df`` (``load_sweep``), read from the run files.

    One row per run: ``run``, ``point``, ``replicate``, the parameters, then
    ``t_adoption_<level>`` for each level of ``adoption``,
    ``t_exceeds_<strategy>_<share>`` for each (strategy, share) of ``exceeds``
    and ``t_exit_<strategy>`` for each strategy of ``survival``; NaN where
    the event does not happen within the run.
    """
    rows = []
    params = list(df.attrs["parameters"])
    for row, ds in sweep_runs(df, variables=["share", "adopters"]):
        out = {"run": row["run"], "point": row["point"], "replicate": row["replicate"]}
        out.update({p: row[p] for p in params})
        for level in adoption:
            out[f"t_adoption_{level:g}"] = time_to_adoption(ds, level)
        for s, level in exceeds:
            out[f"t_exceeds_{s}_{level:g}"] = time_share_exceeds(ds, s, level)
        for s in survival:
            out[f"t_exit_{s}"] = survival_time(ds, s)
        rows.append(out)
    return pd.DataFrame(rows)


# --- outcome expressions ---------------------------------------------------------------

SHARE_LIKE = ("share", "adopters_share", "market_adopters_share")


class ExpressionError(ValueError):
    """An outcome expression that cannot be evaluated: the message says why."""


def parse_outcome_expression(text: str):
    """The syntax tree of an outcome expression, with strategy names quoted.

    ``share[synergy] - share[philanthropy]``, ``profit[success] / 1000``,
    ``market_hhi``: strategy outcomes indexed by a strategy, market and
    derived per-time outcomes by name, numbers, ``+ - * /`` and parentheses
    (the syntax of ``[outcomes.derived]`` in a sweep file).
    """
    import ast
    import re

    quoted = re.sub(r"\[\s*([^\]\"']+?)\s*\]", lambda m: '["' + m.group(1) + '"]', text)
    try:
        tree = ast.parse(quoted, mode="eval").body
    except SyntaxError as err:
        raise ExpressionError(f"outcome expression '{text}': {err.msg}") from None
    return tree


def evaluate_outcome(ds, text: str):
    """Evaluate an outcome expression on a ``load_dataset`` Dataset: a DataArray [run, time].

    Returns ``(values, share_like)``: ``share_like`` is True when the
    expression only adds and subtracts shares (so it reads in percentage
    points).
    """
    import ast

    tree = parse_outcome_expression(text)
    strategy_vars = [v for v in ds.data_vars if ds[v].dims == ("run", "time", "strategy")]
    plain_vars = [v for v in ds.data_vars if ds[v].dims == ("run", "time")]
    shares = [True]

    def term(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            shares[0] = False
            return float(node.value)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            var, strategy = node.value.id, node.slice.value
            if var not in strategy_vars:
                raise ExpressionError(f"outcome expression '{text}': '{var}[...]' is not a "
                                      f"strategy outcome; one of " + ", ".join(strategy_vars))
            if strategy not in ds.strategy.values:
                raise ExpressionError(f"outcome expression '{text}': no strategy '{strategy}' "
                                      f"in this sweep; strategies: " +
                                      ", ".join(ds.strategy.values.tolist()))
            shares[0] &= var in SHARE_LIKE
            return ds[var].sel(strategy=strategy, drop=True)
        if isinstance(node, ast.Name):
            name = node.id if node.id in plain_vars else f"market_{node.id}"
            if name not in plain_vars:
                raise ExpressionError(f"outcome expression '{text}': unknown name '{node.id}'; "
                                      f"use a strategy outcome with its strategy "
                                      f"(share[synergy]) or one of " + ", ".join(plain_vars))
            shares[0] &= name in SHARE_LIKE
            return ds[name]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = term(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult,
                                                               ast.Div)):
            left, right = term(node.left), term(node.right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            shares[0] = False
            if isinstance(node.op, ast.Mult):
                return left * right
            with np.errstate(divide="ignore", invalid="ignore"):
                return left / right
        raise ExpressionError(f"outcome expression '{text}': only numbers, outcome[strategy], "
                              f"market or derived outcome names, + - * / and parentheses")

    value = term(tree)
    if not hasattr(value, "dims"):
        raise ExpressionError(f"outcome expression '{text}' names no outcome")
    return value.transpose("run", "time"), shares[0]
