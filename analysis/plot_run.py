"""Figures for one run: ``python3 -m analysis.plot_run OUT.h5 -o DIR``.

Writes one PNG per figure of ``FIGURES`` (see analysis/README.md for what each
shows) and prints the paths written. A file that cannot be read ends the
command with a one-line message and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from .readers import (TrajectoryError, by_strategy, load_run, scenario_value,  # noqa: E402
                      strategy_at)
from .style import DPI, LINESTYLES, strategy_colour  # noqa: E402

TIME_LABEL = "time [months]"
MONEY = "money"
W_COLOUR = "black"          # market-level series: greys, never a strategy colour
E_COLOUR = "#555555"
ERA_MARK = "#999999"
BASS_COLOUR = "#A50026"     # reference curve: dark red, darker than any strategy colour
MAX_FIRM_LEGEND = 16        # above this many firms, the by-firm legend lists strategies


# --- helpers -------------------------------------------------------------------------


def era_shift_time(ds):
    """Step at which w(t) is half-way from its first to its last value (None if flat)."""
    w = ds["success_weight"].values.astype(float)
    w = w[np.isfinite(w)]
    if w.size < 2 or abs(w[-1] - w[0]) < 0.02:
        return None
    half = 0.5 * (w[0] + w[-1])
    crossed = (w >= half) if w[-1] > w[0] else (w <= half)
    return int(ds.time.values[np.argmax(crossed)])


def _mark_era(ax, ds, label=True):
    t = era_shift_time(ds)
    if t is not None:
        ax.axvline(t, color=ERA_MARK, linestyle=":", linewidth=1.2,
                   label=f"era shift (w half-way, t = {t})" if label else None)


def _by_strategy_lines(ax, da, linestyle="-", label_suffix="", legend=True):
    for name in da.strategy.values.tolist():
        y = da.sel(strategy=name).values
        if np.all(~np.isfinite(y)):
            continue
        ax.plot(da.time.values, y, color=strategy_colour(name), linestyle=linestyle,
                linewidth=1.8, label=f"{name}{label_suffix}")


def _finish(ax, title, ylabel, legend=True, loc="best", ncol=1):
    ax.set_title(title)
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if legend:
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            ax.legend(loc=loc, fontsize="small", ncol=ncol, framealpha=0.85)


def _firm_strategy(ds):
    """The strategy of each firm when it first appears alive (its t = 0 strategy otherwise)."""
    labels = strategy_at(ds).values
    alive = ds["alive"].values.astype(bool)
    out = []
    for j, initial in enumerate(ds["strategy"].values.tolist()):
        rows = np.flatnonzero(alive[:, j])
        out.append(labels[rows[0], j] if rows.size else initial)
    return out


def _population(ds):
    pop = scenario_value(ds, "customers.count")
    if isinstance(pop, (int, float)) and pop > 0:
        return float(pop)
    cust = ds["customers"].values.astype(float)
    share = ds["share"].values.astype(float)
    ok = (share > 0) & np.isfinite(share) & (cust > 0)
    if ok.any():
        return float(np.median(cust[ok] / share[ok]))
    return None


def bass_curve(n0, p, q, m, steps):
    """Discrete Bass recursion N_t = N_{t-1} + (p + q N_{t-1}/M)(M - N_{t-1}), N_0 = n0."""
    n = np.empty(steps)
    n[0] = n0
    for t in range(1, steps):
        n[t] = n[t - 1] + (p + q * n[t - 1] / m) * (m - n[t - 1])
    return n


def _share_by_strategy_stack(ax, ds, title="Market share by strategy"):
    share = by_strategy(ds, "share").fillna(0.0) * 100.0
    names = share.strategy.values.tolist()
    t = share.time.values
    ax.stackplot(t, *[share.sel(strategy=s).values for s in names],
                 colors=[strategy_colour(s) for s in names], labels=names, alpha=0.85)
    last = by_strategy(ds, "customers").fillna(0.0).isel(time=-1).values
    if last.sum() > 0:
        top = [names[j] for j in np.flatnonzero(last == last.max())]
        pct = 100.0 * float(last.max() / last.sum())
        if len(top) == 1:
            rest = np.where(np.arange(len(last)) == names.index(top[0]), -1.0, last)
            second = names[int(np.argmax(rest))]
            lead = f"{top[0]} leads with {pct:.1f} % of adopters"
            if len(names) > 1:
                lead += f" ({second} {100.0 * float(rest.max() / last.sum()):.1f} %)"
        else:
            lead = f"{' and '.join(top)} tie with {pct:.1f} % of adopters each"
        title = title + "\n" + "\n".join(textwrap.wrap(f"at t = {int(t[-1])}: {lead}", 48))
    _mark_era(ax, ds)
    _finish(ax, title, "share of population [%]", legend=False)
    ax.set_xlim(t[0], t[-1])
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")


# --- figures -------------------------------------------------------------------------


def _firm_lines(ax, ds, var, scale=1.0, styles=True):
    """One line per firm that ever lives, coloured by its strategy, NaN while dead
    (``styles``: firms of one strategy told apart by line style, else all solid)."""
    strategies = _firm_strategy(ds)
    seen = {}
    values = ds[var].values.astype(float) * scale
    alive = ds["alive"].values.astype(bool)
    many = ds.sizes["firm"] > MAX_FIRM_LEGEND
    for j, firm in enumerate(ds.firm.values.tolist()):
        if not alive[:, j].any():
            continue
        s = strategies[j]
        k = seen.get(s, 0)
        seen[s] = k + 1
        ax.plot(ds.time.values, np.where(alive[:, j], values[:, j], np.nan),
                color=strategy_colour(s),
                linestyle="-" if many or not styles else LINESTYLES[k % len(LINESTYLES)],
                linewidth=0.8 if many else 1.6,
                label=None if many else (firm if firm.startswith(s) else f"{firm} ({s})"))
    if many:
        for s in seen:
            ax.plot([], [], color=strategy_colour(s), label=s)


def fig_market_share(ds, fig):
    ax1, ax2 = fig.subplots(1, 2)
    _firm_lines(ax1, ds, "share", 100.0)
    _mark_era(ax1, ds)
    _finish(ax1, "Market share by firm", "share of population [%]", legend=False)
    ax1.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    _share_by_strategy_stack(ax2, ds)
    fig.suptitle("Who wins the market", fontweight="bold")


def fig_satisfaction_success(ds, fig):
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    _by_strategy_lines(ax1, by_strategy(ds, "satisfaction", "customers"))
    _mark_era(ax1, ds)
    _finish(ax1, "Customer satisfaction by strategy", "mean satisfaction S [0–1]")
    _by_strategy_lines(ax2, by_strategy(ds, "success", "customers"))
    _mark_era(ax2, ds)
    _finish(ax2, "Customer success by strategy", "mean success s [0–1]")
    ax2.tick_params(labelleft=True)
    fig.suptitle("Satisfaction and success (means over each strategy's customers)",
                 fontweight="bold")


def fig_era_expectations(ds, fig):
    ax1, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    t = ds.time.values
    ax1.plot(t, ds["success_weight"].values, color=W_COLOUR, linewidth=2.0,
             label="era weight w(t) on success")
    ax1.plot(t, ds["expectation_mean"].values, color=E_COLOUR, linestyle="--", linewidth=2.0,
             label="mean expectation E")
    _mark_era(ax1, ds)
    ax1.set_ylim(0, 1)
    ax1b = ax1.twinx()
    ax1b.plot(t, ds["amplification"].values, color="#8E6C8A", linestyle="-.", linewidth=1.2,
              label="social-media amplification a(t)")
    ax1b.set_ylabel("amplification a(t) [×]")
    h1, l1 = ax1.get_legend_handles_labels()
    h2, l2 = ax1b.get_legend_handles_labels()
    ax1.set_title("Era shift: from satisfaction to success")
    ax1.set_ylabel("w(t), E [0–1]")
    ax1.grid(True, alpha=0.3)
    ax1.legend(h1 + h2, l1 + l2, loc="upper left", fontsize="small", framealpha=0.85)
    ax2.plot(t, ds["disconfirmation_mean"].values, color=E_COLOUR, linewidth=1.4,
             label="mean disconfirmation P − E")
    ax2.axhline(0.0, color="black", linewidth=0.8)
    _mark_era(ax2, ds, label=False)
    _finish(ax2, "Expectations met (> 0) or disappointed (< 0)", "P − E [−1…1]")
    fig.suptitle("Era weight and expectations", fontweight="bold")


def _kano_colours(n):
    cmap = plt.get_cmap("viridis")
    return [cmap(0.92 * a / max(n - 1, 1)) for a in range(n)]


def _kano_questionnaire(ds):
    """(better, |worse|) [time, attribute], or None when the file has no questionnaire."""
    if "kano_better" not in ds or "kano_worse" not in ds:
        return None
    better = ds["kano_better"].values.astype(float)
    worse = np.abs(ds["kano_worse"].values.astype(float))
    if better.shape != worse.shape or not np.isfinite(better).any():
        return None
    return better, worse


# Berger et al. (1993) quadrants of the Better / |Worse| plane, split at 0.5.
KANO_QUADRANTS = (
    (0.25, 0.75, "attractive (A)\ndelights, not missed"),
    (0.75, 0.75, "one-dimensional (O)\nmore is better"),
    (0.75, 0.25, "must-be (M)\nexpected, only missed"),
    (0.25, 0.25, "indifferent (I)"),
)
KANO_MARGIN = 0.06  # the plane is drawn from -margin to 1 + margin: paths at 0 or 1 stay whole


def _kano_plane(ax, ds, colours):
    data = _kano_questionnaire(ds)
    ax.set_xlim(-KANO_MARGIN, 1 + KANO_MARGIN)
    ax.set_ylim(-KANO_MARGIN, 1 + KANO_MARGIN)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_aspect("equal")
    ax.set_title("(b) Kano questionnaire: Better vs |Worse| over time")
    ax.set_xlabel("|Worse| [0–1] (dissatisfied when absent)")
    ax.set_ylabel("Better [0–1] (satisfied when present)")
    if data is None:
        ax.text(0.5, 0.5, "no Kano questionnaire in this file\n(market.kano_respondents = 0 "
                "or an older file)", ha="center", va="center", transform=ax.transAxes,
                color=E_COLOUR)
        return
    better, worse = data
    ax.axhline(0.5, color=ERA_MARK, linewidth=0.8)
    ax.axvline(0.5, color=ERA_MARK, linewidth=0.8)
    for x, y, text in KANO_QUADRANTS:  # behind the paths, at the quadrant's centre
        ax.text(x, y, text, ha="center", va="center", fontsize="small", color="#AAAAAA",
                style="italic", zorder=0)
    t = ds.time.values
    shift = era_shift_time(ds)
    for a in range(better.shape[1]):
        ok = np.isfinite(better[:, a]) & np.isfinite(worse[:, a])
        if not ok.any():
            continue
        x, y = worse[ok, a], better[ok, a]
        ax.plot(x, y, color=colours[a], linewidth=1.5)
        ax.plot(x[0], y[0], marker="o", color=colours[a], markersize=5)
        if x.size > 1:
            ax.annotate("", xy=(x[-1], y[-1]), xytext=(x[-2], y[-2]),
                        arrowprops=dict(arrowstyle="-|>", color=colours[a], lw=1.5,
                                        mutation_scale=14))
        if shift is not None and ok[np.searchsorted(t, shift)]:
            i = int(np.searchsorted(t[ok], shift))
            ax.plot(x[i], y[i], marker="D", color=ERA_MARK, markersize=4, zorder=3)
    handles = [Line2D([], [], color="black", marker="o", linestyle="-",
                      label=f"path from t = {int(t[0])} (or discovery) to t = {int(t[-1])} (arrow)")]
    if shift is not None:
        handles.append(Line2D([], [], color=ERA_MARK, marker="D", linestyle="none",
                              label=f"position at the era shift (t = {shift})"))
    ax.legend(handles=handles, loc="lower left", fontsize="small", framealpha=0.9)


def fig_kano(ds, fig):
    ax, ax2 = fig.subplots(1, 2)
    kano = ds["kano_maturity"].values.astype(float)
    t = ds.time.values
    n = kano.shape[1]
    colours = _kano_colours(n)
    for a in range(n):
        y = kano[:, a]
        known = np.isfinite(y)
        if not known.any():
            ax.plot([], [], color=colours[a], linestyle=":",
                    label=f"attribute {a} (never discovered)")
            continue
        first = int(np.argmax(known))
        label = f"attribute {a}" + (f" (discovered t = {t[first]})" if first > 0 else "")
        ax.plot(t, y, color=colours[a], linewidth=1.6, label=label)
        if first > 0:
            ax.plot(t[first], y[first], marker="o", color=colours[a])
    ax.set_ylim(0, 1.02)
    _mark_era(ax, ds)
    _finish(ax, "(a) Kano maturity per attribute (dots: discovered by R&D)",
            "maturity [0–1] (0 attractive → 1 must-be)", ncol=2 if n > 8 else 1)
    _kano_plane(ax2, ds, colours)
    fig.suptitle("Kano lifecycle: attributes migrate from delighters to must-bes",
                 fontweight="bold")


def fig_adoption_bass(ds, fig):
    ax1, ax2 = fig.subplots(1, 2)
    t = ds.time.values
    adopters = ds["adopters"].values.astype(float)
    p = scenario_value(ds, "adoption.p")
    q = scenario_value(ds, "adoption.q")
    m = _population(ds)
    ax1.plot(t, adopters, color=W_COLOUR, linewidth=1.4, label="adopters (simulation)")
    ax2.plot(t[1:], np.diff(adopters), color=W_COLOUR, linewidth=1.2,
             label="net new adopters (simulation)")
    note = ""
    if isinstance(p, (int, float)) and isinstance(q, (int, float)) and m:
        bass = bass_curve(adopters[0], float(p), float(q), m, len(t))
        ax1.plot(t, bass, color=BASS_COLOUR, linestyle="--", linewidth=2.4,
                 label=f"Bass recursion (p = {p:g}, q = {q:g}, M = {m:,.0f})")
        ax2.plot(t[1:], np.diff(bass), color=BASS_COLOUR, linestyle="--", linewidth=2.0,
                 label="Bass n_t")
        if max(np.nanmax(adopters), bass.max()) > 0.5 * m:
            ax1.axhline(m, color=ERA_MARK, linewidth=0.8, label="population M")
    else:
        note = " (scenario has no adoption p, q: no Bass curve)"
    _finish(ax1, "Adopters vs the Bass curve" + note, "adopters [customers]", loc="lower right")
    _finish(ax2, "Adoption per month", "new adopters [customers/month]")
    fig.suptitle("Adoption (simulation counts category exits; Bass does not)",
                 fontweight="bold")


CHURN_WINDOW = 12  # months over which the retention panel averages


def churn_by_strategy(ds, window=CHURN_WINDOW):
    """Customers lost per month as % of last month's customers, by strategy [time, strategy]:
    sum of (1 - retention) x last month's customers over the last ``window`` months,
    divided by the sum of last month's customers (NaN until a firm of it had customers)."""
    import xarray as xr

    retention = ds["retention"].values.astype(float)
    cust = ds["customers"].values.astype(float)
    lagged = np.vstack([np.zeros_like(cust[:1]), cust[:-1]])
    alive = ds["alive"].values.astype(bool)
    labels = strategy_at(ds).values
    names = by_strategy(ds, "retention", "lagged").strategy.values.tolist()
    out = np.full((len(ds.time), len(names)), np.nan)
    kernel = np.ones(window)
    for j, name in enumerate(names):
        ok = alive & (labels == name) & np.isfinite(retention) & (lagged > 0)
        lost = np.where(ok, (1.0 - retention) * lagged, 0.0).sum(axis=1)
        base = np.where(ok, lagged, 0.0).sum(axis=1)
        lost_w = np.convolve(lost, kernel)[:len(lost)]
        base_w = np.convolve(base, kernel)[:len(base)]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, j] = np.where(base_w > 0, 100.0 * lost_w / base_w, np.nan)
    return xr.DataArray(out, dims=("time", "strategy"),
                        coords={"time": ds.time, "strategy": names}, name="churn")


