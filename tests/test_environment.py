"""The environment: the conda file matches the lock, and CI runs the README's test command."""

from __future__ import annotations

import importlib.util
import re
from importlib import metadata

from conftest import ROOT

spec = importlib.util.spec_from_file_location("conda_env", ROOT / "workflow/scripts/conda_env.py")
conda_env = importlib.util.module_from_spec(spec)
spec.loader.exec_module(conda_env)


def test_conda_environment_is_generated_from_the_lock():
    expected = conda_env.render(ROOT / "requirements.lock")
    assert (ROOT / "envs/figtrace.yaml").read_text("utf-8") == expected, (
        "envs/figtrace.yaml is out of date: run `make lock` (or "
        "`python workflow/scripts/conda_env.py > envs/figtrace.yaml`)"
    )


def test_dev_lock_pins_the_same_versions_as_the_runtime_lock():
    runtime = dict(conda_env.pins(ROOT / "requirements.lock"))
    dev = dict(conda_env.pins(ROOT / "requirements-dev.lock"))
    assert {name: dev.get(name) for name in runtime} == runtime


def test_installed_versions_match_the_lock():
    mismatched = {}
    for name, version in conda_env.pins(ROOT / "requirements-dev.lock"):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            mismatched[name] = (version, installed)
    assert not mismatched, (
        f"installed packages differ from the lock (locked, installed): {mismatched}"
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
