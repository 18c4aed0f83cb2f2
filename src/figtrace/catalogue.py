"""The catalogue index: every document's verified hashes, remembered by stat, so that a start
re-hashes only the files that changed.

Verifying 100,000 documents in full (reading every raw file and sidecar, hashing both, parsing
and validating every sidecar) takes tens of seconds, and the pipeline verifies the catalogue at
every Snakemake start. The index (`.snakemake/figtrace/index/<raw folder>-<hash>.index`, derived
state, never under `data/raw/`) keeps, for each document, the sidecar's and the raw file's size,
inode, modification and change times together with their verified sha256 and the few sidecar
fields a start needs: a header line of text, then one list of strings per field in marshal's
format, which Python reads back fastest, each column with its own length and checksum in the
header, so that `figtrace add` checks and loads only the columns it looks up. A start stats
every file and trusts an entry only if both stats are exactly the ones recorded; any other
document is verified in full, as without an index.

What a stat can and cannot see. Any write through the file system moves the change time
(ctime), and a user cannot set it back (`touch` and `os.utime` set the modification time and
move the change time again), so an edit that keeps the size and restores the modification time
is still caught. A stat cannot see bytes changed behind the file system's back: a disk that
rots, a raw block device edited directly, or a clock set back while a file is rewritten. Those
are caught by `figtrace verify --all`, which ignores the index and re-hashes every file (the
test suite does it on every run; each fresh checkout has no index and is verified in full).

A file changed less than two seconds before it was verified is recorded without a stat and
re-hashed at the next start (git's "racy" entries): a second write within the clock's
granularity could leave its stat as it was. A missing, unreadable or foreign index (another raw folder, another sidecar schema) is
never trusted: the catalogue is verified in full and the index written anew, with a note saying
why.

`figtrace add` appends its document's entry to a journal beside the index (`<index>.added`, one
checksummed line per document) instead of rewriting 36 MB for one entry at 100,000 documents;
the next start reads the journal with the index, lists the folder again, and folds both into a
new index. A line cut short by a killed writer fails its checksum and is ignored: that document
is then verified in full, as any document the index does not list.
"""

from __future__ import annotations

import bisect
import hashlib
import marshal
import operator
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import compress
from pathlib import Path
from typing import NamedTuple

from figtrace import outputs
from figtrace.documents import (
    SIDECAR_SUFFIX,
    Document,
    check_catalogue,
    check_report_documents,
    documents_dir,
    load_document,
    sha256_bytes,
)
from figtrace.registries import Report, load_reports, schema_bytes

INDEX_DIR = Path(".snakemake/figtrace/index")
VERSION = "figtrace catalogue index 4"
MARSHAL_VERSION = 4  # marshal's format since Python 3.4: lists of strings, nothing executable
RACY_NS = 2_000_000_000  # a file changed this close to the index's writing is not trusted


def stat_key(path: str | Path) -> str:
    """What the index compares: size, inode, modification and change time (nanoseconds)."""
    return _key(os.stat(path))


def _key(st: os.stat_result) -> str:
    return f"{st.st_size}:{st.st_ino}:{st.st_mtime_ns}:{st.st_ctime_ns}"


class Entry(NamedTuple):
    """One verified document as the index knows it: enough to plan shards and check reports.
    A stat is `-` when the file had changed too recently to be trusted next time (racy)."""

    doc_id: str
    sidecar_name: str
    sidecar_stat: str
    sidecar_sha256: str
    raw_name: str
    raw_stat: str
    sha256: str
    media_type: str
    kind: str
    report: str
    cited: str
    folder: str

    @property
    def path(self) -> Path:
        """The raw file."""
        return Path(self.folder, self.raw_name)

    @property
    def sidecar(self) -> Path:
        """The sidecar beside it."""
        return Path(self.folder, self.sidecar_name)

    @property
    def report_id(self) -> str | None:
        """For a document of kind `report`: the report_id in reports.yaml it is."""
        return self.report or None

    @property
    def reports_cited(self) -> tuple[str, ...]:
        """The report_ids the document cites."""
        return tuple(self.cited.split(";")) if self.cited else ()


