#!/usr/bin/python3
"""The essays' claims C1-C8 as paired experiments (issue 12 item 7).

Runs every sweep in scenarios/experiments/ (``missionsim sweep run --jobs``,
resumable; on Slurm run ``missionsim sweep slurm`` per file and pass the
directory with ``--no-run``), collects it, measures each claim's outcome at two
horizons as paired differences (treatment minus control, same seeds) with
95% t-intervals, and writes docs/EXPERIMENTS.md and one figure per claim in
docs/figures/experiments/. The verdict of every cell is computed from its
interval by ``verdict``; nothing in the document is written per claim by hand
except what the sweep files' headers say (claim, question, design, source,
refinement).

    /usr/bin/python3 analysis/experiments/claims.py --jobs 2            # full, writes docs/
    /usr/bin/python3 analysis/experiments/claims.py --quick --out DIR   # smoke test, writes DIR/

``--quick`` runs 3 replicates of 1,000 customers for 36 steps (horizons 18
and 36: long enough for adoption to start in the v2 baseline) into DIR (a fresh temporary directory by default), never over docs/.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import warnings
from typing import Callable, Optional

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from analysis.experiments.common import CLI, ci  # noqa: E402

EXPERIMENTS_DIR = os.path.join(ROOT, "scenarios", "experiments")
QUICK = {"replicates": 3, "customers": 1000, "steps": 36}

SUPPORTED, CONTRADICTED, NO_EFFECT, NOT_MEASURED = ("supported", "contradicted", "no detectable effect",
                                                    "not measured")


# ---- the verdict -----------------------------------------------------------------------------

def verdict(low: float, high: float, expected: int) -> str:
    """The verdict of a 95% interval [low, high] of a paired effect on a claim that predicts the
    sign `expected` (+1 or -1): supported when the interval lies wholly on the predicted side of 0,
    contradicted when it lies wholly on the other side, no detectable effect when it contains 0,
    not measured when it is not finite."""
    if expected not in (1, -1):
        raise ValueError(f"expected sign must be +1 or -1, got {expected!r}")
    if not (np.isfinite(low) and np.isfinite(high)):
        return NOT_MEASURED
    if low > high:
        raise ValueError(f"interval [{low}, {high}] has low > high")
    if low > 0:
        return SUPPORTED if expected > 0 else CONTRADICTED
    if high < 0:
        return SUPPORTED if expected < 0 else CONTRADICTED
    return NO_EFFECT


def direction(low: float, high: float) -> str:
    """Direction of an effect that no claim predicts: higher, lower or no detectable difference."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return NOT_MEASURED
    return "higher" if low > 0 else "lower" if high < 0 else "no detectable difference"


def summarise(cells: list[tuple[str, int, str]], several_conditions: bool) -> str:
    """One sentence from (condition, horizon, verdict) cells, in the order given: the verdicts
    that hold, each with the conditions and horizons where it holds."""
    horizons = sorted({h for _, h, _ in cells})
    conditions = list(dict.fromkeys(c for c, _, _ in cells))
    order = [v for v in (SUPPORTED, CONTRADICTED, NO_EFFECT, NOT_MEASURED) if any(x == v for *_, x in cells)]
    if len(order) == 1:
        where = " under every condition tested" if several_conditions else ""
        return f"**{order[0]}** at " + " and ".join(f"t = {h}" for h in horizons) + where + "."
    parts = []
    for v in order:
        held = {c: [h for cc, h, vv in cells if cc == c and vv == v] for c in conditions}
        held = {c: hs for c, hs in held.items() if hs}
        if not several_conditions:
            parts.append(f"**{v}** at " + " and ".join(f"t = {h}" for h in held[""]))
        elif len(held) == len(conditions) and len({tuple(hs) for hs in held.values()}) == 1:
            at = " and ".join(f"t = {h}" for h in next(iter(held.values())))
            parts.append(f"**{v}** at {at} under every condition tested")
        else:
            parts.append(f"**{v}** " + " and ".join(
                f"with {c} at " + " and ".join(f"t = {h}" for h in hs) for c, hs in held.items()))
    return "; ".join(parts) + "."


# ---- trajectories and outcomes ---------------------------------------------------------------

def _names(ds) -> list[str]:
    return [n.decode() if isinstance(n, bytes) else str(n) for n in ds[()]]


