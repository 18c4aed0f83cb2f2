"""Suggestions: a proposed ledger entry for each statistic of a new document, with a score and why.

Evidence, weighed into a score from 0 to 1:

- **the ledger**: a curated figure whose value matches the candidate's (the hedge is a range, as
  in `figtrace.checks`; a small rounding tolerance; percent and proportion convert), weighted by
  how telling the number is (2,118 says more than 2), and how similar its sentence is to the
  candidate's (rapidfuzz over content words);
- **the document's sidecar**: a ledger figure from a report the document cites scores higher; a
  year in the candidate's sentence that the figure's period does not name scores lower;
- **the indicator registry**: the candidate's sentence against each indicator's name and
  definition (TF-IDF cosine over content words), only among indicators in the candidate's unit.

A candidate that matches no ledger figure gets at most an indicator from the registry with a
score capped below `DEFAULT_MIN_SCORE`, so `figtrace accept` never takes a guess by itself; one
with no evidence gets no suggestion. Suggestions never enter `figures` by themselves.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rapidfuzz import fuzz

from figtrace.checks import Claim, convert
from figtrace.documents import Document
from figtrace.figures import KIND_UNITS, Figure, figure_sentence, passage_basis
from figtrace.mentions import extract
from figtrace.registries import Indicator

DEFAULT_MIN_SCORE = 0.7  # `figtrace accept` moves suggestions scoring at least this
INDICATOR_ONLY_CAP = 0.6  # a registry-only guess stays below the default threshold
MIN_INDICATOR_SIMILARITY = 0.12
# Weights of the evidence for a ledger match; they sum to 1.
W_VALUE, W_PASSAGE, W_REPORT, W_INDICATOR = 0.4, 0.3, 0.2, 0.1
# Rounding tolerance per unit when values are compared (counts: relative).
TOLERANCE = {"percent": 0.5, "proportion": 0.005, "factor": 0.05, "rank": 0.0}
COUNT_TOLERANCE = 0.01
BEFORE = 600  # characters before a sentence read for a publication it follows on from
CLOSE = 0.2  # hedged values match only within 20% of each other ("over 2,000" and 2,118)
CLAUSE = re.compile(r"[;:()\u2013\u2014]|,(?=\s)| - ")
YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
WORD = re.compile(r"[a-z]+")
STOP = set(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "their",
        "there",
        "they",
        "them",
        "than",
        "then",
        "which",
        "who",
        "whom",
        "whose",
        "what",
        "when",
        "where",
        "while",
        "also",
        "not",
        "no",
        "nor",
        "but",
        "so",
        "such",
        "into",
        "over",
        "under",
        "more",
        "less",
        "most",
        "least",
        "about",
        "around",
        "nearly",
        "almost",
        "only",
        "just",
        "per",
        "cent",
        "percent",
        "year",
        "years",
        "said",
        "says",
        "say",
        "new",
        "all",
        "any",
        "each",
        "other",
        "some",
        "many",
        "much",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "hundred",
        "thousand",
        "million",
        "half",
        "quarter",
        "third",
    ]
)


@dataclass(frozen=True)
class Suggestion:
    """A proposed figure entry for one candidate: the fields, a score from 0 to 1 and why."""

    entry: dict[str, Any]
    score: float
    because: str

    def as_dict(self) -> dict[str, Any]:
        """The `suggestion:` mapping of a candidate in an annotation file."""
        return {**self.entry, "score": round(self.score, 2), "because": self.because}


@dataclass(frozen=True)
class Evidence:
    """What suggestions are drawn from: curated figures with their sentences, and the registry."""

    figures: list[tuple[Figure, str]]
    indicators: dict[str, Indicator]
    taken_ids: frozenset[str]


def stem(word: str) -> str:
    """A crude English stem, enough to match 'referrals' with 'referred' and 'children' with 'child'."""
    for suffix, repl in (("ren", ""), ("ies", "y"), ("ing", ""), ("als", ""), ("al", ""),
                         ("ed", ""), ("es", ""), ("s", "")):  # fmt: skip
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: len(word) - len(suffix)] + repl
    return word


def content_words(text: str) -> list[str]:
    """The stemmed content words of a text (no numbers, no function words)."""
    return [stem(w) for w in WORD.findall(text.lower()) if w not in STOP and len(w) > 2]


def passage_similarity(a: str, b: str) -> float:
    """How alike two sentences are in their content words, 0 to 1 (rapidfuzz token set ratio)."""
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return 0.0
    return fuzz.token_set_ratio(" ".join(wa), " ".join(wb)) / 100


def sentence_at(mentions: pd.DataFrame, text: str, start: int, end: int) -> tuple[int, int]:
    """Where the sentence the extractor puts around text[start:end] is (or a window of text)."""
    inside = mentions[(mentions["start"] < end) & (mentions["end"] > start)]
    for row in inside.itertuples():
        if not pd.isna(row.sentence_start):
            return int(row.sentence_start), int(row.sentence_end)
    return max(0, start - 150), min(len(text), end + 150)


def specificity(value: float, unit: str) -> float:
    """How telling a matching value is, 0.34 to 1: '2,118' is, '2' or '500' much less."""
    if unit in ("proportion", "factor", "rank"):
        return 0.34
    digits = f"{abs(value):.6g}".replace(".", "").replace("-", "").strip("0")
    return min(1.0, max(1, len(digits)) / 3)


def tolerance(value: float, unit: str) -> float:
    """The rounding allowed when two values in `unit` are compared."""
    return COUNT_TOLERANCE * abs(value) if unit == "count" else TOLERANCE[unit]


def compatible(unit_a: str, unit_b: str) -> bool:
    """Whether values in these units can be compared (percent and proportion convert)."""
    return unit_a == unit_b or {unit_a, unit_b} == {"percent", "proportion"}


def value_match(
    value: float, unit: str, qualifier: str | None, figure: Figure
) -> tuple[float, str] | None:
    """How well a reading matches a ledger figure's value (1 the same claim, 0.8 the same value
    with another hedge, 0.6 overlapping claims), and in words; None when they cannot match."""
    if not compatible(unit, figure.unit):
        return None
    mine = convert(value, unit, figure.unit, "suggestion")
    if math.isclose(mine, figure.value, rel_tol=1e-6, abs_tol=1e-4):
        if qualifier == figure.qualifier:
            return 1.0, "the same value"
        return 0.8, "the same value with another hedge"
    if abs(mine - figure.value) > CLOSE * max(abs(mine), abs(figure.value)):
        return None  # "more than 80" overlaps 265, but says nothing about it
    tol = tolerance(figure.value, figure.unit)
    a, b = (
        Claim("", mine, qualifier).range(tol),
        Claim("", figure.value, figure.qualifier).range(tol),
    )
    if max(a[0], b[0]) <= min(a[1], b[1]):
        return 0.6, "a value within its hedge and rounding"
    return None


class IndicatorIndex:
    """TF-IDF vectors of the registry's indicators (name and definition), for a sentence's nearest."""

    def __init__(self, indicators: dict[str, Indicator]) -> None:
        self.indicators = indicators
        docs = {i: content_words(f"{ind.name} {ind.definition}") for i, ind in indicators.items()}
        df = Counter(w for words in docs.values() for w in set(words))
        n = max(1, len(docs))
        self.idf = {w: math.log((1 + n) / (1 + c)) + 1 for w, c in df.items()}
        self.vectors = {i: self._vector(words) for i, words in docs.items()}

    def _vector(self, words: list[str]) -> dict[str, float]:
        counts = Counter(w for w in words if w in self.idf)
        vec = {w: c * self.idf[w] for w, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {w: v / norm for w, v in vec.items()}

    def similarity(self, sentence: str, indicator_id: str) -> float:
        """Cosine similarity of a sentence with one indicator, 0 to 1."""
        vec, ind = self._vector(content_words(sentence)), self.vectors.get(indicator_id, {})
        return sum(v * ind.get(w, 0.0) for w, v in vec.items())

    def best(self, sentence: str, clause: str, unit: str) -> tuple[str, float] | None:
        """The indicator in a compatible unit most like the number's clause and sentence."""
        scored = [
            (0.6 * self.similarity(clause, i) + 0.4 * self.similarity(sentence, i), i)
            for i, ind in self.indicators.items()
            if compatible(unit, ind.unit)
        ]
        if not scored:
            return None
        score, best = max(scored, key=lambda s: (s[0], s[1]))
        return best, score


