"""The summary report: every number rendered as a link to its provenance.

`report.html` (self-contained) and `report.md` are written from Jinja2 templates (autoescape on)
over the ledger; the source viewers, one per document, are `figtrace.viewers` (`viewer_sources`
hands them the ledger's marks). No number is typed here or in a template: values come from the
ledger through `figtrace.provenance`, and numbers inside curated prose (labels, definitions,
caveats, descriptions) are linked to the ledger entry they state. Document text is untrusted web
text: it is escaped (`figtrace.rendering`), and a URL becomes a link only if http(s).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup

from figtrace import display, outputs
from figtrace.errors import FigtraceError
from figtrace.provenance import (
    CLAIMANT_KINDS,
    PLACEHOLDER,
    Ledger,
    chain,
    claimant_words,
    derived_interval,
    format_ref,
    load_ledger,
    render_template,
    value_of,
)
from figtrace.rendering import environment, md_text, safe_text
from figtrace.viewers import ROLE_NAMES, Sources, Span
from figtrace.viewers import document_spans as spans_of_rows
from figtrace.viewers import segments as text_segments

if TYPE_CHECKING:  # the extractor compiles its patterns on import; the viewers never need it
    from figtrace.mentions import Mention

# A bare four-digit number from 1900 to 2099 with no thousands separator is read as a year.
YEAR = re.compile(r"(?:19|20)[0-9]{2}")


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


@dataclass
class Corpus:
    """Everything the report and the viewers render, grouped by document once."""

    ledger: Ledger
    checks: pd.DataFrame
    texts: dict[str, str]
    spans: dict[str, list[Span]]
    charts: list[dict[str, Any]] = field(default_factory=list)
    charts_note: str | None = None


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
    return _marked(text_segments(text, spans, a, b), mark=figure["figure_id"])


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
    corpus_dir: Path, ledger: Ledger, exclusions: pd.DataFrame, checks: pd.DataFrame
) -> Corpus:
    """The texts and highlight spans of the documents in `corpus_dir`, with the ledger's marks."""
    text = pd.read_parquet(corpus_dir / "text.parquet", columns=["doc_id", "text"])
    mentions = pd.read_parquet(
        corpus_dir / "mentions.parquet",
        columns=["doc_id", "start", "end", "qualifier_start", "role"],
    )
    texts = dict(text.itertuples(index=False))
    return Corpus(ledger, checks, texts, document_spans(ledger.figures, exclusions, mentions))


def document_spans(
    figures: pd.DataFrame, exclusions: pd.DataFrame, mentions: pd.DataFrame
) -> dict[str, list[Span]]:
    """`figtrace.viewers.document_spans` of the three tables (whole columns as lists: a pandas
    row object per mention cost most of the time)."""
    hedges = mentions["qualifier_start"].fillna(mentions["start"]).tolist()
    doc_id, start, end, role = _columns(mentions, "doc_id", "start", "end", "role")
    return spans_of_rows(
        zip(doc_id, start, hedges, end, role, strict=True),
        zip(*_columns(figures, "figure_id", "doc_id", "start", "end", "label"), strict=True),
        zip(*_columns(exclusions, "doc_id", "start", "end", "reason"), strict=True),
    )


def _columns(frame: pd.DataFrame, *names: str) -> list[list[Any]]:
    return [frame[name].tolist() for name in names]


def viewer_sources(corpus: Corpus) -> Sources:
    """What the source viewers of the corpus's documents render (figtrace.viewers)."""
    ledger = corpus.ledger
    return Sources(chain_documents(ledger), corpus.texts, corpus.spans, ledger.reports)


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
    return _marked(text_segments(corpus.texts[doc_id], corpus.spans.get(doc_id, []), start, end))


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
