"""Command line: `python -m figtrace COMMAND`. Each command is a thin wrapper over one module."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from figtrace.errors import FigtraceError

RAW = Path("data/raw")
# Where the pipeline keeps its catalogue indexes (figtrace.catalogue), relative to the project.
INDEX_DIR = Path(".snakemake/figtrace/index")


def path_option(flag: str, default: Path | None, dest: str | None = None, **kwargs):
    """A `--flag PATH` option whose default is shown in --help (most commands take several)."""
    names = [flag, dest] if dest else [flag]
    return click.option(
        *names, type=click.Path(path_type=Path), default=default, show_default=True, **kwargs
    )


def corpus_option():
    """`--corpus DIR`: where the document tables are read from, if not the processed folder."""
    return click.option(
        "--corpus",
        "corpus_dir",
        type=click.Path(path_type=Path),
        default=None,
        help="Folder of the documents, text and mentions tables (default: the --processed "
        "folder). The pipeline passes data/processed/shards/ledger, the annotated documents.",
    )


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
@path_option("--raw", RAW, "raw_dir")
@path_option("--out", Path("data/processed/documents.parquet"))
@click.option(
    "--memo",
    type=click.Path(path_type=Path),
    default=None,
    help="File remembering validated sidecars by the hash of their bytes (faster re-runs).",
)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Only verify, ignoring the catalogue index: re-hash every raw file and sidecar, "
    "validate every sidecar, then rewrite the index (no table is written).",
)
@path_option("--index-dir", INDEX_DIR, help="Where the catalogue indexes live (with --all).")
def verify(raw_dir: Path, out: Path, memo: Path | None, everything: bool, index_dir: Path) -> None:
    """Re-hash every raw document, validate every sidecar, write documents.parquet."""
    if everything:
        from figtrace.catalogue import index_path, verify_catalogue

        done = verify_catalogue(raw_dir, index_path(raw_dir, index_dir), full=True)
        click.echo(f"verify --all: {len(done.entries)} documents re-hashed and valid")
        return
    from figtrace.documents import write_documents_table

    frame = write_documents_table(raw_dir, out, memo=memo)
    click.echo(f"verify: {len(frame)} documents -> {out}")


@main.command()
@path_option("--raw", RAW, "raw_dir")
@path_option("--out", Path("data/processed/mentions.parquet"))
@click.option(
    "--text",
    "text_tables",
    type=(click.Path(path_type=Path),) * 3,
    default=None,
    metavar="TEXT MAP FURNITURE",
    help="Read the canonical text from these text-stage tables (e.g. one shard's) instead of "
    "re-reading the raw files.",
)
def mentions(raw_dir: Path, out: Path, text_tables: tuple[Path, Path, Path] | None) -> None:
    """Find every numeric expression in every verified document; write mentions.parquet."""
    import pandas as pd

    from figtrace import outputs
    from figtrace.mentions import mentions_from_text_tables, mentions_table

    if text_tables:
        frame = mentions_from_text_tables(*(pd.read_parquet(path) for path in text_tables))
        n_docs = len(pd.read_parquet(text_tables[0], columns=["doc_id"]))
    else:
        from figtrace.documents import load_catalogue

        docs = load_catalogue(raw_dir)
        frame = mentions_table(docs)
        n_docs = len(docs)
    outputs.write_parquet(out, frame)
    stats = int((frame["role"] == "statistic").sum())
    click.echo(f"mentions: {n_docs} documents, {len(frame)} mentions, {stats} statistics -> {out}")


@main.command()
@click.argument("stage")
@click.argument("tables", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--shards", type=click.IntRange(min=1), required=True, help="How many shards.")
def gather(stage: str, tables: tuple[Path, ...], shards: int) -> None:
    """Write each of TABLES from its shards (<dir>/shards/<id>/<name>), by doc_id; then delete
    the folders of shards that no longer exist (the shard count changed)."""
    from figtrace.shards import gather as gather_table
    from figtrace.shards import remove_stale

    counts = [gather_table(table, shards) for table in tables]
    for folder in {table.parent / "shards" for table in tables}:
        remove_stale(folder, shards, "{shard}")
    click.echo(
        f"{stage}: {counts[0]} documents from {shards} shards -> {', '.join(map(str, tables))}"
    )


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
@path_option("--raw", RAW, "raw_dir")
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
    from figtrace.catalogue import index_path, known_documents, read_index, record_added
    from figtrace.documents import add_document, documents_dir

    # in a project the pipeline has run in, its catalogue index spares reading every sidecar
    index = index_path(raw_dir, INDEX_DIR)
    stored = read_index(index, raw_dir, fields=("sidecar_name", "raw_name", "doc_id", "sha256"))
    # listed once, for sidecars the index does not list and for a killed writer's leftovers
    folder = documents_dir(raw_dir)
    listing = os.listdir(folder) if folder.is_dir() else None
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
        existing=known_documents(raw_dir, stored, listing),
        listing=listing,
    )
    record_added(index, stored, doc)
    click.echo(f"added {doc.doc_id}: {doc.path} (sha256 {doc.sha256})")
    click.echo(f"sidecar: {doc.sidecar}; run the pipeline (make all) to pick it up.")


@main.command()
@click.argument("report_ids", nargs=-1)
@click.option(
    "--url", default=None, help="The PDF's address (one report only), if reports.yaml has none."
)
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for the server.")
@path_option("--raw", RAW, "raw_dir")
def fetch(report_ids: tuple[str, ...], url: str | None, timeout: float, raw_dir: Path) -> None:
    """Download reports (default: every report with a PDF address) into data/raw/ and pin them;
    a report already pinned is verified, and a changed file is refused."""
    _fetch_each(report_ids, url, timeout, raw_dir, repin=False)


@main.command()
@click.argument("report_id")
@click.option("--url", default=None, help="The PDF's new address, if it moved.")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for the server.")
@path_option("--raw", RAW, "raw_dir")
def repin(report_id: str, url: str | None, timeout: float, raw_dir: Path) -> None:
    """Accept the file now at a report's address as its new pinned version (the old one is kept
    under data/raw/superseded/)."""
    _fetch_each((report_id,), url, timeout, raw_dir, repin=True)


def _fetch_each(
    report_ids: tuple[str, ...], url: str | None, timeout: float, raw_dir: Path, repin: bool
) -> None:
    """Fetch (or repin) each report in turn; one line per report, exit 1 if any failed."""
    from figtrace import reports
    from figtrace.registries import load_reports

    registry = load_reports(raw_dir / reports.REGISTRY)
    ids = list(report_ids) or [r.report_id for r in registry.values() if r.kind == "report"]
    if url and len(ids) != 1:
        raise FigtraceError("--url names one PDF: give exactly one REPORT_ID with it.")
    failed = 0
    for report_id in ids:
        try:
            step = reports.repin if repin else reports.fetch
            result = step(raw_dir, report_id, url=url, timeout=timeout)
        except FigtraceError as exc:
            failed += 1
            click.echo(f"error: {exc}", err=True)
            continue
        click.echo(
            f"{result.status} {report_id}: {result.doc_id} ({result.size:,} bytes, sha256 "
            f"{result.sha256}) from {result.url}"
        )
    if failed:
        sys.exit(1)


@main.command()
@path_option("--raw", RAW, "raw_dir")
@click.option("--text", "text_out", type=click.Path(path_type=Path), required=True)
@click.option("--map", "map_out", type=click.Path(path_type=Path), required=True)
@click.option("--furniture", "furniture_out", type=click.Path(path_type=Path), required=True)
@path_option(
    "--documents", None, "documents_out", help="Also write the documents table (sidecar fields)."
)
@path_option(
    "--mentions",
    None,
    "mentions_out",
    help="Also write the numbers found in them (figtrace.mentions).",
)
@click.option(
    "--catalogue",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Only the documents this catalogue file lists (one shard; see common.smk).",
)
@path_option(
    "--reuse",
    None,
    "record",
    help="With --catalogue: a reuse record (figtrace.reuse); documents unchanged since it was "
    "written keep their rows from the existing tables instead of being read again.",
)
def text(
    raw_dir: Path,
    text_out: Path,
    map_out: Path,
    furniture_out: Path,
    catalogue: Path | None,
    record: Path | None,
    documents_out: Path | None,
    mentions_out: Path | None,
) -> None:
    """Write each document's canonical text, its source map (page/box/element) and furniture."""
    from figtrace.shards import write_text_tables

    count = write_text_tables(
        raw_dir, text_out, map_out, furniture_out, catalogue, documents_out, mentions_out, record
    )
    outs = (text_out, map_out, furniture_out, documents_out, mentions_out)
    written = [p for p in outs if p is not None]
    click.echo(f"text: {count} documents -> {', '.join(map(str, written))}")