def load_evidence(
    raw_dir: Path, indicators: dict[str, Indicator], hide: set[str] | frozenset[str] = frozenset()
) -> Evidence:
    """The curated figures of every annotated document except those in `hide`, each with its
    sentence, and the indicator registry."""
    from figtrace.documents import load_documents
    from figtrace.figures import load_annotations
    from figtrace.mentions import document_mentions

    annotations = load_annotations(raw_dir)
    kept = [f for f in annotations.figures if f.doc_id not in hide]
    doc_ids = sorted({f.doc_id for f in kept})
    docs = {d.doc_id: d for d in load_documents(raw_dir, doc_ids, check_bytes=False)}
    sentences: list[tuple[Figure, str]] = []
    cache: dict[str, tuple[str, pd.DataFrame]] = {}
    for f in kept:
        if f.doc_id not in docs:
            continue
        if f.doc_id not in cache:
            cache[f.doc_id] = (docs[f.doc_id].text(), document_mentions(docs[f.doc_id]))
        text, mentions = cache[f.doc_id]
        a, b = sentence_at(mentions, text, f.anchor.start, f.anchor.end)
        sentences.append((f, text[a:b]))
    taken = frozenset(f.figure_id for f in annotations.figures)
    return Evidence(sentences, indicators, taken)


