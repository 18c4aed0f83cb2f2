"""Interrupted runs resume cleanly: a run killed half-way through a job's writes (kill -9 of the
whole process group, or Ctrl-C) is finished by the README's pipeline command, `make all`, which
leaves no temporary files and writes the same bytes as a clean run; the lock of a live run is
never removed.

The kill lands at a known point: `tests/stall/sitecustomize.py`, copied into the project copy's
src/ (which every job has on its PYTHONPATH), holds the report job just before it renames
report.md into place, after report.html is written (see that module). The Makefile's
`all` recipe is run by make itself, so what is tested is what a user types.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import ROOT, run_snakemake
from figtrace import outputs

pytestmark = pytest.mark.pipeline

STALL = ROOT / "tests" / "stall"
STALLED_OUTPUT = "report.md"  # the report job writes report.html, then report.md


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "FIGTRACE_TEST_STALL"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def _leftovers(project: Path) -> list[Path]:
    return [
        p for folder in ("data/processed", "results") for p in (project / folder).rglob("*.tmp")
    ]


def _locks(project: Path) -> list[Path]:
    return sorted((project / ".snakemake/locks").glob("*.lock"))


def _ctrl_c_as_from_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_stalled(project: Path) -> tuple[subprocess.Popen, Path]:
    """Start the pipeline in its own process group; return once the report job is held with
    report.html written and report.md's complete temporary file not yet renamed."""
    marker = project.parent / "stalled"
    # The rules put the project's own src/ on PYTHONPATH, so the hook goes there (in this copy).
    shutil.copy2(STALL / "sitecustomize.py", project / "src" / "sitecustomize.py")
    env = _env(FIGTRACE_TEST_STALL=f"{STALLED_OUTPUT}:{marker}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "2"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # as from a terminal: a test suite started in the background (`make test &`, nohup)
        # inherits SIGINT ignored, and the run with every job in it would then ignore Ctrl-C
        preexec_fn=_ctrl_c_as_from_a_terminal,
    )
    deadline = time.monotonic() + 900
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the pipeline ended ({proc.returncode}) before the report job")
        assert time.monotonic() < deadline, "the report job never reached its second write"
        time.sleep(0.05)
    results = project / "results"
    assert (results / "report.html").is_file()
    assert not (results / STALLED_OUTPUT).exists()
    assert list(results.glob(f".{STALLED_OUTPUT}.*.tmp")), "no temporary file mid-write"
    return proc, marker


def _signal_group(proc: subprocess.Popen, sig: signal.Signals) -> int:
    """Send `sig` to the run's whole process group; wait until every process of it is gone."""
    tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    assert len(tree) > 1, "no job process was running when the signal was sent"
    os.killpg(proc.pid, sig)
    try:
        code = proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        raise AssertionError(_hung(proc)) from None
    psutil.wait_procs(tree, timeout=60)
    assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    return code


def _hung(proc: subprocess.Popen) -> str:
    """What a run that did not end after its signal was still doing (then it is killed): its
    live processes and the end of Snakemake's log, for whoever reads the failure."""
    root = psutil.Process(proc.pid)
    lines = []
    for p in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            lines.append(f"  {p.pid} {p.status()}: {' '.join(p.cmdline())[:200]}")
    logs = []
    with contextlib.suppress(psutil.Error):
        logs = sorted(Path(root.cwd(), ".snakemake/log").glob("*.log"))
    tail = logs[-1].read_text("utf-8", "replace").splitlines()[-15:] if logs else []
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return "\n".join(["the run did not end 120 s after the signal; still running:", *lines,
                      "end of Snakemake's log:", *tail])  # fmt: skip


def _make_all(project: Path, makefile: Path = ROOT / "Makefile") -> subprocess.CompletedProcess:
    """`make all` with the project's Makefile, in `project`, using this interpreter's venv.

    `-o .venv/.installed` skips the set-up step (the environment is this one)."""
    shutil.copy2(makefile, project / "Makefile")
    return subprocess.run(
        ["make", "-o", ".venv/.installed", f"BIN={Path(sys.executable).parent}", "all"],
        cwd=project,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.fixture(scope="module")
def clean_manifest(built_project: Path) -> list[str]:
    return (built_project / "results/MANIFEST.sha256").read_text().splitlines()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_run_killed_mid_write_resumes_to_the_clean_result(project, clean_manifest, sig):
    proc, _ = _start_stalled(project)
    assert _signal_group(proc, sig) != 0
    assert not (project / "results/MANIFEST.sha256").exists()
    if sig == signal.SIGKILL:  # nothing could clean up: the lock and the half-written job remain
        assert _locks(project)
        assert (project / "results/report.html").is_file()
        assert _leftovers(project)

    done = _make_all(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not _leftovers(project)
    resumed = (project / "results/MANIFEST.sha256").read_text().splitlines()
    differing = sorted(set(resumed) ^ set(clean_manifest))
    assert not differing, "files that differ from a clean run:\n" + "\n".join(differing)
    again = run_snakemake(project, "--dry-run", check=True)
    assert "Nothing to be done" in again.stdout + again.stderr


def test_without_rerun_incomplete_a_killed_run_does_not_resume(project, tmp_path):
    """The control for the test above: the same kill, resumed by a recipe that runs Snakemake
    without --rerun-incomplete, does not reach the clean result."""
    recipe = (ROOT / "Makefile").read_text("utf-8")
    assert "--rerun-incomplete" in recipe
    broken = tmp_path / "Makefile"
    broken.write_text(recipe.replace(" --rerun-incomplete", ""), "utf-8")
    proc, _ = _start_stalled(project)
    _signal_group(proc, signal.SIGKILL)
    done = _make_all(project, broken)
    assert done.returncode != 0
    assert "incomplete" in done.stdout + done.stderr
    assert not (project / "results/MANIFEST.sha256").exists()


def test_a_live_run_is_never_unlocked(project):
    """unlock_stale.py leaves the lock of a running Snakemake alone; once that run is killed,
    the lock it left is removed."""
    proc, _ = _start_stalled(project)
    try:
        locks = _locks(project)
        assert locks, "a running Snakemake holds a lock"
        script = [sys.executable, "workflow/scripts/unlock_stale.py"]
        live = subprocess.run(script, cwd=project, env=_env(), capture_output=True, text=True)
        assert live.returncode == 0
        assert "Snakemake is running here" in live.stderr
        assert _locks(project) == locks
        # a second run in the same folder is still refused: the lock still works
        second = run_snakemake(project, "--rerun-incomplete")
        assert second.returncode != 0
        assert "cannot be locked" in second.stdout + second.stderr
    finally:
        _signal_group(proc, signal.SIGKILL)
    assert _locks(project) == locks, "kill -9 leaves the lock behind"
    stale = subprocess.run(script, cwd=project, env=_env(), capture_output=True, text=True)
    assert stale.returncode == 0 and "removed a stale Snakemake lock" in stale.stderr
    assert _locks(project) == []


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
