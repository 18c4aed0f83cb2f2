"""Charts: every plotted value is a ledger value with an anchor into the hashed text; files are
byte-stable, 300 dpi, carry their source line as text, and the gallery escapes what it shows."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml
from PIL import Image

from figtrace.charts import FORMATS, load_definitions, render_charts
from figtrace.documents import UNTITLED_NOTE, load_catalogue
from figtrace.errors import FigtraceError
from figtrace.provenance import PLACEHOLDER, load_ledger, render_template

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def charts(built_project: Path) -> list[dict]:
    return json.loads((built_project / "results/charts/index.json").read_text("utf-8"))["charts"]


@pytest.fixture(scope="module")
def tables(built_project: Path) -> dict[str, pd.DataFrame]:
    processed = built_project / "data/processed"
    return {
        "figures": pd.read_parquet(processed / "figures.parquet").set_index("figure_id"),
        "derived": pd.read_parquet(processed / "derived.parquet").set_index("derived_id"),
        "checks": pd.read_parquet(processed / "checks.parquet").set_index("check_id"),
        "documents": pd.read_parquet(processed / "documents.parquet").set_index("doc_id"),
    }


def test_pipeline_writes_every_chart_file(built_project: Path, charts: list[dict]) -> None:
    ids = [c["chart_id"] for c in load_definitions(built_project / "workflow/charts.yaml")]
    assert [c["chart_id"] for c in charts] == ids
    assert len(ids) >= 5
    for chart in charts:
        for fmt in FORMATS:
            assert (
                built_project / "results/charts" / f"{chart['chart_id']}.{fmt}"
            ).stat().st_size > 0
        assert (
            json.loads((built_project / "results/charts" / chart["sidecar"]).read_text()) == chart
        )


def test_every_value_is_the_ledger_value(built_project: Path, charts, tables) -> None:
    figures, derived, checks = tables["figures"], tables["derived"], tables["checks"]
    for chart in charts:
        csv = pd.read_csv(
            built_project / "results/charts" / chart["files"]["csv"], keep_default_na=False
        )
        assert len(csv) == len(chart["values"]) > 0
        for row, value in zip(csv.itertuples(), chart["values"], strict=True):
            assert (row.ref, row.ref_type, row.field) == (
                value["ref"],
                value["ref_type"],
                value["field"],
            )
            assert row.value == value["value"]
            ref = value["ref"]
            if value["ref_type"] == "figure":
                expected = figures.loc[ref, "value"]
            elif value["ref_type"] == "derived":
                expected = derived.loc[ref, "value"]
            elif value["ref_type"] == "check":
                expected = checks.loc[ref, value["field"]]
                assert value["status"] == checks.loc[ref, "status"]
                assert value["input_ref"] in checks.loc[ref, "inputs"].split(";")
            else:
                assert value["ref_type"] == "ledger_count"
                column = value["field"]
                key = ref.split(":", 2)[2]
                mask = figures[column].isna() if key == "none" else figures[column] == key
                assert sorted(figures.index[mask]) == value["figure_ids"]
                expected = float(mask.sum())
            assert value["value"] == pytest.approx(float(expected), rel=1e-12), (
                chart["chart_id"],
                ref,
            )


def test_every_value_has_an_anchor_into_the_hashed_text(
    built_project: Path, charts, tables
) -> None:
    texts = {d.doc_id: d.text() for d in load_catalogue(built_project / "data/raw")}
    for chart in charts:
        for value in chart["values"]:
            assert value["ref"] and value["sources"], (chart["chart_id"], value["ref"])
            for source in value["sources"]:
                a, text = source["anchor"], texts[source["doc_id"]]
                assert text[a["start"] : a["end"]] == a["exact"]
                assert text[: a["start"]].endswith(a["prefix"])
                assert text[a["end"] :].startswith(a["suffix"])
                assert source["sha256"] == tables["documents"].loc[source["doc_id"], "sha256"]
            if value["ref_type"] == "figure":
                assert value["anchor"] == value["sources"][0]["anchor"]
                assert value["sources"][0]["figure_id"] == value["ref"]
            if value["ref_type"] == "derived":
                expected = tables["derived"].loc[value["ref"], "source_figures"].split(";")
                assert [s["figure_id"] for s in value["sources"]] == expected


def _svg_text(path: Path) -> str:
    root = ET.parse(path).getroot()
    return " ".join(
        "".join(el.itertext()) for el in root.iter() if el.tag.endswith("}text") and el.text
    )


def test_svg_has_source_line_and_title_as_real_text(built_project: Path, charts) -> None:
    for chart in charts:
        text = " ".join(_svg_text(built_project / "results/charts" / chart["files"]["svg"]).split())
        assert " ".join(chart["source_line"].split()) in text, chart["chart_id"]
        assert " ".join(chart["title"].split()) in text
        for value in chart["values"]:
            assert value["shown"] in text, (chart["chart_id"], value["shown"])


def test_source_line_names_reports_and_articles(built_project: Path, charts) -> None:
    ledger = load_ledger(built_project / "data/processed", built_project / "data/raw")
    for chart in charts:
        for source in (s for v in chart["values"] for s in v["sources"]):
            if source["report_id"]:
                report = ledger.reports[source["report_id"]]
                assert (report.producer or report.title) in chart["source_line"]
            doc = ledger.documents.loc[source["doc_id"]]
            # a document without a headline is named by its sidecar's description, marked as one
            name = doc["title"] if isinstance(doc["title"], str) else doc["description"]
            assert isinstance(name, str) and name in chart["source_line"]
            if not isinstance(doc["title"], str):
                assert f"“{name}” ({UNTITLED_NOTE}" in chart["source_line"]
        assert ") (" not in chart["source_line"], chart["source_line"]  # one parenthesis a name


def test_hedges_are_shown_not_hidden(charts) -> None:
    hedged = [
        v
        for c in charts
        for v in c["values"]
        if v["qualifier"] in ("more_than", "over", "nearly") and v["ref_type"] != "ledger_count"
    ]
    assert {v["qualifier"] for v in hedged} == {"more_than", "over", "nearly"}
    for v in hedged:
        assert v["qualifier"].replace("_", " ") in v["shown"], v


def test_titles_captions_and_alts_are_rendered_templates(built_project: Path, charts) -> None:
    ledger = load_ledger(built_project / "data/processed", built_project / "data/raw")
    for chart in charts:
        for key in ("title", "caption", "alt"):
            assert chart[key] == render_template(chart[f"{key}_template"], ledger)
            assert "{" not in chart[key]
        figure_refs = [v["ref"] for v in chart["values"] if v["ref_type"] == "figure"]
        assert all(f"{{{ref}}}" in chart["alt_template"] for ref in figure_refs)


def test_definitions_type_no_numbers(built_project: Path) -> None:
    """Numbers reach titles, captions and labels only through placeholders naming ledger ids."""
    texts = []
    for chart in load_definitions(built_project / "workflow/charts.yaml"):
        texts += [chart["title"], chart["caption"], chart["alt"], chart.get("axis", "")]
        for panel in chart.get("panels", []):
            texts += [panel.get("title", ""), panel.get("axis", "")]
            texts += [r.get(k, "") for r in panel["rows"] for k in ("label", "note")]
        texts += [c.get("label", "") for c in chart.get("checks", [])]
    for text in texts:
        stripped = re.sub(r"\{@[a-z-]+\}", "", PLACEHOLDER.sub("", text or ""))
        assert not re.search(r"\d", stripped), text


def test_png_is_300_dpi(built_project: Path, charts) -> None:
    for chart in charts:
        with Image.open(built_project / "results/charts" / chart["files"]["png"]) as img:
            dpi = img.info["dpi"]
            assert dpi[0] == pytest.approx(300, abs=0.01) and dpi[1] == pytest.approx(300, abs=0.01)
            assert 4.4 <= img.width / dpi[0] <= 4.6  # a column of text wide


def _render(
    project: Path, out: Path, definitions: Path | None = None, raw: Path | None = None
) -> None:
    """Render `project`'s ledger into `out`, from its own definitions and raw data unless given."""
    render_charts(
        definitions or project / "workflow/charts.yaml",
        project / "data/processed",
        raw or project / "data/raw",
        project / "workflow/figtrace.mplstyle",
        out,
    )