def fig_service_profit_chain(ds, fig):
    axes = fig.subplots(2, 2, sharex=True).ravel()
    panels = [
        ("engagement", "customers", "1. Engagement", "engagement [0–1]"),
        ("satisfaction", "customers", "2. Customer satisfaction", "satisfaction S [0–1]"),
        ("churn", None, f"3. Retention, as churn: customers lost per month\n"
                        f"({CHURN_WINDOW}-month mean; lower = better retention)",
         "lost / last month's customers [%]"),
        ("revenue", "sum", "4. Revenue", f"revenue [{MONEY}/month]"),
    ]
    for ax, (var, how, title, ylabel) in zip(axes, panels):
        _by_strategy_lines(ax, churn_by_strategy(ds) if var == "churn" else
                           by_strategy(ds, var, how))
        _mark_era(ax, ds, label=False)
        _finish(ax, title, ylabel, legend=(var == "revenue"))
        if var == "churn":
            ax.set_ylim(bottom=0)
    axes[0].legend(fontsize="small")
    fig.suptitle("Service-profit chain by strategy: engagement → satisfaction → retention → "
                 "revenue", fontweight="bold")


def fig_societal(ds, fig):
    axes = fig.subplots(2, 2, sharex=True).ravel()
    t = ds.time.values
    value = ds["societal_value"].values.astype(float)
    axes[0].plot(t, value, color=W_COLOUR, linewidth=1.6, label="societal value (impact − harm)")
    axes[0].axhline(0.0, color="black", linewidth=0.6)
    _mark_era(axes[0], ds, label=False)
    _finish(axes[0], "Societal value per month (market)", "value [impact units/month]")
    axes[1].plot(t, np.nancumsum(value), color=W_COLOUR, linewidth=1.6,
                 label="cumulative societal value")
    axes[1].axhline(0.0, color="black", linewidth=0.6)
    _finish(axes[1], "Cumulative societal value", "value [impact units]")
    _by_strategy_lines(axes[2], by_strategy(ds, "social_impact"))
    _finish(axes[2], "Social impact delivered, by strategy", "impact [impact units/month]")
    _by_strategy_lines(axes[3], by_strategy(ds, "harm"))
    _finish(axes[3], "Harm stock, by strategy", "harm [harm units]")
    fig.suptitle("Societal value and harm", fontweight="bold")


