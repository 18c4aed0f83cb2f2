"""The whole pipeline on a real single-node SLURM cluster, through Snakemake's executor plugin.

The cluster (munged, slurmctld, slurmd) is started by workflow/scripts/slurm/start.sh for this
module and stopped by PID afterwards. It needs root and Debian's SLURM packages; without them the
tests skip and say what to run (`workflow/scripts/slurm/install.sh`); they also skip without
Snakemake's SLURM executor plugin, an extra the default .venv leaves out (`make slurm-setup`).
`make test` never installs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT, copy_project, run_snakemake

# One cluster per test session: under pytest-xdist's loadgroup both tests go to one worker.
pytestmark = [pytest.mark.slurm, pytest.mark.xdist_group("slurm")]

SCRIPTS = ROOT / "workflow" / "scripts" / "slurm"
DAEMONS = ("munged", "slurmctld", "slurmd")
TIMEOUT = 420  # seconds for one cluster run of the pipeline; SIGINT after that
SUBMITTED = re.compile(r"Job \d+ has been submitted with SLURM jobid (\d+) \(log: (.+?)\)\.")
PROBE = """

rule slurm_probe:
    input:
        f"{PROCESSED}/documents.parquet",
    output:
        "results/slurm_probe.txt",
    log:
        "logs/slurm_probe.log",
    threads: 1
    resources:
        mem_mb=100,
        runtime=1,
    shell:
        "echo probe failing on purpose > {log}; exit 3"
