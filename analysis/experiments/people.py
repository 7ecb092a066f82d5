#!/usr/bin/python3
"""Engagement is paid for (issue 12 item 3, docs/MODEL.md 7.24, Eq. E1-E6): measurements for
docs/VALIDATION.md, section "Model v2 firms and society: engagement is paid for".

Three parts, each on paired seeds 1..N with 95% t-intervals:

1. chain: scenarios/validation/people-chain.toml ([people] on) and its control (people.enabled=false, the
   v1 chain). For lags L the two-way demeaned correlation (each firm's mean over the window and each step's
   mean over firms removed), pooled over steps 25..T, of engagement_t with satisfaction_{t+L} (forward)
   and satisfaction_t with engagement_{t+L} (reverse), and of satisfaction_t with revenue_{t+L} and
   revenue_t with satisfaction_{t+L}; one value per seed, forward - reverse paired by seed. Further arms
   keep [people] on with both lag rates 0.5 and 0.1, and without the lags (both rates 1).
2. purpose: on scenarios/baseline-v1.toml and baseline.toml, the satisfaction strategy's purpose 0.3 -> 0.9
   (paired seeds) in three arms: [people] off (v1), [people] on without people investment (share_service 0,
   people_investment 0), [people] on with investment (share_service 0.2 and people_investment 1 per
   customer). Outcomes at the last step: the satisfaction firms' share of the population, their mean
   engagement and cash.
3. pressure: people-chain.toml with every firm's metric pressure 0.7 against 0: cost per customer served in
   steps 2-4 (short-run output) and in the last 12 steps, engagement, satisfaction, revenue and cash.
4. baselines: baseline-v1.toml and baseline.toml with [people] off, on, and employees (M10) off: shares by
   initial strategy, adopters, engagement and the nonprofits' survival at the last step.

    MISSIONSIM_CLI=build/release/missionsim /usr/bin/python3 analysis/experiments/people.py \
        [--seeds 10] [--jobs 2] [--customers 20000] [--steps 120] [--parts chain,purpose,pressure,baselines]
"""
import concurrent.futures as cf
import os
import re
import tempfile

import h5py
import numpy as np
from common import ROOT, fmt, names, parser, run_cli, scenario_path

LAGS = (1, 3, 6, 12)
FROM = 25  # first step of the pooled window, as in validation case 6b
CHAIN = os.path.join(ROOT, "scenarios/validation/people-chain.toml")


def demean(a):
    """Two-way demeaning of a [T, F] array: firm means and step means removed, grand mean added back."""
    return a - a.mean(axis=0, keepdims=True) - a.mean(axis=1, keepdims=True) + a.mean()


def lag_corr(x, y, lag):
    """Correlation of x[t] with y[t + lag], both [T, F], over t in the window, after two-way demeaning."""
    a, b = demean(x[:-lag]), demean(y[lag:])
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def chain_run(seed, sets, out, customers, steps):
    run_cli("people.py", CHAIN, seed, sets, out, customers, steps)
    with h5py.File(out, "r") as f:
        alive = f["firms/alive"][()]
        keep = alive[FROM:].all(axis=0)
        e = f["firms/engagement"][FROM:][:, keep]
        s = f["firms/satisfaction"][FROM:][:, keep]
        r = f["firms/revenue"][FROM:][:, keep]
    os.remove(out)
    res = {}
    for lag in LAGS:
        res[f"es{lag}"] = lag_corr(e, s, lag)
        res[f"se{lag}"] = lag_corr(s, e, lag)
        res[f"sr{lag}"] = lag_corr(s, r, lag)
        res[f"rs{lag}"] = lag_corr(r, s, lag)
    return res


def chain(args, pool, tmp):
    arms = {"[people] on": [],
            "[people] on, both rates 0.5": ["people.quality_rate=0.5", "people.satisfaction_rate=0.5"],
            "[people] on, both rates 0.1": ["people.quality_rate=0.1", "people.satisfaction_rate=0.1"],
            "[people] on, no lags (both rates 1)": ["people.quality_rate=1", "people.satisfaction_rate=1"],
            "[people] off (v1 chain)": ["people.enabled=false"]}
    print("### The service-profit chain: forward against reverse lagged correlations\n")
    print(f"`scenarios/validation/people-chain.toml`, seeds 1-{args.seeds}, {args.customers} customers, "
          f"t = {args.steps}, window steps {FROM}-{args.steps}, two-way demeaned, 95% t-intervals; "
          "forward - reverse paired by seed.\n")
    print("| arm | link | L | forward | reverse | forward - reverse |")
    print("|---|---|---|---|---|---|")
    for arm, sets in arms.items():
        futs = [pool.submit(chain_run, s, sets, os.path.join(tmp, f"c{len(arm)}-{s}.h5"),
                            args.customers, args.steps) for s in range(1, args.seeds + 1)]
        rs = [f.result() for f in futs]
        for link, fw, rv in (("engagement -> satisfaction", "es", "se"), ("satisfaction -> revenue", "sr", "rs")):
            for lag in LAGS:
                a = [r[f"{fw}{lag}"] for r in rs]
                b = [r[f"{rv}{lag}"] for r in rs]
                d = [x - y for x, y in zip(a, b)]
                print(f"| {arm} | {link} | {lag} | {fmt(a, 3)} | {fmt(b, 3)} | {fmt(d, 3, True)} |")
    print()


