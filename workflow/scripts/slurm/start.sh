#!/usr/bin/env bash
# Start a single-node SLURM cluster (munged, slurmctld, slurmd) as plain background processes
# (no systemd), with all state, sockets, logs and PID files under one directory:
#
#   workflow/scripts/slurm/start.sh DIR        # or FIGTRACE_SLURM_DIR=DIR start.sh
#   export PATH="DIR/bin:$PATH"                # client wrappers that find this cluster's config
#   workflow/scripts/slurm/stop.sh DIR         # stops exactly the daemons started here, by PID
#
# Needs root and the packages from install.sh. Idempotent: a daemon whose recorded PID is alive
# is left alone. Each daemon's PID is recorded in DIR/run/pids/NAME when it is started.
# Jobs strip every SLURM_* variable before calling srun, so exporting SLURM_CONF is not enough:
# the wrappers in DIR/bin (kept on PATH inside jobs) set it for every client command.
# Settings (environment): FIGTRACE_SLURM_CTLD_PORT (6817), FIGTRACE_SLURM_SLURMD_PORT (6818),
# FIGTRACE_SLURM_CPUS (nproc), FIGTRACE_SLURM_MEM_MB (80 % of RAM), FIGTRACE_SLURM_LINK_ETC=1
# (also link /etc/slurm/slurm.conf to the config; stop.sh removes the link).
set -euo pipefail

D=${1:-${FIGTRACE_SLURM_DIR:?usage: start.sh DIR (or set FIGTRACE_SLURM_DIR)}}
mkdir -p "$D"
D=$(cd "$D" && pwd)
# The munge socket path must fit in a Unix socket address (108 bytes).
[ ${#D} -le 80 ] || { echo "start.sh: cluster directory path too long (max 80 chars): $D" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HOST=$(hostname -s)
CPUS=${FIGTRACE_SLURM_CPUS:-$(nproc)}
# RealMemory above what slurmd detects drains the node ("Low RealMemory").
MEM_MB=${FIGTRACE_SLURM_MEM_MB:-$(( $(free -m | awk '/^Mem:/{print $2}') * 80 / 100 ))}
CONF="$D/etc/slurm.conf"
export SLURM_CONF="$CONF"
PIDS="$D/run/pids"

mkdir -p "$D"/{etc,munge,run/pids,log,state/ctld,state/d,bin}
chmod 755 "$D" "$D/run"
chmod 700 "$D/munge"

alive() {  # alive NAME: the recorded PID of NAME is a live process called NAME
  local pid
  [ -s "$PIDS/$1" ] || return 1
  pid=$(cat "$PIDS/$1")
  [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ]
}
wait_for() {  # wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
launch() {  # launch NAME CMD...: start CMD in its own session, record its PID as NAME
  local name=$1; shift
  # Without job control the background child is no group leader, so setsid and nohup exec
  # in place and $! is the daemon's own PID.
  setsid nohup "$@" </dev/null >>"$D/log/$name.out" 2>&1 &
  echo $! > "$PIDS/$name"
  wait_for 10 alive "$name" || { echo "start.sh: $name did not start; see $D/log/$name.out" >&2; exit 1; }
  STARTED=1
}
STARTED=0

# munge: a key of our own, a socket of our own; -f lets it run as root
if [ ! -s "$D/munge/munge.key" ]; then
  dd if=/dev/urandom of="$D/munge/munge.key" bs=1 count=1024 status=none
  chmod 400 "$D/munge/munge.key"
fi
if ! alive munged; then
  rm -f "$D/run/munge.socket" "$D/run/munge.socket.lock"
  launch munged munged -F -f --key-file="$D/munge/munge.key" --socket="$D/run/munge.socket" \
    --pid-file="$D/run/munged.own.pid" --seed-file="$D/munge/munged.seed" \
    --log-file="$D/log/munged.log"
  wait_for 10 munge -n --socket="$D/run/munge.socket" \
    || { echo "start.sh: munged does not answer; see $D/log/munged.out" >&2; exit 1; }
fi

# slurm.conf is rendered only while slurmctld is down, so a running cluster never changes under it
if ! alive slurmctld; then
  sed -e "s|@DIR@|$D|g" -e "s|@HOST@|$HOST|g" -e "s|@CPUS@|$CPUS|g" -e "s|@MEM_MB@|$MEM_MB|g" \
    -e "s|@CTLD_PORT@|${FIGTRACE_SLURM_CTLD_PORT:-6817}|g" \
    -e "s|@SLURMD_PORT@|${FIGTRACE_SLURM_SLURMD_PORT:-6818}|g" \
    -e "s|@DEF_MEM_PER_CPU@|${FIGTRACE_SLURM_DEF_MEM_PER_CPU:-500}|g" \
    -e "s|@MIN_JOB_AGE@|${FIGTRACE_SLURM_MIN_JOB_AGE:-300}|g" \
    "$HERE/slurm.conf.in" > "$CONF.tmp"
  mv "$CONF.tmp" "$CONF"
fi

# client wrappers: PATH survives into jobs, SLURM_CONF does not
for c in sbatch srun salloc squeue scancel sinfo scontrol sacct sacctmgr sshare sstat sprio; do
  [ -x "/usr/bin/$c" ] || continue
  printf '#!/bin/sh\nSLURM_CONF=%s exec /usr/bin/%s "$@"\n' "$CONF" "$c" > "$D/bin/$c.tmp"
  chmod 755 "$D/bin/$c.tmp"
  mv "$D/bin/$c.tmp" "$D/bin/$c"
done
if [ "${FIGTRACE_SLURM_LINK_ETC:-0}" = 1 ]; then
  mkdir -p /etc/slurm
  ln -sfn "$CONF" /etc/slurm/slurm.conf
fi

if ! alive slurmctld; then
  # -D: foreground (we background it), -c: start from a clean state, no old jobs
  launch slurmctld slurmctld -D -c -f "$CONF"
fi
wait_for 20 scontrol ping \
  || { echo "start.sh: slurmctld does not answer; see $D/log/slurmctld.log" >&2; exit 1; }

if ! alive slurmd; then
  launch slurmd slurmd -D -N "$HOST" -f "$CONF"
fi
node_ready() { sinfo -h -n "$HOST" -o %T | grep -qE '^(idle|mixed|allocated)'; }
if ! wait_for 30 node_ready; then
  scontrol update nodename="$HOST" state=resume || true
  wait_for 10 node_ready \
    || { echo "start.sh: node $HOST is not ready: $(sinfo -h -n "$HOST" -o '%T %E'); see $D/log/slurmd.log" >&2; exit 1; }
fi

# One batch job end to end after a (re)start; it also waits out slurmctld's first scheduling
# cycle (about 3 s after a cold start), which would otherwise delay the first real jobs.
job_done() { [ "$(squeue -h -j "$1" --states=all -o %T 2>/dev/null)" = COMPLETED ]; }
if [ "$STARTED" = 1 ]; then
  jid=$(sbatch --parsable -J smoke -o /dev/null -t 1 --mem 10 --wrap true)
  wait_for 60 job_done "$jid" \
    || { echo "start.sh: smoke job $jid: $(squeue -h -j "$jid" --states=all -o '%T %r')" >&2; exit 1; }
fi

echo "slurm cluster up on $HOST: munged=$(cat "$PIDS/munged") slurmctld=$(cat "$PIDS/slurmctld") slurmd=$(cat "$PIDS/slurmd")"
echo "use: export PATH=\"$D/bin:\$PATH\""
