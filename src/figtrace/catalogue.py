"""The catalogue index: every document's verified hashes, remembered by stat, so that a start
re-hashes only the files that changed.

Verifying 100,000 documents in full (reading every raw file and sidecar, hashing both, parsing
and validating every sidecar) takes tens of seconds, and the pipeline verifies the catalogue at
every Snakemake start. The index (`.snakemake/figtrace/index/<raw folder>.tsv`, derived state,
never under `data/raw/`) keeps, for each document, the sidecar's and the raw file's size, inode,
modification and change times together with their verified sha256 and the few sidecar fields a
start needs. A start stats every file and trusts an entry only if both stats are exactly the
ones recorded; any other document is verified in full, as without an index.

What a stat can and cannot see. Any write through the file system moves the change time
(ctime), and a user cannot set it back (`touch` and `os.utime` set the modification time and
move the change time again), so an edit that keeps the size and restores the modification time
is still caught. A stat cannot see bytes changed behind the file system's back: a disk that
rots, a raw block device edited directly, or a clock set back while a file is rewritten. Those
are caught by `figtrace verify --all`, which ignores the index and re-hashes every file (the
test suite does it on every run; each fresh checkout has no index and is verified in full).

A file changed less than two seconds before the index was written is not trusted the next time
(git's "racy" entries): a second write within the clock's granularity could leave its stat as
it was. A missing, unreadable or foreign index (another raw folder, another sidecar schema) is
never trusted: the catalogue is verified in full and the index written anew, with a note saying
why.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from figtrace import outputs
from figtrace.documents import (
    SIDECAR_SUFFIX,
    Document,
    check_catalogue,
    documents_dir,
    load_document,
    sha256_bytes,
)
from figtrace.registries import load_reports, schema_bytes

INDEX_DIR = Path(".snakemake/figtrace/index")
VERSION = "figtrace catalogue index 1"
RACY_NS = 2_000_000_000  # a file changed this close to the index's writing is not trusted

Stat = tuple[int, int, int, int]


def stat_key(path: str) -> Stat:
    """What the index compares: size, inode, modification and change time (nanoseconds)."""
    st = os.stat(path)
    return (st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


@dataclass(frozen=True, slots=True)
class Entry:
    """One verified document as the index knows it: enough to plan shards and check reports."""

    doc_id: str
    folder: str
    sidecar_name: str
    raw_name: str
    sha256: str
    sidecar_sha256: str
    sidecar_stat: Stat
    raw_stat: Stat
    media_type: str
    kind: str
    report_id: str | None
    reports_cited: tuple[str, ...]

    @property
    def path(self) -> Path:
        """The raw file."""
        return Path(self.folder, self.raw_name)

    @property
    def sidecar(self) -> Path:
        """The sidecar beside it."""
        return Path(self.folder, self.sidecar_name)


def entry_of(doc: Document) -> Entry:
    """The index entry of a document just verified in full (stats taken now)."""
    folder = str(doc.sidecar.parent)
    return Entry(
        doc_id=doc.doc_id,
        folder=folder,
        sidecar_name=doc.sidecar.name,
        raw_name=doc.path.name,
        sha256=doc.sha256,
        sidecar_sha256=doc.sidecar_sha256,
        sidecar_stat=stat_key(str(doc.sidecar)),
        raw_stat=stat_key(str(doc.path)),
        media_type=doc.media_type,
        kind=doc.kind,
        report_id=doc.report_id,
        reports_cited=doc.reports_cited,
    )


def index_path(raw_dir: Path, index_dir: Path = INDEX_DIR) -> Path:
    """Where the index of one raw folder lives (one file per folder, named by its real path)."""
    real = os.path.realpath(raw_dir)
    digest = hashlib.sha1(real.encode("utf-8")).hexdigest()[:16]
    return Path(index_dir) / f"{Path(real).name}-{digest}.tsv"


def _header(raw_dir: Path, written_ns: int) -> str:
    schema = sha256_bytes(schema_bytes("document"))
    return f"# {VERSION}\t{schema}\t{os.path.realpath(raw_dir)}\t{written_ns}\n"


def _line(e: Entry) -> str:
    fields = [
        e.doc_id, e.sidecar_name, *map(str, e.sidecar_stat), e.sidecar_sha256,
        e.raw_name, *map(str, e.raw_stat), e.sha256, e.media_type, e.kind,
        e.report_id or "", ";".join(e.reports_cited),
    ]  # fmt: skip
    return "\t".join(fields) + "\n"


def _parse(line: str, folder: str) -> Entry:
    f = line.rstrip("\n").split("\t")
    if len(f) != 17:
        raise ValueError(f"{len(f)} fields, expected 17")
    return Entry(
        doc_id=f[0],
        folder=folder,
        sidecar_name=f[1],
        sidecar_stat=(int(f[2]), int(f[3]), int(f[4]), int(f[5])),
        sidecar_sha256=f[6],
        raw_name=f[7],
        raw_stat=(int(f[8]), int(f[9]), int(f[10]), int(f[11])),
        sha256=f[12],
        media_type=f[13],
        kind=f[14],
        report_id=f[15] or None,
        reports_cited=tuple(f[16].split(";")) if f[16] else (),
    )


def read_index(path: Path, raw_dir: Path) -> tuple[dict[str, Entry], int, str | None]:
    """The entries of an index file by sidecar name, when it was written, and why it cannot be
    used (None if it can): missing, unreadable, or written for another folder or schema."""
    path = Path(path)
    if not path.is_file():
        return {}, 0, f"no catalogue index yet ({path})"
    try:
        lines = path.read_text("utf-8").splitlines(keepends=True)
        head = lines[0].rstrip("\n").split("\t")
        written = int(head[3])
        if _header(raw_dir, written) != lines[0]:
            return {}, 0, f"{path} was written for another raw folder, schema or index version"
        folder = str(documents_dir(raw_dir))
        entries = {e.sidecar_name: e for e in (_parse(line, folder) for line in lines[1:])}
    except (IndexError, ValueError, UnicodeDecodeError) as exc:
        return {}, 0, f"{path} is unreadable ({exc})"
    return entries, written, None


def write_index(path: Path, raw_dir: Path, entries: list[Entry], written_ns: int) -> None:
    """Write the index atomically, sorted by sidecar name."""
    body = "".join(_line(e) for e in sorted(entries, key=lambda e: e.sidecar_name))
    outputs.write_text(path, _header(raw_dir, written_ns) + body)


@dataclass
class Verified:
    """The result of verifying a catalogue: its entries and what the verification did."""

    entries: list[Entry]
    rehashed: int
    note: str | None


def verify_catalogue(raw_dir: Path, index: Path | None, full: bool = False) -> Verified:
    """Verify every document under `raw_dir`, trusting an index entry only when both of its
    files stat exactly as recorded (see the module docstring); re-verify every other document
    in full, run the catalogue-wide checks (unique ids, paths and hashes; cited reports known;
    report documents as pinned), and rewrite the index if anything changed. `full` ignores the
    index (`figtrace verify --all`). Raises one FigtraceError on the first fault."""
    raw_dir = Path(raw_dir)
    now = time.time_ns()
    known, written, note = ({}, 0, "verifying every document in full (--all)")
    if not full and index is not None:
        known, written, note = read_index(index, raw_dir)
        if note:
            note += ": verifying every document in full, then writing the index"
    folder = documents_dir(raw_dir)
    names = (
        sorted(e.name for e in os.scandir(folder) if e.name.endswith(SIDECAR_SUFFIX))
        if (folder.is_dir())
        else []
    )
    prefix = str(folder) + os.sep
    entries: list[Entry] = []
    rehashed = 0
    for name in names:
        entry = known.get(name)
        if entry is not None and _unchanged(entry, prefix, written):
            entries.append(entry)
            continue
        entries.append(entry_of(load_document(folder / name, check_bytes=True)))
        rehashed += 1
    check_catalogue(entries, load_reports(raw_dir / "reports.yaml"), raw_dir)
    if index is not None and (rehashed or len(known) != len(entries) or note):
        write_index(index, raw_dir, entries, now)
    return Verified(entries, rehashed, note)


def _unchanged(entry: Entry, prefix: str, written_ns: int) -> bool:
    """Both files stat as recorded, and neither changed within RACY_NS of the index's writing."""
    try:
        sidecar = stat_key(prefix + entry.sidecar_name)
        raw = stat_key(prefix + entry.raw_name)
    except OSError:
        return False
    if sidecar != entry.sidecar_stat or raw != entry.raw_stat:
        return False
    newest = max(sidecar[2], sidecar[3], raw[2], raw[3])
    return written_ns - newest > RACY_NS