def id_prefix(doc_id: str) -> str:
    """A short prefix for a document's figure ids: the initials of its first three words."""
    return "".join(part[0] for part in doc_id.split("-")[:3] if part) or "doc"


def clause_at(sentence: str, start: int, end: int) -> str:
    """The clause of `sentence` around [start:end] (between commas, brackets, dashes ...),
    widened to a neighbour while it has fewer than two content words."""
    cuts = [0, *(m.end() for m in CLAUSE.finditer(sentence)), len(sentence) + 1]
    i = max(k for k, c in enumerate(cuts) if c <= start)
    j = next((k for k, c in enumerate(cuts) if c > end), len(cuts) - 1)
    while len(content_words(sentence[cuts[i] : cuts[j]])) < 2 and (i > 0 or j < len(cuts) - 1):
        i, j = max(0, i - 1), min(len(cuts) - 1, j + 1)
    return sentence[cuts[i] : cuts[j]]


def _years(text: str) -> set[str]:
    return set(YEAR.findall(text))


def _most_common_geography(evidence: Evidence, indicator: str) -> tuple[str, str]:
    same = Counter(f.geography for f, _ in evidence.figures if f.indicator == indicator)
    if same:
        return same.most_common(1)[0][0], f"the geography of the ledger's {indicator} figures"
    every = Counter(f.geography for f, _ in evidence.figures)
    if every:
        return every.most_common(1)[0][0], "the ledger's most common geography"
    return "unknown", "no geography is known: set it"


# Who states a number, by the shape of its sentence (docs/attribution.md): a quoted speaker, a
# publication named in the sentence or just before it, or the document in its own voice.
SPEECH = re.compile(
    r"\b(?:said|says|told|tells|warned|warns|added|adds|explained|explains|claimed|claims)\b"
    r"|[\"\u201c\u201d]",
    re.IGNORECASE,
)
PUBLICATION = re.compile(
    r"\b(?:report|reports|study|research|survey|review|analysis|findings|figures|data|"
    r"statistics|according to)\b",
    re.IGNORECASE,
)


