"""Shards: a stable split of the documents into a fixed number of batches, so work scales.

Snakemake pays a fixed cost per job (tens of milliseconds for shell:, more as the DAG grows), so
one job per document cannot reach ten thousand documents. Stages that work per document run one
job per shard instead. A document's shard depends only on its doc_id, so adding a document
changes exactly one shard and only that shard's job re-runs.

The documents with a curated annotation file form one more shard, `ledger`. The ledger's stages
(figures, charts, notebooks, report) read that shard's tables and never the whole corpus, so
adding an unannotated document to ten thousand re-runs its shard, the gathers and coverage, and
leaves the ledger, charts, notebooks and report alone.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Collection, Iterable
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING

from figtrace.errors import FigtraceError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


def _at_least_one(shards: int) -> None:
    if shards < 1:
        raise FigtraceError(f"shards = {shards}: the number of shards must be at least 1.")


def shard_of(doc_id: str, shards: int) -> int:
    """The shard (0 to shards - 1) of a document: from the CRC-32 of its doc_id, never its
    position (a checksum spreads ids as evenly as a cryptographic hash here, and is ten times
    cheaper: 12 ms against 130 ms for 100,000 ids at every Snakemake start)."""
    _at_least_one(shards)
    return zlib.crc32(doc_id.encode("utf-8")) % shards


def assign(doc_ids: Iterable[str], shards: int) -> list[list[str]]:
    """Each shard's doc_ids, sorted; an empty shard is an empty list (its job still runs)."""
    _at_least_one(shards)
    ids = list(doc_ids)
    batches: list[list[str]] = [[] for _ in range(shards)]
    # shard_of's checksum, computed in C over every id (a call per id cost 0.1 s at 100,000)
    for doc_id, checksum in zip(ids, map(zlib.crc32, map(str.encode, ids)), strict=True):
        batches[checksum % shards].append(doc_id)
    return [sorted(batch) for batch in batches]


LEDGER = "ledger"
# A job's start (Python, pandas, the extractor's patterns) costs about 0.8 s here, and reuse
# (figtrace.reuse) keeps a shard's re-run to the documents that changed; what a re-run still
# pays per document (its shard's tables read and written again, every viewer's key checked) is
# about 0.1 ms. At 4,000 documents a shard adds one document in 0.3 s less than at 8,000 (measured
# at 100,000), and a cold run starts as many processes as two stages of 8,000 did.
DOCUMENTS_PER_SHARD = 4000
MAX_SHARDS = 64


