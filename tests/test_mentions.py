"""Mentions: every number in every document, scored against a hand-annotated dev set."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from figtrace import mentions
from figtrace.documents import load_catalogue
from figtrace.errors import FigtraceError
from figtrace.mentions import (
    KINDS,
    MENTION_COLUMNS,
    QUALIFIERS,
    ROLES,
    extract,
    load_passages,
    mentions_frame,
    mentions_table,
    resolve_annotations,
    score,
    statistic_claims,
)

RAW = ROOT / "data" / "raw"
DEVSET = ROOT / "tests" / "data" / "mentions_devset.yaml"
WEB_DEV = ROOT / "tests" / "data" / "mentions_web_dev.yaml"
WEB_TEST = ROOT / "tests" / "data" / "mentions_web_test.yaml"


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {doc.doc_id: doc.text() for doc in load_catalogue(RAW)}


@pytest.fixture(scope="module")
def gold(texts) -> dict[str, list[dict]]:
    return resolve_annotations(DEVSET, texts)


def test_devset_covers_every_document_and_its_spans_slice_to_their_text(texts, gold):
    assert set(gold) == set(texts)
    for doc_id, entries in gold.items():
        for g in entries:
            assert texts[doc_id][g["start"] : g["end"]] == g["text"]
        spans = [(g["start"], g["end"]) for g in entries]
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), doc_id


def test_statistics_recall_with_values_and_hedges_and_no_furniture_as_statistic(texts, gold):
    claims = {doc_id: statistic_claims(extract(text)) for doc_id, text in texts.items()}
    result = score(gold, claims)
    assert result["statistics"] >= 30
    assert result["recall"] >= 0.99, result
    assert result["furniture_as_statistic"] == 0, result
    assert result["precision"] >= 0.95, result


def test_every_annotated_mention_is_found_with_its_kind_and_role(texts, gold):
    wrong = []
    total = 0
    for doc_id, entries in gold.items():
        found = {(m.start, m.end): m for m in extract(texts[doc_id])}
        for g in entries:
            total += 1
            m = found.get((g["start"], g["end"]))
            if m is None or (m.kind, m.role) != (g["kind"], g["role"]):
                wrong.append((doc_id, g["text"], m and (m.kind, m.role)))
    assert len(wrong) <= 0.05 * total, wrong


def test_no_boilerplate_or_name_is_ever_labelled_statistic(texts, gold):
    for doc_id, entries in gold.items():
        stats = {(m.start, m.end) for m in extract(texts[doc_id]) if m.role == "statistic"}
        for g in entries:
            if g["role"] in ("boilerplate", "name"):
                assert (g["start"], g["end"]) not in stats, (doc_id, g["text"])


def test_a_devset_entry_that_does_not_resolve_names_itself(tmp_path: Path, texts):
    bad = tmp_path / "devset.yaml"
    doc_id = sorted(texts)[0]
    bad.write_text(
        f"{doc_id}:\n  - {{text: 'not in the text', value: 1, kind: count,"
        " qualifier: null, role: statistic}\n"
    )
    with pytest.raises(FigtraceError, match="occurs 0 times"):
        resolve_annotations(bad, texts)


def one(text: str, span: str):
    """The single mention whose text is `span`."""
    found = [m for m in extract(text) if m.text == span]
    assert len(found) == 1, [(m.text, m.kind, m.role) for m in extract(text)]
    return found[0]


@pytest.mark.parametrize(
    ("text", "span", "value", "kind", "qualifier", "role"),
    [
        ("It helped more than 1,000 children.", "1,000", 1000.0, "count", "more_than", "statistic"),
        ("The total was 12,345.67 this year.", "12,345.67", 12345.67, "count", None, "statistic"),
        ("Forty-two children were victims.", "Forty-two", 42.0, "count", None, "statistic"),
        ("Ninety families moved away.", "Ninety", 90.0, "count", None, "statistic"),
        ("Police found nine children there.", "nine", 9.0, "count", None, "statistic"),
        (
            "More than 80 per cent of councils.",
            "80 per cent",
            80.0,
            "percent",
            "more_than",
            "statistic",
        ),
        ("It rose by 96 per cent since then.", "96 per cent", 96.0, "percent", None, "statistic"),
        ("Nearly half (41%) of all victims.", "41%", 41.0, "percent", None, "statistic"),
        ("Nearly half (41%) of all victims.", "half", 0.5, "fraction", "nearly", "statistic"),
        ("That equates to one in six.", "one in six", 1 / 6, "ratio", None, "statistic"),
        ("Some 1 in 4 pupils said so.", "1 in 4", 0.25, "ratio", None, "statistic"),
        (
            "About two thirds of staff agreed.",
            "two thirds",
            2 / 3,
            "fraction",
            "about",
            "statistic",
        ),
        (
            "More than a quarter went missing.",
            "a quarter",
            0.25,
            "fraction",
            "more_than",
            "statistic",
        ),
        ("The rate has more than doubled.", "doubled", 2.0, "multiplier", "more_than", "statistic"),
        ("Risk is 30 times higher here.", "30 times", 30.0, "multiplier", None, "statistic"),
        ("It has the second highest number.", "second highest", 2.0, "rank", None, "statistic"),
        ("It was second only to Thurrock.", "second", 2.0, "rank", None, "statistic"),
        ("They gave £3.5m to charity.", "£3.5m", 3.5e6, "money", None, "statistic"),
        ("Referrals rose in 2017, they said.", "2017", 2017.0, "year", None, "date"),
        ("Up 96 per cent since 2007/08.", "2007/08", None, "period", None, "date"),
        ("Figures for 2014-15 were late.", "2014-15", None, "period", None, "date"),
        ("Published 15 November 2016 online.", "15 November 2016", None, "date", None, "date"),
        ("In the year to September 2015 it fell.", "September 2015", None, "date", None, "date"),
        ("Each year 100 run away under the age of 16.", "age of 16", 16.0, "age", "under", "other"),
        ("It rose in the last two years alone.", "two years", 2.0, "duration", None, "date"),
        ("It affects many thousands of children.", "thousands", None, "count", None, "other"),
        ("It is one of the highest in the UK.", "one", 1.0, "count", None, "other"),
        ("There is just one specialist centre.", "one", 1.0, "count", "just", "statistic"),
        ("Children went missing at least once.", "once", 1.0, "count", "at_least", "other"),
        ("The use of a single telephone number.", "a single", 1.0, "count", None, "other"),
        ("Support is delivered by Catch22 in the area.", "Catch22", 22.0, "other", None, "name"),
        (
            "It runs its Three Small Steps to Protect Child Victims campaign.",
            "Three",
            3.0,
            "count",
            None,
            "name",
        ),  # fmt: skip
        (
            "Administration Apprentice\n\nSE1 7JY, London",
            "SE1 7JY",
            None,
            "postcode",
            None,
            "boilerplate",
        ),
        (
            "Call us free on 0800 123 4567 today.",
            "0800 123 4567",
            None,
            "phone",
            None,
            "boilerplate",
        ),
        ("Call +44 20 7946 0958 for help.", "+44 20 7946 0958", None, "phone", None, "boilerplate"),
        ("2 mins read Social Care\nText.", "2 mins read", 2.0, "duration", None, "boilerplate"),
        ("Open 9am-5pm, Monday to Friday.", "9am-5pm", None, "time", None, "boilerplate"),
        ("The COVID-19 pandemic cut visits.", "COVID-19", 19.0, "other", None, "name"),
        ("Most were aged between 12 and 15.", "aged between 12 and 15", None, "age", None, "other"),
        ("Around 3,000 16-year-olds left care.", "3,000", 3000.0, "count", "around", "statistic"),
        (
            "Three-quarters of councils agreed.",
            "Three-quarters",
            0.75,
            "fraction",
            None,
            "statistic",
        ),
        ("Nearly one in four children.", "one in four", 0.25, "ratio", "nearly", "statistic"),
        ("It received £4.5bn in grants.", "£4.5bn", 4.5e9, "money", None, "statistic"),
        (
            "Victims were five times more likely to go.",
            "five times",
            5.0,
            "multiplier",
            None,
            "statistic",
        ),
        ("Posted 3 hours ago | 1,234 shares\nText.", "1,234", 1234.0, "count", None, "boilerplate"),
    ],
)
def test_constructs(text, span, value, kind, qualifier, role):
    m = one(text, span)
    assert (m.kind, m.qualifier, m.role) == (kind, qualifier, role)
    assert (m.value is None) == (value is None)
    if value is not None:
        assert m.value == pytest.approx(value, abs=5e-5)
    if qualifier:
        assert m.qualifier_start is not None and m.qualifier_start < m.start
        hedge = text[m.qualifier_start : m.start].strip().lower()
        assert hedge.replace(" ", "_").startswith(qualifier.split("_")[0])
    else:
        assert m.qualifier_start is None


def test_x_of_y_and_x_out_of_y_are_two_counts():
    for text in ("in just 20 of the 209 local authorities", "in 20 out of 209 local authorities"):
        stats = [(m.text, m.value, m.kind) for m in extract(text) if m.role == "statistic"]
        assert stats == [("20", 20.0, "count"), ("209", 209.0, "count")]


def stats(text: str) -> list[tuple]:
    return [(m.text, m.value, m.kind, m.unit) for m in extract(text) if m.role == "statistic"]


@pytest.mark.parametrize(
    ("text", "span", "unit", "qualifier"),
    [
        ("One child is trafficked every day.", "One child is trafficked every day", "per day", None),
        ("Police say one girl a week is sold.", "one girl a week", "per week", None),
        ("A child goes missing every 10 minutes.", "A child goes missing every 10 minutes",
         "per 10 minutes", None),
        ("It is a child every ninety seconds.", "a child every ninety seconds", "per 90 seconds",
         None),
        ("They rescue just one victim of trafficking each year.",
         "one victim of trafficking each year", "per year", "just"),
        ("One boy every single day, they said.", "One boy every single day", "per day", None),
    ],
)  # fmt: skip
def test_one_thing_per_period_is_a_statistic_with_the_period_as_unit(text, span, unit, qualifier):
    m = one(text, span)
    assert (m.value, m.kind, m.unit, m.role, m.qualifier) == (
        1.0, "count", unit, "statistic", qualifier,
    )  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "It is one of the highest every year.",
        "It is a point-in-time caseload, not a count over a year.",
        "Police found one child in a week of searching.",
        "At any one time a week passes.",
        "A lot of children a day go missing.",
        "It makes a rise every year.",
    ],
)
def test_a_bare_one_or_a_span_of_time_is_not_a_count_per_period(text):
    assert [m for m in extract(text) if m.unit and m.unit.startswith("per ")] == []
    assert [s for s in stats(text) if s[1] == 1.0] == []


def test_a_count_per_period_does_not_swallow_another_number():
    assert stats("one child and two adults every day") == [("two", 2.0, "count", None)]


@pytest.mark.parametrize(
    ("text", "span", "value", "unit"),
    [
        ("The top 10 areas were named.", "top 10", 10.0, None),
        ("The bottom five councils lag.", "bottom five", 5.0, None),
        ("In the top-20 list of towns.", "top-20", 20.0, None),
        ("The top 10% of earners.", "top 10%", 10.0, "percent"),
        ("The bottom 5 per cent of schools.", "bottom 5 per cent", 5.0, "percent"),
    ],
)
def test_top_or_bottom_n_is_a_selection_not_a_statistic(text, span, value, unit):
    m = one(text, span)
    assert (m.value, m.kind, m.unit, m.role) == (value, "rank", unit, "other")
    assert stats(text) == []


def test_a_number_near_top_that_is_not_a_selection_stays_a_statistic():
    assert stats("It sits at the top of 10 lists.") == [("10", 10.0, "count", None)]
    assert stats("On top 10 more were found.") == [("10", 10.0, "count", None)]
    assert stats("In 10 areas the top rate rose.") == [("10", 10.0, "count", None)]


@pytest.mark.parametrize(
    "text",
    [
        "They accused ministers of double standards.",
        "He led a double life.",
        "It is a double-edged sword.",
        "Families face a double whammy.",
        "She won the triple jump.",
        "It was Double Dutch to them.",
    ],
)
def test_double_as_an_adjective_is_not_a_multiplier(text):
    assert [m for m in extract(text) if m.kind == "multiplier"] == []


@pytest.mark.parametrize(
    ("text", "span", "value", "qualifier"),
    [
        ("The number doubled.", "doubled", 2.0, None),
        ("That is double the number in 2015.", "double", 2.0, None),
        ("Referrals have more than doubled.", "doubled", 2.0, "more_than"),
        ("Cases could double in the next year.", "double", 2.0, None),
        ("Numbers will nearly double.", "double", 2.0, "nearly"),
        ("Costs may triple the budget.", "triple", 3.0, None),
        ("The rate doubles every year.", "doubles", 2.0, None),
    ],
)
def test_double_as_a_verb_or_before_the_number_stays_a_multiplier(text, span, value, qualifier):
    m = one(text, span)
    assert (m.value, m.kind, m.role, m.qualifier) == (value, "multiplier", "statistic", qualifier)


@pytest.mark.parametrize(
    ("text", "span", "value", "unit"),
    [
        ("A rate of 5 per 1,000 children.", "5 per 1,000", 0.005, "per 1,000"),
        ("It is 12 per 100,000 people.", "12 per 100,000", 12e-5, "per 100,000"),
        ("About 3 in every 1,000 are victims.", "3 in every 1,000", 0.003, "per 1,000"),
        ("Some 2.5 per 1000 births.", "2.5 per 1000", 0.0025, "per 1,000"),
        ("Five per thousand pupils.", "Five per thousand", 0.005, "per 1,000"),
        ("It was 150 per 100,000 in 2017.", "150 per 100,000", 0.0015, "per 100,000"),
        ("That equates to one in six.", "one in six", 1 / 6, None),
    ],
)
def test_a_rate_per_a_round_base_is_one_ratio_with_the_base_as_unit(text, span, value, unit):
    m = one(text, span)
    assert (m.kind, m.unit, m.role) == ("ratio", unit, "statistic")
    assert m.value == pytest.approx(value)
    assert len(stats(text)) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Up 5 per cent.", [("5 per cent", 5.0, "percent", "percent")]),
        ("Up to 10 per day.", [("10", 10.0, "count", None)]),
        ("It was 7 per 10 of them.", [("7", 7.0, "count", None), ("10", 10.0, "count", None)]),
        ("In 20 out of 209 areas.", [("20", 20.0, "count", None), ("209", 209.0, "count", None)]),
    ],
)
def test_per_a_period_or_a_base_that_is_not_round_is_no_ratio(text, expected):
    assert stats(text) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=10**6),
    st.sampled_from(["100", "1,000", "1000", "10,000", "100,000", "1,000,000"]),
    st.sampled_from([" per ", " in every "]),
)
def test_any_count_per_a_round_base_is_one_ratio(n, base, link):
    b = float(base.replace(",", ""))
    if link == " in every " and n >= b:
        return  # "N in every M" needs N < M; that it is then two counts is tested elsewhere
    text = f"It was {n:,}{link}{base} children."
    found = [m for m in extract(text) if m.role == "statistic"]
    assert [(m.text, m.kind, m.unit) for m in found] == [
        (f"{n:,}{link}{base}", "ratio", f"per {b:,.0f}")
    ]
    assert found[0].value == pytest.approx(n / b)


def test_salaries_in_a_job_listing_are_boilerplate_never_statistics():
    text = (
        "The report found 207 children missing.\n\n"
        "Assistant Urban Design Consultant\n\nEssex County Council\n£26927.00 - £31678.00 per annum\n"
        "Assistant Urban Design ConsultantPermanent, Full Time£26,927 to £31,678 per annumLocation\n"
        "Recruiter: Essex County Council\n"
    )
    found = extract(text)
    money = [m for m in found if m.kind == "money"]
    assert [m.text for m in money] == ["£26927.00", "£31678.00", "£26,927", "£31,678"]
    assert {m.role for m in money} == {"boilerplate"}
    assert [m.value for m in money] == [26927.0, 31678.0, 26927.0, 31678.0]
    assert [m.text for m in found if m.role == "statistic"] == ["207"]


def test_money_stated_in_an_article_sentence_is_a_statistic():
    m = one("The council spent £1.2 million on care last year.", "£1.2 million")
    assert (m.value, m.kind, m.unit, m.role) == (1.2e6, "money", "GBP", "statistic")


def test_sentence_bounds_hold_the_mention():
    text = "First line here.\nThe study found that 207 have not been found. Then more text."
    m = one(text, "207")
    assert (
        text[m.sentence_start : m.sentence_end] == "The study found that 207 have not been found."
    )


def test_mentions_frame_has_fixed_columns_and_dtypes():
    frame = mentions_frame("doc", "Over 500 children, and 41% of them, in 2017.")
    assert list(frame.columns) == MENTION_COLUMNS
    assert str(frame["value"].dtype) == "float64"
    assert str(frame["qualifier_start"].dtype) == "Int64"
    assert frame["text"].tolist() == ["500", "41%", "2017"]
    assert frame["qualifier"].tolist()[0] == "over"
    assert frame["qualifier_start"].isna().tolist() == [False, True, True]
    empty = mentions_frame("doc", "no numbers here")
    assert list(empty.columns) == MENTION_COLUMNS and len(empty) == 0


def test_mentions_table_is_sorted_by_doc_then_start():
    docs = load_catalogue(RAW)
    table = mentions_table(reversed(docs))
    assert table["doc_id"].is_monotonic_increasing
    for _, group in table.groupby("doc_id"):
        assert group["start"].is_monotonic_increasing


def check_invariants(text: str) -> None:
    found = extract(text)
    last_end = 0
    for m in found:
        assert 0 <= m.start < m.end <= len(text)
        assert m.text == text[m.start : m.end]
        assert m.start >= last_end
        last_end = m.end
        assert m.kind in KINDS and m.role in ROLES
        assert m.qualifier is None or m.qualifier in QUALIFIERS
        assert (m.qualifier is None) == (m.qualifier_start is None)
        if m.qualifier_start is not None:
            assert 0 <= m.qualifier_start < m.start
        assert m.sentence_start <= m.start and m.end <= m.sentence_end <= len(text)
        assert m.value is None or not math.isnan(m.value)


NUMBERISH = st.sampled_from(
    [
        "one", "Two", "forty-two", "hundred", "thousand", "a", "in", "of", "out", "per cent",
        "%", "£", "1,000", "2007/08", "2014-15", "SE1 7JY", "0800 123 4567", "half", "third",
        "quarter", "second", "highest", "times", "doubled", "more than", "nearly", "age",
        "under", "the", "September", "15", "2016", "3.5m", "mins read", "\n", "\n\n", ".",
        " ", "-", "per annum", "Recruiter:", "Catch22", "years", "am", "pm", ":", "0",
        "....", "…", "Page", "of", "/", "[", "]", "(", ")", "UIN", "No.", "section", "Act",
        "aged", "as young as", "year-olds", "24/7", "views", "|", "•", "£25k", "Q3", "half",
        "ago", "birthday", "12.04.2019", "was", "Ann Lee,", "9", "15.", "1.2", "k", "#",
        "3.5m", "fold", "st", "pounds", "p", "MB", "to", "and", "week", "hours", "–", "365",
        "24", "7", "0800", "2019-2021", "2023/7781", "&", "year-olds", "or",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_never_breaks_the_invariants(text):
    check_invariants(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(NUMBERISH, max_size=30).map(" ".join))
def test_number_like_text_never_breaks_the_invariants(text):
    check_invariants(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(NUMBERISH, st.text(max_size=4)), max_size=30).map("".join))
def test_glued_number_like_text_never_breaks_the_invariants(text):
    check_invariants(text)


@pytest.mark.pipeline
def test_pipeline_writes_mentions_whose_text_is_the_slice(built_project: Path):
    table = pd.read_parquet(built_project / "data" / "processed" / "mentions.parquet")
    assert list(table.columns) == MENTION_COLUMNS
    docs = {d.doc_id: d.text() for d in load_catalogue(built_project / "data" / "raw")}
    assert set(table["doc_id"]) == set(docs)
    for row in table.itertuples(index=False):
        assert docs[row.doc_id][row.start : row.end] == row.text
    assert (table["role"] == "statistic").sum() >= 30
    log = (built_project / "logs" / "mentions.log").read_text()
    assert "5 documents" in log


# --- the web-shaped passages (tests/data/mentions_web_*.yaml, docs/extractor.md) -------------


def web_score(path: Path) -> dict[str, float]:
    texts, gold = load_passages(path)
    return score(gold, {pid: statistic_claims(extract(text)) for pid, text in texts.items()})


@pytest.mark.parametrize("path", [WEB_DEV, WEB_TEST], ids=["dev", "test"])
def test_web_passages_are_many_and_every_mark_slices_to_its_text(path):
    texts, gold = load_passages(path)
    assert len(texts) >= 30 and sum(map(len, gold.values())) >= 200
    for pid, entries in gold.items():
        for g in entries:
            assert texts[pid][g["start"] : g["end"]] == g["text"], (pid, g)


def test_web_test_half_meets_the_goals():
    result = web_score(WEB_TEST)
    assert result["recall_value"] >= 0.99, result
    assert result["boilerplate_as_statistic"] == 0, result
    assert result["non_statistics_as_statistic"] < 0.05 * result["non_statistics"], result


def test_web_development_half_meets_the_goals_but_for_its_known_misses():
    # the two furniture misses are written up in docs/extractor.md: a running header in
    # sentence case ("Still missing, still at risk 7") and "100% recycled paper" in an imprint
    result = web_score(WEB_DEV)
    assert result["recall_value"] >= 0.99, result
    assert result["boilerplate_as_statistic"] <= 2, result
    assert result["non_statistics_as_statistic"] < 0.05 * result["non_statistics"], result


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("- {id: a, text: 'It was «12|X count 12».'}", "ROLE one of"),
        ("- {id: a, text: 'It was «12|S dozen 12».'}", "kind must be one of"),
        ("- {id: a, text: 'It was «12|S count twelve».'}", "value must be a number"),
        ("- {id: a, text: 'It was «12|S count 12 roughly».'}", "qualifier must be one of"),
        ("- {id: a, text: 'It was «12|S count 12.'}", "unclosed or malformed"),
        ("- {id: a, text: 'x'}\n  - {id: a, text: 'y'}", "used twice"),
        ("- {text: 'x'}", "needs a string `id`"),
    ],
)
def test_a_bad_passage_mark_names_the_file_passage_and_mark(tmp_path: Path, body, message):
    bad = tmp_path / "passages.yaml"
    bad.write_text("passages:\n  " + body + "\n", encoding="utf-8")
    with pytest.raises(FigtraceError, match=message) as err:
        load_passages(bad)
    assert str(bad) in str(err.value)


def roles(text: str) -> dict[str, tuple[str, str]]:
    """Each mention's text with its kind and role."""
    return {m.text: (m.kind, m.role) for m in extract(text)}


