"""A customer-step of the engine's kind written as a vectorised numpy program, timed on one core beside the
engine, so that "how much faster than numpy" is a measured figure (docs/PERFORMANCE.md, "Against numpy").

The step is comparable to a bench-1m step, not the same model (docs/MODEL.md has the model; the numpy step
keeps its shape and cost, none of its calibration):

- counter-based draws: numpy's Philox (Philox4x64-10), keyed by the seed, four 32-bit words per customer
  and step;
- a small world of mean degree ten (Watts-Strogatz: a ring lattice, a tenth of the edges rewired at
  random, undirected, in CSR form), the adopted neighbours of every customer counted, and one random
  neighbour heard by the talkers (a referral or a warning);
- non-adopters adopt with a Bass hazard (innovation + imitation x adopted fraction, moved by what they
  heard);
- adopters: disconfirmation against their expectation, a logistic satisfaction (single-precision exp),
  an expectation update, a voice, a churn hazard;
- whoever adopts or switches chooses among 20 firms by a logit on quality and price with the customer's
  price sensitivity; some who leave exit the category;
- per-firm counts every step, checked to add up to the customers.

Written to be fast in numpy: one-byte firm and voice codes, a 256-entry table per firm quantity (so that
"no firm" indexes it too), fancy indexing only for the customers concerned (talkers, choosers), no Python
loop over customers. The adopted-neighbour counts are kept as the engine keeps them, moved along the rows
of the customers whose adoption status changed (a ragged gather and np.bincount); --recount counts them
again every step instead, every neighbour read (np.add.reduceat), as a simpler program would. The numbers
it computes are not the engine's.

    /usr/bin/python3 bench/numpy_step.py [--customers N] [--steps S] [--repeats R] [--seed K] [--recount]
                                         [--engine build/release/bench/bench_step]

With --engine, each repetition also runs `bench_step scenarios/bench-1m.toml --threads 1 --repeats 1
--customers N --steps S` right after the numpy run (alternating, so that both see the same load) and the
ratio of the medians is printed. Prints one line per run and a summary line
`result numpy_rate=R [engine_rate=E ratio=X]` (customer-steps per second, stepping only).
"""

import argparse
import os
import pathlib
import re
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core, as the engine's --threads 1
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
NO_FIRM = 255
FIRMS = 20
DEGREE = 10


