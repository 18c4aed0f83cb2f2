"""Incremental runs: a document nobody has annotated yet touches its shard, the corpus tables and
the manifest, never the ledger, charts, notebooks or report (the ledger shard, figtrace.shards)."""

from __future__ import annotations

import re

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
    assert ran(proc) == {"text_shard", "text", "mentions", "coverage", "sources", "manifest", "all"}
    assert {path: (project / path).stat().st_mtime_ns for path in LEDGER_OUTPUTS} == before
    viewer = project / "results/sources/new-article.html"
    assert "1,234" in viewer.read_text("utf-8")
    assert "new-article\tnew-article.html" in (project / "results/sources/shard-0.tsv").read_text()
    manifest = (project / "results/MANIFEST.sha256").read_text("utf-8")
    assert "  results/sources/new-article.html\n" in manifest
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
