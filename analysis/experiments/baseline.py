#!/usr/bin/python3
"""The model v2 baseline, scenarios/baseline.toml, measured (issues 11 and 12: "the baseline demonstrates
the dynamics"). Output: Markdown on stdout (docs/VALIDATION.md, section "Model v2 baseline:
scenarios/baseline.toml").

Paired seeds 1..--seeds (the same seeds in every arm), 20,000 customers and t = 120 unless told otherwise;
every value is a mean over seeds with its 95% t-interval, every comparison the mean paired difference.

    MISSIONSIM_CLI=build/release/missionsim /usr/bin/python3 analysis/experiments/baseline.py \
        [--seeds 10] [--jobs 2] [--customers 20000] [--steps 120] [--arms base,nodemand,...] [--set KEY=VALUE]

Arms (overrides by --set on scenarios/baseline.toml):
  base         the scenario as written
  nodemand     demand side off except the outside option: needs.kano_asymmetric, needs.heterogeneous,
               wom_content.enabled, demand.continuous_marketing, demand.continuous_budget, demand.scale_money
               = false (the nonprofits' client segment needs the outside option, so it stays on)
  nosociety    society v2 off: society.grant_pool, society.nonprofit_clients, cost_per_impact.enabled = false
               (v1 grants per unit of impact without a budget; the 20% segment stays, as customers who can
               pay 3 at most, and the nonprofits sell to anyone)
  nopeople     people.enabled = false (v1 engagement: purpose raises it at no cost)
  nococreation cocreation_network.enabled = false (v1 co-creation stock, Eq. 24)
  noharm       harm_cost.enabled = false (v1 values score clamped at +-5)
  nosuccess    success_expectations.enabled = false (the [era] schedule instead of customers' own weights)
  inc          incidents.enabled = true: service failures (docs/MODEL.md 7.26) at the code defaults
  inc+noneg    inc with wom_content.negative = false
  inc+nowom    inc with mechanisms.word_of_mouth = false
  nowom        mechanisms.word_of_mouth = false
  noneg        wom_content.negative = false (warnings do not lower the adoption hazard)
  n5k          customers.count = 5000 (money is per customer, demand.scale_money)
  v1           scenarios/baseline-v1.toml (the v1 model, every v2 switch off), for reference
  nowom+<arm>  diagnostic: word of mouth off with one mechanism off (<arm> one of nodemand, nosociety,
               nopeople, nococreation, noharm, nosuccess), to find which mechanism absorbs the word-of-mouth effect
"""
import os
import tempfile

import h5py
import numpy as np
from common import column, fmt, names, nps_summary, parser, run_cli, run_jobs, scenario_path

SCENARIO = scenario_path("baseline")
V1 = scenario_path("baseline-v1")
STRATEGIES = ("shareholder", "satisfaction", "success", "synergy", "philanthropy", "nonprofit")
CLIENT_SHARE = 0.2  # the client segment's share in scenarios/baseline.toml

ARMS = {
    "base": [],
    "nodemand": ["needs.kano_asymmetric=false", "needs.heterogeneous=false", "wom_content.enabled=false",
                 "demand.continuous_marketing=false", "demand.continuous_budget=false",
                 "demand.scale_money=false"],
    "nosociety": ["society.grant_pool=false", "society.nonprofit_clients=false",
                  "cost_per_impact.enabled=false"],
    "nopeople": ["people.enabled=false"],
    "nococreation": ["cocreation_network.enabled=false"],
    "noharm": ["harm_cost.enabled=false"],
    "nosuccess": ["success_expectations.enabled=false"],
    "inc": ["incidents.enabled=true"],
    "nowom": ["mechanisms.word_of_mouth=false"],
    "noneg": ["wom_content.negative=false"],
    "n5k": [],
    "v1": [],
}
SWITCHES = (("nodemand", "demand side"), ("nosociety", "society"), ("nopeople", "people"),
            ("nococreation", "co-creation"), ("noharm", "harm cost"), ("nosuccess", "success expectations"))
for _arm, _ in SWITCHES:
    ARMS[f"nowom+{_arm}"] = ARMS[_arm] + ARMS["nowom"]