class Traj:
    """The datasets of one run that the outcomes need, read once each."""

    def __init__(self, path: str):
        import h5py

        self._f = h5py.File(path, "r")
        self._cache: dict[str, np.ndarray] = {}
        self.strategies = _names(self._f["strategies/name"])
        self.firms = _names(self._f["firms/name"])
        text = self._f["scenario"][()]
        text = text.decode() if isinstance(text, bytes) else str(text)
        self.population = float(tomllib.loads(text)["customers"]["count"])

    def __call__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = np.asarray(self._f[name][()], dtype=float)
        return self._cache[name]

    def close(self):
        self._f.close()

    def of_strategies(self, strategies) -> np.ndarray:
        """[T, F] mask of the firm slots following one of `strategies` at each step."""
        ids = [self.strategies.index(s) for s in strategies if s in self.strategies]
        return np.isin(self("firms/strategy_id"), ids)

    def named(self, prefix: str) -> np.ndarray:
        """[F] mask of the firms named `prefix` or `prefix-k`."""
        return np.array([n == prefix or n.startswith(prefix + "-") for n in self.firms])


def _ratio(num, den):
    num, den = np.asarray(num, float), np.asarray(den, float)
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)


def share_of_adopters(*strategies):
    def f(t: Traj):
        c = t("firms/customers")
        return _ratio((c * t.of_strategies(strategies)).sum(axis=1), t("market/adopters"))
    return f


def share_of_population(*strategies):
    def f(t: Traj):
        return (t("firms/customers") * t.of_strategies(strategies)).sum(axis=1) / t.population
    return f


def customer_mean(dataset, *strategies):
    """Customer-weighted mean of a per-firm dataset over the firms following `strategies`."""
    def f(t: Traj):
        x, c = t(dataset), t("firms/customers") * t.of_strategies(strategies)
        ok = np.isfinite(x) & (c > 0)
        return _ratio(np.where(ok, x * c, 0).sum(axis=1), np.where(ok, c, 0).sum(axis=1))
    return f


def firm_mean(dataset, *strategies):
    """Plain mean of a per-firm dataset over the live firms following `strategies`."""
    def f(t: Traj):
        x, m = t(dataset), t.of_strategies(strategies) & (t("firms/alive") > 0)
        ok = np.isfinite(x) & m
        return _ratio(np.where(ok, x, 0).sum(axis=1), ok.sum(axis=1))
    return f


def firm_sum(dataset, *strategies):
    def f(t: Traj):
        x = t(dataset)
        return np.where(np.isfinite(x) & t.of_strategies(strategies), x, 0).sum(axis=1)
    return f


def adoption(t: Traj):
    return t("market/adopters") / t.population


def satisfaction_lead(t: Traj):
    """Highest mean customer satisfaction of a firm with >= 1% of adopters, minus the
    adopter-weighted mean satisfaction of all firms."""
    s, c = t("firms/satisfaction"), t("firms/customers")
    ok = np.isfinite(s) & (c > 0)
    mean = _ratio(np.where(ok, s * c, 0).sum(axis=1), np.where(ok, c, 0).sum(axis=1))
    big = ok & (c >= 0.01 * t("market/adopters")[:, None])
    best = np.where(big, s, -np.inf).max(axis=1)
    return np.where(big.any(axis=1), best - mean, np.nan)


def named_cumulative_impact(prefix):
    """Social impact the firms named `prefix` delivered from step 1 to t, in thousands."""
    def f(t: Traj):
        x = t("firms/social_impact")[:, t.named(prefix)]
        x = np.where(np.isfinite(x), x, 0).sum(axis=1)
        x[0] = 0.0
        return np.cumsum(x) / 1000.0
    return f


def named_share_of_adopters(prefix):
    def f(t: Traj):
        return _ratio(t("firms/customers")[:, t.named(prefix)].sum(axis=1), t("market/adopters"))
    return f


def firms_alive(*strategies):
    def f(t: Traj):
        return ((t("firms/alive") > 0) & t.of_strategies(strategies)).sum(axis=1).astype(float)
    return f


def hhi(t: Traj):
    return t("market/hhi")


@dataclasses.dataclass
class Outcome:
    label: str
    fn: Callable[[Traj], np.ndarray]
    decimals: int = 4
    expected: Optional[int] = None  # the claim's predicted sign, primary outcome only


@dataclasses.dataclass
class Experiment:
    claim: str
    file: str
    treatment: str                   # the key changed between control (first level) and treatment
    primary: Outcome
    secondary: list[Outcome]
    condition: Optional[str] = None  # a second key: the conditions under which the claim is tested
    condition_labels: dict = dataclasses.field(default_factory=dict)
    arm_labels: tuple = ("control", "treatment")


