"""Suggestions: `annotate` proposes figure entries, `accept` moves the confident ones, and a new
document that restates ledger figures ends up corroborating them in checks.parquet and the report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import edit_yaml, run_cli, run_snakemake
from figtrace.anchors import Anchor
from figtrace.errors import FigtraceError
from figtrace.figures import read_annotation_file, write_annotation_file
from figtrace.suggestions import (
    DEFAULT_MIN_SCORE,
    INDICATOR_ONLY_CAP,
    _period_from_sentence,
    accept,
    clause_at,
    suggest,
    value_match,
)

# Written for this test, in its own words: the ATMG's 2017 figures as another outlet might put them.
RESTATED = """\
Monitoring group finds child trafficking referrals still rising

Charities working against modern slavery say ministers keep reacting to the trafficking of
children rather than stopping it before it starts.

In its review Before the Harm is Done, the Anti-Trafficking Monitoring Group counts 2,118
children referred to the National Referral Mechanism as possible trafficking victims during
2017. Young people accounted for 41% of every potential victim identified across the UK that
year. The count of children was 66% higher than in 2016.

British children formed the largest single group: 677 were referred, driven by the spread of
county lines drug dealing, a 265% surge since 2016.

The group asks for a national prevention strategy and money for early help in schools.
"""
ATMG = "atmg-2018-before-the-harm"


def _figure(value: float, unit: str, qualifier: str | None):
    from figtrace.figures import Figure

    anchor = Anchor("x", "", "", 0, 1)
    return Figure("f", "d", anchor, "l", "i", value, unit, qualifier, "p", "UK", None, None,
                  None, None, Path("x.yaml"))  # fmt: skip


def test_values_match_through_hedges_rounding_and_units_but_not_by_open_ranges_alone():
    assert value_match(2118, "count", None, _figure(2118, "count", None))[0] == 1.0
    assert value_match(2000, "count", "over", _figure(2118, "count", None))[0] == 0.6
    assert value_match(0.41, "proportion", None, _figure(41, "percent", None))[0] == 1.0
    assert value_match(2118, "count", None, _figure(2118, "percent", None)) is None
    # "more than 80 per cent" is a range that contains 265%, yet says nothing about it
    assert value_match(265, "percent", None, _figure(80, "percent", "more_than")) is None


def test_clause_is_the_part_of_the_sentence_around_the_number():
    sentence = "There were 2,118 victims reported in 2017, comprising 41% of the total, a 66% rise."
    at = sentence.index("41%")
    assert clause_at(sentence, at, at + 3).strip(" ,") == "comprising 41% of the total"


def test_accept_moves_only_confident_suggestions_and_keeps_comments(tmp_path):
    path = tmp_path / "doc.yaml"
    path.write_text(
        "# curated by hand: keep this comment\ndoc_id: doc\nsha256: " + "0" * 64 + "\n"
        "figures: []  # none yet\nexclusions: []\ncandidates:\n"
        "- anchor: {exact: '12', prefix: '', suffix: '', start: 0, end: 2}\n"
        "  suggestion: {figure_id: d-a, indicator: a, value: 12, score: 0.9, because: x}\n"
        "- anchor: {exact: '13', prefix: '', suffix: '', start: 3, end: 5}\n"
        "  suggestion: {figure_id: d-b, indicator: b, value: 13, score: 0.5, because: y}\n"
        "- anchor: {exact: '14', prefix: '', suffix: '', start: 6, end: 8}\n",
        "utf-8",
    )
    data, digest = read_annotation_file(path)
    moved = accept(data, DEFAULT_MIN_SCORE)
    assert [(e["figure_id"], s) for e, s in moved] == [("d-a", 0.9)]
    assert "score" not in moved[0][0] and "because" not in moved[0][0]
    write_annotation_file(path, data, digest)
    text = path.read_text("utf-8")
    assert text.startswith("# curated by hand: keep this comment\n")
    written = yaml.safe_load(text)
    assert [f["figure_id"] for f in written["figures"]] == ["d-a"]
    assert [c["anchor"]["exact"] for c in written["candidates"]] == ["13", "14"]
    # a file edited on disk after it was read is never overwritten
    path.write_text(text + "# a curator's edit\n", "utf-8")
    with pytest.raises(FigtraceError, match="changed on disk since it was read"):
        write_annotation_file(path, data, digest)
    assert path.read_text("utf-8").endswith("# a curator's edit\n")


def test_a_number_with_no_evidence_gets_no_confident_suggestion(project, tmp_path):
    source = tmp_path / "unrelated.txt"
    source.write_text(
        "The council opened 7 new libraries and planted 3,456 trees along the river in 2021.\n",
        "utf-8",
    )
    assert run_cli(project, "add", str(source), "--title", "Trees", "--id", "trees").returncode == 0
    proc = run_cli(project, "annotate", "trees")
    assert proc.returncode == 0, proc.stderr
    data = yaml.safe_load((project / "data/raw/annotations/trees.yaml").read_text("utf-8"))
    scores = [c["suggestion"]["score"] for c in data["candidates"] if "suggestion" in c]
    assert all(s <= INDICATOR_ONLY_CAP < DEFAULT_MIN_SCORE for s in scores)
    moved = run_cli(project, "accept", "trees")
    assert moved.returncode == 0 and "no suggestion" in moved.stdout


@pytest.mark.pipeline
def test_a_document_restating_ledger_figures_is_curated_without_typing_and_corroborates(
    project: Path, tmp_path: Path
) -> None:
    source = tmp_path / "restated.txt"
    source.write_text(RESTATED, "utf-8")
    added = run_cli(
        project, "add", str(source), "--id", "restated-atmg", "--title", "Referrals still rising",
        "--publisher", "Example Weekly", "--date", "2018-10", "--report", ATMG,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    proc = run_cli(project, "annotate", "restated-atmg")
    assert proc.returncode == 0, proc.stderr
    path = project / "data/raw/annotations/restated-atmg.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    suggested = {
        c["anchor"]["exact"]: c["suggestion"] for c in data["candidates"] if "suggestion" in c
    }
    expected = {
        "2,118": ("nrm-child-referrals", "2017"),
        "41%": ("nrm-child-share-of-referrals", "2017"),
        "66%": ("nrm-child-referrals-change", "2016 to 2017"),
        "677": ("nrm-uk-child-referrals", "2017"),
        "265%": ("nrm-uk-child-referrals-change", "2016 to 2017"),
    }
    for exact, (indicator, period) in expected.items():
        s = suggested[exact]
        assert (s["indicator"], s["period"], s["report_id"]) == (indicator, period, ATMG), exact
        assert 0 <= s["score"] <= 1 and "mer-" in s["because"]

    before = path.read_bytes()
    dry = run_cli(project, "accept", "restated-atmg", "--dry-run")
    assert dry.returncode == 0 and "would move" in dry.stdout and path.read_bytes() == before
    confident = {e for e, s in suggested.items() if s["score"] >= DEFAULT_MIN_SCORE}
    assert "2,118" in confident
    first = run_cli(project, "accept", "restated-atmg")
    assert first.returncode == 0, first.stderr
    assert [line.startswith("moved ") for line in first.stdout.splitlines()].count(True) == len(
        confident
    )
    rest = run_cli(project, "accept", "restated-atmg", "--min-score", "0.5")
    assert rest.returncode == 0, rest.stderr
    curated = yaml.safe_load(path.read_text("utf-8"))
    assert {f["anchor"]["exact"] for f in curated["figures"]} == set(expected)
    assert path.read_text("utf-8").startswith("# Annotations for restated-atmg.")

    run_snakemake(project, check=True)
    checks = pd.read_parquet(project / "data/processed/checks.parquet")
    pairs = checks[checks["kind"] == "corroboration"]
    figures = pd.read_parquet(project / "data/processed/figures.parquet").set_index("figure_id")
    new = set(figures.index[figures["doc_id"] == "restated-atmg"])
    by_new = {
        tuple(sorted(row.inputs.split(";"))): row.status
        for row in pairs.itertuples()
        if set(row.inputs.split(";")) & new
    }
    mer = {
        "2,118": "mer-nrm-child-referrals-2017",
        "41%": "mer-child-share-of-referrals",
        "66%": "mer-nrm-child-referrals-change",
        "677": "mer-nrm-uk-child-referrals-2017",
        "265%": "mer-nrm-uk-child-referrals-change",
    }
    for exact, other in mer.items():
        fid = figures.index[(figures["doc_id"] == "restated-atmg") & (figures["quote"] == exact)][0]
        assert by_new[tuple(sorted((fid, other)))] == "pass", exact
    # "nearly half" and 41% are the same indicator too: a (soft) disagreement, not agreement
    nearly = [k for k in by_new if "mer-child-share-nearly-half" in k]
    assert nearly and by_new[nearly[0]] == "warn"
    # the two 2016 articles that reproduce one press release stay a restatement
    assert (checks["kind"] == "restatement").sum() == 2
    report = (project / "results/report.html").read_text("utf-8")
    assert 'href="#mer-nrm-child-referrals-2017"' in report and "document corroborates it" in report
    assert run_cli(project, "audit").returncode == 0


def test_a_suggestion_names_a_report_only_where_its_passage_ties_the_number_to_one() -> None:
    from types import SimpleNamespace

    from figtrace.suggestions import report_for

    doc = SimpleNamespace(reports_cited=["some-2020-report"])
    tied = "A study by the council found 312 children were at risk."
    assert report_for(doc, tied, "")[0] == "some-2020-report"
    # the publication is named in the paragraph before, with no other voice between
    assert report_for(doc, "Of them, 40 were girls.", "The survey was out on Monday. ")[0] == (
        "some-2020-report"
    )
    # a speaker comes between the publication and the number
    before = 'The survey was out on Monday. "We are alarmed," the director said. '
    assert report_for(doc, "Of them, 40 were girls.", before)[0] is None
    assert report_for(doc, "Police said 40 girls were found.", "")[0] is None
    assert report_for(doc, "There are 40 girls in care here.", "")[0] is None
    # several reports cited: the matching ledger figure's, if it is one of them
    two = SimpleNamespace(reports_cited=["a-report", "b-report"])
    assert report_for(two, tied, "", "b-report")[0] == "b-report"
    assert report_for(two, tied, "", "c-report")[0] is None


@pytest.mark.parametrize(
    ("sentence", "number", "period"),
    [
        # a financial year whole, not its first year
        ("Some 640 children were referred in 2021/22, the council said.", "640", "2021/22"),
        # a statute's year is no period
        ("Under the Children Act 1989, about 90 children were placed.", "90", None),
        # "since" gives when a change began, not what is counted
        ("It is a 12% rise, and cases have tripled since 2016.", "12%", None),
        # the number's own clause first, when the sentence names two years
        ("Police found 75 victims in 2023, up from 40 in 2019.", "75", "2023"),
        ("In the year to June 2020, 35 children went missing.", "35", "2020"),
    ],
)
def test_a_suggested_period_is_the_time_the_numbers_own_words_state(sentence, number, period):
    class Dated:
        date_published = "2024-05"

    start = sentence.index(number)
    clause = clause_at(sentence, start, start + len(number))
    found, note = _period_from_sentence(sentence, clause, Dated())
    assert found == period, note
    assert (period is None) == ("check the period" in note)


def test_a_note_borrowed_from_another_documents_figure_says_where_it_comes_from(tmp_path):
    from figtrace.figures import Figure
    from figtrace.suggestions import Evidence, IndicatorIndex, Statement

    anchor = Anchor("x", "", "", 0, 1)
    figure = Figure("src-fig", "src-doc", anchor, "Children referred", "ind", 640.0, "children",
                    None, "children referred", "UK", "2021", "At the time of that report.",
                    None, None, Path("x.yaml"))  # fmt: skip
    sentence = "Some 640 children were referred, the council said."
    evidence = Evidence(figures=[(figure, sentence)], indicators={}, taken_ids=frozenset())

    class Doc:
        reports_cited = ()
        kind = "article"
        date_published = "2024-05"

    statement = Statement(640.0, "children", None, sentence, sentence)
    found = suggest(Doc(), statement, evidence, IndicatorIndex({}))
    assert found is not None and found.entry["period"] == "2021"
    assert found.entry["period_note"] == "From src-fig (src-doc): At the time of that report."


# Written for these tests: a headline and sentences that each state a number in the article's
# own voice, naming no source.
OWN_VOICE = """\
More than 1,200 children referred as suspected victims