def fig_births_deaths(ds, fig):
    ax1, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    alive = ds["alive"].values.astype(bool)
    labels = strategy_at(ds).values
    t = ds.time.values
    firms = ds.firm.values.tolist()
    used = []
    for j in range(len(firms)):
        row = alive[:, j]
        if not row.any():
            continue
        # Runs of life, coloured by the strategy followed during the run.
        start = None
        for i in range(len(t) + 1):
            here = i < len(t) and row[i]
            if here and start is None:
                start = i
            if start is not None and (not here or labels[i, j] != labels[start, j]):
                s = labels[start, j]
                used.append(s)
                ax1.broken_barh([(t[start] - 0.5, t[i - 1] - t[start] + 1)], (j - 0.4, 0.8),
                                facecolors=strategy_colour(s))
                start = i if here else None
        births = np.flatnonzero(row[1:] & ~row[:-1]) + 1
        deaths = np.flatnonzero(~row[1:] & row[:-1]) + 1
        ax1.plot(t[births], [j] * len(births), marker="^", color="black", linestyle="none")
        ax1.plot(t[deaths], [j] * len(deaths), marker="x", color="black", linestyle="none",
                 markersize=8)
    names = [s for s in dict.fromkeys(used)]
    handles = [Patch(color=strategy_colour(s), label=s) for s in names] + [
        Line2D([], [], marker="^", color="black", linestyle="none", label="entry"),
        Line2D([], [], marker="x", color="black", linestyle="none", label="exit (bankrupt)")]
    if len(firms) <= 40:
        ax1.set_yticks(range(len(firms)), firms, fontsize="small")
    ax1.set_ylim(-0.6, len(firms) - 0.4)
    ax1.invert_yaxis()
    ax1.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    ax1.set_title("Firm lifetimes (bar: alive, colour: strategy)")
    ax1.set_ylabel("firm")
    ax1.grid(True, axis="x", alpha=0.3)
    counts = {s: ((labels == s) & alive).sum(axis=1) for s in names}
    if counts:
        ax2.stackplot(t, *counts.values(), colors=[strategy_colour(s) for s in names],
                      labels=names, step="post", alpha=0.85)
    _finish(ax2, "Live firms by strategy", "firms [count]", loc="upper left")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    fig.suptitle("Firm births and deaths", fontweight="bold")


