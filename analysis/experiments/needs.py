#!/usr/bin/python3
"""Measurements of model v2 demand side, part B (issue 11; docs/MODEL.md 7.19).

Runs the CLI with paired seeds and prints the tables recorded in
docs/VALIDATION.md ("Model v2, part B"):

  premium   satisfaction premium of a fixed capability lead at maturity 0.1, 0.5, 0.9 in a run
            (maturity held fixed, innovation off; at step 36 firm satisfaction-1 gets capability
            m + 0.1 on every attribute, satisfaction-2 stays at m; premium = mean satisfaction of
            satisfaction-1 minus satisfaction-2 over steps 37-48), linear (v1) vs asymmetric Kano.
  kano      Kano (M2) on minus off in the baseline, paired seeds, linear and asymmetric value.
  nps       industry NPS at t = 120 and the 95th percentile of firms' month-to-month |NPS change|,
            v1 baseline vs asymmetric Kano vs asymmetric Kano with heterogeneous needs.

Usage (from the repository root; MISSIONSIM_CLI defaults to build/release/missionsim):

    /usr/bin/python3 analysis/experiments/needs.py [--seeds 10] [--customers 20000] [--jobs 2] [--out out/needs]

Runs are cached in --out by their arguments, so a rerun only computes what is missing.
"""
import argparse
import concurrent.futures as cf
import hashlib
import os
import subprocess

import h5py
import numpy as np
from scipy import stats

CLI = os.environ.get("MISSIONSIM_CLI", "build/release/missionsim")
BASELINE = "scenarios/baseline-v1.toml"
ASYM = ["needs.kano_asymmetric=true"]
HET = ["needs.kano_asymmetric=true", "needs.heterogeneous=true"]


def run(scenario, seed, sets, out_dir):
    key = hashlib.sha256(repr((scenario, open(scenario).read(), seed, sorted(sets))).encode()).hexdigest()[:16]
    out = os.path.join(out_dir, f"{key}.h5")
    if not os.path.exists(out):
        cmd = [CLI, "run", scenario, "-o", out + ".tmp.h5", "-q", "--threads", "1", "--seed", str(seed)]
        for s in sets:
            cmd += ["--set", s]
        subprocess.run(cmd, check=True)
        os.replace(out + ".tmp.h5", out)
    return out


def load(path):
    with h5py.File(path, "r") as f:
        names = [s.decode() if isinstance(s, bytes) else s for s in f["firms/name"][()]]
        strat_names = [s.decode() if isinstance(s, bytes) else s for s in f["strategies/name"][()]]
        d = {k: f["firms/" + k][()] for k in ("customers", "share", "satisfaction", "nps", "strategy_id",
                                              "promoters", "detractors")}
    d["names"] = names
    d["strategy"] = np.array([[strat_names[i] if i >= 0 else "" for i in row] for row in d["strategy_id"]])
    return d


def interval(x):
    x = np.asarray(x, float)
    m = x.mean()
    h = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)) if len(x) > 1 else float("nan")
    return m, h


def fmt(x, digits=3):
    m, h = interval(x)
    return f"{m:+.{digits}f} ± {h:.{digits}f}"


def many(jobs, tasks):
    with cf.ThreadPoolExecutor(jobs) as ex:
        return list(ex.map(lambda a: run(*a), tasks))


# --- premium ------------------------------------------------------------------------------------


def premium_scenario(m, out_dir):
    text = open(BASELINE).read()
    text += f"""
[[events]]
step = 36
firm = "satisfaction-1"
attribute = -1
capability = {m + 0.1:.6f}
"""
    path = os.path.join(out_dir, f"premium-{m}.toml")
    with open(path, "w") as f:
        f.write(text)
    return path


def premium(args):
    print("## premium: satisfaction premium of a capability lead of 0.1 over a firm at par (steps 37-48)")
    print(f"customers {args.premium_customers}, seeds 1..{args.seeds}; maturity fixed (M2 off), innovation off\n")
    print("| maturity m | linear value (v1) | asymmetric (Eq. B1) |")
    print("|---|---|---|")
    for m in (0.1, 0.5, 0.9):
        scen = premium_scenario(m, args.out)
        base = [f"customers.count={args.premium_customers}", "run.steps=48", "mechanisms.kano=false",
                "mechanisms.innovation=false", "economics.max_entrants=0", f"market.initial_maturity={m}",
                f"market.initial_capability={m}", "market.capability_spread=0", "market.latent_attributes=0"]
        cells = []
        for extra in ([], ASYM):
            files = many(args.jobs, [(scen, s, base + extra, args.out) for s in range(1, args.seeds + 1)])
            prem = []
            for p in files:
                d = load(p)
                a, b = d["names"].index("satisfaction-1"), d["names"].index("satisfaction-2")
                prem.append(np.nanmean(d["satisfaction"][37:49, a] - d["satisfaction"][37:49, b]))
            cells.append(fmt(prem, 4))
        print(f"| {m} | {cells[0]} | {cells[1]} |")
    print()


# --- kano on/off --------------------------------------------------------------------------------


