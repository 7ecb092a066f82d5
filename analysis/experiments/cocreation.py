#!/usr/bin/python3
"""Co-creation with network effects (issue 12 item 5, docs/MODEL.md 7.22, Eq. H3-H4).

Arms on scenarios/baseline-v1.toml and scenarios/baseline.toml, same seeds: [cocreation_network] off (v1,
Eq. 24-25), on with the network stock only (Eq. H3; self_productivity 1 keeps Eq. 25's additive effort) and
on with effort working through the firm's support (Eq. H3-H4, the defaults); each with customers' own-effort
weight success.effort_weight at its default (0.5) and at 0 ("weight 0": effort still feeds the platform), and
with no effort at all (segment effort_mean 0, "effort 0": no own progress and no contribution); and the same
with grants off (mechanisms.society false), which isolates the nonprofits' grant channel. Reported at the
last step: success+synergy share of the population; mean customer success over the success and synergy
firms' customers; "size gap": mean success of the larger minus the smaller of the success and synergy firms
alive (by customers), which a network effect should widen; nonprofit share. Paired differences with 95%
t-intervals. Last, the effect of effort 0 with Eq. H4 at other support_scale and self_productivity values.
Strategies are the firms' strategies at the last step (/firms/strategy_id), entrants included. Output:
Markdown on stdout (docs/VALIDATION.md, section "co-creation effort and adaptation on long-run value").

    MISSIONSIM_CLI=build/release/missionsim /usr/bin/python3 analysis/experiments/cocreation.py \
        [--seeds 10] [--jobs 2] [--customers 20000] [--steps 120] [--by-strategy]

--by-strategy prints only the cause table: in v1, effort weight 0 minus 0.5 per strategy (share and
customers' success), with and without grants.
"""
import os
import tempfile

import h5py
import numpy as np
from common import column, fmt, names, parser, run_cli, run_jobs, scenario_path

ARMS = {
    "off": ["cocreation_network.enabled=false"],
    "off_e0": ["cocreation_network.enabled=false", "success.effort_weight=0"],
    "off_m0": ["cocreation_network.enabled=false", "customers.segments.0.effort_mean=0"],
    "h3": ["cocreation_network.enabled=true", "cocreation_network.self_productivity=1"],
    "h3_e0": ["cocreation_network.enabled=true", "cocreation_network.self_productivity=1",
              "success.effort_weight=0"],
    "on": ["cocreation_network.enabled=true"],
    "on_e0": ["cocreation_network.enabled=true", "success.effort_weight=0"],
    "on_m0": ["cocreation_network.enabled=true", "customers.segments.0.effort_mean=0"],
    "ns_off": ["cocreation_network.enabled=false", "mechanisms.society=false"],
    "ns_off_e0": ["cocreation_network.enabled=false", "mechanisms.society=false", "success.effort_weight=0"],
    "ns_on": ["cocreation_network.enabled=true", "mechanisms.society=false"],
    "ns_on_m0": ["cocreation_network.enabled=true", "mechanisms.society=false",
                 "customers.segments.0.effort_mean=0"],
}
# Sensitivity of Eq. H4: (support_scale, self_productivity) with effort at its default and at 0.
SWEEP = [(0.1, 0.0), (0.25, 0.0), (1.0, 0.0), (0.25, 0.5)]
for _k, _b in SWEEP:
    _sets = ["cocreation_network.enabled=true", f"cocreation_network.support_scale={_k}",
             f"cocreation_network.self_productivity={_b}"]
    ARMS[f"sw_{_k}_{_b}"] = _sets
    ARMS[f"sw_{_k}_{_b}_m0"] = _sets + ["customers.segments.0.effort_mean=0"]

# (label, arm, reference arm): paired differences reported per outcome.
CONTRASTS = [
    ("H3 on - off", "h3", "off"),
    ("H3+H4 on - off", "on", "off"),
    ("weight 0, off", "off_e0", "off"),
    ("weight 0, H3", "h3_e0", "h3"),
    ("weight 0, H3+H4", "on_e0", "on"),
    ("effort 0, off", "off_m0", "off"),
    ("effort 0, H3+H4", "on_m0", "on"),
    ("weight 0, off, no grants", "ns_off_e0", "ns_off"),
    ("effort 0, H3+H4, no grants", "ns_on_m0", "ns_on"),
]


def with_segment(scenario, tmp):
    """A copy of the scenario with its single default segment written out, so that --set can reach
    customers.segments.0.effort_mean (same results as the implicit segment)."""
    text = open(scenario).read()
    if "[[customers.segments]]" not in text:
        text += '\n[[customers.segments]]\nname = "mainstream"\nshare = 1.0\n'
    out = os.path.join(tmp, os.path.basename(scenario))
    with open(out, "w") as f:
        f.write(text)
    return out


def run(scenario, seed, sets, out, customers, steps):
    run_cli("cocreation.py", scenario, seed, sets, out, customers, steps)
    with h5py.File(out, "r") as f:
        strat = names(f["strategies/name"])
        sid = f["firms/strategy_id"][-1]
        ss = np.isin(sid, [strat.index(s) for s in ("success", "synergy")])
        npf = sid == strat.index("nonprofit")
        share = f["firms/share"][-1]
        cust = f["firms/customers"][-2].astype(float)  # the customers the step's success is measured over
        succ = f["firms/success"][-1]
        ok = ss & np.isfinite(succ) & (cust > 0)
        res = {"share": float(share[ss].sum()),
               "success": float(np.sum(succ[ok] * cust[ok]) / np.sum(cust[ok])) if ok.any() else float("nan"),
               "nonprofit share": float(share[npf].sum())}
        idx = np.flatnonzero(ok)
        if len(idx) >= 2:
            big, small = idx[np.argmax(cust[idx])], idx[np.argmin(cust[idx])]
            res["gap"] = float(succ[big] - succ[small])
        else:
            res["gap"] = float("nan")
    os.remove(out)
    return res


