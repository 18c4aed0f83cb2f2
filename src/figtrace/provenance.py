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
from figtrace.display import FORMATS
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
        if r:
            add(
                f"{indent}  report     {r['producer']}, {r['title']} ({r['year'] or 'year unknown'}) [{r['report_id']}]"
            )
        else:
            add(f"{indent}  report     none: stated by the document itself")
    else:
        dv = c["derived"]
        add(
            f"{indent}{dv['derived_id']}: {display.approximate(dv['value'], dv['unit'])} "
            f"(derived; unrounded {display.unrounded(dv['value'], dv['unit'])})"
        )
        add(f"{indent}  meaning    {dv['label']}")
        add(f"{indent}  formula    {dv['formula']}")
        add(f"{indent}           = {dv['expression']}")
        add(f"{indent}  why        {dv['description']}")
        add(f"{indent}  inputs:")
        for sub in c["inputs"]:
            add(format_chain(sub, mark, indent + "    "))
    return "\n".join(lines)


PLACEHOLDER = re.compile(r"\{([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?::([a-z,]+))?\}")


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


def stated_of(ledger: Ledger, ref: str) -> str | None:
    """A figure's stated form (the source's words for it); None for a derived figure."""
    if ref in ledger.figures.index and "stated" in ledger.figures.columns:
        return str(ledger.figures.loc[ref, "stated"])
    return None


def format_ref(ledger: Ledger, ref: str, spec: str | None = None) -> str:
    """A ledger value as a reader sees it (figtrace.display): a figure's stated form with its
    normalised value, a derived figure at a sensible precision. `spec` is a comma list of: bare
    (no hedge), percent (the normalised value only, a share in per cent), int (rounded)."""
    value, unit, qualifier = value_of(ledger, ref)
    options = set(spec.split(",")) if spec else set()
    unknown = options - FORMATS
    if unknown:
        raise FigtraceError(
            f"{{{ref}:{spec}}}: unknown format {', '.join(sorted(unknown))}; use {', '.join(sorted(FORMATS))}."
        )
    return display.shown(value, unit, qualifier, stated_of(ledger, ref), options)


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