def report_for(doc: Document, sentence: str, before: str, ledger_report: str | None = None
               ) -> tuple[str | None, str]:  # fmt: skip
    """The report_id a new figure's own passage supports, and why: in a report, the report; in an
    article, a cited report only when the
    sentence names a publication, or the text just before it does with no other voice between,
    and no quoted speaker states it."""
    if getattr(doc, "kind", "article") == "report":
        return doc.report_id, "the document is the report itself: its own statement"
    cited = list(doc.reports_cited)
    named = [m.end() for m in PUBLICATION.finditer(before)]
    if PUBLICATION.search(sentence) is None and (not named or SPEECH.search(before, named[-1])):
        return None, "no publication is named in the sentence or just before it, so none"
    if SPEECH.search(sentence) and PUBLICATION.search(sentence) is None:
        return None, "a quoted speaker states it, so none"
    if ledger_report is not None and ledger_report in cited:
        return ledger_report, "a publication is named, and the document cites this report"
    if len(cited) == 1:
        return cited[0], "a publication is named: the one report the document cites"
    return None, "a publication is named but the document cites none or several: set it"


PERIOD_KINDS = ("year", "period", "date")  # the extractor's kinds that can say when
SINCE = re.compile(r"\b(?:since|from)\s+(?:the\s+)?(?:end\s+of\s+|start\s+of\s+)?$", re.I)


def _times(text: str) -> list[str]:
    """The years and periods `text` states as times, as the extractor reads them: a financial
    year whole ("2019/20"), a date by its year; not a statute's or a report's year ("the Act
    2015"), and not a start ("since 2017"), which says when a change began, not what is counted."""
    found = []
    for m in extract(text):
        if m.kind not in PERIOD_KINDS or m.role != "date" or SINCE.search(text, 0, m.start):
            continue
        years = _years(m.text)
        found.append(min(years) if m.kind != "period" and years else m.text)
    return sorted(set(found))


def _period_from_sentence(sentence: str, clause: str, doc: Document) -> tuple[str | None, str]:
    """The period a new figure's own words give: the one time its clause states, else the one
    its sentence states, else none (and the document's date, to help whoever sets it)."""
    for text, where in ((clause, "The number's clause"), (sentence, "The sentence")):
        times = _times(text)
        if len(times) == 1:
            return times[0], f"{where} names {times[0]}."
        if times:
            break
    dated = f" The document is dated {doc.date_published}." if doc.date_published else ""
    return None, "The sentence states no single year or period; check the period." + dated


@dataclass(frozen=True)
class Statement:
    """A statistic as the extractor reads it (value, unit, hedge), with its sentence, the clause
    around it, and the text just before the sentence (for who states it)."""

    value: float
    unit: str
    qualifier: str | None
    sentence: str
    clause: str
    before: str = ""


def suggest(
    doc: Document, statement: Statement, evidence: Evidence, index: IndicatorIndex
) -> Suggestion | None:
    """The best-supported figure entry for one statistic of `doc`, or None."""
    sentence, clause, before = statement.sentence, statement.clause, statement.before
    value, unit, qualifier = statement.value, statement.unit, statement.qualifier
    cited = set(doc.reports_cited)
    years = _years(sentence)
    best: tuple[float, Figure, str] | None = None
    for figure, other_sentence in evidence.figures:
        match = value_match(value, unit, qualifier, figure)
        if match is None:
            continue
        strength, how = match
        value_part = strength * (0.5 + 0.5 * specificity(value, unit))
        similar = passage_similarity(sentence, other_sentence)
        report = 0.5 if not cited else float(figure.report_id in cited)
        fits = index.similarity(clause, figure.indicator)
        score = W_VALUE * value_part + W_PASSAGE * similar + W_REPORT * report + W_INDICATOR * fits
        reasons = [f"{how} as {figure.figure_id} ({figure.doc_id})",
                   f"sentence {similar:.0%} alike"]  # fmt: skip
        if cited and figure.report_id in cited:
            reasons.append(f"{figure.report_id} is cited by this document")
        elif cited:
            reasons.append(f"its report {figure.report_id} is not cited by this document")
        named = _years(figure.period or "")
        if years and named and not named & years:
            score -= 0.15
            reasons.append(f"but the sentence names {', '.join(sorted(years))}, not its period")
        key = (score, figure.figure_id)
        if best is None or key > (best[0], best[1].figure_id):
            best = (score, figure, "; ".join(reasons))
    registry = _from_registry(doc, statement, evidence, index)
    if best is not None and best[0] >= 0.35 and (registry is None or best[0] >= registry.score):
        score, figure, because = best
        report_id, why = report_for(doc, sentence, before, figure.report_id)
        because += f"; report: {why}"
        entry = {
            "label": figure.label,
            "indicator": figure.indicator,
            "value": value,
            "unit": unit,
            "qualifier": qualifier,
            "population": figure.population,
            "geography": figure.geography,
            "period": figure.period,
            # another document's note, said to be so: it may not hold for this one
            **(
                {"period_note": f"From {figure.figure_id} ({figure.doc_id}): {figure.period_note}"}
                if figure.period_note
                else {}
            ),
            "report_id": report_id,
        }
        return Suggestion(entry, max(0.0, min(1.0, score)), because)
    return registry


