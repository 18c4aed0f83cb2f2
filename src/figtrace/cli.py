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
@click.option(
    "--memo",
    type=click.Path(path_type=Path),
    default=None,
    help="File remembering validated sidecars by the hash of their bytes (faster re-runs).",
)
def verify(raw_dir: Path, out: Path, memo: Path | None) -> None:
    """Re-hash every raw document, validate every sidecar, write documents.parquet."""
    from figtrace.documents import write_documents_table

    frame = write_documents_table(raw_dir, out, memo=memo)
    click.echo(f"verify: {len(frame)} documents -> {out}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--title", required=True, help="The document's own headline or title.")
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
    title: str,
    publisher: str | None,
    date_published: str | None,
    url: str | None,
    doc_id: str | None,
    reports: tuple[str, ...],
    language: str,
    raw_dir: Path,
) -> None:
    """Copy a document into data/raw/ byte for byte, hash it and write its sidecar."""
    from figtrace.documents import SIDECAR_MEMO, add_document

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
        # in a project the pipeline has run in, reuse its validated sidecars (faster at scale)
        memo=SIDECAR_MEMO if SIDECAR_MEMO.parent.parent.is_dir() else None,
    )
    click.echo(f"added {doc.doc_id}: {doc.path} (sha256 {doc.sha256})")
    click.echo(f"sidecar: {doc.sidecar}; run the pipeline (make all) to pick it up.")


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


@main.command()
@click.option("--n", "n", type=int, required=True, help="How many documents to write.")
@click.option(
    "--out", type=click.Path(path_type=Path), required=True, help="Raw directory to create."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option("--raw", "raw_dir", type=click.Path(path_type=Path), default=RAW, show_default=True)
@click.option(
    "--force", is_flag=True, help="Write into a non-empty --out (replaces its documents/)."
)
def synth(n: int, out: Path, seed: int, raw_dir: Path, force: bool) -> None:
    """Write N synthetic documents recombined from the real ones, laid out like data/raw."""
    from figtrace.synth import synthesize

    synthesize(n, out, raw_dir, seed=seed, force=force)
    click.echo(f"synth: {n} documents (seed {seed}) -> {out}; run with --config raw_dir={out}")


@main.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Manifest to write.")
def manifest(folders: tuple[Path, ...], out: Path) -> None:
    """Write a sha256sum manifest of every file under FOLDERS (paths relative to here)."""
    from figtrace.manifest import write_manifest

    count = write_manifest(out, folders, Path.cwd())
    click.echo(f"manifest: {count} files -> {out}")
