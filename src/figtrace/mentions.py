"""Mentions: every numeric expression in a document's text, with its value, kind, hedge and role.

A Mention is a span `[start, end)` of the document text (`text == document_text[start:end]`,
always) holding one number expression with its unit words ("80 per cent", "one in six",
"£26,927", "doubled", "second highest"); the hedge before it ("more than") is the `qualifier`.
Extraction is rule-based: number grammar, unit and hedge words, and the line/block structure of
page furniture, so one compiled set of regular expressions serves every document quickly.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from figtrace.errors import FigtraceError

if TYPE_CHECKING:  # pandas is imported where a table is built: a shard job may need none
    import pandas as pd

    from figtrace.documents import Document
    from figtrace.text import CanonicalText

KINDS: tuple[str, ...] = (
    "count", "percent", "fraction", "ratio", "multiplier", "rank", "money", "year", "date",
    "period", "duration", "age", "time", "phone", "postcode", "reference", "identifier", "other",
)  # fmt: skip
ROLES: tuple[str, ...] = ("statistic", "date", "boilerplate", "name", "other")
QUALIFIERS: tuple[str, ...] = (
    "more_than", "over", "nearly", "almost", "around", "approximately", "about", "at_least",
    "up_to", "at_most", "only", "just", "fewer_than", "less_than", "under", "exactly",
    "as_many_as",
)  # fmt: skip
MENTION_COLUMNS: list[str] = [
    "doc_id", "start", "end", "text", "value", "kind", "qualifier", "qualifier_start", "role",
    "unit", "sentence_start", "sentence_end", "page", "element_path", "furniture",
]  # fmt: skip


class Mention(NamedTuple):
    """One numeric expression: its span in the text, what it means, and what part it plays.
    (A named tuple: a page makes dozens, and a frozen dataclass costs three times as much to
    build.)"""

    start: int
    end: int
    text: str
    value: float | None
    kind: str
    qualifier: str | None
    role: str
    sentence_start: int
    sentence_end: int
    qualifier_start: int | None
    unit: str | None


# --- number grammar ------------------------------------------------------------------------

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20,
}  # fmt: skip
DENOMINATORS = {"half": 2, "halves": 2, "quarter": 4, "quarters": 4} | {
    word + suffix: n for word, n in ORDINALS.items() if n >= 3 for suffix in ("", "s")
}
MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
SUPERLATIVE = (
    r"highest|lowest|largest|biggest|smallest|greatest|fewest|worst|best|most|least|"
    r"busiest|poorest|richest|fastest|slowest|oldest|youngest|deadliest|safest"
)

_SP = r"[ \t\u00a0]"  # spacing inside one expression never crosses a line
_UNIT = "|".join(sorted(UNITS, key=len, reverse=True))
_TEN = "|".join(TENS)
_SMALL = rf"(?:(?:{_TEN})(?:[- ](?:{_UNIT}))?|{_UNIT})"
_BIG = r"(?:thousand|million|billion)"
_HUNDREDS = (
    rf"(?:(?:{_SMALL}|a(?={_SP}+hundred\b))(?:{_SP}+hundred(?:{_SP}+(?:and{_SP}+)?{_SMALL})?)?)"
)
_WORDNUM = (
    rf"(?:(?:{_HUNDREDS}|a(?={_SP}+{_BIG}\b))"
    rf"(?:{_SP}+{_BIG}(?:{_SP}+(?:and{_SP}+)?{_HUNDREDS})?)?)"
)
_DIGITS = r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
_DIGITNUM = rf"(?:{_DIGITS}(?:{_SP}?(?:million|billion|thousand|bn|m)\b)?)"
_NUM = rf"(?:(?<![\w.,]){_DIGITNUM}(?![0-9])|\b{_WORDNUM}\b)"
_ORD = "|".join(sorted(ORDINALS, key=len, reverse=True))
_DENOM = "|".join(sorted(DENOMINATORS, key=len, reverse=True))


def _c(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(pattern, flags | re.ASCII)


# compiled once: a handler that built these from strings on every call spent more on that than
# on matching
_NUMBERS_IN = re.compile(rf"(?i){_DIGITS}|\b{_WORDNUM}\b")
_LEADING_NUMBER = re.compile(rf"(?i){_DIGITNUM}|{_WORDNUM}")
_LEADING_PLAIN_NUMBER = re.compile(rf"(?i){_DIGITS}|{_WORDNUM}")


_DIGIT_VALUE = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s?(million|billion|thousand|bn|m)?", re.ASCII)
_SCALE = {"million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "thousand": 1e3}


def parse_number(token: str) -> float | None:
    """The value of a number written in digits ("1,060", "2.5m") or words ("Forty-two")."""
    if token.isdigit():
        return float(token)  # the common case, first
    t = token.lower().replace(",", "").replace("\u00a0", " ").strip()
    m = _DIGIT_VALUE.fullmatch(t)
    if m:
        return float(m.group(1)) * _SCALE.get(m.group(2) or "", 1.0)
    total = current = 0
    seen = False
    for word in re.split(r"[\s-]+", t):
        if word in ("and", ""):
            continue
        if word == "a":
            current, seen = 1, True
        elif word in UNITS:
            current += UNITS[word]
            seen = True
        elif word in TENS:
            current += TENS[word]
            seen = True
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word in SCALES:
            total += max(current, 1) * SCALES[word]
            current = 0
        else:
            return None
    return float(total + current) if seen else None


# --- hedges -------------------------------------------------------------------------------

_HEDGES = {
    "more than": "more_than", "in excess of": "more_than", "upwards of": "more_than",
    "well over": "over", "just over": "over", "over": "over", "nearly": "nearly",
    "almost": "almost", "around": "around", "approximately": "approximately",
    "approx.": "approximately", "roughly": "approximately", "an estimated": "approximately",
    "an average of": "approximately", "about": "about", "at least": "at_least",
    "up to": "up_to", "no more than": "at_most", "at most": "at_most", "only": "only",
    "just": "just", "fewer than": "fewer_than", "less than": "less_than",
    "just under": "under", "under": "under", "below": "under", "exactly": "exactly",
    "as many as": "as_many_as",
}  # fmt: skip
_HEDGE_RE = _c(
    r"(?<![\w])("
    + "|".join(re.escape(h).replace(r"\ ", r"\s+") for h in sorted(_HEDGES, key=len, reverse=True))
    + r")\s+(the\s+)?$"
)
# the last word of every hedge (and "the": "more than the 500"): only after one is _HEDGE_RE tried
_HEDGE_LAST = frozenset(h.split()[-1].rstrip(".") for h in _HEDGES) | {"the"}


def _hedge_word_before(text: str, s: int) -> str:
    """The word that ends just before position s past any whitespace (and a full stop, for
    "approx."), lower-cased: the last word of a hedge, if there is one."""
    tail = text[max(0, s - 40) : s].rstrip()
    j = len(tail) - 1 if tail.endswith(".") else len(tail)
    i = j
    while i > 0 and tail[i - 1].isalpha():
        i -= 1
    return tail[i:j].lower()


_HEDGED_KINDS = {
    "count", "percent", "fraction", "ratio", "multiplier", "money", "duration", "age",
}  # fmt: skip


# --- candidate patterns, in priority order (an earlier pattern claims its span first) ------

Handler = Callable[[re.Match[str], str], "tuple[float | None, str, str | None, str | None]"]
# A handler returns (value, kind, unit, role or None for "decide from context").

_PATTERNS: list[tuple[tuple[str, int], Handler]] = []  # a rule's pattern source and flags
# Each rule's pattern, compiled when a token first triggers it: a job that extracts from one new
# document compiles the few its words trigger, not all thirty (about 0.09 s of every start).
_COMPILED: list[re.Pattern[str] | None] = []
# Which patterns can start at a token: "0" a digit, a symbol, GLUED a word glued to digits
# ("Catch22", "SE1"), else the lower-cased word. Only those patterns are tried there.
_TRIGGERS: dict[str, list[int]] = {}
DIGIT, GLUED = "0", "GLUED"
NUMBER_WORDS = frozenset(UNITS) | frozenset(TENS) | {"a", "an"}


def _rule(
    pattern: str, *starts: str | Iterable[str], flags: int = re.IGNORECASE
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        index = len(_PATTERNS)
        _PATTERNS.append(((pattern, flags), handler))
        _COMPILED.append(None)
        for start in starts:
            for key in [start] if isinstance(start, str) else start:
                _TRIGGERS.setdefault(
                    key.lower() if len(key) > 1 and key != GLUED else key, []
                ).append(index)
        return handler

    return register


@_rule(
    r"(?<![A-Za-z0-9])(?:[A-PR-UWYZ][A-HK-Y]?[0-9][A-Z0-9]?[ \u00a0][0-9][ABD-HJLNP-UW-Z]{2}|GIR 0AA)"
    r"(?![A-Za-z0-9])",
    GLUED,
    flags=0,
)
def _postcode(m: re.Match[str], text: str):
    return None, "postcode", None, "boilerplate"


@_rule(
    r"(?<![\w.,-])(?:97[89][- ])?[0-9]{1,5}[- ][0-9]{1,7}[- ][0-9]{1,7}[- ][0-9X](?![\w-])", DIGIT
)
def _isbn(m: re.Match[str], text: str):
    # a book number: 10 or 13 digits in four or five hyphenated (or spaced) groups
    if len(re.sub(r"[^0-9X]", "", m.group(0))) not in (10, 13):
        return None
    return None, "identifier", None, "boilerplate"


@_rule(
    rf"(?<![\w+])(?:\+44{_SP}?(?:\(0\){_SP}?)?[1-9][0-9]{{1,4}}|\(?0[1-9][0-9]{{1,4}}\)?)"
    rf"(?:[ \u00a0-]?[0-9]{{3,4}}){{1,2}}(?![0-9])",
    DIGIT,
    "+",
    "(",
)
def _phone(m: re.Match[str], text: str):
    digits = re.sub(r"[^0-9]", "", m.group(0))
    if m.group(0).startswith("+"):
        digits = "0" + digits[2:]
    # freephone numbers (0500, 080x) also come with 8 or 9 digits: "0800 1111"
    if len(digits) not in (10, 11) and not (len(digits) in (8, 9) and digits[:3] in _FREEPHONE):
        return None
    return None, "phone", None, "boilerplate"


_FREEPHONE = ("050", "080")


@_rule(
    rf"\b[0-9]{{1,2}}(?:[:.][0-9]{{2}})?{_SP}?(?:am|pm|a\.m\.|p\.m\.)"
    rf"{_SP}*(?:-|–|to){_SP}*[0-9]{{1,2}}(?:[:.][0-9]{{2}})?{_SP}?(?:am|pm|a\.m\.|p\.m\.)",
    DIGIT,
)
def _opening_hours(m: re.Match[str], text: str):
    return None, "time", None, "boilerplate"


_CALL_VERBS = ("call", "dial", "ring", "text", "phone", "tel", "telephone", "freephone", "sms")


@_rule(
    rf"\b(?:{'|'.join(_CALL_VERBS)})\.?(?:{_SP}+us)?(?:{_SP}+(?:free{_SP}+)?on)?{_SP}*:?{_SP}*"
    rf"(?P<span>[0-9]{{3}}(?:{_SP}[0-9]{{3}})?|[0-9]{{5}}(?![ \u00a0-][0-9]))(?![0-9]|[.,][0-9])",
    _CALL_VERBS,
)
def _short_phone(m: re.Match[str], text: str):
    # a short service number after a calling verb: "dial 999", "text 116 000" (five digits
    # followed by more are an area code, left to _phone: "call 01632 960 123")
    return None, "phone", None, "boilerplate"


@_rule(
    rf"(?<![\w.,])(?:24/7|24x7|(?:24|twenty-four)(?:-hours?\b|{_SP}+hours?{_SP}+(?:a|per){_SP}+day\b)"
    rf"|(?:7|seven){_SP}+days{_SP}+(?:a|per){_SP}+week\b|365{_SP}+days{_SP}+(?:a|per){_SP}+year\b)",
    DIGIT,
    ("twenty", "seven"),
)
def _service_hours(m: re.Match[str], text: str):
    # "24 hours a day", "365 days a year", "24/7": the whole clock, a service's opening hours
    return None, "time", None, "boilerplate"


@_rule(
    rf"\b(?:page|p\.|pg\.?|slide|image|photo|picture|item){_SP}*[0-9]{{1,4}}"
    rf"{_SP}*(?:of|/|von|de|sur){_SP}*[0-9]{{1,4}}(?![\w/])"
    rf"|[0-9]{{1,4}}{_SP}+(?:of|von|de|sur){_SP}+[0-9]{{1,4}}[ \t]*(?=\n|$)",
    DIGIT,
    ("page", "p", "pg", "slide", "image", "photo", "picture", "item"),
)
def _page_counter(m: re.Match[str], text: str):
    # "Page 2 of 61", "Slide 3 / 18", or "2 of 61" alone on its line ("90 / 609" alone is a sum)
    if m.group(0)[0].isdigit():
        ls = text.rfind("\n", 0, m.start()) + 1
        if text[ls : m.start()].strip():
            return None
    return None, "reference", None, "boilerplate"


@_rule(
    rf"(?<![\w.,])[0-9]{{1,2}}(?:\.[0-9])?{_SP}*(?:-|–|to){_SP}*[0-9]{{1,2}}(?:\.[0-9])?"
    rf"{_SP}+(?:hours?{_SP}+|hrs?{_SP}+)?(?:a|per|each){_SP}+week\b",
    DIGIT,
)
def _weekly_hours(m: re.Match[str], text: str):
    # "37 to 40 a week", "16-20 hours per week": the hours of a job, not two counts
    if re.search(r"(?i)\bfrom[ \t\u00a0]+$", text[max(0, m.start() - 8) : m.start()]):
        return None  # "rose from 37 to 40 a week" compares two counts
    ls = text.rfind("\n", 0, m.start()) + 1
    le = text.find("\n", m.end())
    line = text[ls : len(text) if le < 0 else le]
    return (
        None,
        "duration",
        "hours per week",
        "boilerplate" if not _FULL_STOP.search(line) else "other",
    )


@_rule(rf"(?<![\w.,])[0-9]+(?:\.[0-9]+)?{_SP}?(?:KB|MB|GB|kB|Kb|Mb)\b", DIGIT, flags=0)
def _file_size(m: re.Match[str], text: str):
    return None, "other", None, "boilerplate"


@_rule(rf"(?<![\w.,])[0-9]{{1,3}}(?:{_SP}?|-)(?:mins?|minutes?)(?:{_SP}+|-)read\b", DIGIT)
def _read_time(m: re.Match[str], text: str):
    return float(re.match(r"[0-9]+", m.group(0)).group(0)), "duration", "minutes", "boilerplate"


@_rule(
    rf"(?<![\w.,])(?:[0-9]{{1,2}}(?:st|nd|rd|th)?{_SP}+(?:of{_SP}+)?(?:{MONTHS})\.?"
    rf"(?:,?{_SP}+[12][0-9]{{3}})?|(?:{MONTHS})\.?{_SP}+[0-9]{{1,2}}(?:st|nd|rd|th)?"
    rf"(?:,?{_SP}+[12][0-9]{{3}})?(?![0-9])|(?:{MONTHS}){_SP}+[12][0-9]{{3}}"
    r"|(?P<d>[0-9]{1,2})(?P<sep>[/.-])(?P<m>[0-9]{1,2})(?P=sep)(?:[0-9]{4}|[0-9]{2})"
    r"|[12][0-9]{3}-[01][0-9]-[0-3][0-9]"
    rf"|[0-9]{{1,2}}(?:st|nd|rd|th)?(?={_SP}*(?:-|–|to|and|&){_SP}*[0-9]{{1,2}}(?:st|nd|rd|th)?"
    rf"{_SP}+(?:{MONTHS})\b))(?![\w/]|[.-][0-9])",
    DIGIT,
    MONTHS.split("|"),
    flags=0,
)
def _date(m: re.Match[str], text: str):
    if m.group("d") and not (1 <= int(m.group("d")) <= 31 and 1 <= int(m.group("m")) <= 12):
        return None  # "2.13.5" is no date
    if m.group("sep") in (".", "-") and len(m.group(0)) == 8 and len(m.group("d")) == 1:
        return None  # "1.2.10": a section number, not a date
    return None, "date", None, "date"


@_rule(r"(?<![\w.,/])[0-9]{4}[-/][0-9]{3,}(?![\w/])", DIGIT)
def _code(m: re.Match[str], text: str):
    # "2023/7781", "2023-448": a year-prefixed reference, not a period or two numbers
    head, tail = re.split(r"[-/]", m.group(0))
    if len(tail) == 4 and int(head) < int(tail) <= int(head) + 10:
        return None  # "2019-2021" is a period
    return None, "identifier", None, "boilerplate"


@_rule(r"(?<![\w.,/])((?:19|20)[0-9]{2})[-/–]((?:19|20)?[0-9]{2})(?![\w/])", DIGIT)
def _period(m: re.Match[str], text: str):
    first, second = m.group(1), m.group(2)
    end = int(second) if len(second) == 4 else int(first[:2] + second)
    if end <= int(first):
        return None
    return None, "period", None, "date"


@_rule(
    rf"\bQ[1-4](?![\w])|\bquarter{_SP}+[1-4]\b"
    rf"|\b(?:first|second|third|fourth|final|last){_SP}+(?:quarter|half)\b"
    rf"(?=\s+(?:of|in)\b|{_SP}+(?:19|20)[0-9]{{2}}|\s*[,.;:)]|\s*$)",
    ("q", "quarter", "first", "second", "third", "fourth", "final", "last"),
)
def _part_of_year(m: re.Match[str], text: str):
    # "Q3", "quarter 3", "the second quarter", "the first half of 2020": a part of a year
    return None, "date", None, "date"


@_rule(
    rf"(?<![\w.,])(?:age[ds]?{_SP}+(?:of{_SP}+)?(?:between{_SP}+)?{_NUM}"
    rf"(?:{_SP}*(?:-|–|to|and|or){_SP}*{_NUM})?"
    rf"|as{_SP}+(?:young|old){_SP}+as{_SP}+{_NUM}"
    rf"|{_NUM}-?{_SP}*(?:to|and|-|–|or){_SP}*{_NUM}[- ]years?[- ]olds?"
    rf"|{_NUM}(?:[- ]years?[- ]olds?|{_SP}+years?{_SP}+of{_SP}+age)"
    rf"|under-[0-9]{{1,2}}s?|over-[0-9]{{1,2}}s?)(?![\w-])",
    DIGIT,
    NUMBER_WORDS,
    ("age", "aged", "ages", "under", "over", "as"),
)
def _age(m: re.Match[str], text: str):
    rest = re.sub(r"(?i)^(?:age[ds]?\s+(of\s+)?|as\s+(?:young|old)\s+as\s+)", "", m.group(0))
    nums = _NUMBERS_IN.findall(rest)
    value = parse_number(nums[0]) if len(nums) == 1 else None  # a range has no single value
    return value, "age", "years", "other"


@_rule(
    rf"(?<![\w.,])(?:[0-9]{{1,2}}[:.][0-9]{{2}}{_SP}?(?:am|pm|a\.m\.|p\.m\.)"
    rf"|[0-9]{{1,2}}{_SP}?(?:am|pm|a\.m\.|p\.m\.)|[0-2]?[0-9]:[0-5][0-9])(?![\w])",
    DIGIT,
)
def _time(m: re.Match[str], text: str):
    return None, "time", None, "other"


@_rule(r"(?<![\w.,/])([0-9]{1,2})/([0-9]{1,2})(?![\w/]|[.,][0-9])", DIGIT)
def _slash_fraction(m: re.Match[str], text: str):
    a, b = int(m.group(1)), int(m.group(2))
    if not 0 < a < b <= 10:
        return None
    return a / b, "fraction", None, None


_RATE_BASES = frozenset(10.0**k for k in range(2, 13))  # per 100 ... per 1,000,000,000,000
_RATIO_LINK = _c(r"[ \u00a0-](?:in|out\s+of|per)[ \u00a0-](?:every\s+)?")


@_rule(
    rf"(?:(?<![\w.,])(?:{_DIGITS})|\b(?:{_WORDNUM}))(?:[ \u00a0-](?:in|out{_SP}of)[ \u00a0-]"
    rf"(?:every{_SP}+)?|{_SP}+per{_SP}+)(?:(?:{_DIGITNUM})(?![0-9])|(?:{_WORDNUM})\b"
    r"|(?:hundred|thousand|million)\b)",
    DIGIT,
    NUMBER_WORDS,
)
def _ratio(m: re.Match[str], text: str):
    s = m.group(0)
    link = _RATIO_LINK.search(s)
    if link is None or "out" in link.group(0).lower():
        return None  # "X out of Y" is two counts
    a, b = parse_number(s[: link.start()]), _denominator(s[link.end() :])
    if a is None or b is None or 1800 <= b <= 2100 and "," not in s[link.end() :]:
        return None
    # a rate stated per a round base ("5 per 1,000", "3 in every 100,000") keeps the base as
    # its unit; the value is the proportion, as for "one in six"
    base = b in _RATE_BASES
    if "per" in link.group(0).lower():
        if not base or a <= 0:
            return None  # "N per M" is a rate only per a round base
    elif not 0 < a < b:
        return None
    return a / b, "ratio", f"per {b:,.0f}" if base else None, "statistic"


def _denominator(token: str) -> float | None:
    word = token.lower().strip()
    return float(SCALES[word]) if word in SCALES else parse_number(token)


@_rule(
    rf"(?<![\w.,])(?:{_DIGITNUM}|\b{_WORDNUM})(?:{_SP}?%|pc\b|(?:{_SP}+|-)per(?:{_SP}|-)?cent\b"
    rf"|(?:{_SP}+|-)percent\b|{_SP}+percentage{_SP}+points?\b)",
    DIGIT,
    NUMBER_WORDS,
)
def _percent(m: re.Match[str], text: str):
    num = _LEADING_NUMBER.match(m.group(0))
    value = parse_number(num.group(0)) if num else None
    if value is None:
        return None
    points = re.search(r"(?i)points?$", m.group(0))
    return value, "percent", "percentage points" if points else "percent", None


@_rule(
    rf"(?:(?:US)?[£$€]|\b(?:GBP|USD|EUR){_SP}?){_SP}?{_DIGITS}"
    rf"(?:{_SP}?(?:million|billion|thousand|bn|m|k)\b)?"
    rf"|(?<![\w.,]){_DIGITNUM}{_SP}+(?:pounds|dollars|euros)\b|(?<![\w.,])[0-9]{{1,3}}p\b",
    DIGIT,
    "£",
    "$",
    "€",
    ("us", "gbp", "usd", "eur"),
)
def _money(m: re.Match[str], text: str):
    s = m.group(0)
    unit = "GBP" if "£" in s or "pound" in s.lower() or "GBP" in s or s.endswith("p") else None
    unit = unit or ("EUR" if "€" in s or "EUR" in s or "euro" in s.lower() else "USD")
    num = re.search(_DIGITS, s)
    value = parse_number(num.group(0)) if num else None
    if value is None:
        return None
    if re.search(r"(?i)(billion|bn)\b", s):
        value *= 1e9
    elif re.search(r"(?i)(million|m)\b", s):
        value *= 1e6
    elif re.search(r"(?i)(thousand|k)\b", s):
        value *= 1e3
    elif s.endswith("p") and unit == "GBP" and "£" not in s:
        value /= 100
    return value, "money", unit, None


@_rule(
    rf"\b(?:(?:a|an|one|{_SMALL}|[0-9]+)[ \u00a0-]+(?:{_DENOM})|half)(?![\w-])"
    rf"|\b(?:{_SMALL}|[0-9]+){_SP}+and{_SP}+a{_SP}+half\b",
    DIGIT,
    NUMBER_WORDS,
    ("half",),
)
def _fraction(m: re.Match[str], text: str):
    words = re.split(r"[ \u00a0-]+", m.group(0).lower())
    if words[-1] == "half" and len(words) > 2 and words[-3] == "and":
        whole = parse_number(" ".join(words[:-3]))
        return (None if whole is None else whole + 0.5), "count", None, None
    denom = DENOMINATORS.get(words[-1])
    numer = (
        1.0 if len(words) == 1 or words[0] in ("a", "an") else parse_number(" ".join(words[:-1]))
    )
    if denom is None or numer is None:
        return None
    if words[-1] in ORDINALS and not (
        words[0] in ("a", "an", "one") or text[m.end() : m.end() + 4].lower() == " of "
    ):
        return None  # "the third ...", "two fifth ..." are not fractions here
    return numer / denom, "fraction", None, None


@_rule(
    rf"(?<![\w.,])(?:{_DIGITS}|{_WORDNUM}){_SP}+times\b"
    rf"|\b(?:(?:{_SMALL}|[0-9]+)-?fold|doubl(?:e|ed|es|ing)|twice|trebl(?:e|ed|es|ing)"
    r"|tripl(?:e|ed|es|ing)|quadrupl(?:e|ed|es|ing)|halv(?:e|ed|es|ing))(?![\w-])",
    DIGIT,
    NUMBER_WORDS,
    [w + "fold" for w in (*UNITS, *TENS)],
    [
        stem + end
        for stem in ("doubl", "trebl", "tripl", "quadrupl", "halv")
        for end in ("e", "ed", "es", "ing")
    ],
    ("twice",),
)
def _multiplier(m: re.Match[str], text: str):
    s = m.group(0).lower()
    if s in _ADJECTIVE_FORMS and _used_as_adjective(m, text):
        return None
    for stem, value in (("doubl", 2.0), ("twice", 2.0), ("trebl", 3.0), ("tripl", 3.0),
                        ("quadrupl", 4.0), ("halv", 0.5)):  # fmt: skip
        if s.startswith(stem):
            return value, "multiplier", None, None
    num = _LEADING_PLAIN_NUMBER.match(s.replace("-fold", " ").replace("fold", " "))
    value = parse_number(num.group(0)) if num else None
    return None if value is None else (value, "multiplier", None, None)


# "double", "triple" ... are also adjectives ("double standards", "a double life"): as verbs
# they are followed by an object's determiner, a preposition or an adverb, or end the clause.
_ADJECTIVE_FORMS = frozenset(
    stem + end for stem in ("doubl", "trebl", "tripl", "quadrupl") for end in ("e", "es")
)
_AFTER_VERB = frozenset((
    "the", "that", "this", "these", "those", "its", "their", "his", "her", "our", "your", "my",
    "what", "it", "them", "in", "by", "over", "since", "from", "to", "within", "between",
    "during", "after", "before", "again", "every", "each", "next", "last", "and", "or", "but",
    "as", "than", "if", "when", "while", "compared", "on", "at", "for", "overall",
))  # fmt: skip


def _used_as_adjective(m: re.Match[str], text: str) -> bool:
    before = text[max(0, m.start() - 4) : m.start()].lower()
    after = re.match(r"[ \t\u00a0]+([A-Za-z]+)", text[m.end() : m.end() + 30])
    if re.search(r"\ban?[ \t\u00a0]+$", before):
        return True
    return after is not None and after.group(1).lower() not in _AFTER_VERB


@_rule(rf"\b(?:{_ORD}|[0-9]+(?:st|nd|rd|th))(?:[- ](?:{SUPERLATIVE}))?\b", DIGIT, ORDINALS)
def _rank(m: re.Match[str], text: str):
    s = m.group(0).lower()
    head = re.match(r"[a-z]+|[0-9]+", s).group(0)
    value = float(ORDINALS[head]) if head in ORDINALS else float(head)
    after = text[m.end() : m.end() + 14].lower()
    if re.match(r"[ \t\u00a0]+birthday\b", after):
        return value, "age", "years", "other"
    # a rank is a statistic when it ranks something ("second highest", "second only to");
    # a bare ordinal ("the first area", "a second chance", "the 21st century") is ordinary language
    if re.search(r"[- ]", s) or re.match(r"\s+only\s+(?:to|behind)\b", after):
        return value, "rank", None, "statistic"
    return value, "rank", None, "other"


@_rule(
    rf"\b(?:top|bottom)[ \u00a0-]({_DIGITS}|{_WORDNUM})"
    rf"({_SP}?%|{_SP}+per{_SP}?cent\b|{_SP}+percent\b|(?![\w-]))",
    ("top", "bottom"),
)
def _selection(m: re.Match[str], text: str):
    # "the top 10 areas", "the bottom 5%": which ones are picked, not a measured number
    if re.search(r"(?i)\bon[ \t\u00a0]+$", text[max(0, m.start() - 4) : m.start()]):
        return None  # "on top 10 more were found"
    value = parse_number(m.group(1))
    return value, "rank", "percent" if m.group(2) else None, "other"


_PERIODS = "second|minute|hour|day|week|fortnight|month|year"
_NOT_COUNTED = (
    "of|in|per|every|each|a|an|the|another|other|others|more|less|way|hand|side|such|point|"
    "lot|lots|number|few|couple|bit|total|handful|dozen|variety|range|series|rate|proportion|"
    "percentage|fraction|share|majority|minority|average|maximum|minimum|little|half|quarter|"
    "third|time|times|count|counts|figure|figures|rise|increase|fall|drop|decline|decrease|"
    f"change|record|difference|{_PERIODS}|{_PERIODS.replace('|', 's|')}s"
)
# "a count over a year", "one child in a week": a span of time, not a rate
_BEFORE_SPAN = (
    "over|in|for|within|during|across|throughout|per|than|under|after|before|about|around|"
    "from|to|into|of|by|at|on|with|without|once|twice"
)
_COUNTED_WORD = (
    rf"(?!(?:{_UNIT}|{_TEN}|hundred|thousand|million|billion|and|or|but|than)\b)[A-Za-z]+"
)
_AFTER_ONE = _c(r"\b(?:any|every|each|no|the|this|that|which|at)[ \t\u00a0]+$")


@_rule(
    rf"\b(?:one|an?)(?={_SP}+(?!(?:{_NOT_COUNTED})\b))(?:{_SP}+{_COUNTED_WORD}(?:-[A-Za-z]+)*)"
    rf"{{0,3}}?{_SP}+(?!(?:{_BEFORE_SPAN})\b){_COUNTED_WORD}(?:-[A-Za-z]+)*"
    rf"{_SP}+(?:every|each|per|a|an){_SP}+(?:single{_SP}+)?"
    rf"(?:((?:[0-9]{{1,3}}|{_SMALL}){_SP}+(?:{_PERIODS})s|(?:{_PERIODS})))\b",
    ("one", "a", "an"),
)
def _count_per_period(m: re.Match[str], text: str):
    # "one child trafficked every day", "one girl a week", "a child every 10 minutes": one
    # thing per period is a rate; the period is the unit
    if _AFTER_ONE.search(text, max(0, m.start() - 12), m.start()):
        return None  # "at any one time", "the one thing ..."
    period = m.group(1).lower().split()
    if len(period) == 2:
        period[0] = f"{parse_number(period[0]):,.0f}"
    return 1.0, "count", "per " + " ".join(period), "statistic"


@_rule(
    r"\b(?:(?:tens|hundreds)\s+of\s+)?(?:hundreds|thousands|millions|dozens)\b"
    r"|\ba\s+dozen\b|\bdozen\b",
    ("tens", "hundreds", "thousands", "millions", "dozens", "dozen", "a"),
)
def _vague(m: re.Match[str], text: str):
    s = m.group(0).lower()
    if "dozen" in s and not s.endswith("s"):
        return 12.0, "count", None, None
    return None, "count", None, "other"


@_rule(r"\ba\s+single\b|\bonce\b", ("a", "once"))
def _idiom_one(m: re.Match[str], text: str):
    return 1.0, "count", None, "other"


@_rule(r"\[[0-9]{1,7}\]|\([0-9]{5,8}\)", "[", "(")
def _bracketed(m: re.Match[str], text: str):
    # "[4]", "[247913]": a note or question number; "(1094478)": a registration number
    number = float(m.group(0)[1:-1])
    if m.group(0)[0] == "[":
        return number, "reference", None, "other"
    return number, "identifier", None, "boilerplate"


@_rule(r"(?<![\w-])[A-Za-z]+-?[0-9]+[A-Za-z0-9]*(?![\w])", GLUED, flags=0)
def _glued_name(m: re.Match[str], text: str):
    s = m.group(0)
    if not s[0].isupper():
        return None
    num = re.search(r"[0-9]+", s)
    return float(num.group(0)), "other", None, "name"


@_rule(
    rf"(?<![\w.,]){_DIGITNUM}(?![0-9])(?:(?:{_SP}+|-)(?:years?|months?|weeks?|days?|hours?"
    rf"|minutes?|mins?|seconds?|decades?|centuries)\b)?|\b{_WORDNUM}(?:(?:{_SP}+|-)(?:years?"
    rf"|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries)\b)?(?![\w-])",
    DIGIT,
    NUMBER_WORDS,
)
def _number(m: re.Match[str], text: str):
    s = m.group(0)
    dur = _DURATION_UNIT.search(s) if s[-1:].isalpha() else None
    num_text = s[: dur.start()] if dur else s
    value = parse_number(num_text)
    if value is None or num_text.lower() == "a":
        return None
    if dur:
        unit = dur.group(1).lower()
        unit = "minutes" if unit.startswith("min") else unit.rstrip("s") + "s"
        return value, "duration", unit, _duration_role(m, text)
    if len(num_text) == 4 and _YEAR_LIKE.fullmatch(num_text) and _looks_like_year(m, text):
        return value, "year", None, "date"
    return value, "count", None, None


_DURATION_UNIT = _c(
    r"(?:\s+|-)(years?|months?|weeks?|days?|hours?|minutes?|mins?|seconds?|decades?|centuries)$"
)
_YEAR_LIKE = re.compile(r"(?:1[89]|20)[0-9]{2}")


_YEAR_PREP = _c(
    r"\b(?:in|since|from|until|till|by|before|after|during|of|between|and|to|through|for|"
    r"year|early|late|mid|summer|winter|spring|autumn|the|compared\s+(?:to|with)|than)\s+$|[-–(/]\s*$"
)
# before these a four-digit number is a year even when a plural noun follows ("in 2017 councils")
_YEAR_ONLY_PREP = _c(
    r"\b(?:in|since|from|until|till|by|before|after|during|between|through|year|early|late|mid|"
    r"summer|winter|spring|autumn|the)\s+$|[-–(/]\s*$"
)
_NOT_PLURAL = frozenset(("is", "was", "has", "as", "its", "this", "thus", "us", "yes", "always"))
_PLURAL_NOUNS = frozenset(("children", "people", "men", "women", "staff", "police"))


def _looks_like_year(m: re.Match[str], text: str) -> bool:
    """A four-digit 1800-2099 number is a year unless a plural noun follows it ("2000 children",
    "more than 1900 victims"); after "in", "since", "the" ... it is a year all the same."""
    before = text[max(0, m.start() - 20) : m.start()]
    after = re.match(r"[ \t\u00a0]+([a-z]+)", text[m.end() : m.end() + 30])
    word = after.group(1) if after else ""
    plural = word not in _NOT_PLURAL and (word.endswith("s") or word in _PLURAL_NOUNS)
    if plural and not _YEAR_ONLY_PREP.search(before):
        return False
    if _YEAR_PREP.search(before):
        return True
    return not (after and after.group(1) not in ("and", "or", "to", "the", "was", "saw", "were"))


_ANCHORED = _c(r"\b(?:last|past|previous|next|coming|first|recent|latest)[ \t\u00a0]+$")
_AVERAGE = _c(r"\b(?:average|averaged|averaging|mean|median)\b[^.!?\n]{0,25}$")


def _duration_role(m: re.Match[str], text: str) -> str:
    """A span of time frames the text ("over 30 years", "for two years"): `other`; anchored to
    now ("the last two years", "three decades ago"): `date`; an average duration: `statistic`."""
    before = text[max(0, m.start() - 40) : m.start()]
    after = text[m.end() : m.end() + 14].lower()
    if _ANCHORED.search(before) or re.match(r"[ \t\u00a0]+ago\b", after):
        return "date"
    if _AVERAGE.search(before) or re.match(r"[ \t\u00a0]+on[ \t\u00a0]+average\b", after):
        return "statistic"
    return "other"


# --- context: sentences, blocks, page furniture, names ---------------------------------------

# a line break, or ./!/? (more of them, closing quotes or brackets) before a space; each branch
# opens with its character, so that a search skips from one of these to the next
_END_TAIL = r"[.!?]*[\"'”’)\]]*(?=\s)"
_SENTENCE_END = re.compile(rf"\n|\.{_END_TAIL}|!{_END_TAIL}|\?{_END_TAIL}")
_BLOCK_SPLIT = re.compile(r"\n[ \t\u00a0]*\n")
_SALARY_RANGE = rf"[£$€]{_SP}?[0-9][0-9,.]*{_SP}?k?{_SP}*(?:-|–|—|to){_SP}*[£$€]?{_SP}?[0-9]"
_SALARY_RATE = (
    rf"[£$€]{_SP}?[0-9][0-9,.]*{_SP}?k?{_SP}*(?:per{_SP}+annum|p\.?a\.?\b|per{_SP}+(?:year|hour|"
    rf"week|day)|an{_SP}+hour|a{_SP}+year|pro{_SP}+rata|/{_SP}?(?:yr|year|hour|hr|annum))"
)
_SALARY = _c(f"{_SALARY_RANGE}|{_SALARY_RATE}")
# on a line that is not a sentence, pay as a job advert states it: a rate, a sum in k, or a
# range on a short line ("costs ranged from £20,000 to £45,000" in a long bullet is a finding)
_PAY_RATE = _c(rf"{_SALARY_RATE}|[£$€]{_SP}?[0-9][0-9,.]*{_SP}?k\b")
_PAY_RANGE = _c(rf"(?<!from{_SP})(?<!between{_SP}){_SALARY_RANGE}")
_FURNITURE_LINE = _c(
    r"^\W*(?:page\s+[0-9]+\s+of\s+[0-9]+|[0-9][0-9,]*\s+(?:shares?|comments?|likes?|views?|"
    r"followers?|replies)|©|copyright|share\b|advertisement|hide\s+ad|updated|published|posted)"
)
_TERMINAL = ".!?:;\"'”’)"


def _sentence_starts(text: str) -> list[int]:
    """Offsets where sentences begin: after line breaks and after ./!/? followed by space."""
    return [0, *(m.end() for m in _SENTENCE_END.finditer(text))]


def _sentence_span(starts: list[int], text: str, start: int, end: int) -> tuple[int, int]:
    i = bisect.bisect_right(starts, start) - 1
    s = starts[i]
    e = starts[i + 1] if i + 1 < len(starts) else len(text)
    while s < start and text[s].isspace():
        s += 1
    while e > max(end, s) and text[e - 1].isspace():
        e -= 1
    return s, max(e, end)


def _listing_blocks(text: str) -> list[tuple[int, int]]:
    """Blocks (paragraphs between blank lines) that look like job listings or other furniture:
    a salary (a money range, or money per annum/hour) among several short non-sentence lines."""
    spans = []
    pos = 0
    for m in [*_BLOCK_SPLIT.finditer(text), None]:
        end = m.start() if m else len(text)
        block = text[pos:end]
        if _SALARY.search(block):
            lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
            loose = [ln for ln in lines if ln[-1] not in _TERMINAL]
            if len(lines) >= 2 and loose:
                spans.append((pos, end))
        pos = m.end() if m else len(text)
    return spans


def _listing_line(text: str, info: _Line) -> bool:
    """In a job-listing block, a line of the listing: it states the salary ("£30,095 per annum,
    negotiable."), or no sentence ends on it and a salary is at most six lines away. A sentence
    beside the advert, or a page that never breaks its lines into blocks, keeps its numbers."""
    body = info.text.strip()
    if _SALARY.search(body):
        return True
    if _FULL_STOP.search(body):
        return False
    start, end = info.start, info.end
    for _ in range(6):
        start = max(0, text.rfind("\n", 0, max(0, start - 1)) + 1)
        nxt = text.find("\n", end + 1)
        end = len(text) if nxt < 0 else nxt
    return _SALARY.search(text, start, end) is not None


def _line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    ls = text.rfind("\n", 0, start) + 1
    le = text.find("\n", end)
    return ls, len(text) if le < 0 else le


def _is_title_line(line: str) -> bool:
    words = re.findall(r"[A-Za-z][A-Za-z']*", line)
    long_words = [w for w in words if len(w) > 3]
    return len(long_words) >= 3 and sum(w[0].isupper() for w in long_words) >= 0.85 * len(
        long_words
    )


def _at_sentence_start(text: str, start: int) -> bool:
    before = text[max(0, start - 4) : start].rstrip(" \t\u00a0\"'“‘(")
    return not before or before[-1] in ".!?:\n"


_CAP_WORD = re.compile(r"[ \t\u00a0]+(?:(?:of|to|the|and|for|in|on|a)[ \t\u00a0]+)*([A-Z][a-z]+)")


def _in_proper_name(text: str, m_start: int, m_end: int) -> bool:
    """A capitalised number word inside a capitalised phrase ("its Three Small Steps to ...")."""
    token = text[m_start:m_end]
    if not token[:1].isupper() or token.isupper() and len(token) > 1:
        return False
    ls, le = _line_bounds(text, m_start, m_end)
    if _is_title_line(text[ls:le]):
        return False
    first = _CAP_WORD.match(text, m_end)
    if not first:
        return False
    second = _CAP_WORD.match(text, first.end())
    if not _at_sentence_start(text, m_start):
        return True
    return second is not None


_ONE_OK = _c(
    r"\b(?:just|only|exactly|at\s+least|more\s+than|fewer\s+than|less\s+than|over|under)\s+$"
)


# "one" as the subject of a verb counts ("one is female", "one was taken to hospital")
_ONE_VERB = _c(r"[ \t\u00a0]+(?:is|was|were|are|remains|remained|died|has\s+been|had\s+been|"
               r"(?!need)[a-z]+ed)\b")  # fmt: skip
_NOT_ONE = _c(r"\b(?:no|any|each|every|this|that|the|which|some|someone|anyone|no-)[ \t\u00a0]*$")


def _decide_role(kind: str, value: float | None, m: re.Match[str], text: str) -> str:
    """Role for a candidate whose handler left it to context: statistic unless an idiom."""
    s = m.group(0)
    if kind == "count" and s.lower() == "one":
        after = text[m.end() : m.end() + 20]
        before = text[max(0, m.start() - 20) : m.start()]
        if _ONE_VERB.match(after) and not _NOT_ONE.search(before):
            return "statistic"
        if after.lower().startswith(" of") or not _ONE_OK.search(before):
            return "other"
    return "statistic"


# --- page structure: what the line or block around a number says it is ---------------------
# Each rule reads the shape of the text, never a phrase of some document: dot leaders and runs of
# rising page numbers (contents), a number opening a heading or paragraph (enumerators), a noun
# that names a part of a document or an identifier just before the number, counters and
# salaries on lines that are not sentences, and the words that make a number an age.

# leaders: four dots or middle dots, or two ellipses (maybe spaced), or four underscores; each
# branch opens with a plain character, so that a search skips from one of those to the next
_LEADERS = re.compile(r"\.(?:[ \t\u00a0]?\.){3}|…[ \t\u00a0]?…|____|·(?:[ \t\u00a0]?·){3}")
_FULL_STOP = re.compile(r"[a-z%)\]][.!?][\"'”’)\]]*(?:[ \t\u00a0]|$)")
_BARE_INT = re.compile(r"(?<![\w.,/£$€%:+-])[0-9]{1,3}(?![\w.,%/:-]|[ \t\u00a0]*(?:%|per\b))")
_MULTI_LEVEL = re.compile(r"[0-9]{1,2}(?:\.[0-9]{1,2})+\.?[ \t\u00a0]+[\"“‘(]?[A-Z]")
_NUMBERED = re.compile(r"[0-9]{1,3}[.)][ \t\u00a0]+\S")
_HEADING_NUMBER = re.compile(r"[0-9]{1,2}[ \t\u00a0]+([A-Z][A-Za-z'’]*)")
_COUNT_NOUNS = frozenset((
    "Children", "People", "Young", "Girls", "Boys", "Victims", "Women", "Men", "Families",
    "Teenagers", "Pupils", "Councils", "Cases", "Referrals", "Arrests", "Officers", "Years",
    "Per", "Percent", "Million", "Thousand",
))  # fmt: skip
_COUNTER_WORDS = _c(
    r"\b(?:views?|viewed|downloads?|downloaded|votes?|likes?|shares?|shared|comments?|repl(?:y|ies)|"
    r"retweets?|reposts?|reactions?|followers?|subscribers?|reads|clicks|copied|copy\s+link|"
    r"favou?rites?|bookmarks?|rated|ratings?|stars?|helpful|pages)\b"
)
_COUNTER_NEXT = _c(
    r"[ \t\u00a0]*(?:$|[0-9]|[|•·›/()\[\]]|out\s+of\b|[A-Z]|(?:views?|downloads?|votes?|likes?|"
    r"shares?|comments?|repl(?:y|ies)|retweets?|reposts?|reactions?|followers?|subscribers?|reads|"
    r"clicks|stars?|pages)\b)",
    re.MULTILINE,
)
_JOB_KEY = _c(
    r"^[ \t\u00a0]*(?:salary|pay(?:\s+rate)?|wage|rate\s+of\s+pay|(?:working\s+)?hours(?:\s+per\s+week)?|"
    r"contract(?:\s+type)?|job\s+type|grade|band|closing\s+date|deadline|location|fte)\s*:"
)
_SEGMENT_SPLIT = re.compile(r"[|•·›]")
_NON_SPACE = re.compile(r"\S")
_POSTCODE_IN = re.compile(
    r"\b[A-PR-UWYZ][A-HK-Y]?[0-9][A-Z0-9]?[ \u00a0][0-9][ABD-HJLNP-UW-Z]{2}\b"
)

_REF_ANY_CASE = _c(
    r"\b(?:appendix|appendices|annexe?s?|schedules?|sections?|ss?\.|paragraphs?|paras?\.?|"
    r"chapters?|articles?|clauses?|regulations?|foot-?notes?|endnotes?|tables?|figures?|figs?\.|"
    r"charts?|graphs?|exhibits?|pages?|pp?\.|slides?|recommendations?|questions?|volumes?|vols?\.?|"
    r"columns?|cols?\.|editions?|versions?|ver\.|v\.|releases?|criteri(?:on|a)|key\s+stage)"
    r"(?:[ \t\u00a0]+(?:no\.?|number|nos\.?))?[ \t\u00a0]*[:.#]?[ \t\u00a0]*$"
)
_REF_CAPITALISED = re.compile(
    r"\b(?:Part|Parts|Rule|Rules|Note|Notes|Box|Map|Step|Phase|Stage|Standard|Principle|Issue|"
    r"Level|Tier|Grade|Band|Item|Wave|Objective|Outcome|Priority|Theme|Series|Licence|License|"
    r"Attribution|Question|Q\.)[ \t\u00a0]*[:.#]?[ \t\u00a0]*$"
)
_FURNITURE_REFS = re.compile(
    r"(?i)\b(?:pages?|pp?\.|slides?|volumes?|vols?\.?|columns?|cols?\.|editions?|versions?|ver\.|"
    r"v\.|releases?|series|licen[cs]e|attribution|issue)\b"
)
_ID_BEFORE = _c(
    r"(?:\b(?:urn|uin|isbn|issn|doi|crn|vat|foi)|\b(?:reference|ref|request|registration|licence|"
    r"license|certificate|vacancy|version|unique\s+reference)\s*:|\b(?:(?:registered\s+)?charity|"
    r"company|registration|registered|reference|ref|request|case|account|licence|license|"
    r"certificate|crime|incident|vacancy|job|application|publication|document|report|version|"
    r"unique\s+reference)\s+(?:no\.?|number|num\.?|#|id|code|reference|ref\.?)|\b(?:no|nos)\.|#)"
    r"[ \t\u00a0]*[:.#]?[ \t\u00a0]*$"
)
_ID_STRONG = re.compile(r"\b(?:HC|HL|Cm|Cmnd|SI)[ \t\u00a0]*$")
_ACT_BEFORE = re.compile(
    r"\b(?:Act|Acts|Regulations|Order|Bill|Rules|Measure|Convention|Protocol|Directive|Code)"
    r"[ \t\u00a0]+(?:of[ \t\u00a0]+)?$"
)
_ANY = re.compile("")
# (the words before, the text after, the oldest age it can be) for a number that is an age;
# the first entry needs a sentence ("Safeguarding (8)" in a menu is a count)
_AGE_BEFORE: list[tuple[re.Pattern[str], re.Pattern[str], int]] = [
    # "Sara Kelmendi (24)"
    (re.compile(r"\b[A-Z][a-z'’-]+[ \t\u00a0]\($"), re.compile(r"\)"), 110),
    # "Viet Nguyen, 29, from ...": a person's age after the name
    (re.compile(r"\b[A-Z][a-z'’-]+,[ \t\u00a0]$"), _c(r"(?:,|;|[ \t\u00a0]+from\b)"), 110),
    # "he was 16", "who said she was 13 when ..."
    (
        _c(
            r"\b(?:he|she|they|who|i|you)[ \t\u00a0]+(?:was|is|were|are|had\s+been|has\s+been|"
            r"turned|turns|is\s+now)[ \t\u00a0]+(?:only[ \t\u00a0]+|just[ \t\u00a0]+|aged[ \t\u00a0]+)?$"
        ),
        _c(r"(?:[,.;:!?)]|[ \t\u00a0]*$|[ \t\u00a0]+(?:when|at|and|or|but|years?|['‘“\"]))", re.M),
        110,
    ),  # fmt: skip
    # "the youngest 13", "the oldest was 17"
    (
        _c(
            r"\b(?:youngest|oldest)(?:[ \t\u00a0]+(?:was|is|being|were|aged))?[ \t\u00a0]+"
            r"(?:only[ \t\u00a0]+|just[ \t\u00a0]+)?$"
        ),
        _ANY,
        110,
    ),  # fmt: skip
    # "children under 18", "nobody under 10", "were under 16" (an age limit, not "under 500")
    (
        _c(
            r"\b(?:children|child|people|persons?|anyone|those|boys|girls|pupils|minors|victims|"
            r"adults|everyone|nobody|no-one|youngsters|teenagers|all|were|are|was|is|being)"
            r"[ \t\u00a0]+(?:(?:aged|who\s+are|who\s+were)[ \t\u00a0]+)?(?:under|over|below|above|"
            r"younger\s+than|older\s+than)[ \t\u00a0]+$"
        ),
        _c(r"(?![ \t\u00a0]+[a-z]+s\b)"),
        21,
    ),  # fmt: skip
    # "the day they turn 18", "until they reach 18"
    (_c(r"\b(?:turn|turns|turned|turning|reach|reaches|reached|reaching)[ \t\u00a0]+$"), _ANY, 25),
]


# a page number before a running title in capitals ("1 HEADING BACK TO HARM")
_CAPS_TITLE_AFTER = re.compile(r"[ \t\u00a0]+[A-Z]{2,}(?:[ \t\u00a0]+[A-Z'’]{2,}){2,}\b")
_HANSARD_COLUMN = re.compile(r"W[HS]?\b")
_STREET_AFTER = re.compile(
    r"[ \t\u00a0]+(?:[A-Z][a-z'’]+[ \t\u00a0]+){1,3}(?:Road|Street|Lane|Avenue|Way|Close|Drive|"
    r"Place|Square|Terrace|Crescent|Court|Gardens|Mews|Row|Hill|Park|Grove|Walk|Rd|St|Ave)\b"
)


def _page_at_end(line: str) -> int | None:
    """The page number a contents line ends with ("Methods 12"): a number of one to three
    digits after a space, with a letter since the last digit before it."""
    body = line.rstrip(" \t\u00a0")
    digits = len(body) - len(body.rstrip("0123456789"))
    head = body[: len(body) - digits]
    if not 1 <= digits <= 3 or head[-1:] not in (" ", "\t", "\u00a0"):
        return None
    since_digit = re.split(r"[0-9]", head)[-1]
    return int(body[len(head) :]) if any(c.isalpha() for c in since_digit) else None


class _once:  # noqa: N801 - a decorator, named like one
    """A property computed on first use and then kept in the instance (functools'
    cached_property takes a lock on every first use, which costs more than these rules)."""

    def __init__(self, compute: Callable[[Any], Any]) -> None:
        self.compute, self.name = compute, compute.__name__

    def __get__(self, obj: Any, cls: type | None = None) -> Any:
        value = obj.__dict__[self.name] = self.compute(obj)
        return value


class _Line:
    """One line of a text; each shape is worked out the first time a rule asks for it."""

    def __init__(self, text: str, start: int, end: int) -> None:
        self.start, self.end, self.text = start, end, text[start:end]
        self.toc: frozenset[int] | None = None

    @_once
    def unpunctuated(self) -> bool:
        """No sentence ends on this line (a heading, a menu, a listing, a table row)."""
        return _FULL_STOP.search(self.text) is None

    @_once
    def leaders(self) -> bool:
        return _LEADERS.search(self.text) is not None

    @_once
    def words(self) -> int:
        return len(self.text.split())

    @_once
    def counters(self) -> bool:
        return _COUNTER_WORDS.search(self.text) is not None

    @_once
    def salary(self) -> bool:
        """Pay as a job advert states it (see _PAY_RATE, _PAY_RANGE)."""
        if _PAY_RATE.search(self.text):
            return True
        return self.words <= 12 and _PAY_RANGE.search(self.text) is not None

    @_once
    def postcode(self) -> bool:
        return _POSTCODE_IN.search(self.text) is not None

    @_once
    def job_key(self) -> bool:
        return _JOB_KEY.match(self.text) is not None

    @_once
    def segmented(self) -> bool:
        """The line is cut into segments by bars or bullets ("News | 4 min read | Share")."""
        return _SEGMENT_SPLIT.search(self.text) is not None

    @_once
    def furniture(self) -> bool:
        return _FURNITURE_LINE.search(self.text) is not None


class _Layout:
    """The lines of one text, each looked at once, when a number on it needs its shape."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: dict[int, _Line] = {}
        self.last: _Line | None = None
        self.toc_block_ends: set[int] | None = None

    def line(self, pos: int) -> _Line:
        last = self.last
        if last is not None and last.start <= pos <= last.end:
            return last
        ls = self.text.rfind("\n", 0, pos) + 1
        info = self.lines.get(ls)
        if info is None:
            le = self.text.find("\n", pos)
            info = self.lines[ls] = _Line(self.text, ls, len(self.text) if le < 0 else le)
        self.last = info
        return info

    def run_on_contents(self, info: _Line) -> frozenset[int]:
        """Offsets of the page numbers of a contents list run together on one line
        ("Summary 4 Background 6 Scale of the problem 8 ..."): three or more numbers in a row,
        each after a heading (words, no sentence end) and before the next heading or the end of
        the line, never falling."""
        if info.toc is None:
            body, found, run, last = info.text, set(), [], None
            for m in _BARE_INT.finditer(body):
                gap = body[last.end() if last else 0 : m.start()]
                heading = re.search(r"[A-Za-z]{2}", gap) and not _FULL_STOP.search(gap)
                before_heading = re.match(r"[ \t\u00a0]+[A-Z]|[ \t\u00a0]*$", body[m.end() :])
                value = int(m.group(0))
                if not (heading and before_heading) or run and value < run[-1][1]:
                    if len(run) >= 3 and run[0][1] < run[-1][1]:
                        found.update(p for p, _ in run)
                    run = []
                if heading and before_heading:
                    run.append((info.start + m.start(), value))
                last = m
            if len(run) >= 3 and run[0][1] < run[-1][1]:
                found.update(p for p, _ in run)
            info.toc = frozenset(found)
        return info.toc

    def contents_block(self, info: _Line) -> bool:
        """The line is one of three or more lines in a row that end in rising page numbers."""
        if self.toc_block_ends is None:
            self.toc_block_ends = set()
            run: list[tuple[int, int]] = []
            pos = 0
            for body in [*self.text.split("\n"), None]:
                page = _page_at_end(body) if body else None
                if page is not None and _FULL_STOP.search(body) is None:
                    run.append((pos, page))
                else:
                    values = [v for _, v in run]
                    if len(run) >= 3 and all(
                        a <= b for a, b in zip(values, values[1:], strict=False)
                    ):
                        self.toc_block_ends.update(p for p, _ in run)
                    run = []
                pos += len(body or "") + 1
        return info.start in self.toc_block_ends

    def mid_sentence_before(self, info: _Line) -> bool:
        """The line before this one stops mid-sentence (a wrapped line, not a new paragraph)."""
        prev_end = info.start - 1
        if prev_end <= 0:
            return False
        body = self.text[self.text.rfind("\n", 0, prev_end) + 1 : prev_end].rstrip()
        words = len(body.split())
        return bool(body) and (body[-1] == "," or body[-1].islower() and words >= 6)


def _enumerator(layout: _Layout, info: _Line, s: int) -> bool:
    """A number that opens a line as a section, paragraph or list number ("1.2 Aims",
    "17. Leaders have ...", "3 Methods" as a heading)."""
    text = layout.text
    if _NON_SPACE.search(text, info.start, s):
        return False
    if _MULTI_LEVEL.match(text, s):
        return True
    if layout.mid_sentence_before(info):
        return False
    if _NUMBERED.match(text, s):
        return True
    heading = _HEADING_NUMBER.match(text, s)
    return bool(
        heading and heading.group(1) not in _COUNT_NOUNS and info.unpunctuated and info.words <= 8
    )


def _page_header(info: _Line, s: int, e: int) -> bool:
    """A page number at either end of a short running header in capitals or title case."""
    if info.words > 10 or not info.unpunctuated:
        return False
    body = info.text
    rest = (body[: s - info.start] + " " + body[e - info.start :]).strip()
    if re.search(r"[0-9]", rest):
        return False
    if body[: s - info.start].strip() and body[e - info.start :].strip():
        return False  # the number must open or close the line
    words = re.findall(r"[A-Za-z][A-Za-z'’]*", rest)
    caps = len(words) >= 2 and all(w.isupper() for w in words if len(w) > 1)
    first = rest.split()[0] if rest.split() else ""
    if first in _COUNT_NOUNS or re.search(r"(?i)\b(?:to|by|at|of|than|is|are|was|were)$", rest):
        return False
    return caps or _is_title_line(rest) or "|" in rest


def _word_before(text: str, line_start: int, s: int) -> str:
    """The word just before position s on its line, lower-cased, past spaces and ":#.("."""
    j = s
    while j > line_start and text[j - 1] in " \t\u00a0:#.(":
        j -= 1
    i = j
    while i > line_start and text[i - 1].isalpha():
        i -= 1
    return text[i:j].lower()


# the last word of every phrase _REF_ANY_CASE, _REF_CAPITALISED, _ID_BEFORE, _ID_STRONG and
# _ACT_BEFORE end with: only after one of these are those patterns tried
_REF_LAST_WORDS = frozenset(
    [
        "appendix",
        "appendices",
        "annex",
        "annexe",
        "annexes",
        "annexes",
        "schedule",
        "schedules",
        "section",
        "sections",
        "s",
        "ss",
        "paragraph",
        "paragraphs",
        "para",
        "paras",
        "chapter",
        "chapters",
        "article",
        "articles",
        "clause",
        "clauses",
        "regulation",
        "regulations",
        "footnote",
        "footnotes",
        "note",
        "notes",
        "endnote",
        "endnotes",
        "table",
        "tables",
        "figure",
        "figures",
        "fig",
        "figs",
        "chart",
        "charts",
        "graph",
        "graphs",
        "exhibit",
        "exhibits",
        "page",
        "pages",
        "p",
        "pp",
        "slide",
        "slides",
        "recommendation",
        "recommendations",
        "question",
        "questions",
        "volume",
        "volumes",
        "vol",
        "vols",
        "column",
        "columns",
        "col",
        "cols",
        "edition",
        "editions",
        "version",
        "versions",
        "ver",
        "v",
        "release",
        "releases",
        "criterion",
        "criteria",
        "stage",
        "part",
        "parts",
        "rule",
        "rules",
        "box",
        "map",
        "step",
        "phase",
        "standard",
        "principle",
        "issue",
        "level",
        "tier",
        "grade",
        "band",
        "item",
        "wave",
        "objective",
        "outcome",
        "priority",
        "theme",
        "series",
        "licence",
        "license",
        "attribution",
        "q",
        "no",
        "nos",
        "number",
        "num",
        "id",
        "code",
        "reference",
        "ref",
        "urn",
        "uin",
        "isbn",
        "issn",
        "doi",
        "crn",
        "vat",
        "foi",
        "hc",
        "hl",
        "cm",
        "cmnd",
        "si",
        "act",
        "acts",
        "order",
        "bill",
        "measure",
        "convention",
        "protocol",
        "directive",
        "of",
    ]
)
_AGE_LAST_WORDS = frozenset(
    [
        "was",
        "is",
        "were",
        "are",
        "been",
        "turned",
        "turns",
        "now",
        "only",
        "just",
        "aged",
        "youngest",
        "oldest",
        "being",
        "under",
        "over",
        "below",
        "above",
        "than",
        "turn",
        "turning",
        "reach",
        "reaches",
        "reached",
        "reaching",
    ]
)


def _reference_kind(text: str, info: _Line, s: int, e: int, kind: str) -> tuple[str, str] | None:
    """(kind, role) when a noun just before the number makes it a reference or an identifier:
    "section 20", "Appendix 4", "UIN 65898", "Registered Charity No. 1020419", "Act 1989"."""
    if text[s - 1 : s] != "#" and _word_before(text, info.start, s) not in _REF_LAST_WORDS:
        return None
    before = text[max(info.start, s - 40) : s]
    number = text[s:e]
    year = kind == "year" or re.fullmatch(r"(?:1[89]|20)[0-9]{2}", number)
    if year and _ACT_BEFORE.search(before):
        return "reference", "other"
    if _ID_BEFORE.search(before) or _ID_STRONG.search(before):
        return "identifier", "boilerplate"
    if kind == "year" or "," in number:
        return None
    if _REF_ANY_CASE.search(before) or _REF_CAPITALISED.search(before):
        furniture = _FURNITURE_REFS.search(before[-20:]) is not None
        return "reference", "boilerplate" if furniture else "other"
    return None


def _restructure(
    layout: _Layout, s: int, e: int, value: float | None, kind: str, unit: str | None, role: str
) -> tuple[float | None, str, str | None, str]:
    """Kind and role from the structure around a number (see the section comment above)."""
    text = layout.text
    if kind in ("date", "period", "phone", "postcode", "time", "age", "percent", "ratio"):
        return value, kind, unit, role
    info = layout.line(s)
    bare = kind in ("count", "rank", "other", "year") and role != "name"
    if kind in ("count", "year"):
        ref = _reference_kind(text, info, s, e, kind)
        if ref:
            value = None if kind == "year" else value
            return value, ref[0], None, ref[1]
    if kind == "year":
        return value, kind, unit, role
    if bare and (info.leaders or s in layout.run_on_contents(info)):
        return value, "reference", None, "boilerplate"
    if kind == "count" and _enumerator(layout, info, s):
        return value, "reference", None, "boilerplate"
    count = kind == "count"
    last_on_line = _NON_SPACE.search(text, e, info.end) is None
    if count and last_on_line and info.unpunctuated and layout.contents_block(info):
        return value, "reference", None, "boilerplate"
    capital_next = text[e + 1 : e + 2].isupper()
    if count and (_page_header(info, s, e) or capital_next and _CAPS_TITLE_AFTER.match(text, e)):
        return value, "reference", None, "boilerplate"
    if count and text[e : e + 1] == "W" and _HANSARD_COLUMN.match(text, e):
        return value, "reference", None, "boilerplate"  # "Column 1415W", "cols. 1840-41W"
    if (
        count
        and text[s - 1 : s] == "("
        and text[s - 2 : s - 1].isalnum()
        and text[e : e + 1] == ")"
    ):
        return value, "reference", None, "other"  # a subsection: "section 48(7)"
    if count and capital_next and _STREET_AFTER.match(text, e):
        return value, "other", None, "other"  # a house number: "130 Mill Road"
    number = text[s:e]
    if count and number.isdigit() and (len(number) >= 6 or len(number) > 1 and number[0] == "0"):
        return value, "identifier", None, "boilerplate"
    if (
        kind == "count"
        and text[s - 1 : s] == "("
        and re.match(r"\)[ \t\u00a0]+[A-Za-z]", text[e : e + 3])
    ):
        lead, rest = text[info.start : s - 1], text[e : info.end]
        n = int(value or 0)
        if (
            not lead.strip()
            or re.search(r"(?:[,;:]|\b(?:and|or))[ \t\u00a0]*$", lead)
            or f"({n + 1})" in rest
            or f"({n - 1})" in lead
        ):
            return value, "reference", None, "other"  # "were (1) UK nationals, (2) ..."
    if (
        kind == "count"
        and value is not None
        and value == int(value)
        and 0 < value <= 110
        and (
            text[s - 2 : s] == ", "
            or text[s - 1 : s] == "("
            or _word_before(text, max(0, s - 40), s) in _AGE_LAST_WORDS
        )
    ):
        before = text[max(0, s - 60) : s]
        for prefix, suffix, oldest in _AGE_BEFORE[int(info.unpunctuated) :]:
            if value <= oldest and prefix.search(before) and suffix.match(text, e):
                return value, "age", "years", "other"
    if role not in ("statistic", "other") and kind != "duration":
        return value, kind, unit, role
    short = info.unpunctuated or info.words <= 12
    if bare and short and info.counters and _COUNTER_NEXT.match(text, e):
        return value, kind, unit, "boilerplate"
    if (
        bare
        and info.unpunctuated
        and info.words <= 8
        and text[s - 1 : s] == "("
        and text[e : e + 1] == ")"
        and "," not in text[s:e]
    ):
        return value, kind, unit, "boilerplate"  # "Child protection (41)", "2023 (31)"
    if (
        info.unpunctuated
        and kind in ("count", "money", "duration", "other")
        and (info.salary or info.postcode)
    ):
        return value, kind, unit, "boilerplate"
    if info.job_key:
        return value, kind, unit, "boilerplate"
    if info.segmented:
        segments = _SEGMENT_SPLIT.split(text[info.start : s])
        if len(segments) > 1 and _FURNITURE_LINE.search(segments[-1]):
            return value, kind, unit, "boilerplate"
    return value, kind, unit, role


def _trie(words: Iterable[str]) -> str:
    """A regular expression for exactly `words`, branching letter by letter (a flat alternation
    of a hundred words tries each of them in turn)."""
    tails: dict[str, list[str]] = {}
    for word in words:
        tails.setdefault(word[:1], []).append(word[1:])
    branches = "|".join(
        re.escape(head) + _trie(rest) for head, rest in sorted(tails.items()) if head
    )
    if "" in tails:  # a word ends here
        return f"(?:{branches})?" if branches else ""
    return branches if len(tails) == 1 else f"(?:{branches})"


def _token_scan() -> re.Pattern[str]:
    """One match for each token `extract` acts on, the token in group 1 (empty at the end).

    A token is a run of digits, one symbol or a run of ASCII letters, as `extract` always read
    them. A run of letters matters only if it is a trigger word or may be glued to digits: a
    hyphen, a digit or any non-ASCII character after it (`str.isdigit` takes superscripts and
    other scripts' digits; `extract` then decides). Every other character and run of letters is
    skipped inside the match, never looked at in Python."""
    words = sorted(key for key in _TRIGGERS if key.isascii() and key.isalpha() and key != GLUED)
    trigger = rf"(?i:{_trie(words)})(?![A-Za-z])"
    glued = r"-?(?:[0-9]|[^\x00-\x7f])"
    skip = rf"[^0-9£$€+(\[A-Za-z]++|(?!{trigger})[A-Za-z]++(?!{glued})"
    return re.compile(rf"(?:{skip})*+([0-9]+|[£$€+(\[]|[A-Za-z]+|\Z)", re.ASCII)


_SCAN = _token_scan()


def _tokens(text: str) -> Iterator[tuple[int, str]]:
    """(position, token) of each token `extract` acts on, in order (see `_token_scan`)."""
    for m in _SCAN.finditer(text):
        if not (token := m.group(1)):
            return
        yield m.start(1), token


_NUMBER_RUN = re.compile(r"[0-9,.]*")
DigitGuard = Callable[[str, str, str], bool]


def _guards() -> dict[Handler, DigitGuard]:
    """Before a run of digits tries a pattern, a cheap look at what follows skips the patterns
    that cannot match there: `token` is the digits, `glued` the character right after them,
    `after` the first character after the whole number (its separators and decimals) past spaces
    and hyphens, lower-cased. A guard may let through a pattern that then fails, never stop one
    that would match (tests/test_mentions.py checks that the guards change no result)."""
    time_like = lambda t, g, a: g in (":", ".") or a in ("a", "p")  # noqa: E731
    return {
        _isbn: lambda t, g, a: g in ("-", " "),
        _phone: lambda t, g, a: t[0] == "0",
        _opening_hours: time_like,
        _time: time_like,
        _service_hours: lambda t, g, a: t in ("24", "7", "365"),
        _page_counter: lambda t, g, a: a in ("o", "v", "d", "s"),
        _weekly_hours: lambda t, g, a: g in ("-", "–") or a in ("t", "–") or a.isdigit(),
        _file_size: lambda t, g, a: a in ("k", "m", "g"),
        _read_time: lambda t, g, a: a == "m",
        _date: lambda t, g, a: g in (".", "/", "-", "–") or a.isalpha() or a.isdigit()
        or a in ("&", "–"),
        _code: lambda t, g, a: len(t) == 4 and g in ("-", "/"),
        _period: lambda t, g, a: len(t) == 4 and g in ("-", "/", "–"),
        _age: lambda t, g, a: g in ("-", "–") or a.isalpha() or a.isdigit() or a == "–",
        _slash_fraction: lambda t, g, a: g == "/",
        _ratio: lambda t, g, a: a in ("i", "o", "p"),
        _percent: lambda t, g, a: a in ("%", "p", "m", "b", "t"),
        _money: lambda t, g, a: a in ("p", "d", "e", "m", "b", "t"),
        _fraction: lambda t, g, a: a.isalpha(),
        _multiplier: lambda t, g, a: a in ("t", "f"),
        _rank: lambda t, g, a: g in ("s", "n", "r", "t", "S", "N", "R", "T"),
    }  # fmt: skip


_DIGIT_GUARDS = _guards()
_SERVICE_NUMBERS = ("24", "7", "365")
_CANDIDATE_CACHE: dict[tuple[str, bool, int, str, str], list[int]] = {}


def _compile_rule(index: int) -> re.Pattern[str]:
    """Rule `index`'s pattern, compiled on its first use (see `_COMPILED`)."""
    pattern = _COMPILED[index] = _c(*_PATTERNS[index][0])
    return pattern


def _digit_candidates(token: str, glued: str, after: str) -> list[int]:
    """The patterns a run of digits tries, those whose guard lets it; the answer depends only on
    a few features of the token and the two characters, so it is worked out once for each."""
    key = (
        token if token in _SERVICE_NUMBERS else "",
        token[0] == "0",
        len(token) if len(token) == 4 else 0,
        glued,
        after,
    )
    found = _CANDIDATE_CACHE.get(key)
    if found is None:
        if len(_CANDIDATE_CACHE) > 4096:
            _CANDIDATE_CACHE.clear()
        found = _CANDIDATE_CACHE[key] = [
            i
            for i in _TRIGGERS.get(DIGIT, [])
            if (guard := _DIGIT_GUARDS.get(_PATTERNS[i][1])) is None or guard(token, glued, after)
        ]
    return found


def extract(text: str) -> list[Mention]:
    """Every numeric expression in `text`, sorted by start and non-overlapping; never raises."""
    if not text:
        return []
    found: list[tuple[int, int, float | None, str, str | None, str | None, re.Match[str]]] = []
    claimed_until = 0
    for pos, word in _tokens(text):
        if pos < claimed_until:
            continue
        end = pos + len(word)
        if word[0].isdigit():
            glued = text[end : end + 1]
            run_end = _NUMBER_RUN.match(text, end).end()
            after = text[run_end : run_end + 12].lstrip(" \t\u00a0-")[:1].lower()
            candidates = _digit_candidates(word, glued, after)
        elif len(word) == 1 and not word.isalpha():
            candidates = _TRIGGERS.get(word, [])
        else:
            candidates = _TRIGGERS.get(word.lower(), [])
            nxt = text[end : end + 2]
            if nxt[:1].isdigit() or nxt[:1] == "-" and nxt[1:].isdigit():
                candidates = sorted({*candidates, *_TRIGGERS[GLUED]})
        for index in candidates:
            pattern = _COMPILED[index] or _compile_rule(index)
            m = pattern.match(text, pos)
            if m is None or m.end() <= pos:
                continue
            result = _PATTERNS[index][1](m, text)
            if result is None:
                continue
            value, kind, unit, role = result
            start, end = m.span("span") if "span" in pattern.groupindex else (pos, m.end())
            found.append((start, end, value, kind, unit, role, m))
            claimed_until = m.end()
            break
    starts = _sentence_starts(text)
    listings = _listing_blocks(text)
    layout = _Layout(text)
    out: list[Mention] = []
    for s, e, value, kind, unit, role, m in found:
        qualifier = qualifier_start = None
        if kind in _HEDGED_KINDS and _hedge_word_before(text, s) in _HEDGE_LAST:
            hm = _HEDGE_RE.search(text, max(0, s - 40), s)
            if hm and (hm.group(2) is None or kind == "age"):
                qualifier = _HEDGES[re.sub(r"\s+", " ", hm.group(1).lower())]
                qualifier_start = hm.start()
        if role is None:
            role = _decide_role(kind, value, m, text)
        value, kind, unit, role = _restructure(layout, s, e, value, kind, unit, role)
        if (
            role in ("statistic", "other")
            and kind not in ("date", "year", "period")
            and _in_proper_name(text, s, e)
        ):
            role = "name"
        line = layout.line(s)
        in_listing = any(a <= s < b for a, b in listings) and _listing_line(text, line)
        if in_listing or role in ("statistic", "other") and line.furniture:
            role = "boilerplate"
        sent_s, sent_e = _sentence_span(starts, text, s, e)
        out.append(
            Mention(
                start=s,
                end=e,
                text=text[s:e],
                value=value,
                kind=kind,
                qualifier=qualifier,
                role=role,
                sentence_start=sent_s,
                sentence_end=sent_e,
                qualifier_start=qualifier_start,
                unit=unit,
            )  # fmt: skip
        )
    return out


MENTION_DTYPES: dict[str, str] = {
    "doc_id": "string", "start": "int64", "end": "int64", "text": "string", "value": "float64",
    "kind": "string", "qualifier": "string", "qualifier_start": "Int64", "role": "string",
    "unit": "string", "sentence_start": "int64", "sentence_end": "int64", "page": "Int64",
    "element_path": "string", "furniture": "string",
}  # fmt: skip


def mentions_of_rows(rows: list[tuple]) -> pd.DataFrame:
    """The mentions table of rows of MENTION_COLUMNS, with MENTION_DTYPES."""
    import pandas as pd

    # One frame for many documents: building and typing a frame per document costs more than
    # extracting its mentions.
    return pd.DataFrame(rows, columns=MENTION_COLUMNS).astype(MENTION_DTYPES)


def _rows(doc_id: str, text: str) -> list[tuple]:
    return [
        (doc_id, m.start, m.end, m.text, m.value, m.kind, m.qualifier, m.qualifier_start,
         m.role, m.unit, m.sentence_start, m.sentence_end, None, None, None)
        for m in extract(text)
    ]  # fmt: skip


def mentions_frame(doc_id: str, text: str) -> pd.DataFrame:
    """One document's mentions as a table with MENTION_COLUMNS and fixed dtypes."""
    return mentions_of_rows(_rows(doc_id, text))


def located_rows(doc_id: str, canonical: CanonicalText) -> list[tuple]:
    """A document's mentions (rows of MENTION_COLUMNS) with where each sits in the source.

    A number inside what the text stage recognised as page furniture (a running header, a page
    number, a share count, a footnote marker ...) is `boilerplate`, whatever the words say.
    The one implementation for both paths: from the raw file (`document_mentions`,
    `mentions_table`) and from the text stage's tables (`mentions_from_text_tables`).
    """
    rows = _rows(doc_id, canonical.text)
    if not (canonical.spans or canonical.furniture):
        return rows
    located = []
    for row in rows:
        where = canonical.locate(row[1], row[2])
        found = canonical.furniture_at(row[1], row[2])
        reason = found[0].reason if found else None
        role = row[8] if reason is None else "boilerplate"
        located.append((*row[:8], role, *row[9:12], where.page, where.element_path, reason))
    return located


def located_mentions(doc_id: str, canonical: CanonicalText) -> pd.DataFrame:
    """A document's mentions with their page, element and furniture (see `located_rows`)."""
    return mentions_of_rows(located_rows(doc_id, canonical))


def document_mentions(doc: Document) -> pd.DataFrame:
    """A document's mentions, read from its raw file (see `located_rows`)."""
    return located_mentions(doc.doc_id, doc.canonical())


def mentions_table(docs: Iterable[Document]) -> pd.DataFrame:
    """Every document's mentions in one table, sorted by doc_id then start."""
    ordered = sorted(docs, key=lambda d: d.doc_id)
    return mentions_of_rows(
        [row for doc in ordered for row in located_rows(doc.doc_id, doc.canonical())]
    )


def rows_from_canonical(canonical: dict[str, CanonicalText]) -> list[tuple]:
    """The rows of `mentions_from_canonical`, sorted by doc_id then start."""
    return [row for doc_id in sorted(canonical) for row in located_rows(doc_id, canonical[doc_id])]


def mentions_from_canonical(canonical: dict[str, CanonicalText]) -> pd.DataFrame:
    """The same table as `mentions_table`, from canonical texts by doc_id (no raw file read)."""
    return mentions_of_rows(rows_from_canonical(canonical))


def mentions_from_text_tables(
    text: pd.DataFrame, textmap: pd.DataFrame, furniture: pd.DataFrame
) -> pd.DataFrame:
    """The same table as `mentions_table`, from the text stage's tables (no raw file re-read)."""
    from figtrace.text import canonical_texts

    return mentions_from_canonical(canonical_texts(text, textmap, furniture))


# --- scoring against hand annotations (the dev set) ----------------------------------------


@dataclass(frozen=True)
class Claim:
    """A span some extractor claims is a statistic, with the value (and hedge) it read there."""

    start: int
    end: int
    value: float | None
    qualifier: str | None = None


def resolve_annotations(path: Path, texts: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Load a mentions annotation file and give every entry its `start`/`end` in its document.

    An entry's `text` must occur exactly once as a whole word in the document, or inside a
    `context` passage that occurs exactly once; anything else is a FigtraceError naming it.
    """
    from figtrace.registries import load_yaml

    data = load_yaml(path)
    if not isinstance(data, dict):
        raise FigtraceError(f"{path}: expected a mapping of doc_id to a list of mentions.")
    out: dict[str, list[dict[str, Any]]] = {}
    for doc_id, entries in data.items():
        if doc_id not in texts:
            raise FigtraceError(f"{path}: {doc_id!r} is not a document in the catalogue.")
        text = texts[doc_id]
        resolved = []
        for i, entry in enumerate(entries or []):
            where = f"{path}: {doc_id} entry {i + 1} ({entry.get('text')!r})"
            missing = {"text", "value", "kind", "qualifier", "role"} - set(entry)
            if missing:
                raise FigtraceError(f"{where}: missing {', '.join(sorted(missing))}.")
            if entry["kind"] not in KINDS or entry["role"] not in ROLES:
                raise FigtraceError(f"{where}: kind must be one of {KINDS}, role one of {ROLES}.")
            if entry["qualifier"] is not None and entry["qualifier"] not in QUALIFIERS:
                raise FigtraceError(f"{where}: qualifier must be null or one of {QUALIFIERS}.")
            context = entry.get("context", entry["text"])
            hits = [
                m.start()
                for m in re.finditer(
                    (r"(?<!\w)" if context[0].isalnum() else "")
                    + re.escape(context)
                    + (r"(?!\w)" if context[-1].isalnum() else ""),
                    text,
                )
            ]
            if len(hits) != 1:
                raise FigtraceError(
                    f"{where}: {context!r} occurs {len(hits)} times as a whole word in the "
                    "document; give a `context` passage that occurs exactly once."
                )
            offset = context.find(entry["text"])
            if offset < 0:
                raise FigtraceError(f"{where}: text is not inside its context {context!r}.")
            start = hits[0] + offset
            resolved.append({**entry, "start": start, "end": start + len(entry["text"])})
        out[doc_id] = sorted(resolved, key=lambda e: e["start"])
    return out


ROLE_CODES = {"S": "statistic", "D": "date", "B": "boilerplate", "N": "name", "O": "other"}
_MARK = re.compile(r"«([^«»|]+)\|([^«»]*)»")


def load_passages(path: Path) -> tuple[dict[str, str], dict[str, list[dict[str, Any]]]]:
    """Read a file of marked passages (`passages:` list of `id`, `shape`, `text`) into the plain
    texts by id and their annotations, in the shape `resolve_annotations` returns.

    In `text`, every numeric expression is marked «span|ROLE kind value [qualifier]» (ROLE is a
    key of ROLE_CODES, value a number or -); the marks are removed from the text. A bad mark is
    a FigtraceError naming the file, the passage and the mark.
    """
    from figtrace.registries import load_yaml

    data = load_yaml(path)
    passages = data.get("passages") if isinstance(data, dict) else None
    if not isinstance(passages, list):
        raise FigtraceError(f"{path}: expected a mapping with a `passages:` list.")
    texts: dict[str, str] = {}
    gold: dict[str, list[dict[str, Any]]] = {}
    for i, passage in enumerate(passages):
        pid = passage.get("id") if isinstance(passage, dict) else None
        if not isinstance(pid, str) or not isinstance(passage.get("text"), str):
            raise FigtraceError(f"{path}: passage {i + 1} needs a string `id` and `text`.")
        if pid in texts:
            raise FigtraceError(f"{path}: passage id {pid!r} is used twice; ids must be unique.")
        plain, entries, pos = [], [], 0
        for m in _MARK.finditer(passage["text"]):
            plain.append(passage["text"][pos : m.start()])
            start = sum(map(len, plain))
            entries.append(_mark_entry(f"{path}: passage {pid!r}, mark {m.group(0)!r}", m, start))
            plain.append(m.group(1))
            pos = m.end()
        plain.append(passage["text"][pos:])
        text = "".join(plain)
        if "«" in text or "»" in text:
            raise FigtraceError(f"{path}: passage {pid!r} has an unclosed or malformed « » mark.")
        texts[pid], gold[pid] = text, entries
    return texts, gold


def _mark_entry(where: str, m: re.Match[str], start: int) -> dict[str, Any]:
    fields = m.group(2).split()
    if len(fields) not in (3, 4) or fields[0] not in ROLE_CODES:
        raise FigtraceError(
            f"{where}: write «span|ROLE kind value [qualifier]» with ROLE one of "
            f"{', '.join(ROLE_CODES)}."
        )
    kind, value = fields[1], fields[2]
    qualifier = fields[3] if len(fields) == 4 else None
    if kind not in KINDS:
        raise FigtraceError(f"{where}: kind must be one of {', '.join(KINDS)}.")
    if qualifier is not None and qualifier not in QUALIFIERS:
        raise FigtraceError(f"{where}: qualifier must be one of {', '.join(QUALIFIERS)}.")
    try:
        number = None if value == "-" else float(value)
    except ValueError:
        raise FigtraceError(f"{where}: value must be a number or -, not {value!r}.") from None
    span = m.group(1)
    return {
        "text": span, "start": start, "end": start + len(span), "value": number, "kind": kind,
        "qualifier": qualifier, "role": ROLE_CODES[fields[0]],
    }  # fmt: skip


def same_value(a: float | None, b: float | None, tol: float = 5e-5) -> bool:
    """Values agree: both null, or equal within `tol` (absolute, or relative for big numbers)."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= max(tol, tol * abs(b))


def score(
    gold: dict[str, list[dict[str, Any]]],
    claims: dict[str, list[Claim]],
    *,
    exact: bool = True,
    qualifiers: bool = True,
) -> dict[str, float]:
    """Recall and precision of claimed statistics against annotated ones, and how many claims
    fall on boilerplate or names. `exact` needs the same span; otherwise any overlap counts.

    Also, whatever `exact` says: `recall_value` (an overlapping claim with the annotated value),
    how many boilerplate entries and how many non-statistics (date, other, name) some claim
    overlaps, and how many claims overlap no annotated number at all."""

    def matches(c: Claim, g: dict[str, Any]) -> bool:
        hit = (
            (c.start, c.end) == (g["start"], g["end"])
            if exact
            else c.start < g["end"] and g["start"] < c.end
        )
        return (
            hit
            and same_value(c.value, None if g["value"] is None else float(g["value"]))
            and (not qualifiers or c.qualifier == g["qualifier"])
        )

    def overlaps(c: Claim, g: dict[str, Any]) -> bool:
        return c.start < g["end"] and g["start"] < c.end

    def right_value(c: Claim, g: dict[str, Any]) -> bool:
        return overlaps(c, g) and same_value(
            c.value, None if g["value"] is None else float(g["value"])
        )

    n_gold = found = found_value = n_claims = correct = furniture = unannotated = 0
    n_boiler = boiler_claimed = n_other = other_claimed = 0
    for doc_id, entries in gold.items():
        doc_claims = claims.get(doc_id, [])
        stats = [g for g in entries if g["role"] == "statistic"]
        n_gold += len(stats)
        found += sum(any(matches(c, g) for c in doc_claims) for g in stats)
        found_value += sum(any(right_value(c, g) for c in doc_claims) for g in stats)
        n_claims += len(doc_claims)
        correct += sum(any(matches(c, g) for g in stats) for c in doc_claims)
        furniture += sum(
            any(overlaps(c, g) for g in entries if g["role"] in ("boilerplate", "name"))
            for c in doc_claims
        )
        unannotated += sum(not any(overlaps(c, g) for g in entries) for c in doc_claims)
        boiler = [g for g in entries if g["role"] == "boilerplate"]
        others = [g for g in entries if g["role"] in ("date", "other", "name")]
        n_boiler, n_other = n_boiler + len(boiler), n_other + len(others)
        boiler_claimed += sum(any(overlaps(c, g) for c in doc_claims) for g in boiler)
        other_claimed += sum(any(overlaps(c, g) for c in doc_claims) for g in others)
    return {
        "statistics": n_gold,
        "claimed": n_claims,
        "recall": found / n_gold if n_gold else 1.0,
        "recall_value": found_value / n_gold if n_gold else 1.0,
        "precision": correct / n_claims if n_claims else 1.0,
        "furniture_as_statistic": furniture,
        "boilerplate": n_boiler,
        "boilerplate_as_statistic": boiler_claimed,
        "non_statistics": n_other,
        "non_statistics_as_statistic": other_claimed,
        "unannotated_claims": unannotated,
    }


def statistic_claims(mentions: Iterable[Mention]) -> list[Claim]:
    """The mentions this extractor labels `statistic`, as claims to score."""
    return [Claim(m.start, m.end, m.value, m.qualifier) for m in mentions if m.role == "statistic"]