SS = ("success", "synergy")
EXPERIMENTS = [
    Experiment("C1", "c1-copying.toml", "innovation.imitation_speed",
               Outcome("satisfaction lead of the best firm (>= 1% of adopters) over the market", satisfaction_lead,
                       expected=-1),
               [Outcome("HHI of adopters", hhi),
                Outcome("mean expectation E over all customers", lambda t: t("market/expectation_mean"))],
               condition="mechanisms.expectations",
               condition_labels={"true": "adaptive expectations on", "false": "adaptive expectations off"},
               arm_labels=("no copying", "copying")),
    Experiment("C2", "c2-era.toml", "success_expectations.ratchet_rate",
               Outcome("success + synergy share of adopters", share_of_adopters(*SS), expected=1),
               [Outcome("satisfaction strategy's share of adopters", share_of_adopters("satisfaction")),
                Outcome("adopters / population", adoption),
                Outcome("weight on success customers use (market mean)", lambda t: t("market/success_weight"),
                        decimals=3)],
               arm_labels=("no shift", "emergent shift")),
    Experiment("C3", "c3-cocreation.toml", "success.cocreation_rate",
               Outcome("success + synergy share of adopters", share_of_adopters(*SS), expected=1),
               [Outcome("mean success of success + synergy customers", customer_mean("firms/success", *SS)),
                Outcome("adopters / population", adoption)],
               condition="cocreation_network.enabled",
               condition_labels={"false": "v1 platform (Eq. 24)", "true": "[cocreation_network] on"},
               arm_labels=("no platform", "platform")),
    Experiment("C4", "c4-engagement.toml", "mechanisms.employees",
               Outcome("shareholder share of adopters", share_of_adopters("shareholder"), expected=-1),
               [Outcome("shareholder firms' engagement", firm_mean("firms/engagement", "shareholder")),
                Outcome("shareholder customers' satisfaction", customer_mean("firms/satisfaction", "shareholder")),
                Outcome("shareholder revenue per step (thousands)",
                        lambda t: firm_sum("firms/revenue", "shareholder")(t) / 1000.0, decimals=2),
                Outcome("success + synergy share of adopters", share_of_adopters(*SS))],
               arm_labels=("engagement fixed", "service-profit chain")),
    Experiment("C5", "c5-word-of-mouth.toml", "mechanisms.word_of_mouth",
               Outcome("adopters / population", adoption, expected=1),
               [Outcome("HHI of adopters", hhi)],
               condition="adoption.contact_cost",
               condition_labels={"0.5": "broadcast marketing (contact cost 0.5)",
                                 "1e+300": "no broadcast marketing (contact cost 1e300)",
                                 "1e300": "no broadcast marketing (contact cost 1e300)"},
               arm_labels=("no word of mouth", "word of mouth")),
    Experiment("C6", "c6-synergy.toml", "firms.3.strategy",
               Outcome("social impact delivered by the two mission firms since t = 1 (thousands)",
                       named_cumulative_impact("mission"), decimals=2, expected=1),
               [Outcome("mission firms' share of adopters", named_share_of_adopters("mission"))],
               condition="cost_per_impact.donated",
               condition_labels={"1.0": "equal cost per unit of impact (1 : 1)",
                                 "100.0": "donated impact 100 times dearer (default)"},
               arm_labels=("philanthropy", "synergy")),
    Experiment("C7", "c7-harm.toml", "social.harm_per_cost",
               Outcome("shareholder customers / population", share_of_population("shareholder"), expected=-1),
               [Outcome("shareholder cash (millions)",
                        lambda t: firm_sum("firms/cash", "shareholder")(t) / 1e6, decimals=3),
                Outcome("shareholder firms alive", firms_alive("shareholder"), decimals=2)],
               condition="harm_cost.enabled",
               condition_labels={"false": "v1 harm (clamped)", "true": "[harm_cost] on"},
               arm_labels=("no harm", "harm")),
    Experiment("C8", "c8-society.toml", "mechanisms.society",
               Outcome("nonprofit clients / population", share_of_population("nonprofit"), expected=1),
               [Outcome("nonprofit firms alive", firms_alive("nonprofit"), decimals=2),
                Outcome("nonprofit share of adopters", share_of_adopters("nonprofit"))],
               condition="society.grant_pool_per_customer",
               condition_labels={"0.25": "grant pool 0.25 per customer", "1.0": "grant pool 1 per customer"},
               arm_labels=("no grants", "grants")),
]