def shard_count(setting: int | str, n_documents: int) -> int:
    """How many numbered shards: `setting` itself, or for `auto` the smallest power of two that
    keeps shards to at most DOCUMENTS_PER_SHARD documents, up to MAX_SHARDS (1 for the five
    real documents, 4 for ten thousand, 32 for a hundred thousand). A power of two changes
    rarely as a corpus grows; when it does, every shard re-runs once."""
    if setting != "auto":
        return int(setting)
    needed = max(1, -(-n_documents // DOCUMENTS_PER_SHARD))
    count = 1
    while count < needed and count < MAX_SHARDS:
        count *= 2
    return count


FILES_UP_TO = 20_000


def corpus_files(setting: str, n_documents: int) -> bool:
    """Whether the corpus-wide tables are also gathered into one file each (`files`), or stay a
    dataset over the shards (`shards`); `auto` gathers them up to FILES_UP_TO documents, beyond
    which rewriting them at every change would cost more than the change itself."""
    if setting == "auto":
        return n_documents <= FILES_UP_TO
    return setting == "files"


def shard_ids(shards: int) -> list[str]:
    """Every shard's id: `ledger`, then `0` to `shards - 1`."""
    _at_least_one(shards)
    return [LEDGER, *(str(i) for i in range(shards))]


def plan(doc_ids: Iterable[str], shards: int, annotated: Iterable[str]) -> dict[str, list[str]]:
    """Each shard's doc_ids, sorted, by shard id: annotated documents in `ledger`, the others by
    `shard_of`. Annotating a document moves it to `ledger`; the other shards do not change."""
    ledger = set(annotated)
    ids = list(doc_ids)
    batches = assign([d for d in ids if d not in ledger], shards)
    return {
        LEDGER: sorted(d for d in ids if d in ledger),
        **{str(i): batch for i, batch in enumerate(batches)},
    }


def shard_path(table: Path, shard: int | str) -> Path:
    """Where one shard of a gathered table lives: `<dir>/shards/<shard>/<table name>`, so that a
    shard's folder holds the same tables, by the same names, as the gathered folder."""
    table = Path(table)
    return table.parent / "shards" / str(shard) / table.name


def by_doc_id(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate parts of one table, ordered by doc_id (stable: each part keeps its order
    within a document); an empty part adds no rows and does not loosen the result's dtypes."""
    import pandas as pd

    frame = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    return frame.sort_values("doc_id", kind="stable").reset_index(drop=True)


def gather(table: Path, shards: int) -> int:
    """Concatenate a table's shards into `table`, ordered by doc_id, so it is the same table one
    job over every document writes. Returns the number of documents."""
    import pandas as pd

    from figtrace import outputs

    frame = by_doc_id([pd.read_parquet(shard_path(table, shard)) for shard in shard_ids(shards)])
    outputs.write_parquet(table, frame)
    return int(frame["doc_id"].nunique())


def stale_entries(
    folder: Path, shards: int, pattern: str, names: Iterable[str] | None = None
) -> list[Path]:
    """What shards that no longer exist left in `folder` (after the shard count changed):
    entries matching `pattern` (`{shard}` marks the id) whose id is not a current shard's.
    `names`: the folder's entries, if the caller has just listed it."""
    prefix, _, suffix = pattern.partition("{shard}")
    current = set(shard_ids(shards))
    # a plain listing: pathlib's glob costs 0.1 s in a folder of 100,000 viewers
    if names is None:
        names = os.listdir(folder) if os.path.isdir(folder) else []
    shortest = len(prefix) + len(suffix)
    matching = [
        n for n in names if len(n) >= shortest and n.startswith(prefix) and n.endswith(suffix)
    ]
    return [
        entry
        for entry in sorted(Path(folder, name) for name in matching)
        if entry.name[len(prefix) : len(entry.name) - len(suffix)] not in current
    ]


def remove_stale(
    folder: Path, shards: int, pattern: str, names: Iterable[str] | None = None
) -> list[Path]:
    """Delete `stale_entries`; one that another job removed first is no error (every shard's
    job of a new shard count sweeps the same folder)."""
    import shutil

    removed = stale_entries(folder, shards, pattern, names)
    for entry in removed:
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    return removed


def write_text_tables(
    raw_dir: Path,
    text_out: Path,
    map_out: Path,
    furniture_out: Path,
    catalogue: Path | None = None,
    documents_out: Path | None = None,
    mentions_out: Path | None = None,
    record: Path | None = None,
) -> int:
    """Verify the documents (all, or only those a shard's `catalogue` lists), then write the
    text, textmap and furniture tables, and if asked the documents and mentions tables,
    atomically. Returns the number of documents.

    The documents table counts each document's canonical characters and the mentions table is
    the extractor run over the canonical text, so both are written here, where the text is
    already in memory: a shard's documents are read once, in one process (at 10,000 documents a
    second job per shard cost more to start than to run). It lives here, above `documents`,
    `text` and `mentions`, so that those three import one another one way only.

    `record` (with `catalogue`): the reuse record beside the outputs (figtrace.reuse); the rows
    of documents unchanged since it was written are taken from the existing tables, and only the
    other documents are read and verified; both parts are merged in Arrow, without importing
    pandas, wherever that gives the same table (`_merged_in_arrow`)."""
    from figtrace import outputs, reuse
    from figtrace.documents import (
        DOCUMENT_COLUMNS,
        document_rows,
        documents_frame,
        load_catalogue,
        load_listed,
        read_fingerprint,
    )
    from figtrace.mentions import MENTION_COLUMNS, mentions_of_rows, rows_from_canonical
    from figtrace.text import FURNITURE_COLUMNS, MAP_COLUMNS, TEXT_COLUMNS, text_frames, text_rows

    names = ["text", "textmap", "furniture", "documents", "mentions"]
    outs = dict(
        zip(names, (text_out, map_out, furniture_out, documents_out, mentions_out), strict=True)
    )
    keep: set[str] = set()
    if catalogue is None:
        docs = load_catalogue(raw_dir)
    else:
        keys = {doc_id: f"{raw} {sidecar}" for doc_id, raw, sidecar in read_fingerprint(catalogue)}
        if record is not None:
            digest = reuse.recipe(str(raw_dir))
            if all(out is not None and Path(out).is_file() for out in outs.values()):
                keep = reuse.reusable(record, digest, keys)
            reuse.forget(record)
        docs = load_listed(raw_dir, catalogue, only=None if not keep else set(keys) - keep)
    # each document's canonical text made once: the tables and the mentions are both made from it
    canonical = {doc.doc_id: doc.canonical() for doc in docs}
    texts, spans, furniture = text_rows(docs, canonical)
    rows: dict[str, list] = {"text": texts, "textmap": spans, "furniture": furniture}
    columns = {"text": TEXT_COLUMNS, "textmap": MAP_COLUMNS, "furniture": FURNITURE_COLUMNS}
    if documents_out is not None:
        rows["documents"], columns["documents"] = (
            document_rows(docs, canonical=canonical),
            DOCUMENT_COLUMNS,
        )
    if mentions_out is not None:
        rows["mentions"], columns["mentions"] = rows_from_canonical(canonical), MENTION_COLUMNS
    frames: dict[str, pd.DataFrame] = {}

    def frame(name: str) -> pd.DataFrame:
        """A table as pandas builds it (pandas is imported only if a table needs it)."""
        if not frames:
            frames.update(
                zip(
                    ("text", "textmap", "furniture"),
                    text_frames(texts, spans, furniture),
                    strict=True,
                )
            )
            if "documents" in rows:
                frames["documents"] = documents_frame(rows["documents"])
            if "mentions" in rows:
                frames["mentions"] = mentions_of_rows(rows["mentions"])
        return frames[name]

    for name in rows:
        merged = (
            _merged_in_arrow(_by_column(rows[name], columns[name]), outs[name], keep)
            if keep
            else None
        )
        if merged is not None:
            outputs.write_arrow(outs[name], merged)
        elif keep:
            outputs.write_arrow(outs[name], _with_kept_rows(frame(name), outs[name], keep))
        else:
            outputs.write_parquet(outs[name], frame(name))
    if record is not None and catalogue is not None:
        reuse.remember(record, digest, keys.items())
    return len(docs) + len(keep)


def _by_column(rows: list, names: list[str]) -> dict[str, list]:
    """Rows (dicts by column name, or tuples in `names` order) as one list per column."""
    if rows and isinstance(rows[0], dict):
        return {name: [row[name] for row in rows] for name in names}
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}


# pandas' dtype of a column (as its metadata in the Parquet file names it) -> the Python type
# whose values pandas and Arrow turn into the same column, and whether None may stand in it
EXACT_VALUES = {
    "str": (str, True),
    "string": (str, True),
    "int64": (int, False),
    "Int64": (int, True),
    "float64": (float, True),
}
ARROW_TYPES = {str: ("string", "large_string"), int: ("int64",), float: ("double",)}


def _merged_in_arrow(columns: dict[str, list], previous: Path, keep: set[str]) -> pa.Table | None:
    """`_with_kept_rows` without pandas: the kept rows of the table a shard job wrote before and
    the fresh rows, by doc_id, as the Arrow table pandas would give. None where that cannot be
    made exactly without pandas: fresh rows for a table that had none (its column types are not
    known), a table left with no row that had some (an empty frame's types are not those of its
    rows), or a fresh value pandas would convert (a None in an int64 column, a NaN, an int in a
    float column, any type not in EXACT_VALUES).

    pandas' import was most of a shard job's time when one document was added (0.75 s of 2 s at
    100,000 documents); every table is written with explicit dtypes, so the previous table's
    schema, pandas' metadata included, is the one the fresh rows' table would have."""
    import pyarrow as pa
    import pyarrow.parquet as pq  # not pq.read_table: it imports pyarrow.dataset, and that pandas

    with pq.ParquetFile(previous) as parquet:
        table = parquet.read()
    runs = doc_id_runs(table, keep)
    if any(columns.values()):
        try:
            fresh = _arrow_rows(columns, table)
        except (struct.error, UnicodeEncodeError):  # an int beyond int64, a lone surrogate
            return None
        if fresh is None:
            return None
        runs += doc_id_runs(fresh, None)
    runs.sort(key=lambda run: run[0])  # stable, and str order is UTF-8 byte order, as Arrow's
    pieces: list[list] = []  # [table, start, end]: neighbouring runs of one table read as one
    for _, source, start, end in runs:
        if pieces and pieces[-1][0] is source and pieces[-1][2] == start:
            pieces[-1][2] = end
        else:
            pieces.append([source, start, end])
    if not pieces:
        # no row left: a table that was empty stays as its job wrote it (the same recipe, so the
        # same as a fresh job's); one that had rows has their schema, not an empty frame's
        return table if table.num_rows == 0 else None
    return pa.concat_tables([src.slice(a, b - a) for src, a, b in pieces]).combine_chunks()


def _arrow_rows(columns: dict[str, list], previous: pa.Table) -> pa.Table | None:
    """The fresh rows as a table of `previous`'s schema, if their values convert exactly."""
    import pyarrow as pa

    schema = previous.schema
    metadata = schema.metadata or {}
    if previous.num_rows == 0 or schema.names != list(columns) or b"pandas" not in metadata:
        return None
    dtypes = {c["field_name"]: c["numpy_type"] for c in json.loads(metadata[b"pandas"])["columns"]}
    arrays = []
    for field in schema:
        kind, nullable = EXACT_VALUES.get(dtypes.get(field.name), (None, False))
        if kind is None or str(field.type) not in ARROW_TYPES[kind]:
            return None
        values = columns[field.name]
        for value in values:
            if value is None:
                if not nullable:
                    return None
            elif type(value) is not kind or value != value:  # bool is not int; NaN is not equal
                return None
        arrays.append(_array(values, field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _array(values: list, arrow_type: pa.DataType) -> pa.Array:
    """An Arrow array of str, int or float values (None for null), made from its buffers:
    `pa.array` imports pandas on its first call, to ask whether `values` is a pandas object."""
    import pyarrow as pa

    n = len(values)
    nulls = values.count(None)
    validity = None
    if nulls:
        bits = bytearray((n + 7) // 8)
        for i, value in enumerate(values):
            if value is not None:
                bits[i >> 3] |= 1 << (i & 7)
        validity = pa.py_buffer(bytes(bits))
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
        code = "q" if pa.types.is_integer(arrow_type) else "d"
        filled = [0 if value is None else value for value in values]
        buffers = [validity, pa.py_buffer(struct.pack(f"<{n}{code}", *filled))]
    else:  # utf8 or large_utf8: offsets into the bytes of every value, one after another
        data = [b"" if value is None else value.encode("utf-8") for value in values]
        code = "q" if pa.types.is_large_string(arrow_type) else "i"
        offsets = struct.pack(f"<{n + 1}{code}", *accumulate(map(len, data), initial=0))
        buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))]
    return pa.Array.from_buffers(arrow_type, n, buffers, null_count=nulls)


def doc_id_runs(
    table: pa.Table, keep: Collection[str] | None
) -> list[tuple[str, pa.Table, int, int]]:
    """(doc_id, table, start, end) of each run of rows with one doc_id (only of `keep`'s, if
    given), in table order."""
    ids = table.column("doc_id").to_pylist()
    runs = []
    start = 0
    for row in range(1, len(ids) + 1):
        if row == len(ids) or ids[row] != ids[start]:
            if keep is None or ids[start] in keep:
                runs.append((ids[start], table, start, row))
            start = row
    return runs


def _with_kept_rows(fresh: pd.DataFrame, previous: Path, keep: set[str]) -> pa.Table:
    """The rows of `keep` from the table a shard job wrote before, with the fresh rows, as the
    Arrow table pandas would write for `by_doc_id` of both parts read back from Parquet (as the
    gather reads its shards): in the order and with the types one job over all of them gives.

    Merged in Arrow (pandas converting a shard's 3,000 documents' rows both ways cost an added
    document's run 0.1-0.2 s). Both parts non-empty: their schemas, pandas' metadata included,
    must be equal, so that the frame pandas would concatenate has the dtypes each has, and with
    them the metadata; else the parts go through pandas as before. No row left in either: the
    fresh (empty) table, whose schema is an empty frame's, as a job over the rest would write."""
    import io

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from figtrace import outputs

    # the kept rows picked out in Arrow (pandas' isin cost 0.2 s over a shard's 5 tables)
    table = pq.read_table(previous)
    if table.num_rows:
        ids = table["doc_id"]
        table = table.filter(pc.is_in(ids, value_set=pa.array(sorted(keep), ids.type)))
    buffer = io.BytesIO()
    fresh.to_parquet(buffer, index=False, compression=outputs.PARQUET_COMPRESSION, engine="pyarrow")
    made = pq.read_table(io.BytesIO(buffer.getvalue()))
    # by_doc_id's rule: an empty part adds no rows and does not loosen the result's dtypes; with
    # no row at all, the table is the empty one a job over the remaining documents writes
    parts = [part for part in (table, made) if part.num_rows] or [made]
    if len(parts) == 2 and not parts[0].schema.equals(parts[1].schema, check_metadata=True):
        merged = by_doc_id([part.to_pandas() for part in parts])
        return pa.Table.from_pandas(merged, preserve_index=False)
    merged = pa.concat_tables(parts)
    # Arrow's sort is stable, and orders UTF-8 bytes as Python orders str: as by_doc_id sorts
    order = pc.sort_indices(merged, sort_keys=[("doc_id", "ascending")])
    return merged.take(order).combine_chunks()
