"""Command line: `python -m figtrace COMMAND`. Each command is a thin wrapper over one module."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from figtrace.errors import FigtraceError

RAW = Path("data/raw")


class Group(click.Group):
    """A click group that prints a FigtraceError as one clear line and exits 2, without a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except FigtraceError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=Group)
@click.version_option(package_name="figtrace")
def main() -> None:
    """figtrace: trace every number in the ledger to its exact passage in hashed source bytes."""


@main.command()
@click.option("--raw", "raw_dir", type=click.Path(path_type=Path), default=RAW, show_default=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("data/processed/documents.parquet"),
    show_default=True,
)
def verify(raw_dir: Path, out: Path) -> None:
    """Re-hash every raw document, validate every sidecar, write documents.parquet."""
    from figtrace.documents import write_documents_table

    frame = write_documents_table(raw_dir, out)
    click.echo(f"verified {len(frame)} documents -> {out}")


@main.command()
@click.option("--raw", "raw_dir", type=click.Path(path_type=Path), default=RAW, show_default=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("data/processed/mentions.parquet"),
    show_default=True,
)
def mentions(raw_dir: Path, out: Path) -> None:
    """Find every numeric expression in every verified document; write mentions.parquet."""
    from figtrace import outputs
    from figtrace.documents import load_catalogue
    from figtrace.mentions import mentions_table

    docs = load_catalogue(raw_dir)
    frame = mentions_table(docs)
    outputs.write_parquet(out, frame)
    stats = int((frame["role"] == "statistic").sum())
    click.echo(f"{len(docs)} documents, {len(frame)} mentions, {stats} statistics -> {out}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--title",
    default=None,
    help="The document's own headline (default for HTML/PDF: the title the file states).",
)
@click.option(
    "--publisher", default=None, help="Who published it; leave out if the document does not say."
)
@click.option(
    "--date",
    "date_published",
    default=None,
    help="Publication date, only as precise as known: YYYY, YYYY-MM or YYYY-MM-DD.",
)
@click.option("--url", default=None, help="Where it was found (http or https).")
@click.option("--id", "doc_id", default=None, help="Stable doc_id (default: from the title).")
@click.option(
    "--report", "reports", multiple=True, help="A report_id the document cites (repeatable)."
)
@click.option("--language", default="en", show_default=True)
@click.option("--raw", "raw_dir", type=click.Path(path_type=Path), default=RAW, show_default=True)
def add(
    path: Path,
    title: str | None,
    publisher: str | None,
    date_published: str | None,
    url: str | None,
    doc_id: str | None,
    reports: tuple[str, ...],
    language: str,
    raw_dir: Path,
) -> None:
    """Copy a document into data/raw/ byte for byte, hash it and write its sidecar."""
    from figtrace.documents import add_document

    doc = add_document(
        path,
        raw_dir,
        title=title,
        publisher=publisher,
        date_published=date_published,
        url=url,
        doc_id=doc_id,
        language=language,
        reports_cited=reports,
    )
    click.echo(f"added {doc.doc_id}: {doc.path} (sha256 {doc.sha256})")
    click.echo(f"sidecar: {doc.sidecar}; run the pipeline (make all) to pick it up.")


@main.command()
@click.option("--raw", "raw_dir", type=click.Path(path_type=Path), default=RAW, show_default=True)
@click.option("--text", "text_out", type=click.Path(path_type=Path), required=True)
@click.option("--map", "map_out", type=click.Path(path_type=Path), required=True)
@click.option("--furniture", "furniture_out", type=click.Path(path_type=Path), required=True)
def text(raw_dir: Path, text_out: Path, map_out: Path, furniture_out: Path) -> None:
    """Write each document's canonical text, its source map (page/box/element) and furniture."""
    from figtrace.text import write_text_tables

    frame = write_text_tables(raw_dir, text_out, map_out, furniture_out)
    click.echo(
        f"canonical text of {len(frame)} documents -> {text_out}, {map_out}, {furniture_out}"
    )


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "executed",
    type=click.Path(path_type=Path),
    required=True,
    help="Where to write the executed .ipynb.",
)
@click.option(
    "--html",
    type=click.Path(path_type=Path),
    required=True,
    help="Where to write the executed notebook as HTML.",
)
@click.option(
    "-p",
    "--parameter",
    "parameters",
    type=(str, str),
    multiple=True,
    help="NAME VALUE for the cell tagged `parameters` (repeatable; VALUE is YAML).",
)
@click.option(
    "--failed-copy",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to keep the executed copy if a cell fails.",
)
def notebook(
    source: Path,
    executed: Path,
    html: Path,
    parameters: tuple[tuple[str, str], ...],
    failed_copy: Path | None,
) -> None:
    """Execute a notebook with parameters and render it to HTML (a failing cell fails)."""
    import yaml

    from figtrace.notebooks import execute

    values = {name: yaml.safe_load(value) for name, value in parameters}
    execute(source, executed, html, values, cwd=Path.cwd(), failed_copy=failed_copy)
    click.echo(f"executed {source} -> {executed}, {html}")
