"""Remove Snakemake's directory lock if it was left by a run that was killed (kill -9, power loss).

Snakemake locks the working directory while it runs and removes the lock when it ends, even
after Ctrl-C; a killed run cannot, and the next run then refuses to start. This removes the lock
only when no Snakemake process is running in this directory, so a live run is never unlocked.
Run from the project root (`make all` does, before `snakemake --rerun-incomplete`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psutil


def snakemake_running_in(folder: Path) -> bool:
    """Whether any live process other than this one is a Snakemake run with `folder` as its cwd."""
    folder = folder.resolve()
    for proc in psutil.process_iter(["pid", "cmdline", "cwd"]):
        try:
            if proc.info["pid"] == os.getpid() or not proc.info["cmdline"]:
                continue
            command = " ".join(proc.info["cmdline"])
            if "snakemake" in command and proc.info["cwd"] and Path(proc.info["cwd"]) == folder:
                return True
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return False


def main() -> int:
    root = Path.cwd()
    locks = sorted((root / ".snakemake" / "locks").glob("*.lock"))
    if not locks:
        return 0
    if snakemake_running_in(root):
        print(f"{root}: Snakemake is running here; leaving its lock alone.", file=sys.stderr)
        return 0
    for lock in locks:
        lock.unlink(missing_ok=True)
    print(f"{root}: removed a stale Snakemake lock left by an interrupted run.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
