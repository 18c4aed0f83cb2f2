"""Reuse: a shard job's earlier results for the documents that did not change.

At 100,000 documents a shard holds about 1,500 of them, and re-reading all of them because one
was added would cost seconds. A shard job's results for one document (its rows in the shard's
tables, its source viewer) are a pure function of that document's bytes (raw file and sidecar,
whose hashes its catalogue line lists) and of the recipe: figtrace's own code, templates and
schemas, the versions of the libraries that write the tables, the raw folder, and any further
inputs the job names (the report registry, for viewers). So a job keeps a record beside its
outputs: the recipe's digest and, per document, the key its results were made under. The next
run reuses exactly the documents whose key is unchanged under the same recipe and makes the
others afresh; the outputs are the same bytes a job over every document writes
(`tests/test_reuse.py`).

The record is deleted before a job writes anything and written after its last output, so a job
killed in between leaves no record and the next run makes every document again.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

from figtrace import outputs

# Libraries whose version can change the bytes of a table or page figtrace writes.
LIBRARIES = ("pandas", "pyarrow", "numpy", "jinja2", "pymupdf", "lxml", "pyyaml")
PACKAGE = Path(__file__).resolve().parent


def recipe(*extra: str | Path) -> str:
    """The digest of everything besides a document's own bytes that its results depend on:
    figtrace's code, templates and schemas, the library and Python versions, and `extra`
    (a Path adds the file's bytes, a string itself)."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    for name in LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=absent\0".encode())
    digest.update(sys.version.encode())
    for item in extra:
        digest.update(Path(item).read_bytes() if isinstance(item, Path) else item.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def file_key(path: str | Path) -> str | None:
    """An output file's size, inode and modification time as a key (None if it is missing): a
    result kept for reuse must still be the file this job wrote, not one another job replaced."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return f"{st.st_size} {st.st_ino} {st.st_mtime_ns}"


def reusable(record: Path, recipe_digest: str, keys: Mapping[str, str]) -> set[str]:
    """The doc_ids whose key in `keys` is the one `record` holds under the same recipe (none if
    the record is missing, unreadable or of another recipe)."""
    try:
        lines = Path(record).read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return set()
    if not lines or lines[0] != recipe_digest:
        return set()
    found = set()
    for line in lines[1:]:
        doc_id, _, key = line.partition("\t")
        if keys.get(doc_id) == key:
            found.add(doc_id)
    return found


def forget(record: Path) -> None:
    """Delete a record before its job writes: until the job finishes, nothing may be reused."""
    Path(record).unlink(missing_ok=True)


def remember(
    record: Path, recipe_digest: str, keys: Iterable[tuple[str, str]], sweep: bool = True
) -> None:
    """Write a record after a job's last output: each document's key under the recipe
    (`sweep`: see outputs.atomic_write)."""
    body = "".join(f"{doc_id}\t{key}\n" for doc_id, key in sorted(keys))
    outputs.write_text(record, f"{recipe_digest}\n{body}", sweep=sweep)
