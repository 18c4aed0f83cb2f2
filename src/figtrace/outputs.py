"""Atomic writers: an output is either the complete new file or the untouched old one, never half."""

from __future__ import annotations

import operator
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: importing pandas costs ~0.2 s per process
    import pandas as pd
    import pyarrow as pa


def atomic_write(
    path: str | Path, write: Callable[[Path], None], *, sweep: bool = True, durable: bool = True
) -> Path:
    """Call `write(tmp)` on a temporary sibling of `path`, then rename it over `path`.

    A writer killed outright (kill -9) cannot remove its temporary file; the next write of the
    same path removes such leftovers (`sweep`), so a resumed run leaves none behind. `durable`
    also flushes the bytes to disk before the rename.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if sweep:
        sweep_leftovers([path])
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        if durable:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def sweep_leftovers(
    paths: Iterable[Path], listings: Mapping[Path, Iterable[str]] | None = None
) -> None:
    """Remove what killed writers of `paths` left behind (`.<name>.<random>.tmp`), listing each
    folder once: a plain listing, as pathlib's glob costs 0.3 s in a folder of 200,000 files.
    `listings`: the names in a folder, if the caller has just listed it."""
    by_folder: dict[Path, set[str]] = {}
    for path in map(Path, paths):
        by_folder.setdefault(path.parent, set()).add(path.name)
    for folder, names in by_folder.items():
        for target, stale in _leftovers(folder, (listings or {}).get(folder)).items():
            if target in names:
                for leftover in stale:
                    leftover.unlink(missing_ok=True)


def write_bytes(path: str | Path, data: bytes, sweep: bool = True, durable: bool = True) -> Path:
    """Write bytes atomically (`sweep`, `durable`: see atomic_write)."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data), sweep=sweep, durable=durable)


def write_texts(
    files: Iterable[tuple[Path, str]], listings: Mapping[Path, Iterable[str]] | None = None
) -> list[Path]:
    """Write many UTF-8 files (one per document), each atomically.

    Each folder is listed once for a killed writer's leftovers instead of once per file (a
    folder of 10,000 viewers made that quadratic), and only the leftovers of the files written
    here are removed: other jobs may be writing other files into the same folder at the same
    time. Bytes are not flushed one file at a time: a kill still leaves each file old or new,
    never half-written. `listings`: the names in a folder, if the caller has just listed it.
    """
    written: list[Path] = []
    leftovers: dict[Path, dict[str, list[Path]]] = {}
    for path, text in files:
        path = Path(path)
        if path.parent not in leftovers:
            listed = (listings or {}).get(path.parent)
            leftovers[path.parent] = _leftovers(path.parent, listed)
        for stale in leftovers[path.parent].pop(path.name, []):
            stale.unlink(missing_ok=True)
        written.append(_replace(path, text.encode("utf-8")))
    return written


def _replace(path: Path, data: bytes) -> Path:
    """`atomic_write` of bytes without sweep or flush, in fewer system calls (one open)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with open(fd, "wb") as fh:
            os.fchmod(fd, 0o644)
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


_HIDDEN = operator.methodcaller("startswith", ".")


def _leftovers(folder: Path, names: Iterable[str] | None = None) -> dict[str, list[Path]]:
    """A killed writer's temporary files in `folder` (`.<name>.<random>.tmp`), by target name."""
    if names is None:
        folder.mkdir(parents=True, exist_ok=True)
        names = os.listdir(folder)
    found: dict[str, list[Path]] = {}
    # hidden names picked out in C: a folder of 100,000 viewers is scanned at each write
    for name in filter(_HIDDEN, names):
        if name.endswith(".tmp"):
            target = name[1:-4].rsplit(".", 1)[0]
            found.setdefault(target, []).append(folder / name)
    return found


def write_text(path: str | Path, text: str, sweep: bool = True) -> Path:
    """Write UTF-8 text atomically, with Unix newlines on every platform (`sweep`: see
    atomic_write; False for a caller that has swept the folder itself)."""
    return write_bytes(path, text.encode("utf-8"), sweep=sweep)


def write_text_if_changed(path: str | Path, text: str) -> Path:
    """Write text atomically only if it differs, so an unchanged file keeps its modification time
    (Snakemake re-runs jobs whose inputs are newer than their outputs). For the state each
    Snakemake start derives afresh (common.smk): not flushed to disk, as a file a crash left
    short differs from what the next start derives, which then writes it again (a start that
    skips deriving them does so only while each stats as it was left, see
    figtrace.catalogue.write_catalogue_files)."""
    path = Path(path)
    data = text.encode("utf-8")
    try:  # a file of another size differs: not read (the catalogue is 13 MB at 100,000)
        same = os.stat(path).st_size == len(data) and path.read_bytes() == data
    except OSError:
        same = False
    if not same:
        write_bytes(path, data, durable=False)
    return path


# Every table's one compression: a frame and the Arrow table it holds give equal bytes only so.
PARQUET_COMPRESSION = "zstd"


def write_parquet(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write a table atomically; no index, fixed compression, so equal frames give equal bytes."""
    return atomic_write(
        path,
        lambda tmp: frame.to_parquet(
            tmp, index=False, compression=PARQUET_COMPRESSION, engine="pyarrow"
        ),
    )


def write_arrow(path: str | Path, table: pa.Table) -> Path:
    """Write an Arrow table atomically, as `write_parquet` writes the frame it holds (pandas hands
    the same call the table it converts the frame to): equal tables give equal bytes."""
    import pyarrow.parquet as pq

    return atomic_write(
        path, lambda tmp: pq.write_table(table, tmp, compression=PARQUET_COMPRESSION)
    )


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write a table as CSV atomically (UTF-8, `\\n` line ends, no index)."""
    return write_text(path, frame.to_csv(index=False, lineterminator="\n"))
