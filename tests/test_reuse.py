"""Reuse inside a shard job: after a document is added, a shard job reads only that document and
still writes the same bytes as a job over every document; a viewer another job replaced, a
changed recipe or a missing record means making results afresh. The corpus tables read as a
dataset over the shards equal the gathered files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from source_files import build_report_pdf, news_page

from conftest import ROOT
from figtrace import documents, outputs, reuse, shards
from figtrace.dataset import corpus_table
from figtrace.documents import add_document, fingerprint, load_catalogue, sha256_bytes
from figtrace.manifest import read_digest_list
from figtrace.shards import gather, shard_path, write_text_tables
from figtrace.synth import synthesize
from figtrace.viewers import load_shard, write_sources, write_sources_reusing

NAMES = ["text", "textmap", "furniture", "documents", "mentions"]


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    synthesize(12, tmp_path / "raw", ROOT / "data/raw", seed=8)
    return tmp_path / "raw"


def _listing(raw: Path, out: Path) -> Path:
    """A shard catalogue of the synthetic (unannotated) documents, as common.smk writes one."""
    docs = [d for d in load_catalogue(raw) if d.doc_id.startswith(("synth-", "added-"))]
    return outputs.write_text(out, fingerprint(docs))


def _tables(folder: Path) -> dict[str, Path]:
    return {name: folder / f"{name}.parquet" for name in NAMES}


def _write(raw: Path, listing: Path, folder: Path, record: Path | None) -> int:
    t = _tables(folder)
    return write_text_tables(
        raw, t["text"], t["textmap"], t["furniture"], catalogue=listing,
        documents_out=t["documents"], mentions_out=t["mentions"], record=record,
    )  # fmt: skip


def _add(raw: Path, tmp_path: Path) -> None:
    article = tmp_path / "added.txt"
    article.write_text("An added article: 4,321 children were referred in 2020.\n", "utf-8")
    add_document(article, raw, title="Added", publisher=None, date_published="2020",
                 doc_id="added-article", date_accessed="2024-01-01")  # fmt: skip


def test_a_shard_job_reads_only_the_added_document_and_writes_the_same_bytes(
    raw, tmp_path, monkeypatch
):
    shard, record = tmp_path / "shard", tmp_path / "shard" / ".reuse"
    assert _write(raw, _listing(raw, tmp_path / "before.tsv"), shard, record) == 12
    _add(raw, tmp_path)
    listing = _listing(raw, tmp_path / "after.tsv")

    read: list[str] = []
    real = documents.load_listed

    def spy(*args, **kwargs):
        loaded = real(*args, **kwargs)
        read.extend(doc.doc_id for doc in loaded)
        return loaded

    monkeypatch.setattr(documents, "load_listed", spy)
    assert _write(raw, listing, shard, record) == 13
    assert read == ["added-article"]  # the other twelve came from the shard's tables

    _write(raw, listing, tmp_path / "fresh", None)
    for name, path in _tables(shard).items():
        assert path.read_bytes() == (tmp_path / "fresh" / f"{name}.parquet").read_bytes(), name


def test_rows_with_pages_boxes_and_elements_are_merged_into_the_same_bytes(raw, tmp_path):
    # a PDF and an HTML page give the textmap and furniture tables rows (the synthetic articles
    # give none), so the kept rows and the added page's are merged in every table
    build_report_pdf(tmp_path / "interim.pdf")
    (tmp_path / "news.html").write_text(news_page(), "utf-8")
    (tmp_path / "other.html").write_text(news_page(json_ld=False), "utf-8")
    for name, doc_id in (("interim.pdf", "added-report"), ("news.html", "added-news")):
        add_document(tmp_path / name, raw, title=None, publisher="A publisher",
                     date_published="2016-03", doc_id=doc_id, date_accessed="2024-01-01")  # fmt: skip
    shard, record = tmp_path / "shard", tmp_path / "shard" / ".reuse"
    _write(raw, _listing(raw, tmp_path / "before.tsv"), shard, record)
    assert not pd.read_parquet(shard / "textmap.parquet").empty
    add_document(tmp_path / "other.html", raw, title="Other", publisher=None, date_published=None,
                 doc_id="added-other", date_accessed="2024-01-01")  # fmt: skip
    listing = _listing(raw, tmp_path / "after.tsv")
    _write(raw, listing, shard, record)
    _write(raw, listing, tmp_path / "fresh", None)
    for name, path in _tables(shard).items():
        assert path.read_bytes() == (tmp_path / "fresh" / f"{name}.parquet").read_bytes(), name

    # the documents with pages, boxes and elements leave the shard: their tables are left with
    # no row, as a job over the articles alone writes them
    articles = tmp_path / "articles.tsv"
    lines = listing.read_text("utf-8").splitlines(keepends=True)
    articles.write_text("".join(line for line in lines if not line.startswith("added-")), "utf-8")
    _write(raw, articles, shard, record)
    _write(raw, articles, tmp_path / "articles", None)
    assert pd.read_parquet(shard / "textmap.parquet").empty
    for name, path in _tables(shard).items():
        assert path.read_bytes() == (tmp_path / "articles" / f"{name}.parquet").read_bytes(), name


def test_kept_and_fresh_rows_of_other_types_are_merged_as_pandas_merges_them(tmp_path):
    # a column typed otherwise in the two parts: pandas' concatenation decides the type, and
    # the table written is the one pandas writes for it
    previous = tmp_path / "previous.parquet"
    outputs.write_parquet(previous, pd.DataFrame({"doc_id": ["a", "c"], "n": [1, 2]}))
    fresh = pd.DataFrame({"doc_id": ["b"], "n": [0.5]})
    merged = shards._with_kept_rows(fresh, previous, {"a", "c"})
    outputs.write_arrow(tmp_path / "merged.parquet", merged)
    expected = pd.DataFrame({"doc_id": ["a", "b", "c"], "n": [1.0, 0.5, 2.0]})
    outputs.write_parquet(tmp_path / "expected.parquet", expected)
    assert (tmp_path / "merged.parquet").read_bytes() == (
        tmp_path / "expected.parquet"
    ).read_bytes()


def test_nothing_is_reused_under_another_recipe_or_without_a_record(tmp_path):
    record = tmp_path / "record"
    keys = {"a": "1 2", "b": "3 4"}
    reuse.remember(record, "recipe-1", keys.items())
    assert reuse.reusable(record, "recipe-1", {"a": "1 2", "b": "changed"}) == {"a"}
    assert reuse.reusable(record, "recipe-2", keys) == set()
    reuse.forget(record)  # what a job does before it writes: killed now, nothing is reused
    assert reuse.reusable(record, "recipe-1", keys) == set()
    assert reuse.recipe("x") != reuse.recipe("y")


def test_viewers_are_kept_only_while_they_are_the_files_the_job_wrote(raw, tmp_path):
    shard = tmp_path / "shard"
    listing = _listing(raw, tmp_path / "listing.tsv")
    _write(raw, listing, shard, None)
    loaded: list[list[str]] = []

    def load(doc_ids):  # what a job reads: only the documents whose viewers it re-renders
        loaded.append(sorted(doc_ids))
        return load_shard(shard, raw, doc_ids)

    out, record = tmp_path / "sources", tmp_path / "sources" / ".reuse"
    written, kept = write_sources_reusing(load, out, listing, record, "r1")
    assert (len(written), kept) == (12, set())
    fresh = {p.name: p.read_bytes() for p in out.glob("*.html")}

    replaced = out / "synth-000004.html"
    replaced.write_text("another job's page", "utf-8")
    written, kept = write_sources_reusing(load, out, listing, record, "r1", index=out / "i.tsv")
    assert [p.name for p in written] == ["synth-000004.html"] and len(kept) == 11
    assert loaded[-1] == ["synth-000004"]
    assert {p.name: p.read_bytes() for p in out.glob("*.html")} == fresh
    assert len((out / "i.tsv").read_text("utf-8").splitlines()) == 13  # header + every viewer

    # the list records each viewer's sha256, re-rendered or kept, as the manifest will take it
    assert read_digest_list(out / "i.tsv") == {
        p.name: sha256_bytes(p.read_bytes()) for p in out.glob("*.html")
    }
    (out / "i.tsv").unlink()  # no earlier list: a kept viewer's digest is read from its file
    replaced.write_text("another job's page again", "utf-8")
    write_sources_reusing(load, out, listing, record, "r1", index=out / "i.tsv")
    assert read_digest_list(out / "i.tsv") == {
        p.name: sha256_bytes(p.read_bytes()) for p in out.glob("*.html")
    }

    written, kept = write_sources_reusing(load, out, listing, record, "r2")  # new recipe
    assert (len(written), kept) == (12, set())
    write_sources(load_shard(shard, raw), tmp_path / "again")
    assert {p.name: p.read_bytes() for p in (tmp_path / "again").glob("*.html")} == fresh


def test_viewers_of_documents_gone_from_the_corpus_are_deleted_and_only_then_is_it_read(
    raw, tmp_path
):
    """The corpus-wide list of doc_ids (100,000 at scale) is read only when a viewer may have
    lost its document: no earlier list of the shard's viewers, a document gone from the shard,
    or a sweep asked for. A viewer whose document moved to another shard is kept."""
    shard, out = tmp_path / "shard", tmp_path / "sources"
    listing = _listing(raw, tmp_path / "listing.tsv")
    _write(raw, listing, shard, None)
    ids = [line.split()[0] for line in listing.read_text("utf-8").splitlines()]
    asked: list[int] = []

    def corpus(kept_ids: list[str]):
        def doc_ids():
            asked.append(1)
            return kept_ids

        return doc_ids

    def run(listed: Path, keep, sweep: bool = False) -> None:
        load = lambda doc_ids: load_shard(shard, raw, doc_ids)  # noqa: E731
        write_sources_reusing(load, out, listed, out / ".reuse", "r1", index=out / "shard.tsv",
                              keep=keep, sweep=sweep)  # fmt: skip

    (out / "orphan.html").parent.mkdir(parents=True)
    (out / "orphan.html").write_text("a viewer of a document nobody holds", "utf-8")
    run(listing, corpus(ids))  # no earlier list: swept
    assert asked == [1] and not (out / "orphan.html").exists()
    assert len(list(out.glob("*.html"))) == len(ids)

    run(listing, corpus(ids))  # nothing lost: the corpus is not read
    (out / "orphan.html").write_text("left by hand", "utf-8")
    run(listing, corpus(ids))
    assert asked == [1] and (out / "orphan.html").exists()
    run(listing, corpus(ids), sweep=True)  # asked for (a shard list was removed)
    assert asked == [1, 1] and not (out / "orphan.html").exists()
    (out / "orphan.html").write_text("left by a run killed before its record", "utf-8")
    (out / ".reuse").unlink()
    run(listing, corpus(ids))  # no reuse record: swept
    assert asked == [1, 1, 1] and not (out / "orphan.html").exists()

    # two documents leave the shard: one leaves the corpus, one moves to another shard
    fewer = outputs.write_text(
        tmp_path / "fewer.tsv",
        "".join(line + "\n" for line in listing.read_text("utf-8").splitlines()[2:]),
    )
    run(fewer, corpus([ids[1], *ids[2:]]))
    assert asked == [1, 1, 1, 1]
    assert not (out / f"{ids[0]}.html").exists() and (out / f"{ids[1]}.html").exists()
    assert set(read_digest_list(out / "shard.tsv")) == {f"{d}.html" for d in ids[2:]}


def test_the_corpus_tables_read_as_a_dataset_equal_the_gathered_files(raw, tmp_path):
    processed = tmp_path / "processed"
    docs = sorted(d.doc_id for d in load_catalogue(raw))
    for shard, ids in {"ledger": docs[:3], "0": docs[3:9], "1": docs[9:]}.items():
        listing = outputs.write_text(
            tmp_path / f"{shard}.tsv",
            fingerprint([d for d in load_catalogue(raw) if d.doc_id in ids]),
        )
        _write(raw, listing, processed / "shards" / shard, None)
    for name in NAMES:
        gather(processed / f"{name}.parquet", 2)
        gathered = pd.read_parquet(processed / f"{name}.parquet")
        pd.testing.assert_frame_equal(corpus_table(processed, name), gathered)
        assert shard_path(processed / f"{name}.parquet", "ledger").is_file()
    some = corpus_table(processed, "mentions", columns=["value"], doc_ids=docs[4:6])
    assert set(some["doc_id"]) == set(docs[4:6]) and list(some.columns) == ["doc_id", "value"]


def test_the_shard_command_writes_what_text_and_sources_write(raw, tmp_path):
    """`figtrace shard` (one numbered shard's job) writes the bytes that `text` then `sources
    --no-ledger` write as two jobs: tables, viewers and the list of viewers."""
    from click.testing import CliRunner

    from figtrace.cli import main

    listing = _listing(raw, tmp_path / "listing.tsv")
    whole = _listing(raw, tmp_path / "whole.tsv")
    one, two = tmp_path / "one", tmp_path / "two"
    combined = [
        "shard", "--raw", str(raw), "--catalogue", str(listing), "--tables", str(one / "t"),
        "--viewers", str(one / "v"), "--index", str(one / "v/shard-0.tsv"),
        "--corpus-catalogue", str(whole), "--shards", "1",
    ]  # fmt: skip
    t = _tables(two / "t")
    steps = [
        ["text", "--raw", str(raw), "--catalogue", str(listing), "--reuse", str(two / "t/.reuse"),
         "--documents", str(t["documents"]), "--text", str(t["text"]), "--map", str(t["textmap"]),
         "--furniture", str(t["furniture"]), "--mentions", str(t["mentions"])],
        ["sources", "--no-ledger", "--corpus", str(two / "t"), "--raw", str(raw), "--out",
         str(two / "v"), "--index", str(two / "v/shard-0.tsv"), "--catalogue", str(whole),
         "--shards", "1", "--listed", str(listing), "--reuse", str(two / "v/.shard-0.reuse")],
    ]  # fmt: skip
    for args in [combined, *steps]:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output

    def files(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        }

    made, expected = files(one), files(two)
    assert made.keys() == expected.keys()
    # the reuse records name files by inode and time, so only their presence is compared
    assert {"t/.reuse", "v/.shard-0.reuse"} <= set(made)
    assert {k: v for k, v in made.items() if not k.endswith(".reuse")} == {
        k: v for k, v in expected.items() if not k.endswith(".reuse")
    }
    assert len([name for name in made if name.endswith(".html")]) == 12


def test_a_shard_job_after_an_added_document_imports_no_pandas(raw, tmp_path):
    """The promise behind an added document's short run: its shard's job merges the tables in
    Arrow and renders the viewer from rows, so pandas (most of the job's start) is never
    imported; and the job still writes what a job over every document writes."""
    import subprocess
    import sys

    whole = _listing(raw, tmp_path / "whole.tsv")

    def shard(folder: Path, listing: Path) -> list[str]:
        args = [
            "shard", "--raw", str(raw), "--catalogue", str(listing), "--tables",
            str(folder / "t"), "--viewers", str(folder / "v"), "--index",
            str(folder / "v/shard-0.tsv"), "--corpus-catalogue", str(whole), "--shards", "1",
        ]  # fmt: skip
        probe = (
            "import sys\nfrom figtrace.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n    assert not exc.code\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pandas')[:3])"
        )
        run = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=ROOT
        )
        assert run.returncode == 0, run.stderr
        return eval(run.stdout.splitlines()[-1])

    job = tmp_path / "job"
    assert shard(job, _listing(raw, tmp_path / "before.tsv")) != []  # a shard made afresh: pandas
    _add(raw, tmp_path)
    after = _listing(raw, tmp_path / "after.tsv")
    whole.write_text(after.read_text("utf-8"), "utf-8")
    assert shard(job, after) == []  # one document added: no pandas
    shard(tmp_path / "fresh", after)

    def files(root: Path) -> dict[str, bytes]:
        found = {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}
        return {k: p.read_bytes() for k, p in found.items() if not k.endswith(".reuse")}

    assert files(job) == files(tmp_path / "fresh")
    assert "added-article.html" in {Path(k).name for k in files(job)}


@pytest.mark.parametrize(
    ("dtype", "kept", "fresh", "in_arrow"),
    [
        ("str", ["x", None], ["y", None], True),
        ("string", ["x", "z"], [None], True),
        ("int64", [1, 2], [3], True),
        ("Int64", [1, None], [None, 4], True),
        ("float64", [1.5, None], [None, 2.5], True),
        ("float64", [1.5, -0.0], [], True),  # no fresh row: the kept ones
        ("float64", [1.5, 2.0], [float("nan")], False),  # pandas writes a NaN as null
        ("float64", [1.5, 2.0], [3], False),  # an int pandas would turn into a float
        ("int64", [1, 2], [True], False),  # a bool is not an int64
        ("Int64", [1, 2], [2.0], False),
    ],
)
def test_rows_merged_in_arrow_are_the_table_a_job_over_every_document_writes(
    tmp_path, dtype, kept, fresh, in_arrow
):
    """Fresh rows are merged without pandas only where the table is, to the byte, the one a
    job over the remaining documents writes; any value pandas would convert is left to pandas,
    whose merge gives that table too. A document no longer kept (`c`) loses its rows."""
    previous = tmp_path / "previous.parquet"
    old = pd.DataFrame({"doc_id": ["a"] * len(kept) + ["c"], "v": [*kept, kept[0]]})
    outputs.write_parquet(previous, old.astype({"v": dtype}))
    columns = {"doc_id": ["b"] * len(fresh), "v": fresh}
    every = pd.DataFrame({"doc_id": ["a"] * len(kept) + columns["doc_id"], "v": kept + fresh})
    outputs.write_parquet(tmp_path / "every.parquet", every.astype({"v": dtype}))
    expected = (tmp_path / "every.parquet").read_bytes()

    merged = shards._merged_in_arrow(columns, previous, {"a"})
    assert (merged is not None) == in_arrow
    if merged is not None:
        outputs.write_arrow(tmp_path / "arrow.parquet", merged)
        assert (tmp_path / "arrow.parquet").read_bytes() == expected
    frame = pd.DataFrame(columns).astype({"v": dtype})
    outputs.write_arrow(tmp_path / "pandas.parquet", shards._with_kept_rows(frame, previous, {"a"}))
    assert (tmp_path / "pandas.parquet").read_bytes() == expected


def test_a_table_left_with_no_row_is_the_one_a_job_over_the_rest_writes(tmp_path):
    # the rows of the one document that had any are gone: not the old rows' schema, but the
    # empty frame's (here doc_id has no rows to give it a type)
    previous = tmp_path / "previous.parquet"
    outputs.write_parquet(
        previous, pd.DataFrame({"doc_id": ["c"], "v": [1]}).astype({"v": "Int64"})
    )
    empty = {"doc_id": [], "v": []}
    assert shards._merged_in_arrow(empty, previous, {"a"}) is None  # left to pandas
    frame = pd.DataFrame(empty).astype({"v": "Int64"})
    outputs.write_arrow(tmp_path / "pandas.parquet", shards._with_kept_rows(frame, previous, {"a"}))
    outputs.write_parquet(tmp_path / "rest.parquet", frame)
    assert (tmp_path / "pandas.parquet").read_bytes() == (tmp_path / "rest.parquet").read_bytes()


def test_fresh_rows_for_a_table_that_had_none_are_left_to_pandas(tmp_path):
    previous = tmp_path / "previous.parquet"
    outputs.write_parquet(previous, pd.DataFrame({"doc_id": [], "v": []}).astype({"v": "Int64"}))
    assert shards._merged_in_arrow({"doc_id": ["b"], "v": [1]}, previous, {"a"}) is None
    kept_only = shards._merged_in_arrow({"doc_id": [], "v": []}, previous, {"a"})
    assert kept_only is not None and kept_only.num_rows == 0


def test_a_shard_is_read_without_pandas_as_pandas_reads_it(raw, tmp_path):
    """`load_shard` (pyarrow alone) gives the viewers the rows, texts and highlight spans that
    reading the same tables with pandas gives."""
    from figtrace.report import document_spans

    shard = tmp_path / "shard"
    _write(raw, _listing(raw, tmp_path / "listing.tsv"), shard, None)
    frames = {name: pd.read_parquet(path) for name, path in _tables(shard).items()}
    none = pd.DataFrame(columns=["figure_id", "doc_id", "start", "end", "label", "reason"])
    for doc_ids in (None, ["synth-000003", "synth-000007"]):
        sources = load_shard(shard, raw, doc_ids)
        docs = frames["documents"]
        if doc_ids is not None:
            docs = docs[docs["doc_id"].isin(doc_ids)]
        expected = [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in
                    docs.to_dict("records")]  # fmt: skip
        assert list(sources.documents.values()) == expected
        assert any(v is None for row in expected for v in row.values())  # missing fields seen
        texts = dict(zip(frames["text"]["doc_id"], frames["text"]["text"], strict=True))
        assert sources.texts == {d: texts[d] for d in sources.documents}
        spans = document_spans(none, none, frames["mentions"])
        assert sources.spans == {d: spans[d] for d in sources.documents if d in spans}
        assert sources.spans


def test_highlight_spans_from_rows():
    """A hedged number is marked from its qualifier; a figure wins over the mention it covers,
    and a reviewed exclusion widens to the expression the extractor read; a statistic nobody
    reviewed keeps its role, and roles other than it, boilerplate and date are other numbers."""
    from figtrace.viewers import Span, document_spans

    mentions = [
        ("d", 10, 4, 13, "statistic"),  # "more than 300" read from offset 4
        ("d", 20, None, 24, "date"),
        ("d", 30, None, 32, "boilerplate"),
        ("d", 40, None, 42, "statistic"),
        ("e", 0, None, 1, "name"),
    ]
    figures = [("fig-1", "d", 10, 13, "children referred")]
    exclusions = [("d", 41, 42, "an age")]
    assert document_spans(mentions, figures, exclusions) == {
        "d": [
            Span(10, 13, "figure", "fig-1", "children referred"),
            Span(20, 24, "date"),
            Span(30, 32, "boilerplate"),
            Span(40, 42, "exclusion", None, "an age"),
        ],
        "e": [Span(0, 1, "other")],
    }
    assert document_spans(mentions[:1]) == {"d": [Span(4, 13, "statistic")]}
