"""A PDF report and a saved news page go through the whole pipeline with page-level provenance.

Each is added with `figtrace add`, annotated from the `annotate` stub (one figure curated, the
rest left as candidates), built, and traced: the figure lands on its page (PDF) or element
(HTML); furniture is never a statistic; the five original documents' outputs do not change.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from source_files import STATISTIC, build_report_pdf, news_page

from conftest import run_cli, run_snakemake

MEANING = {
    "label": "Trafficked children who went missing from care in 2015",
    "indicator": "unaccompanied-children-missing",
    "unit": "count",
    "qualifier": None,
    "population": "trafficked children in care",
    "geography": "UK",
    "period": "2015",
    "report_id": "ecpat-2016-heading-back-to-harm",
}


def curate(project: Path, doc_id: str, figure_id: str, exact: str, suffix_start: str) -> dict:
    """Run `annotate`, then move the one candidate with this quote and suffix into figures."""
    proc = run_cli(project, "annotate", doc_id)
    assert proc.returncode == 0, proc.stderr
    path = project / "data/raw/annotations" / f"{doc_id}.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    chosen = [
        c
        for c in data["candidates"]
        if c["anchor"]["exact"] == exact and c["anchor"]["suffix"].startswith(suffix_start)
    ]
    assert len(chosen) == 1, data["candidates"]
    candidate = chosen[0]
    data["candidates"].remove(candidate)
    value = candidate["extracted"]["value"]
    # who states it: the report, named in the figure's own passage
    claimant = {"claimant_id": "the-report", "kind": "report", "name": "the report"}
    claimant |= {"report_id": MEANING["report_id"], "anchor": candidate["anchor"]}
    data.setdefault("claimants", []).append(claimant)
    data["figures"].append(
        {"figure_id": figure_id, "anchor": candidate["anchor"], "value": value, **MEANING}
        | {"claimant": "the-report"}
    )
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return candidate


def original_figures(project: Path, new_doc: str) -> pd.DataFrame:
    figures = pd.read_parquet(project / "data/processed/figures.parquet")
    return figures[figures["doc_id"] != new_doc].reset_index(drop=True)


def test_pdf_report_statistic_is_traced_to_its_page(built_project, project, tmp_path):
    pdf = build_report_pdf(tmp_path / "interim.pdf")
    added = run_cli(
        project,
        "add",
        str(pdf),
        "--id",
        "interim-report",
        "--report",
        "ecpat-2016-heading-back-to-harm",
    )
    assert added.returncode == 0, added.stderr
    assert run_snakemake(project).returncode == 0

    mentions = pd.read_parquet(project / "data/processed/mentions.parquet")
    mine = mentions[mentions["doc_id"] == "interim-report"]
    furniture = mine[mine["furniture"].notna()]
    assert len(furniture) >= 8  # page numbers, running footers, footnote markers
    assert (furniture["role"] == "boilerplate").all()
    assert set(furniture["furniture"]) >= {"running footer and page number", "footnote marker"}
    statistic = mine[(mine["text"] == "167") & (mine["page"] == 3)]
    assert list(statistic["value"]) == [167.0] and list(statistic["role"]) == ["statistic"]
    # "children.12": the marker is not 12 children
    assert not ((mine["text"] == "12") & (mine["role"] == "statistic")).any()

    curate(project, "interim-report", "interim-missing-2015", "167", STATISTIC.split("167")[1][:12])
    proc = run_snakemake(project)
    assert proc.returncode == 0, proc.stderr
    figures = pd.read_parquet(project / "data/processed/figures.parquet").set_index("figure_id")
    assert figures.loc["interim-missing-2015", "page"] == 3
    assert figures.loc["interim-missing-2015", "value"] == 167
    traced = run_cli(project, "trace", "interim-missing-2015")
    assert traced.returncode == 0, traced.stderr
    assert "position   page 3, characters" in traced.stdout
    # the report's provenance entry says the page; the source viewer shows the PDF page by page
    report = (project / "results/report.html").read_text("utf-8")
    entry = report[report.index('id="interim-missing-2015"') :]
    assert (
        'page <code class="pos">3</code>, characters'
        in entry[: entry.index("</dd>", entry.index("Show this passage"))]
    )
    viewer = (project / "results/sources/interim-report.html").read_text("utf-8")
    pages = [viewer.index(f'id="page-{n}"') for n in (1, 2, 3, 4)]
    assert pages == sorted(pages)
    assert pages[2] < viewer.index('id="interim-missing-2015"') < pages[3]
    pd.testing.assert_frame_equal(
        original_figures(project, "interim-report"),
        original_figures(built_project, "interim-report"),
    )


def test_saved_news_page_statistic_is_traced_to_its_element(built_project, project, tmp_path):
    page = tmp_path / "herald.html"
    page.write_text(news_page(), "utf-8")
    added = run_cli(project, "add", str(page), "--id", "herald-missing")  # title from the page
    assert added.returncode == 0, added.stderr
    assert run_snakemake(project).returncode == 0

    mentions = pd.read_parquet(project / "data/processed/mentions.parquet")
    mine = mentions[mentions["doc_id"] == "herald-missing"]
    assert not (mine["role"] == "statistic")[mine["furniture"].notna()].any()
    assert {"reading time", "share bar", "related links"} <= set(mine["furniture"].dropna())
    text = " ".join(mine["text"])
    assert "4521" not in text and "14" not in set(mine["text"])  # script and cookie banner dropped

    curate(project, "herald-missing", "herald-went-missing-share", "28%", " of trafficked")
    sidecar = yaml.safe_load(
        (project / "data/raw/annotations/herald-missing.yaml").read_text("utf-8")
    )
    entry = sidecar["figures"][0]
    entry.update(  # stored in its indicator's unit: 28% is a proportion of 0.28
        value=0.28,
        unit="proportion",
        indicator="trafficked-children-missing-share",
        label="Trafficked children who went missing",
    )
    (project / "data/raw/annotations/herald-missing.yaml").write_text(
        yaml.safe_dump(sidecar, sort_keys=False), "utf-8"
    )
    proc = run_snakemake(project)
    assert proc.returncode == 0, proc.stderr
    figures = pd.read_parquet(project / "data/processed/figures.parquet").set_index("figure_id")
    row = figures.loc["herald-went-missing-share"]
    assert (row["value"], row["element_path"]) == (0.28, "html/body/main/article/p[2]")
    assert pd.isna(row["page"])
    traced = run_cli(project, "trace", "herald-went-missing-share")
    assert "position   element html/body/main/article/p[2], characters" in traced.stdout
    pd.testing.assert_frame_equal(
        original_figures(project, "herald-missing"),
        original_figures(built_project, "herald-missing"),
    )


@pytest.mark.parametrize("column", ["page", "element_path", "furniture"])
def test_plain_text_documents_have_no_source_map(built_project, column):
    mentions = pd.read_parquet(built_project / "data/processed/mentions.parquet")
    assert mentions[column].isna().all()