def fig_economics(ds, fig):
    ax1, ax2 = fig.subplots(1, 2)
    _firm_lines(ax1, ds, "cash")
    ax1.axhline(0.0, color="black", linewidth=0.6)
    _mark_era(ax1, ds)
    _finish(ax1, "Cash by firm (below 0 for long: bankrupt)", f"cash [{MONEY}]", legend=False)
    ax1.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    _by_strategy_lines(ax2, by_strategy(ds, "profit"))
    ax2.axhline(0.0, color="black", linewidth=0.6)
    _mark_era(ax2, ds, label=False)
    _finish(ax2, "Profit by strategy (sum over firms)", f"profit [{MONEY}/month]")
    fig.suptitle("Economics: who can pay for its mission", fontweight="bold")


def fig_overview(ds, fig):
    grid = fig.add_gridspec(3, 2, height_ratios=[1.0, 1.0, 0.13])
    axes = [fig.add_subplot(grid[r, c]) for r in range(2) for c in range(2)]
    legend_ax = fig.add_subplot(grid[2, :])
    legend_ax.axis("off")
    _share_by_strategy_stack(axes[0], ds, "(a) Market share by strategy")
    axes[0].get_legend().remove()
    t = ds.time.values
    axes[1].plot(t, ds["success_weight"].values, color=W_COLOUR, linewidth=2.0,
                 label="era weight w(t) on success")
    axes[1].plot(t, ds["expectation_mean"].values, color=E_COLOUR, linestyle="--",
                 linewidth=2.0, label="mean expectation E")
    axes[1].set_ylim(0, 1)
    _mark_era(axes[1], ds)
    _finish(axes[1], "(b) Era shift and expectations", "w(t), E [0–1]", loc="upper left")
    satisfaction = by_strategy(ds, "satisfaction", "customers")
    _by_strategy_lines(axes[2], satisfaction)
    _by_strategy_lines(axes[2], by_strategy(ds, "success", "customers"), linestyle="--")
    _mark_era(axes[2], ds, label=False)
    _finish(axes[2], "(c) Satisfaction S (solid) and success s (dashed)",
            "mean over customers [0–1]", legend=False)
    _firm_lines(axes[3], ds, "cash", styles=False)
    axes[3].axhline(0.0, color="black", linewidth=0.6)
    _mark_era(axes[3], ds, label=False)
    _finish(axes[3], "(d) Cash of every firm (one solid line each)", f"cash [{MONEY}]",
            legend=False)
    # One legend for the figure: the strategy colours are the same in every panel.
    names = list(dict.fromkeys(satisfaction.strategy.values.tolist() + _firm_strategy(ds)))
    names = [s for s in names if s]
    handles = [Patch(color=strategy_colour(s), label=s) for s in names]
    handles += [Line2D([], [], color="black", label="(c) satisfaction S"),
                Line2D([], [], color="black", linestyle="--", label="(c) success s"),
                Line2D([], [], color=ERA_MARK, linestyle=":", label="era shift (w half-way)")]
    legend_ax.legend(handles=handles, loc="center", ncol=min(len(handles), 9), fontsize="small",
                     title="strategy (same colour in every panel and figure)", frameon=False)
    name = scenario_value(ds, "run.name", default="")
    fig.suptitle(f"missionsim run {name} (seed {ds.attrs.get('seed', '?')})".replace("  ", " "),
                 fontweight="bold")


