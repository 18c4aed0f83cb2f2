"""Reproducibility: two clean runs in two places write byte-identical outputs (same manifest)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conftest import copy_project, run_snakemake

pytestmark = pytest.mark.pipeline


def _manifest(project: Path) -> list[tuple[str, str]]:
    lines = (project / "results/MANIFEST.sha256").read_text("utf-8").splitlines()
    return [tuple(line.split("  ", 1)) for line in lines]


def test_two_clean_runs_write_the_same_bytes(tmp_path):
    runs = [copy_project(tmp_path / name) for name in ("first", "second")]
    for project in runs:
        run_snakemake(project, check=True)
    first, second = (_manifest(project) for project in runs)
    assert first == second
    paths = [path for _, path in first]
    assert paths == sorted(paths)
    assert "data/processed/documents.parquet" in paths
    assert "results/MANIFEST.sha256" not in paths
    for digest, path in first:
        assert hashlib.sha256((runs[0] / path).read_bytes()).hexdigest() == digest
    written = {
        p.relative_to(runs[0]).as_posix()
        for folder in ("data/processed", "results")
        for p in (runs[0] / folder).rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    assert written - {"results/MANIFEST.sha256"} == set(paths)
