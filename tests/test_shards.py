"""Shards: stable, balanced, and one new document changes exactly one shard."""

from __future__ import annotations

import re

import pytest

from conftest import run_snakemake
from figtrace.errors import FigtraceError
from figtrace.shards import (
    LEDGER,
    assign,
    corpus_files,
    plan,
    remove_stale,
    shard_count,
    shard_ids,
    shard_of,
)

IDS = [f"synth-{i:06d}" for i in range(1, 10_001)]


def test_shard_is_a_function_of_the_doc_id_alone():
    # Pinned values: a change here reshuffles every cached shard of every user.
    assert [shard_of(d, 8) for d in ("merseyside-before-the-harm", "synth-000001", "a")] == [
        3,
        6,
        3,
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


def test_annotated_documents_form_the_ledger_shard():
    batches = plan(IDS, 8, annotated=["synth-000007", "not-in-the-corpus"])
    assert list(batches) == shard_ids(8) == [LEDGER, *map(str, range(8))]
    assert batches[LEDGER] == ["synth-000007"]
    assert sorted(d for batch in batches.values() for d in batch) == sorted(IDS)
    # annotating a document moves it to the ledger shard and changes only its former shard
    before = plan(IDS, 8, annotated=[])
    changed = [s for s in before if before[s] != batches[s]]
    assert changed == [LEDGER, str(shard_of("synth-000007", 8))]


@pytest.mark.parametrize(
    ("n_documents", "expected"),
    [(0, 1), (5, 1), (4_000, 1), (4_001, 2), (10_000, 4), (100_000, 32), (10**6, 64)],
)
def test_auto_shard_count_is_a_power_of_two_of_at_most_4000_documents(n_documents, expected):
    assert shard_count("auto", n_documents) == expected
    assert shard_count(3, n_documents) == 3


def test_stale_shards_are_removed_and_current_ones_kept(tmp_path):
    tables, viewers = tmp_path / "shards", tmp_path / "sources"
    viewers.mkdir()
    for shard in ["ledger", "0", "1", "2", "3"]:
        (tables / shard).mkdir(parents=True)
        (tables / shard / "text.parquet").write_bytes(b"x")
        (viewers / f"shard-{shard}.tsv").write_text("doc_id\tviewer\n", "utf-8")
    (viewers / "a-document.html").write_text("<p>kept</p>", "utf-8")
    removed = remove_stale(tables, 2, "{shard}")
    assert sorted(p.name for p in removed) == ["2", "3"]
    assert sorted(p.name for p in tables.iterdir()) == ["0", "1", "ledger"]
    removed = remove_stale(viewers, 2, "shard-{shard}.tsv")
    assert sorted(p.name for p in removed) == ["shard-2.tsv", "shard-3.tsv"]
    assert (viewers / "a-document.html").is_file()


def test_the_pipeline_rejects_a_shard_count_below_one(project):
    proc = run_snakemake(project, "--dry-run", "--config", "shards=0")
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "0 is not valid under any of the given schemas" in output and "shards" in output
    ok = run_snakemake(project, "--dry-run", "--config", "shards=3", check=True)
    assert "text_shard" in ok.stdout + ok.stderr
    catalogues = sorted((project / ".snakemake/figtrace/shards/3").glob("*.tsv"))
    assert [p.name for p in catalogues] == ["0.tsv", "1.tsv", "2.tsv", "ledger.tsv"]
    listed = {
        p.stem: [line.split()[0] for line in p.read_text("utf-8").splitlines()] for p in catalogues
    }
    assert sorted(d for ids in listed.values() for d in ids) == sorted(
        p.stem for p in (project / "data/raw/documents").glob("*.yaml")
    )
    # the five documents are all annotated: they make up the ledger shard
    assert listed["ledger"] == sorted(
        p.stem for p in (project / "data/raw/annotations").glob("*.yaml")
    )


@pytest.mark.parametrize(
    ("setting", "n_documents", "files"),
    [("auto", 5, True), ("auto", 20_000, True), ("auto", 20_001, False), ("files", 10**6, True),
     ("shards", 5, False)],
)  # fmt: skip
def test_corpus_tables_are_files_up_to_20000_documents_with_auto(setting, n_documents, files):
    assert corpus_files(setting, n_documents) is files


def test_with_corpus_tables_as_shards_no_gather_runs_and_coverage_reads_the_ledger(project):
    plan = run_snakemake(project, "--dry-run", "--config", "corpus_tables=shards", check=True)
    ran = set(re.findall(r"^(?:local)?rule (\w+):", plan.stdout + plan.stderr, re.M))
    assert {"text_shard", "sources", "coverage", "manifest"} <= ran
    assert not {"text", "mentions"} & ran  # the gathers: the tables stay a dataset
    files = run_snakemake(project, "--dry-run", check=True)  # five documents: auto gathers
    assert {"text", "mentions"} <= set(
        re.findall(r"^(?:local)?rule (\w+):", files.stdout + files.stderr, re.M)
    )
