"""Overhead of strategies written in Python against the same rules in C++, on scenarios/baseline-v1.toml
(the v1 model).

Every firm of the baseline follows a [[strategies]] copy of its built-in
("m_<name>", base = "<name>"); run A keeps the C++ rules, run B binds each
copy to missionsim.examples.BuiltinRules (the same rules in Python: two
Python calls per live firm and step). Both are driven through the Python API
(no output file), interleaved, 5 runs each; prints the medians and checks
that the two runs end in the same state.

    PYTHONPATH=.:python:build/release/python /usr/bin/python3 bench/bench_python_strategy.py [--runs 5]
"""
import argparse
import pathlib
import re
import statistics
import time

import numpy as np

import missionsim
from missionsim.examples import BuiltinRules

ROOT = pathlib.Path(__file__).resolve().parents[1]


def mirrored_baseline():
    text = (ROOT / "scenarios" / "baseline-v1.toml").read_text()
    names = sorted(set(re.findall(r'^strategy = "(\w+)"', text, flags=re.M)))
    for n in names:
        text = re.sub(rf'^strategy = "{n}"$', f'strategy = "m_{n}"\nname = "{n}"', text, flags=re.M)
        text += f'\n[[strategies]]\nname = "m_{n}"\nbase = "{n}"\n'
    return text, {f"m_{n}": BuiltinRules for n in names}


def timed(text, strategies, threads):
    sim = missionsim.Simulation.from_toml(text, strategies=strategies, threads=threads, source="baseline")
    start = time.perf_counter()
    sim.run()
    return time.perf_counter() - start, sim


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    text, strategies = mirrored_baseline()
    cpp, py = [], []
    for _ in range(args.runs):
        t, a = timed(text, None, args.threads)
        cpp.append(t)
        t, b = timed(text, strategies, args.threads)
        py.append(t)
    oa, ob = a.observables(), b.observables()
    same = all(np.array_equal(oa[k], ob[k], equal_nan=True) for k in oa)
    calls = a.steps * len(a.firm_names)
    mc, mp = statistics.median(cpp), statistics.median(py)
    print(f"baseline ({a.population} customers, {a.steps} steps, {len(strategies)} Python strategies, "
          f"<= {2 * calls} Python calls), median of {args.runs}:")
    print(f"  C++ rules     {mc:.3f} s   runs: {' '.join(f'{x:.3f}' for x in cpp)}")
    print(f"  Python rules  {mp:.3f} s   runs: {' '.join(f'{x:.3f}' for x in py)}")
    print(f"  overhead      {100 * (mp - mc) / mc:+.1f} %   identical final state: {same}")
    if not same:
        raise SystemExit("the Python rules did not reproduce the C++ run")


if __name__ == "__main__":
    main()
