#!/usr/bin/python3
"""Model v2, part A (issue 11): outside option, continuous marketing, money per customer.

Paired-seed experiments through the command-line tool on scenarios/baseline-v1.toml (20,000 customers,
t = 120 unless stated); every comparison uses the same seeds on and off and reports the mean paired
difference with its 95% t-interval. Output: a Markdown report on stdout (docs/VALIDATION.md, section
"Model v2 part A").

    MISSIONSIM_CLI=build/release/missionsim /usr/bin/python3 analysis/experiments/choice.py \
        [--seeds 10] [--jobs 2] [--only outside,marketing,scale]
"""
import argparse
import concurrent.futures as cf
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from scipy import stats

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get("MISSIONSIM_CLI", os.path.join(ROOT, "build/release/missionsim"))
BASELINE = os.path.join(ROOT, "scenarios/baseline-v1.toml")
STRATEGIES = ("shareholder", "satisfaction", "success", "synergy", "philanthropy", "nonprofit")


# The baseline with its one (default) segment written out, so --set can reach its keys.
SEGMENT = """
[[customers.segments]]
name = "mainstream"
share = 1
"""


def scenario(tmp):
    path = os.path.join(tmp, "baseline-segment.toml")
    if not os.path.exists(path):
        with open(BASELINE) as src, open(path, "w") as dst:
            dst.write(src.read() + SEGMENT)
    return path


def run(sets, seed, tmp):
    """Runs the baseline with --set overrides; returns the final row's facts (None if refused)."""
    tag = "_".join(s.replace("=", "-").replace(".", "-") for s in sets)[:150]
    out = os.path.join(tmp, f"{tag}_s{seed}.h5")
    cmd = [CLI, "run", scenario(tmp), "-o", out, "-q", "--threads", "1", "--seed", str(seed)]
    for s in sets:
        cmd += ["--set", s]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1]}
    with h5py.File(out, "r") as f:
        names = [s.decode() if isinstance(s, bytes) else s for s in f["strategies/name"][()]]
        sid = f["firms/strategy_id"][-1]
        cust = f["firms/customers"][-1].astype(float)
        n = float(f.attrs.get("population", 0)) or float(f["firms/customers"][-1].sum() /
                                                          max(f["firms/share"][-1].sum(), 1e-300))
        adopters = float(f["market/adopters"][-1])
        price = f["firms/price"][()]
        alive = f["firms/alive"][()]
        res = {"adopters": adopters / n, "n": n,
               "non_buyers": float(np.sum(f["market/non_buyers"][()])) / n if "non_buyers" in f["market"]
               else 0.0,
               "max_price": float(np.nanmax(np.where(alive > 0, price, np.nan)))}
        for s in STRATEGIES:
            k = names.index(s) if s in names else -1
            res[s] = float(cust[sid == k].sum() / adopters) if adopters > 0 else 0.0  # share of adopters
        res["success+synergy"] = res["success"] + res["synergy"]
    os.remove(out)
    return res


def paired(a, b, key):
    d = np.array([x[key] - y[key] for x, y in zip(a, b)])
    m = d.mean()
    h = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
    return m, h


def mean_ci(a, key):
    x = np.array([r[key] for r in a])
    h = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return x.mean(), h


def batch(pool, configs, seeds, tmp):
    """configs: name -> list of --set; returns name -> list of results in seed order."""
    futs = {(name, s): pool.submit(run, sets, s, tmp) for name, sets in configs.items() for s in seeds}
    return {name: [futs[(name, s)].result() for s in seeds] for name in configs}


def table(rows, header):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()


def fmt(m, h):
    return f"{m:+.4f} ± {h:.4f}"


def outside(pool, seeds, tmp):
    print("### A1-A3, A7: outside option\n")
    on = ["demand.outside_option=true"]
    cfg = {
        "off": [],
        "on u0=0": on,
        "on u0=0.5": on + ["demand.outside_utility=0.5"],
        "on u0=0.5, ps=0, R=30": on + ["demand.outside_utility=0.5", "customers.segments.0.price_sensitivity=0",
                                       "customers.segments.0.reservation_price=30"],
        "off, ps=0": ["customers.segments.0.price_sensitivity=0"],
    }
    r = batch(pool, cfg, seeds, tmp)
    rows = []
    for name in cfg:
        if name == "off, ps=0":
            continue
        a, nb, mp = mean_ci(r[name], "adopters"), mean_ci(r[name], "non_buyers"), mean_ci(r[name], "max_price")
        rows.append([name, f"{a[0]:.4f} ± {a[1]:.4f}", f"{nb[0]:.3f} ± {nb[1]:.3f}", f"{mp[0]:.2f} ± {mp[1]:.2f}",
                     fmt(*paired(r[name], r["off"], "adopters")),
                     fmt(*paired(r[name], r["off"], "success+synergy"))])
    table(rows, ["setting", "adopters/N at t=120", "non-buyer choices/N (cumulative)", "max live price",
                 "Δ adopters vs off", "Δ success+synergy share vs off"])
    x = r["off, ps=0"][0]
    if "error" in x:
        print(f"Without the outside option, price sensitivity 0 is refused: `{x['error']}`\n")
    else:
        mp = mean_ci(r["off, ps=0"], "max_price")
        print(f"Without the outside option and price sensitivity 0, the largest live price is "
              f"{mp[0]:.4g} ± {mp[1]:.2g}.\n")