def _settled(path: Path, now_ns: int) -> str:
    """A file's stat key, or `-` if it changed within RACY_NS of now (not to be trusted)."""
    st = os.stat(path)
    if now_ns - max(st.st_mtime_ns, st.st_ctime_ns) <= RACY_NS:
        return "-"
    return _key(st)


def entry_of(doc: Document, now_ns: int) -> Entry:
    """The index entry of a document just verified in full (its files stat'ed now)."""
    return Entry(
        doc_id=doc.doc_id,
        sidecar_name=doc.sidecar.name,
        sidecar_stat=_settled(doc.sidecar, now_ns),
        sidecar_sha256=doc.sidecar_sha256,
        raw_name=doc.path.name,
        raw_stat=_settled(doc.path, now_ns),
        sha256=doc.sha256,
        media_type=doc.media_type,
        kind=doc.kind,
        report=doc.report_id or "",
        cited=";".join(doc.reports_cited),
        folder=str(doc.sidecar.parent),
    )


def index_path(raw_dir: Path, index_dir: Path = INDEX_DIR) -> Path:
    """Where the index of one raw folder lives (one file per folder, named by its real path)."""
    real = os.path.realpath(raw_dir)
    digest = hashlib.sha1(real.encode("utf-8")).hexdigest()[:16]
    return Path(index_dir) / f"{Path(real).name}-{digest}.index"


def _identity(raw_dir: Path) -> str:
    """What an index must have been written for: this version, sidecar schema and raw folder."""
    schema = sha256_bytes(schema_bytes("document"))
    return f"# {VERSION}\t{schema}\t{os.path.realpath(raw_dir)}"


def _registry_digest(raw_dir: Path) -> str:
    """The report registry's sha256: the catalogue-wide checks depend on it too."""
    registry = Path(raw_dir) / "reports.yaml"
    return sha256_bytes(registry.read_bytes()) if registry.is_file() else "-"


FIELDS = Entry._fields[:-1]  # what the index stores of an entry (the folder is the index's own)


class Columns:
    """Entries as one list per field, in sidecar-name order: 100,000 documents are a few lists
    of strings, and an Entry is made only for a document that is asked for."""

    def __init__(self, fields: dict[str, list[str]], folder: str) -> None:
        self.fields = fields
        self.folder = folder

    def __len__(self) -> int:
        return len(self.fields["sidecar_name"])

    def entry(self, row: int) -> Entry:
        """One row as an Entry (fields a partial read left out are empty, see `read_index`)."""
        fields = self.fields
        return Entry(*(fields[f][row] if f in fields else "" for f in FIELDS), self.folder)

    def entries(self) -> list[Entry]:
        """Every row as an Entry, in order."""
        if len(self.fields) < len(FIELDS):  # a partial read (see `read_index`)
            return [self.entry(row) for row in range(len(self))]
        return list(
            map(Entry._make, zip(*self.fields.values(), [self.folder] * len(self), strict=True))
        )

    def body(self) -> list[bytes]:
        """The index's body: one list of strings per field, each in marshal's format (all read
        back in 0.1 s at 100,000 documents, where splitting lines of text took 0.2 s)."""
        return [marshal.dumps(self.fields[field], MARSHAL_VERSION) for field in FIELDS]


@dataclass
class Stored:
    """What an index file holds: its entries, the documents folder's stat when it was listed
    (`-` if racy), the report registry's digest when the catalogue-wide checks last passed, and
    why the file cannot be used (None if it can)."""

    columns: Columns
    folder_stat: str = "-"
    registry: str = "-"
    unusable: str | None = None
    journaled: int = 0  # entries read from the journal of `figtrace add` (see the docstring)

    @cached_property
    def entries(self) -> dict[str, Entry]:
        """The entries by sidecar name (made on first use)."""
        return {e.sidecar_name: e for e in self.columns.entries()}


