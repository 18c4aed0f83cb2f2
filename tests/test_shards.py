"""Shards: stable, balanced, and one new document changes exactly one shard."""

from __future__ import annotations

import pytest

from conftest import run_snakemake
from figtrace.errors import FigtraceError
from figtrace.shards import assign, shard_of

IDS = [f"synth-{i:06d}" for i in range(1, 10_001)]


def test_shard_is_a_function_of_the_doc_id_alone():
    # Pinned values: a change here reshuffles every cached shard of every user.
    assert [shard_of(d, 8) for d in ("merseyside-before-the-harm", "synth-000001", "a")] == [
        0,
        4,
        4,
    ]
    assert assign(IDS, 8) == assign(list(reversed(IDS)), 8)
    assert all(0 <= shard_of(d, 8) < 8 for d in IDS)


def test_shards_are_balanced():
    sizes = [len(batch) for batch in assign(IDS, 8)]
    assert sum(sizes) == len(IDS)
    assert max(sizes) <= 1.1 * len(IDS) / 8
    assert min(sizes) >= 0.9 * len(IDS) / 8


def test_one_new_document_changes_exactly_one_shard():
    before = assign(IDS, 8)
    after = assign([*IDS, "a-new-article"], 8)
    changed = [i for i in range(8) if before[i] != after[i]]
    assert changed == [shard_of("a-new-article", 8)]
    assert "a-new-article" in after[changed[0]]


def test_one_shard_holds_everything():
    assert assign(IDS[:5], 1) == [sorted(IDS[:5])]


@pytest.mark.parametrize("shards", [0, -1])
def test_shards_must_be_positive(shards):
    with pytest.raises(FigtraceError, match="at least 1"):
        shard_of("x", shards)


def test_the_pipeline_rejects_a_shard_count_below_one(project):
    proc = run_snakemake(project, "--dry-run", "--config", "shards=0")
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "0 is less than the minimum of 1" in output and "shards" in output
    ok = run_snakemake(project, "--dry-run", "--config", "shards=3", check=True)
    assert "verify_documents" in ok.stdout + ok.stderr
    catalogues = sorted((project / ".snakemake/figtrace/shards/3").glob("*.tsv"))
    assert [p.name for p in catalogues] == ["0.tsv", "1.tsv", "2.tsv"]
    lines = [line for p in catalogues for line in p.read_text("utf-8").splitlines()]
    assert sorted(line.split()[0] for line in lines) == sorted(
        p.stem for p in (project / "data/raw/documents").glob("*.yaml")
    )
