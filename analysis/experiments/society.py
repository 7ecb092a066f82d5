#!/usr/bin/python3
"""Society as a customer with a finite budget (issue 12 item 1, docs/MODEL.md 7.21, Eq. S1-S3).

Paired seeds (the same seeds in every arm), 20,000 customers, t = 120 unless told otherwise. For a scenario
(default scenarios/baseline-v2.toml) it runs the grant pool off (v1, Eq. 54) and on at pool multipliers
0.75, 0.875, 1, 1.125, 1.25 of society.grant_pool_per_customer, and reports per arm: nonprofit survival
(nonprofit firms alive at the end over nonprofit firms that ever operated), the nonprofits' share of adopters,
adopters, grants paid per step at the end and the largest ratio grants paid / pool over all steps; plus paired
differences (arm - pool off) with 95% t-intervals. Output: Markdown on stdout (docs/VALIDATION.md, section
"Model v2 society: the grant pool").

    MISSIONSIM_CLI=build/release/missionsim /usr/bin/python3 analysis/experiments/society.py \
        [--scenario scenarios/baseline-v2.toml] [--seeds 10] [--jobs 2] [--customers 20000] [--steps 120]
"""
import argparse
import concurrent.futures as cf
import os
import tempfile

import h5py
import numpy as np
from common import ROOT, fmt, names, run_cli

BASE_POOL = 0.5  # society.grant_pool_per_customer default (docs/MODEL.md 9.15)
MULTIPLIERS = (0.75, 0.875, 1.0, 1.125, 1.25)


def run(scenario, seed, sets, out, customers, steps, pool):
    run_cli("society.py", scenario, seed, sets, out, customers, steps)
    with h5py.File(out, "r") as f:
        strategy_names = names(f["strategies/name"])
        k = strategy_names.index("nonprofit") if "nonprofit" in strategy_names else -2
        sid = f["firms/strategy_id"][()]
        alive = f["firms/alive"][()].astype(bool)
        cust = f["firms/customers"][()].astype(float)
        grants = f["firms/grants"][()]
        impact = f["firms/social_impact"][()]
        adopters = float(f["market/adopters"][-1])
    os.remove(out)
    ever = np.any((sid == k) & alive, axis=0)  # nonprofit slots that ever operated
    last = (sid[-1] == k) & alive[-1]
    paid = grants[1:].sum(axis=1)  # row 0 is t = 0
    ratio = float("nan")
    if pool is not None:
        imp = np.concatenate([[0.0], impact[1:-1].sum(axis=1)])  # impact of the previous step (Eq. S1)
        growth = pool[1]
        p = pool[0] * customers * (1 + growth * np.maximum(imp, 0) / customers)
        ratio = float(np.max(paid / p))
    return {
        "survival": float(last.sum() / ever.sum()) if ever.sum() else float("nan"),
        "share": float(cust[-1][last].sum() / adopters) if adopters > 0 else 0.0,
        "adopters": adopters / customers,
        "grants": float(paid[-1]),
        "max_paid_over_pool": ratio,
    }




def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default=os.path.join(ROOT, "scenarios/baseline-v2.toml"))
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--steps", type=int, default=120)
    ap.add_argument("--pool", type=float, default=BASE_POOL, help="pool per customer at multiplier 1")
    ap.add_argument("--growth", type=float, default=0.0, help="society.grant_pool_growth")
    ap.add_argument("--set", action="append", default=[], help="extra --set for every arm")
    a = ap.parse_args()
    seeds = range(1, a.seeds + 1)
    arms = {"off": (list(a.set), None)}
    for m in MULTIPLIERS:
        pool = a.pool * m
        arms[f"x{m}"] = (a.set + ["society.grant_pool=true", f"society.grant_pool_per_customer={pool!r}",
                                  f"society.grant_pool_growth={a.growth!r}"], (pool, a.growth))
    with tempfile.TemporaryDirectory() as tmp, cf.ThreadPoolExecutor(a.jobs) as ex:
        jobs = {(arm, s): ex.submit(run, a.scenario, s, sets, os.path.join(tmp, f"{arm}-{s}.h5"), a.customers,
                                    a.steps, pool)
                for arm, (sets, pool) in arms.items() for s in seeds}
        r = {k: f.result() for k, f in jobs.items()}

    def col(arm, key):
        return np.array([r[(arm, s)][key] for s in seeds])

    print(f"{os.path.relpath(a.scenario, ROOT)}, seeds 1..{a.seeds} paired, {a.customers} customers, "
          f"t = {a.steps}, pool at x1 = {a.pool} per customer per step, growth {a.growth}"
          f"{', ' + ', '.join(a.set) if a.set else ''}; mean [95% t-interval]\n")
    print("| arm | nonprofit survival | nonprofit share of adopters | share - pool off (paired) | adopters "
          "| grants paid at t | max over steps of paid / pool |")
    print("|---|---|---|---|---|---|---|")
    for arm in arms:
        d = fmt(col(arm, "share") - col("off", "share"), 3, sign=True) if arm != "off" else ""
        mx = f"{np.nanmax(col(arm, 'max_paid_over_pool')):.4f}" if arm != "off" else "(no pool)"
        print(f"| {arm} | {fmt(col(arm, 'survival'), 2)} | {fmt(col(arm, 'share'), 3)} | {d} | "
              f"{fmt(col(arm, 'adopters'), 3)} | {fmt(col(arm, 'grants'), 0)} | {mx} |")
    names = [f"x{m}" for m in MULTIPLIERS]
    print("\nNeighbouring pool values (paired differences, next - previous):\n")
    print("| step | survival | nonprofit share |")
    print("|---|---|---|")
    for lo, hi in zip(names, names[1:]):
        print(f"| {lo} -> {hi} | {fmt(col(hi, 'survival') - col(lo, 'survival'), 2, True)} | "
              f"{fmt(col(hi, 'share') - col(lo, 'share'), 3, True)} |")


if __name__ == "__main__":
    main()