# ---- the sweep files -------------------------------------------------------------------------

def read_header(path: str) -> dict:
    """The leading comment block of a sweep file: its title line and its labelled paragraphs
    ("Claim:", "Question:", "Design:", "Source:", "Model v2:")."""
    lines = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            lines.append(line[1:].strip())
    out = {"title": lines[0] if lines else ""}
    key = None
    for line in lines[1:]:
        m = re.match(r"^(Claim|Question|Design|Source|Model v2):\s*(.*)$", line)
        if m:
            key = m.group(1).lower()
            out[key] = m.group(2)
        elif not line:
            key = None
        elif key:
            out[key] += " " + line
    for need in ("claim", "question", "design", "source", "model v2"):
        if not out.get(need):
            raise SystemExit(f"{path}: the header has no '{need.capitalize()}:' paragraph")
    return out


def level_text(v) -> str:
    """A level as the sweep file's TOML writes it (booleans lower case, floats by repr)."""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return str(v)


def read_sweep(path: str, exp: Experiment) -> dict:
    with open(path, "rb") as fh:
        doc = tomllib.load(fh)
    params = doc.get("parameters", [])
    keys = [p["key"] for p in params]
    if not params or keys[0] != exp.treatment or len(params[0].get("levels", [])) != 2:
        raise SystemExit(f"{path}: the first [[parameters]] must be '{exp.treatment}' with two levels "
                         f"[control, treatment], got {keys}")
    if not doc["sweep"].get("paired", False):
        raise SystemExit(f"{path}: [sweep] paired = true is needed for a paired control")
    want = [exp.treatment] + ([exp.condition] if exp.condition else [])
    if keys != want:
        raise SystemExit(f"{path}: parameters {keys}, expected {want}")
    return doc


def quick_copy(src: str, dst: str):
    """The sweep file at the quick scale: fewer replicates, customers and steps, absolute base."""
    with open(src, encoding="utf-8") as fh:
        text = fh.read()
    base = tomllib.loads(text)["sweep"]["base"]
    text = re.sub(r"(?m)^replicates = \d+", f"replicates = {QUICK['replicates']}", text)
    text = re.sub(r"customers\.count=\d+", f"customers.count={QUICK['customers']}", text)
    text = re.sub(r"run\.steps=\d+", f"run.steps={QUICK['steps']}", text)
    text = text.replace(f'base = "{base}"', f'base = "{os.path.normpath(os.path.join(os.path.dirname(src), base))}"')
    with open(dst, "w", encoding="utf-8") as fh:
        fh.write(text)


def _manifest_sha(d: str) -> Optional[str]:
    try:
        with open(os.path.join(d, "manifest.toml"), "rb") as fh:
            return tomllib.load(fh).get("sweep_sha256")
    except (OSError, tomllib.TOMLDecodeError):
        return None


def run_sweep(sweep_file: str, out: str, jobs: int):
    """`sweep run --resume` then `sweep collect`; a directory left by another version of the sweep
    (other hash: the file or its base changed) is replaced."""
    plan = subprocess.run([CLI, "sweep", "plan", sweep_file], capture_output=True, text=True)
    if plan.returncode != 0:
        raise SystemExit(f"claims: missionsim sweep plan {sweep_file} failed: {plan.stderr.strip()}")
    sha = re.search(r"sweep sha256: ([0-9a-f]{64})", plan.stdout).group(1)
    old = _manifest_sha(out)
    if old is not None and old != sha:
        print(f"claims: {out} holds another version of the sweep; running it again", flush=True)
        shutil.rmtree(out)
    cmd = [CLI, "sweep", "run", sweep_file, "-o", out, "--jobs", str(jobs), "-q", "--resume"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"claims: {' '.join(cmd)} failed (exit {done.returncode}): {done.stderr.strip()}")
    done = subprocess.run([CLI, "sweep", "collect", out], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"claims: missionsim sweep collect {out} failed: {done.stderr.strip()}")


