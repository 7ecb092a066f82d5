"""Figures for a parameter sweep: ``python3 -m analysis.plot_sweep DIR -o OUTDIR``.

DIR is a sweep directory after ``missionsim sweep collect DIR`` (or its
``sweep.h5``). Writes, and prints the paths of:

- ``outcome_vs_parameters.png``: the outcome (default: final market share of
  every strategy) against each varied parameter: every run as a dot, the mean
  of each design point's replicates with their range, and the main effect
  (mean over the runs at each value, or in bins of a continuous parameter,
  with a 95 % confidence band);
- ``winner_heatmap.png``: the strategy with the highest final share, over two
  parameters (``--pair``; default the first two numeric ones), binned for
  non-grid designs, with the fraction of runs it won in each cell;
- ``share_over_time.png``: final-share trajectories of each strategy across
  all runs (median and 10-90 % band), read from the runs' files;
- ``sobol_indices.png`` and ``sobol_indices.csv`` (``sobol`` designs only):
  first- and total-order Sobol indices of the outcome with 95 % bootstrap
  intervals (analysis/sobol.py);
- with ``--x KEY`` (or ``--x time``) only ``interaction.png`` (or the file
  ``-o`` names when it ends in ``.png``): the outcome against KEY, one line
  per level of ``--by``, one panel per ``--at`` time and a row per level of
  ``--facet``; each point the mean over the runs of its (x, by, facet) cell
  with the 95 % t interval of that mean.

``--outcome`` may also be a derived outcome of the sweep file or an
expression such as ``"share[synergy] - share[philanthropy]"``; ``--at T``
takes it at step T of ``/outcomes/time`` (default: the final step).

A directory or file it cannot read ends it with one line, ``plot_sweep:
error: ...``, and exit status 2.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import textwrap
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from .readers import TrajectoryError, by_strategy  # noqa: E402
from .design import MIN_SALTELLI_N  # noqa: E402
from .sobol import SaltelliWarning, sobol_indices  # noqa: E402
from .style import DPI, strategy_colour  # noqa: E402
from .sweep import (MARKET_OUTCOMES, STRATEGY_OUTCOMES, ExpressionError,  # noqa: E402
                    evaluate_outcome, load_dataset, load_sweep, mean_ci, sweep_runs)

MARKET_COLOUR = "black"
TIE_COLOUR = "#888888"
EMPTY_CELL = "#EEEEEE"
MAX_DISCRETE = 12      # a parameter with at most this many distinct values is treated as discrete
SCENARIO_DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                            "SCENARIO.md")

# Outcome quantity -> (axis label, unit, factor applied before plotting).
QUANTITIES = {
    "share": ("final market share", "% of population", 100.0),
    "customers": ("final customers", "customers", 1.0),
    "profit": ("profit summed over the run", "money", 1.0),
    "societal_value": ("societal value over the run (impact − final harm)", "impact units", 1.0),
    "satisfaction": ("final mean satisfaction S of its customers", "0–1", 1.0),
    "success": ("final mean success s of its customers", "0–1", 1.0),
    "firms": ("firms alive at the end", "count", 1.0),
    "adopters_share": ("final adopters", "% of population", 100.0),
    "hhi": ("final Herfindahl–Hirschman index", "0–1", 1.0),
}


class UsageError(Exception):
    """A bad --outcome or --pair: the message says what is available."""


# --- outcome and parameter descriptions ------------------------------------------------


class Outcome:
    """The columns plotted for one --outcome, with their colours and the axis label.

    ``name``: a quantity for every strategy (``share``), one column
    (``success:share``, ``market:hhi``), a derived outcome of the sweep
    (``/outcomes/derived/<name>``) or an expression (``share[synergy] -
    share[philanthropy]``). With ``ds`` (``load_dataset``) the outcome can be
    taken at any time of ``/outcomes/time`` (``at``, ``arrays``); without, only
    the final-step columns of ``df`` are known.
    """

    def __init__(self, df, name, ds=None):
        strategies = df.attrs["strategies"]
        self.name = name
        self.arrays = {}     # column -> DataArray [run, time] (or [run] for an event)
        self.event = False
        quantity = None
        derived = ds is not None and name in ds.data_vars and "kind" in ds[name].attrs
        if name in STRATEGY_OUTCOMES:
            quantity = name
            self.columns = [f"{s}:{name}" for s in strategies]
            self.labels = list(strategies)
            self.colours = [strategy_colour(s) for s in strategies]
            if ds is not None:
                self.arrays = {c: ds[name].sel(strategy=s, drop=True)
                               for c, s in zip(self.columns, strategies)}
        elif name in MARKET_OUTCOMES and name not in STRATEGY_OUTCOMES:
            return self.__init__(df, f"market:{name}", ds)
        elif name in df.attrs["outcomes"]:
            who, quantity = name.split(":", 1)
            self.columns = [name]
            self.labels = [name]
            self.colours = [MARKET_COLOUR if who == "market" else strategy_colour(who)]
            if ds is not None:
                self.arrays = {name: ds[f"market_{quantity}"] if who == "market" else
                               ds[quantity].sel(strategy=who, drop=True)}
        elif derived or (ds is not None and ("[" in name or any(op in name for op in "+-*/"))):
            expression = ds[name].attrs.get("expression", "") if derived else name
            share_like = False
            try:
                values, share_like = evaluate_outcome(ds, expression)
            except ExpressionError as err:
                if not derived:
                    raise UsageError(str(err)) from None
                values = None
            if derived:
                values = ds[name]
                self.event = ds[name].attrs.get("kind") == "event"
            self.columns = [name]
            self.labels = [name]
            self.colours = [MARKET_COLOUR]
            self.arrays = {name: values}
            pretty = expression.replace(" - ", " − ")
            self.factor = 100.0 if share_like else 1.0
            unit = ("percentage points" if "-" in expression else "% of population") \
                if share_like else ""
            what = (f"{name} = {pretty}" if derived and pretty else pretty or name)
            self.title = what
            self.ylabel = f"{pretty or name} [{unit}]" if unit else (pretty or name)
            self.when = None
            return
        else:
            choices = sorted(set(STRATEGY_OUTCOMES) | set(MARKET_OUTCOMES)) + df.attrs["outcomes"]
            if ds is not None:
                choices += [v for v in ds.data_vars if "kind" in ds[v].attrs]
            raise UsageError(f"unknown outcome '{name}'; one of: " + ", ".join(choices) +
                             ", or an expression such as 'share[success] - share[shareholder]'")
        text, unit, self.factor = QUANTITIES.get(quantity, (quantity, "", 1.0))
        if quantity == "societal_value" and self.columns == ["market:societal_value"]:
            text = "market societal value summed over the run"
        who = "" if len(self.columns) > 1 else self.columns[0].split(":")[0] + ": "
        self.title = who + text
        self.ylabel = f"{text} [{unit}]" if unit else text
        self.when = None

    def values(self, df, column):
        return df[column].to_numpy(dtype=float) * self.factor

    def at(self, df, t, final=None):
        """``df`` with this outcome's columns taken at step ``t`` (a copy; labels say when)."""
        out = df.copy()
        out.attrs = dict(df.attrs)
        for column, da in self.arrays.items():
            v = da if "time" not in da.dims else da.sel(time=t)
            out[column] = np.asarray(v.values, dtype=float)
        if final is not None and t != final and not self.event:
            self.title = self.title.replace("final ", "") + f" at t = {t}"
            self.ylabel = self.ylabel.replace("final ", "")
            self.when = t
        return out