More than 1,200 children in the region were referred as suspected victims of trafficking in 2020.
The scheme that takes the referrals opened ten years ago.

Councils spent £2.3m on support for the children last year. Around 40% of those referred were
girls.
"""


def _anchor(text: str, exact: str) -> dict:
    start = text.index(exact)
    return {"exact": exact, "prefix": "", "suffix": "", "start": start, "end": start + len(exact)}


def test_each_accepted_figure_gets_a_claimant_its_own_sentence_or_an_earlier_one_allows():
    from figtrace.figures import figure_sentence, passage_basis
    from figtrace.suggestions import add_figure

    text = "In 2020, 300 were seen and 45 left. Later 12 came back. A review counted 90 more."
    sentences = [(0, 35), (36, 55), (56, len(text))]
    numbers = ["300", "45", "12", "90"]
    mentions = pd.DataFrame(
        [
            {"start": (a := _anchor(text, n))["start"], "end": a["end"],
             "sentence_start": s, "sentence_end": e}
            for n in numbers
            for s, e in sentences
            if s <= text.index(n) < e
        ]
    )  # fmt: skip
    candidates = {n: {"anchor": _anchor(text, n)} for n in numbers}
    data: dict = {"claimants": [], "figures": []}
    # the article's own voice: one claimant per sentence, shared within it
    for n in ("300", "45", "12"):
        add_figure(data, candidates[n], {"figure_id": f"f{n}", "report_id": None}, mentions)
    # a report's figure accepted (on the review page) before an earlier one of the same report
    for n in ("90", "12"):
        add_figure(data, candidates[n], {"figure_id": f"r{n}", "report_id": "rep"}, mentions)
    claimants = {c["claimant_id"]: c for c in data["claimants"]}
    named = {f["figure_id"]: f["claimant"] for f in data["figures"]}
    assert named["f300"] == named["f45"] != named["f12"]
    assert named["r90"] != named["r12"]
    for figure in data["figures"]:
        c = claimants[figure["claimant"]]
        a = figure["anchor"]
        sentence = figure_sentence(a["start"], a["end"], mentions)
        where = (c["anchor"]["start"], c["anchor"]["end"], sentence)
        assert passage_basis(c["kind"], *where), figure["figure_id"]


def _own_voice_document(project: Path, tmp_path: Path) -> Path:
    source = tmp_path / "own-voice.txt"
    source.write_text(OWN_VOICE, "utf-8")
    added = run_cli(project, "add", str(source), "--id", "own-voice", "--title", "Referred",
                    "--date", "2021-03")  # fmt: skip
    assert added.returncode == 0, added.stderr
    annotated = run_cli(project, "annotate", "own-voice")
    assert annotated.returncode == 0, annotated.stderr
    path = project / "data/raw/annotations/own-voice.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    own = [c for c in data["candidates"] if (c.get("suggestion") or {}).get("report_id", 1) is None]
    assert len(own) >= 2, "the article should give at least two own-voice suggestions"
    return path


def test_accept_takes_several_figures_in_the_articles_own_voice(project, tmp_path):
    path = _own_voice_document(project, tmp_path)
    proc = run_cli(project, "accept", "own-voice", "--min-score", "0")
    assert proc.returncode == 0, proc.stderr
    data = yaml.safe_load(path.read_text("utf-8"))
    assert len(data["figures"]) >= 2
    claimants = {c["claimant_id"]: c for c in data["claimants"]}
    for figure in data["figures"]:
        c = claimants[figure["claimant"]]
        assert c["kind"] == "article" and c["anchor"] == figure["anchor"], figure["figure_id"]
    moved = [line for line in proc.stdout.splitlines() if line.startswith("moved ")]
    assert len(moved) == len(data["figures"])


def test_a_refused_accept_says_nothing_moved_and_leaves_the_file(project, tmp_path):
    path = _own_voice_document(project, tmp_path)
    edit_yaml(path, lambda d: d["candidates"][-1]["suggestion"].update(indicator="no-such"))
    before = path.read_bytes()
    proc = run_cli(project, "accept", "own-voice", "--min-score", "0")
    assert proc.returncode == 2
    assert "unknown indicator 'no-such'" in proc.stderr and "nothing was moved" in proc.stderr
    assert "moved" not in proc.stdout
    assert path.read_bytes() == before


def test_the_review_page_accepts_several_figures_in_the_articles_own_voice(project, tmp_path):
    from figtrace.review import Review

    path = _own_voice_document(project, tmp_path)
    review = Review(project / "data/raw", "own-voice")
    while True:
        data, digest = read_annotation_file(path)
        left = [c for c in data["candidates"] if c.get("suggestion")]
        if not left:
            break
        a = left[-1]["anchor"]  # the last first: order must not matter
        review.apply("own-voice", {"sha256": digest, "key": f"{a['start']}:{a['end']}",
                                   "action": "accept"})  # fmt: skip
    data = yaml.safe_load(path.read_text("utf-8"))
    claimants = {c["claimant_id"]: c for c in data["claimants"]}
    assert len(data["figures"]) >= 2
    assert all(claimants[f["claimant"]]["anchor"] == f["anchor"] for f in data["figures"])
