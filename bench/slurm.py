"""Time the whole pipeline locally and on a single-node SLURM cluster, on the same project copy.

    python bench/slurm.py [--runs 3] [--n 5] [--cluster DIR]

--n 5 (the default) runs on the five real documents; a larger N on a `figtrace synth` corpus.

Without --cluster it starts a cluster with workflow/scripts/slurm/start.sh in a temporary
directory (root; the Debian packages must be installed: install.sh) and stops it by PID at the
end. Needs Snakemake's SLURM executor plugin, the slurm extra (`make slurm-setup`). Prints the median of each and the SLURM overhead (difference and ratio).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "workflow" / "scripts" / "slurm"
sys.path.insert(0, str(ROOT / "tests"))

from conftest import copy_project  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def outputs(project: Path) -> dict[str, str]:
    return {
        str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in ("data/processed", "results")
        for p in sorted((project / folder).rglob("*"))
        if p.is_file() and p.name != ".gitkeep"
    }


def timed_run(project: Path, env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "snakemake", "--forceall", *args],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=1800,
    )
    return time.perf_counter() - start


def bench(cluster: Path, runs: int, n: int = 5) -> None:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(
        [str(cluster / "bin"), str(Path(sys.executable).parent), env.get("PATH", "")]
    )
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        corpus: tuple[str, ...] = ()
        if n != 5:
            synth = [sys.executable, "-m", "figtrace", "synth", "--n", str(n), "--out", "corpus"]
            subprocess.run(synth, cwd=project, env={**env, "PYTHONPATH": str(project / "src")},
                           check=True, stdout=subprocess.DEVNULL)  # fmt: skip
            corpus = ("--config", "raw_dir=corpus")
        local, slurm = [], []
        for _ in range(runs):
            local.append(timed_run(project, env, "--cores", "2", *corpus))
            expected = outputs(project)
            slurm.append(timed_run(project, env, "--profile", "workflow/profiles/slurm", *corpus))
            assert outputs(project) == expected, "SLURM run wrote different bytes"
    loc, slu = statistics.median(local), statistics.median(slurm)
    print(f"N = {n:,} documents; runs: {runs} (each --forceall, same project copy)")
    print(f"local (--cores 2):       median {loc:6.1f} s  {[round(t, 1) for t in local]}")
    print(f"slurm (--profile slurm): median {slu:6.1f} s  {[round(t, 1) for t in slurm]}")
    print(f"SLURM overhead: +{slu - loc:.1f} s, ratio {slu / loc:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--n", type=int, default=5, help="documents (5: the real ones)")
    parser.add_argument("--cluster", type=Path, help="directory of a running start.sh cluster")
    args = parser.parse_args()
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        sys.exit("snakemake-executor-plugin-slurm is not installed: run `make slurm-setup`")
    if args.cluster:
        bench(args.cluster.resolve(), args.runs, args.n)
        return
    directory = Path(tempfile.mkdtemp(prefix="figtrace-slurm-", dir="/tmp"))
    env = dict(os.environ)
    env["FIGTRACE_SLURM_CTLD_PORT"] = str(free_port())
    env["FIGTRACE_SLURM_SLURMD_PORT"] = str(free_port())
    try:
        subprocess.run([str(SCRIPTS / "start.sh"), str(directory)], env=env, check=True)
        bench(directory, args.runs, args.n)
    finally:
        subprocess.run([str(SCRIPTS / "stop.sh"), str(directory)], check=False)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
