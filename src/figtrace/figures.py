"""Figures: the ledger of curated statistics, each anchored to its exact passage and checked.

Annotations live in `data/raw/annotations/<doc_id>.yaml`: every statistic of a document as a
figure (anchor + meaning) and every other number as a reviewed exclusion (anchor + reason).
Building the ledger checks, for every figure, that the document's bytes are the annotated ones,
that the anchor resolves exactly and uniquely, that the mention extractor reads the annotated
value and hedge from the anchored span, and that its indicator and report exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
import yaml

from figtrace.anchors import Anchor, resolve
from figtrace.documents import Document
from figtrace.errors import FigtraceError
from figtrace.registries import Indicator, Report, load_yaml, validate

UNITS = ("count", "percent", "proportion", "factor", "rank")
# The mention kinds that can carry a value in each unit.
UNIT_KINDS = {
    "count": {"count"},
    "percent": {"percent", "fraction", "ratio"},  # "nearly half" stored as 50 under a percent
    "proportion": {"fraction", "ratio", "percent"},  # "28%" stored as 0.28 under a proportion
    "factor": {"multiplier"},
    "rank": {"rank"},
}
VALUE_TOLERANCE = 5e-5  # "one in six" is annotated as 0.1667; the extractor reads 1/6
# Who can state a figure (docs/attribution.md); the first two name a publication (report_id).
CLAIMANT_KINDS = ("report", "statistics", "organisation", "person", "research", "article")
PUBLICATION_KINDS = {"report", "statistics"}


@dataclass(frozen=True)
class Claimant:
    """Who states figures in a document, with the passage that says so."""

    claimant_id: str
    doc_id: str
    kind: str
    name: str
    anchor: Anchor
    organisation: str | None
    report_id: str | None
    via: str | None
    note: str | None
    source: Path


@dataclass(frozen=True)
class Figure:
    """One statistic as a source states it: its passage, its value and what it measures."""

    figure_id: str
    doc_id: str
    anchor: Anchor
    label: str
    indicator: str
    value: float
    unit: str
    qualifier: str | None
    population: str
    geography: str
    period: str | None
    period_note: str | None
    report_id: str | None
    note: str | None
    source: Path
    claimant: Claimant | None = None
    reading: str = "extractor"
    reading_note: str | None = None


@dataclass(frozen=True)
class Exclusion:
    """A number that was reviewed and is not a statistic (page furniture, a name, an idiom ...)."""

    doc_id: str
    anchor: Anchor
    reason: str
    category: str
    source: Path


@dataclass(frozen=True)
class Annotations:
    """Every annotation file's figures and exclusions, and the hashes they were made against."""

    figures: list[Figure]
    exclusions: list[Exclusion]
    sha256: dict[str, str]
    paths: dict[str, Path]
    claimants: list[Claimant] = field(default_factory=list)


def annotations_dir(raw_dir: Path) -> Path:
    """Where the per-document annotation files live."""
    return Path(raw_dir) / "annotations"


def annotation_paths(raw_dir: Path) -> list[Path]:
    """Every annotation file, in a stable order."""
    return sorted(annotations_dir(raw_dir).glob("*.yaml"))


def load_annotations(raw_dir: Path) -> Annotations:
    """Read and schema-check every annotation file; figure ids must be unique across all files."""
    figures: list[Figure] = []
    exclusions: list[Exclusion] = []
    sha256: dict[str, str] = {}
    paths: dict[str, Path] = {}
    seen: dict[str, Path] = {}
    all_claimants: list[Claimant] = []
    for path in annotation_paths(raw_dir):
        data = load_yaml(path)
        doc_figures, doc_exclusions, doc_claimants = parse_annotation(data, path, seen)
        all_claimants += doc_claimants
        sha256[data["doc_id"]] = data["sha256"]
        paths[data["doc_id"]] = path
        figures += doc_figures
        exclusions += doc_exclusions
    return Annotations(figures, exclusions, sha256, paths, all_claimants)


