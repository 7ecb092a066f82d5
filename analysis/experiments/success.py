#!/usr/bin/python3
"""Part C of model v2 (issue 11): success expectations and the emergent era (--part success), and word
of mouth that drives adoption (--part wom).

Runs paired seeds (same seeds in every arm) of the scenarios in scenarios/v2/ with the CLI and reads
the trajectories with h5py. Arms:
  with      success-with.toml      baseline firms, [success_expectations] on
  without   success-without.toml   no success or synergy firm, on
  noenable  success-noenable.toml  baseline firms, success and synergy spend nothing on enablement, on
  off       success-with.toml      with [success_expectations] off (v1: scheduled era)
and for --part wom, on wom-content.toml (baseline firms, scheduled era, [wom_content] on):
  wom       as is
  nowom     M7 word of mouth off
  noneg     [wom_content] negative = false
  v1        [wom_content] off (Bass hazard)
  v1nowom   [wom_content] off and M7 off
With --base baseline the --part success arms are built from scenarios/baseline.toml (the model v2
baseline) instead: "with" is the baseline with [success_expectations] on, "without" drops its success and
synergy [[firms]], "noenable" gives them share_enablement = 0 (as in the scenarios/v2/ files), "off" has
[success_expectations] off (the [era] schedule); the other [success_expectations] keys as in the file.
Prints each claim as a mean paired difference with a 95% t-interval.

    MISSIONSIM_CLI=build/release/missionsim /usr/bin/python3 analysis/experiments/success.py \
        [--part success|wom|all] [--base v2|baseline] [--seeds 10] [--customers 20000] [--steps 120]
        [--jobs 2] [--set KEY=VALUE ...]
"""
import argparse
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import h5py
import numpy as np
from scipy import stats

from common import nps_summary

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARMS = {
    "with": ("success-with.toml", ["success_expectations.enabled=true"]),
    "without": ("success-without.toml", ["success_expectations.enabled=true"]),
    "noenable": ("success-noenable.toml", ["success_expectations.enabled=true"]),
    "off": ("success-with.toml", ["success_expectations.enabled=false"]),
}
WOM_ARMS = {
    "wom": ("wom-content.toml", ["wom_content.enabled=true"]),
    "nowom": ("wom-content.toml", ["wom_content.enabled=true", "mechanisms.word_of_mouth=false"]),
    "noneg": ("wom-content.toml", ["wom_content.enabled=true", "wom_content.negative=false"]),
    "v1": ("wom-content.toml", ["wom_content.enabled=false"]),
    "v1nowom": ("wom-content.toml", ["wom_content.enabled=false", "mechanisms.word_of_mouth=false"]),
}
SUCCESS_STRATEGIES = {"success", "synergy", "success-noenable", "synergy-noenable"}


BASELINE_ARMS = {
    "with": ("baseline-with.toml", ["success_expectations.enabled=true"]),
    "without": ("baseline-without.toml", ["success_expectations.enabled=true"]),
    "noenable": ("baseline-noenable.toml", ["success_expectations.enabled=true"]),
    "off": ("baseline-with.toml", ["success_expectations.enabled=false"]),
}
NOENABLE_STRATEGIES = """
[[strategies]]
name = "success-noenable"
base = "success"
share_enablement = 0.0

[[strategies]]
name = "synergy-noenable"
base = "synergy"
share_enablement = 0.0
"""


def baseline_variants(tmp):
    """Writes the --base baseline arms' scenarios (see the module text) into tmp."""
    with open(os.path.join(ROOT, "scenarios", "baseline.toml")) as f:
        text = f.read()
    cut = text.index("\n[[firms]]")
    head, blocks = text[:cut + 1], ["[[firms]]" + b for b in text[cut + 1:].split("[[firms]]")[1:]]
    strategy = lambda b: b.split('strategy = "')[1].split('"')[0]
    without = [b for b in blocks if strategy(b) not in ("success", "synergy")]
    noenable = [b.replace(f'strategy = "{strategy(b)}"', f'strategy = "{strategy(b)}-noenable"')
                if strategy(b) in ("success", "synergy") else b for b in blocks]
    for name, body in (("with", head + "".join(blocks)),
                       ("without", head + "".join(without)),
                       ("noenable", head + NOENABLE_STRATEGIES + "\n" + "".join(noenable))):
        with open(os.path.join(tmp, f"baseline-{name}.toml"), "w") as f:
            f.write(body)


