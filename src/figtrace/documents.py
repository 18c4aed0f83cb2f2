"""Documents: raw source files, their origin sidecars, and the verification that pins their bytes.

A document is a raw file under `data/raw/documents/` plus a YAML sidecar beside it
(`<doc_id>.yaml`). The sidecar pins the sha256 of the raw bytes; verification re-hashes
every file and refuses to go on if a single byte changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from figtrace import outputs
from figtrace.errors import FigtraceError
from figtrace.registries import Report, load_reports, load_yaml, schema_bytes, validate
from figtrace.text import (
    CanonicalText,
    cached_canonical_text,
    canonical_text,
    check_document,
    decode_utf8,
    document_metadata,
    media_type_for,
)

if TYPE_CHECKING:  # pandas is imported where a table is built: Snakemake loads this module at
    import pandas as pd  # every invocation, and pandas alone costs ~0.2 s to import.

SIDECAR_SUFFIX = ".yaml"
# Where the pipeline remembers validated sidecars (see SidecarMemo), relative to the project root.
SIDECAR_MEMO = Path(".snakemake/figtrace/sidecars.json")
SIDECAR_ORDER = [
    "doc_id", "path", "source_filename", "sha256", "media_type", "language",
    "title", "title_note", "description", "publisher", "publisher_note", "author",
    "date_published", "date_precision", "date_note", "url", "url_note",
    "date_accessed", "date_accessed_note", "kind", "report_id", "reports_cited", "attribution",
    "notes",
]  # fmt: skip


_QUOTED = re.compile(r'[“"]([^”"]+)[”"]')
UNTITLED_NOTE = "a description; the document has no headline"


def sidecar_description(meta: dict[str, Any]) -> str | None:
    """A sidecar's description of a document without a headline (see Document.description)."""
    if meta.get("description"):
        return " ".join(str(meta["description"]).split())
    found = _QUOTED.search(meta.get("title_note") or "")
    return " ".join(found.group(1).split()) if found else None


def document_name(title: str | None, description: str | None, doc_id: str) -> str:
    """How a document is named in plain text: its title; else its description, marked as one;
    else its doc_id."""
    if title:
        return title
    if description:
        return f"“{description}” ({UNTITLED_NOTE})"
    return f"untitled document [{doc_id}]"


@dataclass(frozen=True)
class Document:
    """One verified source document: its origin metadata and where its raw bytes live."""

    doc_id: str
    path: Path
    sidecar: Path
    sha256: str
    title: str | None
    publisher: str | None
    date_published: str | None
    date_precision: str
    url: str | None
    date_accessed: str
    media_type: str
    language: str
    reports_cited: tuple[str, ...]
    meta: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    sidecar_sha256: str = field(default="", compare=False, repr=False)

    def description(self) -> str | None:
        """What readers know a document without a headline as: the sidecar's `description`, or
        else the first passage in double quotes of its `title_note`; None if it has neither."""
        return sidecar_description(self.meta)

    @property
    def kind(self) -> str:
        """`report` (the original publication itself) or `article` (reporting on reports)."""
        return self.meta.get("kind", "article")

    @property
    def sidecar_name(self) -> str:
        """The sidecar's file name (catalogue-wide checks compare names, not paths)."""
        return self.sidecar.name

    @property
    def raw_name(self) -> str:
        """The raw file's name, in the same folder as the sidecar."""
        return self.path.name

    @property
    def report_id(self) -> str | None:
        """For a document of kind `report`: the report_id in reports.yaml it is."""
        return self.meta.get("report_id")

    def text(self) -> str:
        """The document's canonical text: for plain text, the UTF-8-decoded raw file exactly."""
        return self.canonical().text

    def canonical(self) -> CanonicalText:
        """The canonical text with its map back to pages, boxes or elements (figtrace.text)."""
        return cached_canonical_text(str(self.path), self.media_type, self.sha256)


