"""MkDocs hooks: every page under docs/ gets a place in the navigation, and every module of
src/figtrace/ gets an API reference page generated from its docstrings (mkdocstrings).

A page missing from mkdocs.yml's `nav` is listed under "More topics" (by its first heading), so a
new docs/<topic>.md needs no edit elsewhere; `validation: omitted_files: warn` with `strict` still
catches a page that is in no section at all.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "figtrace"
HEADING = re.compile(r"^#\s+(.+?)\s*$", re.M)


def modules() -> list[str]:
    """The public modules of the figtrace package, in name order."""
    return sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_"))


def listed(nav: list) -> set[str]:
    """Every page path named anywhere in a nav tree."""
    out: set[str] = set()
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            out |= listed(value)
        elif isinstance(value, str):
            out.add(value)
    return out


def title(page: Path) -> str:
    """A page's first level-one heading, or its file name."""
    match = HEADING.search(page.read_text("utf-8"))
    return match.group(1) if match else page.stem.replace("-", " ").capitalize()


def on_config(config):
    """Add unlisted docs/*.md pages under "More topics" and the API reference to the nav."""
    docs = Path(config["docs_dir"])
    nav = config["nav"]
    named = listed(nav)
    extra = [
        {title(page): page.relative_to(docs).as_posix()}
        for page in sorted(docs.rglob("*.md"))
        if page.relative_to(docs).as_posix() not in named
        and not page.relative_to(docs).as_posix().startswith("reference/")
    ]
    reference = [{"Overview": "reference/index.md"}, {"Commands": "reference/commands.md"}]
    reference += [{f"figtrace.{name}": f"reference/{name}.md"} for name in modules()]
    config["nav"] = [
        *nav,
        *([{"More topics": extra}] if extra else []),
        {"API reference": reference},
    ]
    return config


def on_files(files, config):
    """Generate one reference page per module: its docstrings rendered by mkdocstrings."""
    index = [
        "# API reference",
        "",
        "Generated from the docstrings of the `figtrace` package (`src/figtrace/`), one page per",
        "module. Imports go one way: from outputs (report, charts, checks) down to sources",
        "(documents, text).",
        "",
        "| module | what it is for |",
        "| --- | --- |",
    ]
    for name in modules():
        doc = module_summary(PACKAGE / f"{name}.py")
        index.append(f"| [`figtrace.{name}`]({name}.md) | {doc} |")
        files.append(
            File.generated(config, f"reference/{name}.md", content=f"::: figtrace.{name}\n")
        )
    files.append(File.generated(config, "reference/index.md", content="\n".join(index) + "\n"))
    files.append(File.generated(config, "reference/commands.md", content=commands_page()))
    return files


def commands_page() -> str:
    """Every `python -m figtrace` command's --help text, from the click group itself."""
    import click

    from figtrace.cli import main

    lines = [
        "# Commands",
        "",
        "`python -m figtrace COMMAND` (or `.venv/bin/figtrace COMMAND`); each command's `--help`,",
        "generated from `figtrace.cli`.",
        "",
    ]
    with click.Context(main, info_name="python -m figtrace") as parent:
        for name in main.list_commands(parent):
            command = main.get_command(parent, name)
            with click.Context(command, info_name=name, parent=parent) as context:
                lines += [f"## {name}", "", "```text", command.get_help(context), "```", ""]
    return "\n".join(lines)


def module_summary(path: Path) -> str:
    """The first line of a module's docstring (escaped for a table cell)."""
    import ast

    doc = ast.get_docstring(ast.parse(path.read_text("utf-8"))) or ""
    return doc.strip().splitlines()[0].replace("|", "\\|") if doc.strip() else ""