def variant(scenario, tmp, tag, strategy, params):
    """A copy of `scenario` whose firms of `strategy` use a scenario-defined strategy based on it with
    `params`; returns the path."""
    text = open(os.path.join(ROOT, scenario)).read()
    name = f"{strategy}-x"
    text = re.sub(rf'strategy = "{strategy}"', f'strategy = "{name}"', text)
    text += f'\n[[strategies]]\nname = "{name}"\nbase = "{strategy}"\n'
    for k, v in params.items():
        text += f"{k} = {v}\n"
    path = os.path.join(tmp, f"{tag}.toml")
    with open(path, "w") as f:
        f.write(text)
    return path


def outcome_run(scenario, seed, sets, out, customers, steps, prefix):
    run_cli("people.py", scenario, seed, sets, out, customers, steps)
    with h5py.File(out, "r") as f:
        strat = names(f["firms/strategy"])
        sel = np.array([s.startswith(prefix) for s in strat])
        res = {
            "share": float(f["firms/share"][-1][sel].sum()),
            "engagement": float(np.nanmean(f["firms/engagement"][-1][sel])),
            "cash": float(f["firms/cash"][-1][sel].sum()) / 1e6,
        }
    os.remove(out)
    return res


def purpose(args, pool, tmp):
    print("### Purpose without and with people investment\n")
    print(f"The satisfaction strategy's purpose 0.3 -> 0.9, seeds 1-{args.seeds}, {args.customers} customers, "
          f"t = {args.steps}; difference (0.9 - 0.3) paired by seed, 95% t-intervals. \"share\": the "
          "satisfaction firms' share of the population at the last step; \"engagement\": their mean "
          "engagement there.\n")
    arms = {
        "[people] off (v1)": ({}, []),
        "[people] on, investment 0": ({"share_service": 0.0, "people_investment": 0.0}, ["people.enabled=true"]),
        "[people] on, investment on": ({"share_service": 0.2, "people_investment": 1.0}, ["people.enabled=true"]),
    }
    print("| scenario | arm | share at 0.3 | share 0.9 - 0.3 | engagement 0.9 - 0.3 | cash 0.9 - 0.3 [M] |")
    print("|---|---|---|---|---|---|")
    for scen in args.scenarios.split(","):
        for arm, (params, sets) in arms.items():
            res = {}
            for pur in (0.3, 0.9):
                tag = f"{scen}-{len(res)}-{abs(hash(arm)) % 10000}"
                path = variant(f"scenarios/{scen}.toml", tmp, tag, "satisfaction", dict(params, purpose=pur))
                futs = [pool.submit(outcome_run, path, s, sets, os.path.join(tmp, f"{tag}-{s}.h5"),
                                    args.customers, args.steps, "satisfaction") for s in range(1, args.seeds + 1)]
                res[pur] = [f.result() for f in futs]
            lo, hi = res[0.3], res[0.9]
            d = {k: [b[k] - a[k] for a, b in zip(lo, hi)] for k in ("share", "engagement", "cash")}
            print(f"| {scen} | {arm} | {fmt([a['share'] for a in lo], 3)} | {fmt(d['share'], 4, True)} | "
                  f"{fmt(d['engagement'], 3, True)} | {fmt(d['cash'], 3, True)} |")
    print()


def pressure_run(seed, sets, out, customers, steps):
    run_cli("people.py", CHAIN, seed, sets, out, customers, steps)
    with h5py.File(out, "r") as f:
        cost = f["firms/costs"][()]
        cust = f["firms/customers"][()].astype(float)
        res = {
            "cost_early": float(cost[2:5].sum() / cust[2:5].sum()),
            "cost_late": float(cost[-12:].sum() / cust[-12:].sum()),
            "engagement": float(np.nanmean(f["firms/engagement"][-1])),
            "satisfaction": float(np.nanmean(f["firms/satisfaction"][-1])),
            "revenue": float(f["firms/revenue"][-12:].sum()) / 12 / 1e3,
            "cash": float(f["firms/cash"][-1].sum()) / 1e6,
        }
    os.remove(out)
    return res


