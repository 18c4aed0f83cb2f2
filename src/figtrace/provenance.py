"""Provenance: the whole chain behind a figure, from value and meaning to passage and bytes.

`trace` prints it; the report and the notebooks render the same chain. A derived figure's chain
is its formula plus the chain of each input, down to source passages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from figtrace import display
from figtrace.documents import document_name
from figtrace.errors import FigtraceError
from figtrace.registries import Indicator, Report, load_indicators, load_reports


@dataclass(frozen=True)
class Ledger:
    """The built ledger: figures, derived figures and documents, with the registries."""

    figures: pd.DataFrame
    derived: pd.DataFrame
    documents: pd.DataFrame
    reports: dict[str, Report]
    indicators: dict[str, Indicator]


def read_table(path: Path) -> pd.DataFrame:
    """A processed table; a clear error if the pipeline has not built it yet."""
    if not path.is_file():
        raise FigtraceError(f"{path}: not built yet; run the pipeline first (`make all`).")
    return pd.read_parquet(path)


def load_ledger(processed_dir: Path, raw_dir: Path, corpus_dir: Path | None = None) -> Ledger:
    """Load the processed tables and registries that provenance chains are made of.

    `corpus_dir` holds the documents table (default: `processed_dir`). The pipeline passes the
    ledger shard's folder, which lists the annotated documents only, so that the ledger's stages
    do not depend on the rest of the corpus (see figtrace.shards)."""
    processed_dir, raw_dir = Path(processed_dir), Path(raw_dir)
    corpus_dir = Path(corpus_dir) if corpus_dir is not None else processed_dir
    return Ledger(
        figures=read_table(processed_dir / "figures.parquet").set_index("figure_id", drop=False),
        derived=read_table(processed_dir / "derived.parquet").set_index("derived_id", drop=False),
        documents=read_table(corpus_dir / "documents.parquet").set_index("doc_id", drop=False),
        reports=load_reports(raw_dir / "reports.yaml"),
        indicators=load_indicators(raw_dir / "indicators.yaml"),
    )


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if v is not None and not isinstance(v, str | list | dict) and pd.isna(v) else v)
            for k, v in record.items()}  # fmt: skip


def chain(ledger: Ledger, ref: str) -> dict[str, Any]:
    """The provenance chain of a figure_id or derived_id, as nested plain data."""
    if ref in ledger.figures.index:
        figure = _clean(ledger.figures.loc[ref].to_dict())
        document = _clean(ledger.documents.loc[figure["doc_id"]].to_dict())
        report = ledger.reports.get(figure["report_id"]) if figure["report_id"] else None
        indicator = ledger.indicators.get(figure["indicator"])
        return {
            "type": "figure",
            "id": ref,
            "figure": figure,
            "indicator": vars(indicator) if indicator else None,
            "document": document,
            "report": vars(report) if report else None,
        }
    if ref in ledger.derived.index:
        derived = _clean(ledger.derived.loc[ref].to_dict())
        indicator = ledger.indicators.get(derived["indicator"])
        return {
            "type": "derived",
            "id": ref,
            "derived": derived,
            "indicator": vars(indicator) if indicator else None,
            "inputs": [chain(ledger, i) for i in derived["inputs"].split(";")],
        }
    known = sorted([*ledger.figures.index, *ledger.derived.index])
    from rapidfuzz import process

    near = process.extractOne(ref, known)
    hint = f" Did you mean {near[0]!r}?" if near else ""
    raise FigtraceError(f"{ref!r} is not a figure_id or derived_id in the ledger.{hint}")


CLAIMANT_KINDS = {
    "report": "the report",
    "statistics": "released figures",
    "organisation": "an organisation, quoted",
    "person": "a person, quoted",
    "research": "unnamed research, cited",
    "article": "the document itself, naming no source",
}


def claimant_words(figure: dict[str, Any]) -> str:
    """Who states a figure, in words: `Jasmine O'Connor (Anti-Slavery International; a person,
    quoted)`, with whoever relays the words and whether the passage is in the figure's sentence."""
    org = figure.get("claimant_organisation")
    parts = [org] if isinstance(org, str) and org else []
    if figure["claimant_kind"] not in ("report", "statistics"):  # the name says it already
        parts.append(CLAIMANT_KINDS.get(figure["claimant_kind"], figure["claimant_kind"]))
    via = figure.get("claimant_via")
    if isinstance(via, str) and via:
        parts.append(f"relayed by {via}")
    if figure.get("claimant_basis") == "context":
        parts.append("named before the figure's sentence")
    return f"{figure['claimant_name']} ({'; '.join(parts)})" if parts else figure["claimant_name"]


