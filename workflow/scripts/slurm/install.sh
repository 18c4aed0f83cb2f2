#!/usr/bin/env bash
# Install what the SLURM profile needs when any of it is missing: Snakemake's SLURM executor plugin
# into .venv (`make slurm-setup`, from the hashed requirements-slurm.lock; no root needed), then
# the Debian packages for a single-node SLURM cluster (slurmctld, slurmd, client, munge).
# Exit 0 when they are there, 77 when the packages cannot be installed here (not root, or no
# apt-get), anything else when an installation itself failed.
set -euo pipefail

root="$(cd "$(dirname "$0")/../../.." && pwd)"
if ! "$root/.venv/bin/python" -c 'import snakemake_executor_plugin_slurm' >/dev/null 2>&1; then
  make -C "$root" slurm-setup
fi

needed=(slurmctld slurmd sbatch squeue scontrol munged munge)
missing=()
for cmd in "${needed[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$cmd")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "install.sh: missing ${missing[*]}; installing the SLURM packages needs root" >&2
  exit 77
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install.sh: missing ${missing[*]}; no apt-get on this machine (Debian/Ubuntu only)" >&2
  exit 77
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  slurmctld slurmd slurm-client munge