def _from_registry(
    doc: Document, statement: Statement, evidence: Evidence, index: IndicatorIndex
) -> Suggestion | None:
    """A low-scored entry from the indicator registry alone: the nearest indicator in the unit."""
    sentence, clause, before = statement.sentence, statement.clause, statement.before
    value, unit, qualifier = statement.value, statement.unit, statement.qualifier
    found = index.best(sentence, clause, unit)
    if found is None or found[1] < MIN_INDICATOR_SIMILARITY:
        return None
    indicator_id, similar = found
    ind = evidence.indicators[indicator_id]
    geography, where = _most_common_geography(evidence, indicator_id)
    period, period_note = _period_from_sentence(sentence, clause, doc)
    report_id, report_why = report_for(doc, sentence, before)
    entry = {
        "label": ind.name,
        "indicator": indicator_id,
        "value": value,
        "unit": unit,
        "qualifier": qualifier,
        "population": ind.name[0].lower() + ind.name[1:],
        "geography": geography,
        "period": period,
        "period_note": period_note,
        "report_id": report_id,
    }
    because = (
        f"no ledger figure has this value; the sentence is {similar:.0%} like the definition of "
        f"{indicator_id}; geography: {where}; report: " + report_why
    )
    return Suggestion(entry, min(INDICATOR_ONLY_CAP, similar), because)


def add_suggestions(
    stub: dict[str, Any], doc: Document, mentions: pd.DataFrame, evidence: Evidence
) -> int:
    """Give each statistic candidate of an annotation stub a `suggestion:` (in place, with a
    unique figure_id); return how many got one."""
    text, index = doc.text(), IndicatorIndex(evidence.indicators)
    taken = set(evidence.taken_ids) | {f["figure_id"] for f in stub.get("figures", [])}
    prefix, count = id_prefix(doc.doc_id), 0
    for candidate in stub.get("candidates", []):
        extracted = candidate.get("extracted") or {}
        unit = KIND_UNITS.get(extracted.get("kind"))
        if extracted.get("role") != "statistic" or unit is None or extracted.get("value") is None:
            continue
        a = candidate["anchor"]
        s0, s1 = sentence_at(mentions, text, a["start"], a["end"])
        sentence = text[s0:s1]
        clause = clause_at(sentence, a["start"] - s0, a["end"] - s0)
        value = extracted["value"]
        value = int(value) if float(value).is_integer() else value  # 2118, not 2118.0
        statement = Statement(
            value, unit, extracted["qualifier"], sentence, clause, text[max(0, s0 - BEFORE) : s0]
        )
        found = suggest(doc, statement, evidence, index)
        if found is None:
            continue
        figure_id, n = f"{prefix}-{found.entry['indicator']}", 2
        while figure_id in taken:
            figure_id, n = f"{prefix}-{found.entry['indicator']}-{n}", n + 1
        taken.add(figure_id)
        candidate["suggestion"] = Suggestion(
            {"figure_id": figure_id, **found.entry}, found.score, found.because
        ).as_dict()
        count += 1
    return count


SUGGESTION_KEYS = ("score", "because")


def mentions_of(raw_dir: Path, doc_id: str) -> pd.DataFrame | None:
    """One document's mentions, whose sentences place an accepted figure's claimant; None when
    the document is not in the catalogue (the annotation's checks then say so)."""
    from figtrace.documents import load_documents
    from figtrace.mentions import document_mentions

    docs = load_documents(raw_dir, [doc_id], check_bytes=False)
    return document_mentions(docs[0]) if docs else None