def _empty(raw_dir: Path) -> Columns:
    return Columns({field: [] for field in FIELDS}, str(documents_dir(raw_dir)))


def read_index(path: Path, raw_dir: Path, fields: Iterable[str] = FIELDS) -> Stored:
    """An index file, if it is there, intact (the checksums of the columns read), and written
    for this raw folder, sidecar schema and index version; otherwise no entries and the reason.
    Only the columns named in `fields` (and `sidecar_name`, which orders the rows) are checked
    and loaded (`figtrace add` needs 4 of 11: 0.1 s less at 100,000 documents), journal entries
    included; such a partial read is for looking up, never for verifying."""
    path = Path(path)
    if not path.is_file():
        return Stored(_empty(raw_dir), unusable=f"no catalogue index yet ({path})")
    try:
        data = path.read_bytes()
        end = data.find(b"\n")  # the header line's end
        if end < 0:
            end = len(data)
        body = memoryview(data)[end + 1 :]  # slices of it, not copies of 36 MB
        head = data[:end].decode("utf-8").split("\t")
        if len(head) != 6:
            raise ValueError(f"a header of {len(head)} fields")
        if "\t".join(head[:3]) != _identity(raw_dir):
            reason = f"{path} was written for another raw folder, schema or index version"
            return Stored(_empty(raw_dir), unusable=reason)
        corrupt = f"{path} is unreadable (its contents do not match its checksum)"
        parts = [part.split(":") for part in head[-1].split(",")]  # length:sha256 per column
        if len(parts) != len(FIELDS) or sum(int(size) for size, _ in parts) != len(body):
            return Stored(_empty(raw_dir), unusable=corrupt)
        wanted = {*fields, "sidecar_name"}  # the rows' order and count
        columns: dict[str, list[str]] = {}
        start = 0
        for field, (size, digest) in zip(FIELDS, parts, strict=True):
            column = body[start : start + int(size)]
            start += int(size)
            if field not in wanted:
                continue
            if hashlib.sha256(column).hexdigest() != digest:
                return Stored(_empty(raw_dir), unusable=corrupt)
            columns[field] = marshal.loads(column)
        sizes = {len(column) for column in columns.values()}  # one field per document in each
        if len(sizes) > 1 or not all(isinstance(c, list) for c in columns.values()):
            raise ValueError(f"columns of {sorted(sizes)} fields")
        stored = Columns(columns, str(documents_dir(raw_dir)))
    except (IndexError, ValueError, TypeError, EOFError, UnicodeDecodeError) as exc:
        return Stored(_empty(raw_dir), unusable=f"{path} is unreadable ({exc})")
    journaled = _read_journal(journal_path(path), stored)
    # documents were added since the folder was listed: list it again
    folder_stat = "-" if journaled else head[3]
    return Stored(stored, folder_stat=folder_stat, registry=head[4], journaled=journaled)


def journal_path(index: Path) -> Path:
    """Where `figtrace add` appends the entries of the documents it added (see the docstring)."""
    return Path(index).with_name(Path(index).name + ".added")


def _journal_line(entry: Entry) -> str:
    line = "\t".join(getattr(entry, field) for field in FIELDS)
    return f"{line}\t{sha256_bytes(line.encode('utf-8'))}\n"


