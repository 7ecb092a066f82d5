#!/usr/bin/python3
"""Comparable cost per unit of impact (issue 12 item 2, docs/MODEL.md 7.23, Eq. S8-S9).

Paired seeds (the same seeds in every arm), 20,000 customers, t = 120 unless told otherwise. On a scenario
(default scenarios/baseline.toml) it runs v1 ([cost_per_impact] off) and, with [cost_per_impact] on,
embedded = nonprofit = 1 money per unit of impact and donated = ratio x 1 for each cost ratio (default 1, 3,
10, 30, 100), at two visibilities of donated impact (social.philanthropy_visibility = 1: seen like embedded
impact; and 0.3, the default). Per arm it reports the impact the synergy firms and the philanthropy firms
deliver at t (sum over the live firms that hold the strategy at t), their paired difference, the same summed
over the whole run, and both strategies' shares of adopters. Output: Markdown on stdout (docs/VALIDATION.md,
section "Model v2 society: nonprofit clients and comparable cost per impact").

    MISSIONSIM_CLI=build/release/missionsim /usr/bin/python3 analysis/experiments/impact_cost.py \\
        [--scenario scenarios/baseline.toml] [--seeds 10] [--jobs 2] [--ratios 1,3,10,30,100]
"""
import os
import tempfile

import h5py
from common import ROOT, column, fmt, names, parser, run_cli, run_jobs, scenario_path


def run(scenario, seed, sets, out, customers, steps):
    run_cli("impact_cost.py", scenario, seed, sets, out, customers, steps)
    with h5py.File(out, "r") as f:
        strategy_names = names(f["strategies/name"])
        sid = f["firms/strategy_id"][()]
        alive = f["firms/alive"][()].astype(bool)
        impact = f["firms/social_impact"][()]
        cust = f["firms/customers"][()].astype(float)
        adopters = float(f["market/adopters"][-1])
    os.remove(out)
    r = {}
    for s in ("synergy", "philanthropy", "nonprofit"):
        k = strategy_names.index(s) if s in strategy_names else -2
        now = (sid[-1] == k) & alive[-1]
        every = (sid == k) & alive
        r[f"{s}_impact"] = float(impact[-1][now].sum())
        r[f"{s}_cum"] = float(impact[1:][every[1:]].sum())
        r[f"{s}_share"] = float(cust[-1][now].sum() / adopters) if adopters > 0 else 0.0
    return r


def main():
    ap = parser(__doc__, scenario=scenario_path("baseline"))
    ap.add_argument("--ratios", default="1,3,10,30,100", help="donated / embedded cost per unit of impact")
    ap.add_argument("--visibilities", default="1,0.3", help="social.philanthropy_visibility values")
    ap.add_argument("--set", action="append", default=[], help="extra --set for every arm")
    a = ap.parse_args()
    seeds = range(1, a.seeds + 1)
    ratios = [float(x) for x in a.ratios.split(",")]
    vis = [float(x) for x in a.visibilities.split(",")]
    arms = {"v1": list(a.set)}
    for v in vis:
        for q in ratios:
            arms[(v, q)] = a.set + ["cost_per_impact.enabled=true", "cost_per_impact.embedded=1",
                                    "cost_per_impact.nonprofit=1", f"cost_per_impact.donated={q!r}",
                                    f"social.philanthropy_visibility={v!r}"]
    with tempfile.TemporaryDirectory() as tmp:
        r = run_jobs(a.jobs, {(arm, s): (run, a.scenario, s, sets, os.path.join(tmp, f"{hash(arm)}-{s}.h5"),
                                         a.customers, a.steps)
                              for arm, sets in arms.items() for s in seeds})

    def col(arm, key):
        return column(r, seeds, (arm,), key)

    print(f"{os.path.relpath(a.scenario, ROOT)}, seeds 1..{a.seeds} paired, {a.customers} customers, "
          f"t = {a.steps}{', ' + ', '.join(a.set) if a.set else ''}; embedded = nonprofit = 1 money per unit "
          "of impact, donated = ratio; mean [95% t-interval]\n")
    print("| arm | visibility of donated impact | cost ratio donated / embedded | synergy impact at t | "
          "philanthropy impact at t | synergy - philanthropy at t (paired) | synergy - philanthropy, "
          "summed over t = 1..T | synergy share | philanthropy share | nonprofit impact at t |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for arm in arms:
        v, q = ("0.3", "100 (v1: philanthropy_efficiency 0.01)") if arm == "v1" else (f"{arm[0]:g}", f"{arm[1]:g}")
        label = "v1 (off)" if arm == "v1" else "on"
        print(f"| {label} | {v} | {q} | {fmt(col(arm, 'synergy_impact'), 0)} | "
              f"{fmt(col(arm, 'philanthropy_impact'), 0)} | "
              f"{fmt(col(arm, 'synergy_impact') - col(arm, 'philanthropy_impact'), 0, True)} | "
              f"{fmt(col(arm, 'synergy_cum') - col(arm, 'philanthropy_cum'), 0, True)} | "
              f"{fmt(col(arm, 'synergy_share'), 3)} | {fmt(col(arm, 'philanthropy_share'), 3)} | "
              f"{fmt(col(arm, 'nonprofit_impact'), 0)} |")

if __name__ == "__main__":
    main()
