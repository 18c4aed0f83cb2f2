"""Mentions: every number in every document, scored against a hand-annotated dev set."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from figtrace.documents import load_catalogue
from figtrace.errors import FigtraceError
from figtrace.mentions import (
    KINDS,
    MENTION_COLUMNS,
    QUALIFIERS,
    ROLES,
    extract,
    mentions_frame,
    mentions_table,
    resolve_annotations,
    score,
    statistic_claims,
)

RAW = ROOT / "data" / "raw"
DEVSET = ROOT / "tests" / "data" / "mentions_devset.yaml"


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
