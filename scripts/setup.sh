#!/usr/bin/env bash
# Installs the Debian 12 packages missionsim needs to build, test and analyse.
#
# Quiet and quick when everything is present: only dpkg-query runs, no
# apt-get update. Otherwise installs the missing packages as root, or through
# sudo when it works without a password; failing both, prints the command to
# run and exits 1. Safe to run any number of times.
set -euo pipefail

packages=(
  # build
  g++ cmake make pkg-config
  libboost-program-options-dev libtbb-dev libhdf5-dev hdf5-tools
  catch2 libtomlplusplus-dev librandom123-dev libssl-dev
  # analysis and integration tests (Debian's interpreter, /usr/bin/python3)
  python3 python3-h5py python3-numpy python3-pandas python3-xarray
  python3-matplotlib python3-scipy python3-pytest python3-yaml
  # Python API (pybind11 module) and the executed notebook
  pybind11-dev python3-dev python3-nbconvert python3-ipykernel
  # parameter sweeps (MPI and Slurm launchers)
  openmpi-bin libopenmpi-dev slurm-wlm munge
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup.sh: dpkg-query not found; missionsim's setup supports Debian 12 (bookworm) only." >&2
  echo "Install the equivalents of: ${packages[*]}" >&2
  exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
echo "setup.sh: missing Debian package(s): ${missing[*]}"

if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "setup.sh: not root and sudo needs a password (or is absent). Run as root:" >&2
  echo "  $install_cmd" >&2
  exit 1
fi

echo "setup.sh: installing them with apt-get${as_root:+ via sudo}"
# </dev/null: never wait for input (CI has no stdin).
"${as_root[@]}" apt-get update -q </dev/null
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null

still_missing=()
for pkg in "${missing[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == installed ]] || still_missing+=("$pkg")
done
if ((${#still_missing[@]} > 0)); then
  echo "setup.sh: still missing after apt-get install: ${still_missing[*]}" >&2
  exit 1
fi
echo "setup.sh: all required packages are installed."
