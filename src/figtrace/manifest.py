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

The pipeline runs `python -m figtrace.manifest` (main): the same command without the CLI's
imports.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import time
from collections.abc import Iterable
from itertools import filterfalse, islice, repeat
from operator import attrgetter, methodcaller
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

    Paths are joined as strings, each folder resolved once (resolving every file's path cost
    most of the manifest's time at 10,000 files) and listed in one pass (see _add_files)."""
    top = os.path.realpath(root)
    skip = os.path.split(os.path.realpath(exclude)) if exclude else ("", "")
    found: list[str] = []
    walked: set[str] = set()  # a folder named twice, or inside another named one, is listed once
    for folder in folders:
        if not Path(folder).is_dir():
            raise FigtraceError(f"{folder}: not a folder; the manifest lists output folders.")
        _add_files(os.path.realpath(folder), top, skip, found, walked)
    found.sort()
    return found


_NAME = attrgetter("name")
_HIDDEN = methodcaller("startswith", ".")


def _add_files(
    folder: str, top: str, skip: tuple[str, str], found: list[str], walked: set[str]
) -> None:
    """Add the files under `folder` to `found` as os.walk finds them (a folder that cannot be
    listed is left out, a symlink to a folder is not followed), hidden ones and `skip` left
    out; in one pass over each folder's entries, as at 100,000 files every pass shows."""
    if folder in walked:
        return
    walked.add(folder)
    relative = Path(os.path.relpath(folder, top)).as_posix()
    prefix = "" if relative == "." else f"{relative}/"
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return
    try:  # sorted out in C (100,000 viewers in one folder): entry types come with the listing
        folders = set(filter(os.DirEntry.is_dir, entries))
    except OSError:  # an entry that cannot be stat'ed counts as a file, as os.walk has it
        folders = set()
        for entry in entries:
            with contextlib.suppress(OSError):
                if entry.is_dir():
                    folders.add(entry)
    names = map(_NAME, filterfalse(folders.__contains__, entries))
    files = list(map(prefix.__add__, filterfalse(_HIDDEN, names)))
    subfolders = [
        entry.path
        for entry in entries
        if entry in folders and not _HIDDEN(entry.name) and not os.path.islink(entry.path)
    ]
    if skip[0] == folder and prefix + skip[1] in files:
        files.remove(prefix + skip[1])
    found += files
    for subfolder in subfolders:
        _add_files(subfolder, top, skip, found, walked)


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
        self.text = ""  # as read: an unchanged cache is not written again
        if self.path and self.path.is_file():
            try:
                self.text = self.path.read_text("utf-8")
            except (OSError, ValueError):
                self.text = ""  # an unreadable cache only costs time, never correctness
            if self.text.startswith(CACHE_HEADER):
                for line in self.text[len(CACHE_HEADER) :].split("\n"):
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
        """Keep the entries of this run only (the cache never grows stale), atomically; not
        flushed to disk, as a cache lost in a crash only costs time (an fsync cost 0.01 s)."""
        if not self.path:
            return
        # in the order digests were asked for: the manifest's, sorted by path
        text = CACHE_HEADER + "".join(f"{rel}\0{entry}\n" for rel, entry in self.kept.items())
        if text != self.text:
            outputs.write_bytes(self.path, text.encode("utf-8"), durable=False)


DIGEST_LIST_HEADER = "doc_id\tviewer\tsha256\n"


def read_digest_list(path: Path, prefix: str = "") -> dict[str, str]:
    """A viewer job's list (see the module docstring): `prefix` + file name -> sha256; empty if
    the file is missing or of another format (its files are then hashed as any other)."""
    try:
        lines = Path(path).read_text("utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return {}
    if f"{lines[0]}\n" != DIGEST_LIST_HEADER:
        return {}
    # as the jobs write them: three cells a row, a newline after each; cut into cells at once
    cells = "\t".join(islice(lines, 1, None)).split("\t")
    names, digests = cells[1::3], cells[2::3]
    if len(cells) % 3 == 1 and not cells[-1] and set(map(len, digests)) <= {64}:
        return dict(zip(map(prefix.__add__, names), digests, strict=True))
    # otherwise row by row, prefixed as they are read (an empty line is one cell: left out)
    rows = map(str.split, islice(lines, 1, None), repeat("\t"))
    return {prefix + row[1]: row[2] for row in rows if len(row) == 3 and len(row[2]) == 64}


def recorded_digests(lists: Iterable[Path], root: Path) -> dict[str, str]:
    """The digests the lists record, by path relative to `root` (as the manifest lists it)."""
    recorded: dict[str, str] = {}
    for path in lists:
        folder = Path(os.path.relpath(Path(path).parent, root)).as_posix()
        recorded.update(read_digest_list(path, "" if folder == "." else f"{folder}/"))
    return recorded


def _manifest(
    folders: Iterable[Path],
    root: Path,
    exclude: Path | None,
    cache: Path | None,
    recorded: Iterable[Path],
) -> tuple[str, int]:
    """The manifest's text and how many files it lists (see manifest_text)."""
    cache_of = DigestCache(cache)
    known = recorded_digests(recorded, root)
    prefix = os.path.join(root, "")
    files = manifest_files(folders, root, exclude)
    # the recorded digests looked up in C; the other files' (a few hundred) from the cache
    digests = list(map(known.get, files))
    for row in [row for row, digest in enumerate(digests) if digest is None]:
        digests[row] = cache_of.digest(prefix + files[row], files[row])
    cache_of.save()
    text = "\n".join(map("  ".join, zip(digests, files, strict=True)))
    return (text + "\n" if files else ""), len(files)


def manifest_text(
    folders: Iterable[Path],
    root: Path,
    exclude: Path | None = None,
    cache: Path | None = None,
    recorded: Iterable[Path] = (),
) -> str:
    """The manifest's text: `<sha256>  <path>` per file, sorted by path; a file the `recorded`
    lists name has the digest they record (see the module docstring)."""
    return _manifest(folders, root, exclude, cache, recorded)[0]


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
    text, count = _manifest(folders, root, out, cache, recorded)
    outputs.write_text(out, text)
    return count


def main(argv: list[str] | None = None) -> None:
    """`python -m figtrace.manifest`: the CLI's `manifest` command without importing the CLI,
    as the pipeline runs it (click and the CLI module cost about 0.05 s of a 0.5 s job)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m figtrace.manifest", description="Same as `python -m figtrace manifest`."
    )
    parser.add_argument("folders", nargs="+", type=Path, metavar="FOLDER")
    parser.add_argument("--out", type=Path, required=True, help="Manifest to write.")
    parser.add_argument("--cache", type=Path, help="Remember digests here by stat.")
    parser.add_argument("--recorded", type=Path, action="append", default=[], metavar="LIST")
    args = parser.parse_args(argv)
    for listed in args.recorded:
        if not listed.is_file():  # as the CLI's option checks
            parser.error(f"--recorded {listed}: not a file")
    try:
        count = write_manifest(args.out, args.folders, Path.cwd(), args.cache, args.recorded)
    except FigtraceError as exc:  # one clear line and exit 2, as the CLI
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    print(f"manifest: {count} files -> {args.out}")


if __name__ == "__main__":
    main()
