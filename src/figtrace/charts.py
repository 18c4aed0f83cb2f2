"""Charts drawn from the figure ledger only, each carrying the sources of every mark.

A chart definition (workflow/charts.yaml) selects ledger entries by id; this module looks the
values up, draws them in the shared style and writes, per chart, PNG/SVG/PDF, a CSV of exactly
the values plotted and a JSON sidecar tracing each value to its anchored passage.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from figtrace import display, outputs
from figtrace.documents import UNTITLED_NOTE, document_name
from figtrace.errors import FigtraceError
from figtrace.provenance import (
    Ledger,
    format_ref,
    load_ledger,
    render_template,
    template_refs,
)
from figtrace.registries import load_yaml

FORMATS = ("png", "svg", "pdf", "csv", "json")
KINDS = ("bars", "dumbbell", "ledger_counts")
PNG_DPI = 300  # the raster charts' resolution (the gallery page states it)
# A hedge that bounds the value from below or above is drawn as an arrow in that direction;
# emphasis ("only", "just") is not a range and is drawn as the plain value.
HEDGE_UP = {"more_than", "over", "at_least"}
HEDGE_DOWN = {"under", "less_than", "fewer_than", "up_to", "nearly", "almost"}
HEDGE_ABOUT = {"around", "approximately", "about"}
LOCAL = re.compile(r"\{@([a-z-]+)\}")
CSV_COLUMNS = [
    "chart_id", "panel", "row", "ref", "ref_type", "field", "label", "value", "unit",
    "qualifier", "shown", "period", "report_id", "doc_id", "status", "figure_ids",
]  # fmt: skip

# Layout, in inches and points: a chart is a column of text wide.
WIDTH = 4.5
MARGIN_L, MARGIN_R = 0.1, 0.15
TITLE_PT, TEXT_PT = 9.5, 8.0
LINE = TEXT_PT * 1.3 / 72
BAR_H = 0.15


def _none(value: Any) -> Any:
    return (
        None
        if value is None or (not isinstance(value, str | list | dict) and pd.isna(value))
        else value
    )


def hedge_words(qualifier: str | None) -> str | None:
    """The hedge a chart must show (range hedges only), or None for plain or emphatic values."""
    if qualifier in HEDGE_UP | HEDGE_DOWN | HEDGE_ABOUT:
        return qualifier
    return None


# --- definitions ------------------------------------------------------------------------------


def load_definitions(path: Path) -> list[dict[str, Any]]:
    """Read the chart definitions; every chart needs an id, a known kind, a title and a caption."""
    data = load_yaml(path)
    charts = data.get("charts") if isinstance(data, dict) else None
    if not isinstance(charts, list) or not charts:
        raise FigtraceError(f"{path}: expected a top-level `charts:` list of chart definitions.")
    seen: set[str] = set()
    for i, chart in enumerate(charts):
        where = f"{path}: chart {i + 1}"
        if not isinstance(chart, dict) or not re.fullmatch(
            r"[a-z0-9-]+", str(chart.get("chart_id", ""))
        ):
            raise FigtraceError(
                f"{where}: needs a chart_id of lower-case letters, digits and hyphens."
            )
        cid = chart["chart_id"]
        if cid in seen:
            raise FigtraceError(f"{path}: chart_id {cid!r} appears twice; ids must be unique.")
        seen.add(cid)
        if chart.get("kind") not in KINDS:
            raise FigtraceError(
                f"{path}: chart {cid!r}: kind must be one of {', '.join(KINDS)}, not {chart.get('kind')!r}."
            )
        for key in ("title", "caption", "alt"):
            if not isinstance(chart.get(key), str) or not chart[key].strip():
                raise FigtraceError(
                    f"{path}: chart {cid!r}: `{key}` is missing; every chart states its finding, caption and alt text."
                )
        if chart["kind"] == "bars" and not chart.get("panels"):
            raise FigtraceError(
                f"{path}: chart {cid!r}: a bars chart needs `panels` with `rows` of ledger ids."
            )
        if chart["kind"] == "dumbbell" and not chart.get("checks"):
            raise FigtraceError(
                f"{path}: chart {cid!r}: a dumbbell chart needs `checks` (check_ids)."
            )
    return charts


def chart_ids(path: Path) -> list[str]:
    """The chart ids of a definition file, in display order (the Snakemake rule's outputs)."""
    return [c["chart_id"] for c in load_definitions(path)]


# --- values: every mark traced to its passage -------------------------------------------------


def figure_source(ledger: Ledger, figure_id: str) -> dict[str, Any]:
    """Where a figure comes from: document, bytes and the W3C anchor of its passage."""
    row = ledger.figures.loc[figure_id]
    return {
        "figure_id": figure_id,
        "doc_id": row["doc_id"],
        "report_id": _none(row["report_id"]),
        "sha256": row["sha256"],
        "anchor": {
            "exact": row["quote"],
            "prefix": row["prefix"],
            "suffix": row["suffix"],
            "start": int(row["start"]),
            "end": int(row["end"]),
        },
    }


def _value(ledger: Ledger, ref: str, label: str) -> dict[str, Any]:
    """A plotted ledger value (figure or derived) with its provenance."""
    if ref in ledger.figures.index:
        row = ledger.figures.loc[ref]
        source = figure_source(ledger, ref)
        return {
            "ref": ref, "ref_type": "figure", "field": "value", "label": label,
            "value": float(row["value"]), "unit": row["unit"], "qualifier": _none(row["qualifier"]),
            "period": _none(row["period"]), "doc_id": row["doc_id"], "report_id": _none(row["report_id"]),
            "anchor": source["anchor"], "sha256": row["sha256"], "sources": [source],
        }  # fmt: skip
    if ref in ledger.derived.index:
        row = ledger.derived.loc[ref]
        sources = [figure_source(ledger, f) for f in row["source_figures"].split(";")]
        return {
            "ref": ref, "ref_type": "derived", "field": "value", "label": label,
            "value": float(row["value"]), "unit": row["unit"], "qualifier": None, "period": None,
            "doc_id": None, "report_id": None, "anchor": None, "sha256": None,
            "formula": row["formula"], "expression": row["expression"], "sources": sources,
        }  # fmt: skip
    format_ref(ledger, ref)  # raises with a suggestion
    raise AssertionError("unreachable")


def _shown(ledger: Ledger, value: dict[str, Any]) -> str:
    """The value as printed on the chart (figtrace.display): a figure as its source states it
    with its normalised value, an implied value at a sensible precision."""
    return format_ref(ledger, value["ref"])


@dataclass
class Panel:
    """One axis of a chart: a unit, an axis label and the rows drawn on it."""

    title: str | None
    axis: str
    unit: str
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Chart:
    """A chart ready to draw: its texts, panels and every value it plots."""

    chart_id: str
    kind: str
    title_template: str
    caption_template: str
    alt_template: str
    panels: list[Panel]
    share_x: bool = False
    values: list[dict[str, Any]] = field(default_factory=list)
    source_line: str = ""


def _report_name(ledger: Ledger, report_id: str | None) -> str:
    if report_id is None:
        return "No report named (quotes, unnamed research, the articles' own statements)"
    # a year no document states is left out: a chart has no room for its basis
    return ledger.reports[report_id].display_name(short=True, inferred=False)


def _document_name(ledger: Ledger, doc_id: str) -> str:
    doc = ledger.documents.loc[doc_id]
    title = _none(doc["title"])
    if title:
        return f"“{title}”"
    description = _none(doc.get("description"))
    return (
        document_name(None, description, doc_id) if description else f"untitled article [{doc_id}]"
    )


def _bars(defn: dict[str, Any], ledger: Ledger, where: str) -> list[Panel]:
    panels = []
    for p, spec in enumerate(defn["panels"]):
        title = spec.get("title")
        if spec.get("report"):
            if spec["report"] not in ledger.reports:
                raise FigtraceError(
                    f"{where}: panel {p + 1}: report {spec['report']!r} is not in reports.yaml."
                )
            title = _report_name(ledger, spec["report"])
        rows, units = [], set()
        for spec_row in spec.get("rows") or []:
            ref = spec_row.get("ref") if isinstance(spec_row, dict) else None
            if not ref:
                raise FigtraceError(
                    f"{where}: panel {p + 1}: every row needs `ref: <figure_id or derived_id>`."
                )
            try:
                default = (
                    ledger.figures.loc[ref, "label"]
                    if ref in ledger.figures.index
                    else ledger.derived.loc[ref, "label"]
                )
            except KeyError:
                format_ref(ledger, ref)  # the ledger's error, with a suggestion
                raise
            label = render_template(spec_row.get("label") or default, ledger)
            value = _value(ledger, ref, label)
            if (
                spec.get("report")
                and value["ref_type"] == "figure"
                and value["report_id"] != spec["report"]
            ):
                raise FigtraceError(
                    f"{where}: {ref} is from report {value['report_id']!r}, not the panel's {spec['report']!r}."
                )
            value["shown"] = _shown(ledger, value)
            meta = []
            if value["ref_type"] == "derived":
                meta.append(f"implied ({value['expression']}), not stated")
            else:
                meta.append(
                    f"period: {value['period']}" if value["period"] else "period not stated"
                )
            if spec_row.get("note"):
                meta.append(render_template(spec_row["note"], ledger))
            value["meta"] = "; ".join(meta)
            rows.append(value)
            units.add(value["unit"])
        if len(units) != 1:
            raise FigtraceError(
                f"{where}: panel {p + 1} mixes units {sorted(units)}; different measures never share an axis. Put them in separate panels."
            )
        panels.append(Panel(title, spec.get("axis", ""), units.pop(), rows))
    if defn.get("share_x") and len({p.unit for p in panels}) != 1:
        raise FigtraceError(f"{where}: share_x needs every panel in one unit.")
    return panels


def _dumbbell(
    defn: dict[str, Any], ledger: Ledger, checks: pd.DataFrame, where: str
) -> list[Panel]:
    rows = []
    for spec in defn["checks"]:
        cid = spec.get("check_id")
        if cid not in checks.index:
            raise FigtraceError(
                f"{where}: check {cid!r} is not in checks.parquet (data/raw/checks.yaml)."
            )
        check = checks.loc[cid]
        if pd.isna(check["stated_value"]) or pd.isna(check["computed_value"]):
            raise FigtraceError(
                f"{where}: check {cid!r} is a {check['kind']} check with no stated and computed value to plot."
            )
        stated_ref, computed_ref = check["inputs"].split(";")[:2]
        stated, computed = _value(ledger, stated_ref, ""), _value(ledger, computed_ref, "")
        label = render_template(spec.get("label") or check["description"], ledger)
        common = {
            "ref": cid,
            "ref_type": "check",
            "label": label,
            "unit": check["unit"],
            "status": check["status"],
        }
        computed_how = computed.get("expression") or "stated beside it"
        row_stated = {
            **common, "field": "stated_value", "value": float(check["stated_value"]),
            "qualifier": _none(check["stated_qualifier"]), "input_ref": stated_ref,
            "period": stated["period"], "doc_id": stated["doc_id"], "report_id": stated["report_id"],
            "anchor": stated["anchor"], "sha256": stated["sha256"], "sources": stated["sources"],
            "shown": format_ref(ledger, stated_ref),
        }  # fmt: skip
        row_computed = {
            **common, "field": "computed_value", "value": float(check["computed_value"]),
            "qualifier": None, "input_ref": computed_ref, "period": computed["period"],
            "doc_id": computed["doc_id"], "report_id": computed["report_id"],
            "anchor": computed["anchor"], "sha256": computed["sha256"], "sources": computed["sources"],
            "shown": f"{computed_how}{':' if computed_how.startswith('stated') else ' ='} {display.approximate(float(check['computed_value']), check['unit'])}",
        }  # fmt: skip
        period = stated["period"]
        row_stated["meta"] = f"check {check['status'].upper()} ({cid}); " + (
            f"period: {period}" if period else "period not stated"
        )
        rows.append({"stated": row_stated, "computed": row_computed})
    units = {r["stated"]["unit"] for r in rows}
    if len(units) != 1:
        raise FigtraceError(
            f"{where}: the checks are in different units {sorted(units)}; one chart per unit."
        )
    return [Panel(None, defn.get("axis", ""), units.pop(), rows)]


def _ledger_counts(defn: dict[str, Any], ledger: Ledger) -> tuple[list[Panel], dict[str, str]]:
    figures = ledger.figures
    panels, local = [], {}
    groups = [
        ("By source report", "report_id", lambda k: _report_name(ledger, k)),
        ("By article", "doc_id", lambda k: _document_name(ledger, k)),
    ]
    for title, column, name in groups:
        keys = [_none(k) for k in figures[column]]
        groups_ids: dict[str | None, list[str]] = {}
        for key, fid in zip(keys, figures.index, strict=True):
            groups_ids.setdefault(key, []).append(fid)
        counts = [(key, sorted(ids)) for key, ids in groups_ids.items()]
        counts.sort(key=lambda kv: (-len(kv[1]), name(kv[0])))
        rows = []
        for key, ids in counts:
            label = name(key)
            rows.append({
                "ref": f"ledger_count:{column}:{key if key is not None else 'none'}",
                "ref_type": "ledger_count", "field": column, "label": label,
                "value": float(len(ids)), "unit": "count", "qualifier": None, "period": None,
                "doc_id": key if column == "doc_id" else None,
                "report_id": key if column == "report_id" else None,
                "anchor": None, "sha256": None, "figure_ids": ids,
                "sources": [figure_source(ledger, f) for f in ids],
                "shown": f"{len(ids):,}", "meta": "",
            })  # fmt: skip
        panels.append(Panel(title, defn.get("axis", ""), "count", rows))
    top = panels[0].rows
    best = [r for r in top if r["value"] == top[0]["value"]]
    local["top-group"] = " and ".join(r["label"] for r in best)
    local["top-count"] = f"{int(top[0]['value']):,}"
    local["total"] = f"{len(figures):,}"
    return panels, local


def _fill_local(template: str, local: dict[str, str], where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in local:
            raise FigtraceError(
                f"{where}: {{@{m.group(1)}}} is not a count this chart computes ({', '.join(sorted(local)) or 'none'})."
            )
        return local[m.group(1)]

    return LOCAL.sub(sub, template)


def _flat(template: str) -> str:
    return " ".join(template.split())


def _date(date: str | None, precision: str | None) -> str:
    """A date only as precise as known: 2009, September 2018, 15 November 2016."""
    if not date or precision in (None, "unknown"):
        return "date not stated"
    parts = str(date).split("-")
    months = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]  # fmt: skip
    if precision == "day" and len(parts) == 3:
        return f"{int(parts[2])} {months[int(parts[1]) - 1]} {parts[0]}"
    if precision == "month" and len(parts) >= 2:
        return f"{months[int(parts[1]) - 1]} {parts[0]}"
    return parts[0]


def _sources(chart: Chart) -> tuple[list[str | None], list[str]]:
    reports, docs = {}, {}
    for value in chart.values:
        for source in value["sources"]:
            reports[source["report_id"]] = None
            docs[source["doc_id"]] = None
    return list(reports), list(docs)


def source_line(chart: Chart, ledger: Ledger) -> str:
    """The line drawn on the chart naming the original reports and the articles."""
    reports, docs = _sources(chart)
    named = [_report_name(ledger, r) for r in reports if r is not None]
    articles = []
    for d in docs:
        doc = ledger.documents.loc[d]
        publisher = _none(doc["publisher"])
        when = _date(_none(doc["date_published"]), _none(doc["date_precision"]))
        description = _none(doc.get("description"))
        if not (_none(doc["title"]) or publisher) and description:
            # named by its description: the date joins the note that says so
            articles.append(f"“{description}” ({UNTITLED_NOTE}; {when})")
        else:
            name = _document_name(ledger, d)
            articles.append(f"{name}{', ' + publisher if publisher else ''} ({when})")
    head = f"Source: {'; '.join(named)}, as reported in " if named else "Source: "
    return f"{head}{'; '.join(articles)}. Chart: figtrace, from its figure ledger."


def citation(chart: dict[str, Any], ledger: Ledger) -> str:
    """A ready-to-paste citation: chart title, figtrace, the reports and articles with dates."""
    reports = dict.fromkeys(s["report_id"] for v in chart["values"] for s in v["sources"])
    docs = dict.fromkeys(s["doc_id"] for v in chart["values"] for s in v["sources"])
    parts = []
    for rid in reports:
        if rid is None:
            continue
        r = ledger.reports[rid]
        producer = f"{r.producer}, " if r.producer else ""
        parts.append(f"{producer}{r.title} ({_date(r.date_published, r.date_precision)})")
    arts = []
    for d in docs:
        doc = ledger.documents.loc[d]
        publisher = _none(doc["publisher"])
        url = _none(doc["url"])
        when = _date(_none(doc["date_published"]), _none(doc["date_precision"]))
        arts.append(
            f"{_document_name(ledger, d)}{', ' + publisher if publisher else ''}, {when}{', ' + url if url else ''}"
        )
    data = f" Data: {'; '.join(parts)}." if parts else ""
    return f"“{chart['title']}”. Chart by figtrace from its figure ledger ({chart['chart_id']}).{data} As reported in: {'; '.join(arts)}."


def build_chart(defn: dict[str, Any], ledger: Ledger, checks: pd.DataFrame, where: str) -> Chart:
    """Resolve a definition against the ledger: panels, values and filled-in texts."""
    kind, local = defn["kind"], {}
    if kind == "bars":
        panels = _bars(defn, ledger, where)
    elif kind == "dumbbell":
        panels = _dumbbell(defn, ledger, checks, where)
    else:
        panels, local = _ledger_counts(defn, ledger)
    chart = Chart(
        chart_id=defn["chart_id"], kind=kind,
        title_template=_fill_local(_flat(defn["title"]), local, where),
        caption_template=_fill_local(_flat(defn["caption"]), local, where),
        alt_template="", panels=panels, share_x=bool(defn.get("share_x")),
    )  # fmt: skip
    for p, panel in enumerate(panels):
        for r, row in enumerate(panel.rows):
            items = [row["stated"], row["computed"]] if kind == "dumbbell" else [row]
            for item in items:
                chart.values.append({"panel": p, "row": r, **item})
    for template in (chart.title_template, chart.caption_template):
        for ref in template_refs(template):
            format_ref(ledger, ref[0], ref[1] or None)  # unknown id or format stops the build
    chart.alt_template = _flat(defn["alt"]) + " " + _alt_listing(chart)
    chart.source_line = source_line(chart, ledger)
    return chart


def _alt_listing(chart: Chart) -> str:
    """Every plotted value in words, ids as placeholders so the report can link them."""
    parts = []
    for p, panel in enumerate(chart.panels):
        items = [v for v in chart.values if v["panel"] == p]
        head = f"{panel.title}: " if panel.title else ""
        words = []
        for v in items:
            shown = f"{{{v['ref']}}}" if v["ref_type"] == "figure" else v["shown"]
            if v["ref_type"] == "check":
                words.append(f"{v['label']}, {v['field'].split('_')[0]} {shown} ({v['status']})")
            else:
                words.append(f"{v['label']}: {shown}")
        parts.append(head + "; ".join(words) + ".")
    return " ".join(parts)


# --- drawing ----------------------------------------------------------------------------------


def _wrap(text: str, inches: float, points: float) -> list[str]:
    """Wrap text to a width in inches (DejaVu Sans averages about 0.55 em per character)."""
    chars = max(12, int(inches * 72 / (points * 0.56)))
    return textwrap.wrap(text, chars, break_on_hyphens=False) or [""]


def _colours() -> list[str]:
    import matplotlib

    return matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]