@main.command()
@path_option("--raw", RAW, "raw_dir")
@click.option(
    "--catalogue",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The shard's catalogue file (its documents' hashes; see common.smk).",
)
@click.option(
    "--tables",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The shard's folder: documents, text, textmap, furniture and mentions tables.",
)
@click.option(
    "--viewers",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The folder of source viewers (every shard's).",
)
@click.option(
    "--index",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The list of the shard's viewers and their sha256, written after them.",
)
@click.option(
    "--corpus-catalogue",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The whole corpus's catalogue file: viewers of documents it does not list are deleted.",
)
@click.option("--shards", type=click.IntRange(min=1), required=True, help="The shard count.")
@click.pass_context
def shard(
    ctx: click.Context,
    raw_dir: Path,
    catalogue: Path,
    tables: Path,
    viewers: Path,
    index: Path,
    corpus_catalogue: Path,
    shards: int,
) -> None:
    """One numbered shard (no annotated document): `text` then `sources --no-ledger`, reusing
    what did not change, in one process (one start; no import of pandas after a change)."""
    ctx.invoke(
        text,
        raw_dir=raw_dir,
        catalogue=catalogue,
        record=tables / ".reuse",
        documents_out=tables / "documents.parquet",
        text_out=tables / "text.parquet",
        map_out=tables / "textmap.parquet",
        furniture_out=tables / "furniture.parquet",
        mentions_out=tables / "mentions.parquet",
    )
    ctx.invoke(
        sources,
        processed_dir=tables,
        corpus_dir=tables,
        raw_dir=raw_dir,
        out_dir=viewers,
        no_ledger=True,
        index=index,
        catalogue=corpus_catalogue,
        shards=shards,
        listed=catalogue,
        record=viewers / f".{index.stem}.reuse",
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


# --- the figure ledger ------------------------------------------------------------------------

PROCESSED = Path("data/processed")


@main.command()
@path_option("--raw", RAW, "raw_dir")
@path_option("--mentions", PROCESSED / "mentions.parquet")
@path_option("--out", PROCESSED / "figures.parquet")
@path_option("--csv", PROCESSED / "figures.csv", "csv_path")
@path_option("--exclusions", PROCESSED / "exclusions.parquet")
def figures(raw_dir: Path, mentions: Path, out: Path, csv_path: Path, exclusions: Path) -> None:
    """Check every annotation (bytes, anchor, value, ids) and write the figure ledger."""
    import pandas as pd

    from figtrace import outputs
    from figtrace.figures import build

    table, excluded = build(raw_dir, pd.read_parquet(mentions))
    outputs.write_parquet(out, table)
    outputs.write_csv(csv_path, table)
    outputs.write_parquet(exclusions, excluded)
    click.echo(
        f"ledger: {len(table)} figures and {len(excluded)} reviewed exclusions in "
        f"{table['doc_id'].nunique()} documents; every anchor resolves and every value matches its span"
    )


@main.command()
@path_option("--raw", RAW, "raw_dir")
@path_option("--figures", PROCESSED / "figures.parquet", "figures_path")
@path_option("--out", PROCESSED / "derived.parquet")
@path_option("--csv", PROCESSED / "derived.csv", "csv_path")
def derived(raw_dir: Path, figures_path: Path, out: Path, csv_path: Path) -> None:
    """Compute the derived figures (data/raw/derived.yaml) from the ledger."""
    import pandas as pd

    from figtrace import outputs
    from figtrace.derived import derived_frame, load_derived
    from figtrace.registries import load_indicators

    spec = raw_dir / "derived.yaml"
    table = derived_frame(
        load_derived(spec),
        pd.read_parquet(figures_path),
        load_indicators(raw_dir / "indicators.yaml"),
        spec,
    )
    outputs.write_parquet(out, table)
    outputs.write_csv(csv_path, table)
    click.echo(f"derived: {len(table)} figures")


@main.command()
@path_option("--raw", RAW, "raw_dir")
@path_option("--figures", PROCESSED / "figures.parquet", "figures_path")
@path_option("--derived", PROCESSED / "derived.parquet", "derived_path")
@path_option("--out", PROCESSED / "checks.parquet")
@path_option("--csv", PROCESSED / "checks.csv", "csv_path")
@path_option("--summary", Path("results/checks.md"))
@path_option(
    "--text",
    None,
    "text_path",
    help="The annotated documents' text.parquet: agreements and corroborations between documents "
    "that copy one source (the same press release twice) are restatements.",
)
@path_option(
    "--report-documents",
    None,
    "report_documents",
    help="The reports in the corpus (report_id, doc_id, sha256; written by the pipeline): check "
    "each article figure against its report's own figure.",
)
def checks(
    raw_dir: Path,
    figures_path: Path,
    derived_path: Path,
    out: Path,
    csv_path: Path,
    summary: Path,
    text_path: Path | None,
    report_documents: Path | None,
) -> None:
    """Run the consistency checks (data/raw/checks.yaml) and compare figures across documents
    (corroboration); warnings and failures do not stop the build."""
    import pandas as pd

    from figtrace import outputs
    from figtrace.checks import against_report_checks, run_checks, summary_markdown
    from figtrace.corroboration import with_corroboration
    from figtrace.reports import read_report_documents

    figures_table = pd.read_parquet(figures_path)
    texts = None
    if text_path is not None:
        text_table = pd.read_parquet(text_path, columns=["doc_id", "text"])
        wanted = set(figures_table["doc_id"])
        texts = {d: t for d, t in text_table.itertuples(index=False) if d in wanted}
    table = run_checks(raw_dir / "checks.yaml", figures_table, pd.read_parquet(derived_path), texts)
    if report_documents is not None:
        against = against_report_checks(figures_table, read_report_documents(report_documents))
        if len(against):
            table = pd.concat([table, against], ignore_index=True)
    table = with_corroboration(table, figures_table, texts or {})
    outputs.write_parquet(out, table)
    outputs.write_csv(csv_path, table)
    outputs.write_text(summary, summary_markdown(table))
    for row in table.itertuples():
        click.echo(f"check {row.status:4} {row.check_id}: {row.message}")


@main.command()
@path_option(
    "--mentions",
    [PROCESSED / "mentions.parquet"],
    multiple=True,
    help="A mentions table; repeat it to read a table's shards without gathering them first.",
)
@path_option("--figures", PROCESSED / "figures.parquet", "figures_path")
@path_option("--exclusions", PROCESSED / "exclusions.parquet")
@path_option("--out", PROCESSED / "coverage.parquet")
@path_option("--uncovered", Path("results/uncovered_statistics.csv"))
def coverage(
    mentions: tuple[Path, ...], figures_path: Path, exclusions: Path, out: Path, uncovered: Path
) -> None:
    """List every statistic the extractor finds that is neither a figure nor a reviewed exclusion."""
    import pandas as pd

    from figtrace import outputs
    from figtrace.coverage import coverage_frame, uncovered_statistics

    table = coverage_frame(
        pd.concat([pd.read_parquet(path) for path in mentions], ignore_index=True),
        pd.read_parquet(figures_path),
        pd.read_parquet(exclusions),
    )
    missing = uncovered_statistics(table)
    outputs.write_parquet(out, table)
    outputs.write_csv(uncovered, missing)
    click.echo(
        f"coverage: {len(table)} mentions, {int((table['role'] == 'statistic').sum())} statistics, "
        f"{len(missing)} not yet in the ledger nor reviewed"
    )
    for row in missing.head(50).itertuples():
        click.echo(f"  uncovered {row.doc_id} {row.start}:{row.end} {row.text!r}")
    if len(missing) > 50:
        click.echo(f"  ... and {len(missing) - 50} more in {uncovered}")
    if len(missing):
        click.echo("  (run `python -m figtrace annotate DOC_ID` to start annotating a document)")


@main.command()
@path_option("--out", PROCESSED / "datapackage.json")
def datapackage(out: Path) -> None:
    """Describe the ledger's CSV tables in a Frictionless datapackage.json."""
    from figtrace.datapackage import write_descriptor

    write_descriptor(out)
    click.echo(f"datapackage: {out}")


@main.command()
@click.argument("doc_id")
@path_option("--raw", RAW, "raw_dir")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Where to write the stub (default: data/raw/annotations/DOC_ID.yaml if it does not exist, else stdout).")  # fmt: skip
def annotate(doc_id: str, raw_dir: Path, out: Path | None) -> None:
    """Write an annotation stub for a document: every unreviewed number with its anchor filled in."""
    from figtrace import outputs
    from figtrace.documents import load_catalogue
    from figtrace.figures import annotation_stub, annotations_dir, dump_annotations
    from figtrace.mentions import document_mentions
    from figtrace.registries import load_indicators, load_yaml
    from figtrace.suggestions import DEFAULT_MIN_SCORE, add_suggestions, load_evidence

    docs = {d.doc_id: d for d in load_catalogue(raw_dir)}
    if doc_id not in docs:
        raise FigtraceError(
            f"{doc_id!r}: no such document in {raw_dir}/documents; add it first with `python -m figtrace add`."
        )
    doc = docs[doc_id]
    target = annotations_dir(raw_dir) / f"{doc_id}.yaml"
    existing = load_yaml(target) if target.is_file() else None
    mentions = document_mentions(doc)
    stub = annotation_stub(doc, mentions, existing)
    evidence = load_evidence(raw_dir, load_indicators(raw_dir / "indicators.yaml"))
    suggested = add_suggestions(stub, doc, mentions, evidence)
    text = (
        f"# Annotations for {doc_id}. Move each candidate into `figures` (add figure_id, label,\n"
        "# indicator, value, unit, qualifier, population, geography, period, claimant) or into\n"
        "# `exclusions` (add reason and category). List who states each figure under `claimants`\n"
        "# with the passage that says so (docs/attribution.md); then run the pipeline. A candidate's\n"
        "# `suggestion:` is a proposed figure entry with a score (0-1) and the evidence for it:\n"
        f"# `figtrace accept {doc_id}` moves those scoring {DEFAULT_MIN_SCORE} or more into\n"
        f"# figures, `figtrace review {doc_id}` shows them in the browser.\n"
        + dump_annotations(stub)
    )
    if out is None and existing is None:
        out = target
    if out is None:
        click.echo(text, nl=False)
        click.echo(
            f"({target} exists and was left as it is; the stub above adds {len(stub['candidates'])} candidates)",
            err=True,
        )
        return
    if out.exists() and out.resolve() == target.resolve() and existing is not None:
        raise FigtraceError(
            f"{out}: exists; annotations are curated data and are never overwritten. Use --out."
        )
    outputs.write_text(out, text)
    click.echo(
        f"wrote {out}: {len(stub['candidates'])} candidates to review, {suggested} with a suggestion"
    )


@main.command()
@click.argument("doc_id")
@click.option(
    "--min-score",
    type=click.FloatRange(0, 1),
    default=None,
    help="Move suggestions scoring at least this (default: figtrace.suggestions.DEFAULT_MIN_SCORE, 0.7).",
)
@click.option("--dry-run", is_flag=True, help="Print what would move; write nothing.")
@path_option("--raw", RAW, "raw_dir")
def accept(doc_id: str, min_score: float | None, dry_run: bool, raw_dir: Path) -> None:
    """Move a document's suggestions scoring at least --min-score from candidates into figures."""
    from figtrace.figures import annotations_dir, read_annotation_file, write_annotation_file
    from figtrace.review import validate_annotation
    from figtrace.suggestions import DEFAULT_MIN_SCORE, mentions_of
    from figtrace.suggestions import accept as accept_suggestions

    threshold = DEFAULT_MIN_SCORE if min_score is None else min_score
    path = annotations_dir(raw_dir) / f"{doc_id}.yaml"
    data, digest = read_annotation_file(path)
    moved = accept_suggestions(data, threshold, mentions_of(raw_dir, doc_id))
    left = len(data.get("candidates") or [])
    if not moved:
        click.echo(
            f"accept: no suggestion in {path} scores {threshold:g} or more; {left} candidates left"
        )
        return
    if not dry_run:
        try:
            validate_annotation(raw_dir, path, data)
            write_annotation_file(path, data, digest)
        except FigtraceError as exc:
            raise FigtraceError(f"{exc}\naccept: nothing was moved; {path} is as it was.") from None
    for entry, score in moved:  # only once the file is written (or with --dry-run)
        click.echo(
            f"{'would move' if dry_run else 'moved'} {entry['figure_id']} (score {score:.2f}): "
            f"{entry['anchor']['exact']!r} -> {entry['indicator']}, period {entry['period']!r}, "
            f"report {entry['report_id']!r}"
        )
    if dry_run:
        click.echo(f"accept --dry-run: {len(moved)} would move; {path} left as it is")
        return
    click.echo(f"accept: {len(moved)} moved into figures in {path}; {left} candidates left")


@main.command()
@click.argument("doc_id", required=False)
@path_option("--raw", RAW, "raw_dir")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: a free one).")  # fmt: skip
def review(doc_id: str | None, raw_dir: Path, port: int) -> None:
    """Serve a page on 127.0.0.1 to accept, edit, exclude or skip a document's candidates."""
    from figtrace.review import open_review

    server = open_review(raw_dir, doc_id, port)
    click.echo(f"review: open {server.url}  (Ctrl-C to stop; the token in the URL is needed)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("review: stopped")
    finally:
        server.server_close()


@main.command()
@click.argument("ref")
@path_option("--processed", PROCESSED, "processed_dir")
@corpus_option()
@path_option("--raw", RAW, "raw_dir")
def trace(ref: str, processed_dir: Path, corpus_dir: Path | None, raw_dir: Path) -> None:
    """Print the whole provenance chain of a figure_id or derived_id."""
    from figtrace.provenance import chain, format_chain, load_ledger

    ledger = load_ledger(processed_dir, raw_dir, corpus_dir)
    color = sys.stdout.isatty()
    mark = (lambda s: click.style(s, bold=True, reverse=True)) if color else (lambda s: f"⟦{s}⟧")
    click.echo(format_chain(chain(ledger, ref), mark))


@main.command()
@click.option("--n", "n", type=int, required=True, help="How many documents to write.")
@click.option(
    "--out", type=click.Path(path_type=Path), required=True, help="Raw directory to create."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@path_option("--raw", RAW, "raw_dir")
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
@path_option("--cache", None, help="Remember digests here by stat (see figtrace.manifest).")
@click.option(
    "--recorded",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A viewer job's list (doc_id, viewer, sha256): its files are listed with the digests "
    "it records, not read again (repeatable).",
)
def manifest(
    folders: tuple[Path, ...], out: Path, cache: Path | None, recorded: tuple[Path, ...]
) -> None:
    """Write a sha256sum manifest of every file under FOLDERS (paths relative to here)."""
    from figtrace.manifest import write_manifest

    count = write_manifest(out, folders, Path.cwd(), cache, recorded)
    click.echo(f"manifest: {count} files -> {out}")


@main.command()
@path_option("--definitions", Path("workflow/charts.yaml"))
@path_option("--style", Path("workflow/figtrace.mplstyle"))
@path_option("--processed", PROCESSED, "processed_dir")
@corpus_option()
@path_option("--raw", RAW, "raw_dir")
@path_option("--out", Path("results/charts"), "out_dir")
def charts(
    definitions: Path,
    style: Path,
    processed_dir: Path,
    corpus_dir: Path | None,
    raw_dir: Path,
    out_dir: Path,
) -> None:
    """Draw the charts from the ledger: PNG/SVG/PDF, CSV, JSON sidecars and a gallery page."""
    from figtrace.charts import render_charts

    drawn = render_charts(definitions, processed_dir, raw_dir, style, out_dir, corpus_dir)
    n_values = sum(len(c["values"]) for c in drawn)
    click.echo(f"charts: {len(drawn)} charts, {n_values} plotted values -> {out_dir}/index.html")


# --- the report, the source viewers and the audit ---------------------------------------------


@main.command()
@path_option("--processed", PROCESSED, "processed_dir")
@corpus_option()
@path_option("--raw", RAW, "raw_dir")
@click.option(
    "--charts",
    "charts_index",
    type=click.Path(path_type=Path),
    default=Path("results/charts/index.json"),
    show_default=True,
    help="The chart index; if it is not there the report says no charts were built.",
)
@path_option("--html", Path("results/report.html"), "html_out")
@path_option("--md", Path("results/report.md"), "md_out")
def report(
    processed_dir: Path,
    corpus_dir: Path | None,
    raw_dir: Path,
    charts_index: Path,
    html_out: Path,
    md_out: Path,
) -> None:
    """Write the summary report (HTML, self-contained, and Markdown): every number a provenance link."""
    from figtrace.report import load_corpus, write_report

    corpus = load_corpus(processed_dir, raw_dir, charts_index, corpus_dir)
    write_report(corpus, html_out, md_out)
    click.echo(
        f"report: {len(corpus.ledger.figures)} figures, {len(corpus.ledger.derived)} derived, "
        f"{len(corpus.checks)} checks, {len(corpus.charts)} charts -> {html_out}, {md_out}"
    )


@main.command()
@path_option("--processed", PROCESSED, "processed_dir")
@corpus_option()
@path_option("--raw", RAW, "raw_dir")
@path_option("--out", Path("results/sources"), "out_dir")
@click.option(
    "--no-ledger",
    is_flag=True,
    help="Render without the ledger (no figures or exclusions to mark): for a folder of "
    "documents none of which is annotated, such as one of the pipeline's numbered shards.",
)
@path_option("--index", None, help="Also write a list of the viewers written, after all of them.")
@click.option(
    "--catalogue",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Delete viewers in --out of documents this catalogue file does not list (documents "
    "removed from the corpus).",
)
@click.option(
    "--shards",
    type=click.IntRange(min=1),
    default=None,
    help="Delete the viewer lists (shard-<id>.tsv) in --out of shards beyond this count.",
)
@click.option(
    "--listed",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="With --no-ledger and --reuse: the shard's catalogue file (its documents' hashes).",
)
@path_option(
    "--reuse",
    None,
    "record",
    help="With --no-ledger and --listed: a reuse record (figtrace.reuse); viewers of documents "
    "unchanged since it was written are kept as they are.",
)
def sources(
    processed_dir: Path,
    corpus_dir: Path | None,
    raw_dir: Path,
    out_dir: Path,
    no_ledger: bool,
    index: Path | None,
    catalogue: Path | None,
    shards: int | None,
    listed: Path | None,
    record: Path | None,
) -> None:
    """Write one source viewer per document: the full text with every number marked by role."""
    from figtrace import reuse
    from figtrace.documents import fingerprint_ids
    from figtrace.shards import remove_stale, stale_entries
    from figtrace.viewers import load_shard, write_sources, write_sources_reusing

    if record is not None and not (no_ledger and listed is not None):
        raise FigtraceError("--reuse needs --no-ledger and --listed (a shard's catalogue file).")
    # listed once for the whole command: 0.05 s among 100,000 viewers
    names = os.listdir(out_dir) if out_dir.is_dir() else None
    pattern = "shard-{shard}.tsv"
    stale = stale_entries(out_dir, shards, pattern, names) if shards else []
    kept: set[str] = set()
    swept: list[str] = []
    if record is not None and listed is not None:
        registries = (raw_dir / "reports.yaml", raw_dir / "indicators.yaml")
        digest = reuse.recipe("sources", str(raw_dir), *(p for p in registries if p.is_file()))

        def corpus_ids() -> list[str]:
            swept.append("the corpus's doc_ids read, other viewers deleted")
            return fingerprint_ids(catalogue)

        # the corpus's doc_ids are read only if a viewer may have lost its document; a shard
        # list left by a shard that no longer exists (the count fell) may have left such
        # viewers, so it is removed only after the sweep
        written, kept = write_sources_reusing(
            lambda doc_ids: load_shard(corpus_dir or processed_dir, raw_dir, doc_ids),
            out_dir, listed, record, digest, index=index, names=names,
            keep=corpus_ids if catalogue else None, sweep=bool(stale),
        )  # fmt: skip
        if shards:
            remove_stale(out_dir, shards, pattern, [path.name for path in stale])
    else:
        if shards:
            remove_stale(out_dir, shards, pattern, names)
        keep = fingerprint_ids(catalogue) if catalogue else None
        if no_ledger:
            viewed = load_shard(corpus_dir or processed_dir, raw_dir)
        else:  # the ledger's figures and exclusions marked: pandas is needed here
            from figtrace.report import load_corpus, viewer_sources

            viewed = viewer_sources(load_corpus(processed_dir, raw_dir, corpus_dir=corpus_dir))
        written = write_sources(viewed, out_dir, index=index, keep=keep)
    done = "; ".join([f"{len(written)} viewers written, {len(kept)} kept", *swept])
    click.echo(f"sources: {done} -> {out_dir}")


@main.command()
@path_option("--report", Path("results/report.html"), "report_html")
@path_option("--markdown", None, "report_md", help="Also audit this Markdown report (report.md).")
@path_option("--processed", PROCESSED, "processed_dir")
@corpus_option()
@path_option("--raw", RAW, "raw_dir")
@click.option(
    "--out", type=click.Path(path_type=Path), default=Path("results/audit.json"), show_default=True
)
def audit(
    report_html: Path,
    report_md: Path | None,
    processed_dir: Path,
    corpus_dir: Path | None,
    raw_dir: Path,
    out: Path,
) -> None:
    """Read the rendered report back; fail if any number is not a provenance link or shows another value."""
    from figtrace.audit import audit_markdown, audit_report, write_audit
    from figtrace.provenance import load_ledger

    ledger = load_ledger(processed_dir, raw_dir, corpus_dir)
    result = audit_report(report_html.read_text(encoding="utf-8"), ledger)
    audited = [(report_html, result)]
    markdown = None
    if report_md is not None:
        markdown = audit_markdown(report_md.read_text(encoding="utf-8"), ledger)
        audited.append((report_md, markdown))
    write_audit(out, result, markdown)
    for path, found in audited:
        click.echo(f"{path.name}: {found.summary()}")
        for item in found.unlinked:
            click.echo(
                f"  {path.name}: unlinked {item['text']!r} in: …{item['context']}…", err=True
            )
        for item in found.mismatches:
            click.echo(
                f"  {path.name}: mismatch {item['ref']}: shows {item['shown']!r}, "
                f"ledger {item['expected']!r} ({item['reason']})",
                err=True,
            )
    if not all(found.ok for _, found in audited):
        sys.exit(1)


@main.command()
@path_option("--results", Path("results"), "results_dir")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Default: RESULTS/screenshots.",
)
@path_option("--chromium", Path("/usr/bin/chromium"))
def screenshots(results_dir: Path, out_dir: Path | None, chromium: Path) -> None:
    """Screenshot the report and a source viewer (headless Chromium) into results/screenshots/."""
    from figtrace.screenshots import take_screenshots

    for path in take_screenshots(results_dir, out_dir or results_dir / "screenshots", chromium):
        click.echo(f"screenshot -> {path}")


# --- a writer's draft -------------------------------------------------------------------------


@main.command()
@click.argument("draft", type=click.Path(path_type=Path))
@click.option("--json", "json_out", type=click.Path(path_type=Path), default=None,
              help="Write every number with its verdict, figure and reason as JSON.")  # fmt: skip
@click.option("--html", "html_out", type=click.Path(path_type=Path), default=None,
              help="Write the draft with every number marked, and the source passages beside it.")  # fmt: skip
@click.option("--md", "md_out", type=click.Path(path_type=Path), default=None,
              help="Write the draft with a footnote citing the source of each supported number "
              "(and OUT.csl.json, the references as CSL-JSON).")  # fmt: skip
@path_option("--processed", PROCESSED, "processed_dir")
@path_option("--raw", RAW, "raw_dir")
@path_option("--results", Path("results"), "results_dir", help="Where the source viewers are.")
def factcheck(
    draft: Path,
    json_out: Path | None,
    html_out: Path | None,
    md_out: Path | None,
    processed_dir: Path,
    raw_dir: Path,
    results_dir: Path,
) -> None:
    """Check every number of a writer's DRAFT (.md, .txt, .html, .docx) against the ledger.

    Exits 1 when a number is misquoted or its hedge changed, so a writer's CI can stop on it."""
    from figtrace.factcheck import run, summary_line

    done = run(draft, processed_dir, raw_dir, results_dir, json_out, html_out, md_out)
    for line in done.lines():
        click.echo(line)
    click.echo(summary_line(done.draft, done.findings), err=True)
    sys.exit(done.exit_code)