def small_world(n, rng):
    """Watts-Strogatz of mean degree ten in CSR form (indptr, indices): edges (i, i + 1 .. i + 5) on a
    ring, the far end of a tenth of them moved to a customer drawn at random, both directions stored."""
    i = np.repeat(np.arange(n, dtype=np.int64), DEGREE // 2)
    j = (i + np.tile(np.arange(1, DEGREE // 2 + 1, dtype=np.int64), n)) % n
    rewire = rng.random(j.size) < 0.1
    j[rewire] = rng.integers(0, n, size=int(rewire.sum()))
    keep = i != j
    src = np.concatenate([i[keep], j[keep]])
    dst = np.concatenate([j[keep], i[keep]])
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return indptr, dst[order].astype(np.int32)


def rows(indptr, indices, who):
    """The entries of rows `who`, one after another, and each row's length (a ragged gather)."""
    starts = indptr[who]
    lens = indptr[who + 1] - starts
    first = np.cumsum(lens) - lens
    return indices[np.repeat(starts - first, lens) + np.arange(int(lens.sum()))], lens


class Market:
    def __init__(self, n, seed, recount=False):
        setup = np.random.Generator(np.random.Philox(key=seed + 1))
        self.n = n
        self.recount = recount
        self.indptr, self.indices = small_world(n, setup)
        self.degree = np.diff(self.indptr).astype(np.uint64)
        self.adopted = np.zeros(n, dtype=np.int16)  # adopted neighbours
        self.firm = np.full(n, NO_FIRM, dtype=np.uint8)
        self.voice = np.zeros(n, dtype=np.int8)
        self.expectation = setup.uniform(0.3, 0.7, n).astype(np.float32)
        self.price_sensitivity = setup.uniform(0.5, 1.5, n).astype(np.float32)
        # Per-firm quantities in 256-entry tables: entry NO_FIRM is "no firm" (never read for adopters).
        self.performance = np.zeros(256, dtype=np.float32)
        self.performance[:FIRMS] = setup.uniform(0.4, 0.8, FIRMS)
        self.quality = setup.uniform(0.0, 1.0, FIRMS).astype(np.float32)
        self.price = setup.uniform(0.5, 1.5, FIRMS).astype(np.float32)
        self.draws = np.random.Philox(key=seed)  # the step's words, counter-based
        self.counts = np.zeros(FIRMS + 1, dtype=np.int64)
        self.talk_bound = np.uint32(0.6 * 2**32)  # 60% talk each step
        self.exit_bound = np.uint32(0.2 * 2**32)  # a fifth of those who leave exit the category

    def step(self):
        n = self.n
        w = self.draws.random_raw(2 * n).view(np.uint32).reshape(4, n)
        talk, neighbour, hazard_word, choice_word = w
        firm, voice = self.firm, self.voice

        # Word of mouth: a talker hears one random neighbour's voice about a live firm.
        talkers = np.flatnonzero((talk < self.talk_bound) & (self.degree > 0))
        k = (neighbour[talkers].astype(np.uint64) * self.degree[talkers]) >> np.uint64(32)
        heard_from = self.indices[self.indptr[talkers] + k.astype(np.int64)]
        heard = np.zeros(n, dtype=np.int8)
        heard[talkers] = np.where(firm[heard_from] != NO_FIRM, voice[heard_from], 0)

        is_adopter = firm != NO_FIRM
        if self.recount:  # every neighbour read
            flags = is_adopter[self.indices].astype(np.int16)
            self.adopted = np.add.reduceat(flags, self.indptr[:-1]) * (self.degree > 0)
        adopted = self.adopted

        u = (hazard_word >> np.uint32(8)).astype(np.float32) * np.float32(2.0**-24)

        # Non-adopters: Bass hazard moved by what they heard.
        h = np.float32(0.01) + np.float32(0.05) * adopted.astype(np.float32) / np.maximum(self.degree, 1).astype(
            np.float32)
        h += np.float32(0.05) * heard.astype(np.float32)
        adopt = ~is_adopter & (u < h)

        # Adopters: disconfirmation, satisfaction, expectation, voice, churn hazard.
        perf = self.performance[firm]
        d = perf - self.expectation
        sat = np.float32(1.0) / (np.float32(1.0) + np.exp(np.float32(-8.0) * d))
        self.expectation += np.where(is_adopter, np.float32(0.1) * d, np.float32(0.0))
        new_voice = np.where(is_adopter, (sat > 0.8).astype(np.int8) - (sat < 0.3).astype(np.int8), 0)
        churn = np.float32(0.01) + np.float32(0.1) * (np.float32(1.0) - sat)
        leave = is_adopter & (u < churn)

        # Those who adopt or leave choose among the firms by a logit, or exit.
        new_firm = firm.copy()
        exits = np.flatnonzero(leave & (choice_word < self.exit_bound))
        new_firm[exits] = NO_FIRM
        new_voice[exits] = 0
        choosers = np.flatnonzero(adopt | (leave & (choice_word >= self.exit_bound)))
        if choosers.size:
            utility = self.quality[None, :] - self.price_sensitivity[choosers, None] * self.price[None, :]
            weight = np.exp(utility)
            cum = np.cumsum(weight, axis=1)
            target = (choice_word[choosers] >> np.uint32(8)).astype(np.float32) * np.float32(2.0**-24)
            pick = (cum < (target * cum[:, -1])[:, None]).sum(axis=1)
            new_firm[choosers] = np.minimum(pick, FIRMS - 1).astype(np.uint8)
            new_voice[choosers] = 0

        # Per-firm counts ("no firm" in the last column).
        self.counts = np.bincount(np.minimum(new_firm, FIRMS), minlength=FIRMS + 1)
        if not self.recount:  # the counts moved along the rows of the customers whose status changed
            now = new_firm != NO_FIRM
            changed = np.flatnonzero(now != is_adopter)
            if changed.size:
                entries, lens = rows(self.indptr, self.indices, changed)
                delta = np.repeat(np.where(now[changed], 1.0, -1.0), lens)
                self.adopted += np.bincount(entries, weights=delta, minlength=n).astype(np.int16)
        self.firm = new_firm
        self.voice = new_voice.astype(np.int8)
        return int(choosers.size)


def recounted(market):
    """The adopted neighbours of every customer, counted from the firms (every neighbour read)."""
    flags = (market.firm != NO_FIRM)[market.indices].astype(np.int16)
    return np.add.reduceat(flags, market.indptr[:-1]) * (market.degree > 0)


def numpy_run(n, steps, seed, recount=False, check=False):
    """Customer-steps per second of `steps` steps (checks, with check, timed too), the market, the choices."""
    market = Market(n, seed, recount)
    start = time.perf_counter()
    moves = 0
    for t in range(steps):
        moves += market.step()
        if int(market.counts.sum()) != n:
            raise SystemExit(f"numpy_step.py: per-firm counts add up to {int(market.counts.sum())}, not {n}")
        if check and not recount:
            wrong = int(np.count_nonzero(recounted(market) != market.adopted))
            if wrong:
                raise SystemExit(f"numpy_step.py: step {t + 1}: {wrong} adopted-neighbour counts differ from a recount")
    seconds = time.perf_counter() - start
    return n * steps / seconds, market, moves


def engine_run(engine, n, steps):
    cmd = [engine, str(ROOT / "scenarios" / "bench-1m.toml"), "--threads", "1", "--repeats", "1",
           "--customers", str(n), "--steps", str(steps)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"numpy_step.py: {' '.join(cmd)} failed:\n{out.stderr}")
    m = re.search(r"^result .* rate=([0-9.]+)", out.stdout, flags=re.M)
    if not m:
        raise SystemExit(f"numpy_step.py: {engine} printed no result line")
    return float(m.group(1))


def positive(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=positive, default=1_000_000)
    ap.add_argument("--steps", type=positive, default=120)
    ap.add_argument("--repeats", type=positive, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--recount", action="store_true",
                    help="count the adopted neighbours again every step (every neighbour read)")
    ap.add_argument("--check", action="store_true",
                    help="check the kept adopted-neighbour counts against a recount after every step")
    ap.add_argument("--engine", help="bench_step to run beside, alternately (e.g. build/release/bench/bench_step)")
    args = ap.parse_args(argv)
    if args.engine and not os.access(args.engine, os.X_OK):
        ap.error(f"--engine: '{args.engine}' is not an executable file")

    numpy_rates, engine_rates = [], []
    for r in range(args.repeats):
        rate, market, moves = numpy_run(args.customers, args.steps, args.seed, args.recount, args.check)
        numpy_rates.append(rate)
        adopters = args.customers - int(market.counts[FIRMS])
        line = (f"run {r + 1}: numpy {rate / 1e6:.2f} M customer-steps/s "
                f"({adopters} adopters at the end, {moves} choices)")
        if args.engine:
            engine_rates.append(engine_run(args.engine, args.customers, args.steps))
            line += f", engine {engine_rates[-1] / 1e6:.2f} M"
        print(line, flush=True)
        if adopters == 0 or moves == 0:
            raise SystemExit("numpy_step.py: no customer adopted; the step did no work")

    result = f"result numpy_rate={statistics.median(numpy_rates):.0f}"
    if engine_rates:
        ratio = statistics.median(engine_rates) / statistics.median(numpy_rates)
        result += f" engine_rate={statistics.median(engine_rates):.0f} ratio={ratio:.2f}"
    print(f"numpy {np.__version__}, Python {sys.version.split()[0]}; {args.customers} customers x "
          f"{args.steps} steps, medians of {args.repeats}")
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