def _nice_max(vmax: float, unit: str, hedged_up: bool) -> float:
    """The axis end: 100 for shares, else room past the longest bar for its label (and arrow)."""
    if unit == "percent" and vmax <= 100:
        return 100.0
    return vmax * (1.5 if hedged_up else 1.3) if vmax > 0 else 1.0


def _dumbbell_key(fig: Any, top: float, stated: str, colours: list[str]) -> None:
    """The key of a dumbbell chart: open = stated in words, filled = computed, colour = status."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], ls="", marker="o", mfc="white", mec=stated, mew=1.3, ms=7, label="stated"),
        Line2D([], [], ls="", marker="o", color=colours[2], ms=6, label="computed: pass"),
        Line2D([], [], ls="", marker="o", color=colours[1], ms=6, label="warn"),
        Line2D([], [], ls="", marker="o", color=colours[3], ms=6, label="fail"),
    ]
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(MARGIN_L / WIDTH - 0.01, top),
               ncol=4, frameon=False, handletextpad=0.2, columnspacing=1.0, borderaxespad=0,
               borderpad=0, fontsize=TEXT_PT)  # fmt: skip


def _hedge_arrow(
    ax: Any, x: float, y: float, qualifier: str | None, span: float, colour: str
) -> float:
    """Draw a hedge as an arrow from the value in the direction of the range; return the label x."""
    hedge = hedge_words(qualifier)
    length = span * 0.07
    if hedge in HEDGE_UP:
        ax.annotate("", xy=(x + length, y), xytext=(x, y),
                    arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.0, "shrinkA": 0, "shrinkB": 0})  # fmt: skip
        return x + length
    if hedge in HEDGE_DOWN:
        ax.annotate("", xy=(x - length, y), xytext=(x, y),
                    arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.0, "shrinkA": 0, "shrinkB": 0})  # fmt: skip
    return x


def draw(chart: Chart, ledger: Ledger) -> Any:
    """Draw a chart on a new matplotlib Figure (no pyplot state); the style must be active."""
    import matplotlib.ticker
    from matplotlib.figure import Figure

    colours = _colours()
    stated, implied, status_colour = (
        colours[0],
        colours[1],
        {"pass": colours[2], "warn": colours[1], "fail": colours[3]},
    )
    inner = WIDTH - MARGIN_L - MARGIN_R
    title_lines = _wrap(render_template(chart.title_template, ledger), inner, TITLE_PT)
    source_lines = _wrap(chart.source_line, inner, TEXT_PT)
    title_h = len(title_lines) * TITLE_PT * 1.3 / 72 + 0.12
    source_h = len(source_lines) * LINE + 0.1

    # Each row: label lines, meta lines, then the mark; heights in inches.
    layouts = []
    for panel in chart.panels:
        rows = []
        for row in panel.rows:
            first = row["stated"] if chart.kind == "dumbbell" else row
            label = _wrap(first["label"], inner, TEXT_PT)
            meta = _wrap(first["meta"], inner, TEXT_PT) if first["meta"] else []
            mark = 0.62 if chart.kind == "dumbbell" else BAR_H + 0.1
            rows.append((label, meta, len(label) * LINE + len(meta) * LINE + mark + 0.06))
        heading = _wrap(panel.title, inner, TEXT_PT) if panel.title else []
        header = len(heading) * LINE + 0.1 if heading else 0.04
        layouts.append((heading, header, rows, sum(h for *_, h in rows)))
    axis_h = 0.42
    key_h = 0.26 if chart.kind == "dumbbell" else 0.0
    height = (
        0.1
        + title_h
        + key_h
        + sum(h + body + axis_h for _, h, _, body in layouts)
        + source_h
        + 0.05
    )

    fig = Figure(figsize=(WIDTH, height))
    y = height - 0.1
    for line in title_lines:
        fig.text(MARGIN_L / WIDTH, y / height, line, fontsize=TITLE_PT, fontweight="bold", va="top")
        y -= TITLE_PT * 1.3 / 72
    y -= 0.12
    if key_h:
        _dumbbell_key(fig, y / height, stated, colours)
        y -= key_h

    share = max((v["value"] for v in chart.values), default=1.0) if chart.share_x else None
    for panel, (heading, header, rows, body) in zip(chart.panels, layouts, strict=True):
        for i, line in enumerate(heading):
            fig.text(
                MARGIN_L / WIDTH,
                (y - 0.04 - i * LINE) / height,
                line,
                fontsize=TEXT_PT,
                fontweight="bold",
                va="top",
            )
        y -= header
        ax = fig.add_axes((MARGIN_L / WIDTH, (y - body) / height, inner / WIDTH, body / height))
        ax.set_ylim(body, 0)
        ax.set_yticks([])
        vmax = (
            share
            if share is not None
            else max(
                max(r["stated"]["value"], r["computed"]["value"])
                if chart.kind == "dumbbell"
                else r["value"]
                for r in panel.rows
            )
        )
        items = [r["stated"] for r in panel.rows] if chart.kind == "dumbbell" else panel.rows
        if share is not None:  # one scale for every panel, room for any panel's hedge arrow
            items = [v for v in chart.values if v["field"] != "computed_value"]
        up = any(hedge_words(r["qualifier"]) in HEDGE_UP for r in items)
        xmax = _nice_max(vmax, panel.unit, up)
        ax.set_xlim(0, xmax)
        ax.set_xlabel(panel.axis, labelpad=2)
        ax.xaxis.set_major_formatter(
            matplotlib.ticker.FuncFormatter(
                lambda v, _: f"{v:,.0f}" if v >= 10 or v == 0 else f"{v:g}"
            )
        )
        top = 0.0
        for row, (label, meta, h) in zip(panel.rows, rows, strict=True):
            ty = _row_text(ax, label, top + 0.03, "#222222")
            ty = _row_text(ax, meta, ty, "#555555")
            if chart.kind == "dumbbell":
                _draw_dumbbell_row(ax, row, ty, xmax, stated, status_colour)
            else:
                _draw_bar(ax, row, ty + 0.03 + BAR_H / 2, xmax, stated, implied)
            top += h
        y -= body + axis_h

    sy = 0.05 + source_h - 0.05
    for line in source_lines:
        fig.text(MARGIN_L / WIDTH, sy / height, line, fontsize=TEXT_PT, va="top", color="#444444")
        sy -= LINE
    return fig


def _row_text(ax: Any, lines: list[str], ty: float, colour: str) -> float:
    """Draw a row's text lines from `ty` down at the axes' left edge; return the y below them."""
    for line in lines:
        ax.text(
            0,
            ty,
            line,
            fontsize=TEXT_PT,
            va="top",
            transform=ax.get_yaxis_transform(),
            color=colour,
        )
        ty += LINE
    return ty


def _draw_bar(
    ax: Any, row: dict[str, Any], yc: float, xmax: float, stated: str, implied: str
) -> None:
    value, derived = row["value"], row["ref_type"] == "derived"
    hedged = hedge_words(row["qualifier"]) is not None
    colour = implied if derived else stated
    ax.barh(yc, value, height=BAR_H, left=0, color="white" if (derived or hedged) else colour,
            edgecolor=colour, hatch="////" if derived else None, linewidth=1.0)  # fmt: skip
    end = _hedge_arrow(ax, value, yc, row["qualifier"], xmax, colour)
    ax.text(end + xmax * 0.012, yc, row["shown"], va="center", ha="left", fontsize=TEXT_PT,
            color="#222222", fontweight="bold")  # fmt: skip


def _draw_dumbbell_row(
    ax: Any, row: dict[str, Any], ty: float, xmax: float, stated: str, status_colour: dict[str, str]
) -> None:
    s, c = row["stated"], row["computed"]
    yc = ty + 0.3
    colour = status_colour.get(s["status"], "#222222")
    ax.plot([s["value"], c["value"]], [yc, yc], color="#999999", lw=1.5, zorder=1)
    ax.plot([c["value"]], [yc], "o", color=colour, ms=6, zorder=3)
    ax.plot([s["value"]], [yc], "o", mfc="white", mec=stated, mew=1.3, ms=7, zorder=4)
    _hedge_arrow(ax, s["value"], yc, s["qualifier"], xmax, stated)
    left = s["value"] > xmax * 0.6
    for item, dy, va in ((s, -0.1, "bottom"), (c, 0.1, "top")):
        x = item["value"]
        ax.text(x, yc + dy, item["shown"], fontsize=TEXT_PT, va=va, ha="right" if left else "left",
                color=stated if item is s else "#222222")  # fmt: skip


# --- files ------------------------------------------------------------------------------------


def _csv(chart: Chart) -> pd.DataFrame:
    rows = []
    for v in chart.values:
        rows.append({
            "chart_id": chart.chart_id, "panel": v["panel"], "row": v["row"], "ref": v["ref"],
            "ref_type": v["ref_type"], "field": v["field"], "label": v["label"], "value": v["value"],
            "unit": v["unit"], "qualifier": v["qualifier"], "shown": v["shown"], "period": v["period"],
            "report_id": v["report_id"], "doc_id": v["doc_id"], "status": v.get("status"),
            "figure_ids": ";".join(s["figure_id"] for s in v["sources"]),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=CSV_COLUMNS)


def sidecar(chart: Chart, ledger: Ledger) -> dict[str, Any]:
    """The JSON sidecar: texts (rendered and as templates), files, and every plotted value."""
    keep = ("panel", "row", "ref", "ref_type", "field", "label", "value", "unit", "qualifier",
            "shown", "period", "doc_id", "report_id", "anchor", "sha256", "status", "input_ref",
            "formula", "expression", "figure_ids", "sources")  # fmt: skip
    data = {
        "chart_id": chart.chart_id,
        "kind": chart.kind,
        "title": render_template(chart.title_template, ledger),
        "title_template": chart.title_template,
        "caption": render_template(chart.caption_template, ledger),
        "caption_template": chart.caption_template,
        "alt": render_template(chart.alt_template, ledger),
        "alt_template": chart.alt_template,
        "source_line": chart.source_line,
        "files": {fmt: f"{chart.chart_id}.{fmt}" for fmt in FORMATS if fmt != "json"},
        "sidecar": f"{chart.chart_id}.json",
        "values": [{k: v[k] for k in keep if k in v} for v in chart.values],
    }
    data["citation"] = citation(data, ledger)
    return data


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_chart(chart: Chart, ledger: Ledger, out_dir: Path) -> dict[str, Any]:
    """Write the chart's PNG, SVG, PDF, CSV and JSON into `out_dir`; return its sidecar."""
    fig = draw(chart, ledger)
    metadata = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}
    for fmt, meta in metadata.items():
        outputs.atomic_write(
            out_dir / f"{chart.chart_id}.{fmt}",
            lambda tmp, fmt=fmt, meta=meta: fig.savefig(
                tmp, format=fmt, dpi=PNG_DPI, metadata=meta
            ),
        )
    outputs.write_csv(out_dir / f"{chart.chart_id}.csv", _csv(chart))
    data = sidecar(chart, ledger)
    outputs.write_text(out_dir / f"{chart.chart_id}.json", _json(data))
    return data