def parse_annotation(
    data: Any, path: Path, seen: dict[str, Path]
) -> tuple[list[Figure], list[Exclusion], list[Claimant]]:
    """One annotation file's figures, exclusions and claimants, schema-checked; `seen` holds the figure ids
    of files read before (and gets this file's), so an id used twice is an error."""
    validate(data, "annotation", path)
    doc_id = data["doc_id"]
    if path.stem != doc_id:
        raise FigtraceError(
            f"{path}: doc_id {doc_id!r} does not match the file name; "
            f"rename the file to {doc_id}.yaml or fix the doc_id."
        )
    defaults = data.get("defaults", {})
    claimants = _load_claimants(data, path)
    figures: list[Figure] = []
    for entry in data["figures"]:
        fid = entry["figure_id"]
        if fid in seen:
            raise FigtraceError(
                f"{path}: figure_id {fid!r} is used twice (also in {seen[fid]}); "
                "figure ids must be unique across all annotation files: rename one."
            )
        seen[fid] = path
        claimant = _figure_claimant(entry, defaults, claimants, path)
        figures.append(
            Figure(
                figure_id=fid,
                doc_id=doc_id,
                anchor=Anchor.from_dict(entry["anchor"]),
                label=entry["label"],
                indicator=entry["indicator"],
                value=float(entry["value"]),
                unit=entry["unit"],
                qualifier=entry["qualifier"],
                population=entry["population"],
                geography=entry.get("geography", defaults.get("geography")),
                period=entry["period"],
                period_note=entry.get("period_note"),
                report_id=entry.get("report_id", defaults.get("report_id", claimant.report_id)),
                note=entry.get("note"),
                source=path,
                claimant=claimant,
                reading=entry.get("reading", "extractor"),
                reading_note=entry.get("reading_note"),
            )
        )
    exclusions = [
        Exclusion(
            doc_id=doc_id,
            anchor=Anchor.from_dict(entry["anchor"]),
            reason=entry["reason"],
            category=entry["category"],
            source=path,
        )
        for entry in data["exclusions"]
    ]
    for figure in figures:
        if figure.geography is None:
            raise FigtraceError(
                f"{figure.source}: figure {figure.figure_id!r} has no geography; "
                "give it one or set defaults.geography."
            )
    return figures, exclusions, list(claimants.values())


def _load_claimants(data: dict[str, Any], path: Path) -> dict[str, Claimant]:
    """A document's claimants by id; an id used twice or a `via` to nowhere is an error."""
    out: dict[str, Claimant] = {}
    for entry in data.get("claimants", []):
        cid = entry["claimant_id"]
        if cid in out:
            raise FigtraceError(f"{path}: claimant_id {cid!r} is used twice; rename one.")
        out[cid] = Claimant(
            claimant_id=cid,
            doc_id=data["doc_id"],
            kind=entry["kind"],
            name=entry["name"],
            anchor=Anchor.from_dict(entry["anchor"]),
            organisation=entry.get("organisation"),
            report_id=entry.get("report_id"),
            via=entry.get("via"),
            note=entry.get("note"),
            source=path,
        )
    for c in out.values():
        if c.via is not None and (c.via not in out or c.via == c.claimant_id):
            raise FigtraceError(
                f"{path}: claimant {c.claimant_id!r} is relayed via {c.via!r}, which is not "
                f"another claimant of this file ({', '.join(out) or 'none'})."
            )
        if c.kind in PUBLICATION_KINDS and c.report_id is None:
            raise FigtraceError(
                f"{path}: claimant {c.claimant_id!r} is a {c.kind} but names no report_id; add "
                "the publication to data/raw/reports.yaml and name it, or use another kind."
            )
    return out


def _figure_claimant(
    entry: dict[str, Any], defaults: dict[str, Any], claimants: dict[str, Claimant], path: Path
) -> Claimant:
    """The claimant a figure names (or the file's default); every figure has one."""
    cid = entry.get("claimant", defaults.get("claimant"))
    if cid is None:
        raise FigtraceError(
            f"{path}: figure {entry['figure_id']!r} names no claimant: say who states it with "
            "`claimant: <claimant_id>` (listed under `claimants:` with the passage that says so; "
            "see docs/attribution.md)."
        )
    if cid not in claimants:
        raise FigtraceError(
            f"{path}: figure {entry['figure_id']!r} names claimant {cid!r}, which is not under "
            f"`claimants:` of this file ({', '.join(claimants) or 'none'})."
        )
    return claimants[cid]


def _format(value: float) -> str:
    return f"{value:g}"


def _check_value(figure: Figure, mentions: pd.DataFrame) -> str | None:
    """Why the extractor's reading of the anchored span disagrees with the figure, or None."""
    return _reading(figure, mentions)[0]


