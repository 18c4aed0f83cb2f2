"""The package's own modules and which of them each one imports, so that a workflow rule can
depend on all the code its command runs, not only on the modules named in the rule.

Imports are found by reading the source, not by importing it: a Snakemake start asks for every
rule's modules and must not import pandas for it. A function-level import counts like any other,
and a line that only looks like an import (in a docstring, say) adds a module too many, which
costs a re-run after an edit, never a missed one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent

# `from figtrace import a, b as c`, `from figtrace.a import x` and `import figtrace.a`
_FROM_PACKAGE = re.compile(
    r"^[ \t]*from[ \t]+figtrace[ \t]+import[ \t]+(?:\(([^)]*)\)|([^#\n]+))", re.M
)
_FROM_MODULE = re.compile(r"^[ \t]*(?:from|import)[ \t]+figtrace\.(\w+)", re.M)


@cache
def imported(path: Path) -> frozenset[str]:
    """The package modules the file at `path` imports, by name (`display`, `outputs`, ...)."""
    source = path.read_text("utf-8")
    names = set(_FROM_MODULE.findall(source))
    for parenthesised, listed in _FROM_PACKAGE.findall(source):
        for line in (parenthesised or listed).splitlines():
            parts = line.split("#")[0].split(";")[0].split(",")
            names.update(part.split()[0] for part in parts if part.strip())
    return frozenset(name for name in names if (path.parent / f"{name}.py").is_file())


def closure(modules: Iterable[str], package: Path = PACKAGE) -> list[str]:
    """`modules` and every package module they import, directly or not, sorted by name.

    Raises FileNotFoundError naming a module that is not in the package (a typo in a rule)."""
    seen: set[str] = set()
    todo = list(modules)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = package / f"{name}.py"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such module in the figtrace package")
        seen.add(name)
        todo.extend(imported(path))
    return sorted(seen)