def gallery_html(charts: list[dict[str, Any]]) -> str:
    """The gallery page: every chart with caption, alt text, downloads and citation (escaped)."""
    from jinja2 import Environment, PackageLoader
    from markupsafe import Markup

    from figtrace.rendering import plain_text

    # finalize: every printed value has its invisible direction controls shown as tags (⟨RLO⟩),
    # in text and attributes alike, before autoescape
    env = Environment(loader=PackageLoader("figtrace", "templates"), autoescape=True,
                      keep_trailing_newline=True,
                      finalize=lambda v: v if isinstance(v, Markup) or not isinstance(v, str)
                      else plain_text(v))  # fmt: skip
    return env.get_template("charts_gallery.html.j2").render(
        charts=charts, formats=FORMATS, dpi=PNG_DPI
    )


def render_charts(
    definitions: Path,
    processed_dir: Path,
    raw_dir: Path,
    style: Path,
    out_dir: Path,
    corpus_dir: Path | None = None,
) -> list[dict[str, Any]]:
    """Build every chart in the definition file from the ledger; write files, index.json, index.html.
    `corpus_dir` holds the documents table (see `load_ledger`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.style

    ledger = load_ledger(processed_dir, raw_dir, corpus_dir)
    checks_path = Path(processed_dir) / "checks.parquet"
    if not checks_path.is_file():
        raise FigtraceError(f"{checks_path}: not built yet; run the pipeline first (`make all`).")
    checks = pd.read_parquet(checks_path).set_index("check_id", drop=False)
    if not Path(style).is_file():
        raise FigtraceError(f"{style}: chart style file not found.")
    definitions = Path(definitions)
    charts = []
    with matplotlib.style.context(str(style)):
        for defn in load_definitions(definitions):
            chart = build_chart(defn, ledger, checks, f"{definitions}: chart {defn['chart_id']!r}")
            charts.append(write_chart(chart, ledger, Path(out_dir)))
    outputs.write_text(Path(out_dir) / "index.json", _json({"charts": charts}))
    outputs.write_text(Path(out_dir) / "index.html", gallery_html(charts))
    return charts