EMPTY = "the file is empty or holds only white space; a source document must have text."


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def decode_text(path: Path, data: bytes) -> str:
    """Decode raw bytes as UTF-8, strictly; the error names the byte offset and the fix."""
    return decode_utf8(path, data)


def documents_dir(raw_dir: Path) -> Path:
    """Where the raw documents and their sidecars live."""
    return Path(raw_dir) / "documents"


def sidecar_paths(raw_dir: Path) -> list[Path]:
    """Every sidecar under `data/raw/documents/`, in a stable order (by name).

    Listed with os.scandir and sorted as strings: Snakemake lists the folder at every start, and
    globbing and sorting Path objects cost ten times as much at 10,000 documents."""
    folder = documents_dir(raw_dir)
    if not folder.is_dir():
        return []
    names = sorted(
        entry.name for entry in os.scandir(folder) if entry.name.endswith(SIDECAR_SUFFIX)
    )
    return [folder / name for name in names]


class SidecarMemo:
    """Sidecars already parsed and validated, keyed by the sha256 of their bytes.

    Parsing YAML and validating it against the schema is most of the cost of loading a large
    catalogue, and it runs at every Snakemake invocation. A sidecar's fields are a pure function
    of its bytes (and of the schema), so they are reused when the bytes hash the same: nothing is
    trusted from names, sizes or times. Raw documents are always re-read and re-hashed.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path else None
        self.key = sha256_bytes(schema_bytes("document"))
        self.entries: dict[str, dict[str, Any]] = {}
        self.used: dict[str, dict[str, Any]] = {}
        if self.path and self.path.is_file():
            try:
                stored = json.loads(self.path.read_bytes())
                if stored.get("schema") == self.key:
                    self.entries = stored["sidecars"]
            except (ValueError, KeyError, TypeError, AttributeError):
                self.entries = {}  # an unreadable memo is only a slower load, never an error

    def meta(self, sidecar: Path) -> tuple[dict[str, Any], str]:
        """One sidecar's validated fields (parsed only if its bytes are new) and its sha256."""
        data = sidecar.read_bytes()
        digest = sha256_bytes(data)
        meta = self.entries.get(digest)
        if meta is None:
            meta = load_yaml(sidecar, data)
            if not isinstance(meta, dict):
                raise FigtraceError(
                    f"{sidecar}: expected a mapping of fields, found {type(meta).__name__}."
                )
            validate(meta, "document", sidecar)
        self.used[digest] = meta
        return meta, digest

    def save(self) -> None:
        """Keep exactly the sidecars of this load (so the memo never grows stale), atomically."""
        if self.path and self.used.keys() != self.entries.keys():
            payload = {"schema": self.key, "sidecars": self.used}
            outputs.write_text(self.path, json.dumps(payload, sort_keys=True))


def load_document(
    sidecar: Path, check_bytes: bool, memo: SidecarMemo | None = None, validated: str | None = None
) -> Document:
    """One document from its sidecar, validated against the schema, its raw bytes re-hashed
    against the pin (`check_bytes`). `validated`: the sidecar sha256 a verified catalogue listed;
    the bytes must hash to it, and are then parsed without validating them again."""
    if validated is not None:
        data = sidecar.read_bytes()
        sidecar_sha256 = sha256_bytes(data)
        if sidecar_sha256 != validated:
            raise FigtraceError(
                f"{sidecar}: changed since the catalogue was verified (its sha256 is now "
                f"{sidecar_sha256}); run Snakemake again so that it verifies the documents."
            )
        meta = load_yaml(sidecar, data)
    else:
        meta, sidecar_sha256 = (memo or SidecarMemo(None)).meta(sidecar)
    raw = sidecar.parent / meta["path"]
    if check_bytes:
        try:
            data = raw.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise FigtraceError(f"{sidecar}: its raw document {raw} is missing.") from None
        if not data.strip():
            raise FigtraceError(f"{raw}: {EMPTY}")
        digest = sha256_bytes(data)
        if digest != meta["sha256"]:
            raise FigtraceError(
                f"{raw}: sha256 is {digest}, but {sidecar.name} pins {meta['sha256']}: "
                "the raw bytes changed. Raw documents are immutable: restore the original file "
                "(e.g. `git checkout -- " + str(raw) + "`), or add the new version as a new "
                "document with `python -m figtrace add`."
            )
        check_document(raw, meta["media_type"], data)
    elif not raw.is_file():
        raise FigtraceError(f"{sidecar}: its raw document {raw} is missing.")
    return Document(
        doc_id=meta["doc_id"],
        path=raw,
        sidecar=sidecar,
        sha256=meta["sha256"],
        title=meta["title"],
        publisher=meta["publisher"],
        date_published=meta["date_published"],
        date_precision=meta["date_precision"],
        url=meta["url"],
        date_accessed=meta["date_accessed"],
        media_type=meta["media_type"],
        language=meta["language"],
        reports_cited=tuple(meta["reports_cited"]),
        meta=meta,
        sidecar_sha256=sidecar_sha256,
    )