def _reading(figure: Figure, mentions: pd.DataFrame) -> tuple[str | None, Any]:
    """(why the extractor's reading of the anchored span disagrees with the figure or None,
    the mention row that states the figure's value and hedge or None)."""
    a = figure.anchor
    inside = mentions[(mentions["start"] >= a.start) & (mentions["end"] <= a.end)]
    if inside.empty:
        return f"the mention extractor finds no number inside the anchored span {a.exact!r}", None
    readings = [
        (row.value, row.kind, None if pd.isna(row.qualifier) else row.qualifier, row.text, row)
        for row in inside.itertuples()
    ]
    for value, kind, qualifier, text, row in readings:
        if value is None or pd.isna(value):
            continue
        if figure.unit == "percent" and kind in ("fraction", "ratio"):
            value = value * 100  # a share in words, stored in points
        if figure.unit == "proportion" and kind == "percent":
            value = value / 100  # a percentage stored as a share
        if not math.isclose(value, figure.value, rel_tol=1e-9, abs_tol=VALUE_TOLERANCE):
            continue
        if kind not in UNIT_KINDS[figure.unit]:
            return (
                f"the extractor reads {text!r} as a {kind}, which cannot carry a value in "
                f"{figure.unit}; fix the unit"
            ), None
        if qualifier != figure.qualifier:
            return (
                f"the annotated qualifier is {figure.qualifier!r} but the extractor reads "
                f"{qualifier!r} in {a.exact!r}; the hedge is part of the claim: fix one of them"
            ), None
        return None, row
    read = "; ".join(f"{t!r} → {_format(v) if v is not None and not pd.isna(v) else 'no value'}"
                     for v, _, _, t, _ in readings)  # fmt: skip
    return (
        f"the annotated value {_format(figure.value)} disagrees with the span: the extractor "
        f"reads {read}"
    ), None


def stated_form(text: str, mention: Any) -> str:
    """The source's own words for a figure: the extractor's span with its hedge ("more than a
    quarter", "just one", "Forty-two"), runs of white space read as one space."""
    start = mention.start if pd.isna(mention.qualifier_start) else int(mention.qualifier_start)
    return " ".join(text[start : int(mention.end)].split())


def stated_forms(
    annotations: Annotations, texts: dict[str, str], mentions: pd.DataFrame
) -> dict[str, str]:
    """figure_id -> its stated form, read from the mention that states its value and hedge
    inside the anchored passage (check_figures has made sure there is one)."""
    by_doc = {doc_id: frame for doc_id, frame in mentions.groupby("doc_id", sort=False)}
    forms = {}
    for figure in annotations.figures:
        if figure.reading == "curator":  # no number to read: the curated words are the form
            forms[figure.figure_id] = " ".join(figure.anchor.exact.split())
            continue
        why, row = _reading(figure, by_doc.get(figure.doc_id, mentions.iloc[0:0]))
        if row is None:
            raise FigtraceError(f"figure {figure.figure_id!r} ({figure.source}): {why}.")
        forms[figure.figure_id] = stated_form(texts[figure.doc_id], row)
    return forms


def _check_curator_reading(figure: Figure, mentions: pd.DataFrame) -> str | None:
    """Why a curator's reading is not allowed: it needs a note, and only where the extractor
    reads no number (else the extractor's reading is checked like any other)."""
    if not figure.reading_note:
        return (
            "`reading: curator` needs a `reading_note` saying how the value is read from the words"
        )
    a = figure.anchor
    inside = mentions[(mentions["start"] >= a.start) & (mentions["end"] <= a.end)]
    stated = inside[inside["value"].notna()]
    if not stated.empty:
        return (
            f"the extractor reads {stated['text'].iloc[0]!r} in the span, so its reading is "
            "checked: remove `reading: curator`"
        )
    return None


def _report_and_anchor(
    where: str, report_id: str | None, anchor: Anchor, text: str, reports: dict[str, Report]
) -> tuple[list[str], bool]:
    """What is wrong with an entry's report_id and anchor (for figures and claimants alike), and
    whether the anchor resolved."""
    problems = []
    if report_id is not None and report_id not in reports:
        problems.append(
            f"{where}: unknown report_id {report_id!r}; add it to data/raw/reports.yaml or fix "
            "the id."
        )
    try:
        resolve(anchor, text, where)
    except FigtraceError as exc:
        return [*problems, str(exc)], False
    return problems, True


