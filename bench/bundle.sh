#!/usr/bin/env bash
# Copies the benchmark programs, with every shared library they load and the
# dynamic loader itself, into one folder that runs on any x86-64 Linux
# machine, also one without the Debian packages the build needs (a compute
# node, a rented server): so that bench/scaling.sh can be run where the
# engine cannot be built.
#
#   bench/bundle.sh OUTDIR [--build DIR]
#     OUTDIR        folder to create (must not exist, or be an earlier bundle)
#     --build DIR   build folder holding bench/bench_step and bench/bench_roofline
#                   (default build/release; built with the release preset if missing)
#
# OUTDIR then holds bin/ (the programs), lib/ (the libraries and
# ld-linux-x86-64.so.2) and one wrapper per program at its top, which starts
# the program through the bundled loader with only the bundled libraries:
#
#   OUTDIR/bench_step scenarios/bench-1m.toml --end-to-end
#   bench/scaling.sh --bench OUTDIR/bench_step
#
# Run the wrappers from the repository root (the scenarios are read from
# there). The programs are the ones built here, so they use the SIMD paths
# the far machine's CPU offers (the Philox kernels choose at run time).
set -euo pipefail

die() {
  echo "bundle.sh: $*" >&2
  exit 2
}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out=""
build="build/release"
while (($# > 0)); do
  case "$1" in
    --help | -h)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    --build)
      (($# >= 2)) || die "--build needs a value"
      build="$2"
      shift 2
      ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *)
      [[ -z "$out" ]] || die "one OUTDIR only (got '$out' and '$1')"
      out="$1"
      shift
      ;;
  esac
done
[[ -n "$out" ]] || die "OUTDIR is missing (see --help)"
[[ "$(uname -m)" == "x86_64" ]] || die "bundles are made on x86-64 (this is $(uname -m))"
if [[ -e "$out" ]]; then
  [[ -f "$out/.missionsim-bundle" ]] || die "'$out' exists and is not a bundle made by this script"
  rm -rf "$out"
fi

cd "$root"
programs=(bench_step bench_roofline)
for p in "${programs[@]}"; do
  if [[ ! -x "$build/bench/$p" ]]; then
    echo "bundle.sh: building $p in $build (release preset)" >&2
    cmake --preset release >&2
    cmake --build "$build" --target "$p" -j "$(nproc)" >&2
  fi
done

mkdir -p "$out/bin" "$out/lib"
touch "$out/.missionsim-bundle"
for p in "${programs[@]}"; do
  cp "$build/bench/$p" "$out/bin/$p"
  # Every library the loader resolves for the program (ldd's "name => path" lines) and the loader itself.
  ldd "$build/bench/$p" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}' |
    while read -r lib; do cp -L "$lib" "$out/lib/"; done
  cat >"$out/$p" <<EOF
#!/bin/sh
# $p from bundle.sh: the bundled loader, with only the bundled libraries.
d="\$(cd "\$(dirname "\$0")" && pwd)"
exec "\$d/lib/ld-linux-x86-64.so.2" --inhibit-cache --library-path "\$d/lib" "\$d/bin/$p" "\$@"
EOF
  chmod +x "$out/$p"
done
[[ -x "$out/lib/ld-linux-x86-64.so.2" ]] || die "the dynamic loader was not found by ldd"
echo "bundle.sh: $out: ${programs[*]}, $(find "$out/lib" -type f | wc -l) libraries," \
  "$(du -sh "$out" | cut -f1)" >&2
