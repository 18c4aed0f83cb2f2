"""Sharded text and mentions: per-shard jobs plus a gather write the same bytes as one job.

The corpus is the five real documents plus a PDF report and a saved news page (so the text map
and the furniture are not empty); shards are built and gathered exactly as the rules do.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from source_files import build_report_pdf, news_page

from conftest import ROOT
from figtrace import outputs
from figtrace.documents import (
    add_document,
    fingerprint,
    load_catalogue,
    load_listed,
    write_documents_table,
)
from figtrace.errors import FigtraceError
from figtrace.mentions import mentions_table
from figtrace.shards import gather, plan, shard_path, write_text_tables

SHARDS = 3


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    """A copy of data/raw with a PDF report and an HTML page added."""
    tmp = tmp_path_factory.mktemp("shards")
    raw = tmp / "raw"
    shutil.copytree(ROOT / "data/raw", raw)
    pdf = build_report_pdf(tmp / "interim.pdf")
    add_document(pdf, raw, title=None, publisher="Example Trust", date_published="2016-03",
                 doc_id="interim-report", date_accessed="2024-01-01")  # fmt: skip
    page = tmp / "news.html"
    page.write_text(news_page(), "utf-8")
    add_document(page, raw, title=None, publisher=None, date_published=None,
                 doc_id="news-page", date_accessed="2024-01-01")  # fmt: skip
    return raw


def build(raw: Path, out: Path) -> dict[str, bytes]:
    """Every table by shard (the annotated documents in the ledger shard), then gathered, as the
    rules do: {table name: bytes}."""
    docs = {d.doc_id: d for d in load_catalogue(raw)}
    annotated = [p.stem for p in (raw / "annotations").glob("*.yaml")]
    names = ["documents", "text", "textmap", "furniture", "mentions"]
    tables = {name: out / f"{name}.parquet" for name in names}
    for shard, doc_ids in plan(docs, SHARDS, annotated).items():
        listed = outputs.write_text(
            out / f"catalogue-{shard}.tsv", fingerprint([docs[d] for d in doc_ids])
        )
        write_text_tables(
            raw,
            *(shard_path(tables[name], shard) for name in ("text", "textmap", "furniture")),
            catalogue=listed,
            documents_out=shard_path(tables["documents"], shard),
            mentions_out=shard_path(tables["mentions"], shard),
        )
    for table in tables.values():
        gather(table, SHARDS)
    return {name: table.read_bytes() for name, table in tables.items()}


def test_sharded_tables_are_byte_identical_to_one_job(raw, tmp_path):
    sharded = build(raw, tmp_path / "sharded")
    one = tmp_path / "one"
    write_text_tables(raw, one / "text.parquet", one / "textmap.parquet", one / "furniture.parquet")
    outputs.write_parquet(one / "mentions.parquet", mentions_table(load_catalogue(raw)))
    write_documents_table(raw, one / "documents.parquet")
    # the five curated documents went to the ledger shard, the two new ones to numbered shards
    ledger = pd.read_parquet(tmp_path / "sharded" / "shards" / "ledger" / "documents.parquet")
    assert len(ledger) == 5 and "interim-report" not in set(ledger["doc_id"])
    for name, data in sharded.items():
        assert data == (one / f"{name}.parquet").read_bytes(), name
    textmap = pd.read_parquet(one / "textmap.parquet")
    furniture = pd.read_parquet(one / "furniture.parquet")
    mentions = pd.read_parquet(one / "mentions.parquet")
    # the comparison covers pages, element paths and furniture, not only plain text
    assert set(textmap["doc_id"]) == {"interim-report", "news-page"}
    assert len(furniture) and mentions["page"].notna().any()
    assert mentions["element_path"].notna().any() and mentions["furniture"].notna().any()
    assert (mentions.loc[mentions["furniture"].notna(), "role"] == "boilerplate").all()
    assert list(mentions["doc_id"]) == sorted(mentions["doc_id"])


def test_a_shard_job_refuses_a_document_changed_since_it_was_listed(raw, tmp_path):
    copy = tmp_path / "raw"
    shutil.copytree(raw, copy)
    doc = load_catalogue(copy)[0]
    listed = outputs.write_text(tmp_path / "catalogue.tsv", fingerprint([doc]))
    assert [d.doc_id for d in load_listed(copy, listed)] == [doc.doc_id]
    doc.sidecar.write_text(doc.sidecar.read_text("utf-8") + "notes: edited\n", "utf-8")
    with pytest.raises(FigtraceError, match="changed since"):
        load_listed(copy, listed)
