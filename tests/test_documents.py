"""Source documents: pinned bytes, valid sidecars, and the errors a user sees when they are not."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, SEEDS, edit_yaml, run_cli, run_snakemake
from figtrace.documents import (
    add_document,
    date_precision,
    documents_table,
    fingerprint,
    load_catalogue,
    load_documents,
    load_listed,
    read_fingerprint,
    slugify,
)
from figtrace.errors import FigtraceError

RAW = ROOT / "data" / "raw"
SEED_HASHES = ROOT / "tests" / "data" / "seeds.sha256"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def seed_hashes() -> dict[str, str]:
    """sha256 -> file name of the five seeds as delivered, from tests/data/seeds.sha256."""
    pairs = (line.split(maxsplit=1) for line in SEED_HASHES.read_text("ascii").splitlines())
    return {digest: name.strip() for digest, name in pairs}


def test_raw_documents_are_the_seeds_byte_for_byte():
    seeds = seed_hashes()
    assert len(seeds) == 5
    docs = load_catalogue(RAW)
    assert len(docs) == 5
    for doc in docs:
        assert sha(doc.path) == doc.sha256, doc.path
    # every raw document is a seed under its delivered name, and every seed is a raw document
    assert {sha(doc.path): doc.meta["source_filename"] for doc in docs} == seeds


def test_the_hash_list_is_the_shared_seeds():
    """The hashes carried in the repository are those of the seeds in ../shared, when present."""
    if not SEEDS.is_dir():
        pytest.skip(f"{SEEDS} is not here; the hashes in {SEED_HASHES.name} are checked alone")
    assert {sha(p): p.name for p in SEEDS.iterdir()} == seed_hashes()


def test_unstated_fields_are_null_with_a_note():
    for doc in load_catalogue(RAW):
        for name in ("title", "publisher", "url", "date_published"):
            if doc.meta[name] is None:
                note = doc.meta["date_note" if name == "date_published" else f"{name}_note"]
                assert note.strip()
        if doc.date_published is None:
            assert doc.date_precision == "unknown"


def test_the_one_stated_date_keeps_its_day_precision():
    docs = {d.doc_id: d for d in load_catalogue(RAW)}
    doc = docs["missing-from-care-national-disgrace"]
    assert (doc.date_published, doc.date_precision) == ("2016-11-15", "day")
    assert "15 November 2016" in doc.text()


@pytest.mark.parametrize(
    ("value", "precision"),
    [("2016", "year"), ("2016-11", "month"), ("2016-11-15", "day"), (None, "unknown")],
)
def test_date_precision(value, precision):
    assert date_precision(value) == precision


@pytest.mark.parametrize("value", ["15/11/2016", "2016-13", "2016-02-30", "16"])
def test_date_precision_rejects_bad_dates(value):
    with pytest.raises(FigtraceError, match="--date"):
        date_precision(value)


def test_pipeline_writes_documents_table_with_seed_hashes(built_project):
    table = pd.read_parquet(built_project / "data/processed/documents.parquet")
    required = {
        "doc_id",
        "sha256",
        "title",
        "publisher",
        "date_published",
        "url",
        "path",
        "media_type",
        "n_chars",
    }
    assert required <= set(table.columns)
    assert list(table.doc_id) == sorted(table.doc_id)
    for row in table.itertuples():
        raw = built_project / row.path
        assert sha(raw) == row.sha256
        assert row.n_chars == len(raw.read_text("utf-8"))
    assert set(table.sha256) == set(seed_hashes())


def test_second_run_does_no_work(built_project):
    proc = run_snakemake(built_project, "--dry-run")
    assert proc.returncode == 0
    assert "Nothing to be done" in proc.stdout + proc.stderr


# --- bad inputs: each stops the run with one message naming the file and the fault -------------

DOC = "merseyside-before-the-harm"


def _edit_sidecar(project: Path, doc_id: str, **changes) -> Path:
    path = project / "data/raw/documents" / f"{doc_id}.yaml"

    def change(meta: dict) -> None:
        for key, value in changes.items():
            if value is KeyError:
                meta.pop(key)
            else:
                meta[key] = value

    edit_yaml(path, change)
    return path


def _changed_byte(project: Path) -> str:
    raw = project / f"data/raw/documents/{DOC}.txt"
    data = bytearray(raw.read_bytes())
    data[100] = ord("X") if data[100] != ord("X") else ord("Y")
    raw.write_bytes(bytes(data))
    return (
        f"data/raw/documents/{DOC}.txt: sha256 is {hashlib.sha256(data).hexdigest()}, but "
        f"{DOC}.yaml pins 48f757be6b3910356c42358ad012dad3d0840c837de716d471aa9aeadb94745d: "
        "the raw bytes changed."
    )


def _missing_field(project: Path) -> str:
    _edit_sidecar(project, DOC, title=KeyError)
    return (
        f"data/raw/documents/{DOC}.yaml: does not match the document schema "
        "(src/figtrace/schemas/document.schema.json):\n  - (top level): 'title' is a required property"
    )


def _duplicate_id(project: Path) -> str:
    other = project / "data/raw/documents/copy.yaml"
    meta = yaml.safe_load((project / f"data/raw/documents/{DOC}.yaml").read_text("utf-8"))
    other.write_text(yaml.safe_dump(meta), "utf-8")
    return (
        "data/raw/documents/merseyside-before-the-harm.yaml: duplicate doc_id "
        "'merseyside-before-the-harm', already used by data/raw/documents/copy.yaml."
    )


def _duplicate_id_field(project: Path) -> str:
    folder = project / "data/raw/documents"
    (folder / "dupe-doc.txt").write_bytes((folder / f"{DOC}.txt").read_bytes() + b" ")
    meta = yaml.safe_load((folder / f"{DOC}.yaml").read_text("utf-8"))
    meta.update(doc_id="dupe-doc", path=f"{DOC}.txt")
    (folder / "dupe-doc.yaml").write_text(yaml.safe_dump(meta), "utf-8")
    return "data/raw/documents/merseyside-before-the-harm.yaml: duplicate path"


def _not_utf8(project: Path) -> str:
    raw = project / f"data/raw/documents/{DOC}.txt"
    data = raw.read_bytes().replace("’".encode(), "’".encode("cp1252"), 1)
    raw.write_bytes(data)
    _edit_sidecar(project, DOC, sha256=hashlib.sha256(data).hexdigest())
    return f"data/raw/documents/{DOC}.txt: not valid UTF-8 (invalid start byte at byte"


def _empty(project: Path) -> str:
    (project / f"data/raw/documents/{DOC}.txt").write_bytes(b"")
    return f"data/raw/documents/{DOC}.txt: the file is empty or holds only white space;"


def _blank(project: Path) -> str:
    data = b"  \n\n \t\n"
    (project / f"data/raw/documents/{DOC}.txt").write_bytes(data)
    _edit_sidecar(project, DOC, sha256=hashlib.sha256(data).hexdigest())
    return f"data/raw/documents/{DOC}.txt: the file is empty or holds only white space;"


BAD_INPUTS = {
    "changed byte": _changed_byte,
    "missing field": _missing_field,
    "duplicate doc_id": _duplicate_id,
    "two sidecars, one raw file": _duplicate_id_field,
    "non-UTF-8 text": _not_utf8,
    "empty file": _empty,
    "white space only": _blank,
}


@pytest.mark.parametrize("fault", BAD_INPUTS)
def test_bad_input_stops_verify_with_a_clear_message(project, fault):
    expected = BAD_INPUTS[fault](project)
    proc = run_cli(project, "verify", "--out", "data/processed/documents.parquet")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (project / "data/processed/documents.parquet").exists()


@pytest.mark.parametrize("fault", BAD_INPUTS)
def test_bad_input_is_refused_by_the_catalogue(tmp_path, fault):
    """The same faults, in process: load_catalogue raises one error naming the file and fault."""
    project = tmp_path / "project"
    shutil.copytree(RAW, project / "data/raw")
    expected = BAD_INPUTS[fault](project)
    with pytest.raises(FigtraceError) as info:
        load_catalogue(project / "data/raw")
    message = str(info.value).replace(str(project) + "/", "")
    assert expected.splitlines()[0] in message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"doc_id": "another-id"}, "doc_id 'another-id' does not match the file name; rename"),
        ({"reports_cited": ["no-such-report"]}, "reports_cited names 'no-such-report', not in"),
        ({"path": "missing.txt"}, "missing.txt"),
    ],
)
def test_a_sidecar_that_points_nowhere_is_refused(tmp_path, change, message):
    raw = Path(shutil.copytree(RAW, tmp_path / "raw"))
    edit_yaml(raw / "documents" / f"{DOC}.yaml", lambda meta: meta.update(change))
    with pytest.raises(FigtraceError) as info:
        load_catalogue(raw)
    assert f"{DOC}.yaml" in str(info.value) and message in str(info.value)


def test_an_empty_catalogue_says_how_to_add_a_document(tmp_path):
    raw = Path(shutil.copytree(RAW, tmp_path / "raw"))
    for sidecar in (raw / "documents").glob("*.yaml"):
        sidecar.unlink()
    with pytest.raises(
        FigtraceError, match="no documents found; add one with `python -m figtrace add`"
    ):
        load_catalogue(raw)


def test_documents_table_has_a_row_per_document_in_order(tmp_path):
    docs = load_catalogue(RAW)
    table = documents_table(docs, ROOT)
    assert list(table["doc_id"]) == sorted(d.doc_id for d in docs)
    for row, doc in zip(table.itertuples(), sorted(docs, key=lambda d: d.doc_id), strict=True):
        assert (row.sha256, row.path, row.n_chars) == (
            doc.sha256, doc.path.relative_to(ROOT).as_posix(), len(doc.text())
        )  # fmt: skip
        assert row.media_type == doc.media_type
        assert row.title == doc.title or (pd.isna(row.title) and doc.title is None)


@pytest.mark.parametrize("fault", ["changed byte", "missing field", "non-UTF-8 text", "empty file"])
def test_failed_run_leaves_earlier_outputs_intact(project, fault):
    run_snakemake(project, check=True)
    before = output_files(project)
    assert "data/processed/documents.parquet" in before and "results/report.html" in before
    expected = BAD_INPUTS[fault](project)
    proc = run_snakemake(project)
    assert proc.returncode != 0
    assert "source documents failed verification" in proc.stderr
    assert expected.splitlines()[0] in proc.stderr
    after = output_files(project)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"a failed run touched: {changed}"


def output_files(project: Path) -> dict[str, tuple[str, int]]:
    """Every file under data/processed/ and results/, at any depth and hidden ones included
    (a killed writer's .tmp), with its sha256 and modification time."""
    return {
        p.relative_to(project).as_posix(): (sha(p), p.stat().st_mtime_ns)
        for folder in ("data/processed", "results")
        for p in (project / folder).rglob("*")
        if p.is_file()
    }


# --- adding a document ----------------------------------------------------------------------------


def test_add_copies_bytes_and_the_pipeline_picks_it_up(project, tmp_path):
    source = tmp_path / "new article.txt"
    source.write_bytes(
        "Over 1,200 children were referred in 2019.\r\nA line with “quotes”.\n".encode()
    )
    proc = run_cli(
        project,
        "add",
        str(source),
        "--title",
        "A new article",
        "--publisher",
        "Example",
        "--date",
        "2019-05",
        "--url",
        "https://example.org/a",
        "--id",
        "new-article",
    )
    assert proc.returncode == 0, proc.stderr
    raw = project / "data/raw/documents/new-article.txt"
    assert raw.read_bytes() == source.read_bytes()
    meta = yaml.safe_load((project / "data/raw/documents/new-article.yaml").read_text("utf-8"))
    assert meta["sha256"] == sha(source)
    assert (meta["date_published"], meta["date_precision"]) == ("2019-05", "month")
    run_snakemake(project, check=True)
    table = pd.read_parquet(project / "data/processed/documents.parquet")
    assert "new-article" in set(table.doc_id)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--id", "merseyside-before-the-harm"],
            "--id 'merseyside-before-the-harm': already used by",
        ),
        (["--id", "../escape"], "--id '../escape': a doc_id is 3 to 64 lower-case letters"),
        (["--id", "sub/dir"], "--id 'sub/dir': a doc_id is 3 to 64 lower-case letters"),
        (["--date", "11/09/2018"], "--date '11/09/2018': use YYYY, YYYY-MM or YYYY-MM-DD"),
        (["--date", "2999-01"], "--date '2999-01': later than the day the document was read"),
        (["--url", "javascript:alert(1)"], "--url must start with http:// or https://"),
        (["--url", "ftp://x"], "--url 'ftp://x': --url must start with http:// or https://"),
        (
            ["--title", "Merseyside before the harm"],
            "--id 'merseyside-before-the-harm' (derived from --title; pass --id to choose "
            "another): already used by",
        ),
    ],
)
def test_add_refuses_bad_options(project, tmp_path, args, message):
    source = tmp_path / "doc.txt"
    source.write_text("Some 12 children.", "utf-8")
    before = sorted(p.name for p in (project / "data/raw/documents").iterdir())
    proc = run_cli(project, "add", str(source), "--title", "Test doc", *args)
    assert proc.returncode == 2
    assert message in proc.stderr and "schema" not in proc.stderr
    assert sorted(p.name for p in (project / "data/raw/documents").iterdir()) == before