ARMS["inc+noneg"] = ARMS["inc"] + ARMS["noneg"]
ARMS["inc+nowom"] = ARMS["inc"] + ARMS["nowom"]


def run(scenario, seed, sets, out, customers, steps):
    run_cli("baseline.py", scenario, seed, sets, out, customers, steps)
    with h5py.File(out, "r") as f:
        strategy_names = names(f["strategies/name"])
        sid = f["firms/strategy_id"][()]
        alive = f["firms/alive"][()].astype(bool)
        cust = f["firms/customers"][()].astype(float)  # customers at the end of each step
        nps = f["firms/nps"][()]  # over the customers at the start of the step
        prom, det = f["firms/promoters"][()], f["firms/detractors"][()]  # the shares behind nps
        m = f["market"]
        n = float(m["adopters"][-1])
        res = {"adopters": n / customers, "non_buyers": float(m["non_buyers"][-1]) / customers,
               "w": float(m["success_weight"][-1]), "es": float(m["success_expectation_mean"][-1])}
    os.remove(out)
    for s in STRATEGIES:
        k = strategy_names.index(s) if s in strategy_names else -2
        res[s] = float(cust[-1][sid[-1] == k].sum() / n) if n > 0 else 0.0  # share of adopters
    res["success+synergy"] = res["success"] + res["synergy"]
    k = strategy_names.index("nonprofit")
    ever = np.any((sid == k) & alive, axis=0)  # nonprofit slots that ever operated (entrants included)
    last = (sid[-1] == k) & alive[-1]
    res["np_survival"] = float(last.sum() / ever.sum()) if ever.sum() else float("nan")
    res["np_clients_seg"] = float(cust[-1][last].sum()) / (CLIENT_SHARE * customers)
    res["firms_alive"] = float(alive[-1].sum())
    res.update(nps_summary(nps, cust))
    w, ok = cust[-2], np.isfinite(nps[-1]) & (cust[-2] > 0)  # weighted as the industry NPS
    res["promoters"] = float(np.sum(prom[-1][ok] * w[ok]) / np.sum(w[ok]))
    res["detractors"] = float(np.sum(det[-1][ok] * w[ok]) / np.sum(w[ok]))
    return res


