"""Shared fixtures: the real project root, and throwaway copies of it for pipeline runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
# What a pipeline run needs from the checkout; outputs are never copied.
PROJECT_PARTS = ["Snakefile", "workflow", "config", "src", "data/raw", "envs", "notebooks"]


def copy_project(dest: Path) -> Path:
    """Copy the pipeline's inputs and code (not its outputs) into `dest`."""
    for part in PROJECT_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(
                src, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
            )
        elif src.exists():
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / part)
    return dest


def run_snakemake(project: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    """Run the pipeline in `project` with this interpreter's snakemake; return the finished process."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def edit_yaml(path: Path, change: Callable[[Any], object]) -> Any:
    """Load a YAML file, let `change` edit the data in place, write it back in key order; return it."""
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return data


def run_cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `python -m figtrace ARGS` in `project`, the way a user types it (its own src/)."""
    env = dict(os.environ)
    src = project / "src" if (project / "src").is_dir() else ROOT / "src"
    env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "figtrace", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the project's inputs and code, with no outputs yet."""
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project on which the whole pipeline has run once (shared, read-only).

    FIGTRACE_BUILT_PROJECT names one already built from this checkout's code instead (the
    mutation benchmark runs many test sessions and builds it once: bench/mutation.py)."""
    if os.environ.get("FIGTRACE_BUILT_PROJECT"):
        return Path(os.environ["FIGTRACE_BUILT_PROJECT"])
    dest = copy_project(tmp_path_factory.mktemp("built") / "project")
    run_snakemake(dest, check=True)
    return dest


# --- the browser: Debian's Chromium through Playwright -------------------------------------------
# One Playwright instance per worker: its sync API refuses to start inside the event loop that
# another instance of the same process still runs, so every browser test shares this one.
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The system Chromium; the tests skip, saying how to install it, when it is missing."""
    if not CHROMIUM.is_file():
        pytest.skip(
            f"no browser: {CHROMIUM} is missing; install it with `apt-get install -y chromium`"
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium: Path):
    """Headless Chromium for the whole worker session."""
    from playwright.sync_api import sync_playwright

    from figtrace.screenshots import CHROMIUM_ARGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser page (its own context) that records and dismisses every dialog."""
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    yield page
    context.close()