def marketing(pool, seeds, tmp):
    print("### A4-A5: continuous marketing\n")
    huge = ["adoption.contact_cost=1e6"]
    off = ["adoption.contact_cost=1e300"]  # reach exactly 0: 1 - exp(-M / (n 1e300)) == 0 in doubles
    cont = ["demand.continuous_marketing=true", "demand.continuous_budget=true"]
    cfg = {"v1 contact_cost=1e6": huge, "v1 reach 0": off,
           "A4-A5 contact_cost=1e6": cont + huge, "A4-A5 reach 0": cont + off,
           "v1 default": [], "A4-A5 default": cont,
           "A4 default": cont[:1], "A5 default": cont[1:]}
    r = batch(pool, cfg, seeds, tmp)
    rows = []
    for tag in ("v1", "A4-A5"):
        a, b = r[f"{tag} contact_cost=1e6"], r[f"{tag} reach 0"]
        rows.append([tag, f"{mean_ci(a, 'shareholder')[0]:.3f}", f"{mean_ci(b, 'shareholder')[0]:.3f}",
                     fmt(*paired(a, b, "shareholder")), fmt(*paired(a, b, "success+synergy")),
                     fmt(*paired(a, b, "nonprofit")), fmt(*paired(a, b, "adopters"))])
    table(rows, ["rule", "shareholder share, contact_cost=1e6", "shareholder share, reach 0",
                 "Δ shareholder", "Δ success+synergy", "Δ nonprofit", "Δ adopters/N"])
    rows = []
    for s in STRATEGIES + ("adopters",):
        rows.append([s, f"{mean_ci(r['v1 default'], s)[0]:.3f}"] +
                    [f"{mean_ci(r[k], s)[0]:.3f} ({fmt(*paired(r[k], r['v1 default'], s))})"
                     for k in ("A4 default", "A5 default", "A4-A5 default")])
    print("Baseline contact cost (0.5): share of adopters (Δ against v1, paired):\n")
    table(rows, ["quantity", "v1", "A4 only", "A5 only", "A4 + A5"])


def scale(pool, seeds, tmp):
    print("### A6: money per customer\n")
    sizes = (5000, 20000, 100000)
    cfg = {}
    for sm in ("false", "true"):
        for n in sizes:
            cfg[f"scale_money={sm} N={n}"] = [f"customers.count={n}", f"demand.scale_money={sm}",
                                               "demand.reference_customers=20000"]
    r = batch(pool, cfg, seeds, tmp)
    rows = []
    for sm in ("false", "true"):
        a, b, c = (r[f"scale_money={sm} N={n}"] for n in sizes)
        for s in ("nonprofit", "shareholder", "success+synergy", "adopters"):
            rows.append([sm, s, f"{mean_ci(a, s)[0]:.3f}", f"{mean_ci(b, s)[0]:.3f}", f"{mean_ci(c, s)[0]:.3f}",
                         fmt(*paired(a, b, s)), fmt(*paired(c, b, s))])
    table(rows, ["scale_money", "quantity", "N = 5,000", "N = 20,000", "N = 100,000", "Δ (5k − 20k)",
                 "Δ (100k − 20k)"])


RECOMMENDED = ["demand.outside_option=true", "demand.continuous_marketing=true", "demand.continuous_budget=true",
               "demand.scale_money=true", "demand.reference_customers=20000"]


def combined(pool, seeds, tmp):
    print("### All four on (the recommended baseline settings)\n")
    print("`" + " ".join("--set " + x for x in RECOMMENDED) + "`\n")
    sizes = (5000, 20000, 100000)
    cfg = {f"N={n}": RECOMMENDED + [f"customers.count={n}"] for n in sizes}
    cfg["v1"] = []
    cfg["contact_cost=1e6"] = RECOMMENDED + ["adoption.contact_cost=1e6"]
    cfg["reach 0"] = RECOMMENDED + ["adoption.contact_cost=1e300"]
    r = batch(pool, cfg, seeds, tmp)
    rows = []
    for s in STRATEGIES + ("success+synergy", "adopters", "non_buyers"):
        rows.append([s, f"{mean_ci(r['v1'], s)[0]:.3f}"] + [f"{mean_ci(r[f'N={n}'], s)[0]:.3f}" for n in sizes] +
                    [fmt(*paired(r["N=5000"], r["N=20000"], s)), fmt(*paired(r["N=100000"], r["N=20000"], s)),
                     fmt(*paired(r["contact_cost=1e6"], r["reach 0"], s))])
    table(rows, ["quantity", "v1 (20k)", "N = 5,000", "N = 20,000", "N = 100,000", "Δ (5k − 20k)",
                 "Δ (100k − 20k)", "Δ contact_cost 1e6 − reach 0 (20k)"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", default="outside,marketing,scale,combined")
    a = ap.parse_args()
    seeds = list(range(1, a.seeds + 1))
    print(f"Seeds 1..{a.seeds}, scenarios/baseline-v1.toml, t = 120; mean ± 95% t half-width.\n")
    with tempfile.TemporaryDirectory() as tmp, cf.ThreadPoolExecutor(a.jobs) as pool:
        for part in a.only.split(","):
            {"outside": outside, "marketing": marketing, "scale": scale, "combined": combined}[part](pool, seeds, tmp)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