def figure_from_candidate(candidate: Any, entry: dict[str, Any] | None = None) -> dict[str, Any]:
    """A `figures` entry from a candidate: its anchor and its suggestion (or `entry`), in the
    key order of the annotation files, without the suggestion's score and reason."""
    fields = dict(entry if entry is not None else candidate["suggestion"])
    out: dict[str, Any] = {"figure_id": fields.pop("figure_id"), "anchor": candidate["anchor"]}
    for key in ("label", "indicator", "value", "unit", "qualifier", "population", "geography",
                "period", "period_note", "report_id", "claimant", "note"):  # fmt: skip
        if key in fields:
            out[key] = fields[key]
    return out


def add_figure(
    data: Any,
    candidate: Any,
    entry: dict[str, Any] | None = None,
    mentions: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Append a candidate's figure entry (figure_from_candidate) to `figures`, with who states
    it: unless the entry names a claimant, the report the entry names (or, with none, the
    document in its own voice), reusing a claimant of the file that already says so from a
    passage the attribution rules allow for this figure, marked for a curator to review
    (docs/attribution.md). `mentions`: the document's, whose sentences place the passage; without
    them, the figure's own passage stands for its sentence."""
    figure = figure_from_candidate(candidate, entry)
    if "claimant" not in figure:
        a = candidate["anchor"]
        sentence = figure_sentence(int(a["start"]), int(a["end"]), mentions)
        figure["claimant"] = _default_claimant(data, candidate, figure.get("report_id"), sentence)
    data["figures"].append(figure)
    return figure


def _default_claimant(
    data: Any, candidate: Any, report_id: str | None, sentence: tuple[int, int]
) -> str:
    """The id of the claimant an accepted suggestion gets: the file's claimant for its report,
    or the document itself when it names none, whose passage is allowed for a figure in
    `sentence` (the own voice only in it, a report in or before it); added (anchored on the
    figure's passage) if the file has no such claimant yet."""
    claimants = data.setdefault("claimants", [])
    for c in claimants:
        anchor = c.get("anchor") or {}
        if "start" not in anchor or "end" not in anchor:
            continue
        kind = str(c.get("kind"))
        if passage_basis(kind, int(anchor["start"]), int(anchor["end"]), sentence) is None:
            continue
        publication = kind in ("report", "statistics") and not c.get("via")
        if report_id is not None and publication and c.get("report_id") == report_id:
            return str(c["claimant_id"])
        if report_id is None and kind == "article":
            return str(c["claimant_id"])
    cid = f"{report_id}-report" if report_id else "document-itself"
    taken = {str(c.get("claimant_id")) for c in claimants}
    n = 2
    while cid in taken:
        cid = f"{report_id or 'document-itself'}-{n}"
        n += 1
    claimants.append(
        {
            "claimant_id": cid,
            "kind": "report" if report_id else "article",
            "name": report_id or "the document itself",
            "anchor": dict(candidate["anchor"]),
            **({"report_id": report_id} if report_id else {}),
            "note": "Set by figtrace accept or review from a suggestion: "
            + (
                "the report its matching ledger figure names, as the document relays it."
                if report_id
                else "the document in its own voice."
            )
            + " Check who states the number; change the claimant if a person or another "
            "source is quoted.",
        }
    )
    return cid


def accept(
    data: Any, min_score: float = DEFAULT_MIN_SCORE, mentions: pd.DataFrame | None = None
) -> list[tuple[dict[str, Any], float]]:
    """Move every candidate whose suggestion scores at least `min_score` into `figures` (in
    place, in document order, each with a claimant as add_figure gives it); return the figure
    entries moved with their scores."""
    moved, kept = [], []
    for candidate in data.get("candidates") or []:
        suggestion = candidate.get("suggestion")
        if suggestion is not None and float(suggestion["score"]) >= min_score:
            entry = add_figure(data, candidate, mentions=mentions)
            moved.append((entry, float(suggestion["score"])))
        else:
            kept.append(candidate)
    if "candidates" in data:
        data["candidates"][:] = kept
    return moved