def _scenario_doc():
    """{(section, key): (unit, meaning)} from the key tables of docs/SCENARIO.md."""
    table = {}
    try:
        with open(SCENARIO_DOC, encoding="utf-8") as f:
            section = ""
            for line in f:
                head = re.match(r"^###\s+\[+([\w.]+)\]+", line)
                if head:
                    section = head.group(1)
                    continue
                row = re.match(r"^\|\s*`([\w.]+)`\s*\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|",
                               line)
                if row and section:
                    table[(section, row.group(1))] = (row.group(5).strip(), row.group(6).strip())
    except OSError:
        pass
    return table


_DOC = None


def parameter_label(key, scale=None):
    """Axis label of a scenario key: the key, its unit from docs/SCENARIO.md and its scale."""
    global _DOC
    if _DOC is None:
        _DOC = _scenario_doc()
    parts = [p for p in key.split(".") if not p.isdigit()]
    unit, _ = _DOC.get((".".join(parts[:-1]), parts[-1]), ("", ""))
    unit = {"step": "months", "1/step": "1/month"}.get(unit, unit)
    label = key if scale == "levels" else f"{key} [{unit or '–'}]"
    if scale == "log-uniform":
        label += " (log scale)"
    return label


def parameter_meaning(key):
    global _DOC
    if _DOC is None:
        _DOC = _scenario_doc()
    parts = [p for p in key.split(".") if not p.isdigit()]
    return _DOC.get((".".join(parts[:-1]), parts[-1]), ("", ""))[1]


def _parameter_ticks(ax, cats, categorical):
    """x ticks at a parameter's values: by position for categories, at the values themselves for a
    numeric parameter with at most MAX_DISCRETE of them (no minor ticks), else matplotlib's."""
    if categorical:
        ax.set_xticks(range(len(cats)), format_values(cats))
    elif cats is not None and len(cats) <= MAX_DISCRETE:
        ax.set_xticks(cats, format_values(cats))
        ax.minorticks_off()


def format_values(values, max_digits=6):
    """Short tick labels for parameter values: the fewest significant digits (at most
    ``max_digits``) that keep the values apart and each within 1 % of its value
    (0.333333 -> 0.33, 0.2 -> 0.2, 1e-05 -> 1e-05, 12000.0 -> 12000).
    Non-numbers are shown as they are (booleans as true/false)."""
    out = []
    numeric = [v for v in values if isinstance(v, (int, float, np.integer, np.floating))
               and not isinstance(v, (bool, np.bool_))]
    if len(numeric) != len(values):
        return [str(v).lower() if isinstance(v, (bool, np.bool_)) else str(v) for v in values]
    x = np.asarray(numeric, dtype=float)
    for digits in range(1, max_digits + 1):
        out = [_short(v, digits) for v in x]
        close = all(not np.isfinite(v) or v == 0 or abs(float(t) - v) <= 0.01 * abs(v)
                    for v, t in zip(x, out))
        if close and len(set(out)) == len(set(x.tolist())):
            return out
    return out


def _short(v, digits):
    if not np.isfinite(v):
        return str(v)
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    text = f"{v:.{digits}g}"
    return text



def _is_numeric(df, key):
    return pd.api.types.is_numeric_dtype(df[key]) and not pd.api.types.is_bool_dtype(df[key])


def _discrete_values(df, key):
    """Sorted distinct values of a parameter that is plotted as categories, else None."""
    values = list(dict.fromkeys(df[key].tolist()))
    scale = df.attrs["scales"].get(key)
    discrete = scale in ("levels", "integer") or df.attrs["design"] == "grid"
    if not _is_numeric(df, key) or (discrete and len(values) <= MAX_DISCRETE):
        try:
            return sorted(values)
        except TypeError:
            return values
    return None


def _x_positions(df, key, cats):
    """x of every run: the value, or the category index for non-numeric categories."""
    if cats is not None and not _is_numeric(df, key):
        index = {v: i for i, v in enumerate(cats)}
        return np.array([index[v] for v in df[key].tolist()], dtype=float), True
    return df[key].to_numpy(dtype=float), False