def load_catalogue(
    raw_dir: Path, check_bytes: bool = True, memo: Path | None = None
) -> list[Document]:
    """Load and verify every document under `raw_dir`; raise one FigtraceError on the first fault.

    Checks: each sidecar matches the schema, its raw file exists, is not empty, is UTF-8
    (for text) and hashes to the pinned sha256; doc_ids, paths and hashes are unique; and every
    cited report is in the report registry. `memo` is a file remembering validated sidecars by
    the hash of their bytes (see SidecarMemo); the checks and their messages are the same.
    """
    raw_dir = Path(raw_dir)
    reports = load_reports(raw_dir / "reports.yaml")
    sidecars = SidecarMemo(memo)
    docs = [load_document(sidecar, check_bytes, sidecars) for sidecar in sidecar_paths(raw_dir)]
    check_catalogue(docs, reports, raw_dir)
    sidecars.save()
    return docs


def check_catalogue(docs: Sequence[Any], reports: dict[str, Report], raw_dir: Path) -> None:
    """The checks across documents, on Documents or index entries (figtrace.catalogue): ids,
    raw files and hashes unique; each sidecar named by its doc_id; every cited report in the
    registry; report documents as pinned; and at least one document. Every sidecar is in one
    folder, so names are compared (paths are built only for a message)."""
    folder = documents_dir(raw_dir)
    seen_ids: dict[str, str] = {}
    seen_paths: dict[str, str] = {}
    seen_hashes: dict[str, str] = {}
    unique = all(
        len({getattr(doc, name) for doc in docs}) == len(docs)
        for name in ("doc_id", "raw_name", "sha256")
    )
    for doc in [] if unique else docs:  # only to name the first duplicate
        for key, seen, what in (
            (doc.doc_id, seen_ids, "doc_id"),
            (doc.raw_name, seen_paths, "path"),
            (doc.sha256, seen_hashes, "sha256 (the same bytes)"),
        ):
            if key in seen:
                shown = str(folder / key) if what == "path" else key
                raise FigtraceError(
                    f"{folder / doc.sidecar_name}: duplicate {what} {shown!r}, already used by "
                    f"{folder / seen[key]}. Each document needs its own id and its own bytes; "
                    "remove one of the two."
                )
            seen[key] = doc.sidecar_name
    for doc in docs:
        if doc.sidecar_name != doc.doc_id + SIDECAR_SUFFIX:
            raise FigtraceError(
                f"{folder / doc.sidecar_name}: doc_id {doc.doc_id!r} does not match the file "
                f"name; rename the sidecar to {doc.doc_id}{SIDECAR_SUFFIX} or fix the doc_id."
            )
        unknown = [r for r in doc.reports_cited if r not in reports] if doc.reports_cited else []
        if unknown:
            raise FigtraceError(
                f"{folder / doc.sidecar_name}: reports_cited names "
                f"{', '.join(map(repr, unknown))}, not in {raw_dir / 'reports.yaml'}. Add the "
                "report to the registry or fix the id."
            )
    check_report_documents(docs, reports, raw_dir / "reports.yaml")
    if not docs:
        raise FigtraceError(
            f"{documents_dir(raw_dir)}: no documents found; add one with `python -m figtrace add`."
        )