def _read_journal(path: Path, columns: Columns) -> int:
    """Insert the journal's intact entries into `columns` (one with the same sidecar replaces the
    indexed one); return how many were read. A torn or foreign line is skipped."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return 0
    except (OSError, UnicodeDecodeError):
        return 0  # never trusted: its documents are verified in full as unlisted ones
    read = 0
    for line in text.split("\n"):
        values = line.split("\t")
        body = "\t".join(values[:-1])
        if len(values) != len(FIELDS) + 1 or sha256_bytes(body.encode("utf-8")) != values[-1]:
            continue
        _insert(columns, Entry(*values[:-1], columns.folder))
        read += 1
    return read


def _insert(columns: Columns, entry: Entry) -> None:
    """Put `entry` into `columns` at its place in sidecar-name order, replacing its namesake."""
    fields = columns.fields
    row = bisect.bisect_left(fields["sidecar_name"], entry.sidecar_name)
    replace = row < len(columns) and fields["sidecar_name"][row] == entry.sidecar_name
    for field in fields:
        if replace:
            fields[field][row] = getattr(entry, field)
        else:
            fields[field].insert(row, getattr(entry, field))


def write_index(
    path: Path, raw_dir: Path, columns: Columns, folder_stat: str, registry: str = "-"
) -> None:
    """Write the index atomically: a header (what it was written for, the documents folder's
    stat, the registry's digest, each column's length and sha256), then the columns
    (`Columns.body`)."""
    body = columns.body()
    sums = ",".join(f"{len(column)}:{sha256_bytes(column)}" for column in body)
    head = f"{_identity(raw_dir)}\t{folder_stat}\t{registry}\t{sums}\n"
    outputs.write_bytes(path, b"".join([head.encode("utf-8"), *body]))


def _fold(path: Path, raw_dir: Path, columns: Columns, folder_stat: str, registry: str) -> None:
    """Write the index, then remove the journal it folded in (a line appended in between is
    lost, and its document verified in full at the next start, as any the index does not list)."""
    write_index(path, raw_dir, columns, folder_stat, registry)
    journal_path(path).unlink(missing_ok=True)
    # the same folder's index in the text format of versions 1 to 3, and its journal: replaced
    # (only beside an index named as `index_path` names it: another name may end in .tsv itself)
    if path.suffix == ".index":
        legacy = path.with_suffix(".tsv")
        for stale in (legacy, journal_path(legacy)):
            stale.unlink(missing_ok=True)


def _fold_in_background(
    path: Path,
    raw_dir: Path,
    columns: Columns,
    folder_stat: str,
    registry: str,
    go: threading.Event,
) -> None:
    """`_fold` in the index thread, once `go` is set or the main thread has ended (Python then
    waits for this thread). A failure is said, not raised, since the index only saves time (the
    next start reads the old index and its journal, or verifies in full)."""
    main = threading.main_thread()
    while not go.wait(0.05) and main.is_alive():
        pass
    try:
        _fold(path, raw_dir, columns, folder_stat, registry)
    except OSError as exc:
        print(
            f"figtrace: the catalogue index was not written ({exc}); the next start verifies "
            "again what it cannot trust.",
            file=sys.stderr,
        )


@dataclass
class Verified:
    """The result of verifying a catalogue: its documents (as columns), what the verification
    did, and the index being written in the background, if it is (see `finish`)."""

    columns: Columns
    rehashed: int
    note: str | None
    writing: threading.Thread | None = None
    go: threading.Event | None = None

    def release(self) -> None:
        """Let the index thread write now (it also does once the main thread ends). Snakemake
        calls this at `onstart`, when its jobs run in other processes: written while the DAG
        was built, the index's 36 MB at 100,000 documents held the lock Python's threads share
        for 0.15 s that the start needed."""
        if self.go is not None:
            self.go.set()

    def finish(self) -> None:
        """Wait until the index written in the background is on disk."""
        self.release()
        if self.writing is not None:
            self.writing.join()

    @cached_property
    def entries(self) -> list[Entry]:
        """Every document's entry, in sidecar-name order (made on first use)."""
        return self.columns.entries()

    @property
    def doc_ids(self) -> list[str]:
        """Every doc_id, in sidecar-name order."""
        return self.columns.fields["doc_id"]

    def fingerprint_lines(self) -> dict[str, str]:
        """doc_id -> its catalogue line (`documents.fingerprint_line`) without its newline, built
        without an Entry each (joined in C: formatting each line cost 0.15 s at 100,000)."""
        f = self.columns.fields
        ids = f["doc_id"]
        return dict(
            zip(
                ids,
                map("  ".join, zip(ids, f["sha256"], f["sidecar_sha256"], strict=True)),
                strict=True,
            )
        )

    def reports(self) -> list[Entry]:
        """The entries of documents of kind `report` (the publications themselves)."""
        kinds = self.columns.fields["kind"]
        return [self.columns.entry(row) for row, kind in enumerate(kinds) if kind == "report"]