def check_figures(
    annotations: Annotations,
    documents: dict[str, Document],
    texts: dict[str, str],
    indicators: dict[str, Indicator],
    reports: dict[str, Report],
    mentions: pd.DataFrame,
) -> dict[str, str | None]:
    """Stop with one message listing every broken figure: bytes, anchor, value, ids, who states
    it. Returns each figure's attribution basis (figtrace.figures.claimant_basis)."""
    problems: list[str] = []
    bases: dict[str, str | None] = {}
    for doc_id, path in annotations.paths.items():
        if doc_id not in documents:
            problems.append(
                f"{path}: annotates {doc_id!r}, which is not in the document catalogue "
                "(data/raw/documents/); add the document or remove the file."
            )
        elif annotations.sha256[doc_id] != documents[doc_id].sha256:
            problems.append(
                f"{path}: was made against sha256 {annotations.sha256[doc_id]}, but "
                f"{documents[doc_id].path} now has sha256 {documents[doc_id].sha256}; the "
                "anchors may point at other words. Review every anchor, then update sha256."
            )
    by_doc = {doc_id: frame for doc_id, frame in mentions.groupby("doc_id", sort=False)}
    empty = mentions.iloc[0:0]
    for figure in annotations.figures:
        where = f"figure {figure.figure_id!r} in {figure.doc_id!r} ({figure.source})"
        if figure.doc_id not in texts:
            continue  # reported above
        if figure.indicator not in indicators:
            problems.append(
                f"{where}: unknown indicator {figure.indicator!r}; add it to "
                "data/raw/indicators.yaml or fix the id."
            )
        elif indicators[figure.indicator].unit != figure.unit:
            problems.append(
                f"{where}: the value is in {figure.unit} but its indicator {figure.indicator!r} "
                f"is in {indicators[figure.indicator].unit}; store the value in the indicator's "
                "unit or choose an indicator in this unit."
            )
        found, resolved = _report_and_anchor(
            where, figure.report_id, figure.anchor, texts[figure.doc_id], reports
        )
        problems += found
        if not resolved:
            continue
        if figure.reading == "curator":
            why = _check_curator_reading(figure, by_doc.get(figure.doc_id, empty))
        else:
            why = _check_value(figure, by_doc.get(figure.doc_id, empty))
        if why:
            problems.append(f"{where}: {why}.")
        basis, why = claimant_basis(figure, by_doc.get(figure.doc_id, empty))
        if why:
            problems.append(f"{where}: {why}.")
        bases[figure.figure_id] = basis
    for claimant in annotations.claimants:
        if claimant.doc_id not in texts:
            continue
        where = f"claimant {claimant.claimant_id!r} in {claimant.doc_id!r} ({claimant.source})"
        problems += _report_and_anchor(
            where, claimant.report_id, claimant.anchor, texts[claimant.doc_id], reports
        )[0]
    for exclusion in annotations.exclusions:
        if exclusion.doc_id in texts:
            where = (
                f"exclusion {exclusion.anchor.exact!r} in {exclusion.doc_id!r} ({exclusion.source})"
            )
            try:
                resolve(exclusion.anchor, texts[exclusion.doc_id], where)
            except FigtraceError as exc:
                problems.append(str(exc))
    if problems:
        raise FigtraceError(
            f"the figure ledger cannot be built ({len(problems)} problem"
            f"{'s' if len(problems) > 1 else ''}):\n- " + "\n- ".join(problems)
        )
    return bases


