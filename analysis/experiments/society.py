#!/usr/bin/python3
"""Society as a customer with a finite budget (issue 12 item 1, docs/MODEL.md 7.21, Eq. S1-S7).

Paired seeds (the same seeds in every arm), 20,000 customers, t = 120 unless told otherwise. For a scenario
(default scenarios/baseline.toml, with its client segment switched off: society.nonprofit_clients = false in
every arm) it runs the grant pool off (v1, Eq. 54) and on at pool multipliers
0.75, 0.875, 1, 1.125, 1.25 of society.grant_pool_per_customer, and reports per arm: nonprofit survival
(nonprofit firms alive at the end over nonprofit firms that ever operated), the nonprofits' share of adopters,
adopters, grants paid per step at the end and the largest ratio grants paid / pool over all steps; plus paired
differences (arm - pool off) with 95% t-intervals. Output: Markdown on stdout (docs/VALIDATION.md, section
"Model v2 society: the grant pool").

    MISSIONSIM_CLI=build/release/missionsim /usr/bin/python3 analysis/experiments/society.py \
        [--scenario scenarios/baseline.toml] [--seeds 10] [--jobs 2] [--customers 20000] [--steps 120]

With --clients (scenario scenarios/v2/society-clients.toml, where nonprofits serve only their client segment
within the capacity their share of the pool funds, Eq. S4-S7) the reference arm "v1" switches both the pool
and the client segment off (society.grant_pool = nonprofit_clients = false: the v1 nonprofits), every other
arm keeps the scenario's switches; the tables add the nonprofits' clients at t, their share of the client
segment (--client-share) and the nonprofits' net cost (costs - sales) over the pool. --scan G1,G2,... adds a
coarse scan of the pool per customer (survival and clients per value).
"""
import os
import tempfile

import h5py
import numpy as np
from common import ROOT, column, fmt, names, parser, run_cli, run_jobs, scenario_path

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
        costs = f["firms/costs"][()]
        revenue = f["firms/revenue"][()]
        adopters = float(f["market/adopters"][-1])
    os.remove(out)
    ever = np.any((sid == k) & alive, axis=0)  # nonprofit slots that ever operated
    last = (sid[-1] == k) & alive[-1]
    paid = grants[1:].sum(axis=1)  # row 0 is t = 0
    ratio = net_over_pool = float("nan")
    np_now = (sid[-1] == k) & alive[-1]
    if pool is not None:
        imp = np.concatenate([[0.0], impact[1:-1].sum(axis=1)])  # impact of the previous step (Eq. S1)
        growth = pool[1]
        p = pool[0] * customers * (1 + growth * np.maximum(imp, 0) / customers)
        ratio = float(np.max(paid / p))
        sales = (revenue - grants)[-1][np_now].sum()
        net_over_pool = float((costs[-1][np_now].sum() - sales) / p[-1])
    return {
        "clients": float(cust[-1][np_now].sum()),
        "net_over_pool": net_over_pool,
        "survival": float(last.sum() / ever.sum()) if ever.sum() else float("nan"),
        "share": float(cust[-1][last].sum() / adopters) if adopters > 0 else 0.0,
        "adopters": adopters / customers,
        "grants": float(paid[-1]),
        "max_paid_over_pool": ratio,
    }




