"""Consistency checks: hedges are ranges, a miss is the gap between them, and the status and
message follow from the miss, the tolerance and fail_beyond (figtrace.checks, in process)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from figtrace.checks import Claim, convert, gap, run_checks, summary_markdown
from figtrace.errors import FigtraceError


def figures(*rows: tuple[str, float, str, str | None]) -> pd.DataFrame:
    """Figures each in a document of its own (so an agreement compares independent sources)."""
    frame = pd.DataFrame(rows, columns=["figure_id", "value", "unit", "qualifier"])
    return frame.assign(doc_id=[f"doc-{fid}" for fid in frame["figure_id"]])


DERIVED = pd.DataFrame(
    [("share-computed", 0.1478, "proportion", "a-1060")],
    columns=["derived_id", "value", "unit", "source_figures"],
)
FIGURES = figures(
    ("a-1060", 1060, "count", None),
    ("a-over-1000", 1000, "count", "more_than"),
    ("a-under-1000", 1000, "count", "under"),
    ("a-nearly-half", 50, "percent", "nearly"),
    ("a-41-per-cent", 41, "percent", None),
    ("a-one-in-six", 0.1667, "proportion", None),
    ("a-rank", 2, "rank", None),
)


def checks_file(tmp_path: Path, *checks: dict) -> Path:
    path = tmp_path / "checks.yaml"
    base = {"description": "a check", "tolerance": 0}
    path.write_text(yaml.safe_dump({"checks": [{**base, **c} for c in checks]}), "utf-8")
    return path


def run(tmp_path: Path, *checks: dict) -> pd.DataFrame:
    return run_checks(checks_file(tmp_path, *checks), FIGURES, DERIVED).set_index("check_id")


@pytest.mark.parametrize(
    ("qualifier", "expected"),
    [
        (None, (9, 11)), ("only", (9, 11)), ("around", (9, 11)),
        ("more_than", (9, math.inf)), ("over", (9, math.inf)), ("at_least", (9, math.inf)),
        ("under", (-math.inf, 11)), ("less_than", (-math.inf, 11)),
        ("fewer_than", (-math.inf, 11)), ("up_to", (-math.inf, 11)),
        ("nearly", (9, 10)), ("almost", (9, 10)),
    ],
)  # fmt: skip
def test_a_claim_is_a_range(qualifier, expected) -> None:
    assert Claim("x", 10, qualifier).range(1) == expected


@pytest.mark.parametrize(
    ("claim", "unit", "text"),
    [
        (Claim("x", 1060, None), "count", "x = 1,060"),
        (Claim("x", 80, "more_than"), "percent", "x = more than 80%"),
        (Claim("x", 0.1667, None), "proportion", "x = 0.1667"),
        (Claim("x", 2.5, "nearly"), "factor", "x = nearly 2.5×"),
        (Claim("x", 12345.678, None), "count", "x = 1.235e+04"),
        (Claim("x", 2, "up_to"), "rank", "x = up to 2"),
    ],
)
def test_a_claim_describes_itself(claim, unit, text) -> None:
    assert claim.describe(unit) == text


def test_convert_only_between_percent_and_proportion() -> None:
    assert convert(0.25, "proportion", "percent", "w") == 25
    assert convert(25, "percent", "proportion", "w") == 0.25
    assert convert(7, "count", "count", "w") == 7
    with pytest.raises(FigtraceError, match="w: cannot compare a value in count with one in rank"):
        convert(7, "count", "rank", "w")


def test_gap_between_ranges() -> None:
    assert gap((0, 10), (5, 20)) == 0
    assert gap((0, 10), (10, 20)) == 0
    assert gap((0, 10), (12, 20)) == 2
    assert gap((12, 20), (0, 10)) == 2
    assert gap((0, math.inf), (-math.inf, -3)) == 3


def test_agreement_with_hedges(tmp_path) -> None:
    table = run(
        tmp_path,
        {"check_id": "over-agrees", "kind": "agreement", "unit": "count",
         "figures": ["a-1060", "a-over-1000"]},
        {"check_id": "under-disagrees", "kind": "agreement", "unit": "count",
         "figures": ["a-1060", "a-under-1000"], "tolerance": 20, "fail_beyond": 100},
        {"check_id": "under-fails", "kind": "agreement", "unit": "count",
         "figures": ["a-under-1000", "a-over-1000", "a-1060"], "tolerance": 5},
    )  # fmt: skip
    over = table.loc["over-agrees"]
    assert (over.status, over.miss, over.inputs) == ("pass", 0, "a-1060;a-over-1000")
    assert over.message == "a-1060 = 1,060; a-over-1000 = more than 1,000: they agree"
    assert pd.isna(over.stated_value) and pd.isna(over.computed_value) and pd.isna(over.difference)
    under = table.loc["under-disagrees"]
    assert (under.status, under.miss) == ("warn", 20)  # 1040..1080 against ..1020
    assert under.message.endswith("they disagree by 20 ")
    fails = table.loc["under-fails"]
    # the widest gap of any pair decides: under 1,000 (+5) against 1,060 (-5) is 50 apart
    assert (fails.status, fails.miss, fails.fail_beyond) == ("fail", 50, 15)
    assert (fails.tolerance, list(table.index)) == (
        5, ["over-agrees", "under-disagrees", "under-fails"]
    )  # fmt: skip


def test_rounding_and_change_against_the_arithmetic(tmp_path) -> None:
    table = run(
        tmp_path,
        {"check_id": "one-in-six", "kind": "rounding", "unit": "proportion", "tolerance": 0.005,
         "stated": "a-one-in-six", "computed": "share-computed"},
        {"check_id": "one-in-six-percent", "kind": "rounding", "unit": "percent", "tolerance": 1,
         "fail_beyond": 0.5, "stated": "a-one-in-six", "computed": "share-computed"},
        {"check_id": "nearly-half", "kind": "rounding", "unit": "percent", "tolerance": 10,
         "stated": "a-nearly-half", "computed": "a-41-per-cent"},
    )  # fmt: skip
    six = table.loc["one-in-six"]
    assert six.status == "warn" and six.miss == pytest.approx(0.1667 - 0.005 - 0.1478)
    assert (six.stated_value, six.computed_value) == (0.1667, 0.1478)
    assert six.difference == pytest.approx(0.1478 - 0.1667)
    assert six.stated_qualifier is None or pd.isna(six.stated_qualifier)
    assert six.message == (
        "stated a-one-in-six = 0.1667; computed share-computed = 0.1478; difference -0.0189 "
        "proportion; outside the claim by 0.0139 beyond the tolerance of 0.005"
    )
    percent = table.loc["one-in-six-percent"]
    assert percent.status == "fail" and percent.miss == pytest.approx(16.67 - 1 - 14.78)
    assert percent.message.startswith(
        "stated a-one-in-six = 16.67%; computed share-computed = 14.78%;"
    )
    assert "percentage points" in percent.message
    half = table.loc["nearly-half"]
    assert (half.status, half.miss, half.stated_qualifier) == ("pass", 0, "nearly")
    assert half.message.endswith("difference -9 percentage points; within the claim and tolerance")


def test_status_boundaries(tmp_path) -> None:
    def status(computed: float, tolerance: float, fail_beyond: float) -> str:
        derived = pd.DataFrame(
            [("c", computed, "count", "a")],
            columns=["derived_id", "value", "unit", "source_figures"],
        )
        path = checks_file(
            tmp_path,
            {"check_id": "xx", "kind": "change", "unit": "count", "tolerance": tolerance,
             "fail_beyond": fail_beyond, "stated": "a-1060", "computed": "c"},
        )  # fmt: skip
        return run_checks(path, FIGURES, derived)["status"].iloc[0]

    assert status(1062, 2, 5) == "pass"  # inside the tolerance
    assert status(1063, 2, 5) == "warn"
    assert status(1067, 2, 5) == "warn"  # a miss of exactly fail_beyond warns
    assert status(1068, 2, 5) == "fail"


def test_default_fail_beyond_is_three_tolerances(tmp_path) -> None:
    table = run(tmp_path, {"check_id": "xx", "kind": "agreement", "unit": "count",
                           "tolerance": 2, "figures": ["a-1060", "a-under-1000"]})  # fmt: skip
    assert table.loc["xx", "fail_beyond"] == 6


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ({"check_id": "xx", "kind": "agreement", "unit": "count", "figures": ["a-1060", "nope"]},
         "check 'xx': 'nope' is neither a figure_id nor a derived_id."),
        ({"check_id": "xx", "kind": "agreement", "unit": "count"},
         "check 'xx': an agreement check lists its `figures`."),
        ({"check_id": "xx", "kind": "rounding", "unit": "count", "stated": "a-1060"},
         "check 'xx': a rounding check names `stated` and `computed`."),
        ({"check_id": "xx", "kind": "change", "unit": "count", "computed": "a-1060"},
         "check 'xx': a change check names `stated` and `computed`."),
        ({"check_id": "xx", "kind": "agreement", "unit": "rank", "figures": ["a-1060", "a-rank"]},
         "check 'xx': cannot compare a value in count with one in rank."),
    ],
)  # fmt: skip
def test_a_broken_check_names_itself(tmp_path, check, message) -> None:
    with pytest.raises(FigtraceError) as info:
        run(tmp_path, check)
    assert str(info.value) == f"{tmp_path / 'checks.yaml'}: {message}"


def test_a_broken_rounding_check_names_itself(tmp_path) -> None:
    check = {"check_id": "xx", "kind": "rounding", "unit": "count", "stated": "nope",
             "computed": "a-1060"}  # fmt: skip
    with pytest.raises(FigtraceError) as info:
        run(tmp_path, check)
    assert str(info.value) == (
        f"{tmp_path / 'checks.yaml'}: check 'xx': 'nope' is neither a figure_id nor a derived_id."
    )


def test_an_agreement_in_percent_says_so(tmp_path) -> None:
    table = run(tmp_path, {"check_id": "pp", "kind": "agreement", "unit": "percent",
                           "tolerance": 1, "figures": ["a-41-per-cent", "a-one-in-six"]})  # fmt: skip
    assert table.loc["pp", "message"] == (
        "a-41-per-cent = 41%; a-one-in-six = 16.67%: they disagree by 22.33 percentage points"
    )


def test_a_check_id_used_twice_is_refused(tmp_path) -> None:
    check = {
        "check_id": "xx",
        "kind": "agreement",
        "unit": "count",
        "figures": ["a-1060", "a-1060"],
    }
    with pytest.raises(FigtraceError, match="check 'xx': the check_id appears twice"):
        run(tmp_path, check, check)


def test_summary_lists_every_check_with_counts(tmp_path) -> None:
    table = run_checks(
        checks_file(
            tmp_path,
            {"check_id": "ok", "kind": "agreement", "unit": "count",
             "figures": ["a-1060", "a-over-1000"], "description": "a | b"},
            {"check_id": "bad", "kind": "agreement", "unit": "count",
             "figures": ["a-1060", "a-under-1000"]},
        ),
        FIGURES,
        DERIVED,
    )  # fmt: skip
    md = summary_markdown(table)
    assert md.startswith("# Consistency checks\n\n1 pass, 0 warn, 1 fail (a warning")
    assert "| check | kind | status | result |\n| --- | --- | --- | --- |\n" in md
    assert (
        "| ok | agreement | **pass** | a-1060 = 1,060; a-over-1000 = more than 1,000: they agree |"
        in md
    )
    assert md.splitlines()[-1].startswith("| bad | agreement | **fail** |")
    assert md.endswith(" |\n")
    with_pipe = table.assign(message=["x | y", "z"])
    assert "| ok | agreement | **pass** | x \\| y |" in summary_markdown(with_pipe)