def main():
    ap = parser(__doc__)
    ap.add_argument("--arms", default=",".join(ARMS), help="comma-separated arms (base always runs)")
    ap.add_argument("--set", action="append", default=[],
                    help="extra KEY=VALUE for every arm on scenarios/baseline.toml (not v1)")
    a = ap.parse_args()
    arms = ["base"] + [x for x in a.arms.split(",") if x and x != "base"]
    seeds = range(1, a.seeds + 1)
    with tempfile.TemporaryDirectory() as tmp:
        r = run_jobs(a.jobs, {(arm, s): (run, V1 if arm == "v1" else SCENARIO, s,
                                         ARMS[arm] + ([] if arm == "v1" else a.set),
                                         os.path.join(tmp, f"{arm}-{s}.h5"),
                                         5000 if arm == "n5k" else a.customers, a.steps)
                              for arm in arms for s in seeds})

    def col(arm, key):
        return column(r, seeds, (arm,), key)

    def diff(arm, key, d=3):
        return fmt(col(arm, key) - col("base", key), d, sign=True)

    have = set(arms)
    print(f"scenarios/baseline.toml, seeds 1..{a.seeds} paired, {a.customers} customers, t = {a.steps}; "
          + (f"extra sets {a.set}; " if a.set else "") + "mean [95% t-interval]\n")
    print("| quantity | baseline | v1 (baseline-v1.toml) |")
    print("|---|---|---|")
    rows = [(s, f"share of adopters, {s}", 3) for s in STRATEGIES + ("success+synergy",)]
    rows += [("adopters", "adopters / population", 3),
             ("non_buyers", "chose to buy nothing at t / population", 3),
             ("nps", "industry NPS (firm NPS weighted by customers)", 1),
             ("p95_all", "95th percentile of a firm's month-to-month NPS change, all firms", 1),
             ("p95_200", "the same, firms with >= 200 customers", 1),
             ("np_survival", "nonprofit survival (alive at t / ever operated)", 2),
             ("np_clients_seg", "nonprofits' clients at t / (0.2 x population)", 3),
             ("firms_alive", "firms alive at t", 1),
             ("w", "market weight on success at t (mean of customers' weights, or the [era] schedule)", 3),
             ("es", "mean success expectation at t (NaN with [success_expectations] off)", 3),
             ("promoters", "industry promoter share (weighted as the NPS)", 3),
             ("detractors", "industry detractor share (weighted as the NPS)", 3)]
    for key, label, d in rows:
        v1 = fmt(col("v1", key), d) if "v1" in have else ""
        print(f"| {label} | {fmt(col('base', key), d)} | {v1} |")

    sw = [(arm, lab) for arm, lab in SWITCHES if arm in have]
    if sw:
        print("\nEach mechanism switched off, paired difference (switch off - baseline):\n")
        print("| quantity | " + " | ".join(f"{lab} off" for _, lab in sw) + " |")
        print("|---|" + "---|" * len(sw))
        for key, label, d in rows[:8] + [rows[9], rows[17], rows[18], rows[12], rows[13], rows[15]]:
            print(f"| {label} | " + " | ".join(diff(arm, key, d) for arm, _ in sw) + " |")

    wom = [(arm, lab) for arm, lab in (("nowom", "word of mouth off"), ("noneg", "negative WOM off"))
           if arm in have]
    if wom:
        print("\nWord of mouth, paired difference (arm - baseline):\n")
        print("| quantity | " + " | ".join(lab for _, lab in wom) + " |")
        print("|---|" + "---|" * len(wom))
        for key, label, d in [rows[7], rows[8], rows[5], rows[6], rows[9], rows[18]]:
            d = 4 if key == "adopters" else d  # the negative-WOM effect is small
            print(f"| {label} | " + " | ".join(diff(arm, key, d) for arm, _ in wom) + " |")

    if "inc" in have:
        print("\nService failures on (incidents.enabled = true, docs/MODEL.md 7.26): the arm's value, its paired "
              "difference from the baseline, and word of mouth switched off with failures on (arm - inc):\n")
        extra = [(arm, lab) for arm, lab in (("inc+nowom", "word of mouth off"), ("inc+noneg", "negative WOM off"))
                 if arm in have]
        print("| quantity | failures on | on - baseline | " + " | ".join(f"{lab} - on" for _, lab in extra) + " |")
        print("|---|---|---|" + "---|" * len(extra))
        for key, label, d in rows[7:12] + rows[15:] + rows[:7]:
            d = 4 if key == "adopters" else d
            print(f"| {label} | {fmt(col('inc', key), d)} | {diff('inc', key, d)} | " + " | ".join(
                fmt(col(arm, key) - col("inc", key), d, sign=True) for arm, _ in extra) + " |")

    diag = [(arm, lab) for arm, lab in SWITCHES if {arm, f"nowom+{arm}"} <= have]
    if diag:
        print("\nDiagnostic: word of mouth off with one mechanism off, paired difference (WOM off - WOM on, "
              "both with the mechanism off):\n")
        print("| quantity | " + " | ".join(f"{lab} off" for _, lab in diag) + " |")
        print("|---|" + "---|" * len(diag))
        for key, label, d in [rows[7], rows[6], rows[5]]:
            print(f"| {label} | " + " | ".join(
                fmt(col(f"nowom+{arm}", key) - col(arm, key), d, sign=True) for arm, _ in diag) + " |")

    if "n5k" in have:
        print(f"\nMarket size: 5000 against {a.customers} customers (same seeds, money per customer):\n")
        print(f"| quantity | {a.customers} | 5000 | 5000 - {a.customers} (paired) |")
        print("|---|---|---|---|")
        for key, label, d in rows[:8] + [rows[9], rows[12]]:
            print(f"| {label} | {fmt(col('base', key), d)} | {fmt(col('n5k', key), d)} | "
                  f"{diff('n5k', key, d)} |")


if __name__ == "__main__":
    main()