def format_value(value: float, unit: str, qualifier: str | None = None) -> str:
    """A value as a reader would write it: `more than 1,000`, `41%`, `0.1667`, `2×`."""
    from figtrace.checks import HEDGE_WORDS

    if unit == "percent":
        text = f"{value:,.4g}%"
    elif unit == "factor":
        text = f"{value:.4g}×"
    elif unit == "proportion":
        text = f"{value:.4g}"
    else:
        text = f"{value:,.6g}" if value != int(value) else f"{int(value):,}"
    hedge = HEDGE_WORDS.get(qualifier or "", "")
    return f"{hedge} {text}" if hedge else text


def derived_words(d: dict[str, Any]) -> str:
    """A derived value at the precision its interval supports, with the interval: `5,170
    (5,100–5,230 from its inputs' rounding)`; `169 (exact)` when the inputs are exact."""
    from figtrace.derived import round_to

    low, high, decimals = d.get("low"), d.get("high"), d.get("decimals")
    if decimals is None or (not isinstance(decimals, str) and pd.isna(decimals)):
        if low is not None and high is not None and low == high:
            return f"{display.number(d['value'], d['unit'])} (exact)"
        low_text = "no lower end" if low is None else display.number(low, d["unit"])
        high_text = "no upper end" if high is None else display.number(high, d["unit"])
        return f"{display.number(d['value'], d['unit'])} ({low_text} to {high_text})"
    n = int(decimals)
    shown = display.number(round_to(d["value"], n), d["unit"])
    span = "–".join(
        display.number(round_to(v, n, direction), d["unit"])
        for v, direction in ((low, "down"), (high, "up"))
    )
    return f"{shown} ({span} from its inputs' rounding)"


def _shown_figure(f: dict[str, Any]) -> str:
    """A figure's line in a chain: as its source states it, the value in its unit, the hedge."""
    value, unit, qualifier = f["value"], f["unit"], f["qualifier"]
    if not f.get("stated"):
        return f"{format_value(value, unit, qualifier)} ({unit})"
    hedge = f", hedge {qualifier}" if qualifier else ""
    return f"{display.stated(f['stated'], value, unit, qualifier)} (value {value:g} {unit}{hedge})"


def format_chain(
    c: dict[str, Any], mark: Callable[[str], str] = lambda s: f"⟦{s}⟧", indent: str = ""
) -> str:
    """The chain as the text `figtrace trace` prints; `mark` highlights the quoted number."""
    lines: list[str] = []
    add = lines.append
    if c["type"] == "figure":
        f, d, r, i = c["figure"], c["document"], c["report"], c["indicator"]
        add(f"{indent}{f['figure_id']}: {_shown_figure(f)}")
        add(f"{indent}  meaning    {f['label']}")
        add(f"{indent}  indicator  {f['indicator']}: {i['name'] if i else '?'}")
        add(
            f"{indent}  population {f['population']}; geography {f['geography']}; period {f['period'] or 'not stated'}"
        )
        if f.get("period_note"):
            add(f"{indent}             ({f['period_note']})")
        if f.get("note"):
            add(f"{indent}  note       {f['note']}")
        passage = (f["prefix"] + mark(f["quote"]) + f["suffix"]).replace("\n", " ⏎ ")
        add(f"{indent}  passage    …{passage}…")
        where = f"page {f['page']}, " if f.get("page") is not None else ""
        if f.get("element_path"):
            where = f"element {f['element_path']}, "
        add(f"{indent}  position   {where}characters {f['start']}–{f['end']} of {f['doc_id']}")
        add(f"{indent}  document   {document_name(d['title'], d.get('description'), d['doc_id'])}")
        add(
            f"{indent}             publisher {d['publisher'] or 'not stated'}; published {d['date_published'] or 'not stated'}"
        )
        add(f"{indent}             url {d['url'] or 'not stated'}")
        add(f"{indent}             path {d['path']}; sha256 {d['sha256']}")
        add(f"{indent}  stated by  {claimant_words(f)}")
        claim = (f["claimant_prefix"] + mark(f["claimant_quote"]) + f["claimant_suffix"]).replace(
            "\n", " ⏎ "
        )
        add(
            f"{indent}             …{claim}… (characters {f['claimant_start']}–{f['claimant_end']})"
        )
        if r:
            name = Report(**r).display_name()
            add(f"{indent}  report     {name} [{r['report_id']}]")
            if r.get("inference_basis"):
                add(f"{indent}             (inferred: {' '.join(r['inference_basis'].split())})")
        else:
            add(f"{indent}  report     none named: the passage ties the figure to no report")
    else:
        dv = c["derived"]
        how = "derived, true by construction" if dv.get("by_construction") else "derived"
        add(f"{indent}{dv['derived_id']}: {derived_words(dv)} ({dv['unit']}, {how})")
        add(f"{indent}  meaning    {dv['label']}")
        add(f"{indent}  formula    {dv['formula']}")
        add(f"{indent}           = {dv['expression']} = {format_value(dv['value'], dv['unit'])}")
        add(f"{indent}  why        {dv['description']}")
        add(f"{indent}  inputs:")
        for sub in c["inputs"]:
            add(format_chain(sub, mark, indent + "    "))
    return "\n".join(lines)


