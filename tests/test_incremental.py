"""Incremental runs: a document nobody has annotated yet touches its shard, the corpus tables and
the manifest, never the ledger, charts, notebooks or report (the ledger shard, figtrace.shards)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pandas as pd
import pytest

from conftest import run_cli, run_snakemake

pytestmark = pytest.mark.pipeline

LEDGER_OUTPUTS = [
    "data/processed/figures.parquet",
    "data/processed/checks.parquet",
    "results/charts/index.json",
    "results/notebooks/explore.html",
    "results/notebooks/provenance.html",
    "results/report.html",
    "results/audit.json",
    "results/sources/merseyside-before-the-harm.html",
]


def ran(proc) -> set[str]:
    """The rules Snakemake ran, from its log."""
    return set(re.findall(r"^(?:local)?rule (\w+):", proc.stdout + proc.stderr, re.M))


def test_an_unannotated_document_reruns_its_shard_and_not_the_ledger(project, tmp_path):
    run_snakemake(project, check=True)
    before = {path: (project / path).stat().st_mtime_ns for path in LEDGER_OUTPUTS}
    source = tmp_path / "new.txt"
    source.write_text("Police said 1,234 children were referred in 2019.\n", "utf-8")
    added = run_cli(project, "add", str(source), "--title", "New", "--id", "new-article")
    assert added.returncode == 0, added.stderr

    proc = run_snakemake(project, check=True)
    assert ran(proc) == {"shard", "text", "mentions", "coverage", "manifest", "all"}
    assert {path: (project / path).stat().st_mtime_ns for path in LEDGER_OUTPUTS} == before
    viewer = project / "results/sources/new-article.html"
    assert "1,234" in viewer.read_text("utf-8")
    assert "new-article\tnew-article.html" in (project / "results/sources/shard-0.tsv").read_text()
    # the shard only gained a document: the corpus's doc_ids are not read to sweep viewers
    shard_log = (project / "logs/shards/0.log").read_text("utf-8")
    assert "1 viewers written" in shard_log and "doc_ids read" not in shard_log
    manifest = (project / "results/MANIFEST.sha256").read_text("utf-8")
    # the viewer's digest as its job recorded it, and the file's own
    digest = hashlib.sha256(viewer.read_bytes()).hexdigest()
    assert f"{digest}  results/sources/new-article.html\n" in manifest
    documents = pd.read_parquet(project / "data/processed/documents.parquet")
    assert "new-article" in set(documents["doc_id"])

    # removing it again takes its viewer with it
    for path in (project / "data/raw/documents").glob("new-article.*"):
        path.unlink()
    proc = run_snakemake(project, check=True)
    assert "figures" not in ran(proc) and "report" not in ran(proc)
    assert not viewer.exists()
    manifest = (project / "results/MANIFEST.sha256").read_text("utf-8")
    assert "new-article" not in manifest


def test_a_start_with_nothing_to_do_imports_no_pandas(built_project):
    """What a no-change start costs is Snakemake's own: pandas (about 0.5 s) is imported by
    neither the Snakefile, nor Snakemake's params records (common.smk), nor, in the default
    environment, the SLURM executor plugin (the `slurm` extra, `make slurm-setup`)."""
    if find_spec("snakemake_executor_plugin_slurm") is not None:
        pytest.skip("the SLURM executor plugin is installed (make slurm-setup): it imports pandas")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "snakemake", "--cores", "2"],
        cwd=built_project, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0 and "Nothing to be done" in proc.stdout + proc.stderr, proc.stderr
    imported = set(re.findall(r"\|\s+(\S+)$", proc.stderr, re.M))
    assert "snakemake.persistence" in imported  # the trace is there
    assert not {"pandas", "pyarrow"} & imported  # (numpy comes with Snakemake's report: 0.05 s)