def _mean_ci(values):
    """Mean and 95 % t interval of the finite values (NaN interval with fewer than 3)."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.nan, np.nan, np.nan
    m = float(v.mean())
    if v.size < 3:  # a t interval from two values is too wide to say anything
        return m, np.nan, np.nan
    half = float(stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return m, m - half, m + half


# --- figure 1: outcome vs each parameter --------------------------------------------------


def _grid_shape(n, ncols=3):
    ncols = max(1, min(n, ncols))
    return ncols, max(1, math.ceil(n / ncols))


def figure_size(name, df, outcome=None, layout=None):
    """Figure size in inches of figure ``name`` for sweep ``df`` (a whole number of pixels)."""
    w, h = _inches(name, df, outcome, layout)
    # A hair over the pixel count, so that the PNG is exactly pixel_size() whether the
    # backend rounds or truncates width * dpi.
    return (round(w * DPI) + 0.01) / DPI, (round(h * DPI) + 0.01) / DPI


def _inches(name, df, outcome=None, layout=None):
    n_par = max(len(df.attrs["parameters"]), 1)
    if name == "interaction":
        ncols, nrows = layout or (1, 1)
        return (max(5.6 * ncols + 0.8, 8.5), 4.4 * nrows + 1.6)
    if name == "outcome_vs_parameters":
        ncols, nrows = _grid_shape(n_par)
        return (max(5.2 * ncols + 0.6, 10.0), 4.2 * nrows + 2.3)
    if name == "winner_heatmap":
        return (13.0, 6.0)
    if name == "share_over_time":
        return (12.0, 5.0)
    if name == "sobol_indices":
        n = len(outcome.columns) if outcome is not None else 1
        ncols, nrows = _grid_shape(n)
        return (max(4.8 * ncols + 0.6, 11.0), 4.2 * nrows + 1.9)
    raise KeyError(name)


def pixel_size(name, df, outcome=None, layout=None):
    """(width, height) in pixels of figure ``name`` for sweep ``df`` (``layout``: the
    interaction figure's (columns, rows) of panels, ``Interaction.layout``)."""
    w, h = _inches(name, df, outcome, layout)
    return int(round(w * DPI)), int(round(h * DPI))


def _dodge(x, k, n, log, span):
    """Shift discrete x positions of series k of n so the series sit side by side."""
    if n <= 1:
        return x
    offset = (k - (n - 1) / 2.0) * span / (n + 1)
    return x * 10.0 ** offset if log else x + offset


def _bins(x, log, n_points):
    """Edges of bins along a continuous parameter (equal width on its scale)."""
    k = int(np.clip(round(math.sqrt(n_points)), 3, 8))
    finite = x[np.isfinite(x)]
    lo, hi = finite.min(), finite.max()
    if log and lo > 0:
        return np.logspace(np.log10(lo), np.log10(hi), k + 1)
    return np.linspace(lo, hi, k + 1)


def _panel(ax, df, key, outcome, done):
    scale = df.attrs["scales"].get(key)
    cats = _discrete_values(df[done], key) if done.any() else None
    x_all, categorical = _x_positions(df, key, cats)
    log = scale == "log-uniform" and not categorical
    reps = df.attrs["replicates"]
    n_series = len(outcome.columns)
    if cats is not None and not categorical and len(cats) > 1:
        gaps = np.diff(np.log10(cats) if log else np.asarray(cats, dtype=float))
        span = float(gaps.min()) * 0.6
    else:
        span = 0.6
    n_points = df.loc[done, "point"].nunique()
    y_seen = []
    for k, (col, label, colour) in enumerate(zip(outcome.columns, outcome.labels,
                                                 outcome.colours)):
        y_all = outcome.values(df, col)
        ok = done & np.isfinite(y_all) & np.isfinite(x_all)
        if not ok.any():
            continue
        x, y = x_all[ok], y_all[ok]
        y_seen.append(y)
        xd = _dodge(x, k, n_series, log, span) if cats is not None else x
        ax.scatter(xd, y, s=9, color=colour, alpha=0.35, linewidths=0, zorder=2)
        # Replicates of each design point: mean and range.
        if reps > 1:
            g = pd.DataFrame({"p": df.loc[ok, "point"].to_numpy(), "x": xd, "y": y}).groupby("p")
            stats = g.agg(x=("x", "first"), m=("y", "mean"), lo=("y", "min"), hi=("y", "max"),
                          n=("y", "size"))
            if reps >= 3:  # the t interval of the point's mean over its replicates
                ci = g["y"].apply(lambda v: mean_ci(v.to_numpy())[1:3])
                stats["lo"] = [c[0] for c in ci]
                stats["hi"] = [c[1] for c in ci]
            stats = stats[(stats.n > 1) & np.isfinite(stats.lo)]
            ax.errorbar(stats.x, stats.m, yerr=[stats.m - stats.lo, stats.hi - stats.m],
                        fmt="o", color=colour, markersize=4, elinewidth=0.8, capsize=2,
                        alpha=0.7, zorder=3)
        # Main effect: mean over all runs at each value / in each bin, 95 % band.
        if cats is not None:
            xs = np.array(sorted(set(x.tolist())))
            groups = [y[x == v] for v in xs]
            xm = _dodge(xs, k, n_series, log, span)
        else:
            edges = _bins(x, log, n_points)
            which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
            keep = [b for b in range(len(edges) - 1) if (which == b).any()]
            groups = [y[which == b] for b in keep]
            xm = np.array([np.exp(np.log(x[which == b]).mean()) if log else x[which == b].mean()
                           for b in keep])
        stats = np.array([_mean_ci(g) for g in groups])
        ax.plot(xm, stats[:, 0], color=colour, linewidth=2.0, zorder=4, label=label)
        ax.fill_between(xm, stats[:, 1], stats[:, 2], color=colour, alpha=0.15, linewidth=0,
                        zorder=1)
    if log:
        ax.set_xscale("log")
    _parameter_ticks(ax, cats, categorical)
    if y_seen:  # limits from the runs, so that a wide band cannot squash them
        y = np.concatenate(y_seen)
        lo, hi = float(y.min()), float(y.max())
        pad = 0.08 * (hi - lo) if hi > lo else max(abs(hi) * 0.1, 0.5)
        ax.set_ylim(lo - pad, hi + pad)
    meaning = parameter_meaning(key)
    ax.set_title(f"vs {key}" + ("\n" + textwrap.fill(meaning, 48) if meaning else ""),
                 fontsize="medium")
    ax.set_xlabel(parameter_label(key, scale))
    ax.set_ylabel(outcome.ylabel)
    ax.grid(True, alpha=0.3)


def _describe(df):
    reps = df.attrs["replicates"]
    points = df["point"].nunique()
    done = int((df["status"] == "done").sum())
    runs = f"{done} runs" if done == len(df) else f"{done} of {len(df)} runs done"
    return (f"sweep '{df.attrs['name']}': {df.attrs['design']} design, {points} points × "
            f"{reps} replicate{'s' if reps != 1 else ''} = {runs}")


def fig_outcome_vs_parameters(df, fig, outcome, pair=None):
    keys = df.attrs["parameters"]
    ncols, nrows = _grid_shape(len(keys))
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[1.0] * nrows + [0.22])
    done = (df["status"] == "done").to_numpy()
    for i, key in enumerate(keys):
        ax = fig.add_subplot(grid[i // ncols, i % ncols])
        _panel(ax, df, key, outcome, done)
    legend_ax = fig.add_subplot(grid[nrows, :])
    legend_ax.axis("off")
    handles = [Line2D([], [], color=c, linewidth=2.0, label=l)
               for c, l in zip(outcome.colours, outcome.labels)]
    handles.append(Line2D([], [], color="grey", marker="o", linestyle="none", markersize=3,
                          alpha=0.5, label="one run"))
    reps = df.attrs["replicates"]
    if reps > 1:
        what = (f"95 % t interval over its {reps} replicates" if reps >= 3 else
                f"range over its {reps} replicates")
        handles.append(Line2D([], [], color="grey", marker="o", markersize=4, linestyle="-",
                              linewidth=1.0, label=f"design point: mean, bar = {what}"))
    pooled = "pooled over the other parameters" if len(df.attrs["parameters"]) > 1 else \
        "all runs at it"
    handles.append(Patch(color="grey", alpha=0.3,
                         label=f"line: mean over the runs at each value or bin ({pooled});\n"
                               "band: 95 % t interval of that mean (3 runs or more)"))
    legend_ax.legend(handles=handles, loc="center", ncol=min(max(len(outcome.columns), 2), 4),
                     fontsize="small", frameon=False)
    fig.suptitle(f"{outcome.title[0].upper() + outcome.title[1:]} against each parameter\n"
                 f"{_describe(df)}", fontweight="bold")


# --- figure 2: winner heatmap ---------------------------------------------------------


def default_pair(df):
    keys = df.attrs["parameters"]
    numeric = [k for k in keys if _is_numeric(df, k)]
    pair = (numeric + [k for k in keys if k not in numeric])[:2]
    return tuple(pair)


def _axis_cells(df, key, done):
    """(labels, cell index of every run) of one heatmap axis."""
    if key is None:
        return ["all runs"], np.zeros(len(df), dtype=int)
    cats = _discrete_values(df[done], key) if done.any() else [None]
    if cats is not None:
        index = {v: i for i, v in enumerate(cats)}
        cells = np.array([index.get(v, -1) for v in df[key].tolist()])
        return format_values(cats), cells
    x = df[key].to_numpy(dtype=float)
    lo, hi = df.attrs["lo"].get(key, np.nan), df.attrs["hi"].get(key, np.nan)
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        lo, hi = np.nanmin(x), np.nanmax(x)
    k = int(np.clip(int(math.sqrt(done.sum() / 4.0)), 2, 8))
    log = df.attrs["scales"].get(key) == "log-uniform" and lo > 0
    edges = np.logspace(np.log10(lo), np.log10(hi), k + 1) if log else np.linspace(lo, hi, k + 1)
    cells = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, k - 1)
    text = format_values(list(edges), max_digits=3)
    return [f"{text[i]}–{text[i + 1]}" for i in range(k)], cells


def win_matrix(df):
    """[runs, strategies]: 1 for the strategy with the highest final share, split on ties."""
    strategies = df.attrs["strategies"]
    share = np.column_stack([df[f"{s}:share"].to_numpy(dtype=float) for s in strategies])
    share = np.nan_to_num(share, nan=-1.0)
    best = share.max(axis=1, keepdims=True)
    top = (share == best) & (best > 0)
    return top / np.maximum(top.sum(axis=1, keepdims=True), 1)


def _tint(colour, strength):
    rgb = np.array(to_rgb(colour))
    return tuple(1.0 - strength * (1.0 - rgb))


def fig_winner_heatmap(df, fig, outcome=None, pair=None):
    strategies = df.attrs["strategies"]
    done = (df["status"] == "done").to_numpy()
    keys = list(pair or default_pair(df))
    kx, ky = (keys + [None, None])[:2]
    ax, side = fig.subplots(1, 2, width_ratios=[3.2, 1.0])
    xl, xc = _axis_cells(df, kx, done)
    yl, yc = _axis_cells(df, ky, done)
    wins = win_matrix(df)
    n_s = len(strategies)
    image = np.ones((len(yl), len(xl), 3))
    for i in range(len(yl)):
        for j in range(len(xl)):
            member = done & (xc == j) & (yc == i)
            n = int(member.sum())
            if n == 0:
                image[i, j] = to_rgb(EMPTY_CELL)
                ax.text(j, i, "no runs", ha="center", va="center", fontsize="x-small",
                        color="#777777")
                continue
            w = wins[member].sum(axis=0)
            decided = w.sum()
            if decided == 0:
                image[i, j] = to_rgb(EMPTY_CELL)
                ax.text(j, i, f"no adopters\n(n = {n})", ha="center", va="center",
                        fontsize="x-small")
                continue
            top = np.flatnonzero(np.isclose(w, w.max()))
            frac = float(w.max() / decided)
            if top.size > 1:
                name, colour = " = ".join(strategies[t] for t in top), TIE_COLOUR
                strength = 0.6
            else:
                name, colour = strategies[top[0]], strategy_colour(strategies[top[0]])
                strength = 0.25 + 0.75 * max(0.0, (frac - 1.0 / n_s) / (1.0 - 1.0 / n_s)) \
                    if n_s > 1 else 1.0
            image[i, j] = _tint(colour, strength)
            ax.text(j, i, f"{name}\n{100 * frac:.0f} % of {n} runs", ha="center", va="center",
                    fontsize="x-small" if len(xl) > 4 else "small",
                    color="white" if strength > 0.8 else "black")
    ax.imshow(image, origin="lower", aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(xl)), xl, rotation=30 if len(xl) > 4 else 0, ha="right"
                  if len(xl) > 4 else "center", fontsize="small")
    ax.set_yticks(range(len(yl)), yl, fontsize="small")
    scales = df.attrs["scales"]
    ax.set_xlabel(parameter_label(kx, scales.get(kx)).replace(" (log scale)", "") if kx else "")
    ax.set_ylabel(parameter_label(ky, scales.get(ky)).replace(" (log scale)", "") if ky else "")
    binned = [k for k in (kx, ky) if k and _discrete_values(df[done], k) is None]
    how = f" ({', '.join(binned)} binned)" if binned else ""
    ax.set_title(f"Winner in each cell: colour = strategy that won most runs, "
                 f"darker = larger majority\n(a tie within a run counts as a split win){how}", fontsize="medium")
    # Overall win fractions.
    total = wins[done].sum(axis=0)
    decided = total.sum()
    frac = total / decided if decided > 0 else np.zeros(n_s)
    ypos = np.arange(n_s)
    side.barh(ypos, 100.0 * frac, color=[strategy_colour(s) for s in strategies])
    for y, f_, n in zip(ypos, frac, total):
        side.text(100.0 * f_ + 1.0, y, f"{100.0 * f_:.0f} % ({n:g})", va="center",
                  fontsize="small")
    side.set_yticks(ypos, strategies)
    side.invert_yaxis()
    side.set_xlim(0, 145)
    side.set_xticks([0, 25, 50, 75, 100])
    side.set_xlabel("runs won [%]")
    side.set_title(f"Wins over all {int(done.sum())} runs", fontsize="medium")
    side.grid(True, axis="x", alpha=0.3)
    handles = [Patch(color=strategy_colour(s), label=s) for s in strategies]
    handles += [Patch(color=_tint(TIE_COLOUR, 0.6), label="tie"),
                Patch(color=EMPTY_CELL, label="no runs")]
    side.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2,
                fontsize="small", frameon=False)
    fig.suptitle(f"Which strategy wins (highest final market share)?\n{_describe(df)}",
                 fontweight="bold")