def claimant_basis(figure: Figure, mentions: pd.DataFrame) -> tuple[str | None, str | None]:
    """(basis, problem) of a figure's attribution: `sentence` when its claimant's passage is in
    the figure's own sentence, `context` when it comes earlier (the sentence continues its
    account); anything else, and a report_id the passage does not name, is a problem."""
    c = figure.claimant
    if c is None:
        return None, "it names no claimant"
    if figure.report_id is not None and figure.report_id != c.report_id:
        named = f"names {c.report_id!r}" if c.report_id else "names no report"
        return None, (
            f"carries report_id {figure.report_id!r}, but the passage of its claimant "
            f"{c.claimant_id!r} ({c.anchor.exact!r}) {named}; set `report_id: null` or name a "
            "claimant whose passage ties the figure to that report"
        )
    s_start, s_end = figure_sentence(figure.anchor.start, figure.anchor.end, mentions)
    basis = passage_basis(c.kind, c.anchor.start, c.anchor.end, (s_start, s_end))
    if basis is not None:
        return basis, None
    where = "after" if c.anchor.start >= s_end else "before"
    return None, (
        f"the passage of its claimant {c.claimant_id!r} ({c.anchor.exact!r}, at "
        f"{c.anchor.start}) comes {where} the figure's sentence ({s_start}–{s_end}); "
        + ("the article's own voice is anchored in the figure's sentence" if c.kind == "article"
           else "anchor the passage that names who states it, in or before that sentence")
    )  # fmt: skip


def figure_sentence(start: int, end: int, mentions: pd.DataFrame | None) -> tuple[int, int]:
    """Where the sentence of a figure's passage text[start:end] is: the extractor's sentences of
    the numbers in the passage (or, for a curator's reading, the one around it); else the passage."""
    if mentions is None or mentions.empty:
        return start, end
    inside = mentions[(mentions["start"] < end) & (mentions["end"] > start)]
    if inside.empty:  # a curator's reading: the sentence is the one the quote is in
        inside = mentions[(mentions["sentence_start"] <= start) & (mentions["sentence_end"] >= end)]
    if inside.empty:
        return start, end
    return int(inside["sentence_start"].min()), int(inside["sentence_end"].max())


def passage_basis(kind: str, start: int, end: int, sentence: tuple[int, int]) -> str | None:
    """Where a claimant's passage text[start:end] may stand for a figure whose sentence is
    `sentence`: `sentence` (in it), `context` (before it; never for the article's own voice),
    or None (anywhere else: not allowed)."""
    s_start, s_end = sentence
    if start < s_end and end > s_start:
        return "sentence"
    if end <= s_start and kind != "article":
        return "context"
    return None


# Column name -> (frictionless type, description); the order is the table's column order.
FIGURE_COLUMNS: dict[str, tuple[str, str]] = {
    "figure_id": ("string", "Stable identifier of the figure."),
    "doc_id": ("string", "The source document (data/raw/documents/<doc_id>.*)."),
    "start": ("integer", "Start of the quote: character offset into the document's text."),
    "end": ("integer", "End of the quote (exclusive)."),
    "quote": ("string", "The exact passage: the document's text[start:end]."),
    "prefix": ("string", "Text just before the quote (W3C TextQuoteSelector prefix)."),
    "suffix": ("string", "Text just after the quote (W3C TextQuoteSelector suffix)."),
    "value": ("number", "The value as stated, in `unit`."),
    "unit": ("string", "count, percent (points), proportion (0-1), factor or rank."),
    "qualifier": ("string", "The hedge the source puts on the value (more_than, nearly ...), or empty."),
    "stated": ("string", "The source's own words for the number, hedge included (\"more than a quarter\", \"one in six\", \"just one\"): the extractor's span in the passage, white space collapsed."),
    "label": ("string", "A short human label for the figure."),
    "indicator": ("string", "What it measures: an id in data/raw/indicators.yaml."),
    "population": ("string", "Who or what is counted."),
    "geography": ("string", "Where."),
    "period": ("string", "When, only as precise as the text allows; empty if the text does not say."),
    "period_note": ("string", "How the period was read from the text."),
    "report_id": ("string", "The original publication (data/raw/reports.yaml) that the claimant passage ties the figure to; empty when it names none."),
    "note": ("string", "Anything else a reader should know about this figure."),
    "reading": ("string", "extractor (the value is read from the passage and checked) or curator (a value in words the extractor does not read, explained in the note)."),
    "claimant_id": ("string", "Who states the figure: an id under `claimants` of the annotation file."),
    "claimant_kind": ("string", "report, statistics, organisation, person, research (unnamed) or article (the document's own voice)."),
    "claimant_name": ("string", "Who states the figure, as the text names them."),
    "claimant_organisation": ("string", "For a person: the organisation they speak for, as the text gives it."),
    "claimant_via": ("string", "Who relays the claimant's words (a spokesman quoting a warning), or empty."),
    "claimant_basis": ("string", "sentence: the figure's sentence names the claimant; context: an earlier sentence does."),
    "claimant_quote": ("string", "The passage that says who states the figure (W3C TextQuoteSelector exact)."),
    "claimant_prefix": ("string", "Text just before the claimant passage."),
    "claimant_suffix": ("string", "Text just after the claimant passage."),
    "claimant_start": ("integer", "Start of the claimant passage: character offset into the document's text."),
    "claimant_end": ("integer", "End of the claimant passage (exclusive)."),
    "page": ("integer", "PDF sources: the page the quote is on (empty for other sources)."),
    "element_path": ("string", "HTML sources: the element the quote is in (empty for other sources)."),
    "sha256": ("string", "sha256 of the document's raw bytes that the anchor points into."),
    "annotation": ("string", "The annotation file the figure is curated in."),
}  # fmt: skip


