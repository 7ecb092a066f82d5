#!/usr/bin/python3
"""Splits a perf profile of one function by the functions inlined into it.

The customer pass is one machine function (Pass::operator() in
sim/core/phases/customers.cpp) with every mechanism inlined, so `perf report`
puts ~75% of a run on one line. This script maps each sample inside FUNCTION
to its inline chain (addr2line -i on a binary built with -g) and prints two
tables: the innermost function a sample is in (the Philox rounds of
Random123 counted as one), and the mechanism called from the pass's run (customer_step before) or
serve that it belongs to. Commands: docs/PERFORMANCE.md, "Where the time goes".

  bench/profile_inline.py PERF_DATA BINARY [FUNCTION]
"""
import collections
import subprocess
import sys


def main():
    if len(sys.argv) < 3 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(sys.argv) >= 2 else 2
    data, binary = sys.argv[1], sys.argv[2]
    function = sys.argv[3] if len(sys.argv) > 3 else "Pass::operator()"
    script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,symoff"], capture_output=True,
                            text=True, check=True).stdout
    offsets = collections.Counter()
    for line in script.splitlines():
        if function + "+0x" in line:
            offsets[int(line.rsplit("+0x", 1)[1], 16)] += 1
    if not offsets:
        print(f"no samples in {function}", file=sys.stderr)
        return 1
    nm = subprocess.run(["nm", "-C", binary], capture_output=True, text=True, check=True).stdout
    base = next(int(line.split()[0], 16) for line in nm.splitlines() if function + "(" in line)
    addrs = sorted(offsets)
    out = subprocess.run(["addr2line", "-a", "-i", "-f", "-C", "-e", binary] + [hex(base + o) for o in addrs],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    chains, cur, i = {}, None, 0
    while i < len(out):  # "0xADDR", then (function, file:line) per inline level, innermost first
        if out[i].startswith("0x"):
            cur = int(out[i], 16) - base
            chains[cur] = []
            i += 1
        else:
            chains[cur].append(out[i].split("(")[0])
            i += 2
    total = sum(offsets.values())
    inner, mech = collections.Counter(), collections.Counter()
    for off, count in offsets.items():
        names = chains.get(off, ["?"])
        if any("r123" in n or "Philox" in n or "mulhilo" in n for n in names):
            inner["Philox4x32-10 rounds (Random123)"] += count
        else:
            inner[next((n for n in names if not n.startswith("std::")), names[0])] += count
        top = names[-1]
        for k, n in enumerate(names):
            if n.endswith("customer_step") or n.endswith("serve") or n == "run" or n.endswith("::run"):
                top = names[k - 1] if k > 0 else n
                break
        mech[top] += count
    print(f"{total} samples in {function}")
    print("\ninnermost function (std:: helpers counted in their caller)")
    for name, count in inner.most_common(20):
        print(f"{100 * count / total:6.1f}%  {name}")
    print("\nmechanism called by the pass's run (customer_step before) / serve")
    for name, count in mech.most_common(15):
        print(f"{100 * count / total:6.1f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
