"""Shards: a stable split of the documents into a fixed number of batches, so work scales.

Snakemake pays a fixed cost per job (tens of milliseconds for shell:, more as the DAG grows), so
one job per document cannot reach ten thousand documents. Stages that work per document run one
job per shard instead. A document's shard depends only on its doc_id, so adding a document
changes exactly one shard and only that shard's job re-runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from figtrace.errors import FigtraceError


def shard_of(doc_id: str, shards: int) -> int:
    """The shard (0 to shards - 1) of a document: from the sha1 of its doc_id, never its position."""
    if shards < 1:
        raise FigtraceError(f"shards = {shards}: the number of shards must be at least 1.")
    return int.from_bytes(hashlib.sha1(doc_id.encode("utf-8")).digest()[:8], "big") % shards


def assign(doc_ids: Iterable[str], shards: int) -> list[list[str]]:
    """Each shard's doc_ids, sorted; an empty shard is an empty list (its job still runs)."""
    batches: list[list[str]] = [[] for _ in range(shards)]
    for doc_id in doc_ids:
        batches[shard_of(doc_id, shards)].append(doc_id)
    return [sorted(batch) for batch in batches]


def shard_path(table: Path, shard: int) -> Path:
    """Where one shard of a gathered table lives: `<dir>/<table stem>/shard-<shard>.parquet`."""
    table = Path(table)
    return table.parent / table.stem / f"shard-{shard}.parquet"


def gather(table: Path, shards: int) -> int:
    """Concatenate a table's shards into `table`, ordered by doc_id (stable: each shard keeps its
    order within a document), so it is the same table one job over every document writes.
    Returns the number of documents."""
    import pandas as pd

    from figtrace import outputs

    parts = [pd.read_parquet(shard_path(table, shard)) for shard in range(shards)]
    # An empty part adds no rows but may carry looser dtypes; it must not change the result's.
    frame = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    frame = frame.sort_values("doc_id", kind="stable").reset_index(drop=True)
    outputs.write_parquet(table, frame)
    return int(frame["doc_id"].nunique())
