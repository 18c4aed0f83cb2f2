"""Anchors: a number pinned to its exact passage, in the W3C Web Annotation selector model.

An Anchor carries both a TextQuoteSelector (`exact` with `prefix` and `suffix` context) and a
TextPositionSelector (`start`, `end`: Python `str` offsets into the document's canonical text).
It resolves only when both agree and the quote with its context occurs exactly once in the text;
fuzzy matching is used for one thing only: suggesting a repair in the error message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from figtrace.errors import FigtraceError

CONTEXT = 32  # characters of prefix and suffix, as in the W3C model's examples


@dataclass(frozen=True)
class Anchor:
    """A passage in a document: the quote, its context, and its character position."""

    exact: str
    prefix: str
    suffix: str
    start: int
    end: int

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Anchor:
        """Read the `anchor:` mapping of an annotation file."""
        return cls(
            exact=data["exact"],
            prefix=data.get("prefix", ""),
            suffix=data.get("suffix", ""),
            start=int(data["start"]),
            end=int(data["end"]),
        )

    def to_dict(self) -> dict[str, Any]:
        """The `anchor:` mapping as written into an annotation file."""
        return {
            "exact": self.exact,
            "prefix": self.prefix,
            "suffix": self.suffix,
            "start": self.start,
            "end": self.end,
        }

    def selectors(self) -> list[dict[str, Any]]:
        """The anchor as W3C Web Annotation selectors (TextQuote and TextPosition)."""
        return [
            {
                "type": "TextQuoteSelector",
                "exact": self.exact,
                "prefix": self.prefix,
                "suffix": self.suffix,
            },
            {"type": "TextPositionSelector", "start": self.start, "end": self.end},
        ]


def make_anchor(text: str, start: int, end: int, context: int = CONTEXT) -> Anchor:
    """The anchor of `text[start:end]`, with up to `context` characters either side."""
    if not 0 <= start < end <= len(text):
        raise ValueError(f"span {start}:{end} is outside a text of {len(text)} characters")
    return Anchor(
        exact=text[start:end],
        prefix=text[max(0, start - context) : start],
        suffix=text[end : end + context],
        start=start,
        end=end,
    )


def occurrences(text: str, needle: str) -> list[int]:
    """Every start offset of `needle` in `text`, overlapping matches included."""
    found, at = [], text.find(needle)
    while at != -1:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def nearest_passage(text: str, anchor: Anchor) -> tuple[int, int, float] | None:
    """The passage that best matches the anchor's quote in context: (start, end, score 0-100).

    Only for suggesting a repair; an anchor is never accepted on a fuzzy match.
    """
    needle = anchor.prefix + anchor.exact + anchor.suffix
    if not needle or not text:
        return None
    found = fuzz.partial_ratio_alignment(needle, text)
    if found is None:
        return None
    # Map the aligned window back to where `exact` would sit inside it.
    start = found.dest_start + max(0, len(anchor.prefix) - found.src_start)
    end = min(len(text), start + len(anchor.exact))
    return start, end, round(found.score, 1)


def _describe(text: str, start: int, end: int) -> str:
    before = text[max(0, start - 20) : start]
    after = text[end : end + 20]
    return f"{start}:{end} …{before}[{text[start:end]}]{after}…".replace("\n", "⏎")


def resolve(anchor: Anchor, text: str, where: str) -> tuple[int, int]:
    """Check that the anchor resolves exactly and uniquely in `text`; return (start, end).

    `where` names the figure and document for the error message, which also suggests the
    nearest candidate passage and the repaired selectors when the anchor is stale.
    """
    problems = []
    if text[anchor.start : anchor.end] != anchor.exact:
        problems.append(
            f"the text at {anchor.start}:{anchor.end} is {text[anchor.start : anchor.end]!r}, "
            f"not the quoted {anchor.exact!r}"
        )
    else:
        if text[max(0, anchor.start - len(anchor.prefix)) : anchor.start] != anchor.prefix:
            problems.append("the prefix does not match the text before the quote")
        if text[anchor.end : anchor.end + len(anchor.suffix)] != anchor.suffix:
            problems.append("the suffix does not match the text after the quote")
    quoted = anchor.prefix + anchor.exact + anchor.suffix
    hits = [at + len(anchor.prefix) for at in occurrences(text, quoted)]
    if len(hits) > 1:
        problems.append(
            f"the quote with its context occurs {len(hits)} times (at "
            + ", ".join(str(h) for h in hits)
            + "); lengthen prefix or suffix until it is unique"
        )
    elif not hits:
        problems.append("the quote with its prefix and suffix does not occur in the text")
    if not problems:
        return anchor.start, anchor.end
    message = f"{where}: anchor does not resolve: " + "; ".join(problems) + "."
    near = nearest_passage(text, anchor)
    if near is not None:
        start, end, score = near
        message += (
            f"\n  nearest candidate passage (similarity {score}): {_describe(text, start, end)}"
        )
        if score >= 80 and text[start:end]:
            repaired = make_anchor(text, start, end, CONTEXT)
            message += (
                f"\n  if that is the passage, re-anchor it: start: {repaired.start}, "
                f"end: {repaired.end}, exact: {repaired.exact!r} "
                "(or regenerate with `python -m figtrace annotate DOC_ID`), then re-check its value."
            )
    raise FigtraceError(message)