def check_report_documents(docs: Sequence[Any], reports: dict[str, Report], path: Path) -> None:
    """Every document of kind `report` is the one its report's pin in reports.yaml names: same
    doc_id, sha256 and size. A pinned report whose document is absent is no error (the build
    goes on without it); `figtrace fetch` brings it back and verifies it against the pin."""
    for doc in docs:
        if doc.kind != "report":
            continue
        report = reports.get(doc.report_id)
        if report is None:
            raise FigtraceError(
                f"{doc.sidecar}: report_id {doc.report_id!r} is not in {path}; add the "
                "report to the registry or fix the id."
            )
        pin = report.document
        if pin is None:
            raise FigtraceError(
                f"{doc.sidecar}: a report document, but {path} has no pin for "
                f"{report.report_id!r}; bring reports in with `figtrace fetch "
                f"{report.report_id}`, which pins them."
            )
        size = doc.path.stat().st_size
        if (pin["doc_id"], pin["sha256"], pin["size"]) != (doc.doc_id, doc.sha256, size):
            raise FigtraceError(
                f"{doc.sidecar}: {doc.doc_id} (sha256 {doc.sha256}, {size} bytes) is not the "
                f"document {path} pins for {report.report_id!r} ({pin['doc_id']}, sha256 "
                f"{pin['sha256']}, {pin['size']} bytes). Restore the pinned file with `figtrace "
                f"fetch {report.report_id}`, or accept a new version with `figtrace repin "
                f"{report.report_id}`."
            )


def fingerprint(docs: Sequence[Any]) -> str:
    """One line per document, `doc_id  sha256 of raw  sha256 of sidecar`, sorted by doc_id.

    A stage's jobs can depend on this small text instead of thousands of raw files: it changes
    exactly when a document is added, removed, or its sidecar edited (raw bytes cannot change
    without failing verification), and Snakemake's cost per input file disappears.
    """
    return "".join(sorted(fingerprint_line(d) for d in docs))


def fingerprint_line(doc: Any) -> str:
    """One document's line of `fingerprint` (doc_ids have no spaces, so lines sort by id)."""
    return f"{doc.doc_id}  {doc.sha256}  {doc.sidecar_sha256}\n"


def read_fingerprint(path: Path) -> list[tuple[str, str, str]]:
    """The (doc_id, raw sha256, sidecar sha256) lines of a catalogue file written by `fingerprint`."""
    rows = [line.split("  ") for line in Path(path).read_text("utf-8").splitlines()]
    for number, row in enumerate(rows, 1):
        if len(row) != 3:
            raise FigtraceError(
                f"{path}: line {number} is not `doc_id  sha256  sidecar sha256`; it is written "
                "by the pipeline (common.smk): delete it and run Snakemake again."
            )
    return [(doc_id, raw, sidecar) for doc_id, raw, sidecar in rows]


def fingerprint_ids(path: Path) -> list[str]:
    """The doc_ids of a catalogue file written by `fingerprint`, without splitting out the hashes
    (for a caller that needs only which documents there are: 100,000 lines in 0.05 s)."""
    return [line.partition("  ")[0] for line in Path(path).read_text("utf-8").splitlines()]


def load_documents(raw_dir: Path, doc_ids: list[str], check_bytes: bool = True) -> list[Document]:
    """The documents with these ids that exist in the catalogue (their sidecars, nothing else).

    For stages that need a few documents out of thousands (the annotated ones): reading every
    sidecar would make them grow with the corpus. Snakemake verified the whole catalogue first.
    """
    docs = []
    for doc_id in doc_ids:
        sidecar = documents_dir(raw_dir) / f"{doc_id}{SIDECAR_SUFFIX}"
        if sidecar.is_file():
            doc = load_document(sidecar, check_bytes)
            if doc.doc_id != doc_id:
                raise FigtraceError(
                    f"{sidecar}: doc_id {doc.doc_id!r} does not match the file name; "
                    f"rename the sidecar to {doc.doc_id}{SIDECAR_SUFFIX} or fix the doc_id."
                )
            docs.append(doc)
    return docs