FIGURE_SCHEMA = pa.DataFrameSchema(
    {
        "figure_id": pa.Column(
            str, pa.Check.str_matches(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"), unique=True
        ),
        "doc_id": pa.Column(str),
        "start": pa.Column("int64", pa.Check.ge(0)),
        "end": pa.Column("int64", pa.Check.gt(0)),
        "quote": pa.Column(str, pa.Check.str_length(min_value=1)),
        "prefix": pa.Column(str),
        "suffix": pa.Column(str),
        "value": pa.Column("float64", pa.Check(lambda s: s.map(math.isfinite))),
        "unit": pa.Column(str, pa.Check.isin(UNITS)),
        "qualifier": pa.Column(str, nullable=True),
        "stated": pa.Column(str, pa.Check.str_length(min_value=1)),
        "label": pa.Column(str),
        "indicator": pa.Column(str),
        "population": pa.Column(str),
        "geography": pa.Column(str),
        "period": pa.Column(str, nullable=True),
        "period_note": pa.Column(str, nullable=True),
        "report_id": pa.Column(str, nullable=True),
        "note": pa.Column(str, nullable=True),
        "reading": pa.Column(str, pa.Check.isin(["extractor", "curator"])),
        "claimant_id": pa.Column(str),
        "claimant_kind": pa.Column(str, pa.Check.isin(CLAIMANT_KINDS)),
        "claimant_name": pa.Column(str, pa.Check.str_length(min_value=1)),
        "claimant_organisation": pa.Column(str, nullable=True),
        "claimant_via": pa.Column(str, nullable=True),
        "claimant_basis": pa.Column(str, pa.Check.isin(["sentence", "context"]), nullable=True),
        "claimant_quote": pa.Column(str, pa.Check.str_length(min_value=1)),
        "claimant_prefix": pa.Column(str),
        "claimant_suffix": pa.Column(str),
        "claimant_start": pa.Column("int64", pa.Check.ge(0)),
        "claimant_end": pa.Column("int64", pa.Check.gt(0)),
        "page": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        "element_path": pa.Column(str, nullable=True),
        "sha256": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{64}$")),
        "annotation": pa.Column(str),
    },
    checks=[
        pa.Check(lambda df: df["end"] > df["start"], error="end must be after start"),
        pa.Check(
            lambda df: df["quote"].str.len() == df["end"] - df["start"],
            error="quote length must equal end - start",
        ),
        pa.Check(
            lambda df: (
                df["report_id"].isna()
                | df["claimant_kind"].isin(["report", "statistics", "organisation", "person"])
            ),
            error="a figure stated by unnamed research or the article itself carries no report_id",
        ),
    ],
    strict=True,
    ordered=True,
    name="figures",
)


def figures_frame(
    annotations: Annotations,
    stated: dict[str, str],
    root: Path | None = None,
    documents: dict[str, Document] | None = None,
    bases: dict[str, str | None] | None = None,
) -> pd.DataFrame:
    """The ledger as a table, one row per figure, ordered by document and position.

    With `documents`, each figure also gets where its quote is in the source (PDF page, HTML
    element path); plain-text sources have neither. `stated`: figure_id -> the source's words
    for the number (stated_forms).
    """
    rows: list[dict[str, Any]] = []
    for f in annotations.figures:
        where = (
            documents[f.doc_id].canonical().locate(f.anchor.start, f.anchor.end)
            if documents
            else None
        )
        source = f.source.relative_to(root) if root else f.source
        rows.append(
            {
                "figure_id": f.figure_id,
                "doc_id": f.doc_id,
                "start": f.anchor.start,
                "end": f.anchor.end,
                "quote": f.anchor.exact,
                "prefix": f.anchor.prefix,
                "suffix": f.anchor.suffix,
                "value": f.value,
                "unit": f.unit,
                "qualifier": f.qualifier,
                "stated": stated[f.figure_id],
                "label": f.label,
                "indicator": f.indicator,
                "population": f.population,
                "geography": f.geography,
                "period": f.period,
                "period_note": f.period_note,
                "report_id": f.report_id,
                "note": f.note if f.reading == "extractor" else _join(f.note, f.reading_note),
                "reading": f.reading,
                **_claimant_columns(f, annotations, (bases or {}).get(f.figure_id)),
                "page": where.page if where else None,
                "element_path": where.element_path if where else None,
                "sha256": annotations.sha256[f.doc_id],
                "annotation": Path(source).as_posix(),
            }
        )
    frame = pd.DataFrame(rows, columns=list(FIGURE_COLUMNS))
    text_columns = [c for c, (kind, _) in FIGURE_COLUMNS.items() if kind == "string"]
    frame = frame.astype(
        {"start": "int64", "end": "int64", "value": "float64", "page": "Int64"}
        | {"claimant_start": "int64", "claimant_end": "int64"}
        | dict.fromkeys(text_columns, "str")  # one dtype whether or not a column has values
    )
    frame = frame.sort_values(["doc_id", "start", "figure_id"], kind="stable").reset_index(
        drop=True
    )
    return validate_frame(frame, FIGURE_SCHEMA)


def _join(*notes: str | None) -> str | None:
    return " ".join(n for n in notes if n) or None


def _claimant_columns(f: Figure, annotations: Annotations, basis: str | None) -> dict[str, Any]:
    """The figures table's claimant columns for one figure."""
    c = f.claimant
    if c is None:  # load_annotations gives every figure one
        raise FigtraceError(f"{f.source}: figure {f.figure_id!r} has no claimant.")
    via = next(
        (x.name for x in annotations.claimants if x.doc_id == c.doc_id and x.claimant_id == c.via),
        None,
    )
    return {
        "claimant_id": c.claimant_id,
        "claimant_kind": c.kind,
        "claimant_name": c.name,
        "claimant_organisation": c.organisation,
        "claimant_via": via,
        "claimant_basis": basis,
        "claimant_quote": c.anchor.exact,
        "claimant_prefix": c.anchor.prefix,
        "claimant_suffix": c.anchor.suffix,
        "claimant_start": c.anchor.start,
        "claimant_end": c.anchor.end,
    }


def validate_frame(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """Validate a table against its declared schema; name every failing check and row."""
    try:
        return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.head(20).to_string(index=False)
        raise FigtraceError(
            f"the {schema.name} table does not match its schema:\n{cases}"
        ) from None


def exclusions_frame(annotations: Annotations) -> pd.DataFrame:
    """Reviewed exclusions as a table, ordered by document and position."""
    rows = [
        {
            "doc_id": x.doc_id,
            "start": x.anchor.start,
            "end": x.anchor.end,
            "quote": x.anchor.exact,
            "category": x.category,
            "reason": x.reason,
        }
        for x in annotations.exclusions
    ]
    frame = pd.DataFrame(rows, columns=["doc_id", "start", "end", "quote", "category", "reason"])
    frame = frame.astype({"start": "int64", "end": "int64"})
    return frame.sort_values(["doc_id", "start"], kind="stable").reset_index(drop=True)


def _quoted(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Passages with line breaks read better as one escaped, double-quoted line.
    style = '"' if "\n" in value or value != value.strip() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


class AnnotationDumper(yaml.SafeDumper):
    """YAML for annotation files: fixed key order, passages with line breaks on one line."""


AnnotationDumper.add_representer(str, _quoted)


def dump_annotations(data: dict[str, Any]) -> str:
    """An annotation file's text."""
    return yaml.dump(data, Dumper=AnnotationDumper, sort_keys=False, allow_unicode=True, width=100)


def build(raw_dir: Path, mentions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load, check and tabulate every annotation: (figures, exclusions). Stops on any break."""
    from figtrace.documents import load_documents
    from figtrace.registries import load_indicators, load_reports

    raw_dir = Path(raw_dir)
    annotations = load_annotations(raw_dir)
    # only the annotated documents: the ledger's cost must not grow with the corpus
    annotated = load_documents(raw_dir, sorted(annotations.paths), check_bytes=False)
    documents = {doc.doc_id: doc for doc in annotated}
    texts = {d: documents[d].text() for d in annotations.paths if d in documents}
    bases = check_figures(
        annotations,
        documents,
        texts,
        load_indicators(raw_dir / "indicators.yaml"),
        load_reports(raw_dir / "reports.yaml"),
        mentions,
    )
    root = raw_dir.parent.parent if raw_dir.name == "raw" else None
    stated = stated_forms(annotations, texts, mentions)
    frame = figures_frame(annotations, stated, root=root, documents=documents, bases=bases)
    return frame, exclusions_frame(annotations)


KIND_UNITS = {"count": "count", "percent": "percent", "fraction": "proportion",
              "ratio": "proportion", "multiplier": "factor", "rank": "rank"}  # fmt: skip


def annotation_stub(
    doc: Document, mentions: pd.DataFrame, existing: dict[str, Any] | None
) -> dict[str, Any]:
    """An annotation file for `doc` listing every number not yet reviewed as a candidate.

    Each candidate has its anchor filled in and the extractor's reading; a researcher moves it
    into `figures` (adding its meaning) or `exclusions` (adding a reason). Reviewed entries of an
    existing file are kept as they are.
    """
    from figtrace.anchors import make_anchor

    text = doc.text()
    data = existing or {
        "doc_id": doc.doc_id, "sha256": doc.sha256, "claimants": [], "figures": [], "exclusions": []
    }  # fmt: skip
    reviewed = [
        (entry["anchor"]["start"], entry["anchor"]["end"])
        for entry in [*data.get("figures", []), *data.get("exclusions", [])]
    ]
    candidates = []
    for m in mentions.itertuples():
        if m.role == "date" or any(s <= m.start and m.end <= e for s, e in reviewed):
            continue
        start = m.start if pd.isna(m.qualifier_start) else int(m.qualifier_start)
        candidate: dict[str, Any] = {"anchor": make_anchor(text, start, m.end).to_dict()}
        candidate.update(
            {
                "extracted": {
                    "value": None if pd.isna(m.value) else float(m.value),
                    "kind": m.kind,
                    "qualifier": None if pd.isna(m.qualifier) else m.qualifier,
                    "role": m.role,
                },
                "suggested_unit": KIND_UNITS.get(m.kind),
            }
        )
        candidates.append(candidate)
    data["candidates"] = candidates
    return data


# --- editing an annotation file in place (annotate's suggestions, accept, the review page) ----


def _roundtrip_yaml() -> Any:
    from ruamel.yaml import YAML

    rt = YAML()  # round-trip: comments, key order and quoting survive a load and dump
    rt.preserve_quotes = True
    rt.width = 100
    rt.indent(mapping=2, sequence=2, offset=0)
    rt.representer.add_representer(
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return rt


def read_annotation_file(path: Path) -> tuple[Any, str]:
    """An annotation file for editing (comments and order kept) and the sha256 of its bytes."""
    import hashlib

    from ruamel.yaml.error import YAMLError

    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise FigtraceError(
            f"{path}: no annotation file; run `python -m figtrace annotate DOC_ID` first."
        ) from None
    try:
        data = _roundtrip_yaml().load(raw.decode("utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        raise FigtraceError(f"{path}: cannot be read as YAML ({exc}); fix the file.") from None
    return data, hashlib.sha256(raw).hexdigest()


def annotation_text(data: Any) -> str:
    """The text of an annotation file edited with `read_annotation_file`."""
    import io

    out = io.StringIO()
    _roundtrip_yaml().dump(data, out)
    return out.getvalue()


def write_annotation_file(path: Path, data: Any, read_sha256: str) -> str:
    """Write an edited annotation file back, unless it changed on disk since it was read (a
    curator's edit is never overwritten); return the sha256 of the bytes written."""
    import hashlib

    from figtrace import outputs

    path = Path(path)
    now = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
    if now != read_sha256:
        raise FigtraceError(
            f"{path}: changed on disk since it was read (sha256 {read_sha256[:12]}… then, "
            f"{(now or 'missing')[:12]}… now); nothing was written. Reload and apply the change again."
        )
    text = annotation_text(data)
    outputs.write_text(path, text)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