@pytest.mark.parametrize(
    ("text", "span", "kind", "role"),
    [
        # contents: dot leaders, a run of headings and rising page numbers, numbered headings
        ("Contents\nPreface .................. 2\nMethods ........... 11\n", "11", "reference",
         "boilerplate"),
        ("Overview 3 Findings 9 Next steps 20 Annex 31\n", "20", "reference", "boilerplate"),
        ("Scope 4\nData 7\nResults 12\nLimits 19\n", "12", "reference", "boilerplate"),
        ("2.4 Data sources\nWe used police records.", "2.4", "reference", "boilerplate"),
        ("Findings.\n12. Managers have hired staff.", "12", "reference", "boilerplate"),
        # counters and page numbers
        ("Annual review\nPage 3 of 27\n", "Page 3 of 27", "reference", "boilerplate"),
        ("End of section\n4 of 30\n", "4 of 30", "reference", "boilerplate"),
        ("Slide 5 of 9\n", "Slide 5 of 9", "reference", "boilerplate"),
        ("Report.pdf\nViews 88 | Downloads 12\n", "88", "count", "boilerplate"),
        ("Rate this post 7 2 votes\n", "7", "count", "boilerplate"),
        ("Exploitation (23)\nSafeguarding (8)\n", "23", "count", "boilerplate"),
        ("News | 5-min read\n", "5-min read", "duration", "boilerplate"),
        ("Home | Updated 2 hours ago\n", "2 hours", "duration", "boilerplate"),
        # parliamentary and registration furniture
        ("Volume 699: debated on Monday 4 July 2022", "699", "reference", "boilerplate"),
        ("UIN 41877, tabled on 3 May 2022", "41877", "identifier", "boilerplate"),
        ("Official Report, Column 88WH.", "88", "reference", "boilerplate"),
        ("Charity registration number 281143.", "281143", "identifier", "boilerplate"),
        ("Ref no: 56721", "56721", "identifier", "boilerplate"),
        ("ISBN 978-1-84987-303-2", "978-1-84987-303-2", "identifier", "boilerplate"),
        ("Licensed under Attribution 2.0 Generic.", "2.0", "reference", "boilerplate"),
        ("Registered in England (7714302).", "(7714302)", "identifier", "boilerplate"),
        ("FOI case 2022/10443 answered.", "2022/10443", "identifier", "boilerplate"),
        # job adverts without any heading words
        ("Outreach Worker Safe Homes £23k - £27k Full time\n", "£23k", "money", "boilerplate"),
        ("Coordinator\n£19,340.50 to £21,002.10\n35 hours per week\n", "35 hours",
         "duration", "boilerplate"),
        ("Pay: £12.40 per hour\n", "£12.40", "money", "boilerplate"),
        ("Part time, 16-20 hours per week\n", "16-20 hours per week", "duration", "boilerplate"),
        # service hours and short phone numbers
        ("We answer 24 hours a day, 365 days a year.", "365 days a year", "time", "boilerplate"),
        ("The team is on call 24/7.", "24/7", "time", "boilerplate"),
        ("If in danger, ring 999 now.", "999", "phone", "boilerplate"),
        # a calling verb before a full number: its area code is not a short number of its own
        ("Call 01632 960 123 for the duty team.", "01632 960 123", "phone", "boilerplate"),
        ("Text 07700 900 456 at any time.", "07700 900 456", "phone", "boilerplate"),
        ("Young people can ring Childline on 0800 1111.", "0800 1111", "phone", "boilerplate"),
        # dates with dots and dashes; parts of a year
        ("Agreed on 03.02.2019 by the board.", "03.02.2019", "date", "date"),
        ("Signed 11-10-2018, filed later.", "11-10-2018", "date", "date"),
        ("Visits on 6 and 7 June 2021.", "6", "date", "date"),
        ("Referrals in Q2 2021 fell.", "Q2", "date", "date"),
        ("In the second half of 2019 it rose.", "second half", "date", "date"),
        # references inside sentences
        ("As set out in Annex 2, councils must act.", "2", "reference", "other"),
        ("See paragraph 112 for details.", "112", "reference", "other"),
        ("The duty in section 11 applies.", "11", "reference", "other"),
        ("This is shown in Table 6 below.", "6", "reference", "other"),
        ("Councils disagreed.[7] Others did not.", "[7]", "reference", "other"),
        ("Under the Housing Act 1996 councils must help.", "1996", "reference", "other"),
        ("It asked (1) how many, and (2) where.", "1", "reference", "other"),
        # ages
        ("Aleksander Nowak, 41, from Hull, was charged.", "41", "age", "other"),
        ("Gemma Lister (36) denied the charge.", "36", "age", "other"),
        ("Victims as young as seven were found.", "as young as seven", "age", "other"),
        ("It supports 12- to 14-year-olds.", "12- to 14-year-olds", "age", "other"),
        ("Most were aged between 11 and 14.", "aged between 11 and 14", "age", "other"),
        ("A third were aged 15 or 16.", "aged 15 or 16", "age", "other"),
        ("It is illegal for children under 16 to work.", "16", "age", "other"),
        ("She said she was 15 when it began.", "15", "age", "other"),
        ("Help ends on their 21st birthday.", "21st", "age", "other"),
        ("Support stops when they turn 18.", "18", "age", "other"),
        # framing durations and ordinals
        ("The charity has worked here for 45 years.", "45 years", "duration", "other"),
        ("It opened five years ago.", "five years", "duration", "date"),
        ("Data cover an 18-month period.", "18-month", "duration", "other"),
        ("It began in the 19th century.", "19th", "rank", "other"),
        ("It was jailed for six years.", "six years", "duration", "other"),
    ],
)  # fmt: skip
def test_web_shapes_are_not_statistics(text, span, kind, role):
    assert roles(text).get(span) == (kind, role), roles(text)


