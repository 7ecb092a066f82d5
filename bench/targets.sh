#!/usr/bin/env bash
# The engine's speed and memory targets on this machine, in one table: runs
# bench_step on one and on two threads in alternating rounds (so that both see
# the same load; the two-thread speed-up is the median of the rounds' ratios)
# and bench_roofline once, and prints each figure beside its target:
#
#   customer-steps/s end to end on one thread   >= 35 M
#   two threads against one                     >= 1.85x
#   peak memory per customer                    <= 200 bytes
#   engine / roofline floor, set-up and HDF5    <= 3x
#
# Below the table, the parts of the roofline ratio (floor: the draws a run makes and its state traffic,
# streamed at the measured bandwidth and read at random places; engine: stepping, and with set-up and
# HDF5): the ratio moves with the memory bandwidth of the moment as much as with the engine, and these
# show which of the two moved. The ratio to the floor's lower bound (block 0 and the stream only) is
# printed there too.
#
# One thread, and bench_roofline, also run pinned to one CPU (taskset) where
# taskset is found: the trajectory writer flushes on a thread of its own, which
# otherwise runs on a free CPU; pinned, it shares the engine's, as in a job
# given one CPU. Both readings are printed, each against the target.
#
#   bench/targets.sh [options]
#     --repeats N       rounds of (1 thread, 2 threads), and bench_roofline's repetitions (default 5)
#     --scenario FILE   scenario (default scenarios/bench-1m.toml; the targets are set for it)
#     --customers N     override customers.count (a smaller run for a quick look; default: the scenario's)
#     --steps N         override the steps (default: the scenario's)
#     --bench-dir DIR   folder with bench_step and bench_roofline (default build/release/bench, built
#                       first if missing; a bench/bundle.sh folder works too)
#     --stream-mib N    bench_roofline's stream buffer (default: its own, twice the last-level cache)
#     --help            this text
#
# Run it from anywhere; paths are relative to the repository root. With the
# defaults it takes about four minutes on the 2-core development machine. The
# figures and how to read them: docs/PERFORMANCE.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repeats=5
scenario="scenarios/bench-1m.toml"
customers=""
steps=""
dir=""
stream=""

SCRIPT_PATH="${BASH_SOURCE[0]}"
SCRIPT_NAME=targets.sh
source "$root/bench/script_options.sh"
option() {
  common_option "$1" "$2" && return
  case "$1" in
    --bench-dir) dir="$2" ;;
    --stream-mib) positive "$1" "$2" && stream="$2" ;;
  esac
}
parse_options "--repeats --scenario --customers --steps --bench-dir --stream-mib" "$@"

cd "$root"
need_scenario
if [[ -z "$dir" ]]; then
  release_benches bench_step bench_roofline
  dir="build/release/bench"
fi
for p in bench_step bench_roofline; do
  [[ -x "$dir/$p" ]] || die "'$dir/$p' not found or not executable"
done

common=("$scenario")
[[ -n "$customers" ]] && common+=(--customers "$customers")
[[ -n "$steps" ]] && common+=(--steps "$steps")

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }  # FIELD: its value on a bench_step result line
median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# One thread is also run pinned to one CPU (taskset, where there is one): the trajectory writer's own thread
# (docs/OUTPUT.md) then shares that CPU instead of using a free one, as in a job given one CPU.
pin=()
if command -v taskset >/dev/null 2>&1; then
  cpu="$(taskset -pc $$ 2>/dev/null | sed 's/.*: *//; s/[,-].*//')"
  [[ "$cpu" =~ ^[0-9]+$ ]] && pin=(taskset -c "$cpu")
fi