PLACEHOLDER = re.compile(r"\{([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?::([a-z,]+))?\}")
FORMATS = {"bare", "percent", "int", "low", "high"}


def value_of(ledger: Ledger, ref: str) -> tuple[float, str, str | None]:
    """(value, unit, qualifier) of a figure_id or derived_id."""
    if ref in ledger.figures.index:
        row = ledger.figures.loc[ref]
        qualifier = None if pd.isna(row["qualifier"]) else row["qualifier"]
        return float(row["value"]), row["unit"], qualifier
    if ref in ledger.derived.index:
        row = ledger.derived.loc[ref]
        return float(row["value"]), row["unit"], None
    chain(ledger, ref)  # raises the error with a suggestion
    raise AssertionError("unreachable")


def derived_interval(ledger: Ledger, ref: str) -> tuple[float | None, float | None, int | None]:
    """(low, high, decimals) of a derived figure: the interval its inputs' rounding allows and
    the decimals it supports (figtrace.derived); (None, None, None) for anything else."""
    if ref not in ledger.derived.index or "low" not in ledger.derived.columns:
        return None, None, None
    row = ledger.derived.loc[ref]

    def known(v: Any) -> Any:
        return None if v is None or pd.isna(v) else v

    decimals = known(row["decimals"])
    return known(row["low"]), known(row["high"]), None if decimals is None else int(decimals)


def stated_of(ledger: Ledger, ref: str) -> str | None:
    """A figure's stated form (the source's words for it); None for a derived figure."""
    if ref in ledger.figures.index and "stated" in ledger.figures.columns:
        return str(ledger.figures.loc[ref, "stated"])
    return None


def format_ref(ledger: Ledger, ref: str, spec: str | None = None) -> str:
    """A ledger value as text; `spec` is a comma list of: bare (no hedge), percent (a
    proportion shown as a percentage, one decimal), int (rounded to a whole number), low / high
    (a derived figure's interval end). A derived value is printed only as precisely as its
    interval supports (5,165.85 with an interval of ±63 is 5,170)."""
    from figtrace.derived import round_to

    value, unit, qualifier = value_of(ledger, ref)
    options = set(spec.split(",")) if spec else set()
    unknown = options - FORMATS
    if unknown:
        raise FigtraceError(
            f"{{{ref}:{spec}}}: unknown format {', '.join(sorted(unknown))}; use {', '.join(sorted(FORMATS))}."
        )
    low, high, decimals = derived_interval(ledger, ref)
    for end, bound, direction in (("low", low, "down"), ("high", high, "up")):
        if end in options:
            if bound is None:
                raise FigtraceError(f"{{{ref}:{spec}}}: {ref!r} has no {end} end to show.")
            value = bound if decimals is None else round_to(bound, decimals, direction)
    if decimals is not None:
        if not options & {"low", "high"}:
            value = round_to(value, decimals)
        return display.normalised(value, unit, None if "bare" in options else qualifier)
    return display.shown(value, unit, qualifier, stated_of(ledger, ref), options - {"low", "high"})


def render_template(
    template: str, ledger: Ledger, render: Callable[[str, str], str] = lambda ref, text: text
) -> str:
    """Fill `{figure_id}` / `{derived_id:format}` placeholders with values from the ledger.

    `render(ref, text)` wraps each value: plain text for images and CSV, a provenance link in
    HTML. Text outside placeholders is passed through unchanged (escape it before, for HTML).
    """
    return PLACEHOLDER.sub(
        lambda m: render(m.group(1), format_ref(ledger, m.group(1), m.group(2))), template
    )


def template_refs(template: str) -> list[str]:
    """The ids a template uses, in order of first use."""
    return list(dict.fromkeys(PLACEHOLDER.findall(template)))
