#!/usr/bin/python3
"""Model v2 demand side combined (issue 11): the checks of issue 11 measured on scenarios/baseline.toml
(before the re-tune it was scenarios/baseline-v2.toml: demand side only).

Paired seeds (the same seeds in every arm), 20,000 customers and t = 120 unless --customers/--steps say
otherwise; each comparison is the mean paired difference with its 95% t-interval. Output: a Markdown report
on stdout (docs/VALIDATION.md, section "Model v2 demand side combined: scenarios/baseline-v2.toml", measured
there on the pre-retune scenarios/baseline-v2.toml).

    MISSIONSIM_CLI=build/release/missionsim /usr/bin/python3 analysis/experiments/baseline_v2.py \
        [--seeds 10] [--jobs 2] [--customers 20000] [--steps 120]

Arms (all on scenarios/baseline.toml, overrides by --set):
  v2        the scenario as written
  nowom     mechanisms.word_of_mouth = false            (word of mouth off)
  noneg     wom_content.negative = false                (negative word of mouth off)
  cc1e6     adoption.contact_cost = 1e6                 (marketing with a very large contact cost)
  reach0    adoption.contact_cost = 1e300               (reach exactly 0: marketing without effect)
  nokano    mechanisms.kano = false                     (M2 off: maturities do not move)
  n5k       customers.count = 5000                      (scale: money per customer keeps the amounts)
  se        success_expectations.enabled = true         (emergent success weight instead of the schedule)
  se_nosucc as se, without the success and synergy firms (entrants draw from the remaining strategies)
  se_t0r5   as se with tolerance 0 and ratchet_rate 5 (part C's strongest measured setting); and
  se_t0r5_nosucc without the success and synergy firms
  v1        scenarios/baseline-v1.toml (the v1 reference, every v2 switch off)
  noA4A5    diagnostic: continuous_marketing and continuous_budget off (v1 first-choice rule and launch budget)
  nogrants  diagnostic: mechanisms.society = false (no grants to the nonprofit)
  mu1       diagnostic: choice.logit_scale = 1 (a price gap of 8 is worth e^0.16 in the logit, not e^1.6)
"""
import os
import re
import tempfile

import h5py
import numpy as np
from common import column, fmt, names, nps_summary, parser, run_cli, run_jobs, scenario_path

SCENARIO = scenario_path("baseline")
STRATEGIES = ("shareholder", "satisfaction", "success", "synergy", "philanthropy", "nonprofit")

ARMS = {
    "v2": [],
    "nowom": ["mechanisms.word_of_mouth=false"],
    "noneg": ["wom_content.negative=false"],
    "cc1e6": ["adoption.contact_cost=1e6"],
    "reach0": ["adoption.contact_cost=1e300"],
    "nokano": ["mechanisms.kano=false"],
    "n5k": ["customers.count=5000"],
    "se": ["success_expectations.enabled=true"],
    "se_nosucc": ["success_expectations.enabled=true"],
    "se_t0r5": ["success_expectations.enabled=true", "success_expectations.tolerance=0",
                "success_expectations.ratchet_rate=5"],
    "se_t0r5_nosucc": ["success_expectations.enabled=true", "success_expectations.tolerance=0",
                       "success_expectations.ratchet_rate=5"],
    "v1": [],
    "noA4A5": ["demand.continuous_marketing=false", "demand.continuous_budget=false"],
    "nogrants": ["mechanisms.society=false"],
    "mu1": ["choice.logit_scale=1"],
}


def without_success_firms(tmp):
    """baseline.toml with its success and synergy [[firms]] groups removed."""
    path = os.path.join(tmp, "baseline-v2-nosuccess.toml")
    with open(SCENARIO) as f:
        text = f.read()
    blocks = re.split(r"(?m)^(?=\[\[firms\]\])", text)
    kept = [b for b in blocks if not re.search(r'strategy\s*=\s*"(success|synergy)"', b)]
    assert len(blocks) - len(kept) == 2, "expected one success and one synergy group"
    with open(path, "w") as f:
        f.write("".join(kept))
    return path


def run(scenario, seed, sets, out, customers, steps):
    run_cli("baseline_v2.py", scenario, seed, sets, out, customers, steps)
    with h5py.File(out, "r") as f:
        strategy_names = names(f["strategies/name"])
        sid = f["firms/strategy_id"][-1]
        cust = f["firms/customers"][()].astype(float)  # customers at the end of each step
        nps = f["firms/nps"][()]  # over the customers at the start of the step
        m = f["market"]
        n = float(m["adopters"][-1] + 0.0)
        res = {
            "adopters": float(m["adopters"][-1]) / customers,
            "non_buyers": float(np.sum(m["non_buyers"][()])) / customers,
            "w_sched": float(m["success_weight"][-1]),
            "wmean0": float(m["success_weight_mean"][0]), "wmean": float(m["success_weight_mean"][-1]),
            "es0": float(m["success_expectation_mean"][0]), "es": float(m["success_expectation_mean"][-1]),
        }
        for s in STRATEGIES:
            k = strategy_names.index(s) if s in strategy_names else -2
            res[s] = float(cust[-1][sid == k].sum() / n) if n > 0 else 0.0  # share of adopters
        res["success+synergy"] = res["success"] + res["synergy"]
    res.update(nps_summary(nps, cust))
    os.remove(out)
    return res