one=() onepin=() two=() ratio=() ratiopin=() rss=()
for ((r = 1; r <= repeats; ++r)); do
  echo "targets.sh: round $r of $repeats: bench_step ${common[*]} --end-to-end --repeats 1 --threads 1," \
    "${pin[*]:+1 on one CPU,} then 2" >&2
  l1="$("$dir/bench_step" "${common[@]}" --end-to-end --repeats 1 --threads 1 | grep '^result ')" ||
    die "bench_step failed on one thread"
  if ((${#pin[@]})); then
    lp="$("${pin[@]}" "$dir/bench_step" "${common[@]}" --end-to-end --repeats 1 --threads 1 | grep '^result ')" ||
      die "bench_step failed on one thread pinned to CPU $cpu"
    rp="$(field rate <<<"$lp")"
    [[ -n "$rp" ]] || die "bench_step printed no rate"
    onepin+=("$rp")
  fi
  l2="$("$dir/bench_step" "${common[@]}" --end-to-end --repeats 1 --threads 2 | grep '^result ')" ||
    die "bench_step failed on two threads"
  r1="$(field rate <<<"$l1")" r2="$(field rate <<<"$l2")"
  [[ -n "$r1" && -n "$r2" ]] || die "bench_step printed no rate"
  one+=("$r1") two+=("$r2")
  ratio+=("$(awk -v a="$r1" -v b="$r2" 'BEGIN {print b / a}')")
  ((${#pin[@]})) && ratiopin+=("$(awk -v a="$rp" -v b="$r2" 'BEGIN {print b / a}')")
  rss+=("$(field rss_per_customer <<<"$l1")" "$(field rss_per_customer <<<"$l2")")
done
roof_args=("${common[@]}" --repeats "$repeats")
[[ -n "$stream" ]] && roof_args+=(--stream-mib "$stream")
roof_run() {  # bench_roofline's output, run by "$@"
  "$@" "$dir/bench_roofline" "${roof_args[@]}" || die "bench_roofline failed"
}
roof_value() {  # LABEL OUTPUT: the first number after the label at the start of a line of OUTPUT
  sed -n "s/^$1 *\([0-9.]*\) .*/\1/p" <<<"$2" | head -n1
}
roof_ratio() {  # OUTPUT: the end-to-end ratio bench_roofline printed
  local r
  r="$(roof_value 'ratio engine\/floor, with HDF5' "$1")"
  [[ -n "$r" ]] || die "bench_roofline printed no ratio with set-up and HDF5"
  echo "$r"
}
# OUTPUT: the parts of the ratio, one line: they show whether the engine or its floor moved between two runs
# (the floor is mostly state traffic at the stream bandwidth of the moment; docs/PERFORMANCE.md).
roof_parts() {
  local f a a1 b far bw st e2e rs lo lof
  f="$(roof_value 'floor (a)+(b)' "$1")" a="$(roof_value '(a) draws' "$1")" b="$(roof_value '(b) state' "$1")"
  a1="$(roof_value '    block 1 as drawn' "$1")" far="$(roof_value '    far neighbours' "$1")"
  bw="$(roof_value 'bandwidth read+write' "$1")" st="$(roof_value 'engine, stepping only' "$1")"
  e2e="$(roof_value 'engine, set-up and HDF5 included' "$1")" rs="$(roof_value 'ratio engine\/floor' "$1")"
  lo="$(roof_value 'floor of block 0 and the stream' "$1")" lof="$(roof_value 'the same, with HDF5' "$1")"
  [[ -n "$f" && -n "$a" && -n "$a1" && -n "$b" && -n "$far" && -n "$bw" && -n "$st" && -n "$e2e" && -n "$rs" &&
    -n "$lo" && -n "$lof" ]] || die "bench_roofline printed no floor, draws, state, bandwidth or engine figure"
  echo "floor $f ns per customer-step (draws $a, of them block 1 $a1; state $b at $bw GB/s read+write," \
    "of it far neighbours $far); engine $st ns stepping (${rs}x), $e2e ns with set-up and HDF5" \
    "($(roof_ratio "$1")x); against the lower bound of block 0 and the stream ($lo ns), ${lof}x"
}
echo "targets.sh: bench_roofline ${common[*]} --repeats $repeats" >&2
roof_out="$(roof_run)"
floor_ratio="$(roof_ratio "$roof_out")"
roof_line="$(roof_parts "$roof_out")"
floor_ratio_pin="" roof_line_pin=""
if ((${#pin[@]})); then
  echo "targets.sh: ${pin[*]} bench_roofline ${common[*]} --repeats $repeats" >&2
  roof_out_pin="$(roof_run "${pin[@]}")"
  floor_ratio_pin="$(roof_ratio "$roof_out_pin")"
  roof_line_pin="$(roof_parts "$roof_out_pin")"
fi

m1="$(printf '%s\n' "${one[@]}" | median)"
m2="$(printf '%s\n' "${two[@]}" | median)"
mr="$(printf '%s\n' "${ratio[@]}" | median)"
mx="$(printf '%s\n' "${rss[@]}" | sort -g | tail -n1)"
lo1="$(printf '%s\n' "${one[@]}" | sort -g | head -n1)" hi1="$(printf '%s\n' "${one[@]}" | sort -g | tail -n1)"
lor="$(printf '%s\n' "${ratio[@]}" | sort -g | head -n1)" hir="$(printf '%s\n' "${ratio[@]}" | sort -g | tail -n1)"
range() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo, hi}'; }
met() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {ok = (op == ">=") ? v >= t : v <= t; print ok ? "yes" : "no"}'; }

model="$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
echo "## Targets of missionsim on this machine"
echo
echo "Machine: ${model:-unknown CPU}; $(nproc) logical CPU(s)."
echo "Scenario: $scenario${customers:+ with $customers customers}${steps:+, $steps steps}; $repeats rounds" \
  "of (1 thread, 2 threads) end to end (bench_step), medians; bench_roofline, medians of $repeats."
echo
echo "| figure | measured | target | met |"
echo "|---|---:|---:|---|"
awk -v m="$m1" -v lo="$lo1" -v hi="$hi1" -v ok="$(met "$m1" ">=" 35e6)" 'BEGIN {
  printf "| customer-steps/s end to end, 1 thread | %.2f M (%.2f-%.2f) | >= 35 M | %s |\n", m / 1e6, lo / 1e6, hi / 1e6, ok }'
if ((${#onepin[@]})); then
  mp="$(printf '%s\n' "${onepin[@]}" | median)"
  read -r lop hip <<<"$(range "${onepin[@]}")"
  awk -v m="$mp" -v lo="$lop" -v hi="$hip" -v ok="$(met "$mp" ">=" 35e6)" 'BEGIN {
    printf "| the same, pinned to one CPU | %.2f M (%.2f-%.2f) | >= 35 M | %s |\n", m / 1e6, lo / 1e6, hi / 1e6, ok }'
fi
awk -v m="$m2" 'BEGIN { printf "| customer-steps/s end to end, 2 threads | %.2f M | | |\n", m / 1e6 }'
awk -v m="$mr" -v lo="$lor" -v hi="$hir" -v ok="$(met "$mr" ">=" 1.85)" 'BEGIN {
  printf "| 2 threads / 1 thread, median of the rounds | %.2fx (%.2f-%.2f) | >= 1.85x | %s |\n", m, lo, hi, ok }'
if ((${#ratiopin[@]})); then
  mrp="$(printf '%s\n' "${ratiopin[@]}" | median)"
  read -r lorp hirp <<<"$(range "${ratiopin[@]}")"
  awk -v m="$mrp" -v lo="$lorp" -v hi="$hirp" -v ok="$(met "$mrp" ">=" 1.85)" 'BEGIN {
    printf "| 2 threads / 1 thread pinned to one CPU | %.2fx (%.2f-%.2f) | >= 1.85x | %s |\n", m, lo, hi, ok }'
fi
awk -v m="$mx" -v ok="$(met "$mx" "<=" 200)" 'BEGIN {
  printf "| peak RSS per customer, largest run | %.0f B | <= 200 B | %s |\n", m, ok }'
awk -v m="$floor_ratio" -v ok="$(met "$floor_ratio" "<=" 3)" 'BEGIN {
  printf "| engine / roofline floor, set-up and HDF5 included | %.2fx | <= 3x | %s |\n", m, ok }'
if [[ -n "$floor_ratio_pin" ]]; then
  awk -v m="$floor_ratio_pin" -v ok="$(met "$floor_ratio_pin" "<=" 3)" 'BEGIN {
    printf "| the same, pinned to one CPU | %.2fx | <= 3x | %s |\n", m, ok }'
fi
echo
echo "Roofline, medians of bench_roofline: $roof_line."
[[ -n "$roof_line_pin" ]] && echo "Pinned to one CPU: $roof_line_pin."
exit 0
