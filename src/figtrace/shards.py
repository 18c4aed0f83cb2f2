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

import os
import zlib
from collections.abc import Iterable
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
    other documents are read and verified."""
    from figtrace import outputs, reuse
    from figtrace.documents import documents_table, load_catalogue, load_listed, read_fingerprint
    from figtrace.mentions import mentions_from_canonical
    from figtrace.text import text_tables

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
    text, textmap, furniture = text_tables(docs, canonical)
    tables = {"text": text, "textmap": textmap, "furniture": furniture}
    if documents_out is not None:
        tables["documents"] = documents_table(docs, canonical=canonical)
    if mentions_out is not None:
        tables["mentions"] = mentions_from_canonical(canonical)
    for name, frame in tables.items():
        if keep:
            outputs.write_arrow(outs[name], _with_kept_rows(frame, outs[name], keep))
        else:
            outputs.write_parquet(outs[name], frame)
    if record is not None and catalogue is not None:
        reuse.remember(record, digest, keys.items())
    return len(docs) + len(keep)


def _with_kept_rows(fresh: pd.DataFrame, previous: Path, keep: set[str]) -> pa.Table:
    """The rows of `keep` from the table a shard job wrote before, with the fresh rows, as the
    Arrow table pandas would write for `by_doc_id` of both parts read back from Parquet (as the
    gather reads its shards): in the order and with the types one job over all of them gives.

    Merged in Arrow (pandas converting a shard's 3,000 documents' rows both ways cost an added
    document's run 0.1-0.2 s). Both parts non-empty: their schemas, pandas' metadata included,
    must be equal, so that the frame pandas would concatenate has the dtypes each has, and with
    them the metadata; else the parts go through pandas as before."""
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
    # by_doc_id's rule: an empty part adds no rows and does not loosen the result's dtypes
    parts = [part for part in (table, made) if part.num_rows] or [table]
    if len(parts) == 2 and not parts[0].schema.equals(parts[1].schema, check_metadata=True):
        merged = by_doc_id([part.to_pandas() for part in parts])
        return pa.Table.from_pandas(merged, preserve_index=False)
    merged = pa.concat_tables(parts)
    # Arrow's sort is stable, and orders UTF-8 bytes as Python orders str: as by_doc_id sorts
    order = pc.sort_indices(merged, sort_keys=[("doc_id", "ascending")])
    return merged.take(order).combine_chunks()
