"""The manifest: a sha256 of every file the pipeline wrote, so two runs can be compared byte for byte.

`results/MANIFEST.sha256` is in `sha256sum` format (`sha256sum -c` checks it), one line per file
under the output folders, sorted by path relative to the project root. Hidden files (`.gitkeep`,
leftovers of a killed writer) and the manifest itself are not listed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from figtrace import outputs
from figtrace.errors import FigtraceError


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_files(folders: Iterable[Path], root: Path, exclude: Path | None = None) -> list[str]:
    """Every non-hidden file under `folders`, as POSIX paths relative to `root`, sorted."""
    skip = exclude.resolve() if exclude else None
    found: set[str] = set()
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            raise FigtraceError(f"{folder}: not a folder; the manifest lists output folders.")
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                path = Path(dirpath) / name
                if name.startswith(".") or path.resolve() == skip:
                    continue
                found.add(Path(os.path.relpath(path.resolve(), root.resolve())).as_posix())
    return sorted(found)


def manifest_text(folders: Iterable[Path], root: Path, exclude: Path | None = None) -> str:
    """The manifest's text: `<sha256>  <path>` per file, sorted by path."""
    lines = [
        f"{_sha256_file(root / rel)}  {rel}\n" for rel in manifest_files(folders, root, exclude)
    ]
    return "".join(lines)


def write_manifest(out: Path, folders: Iterable[Path], root: Path) -> int:
    """Write the manifest of `folders` to `out` atomically; return how many files it lists."""
    text = manifest_text(folders, root, exclude=out)
    outputs.write_text(out, text)
    return text.count("\n")
