"""What the experiment scripts share: their command line, running the CLI on
a scenario (one run, or many paired runs on a thread pool), and the paired
95% t-interval they report (mean [low, high])."""

import argparse
import concurrent.futures as cf
import os
import subprocess
import sys

import numpy as np
from scipy import stats

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get("MISSIONSIM_CLI", os.path.join(ROOT, "build/release/missionsim"))


def run_cli(who, scenario, seed, sets, out, customers, steps):
    """`missionsim run` on one thread with the seed, population, horizon and --set overrides;
    exits naming the script `who` and the command if it fails."""
    cmd = [CLI, "run", scenario, "-o", out, "-q", "--threads", "1", "--seed", str(seed),
           "--set", f"customers.count={customers}", "--set", f"run.steps={steps}"]
    for s in sets:
        cmd += ["--set", s]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{who}: {' '.join(cmd)} failed: {done.stderr.strip()}")


def parser(doc, scenarios=None, scenario=None):
    """The options every script takes (--seeds, --jobs, --customers, --steps), plus --scenarios
    (comma-separated names under scenarios/) or --scenario (a path) when a default is given."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    if scenario is not None:
        ap.add_argument("--scenario", default=scenario)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--steps", type=int, default=120)
    if scenarios is not None:
        ap.add_argument("--scenarios", default=scenarios)
    return ap


def scenario_path(name):
    """scenarios/<name>.toml in the repository."""
    return os.path.join(ROOT, "scenarios", name + ".toml")


def run_jobs(jobs, tasks):
    """Run {key: (function, *args)} on `jobs` threads (each run is its own process); {key: result}."""
    with cf.ThreadPoolExecutor(jobs) as pool:
        futures = {key: pool.submit(*task) for key, task in tasks.items()}
        return {key: f.result() for key, f in futures.items()}


def column(results, seeds, key, metric):
    """One metric over the paired seeds: results[(*key, seed)][metric] as an array."""
    return np.array([results[(*key, s)][metric] for s in seeds])


def nps_summary(nps, cust):
    """Industry NPS at the last step (firm NPS weighted by the customers it was measured over,
    /firms/customers one step earlier) and the 95th percentile of a firm's month-to-month |change
    of NPS|: "p95_all" over firms with customers in both months, "p95_200" over firms with at
    least 200 in both. nps, cust: [T, F] arrays of /firms/nps and /firms/customers."""
    T = nps.shape[0]
    w, v = cust[T - 2], nps[T - 1]
    ok = np.isfinite(v) & (w > 0)
    res = {"nps": float(np.sum(v[ok] * w[ok]) / np.sum(w[ok]))}
    for key, lo in (("p95_all", 1), ("p95_200", 200)):
        changes = []
        for t in range(2, T):
            big = (cust[t - 2] >= lo) & (cust[t - 1] >= lo)
            d = np.abs(nps[t] - nps[t - 1])
            changes.extend(d[big & np.isfinite(d)])
        res[key] = float(np.percentile(changes, 95)) if changes else float("nan")
    return res


def names(dataset):
    """A string dataset as a list of str."""
    return [n.decode() if isinstance(n, bytes) else n for n in dataset[()]]


def ci(x):
    """Mean and half-width of the 95% t-interval (NaN half-width for one value)."""
    x = np.asarray(x, float)
    h = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)) if len(x) > 1 else float("nan")
    return x.mean(), h


def fmt(x, d=4, sign=False):
    """'mean [low, high]' with d decimals, a leading sign when `sign`."""
    m, h = ci(x)
    s = "+" if sign else ""
    return f"{m:{s}.{d}f} [{m - h:{s}.{d}f}, {m + h:{s}.{d}f}]"
