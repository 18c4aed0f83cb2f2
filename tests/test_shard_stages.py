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
from figtrace.documents import add_document, fingerprint, load_catalogue, load_listed
from figtrace.errors import FigtraceError
from figtrace.mentions import mentions_from_text_tables, mentions_table
from figtrace.shards import assign, gather, shard_path
from figtrace.text import write_text_tables

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
    """Text and mentions tables by shard, then gathered: {table name: bytes}."""
    docs = {d.doc_id: d for d in load_catalogue(raw)}
    tables = [out / "text.parquet", out / "textmap.parquet", out / "furniture.parquet"]
    for shard, doc_ids in enumerate(assign(docs, SHARDS)):
        listed = outputs.write_text(
            out / f"catalogue-{shard}.tsv", fingerprint([docs[d] for d in doc_ids])
        )
        write_text_tables(raw, *(shard_path(t, shard) for t in tables), catalogue=listed)
        parts = (pd.read_parquet(shard_path(t, shard)) for t in tables)
        outputs.write_parquet(
            shard_path(out / "mentions.parquet", shard), mentions_from_text_tables(*parts)
        )
    for table in [*tables, out / "mentions.parquet"]:
        gather(table, SHARDS)
    return {t.stem: t.read_bytes() for t in [*tables, out / "mentions.parquet"]}


def test_sharded_tables_are_byte_identical_to_one_job(raw, tmp_path):
    sharded = build(raw, tmp_path / "sharded")
    one = tmp_path / "one"
    write_text_tables(raw, one / "text.parquet", one / "textmap.parquet", one / "furniture.parquet")
    outputs.write_parquet(one / "mentions.parquet", mentions_table(load_catalogue(raw)))
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
