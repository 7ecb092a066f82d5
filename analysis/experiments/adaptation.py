#!/usr/bin/python3
"""Strategy adaptation on long-run value (issue 12 item 6, docs/MODEL.md 7.13 and 7.25, Eq. D1-D3).

Arms on scenarios/baseline-v1.toml and scenarios/baseline.toml, same seeds: M13 adaptation off, and on with
each fitness ([adaptation] fitness = margin (v1, Eq. 55), customer-equity, cash; window 12, discount 0.01
per step, the defaults); customer-equity with windows 6 and 24; and each fitness with the finite grant pool
([society] grant_pool, docs/MODEL.md 7.21, at its default pool), since v1 grants without limit make the
nonprofit's customer equity grow with its clients. Reported at the last step: the live firms by strategy
(summed over seeds, and the mean per seed with its 95% t-interval), and the share of the population held by
each strategy. Strategies are the firms' strategies at the last step (/firms/strategy_id), so a firm that
imitated counts under its new strategy. Output: Markdown on stdout (docs/VALIDATION.md, section "co-creation
effort and adaptation on long-run value").

    MISSIONSIM_CLI=build/release/missionsim /usr/bin/python3 analysis/experiments/adaptation.py \\
        [--seeds 10] [--jobs 2] [--customers 20000] [--steps 120]
"""
import os
import tempfile

import h5py
from common import column, fmt, names, parser, run_cli, run_jobs, scenario_path

STRATEGIES = ("shareholder", "satisfaction", "success", "synergy", "philanthropy", "nonprofit")
ARMS = {
    "off": ["mechanisms.adaptation=false"],
    "margin": ["mechanisms.adaptation=true", 'adaptation.fitness="margin"'],
    "customer-equity": ["mechanisms.adaptation=true", 'adaptation.fitness="customer-equity"'],
    "cash": ["mechanisms.adaptation=true", 'adaptation.fitness="cash"'],
    "customer-equity, window 6": ["mechanisms.adaptation=true", 'adaptation.fitness="customer-equity"',
                                  "adaptation.window=6"],
    "customer-equity, window 24": ["mechanisms.adaptation=true", 'adaptation.fitness="customer-equity"',
                                   "adaptation.window=24"],
    "margin, grant pool": ["mechanisms.adaptation=true", 'adaptation.fitness="margin"',
                           "society.grant_pool=true"],
    "customer-equity, grant pool": ["mechanisms.adaptation=true", 'adaptation.fitness="customer-equity"',
                                    "society.grant_pool=true"],
    "cash, grant pool": ["mechanisms.adaptation=true", 'adaptation.fitness="cash"',
                         "society.grant_pool=true"],
}


def run(scenario, seed, sets, out, customers, steps):
    run_cli("adaptation.py", scenario, seed, sets, out, customers, steps)
    with h5py.File(out, "r") as f:
        sn = names(f["strategies/name"])
        sid = f["firms/strategy_id"][-1]
        alive = f["firms/alive"][-1].astype(bool)
        share = f["firms/share"][-1]
        res = {}
        for s in STRATEGIES:
            m = alive & (sid == sn.index(s))
            res["n_" + s] = float(m.sum())
            res["share_" + s] = float(share[m].sum())
        res["n_live"] = float(alive.sum())
    os.remove(out)
    return res


def main():
    ap = parser(__doc__, scenarios="baseline-v1,baseline")
    a = ap.parse_args()
    seeds = range(1, a.seeds + 1)
    scen = [x for x in a.scenarios.split(",") if x]
    with tempfile.TemporaryDirectory() as tmp:
        r = run_jobs(a.jobs, {(sc, arm, s): (run, scenario_path(sc), s, sets, os.path.join(tmp, f"{sc}-{arm}-{s}.h5"),
                                             a.customers, a.steps)
                              for sc in scen for arm, sets in ARMS.items() for s in seeds})

    def col(sc, arm, m):
        return column(r, seeds, (sc, arm), m)

    print(f"seeds 1..{a.seeds} paired, {a.customers} customers, t = {a.steps}; strategies at the last step\n")
    for sc in scen:
        print(f"**{sc}**: live firms by strategy, total over the {a.seeds} seeds "
              f"(mean per seed [95% t-interval])\n")
        print("| adaptation | live | " + " | ".join(STRATEGIES) + " |")
        print("|---|---|" + "---|" * len(STRATEGIES))
        for arm in ARMS:
            cells = [f"{int(col(sc, arm, 'n_' + s).sum())} ({fmt(col(sc, arm, 'n_' + s), 1)})"
                     for s in STRATEGIES]
            print(f"| {arm} | {int(col(sc, arm, 'n_live').sum())} | " + " | ".join(cells) + " |")
        print(f"\n**{sc}**: share of the population by strategy, mean [95% t-interval]; last rows: paired "
              f"difference to the margin fitness\n")
        print("| adaptation | " + " | ".join(STRATEGIES) + " |")
        print("|---|" + "---|" * len(STRATEGIES))
        for arm in ARMS:
            print(f"| {arm} | " + " | ".join(fmt(col(sc, arm, 'share_' + s), 3) for s in STRATEGIES) + " |")
        for arm in ("customer-equity", "cash", "customer-equity, window 6", "customer-equity, window 24"):
            print(f"| {arm} - margin | " + " | ".join(
                fmt(col(sc, arm, 'share_' + s) - col(sc, "margin", 'share_' + s), 3, sign=True)
                for s in STRATEGIES) + " |")
        for arm in ("customer-equity, grant pool", "cash, grant pool"):
            print(f"| {arm} - margin, grant pool | " + " | ".join(
                fmt(col(sc, arm, 'share_' + s) - col(sc, "margin, grant pool", 'share_' + s), 3, sign=True)
                for s in STRATEGIES) + " |")
        print()


if __name__ == "__main__":
    main()