def pressure(args, pool, tmp):
    print("### Metric pressure: output now, engagement later\n")
    print(f"`scenarios/validation/people-chain.toml` ([people] on; mature market, fixed price 10), seeds "
          f"1-{args.seeds}, {args.customers} customers, t = {args.steps}: every firm's metric pressure 0.7 "
          "against 0, paired by seed. Cost per customer served (all six firms: fixed, serving, people, "
          "investment) in steps 2-4 (step 1 spends the launch budget) and in the last 12 steps; engagement and "
          "satisfaction (means over firms) at the last step; revenue per step over the last 12 steps "
          "[thousand]; cash at the end [million].\n")
    res = {}
    for mp in (0.0, 0.7):
        sets = [f"strategies.{k}.metric_pressure={mp}" for k in range(6)]
        futs = [pool.submit(pressure_run, s, sets, os.path.join(tmp, f"mp{mp}-{s}.h5"), args.customers,
                            args.steps) for s in range(1, args.seeds + 1)]
        res[mp] = [f.result() for f in futs]
    print("| outcome | pressure 0 | pressure 0.7 | 0.7 - 0 |")
    print("|---|---|---|---|")
    for k, label in (("cost_early", "cost per customer, steps 2-4"), ("cost_late", "cost per customer, last 12"),
                     ("engagement", "engagement, last step"), ("satisfaction", "satisfaction, last step"),
                     ("revenue", "revenue per step, last 12 [k]"), ("cash", "cash, last step [M]")):
        a = [r[k] for r in res[0.0]]
        b = [r[k] for r in res[0.7]]
        print(f"| {label} | {fmt(a, 3)} | {fmt(b, 3)} | {fmt([y - x for x, y in zip(a, b)], 3, True)} |")
    print()


GROUPS = ("shareholder", "satisfaction", "success", "synergy", "philanthropy", "nonprofit")


def baseline_run(scenario, seed, sets, out, customers, steps):
    run_cli("people.py", scenario, seed, sets, out, customers, steps)
    with h5py.File(out, "r") as f:
        strat = names(f["firms/strategy"])
        share = f["firms/share"][-1]
        alive = f["firms/alive"][-1]
        res = {g: float(sum(share[i] for i, s in enumerate(strat) if s == g)) for g in GROUPS}
        res["adopters"] = float(share.sum())
        npf = [i for i, s in enumerate(strat) if s == "nonprofit"]
        res["nonprofit_alive"] = float(np.mean([alive[i] for i in npf]))
        eng = f["firms/engagement"][-1]
        res["engagement"] = float(np.nanmean(eng[f["firms/strategy_id"][-1] >= 0]))
    os.remove(out)
    return res


def baselines(args, pool, tmp):
    print("### The baselines with [people] on\n")
    print(f"Seeds 1-{args.seeds}, {args.customers} customers, t = {args.steps}; share of the population by "
          "initial strategy at the last step, adopters, mean engagement of the firms, and the share of "
          "nonprofit firms alive; on - off paired by seed. Employees (M10) off is the issue's reference.\n")
    print("| scenario | outcome | [people] off | [people] on | on - off | employees off |")
    print("|---|---|---|---|---|---|")
    for scen in args.scenarios.split(","):
        path = scenario_path(scen)
        res = {}
        for arm, sets in (("off", []), ("on", ["people.enabled=true"]), ("m10off", ["mechanisms.employees=false"])):
            futs = [pool.submit(baseline_run, path, s, sets, os.path.join(tmp, f"b{scen}{arm}-{s}.h5"),
                                args.customers, args.steps) for s in range(1, args.seeds + 1)]
            res[arm] = [f.result() for f in futs]
        for k in GROUPS + ("adopters", "engagement", "nonprofit_alive"):
            a = [r[k] for r in res["off"]]
            b = [r[k] for r in res["on"]]
            c = [r[k] for r in res["m10off"]]
            print(f"| {scen} | {k} | {fmt(a, 3)} | {fmt(b, 3)} | {fmt([y - x for x, y in zip(a, b)], 3, True)} | "
                  f"{fmt(c, 3)} |")
    print()


def main():
    ap = parser(__doc__, scenarios="baseline-v1,baseline")
    ap.add_argument("--parts", default="chain,purpose,pressure,baselines")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, cf.ThreadPoolExecutor(args.jobs) as pool:
        for part in args.parts.split(","):
            {"chain": chain, "purpose": purpose, "pressure": pressure, "baselines": baselines}[part](args, pool, tmp)


if __name__ == "__main__":
    main()