# --- figure 3: share over time across runs ---------------------------------------------


def strategy_trajectories(df, var="share", how="sum"):
    """{strategy: [runs, time]} of ``by_strategy(var, how)`` for every done run."""
    out = {s: [] for s in df.attrs["strategies"]}
    time = None
    for _, ds in sweep_runs(df, variables=[var]):
        da = by_strategy(ds, var, how)
        if time is None or ds.sizes["time"] > len(time):
            time = ds.time.values
        for s in out:
            out[s].append(da.sel(strategy=s).values if s in da.strategy.values else
                          np.full(ds.sizes["time"], np.nan))
    length = 0 if time is None else len(time)
    result = {}
    for s, rows in out.items():
        arr = np.full((len(rows), length), np.nan)
        for i, r in enumerate(rows):
            arr[i, :len(r)] = r
        result[s] = arr
    return time, result


def fig_share_over_time(df, fig, outcome=None, pair=None):
    ax1, ax2 = fig.subplots(1, 2)
    time, shares = strategy_trajectories(df)
    means, names = [], []
    for s, arr in shares.items():
        colour = strategy_colour(s)
        arr = np.nan_to_num(arr, nan=0.0) * 100.0  # a strategy without firms holds no share
        if arr.size == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, med, hi = np.percentile(arr, [10, 50, 90], axis=0)
        ax1.fill_between(time, lo, hi, color=colour, alpha=0.2, linewidth=0)
        ax1.plot(time, med, color=colour, linewidth=2.0, label=s)
        means.append(arr.mean(axis=0))
        names.append(s)
    if means:
        ax2.stackplot(time, *means, colors=[strategy_colour(s) for s in names], labels=names,
                      alpha=0.85)
    ax1.set_title("Each strategy: median (line) and 10–90 % of runs (band)")
    ax2.set_title("Mean over runs, stacked (top: mean adopted fraction)")
    for ax in (ax1, ax2):
        ax.set_xlabel("time [months]")
        ax.set_ylabel("market share by strategy [% of population]")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small", loc="upper left")
    if time is not None and len(time):
        ax2.set_xlim(time[0], time[-1])
    fig.suptitle(f"Market share by strategy over time, all runs\n{_describe(df)}",
                 fontweight="bold")