def ledger_wall(sweep_dir: str) -> float:
    """Seconds from the start of the first run to the end of the last, from the sweep's ledger
    (so a sweep that was resumed or reused still reports what running it took; pauses between
    resumptions count)."""
    import datetime

    first, last = None, None
    for name in os.listdir(sweep_dir):
        if not name.startswith("ledger"):
            continue
        with open(os.path.join(sweep_dir, name), encoding="utf-8") as fh:
            for line in fh:
                f = line.rstrip("\n").split("\t")
                if len(f) != 7 or f[2] != "done":
                    continue
                end = datetime.datetime.fromisoformat(f[0].replace("Z", "+00:00")).timestamp()
                start = end - float(f[4])
                first = start if first is None else min(first, start)
                last = end if last is None else max(last, end)
    return 0.0 if first is None else last - first


# ---- measurement -----------------------------------------------------------------------------

@dataclasses.dataclass
class Cell:
    condition: str
    horizon: int
    control: float
    treatment: float
    effect: float
    half: float
    n: int

    @property
    def low(self):
        return self.effect - self.half

    @property
    def high(self):
        return self.effect + self.half


def measure(exp: Experiment, sweep_dir: str, sweep_doc: dict):
    """Per condition: the outcome trajectories of control and treatment [replicates, T] for the
    primary and each secondary outcome, paired by replicate."""
    from analysis.sweep import load_sweep

    df = load_sweep(sweep_dir)
    t_levels = [level_text(v) for v in sweep_doc["parameters"][0]["levels"]]
    c_levels = [level_text(v) for v in sweep_doc["parameters"][1]["levels"]] if exp.condition else [""]
    outcomes = [exp.primary] + exp.secondary
    values = {}  # (condition, arm) -> [outcome][replicate] -> array[T]
    for _, row in df.iterrows():
        arm = t_levels.index(level_text(row[exp.treatment]))
        cond = level_text(row[exp.condition]) if exp.condition else ""
        traj = Traj(row["file"])
        try:
            ys = [np.asarray(o.fn(traj), float) for o in outcomes]
        finally:
            traj.close()
        slot = values.setdefault((cond, arm), [dict() for _ in outcomes])
        for k, y in enumerate(ys):
            slot[k][int(row["replicate"])] = y
    result = {}
    for cond in c_levels:
        per = []
        for k in range(len(outcomes)):
            ctrl, trt = values[(cond, 0)][k], values[(cond, 1)][k]
            reps = sorted(set(ctrl) & set(trt))
            per.append((np.array([ctrl[r] for r in reps]), np.array([trt[r] for r in reps])))
        result[cond] = per
    steps = len(next(iter(values.values()))[0][0]) - 1
    return result, c_levels, steps


def cells_at(pair, horizons, label) -> list[Cell]:
    ctrl, trt = pair
    out = []
    for h in horizons:
        d = trt[:, h] - ctrl[:, h]
        ok = np.isfinite(d)
        m, half = ci(d[ok]) if ok.sum() > 1 else (float("nan"), float("nan"))
        out.append(Cell(label, h, float(np.nanmean(ctrl[ok, h])) if ok.any() else float("nan"),
                        float(np.nanmean(trt[ok, h])) if ok.any() else float("nan"), float(m), float(half),
                        int(ok.sum())))
    return out


# ---- the figure ------------------------------------------------------------------------------

def figure(exp: Experiment, result, c_levels, labels, horizons, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, cond in enumerate(c_levels):
        ctrl, trt = result[cond][0]
        t = np.arange(ctrl.shape[1])
        col = colours[i % len(colours)]
        tag = f" ({labels[cond]})" if exp.condition else ""
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # steps where no run has a value
            ax1.plot(t, np.nanmean(ctrl, axis=0), "--", color=col, label=f"{exp.arm_labels[0]}{tag}")
            ax1.plot(t, np.nanmean(trt, axis=0), "-", color=col, label=f"{exp.arm_labels[1]}{tag}")
            d = trt - ctrl
            n = np.isfinite(d).sum(axis=0)
            m = np.nanmean(d, axis=0)
            from scipy import stats
            half = np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)) * np.nanstd(d, axis=0, ddof=1)
                            / np.sqrt(np.maximum(n, 1)), np.nan)
        ax2.plot(t, m, color=col, label=labels[cond] if exp.condition else "paired difference")
        ax2.fill_between(t, m - half, m + half, color=col, alpha=0.25, linewidth=0)
    for ax in (ax1, ax2):
        for h in horizons:
            ax.axvline(h, color="grey", linestyle=":", linewidth=1)
        ax.set_xlabel("step (month)")
    ax2.axhline(0, color="black", linewidth=0.8)
    fig.suptitle(f"{exp.claim}: {exp.primary.label}", fontsize=11)
    ax1.set_title("mean over replicates", fontsize=10)
    ax2.set_title(f"{exp.arm_labels[1]} - {exp.arm_labels[0]}: mean and 95% t-interval", fontsize=10)
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# ---- the document ----------------------------------------------------------------------------