def main():
    ap = parser(__doc__, scenarios="baseline-v1,baseline")
    ap.add_argument("--by-strategy", action="store_true",
                    help="only the cause table: effort weight 0 in v1 per strategy, with and without grants")
    a = ap.parse_args()
    seeds = range(1, a.seeds + 1)
    scen = [x for x in a.scenarios.split(",") if x]
    if a.by_strategy:
        by_strategy(a, scen, seeds)
        return
    with tempfile.TemporaryDirectory() as tmp:
        r = run_arms(a, tmp, run, scen, ARMS, seeds)

    def col(sc, arm, m):
        return column(r, seeds, (sc, arm), m)

    print(f"seeds 1..{a.seeds} paired, {a.customers} customers, t = {a.steps}; success and synergy firms "
          f"(share, customers' success, size gap) and nonprofits (share) at the last step; "
          f"mean [95% t-interval]\n")
    for sc in scen:
        print(f"**{sc}**\n")
        print("| contrast | " + " | ".join(OUTCOMES) + " |")
        print("|---|" + "---|" * len(OUTCOMES))
        print("| level, off (v1) | " + " | ".join(fmt(col(sc, "off", m), 3) for m in OUTCOMES) + " |")
        print("| level, H3+H4 on | " + " | ".join(fmt(col(sc, "on", m), 3) for m in OUTCOMES) + " |")
        for label, arm, ref in CONTRASTS:
            print(f"| {label} | " + " | ".join(fmt(col(sc, arm, m) - col(sc, ref, m), 3, sign=True)
                                             for m in OUTCOMES) + " |")
        print()
        print(f"**{sc}**: effort 0 - default effort with H3+H4 on, by support_scale and self_productivity\n")
        print("| support_scale | self_productivity | " + " | ".join(OUTCOMES) + " |")
        print("|---|---|" + "---|" * len(OUTCOMES))
        for k, b in SWEEP:
            arm = f"sw_{k}_{b}"
            print(f"| {k} | {b} | " + " | ".join(fmt(col(sc, arm + "_m0", m) - col(sc, arm, m), 3, sign=True)
                                                 for m in OUTCOMES) + " |")
        print()


OUTCOMES = ("share", "success", "gap", "nonprofit share")
STRATEGIES = ("shareholder", "satisfaction", "success", "synergy", "philanthropy", "nonprofit")


def run_by_strategy(scenario, seed, sets, out, customers, steps):
    """Share and customers' mean success per strategy (strategy at the last step) at the last step."""
    run_cli("cocreation.py", scenario, seed, sets, out, customers, steps)
    with h5py.File(out, "r") as f:
        strat = names(f["strategies/name"])
        sid = f["firms/strategy_id"][-1]
        share = f["firms/share"][-1]
        cust = f["firms/customers"][-2].astype(float)
        succ = f["firms/success"][-1]
        res = {}
        for s in STRATEGIES:
            m = sid == strat.index(s)
            ok = m & np.isfinite(succ) & (cust > 0)
            res["share " + s] = float(share[m].sum())
            res["success " + s] = (float(np.sum(succ[ok] * cust[ok]) / np.sum(cust[ok])) if ok.any()
                                   else float("nan"))
    os.remove(out)
    return res


def run_arms(a, tmp, fn, scen, arms, seeds):
    """fn on every (scenario, arm, seed), each scenario with the values-driven segment of with_segment."""
    paths = {sc: with_segment(scenario_path(sc), tmp) for sc in scen}
    return run_jobs(a.jobs, {(sc, arm, s): (fn, paths[sc], s, sets, os.path.join(tmp, f"{sc}-{arm}-{s}.h5"),
                                            a.customers, a.steps)
                             for sc in scen for arm, sets in arms.items() for s in seeds})


def by_strategy(a, scen, seeds):
    """The cause table: effort weight 0 in v1 (Eq. 25), with and without grants, per strategy."""
    arms = ("off", "off_e0", "ns_off", "ns_off_e0")
    with tempfile.TemporaryDirectory() as tmp:
        r = run_arms(a, tmp, run_by_strategy, scen, {arm: ARMS[arm] for arm in arms}, seeds)
    print(f"seeds 1..{a.seeds} paired, {a.customers} customers, t = {a.steps}; v1 (cocreation_network off): "
          f"effort weight 0 minus 0.5, per strategy at the last step; mean [95% t-interval] (NaN: no firm of "
          f"the strategy with customers in some seed)\n")
    print("| scenario | grants | outcome | " + " | ".join(STRATEGIES) + " |")
    print("|---|---|---|" + "---|" * len(STRATEGIES))
    for sc in scen:
        for grants, (ref, arm) in (("on", ("off", "off_e0")), ("off", ("ns_off", "ns_off_e0"))):
            for m in ("share", "success"):
                cells = []
                for st in STRATEGIES:
                    d = np.array([r[(sc, arm, s)][f"{m} {st}"] - r[(sc, ref, s)][f"{m} {st}"] for s in seeds])
                    cells.append(fmt(d, 3, sign=True))
                print(f"| {sc} | {grants} | {m} | " + " | ".join(cells) + " |")
    print()

if __name__ == "__main__":
    main()
