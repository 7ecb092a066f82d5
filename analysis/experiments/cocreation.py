#!/usr/bin/python3
"""Co-creation with network effects (issue 12 item 5, docs/MODEL.md 7.22, Eq. H3).

Arms on scenarios/baseline.toml and scenarios/baseline-v2.toml, same seeds: [cocreation_network] off (v1,
Eq. 24) and on, each with customers' own-effort weight success.effort_weight at its default (0.5) and at 0.
Reported at the last step: success+synergy share of the population; mean customer success over the success
and synergy firms' customers; and "size gap": mean success of the larger minus the smaller of the success
and synergy firms alive (by customers), which a network effect should widen. Paired differences with 95%
t-intervals. Output: Markdown on stdout (docs/VALIDATION.md, section "co-creation with network effects").

    MISSIONSIM_CLI=build/release/missionsim /usr/bin/python3 analysis/experiments/cocreation.py \
        [--seeds 10] [--jobs 2] [--customers 20000] [--steps 120]
"""
import argparse
import concurrent.futures as cf
import os
import tempfile

import h5py
import numpy as np
from common import ROOT, fmt, names, run_cli

ARMS = {
    "off": ["cocreation_network.enabled=false"],
    "off_e0": ["cocreation_network.enabled=false", "success.effort_weight=0"],
    "on": ["cocreation_network.enabled=true"],
    "on_e0": ["cocreation_network.enabled=true", "success.effort_weight=0"],
}


def run(scenario, seed, sets, out, customers, steps):
    run_cli("cocreation.py", scenario, seed, sets, out, customers, steps)
    with h5py.File(out, "r") as f:
        strat = names(f["firms/strategy"])
        ss = np.array([s in ("success", "synergy") for s in strat])
        share = f["firms/share"][-1]
        cust = f["firms/customers"][-2].astype(float)  # the customers the step's success is measured over
        succ = f["firms/success"][-1]
        ok = ss & np.isfinite(succ) & (cust > 0)
        res = {"share": float(share[ss].sum()),
               "success": float(np.sum(succ[ok] * cust[ok]) / np.sum(cust[ok])) if ok.any() else float("nan")}
        idx = np.flatnonzero(ok)
        if len(idx) >= 2:
            big, small = idx[np.argmax(cust[idx])], idx[np.argmin(cust[idx])]
            res["gap"] = float(succ[big] - succ[small])
        else:
            res["gap"] = float("nan")
    os.remove(out)
    return res




def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--steps", type=int, default=120)
    ap.add_argument("--scenarios", default="baseline,baseline-v2")
    a = ap.parse_args()
    seeds = range(1, a.seeds + 1)
    scen = [x for x in a.scenarios.split(",") if x]
    with tempfile.TemporaryDirectory() as tmp:
        jobs = {}
        with cf.ThreadPoolExecutor(a.jobs) as pool:
            for sc in scen:
                path = os.path.join(ROOT, "scenarios", sc + ".toml")
                for arm, sets in ARMS.items():
                    for s in seeds:
                        out = os.path.join(tmp, f"{sc}-{arm}-{s}.h5")
                        jobs[(sc, arm, s)] = pool.submit(run, path, s, sets, out, a.customers, a.steps)
            r = {key: fut.result() for key, fut in jobs.items()}

    def col(sc, arm, m):
        return np.array([r[(sc, arm, s)][m] for s in seeds])

    print(f"seeds 1..{a.seeds} paired, {a.customers} customers, t = {a.steps}; success and synergy firms at the "
          f"last step; mean [95% t-interval]\n")
    print("| scenario | outcome | off | on | on - off | effort_weight 0 - 0.5, off | effort_weight 0 - 0.5, on |")
    print("|---|---|---|---|---|---|---|")
    for sc in scen:
        for m in ("share", "success", "gap"):
            off, on, off0, on0 = (col(sc, k, m) for k in ("off", "on", "off_e0", "on_e0"))
            print(f"| {sc} | {m} | {fmt(off)} | {fmt(on)} | {fmt(on - off, sign=True)} | "
                  f"{fmt(off0 - off, sign=True)} | {fmt(on0 - on, sign=True)} |")


if __name__ == "__main__":
    main()