def fmt_cell(c: Cell, d: int) -> str:
    if not np.isfinite(c.effect):
        return "n/a"
    return f"{c.effect:+.{d}f} [{c.low:+.{d}f}, {c.high:+.{d}f}]"


def in_words(exp: Experiment, c: Cell) -> str:
    """One cell in plain words, from its numbers."""
    d = exp.primary.decimals
    v = verdict(c.low, c.high, exp.primary.expected)
    where = f"t = {c.horizon}" + (f", {c.condition}" if c.condition else "")
    if not np.isfinite(c.effect):
        return f"{where}: not measured (fewer than two paired replicates with a value)."
    if v == NO_EFFECT:
        change = (f"{exp.arm_labels[1]} does not change {exp.primary.label} detectably "
                  f"(difference {c.effect:+.{d}f}, 95% interval {c.low:+.{d}f} to {c.high:+.{d}f})")
    else:
        rel = f", {abs(c.effect) / abs(c.control):.0%} of the {exp.arm_labels[0]} level" if c.control else ""
        change = (f"{exp.arm_labels[1]} {'raises' if c.effect > 0 else 'lowers'} {exp.primary.label} by "
                  f"{abs(c.effect):.{d}f} (95% interval {abs(c.low if c.effect > 0 else c.high):.{d}f} to "
                  f"{abs(c.high if c.effect > 0 else c.low):.{d}f}{rel})")
    return f"{where}: {change}; the claim is {v}." if v != NO_EFFECT else f"{where}: {change}."


