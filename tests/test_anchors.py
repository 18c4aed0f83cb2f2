"""Anchors, in process: a quote resolves only where its position, its words and its context all
agree and it is unique; every other case is an error that says what is wrong and how to repair."""

from __future__ import annotations

import pytest

from figtrace.anchors import (
    CONTEXT,
    Anchor,
    make_anchor,
    nearest_passage,
    occurrences,
    resolve,
)
from figtrace.errors import FigtraceError

TEXT = (
    "In 2017 there were 2,118 referrals of children. The year before, 1,575 children were "
    "referred, and in 2015 some 982. In all, 2,118 referrals is the highest figure yet."
)


def anchor_at(needle: str, nth: int = 0, context: int = CONTEXT) -> Anchor:
    start = occurrences(TEXT, needle)[nth]
    return make_anchor(TEXT, start, start + len(needle), context)


def test_make_anchor_takes_the_context_either_side() -> None:
    a = anchor_at("1,575")
    assert a.exact == "1,575" and a.end - a.start == 5
    assert a.prefix == TEXT[a.start - CONTEXT : a.start] and len(a.prefix) == CONTEXT
    assert a.suffix == TEXT[a.end : a.end + CONTEXT] and len(a.suffix) == CONTEXT
    first = make_anchor(TEXT, 0, 2, 5)
    assert (first.prefix, first.exact, first.suffix) == ("", "In", " 2017")
    last = make_anchor(TEXT, len(TEXT) - 4, len(TEXT), 6)
    assert (last.prefix, last.exact, last.suffix) == ("igure ", "yet.", "")


@pytest.mark.parametrize(("start", "end"), [(-1, 3), (5, 5), (6, 5), (0, len(TEXT) + 1)])
def test_make_anchor_refuses_a_span_outside_the_text(start: int, end: int) -> None:
    with pytest.raises(ValueError, match=f"span {start}:{end} is outside a text of {len(TEXT)}"):
        make_anchor(TEXT, start, end)


def test_make_anchor_accepts_the_whole_text() -> None:
    assert make_anchor(TEXT, 0, len(TEXT)).exact == TEXT


def test_occurrences_include_overlapping_ones() -> None:
    assert occurrences("aaaa", "aa") == [0, 1, 2]
    assert occurrences(TEXT, "2,118") == [TEXT.index("2,118"), TEXT.rindex("2,118")]
    assert occurrences(TEXT, "nowhere") == []


def test_round_trip_through_the_annotation_mapping() -> None:
    a = anchor_at("982")
    data = a.to_dict()
    assert data == {"exact": "982", "prefix": a.prefix, "suffix": a.suffix,
                    "start": a.start, "end": a.end}  # fmt: skip
    assert Anchor.from_dict(data) == a
    assert Anchor.from_dict({"exact": "x", "start": "3", "end": "4"}) == Anchor("x", "", "", 3, 4)
    assert a.selectors() == [
        {"type": "TextQuoteSelector", "exact": "982", "prefix": a.prefix, "suffix": a.suffix},
        {"type": "TextPositionSelector", "start": a.start, "end": a.end},
    ]


def test_a_true_anchor_resolves() -> None:
    a = anchor_at("2,118", 1)
    assert resolve(a, TEXT, "w") == (a.start, a.end)
    short = anchor_at("2,118", 1, context=0)  # no context: the same words twice is ambiguous
    with pytest.raises(FigtraceError, match=r"occurs 2 times \(at 19, \d+\); lengthen prefix"):
        resolve(short, TEXT, "w")


def expect(anchor: Anchor, *problems: str) -> str:
    with pytest.raises(FigtraceError) as info:
        resolve(anchor, TEXT, "figure 'f' in 'doc'")
    message = str(info.value)
    assert message.startswith("figure 'f' in 'doc': anchor does not resolve: ")
    assert message.splitlines()[0].endswith("; ".join(problems) + ".")
    return message


def test_each_fault_is_named() -> None:
    a = anchor_at("1,575")
    moved = Anchor(a.exact, a.prefix, a.suffix, a.start + 1, a.end + 1)
    expect(moved, f"the text at {a.start + 1}:{a.end + 1} is ',575 ', not the quoted '1,575'")
    expect(Anchor(a.exact, "XX", a.suffix, a.start, a.end),
           "the prefix does not match the text before the quote",
           "the quote with its prefix and suffix does not occur in the text")  # fmt: skip
    expect(Anchor(a.exact, a.prefix, "YY", a.start, a.end),
           "the suffix does not match the text after the quote",
           "the quote with its prefix and suffix does not occur in the text")  # fmt: skip


def test_a_prefix_longer_than_the_text_before_is_a_fault() -> None:
    a = make_anchor(TEXT, 3, 7, 3)
    assert (a.prefix, a.exact) == ("In ", "2017")
    expect(Anchor(a.exact, "  In ", a.suffix, a.start, a.end),
           "the prefix does not match the text before the quote",
           "the quote with its prefix and suffix does not occur in the text")  # fmt: skip


def test_a_stale_anchor_suggests_the_repair() -> None:
    a = anchor_at("1,575")
    stale = Anchor(a.exact, a.prefix, a.suffix, a.start - 4, a.end - 4)  # text moved by 4
    message = expect(
        stale, f"the text at {a.start - 4}:{a.end - 4} is {TEXT[a.start - 4 : a.end - 4]!r}, "
        "not the quoted '1,575'"
    )  # fmt: skip
    lines = message.splitlines()
    assert lines[1] == (
        f"  nearest candidate passage (similarity 100.0): {a.start}:{a.end} "
        f"…{TEXT[a.start - 20 : a.start]}[1,575]{TEXT[a.end : a.end + 20]}…"
    )
    assert lines[2] == (
        f"  if that is the passage, re-anchor it: start: {a.start}, end: {a.end}, exact: '1,575' "
        "(or regenerate with `python -m figtrace annotate DOC_ID`), then re-check its value."
    )


def test_no_repair_is_offered_for_a_weak_match() -> None:
    lost = Anchor("zebra quagga", "", "", 0, 12)
    message = expect(
        lost, "the text at 0:12 is 'In 2017 ther', not the quoted 'zebra quagga'",
        "the quote with its prefix and suffix does not occur in the text",
    )  # fmt: skip
    assert "nearest candidate passage" in message and "re-anchor" not in message


def test_nearest_passage_maps_back_to_the_quote() -> None:
    a = anchor_at("982")
    edited = TEXT.replace("some 982", "some  982")
    start, end, score = nearest_passage(edited, a)
    assert edited[start:end] == "982" and 80 <= score < 100
    assert nearest_passage(TEXT, a) == (a.start, a.end, 100.0)
    assert nearest_passage("", a) is None
    assert nearest_passage(TEXT, Anchor("", "", "", 0, 0)) is None


def test_a_line_break_is_shown_in_the_description() -> None:
    text = "one\n2,118 referrals\nmore"
    a = make_anchor(text, 4, 9)
    with pytest.raises(FigtraceError) as info:
        resolve(Anchor(a.exact, a.prefix, a.suffix, 0, 5), text, "w")
    assert "…one⏎[2,118] referrals⏎more…" in str(info.value)


def test_an_ambiguous_anchor_names_where_its_quote_sits() -> None:
    text = "A: the 5 children. B: the 5 children."
    a = make_anchor(text, 7, 8, 4)
    assert (a.prefix, a.exact, a.suffix) == ("the ", "5", " chi")
    with pytest.raises(FigtraceError) as info:
        resolve(a, text, "w")
    assert "the quote with its context occurs 2 times (at 7, 26); lengthen prefix" in str(
        info.value
    )
