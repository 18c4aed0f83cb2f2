"""Article figures checked against the report itself: agrees, differs (both passages), not found.

The rule's unit tests use small ledgers; the pipeline test fetches a generated report from a
local server (tests/report_server.py), curates its page-3 figures, adds an article that misquotes
one of them, builds, and reads the checks and the report a reader opens.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from report_server import FIGURE_PAGE, ReportServer, Route, report_pdf

from conftest import run_cli, run_snakemake
from figtrace.checks import against_report_checks, stated_tolerance, summary_markdown

REPORT = "atmg-2018-before-the-harm"


def figure(fid: str, doc_id: str, value: float, unit: str = "count", **fields) -> dict:
    return {
        "figure_id": fid,
        "doc_id": doc_id,
        "value": value,
        "unit": unit,
        "qualifier": None,
        "indicator": "referrals",
        "period": "2017",
        "geography": "UK",
        "report_id": "r",
        "quote": f"{value:g}",
        "label": f"label of {fid}",
        "page": None,
        **fields,
    }


def ledger(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame.astype({"page": "Int64", "value": "float64"})


def by_article(table: pd.DataFrame) -> dict[str, pd.Series]:
    return {row["inputs"].split(";")[0]: row for _, row in table.iterrows()}


def test_agrees_differs_and_not_found_respecting_hedges():
    figures = ledger(
        figure("rep-count", "the-report", 2118, page=3, quote="2,118"),
        figure("rep-share", "the-report", 28, "percent", indicator="share", page=5, quote="28%"),
        figure("rep-rate", "the-report", 41.7, "percent", indicator="rate", page=6),
        figure("a-exact", "article", 2118),
        figure("a-misquote", "article", 2181, quote="2,181"),
        figure("a-over", "article", 2000, qualifier="over"),
        figure("a-under", "article", 2000, qualifier="under"),
        figure(
            "a-quarter", "article", 0.25, "proportion", indicator="share", qualifier="more_than"
        ),
        figure(
            "a-nearly-half", "article", 0.5, "proportion", indicator="share", qualifier="nearly"
        ),
        figure("a-rounded", "article", 42, "percent", indicator="rate"),
        figure("a-period", "article", 2118, period="2016"),
        figure("a-place", "article", 2118, geography="England"),
        figure("a-nothing", "article", 7, indicator="boards"),
        figure("a-count-of-share", "article", 12, indicator="share"),  # a count, not a share
        figure("a-other-report", "article", 99, report_id="elsewhere"),
        figure("a-no-report", "article", 99, report_id=None),
    )
    table = against_report_checks(figures, {"r": "the-report"})
    rows = by_article(table)
    # rows for article figures whose report is in the corpus only, never for the report's own
    assert set(rows) == {
        "a-exact", "a-misquote", "a-over", "a-under", "a-quarter", "a-nearly-half", "a-rounded",
        "a-period", "a-place", "a-nothing", "a-count-of-share",
    }  # fmt: skip
    status = {fid: row["status"] for fid, row in rows.items()}
    assert status == {
        "a-exact": "pass", "a-misquote": "fail", "a-over": "pass", "a-under": "fail",
        "a-quarter": "pass", "a-nearly-half": "fail", "a-rounded": "pass", "a-period": "not-found",
        "a-place": "not-found", "a-nothing": "not-found", "a-count-of-share": "not-found",
    }  # fmt: skip
    misquote = rows["a-misquote"]
    assert misquote["inputs"] == "a-misquote;rep-count"
    assert misquote["miss"] == 63 and misquote["difference"] == -63
    # both passages, and the report's page
    assert "\u201c2,181\u201d" in misquote["message"] and "\u201c2,118\u201d" in misquote["message"]
    assert "the report, page 3 says" in misquote["message"]
    assert "differs by 63" in misquote["message"]
    assert rows["a-quarter"]["unit"] == "percent" and rows["a-quarter"]["computed_value"] == 28
    assert rows["a-nearly-half"]["miss"] == pytest.approx(50 - 0.5 - 28)
    assert "not curated yet (figtrace annotate the-report)" in rows["a-nothing"]["message"]
    assert set(table["kind"]) == {"against-report"}
    assert table["check_id"].is_unique
    summary = summary_markdown(table)
    assert "4 pass, 0 warn, 3 fail, 4 not-found" in summary


def test_no_report_in_the_corpus_gives_no_rows():
    figures = ledger(figure("a", "article", 1), figure("b", "other", 2))
    table = against_report_checks(figures, {})
    assert table.empty and list(table.columns)[:3] == ["check_id", "kind", "status"]


@pytest.mark.parametrize(
    ("value", "unit", "qualifier", "tolerance"),
    [
        (41, "percent", None, 0.5),
        (40.7, "percent", None, 0.05),
        (0.25, "proportion", None, 0.005),
        (2118, "count", None, 0.0),
        (500, "count", "around", 25.0),
    ],
)
def test_stated_tolerance(value, unit, qualifier, tolerance):
    assert stated_tolerance(value, unit, qualifier) == pytest.approx(tolerance)


# --- the pipeline, with the report fetched from a local server --------------------------------

ARTICLE = (
    "Charities warn over child trafficking\n\n"
    "A report by the Anti-Trafficking Monitoring Group found that 2,181 suspected child victims "
    "of trafficking were referred to the authorities in 2017.\n"
)
MEANING = {
    "indicator": "nrm-child-referrals",
    "unit": "count",
    "qualifier": None,
    "population": "suspected child trafficking victims reported to the UK authorities",
    "geography": "UK",
    "period": "2017",
    "report_id": REPORT,
}


def curate(project: Path, doc_id: str, chosen: dict[str, dict]) -> None:
    """Run `annotate`, then move the candidates with these quotes into figures, with meanings."""
    proc = run_cli(project, "annotate", doc_id)
    assert proc.returncode == 0, proc.stderr
    path = project / "data/raw/annotations" / f"{doc_id}.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    for exact, meaning in chosen.items():
        (candidate,) = [c for c in data["candidates"] if c["anchor"]["exact"] == exact]
        data["candidates"].remove(candidate)
        # who states it: the report, named in the figure's own sentence (docs/attribution.md)
        claimant = {"claimant_id": f"{meaning['figure_id']}-source", "name": "the report"}
        claimant |= {"kind": "report", "report_id": meaning["report_id"]}
        data.setdefault("claimants", []).append(claimant | {"anchor": candidate["anchor"]})
        data["figures"].append(
            {"anchor": candidate["anchor"], "value": candidate["extracted"]["value"], **meaning}
            | {"claimant": claimant["claimant_id"]}
        )
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


@pytest.mark.pipeline
def test_fetched_report_checks_the_articles_and_the_report_shows_it(project, tmp_path):
    with ReportServer() as server:
        server.routes["/before-the-harm.pdf"] = Route(report_pdf())
        fetched = run_cli(project, "fetch", REPORT, "--url", server.url("/before-the-harm.pdf"))
    assert fetched.returncode == 0, fetched.stderr
    # the report's own figures restate the ledger's: annotate suggests them, accept takes them
    assert run_cli(project, "annotate", REPORT).returncode == 0
    accepted = run_cli(project, "accept", REPORT)
    assert accepted.returncode == 0, accepted.stderr
    data = yaml.safe_load((project / "data/raw/annotations" / f"{REPORT}.yaml").read_text("utf-8"))
    own = {f["anchor"]["exact"]: f for f in data["figures"]}
    for exact, indicator in (
        ("2,118", "nrm-child-referrals"),
        ("41%", "nrm-child-share-of-referrals"),
    ):
        assert (own[exact]["indicator"], own[exact]["period"], own[exact]["report_id"]) == (
            indicator, "2017", REPORT,
        ), exact  # fmt: skip
    by_quote = {exact: f["figure_id"] for exact, f in own.items()}
    article = tmp_path / "misquote.txt"
    article.write_text(ARTICLE, "utf-8")
    added = run_cli(
        project, "add", str(article), "--title", "Charities warn over child trafficking",
        "--id", "misquote-article", "--date", "2018-09", "--report", REPORT,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    curate(
        project,
        "misquote-article",
        {
            "2,181": MEANING
            | {
                "figure_id": "mis-nrm-child-referrals-2017",
                "label": "Suspected child victims referred in 2017",
            }
        },
    )
    run = run_snakemake(project)
    assert run.returncode == 0, run.stdout + run.stderr
    said = run.stdout + run.stderr
    assert f"figtrace: {REPORT} is not in the corpus" not in said
    assert "figtrace: barnardos-2009-whose-child-now is not in the corpus" in said

    figures = pd.read_parquet(project / "data/processed/figures.parquet").set_index("figure_id")
    assert figures.loc[by_quote["2,118"], "page"] == FIGURE_PAGE
    checks = pd.read_parquet(project / "data/processed/checks.parquet")
    against = checks[checks["kind"] == "against-report"].set_index("check_id")
    status = against["status"].to_dict()
    assert status["against-report-mer-nrm-child-referrals-2017"] == "pass"
    # "over 2,000" is a campaigner's quote: its passage ties it to no report, so it is not checked
    assert "against-report-mer-children-found-in-a-year" not in status
    assert status["against-report-mer-child-share-of-referrals"] == "pass"  # 41% and 41%
    assert (
        status["against-report-mer-child-share-nearly-half"] == "fail"
    )  # "nearly half" is not 41%
    assert status["against-report-mis-nrm-child-referrals-2017"] == "fail"
    assert status["against-report-mer-nrm-uk-child-referrals-2017"] == "not-found"
    assert not any(f"against-report-{fid}" in status for fid in by_quote.values())  # its own
    assert not any("bsw-" in fid for fid in status)  # Barnardo's report is not in the corpus
    misquote = against.loc["against-report-mis-nrm-child-referrals-2017", "message"]
    assert "\u201c2,181\u201d" in misquote and "\u201c2,118\u201d" in misquote
    assert f"page {FIGURE_PAGE}" in misquote
    # the rows from checks.yaml are all still there, before the against-report rows
    declared = {"agreement", "rounding", "change"}
    kinds = list(checks["kind"])
    assert set(kinds[: sum(k in declared for k in kinds)]) <= declared

    html = (project / "results/report.html").read_text("utf-8")
    entry = entry_html(html, "mer-nrm-child-referrals-2017")
    assert (
        f'checked against the report itself, <a class="viewer" href="sources/{REPORT}.html#page-{FIGURE_PAGE}">'
        f'page <code class="pos">{FIGURE_PAGE}</code></a>: <span class="status status-pass">agrees</span>'
    ) in entry
    assert f'data-ref="{by_quote["2,118"]}"' in entry
    assert '<span class="status status-fail">differs</span>' in entry_html(
        html, "mis-nrm-child-referrals-2017"
    )
    assert "not found</span>" in entry_html(html, "mer-nrm-uk-child-referrals-2017")
    assert "this is its own statement" in entry_html(html, by_quote["2,118"])
    absent = entry_html(html, "bsw-current-caseload")
    assert "the report itself is not in the corpus" in absent
    assert "figtrace fetch barnardos-2009-whose-child-now --url PDF_ADDRESS" in absent
    viewer = (project / "results/sources" / f"{REPORT}.html").read_text("utf-8")
    assert f'id="page-{FIGURE_PAGE}"' in viewer and f'id="{by_quote["2,118"]}"' in viewer
    md = (project / "results/report.md").read_text("utf-8")
    assert f"agrees ([page `{FIGURE_PAGE}`](sources/{REPORT}.html#page-{FIGURE_PAGE}))" in md
    assert (
        "not in the corpus: `figtrace fetch barnardos-2009-whose-child-now --url PDF_ADDRESS`" in md
    )
    # every number the report shows is still a provenance link (or exempt)
    audit = json.loads((project / "results/audit.json").read_text("utf-8"))
    assert audit["ok"] is True, audit


def entry_html(html: str, fid: str) -> str:
    """The report's provenance entry of one figure."""
    match = re.search(rf'<article class="entry" id="{fid}">(.*?)</article>', html, re.S)
    assert match, fid
    return match.group(1)