# --- figure 4: Sobol indices ---------------------------------------------------------


def sobol_table(df, outcome, n_boot=1000, conf=0.95, seed=0):
    """Sobol indices of every outcome column: a DataFrame, one row per (outcome, parameter).

    Outcomes are averaged over the replicates of each design point; base rows
    j whose A_j, B_j or some AB_ij run is not done are dropped.
    """
    keys = df.attrs["parameters"]
    k = len(keys)
    n = df.attrs["samples"]
    rows = []
    for col in outcome.columns:
        y = df.assign(_y=outcome.values(df, col)).groupby("point")["_y"].mean()
        y = y.reindex(range(n * (k + 2))).to_numpy(dtype=float)
        blocks = y.reshape(k + 2, n)
        keep = np.isfinite(blocks).all(axis=0)
        base = {"outcome": col, "N": int(keep.sum())}
        if keep.sum() < MIN_SALTELLI_N or np.nanvar(blocks[:2][:, keep]) == 0:
            why = ("constant" if keep.sum() >= MIN_SALTELLI_N else
                   f"{keep.sum()} complete rows, fewer than {MIN_SALTELLI_N} for stable indices")
            for key in keys:
                rows.append(dict(base, parameter=key, S1=np.nan, S1_lo=np.nan, S1_hi=np.nan,
                                 ST=np.nan, ST_lo=np.nan, ST_hi=np.nan, note=why))
            continue
        with warnings.catch_warnings():  # kept in the table's note instead
            warnings.simplefilter("ignore", SaltelliWarning)
            res = sobol_indices(blocks[:, keep].reshape(-1), k, n_boot=n_boot, conf=conf, rng=seed,
                                names=keys)
        for i, key in enumerate(keys):
            rows.append(dict(base, parameter=key, S1=res.S1[i], S1_lo=res.S1_ci[i, 0],
                             S1_hi=res.S1_ci[i, 1], ST=res.ST[i], ST_lo=res.ST_ci[i, 0],
                             ST_hi=res.ST_ci[i, 1],
                             note="; ".join(w for w in res.warnings if w.startswith(key + ":"))))
    return pd.DataFrame(rows)


YCLIP = (0.5, 1.6)  # Sobol axis: -0.5 .. 1.6; wider intervals are clipped


def replicate_noise(df, outcome):
    """{column: within-point variance / total variance} when points have replicates, else None."""
    if df.attrs["replicates"] < 2:
        return None
    out = {}
    for col in outcome.columns:
        y = pd.Series(outcome.values(df, col), index=df.index)
        ok = np.isfinite(y.to_numpy())
        total = float(np.var(y[ok], ddof=1)) if ok.sum() > 1 else np.nan
        within = float(y[ok].groupby(df.loc[ok, "point"]).var(ddof=1).mean())
        out[col] = within / total if total > 0 else np.nan
    return out


