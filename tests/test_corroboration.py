"""Corroboration: pairs of figures from different documents about the same thing, checked."""

from __future__ import annotations

import pandas as pd
import pytest

from figtrace.checks import CHECK_COLUMNS
from figtrace.corroboration import corroboration_rows, likeness, tally, with_corroboration


def figure(fid: str, doc: str, value: float, qualifier=None, unit="count", **meaning) -> dict:
    row = {
        "figure_id": fid,
        "doc_id": doc,
        "start": 10,
        "end": 15,
        "quote": "x",
        "prefix": "",
        "suffix": "",
        "value": value,
        "unit": unit,
        "qualifier": qualifier,
        "indicator": "children-referred",
        "period": "2017",
        "geography": "UK",
        "report_id": "some-report",
    }
    return row | meaning


TEXTS = {
    "a": "x" * 10 + "2,118 children were referred to the authorities in 2017, the report says.",
    "b": "x" * 10 + "2,118 is the number of young people the monitoring group counted that year.",
    "c": "x" * 10 + "2,118 children were referred to the authorities in 2017, the report says it.",
    "d": "x" * 10 + "3,000 was the figure a campaigner gave on the radio for the same year.",
}


def rows(*figures: dict, texts=TEXTS) -> pd.DataFrame:
    return pd.DataFrame(corroboration_rows(pd.DataFrame(list(figures)), texts))


def test_documents_that_agree_corroborate_and_the_same_document_never_does():
    found = rows(figure("a1", "a", 2118), figure("a2", "a", 2118), figure("b1", "b", 2118))
    assert list(found["check_id"]) == ["corroboration-a1-b1", "corroboration-a2-b1"]
    assert set(found["kind"]) == {"corroboration"} and set(found["status"]) == {"pass"}
    assert found.loc[0, "inputs"] == "a1;b1"


def test_different_period_geography_report_or_indicator_is_not_compared():
    base = figure("a1", "a", 2118)
    for field, other in [("period", "2016"), ("geography", "Wales"), ("report_id", None),
                         ("indicator", "other-thing")]:  # fmt: skip
        assert rows(base, figure("b1", "b", 2118, **{field: other})).empty, field


def test_hedges_are_ranges_and_a_wide_miss_fails():
    assert rows(figure("a1", "a", 2000, "more_than"), figure("b1", "b", 2118)).status[0] == "pass"
    assert rows(figure("a1", "a", 2000, "under"), figure("b1", "b", 2118)).status[0] == "warn"
    assert rows(figure("a1", "a", 3000), figure("b1", "b", 2118)).status[0] == "fail"
    # nearly half against 41%: percent and proportion convert; "nearly" allows a little below
    nearly = rows(
        figure("a1", "a", 0.5, "nearly", unit="proportion"), figure("b1", "b", 41, unit="percent")
    )
    assert nearly.unit[0] == "percent" and nearly.status[0] == "warn"
    assert nearly.miss[0] == pytest.approx(4)


def test_the_same_sentence_twice_is_a_restatement_not_corroboration():
    assert likeness(TEXTS["a"], TEXTS["c"]) > 90 and likeness(TEXTS["a"], TEXTS["b"]) < 20
    found = rows(figure("a1", "a", 2118), figure("c1", "c", 2118))
    assert list(found["kind"]) == ["restatement"]
    assert found["check_id"][0] == "restatement-a1-c1"
    assert "one source" in found["description"][0]


def test_with_corroboration_appends_valid_rows_and_tally_reads_them():
    empty = pd.DataFrame(columns=list(CHECK_COLUMNS))
    table = with_corroboration(
        empty,
        pd.DataFrame([figure("a1", "a", 2118), figure("b1", "b", 2118), figure("d1", "d", 3000)]),
        TEXTS,
    )
    assert list(table["kind"]) == ["corroboration", "corroboration", "corroboration"]
    assert tally(table, "a1") == {"corroborated": ["b1"], "contradicted": ["d1"], "restated": []}
