"""The environment: locks and the conda file agree with pyproject.toml for every supported Python,
the Makefile picks a supported Python, and CI runs the README's test command."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from importlib import metadata

import pytest
import yaml
from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from conftest import ROOT

spec = importlib.util.spec_from_file_location("conda_env", ROOT / "workflow/scripts/conda_env.py")
conda_env = importlib.util.module_from_spec(spec)
spec.loader.exec_module(conda_env)

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
REQUIRES_PYTHON = SpecifierSet(PYPROJECT["requires-python"])
# Every minor version requires-python admits (3.11, 3.12, 3.13 today): each must resolve.
PYTHONS = [f"3.{minor}" for minor in range(6, 30) if f"3.{minor}.0" in REQUIRES_PYTHON]
RUNTIME = [Requirement(text) for text in PYPROJECT["dependencies"]]
DEV = RUNTIME + [Requirement(text) for text in PYPROJECT["optional-dependencies"]["dev"]]
SLURM = RUNTIME + [Requirement(text) for text in PYPROJECT["optional-dependencies"]["slurm"]]
LOCKS = ("requirements.lock", "requirements-dev.lock", "requirements-slurm.lock")
# Snakemake imports every installed executor plugin at each start; this one imports pandas.
SLURM_PLUGINS = {"snakemake-executor-plugin-slurm", "snakemake-executor-plugin-slurm-jobstep"}


def environment(python: str) -> dict[str, str]:
    """Marker values for a Linux x86_64 CPython of the given minor version."""
    env = default_environment()
    env.update(
        python_version=python,
        python_full_version=f"{python}.0",
        sys_platform="linux",
        platform_system="Linux",
        platform_machine="x86_64",
        os_name="posix",
        implementation_name="cpython",
        platform_python_implementation="CPython",
    )
    return env


def resolved(pinned: list[tuple[str, str, str]], python: str) -> dict[str, str]:
    """{name: version} that pip installs from `pinned` on `python`; one version per name."""
    env = environment(python)
    out: dict[str, str] = {}
    for name, version, marker in pinned:
        if marker and not Marker(marker).evaluate(env):
            continue
        name = canonicalize_name(name)
        assert name not in out, f"{name} is pinned twice for Python {python}"
        out[name] = version
    return out


def conda_pinned() -> list[tuple[str, str, str]]:
    """(name, version, marker) for every pip entry of envs/figtrace.yaml."""
    dependencies = yaml.safe_load((ROOT / "envs/figtrace.yaml").read_text("utf-8"))["dependencies"]
    entries = next(item["pip"] for item in dependencies if isinstance(item, dict))
    out = []
    for entry in entries:
        pin, _, marker = entry.partition(";")
        name, _, version = pin.strip().partition("==")
        out.append((name, version, marker.strip()))
    return out


def unmet(requirements: list[Requirement], pins: dict[str, str], python: str) -> list[str]:
    """The requirements (that apply on `python`) missing from `pins` or pinned outside their range."""
    env = environment(python)
    problems = []
    for requirement in requirements:
        if requirement.marker and not requirement.marker.evaluate(env):
            continue
        version = pins.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement} is not pinned")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement} is pinned at {version}")
    return problems


def test_supported_pythons_are_3_11_to_3_13():
    assert PYTHONS == ["3.11", "3.12", "3.13"]
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in PYTHONS
    classifiers = [c.rsplit(" :: ", 1)[1] for c in PYPROJECT["classifiers"] if "Python :: 3." in c]
    assert classifiers == PYTHONS


@pytest.mark.parametrize("python", PYTHONS)
def test_runtime_lock_satisfies_pyproject(python):
    pins = resolved(conda_env.pinned(ROOT / "requirements.lock"), python)
    assert not unmet(RUNTIME, pins, python), "requirements.lock is out of date: run `make lock`"


@pytest.mark.parametrize("python", PYTHONS)
def test_dev_lock_satisfies_pyproject_and_agrees_with_the_runtime_lock(python):
    runtime = resolved(conda_env.pinned(ROOT / "requirements.lock"), python)
    dev = resolved(conda_env.pinned(ROOT / "requirements-dev.lock"), python)
    assert not unmet(DEV, dev, python), "requirements-dev.lock is out of date: run `make lock`"
    assert {name: dev.get(name) for name in runtime} == runtime


@pytest.mark.parametrize("python", PYTHONS)
def test_slurm_lock_satisfies_pyproject_and_agrees_with_the_other_locks(python):
    runtime = resolved(conda_env.pinned(ROOT / "requirements.lock"), python)
    dev = resolved(conda_env.pinned(ROOT / "requirements-dev.lock"), python)
    slurm = resolved(conda_env.pinned(ROOT / "requirements-slurm.lock"), python)
    assert not unmet(SLURM, slurm, python), (
        "requirements-slurm.lock is out of date: run `make lock`"
    )
    assert {name: slurm.get(name) for name in runtime} == runtime
    # `make slurm-setup` installs it on top of the dev environment: it must change no pin there
    assert {name: dev[name] for name in slurm if name in dev} == {
        name: version for name, version in slurm.items() if name in dev
    }


def test_default_locks_leave_out_the_slurm_executor_plugin():
    """A plain Snakemake start must not import the plugin (and pandas with it): only
    requirements-slurm.lock (`make slurm-setup`) installs it."""
    for lock in ("requirements.lock", "requirements-dev.lock"):
        names = {name for name, _, _ in conda_env.pinned(ROOT / lock)}
        assert not names & SLURM_PLUGINS, f"{lock} pins {names & SLURM_PLUGINS}: run `make lock`"
    assert not {name for name, _, _ in conda_pinned()} & SLURM_PLUGINS
    slurm = {name for name, _, _ in conda_env.pinned(ROOT / "requirements-slurm.lock")}
    assert slurm >= SLURM_PLUGINS


@pytest.mark.parametrize("python", PYTHONS)
def test_conda_environment_satisfies_pyproject(python):
    pins = resolved(conda_pinned(), python)
    assert not unmet(RUNTIME, pins, python), "envs/figtrace.yaml is out of date: run `make lock`"
    assert pins == resolved(conda_env.pinned(ROOT / "requirements.lock"), python)


def test_every_lock_line_is_hashed():
    for lock in LOCKS:
        text = (ROOT / lock).read_text("utf-8")
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
        for block in blocks:
            assert "--hash=sha256:" in block, f"{lock}: no hash for {block.splitlines()[0]}"


def test_conda_environment_is_generated_from_the_lock():
    expected = conda_env.render(ROOT / "requirements.lock")
    assert (ROOT / "envs/figtrace.yaml").read_text("utf-8") == expected, (
        "envs/figtrace.yaml is out of date: run `make lock` (or "
        "`python workflow/scripts/conda_env.py > envs/figtrace.yaml`)"
    )
    assert f'"python{PYPROJECT["requires-python"]}"' in expected


def test_makefile_accepts_exactly_the_supported_pythons():
    makefile = (ROOT / "Makefile").read_text("utf-8")
    low, high = re.search(
        r"^SUPPORTED := .*\(3, (\d+)\) <= sys\.version_info\[:2\] <= \(3, (\d+)\)", makefile, re.M
    ).groups()
    assert [f"3.{minor}" for minor in range(int(low), int(high) + 1)] == PYTHONS


def test_installed_versions_match_the_lock():
    """The dev lock, and the slurm lock too when its extra is installed on top (make slurm-setup)."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    env = default_environment()
    pinned = conda_env.pinned(ROOT / "requirements-dev.lock")
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is not None:
        pinned += conda_env.pinned(ROOT / "requirements-slurm.lock")
    mismatched = {}
    for name, version, marker in pinned:
        if marker and not Marker(marker).evaluate(env):
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            mismatched[name] = (version, installed)
    assert not mismatched, (
        f"installed packages differ from the lock on Python {python} (locked, installed): "
        f"{mismatched}; run `make setup`"
    )


def test_ci_runs_the_readme_test_command():
    ci = [
        line
        for line in (ROOT / ".ci/run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ci[-1] == "make test"
    readme = (ROOT / "README.md").read_text("utf-8")
    assert re.search(r"^make test\b", readme, re.M)
    assert re.search(r"^make all\b", readme, re.M)


def test_every_rule_declares_input_output_log_and_no_run_block():
    for smk in sorted((ROOT / "workflow/rules").glob("*.smk")):
        text = smk.read_text("utf-8")
        assert not re.search(r"^\s+run:", text, re.M), f"{smk.name} has a run: block"
        for rule in re.split(r"^(?=(?:rule|checkpoint) )", text, flags=re.M)[1:]:
            name = rule.split()[1].rstrip(":")
            if name == "all":
                continue
            for directive in ("input:", "output:", "log:"):
                assert directive in rule, f"rule {name} in {smk.name} has no {directive}"
