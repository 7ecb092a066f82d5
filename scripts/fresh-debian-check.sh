#!/usr/bin/env bash
# What a new user sees: runs the README's quick start (`make demo`, then
# `make test`) as root in a fresh Debian 12 (bookworm) chroot that starts with
# only g++ cmake make git ca-certificates, so scripts/setup.sh has to install
# everything else and CMake has to find it.
#
# Usage (as root):  scripts/fresh-debian-check.sh [--reset] [ROOT]
#   ROOT     the chroot, default /tmp/deb12; created with debootstrap if absent
#   --reset  restore ROOT from ROOT.base.tar (the state right after the base
#            packages went in), so setup.sh's installs are exercised again
# Env: MIRROR, SECURITY_MIRROR override the mirrors read from the host's apt
# sources.
#
# Clones the repository's committed HEAD (not the working tree) into
# ROOT/root/missionsim. Logs go to ROOT/root/fresh-check-logs/. Exits 0 when
# both commands succeed.
set -euo pipefail

reset=0
root=/tmp/deb12
for arg in "$@"; do
  case "$arg" in
    --reset) reset=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    -*) echo "unknown option $arg" >&2; exit 2 ;;
    *) root=$arg ;;
  esac
done
root=$(realpath -m "$root")
snapshot="$root.base.tar"
repo=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
base_packages=(g++ cmake make git ca-certificates)

if ((EUID != 0)); then
  echo "fresh-debian-check.sh: needs root (debootstrap, chroot, mount)" >&2
  exit 1
fi

# The mirrors this machine's apt uses (one-line and deb822 formats).
host_uris() {
  { grep -hE '^\s*deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -E 's/^\s*deb\s+(\[[^]]*\]\s+)?(\S+).*/\2/'
    grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
      sed -E 's/^\s*URIs:\s*//' | tr ' ' '\n'
  } | grep -v '^$' || true
}
mirror=${MIRROR:-$(host_uris | grep -E '/debian/?$' | head -n1)}
mirror=${mirror:-http://deb.debian.org/debian}
security_mirror=${SECURITY_MIRROR:-$(host_uris | grep -E '/debian-security/?$' | head -n1)}
security_mirror=${security_mirror:-http://deb.debian.org/debian-security}

# A booted machine has /proc, /sys (with the cgroup file system, which slurmd
# needs) and /dev; the chroot borrows the host's.
mount_all() {
  mount --bind /proc "$root/proc"
  mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
  mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
}
unmount_all() {
  local d
  for d in dev sys proc; do
    if mountpoint -q "$root/$d"; then umount -R "$root/$d"; fi
  done
}
trap unmount_all EXIT
in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 TERM=dumb CI=true DEBIAN_FRONTEND=noninteractive "$@" </dev/null
}

unmount_all
if ((reset)); then
  [[ -f "$snapshot" ]] || { echo "no $snapshot to reset from" >&2; exit 1; }
  echo "== resetting $root from $snapshot"
  rm -rf --one-file-system "$root"
  mkdir -p "$root"
  tar -xpf "$snapshot" -C "$root"
fi

if [[ ! -x "$root/usr/bin/apt-get" ]]; then
  if ! command -v debootstrap >/dev/null; then
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
  fi
  echo "== debootstrap bookworm into $root from $mirror"
  debootstrap --variant=minbase bookworm "$root" "$mirror"
fi

cp -L /etc/resolv.conf "$root/etc/resolv.conf"
mount_all

if [[ ! -f "$root/.missionsim-base-ready" ]]; then
  echo "== installing the base packages: ${base_packages[*]}"
  cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security_mirror bookworm-security main
SOURCES
  # As in Debian's container images: packages do not start daemons (munge, slurm) in the chroot.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  in_root apt-get update -q
  in_root apt-get install -y -q --no-install-recommends "${base_packages[@]}"
  in_root apt-get clean
  touch "$root/.missionsim-base-ready"
  unmount_all
  echo "== snapshot of the base root: $snapshot"
  tar -cpf "$snapshot" --one-file-system -C "$root" .
  mount_all
fi

commit=$(git -C "$repo" rev-parse HEAD)
echo "== cloning $repo at $(git -C "$repo" log -1 --format='%h %s')"
rm -rf --one-file-system "$root/root/missionsim"
git clone -q "$repo" "$root/root/missionsim"
git -C "$root/root/missionsim" checkout -q "$commit"

logs="$root/root/fresh-check-logs"
mkdir -p "$logs"
declare -A result
for target in demo test; do
  echo "== make $target (log: $logs/$target.log)"
  set +e
  in_root bash -c "cd /root/missionsim && make $target" 2>&1 | tee "$logs/$target.log"
  rc=${PIPESTATUS[0]}
  set -e
  result[$target]=$rc
done

echo "== summary for $commit in $root"
status=0
for target in demo test; do
  if ((result[$target] == 0)); then
    echo "   make $target: ok"
  else
    echo "   make $target: FAILED (exit ${result[$target]}, log $logs/$target.log)"
    status=1
  fi
done
exit $status