@pytest.mark.parametrize(
    ("text", "span", "value", "kind"),
    [
        ("Four girls were found; one is in hospital.", "one", 1.0, "count"),
        ("Of the pair, one was released.", "one", 1.0, "count"),
        ("Roughly 2/5 of them were boys.", "2/5", 0.4, "fraction"),
        ("Only ten-per-cent were girls.", "ten-per-cent", 10.0, "percent"),
        ("Referrals fell 18pc in a year.", "18pc", 18.0, "percent"),
        ("It rose by 3 percentage points.", "3 percentage points", 3.0, "percent"),
        ("Since then 1950 children were helped.", "1950", 1950.0, "count"),
        ("More than 2010 victims were named.", "2010", 2010.0, "count"),
        ("They waited an average of 9 days.", "9 days", 9.0, "duration"),
        ("UK 1,105 24%\nAlbania 791 17%\n", "791", 791.0, "count"),
        ("It found 412 children missing.\n", "412", 412.0, "count"),
        ("412 children went missing in Kent\n", "412", 412.0, "count"),
        ("Police found (4,169) cases.", "4,169", 4169.0, "count"),
        ("Kent had the highest number at 38, followed by Essex at 17.", "38", 38.0, "count"),
        ("In 2019, 14 children were referred.", "14", 14.0, "count"),
        ("In Leeds, 14 of the children were boys.", "14", 14.0, "count"),
        ("Aged care: 16 homes closed.", "16", 16.0, "count"),
        ("Calls rose from 30 to 45 a week.", "45", 45.0, "count"),
        ("  • placements cost councils from £2,100 to £4,800 a child in the period\n", "£4,800",
         4800.0, "money"),
        ("Numbers were under 40 in each quarter.", "40", 40.0, "count"),
        ("Report: 412 children were found.", "412", 412.0, "count"),
        ("1. 4,524 potential victims were referred\n", "4,524", 4524.0, "count"),
        ("  • 80% (3,628) of referrals were sent on\n", "3,628", 3628.0, "count"),
    ],
)  # fmt: skip
def test_web_statistics_stay_statistics(text, span, value, kind):
    m = one(text, span)
    assert (m.value, m.kind, m.role) == (pytest.approx(value), kind, "statistic")


@pytest.mark.parametrize(
    "text",
    [
        "In 2017 councils reported more cases.",
        "The 2019 figures were late.",
        "No one was hurt; each one was seen.",
        "Some 30 years on, it still helps.",
    ],
)
def test_web_non_statistics_are_not_claimed(text):
    assert stats(text) == [], stats(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(NUMBERISH, st.text(max_size=3)), max_size=25).map("".join))
def test_the_digit_guards_change_no_result(text):
    # the guards only skip patterns that cannot match; without them every result is the same
    guarded = extract(text)
    saved = dict(mentions._DIGIT_GUARDS)
    mentions._DIGIT_GUARDS.clear()
    mentions._CANDIDATE_CACHE.clear()
    try:
        assert extract(text) == guarded
    finally:
        mentions._DIGIT_GUARDS.update(saved)
        mentions._CANDIDATE_CACHE.clear()