def main():
    ap = parser(__doc__, scenario=scenario_path("baseline"))
    ap.add_argument("--pool", type=float, default=BASE_POOL, help="pool per customer at multiplier 1")
    ap.add_argument("--growth", type=float, default=0.0, help="society.grant_pool_growth")
    ap.add_argument("--set", action="append", default=[], help="extra --set for every arm")
    ap.add_argument("--clients", action="store_true",
                    help="nonprofit client segment on (Eq. S4-S7); reference arm v1 switches it and the pool off")
    ap.add_argument("--client-share", type=float, default=0.12, help="share of the client segment")
    ap.add_argument("--scan", default="", help="comma-separated pool values per customer for a coarse scan")
    a = ap.parse_args()
    seeds = range(1, a.seeds + 1)
    if a.clients:
        if a.scenario == scenario_path("baseline"):
            a.scenario = scenario_path("v2/society-clients")
        arms = {"v1": (a.set + ["society.grant_pool=false", "society.nonprofit_clients=false"], None)}
    else:
        # The pool alone: nonprofits sell to anyone (the client segment needs the pool: off in every arm).
        a.set = a.set + ["society.nonprofit_clients=false"]
        arms = {"off": (a.set + ["society.grant_pool=false"], None)}
    ref = next(iter(arms))
    for m in MULTIPLIERS:
        pool = a.pool * m
        arms[f"x{m}"] = (a.set + ["society.grant_pool=true", f"society.grant_pool_per_customer={pool!r}",
                                  f"society.grant_pool_growth={a.growth!r}"], (pool, a.growth))
    with tempfile.TemporaryDirectory() as tmp:
        r = run_jobs(a.jobs, {(arm, s): (run, a.scenario, s, sets, os.path.join(tmp, f"{arm}-{s}.h5"), a.customers,
                                         a.steps, pool)
                              for arm, (sets, pool) in arms.items() for s in seeds})

    def col(arm, key):
        return column(r, seeds, (arm,), key)

    print(f"{os.path.relpath(a.scenario, ROOT)}, seeds 1..{a.seeds} paired, {a.customers} customers, "
          f"t = {a.steps}, pool at x1 = {a.pool} per customer per step, growth {a.growth}"
          f"{', ' + ', '.join(a.set) if a.set else ''}; mean [95% t-interval]\n")
    extra_h = " | nonprofit clients at t | share of the client segment | nonprofit net cost / pool" \
        if a.clients else ""
    print(f"| arm | nonprofit survival | nonprofit share of adopters | share - {ref} (paired) | adopters "
          f"| grants paid at t | max over steps of paid / pool{extra_h} |")
    print("|---|---|---|---|---|---|---|" + ("---|---|---|" if a.clients else ""))
    seg = a.client_share * a.customers
    for arm in arms:
        d = fmt(col(arm, "share") - col(ref, "share"), 3, sign=True) if arm != ref else ""
        mx = f"{np.nanmax(col(arm, 'max_paid_over_pool')):.4f}" if arm != ref else "(no pool)"
        extra = ""
        if a.clients:
            nop = fmt(col(arm, "net_over_pool"), 3) if arm != ref else ""
            extra = f" | {fmt(col(arm, 'clients'), 0)} | {fmt(col(arm, 'clients') / seg, 3)} | {nop}"
        print(f"| {arm} | {fmt(col(arm, 'survival'), 2)} | {fmt(col(arm, 'share'), 3)} | {d} | "
              f"{fmt(col(arm, 'adopters'), 3)} | {fmt(col(arm, 'grants'), 0)} | {mx}{extra} |")
    names = [f"x{m}" for m in MULTIPLIERS]
    print("\nNeighbouring pool values (paired differences, next - previous):\n")
    print("| step | survival | nonprofit share |" + (" nonprofit clients |" if a.clients else ""))
    print("|---|---|---|" + ("---|" if a.clients else ""))
    for lo, hi in zip(names, names[1:]):
        extra = f" {fmt(col(hi, 'clients') - col(lo, 'clients'), 0, True)} |" if a.clients else ""
        print(f"| {lo} -> {hi} | {fmt(col(hi, 'survival') - col(lo, 'survival'), 2, True)} | "
              f"{fmt(col(hi, 'share') - col(lo, 'share'), 3, True)} |{extra}")
    if a.scan:
        scan(a, seeds)


def scan(a, seeds):
    """Survival, nonprofit share and clients at t over a coarse grid of the pool per customer."""
    values = [float(v) for v in a.scan.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        r = run_jobs(a.jobs, {(g, s): (run, a.scenario, s,
                                       a.set + ["society.grant_pool=true", f"society.grant_pool_per_customer={g!r}",
                                                f"society.grant_pool_growth={a.growth!r}"],
                                       os.path.join(tmp, f"scan-{g}-{s}.h5"), a.customers, a.steps, (g, a.growth))
                              for g in values for s in seeds})
    print("\nCoarse scan of the pool per customer g (same seeds):\n")
    print("| g | nonprofit survival | nonprofit share of adopters | nonprofit clients at t | "
          "nonprofit net cost / pool |")
    print("|---|---|---|---|---|")
    for g in values:
        def c(key, g=g):
            return column(r, seeds, (g,), key)
        print(f"| {g} | {fmt(c('survival'), 2)} | {fmt(c('share'), 3)} | {fmt(c('clients'), 0)} | "
              f"{fmt(c('net_over_pool'), 3)} |")


if __name__ == "__main__":
    main()
