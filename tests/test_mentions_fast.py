"""The extractor's fast paths find what their plain forms find: the token scan skips only tokens
that no pattern can start at, and the leaders pattern finds leaders on the same lines."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from figtrace import mentions
from figtrace.mentions import extract

# every token, as the extractor once read them all
EVERY_TOKEN = re.compile(r"[0-9]+|[A-Za-z]+|[£$€+(\[]", re.ASCII)

# characters next to which a word may or may not be glued to a number: superscript, subscript,
# Arabic-Indic, Devanagari and fullwidth digits, a circled number, accented and other letters
# (the Kelvin sign and the long s fold to "k" and "s" in a Unicode case-insensitive match), and
# dashes
ODD = ["²", "³", "¹", "₂", "٣", "४", "１", "①", "é", "ß", "K", "ſ", "ı", "İ", "–", "—", "-", "-²",
       "-٣", "\u00a0", "ﬁ", "'"]  # fmt: skip
PIECES = [
    "abc", "Catch", "one", "ONE", "Twenty", "someone", "tone", "quarterly", "quarters", "Q", "q",
    "page", "SE", "M", "a", "an", "An", "as", "us", "US", "£", "$", "€", "+", "(", "[", "5", "22",
    "1,000", "0800", "-", " ", "\n", ".", "in", "per cent", "fold", "x",
]  # fmt: skip


def tricky_texts() -> Iterator[str]:
    """Short texts that put every trigger word and some other words beside digits, symbols,
    letters and the ODD characters, in several cases."""
    words = [key for key in mentions._TRIGGERS if len(key) > 1 and key.isalpha()]
    for word in [*words, *PIECES]:
        for form in (word, word.upper(), word.title()):
            for odd in [*ODD, "5", "-5", "x", ""]:
                yield f"{form}{odd}"
                yield f"{odd}{form}"
                yield f"the {form}{odd}3 and {odd}{form} 4 in {form}-{odd}"
    for odd in ODD:
        for piece in PIECES:
            yield f"{piece}{odd}{piece}{odd}5{piece}"


def acts(text: str, pos: int, token: str) -> bool:
    """Whether the extractor tries a pattern at this token: a run of digits or a symbol, always;
    a word, if it is a trigger word or a digit follows (after at most a hyphen)."""
    if not token.isalpha():
        return True
    after = text[pos + len(token) : pos + len(token) + 2]
    glued = after[:1].isdigit() or after[:1] == "-" and after[1:].isdigit()
    return token.lower() in mentions._TRIGGERS or glued


def check_scan(text: str) -> None:
    every = [(m.start(), m.group(0)) for m in EVERY_TOKEN.finditer(text)]
    fast = list(mentions._tokens(text))
    assert set(fast) <= set(every), text
    assert [t for t in fast if acts(text, *t)] == [t for t in every if acts(text, *t)], text


def test_the_scan_finds_every_token_the_extractor_acts_on():
    count = 0
    for text in tricky_texts():
        check_scan(text)
        count += 1
    check_scan("\n".join(tricky_texts()))
    assert count > 10_000


WORDISH = st.sampled_from(
    [*ODD, *PIECES, "a", "one", "two", "half", "second", "March", "Q", "top", "over", "doubled",
     "1", "12", "2019", "%", "per", "cent", "years", "old", "aged", "Catch22", "SE1 7JY"]
)  # fmt: skip


def every_token(text: str) -> Iterator[tuple[int, str]]:
    return ((m.start(), m.group(0)) for m in EVERY_TOKEN.finditer(text))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(WORDISH, st.text(max_size=3)), max_size=25).map("".join))
def test_the_scan_changes_no_result(text):
    check_scan(text)
    fast = extract(text)
    saved = mentions._tokens
    mentions._tokens = every_token
    try:
        assert extract(text) == fast
    finally:
        mentions._tokens = saved


# the plain form of mentions._LEADERS: whether a line has dot leaders is all that is asked
PLAIN_LEADERS = re.compile(
    r"(?:\.[ \t\u00a0]?){4,}|…{2,}|(?:…[ \t\u00a0]?){2,}|_{4,}|(?:·[ \t\u00a0]?){4,}"
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from([".", "…", "_", "·", " ", "\t", "\u00a0", "a", "1", ". "])).map(
        "".join
    )
)
def test_the_leaders_pattern_finds_leaders_where_its_plain_form_does(line):
    assert (mentions._LEADERS.search(line) is None) == (PLAIN_LEADERS.search(line) is None)


# the plain form of mentions._SENTENCE_END: where each sentence ends
PLAIN_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)|\n")


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from([".", "!", "?", "\n", " ", "\t", '"', "'", "”", "’", ")", "]", "a"])
    ).map("".join)
)
def test_sentences_end_where_the_plain_pattern_ends_them(text):
    plain = [0, *(m.end() for m in PLAIN_SENTENCE_END.finditer(text))]
    assert mentions._sentence_starts(text) == plain