def write_doc(path, sections, meta):
    rel_fig = meta["figure_rel"]
    L = []
    L.append("# The essays' claims as experiments")
    L.append("")
    L.append("<!-- Generated by analysis/experiments/claims.py (`make experiments`); do not edit by hand. -->")
    L.append("")
    if meta["quick"]:
        L.append("> **QUICK RUN (smoke test): not the results.** "
                 f"{meta['replicates']} replicates of {meta['customers']:,} customers for {meta['steps']} steps; "
                 "the intervals are wide and the verdicts say little. Run `make experiments` for the document "
                 "of record.")
        L.append("")
    L.append("Each claim C1-C8 of the essays (docs/MODEL.md, section 1) is one sweep "
             "in `scenarios/experiments/`: a treatment and a paired control (the same seeds in both arms, "
             "`[sweep] paired = true`; one mechanism or parameter changed), sometimes under two conditions. "
             "The effect is the paired difference treatment - control of the claim's outcome, per replicate, "
             "with its 95% t-interval; the verdict is computed from that interval: **supported** when it lies "
             "wholly on the side the claim predicts, **contradicted** when it lies wholly on the other side, "
             "**no detectable effect** when it contains 0. The model was not tuned to these claims: every "
             "experiment runs `scenarios/baseline.toml` as it is. In each sweep file the first parameter is the "
             "treatment (levels [control, treatment]) and a second one, if any, the condition; the header's "
             "Claim, Question, Design, Source and Model v2 paragraphs are quoted below, and the outcome and "
             "predicted sign of each claim are in `EXPERIMENTS` in analysis/experiments/claims.py.")
    L.append("")
    L.append(f"- Scale: {meta['customers']:,} customers, {meta['steps']} monthly steps, "
             f"{meta['replicates']} replicates per arm, horizons t = {meta['horizons'][0]} and "
             f"t = {meta['horizons'][1]}; {meta['runs']} runs in all.")
    L.append(f"- Wall time: running the sweeps took {meta['ledger_wall'] / 60:.1f} min (from their ledgers: the "
             f"first run's start to the last run's end, summed over the {len(sections)} sweeps), "
             f"`--jobs {meta['jobs']}`, on a machine with {os.cpu_count()} cores shared with other work (load "
             f"average over the last 15 min at the end: {os.getloadavg()[2]:.1f}); this "
             f"command took {meta['wall']:.0f} s"
             f"{', reusing the runs already present' if meta['reused'] else ''}. missionsim {meta['version']}.")
    L.append(f"- Command: `{meta['command']}`. On Slurm: `missionsim sweep slurm scenarios/experiments/<file> "
             "-o out/experiments/<name>` per file, then "
             "`/usr/bin/python3 analysis/experiments/claims.py --no-run` once every sweep is collected.")
    L.append("")
    L.append("## Summary")
    L.append("")
    L.append(f"| claim | condition | outcome | effect at t = {meta['horizons'][0]} | "
             f"effect at t = {meta['horizons'][1]} | verdict |")
    L.append("|---|---|---|---|---|---|")
    for s in sections:
        for cond in s["c_levels"]:
            cs = [c for c in s["primary"] if c.condition == s["labels"][cond]]
            d = s["exp"].primary.decimals
            vs = [verdict(c.low, c.high, s["exp"].primary.expected) for c in cs]
            vtext = vs[0] if vs[0] == vs[1] else f"{vs[0]} / {vs[1]}"
            L.append(f"| {s['exp'].claim} | {s['labels'][cond] or '-'} | {s['exp'].primary.label} | "
                     f"{fmt_cell(cs[0], d)} | {fmt_cell(cs[1], d)} | {vtext} |")
    L.append("")
    for s in sections:
        exp, hd = s["exp"], s["header"]
        L.append(f"## {exp.claim}: {hd['title'].split(':', 1)[1].strip() if ':' in hd['title'] else hd['title']}")
        L.append("")
        L.append(f"**Claim.** {hd['claim']}")
        L.append("")
        L.append(f"**Question.** {hd['question']}")
        L.append("")
        L.append(f"**Design** (`scenarios/experiments/{exp.file}`). {hd['design']}")
        L.append("")
        sign = "> 0" if exp.primary.expected > 0 else "< 0"
        L.append(f"**Effect** of {exp.arm_labels[1]} against {exp.arm_labels[0]} "
                 f"(`{exp.treatment}` = {s['t_levels'][1]} against {s['t_levels'][0]}) on "
                 f"{exp.primary.label}; the claim predicts {sign}. Mean of each arm, paired difference and "
                 f"95% t-interval over {s['n']} replicates:")
        L.append("")
        L.append("| condition | t | " + f"{exp.arm_labels[0]} | {exp.arm_labels[1]} | effect [95% interval] | verdict |")
        L.append("|---|---|---|---|---|---|")
        d = exp.primary.decimals
        for c in s["primary"]:
            L.append(f"| {c.condition or '-'} | {c.horizon} | {c.control:.{d}f} | {c.treatment:.{d}f} | "
                     f"{fmt_cell(c, d)} | {verdict(c.low, c.high, exp.primary.expected)} |")
        L.append("")
        L.append(f"![{exp.claim}]({rel_fig}/{s['figure']})")
        L.append("")
        L.append(f"**Verdict.** {s['summary']}")
        L.append("")
        for c in s["primary"]:
            L.append("- " + in_words(exp, c))
        L.append("")
        if exp.secondary:
            L.append("Beside it (no verdict: the claim predicts nothing about these on their own):")
            L.append("")
            L.append(f"| outcome | condition | t | {exp.arm_labels[0]} | {exp.arm_labels[1]} | "
                     "effect [95% interval] | treatment is |")
            L.append("|---|---|---|---|---|---|---|")
            for o, cells in zip(exp.secondary, s["secondary"]):
                for c in cells:
                    L.append(f"| {o.label} | {c.condition or '-'} | {c.horizon} | {c.control:.{o.decimals}f} | "
                             f"{c.treatment:.{o.decimals}f} | {fmt_cell(c, o.decimals)} | "
                             f"{direction(c.low, c.high)} |")
            L.append("")
        L.append(f"**Source.** {hd['source']}")
        L.append("")
        L.append(f"**Model v2.** {hd['model v2']}")
        L.append("")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(L))


