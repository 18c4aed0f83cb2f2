"""The summary report and the source viewers: every number rendered as a link to its provenance.

`report.html` (self-contained), `report.md` and one viewer per document, `sources/<doc_id>.html`,
are written from Jinja2 templates (autoescape on) over the ledger. No number is typed here or in
a template: values come from the ledger through `figtrace.provenance`, and numbers inside curated
prose (labels, definitions, caveats, descriptions) are linked to the ledger entry they state.
Document text is untrusted web text: it is escaped, and a URL becomes a link only if http(s).
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from figtrace import display, outputs
from figtrace.documents import UNTITLED_NOTE, document_name, sha256_bytes
from figtrace.errors import FigtraceError
from figtrace.manifest import DIGEST_LIST_HEADER, read_digest_list
from figtrace.provenance import (
    CLAIMANT_KINDS,
    PLACEHOLDER,
    Ledger,
    chain,
    claimant_words,
    derived_interval,
    format_ref,
    load_ledger,
    read_table,
    render_template,
    value_of,
)
from figtrace.registries import load_reports

if TYPE_CHECKING:  # the extractor compiles its patterns on import; the viewers never need it
    from figtrace.mentions import Mention

# Invisible direction controls in web text could reorder what a reader sees (a U+202E right-to-left
# override makes "txt.exe" read "exe.txt"); they are shown as visible tags instead.
BIDI_CONTROLS = {
    "\u202a": "LRE", "\u202b": "RLE", "\u202c": "PDF", "\u202d": "LRO", "\u202e": "RLO",
    "\u2066": "LRI", "\u2067": "RLI", "\u2068": "FSI", "\u2069": "PDI",
    "\u200e": "LRM", "\u200f": "RLM", "\u061c": "ALM",
}  # fmt: skip
_BIDI = re.compile("[" + "".join(BIDI_CONTROLS) + "]")
# A bare four-digit number from 1900 to 2099 with no thousands separator is read as a year.
YEAR = re.compile(r"(?:19|20)[0-9]{2}")
ROLES = ("figure", "exclusion", "boilerplate", "date", "other")
ROLE_NAMES = {
    "figure": "figure in the ledger",
    "exclusion": "reviewed exclusion (not a statistic)",
    "boilerplate": "page furniture (boilerplate)",
    "date": "date",
    "other": "other number",
}


def safe_text(text: str | None) -> Markup:
    """Escape untrusted text for HTML and show invisible direction controls as visible tags."""
    return Markup("") if text is None else Markup(_escaped(text))


def _escaped(text: str) -> str:
    """`safe_text` as a plain str, for building HTML by concatenation."""
    return _BIDI.sub(_bidi_tag, str(escape(text)))


def _bidi_tag(m: re.Match[str]) -> str:
    return f'<span class="ctl" title="invisible direction control">⟨{BIDI_CONTROLS[m.group(0)]}⟩</span>'


def plain_text(text: str | None) -> str:
    """Untrusted text for places that hold no markup (a page title): direction controls shown as
    visible tags; escaping is left to autoescape."""
    return _BIDI.sub(lambda m: f"⟨{BIDI_CONTROLS[m.group(0)]}⟩", text or "")


def safe_url(url: str | None) -> str | None:
    """The URL if it is http or https (a link may be rendered), else None (show it as text)."""
    if not url or not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def link(ref: str, text: str | Markup, shows: str, fmt: str | None = None) -> Markup:
    """A provenance link: `shows` is value (text is format_ref(ref, fmt)), quote (the source's
    own words for the figure) or prose (curated text that states the figure's value)."""
    attrs = Markup(' data-format="{}"').format(fmt) if fmt else Markup("")
    return Markup('<a class="ref" href="#{0}" data-ref="{0}" data-shows="{1}"{2}>{3}</a>').format(
        ref, shows, attrs, safe_text(text) if not isinstance(text, Markup) else text
    )


def value_link(ledger: Ledger, ref: str, fmt: str | None = None) -> Markup:
    """The ledger value of `ref`, formatted, as a link to its provenance entry."""
    return link(ref, format_ref(ledger, ref, fmt), "value", fmt)


LEDGER_COUNT = "ledger_count"
LEDGER_TOTAL = "ledger_count:figure_id:*"


def counted_figures(ledger: Ledger, ref: str) -> list[str]:
    """The figure ids a ledger count counts: `ledger_count:FIELD:KEY` (KEY `none` = null,
    `*` = every figure), as the charts stage writes them in a chart's values."""
    _, column, key = ref.split(":", 2)
    figures = ledger.figures
    if column not in figures.columns:
        raise FigtraceError(f"{ref!r}: the ledger has no column {column!r} to count by.")
    if key == "*":
        return list(figures.index)
    if key == "none":
        return list(figures.index[figures[column].isna()])
    return list(figures.index[figures[column] == key])


def is_ledger_count(ref: str) -> bool:
    """Whether `ref` names a count of ledger figures rather than a figure or derived id."""
    return ref.startswith(LEDGER_COUNT + ":")


def ref_value(ledger: Ledger, ref: str) -> tuple[float, str, str | None]:
    """(value, unit, qualifier) of a figure, a derived figure or a ledger count."""
    if is_ledger_count(ref):
        return float(len(counted_figures(ledger, ref))), "count", None
    return value_of(ledger, ref)


def render_linked(template: str, ledger: Ledger, scope: Sequence[str] | None = None) -> Markup:
    """Render a `{id}` template (figtrace.provenance) as HTML: values linked; the text between
    placeholders is escaped, and with a `scope` any number typed in it is linked to what it
    states there (prose), else left as it is (a formula's constants)."""

    def text(piece: str) -> Markup:
        return safe_text(piece) if scope is None else linkify(piece, ledger, scope)

    out, pos = [], 0
    for m in PLACEHOLDER.finditer(template):
        out.append(text(template[pos : m.start()]))
        out.append(link(m.group(1), render_template(m.group(0), ledger), "value", m.group(2)))
        pos = m.end()
    out.append(text(template[pos:]))
    return Markup("").join(out)


def comparable(mention_value: float, mention_kind: str, unit: str) -> float:
    """A mention's value in the ledger unit `unit` (a percentage read against a proportion)."""
    if mention_kind == "percent" and unit == "proportion":
        return mention_value / 100
    if mention_kind in ("fraction", "ratio") and unit == "percent":
        return mention_value * 100
    return mention_value


def same_value(a: float, b: float) -> bool:
    """Equal: exactly for a whole ledger value, else up to the four significant figures the
    ledger shows (0.1667 is one in six)."""
    if float(b).is_integer():
        return a == b
    return abs(a - b) <= max(5e-4 * abs(b), 5e-5)


# The ledger units a mention's kind can state: a rank is never a factor, a count never a share.
KIND_UNITS = {
    "count": ("count",),
    "rank": ("rank",),
    "multiplier": ("factor",),
    "percent": ("percent", "proportion"),
    "fraction": ("proportion", "percent"),
    "ratio": ("proportion", "percent"),
}


def mention_states(ledger: Ledger, m: Mention, ref: str) -> bool:
    """Whether the number `m` (read from some text) states the ledger value of `ref`."""
    if m.value is None:
        return False
    value, unit, _ = ref_value(ledger, ref)
    if unit not in KIND_UNITS.get(m.kind, (unit,)):
        return False
    return same_value(comparable(m.value, m.kind, unit), value)


def is_year(m: Mention) -> bool:
    """A date, period or bare four-digit year (1900-2099, no thousands separator)."""
    return m.role == "date" or m.kind in ("year", "date", "period") or bool(YEAR.fullmatch(m.text))


def is_claim(m: Mention) -> bool:
    """Whether a number in prose may be linked by its value: the extractor reads it as a
    statistic, and it is not a bare small count in words ("one county", "the two meet"), which
    would match any figure of that value by coincidence."""
    if m.role != "statistic":
        return False
    return not (m.kind == "count" and m.qualifier is None and not any(c.isdigit() for c in m.text))


# A number in curated prose that states no ledger value is marked with the rule that says what
# it is instead (figtrace.audit.EXEMPTIONS lists each with its marking): a bound that defines a
# population ("under 18"), how often ("twice", "at least once"), an ordinal ("the first
# sentence"), a scale's definition ("1 = highest"), a small count in words in the report's own
# prose ("one charity", "the two counts"). Anything else is a plain "nonfigure".
BOUNDS = {"under", "over", "more_than", "less_than", "fewer_than", "at_least", "up_to"}
FREQUENCY = re.compile(r"\b(?:once|twice|thrice|times)\b", re.IGNORECASE)
SCALE = re.compile(r"\s*=")
# an identifier of the corpus written in prose: a document, figure or indicator id ("synth-000001")
IDENTIFIER = re.compile(r"[a-z0-9]*[a-z][a-z0-9]*(?:-[a-z0-9]+)+|[a-z0-9]+(?:-[a-z0-9]+)*-[a-z]+")


def nonfigure_rule(m: Mention, text: str) -> str:
    """Why a number in prose `text` that states no ledger value in scope is not a figure."""
    if FREQUENCY.search(m.text):
        return "frequency"
    if SCALE.match(text, m.end):
        return "scale"
    if m.kind == "rank" and m.role != "statistic":
        return "ordinal"
    if m.qualifier in BOUNDS and m.kind in ("count", "age"):
        return "threshold"
    if m.kind == "count" and m.qualifier is None and not any(c.isdigit() for c in m.text):
        return "wording"
    if _in_identifier(m, text):
        return "reference"
    return "nonfigure"


def _in_identifier(m: Mention, text: str) -> bool:
    """Whether the digits of `m` are part of a hyphenated lower-case identifier in `text`."""
    if not m.text.isdigit():
        return False
    left = re.search(r"[a-z0-9-]*$", text[: m.start])
    right = re.match(r"[a-z0-9-]*", text[m.end :])
    before, after = (left.group() if left else ""), (right.group() if right else "")
    if not (before.endswith("-") or after.startswith("-")):
        return False
    return bool(IDENTIFIER.fullmatch(before + m.text + after))


def prose_pieces(
    text: str, ledger: Ledger, scope: Sequence[str], direct: Sequence[str] = ()
) -> Iterator[tuple[str, str, str | None]]:
    """Curated prose cut into (kind, text, ref): kind "text", "link" (a number stating the value
    of `ref`, in `scope`, or of an entry in `direct` that the text is written about: a derived
    figure's inputs in its label, "90 of 609"), "year", or "nonfigure" (a number that states no
    value in scope; `ref` is then the rule that says what it is, nonfigure_rule)."""
    from figtrace.mentions import extract

    pos = 0
    for m in extract(text):
        start = m.qualifier_start if m.qualifier_start is not None else m.start
        start = max(start, pos)
        yield "text", text[pos:start], None
        shown = text[start : m.end]
        ref = None
        if not is_year(m) and is_claim(m):
            matches = [r for r in scope if mention_states(ledger, m, r)]
            same_hedge = [r for r in matches if ref_value(ledger, r)[2] == m.qualifier]
            ref = (same_hedge or matches or [None])[0]
        elif not is_year(m) and any(c.isdigit() for c in m.text):
            ref = next((r for r in direct if mention_states(ledger, m, r)), None)
        if ref is not None:
            yield "link", shown, ref
        elif is_year(m):
            yield "year", shown, None
        else:
            yield "nonfigure", shown, nonfigure_rule(m, text)
        pos = m.end
    yield "text", text[pos:], None


def linkify(
    text: str | None, ledger: Ledger, scope: Sequence[str], direct: Sequence[str] = ()
) -> Markup:
    """Curated prose with each number linked to the ledger entry in `scope` (or `direct`, see
    prose_pieces) that it states. Years are marked class="year"; a number that states no value in
    scope is marked class="nonfigure" with the rule that says what it is; the audit lists them.
    """
    if not isinstance(text, str) or not text:
        return Markup("")
    out = []
    for kind, shown, ref in prose_pieces(text, ledger, scope, direct):
        if kind == "link":
            out.append(link(ref, shown, "prose"))
        elif kind == "year":
            out.append(Markup('<span class="year">{}</span>').format(safe_text(shown)))
        elif kind == "nonfigure":
            out.append(
                Markup(
                    '<span class="nonfigure {}" title="not a figure in the ledger">{}</span>'
                ).format(ref, safe_text(shown))
            )
        else:
            out.append(safe_text(shown))
    return Markup("").join(out)


# --- spans: every number in a document, with its role ------------------------------------------


@dataclass(frozen=True)
class Span:
    """A highlighted range of a document's text: a figure, an exclusion or another mention."""

    start: int
    end: int
    role: str
    ref: str | None = None
    note: str | None = None


@dataclass
class Corpus:
    """Everything the report and the viewers render, grouped by document once."""

    ledger: Ledger
    checks: pd.DataFrame
    texts: dict[str, str]
    spans: dict[str, list[Span]]
    charts: list[dict[str, Any]] = field(default_factory=list)
    charts_note: str | None = None


def document_spans(
    figures: pd.DataFrame, exclusions: pd.DataFrame, mentions: pd.DataFrame
) -> dict[str, list[Span]]:
    """Non-overlapping highlight spans per document: figures first, then reviewed exclusions,
    then the extractor's other mentions (grouped once, not filtered per document)."""
    candidates: dict[str, list[tuple[int, Span]]] = {}
    extents: dict[str, list[tuple[int, int]]] = {}
    # whole columns as lists: a pandas row object per mention cost most of the time
    hedges = mentions["qualifier_start"].fillna(mentions["start"]).tolist()
    for doc_id, end, role, hedge in zip(
        *_columns(mentions, "doc_id", "end", "role"), hedges, strict=True
    ):
        extents.setdefault(doc_id, []).append((int(hedge), int(end)))
        role = role if role in ("boilerplate", "date") else "other"
        candidates.setdefault(doc_id, []).append((2, Span(int(hedge), int(end), role)))
    for fid, doc_id, start, end, label in zip(
        *_columns(figures, "figure_id", "doc_id", "start", "end", "label"), strict=True
    ):
        candidates.setdefault(doc_id, []).append(
            (0, Span(int(start), int(end), "figure", fid, label))
        )
    for doc_id, start, end, reason in zip(
        *_columns(exclusions, "doc_id", "start", "end", "reason"), strict=True
    ):
        # widen a reviewed span ("16") to the whole expression the extractor reads ("age of 16")
        start, end = int(start), int(end)
        for a, b in extents.get(doc_id, []):
            if a < end and b > start:
                start, end = min(start, a), max(end, b)
        candidates.setdefault(doc_id, []).append((1, Span(start, end, "exclusion", None, reason)))
    result: dict[str, list[Span]] = {}
    for doc_id, items in candidates.items():
        kept: list[Span] = []
        for _, span in sorted(items, key=lambda x: (x[0], x[1].start)):
            if all(span.end <= k.start or span.start >= k.end for k in kept):
                kept.append(span)
        result[doc_id] = sorted(kept, key=lambda s: s.start)
    return result


def _columns(frame: pd.DataFrame, *names: str) -> list[list[Any]]:
    return [frame[name].tolist() for name in names]


def _segments(text: str, spans: Iterable[Span], start: int, end: int):
    """(text, span-or-None) pieces of text[start:end]."""
    pos = start
    for s in spans:
        if s.end <= start or s.start >= end:
            continue
        if s.start > pos:
            yield text[pos : s.start], None
        yield text[s.start : s.end], s
        pos = s.end
    if pos < end:
        yield text[pos:end], None


def passage(corpus: Corpus, figure: dict[str, Any]) -> Markup:
    """The figure's quote in its prefix and suffix, the quote marked; a number cut by the
    context's edge is shown whole, and numbers in the context are linked or marked."""
    doc_id, spans = figure["doc_id"], corpus.spans.get(figure["doc_id"], [])
    text = corpus.texts[doc_id]
    a = figure["start"] - len(figure["prefix"] or "")
    b = figure["end"] + len(figure["suffix"] or "")
    for s in spans:
        if s.start < a < s.end:
            a = s.start
        if s.start < b < s.end:
            b = s.end
    return _marked(_segments(text, spans, a, b), mark=figure["figure_id"])


# --- loading --------------------------------------------------------------------------------


def load_corpus(
    processed_dir: Path,
    raw_dir: Path,
    charts_index: Path | None = None,
    corpus_dir: Path | None = None,
) -> Corpus:
    """Read the ledger, checks, texts and mentions once, and the chart index if there is one.

    `corpus_dir` holds the documents, text and mentions tables (default: `processed_dir`); the
    pipeline passes the ledger shard's folder (see figtrace.shards)."""
    processed_dir = Path(processed_dir)
    corpus_dir = Path(corpus_dir) if corpus_dir is not None else processed_dir
    ledger = load_ledger(processed_dir, raw_dir, corpus_dir)
    exclusions = pd.read_parquet(processed_dir / "exclusions.parquet")
    checks = pd.read_parquet(processed_dir / "checks.parquet")
    corpus = _read_corpus(corpus_dir, ledger, exclusions, checks)
    corpus.charts, corpus.charts_note = load_charts(charts_index)
    return corpus


def _read_corpus(
    corpus_dir: Path,
    ledger: Ledger,
    exclusions: pd.DataFrame,
    checks: pd.DataFrame,
    doc_ids: Collection[str] | None = None,
) -> Corpus:
    """The texts and highlight spans of the documents in `corpus_dir` (or only of `doc_ids`),
    with the ledger's marks."""
    text = _rows(pd.read_parquet(corpus_dir / "text.parquet", columns=["doc_id", "text"]), doc_ids)
    mentions = _rows(
        pd.read_parquet(
            corpus_dir / "mentions.parquet",
            columns=["doc_id", "start", "end", "qualifier_start", "role"],
        ),
        doc_ids,
    )
    texts = dict(text.itertuples(index=False))
    return Corpus(ledger, checks, texts, document_spans(ledger.figures, exclusions, mentions))


def _rows(frame: pd.DataFrame, doc_ids: Collection[str] | None) -> pd.DataFrame:
    """The rows of `doc_ids` (all rows if None), in order."""
    return frame if doc_ids is None else frame[frame["doc_id"].isin(list(doc_ids))]


def load_unannotated(
    corpus_dir: Path, raw_dir: Path, doc_ids: Collection[str] | None = None
) -> Corpus:
    """The documents, texts and mentions in `corpus_dir` (or only those of `doc_ids`: a shard
    job that re-renders a few viewers), with no ledger: for the source viewers of a shard that
    holds no annotated document, which therefore neither wait for the ledger nor change with it.
    Refuses a shard that holds an annotated document (its figures would be lost)."""
    corpus_dir, raw_dir = Path(corpus_dir), Path(raw_dir)
    documents = _rows(read_table(corpus_dir / "documents.parquet"), doc_ids)
    documents = documents.set_index("doc_id", drop=False)
    annotated = [d for d in documents.index if (raw_dir / "annotations" / f"{d}.yaml").is_file()]
    if annotated:
        raise FigtraceError(
            f"{corpus_dir}: {annotated[0]!r} has an annotation file, so its viewer must show the "
            "ledger's figures; render this folder with the ledger (without --no-ledger)."
        )
    ledger = Ledger(
        figures=pd.DataFrame(columns=["figure_id", "doc_id", "start", "end", "label"]),
        derived=pd.DataFrame(columns=["derived_id"]),
        documents=documents,
        reports=load_reports(raw_dir / "reports.yaml"),
        indicators={},
    )
    exclusions = pd.DataFrame(columns=["doc_id", "start", "end", "reason"])
    return _read_corpus(corpus_dir, ledger, exclusions, pd.DataFrame(), doc_ids)


def load_charts(index: Path | None) -> tuple[list[dict[str, Any]], str | None]:
    """The charts listed in results/charts/index.json (display order), or a note why none."""
    if index is None or not Path(index).is_file():
        return [], "No charts have been built: results/charts/index.json is not there."
    index = Path(index)
    try:
        charts = json.loads(index.read_text(encoding="utf-8"))["charts"]
    except (ValueError, KeyError, TypeError) as exc:
        raise FigtraceError(
            f'{index}: not a chart index ({exc}); expected {{"charts": [...]}}.'
        ) from None
    for chart in charts:
        png = (chart.get("files") or {}).get("png")
        if not png:
            raise FigtraceError(f"{index}: chart {chart.get('chart_id')!r} lists no png file.")
        path = next((p for p in (index.parent / Path(png).name, Path(png)) if p.is_file()), None)
        if path is None:
            raise FigtraceError(
                f"{index}: chart {chart['chart_id']!r}: {png} is missing; rebuild the charts."
            )
        chart["_png"] = path
    return charts, None


# --- the report ------------------------------------------------------------------------------


@cache
def environment() -> Environment:
    """The one Jinja2 environment (autoescape on for every template)."""
    env = Environment(
        loader=PackageLoader("figtrace", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # a process renders with the templates it started with
    )
    env.filters["t"] = safe_text
    env.filters["md"] = md_text
    env.filters["plain"] = plain_text
    env.globals["safe_url"] = safe_url
    env.globals["untitled_note"] = UNTITLED_NOTE
    env.globals["doc_name"] = lambda d: document_name(d["title"], d.get("description"), d["doc_id"])
    return env


def md_text(text: Any) -> Markup:
    """Untrusted text for Markdown: HTML-escaped and Markdown punctuation backslash-escaped."""
    if text is None:
        return Markup("")
    text = _BIDI.sub(lambda m: f"⟨{BIDI_CONTROLS[m.group(0)]}⟩", str(text))
    text = re.sub(r"([\\`*_\[\]{}()#+!|<>-])", r"\\\1", text.replace("\n", " "))
    return Markup(str(escape(Markup(text))).replace("&amp;", "&amp;"))


def chain_document(ledger: Ledger, doc_id: str) -> dict[str, Any]:
    """A document's sidecar fields with missing values as None."""
    return _present(ledger.documents.loc[doc_id].to_dict())


def chain_documents(ledger: Ledger) -> dict[str, dict[str, Any]]:
    """`chain_document` of every document, by doc_id, from one pass over the table."""
    records = ledger.documents.to_dict("records")
    return {
        doc_id: _present(row) for doc_id, row in zip(ledger.documents.index, records, strict=True)
    }


def _present(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (None if not isinstance(v, str | list) and pd.isna(v) else v) for k, v in row.items()
    }


def figure_entry(corpus: Corpus, fid: str) -> dict[str, Any]:
    """What a figure's provenance entry shows: value, meaning, passage, document, report."""
    ledger = corpus.ledger
    c = chain(ledger, fid)
    f = c["figure"]
    scope = [fid]
    return {
        "id": fid,
        "type": "figure",
        "value": value_link(ledger, fid),
        "label": linkify(f["label"], ledger, scope),
        "indicator": c["indicator"],
        "definition": linkify(c["indicator"]["definition"], ledger, scope)
        if c["indicator"]
        else None,
        "population": linkify(f["population"], ledger, scope),
        "geography": linkify(f["geography"], ledger, scope),
        "period": linkify(f["period"], ledger, scope) if f["period"] else None,
        "period_note": linkify(f["period_note"], ledger, scope),
        "note": linkify(f["note"], ledger, scope),
        "stated_by": linkify(claimant_words(f), ledger, scope),
        "claimant_passage": claimant_passage(corpus, f),
        "inference": report_inference(ledger, ledger.reports.get(f["report_id"] or "")),
        "passage": passage(corpus, f),
        "start": f["start"],
        "end": f["end"],
        "page": f.get("page"),
        "element_path": f.get("element_path"),
        "document": c["document"],
        "report": c["report"],
        "doc_id": f["doc_id"],
        "viewer": f"sources/{f['doc_id']}.html#{fid}",
        "others": other_documents(corpus, fid),
        "against": against_report(corpus, fid),
    }


def _pieces(corpus: Corpus, doc_id: str, start: int, end: int) -> Markup:
    """text[start:end] of a document with the numbers in it linked (figures) or marked."""
    return _marked(_segments(corpus.texts[doc_id], corpus.spans.get(doc_id, []), start, end))


def _marked(segments: Iterable[tuple[str, Span | None]], mark: str | None = None) -> Markup:
    """Text segments as HTML: figures linked (the one `mark` names highlighted), dates marked as
    years, any other number marked as context that is not a figure."""
    out = []
    for piece, s in segments:
        if s is None:
            out.append(safe_text(piece))
        elif s.role == "figure":
            linked = link(s.ref, piece, "quote")
            out.append(Markup("<mark>{}</mark>").format(linked) if s.ref == mark else linked)
        elif s.role == "date":
            out.append(Markup('<span class="year">{}</span>').format(safe_text(piece)))
        else:
            out.append(
                Markup('<span class="nonfigure context" title="{}">{}</span>').format(
                    s.note or ROLE_NAMES[s.role], safe_text(piece)
                )
            )
    return Markup("").join(out)


def claimant_passage(corpus: Corpus, figure: dict[str, Any]) -> Markup:
    """The passage that says who states a figure, marked inside its prefix and suffix; a number
    is never cut by an edge (each is shown whole, linked or marked like any passage's)."""
    doc_id = figure["doc_id"]
    start, end = int(figure["claimant_start"]), int(figure["claimant_end"])
    a = start - len(figure["claimant_prefix"] or "")
    b = end + len(figure["claimant_suffix"] or "")
    for s in corpus.spans.get(doc_id, []):
        a = s.start if s.start < a < s.end else a
        b = s.end if s.start < b < s.end else b
        start = s.start if s.start < start < s.end else start
        end = s.end if s.start < end < s.end else end
    return Markup('{}<mark class="claimant">{}</mark>{}').format(
        _pieces(corpus, doc_id, a, start),
        _pieces(corpus, doc_id, start, end),
        _pieces(corpus, doc_id, end, b),
    )


def report_inference(ledger: Ledger, report: Any) -> Markup | None:
    """What no document states about a report and the registry infers (year) or leaves open
    (producer), with the basis; None when the documents state both."""
    if report is None:
        return None
    parts = []
    if not report.producer:
        parts.append("Producer not stated. " + (report.producer_note or ""))
    if report.year_inferred:
        parts.append("Year inferred, not stated: " + (report.inference_basis or ""))
    if not parts:
        return None
    return linkify(" ".join(" ".join(p.split()) for p in parts), ledger, [])


def against_report(corpus: Corpus, fid: str) -> dict[str, Any] | None:
    """How a figure stands against the original report it cites: `self` (it is the report's own
    statement), `checked` (the against-report check: agrees, differs or not found, with the page
    and a link to it in the report's viewer) or `absent` (the report is not in the corpus, with the
    command that brings it in); None for a figure its document states itself."""
    ledger, f = corpus.ledger, corpus.ledger.figures.loc[fid]
    pinned = {r.document["doc_id"]: r for r in ledger.reports.values() if r.document is not None}
    page = None if pd.isna(f.get("page")) else int(f["page"])
    if f["doc_id"] in pinned:
        return {"state": "self", "report": pinned[f["doc_id"]], "page": page}
    rid = f["report_id"]
    if not isinstance(rid, str) or rid not in ledger.reports:
        return None
    report = ledger.reports[rid]
    checks = corpus.checks
    row = checks[checks["check_id"] == f"against-report-{fid}"] if "check_id" in checks else checks
    if row.empty:
        command = f"figtrace fetch {rid}" + ("" if report.pdf_url else " --url PDF_ADDRESS")
        return {"state": "absent", "report": report, "command": command}
    check = row.iloc[0]
    inputs = check["inputs"].split(";")
    entry = {"state": "checked", "report": report, "status": check["status"], "page": None}
    if len(inputs) > 1:
        other = ledger.figures.loc[inputs[1]]
        other_page = None if pd.isna(other.get("page")) else int(other["page"])
        entry |= {
            "value": value_link(ledger, inputs[1]),
            "page": other_page,
            "href": f"sources/{other['doc_id']}.html#"
            + (f"page-{other_page}" if other_page else inputs[1]),
            "quote_href": f"sources/{other['doc_id']}.html#{inputs[1]}",
            "passage": passage(corpus, {**other.to_dict(), "figure_id": inputs[1]}),
        }
    return entry


def other_documents(corpus: Corpus, fid: str) -> dict[str, dict[str, Any]]:
    """The other documents whose figures corroborate, contradict or restate a figure (from the
    corroboration checks): how many documents, and each figure linked with its document."""
    from figtrace.corroboration import tally

    ledger, out = corpus.ledger, {}
    for kind, others in tally(corpus.checks, fid).items():
        docs = [ledger.figures.loc[o, "doc_id"] for o in others]
        out[kind] = {
            "documents": len(set(docs)),
            "figures": [
                {"value": value_link(ledger, o), "document": chain_document(ledger, d)}
                for o, d in zip(others, docs, strict=True)
            ],
        }
    return out


def derived_entry(corpus: Corpus, did: str) -> dict[str, Any]:
    """A derived figure's entry: value, formula with each input linked, description."""
    ledger = corpus.ledger
    c = chain(ledger, did)
    d = c["derived"]
    inputs = d["inputs"].split(";")
    scope = widen(ledger, [did, *inputs])
    return {
        "id": did,
        "type": "derived",
        "value": value_link(ledger, did),
        "unrounded": link(did, display.unrounded(d["value"], d["unit"]), "unrounded"),
        "label": linkify(d["label"], ledger, scope, direct=inputs),
        "indicator": c["indicator"],
        "formula": Markup("{}").format(d["formula"]),
        "computed": Markup('<code class="formula">{}</code>').format(
            render_linked(d["formula"], ledger)
        ),
        "description": linkify(d["description"], ledger, scope),
        "inputs": [
            {"id": i, "value": value_link(ledger, i), "label": _label(ledger, i, scope)}
            for i in d["inputs"].split(";")
        ],
        "interval": interval_links(ledger, did),
        "by_construction": bool(d.get("by_construction")),
    }


def interval_links(ledger: Ledger, did: str) -> dict[str, Any]:
    """A derived figure's interval as links (its low and high ends at the printed precision),
    or whether it is exact or open-ended."""
    low, high, _ = derived_interval(ledger, did)
    return {
        "exact": low is not None and low == high,
        "low": value_link(ledger, did, "low") if low is not None else None,
        "high": value_link(ledger, did, "high") if high is not None else None,
    }


def widen(ledger: Ledger, refs: Sequence[str]) -> list[str]:
    """`refs`, then the source figures of derived ones, then every figure of the same documents:
    the figures a sentence about `refs` may state, nearest first."""
    out = list(refs)
    for ref in refs:
        if ref in ledger.derived.index:
            out += ledger.derived.loc[ref, "source_figures"].split(";")
    figures = ledger.figures
    docs = set(figures.loc[[r for r in out if r in figures.index], "doc_id"])
    out += list(figures.index[figures["doc_id"].isin(docs)])
    return list(dict.fromkeys(out))


def _label(ledger: Ledger, ref: str, scope: Sequence[str]) -> Markup:
    if ref in ledger.figures.index:
        return linkify(ledger.figures.loc[ref, "label"], ledger, [ref, *scope])
    inputs = ledger.derived.loc[ref, "inputs"].split(";")
    return linkify(ledger.derived.loc[ref, "label"], ledger, [ref, *scope], direct=inputs)


def check_rows(corpus: Corpus) -> list[dict[str, Any]]:
    """The consistency checks: status, what is compared, stated against computed, linked."""
    ledger, rows = corpus.ledger, []
    for r in corpus.checks.itertuples(index=False):
        inputs = r.inputs.split(";")
        scope = widen(ledger, inputs)

        def shown(ref: str) -> Markup:
            return value_link(ledger, ref)

        rows.append(
            {
                "id": r.check_id,
                "kind": r.kind,
                "status": r.status,
                "evidence": getattr(r, "evidence", None),
                "sources_note": _with_ids(getattr(r, "sources_note", None), ledger, scope),
                "description": linkify(r.description, ledger, scope),
                "inputs": [
                    {
                        "id": i,
                        "value": shown(i),
                        "label": _label(ledger, i, scope),
                        "stated_by": linkify(_stated_by(ledger, i), ledger, scope),
                    }
                    for i in inputs
                ],
                "stated": shown(inputs[0]) if r.kind in ("rounding", "change") else None,
                "computed": shown(inputs[1]) if r.kind in ("rounding", "change") else None,
            }
        )
    return rows


def _with_ids(text: str | None, ledger: Ledger, scope: Sequence[str]) -> Markup:
    """Curated or generated prose with document ids shown as ids (never read as numbers: the
    `second` of northamptonshire-second-highest is no rank) and the rest linkified."""
    if not text:
        return Markup("")
    ids = sorted(set(ledger.documents.index), key=len, reverse=True)
    if not ids:
        return linkify(text, ledger, scope)
    pattern = re.compile("|".join(re.escape(i) for i in ids))
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append(linkify(text[pos : m.start()], ledger, scope))
        out.append(Markup('<code class="id">{}</code>').format(m.group()))
        pos = m.end()
    out.append(linkify(text[pos:], ledger, scope))
    return Markup("").join(out)


def _stated_by(ledger: Ledger, ref: str) -> str:
    """Who states a figure, in words; a derived figure is the ledger's arithmetic."""
    if ref in ledger.figures.index and "claimant_kind" in ledger.figures.columns:
        return claimant_words(ledger.figures.loc[ref].to_dict())
    return "derived by figtrace from the figures it rests on"


def chart_refs(ledger: Ledger, chart: dict[str, Any], checks: pd.DataFrame) -> list[str]:
    """What a chart's prose may state: the ids it plots (a check's inputs for a check), their
    source figures and documents' figures, and its ledger counts with the ledger's total."""
    refs, counts = [], []
    for v in chart.get("values", []):
        ref = v.get("ref") or ""
        if is_ledger_count(ref):
            counts.append(ref)
        elif v.get("ref_type") == "check" and ref in set(checks["check_id"]):
            refs += checks.loc[checks["check_id"] == ref, "inputs"].iloc[0].split(";")
        else:
            refs.append(ref)
        refs += [s.get("figure_id") for s in v.get("sources") or [] if isinstance(s, dict)]
    known = [r for r in refs if r in ledger.figures.index or r in ledger.derived.index]
    counts = list(dict.fromkeys(counts + ([LEDGER_TOTAL] if counts else [])))
    return widen(ledger, list(dict.fromkeys(known))) + counts


def count_entries(ledger: Ledger, html: Iterable[Markup]) -> list[dict[str, Any]]:
    """A provenance entry for every ledger count linked in `html`: the figures it counts."""
    refs = sorted(
        {m.group(1) for h in html for m in re.finditer(r'data-ref="(ledger_count:[^"]+)"', str(h))}
    )
    return [
        {
            "id": ref,
            "field": ref.split(":", 2)[1],
            "key": ref.split(":", 2)[2],
            "value": link(ref, f"{len(counted_figures(ledger, ref)):,}", "prose"),
            "figures": [value_link(ledger, f) for f in counted_figures(ledger, ref)],
            "ids": counted_figures(ledger, ref),
        }
        for ref in refs
    ]


# The order of the findings' groups: publications first, then who is quoted, then unnamed
# research, then what the articles state in their own voice.
GROUP_ORDER = {"report": 0, "statistics": 0, "organisation": 1, "person": 1, "research": 2,
               "article": 3}  # fmt: skip


def claimant_key(row: Any) -> tuple[str, ...]:
    """Which findings group a figure belongs to: its report for a publication's figures, else
    who states it (a quoted person or organisation, unnamed research, the article itself)."""
    kind = row.claimant_kind
    if kind in ("report", "statistics"):
        return ("report", row.report_id)
    if kind == "article":
        return ("article", row.doc_id)
    org = row.claimant_organisation if isinstance(row.claimant_organisation, str) else ""
    return (kind, row.claimant_name, org)


def claimant_groups(corpus: Corpus) -> list[dict[str, Any]]:
    """The findings grouped by who states them (GROUP_ORDER; reports in registry order, the rest
    in order of first appearance): a quote is never listed as a report's finding."""
    ledger = corpus.ledger
    figures = ledger.figures
    report_rank = {rid: i for i, rid in enumerate(ledger.reports)}
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    for n, row in enumerate(figures.itertuples(index=False)):
        key = claimant_key(row)
        if key not in groups:
            rank = report_rank.get(row.report_id, n) if key[0] == "report" else n
            report = ledger.reports.get(row.report_id) if key[0] == "report" else None
            groups[key] = {
                "order": (GROUP_ORDER[row.claimant_kind], rank),
                "kind": key[0],
                "report": report,
                "inference": report_inference(ledger, report),
                "name": row.claimant_name,
                "organisation": key[2] if len(key) > 2 else None,
                "kind_words": CLAIMANT_KINDS[row.claimant_kind],
                "document": chain_document(ledger, row.doc_id),
                "figures": [],
            }
        scope = [row.figure_id]
        groups[key]["figures"].append(
            {
                "id": row.figure_id,
                "value": value_link(ledger, row.figure_id),
                "label": linkify(row.label, ledger, scope),
                "document": chain_document(ledger, row.doc_id),
                "doc_id": row.doc_id,
                "stated_by": linkify(claimant_words(row._asdict()), ledger, scope),
                "claimant_quote": linkify(row.claimant_quote, ledger, widen(ledger, scope)),
                "basis": row.claimant_basis,
                "report": ledger.reports.get(row.report_id) if key[0] != "report" else None,
            }
        )
    return sorted(groups.values(), key=lambda g: g["order"])


def report_context(corpus: Corpus) -> dict[str, Any]:
    """Everything the report templates render, in a fixed order."""
    ledger = corpus.ledger
    figures = ledger.figures
    groups = claimant_groups(corpus)
    indicators = []
    for iid, g in figures.groupby("indicator", sort=False):
        ind = ledger.indicators[iid]
        scope = widen(ledger, list(g["figure_id"]))
        indicators.append(
            {
                "id": iid,
                "name": ind.name,
                "caveats": [linkify(c, ledger, scope) for c in ind.caveats],
                "figures": [
                    {
                        "id": r.figure_id,
                        "value": value_link(ledger, r.figure_id),
                        "population": linkify(r.population, ledger, [r.figure_id]),
                        "geography": linkify(r.geography, ledger, [r.figure_id]),
                        "period": linkify(r.period, ledger, [r.figure_id])
                        if isinstance(r.period, str)
                        else None,
                        "period_note": linkify(r.period_note, ledger, [r.figure_id])
                        if isinstance(r.period_note, str)
                        else None,
                    }
                    for r in g.itertuples(index=False)
                ],
            }
        )
    charts = []
    for chart in corpus.charts:
        data = base64.b64encode(chart["_png"].read_bytes()).decode("ascii")
        scope = chart_refs(ledger, chart, corpus.checks)
        charts.append(
            {
                "id": chart["chart_id"],
                "title": render_linked(chart.get("title_template") or "", ledger, scope),
                "caption": render_linked(chart.get("caption_template") or "", ledger, scope),
                "alt": chart.get("alt") or "",
                "src": f"data:image/png;base64,{data}",
                "source_line": linkify(chart.get("source_line"), ledger, scope),
                "scope": scope,
                "png_name": chart["_png"].name,
            }
        )
    return {
        "groups": groups,
        "charts": charts,
        "count_entries": count_entries(
            ledger, [c[k] for c in charts for k in ("title", "caption", "source_line")]
        ),
        "charts_note": corpus.charts_note,
        "derived": [derived_entry(corpus, d) for d in ledger.derived.index],
        "checks": check_rows(corpus),
        "status_counts": corpus.checks["status"].value_counts().to_dict(),
        "indicators": indicators,
        # Documents that give the ledger a figure; a corpus of thousands lists only those.
        "documents": [
            chain_document(ledger, d)
            for d in ledger.documents.index
            if d in set(ledger.figures["doc_id"])
        ],
        "reports": ledger.reports,
        # the original reports whose own figures are in the ledger (fetched and curated)
        "reports_in_corpus": [
            r
            for r in ledger.reports.values()
            if r.document is not None and r.document["doc_id"] in set(figures["doc_id"])
        ],
        "figure_entries": [figure_entry(corpus, f) for f in figures.index],
        "unstated_periods": [
            {
                "id": r.figure_id,
                "value": value_link(ledger, r.figure_id),
                "note": linkify(r.period_note, ledger, [r.figure_id]),
            }
            for r in figures.itertuples(index=False)
            if not isinstance(r.period, str)
        ],
        "css": environment().get_template("report.css").render(),
    }


def md_target(ledger: Ledger, ref: str) -> str:
    """Where report.md links `ref`: a figure to its passage in the viewer, anything else (a
    derived figure, a ledger count) to its entry in report.html."""
    if ref in ledger.figures.index:
        return f"sources/{ledger.figures.loc[ref, 'doc_id']}.html#{ref}"
    return f"report.html#{ref}"


def md_prose(
    text: str | None, ledger: Ledger, scope: Sequence[str], direct: Sequence[str] = ()
) -> Markup:
    """Curated prose for Markdown: each number that states a value in `scope` (or `direct`, see
    prose_pieces) linked to it (as `linkify` does for HTML), a number that states none marked as a non-figure (inline
    HTML, which Markdown viewers show as its text), the rest escaped text."""
    if not isinstance(text, str) or not text:
        return Markup("")
    out = []
    for kind, shown, ref in prose_pieces(text, ledger, scope, direct):
        if kind == "link":
            out.append(Markup("[{}]({})").format(md_text(shown), md_target(ledger, ref)))
        elif kind == "nonfigure":
            out.append(Markup('<span class="nonfigure {}">{}</span>').format(ref, md_text(shown)))
        else:
            out.append(md_text(shown))
    return Markup("").join(out)


def md_context(corpus: Corpus, context: dict[str, Any]) -> dict[str, Any]:
    """Markdown links: a figure's number to its passage in the viewer, a derived one to its entry;
    labels and chart titles with their numbers linked the same way."""
    ledger = corpus.ledger

    def md_link(ref: str, fmt: str | None = None) -> Markup:
        text = md_text(format_ref(ledger, ref, fmt))
        return Markup("[{}]({})").format(text, md_target(ledger, ref))

    def md_label(ref: str) -> Markup:
        table = ledger.figures if ref in ledger.figures.index else ledger.derived
        scope, inputs = [ref], []
        if ref in ledger.derived.index:
            inputs = ledger.derived.loc[ref, "inputs"].split(";")
            scope = widen(ledger, [ref, *inputs])
        return md_prose(table.loc[ref, "label"], ledger, scope, direct=inputs)

    def md_title(template: str, scope: Sequence[str]) -> Markup:
        out, pos = [], 0
        for m in PLACEHOLDER.finditer(template):
            out.append(md_prose(template[pos : m.start()], ledger, scope))
            out.append(md_link(m.group(1), m.group(2)))
            pos = m.end()
        out.append(md_prose(template[pos:], ledger, scope))
        return Markup("").join(out)

    def md_against(fid: str) -> Markup:
        a = against_report(corpus, fid)
        if a is None:
            return Markup("")
        if a["state"] == "self":
            return Markup("the report itself{}").format(
                f", page `{a['page']}`" if a["page"] else ""
            )
        if a["state"] == "absent":
            return Markup("not in the corpus: `{}`").format(a["command"])
        if a["status"] == "not-found":
            return Markup("not found in the report")
        verdict = "agrees" if a["status"] == "pass" else "differs"
        where = f"page `{a['page']}`" if a["page"] else "its passage"
        return Markup("{} ([{}]({}))").format(verdict, where, a["href"])

    charts = [
        {**c, "title_md": md_title(chart.get("title_template") or "", c["scope"])}
        for c, chart in zip(context["charts"], corpus.charts, strict=True)
    ]
    return {
        **context,
        "charts": charts,
        "md_link": md_link,
        "md_label": md_label,
        "md_against": md_against,
        "ledger": ledger,
    }


def write_report(corpus: Corpus, html_out: Path, md_out: Path) -> None:
    """Render report.html and report.md atomically."""
    env = environment()
    context = report_context(corpus)
    outputs.write_text(html_out, env.get_template("report.html.j2").render(**context))
    outputs.write_text(
        md_out, env.get_template("report.md.j2").render(**md_context(corpus, context))
    )


# --- source viewers --------------------------------------------------------------------------


PAGE_MARK = '<span class="page-mark" id="page-{0}">page <code class="pos">{0}</code></span>'


def viewer_body(text: str, spans: Sequence[Span]) -> Markup:
    """The document's canonical text with every mention marked by role; a figure's mark has the
    figure_id as its id and links back to the report entry."""
    # plain strings joined once: every untrusted piece (text, ids, notes) goes through escape
    out = []
    paged = "\f" in text  # PDF sources: pages are separated by form feeds (figtrace.text)
    page = 1
    if paged:
        out.append(PAGE_MARK.format(page))
    for piece, s in _segments(text, spans, 0, len(text)):
        if s is None and paged and "\f" in piece:
            parts = piece.split("\f")
            out.append(_escaped(parts[0]))
            for part in parts[1:]:
                page += 1
                out.append(PAGE_MARK.format(page))
                out.append(_escaped(part))
        elif s is None:
            out.append(_escaped(piece))
        elif s.role == "figure":
            ref = escape(s.ref)
            out.append(
                f'<mark class="m-figure" id="{ref}" title="{escape(s.note or "")}">'
                f'<a href="../report.html#{ref}">{_escaped(piece)}</a></mark>'
            )
        else:
            note = escape(s.note or ROLE_NAMES[s.role])
            out.append(f'<mark class="m-{escape(s.role)}" title="{note}">{_escaped(piece)}</mark>')
    return Markup("".join(out))


def write_sources(
    corpus: Corpus,
    out_dir: Path,
    doc_ids: Sequence[str] | None = None,
    index: Path | None = None,
    keep: Iterable[str] | None = None,
    reused: Mapping[str, str] | None = None,
    names: list[str] | None = None,
) -> list[Path]:
    """Render one viewer per document with one compiled template; return the paths written.

    `keep`: the doc_ids of the whole corpus; viewers in `out_dir` of any other document (one
    removed from the corpus) are deleted. `index`: a list of the viewers written and of those
    `reused` (left as they are; doc_id -> the viewer's sha256), one `doc_id, file, sha256` row
    each, written last, so that it exists only if every viewer does (the pipeline's output per
    shard; the manifest takes the viewers' digests from it, see figtrace.manifest). `names`:
    the entries of `out_dir`, if the caller has just listed it.
    """
    template = environment().get_template("source.html.j2")
    css = environment().get_template("report.css").render()
    ledger = corpus.ledger
    ids = doc_ids if doc_ids is not None else list(ledger.documents.index)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # listed once, for leftovers and for the sweep: the folder holds every shard's viewers
    if names is None:
        names = os.listdir(out_dir)
    digests = dict(reused or {})
    pages = _viewer_pages(corpus, template, css, ids, out_dir)
    written = outputs.write_texts(_noting_digests(pages, digests), listings={out_dir: names})
    if keep is not None:
        known = {f"{doc_id}.html" for doc_id in keep}
        for name in {*names, *(path.name for path in written)}:
            if name.endswith(".html") and name not in known:
                (out_dir / name).unlink(missing_ok=True)
    if index is not None:
        rows = "".join(f"{d}\t{d}.html\t{digests[d]}\n" for d in sorted(digests))
        outputs.sweep_leftovers([Path(index)], {out_dir: names})
        outputs.write_text(index, DIGEST_LIST_HEADER + rows, sweep=False)
    return written


def _empty_list(index: Path | None) -> bool:
    """Whether `index` is a list of viewers with no row (a shard that held no document)."""
    try:
        return index is not None and Path(index).read_text("utf-8") == DIGEST_LIST_HEADER
    except (OSError, UnicodeDecodeError):
        return False


def _noting_digests(
    pages: Iterable[tuple[Path, str]], digests: dict[str, str]
) -> Iterator[tuple[Path, str]]:
    """The pages as they pass, each viewer's sha256 noted by doc_id (from the bytes in memory)."""
    for path, html in pages:
        digests[path.name[: -len(".html")]] = sha256_bytes(html.encode("utf-8"))
        yield path, html


def write_sources_reusing(
    load: Callable[[Collection[str]], Corpus],
    out_dir: Path,
    listed: Path,
    record: Path,
    recipe_digest: str,
    index: Path | None = None,
    keep: Callable[[], Iterable[str]] | None = None,
    names: list[str] | None = None,
    sweep: bool = False,
) -> tuple[list[Path], set[str]]:
    """`write_sources` for a shard with no annotated document, re-rendering only the viewers
    of documents changed since the shard's reuse record was written (figtrace.reuse): a
    viewer is kept if its document's catalogue line (in `listed`) and the viewer file's own
    stat are the ones recorded, under the same recipe. Only the other documents are read
    (`load` them by doc_id). Returns the paths written and the doc_ids kept. `names`: the
    entries of `out_dir`, if the caller has just listed it.

    `keep()`: the whole corpus's doc_ids, for `write_sources` to delete the viewers of other
    documents; asked for only when a viewer may have lost its document: the shard has no list
    of its viewers or no reuse record (a run killed after writing a viewer), its last list
    names a document it no longer holds (one removed, or moved to another shard), or `sweep`
    says so. A shard that only gained or changed documents skips reading and sweeping 100,000
    names (0.1 s of an added document's run)."""
    from figtrace import reuse
    from figtrace.documents import read_fingerprint

    out_dir = Path(out_dir)
    lines = {doc_id: f"{raw} {sidecar}" for doc_id, raw, sidecar in read_fingerprint(listed)}

    folder = os.path.join(out_dir, "")

    def keys(doc_ids: Iterable[str]) -> dict[str, str]:
        found = {}
        for doc_id in doc_ids:
            viewer = reuse.file_key(f"{folder}{doc_id}.html")
            if viewer is not None:
                found[doc_id] = f"{lines[doc_id]} {viewer}"
        return found

    before = keys(lines)
    kept = reuse.reusable(record, recipe_digest, before)
    recorded = Path(record).is_file()  # without it, a killed run may have left any viewer
    reuse.forget(record)
    fresh = [d for d in lines if d not in kept]
    # a kept viewer's digest as the shard's last list recorded it, else read from the file
    listed_before = read_digest_list(index) if index is not None else {}
    held = {f"{d}.html" for d in lines}
    listed = bool(listed_before) or _empty_list(index)  # an earlier list, read as it was written
    lost = sweep or not recorded or not listed or not held.issuperset(listed_before)
    reused = {
        d: listed_before.get(f"{d}.html") or sha256_bytes(Path(f"{folder}{d}.html").read_bytes())
        for d in sorted(kept)
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    if names is None:  # once for the whole job: 0.05 s among 100,000 viewers
        names = os.listdir(out_dir)
    corpus = keep() if keep is not None and lost else None
    written = write_sources(
        load(fresh), out_dir, fresh, index=index, keep=corpus, reused=reused, names=names
    )
    # a kept viewer is the file its key was just read from: only the fresh ones are stat'ed again
    after = {**{d: before[d] for d in kept}, **keys(fresh)}
    outputs.sweep_leftovers([Path(record)], {out_dir: names})
    reuse.remember(record, recipe_digest, after.items(), sweep=False)
    return written, kept


def _viewer_pages(
    corpus: Corpus, template: Any, css: str, doc_ids: Sequence[str], out_dir: Path
) -> Iterator[tuple[Path, str]]:
    """(path, html) of each document's viewer, rendered one at a time."""
    ledger = corpus.ledger
    documents = chain_documents(ledger)
    for doc_id in doc_ids:
        if doc_id not in corpus.texts:
            raise FigtraceError(
                f"{doc_id}: no canonical text in text.parquet; re-run the text stage."
            )
        spans = corpus.spans.get(doc_id, [])
        counts = Counter(s.role for s in spans)
        doc = documents[doc_id]
        html = template.render(
            doc=doc,
            body=viewer_body(corpus.texts[doc_id], spans),
            roles=[(r, ROLE_NAMES[r], counts[r]) for r in ROLES],
            reports=[
                ledger.reports[r]
                for r in (doc["reports_cited"] or "").split(";")
                if r in ledger.reports
            ],
            css=css,
        )
        yield out_dir / f"{doc_id}.html", html