def fig_sobol(df, fig, outcome, pair=None, table=None):
    table = sobol_table(df, outcome) if table is None else table
    keys = df.attrs["parameters"]
    ncols, nrows = _grid_shape(len(outcome.columns))
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[1.0] * nrows + [0.2])
    x = np.arange(len(keys))
    width = 0.38
    noise = replicate_noise(df, outcome)
    clipped = False
    for i, (col, label, colour) in enumerate(zip(outcome.columns, outcome.labels,
                                                 outcome.colours)):
        ax = fig.add_subplot(grid[i // ncols, i % ncols])
        if colour == MARKET_COLOUR:
            colour = "#777777"  # grey bars, so the black interval bars stay visible
        t = table[table.outcome == col].set_index("parameter").reindex(keys)
        ax.axhline(0.0, color="black", linewidth=0.6)
        if t["S1"].isna().all():
            ax.text(0.5, 0.5, f"no indices: outcome {t['note'].iloc[0]}", ha="center",
                    va="center", transform=ax.transAxes)
        else:
            for j, (what, face, hatch) in enumerate((("S1", colour, None),
                                                     ("ST", _tint(colour, 0.45), "//"))):
                v = t[what].to_numpy()
                err = np.vstack([v - t[f"{what}_lo"].to_numpy(), t[f"{what}_hi"].to_numpy() - v])
                ax.bar(x + (j - 0.5) * width, v, width, yerr=np.clip(err, 0, None), capsize=3,
                       color=face, hatch=hatch, edgecolor=colour, linewidth=0.8,
                       error_kw=dict(elinewidth=1.0, ecolor="black"))
                for xi, vi in zip(x + (j - 0.5) * width, v):  # value of a bar beyond the axis
                    if np.isfinite(vi) and (vi > YCLIP[1] or vi < -YCLIP[0]):
                        ax.text(xi, YCLIP[1] if vi > 0 else -YCLIP[0], f"{vi:.2g}",
                                ha="center", va="top" if vi > 0 else "bottom",
                                fontsize="x-small", color="black",
                                bbox=dict(facecolor="white", edgecolor="none", pad=1))
        lo = min(-0.1, float(np.nanmin(table[["S1_lo", "ST_lo"]].to_numpy(), initial=0.0)))
        hi = max(1.05, float(np.nanmax(table[["S1_hi", "ST_hi"]].to_numpy(), initial=1.0)))
        ax.set_ylim(max(lo, -YCLIP[0]) - 0.03, min(hi, YCLIP[1]) + 0.03)
        if lo < -YCLIP[0] or hi > YCLIP[1]:
            clipped = True
        if noise is not None and np.isfinite(noise.get(col, np.nan)):
            ax.axhline(noise[col], color="black", linestyle="--", linewidth=1.0)
        ax.set_xticks(x, [k.replace(".", ".\n", 1) for k in keys], fontsize="small")
        ax.set_ylabel("Sobol index [share of output variance]")
        what = outcome.title if len(outcome.columns) == 1 else f"{label}: {outcome.name}"
        ax.set_title(f"{what} (N = {int(t['N'].iloc[0])} base samples)", fontsize="medium")
        ax.grid(True, axis="y", alpha=0.3)
    legend_ax = fig.add_subplot(grid[nrows, :])
    legend_ax.axis("off")
    handles = [Patch(facecolor="#555555", label="first order S1 (the parameter alone)"),
               Patch(facecolor=_tint("#555555", 0.45), hatch="//", edgecolor="#555555",
                     label="total order ST (with its interactions)"),
               Line2D([], [], color="black", marker="_", markersize=10, linestyle="none",
                      label="95 % bootstrap interval" + (" (clipped at the axes)" if clipped
                                                         else ""))]
    if noise is not None:
        handles.append(Line2D([], [], color="black", linestyle="--",
                              label="seed noise: share of variance within replicates"))
        note = ("outcomes are means over the replicates of each design point")
    else:
        note = ("every run has its own seed, so seed noise adds to every ST: ST ≈ 1 for all "
                "parameters means run-to-run noise dominates (add replicates)")
    # Two columns and a wrapped note: the legend stays inside the figure at any panel count.
    legend_ax.legend(handles=handles, loc="upper center", ncol=2, fontsize="small",
                     frameon=False)
    width = int(fig.get_figwidth() * 14)  # characters of small text across the figure
    legend_ax.text(0.5, 0.0, "\n".join(textwrap.wrap(note, width)), ha="center", va="bottom",
                   fontsize="small", transform=legend_ax.transAxes, color="#444444")
    fig.suptitle(f"Sobol sensitivity of {outcome.title} to each parameter\n{_describe(df)}",
                 fontweight="bold")



# --- figure 5: interaction: outcome against one parameter (or time), a line per level ---


class Interaction:
    """What the interaction figure draws: x (a parameter or "time"), by, facet and times."""

    def __init__(self, df, ds, outcome, x, by=None, facet=None, times=None):
        keys = df.attrs["parameters"]
        self.x = "time" if x == "time" else _parameter(df, x, "--x")
        self.by = _parameter(df, by, "--by") if by else None
        self.facet = _parameter(df, facet, "--facet") if facet else None
        named = [k for k in (self.x, self.by, self.facet) if k and k != "time"]
        if len(set(named)) != len(named):
            raise UsageError("--x, --by and --facet must name different parameters")
        if len(outcome.columns) > 1 and self.by:
            raise UsageError(f"--by draws one line per level of {self.by}: give one column as "
                             f"--outcome (e.g. {outcome.columns[0]}) or an expression, not "
                             f"'{outcome.name}' ({len(outcome.columns)} strategies)")
        if self.x == "time" and (ds is None or ds.sizes["time"] < 2):
            raise UsageError("--x time needs outcomes at several times; this sweep.h5 has "
                             "the final step only (collect a sweep with an [outcomes] table: "
                             "at = [...] or every = k)")
        if self.x == "time" and outcome.event:
            raise UsageError(f"'{outcome.name}' is an event outcome (one value per run): it "
                             f"has no time axis")
        self.times = list(times) if times else [int(ds.time.values[-1])] if ds is not None \
            else [None]
        if self.x == "time":
            self.times = [None]
        # Parameters that vary but are neither x, by nor facet: the cells pool over them.
        self.pooled = [k for k in keys if k not in named and df[k].nunique() > 1]

    def layout(self, df):
        """(columns, rows) of panels."""
        facets = len(_levels(df, self.facet)[0]) if self.facet else 1
        if self.x == "time":
            return facets, 1
        return len(self.times), facets


def _parameter(df, name, option):
    keys = df.attrs["parameters"]
    hits = [k for k in keys if k == name] or [k for k in keys if k.endswith("." + name)]
    if len(hits) != 1:
        raise UsageError(f"{option}: '{name}' is {'ambiguous' if hits else 'not a parameter'} "
                         f"of this sweep; parameters: " + ", ".join(keys))
    return hits[0]


def _levels(df, key, bins=3):
    """(labels, level of every run) of a --by or --facet parameter: its values, or
    ``bins`` bins of equal counts for a continuous one."""
    done = (df["status"] == "done").to_numpy()
    cats = _discrete_values(df[done], key)
    if cats is not None:
        index = {v: i for i, v in enumerate(cats)}
        return format_values(cats), np.array([index.get(v, -1) for v in df[key].tolist()])
    x = df[key].to_numpy(dtype=float)
    edges = np.nanquantile(x[done], np.linspace(0, 1, bins + 1))
    which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, bins - 1)
    text = format_values(list(edges), max_digits=3)
    return [f"{text[i]}–{text[i + 1]}" for i in range(bins)], which


def interaction_cells(df, y, spec):
    """Mean and 95 % t interval of ``y`` in every (x, by, facet) cell of the done runs.

    One row per cell: ``x`` (position), ``by``, ``facet`` (level indices, 0
    without), ``n``, ``mean``, ``lo``, ``hi``. With every varied parameter in
    x, by or facet a cell holds the replicates of one design point.
    """
    done = (df["status"] == "done").to_numpy() & np.isfinite(y)
    by = _levels(df, spec.by)[1] if spec.by else np.zeros(len(df), dtype=int)
    facet = _levels(df, spec.facet)[1] if spec.facet else np.zeros(len(df), dtype=int)
    cats = _discrete_values(df[done], spec.x) if done.any() else None
    x, categorical = _x_positions(df, spec.x, cats)
    if cats is None:  # continuous x: equal-width bins on its scale, at the mean of each bin
        log = df.attrs["scales"].get(spec.x) == "log-uniform"
        edges = _bins(x[done], log, df.loc[done, "point"].nunique())
        which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
        centre = pd.Series(x[done]).groupby(which[done]).mean()
        x = centre.reindex(which).to_numpy()
    rows = []
    table = pd.DataFrame({"x": x, "by": by, "facet": facet, "y": y})[done]
    for (xv, b, f_), g in table.groupby(["x", "by", "facet"], sort=True):
        ci = mean_ci(g["y"].to_numpy())
        rows.append(dict(x=xv, by=b, facet=f_, n=ci.n, mean=ci.mean, lo=ci.lo, hi=ci.hi))
    return pd.DataFrame(rows, columns=["x", "by", "facet", "n", "mean", "lo", "hi"]), cats, \
        categorical


def _band_text(df, spec, cells):
    n = cells["n"]
    reps = f"{n.min()}" if n.min() == n.max() else f"{n.min()}–{n.max()}"
    where = "at each design point" if not spec.pooled else "in each cell"
    text = f"band: 95 % t interval of the mean over the {reps} runs {where}"
    if spec.pooled:
        text += " (pooled over " + ", ".join(spec.pooled) + ")"
    elif df.attrs["replicates"] > 1:
        text += " (its replicates, each with its own seed)"
    return "\n".join(textwrap.wrap(text, 60))


def fig_interaction(df, fig, outcome, spec):
    ncols, nrows = spec.layout(df)
    by_labels = _levels(df, spec.by)[0] if spec.by else [None]
    facet_labels = _levels(df, spec.facet)[0] if spec.facet else [None]
    axes = np.atleast_2d(fig.subplots(nrows, ncols, sharey=True, squeeze=False))
    if spec.by:
        colours = [plt.get_cmap("viridis")(0.9 * i / max(len(by_labels) - 1, 1))
                   for i in range(len(by_labels))]
        series = [(outcome.columns[0], outcome.labels[0], None)]
    else:
        colours = None
        series = list(zip(outcome.columns, outcome.labels, outcome.colours))
    all_cells = []
    ymin, ymax = np.inf, -np.inf
    for r in range(nrows):
        for c in range(ncols):
            ax = axes[r, c]
            f_idx = r if spec.x != "time" else c
            t = spec.times[c] if spec.x != "time" else None
            if spec.x == "time":
                frame = None
            else:
                frame = outcome.at(df, t) if outcome.arrays else df
            for col, label, colour in series:
                if spec.x == "time":
                    cells, cats = _time_cells(df, outcome, col, spec), None
                    categorical = False
                else:
                    y = outcome.values(frame, col)
                    cells, cats, categorical = interaction_cells(frame, y, spec)
                cells = cells[cells["facet"] == (f_idx if spec.facet else 0)]
                all_cells.append(cells)
                for b in range(len(by_labels)):
                    cb = cells[cells["by"] == b].sort_values("x")
                    if cb.empty:
                        continue
                    colour_b = colours[b] if spec.by else colour
                    name = (f"{by_labels[b]}" if spec.by else label)
                    ax.plot(cb["x"], cb["mean"], color=colour_b, marker="o", markersize=4,
                            linewidth=2.0, label=name)
                    ax.fill_between(cb["x"], cb["lo"], cb["hi"], color=colour_b, alpha=0.2,
                                    linewidth=0)
                    finite = cb[["mean", "lo", "hi"]].to_numpy(dtype=float)
                    if np.isfinite(finite).any():
                        ymin = min(ymin, np.nanmin(finite))
                        ymax = max(ymax, np.nanmax(finite))
            if spec.x == "time":
                ax.set_xlabel("time [months]")
            else:
                scale = df.attrs["scales"].get(spec.x)
                ax.set_xlabel(parameter_label(spec.x, scale))
                if scale == "log-uniform" and not categorical:
                    ax.set_xscale("log")
                _parameter_ticks(ax, cats, categorical)
            title = []
            if t is not None:
                final = int(outcome.arrays[col].time.values[-1]) if outcome.arrays and \
                    "time" in outcome.arrays[col].dims else None
                title.append(f"t = {t}" + (" (final step)" if t == final else ""))
            if spec.facet:
                title.append(f"{spec.facet} = {facet_labels[f_idx]}")
            ax.set_title(", ".join(title), fontsize="medium")
            if c == 0:
                ax.set_ylabel(outcome.ylabel.replace("final ", ""))
            ax.grid(True, alpha=0.3)
    if np.isfinite(ymin) and ymin < 0 < ymax:
        for ax in axes.ravel():
            ax.axhline(0.0, color="black", linewidth=0.8, zorder=1)
    cells = pd.concat(all_cells) if all_cells else pd.DataFrame(columns=["n"])
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if cells.size:
        handles.append(Patch(color="grey", alpha=0.3, label=_band_text(df, spec, cells)))
    axes[0, 0].legend(handles=handles, loc="best", fontsize="small", framealpha=0.9,
                      title=("\n".join(textwrap.wrap(spec.by, 40)) if spec.by else None),
                      title_fontsize="small")
    what = outcome.title.replace("final ", "")
    if "[" not in what:  # an expression keeps its case
        what = what[0].upper() + what[1:]
    against = "time" if spec.x == "time" else spec.x
    head = f"{what} against {against}" + (f", one line per {spec.by}" if spec.by else "")
    width = int(fig.get_figwidth() * 10)  # characters of a bold title line that fit
    lines = textwrap.wrap(head, width) + textwrap.wrap(_describe(df), width)
    fig.suptitle("\n".join(lines), fontweight="bold")


def _time_cells(df, outcome, col, spec):
    """Cells over time: mean and 95 % t interval across the runs of each (by, facet) level."""
    done = (df["status"] == "done").to_numpy()
    by = _levels(df, spec.by)[1] if spec.by else np.zeros(len(df), dtype=int)
    facet = _levels(df, spec.facet)[1] if spec.facet else np.zeros(len(df), dtype=int)
    da = outcome.arrays[col]
    values = np.asarray(da.values, dtype=float) * outcome.factor
    rows = []
    for b in np.unique(by[done]):
        for f_ in np.unique(facet[done]):
            member = done & (by == b) & (facet == f_)
            for k, t in enumerate(da["time"].values):
                ci = mean_ci(values[member, k])
                rows.append(dict(x=float(t), by=b, facet=f_, n=ci.n, mean=ci.mean, lo=ci.lo,
                                 hi=ci.hi))
    return pd.DataFrame(rows, columns=["x", "by", "facet", "n", "mean", "lo", "hi"])


FIGURES = {
    "outcome_vs_parameters": fig_outcome_vs_parameters,
    "winner_heatmap": fig_winner_heatmap,
    "share_over_time": fig_share_over_time,
    "sobol_indices": fig_sobol,
}


def check_pair(df, pair):
    if pair is None:
        return None
    keys = df.attrs["parameters"]
    out = []
    for p in pair:
        hits = [k for k in keys if k == p] or [k for k in keys if k.endswith("." + p)]
        if len(hits) != 1:
            raise UsageError(f"--pair: '{p}' is {'ambiguous' if hits else 'not a parameter'} "
                             f"of this sweep; parameters: " + ", ".join(keys))
        out.append(hits[0])
    if len(set(out)) != len(out):
        raise UsageError("--pair: name two different parameters")
    return tuple(out)


def plot_sweep(df, outdir, outcome="share", pair=None, only=None, ds=None, at=None,
               interaction=None):
    """Write the figures for sweep ``df`` into ``outdir``; return the paths written.

    ``ds``: ``load_dataset`` of the sweep (for outcomes at ``at``, derived
    outcomes and expressions); ``at``: the step of the per-parameter figures
    (default: the final step); ``interaction``: an ``Interaction`` (--x),
    drawn as ``interaction.png``, or at ``outdir`` itself when it ends in
    ``.png`` (then only that figure is drawn).
    """
    outcome = outcome if isinstance(outcome, Outcome) else Outcome(df, outcome, ds)
    pair = check_pair(df, pair)
    single = str(outdir).endswith(".png")
    os.makedirs(os.path.dirname(os.path.abspath(outdir)) if single else outdir, exist_ok=True)
    written = []
    if interaction is not None:
        layout = interaction.layout(df)
        fig = plt.figure(figsize=figure_size("interaction", df, outcome, layout), dpi=DPI,
                         layout="constrained")
        try:
            fig_interaction(df, fig, outcome, interaction)
            path = outdir if single else os.path.join(outdir, "interaction.png")
            fig.savefig(path, dpi=DPI)
        finally:
            plt.close(fig)
        written.append(path)
        if single or only is None:
            return written
    if outcome.arrays and ds is not None:
        final = int(ds.time.values[-1])
        df = outcome.at(df, final if at is None else at, final)
    for name, draw in FIGURES.items():
        if only and name not in only:
            continue
        if name == "sobol_indices" and df.attrs["design"] != "sobol":
            continue
        if name != "sobol_indices" and not df.attrs["parameters"] and name != "share_over_time":
            continue
        if name in ("winner_heatmap", "share_over_time") and outcome.columns[0] not in \
                df.attrs["outcomes"] and outcome.name not in STRATEGY_OUTCOMES and only is None:
            continue  # figures of the strategies' shares: not about a derived outcome
        fig = plt.figure(figsize=figure_size(name, df, outcome), dpi=DPI, layout="constrained")
        try:
            if name == "sobol_indices":
                table = sobol_table(df, outcome)
                csv = os.path.join(outdir, "sobol_indices.csv")
                table.to_csv(csv, index=False, float_format="%.6g")
                draw(df, fig, outcome, pair, table=table)
            else:
                draw(df, fig, outcome, pair)
            path = os.path.join(outdir, f"{name}.png")
            fig.savefig(path, dpi=DPI)
        finally:
            plt.close(fig)
        written.append(path)
        if name == "sobol_indices":
            written.append(csv)
    return written


def check_times(ds, at):
    """The steps of --at, each one of the sweep's outcome times."""
    if not at:
        return None
    times = ds.time.values.tolist()
    for t in at:
        if t not in times:
            how = ("this sweep.h5 has outcomes at the final step only; for others collect a "
                   "sweep with an [outcomes] table (at = [...] or every = k, docs/SWEEP.md)"
                   if not ds.attrs["time_resolved"] else "")
            raise UsageError(f"--at {t}: outcomes were taken at t = " +
                             ", ".join(str(v) for v in times) + (f"; {how}" if how else ""))
    return list(at)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m analysis.plot_sweep",
                                     description="Figures of a collected missionsim sweep (PNG).")
    parser.add_argument("sweep", help="sweep directory (after 'missionsim sweep collect') or "
                        "its sweep.h5")
    parser.add_argument("-o", "--outdir", help="output folder (default: DIR + '-figures'); "
                        "with --x, a file name ending in .png writes that one figure there")
    parser.add_argument("--outcome", default="share",
                        help="what to plot: a quantity for every strategy (share, customers, "
                             "profit, societal_value, satisfaction, success, firms), one "
                             "column such as success:share, market:hhi, market:adopters_share, "
                             "a derived outcome of the sweep file, or an expression such as "
                             "'share[synergy] - share[philanthropy]' (default: share)")
    parser.add_argument("--at", nargs="+", type=int, metavar="T",
                        help="the step(s) at which to take the outcome (default: the final "
                             "step); with --x, one panel per step")
    parser.add_argument("--x", metavar="KEY",
                        help="draw interaction.png: the outcome against this parameter (or "
                             "'time'), mean and 95 %% CI across the runs of each cell")
    parser.add_argument("--by", metavar="KEY", help="with --x: one line per level of KEY")
    parser.add_argument("--facet", metavar="KEY", help="with --x: one row of panels per level "
                        "of KEY")
    parser.add_argument("--pair", nargs=2, metavar=("KEY1", "KEY2"),
                        help="parameters of the winner heatmap (x, y); default: the first two "
                             "numeric ones")
    parser.add_argument("--allow-missing", action="store_true",
                        help="plot a sweep whose collection has runs that are not done")
    parser.add_argument("--only", nargs="+", choices=list(FIGURES), metavar="NAME",
                        help="draw only these figures: " + ", ".join(FIGURES))
    args = parser.parse_args(argv)
    try:
        if (args.by or args.facet) and not args.x:
            raise UsageError("--by and --facet go with --x (the parameter on the x axis)")
        if args.outdir and args.outdir.endswith(".png") and not args.x:
            raise UsageError("-o FILE.png is for the one figure of --x; give a folder")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore" if args.allow_missing else "default")
            df = load_sweep(args.sweep, allow_missing=args.allow_missing)
            ds = load_dataset(args.sweep, allow_missing=args.allow_missing, probe=False)
        outcome = Outcome(df, args.outcome, ds)
        pair = check_pair(df, args.pair)
        at = check_times(ds, args.at)
        spec = (Interaction(df, ds, outcome, args.x, args.by, args.facet, at) if args.x
                else None)
        if spec is None and at and len(at) > 1:
            raise UsageError("several --at times go with --x (one panel per time)")
    except (TrajectoryError, UsageError) as err:
        print(f"plot_sweep: error: {err}", file=sys.stderr)
        return 2
    base = args.sweep.rstrip("/")
    if base.endswith(".h5"):
        base = os.path.dirname(base) or "."
    outdir = args.outdir or base + "-figures"
    try:
        for path in plot_sweep(df, outdir, outcome, pair, args.only, ds=ds,
                               at=at[0] if at else None, interaction=spec):
            print(path)
    except TrajectoryError as err:  # a run file damaged after collection
        print(f"plot_sweep: error: {err}", file=sys.stderr)
        return 2
    if spec is None and df.attrs["design"] != "sobol" and \
            (not args.only or "sobol_indices" in args.only):
        print(f"plot_sweep: note: design '{df.attrs['design']}' is not sobol: no Sobol "
              f"indices", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
