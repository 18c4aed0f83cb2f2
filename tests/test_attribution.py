"""Who states each number: claimants, report ties, independence of checks, honest precision.

The cases of the fact-check (issue 19) are pinned by the passage a figure quotes, never by its id,
so a renamed figure cannot make a test pass by accident.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, edit_yaml
from figtrace.checks import same_source, shared_passage, source_groups
from figtrace.derived import (
    evaluate_interval,
    round_to,
    stated_interval,
    supported_decimals,
)
from figtrace.documents import load_catalogue
from figtrace.errors import FigtraceError
from figtrace.figures import build
from figtrace.mentions import mentions_table
from figtrace.registries import load_indicators, load_reports

RAW = ROOT / "data" / "raw"


@pytest.fixture(scope="module")
def ledger() -> tuple[pd.DataFrame, pd.DataFrame]:
    return build(RAW, mentions_table(load_catalogue(RAW)))


@pytest.fixture(scope="module")
def figures(ledger) -> pd.DataFrame:
    return ledger[0]


def by_quote(figures: pd.DataFrame, exact: str, doc_prefix: str = "") -> pd.Series:
    """The one figure whose anchor quotes `exact` (in a document whose id starts so)."""
    rows = figures[(figures["quote"] == exact) & figures["doc_id"].str.startswith(doc_prefix)]
    assert len(rows) == 1, (exact, list(rows["figure_id"]))
    return rows.iloc[0]


# --- the fact-check's cases, by anchor text -------------------------------------------------------


@pytest.mark.parametrize("exact", ["more than doubled", "over 2,000"])
def test_a_campaigners_quote_carries_no_report(figures, exact):
    row = by_quote(figures, exact)
    assert pd.isna(row.report_id)
    assert row.claimant_kind == "person"
    assert "Anti-Slavery International" in row.claimant_organisation
    assert "Anti-Slavery International" in row.claimant_quote


def test_national_research_is_not_the_barnardos_report(figures):
    row = by_quote(figures, "100,000")
    assert pd.isna(row.report_id)
    assert row.claimant_kind == "research"
    assert "National research" in row.claimant_quote and row.claimant_basis == "sentence"


def test_the_south_west_centre_is_the_articles_own_statement(figures):
    row = by_quote(figures, "just one")
    assert pd.isna(row.report_id) and row.claimant_kind == "article"


def test_child_migrants_doubling_is_the_adcs_warning_relayed_by_a_spokesman(figures):
    row = by_quote(figures, "double")
    assert pd.isna(row.report_id)
    assert row.claimant_kind == "organisation"
    assert "Association of Directors of Children" in row.claimant_name
    assert "NSPCC" in row.claimant_via


def test_parliamentary_figure_has_no_stated_year_or_producer(figures):
    row = by_quote(figures, "325")
    assert row.claimant_kind == "statistics" and "released in parliament" in row.claimant_quote
    report = load_reports(RAW / "reports.yaml")[row.report_id]
    assert report.year is None and report.producer is None
    assert report.year_inferred and report.inference_basis
    assert "inferred" in report.display_name()
    assert "Home Office" not in report.display_name()
    assert str(report.year_inferred) not in report.display_name(inferred=False)


def test_report_figures_are_tied_by_a_passage_that_names_the_report(figures):
    tied = figures[figures["report_id"].notna()]
    assert len(tied) >= 20
    for row in tied.itertuples():
        assert row.claimant_kind in ("report", "statistics", "person", "organisation")
        # the passage that ties it comes in or before the figure's own sentence
        assert row.claimant_start <= row.start or row.claimant_basis == "sentence"
    assert set(figures.loc[figures["report_id"].isna(), "claimant_kind"]) >= {
        "article",
        "research",
        "person",
        "organisation",
    }


def test_the_biggest_group_is_a_rank_and_thousands_a_reviewed_exclusion(ledger):
    figures, exclusions = ledger
    row = by_quote(figures, "the biggest group")
    assert (row.value, row.unit, row.reading) == (1, "rank", "curator")
    assert row.report_id == "atmg-2018-before-the-harm"
    vague = exclusions[(exclusions["quote"] == "thousands") & (exclusions["category"] == "vague")]
    assert list(vague["doc_id"]) == ["merseyside-before-the-harm"]


def test_the_commissioners_title_is_given_as_the_release_gives_it(figures):
    row = by_quote(figures, "five")
    assert "Police Commissioner Cllr Emily Spurrell" in row.claimant_quote
    assert "Deputy" not in row.claimant_organisation
    # the release's opening speaks of a Deputy Police Commissioner: the note says so as such
    assert "opening paragraph" in row.note


def test_every_value_is_in_its_indicators_unit(figures):
    indicators = load_indicators(RAW / "indicators.yaml")
    for row in figures.itertuples():
        assert indicators[row.indicator].unit == row.unit, row.figure_id
    nearly_half = by_quote(figures, "nearly half")
    assert (nearly_half.value, nearly_half.unit) == (50, "percent")


# --- the build refuses attribution the text does not support --------------------------------------


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    return Path(shutil.copytree(RAW, tmp_path / "data" / "raw"))


def _figure(data: dict, exact: str) -> dict:
    return next(f for f in data["figures"] if f["anchor"]["exact"] == exact)


def _build(raw: Path) -> str:
    with pytest.raises(FigtraceError) as caught:
        build(raw, mentions_table(load_catalogue(raw)))
    return str(caught.value)


def test_a_report_id_the_claimant_passage_does_not_name_stops_the_build(raw):
    edit_yaml(
        raw / "annotations/merseyside-before-the-harm.yaml",
        lambda d: _figure(d, "more than doubled").update(report_id="atmg-2018-before-the-harm"),
    )
    message = _build(raw)
    assert "carries report_id 'atmg-2018-before-the-harm'" in message
    assert "names no report" in message and "set `report_id: null`" in message


def test_a_figure_without_a_claimant_stops_the_build(raw):
    edit_yaml(
        raw / "annotations/missing-from-care-national-disgrace.yaml",
        lambda d: d["defaults"].pop("claimant"),
    )
    assert "names no claimant" in _build(raw)


def test_a_claimant_passage_after_the_figure_stops_the_build(raw):
    def move(data: dict) -> None:
        _figure(data, "2,118")["claimant"] = "oconnor"  # her name comes long after 2,118

    edit_yaml(raw / "annotations/merseyside-before-the-harm.yaml", move)
    message = _build(raw)
    assert "comes after the figure's sentence" in message


def test_a_stale_claimant_anchor_stops_the_build_with_a_suggestion(raw):
    def shift(data: dict) -> None:
        anchor = data["claimants"][0]["anchor"]
        anchor["start"] += 1
        anchor["end"] += 1

    edit_yaml(raw / "annotations/missing-from-care-national-disgrace.yaml", shift)
    message = _build(raw)
    assert "claimant 'ecpat-report'" in message and "anchor does not resolve" in message


def test_a_curator_reading_where_the_extractor_reads_a_number_is_refused(raw):
    edit_yaml(
        raw / "annotations/merseyside-before-the-harm.yaml",
        lambda d: _figure(d, "2,118").update(reading="curator", reading_note="by hand"),
    )
    assert "remove `reading: curator`" in _build(raw)


# --- independence: restatements are not corroboration ---------------------------------------------

# Our own passages (no third-party text): a press release two outlets reproduce, and an outlet
# that reports the same number in its own words.
RELEASE = (
    "Director Ann Example said: 'Every council must now publish how many children leave its care "
    "without a trace, because a problem nobody counts is a problem nobody fixes.'"
)
OUTLET_A = "The Daily Example reports 300 children went missing. " + RELEASE
OUTLET_B = "Around 300 children vanished, a charity found. " + RELEASE.replace("'", "“", 1)
OWN_WORDS = "A charity's count put the number of missing children at 300 over the year."


def test_same_source_same_document_copies_and_independent():
    assert same_source("a", OUTLET_A, "a", OUTLET_A)[0]
    same, why = same_source("a", OUTLET_A, "b", OUTLET_B)
    assert same and "reproduce the same passage" in why and "Every council" in why
    assert same_source("a", OUTLET_A, "c", OWN_WORDS) == (
        False,
        "a and c share no passage of 12 words or more",
    )


def test_shared_passage_needs_twelve_words_in_a_row():
    eleven = "one two three four five six seven eight nine ten eleven"
    assert shared_passage(f"x {eleven} y", f"z {eleven} w") is None
    assert shared_passage(f"x {eleven} twelve", f"z {eleven} twelve") == f"{eleven} twelve"


def test_source_groups_join_copies_transitively():
    texts = {"a": OUTLET_A, "b": OUTLET_B, "c": OWN_WORDS}
    groups, reasons = source_groups(["a", "b", "c"], texts)
    assert sorted(map(sorted, groups)) == [["a", "b"], ["c"]] and len(reasons) == 1


def test_no_check_compares_a_document_with_itself_as_corroboration(built_project):
    checks = pd.read_parquet(built_project / "data/processed/checks.parquet")
    for row in checks[checks["kind"] == "agreement"].itertuples():
        if len(row.documents.split(";")) == 1:
            assert (row.evidence, row.status) == ("restatement", "restatement"), row.check_id
    arithmetic = checks[checks["kind"].isin(["rounding", "change"])]
    assert set(arithmetic["evidence"]) == {"arithmetic"}
    pairs = checks[checks["kind"].isin(["corroboration", "restatement"])]
    assert len(pairs)  # the automatic pairs across documents (figtrace.corroboration)
    for row in pairs.itertuples():  # never one document with itself, and a copy is no evidence
        assert len(set(row.documents.split(";"))) == 2, row.check_id
        assert row.evidence == row.kind, row.check_id
        assert (row.status == "restatement") == (row.kind == "restatement"), row.check_id
    html = (built_project / "results/report.html").read_text("utf-8")
    soup = BeautifulSoup(html, "lxml")
    restated = checks.loc[checks["status"] == "restatement", "check_id"]
    main_table = soup.select_one("#checks table")
    for cid in restated:
        row = soup.select_one(f"#check-{cid}")
        assert row is not None and row.find_parent("table") is not main_table


def test_the_report_never_lists_a_quote_under_a_report(built_project):
    figures = pd.read_parquet(built_project / "data/processed/figures.parquet")
    soup = BeautifulSoup((built_project / "results/report.html").read_text("utf-8"), "lxml")
    doubled = by_quote(figures, "more than doubled").figure_id
    link = soup.select_one(f'#findings a[data-ref="{doubled}"]')
    heading = link.find_parent("table").find_previous_sibling("h3")
    assert "Jasmine O’Connor" in heading.get_text() and "Before the Harm" not in heading.get_text()
    atmg = [h for h in soup.select("#findings h3") if "Before the Harm is Done" in h.get_text()]
    assert len(atmg) == 1
    listed = {a["data-ref"] for a in atmg[0].find_next_sibling("table").select("a.ref")}
    quoted = set(figures.loc[figures["claimant_kind"] == "person", "figure_id"])
    assert listed and not listed & quoted
    entry = soup.select_one(f"#{doubled}")
    assert "none named" in entry.get_text() and entry.select_one("mark.claimant")


# --- derived figures: own units, construction, intervals, precision -------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "qualifier", "quote", "expected"),
    [
        (41, "percent", None, "41%", (40.5, 41.5)),
        (96, "percent", None, "96 per cent", (95.5, 96.5)),
        (0.25, "proportion", None, "0.25", (0.245, 0.255)),
        (2118, "count", None, "2,118", (2118, 2118)),
        (500, "count", "around", "around 500", (450, 550)),
        (80, "percent", "more_than", "More than 80 per cent", (80, math.inf)),
        (50, "percent", "nearly", "nearly half", (0, 50)),
        (2, "factor", None, "doubled", (2, 2)),
    ],
)
def test_stated_interval(value, unit, qualifier, quote, expected):
    assert stated_interval(value, unit, qualifier, quote) == pytest.approx(expected)


def test_interval_arithmetic_through_the_formula_whitelist():
    share = stated_interval(41, "percent", None, "41%")
    low, high = evaluate_interval("{n} / ({s} / 100)", {"n": (2118, 2118), "s": share})
    assert (low, high) == pytest.approx((2118 / 0.415, 2118 / 0.405))
    assert evaluate_interval("{a} - {b}", {"a": (10, 12), "b": (1, 2)}) == (8, 11)
    assert evaluate_interval("-{a} * 2", {"a": (1, 3)}) == (-6, -2)
    assert evaluate_interval("1 / {a}", {"a": (-1, 1)}) == (-math.inf, math.inf)
    with pytest.raises(ValueError, match="not allowed"):
        evaluate_interval("{a} ** 2", {"a": (1, 2)})


def test_supported_precision():
    assert supported_decimals(5103.6, 5229.6, "count") == -1  # ±63: tens
    assert round_to(5165.85, -1) == 5170
    assert (round_to(5103.6, -1, "down"), round_to(5229.6, -1, "up")) == (5100, 5230)
    assert supported_decimals(185.23, 185.73, "count") == 0  # never finer than whole children
    assert supported_decimals(1.655, 1.665, "factor") == 3
    assert supported_decimals(169, 169, "count") is None


def test_derived_figures_have_own_indicators_intervals_and_printed_precision(built_project):
    derived = pd.read_parquet(built_project / "data/processed/derived.parquet")
    indicators = load_indicators(RAW / "indicators.yaml")
    figures = pd.read_parquet(built_project / "data/processed/figures.parquet")
    stated = set(figures["indicator"])
    for row in derived.itertuples():
        assert indicators[row.indicator].unit == row.unit, row.derived_id
        assert row.low <= row.value <= row.high
    by_id = derived.set_index("derived_id")
    # a share of child referrals is not a share of all referrals
    uk_share = by_id.loc["mer-uk-share-of-child-referrals"]
    assert uk_share.indicator not in stated and uk_share.unit == "percent"
    factor = by_id.loc["mer-nrm-child-referrals-change-factor"]
    assert factor.by_construction and "2,118" not in factor.expression
    total = by_id.loc["mer-nrm-all-referrals-2017-implied"]
    assert (total.low, total.high) == pytest.approx((2118 / 0.415, 2118 / 0.405))
    soup = BeautifulSoup((built_project / "results/report.html").read_text("utf-8"), "lxml")
    unrounded = soup.select('a[data-shows="unrounded"]')
    assert unrounded  # the exact value is in the entry, marked as unrounded (#16) ...
    for a in unrounded:  # ... and nowhere else is a derived value printed past its interval
        a.parent.decompose()
    text = soup.get_text()
    assert "5,170" in text and "5,100" in text and "5,230" in text
    for false_precision in ("5,165.85", "5,166", "1,275.9", "185.479", "185.5"):
        assert false_precision not in text


def test_the_stated_roundings_chart_says_not_providing(built_project):
    import json

    chart = json.loads((built_project / "results/charts/stated-roundings.json").read_text("utf-8"))
    labels = {v["label"] for v in chart["values"]}
    assert "Local authorities not providing a specialist service" in labels
    assert not any("not known to provide" in label for label in labels)