def load_listed(
    raw_dir: Path, catalogue: Path, only: Collection[str] | None = None
) -> list[Document]:
    """Load and verify the documents a catalogue file lists (one shard), in its order; `only`:
    just these doc_ids of it (the others' results are being reused).

    Each raw file is re-hashed as in `load_catalogue`, and each document must still be the one
    listed (same raw and sidecar hashes). The sidecar's bytes are the ones the catalogue's
    verification validated (their hash is listed), so they are parsed, not validated again.
    """
    docs = []
    for doc_id, raw_sha, sidecar_sha in read_fingerprint(catalogue):
        if only is not None and doc_id not in only:
            continue
        sidecar = documents_dir(raw_dir) / f"{doc_id}{SIDECAR_SUFFIX}"
        if not sidecar.is_file():
            raise FigtraceError(
                f"{catalogue}: lists {doc_id!r} but {sidecar} is missing; run Snakemake again "
                "(it rewrites the catalogue from data/raw)."
            )
        try:
            doc = load_document(sidecar, True, validated=sidecar_sha)
        except FigtraceError as exc:
            raise FigtraceError(f"{exc} (listed in {catalogue})") from None
        if (doc.doc_id, doc.sha256) != (doc_id, raw_sha):
            raise FigtraceError(
                f"{sidecar}: changed since {catalogue} was written (doc_id or hashes differ); "
                "run Snakemake again so that it verifies and re-lists the documents."
            )
        docs.append(doc)
    return docs


DOCUMENT_COLUMNS = [
    "doc_id", "sha256", "title", "description", "publisher", "date_published", "date_precision", "url",
    "date_accessed", "path", "media_type", "language", "reports_cited", "n_chars", "n_bytes",
]  # fmt: skip


def document_rows(
    docs: list[Document],
    root: Path | None = None,
    canonical: dict[str, CanonicalText] | None = None,
) -> list[dict[str, Any]]:
    """The rows of the documents table (DOCUMENT_COLUMNS), ordered by doc_id; `path` is
    relative to `root` when given (`canonical`: the documents' canonical texts by doc_id, if
    the caller has them already)."""
    rows = []
    for doc in sorted(docs, key=lambda d: d.doc_id):
        n_bytes = doc.path.stat().st_size
        path = doc.path.relative_to(root) if root else doc.path
        rows.append(
            {
                "doc_id": doc.doc_id,
                "sha256": doc.sha256,
                "title": doc.title,
                "description": None if doc.title else doc.description(),
                "publisher": doc.publisher,
                "date_published": doc.date_published,
                "date_precision": doc.date_precision,
                "url": doc.url,
                "date_accessed": doc.date_accessed,
                "path": path.as_posix(),
                "media_type": doc.media_type,
                "language": doc.language,
                "reports_cited": ";".join(doc.reports_cited),
                "n_chars": len(canonical[doc.doc_id].text if canonical is not None else doc.text()),
                "n_bytes": n_bytes,
            }
        )
    return rows


def documents_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The documents table of `document_rows`."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=DOCUMENT_COLUMNS)
    # Typed explicitly: a shard whose documents all lack a field (say url) must not give the
    # column another type, or the gathered table would differ from one job's.
    text_columns = [c for c in DOCUMENT_COLUMNS if c not in ("n_chars", "n_bytes")]
    return frame.astype(
        {"n_chars": "int64", "n_bytes": "int64", **dict.fromkeys(text_columns, "str")}
    )