def outcomes(path):
    d = load(path)
    last = -1
    strat = d["strategy"][last]
    ss = float(sum(d["share"][last, i] for i, s in enumerate(strat) if s in ("success", "synergy")))
    cust = d["customers"][last].astype(float)
    sat = d["satisfaction"][last]
    ok = np.isfinite(sat) & (cust > 0)
    mean_sat = float(np.sum(sat[ok] * cust[ok]) / np.sum(cust[ok]))
    adopters = cust.sum()
    hhi = float(np.sum((cust / adopters) ** 2)) if adopters > 0 else float("nan")
    return {"success+synergy share": ss, "mean satisfaction": mean_sat, "HHI": hhi}


def kano(args):
    print(f"## kano: M2 on minus off in the baseline ({args.customers} customers, t = 120, seeds 1..{args.seeds})\n")
    base = [f"customers.count={args.customers}"]
    print("| value | outcome | Kano on | Kano off | on - off (paired, 95% t) |")
    print("|---|---|---|---|---|")
    for label, extra in (("linear (v1)", []), ("asymmetric (B1)", ASYM), ("asymmetric + heterogeneous", HET)):
        on = many(args.jobs, [(BASELINE, s, base + extra, args.out) for s in range(1, args.seeds + 1)])
        off = many(args.jobs, [(BASELINE, s, base + extra + ["mechanisms.kano=false"], args.out)
                               for s in range(1, args.seeds + 1)])
        o_on = [outcomes(p) for p in on]
        o_off = [outcomes(p) for p in off]
        for k in o_on[0]:
            a = np.array([o[k] for o in o_on])
            b = np.array([o[k] for o in o_off])
            print(f"| {label} | {k} | {a.mean():.4f} | {b.mean():.4f} | {fmt(a - b, 4)} |")
    print()


# --- nps ----------------------------------------------------------------------------------------


def nps_stats(path, min_customers):
    d = load(path)
    cust = d["customers"].astype(float)  # customers at the end of each step
    nps = d["nps"]  # over the customers at the start of the step = end of the previous step
    T = nps.shape[0]
    w = cust[T - 2]
    v = nps[T - 1]
    ok = np.isfinite(v) & (w > 0)
    industry = float(np.sum(v[ok] * w[ok]) / np.sum(w[ok]))
    changes = []
    for t in range(2, T):
        big = (cust[t - 2] >= min_customers) & (cust[t - 1] >= min_customers)
        dv = np.abs(nps[t] - nps[t - 1])
        changes.extend(dv[big & np.isfinite(dv)])
    p95 = float(np.percentile(changes, 95)) if changes else float("nan")
    p99 = float(np.percentile(changes, 99)) if changes else float("nan")
    big_jump = float(np.max(changes)) if changes else float("nan")
    prom = d["promoters"][T - 1]
    det = d["detractors"][T - 1]
    okp = np.isfinite(prom) & (w > 0)
    return {
        "industry NPS (t = 120)": industry,
        "firm NPS min..max (t = 120)": (float(np.nanmin(v)), float(np.nanmax(v))),
        "promoter share (t = 120)": float(np.sum(prom[okp] * w[okp]) / np.sum(w[okp])),
        "detractor share (t = 120)": float(np.sum(det[okp] * w[okp]) / np.sum(w[okp])),
        f"p95 |dNPS| per month (firms >= {min_customers})": p95,
        f"p99 |dNPS| per month (firms >= {min_customers})": p99,
        f"max |dNPS| per month (firms >= {min_customers})": big_jump,
    }


def nps(args):
    print(f"## nps: industry NPS and month-to-month NPS change ({args.customers} customers, seeds 1..{args.seeds})\n")
    base = [f"customers.count={args.customers}"]
    print("| model | measure | mean ± 95% t (over seeds) |")
    print("|---|---|---|")
    era_off = ["mechanisms.era=false"]  # w held at era.start = 0.1: experience value mostly satisfaction
    for label, extra in (("v1 baseline", []), ("asymmetric (B1)", ASYM), ("asymmetric + heterogeneous", HET),
                         ("asymmetric + heterogeneous, fit_spread 0.3", HET + ["needs.fit_spread=0.3"]),
                         ("v1, era off (w = 0.1)", era_off),
                         ("asymmetric + heterogeneous, era off (w = 0.1)", HET + era_off)):
        files = many(args.jobs, [(BASELINE, s, base + extra, args.out) for s in range(1, args.seeds + 1)])
        for min_c in (0, 200):
            rows = [nps_stats(p, min_c) for p in files]
            for k in rows[0]:
                if min_c and "dNPS" not in k:
                    continue
                if isinstance(rows[0][k], tuple):
                    lo = min(r[k][0] for r in rows)
                    hi = max(r[k][1] for r in rows)
                    print(f"| {label} | {k} | {lo:.1f} .. {hi:.1f} (over seeds) |")
                else:
                    print(f"| {label} | {k} | {fmt([r[k] for r in rows], 2)} |")
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--premium-customers", type=int, default=5000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default="out/needs")
    ap.add_argument("parts", nargs="*", default=["premium", "kano", "nps"])
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for part in args.parts:
        {"premium": premium, "kano": kano, "nps": nps}[part](args)


if __name__ == "__main__":
    main()