def run(cli, scenario, seed, sets, out, customers, steps):
    cmd = [cli, "run", scenario, "-o", out, "-q", "--threads", "1", "--seed", str(seed),
           "--set", f"customers.count={customers}", "--set", f"run.steps={steps}"]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with h5py.File(out, "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["strategies/name"][()]]
        sid = f["firms/strategy_id"][-1]
        share = f["firms/share"][-1]
        succ_share = float(sum(s for s, k in zip(share, sid) if k >= 0 and names[k] in SUCCESS_STRATEGIES))
        m = f["market"]
        res = {
            "w0": float(m["success_weight"][0]), "w": float(m["success_weight"][-1]),
            "wmean": float(m["success_weight_mean"][-1]), "wmean0": float(m["success_weight_mean"][0]),
            "es": float(m["success_expectation_mean"][-1]), "es0": float(m["success_expectation_mean"][0]),
            "adopters": float(m["adopters"][-1]) / customers, "succ_share": succ_share, **nps_summary(f["firms/nps"][()], f["firms/customers"][()]),
        }
    os.remove(out)
    return res


def interval(d):
    d = np.asarray(d, float)
    h = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return f"{d.mean():+.4f} [{d.mean() - h:+.4f}, {d.mean() + h:+.4f}]"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=("success", "wom", "all"), default="all")
    ap.add_argument("--base", choices=("v2", "baseline"), default="v2",
                    help="--part success arms: scenarios/v2/success-*.toml, or built from scenarios/baseline.toml")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--steps", type=int, default=120)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], help="extra KEY=VALUE for every arm")
    a = ap.parse_args()
    cli = os.environ.get("MISSIONSIM_CLI", os.path.join(ROOT, "build/release/missionsim"))
    seeds = list(range(1, a.seeds + 1))
    arms = {}
    v2 = os.path.join(ROOT, "scenarios", "v2")
    if a.part in ("success", "all"):
        arms.update({k: (os.path.join(v2, sc), sets) for k, (sc, sets) in ARMS.items()})
    if a.part in ("wom", "all"):
        arms.update({k: (os.path.join(v2, sc), sets) for k, (sc, sets) in WOM_ARMS.items()})
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(a.jobs) as pool:
        if a.base == "baseline" and a.part in ("success", "all"):
            baseline_variants(tmp)
            arms.update({k: (os.path.join(tmp, sc), sets) for k, (sc, sets) in BASELINE_ARMS.items()})
        futs = {(arm, s): pool.submit(run, cli, sc, s, sets + a.set, os.path.join(tmp, f"{arm}-{s}.h5"),
                                      a.customers, a.steps)
                for arm, (sc, sets) in arms.items() for s in seeds}
        r = {k: v.result() for k, v in futs.items()}
    col = lambda arm, key: np.array([r[(arm, s)][key] for s in seeds])
    print(f"seeds 1..{a.seeds}, {a.customers} customers, t = {a.steps}, base {a.base}, extra sets {a.set}; "
          "mean [95% t-interval]")
    if a.part in ("wom", "all"):
        print("adoption (adopters/customers) at t, WOM content on             :", interval(col("wom", "adopters")))
        print("adoption, WOM content on: M7 off - on (paired)                 :", interval(col("nowom", "adopters") - col("wom", "adopters")))
        print("adoption, WOM content on: negative WOM off - on (paired)       :", interval(col("noneg", "adopters") - col("wom", "adopters")))
        print("adoption, v1 (content off): M7 off - on (paired)               :", interval(col("v1nowom", "adopters") - col("v1", "adopters")))
        print("adoption, content on - off (paired)                            :", interval(col("wom", "adopters") - col("v1", "adopters")))
    if a.part == "wom":
        return 0
    print("rise of mean success weight, without success/synergy firms :", interval(col("without", "wmean") - col("without", "wmean0")))
    print("rise of mean success weight, with them                     :", interval(col("with", "wmean") - col("with", "wmean0")))
    print("rise of mean success weight, with them, no enablement      :", interval(col("noenable", "wmean") - col("noenable", "wmean0")))
    print("success+synergy share, with                                :", interval(col("with", "succ_share")))
    print("success+synergy share, with - no enablement (paired)       :", interval(col("with", "succ_share") - col("noenable", "succ_share")))
    print("success+synergy share, part C on - off (scheduled era)     :", interval(col("with", "succ_share") - col("off", "succ_share")))
    print("rise of mean success expectation, with (t=120 - t=0)       :", interval(col("with", "es") - col("with", "es0")))
    print("rise of mean success expectation, without (t=120 - t=0)    :", interval(col("without", "es") - col("without", "es0")))
    print("mean success expectation, with - without (paired)          :", interval(col("with", "es") - col("without", "es")))
    print("mean success expectation, with - no enablement (paired)    :", interval(col("with", "es") - col("noenable", "es")))
    print("market w at t=120, off (scheduled era) for reference       :", interval(col("off", "w")))
    print("adopters/customers at t=120, with - off                    :", interval(col("with", "adopters") - col("off", "adopters")))
    print("industry NPS at t=120, with                                :", interval(col("with", "nps")))
    print("industry NPS at t=120, with - off (paired)                 :", interval(col("with", "nps") - col("off", "nps")))
    print("p95 of a firm's monthly NPS change, with                   :", interval(col("with", "p95_all")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