def main():
    ap = parser(__doc__)
    ap.add_argument("--arms", default=",".join(ARMS), help="comma-separated subset of the arms")
    a = ap.parse_args()
    arms = [x for x in a.arms.split(",") if x]
    seeds = range(1, a.seeds + 1)
    with tempfile.TemporaryDirectory() as tmp:
        nosucc = without_success_firms(tmp)
        scenario = {arm: scenario_path("baseline-v1") if arm == "v1" else
                    nosucc if arm.endswith("_nosucc") else SCENARIO for arm in arms}
        r = run_jobs(a.jobs, {(arm, s): (run, scenario[arm], s,
                                         [x for x in ARMS[arm] if not x.startswith("customers.count")],
                                         os.path.join(tmp, f"{arm}-{s}.h5"),
                                         5000 if arm == "n5k" else a.customers, a.steps)
                              for arm in arms for s in seeds})

    def col(arm, key):
        return column(r, seeds, (arm,), key)

    def diff(a1, a2, key):
        return col(a1, key) - col(a2, key)

    have = set(arms)
    print(f"seeds 1..{a.seeds} paired, {a.customers} customers, t = {a.steps}; mean [95% t-interval]\n")
    print("| quantity | baseline | arm | arm - baseline (paired) |")
    print("|---|---|---|---|")
    for k in ("nps", "p95_all", "p95_200", "adopters", "non_buyers") + STRATEGIES + ("success+synergy",):
        print(f"| {k} | {fmt(col('v2', k), 4)} | | |")
    rows = [("nowom", "adopters"), ("noneg", "adopters"), ("nokano", "success+synergy"),
            ("nokano", "nonprofit"), ("nokano", "shareholder"), ("nokano", "adopters"), ("nokano", "nps"),
            ("mu1", "nonprofit"), ("mu1", "shareholder"), ("mu1", "success+synergy"), ("mu1", "adopters"),
            ("se", "nps"), ("se", "p95_all"), ("se", "adopters"), ("se", "success+synergy"),
            ("se", "nonprofit"), ("se_t0r5", "nps"), ("se_t0r5", "adopters"), ("se_t0r5", "success+synergy"),
            ("v1", "nps"), ("v1", "p95_all"), ("v1", "p95_200"), ("v1", "adopters"), ("v1", "nonprofit"),
            ("v1", "shareholder"), ("v1", "success+synergy"),
            ("noA4A5", "nonprofit"), ("noA4A5", "shareholder"), ("noA4A5", "success+synergy"),
            ("nogrants", "nonprofit"), ("nogrants", "shareholder"), ("nogrants", "success+synergy"),
            ("nogrants", "adopters")]
    for arm, k in rows:
        if arm in have:
            print(f"| {k}, {arm} | {fmt(col('v2', k))} | {fmt(col(arm, k))} | {fmt(diff(arm, 'v2', k), sign=True)} |")
    for k in STRATEGIES + ("success+synergy", "adopters"):
        if {"cc1e6", "reach0"} <= have:
            print(f"| {k}, contact_cost 1e6 - 1e300 | | | {fmt(diff('cc1e6', 'reach0', k), sign=True)} |")
    for k in STRATEGIES + ("success+synergy", "adopters"):
        if "reach0" in have:
            print(f"| {k}, contact_cost 1e300 (reach 0) - default 0.5 | | {fmt(col('reach0', k))} | "
                  f"{fmt(diff('reach0', 'v2', k), sign=True)} |")
    for k in STRATEGIES + ("success+synergy", "adopters"):
        if "n5k" in have:
            print(f"| {k}, 5k - 20k | | {fmt(col('n5k', k))} | {fmt(diff('n5k', 'v2', k), sign=True)} |")
    print()
    print("| success side (t = 120) | value |")
    print("|---|---|")
    print(f"| scheduled era weight w(120), baseline | {fmt(col('v2', 'w_sched'))} |")
    for arm, label in (("se", "with success+synergy firms"), ("se_nosucc", "without success+synergy firms"),
                       ("se_t0r5", "tolerance 0, ratchet 5, with them"),
                       ("se_t0r5_nosucc", "tolerance 0, ratchet 5, without them")):
        if arm in have:
            print(f"| success_expectations on, {label}: rise of mean success weight | "
                  f"{fmt(col(arm, 'wmean') - col(arm, 'wmean0'), sign=True)} |")
            print(f"| success_expectations on, {label}: mean success expectation (rise from t = 0) | "
                  f"{fmt(col(arm, 'es'))} ({fmt(col(arm, 'es') - col(arm, 'es0'), sign=True)}) |")
    for w, wo in (("se", "se_nosucc"), ("se_t0r5", "se_t0r5_nosucc")):
        if {w, wo} <= have:
            print(f"| {w}, with - without: mean success weight | {fmt(diff(w, wo, 'wmean'), sign=True)} |")
            print(f"| {w}, with - without: mean success expectation | {fmt(diff(w, wo, 'es'), sign=True)} |")


if __name__ == "__main__":
    main()
