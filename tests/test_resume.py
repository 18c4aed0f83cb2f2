"""Interrupted runs resume cleanly: after Ctrl-C (SIGINT) or kill -9 of the whole process group,
a re-run completes, leaves no temporary files, and writes the same bytes as a clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import ROOT, copy_project, run_cli, run_snakemake
from figtrace import outputs

pytestmark = pytest.mark.pipeline

CORPUS = "synth-corpus"
N_DOCS = "3000"


def _project_with_corpus(dest: Path) -> Path:
    project = copy_project(dest)
    proc = run_cli(project, "synth", "--n", N_DOCS, "--out", CORPUS, "--seed", "11")
    assert proc.returncode == 0, proc.stderr
    return project


def _leftovers(project: Path) -> list[Path]:
    return [
        p for folder in ("data/processed", "results") for p in (project / folder).rglob("*.tmp")
    ]


def _interrupt(project: Path, sig: signal.Signals) -> int:
    """Start the pipeline, wait until a long job (charts, several seconds) is running, then send
    `sig` to the whole process group: earlier stages are done, later ones not started."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "2", "--config", f"raw_dir={CORPUS}"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    job_log = project / "logs/charts.log"
    deadline = time.monotonic() + 600
    while not job_log.exists():
        assert proc.poll() is None, "the pipeline ended before the charts job started"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(1.0)  # inside the job: matplotlib imported or importing, nothing written yet
    tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    assert len(tree) > 1, "no job process was running when the signal was sent"
    os.killpg(proc.pid, sig)
    code = proc.wait(timeout=120)
    psutil.wait_procs(tree, timeout=60)
    assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    return code


def _make_all(project: Path) -> None:
    """Run the recipe of the README's pipeline command (`make all`), line by line, on the corpus."""
    makefile = (ROOT / "Makefile").read_text("utf-8")
    recipe = makefile.split("\nall:", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    lines = [line.strip().replace("$(CORES)", "2") for line in recipe if line.startswith("\t")]
    assert any("--rerun-incomplete" in line for line in lines)
    for line in lines:
        if line.startswith("snakemake"):
            line += f" --config raw_dir={CORPUS}"
        proc = subprocess.run(
            line, shell=True, cwd=project, env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, f"{line}:\n{proc.stdout}\n{proc.stderr}"


@pytest.fixture(scope="module")
def clean_manifest(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    project = _project_with_corpus(tmp_path_factory.mktemp("clean") / "project")
    run_snakemake(project, "--config", f"raw_dir={CORPUS}", check=True)
    return (project / "results/MANIFEST.sha256").read_bytes()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_interrupted_run_resumes_to_the_clean_result(tmp_path, clean_manifest, sig):
    project = _project_with_corpus(tmp_path / "project")
    code = _interrupt(project, sig)
    assert code != 0
    assert not (project / "results/MANIFEST.sha256").exists()
    _make_all(project)
    assert not _leftovers(project)
    resumed = (project / "results/MANIFEST.sha256").read_bytes().decode().splitlines()
    differing = sorted(set(resumed) ^ set(clean_manifest.decode().splitlines()))
    assert not differing, "files that differ from a clean run:\n" + "\n".join(differing)
    again = run_snakemake(project, "--dry-run", "--config", f"raw_dir={CORPUS}", check=True)
    assert "Nothing to be done" in again.stdout + again.stderr


def test_next_write_removes_a_killed_writers_temporary_file(tmp_path):
    target = tmp_path / "table.parquet"
    stale = tmp_path / ".table.parquet.k1ll3d.tmp"
    stale.write_bytes(b"half a file")
    other = tmp_path / ".other.parquet.k1ll3d.tmp"
    other.write_bytes(b"someone else's")
    outputs.write_bytes(target, b"whole")
    assert target.read_bytes() == b"whole"
    assert not stale.exists()
    assert other.exists()
