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
