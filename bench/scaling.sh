#!/usr/bin/env bash
# Thread scaling of the engine: runs bench/bench_step on a 4M-customer copy of
# scenarios/bench-1m.toml (customers.count overridden) at 1, 2, 4, 8 and 16
# threads (those the machine has), medians of N repetitions, and prints the
# machine and a Markdown table: threads, customer-steps/s, speed-up over one
# thread, parallel efficiency, peak resident memory per customer.
#
#   bench/scaling.sh [options]
#     --customers N     customers (default 4000000)
#     --steps N         steps per run (default: the scenario's, 120)
#     --repeats N       repetitions per thread count; medians (default 5)
#     --threads LIST    thread counts, comma separated (default 1,2,4,8,16); counts above
#                       the machine's cores (nproc) are skipped with a note
#     --scenario FILE   scenario (default scenarios/bench-1m.toml)
#     --mode MODE       end-to-end (default: set-up, stepping and the HDF5 trajectory, as
#                       `missionsim run` does) or step (stepping only)
#     --bench PATH      bench_step binary to use (default: build/release/bench/bench_step,
#                       configured and built first if it is missing)
#     --help            this text
#
# Run it from anywhere; paths are relative to the repository root. On a
# 16-core machine the defaults take about 10 minutes. Figures and how to read
# them: docs/PERFORMANCE.md, "Scaling".
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
customers=4000000
steps=""
repeats=5
threads="1,2,4,8,16"
scenario="scenarios/bench-1m.toml"
mode="end-to-end"
bench=""

SCRIPT_PATH="${BASH_SOURCE[0]}"
SCRIPT_NAME=scaling.sh
source "$root/bench/script_options.sh"
option() {
  common_option "$1" "$2" && return
  case "$1" in
    --threads)
      [[ "$2" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--threads needs a comma-separated list of positive integers, got '$2'"
      for t in ${2//,/ }; do positive "--threads" "$t"; done
      threads="$2"
      ;;
    --mode)
      [[ "$2" == "end-to-end" || "$2" == "step" ]] || die "--mode must be end-to-end or step, got '$2'"
      mode="$2"
      ;;
    --bench) bench="$2" ;;
  esac
}
parse_options "--customers --steps --repeats --threads --scenario --mode --bench" "$@"

cd "$root"
need_scenario
if [[ -z "$bench" ]]; then
  release_benches bench_step
  bench="build/release/bench/bench_step"
fi
[[ -x "$bench" ]] || die "bench_step binary '$bench' not found or not executable"

cores="$(nproc)"
model="$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
sockets="$(lscpu 2>/dev/null | sed -n 's/^Socket(s):[[:space:]]*//p' | head -n1)"
per_socket="$(lscpu 2>/dev/null | sed -n 's/^Core(s) per socket:[[:space:]]*//p' | head -n1)"
physical=""
if [[ "$sockets" =~ ^[0-9]+$ && "$per_socket" =~ ^[0-9]+$ ]]; then physical=$((sockets * per_socket)); fi

args=("$scenario" --customers "$customers" --repeats "$repeats")
[[ -n "$steps" ]] && args+=(--steps "$steps")
[[ "$mode" == "end-to-end" ]] && args+=(--end-to-end)

rows=()
base=""
skipped=()
for t in ${threads//,/ }; do
  t=$((10#$t))
  if ((t > cores)); then
    skipped+=("$t")
    continue
  fi
  echo "scaling.sh: $t thread(s): $bench ${args[*]} --threads $t" >&2
  out="$("$bench" "${args[@]}" --threads "$t")" || die "bench_step failed at $t thread(s)"
  line="$(grep '^result ' <<<"$out" | tail -n1)"
  [[ -n "$line" ]] || die "bench_step printed no result line at $t thread(s)"
  rate="$(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$line")"
  rss="$(sed -n 's/.* rss_per_customer=\([0-9.]*\).*/\1/p' <<<"$line")"
  run_steps="$(sed -n 's/.* steps=\([0-9]*\).*/\1/p' <<<"$line")"
  [[ -n "$base" ]] || base="$t $rate"
  rows+=("$(awk -v t="$t" -v r="$rate" -v b="$base" -v m="$rss" 'BEGIN {
    split(b, bb, " "); s = r / bb[2]; e = s / (t / bb[1]);
    printf "| %d | %.2f M | %.2fx | %.0f%% | %.0f B |", t, r / 1e6, s, 100 * e, m }')")
done
((${#rows[@]} > 0)) || die "no thread count in '$threads' is at most the $cores core(s) of this machine"

echo "## Thread scaling of missionsim"
echo
echo "Machine: ${model:-unknown CPU}; ${physical:-?} physical core(s), $cores logical CPU(s) (nproc)."
echo "Scenario: $scenario with customers.count = $customers, ${run_steps:-?} steps; $mode" \
  "(bench/bench_step), medians of $repeats."
echo "Speed-up and efficiency are relative to the first row ($(cut -d' ' -f1 <<<"$base") thread(s))."
if ((${#skipped[@]} > 0)); then echo "Skipped (more threads than cores): ${skipped[*]}."; fi
echo
echo "| threads | customer-steps/s | speed-up | efficiency | peak RSS per customer |"
echo "|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
