#!/usr/bin/python3
"""Harm without a clamp (issue 12 item 4, docs/MODEL.md 7.22, Eq. H1-H2): does more harm cost the harming firms?

The harm key is social.harm_per_cost (harm per money of externalised serving cost; only the shareholder
strategy externalises, cost_cutting 0.3). For each scenario (scenarios/baseline-v1.toml, scenarios/baseline.toml)
and each harm_cost arm (off = v1 clamp; on = Eq. H1-H2 at their defaults; on with cost_per_harm 0 = the
values-driven customers' channel alone) the script runs harm x1, x10 and
x1000 on the same seeds and reports the shareholder firms' outcomes at the last step with paired differences
(x10 - x1, x1000 - x1, x1000 - x10) and 95% t-intervals. A firm that died keeps the cash and harm it had
when it died (docs/OUTPUT.md); its harm per customer is then its harm stock. Output: Markdown on stdout (docs/VALIDATION.md,
section "Model v2 firms and society: harm without a clamp").

    MISSIONSIM_CLI=build/release/missionsim /usr/bin/python3 analysis/experiments/harm.py \
        [--seeds 10] [--jobs 2] [--customers 20000] [--steps 120] [--scenarios baseline-v1,baseline]
"""
import os
import tempfile

import h5py
import numpy as np
from common import column, fmt, names, parser, run_cli, run_jobs, scenario_path

BASE_HARM = 0.01  # the default social.harm_per_cost
FACTORS = (1, 10, 1000)
MODES = {  # harm_cost arms: v1, both channels (Eq. H1-H2 at their defaults), the customers' channel alone
    "off (v1)": ["harm_cost.enabled=false"],
    "on": ["harm_cost.enabled=true"],
    "on, values only (cost_per_harm 0)": ["harm_cost.enabled=true", "harm_cost.cost_per_harm=0"],
}


def run(scenario, seed, sets, out, customers, steps):
    run_cli("harm.py", scenario, seed, sets, out, customers, steps)
    with h5py.File(out, "r") as f:
        strat = names(f["firms/strategy"])
        sh = np.array([s == "shareholder" for s in strat])
        share = f["firms/share"][-1]
        cust = f["firms/customers"][-1].astype(float)
        harm = f["firms/harm"][-1]
        res = {
            "share": float(share[sh].sum()),                              # of the population
            "cash": float(f["firms/cash"][-1][sh].sum()) / 1e6,           # [million money]
            "alive": float(f["firms/alive"][-1][sh].sum()),
            "harm_pc": float(harm[sh].sum() / max(cust[sh].sum(), 1.0)),  # harm per customer
        }
    os.remove(out)
    return res




def main():
    ap = parser(__doc__, scenarios="baseline-v1,baseline")
    a = ap.parse_args()
    seeds = range(1, a.seeds + 1)
    scen = [x for x in a.scenarios.split(",") if x]
    with tempfile.TemporaryDirectory() as tmp:
        r = run_jobs(a.jobs, {(sc, on, k, s): (run, scenario_path(sc), s,
                                               [f"social.harm_per_cost={BASE_HARM * k:g}"] + MODES[on],
                                               os.path.join(tmp, f"{sc}-{list(MODES).index(on)}-{k}-{s}.h5"),
                                               a.customers, a.steps)
                              for sc in scen for on in MODES for k in FACTORS for s in seeds})

    def col(sc, on, k, m):
        return column(r, seeds, (sc, on, k), m)

    print(f"seeds 1..{a.seeds} paired, {a.customers} customers, t = {a.steps}; shareholder firms (the only ones "
          f"that externalise cost) at the last step; mean [95% t-interval]\n")
    print("| scenario | harm_cost | outcome | x1 | x10 - x1 | x1000 - x1 | x1000 - x10 |")
    print("|---|---|---|---|---|---|---|")
    for sc in scen:
        for on in MODES:
            for m, d in (("share", 4), ("cash", 3), ("alive", 2), ("harm_pc", 3)):
                x1, x10, x1000 = (col(sc, on, k, m) for k in FACTORS)
                print(f"| {sc} | {on} | {m} | {fmt(x1, d)} | {fmt(x10 - x1, d, True)} | "
                      f"{fmt(x1000 - x1, d, True)} | {fmt(x1000 - x10, d, True)} |")


if __name__ == "__main__":
    main()
