#!/usr/bin/env bash
# A private single-node Slurm cluster for integration tests (Debian 12:
# slurm-wlm 22.05 and munge).
#
#   scripts/slurm-cluster.sh start  DIR   start munged, slurmctld and slurmd; wait for an idle node
#   scripts/slurm-cluster.sh stop   DIR   cancel its jobs, stop its daemons and any leftover step
#   scripts/slurm-cluster.sh status DIR   say which of its daemons run, then sinfo/squeue
#
# Everything lives under DIR: the munge key, socket and seed, slurm.conf, the
# state and spool directories, pid and log files. The daemons listen on two
# free loopback ports picked at start, and clients find them through
# SLURM_CONF=DIR/slurm.conf (start prints the line and writes it to DIR/env).
# Nothing under /etc, /run or /var is read or written, so a system-wide Slurm
# or munge, running or not, is left alone. No cgroups are needed
# (proctrack/linuxproc, task/none).
#
# Environment: SLURM_CLUSTER_TIMEOUT (seconds to wait for the idle node,
# default 60). Start fails with the daemons' logs printed when the wait runs
# out, and stops whatever it had started.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop|status DIR" >&2
  exit 2
}
(($# == 2)) || usage
action=$1
[[ -n "$2" ]] || usage
mkdir -p "$2"
dir=$(cd "$2" && pwd -P)

conf=$dir/slurm.conf
timeout_s=${SLURM_CLUSTER_TIMEOUT:-60}
# Marks the daemons this script starts, and through inheritance their
# slurmstepd children, so that stop can find a step whose slurmd is gone.
marker="MISSIONSIM_SLURM_CLUSTER=$dir"

log() { echo "slurm-cluster: $*" >&2; }

require_packages() {
  local missing=() cmd
  for cmd in munged slurmctld slurmd slurmstepd sbatch sinfo squeue scancel; do
    command -v "$cmd" >/dev/null 2>&1 || [[ -x /usr/sbin/$cmd ]] || missing+=("$cmd")
  done
  if ((${#missing[@]} > 0)); then
    log "not found: ${missing[*]}. Install Slurm and munge (scripts/setup.sh does it), as root:"
    log "  apt-get update && apt-get install -y --no-install-recommends slurm-wlm munge"
    exit 1
  fi
}

# Daemons live in /usr/sbin, which a non-root PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

# A zombie counts as gone: whatever reaps orphans here may take its time.
pid_alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ "${stat:0:1}" != Z ]]
}
read_pid() { if [[ -s "$1" ]]; then tr -dc '0-9' <"$1"; fi; }

# Signals the process in pid file $1 with TERM, waits up to 5 s, then KILLs it.
stop_pidfile() {
  local pidfile=$1 name=$2 pid i
  pid=$(read_pid "$pidfile")
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  log "$name (pid $pid) ignored SIGTERM for 5 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

# Pids of this cluster's job processes (SLURM_JOB_ID plus the SLURM_CONF that
# sbatch exported) and slurmstepd (the marker is inherited from slurmd); with
# "all", every process with the marker. Skips this script, its subshells and
# its ancestors.
cluster_pids() {
  local which=${1:-steps} p ancestors=" " proc pid envs comm
  p=$BASHPID
  while [[ -n "$p" && "$p" != 0 ]]; do
    ancestors+="$p "
    p=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
  done
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    [[ "$ancestors" == *" $pid "* ]] && continue
    envs=$(tr '\0' '\n' 2>/dev/null <"$proc/environ") || continue
    comm=$(cat "$proc/comm" 2>/dev/null) || continue
    if { grep -qxF "$marker" <<<"$envs" && [[ $which == all || $comm == slurmstepd ]]; } ||
      { grep -qxF "SLURM_CONF=$conf" <<<"$envs" && grep -q '^SLURM_JOB_ID=' <<<"$envs"; }; then
      echo "$pid"
    fi
  done
}

print_logs() {
  local f
  for f in "$dir"/log/*.log; do
    [[ -f "$f" ]] || continue
    echo "----- $f (last 60 lines) -----" >&2
    tail -n 60 "$f" >&2
  done
}

free_port() {
  # Binding port 0 lets the kernel pick; the port is free when we look, and
  # the daemons bind it a second later.
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_config() {
  local host node_line ctld_port slurmd_port
  host=$(hostname -s)
  # slurmd -C prints this machine's NodeName/CPUs/Boards/Sockets/Cores/Threads
  # and RealMemory. Half of that memory is configured: enough for jobs that ask
  # for --mem (checked by sbatch, not consumed: CR_Core), and far enough below
  # what slurmd measures that the node is never drained for too little memory.
  local node mem
  node=$(slurmd -C | head -n 1 | sed -E 's/^NodeName=[^ ]+ //')
  mem=$(grep -oE 'RealMemory=[0-9]+' <<<"$node" | cut -d= -f2 || true)
  node_line=$(sed -E 's/ RealMemory=[0-9]+//' <<<"$node")
  if [[ -n "$mem" ]] && ((mem > 2)); then node_line+=" RealMemory=$((mem / 2))"; fi
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  while [[ "$slurmd_port" == "$ctld_port" ]]; do slurmd_port=$(free_port); done

  cat >"$conf" <<EOF
# Written by scripts/slurm-cluster.sh for a private test cluster; every path is under $dir.
ClusterName=missionsim
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
# scancel escalates to SIGKILL after KillWait seconds (default 30).
KillWait=2
# sbatch --wait polls every 2 s while its sleep is below MinJobAge/2, so a small
# MinJobAge keeps the tests quick; records still outlive the polls that read them.
MinJobAge=16
SlurmdTimeout=60
NodeName=$host NodeAddr=127.0.0.1 $node_line State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  echo "$host"
}

do_start() {
  require_packages
  if [[ -f "$dir/run/slurmctld.pid" ]] && pid_alive "$(read_pid "$dir/run/slurmctld.pid")"; then
    log "a cluster is already running in $dir (stop it first: $0 stop $dir)"
    exit 1
  fi
  mkdir -p "$dir"/{munge,state,spool,run,log}
  chmod 755 "$dir/munge"
  local sock=$dir/munge/munge.socket
  # sockaddr_un holds 107 characters; munge also needs room for ".lock".
  if ((${#sock} > 100)); then
    log "DIR is too long for a Unix socket path ($sock); use a shorter one, e.g. mktemp -d"
    exit 1
  fi

  # Anything that fails from here on stops what was started.
  trap 'rc=$?; if ((rc != 0)); then log "start failed; daemon logs follow"; print_logs; do_stop >/dev/null 2>&1 || true; fi' EXIT

  rm -f "$dir/munge/munge.key"
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1 count=1024 status=none
  chmod 400 "$dir/munge/munge.key"
  # --force: munged otherwise refuses a socket that other users cannot reach
  # (mktemp -d makes DIR 0700); only this user and root talk to it.
  env "$marker" munged --force \
    --socket="$sock" \
    --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/run/munged.pid" \
    --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/munged.seed"
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -S "$sock" ]] && break
    sleep 0.1
  done
  [[ -S "$sock" ]] || { log "munged did not create $sock"; exit 1; }
  if ! munge --socket="$sock" -n </dev/null | unmunge --socket="$sock" >/dev/null; then
    log "munge credential round trip through $sock failed"
    exit 1
  fi

  local host
  host=$(write_config)
  echo "export SLURM_CONF=$conf" >"$dir/env"
  export SLURM_CONF=$conf

  # -c: start from an empty state (the state directory is ours and new).
  env "$marker" slurmctld -c -f "$conf"
  env "$marker" slurmd -f "$conf" -N "$host"

  local state="" name pid started=$SECONDS deadline=$((SECONDS + timeout_s))
  while ((SECONDS < deadline)); do
    state=$(sinfo -h -N -o '%t' 2>/dev/null | head -n 1 || true)
    [[ "$state" == idle ]] && break
    # A daemon that died (or never wrote its pid file within 10 s) fails fast.
    for name in munged slurmctld slurmd; do
      pid=$(read_pid "$dir/run/$name.pid")
      if { [[ -n "$pid" ]] && ! pid_alive "$pid"; } || { [[ -z "$pid" ]] && ((SECONDS - started > 10)); }; then
        log "$name is not running"
        exit 1
      fi
    done
    sleep 0.2
  done
  if [[ "$state" != idle ]]; then
    log "timed out after ${timeout_s}s waiting for node $host to be idle (last state: '${state:-none}')"
    sinfo -N -l >&2 2>&1 || true
    exit 1
  fi
  trap - EXIT
  log "node $host idle; cluster in $dir"
  echo "export SLURM_CONF=$conf"
}

do_stop() {
  export SLURM_CONF=$conf
  local pid i left=()
  # Cancel jobs while the daemons can still end them cleanly.
  if [[ -f "$conf" ]] && pid_alive "$(read_pid "$dir/run/slurmctld.pid")"; then
    if [[ -n "$(squeue -h -o %A 2>/dev/null || true)" ]]; then
      scancel -u "$(id -un)" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        [[ -z "$(squeue -h -o %A 2>/dev/null || true)" ]] && break
        sleep 0.1
      done
    fi
  fi
  # A step that outlived scancel (or whose slurmd is gone) and its job
  # processes: end them before slurmd, which waits for its steps.
  mapfile -t left < <(cluster_pids steps)
  if ((${#left[@]} > 0)); then
    log "ending leftover step/job processes: ${left[*]}"
    kill -TERM "${left[@]}" 2>/dev/null || true
    sleep 0.5
    for pid in "${left[@]}"; do if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi; done
  fi
  stop_pidfile "$dir/run/slurmd.pid" slurmd
  stop_pidfile "$dir/run/slurmctld.pid" slurmctld
  # slurmctld's helper (slurmscriptd) and anything else still marked.
  mapfile -t left < <(cluster_pids all)
  for pid in "${left[@]}"; do
    [[ "$pid" == "$(read_pid "$dir/run/munged.pid")" ]] && continue
    if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  stop_pidfile "$dir/run/munged.pid" munged
  rm -f "$dir"/run/*.pid
  log "stopped cluster in $dir"
}

do_status() {
  export SLURM_CONF=$conf
  local name pid rc=0
  for name in munged slurmctld slurmd; do
    pid=$(read_pid "$dir/run/$name.pid")
    if pid_alive "$pid"; then
      echo "$name: running (pid $pid)"
    else
      echo "$name: not running"
      rc=1
    fi
  done
  if ((rc == 0)); then
    sinfo -N -l || rc=1
    squeue || rc=1
  fi
  return $rc
}

case "$action" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  *) usage ;;
esac
