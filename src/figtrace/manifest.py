"""The manifest: a sha256 of every file the pipeline wrote, so two runs can be compared byte for byte.

`results/MANIFEST.sha256` is in `sha256sum` format (`sha256sum -c` checks it), one line per file
under the output folders, sorted by path relative to the project root. Hidden files (`.gitkeep`,
leftovers of a killed writer) and the manifest itself are not listed.

Hashing ten thousand source viewers after every run would cost most of a re-run that changed a
few of them, so a digest may be reused from a cache file, as git's index does, but only for a
file whose size, inode, modification and change times are all the same as when it was hashed.
The change time (ctime) cannot be set back by a user: any write, rename or `touch` moves it. A
file changed less than two seconds before it was hashed is not cached at all, so a second write
within the clock's granularity cannot hide behind the first ("racy" entries in git's terms).

At 100,000 documents even stat'ing every viewer cost a re-run about a second, so the viewers'
digests come from the lists the viewer jobs write beside them (`--recorded`: one row per
viewer, `doc_id`, file name and the sha256 of the bytes the job wrote or kept). A file those
lists name is listed with the digest they record, without being read or stat'ed again; only
files that are there are listed, and `sha256sum -c` still checks every one against the disk.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable
from pathlib import Path

from figtrace import outputs
from figtrace.errors import FigtraceError


def _sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_files(folders: Iterable[Path], root: Path, exclude: Path | None = None) -> list[str]:
    """Every non-hidden file under `folders`, as POSIX paths relative to `root`, sorted.

    Paths are joined as strings, each folder resolved once: resolving every file's path cost
    most of the manifest's time at 10,000 files."""
    top = os.path.realpath(root)
    skip = os.path.split(os.path.realpath(exclude)) if exclude else None
    found: set[str] = set()
    for folder in folders:
        if not Path(folder).is_dir():
            raise FigtraceError(f"{folder}: not a folder; the manifest lists output folders.")
        for dirpath, dirnames, filenames in os.walk(os.path.realpath(folder)):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            relative = Path(os.path.relpath(dirpath, top)).as_posix()
            prefix = "" if relative == "." else f"{relative}/"
            for name in filenames:
                if name.startswith(".") or (dirpath, name) == skip:
                    continue
                found.add(prefix + name)
    return sorted(found)


RACY_NS = 2_000_000_000  # a file changed this recently is hashed and not remembered


# One line per file, `<path>\0<size> <inode> <mtime_ns> <ctime_ns> <sha256>`: parsed with one
# partition per line, much faster than JSON at 100,000 files.
CACHE_HEADER = "figtrace manifest digest cache 2\n"


class DigestCache:
    """sha256 digests remembered by path and stat (see the module docstring)."""

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path else None
        self.entries: dict[str, str] = {}
        self.kept: dict[str, str] = {}
        if self.path and self.path.is_file():
            try:
                text = self.path.read_text("utf-8")
            except (OSError, ValueError):
                text = ""  # an unreadable cache only costs time, never correctness
            if text.startswith(CACHE_HEADER):
                for line in text[len(CACHE_HEADER) :].split("\n"):
                    rel, _, entry = line.partition("\0")
                    self.entries[rel] = entry
        self.now = time.time_ns()

    def digest(self, path: str, rel: str) -> str:
        """The sha256 of the file at `path` (remembered under `rel`): remembered if its stat is
        unchanged, else read and hashed."""
        st = os.stat(path)
        key = f"{st.st_size} {st.st_ino} {st.st_mtime_ns} {st.st_ctime_ns}"
        entry = self.entries.get(rel, "")
        # a match leaves exactly `<sha256>` after the key and its space
        digest = entry[-64:] if entry[:-65] == key else _sha256_file(path)
        if self.now - max(st.st_mtime_ns, st.st_ctime_ns) > RACY_NS and "\n" not in rel:
            self.kept[rel] = f"{key} {digest}"
        return digest

    def save(self) -> None:
        """Keep the entries of this run only (the cache never grows stale), atomically."""
        if self.path:
            # in the order digests were asked for: the manifest's, sorted by path
            lines = "".join(f"{rel}\0{entry}\n" for rel, entry in self.kept.items())
            outputs.write_text(self.path, CACHE_HEADER + lines)


DIGEST_LIST_HEADER = "doc_id\tviewer\tsha256\n"


def read_digest_list(path: Path) -> dict[str, str]:
    """A viewer job's list (see the module docstring): file name -> sha256; empty if the file is
    missing or of another format (its files are then hashed as any other)."""
    try:
        lines = Path(path).read_text("utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return {}
    if f"{lines[0]}\n" != DIGEST_LIST_HEADER:
        return {}
    rows = (line.split("\t") for line in lines[1:] if line)
    return {row[1]: row[2] for row in rows if len(row) == 3 and len(row[2]) == 64}


def recorded_digests(lists: Iterable[Path], root: Path) -> dict[str, str]:
    """The digests the lists record, by path relative to `root` (as the manifest lists it)."""
    recorded = {}
    for path in lists:
        folder = Path(os.path.relpath(Path(path).parent, root)).as_posix()
        prefix = "" if folder == "." else f"{folder}/"
        recorded.update({prefix + name: d for name, d in read_digest_list(path).items()})
    return recorded


def manifest_text(
    folders: Iterable[Path],
    root: Path,
    exclude: Path | None = None,
    cache: Path | None = None,
    recorded: Iterable[Path] = (),
) -> str:
    """The manifest's text: `<sha256>  <path>` per file, sorted by path; a file the `recorded`
    lists name has the digest they record (see the module docstring)."""
    digests = DigestCache(cache)
    known = recorded_digests(recorded, root)
    prefix = os.path.join(root, "")
    lines = [
        f"{known.get(rel) or digests.digest(prefix + rel, rel)}  {rel}\n"
        for rel in manifest_files(folders, root, exclude)
    ]
    digests.save()
    return "".join(lines)


def write_manifest(
    out: Path,
    folders: Iterable[Path],
    root: Path,
    cache: Path | None = None,
    recorded: Iterable[Path] = (),
) -> int:
    """Write the manifest of `folders` to `out` atomically; return how many files it lists.
    `cache`: a file remembering digests by stat, so unchanged files are not read again;
    `recorded`: lists of digests written with the files they name (viewer jobs)."""
    text = manifest_text(folders, root, exclude=out, cache=cache, recorded=recorded)
    outputs.write_text(out, text)
    return text.count("\n")
