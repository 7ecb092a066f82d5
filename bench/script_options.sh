# The option handling of the benchmark shell scripts (scaling.sh, targets.sh): sourced, not run.
# The script sets SCRIPT_PATH (its own path) and SCRIPT_NAME, defines option NAME VALUE for its options
# that take a value, and calls parse_options "--one --two ..." "$@".

die() {
  echo "${SCRIPT_NAME}: $*" >&2
  exit 2
}
# The script's header comment, from its second line to `set -euo`.
usage() { sed -n '2,/^set -euo/p' "$SCRIPT_PATH" | sed '$d' | sed 's/^# \{0,1\}//'; }
positive() {  # NAME VALUE: VALUE must be a positive integer
  [[ "$2" =~ ^[0-9]+$ ]] && ((10#$2 > 0)) || die "$1 needs a positive integer, got '$2'"
}
# parse_options "VALUED" ARGS...: --help (-h) prints the usage and exits 0; each ARG named in the
# space-separated VALUED list takes the next argument as its value (option NAME VALUE); anything else
# stops the script with a message.
parse_options() {
  local valued=" $1 "
  shift
  while (($# > 0)); do
    local opt="$1"
    if [[ "$opt" == "--help" || "$opt" == "-h" ]]; then
      usage
      exit 0
    fi
    [[ "$valued" == *" $opt "* ]] || die "unknown option '$opt' (see --help)"
    (($# >= 2)) || die "$opt needs a value"
    option "$opt" "$2"
    shift 2
  done
}

# common_option NAME VALUE: the options both scripts take (--customers, --steps, --repeats, --scenario),
# stored in the variables of those names; returns 1 for any other NAME.
common_option() {
  case "$1" in
    --customers) positive "$1" "$2" && customers="$2" ;;
    --steps) positive "$1" "$2" && steps="$2" ;;
    --repeats) positive "$1" "$2" && repeats="$2" ;;
    --scenario) scenario="$2" ;;
    *) return 1 ;;
  esac
}

# need_scenario: from the repository root, $scenario must be a file.
need_scenario() { [[ -f "$scenario" ]] || die "scenario '$scenario' not found (paths are relative to $PWD)"; }

# release_benches TARGET...: from the repository root, builds the named programs of build/release/bench
# (cmake --preset release) when any of them is missing.
release_benches() {
  local t missing=0
  for t in "$@"; do [[ -x "build/release/bench/$t" ]] || missing=1; done
  if ((missing)); then
    echo "${SCRIPT_NAME}: building $* (cmake --preset release)" >&2
    cmake --preset release >&2
    cmake --build --preset release --target "$@" -j "$(nproc)" >&2
  fi
}