def _one_bars_chart(tmp_path: Path, chart_id: str, rows: list[dict]) -> Path:
    """A definitions file holding one bars chart of `rows` in a single panel."""
    chart = {"chart_id": chart_id, "kind": "bars", "title": "t", "caption": "c", "alt": "a"}
    path = tmp_path / "charts.yaml"
    path.write_text(yaml.safe_dump({"charts": [{**chart, "panels": [{"rows": rows}]}]}), "utf-8")
    return path


def test_two_runs_give_identical_bytes(built_project: Path, tmp_path: Path) -> None:
    _render(built_project, tmp_path / "a")
    _render(built_project, tmp_path / "b")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert len(names) >= 5 * len(FORMATS) + 2
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
        assert (tmp_path / "a" / name).read_bytes() == (
            built_project / "results/charts" / name
        ).read_bytes(), name


class _Gallery(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[dict] = []
        self.links: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "img":
            self.imgs.append(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "script":
            self.scripts += 1


def test_gallery_shows_each_chart_with_alt_and_relative_links(built_project: Path, charts) -> None:
    out = built_project / "results/charts"
    page = _Gallery()
    page.feed((out / "index.html").read_text("utf-8"))
    assert [i["alt"] for i in page.imgs] == [c["alt"] for c in charts]
    assert [i["src"] for i in page.imgs] == [c["files"]["png"] for c in charts]
    files = [h for h in page.links if not h.startswith("#")]
    assert files and all((out / h).is_file() for h in files)
    assert not any(h.startswith(("http:", "https:", "/")) for h in page.links)
    for chart in charts:
        assert chart["citation"].startswith(f"“{chart['title']}”")


def test_gallery_and_svg_escape_hostile_registry_text(built_project: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(built_project / "data/raw", raw)
    registry = yaml.safe_load((raw / "reports.yaml").read_text("utf-8"))
    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    registry["reports"][0]["producer"] = hostile
    (raw / "reports.yaml").write_text(yaml.safe_dump(registry, allow_unicode=True), "utf-8")
    out = tmp_path / "charts"
    _render(built_project, out, raw=raw)
    html = (out / "index.html").read_text("utf-8")
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html
    page = _Gallery()
    page.feed(html)
    assert page.scripts == 0
    # the chart with the first report's figures (the Barnardo's panel of children-counted)
    svg = out / "children-counted.svg"
    assert hostile in _svg_text(svg)  # escaped in the XML, shown as written
    index = json.loads((out / "index.json").read_text())["charts"]
    assert hostile in next(c for c in index if c["chart_id"] == "children-counted")["source_line"]


def test_mixing_measures_on_one_axis_is_refused(built_project: Path, tmp_path: Path) -> None:
    rows = [{"ref": "bsw-local-authorities"}, {"ref": "mer-nrm-child-referrals-change"}]
    path = _one_bars_chart(tmp_path, "mixed", rows)
    with pytest.raises(FigtraceError, match="different measures never share an axis"):
        _render(built_project, tmp_path / "out", path)
    assert not (tmp_path / "out" / "index.json").exists()


def test_unknown_id_is_refused_with_a_suggestion(built_project: Path, tmp_path: Path) -> None:
    path = _one_bars_chart(tmp_path, "typo", [{"ref": "bsw-local-authority"}])
    with pytest.raises(FigtraceError, match="bsw-local-authorities"):
        _render(built_project, tmp_path / "out", path)


def test_the_rule_lists_every_format_the_charts_module_writes():
    rule = (Path(__file__).resolve().parents[1] / "workflow/rules/charts.smk").read_text("utf-8")
    assert f"CHART_FORMATS = {list(FORMATS)!r}".replace("'", '"') in rule