def _stats(prefix: str, names: list[str]) -> list[str]:
    """Each file's stat key (`stat_key`), or "" for a file that is gone."""
    try:  # every file there, as almost always: stat'ed and keyed in C loops (0.1 s less)
        return list(map(_key, map(os.stat, map(prefix.__add__, names))))
    except OSError:
        pass
    keys = []
    for name in names:
        try:
            st = os.stat(prefix + name)
        except OSError:
            keys.append("")
            continue
        keys.append(_key(st))
    return keys


FORK_STATS_FROM = 20_000  # fewer files are stat'ed in one process (a fork costs milliseconds)


def _stats_shared(prefix: str, names: list[str], workers: int) -> list[str]:
    """`_stats`, split over `workers` processes for many files: a stat costs about 3 µs here,
    most of it in the system call, which threads do not overlap as well as processes do.

    The other parts run in forked children that only stat, write their keys to a pipe and exit
    (no lock, import or thread is touched, so forking the calling process is safe); a child that
    fails leaves its part to be stat'ed here."""
    if workers < 2 or len(names) < FORK_STATS_FROM:
        return _stats(prefix, names)
    size = -(-len(names) // workers)
    parts = [names[i : i + size] for i in range(0, len(names), size)]
    children = []
    for part in parts[1:]:
        read, write = os.pipe()
        with warnings.catch_warnings():  # Python 3.12+ warns of forking with threads running
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child
            status = 1
            try:
                os.close(read)
                with os.fdopen(write, "wb") as pipe:
                    pipe.write("\n".join(_stats(prefix, part)).encode("utf-8"))
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        children.append((pid, read, part))
    keys = _stats(prefix, parts[0])
    for pid, read, part in children:
        with os.fdopen(read, "rb") as pipe:
            found = pipe.read().decode("utf-8").split("\n")
        _, status = os.waitpid(pid, 0)
        keys += found if status == 0 and len(found) == len(part) else _stats(prefix, part)
    return keys


def verify_catalogue(
    raw_dir: Path,
    index: Path | None,
    full: bool = False,
    workers: int = 1,
    background: bool = False,
) -> Verified:
    """Verify every document under `raw_dir`, trusting an index entry only when both of its
    files stat exactly as recorded (see the module docstring); re-verify every other document
    in full, run the catalogue-wide checks (unique ids, paths and hashes; cited reports known;
    report documents as pinned), and rewrite the index if anything changed. `full` ignores the
    index (`figtrace verify --all`); `workers` processes share a large full verification;
    `background` writes the index in a thread while the caller goes on (0.3 s at 100,000
    documents), once the caller releases it (`Verified.release`) or its main thread ends;
    `Verified.finish` waits for it.
    Raises one FigtraceError on the first fault (in sidecar order)."""
    raw_dir = Path(raw_dir)
    now = time.time_ns()
    stored = Stored(_empty(raw_dir), unusable="verifying every document in full (--all)")
    if not full and index is not None:
        stored = read_index(index, raw_dir)
        if stored.unusable:
            stored.unusable += ": verifying every document in full, then writing the index"
    folder = documents_dir(raw_dir)
    prefix = str(folder) + os.sep
    known = stored.columns.fields
    folder_stat = _settled(folder, now) if folder.is_dir() else "-"
    registry = _registry_digest(raw_dir)
    if folder_stat != "-" and folder_stat == stored.folder_stat:
        # no file added, removed or renamed since it was listed
        names = known["sidecar_name"]
        rows: list[int | None] = list(range(len(names)))
        rows_in_place = True
    elif folder.is_dir():
        names = sorted(
            filter(operator.methodcaller("endswith", SIDECAR_SUFFIX), os.listdir(folder))
        )
        rows_in_place = names == known["sidecar_name"]
        if rows_in_place:  # as after `figtrace add`: its journal lists them
            rows = list(range(len(names)))
        else:
            position = dict(zip(known["sidecar_name"], range(len(stored.columns)), strict=True))
            rows = [position.get(name) for name in names]
    else:
        names, rows, rows_in_place = [], [], False
    if rows_in_place:
        listed = rows
        both = _stats_shared(prefix, known["raw_name"] + known["sidecar_name"], workers)
    else:
        listed = [row for row in rows if row is not None]
        both = _stats_shared(
            prefix,
            [known["raw_name"][r] for r in listed] + [known["sidecar_name"][r] for r in listed],
            workers,
        )
    raw_now, sidecars_now = both[: len(listed)], both[len(listed) :]
    # the common case, nothing changed, compares the whole stat columns at once
    as_listed = folder_stat == stored.folder_stat and len(names) == len(stored.columns)
    if (
        as_listed
        and registry == stored.registry
        and not stored.unusable
        and not stored.journaled
        and (raw_now, sidecars_now) == (known["raw_stat"], known["sidecar_stat"])
    ):
        return Verified(stored.columns, 0, None)
    # rows whose files stat otherwise than recorded, compared column against column in C loops
    # (a Python loop over 100,000 rows cost a start 0.2 s)
    raw_then = map(known["raw_stat"].__getitem__, listed)
    sidecars_then = map(known["sidecar_stat"].__getitem__, listed)
    differs = map(
        operator.or_,
        map(operator.ne, raw_now, raw_then),
        map(operator.ne, sidecars_now, sidecars_then),
    )
    stale = set(compress(listed, differs))
    kept = [None if row is None or row in stale else row for row in rows]
    todo = [name for name, row in zip(names, kept, strict=True) if row is None]
    fresh = _verify_in_full(folder, todo, now, workers)
    columns = _merged(stored.columns, kept, fresh, in_place=rows_in_place)
    rehashed = len(todo)
    changed = rehashed or len(stored.columns) != len(columns) or folder_stat != stored.folder_stat
    if changed or stored.unusable or registry != stored.registry or stored.journaled:
        # the checks across documents passed when the index was written, for the same entries
        # and registry: they are run again only if either changed
        _check_across(columns, load_reports(raw_dir / "reports.yaml"), raw_dir)
        if index is not None:
            fold = (index, raw_dir, columns, folder_stat, registry)
            if not background:
                _fold(*fold)
            else:
                # not a daemon: Python waits for it at exit, so the index is never left unwritten
                go = threading.Event()
                writing = threading.Thread(
                    target=_fold_in_background, args=(*fold, go), name="figtrace-index"
                )
                writing.start()
                return Verified(columns, rehashed, stored.unusable, writing, go)
    return Verified(columns, rehashed, stored.unusable)


def _merged(
    stored: Columns, rows: list[int | None], fresh: list[Entry], in_place: bool = False
) -> Columns:
    """The columns of a verification: row `rows[i]` of `stored` where it is not None, else the
    next of the `fresh` entries (in order); built column by column, not an Entry per row.
    `in_place`: every row not None is its own position (`rows[i]` is i), as after `figtrace
    add`, so each column is copied whole and only the gaps are filled."""
    gaps = [i for i, r in enumerate(rows) if r is None]
    if in_place:
        fields = {f: list(col) for f, col in stored.fields.items()}
    else:
        fields = {
            f: [col[r] if r is not None else "" for r in rows] for f, col in stored.fields.items()
        }
    for i, entry in zip(gaps, fresh, strict=True):
        for f in FIELDS:
            fields[f][i] = getattr(entry, f)
    return Columns(fields, stored.folder)


def _check_across(columns: Columns, reports: dict[str, Report], raw_dir: Path) -> None:
    """`check_catalogue` on columns: the rules every document passes are tested column by column
    (a set per column, no Entry per document); only when one fails are the entries made, for
    check_catalogue to name the first fault. Report documents are always checked one by one."""
    f = columns.fields
    n = len(columns)
    passes = (
        n > 0
        and all(len(set(f[name])) == n for name in ("doc_id", "raw_name", "sha256"))
        and [doc_id + SIDECAR_SUFFIX for doc_id in f["doc_id"]] == f["sidecar_name"]
        and all(r in reports for cited in set(f["cited"]) if cited for r in cited.split(";"))
    )
    if not passes:
        check_catalogue(columns.entries(), reports, raw_dir)
    check_report_documents(
        [columns.entry(row) for row in compress(range(n), map("report".__eq__, f["kind"]))],
        reports,
        raw_dir / "reports.yaml",
    )


PARALLEL_FROM = 2000  # fewer documents to verify in full are not worth starting processes


def _verify_in_full(folder: Path, names: list[str], now_ns: int, workers: int) -> list[Entry]:
    """Each named sidecar's document verified in full, in order; split into chunks over
    `workers` processes when there are many (chunks are read back in order, so the fault
    reported is the first in sidecar order, as with one process)."""
    if workers < 2 or len(names) < PARALLEL_FROM:
        return _verify_chunk(folder, names, now_ns)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = -(-len(names) // (workers * 4))
    chunks = [names[i : i + size] for i in range(0, len(names), size)]
    context = multiprocessing.get_context("spawn")  # never fork the process that called us
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        done = pool.map(_verify_chunk, [folder] * len(chunks), chunks, [now_ns] * len(chunks))
        return [entry for chunk in done for entry in chunk]


def _verify_chunk(folder: Path, names: list[str], now_ns: int) -> list[Entry]:
    """Some sidecars' documents verified in full (schema, raw bytes re-hashed), as entries."""
    return [entry_of(load_document(folder / name, check_bytes=True), now_ns) for name in names]


def record_added(index: Path, stored: Stored, doc: Document) -> bool:
    """After `figtrace add`: append the new document's entry to the journal of the index `stored`
    was read from, if that index was usable (the files being new, the entry is re-hashed once at
    the next start if they were still racy); `stored` itself is left as read. Returns whether
    the entry was recorded; without a usable index the next start verifies in full anyway."""
    if stored.unusable:
        return False
    with open(journal_path(index), "a", encoding="utf-8") as journal:
        journal.write(_journal_line(entry_of(doc, time.time_ns())))
    return True


def known_documents(
    raw_dir: Path, stored: Stored, listing: Iterable[str] | None = None
) -> Callable[[str, str], list[Entry | Document]]:
    """A lookup for `figtrace add` to refuse duplicates: the catalogue's documents with a given
    doc_id or sha256, from the index for the sidecars it lists, else from the sidecar itself.
    Nothing is stat'ed or re-hashed (add never verified raw bytes): a duplicate a stale entry
    hides is caught by the checks across documents at the pipeline's next start. `listing`: the
    names in the documents folder, if the caller has just listed it."""
    folder = documents_dir(raw_dir)
    columns = stored.columns
    fields = columns.fields
    rows: Iterable[int] = range(len(columns))
    unindexed: list[Document] = []
    if not folder.is_dir():
        rows = []
    elif stored.folder_stat == "-" or stored.folder_stat != _settled(folder, time.time_ns()):
        # set operations in C: a loop over 200,000 names in Python cost 0.1 s
        names = set(os.listdir(folder) if listing is None else listing)
        indexed = fields["sidecar_name"]
        others = names.difference(indexed)
        others.difference_update(fields["raw_name"])
        new = sorted(name for name in others if name.endswith(SIDECAR_SUFFIX))
        if new or not names.issuperset(indexed):
            # a sidecar removed, or put there without `figtrace add`: look the folder up
            rows = [row for row, name in enumerate(indexed) if name in names]
            unindexed = [load_document(folder / name, False) for name in new]

    def matching(doc_id: str, sha256: str) -> list[Entry | Document]:
        ids, hashes = fields["doc_id"], fields["sha256"]
        found: list[Entry | Document] = [
            columns.entry(row) for row in rows if ids[row] == doc_id or hashes[row] == sha256
        ]
        return found + [d for d in unindexed if doc_id == d.doc_id or sha256 == d.sha256]

    return matching


STATE_HEADER = "figtrace catalogue files 1\n"


def write_catalogue_files(
    verified: Verified, shards: int, annotated: Iterable[str], folder: Path
) -> tuple[Path, dict[str, Path]]:
    """Write the verified catalogue as one small file (`catalogue.tsv`: doc_id, raw and sidecar
    sha256 per line) and as each shard's part (`shards/<count>/<shard>.tsv`, see
    figtrace.shards.plan), each rewritten only if it differs, so that an unchanged file keeps
    its modification time; return their paths.

    A start whose documents' ids and hashes, shard count and annotated documents are those the
    files were last derived from, and whose files stat as they were left (a state file beside
    them records both), derives nothing again: a digest of three columns (0.04 s at 100,000
    documents) instead of 0.25 s. A file too young to trust by stat (RACY_NS) is not recorded,
    so the next start derives it again."""
    from figtrace import shards as sharding

    folder = Path(folder)
    catalogue = folder / "catalogue.tsv"
    parts = {
        shard: folder / "shards" / str(shards) / f"{shard}.tsv"
        for shard in sharding.shard_ids(shards)
    }
    files = [catalogue, *parts.values()]
    annotated = sorted(annotated)
    digest = hashlib.sha256()
    # the code that formats and splits the lines: a change to it derives the files again
    for module in (__file__, sharding.__file__):
        digest.update(Path(module).read_bytes())
    for field in ("doc_id", "sha256", "sidecar_sha256"):
        digest.update("\n".join(verified.columns.fields[field]).encode("utf-8") + b"\0")
    key = f"{digest.hexdigest()}\t{shards}\t{','.join(annotated)}\n"
    state = folder / "catalogue-files.state"
    if _state_holds(state, key, files):
        return catalogue, parts
    lines = verified.fingerprint_lines()
    outputs.write_text_if_changed(catalogue, _joined(lines, sorted(lines)))
    planned = sharding.plan(verified.doc_ids, shards, annotated)
    for shard, path in parts.items():
        outputs.write_text_if_changed(path, _joined(lines, planned[shard]))
    now = time.time_ns()
    stats = "".join(f"{_settled(path, now)}\t{path.name}\n" for path in files)
    try:  # no sweep: on a cluster each job's start writes the same state at the same time
        data = (STATE_HEADER + key + stats).encode("utf-8")
        outputs.write_bytes(state, data, sweep=False, durable=False)
    except OSError:
        pass  # the state only saves time: without it, the next start derives the files again
    return catalogue, parts


def _joined(lines: dict[str, str], doc_ids: list[str]) -> str:
    """The lines of `doc_ids`, each ending in a newline (no line at all for no document)."""
    return "\n".join(map(lines.__getitem__, doc_ids)) + "\n" if doc_ids else ""


def _state_holds(state: Path, key: str, files: list[Path]) -> bool:
    """Whether the state file was written for `key` and every file stats as it records."""
    try:
        text = state.read_text("utf-8")
        stats = [stat_key(path) for path in files]
    except (OSError, UnicodeDecodeError):
        return False
    recorded = "".join(f"{stat}\t{path.name}\n" for stat, path in zip(stats, files, strict=True))
    return text == STATE_HEADER + key + recorded