def record_added(raw_dir: Path, index: Path, doc: Document) -> bool:
    """After `figtrace add`: put the new document's entry into an existing, usable index (it is
    re-hashed once at the next start, its files being younger than the index). Returns whether
    the index was updated; a missing or unusable index is left for the next start to rebuild."""
    known, written, note = read_index(index, raw_dir)
    if note:
        return False
    entry = entry_of(doc)
    known[entry.sidecar_name] = entry
    write_index(index, raw_dir, list(known.values()), written)
    return True


def known_documents(raw_dir: Path, index: Path | None) -> list[Entry | Document]:
    """Every document's id and pinned hash, for `figtrace add` to refuse duplicates: index
    entries whose files stat as recorded, and for the others the sidecar alone (raw bytes are
    not read; the pipeline verifies them before it runs)."""
    known, written, _ = read_index(index, raw_dir) if index is not None else ({}, 0, None)
    folder = documents_dir(raw_dir)
    if not folder.is_dir():
        return []
    prefix = str(folder) + os.sep
    found: list[Entry | Document] = []
    for name in sorted(e.name for e in os.scandir(folder) if e.name.endswith(SIDECAR_SUFFIX)):
        entry = known.get(name)
        if entry is not None and _unchanged(entry, prefix, written):
            found.append(entry)
        else:
            found.append(load_document(folder / name, check_bytes=False))
    return found