"""


@dataclass
class Cluster:
    directory: Path
    pids: dict[str, int]

    def env(self) -> dict[str, str]:
        """The environment for Snakemake: this cluster's client wrappers first on PATH."""
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join(
            [str(self.directory / "bin"), str(Path(sys.executable).parent), env.get("PATH", "")]
        )
        return env

    def squeue_state(self, job_id: str) -> str:
        proc = subprocess.run(
            [str(self.directory / "bin" / "squeue"), "-h", "-t", "all", "-j", job_id, "-o", "%T"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return proc.stdout.strip()


def _alive(name: str, pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == name
    except OSError:
        return False


def _recorded_pids(directory: Path) -> dict[str, int]:
    pids = {}
    for name in DAEMONS:
        path = directory / "run" / "pids" / name
        if path.exists() and path.read_text().strip():
            pids[name] = int(path.read_text())
    return pids


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _missing_slurm() -> list[str]:
    """The SLURM and munge commands this machine lacks (what install.sh would install)."""
    return [
        cmd
        for cmd in ("slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "munged", "munge")
        if not shutil.which(cmd) and not Path("/usr/sbin", cmd).exists()
    ]


def _start(directory: Path) -> subprocess.CompletedProcess:
    """start.sh on two ports that were free a moment ago. Another program may take one in
    between (nothing can hold a port for a daemon not yet started), so a start whose daemon
    could not bind is stopped and tried again on other ports."""
    for _ in range(3):
        env = dict(os.environ)
        env["FIGTRACE_SLURM_CTLD_PORT"] = str(_free_port())
        env["FIGTRACE_SLURM_SLURMD_PORT"] = str(_free_port())
        # Keep finished jobs visible to squeue for the whole session (0: never purge), so a
        # state check after a long run cannot find a job already forgotten (MinJobAge).
        env["FIGTRACE_SLURM_MIN_JOB_AGE"] = "0"
        start = subprocess.run(
            [str(SCRIPTS / "start.sh"), str(directory)],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        logs = " ".join(p.read_text(errors="replace") for p in (directory / "log").glob("*"))
        if start.returncode == 0 or "Address already in use" not in logs:
            return start
        subprocess.run([str(SCRIPTS / "stop.sh"), str(directory)], capture_output=True, timeout=120)
        for log in (directory / "log").glob("*"):
            log.unlink()
        (directory / "etc" / "slurm.conf").unlink(missing_ok=True)
    return start


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if os.geteuid() != 0:
        pytest.skip("no cluster: starting the single-node SLURM cluster needs root")
    missing = _missing_slurm()
    if missing:
        pytest.skip(
            f"no cluster: {', '.join(missing)} missing; install SLURM with "
            "`workflow/scripts/slurm/install.sh` (as root), then re-run"
        )
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.skip(
            "no SLURM executor plugin: snakemake-executor-plugin-slurm (the slurm extra) is not "
            "installed; install it with `make slurm-setup`, then re-run"
        )

    # Short path (the munge socket must fit in 108 bytes); free ports beside any other cluster.
    directory = Path(tempfile.mkdtemp(prefix="figtrace-slurm-", dir="/tmp"))
    pids: dict[str, int] = {}
    try:
        start = _start(directory)
        pids = _recorded_pids(directory)
        assert start.returncode == 0, f"start.sh failed:\n{start.stdout}\n{start.stderr}"
        assert set(pids) == set(DAEMONS) and all(_alive(n, p) for n, p in pids.items())
        yield Cluster(directory, pids)
    finally:
        pids.update(_recorded_pids(directory))
        stop = subprocess.run(
            [str(SCRIPTS / "stop.sh"), str(directory)], capture_output=True, text=True, timeout=120
        )
        survivors = {name: pid for name, pid in pids.items() if _alive(name, pid)}
        for pid in survivors.values():
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(directory, ignore_errors=True)
        assert not survivors, (
            f"stop.sh left daemons running: {survivors}\n{stop.stdout}{stop.stderr}"
        )
        assert stop.returncode == 0, stop.stdout + stop.stderr


def run_on_cluster(cluster: Cluster, project: Path, *targets: str) -> subprocess.CompletedProcess:
    """Run Snakemake with the slurm profile; on timeout interrupt it (SIGINT cancels its jobs)."""
    args = [sys.executable, "-m", "snakemake", "--profile", "workflow/profiles/slurm", *targets]
    with subprocess.Popen(
        args,
        cwd=project,
        env=cluster.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
            pytest.fail(f"snakemake on SLURM took over {TIMEOUT} s; interrupted:\n{out}\n{err}")
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def submissions(proc: subprocess.CompletedProcess) -> dict[str, Path]:
    """SLURM job id -> its SLURM log, as the executor plugin reported each submission."""
    return {jid: Path(log) for jid, log in SUBMITTED.findall(proc.stdout + proc.stderr)}


def cluster_rules(proc: subprocess.CompletedProcess) -> set[str]:
    """Rules Snakemake started as cluster jobs (local ones print `localrule NAME:`)."""
    return set(re.findall(r"^rule (\w+):$", proc.stdout + proc.stderr, re.M))


def log_rule(log: Path, logs: Path) -> str:
    """The rule of a plugin log: .snakemake/slurm_logs/rule_NAME[/WILDCARDS]/JOBID.log."""
    return next(p for p in log.relative_to(logs).parts if p.startswith("rule_")).removeprefix(
        "rule_"
    )


def output_hashes(project: Path) -> dict[str, str]:
    """sha256 of every file the pipeline wrote under data/processed and results."""
    hashes = {}
    for folder in ("data/processed", "results"):
        for path in sorted((project / folder).rglob("*")):
            if path.is_file() and path.name != ".gitkeep":
                hashes[str(path.relative_to(project))] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
    return hashes


def test_pipeline_runs_on_slurm_with_the_same_bytes_as_locally(cluster, tmp_path):
    project = copy_project(tmp_path / "project")
    proc = run_on_cluster(cluster, project)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    jobs = submissions(proc)
    assert jobs, f"no job was submitted to SLURM:\n{proc.stderr}"
    rules = cluster_rules(proc)
    assert "text_shard" in rules
    # every rule that ran as a job went through sbatch and left its SLURM log in the plugin's
    # per-rule folder; SLURM itself (squeue; this cluster never purges finished jobs) saw it finish
    logs = project / ".snakemake" / "slurm_logs"
    logged_rules = {log_rule(log, logs) for log in jobs.values()}
    assert logged_rules == rules
    for jid, log in jobs.items():
        assert logs in log.parents
        assert log.name == f"{jid}.log" and log.is_file()
        assert cluster.squeue_state(jid) == "COMPLETED"

    on_cluster = output_hashes(project)
    assert "data/processed/documents.parquet" in on_cluster

    local = run_snakemake(project, "--forceall")
    assert local.returncode == 0, local.stderr
    assert not submissions(local)
    assert output_hashes(project) == on_cluster


def test_failed_job_names_rule_job_and_log_and_rerun_keeps_finished_work(cluster, tmp_path):
    project = copy_project(tmp_path / "project")
    with (project / "Snakefile").open("a", encoding="utf-8") as snakefile:
        snakefile.write(PROBE)

    # --keep-going: every other job finishes, so the re-run below has only the probe left to do
    failed = run_on_cluster(cluster, project, "all", "slurm_probe", "--keep-going")
    assert failed.returncode != 0
    jobs = submissions(failed)
    logs = project / ".snakemake" / "slurm_logs"
    probe_job = next(jid for jid, log in jobs.items() if log_rule(log, logs) == "slurm_probe")
    error = (failed.stdout + failed.stderr).split("Error in rule slurm_probe:", 1)
    assert len(error) == 2, failed.stderr
    report = error[1]
    assert f"SLURM-job '{probe_job}' failed" in report
    assert "logs/slurm_probe.log" in report
    assert str(jobs[probe_job]) in report
    assert "probe failing on purpose" in (project / "logs/slurm_probe.log").read_text()
    assert cluster.squeue_state(probe_job) == "FAILED"
    verified = project / "data/processed/documents.parquet"
    assert verified.is_file()
    verified_at = verified.stat().st_mtime_ns

    # fix the rule: only it runs again
    snakefile = project / "Snakefile"
    snakefile.write_text(
        snakefile.read_text("utf-8").replace("exit 3", "cp {input} {output}"), "utf-8"
    )
    fixed = run_on_cluster(cluster, project, "all", "slurm_probe")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert cluster_rules(fixed) == {"slurm_probe"}
    assert len(submissions(fixed)) == 1
    assert verified.stat().st_mtime_ns == verified_at
    assert (project / "results/slurm_probe.txt").read_bytes() == verified.read_bytes()
