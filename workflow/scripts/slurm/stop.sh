#!/usr/bin/env bash
# Stop the cluster that start.sh started in DIR, by the PIDs it recorded in DIR/run/pids/
# (never by name): cancel every job and wait for it, SIGTERM slurmd and slurmctld, then munged,
# SIGKILL whatever is still alive after a grace period. Exit 1 if a daemon survives.
#
#   workflow/scripts/slurm/stop.sh DIR         # or FIGTRACE_SLURM_DIR=DIR stop.sh
set -uo pipefail

D=${1:-${FIGTRACE_SLURM_DIR:?usage: stop.sh DIR (or set FIGTRACE_SLURM_DIR)}}
[ -d "$D" ] || { echo "stop.sh: no cluster directory $D"; exit 0; }
D=$(cd "$D" && pwd)
CONF="$D/etc/slurm.conf"
export SLURM_CONF="$CONF"
PIDS="$D/run/pids"
GRACE=${FIGTRACE_SLURM_GRACE:-15}

alive() {  # alive NAME PID: PID is a live process called NAME (a reused PID is never hit)
  [ -n "$2" ] && [ -d "/proc/$2" ] && [ "$(cat "/proc/$2/comm" 2>/dev/null)" = "$1" ]
}
recorded() { [ -s "$PIDS/$1" ] && cat "$PIDS/$1"; }

stop() {  # stop NAME...: SIGTERM each recorded daemon, wait, SIGKILL after GRACE seconds
  local name pid i left=()
  for name in "$@"; do
    pid=$(recorded "$name") || continue
    if alive "$name" "$pid"; then
      kill -TERM "$pid" 2>/dev/null
      left+=("$name:$pid")
    else
      echo "$name: not running (recorded pid $pid)"
    fi
  done
  for ((i = 0; i < GRACE * 5 && ${#left[@]} > 0; i++)); do
    local still=()
    for entry in "${left[@]}"; do
      if alive "${entry%%:*}" "${entry#*:}"; then still+=("$entry"); else echo "${entry%%:*}: stopped (pid ${entry#*:})"; fi
    done
    left=("${still[@]+"${still[@]}"}")
    [ ${#left[@]} -gt 0 ] && sleep 0.2
  done
  for entry in "${left[@]+"${left[@]}"}"; do
    echo "${entry%%:*}: alive after ${GRACE}s, SIGKILL ${entry#*:}"
    kill -KILL "${entry#*:}" 2>/dev/null
  done
}

# 1. cancel every job so that its slurmstepd exits on its own
pid=$(recorded slurmctld) && if alive slurmctld "$pid"; then
  scancel --full --user="$(id -un)" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    [ -z "$(squeue -h -t PENDING,CONFIGURING,RUNNING,COMPLETING -o %i 2>/dev/null)" ] && break
    sleep 0.2
  done
fi

# 2. the slurm daemons together, then munged (they authenticate through it until the end)
stop slurmd slurmctld
stop munged
rm -f "$D/run/munge.socket" "$D/run/munge.socket.lock"

# 3. the /etc link, only if it is ours
if [ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" = "$CONF" ]; then
  rm -f /etc/slurm/slurm.conf
fi

# 4. report what survived
status=0
for name in slurmd slurmctld munged; do
  pid=$(recorded "$name") || continue
  if alive "$name" "$pid"; then echo "$name: STILL ALIVE (pid $pid)" >&2; status=1; else rm -f "$PIDS/$name"; fi
done
for p in /proc/[0-9]*; do
  c=$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null) || continue
  case "$c" in "slurmstepd: "*) echo "leftover job step: pid ${p#/proc/} '$c'" >&2;; esac
done
exit $status
