"""Imports go one way: no module of figtrace imports, through any chain, a module that imports
it back (counting imports inside functions and under TYPE_CHECKING, which are still dependencies)."""

from __future__ import annotations

import ast

from conftest import ROOT

PACKAGE = ROOT / "src" / "figtrace"


def imports_of(module: str) -> set[str]:
    """The figtrace modules one module imports, anywhere in its source."""
    found = set()
    for node in ast.walk(ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("figtrace"):
            parts = node.module.split(".")
            found |= {parts[1]} if len(parts) > 1 else {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("figtrace.")}
    return found - {module}


def test_the_package_has_no_import_cycle():
    graph = {path.stem: imports_of(path.stem) for path in PACKAGE.glob("*.py")}
    state: dict[str, str] = {}
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for dep in sorted(graph.get(module, ())):
            if state.get(dep) == "open":
                cycles.append([*path[path.index(dep) :], dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == [], cycles


def test_text_documents_and_mentions_depend_one_way():
    assert imports_of("text").isdisjoint({"documents", "mentions"})
    assert "mentions" not in imports_of("documents")