# ---- main ------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="runs at a time (sweep run --jobs)")
    ap.add_argument("--quick", action="store_true",
                    help=f"smoke test: {QUICK['replicates']} replicates, {QUICK['customers']} customers, "
                         f"{QUICK['steps']} steps, into --out (default: a new temporary directory)")
    ap.add_argument("--out", help="directory for the sweeps, the document and the figures (quick); "
                                  "for the sweeps only otherwise (default out/experiments)")
    ap.add_argument("--doc", help="document to write (default docs/EXPERIMENTS.md; quick: OUT/EXPERIMENTS.md)")
    ap.add_argument("--no-run", action="store_true", help="analyse sweeps already collected in --out")
    ap.add_argument("--only", nargs="*", help="claims to run (C1 ...); the document lists only these")
    args = ap.parse_args(argv)

    start = time.time()
    if args.quick:
        out = args.out or tempfile.mkdtemp(prefix="missionsim-experiments-")
        doc = args.doc or os.path.join(out, "EXPERIMENTS.md")
        fig_dir = os.path.join(os.path.dirname(os.path.abspath(doc)), "figures")
    else:
        out = args.out or os.path.join(ROOT, "out", "experiments")
        doc = args.doc or os.path.join(ROOT, "docs", "EXPERIMENTS.md")
        fig_dir = os.path.join(os.path.dirname(os.path.abspath(doc)), "figures", "experiments")
    os.makedirs(out, exist_ok=True)
    os.makedirs(fig_dir, exist_ok=True)
    chosen = [e for e in EXPERIMENTS if not args.only or e.claim in args.only]

    sweep_wall, reused = 0.0, False
    prepared = []
    for exp in chosen:
        src = os.path.join(EXPERIMENTS_DIR, exp.file)
        name = os.path.splitext(exp.file)[0]
        sweep_file = src
        if args.quick:
            sweep_file = os.path.join(out, exp.file)
            quick_copy(src, sweep_file)
        sdoc = read_sweep(sweep_file, exp)
        sdir = os.path.join(out, name)
        if not args.no_run:
            reused |= os.path.isdir(os.path.join(sdir, "runs")) and bool(os.listdir(os.path.join(sdir, "runs")))
            t0 = time.time()
            print(f"claims: {exp.claim} {sweep_file} -> {sdir}", flush=True)
            run_sweep(sweep_file, sdir, args.jobs)
            sweep_wall += time.time() - t0
        elif not os.path.exists(os.path.join(sdir, "sweep.h5")):
            done = subprocess.run([CLI, "sweep", "collect", sdir], capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"claims: missionsim sweep collect {sdir} failed: {done.stderr.strip()}")
        prepared.append((exp, src, sdoc, sdir))

    sections, runs, version, ledger_total = [], 0, "", 0.0
    meta_scale = None
    for exp, src, sdoc, sdir in prepared:
        result, c_levels, steps = measure(exp, sdir, sdoc)
        horizons = (steps // 2, steps)
        labels = {c: exp.condition_labels.get(c, f"{exp.condition} = {c}") if exp.condition else "" for c in c_levels}
        primary, secondary = [], [[] for _ in exp.secondary]
        for cond in c_levels:
            primary += cells_at(result[cond][0], horizons, labels[cond])
            for k in range(len(exp.secondary)):
                secondary[k] += cells_at(result[cond][k + 1], horizons, labels[cond])
        cells = [(c.condition, c.horizon, verdict(c.low, c.high, exp.primary.expected)) for c in primary]
        fig_name = os.path.splitext(exp.file)[0] + ".png"
        figure(exp, result, c_levels, labels, horizons, os.path.join(fig_dir, fig_name))
        n = min(c.n for c in primary)
        sections.append(dict(exp=exp, header=read_header(src), primary=primary, secondary=secondary,
                             c_levels=c_levels, labels=labels, figure=fig_name, n=n,
                             t_levels=[level_text(v) for v in sdoc["parameters"][0]["levels"]],
                             summary=summarise(cells, bool(exp.condition))))
        ledger_total += ledger_wall(sdir)
        set_keys = dict(s.split("=", 1) for s in sdoc["sweep"].get("set", []))
        reps = sdoc["sweep"]["replicates"]
        runs += reps * 2 * len(c_levels)
        meta_scale = (int(set_keys.get("customers.count", 0)), steps, reps, horizons)
        if not version:
            import h5py
            with h5py.File(os.path.join(sdir, "sweep.h5"), "r") as f:
                v = f.attrs["missionsim_version"]
                version = v.decode() if isinstance(v, bytes) else str(v)

    customers, steps, reps, horizons = meta_scale
    command = ("make experiments QUICK=1" if args.quick else "make experiments") + f" JOBS={args.jobs}"
    meta = dict(quick=args.quick, customers=customers, steps=steps, replicates=reps, horizons=horizons, runs=runs,
                wall=time.time() - start, sweep_wall=sweep_wall, ledger_wall=ledger_total, reused=reused, jobs=args.jobs, version=version,
                command=command,
                figure_rel=os.path.relpath(fig_dir, os.path.dirname(os.path.abspath(doc))))
    write_doc(doc, sections, meta)
    print(f"claims: wrote {doc} and {len(sections)} figures in {fig_dir} ({meta['wall']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