# name -> (function, figure size in inches); pixel size = size * DPI.
FIGURES = {
    "overview": (fig_overview, (12.0, 9.0)),
    "market_share": (fig_market_share, (14.0, 5.5)),
    "satisfaction_success": (fig_satisfaction_success, (12.0, 5.0)),
    "era_expectations": (fig_era_expectations, (9.0, 7.0)),
    "kano_maturity": (fig_kano, (14.0, 6.0)),
    "adoption_bass": (fig_adoption_bass, (12.0, 5.0)),
    "service_profit_chain": (fig_service_profit_chain, (12.0, 8.0)),
    "societal_value": (fig_societal, (12.0, 8.0)),
    "births_deaths": (fig_births_deaths, (12.0, 7.0)),
    "economics": (fig_economics, (14.0, 5.5)),
}


def pixel_size(name):
    """(width, height) in pixels of figure ``name``."""
    w, h = FIGURES[name][1]
    return int(round(w * DPI)), int(round(h * DPI))


def plot_run(ds, outdir, only=None):
    """Write the figures of ``FIGURES`` (or those named in ``only``); return their paths."""
    os.makedirs(outdir, exist_ok=True)
    written = []
    for name, (draw, size) in FIGURES.items():
        if only and name not in only:
            continue
        fig = plt.figure(figsize=size, dpi=DPI, layout="constrained")
        try:
            draw(ds, fig)
            path = os.path.join(outdir, f"{name}.png")
            fig.savefig(path, dpi=DPI)
        finally:
            plt.close(fig)
        written.append(path)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m analysis.plot_run",
                                     description="Figures of one missionsim run (PNG).")
    parser.add_argument("file", help="trajectory file written by 'missionsim run'")
    parser.add_argument("-o", "--outdir", help="output folder (default: FILE without .h5 + "
                        "'-figures')")
    parser.add_argument("--allow-incomplete", action="store_true",
                        help="plot an interrupted run (complete = 0, e.g. OUT.h5.partial)")
    parser.add_argument("--only", nargs="+", choices=list(FIGURES), metavar="NAME",
                        help="draw only these figures: " + ", ".join(FIGURES))
    args = parser.parse_args(argv)
    try:
        ds = load_run(args.file, allow_incomplete=args.allow_incomplete)
    except TrajectoryError as err:
        print(f"plot_run: error: {err}", file=sys.stderr)
        return 2
    outdir = args.outdir or os.path.splitext(args.file.removesuffix(".partial"))[0] + "-figures"
    try:
        written = plot_run(ds, outdir, args.only)
    except (KeyError, ValueError, IndexError, TypeError) as err:
        # Only a file load_run accepted gets here: an incomplete (unverified)
        # file or one of an unexpected shape. One line, like a refused file.
        print(f"plot_run: error: {args.file}: cannot plot it, damaged or unexpected content "
              f"({type(err).__name__}: {err})", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