def documents_table(
    docs: list[Document],
    root: Path | None = None,
    canonical: dict[str, CanonicalText] | None = None,
) -> pd.DataFrame:
    """One row per document, ordered by doc_id; `path` is relative to `root` when given
    (`canonical`: the documents' canonical texts by doc_id, if the caller has them already)."""
    return documents_frame(document_rows(docs, root, canonical))


def write_documents_table(
    raw_dir: Path, out: Path, root: Path | None = None, memo: Path | None = None
) -> pd.DataFrame:
    """Verify the catalogue and write `documents.parquet` atomically."""
    frame = documents_table(load_catalogue(raw_dir, memo=memo), root=root)
    outputs.write_parquet(out, frame)
    return frame


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def date_precision(value: str | None) -> str:
    """The precision a date string states: `2016` year, `2016-11` month, `2016-11-15` day."""
    if value is None:
        return "unknown"
    match = _DATE.match(value)
    if not match:
        raise FigtraceError(
            f"--date {value!r}: use YYYY, YYYY-MM or YYYY-MM-DD, only as precise as the source."
        )
    year, month, day = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise FigtraceError(f"--date {value!r}: not a real date ({exc}).") from None
    return "day" if day else "month" if month else "year"


def slugify(text: str, max_words: int = 6) -> str:
    """A readable doc_id from a title: lower case, ASCII letters and digits, hyphens."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words[:max_words]) or "document"


def add_document(
    source: Path,
    raw_dir: Path,
    *,
    title: str | None,
    publisher: str | None,
    date_published: str | None,
    url: str | None = None,
    doc_id: str | None = None,
    language: str = "en",
    reports_cited: tuple[str, ...] = (),
    date_accessed: str | None = None,
    memo: Path | None = None,
    extra_meta: dict[str, Any] | None = None,
    existing: Callable[[str, str], Iterable[Any]] | None = None,
    listing: Iterable[str] | None = None,
) -> Document:
    """Copy `source` into `data/raw/documents/` byte for byte and write its sidecar.

    For HTML and PDF, what the file states about itself (title, publisher, author, date,
    canonical URL) fills the fields not given, each with a note naming where it came from.
    Refuses a file whose bytes or id are already in the catalogue, a file whose content is not
    what its extension says or whose text cannot be read, and an id or name that would escape
    `data/raw/`. Nothing is left behind if any step fails. `extra_meta` adds or overrides
    sidecar fields (`figtrace fetch` sets kind, report_id and where the file came from).
    `existing(doc_id, sha256)`: the catalogue's documents with that id or those bytes, if the
    caller can look them up (the catalogue index does); else every sidecar is read. `listing`:
    the names in the documents folder, if the caller has just listed it.
    """
    source = Path(source)
    raw_dir = Path(raw_dir)
    if url is not None and not re.match(r"https?://", url):
        raise FigtraceError(
            f"--url {url!r}: --url must start with http:// or https://; give the address the "
            "document was found at, or leave --url out."
        )
    if source.is_dir():
        raise FigtraceError(f"{source}: is a directory; `add` takes one document file: name it.")
    if not source.is_file():
        raise FigtraceError(f"{source}: no such file.")
    suffix = source.suffix.lower()
    media_type = media_type_for(source)
    data = source.read_bytes()
    if not data.strip():
        raise FigtraceError(f"{source}: {EMPTY}")
    check_document(source, media_type, data)
    canonical_text(source, media_type)  # reads the whole text now: no text layer, bad encoding
    stated = document_metadata(source, media_type)
    notes: dict[str, str] = {}
    given = {"title": title, "publisher": publisher, "date_published": date_published, "url": url}
    for name, value in given.items():
        if value is None and name in stated:
            given[name] = stated[name]
            notes[_NOTE[name]] = f"From the document's own {stated[name + '_source']}."
    title, publisher, date_published, url = given.values()
    if title is None:
        raise FigtraceError(
            f"{source}: the document states no title of its own; pass --title with its headline."
        )
    derived = "" if doc_id else " (derived from --title; pass --id to choose {})"
    doc_id = doc_id or slugify(title)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}[a-z0-9]", doc_id):
        raise FigtraceError(
            f"--id {doc_id!r}{derived.format('one')}: a doc_id is 3 to 64 lower-case letters, "
            "digits and hyphens (no slashes, dots or spaces), so that it cannot point outside "
            "data/raw/."
        )
    digest = sha256_bytes(data)
    # ids and pinned hashes only: the pipeline verifies every document's bytes before it runs
    if existing is None:
        catalogue = load_catalogue(raw_dir, check_bytes=False, memo=memo)
        clashes: Iterable[Any] = [d for d in catalogue if doc_id == d.doc_id or digest == d.sha256]
    else:
        clashes = existing(doc_id, digest)
    for doc in clashes:
        if doc.doc_id == doc_id:
            raise FigtraceError(
                f"--id {doc_id!r}{derived.format('another')}: already used by {doc.sidecar}; "
                "choose another id."
            )
        if doc.sha256 == digest:
            raise FigtraceError(
                f"{source}: the same bytes are already in the catalogue as {doc.doc_id!r} "
                f"({doc.path}); nothing was added."
            )
    precision = date_precision(date_published)
    accessed = date_accessed or date.today().isoformat()
    if date_published is not None and date_published[:10] > accessed:
        raise FigtraceError(
            f"--date {date_published!r}: later than the day the document was read ({accessed}); "
            "a source cannot be published after it was read: check the date."
        )
    folder = documents_dir(raw_dir).resolve()
    target = (folder / f"{doc_id}{suffix}").resolve()
    sidecar = (folder / f"{doc_id}{SIDECAR_SUFFIX}").resolve()
    if target.parent != folder or sidecar.parent != folder:
        raise FigtraceError(f"--id {doc_id!r}: the path would leave {folder}.")
    if target.exists() or sidecar.exists():
        raise FigtraceError(f"{target}: a file of that name already exists; choose another --id.")
    meta: dict[str, Any] = {
        "doc_id": doc_id,
        "path": target.name,
        "source_filename": source.name,
        "sha256": digest,
        "media_type": media_type,
        "language": language,
        "title": title,
        "publisher": publisher,
        "date_published": date_published,
        "date_precision": precision,
        "url": url,
        "date_accessed": accessed,
        "reports_cited": list(reports_cited),
        **notes,
    }
    if "author" in stated:
        meta["author"] = stated["author"]
    if publisher is None:
        meta["publisher_note"] = "Not given when the document was added."
    if date_published is None:
        meta["date_note"] = "Not given when the document was added."
    if url is None:
        meta["url_note"] = "Not given when the document was added."
    meta.update(extra_meta or {})
    validate(meta, "document", sidecar)
    reports = load_reports(raw_dir / "reports.yaml") if reports_cited else {}
    unknown = [r for r in reports_cited if r not in reports]
    if unknown:
        raise FigtraceError(f"--report {', '.join(unknown)}: not in {raw_dir / 'reports.yaml'}.")
    try:
        # one listing of the documents folder (200,000 files at 100,000 documents), not two
        listed = {target.parent: listing} if listing is not None else None
        outputs.sweep_leftovers([target, sidecar], listed)
        outputs.atomic_write(target, lambda tmp: shutil.copyfile(source, tmp), sweep=False)
        text = dump_sidecar(meta).encode("utf-8")
        outputs.atomic_write(sidecar, lambda tmp: tmp.write_bytes(text), sweep=False)
    except BaseException:
        target.unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)
        raise
    return load_document(sidecar, check_bytes=True)


_NOTE = {"title": "title_note", "publisher": "publisher_note", "date_published": "date_note",
         "url": "url_note"}  # fmt: skip


def dump_sidecar(meta: dict[str, Any]) -> str:
    """Sidecar YAML with fields in a fixed, readable order."""
    ordered = {k: meta[k] for k in SIDECAR_ORDER if k in meta}
    ordered.update({k: v for k, v in meta.items() if k not in ordered})
    return yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=100)
