"""The corpus tables as one Parquet dataset over the shards, read without gathering them.

Each shard job writes its documents' tables to `data/processed/shards/<id>/<name>.parquet`.
Together those files are one table per name, partitioned by shard: at 100,000 documents the
pipeline leaves them so (config `corpus_tables`), because writing them into one file again at
every change would cost more than the change. This reads one of them whole, or only some
columns or documents, in the same order and types as the gathered file
(`data/processed/<name>.parquet`, written by the gather when the corpus tables are files).
DuckDB reads the same files: `SELECT * FROM 'data/processed/shards/*/mentions.parquet'`.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from figtrace.errors import FigtraceError

if TYPE_CHECKING:
    import pandas as pd


def shard_files(processed_dir: Path, name: str) -> list[Path]:
    """Every shard's file of one table, in the order of the shards' ids."""
    files = sorted(Path(processed_dir, "shards").glob(f"*/{name}.parquet"))
    if not files:
        raise FigtraceError(
            f"{processed_dir}/shards/*/{name}.parquet: no shard has this table yet; run the "
            "pipeline first (make all)."
        )
    return files


def corpus_table(
    processed_dir: Path,
    name: str,
    columns: list[str] | None = None,
    doc_ids: Collection[str] | None = None,
) -> pd.DataFrame:
    """One corpus table read from its shards, ordered by doc_id as the gathered file is;
    `columns` and `doc_ids` read only part of it (memory bounded by what is asked for)."""
    import pandas as pd

    from figtrace.shards import by_doc_id

    wanted = None if doc_ids is None else [("doc_id", "in", sorted(doc_ids))]
    if columns is not None and "doc_id" not in columns:
        columns = ["doc_id", *columns]
    # one shard at a time, as the gather reads them (pyarrow filters row groups on doc_id)
    parts = [
        pd.read_parquet(path, columns=columns, filters=wanted)
        for path in shard_files(processed_dir, name)
    ]
    return by_doc_id(parts)
