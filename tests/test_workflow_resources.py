"""Every rule sizes its jobs (threads, mem_mb, runtime), and both run profiles are valid options."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_snakemake

# Loads the workflow through Snakemake's API in a child process (Snakemake keeps global state)
# and prints, per rule, what the rule itself declares: no default resources are applied.
LOAD_RULES = """
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import OutputSettings, ResourceSettings

with SnakemakeApi(OutputSettings(quiet=None)) as api:
    workflow = api.workflow(
        resource_settings=ResourceSettings(), snakefile=Path("Snakefile"), workdir=Path(".")
    )._workflow
    rules = []
    for rule in workflow.rules:
        declared = rule.ruleinfo.resources[1] if rule.ruleinfo.resources else {}
        rules.append({
            "name": rule.name,
            "runs": not rule.norun,
            "local": rule.name in workflow._localrules,
            "threads": None if rule.ruleinfo.threads is None else repr(rule.ruleinfo.threads),
            "resources": {key: repr(value) for key, value in declared.items()},
        })
json.dump(rules, sys.stdout)
"""


@pytest.fixture(scope="module")
def rules() -> list[dict]:
    proc = subprocess.run(
        [sys.executable, "-c", LOAD_RULES], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_workflow_loads_every_rule_snakemake_lists(rules):
    listed = subprocess.run(
        [sys.executable, "-m", "snakemake", "--list-rules"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listed.returncode == 0, listed.stderr
    assert sorted(r["name"] for r in rules) == sorted(listed.stdout.split())
    assert any(r["runs"] for r in rules)


def test_every_rule_that_runs_declares_threads_mem_mb_and_runtime(rules):
    # A rule without a shell/script (a target such as `all`) never becomes a job.
    missing = {
        r["name"]: [
            what
            for what, ok in [
                ("threads", r["threads"] is not None),
                ("mem_mb", "mem_mb" in r["resources"]),
                ("runtime", "runtime" in r["resources"]),
            ]
            if not ok
        ]
        for r in rules
        if r["runs"]
    }
    missing = {name: what for name, what in missing.items() if what}
    assert not missing, (
        f"rules without a job size (declare `threads:` and `resources: mem_mb=..., "
        f"runtime=...`, measured): {missing}"
    )


def test_targets_that_do_nothing_stay_local(rules):
    assert "all" in {r["name"] for r in rules if r["local"]}


@pytest.mark.parametrize("profile", ["default", "slurm"])
def test_profile_is_valid_and_applies_the_declared_resources(project: Path, profile: str):
    # The slurm profile's keys are the executor plugin's options: without it they are unknown.
    if profile == "slurm" and importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.skip(
            "no SLURM executor plugin: snakemake-executor-plugin-slurm (the slurm extra) is not "
            "installed; install it with `make slurm-setup`, then re-run"
        )
    # An unknown key in a profile is an "unrecognized arguments" error, even in a dry run.
    proc = run_snakemake(project, "--dry-run", "--profile", f"workflow/profiles/{profile}")
    assert proc.returncode == 0, proc.stderr
    assert "rule manifest:" in proc.stdout + proc.stderr
    assert "mem_mb=500" in proc.stdout + proc.stderr


def test_slurm_profile_works_without_an_accounting_database():
    settings = yaml.safe_load((ROOT / "workflow/profiles/slurm/config.yaml").read_text("utf-8"))
    assert settings["executor"] == "slurm"
    # sacct (the plugin's default when installed) hangs a run forever without slurmdbd.
    assert settings["slurm-status-command"] == "squeue"
    # The cluster must keep finished jobs visible for 3x this (MinJobAge, see slurm.conf.in).
    assert 3 * settings["slurm-init-seconds-before-status-checks"] <= 300
    # The workflow profile is loaded too and wins on shared keys, so none may be shared.
    default = yaml.safe_load((ROOT / "workflow/profiles/default/config.yaml").read_text("utf-8"))
    assert not set(default) & set(settings)