def test_add_refuses_the_same_bytes_twice(project):
    existing = project / "data/raw/documents/merseyside-before-the-harm.txt"
    proc = run_cli(project, "add", str(existing), "--title", "Again", "--id", "again")
    assert proc.returncode == 2
    assert (
        "the same bytes are already in the catalogue as 'merseyside-before-the-harm'" in proc.stderr
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\n ", "the file is empty or holds only white space"),
        (b"caf\xe9", "not valid UTF-8"),
    ],
)
def test_add_refuses_empty_or_non_utf8(project, tmp_path, content, message):
    source = tmp_path / "bad.txt"
    source.write_bytes(content)
    proc = run_cli(project, "add", str(source), "--title", "Bad")
    assert proc.returncode == 2
    assert message in proc.stderr


def test_add_refuses_a_directory(project, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    proc = run_cli(project, "add", str(folder), "--title", "A folder")
    assert proc.returncode == 2
    assert f"{folder}: is a directory; `add` takes one document file" in proc.stderr


def test_add_rolls_back_when_the_registry_rejects_a_report(project, tmp_path):
    source = tmp_path / "doc.txt"
    source.write_text("Some 12 children.", "utf-8")
    with pytest.raises(FigtraceError, match="--report no-such-report"):
        add_document(
            source,
            project / "data/raw",
            title="T",
            publisher=None,
            date_published=None,
            doc_id="rollback",
            reports_cited=("no-such-report",),
        )
    assert not list((project / "data/raw/documents").glob("rollback*"))


def test_editing_package_code_reruns_the_rules_that_use_it(built_project):
    checks = built_project / "src/figtrace/checks.py"
    original = checks.read_text("utf-8")
    try:
        checks.write_text(original + "\n# an edit\n", "utf-8")
        proc = run_snakemake(built_project, "--dry-run")
        shown = proc.stdout + proc.stderr
        assert "rule checks:" in shown and "Updated input files: src/figtrace/checks.py" in shown
        assert "rule mentions:" not in shown and "rule text_shard:" not in shown
        assert "rule shard:" not in shown
    finally:
        checks.write_text(original, "utf-8")


# --- the catalogue's helpers, in process ---------------------------------------------------------


def test_fingerprint_round_trips_and_refuses_a_broken_line(tmp_path):
    docs = load_catalogue(RAW)
    path = tmp_path / "catalogue.tsv"
    path.write_text(fingerprint(docs), "utf-8")
    rows = read_fingerprint(path)
    assert rows == sorted((d.doc_id, d.sha256, d.sidecar_sha256) for d in docs)
    assert [d.doc_id for d in load_listed(RAW, path)] == [r[0] for r in rows]
    path.write_text(fingerprint(docs) + "one  two\n", "utf-8")
    with pytest.raises(FigtraceError, match=r"line 6 is not `doc_id  sha256  sidecar sha256`"):
        read_fingerprint(path)


def test_load_documents_reads_only_the_named_ones(tmp_path):
    assert [d.doc_id for d in load_documents(RAW, [DOC, "not-there"])] == [DOC]
    raw = Path(shutil.copytree(RAW, tmp_path / "raw"))
    edit_yaml(raw / "documents" / f"{DOC}.yaml", lambda meta: meta.update(doc_id="renamed"))
    with pytest.raises(FigtraceError, match="doc_id 'renamed' does not match the file name"):
        load_documents(raw, [DOC])


@pytest.mark.parametrize(
    ("title", "slug"),
    [("Over 1,200 Children Referred: a Report on 2019 and Beyond", "over-1-200-children-referred-a"),
     ("¿¡!", "document")],
)  # fmt: skip
def test_slugify(title, slug):
    assert slugify(title) == slug


def test_add_document_in_process_writes_the_sidecar(tmp_path):
    raw = Path(shutil.copytree(RAW, tmp_path / "raw"))
    source = tmp_path / "Some Article.txt"
    source.write_bytes(b"It says 1,234 children were referred.\n")
    doc = add_document(source, raw, title="A title", publisher="P", date_published="2019-05",
                       url="https://example.org/a", doc_id="some-article")  # fmt: skip
    assert (doc.doc_id, doc.title, doc.date_published, doc.date_precision) == (
        "some-article", "A title", "2019-05", "month"
    )  # fmt: skip
    meta = yaml.safe_load((raw / "documents/some-article.yaml").read_text("utf-8"))
    assert meta["sha256"] == sha(source) and meta["source_filename"] == "Some Article.txt"
    assert (raw / "documents/some-article.txt").read_bytes() == source.read_bytes()
    table = documents_table(load_catalogue(raw), tmp_path)
    row = table.set_index("doc_id").loc["some-article"]
    assert (row.date_published, row.url, row.publisher) == ("2019-05", "https://example.org/a", "P")
    with pytest.raises(FigtraceError, match=r"--id 'Bad Id': a doc_id is 3 to 64 lower-case"):
        add_document(source, raw, title="t", publisher=None, date_published=None, doc_id="Bad Id")
