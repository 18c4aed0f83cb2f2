"""Fact-check a writer's draft against the ledger: every number supported, misquoted,
hedge-changed, contested, unsupported or not a statistic, with the passage to cite.

Numbers are found with the project's own extractor (`figtrace.mentions`). Each statistic is
matched to the ledger's figures and derived figures by **meaning** (the words around it against
each entry's label, population, indicator, period and source sentence; IDF-weighted token
overlap) and by **value** (its hedge and the precision it is written with make it a range:
"roughly 10%" allows 9.57, "14.8%" allows 14.78, "more than a quarter" anything above 0.25).
Ids are never read as text, so the matching does not depend on how figures are named.

- supported: an entry that means the same, whose claim lies inside the draft's range;
- hedge-changed: the same value, but the draft's hedge claims something the source does not;
- misquoted: it clearly means an entry, but the value is another;
- contested: supported by a figure whose consistency check warns or fails;
- unsupported: no entry means it; not-a-statistic: dates, ages, periods, idioms, names.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from figtrace.checks import ABOVE, AROUND, BELOW, JUST_BELOW
from figtrace.documents import UNTITLED_NOTE
from figtrace.draft import Draft
from figtrace.errors import FigtraceError
from figtrace.mentions import DENOMINATORS, ORDINALS, SCALES, TENS, UNITS, Mention, extract
from figtrace.provenance import Ledger, format_value, load_ledger, read_table

VERDICTS = (
    "supported",
    "misquoted",
    "hedge-changed",
    "contested",
    "unsupported",
    "not-a-statistic",
)
FAILING = ("misquoted", "hedge-changed")
# the ledger units a number of each kind can state (a rank is never a factor, a count never a share)
KIND_UNITS = {
    "count": ("count",),
    "rank": ("rank",),
    "multiplier": ("factor",),
    "percent": ("percent", "proportion"),
    "fraction": ("proportion", "percent"),
    "ratio": ("proportion", "percent"),
}
NOT_STATISTIC_KINDS = {"year", "date", "period", "age", "time", "phone", "postcode", "duration"}
SUPPORT_SCORE = 0.30  # meaning score from which an entry with a fitting value supports a number
MISQUOTE_SCORE = 0.45  # ... from which a number clearly refers to an entry whose value differs
TIE = 0.20  # entries this close in meaning to the best one compete on value
NEIGHBOUR = 0.15  # bonus for the documents the other numbers of the sentence are matched to
RELATED = 0.10  # bonus for entries the ledger relates to a neighbour's (derived, checked)
SLIP = 0.10  # bonus for a differing value that looks like a slip of the pen for the ledger's
LENIENT = 0.10  # the first pass, which only finds what a sentence is about, accepts less
DOCUMENT = 0.15  # weight of the draft's words outside the number's paragraph
DISTINCT = 0.20  # bonus for the exact value of a number with three or more significant digits
APPROX = AROUND | {"approximately"}
NEUTRAL = {"only", "just", "exactly", "as_many_as"}

# --- words ---------------------------------------------------------------------------------

_NUMBER_WORDS = (
    set(UNITS) | set(TENS) | set(SCALES) | set(ORDINALS) | set(DENOMINATORS)
    | {"half", "twice", "double", "doubled", "doubling", "doubles", "triple", "tripled",
       "treble", "trebled", "quadrupled", "halved", "fold", "per", "cent", "percent", "dozen"}
)  # fmt: skip
_STOP = {
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "by", "with", "from", "and", "or",
    "but", "as", "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "it",
    "its", "this", "that", "these", "those", "there", "their", "they", "them", "which", "who",
    "whom", "what", "than", "more", "over", "nearly", "almost", "about", "around",
    "approximately", "roughly", "some", "estimated", "estimate", "estimates", "only", "just",
    "exactly", "least", "most", "up", "under", "less", "fewer", "all", "any",
    "each", "every", "out", "also", "so", "such", "would", "could", "should", "will",
    "may", "might", "can", "said", "say", "says", "saying", "told", "according", "report",
    "reports", "study", "figure", "figures", "number", "numbers", "data", "show", "shows",
    "showed", "shown", "find", "finds", "put", "suggest", "suggests", "while", "whose",
    "one", "our", "we", "us", "he", "she", "his", "her", "i", "you", "your", "my", "if", "then",
    "other", "another", "own", "same", "since", "before", "after", "year", "years", "last",
    "s", "t", "new", "well", "still", "too", "among", "between", "across",
}  # fmt: skip
_SYNONYMS = {
    "children": "child", "kids": "child", "minors": "child", "youngsters": "child",
    "council": "authority", "councils": "authority", "authorities": "authority",
    "rose": "increase", "risen": "increase", "rise": "increase", "rises": "increase",
    "rising": "increase", "grew": "increase", "grown": "increase", "grow": "increase",
    "growth": "increase", "spike": "increase", "jump": "increase", "jumped": "increase",
    "increased": "increase", "increases": "increase", "climbed": "increase",
    "fell": "decrease", "fall": "decrease", "fallen": "decrease", "drop": "decrease",
    "dropped": "decrease", "declined": "decrease", "decline": "decrease",
    "went": "go", "gone": "go", "going": "go", "goes": "go",
    "without": "not", "never": "not", "no": "not", "none": "not", "nothing": "not",
    "britain": "british", "uk's": "uk", "nation": "national", "nationally": "national",
}  # fmt: skip
_TOKEN = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?|[0-9]+(?:[.,][0-9]+)*")


def stem(word: str) -> str | None:
    """A word's comparable form (lower case, synonyms joined, light suffix stripping), or None
    for a stop word or a number."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if w[0].isdigit():
        return f"y{w}" if re.fullmatch(r"(?:19|20)[0-9]{2}", w) else None
    if w in _STOP or w in _NUMBER_WORDS:
        return None
    w = _SYNONYMS.get(w, w)
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed", "al", "e"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            w = w[: -len(suffix)]
            break
    if len(w) > 4 and w[-1] == w[-2] and w[-1] not in "aeiousl":
        w = w[:-1]
    return w


def words(text: str | None) -> list[tuple[str, int]]:
    """(stem, character offset) of each content word of `text`."""
    if not isinstance(text, str):
        return []
    out = []
    for m in _TOKEN.finditer(text):
        s = stem(m.group(0))
        if s:
            out.append((s, m.start()))
    return out


# --- the ledger as the checker sees it -------------------------------------------------------


@dataclass
class Entry:
    """A figure or derived figure: its value and hedge, and the words of its meaning."""

    ref: str
    kind: str  # figure | derived
    value: float
    unit: str
    qualifier: str | None
    text: str  # the ledger's own words for it: the quote, or the value formatted
    core: dict[str, float]  # stem -> weight: label, population, indicator, geography, period
    full: dict[str, float]  # core plus definition and source sentence
    factor: float | None = None  # a stated percentage change read as a multiple (66% -> 1.66)
    doc_ids: list[str] = field(default_factory=list)
    label: str | None = None
    counts: set[str] = field(default_factory=set)  # what it counts: label and the words after it
    related: set[str] = field(default_factory=set)  # derived from it, input of it, checked with it


@dataclass
class Context:
    """Everything the checker needs from the pipeline's outputs, read once."""

    ledger: Ledger
    entries: list[Entry]
    checks: pd.DataFrame
    idf: dict[str, float]
    max_idf: float
    sentences: dict[str, str]  # figure_id -> its sentence in the source document
    results_dir: Path
    equivalents: dict[str, set[str]] = field(default_factory=dict)  # same indicator and value


def _clean(value: Any) -> Any:
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    return value


def load_context(
    processed_dir: Path, raw_dir: Path, results_dir: Path = Path("results")
) -> Context:
    """Read the ledger (figures, derived, checks, documents and the ledger shard's text) that
    `make all` writes; a clear error names what is missing."""
    processed_dir, raw_dir = Path(processed_dir), Path(raw_dir)
    shard = processed_dir / "shards" / "ledger"
    corpus_dir = shard if (shard / "documents.parquet").is_file() else processed_dir
    ledger = load_ledger(processed_dir, raw_dir, corpus_dir)
    checks = read_table(processed_dir / "checks.parquet")
    sentences = _figure_sentences(ledger.figures, corpus_dir)
    entries: list[Entry] = []
    for row in ledger.figures.itertuples(index=False):
        f = {k: _clean(v) for k, v in row._asdict().items()}
        indicator = ledger.indicators.get(f["indicator"])
        core = _weights(
            (f["label"], 1.0), (f["population"], 0.5), (indicator and indicator.name, 1.0),
            (f["geography"], 0.5), (f["period"], 0.5),
        )  # fmt: skip
        full = _merge(
            core,
            _weights(
                (indicator and indicator.definition, 0.5),
                (sentences.get(f["figure_id"]), 0.7),
                (f.get("period_note"), 0.3),
                (f.get("note"), 0.3),
                (_acronyms(sentences.get(f["figure_id"]), f.get("note")), 0.5),
                *_report_words(ledger, f.get("report_id")),
            ),
        )
        stated = f.get("stated") or f["quote"]
        after = [w for w, _ in words(re.split(r"[.;:,()!?\n]", f["suffix"] or "")[0])][:3]
        entries.append(
            Entry(
                f["figure_id"],
                "figure",
                float(f["value"]),
                f["unit"],
                f["qualifier"],
                stated,
                core,
                full,
                doc_ids=[f["doc_id"]],
                label=f["label"],
                counts={w for w, _ in words(f["label"])} | set(after),
            )  # fmt: skip
        )
    for row in ledger.derived.itertuples(index=False):
        d = {k: _clean(v) for k, v in row._asdict().items()}
        indicator = ledger.indicators.get(d["indicator"])
        inputs = [i for i in (d["inputs"] or "").split(";") if i in ledger.figures.index]
        core = _weights((d["label"], 1.0), (indicator and indicator.name, 1.0))
        extra = [(ledger.figures.loc[i, "label"], 0.5) for i in inputs]
        extra += [(ledger.figures.loc[i, "population"], 0.5) for i in inputs]
        full = _merge(
            core,
            _weights((d["description"], 0.7), (indicator and indicator.definition, 0.5), *extra),
        )
        sources = [s for s in (d.get("source_figures") or "").split(";") if s]
        docs = list(
            dict.fromkeys(
                ledger.figures.loc[s, "doc_id"] for s in sources if s in ledger.figures.index
            )
        )
        entries.append(
            Entry(
                d["derived_id"],
                "derived",
                float(d["value"]),
                d["unit"],
                None,
                format_value(float(d["value"]), d["unit"]),
                core,
                full,
                doc_ids=docs,
                label=d["label"],
                counts={w for w, _ in words(d["label"])},
                related=set(inputs),
            )  # fmt: skip
        )
    for e in entries:
        if e.unit == "percent" and ("increas" in e.core or "chang" in e.core):
            e.factor = 1 + e.value / 100  # "a 96% increase" is also "almost doubled"
    by_ref = {e.ref: e for e in entries}
    links = [e.related | {e.ref} for e in entries if e.kind == "derived"]  # a formula's inputs
    links += [set(i.split(";")) for i in checks["inputs"]]
    for group in links:
        for ref in group:
            if ref in by_ref:
                by_ref[ref].related |= group - {ref}
    for e in entries:
        for ref in list(e.related):
            if ref in by_ref:
                by_ref[ref].related.add(e.ref)
    df = Counter(t for e in entries for t in e.full)
    n = len(entries)
    idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
    equivalents: dict[str, set[str]] = {}
    for e in entries:
        indicator = ledger.figures.loc[e.ref, "indicator"] if e.kind == "figure" else None
        equivalents[e.ref] = {
            o.ref
            for o in entries
            if o.ref == e.ref
            or (
                indicator is not None
                and o.kind == "figure"
                and ledger.figures.loc[o.ref, "indicator"] == indicator
                and (o.value, o.unit, o.qualifier) == (e.value, e.unit, e.qualifier)
            )
        }
    return Context(
        ledger, entries, checks, idf, math.log((n + 1) / 0.5), sentences, Path(results_dir),
        equivalents,
    )  # fmt: skip


_CAPITALISED_RUN = re.compile(r"[A-Z][A-Za-z’']+(?:\s+(?:of|and|for|the|&)?\s*[A-Z][A-Za-z’']+)+")


def _acronyms(*texts: str | None) -> str:
    """The initials of names in `texts` ("Association of Directors of Children's Services"
    gives ADCS), so that a draft may use them."""
    out = []
    for text in texts:
        for m in _CAPITALISED_RUN.finditer(text or ""):
            initials = "".join(
                w[0] for w in re.findall(r"[A-Za-z’']+", m.group(0)) if w[0].isupper()
            )
            if len(initials) >= 2:
                out.append(initials)
    return " ".join(out)


def _report_words(ledger: Ledger, report_id: str | None) -> list[tuple[str | None, float]]:
    """The producer and title of a figure's report ("according to the ATMG")."""
    report = ledger.reports.get(report_id) if report_id else None
    if report is None:
        return []
    return [(report.producer, 0.5), (report.title, 0.3)]


def _weights(*fields: tuple[str | None, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for text, weight in fields:
        for s, _ in words(text):
            out[s] = max(out.get(s, 0.0), weight)
    return out


def _merge(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    out = dict(b)
    for k, v in a.items():
        out[k] = max(out.get(k, 0.0), v)
    return out


def _figure_sentences(figures: pd.DataFrame, corpus_dir: Path) -> dict[str, str]:
    """Each figure's sentence in its document (from the ledger shard's text and mentions);
    the anchor's prefix, quote and suffix where those tables are missing."""
    out = {r.figure_id: f"{r.prefix}{r.quote}{r.suffix}" for r in figures.itertuples()}
    text_path, mentions_path = corpus_dir / "text.parquet", corpus_dir / "mentions.parquet"
    if not (text_path.is_file() and mentions_path.is_file()):
        return out
    texts = dict(pd.read_parquet(text_path, columns=["doc_id", "text"]).itertuples(index=False))
    mentions = pd.read_parquet(
        mentions_path, columns=["doc_id", "start", "end", "sentence_start", "sentence_end"]
    )
    by_doc = {doc: group for doc, group in mentions.groupby("doc_id")}
    for r in figures.itertuples():
        group = by_doc.get(r.doc_id)
        if group is None or r.doc_id not in texts:
            continue
        hit = group[(group["start"] < r.end) & (group["end"] > r.start)]
        if len(hit):
            h = hit.iloc[0]
            out[r.figure_id] = texts[r.doc_id][int(h.sentence_start) : int(h.sentence_end)]
    return out


# --- values as ranges --------------------------------------------------------------------------


def precision(text: str) -> float | None:
    """The step a number is written to: 14.8 -> 0.1, 677 -> 1, 2,000 -> 1,000; None in words."""
    m = re.search(r"[0-9][0-9,]*(?:\.([0-9]+))?", text)
    if not m:
        return None
    if m.group(1):
        return 10.0 ** -len(m.group(1))
    digits = m.group(0).replace(",", "")
    zeros = len(digits) - len(digits.rstrip("0"))
    if re.search(r"(?i)[0-9]\s*(?:m|bn|million|billion|thousand)\b", text[m.start() :]):
        return None
    return 10.0**zeros if zeros < len(digits) else 1.0


def draft_range(value: float, qualifier: str | None, written: str) -> tuple[float, float]:
    """The values a number in a draft allows, from its hedge and how precisely it is written."""
    p = precision(written)
    if p is None:  # words: "one in six", "a quarter", "doubled", "Forty-two"
        word_count = (
            bool(re.fullmatch(r"(?i)[a-z -]+", written)) and value >= 1 and value.is_integer()
        )
        half = 0.5 if word_count and value > 2 else 0.05 * abs(value)
    elif p <= 1:
        half = p / 2
    else:
        half = min(p / 2, max(0.5, 0.05 * abs(value)))
    if qualifier in APPROX:
        wide = 0.10 * abs(value) if p is None else min((p or 1) / 2, 0.10 * abs(value))
        half = max(half, wide)
    eps = 1e-9 * max(1.0, abs(value))
    # "more than 2,118" excludes 2,118 itself (eps) but allows the ledger's own "more than"
    # (2 eps): a hedged range is open at its end
    if qualifier in ABOVE:
        return value + eps, math.inf
    if qualifier in BELOW or qualifier == "at_most":
        return -math.inf, value - eps
    if qualifier in JUST_BELOW:
        return value - 0.10 * abs(value), value - eps
    return value - half - eps, value + half + eps


def ledger_range(value: float, qualifier: str | None) -> tuple[float, float]:
    """The values a ledger claim allows: a point, or an open range for a hedged one."""
    eps = 2e-9 * max(1.0, abs(value))
    if qualifier in ABOVE:
        return value + eps, math.inf
    if qualifier in BELOW or qualifier == "at_most":
        return -math.inf, value - eps
    if qualifier in JUST_BELOW:
        return value - 0.05 * abs(value), value - eps
    if qualifier in APPROX:
        return value - 0.05 * abs(value), value + 0.05 * abs(value)
    return value, value


def in_unit(m: Mention, unit: str) -> float | None:
    """The number's value in the ledger unit `unit`, or None if it cannot state that unit."""
    if m.value is None or unit not in KIND_UNITS.get(m.kind, ()):
        return None
    if m.kind == "percent" and unit == "proportion":
        return m.value / 100
    if m.kind in ("fraction", "ratio") and unit == "percent":
        return m.value * 100
    return m.value


def relation(m: Mention, written: str, entry: Entry) -> tuple[str, float] | None:
    """How the number's value stands to the entry's: `fits` (the ledger's claim lies inside
    the draft's range), `same` (the same value, another hedge) or `differs`; with the ledger
    value compared. None if the number cannot state the entry's unit."""
    readings = [(entry.unit, entry.value, entry.qualifier)]
    if entry.factor is not None:
        readings.append(("factor", entry.factor, None))
    best = None
    for unit, value, qualifier in readings:
        v = in_unit(m, unit)
        if v is None:
            continue
        # the range is the number's own, as written ("half" allows 0.475 to 0.525), then put in
        # the entry's unit: a share in words is not a count in words once read as a percentage,
        # nor "41%" a step of one once read as a proportion
        scale = v / m.value if m.value else 1.0
        lo, hi = (x * scale for x in draft_range(m.value, m.qualifier, written))
        llo, lhi = ledger_range(value, qualifier)
        if lo <= llo and lhi <= hi:
            return "fits", value
        exact_lo, exact_hi = (x * scale for x in draft_range(m.value, None, written))
        if exact_lo <= value <= exact_hi or math.isclose(v, value, rel_tol=5e-4):
            best = best or ("same", value)
        else:
            best = best or ("differs", value)
    return best


# --- meaning -------------------------------------------------------------------------------


def draft_words(text: str, m: Mention, mentions: list[Mention]) -> dict[str, float]:
    """The content words around the number, weighted by nearness: the words of its sentence
    nearer to it than to any other number fully, the rest of its sentence half, the rest of
    its paragraph a quarter; and the draft's names (capitalised words inside a sentence, such
    as the organisation "the charity" stands for) a little, only where an entry's meaning is
    looked for in the draft, not the other way."""
    s, e = m.sentence_start, m.sentence_end
    # a draft's text keeps a line break only between blocks (paragraphs, list items, headings)
    para_s = text.rfind("\n", 0, s) + 1
    para_e = text.find("\n", e)
    para_e = len(text) if para_e < 0 else para_e
    others = [o for o in mentions if o is not m and o.role == "statistic" and s <= o.start < e]
    # "40 of the 209 local authorities ... were known to ...": 209 is a whole, described by its
    # noun phrase only; that phrase and the rest of the clause are said of the part, 40
    whole = part_of = None
    before = [o for o in others if o.end <= m.start]
    after = [o for o in others if o.start >= m.end]
    if before and _OF_THE.fullmatch(text[before[-1].end : _begin(m)]):
        whole = _phrase_end(text, m.end, e)  # m is the whole: its phrase ends here
    elif after and _OF_THE.fullmatch(text[m.end : _begin(after[0])]):
        part_of = after[0]  # m is the part: the whole's words count as m's own
        others = [o for o in others if o is not part_of]
    out: dict[str, float] = {w: IMPLIED_WEIGHT for w in IMPLIED.get(m.kind, ())}
    for match in _NAME.finditer(text):
        w = stem(match.group(1))
        if w:
            out[w] = DOCUMENT
    for w, at in words(text[para_s:para_e]):
        pos = para_s + at
        if m.start <= pos < m.end and m.kind != "rank":
            continue
        if not s <= pos < e:
            weight = 0.25
        elif whole is not None and pos >= m.end:
            weight = 1.0 if pos < whole else 0.5
        else:
            own = _distance(pos, m)
            if part_of is not None and pos >= part_of.end:
                own = _distance(pos, part_of)
            weight = 1.0 if all(own <= _distance(pos, o) for o in others) else 0.5
        out[w] = max(out.get(w, 0.0), weight)
    if out.get(_INCREASE, 0.0) >= 1.0 or out.get(_DECREASE, 0.0) >= 1.0:
        for w in IMPLIED.get(m.kind, ()):
            if w == _SHARE and out.get(w) == IMPLIED_WEIGHT:
                del out[w]  # "rose by 40%" is a change, not a share
    return out


NOT = "not"
# What a kind of number says by itself: "doubled" is a change and a multiple, "second highest" a
# rank, "41%" or "a quarter" a share; figures' labels say so in words.
IMPLIED = {
    "multiplier": [stem(w) for w in ("multiple", "change", "increase")],
    "rank": [stem("rank")],
    "percent": [stem("share")],
    "fraction": [stem("share")],
    "ratio": [stem("share")],
}
IMPLIED_WEIGHT = 0.5
_SHARE, _INCREASE, _DECREASE = stem("share"), stem("increase"), stem("decrease")
_NAME = re.compile(r"(?<=[a-z,;] )([A-Z][A-Za-z]+(?:['’]s)?)")


_OF_THE = re.compile(r"\s+(?:out\s+)?of\s+(?:the\s+|all\s+|its\s+|their\s+|those\s+)?")
_PREDICATE = re.compile(
    r"(?i)[,.;:()–—]|\b(?:is|are|was|were|had|have|has|did|do|does|would|could|will|can|"
    r"said|say|says|went|got|became|been|being|who|which|that)\b"
)


def _begin(m: Mention) -> int:
    return m.qualifier_start if m.qualifier_start is not None else m.start


def _phrase_end(text: str, start: int, limit: int) -> int:
    """Where the noun phrase after a number ends: at punctuation, a verb of being or having,
    or a relative pronoun."""
    m = _PREDICATE.search(text, start, limit)
    return m.start() if m else limit


def _distance(pos: int, m: Mention) -> float:
    """How far a word is from a number; the words after it (what it counts) count nearer."""
    if pos >= m.end:
        return (pos - m.end) * 0.7
    return max(0, (m.qualifier_start or m.start) - pos)


_YEAR_STEM = re.compile(r"y(?:19|20)[0-9]{2}")


def counted_words(text: str, m: Mention) -> list[str]:
    """Up to three content words right after the number, inside its clause: what it counts."""
    rest = text[m.end : _phrase_end(text, m.end, min(len(text), m.end + 80))]
    rest = re.split(
        r"(?i)\b(?:in|on|at|since|by|from|for|during|to|compared|than|after|before)\b", rest
    )[0]
    return [w for w, _ in words(rest) if not _YEAR_STEM.fullmatch(w)][:3]


def meaning(ctx: Context, dwords: dict[str, float], counted: list[str], entry: Entry) -> float:
    """How well the words around a number and an entry's meaning agree, 0 to 1."""
    idf = ctx.idf

    def w(t: str) -> float:
        return idf.get(t, ctx.max_idf)

    core_total = sum(w(t) * c for t, c in entry.core.items())
    recall = sum(w(t) * c * min(1.0, dwords.get(t, 0.0)) for t, c in entry.core.items())
    recall = recall / core_total if core_total else 0.0
    # words the ledger never uses tell no entry from another: only the ledger's vocabulary counts
    known = {t: d for t, d in dwords.items() if t in idf and d > DOCUMENT}
    draft_total = sum(w(t) * d for t, d in known.items())
    precision_ = sum(w(t) * d * min(1.0, entry.full.get(t, 0.0) * 1.5) for t, d in known.items())
    precision_ = precision_ / draft_total if draft_total else 0.0
    if recall + precision_ == 0:
        return 0.0
    score = 2 * recall * precision_ / (recall + precision_)
    if (NOT in entry.core) != (dwords.get(NOT, 0.0) >= 0.5):
        score *= 0.6  # "provided a service" is not "not known to provide a service"
    if counted and not any(t in entry.counts for t in counted):
        score *= 0.5  # "40 councils surveyed" is not "40 ... known to provide a service"
    return score


# --- verdicts -------------------------------------------------------------------------------


@dataclass
class Finding:
    """One number of the draft and what the ledger says about it."""

    text: str
    start: int
    end: int
    value: float | None
    verdict: str
    figure_id: str | None = None
    ledger_value: float | None = None
    ledger_text: str | None = None
    check_id: str | None = None
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        """The JSON object of the issue's schema."""
        return {
            "text": self.text, "start": self.start, "end": self.end, "value": self.value,
            "verdict": self.verdict, "figure_id": self.figure_id,
            "ledger_value": self.ledger_value, "ledger_text": self.ledger_text,
            "check_id": self.check_id, "reason": self.reason,
        }  # fmt: skip


_PERSON = re.compile(
    r"(?i)\b(?:child|children|people|girls?|boys?|minors?|adults?|youngsters?|pupils?|those|"
    r"anyone|victims?|aged?)\s+$"
)


def prose_role(text: str, m: Mention) -> str:
    """The number's role read as prose. A draft is not a web page: the extractor's page
    furniture rules for a whole line (one starting "Published ..." or "Updated ...") are set
    aside by reading the number's own sentence without its line's first word."""
    if m.role != "boilerplate" or m.kind not in KIND_UNITS:
        return m.role
    a = max(m.sentence_start, m.start - 80)
    for other in extract("x " + text[a : m.end + 40]):
        if other.start - 2 + a == m.start:
            return other.role
    return m.role


def looks_like_year(text: str, m: Mention) -> bool:
    """A bare 1900-2099 with no thousands separator and no hedge, not followed by a plural
    noun: "the 2018 report" is a year, "2000 children" a count."""
    if m.kind != "count" or m.qualifier or not re.fullmatch(r"(?:19|20)[0-9]{2}", m.text):
        return False
    after = re.match(r"[ \t]+([A-Za-z]+)", text[m.end : m.end + 30])
    return not (after and after.group(1).lower().endswith("s") and after.group(1).islower())


def not_a_statistic(text: str, m: Mention) -> str | None:
    """Why a number is not a statistic (a date, an age, an idiom ...), or None if it is one."""
    if looks_like_year(text, m):
        return "a year, not a quantity the ledger counts"
    if m.kind in NOT_STATISTIC_KINDS or m.role == "date":
        names = {"year": "a year", "date": "a date", "period": "a period", "age": "an age",
                 "time": "a time of day", "duration": "a length of time",
                 "phone": "a phone number", "postcode": "a postcode"}  # fmt: skip
        return f"{names.get(m.kind, 'a date')}, not a quantity the ledger counts"
    role = prose_role(text, m)
    if role == "name":
        return "part of a name"
    if role == "boilerplate":
        return "page furniture"
    if role != "statistic" or m.value is None:
        return "an idiom or vague amount, not a number stated as a finding"
    before = text[max(0, m.start - 30) : m.qualifier_start or m.start]
    if (
        m.kind == "count"
        and m.qualifier in ("under", "over", "less_than")
        and m.value <= 21
        and _PERSON.search(before)
    ):
        return "an age threshold that defines who is counted"
    return None


def check_draft(draft: Draft, ctx: Context) -> list[Finding]:
    """Every number of the draft, in draft order, with its verdict.

    Two passes: the second reads each number again knowing which documents the other numbers
    of its sentence and paragraph were matched to ("90 of them" beside "609 children" is about
    the same caseload), the way a reader follows a paragraph."""
    text = draft.text
    mentions = extract(text)
    stats = [m for m in mentions if not_a_statistic(text, m) is None]
    first = {id(m): _judge(ctx, text, m, mentions, {}, lenient=LENIENT) for m in stats}
    findings = []
    for m in mentions:
        start = m.qualifier_start if m.qualifier_start is not None else m.start
        finding = Finding(text[start : m.end], start, m.end, m.value, "unsupported")
        why = not_a_statistic(text, m)
        if why:
            finding.verdict, finding.reason = "not-a-statistic", why
            findings.append(finding)
            continue
        bonus: dict[str, float] = {}
        for o in stats:
            entry = first[id(o)][1]
            if o is m or entry is None:
                continue
            if o.sentence_start == m.sentence_start:
                weight = NEIGHBOUR
                bonus[entry.ref] = -NEIGHBOUR  # another number of the sentence states it
                for ref in entry.related:
                    bonus[ref] = max(bonus.get(ref, 0.0), RELATED)
            elif _paragraph(text, o.start) == _paragraph(text, m.start):
                weight = NEIGHBOUR / 2
            else:
                continue
            for doc in entry.doc_ids:
                bonus[doc] = max(bonus.get(doc, 0.0), weight)
        # a figure the draft quotes right elsewhere is not what another value misquotes
        elsewhere = {
            ref
            for o in stats
            if o is not m and first[id(o)][0] == "fits"
            for ref in ctx.equivalents.get(first[id(o)][1].ref, ())
        }
        _apply(ctx, finding, *_judge(ctx, text, m, mentions, bonus, quoted=elsewhere))
        findings.append(finding)
    return findings


def _paragraph(text: str, index: int) -> int:
    return text.count("\n", 0, index)


def _judge(
    ctx: Context,
    text: str,
    m: Mention,
    mentions: list[Mention],
    bonus: dict[str, float],
    lenient: float = 0.0,
    quoted: set[str] | frozenset[str] = frozenset(),
) -> tuple[str, Entry | None, float | None, float]:
    """(relation, entry, ledger value, score) of the number's best match; entry None if none
    is close enough in meaning, with the nearest one's score."""
    dwords = draft_words(text, m, mentions)
    counted = counted_words(text, m)
    number = text[m.start : m.end]
    written = text[_begin(m) : m.end]
    distinct = distinctive(number)
    own = [t for t, weight in dwords.items() if weight >= 1.0]
    # a name the ledger never mentions ("Wales", "Kent") in the number's sentence: the number
    # is likely about something else, so it is not called a misquote of a ledger figure
    strangers = any(
        stem(w) and stem(w) not in ctx.idf
        for w in re.findall(r"\b[A-Z][A-Za-z’']+", text[m.sentence_start : m.sentence_end])
    )
    scored = []
    for entry in ctx.entries:
        rel = relation(m, number, entry)
        if rel is None:
            continue
        score = meaning(ctx, dwords, counted, entry)
        if rel[0] == "differs" and not any(t in entry.full for t in own):
            continue  # a misquote shares words with its figure in its own clause
        score += max((bonus.get(d, 0.0) for d in entry.doc_ids), default=0.0)
        score += bonus.get(entry.ref, 0.0)
        if distinct and rel[0] != "differs" and math.isclose(rel[1], m.value or 0, rel_tol=1e-9):
            score += DISTINCT
        if rel[0] == "fits" and same_words(written, entry.text, m.qualifier):
            score += DISTINCT
        if rel[0] == "differs" and slip(number, entry.text):
            score += SLIP
        if rel[0] == "differs" and entry.ref in quoted:
            score -= NEIGHBOUR
        if rel[0] == "differs" and strangers:
            score -= NEIGHBOUR
        scored.append((score, rel, entry))
    if not scored:
        return "none", None, None, 0.0
    scored.sort(key=lambda x: -x[0])
    best = scored[0][0]
    order = {"fits": 0, "same": 1, "differs": 2}

    def threshold(rel: str) -> float:
        return (MISQUOTE_SCORE if rel == "differs" else SUPPORT_SCORE) - lenient

    # an entry too far in meaning to be matched by itself does not compete: a fitting value
    # that means something else does not hide the entry the number clearly refers to
    contenders = [x for x in scored if x[0] >= best - TIE and x[0] >= threshold(x[1][0])]
    if not contenders:
        return "far", None, None, best
    contenders.sort(key=lambda x: (order[x[1][0]], -x[0]))
    score, (rel, ledger_value), entry = contenders[0]
    return rel, entry, ledger_value, score


def slip(written: str, ledger: str) -> bool:
    """Whether one number looks like a slip for the other: the same digits in another order
    (767 for 677), or one digit changed, or one added or dropped from a number of three or
    more digits (10,000 for 100,000; not 20 for 209)."""
    a, b = re.sub(r"[^0-9]", "", written), re.sub(r"[^0-9]", "", ledger)
    if not a or not b or a == b:
        return False
    if sorted(a) == sorted(b):
        return True
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return (
        len(short) >= 3
        and len(long_) - len(short) == 1
        and any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
    )


def same_words(written: str, quote: str, qualifier: str | None) -> bool:
    """The draft repeats the source's own words for a figure, and they say more than a bare
    number: a hedge ("over 2,000") or a phrase ("one in six", "second highest")."""
    if re.sub(r"\s+", " ", written).lower() != re.sub(r"\s+", " ", quote).lower():
        return False
    if qualifier is not None and qualifier not in NEUTRAL:
        return True
    return not any(c.isdigit() for c in quote) and len(quote.split()) >= 2


def distinctive(number: str) -> bool:
    """A number written with three or more significant digits ("609", "2,118", "14.8%"): two
    sources rarely give it by chance, so its value is evidence of a match on its own."""
    digits = re.sub(r"[^0-9]", "", number.split("%")[0]).strip("0")
    return len(digits) >= 3


def _apply(
    ctx: Context, finding: Finding, rel: str, entry: Entry | None, ledger_value: float | None,
    score: float,
) -> None:  # fmt: skip
    if entry is None:
        finding.reason = (
            "no figure in the ledger states a number of this kind"
            if rel == "none"
            else "no figure in the ledger says this: none is close enough in meaning (best "
            f"{score:.2f}; {SUPPORT_SCORE:.2f} needed with a value that fits, "
            f"{MISQUOTE_SCORE:.2f} to call it a misquote)"
        )
        return
    finding.figure_id, finding.ledger_value, finding.ledger_text = (
        entry.ref,
        ledger_value,
        entry.text,
    )
    label = entry.label or entry.ref
    if rel == "differs":
        finding.verdict = "misquoted"
        finding.reason = (
            f"refers to {entry.ref} ({label}), which the ledger gives as {entry.text!r}, "
            f"not {finding.text!r}"
        )
    elif rel == "same":
        finding.verdict = "hedge-changed"
        finding.reason = (
            f"the value of {entry.ref} ({label}), but the source says {entry.text!r}, "
            f"not {finding.text!r}"
        )
    else:
        check = contesting_check(ctx, entry.ref)
        if check is not None:
            finding.verdict, finding.check_id = "contested", check["check_id"]
            finding.reason = f"states {entry.ref} ({entry.text!r}), but " + describe_check(check)
        else:
            finding.verdict = "supported"
            v = finding.value or 0.0
            same = any(math.isclose(ledger_value, c, rel_tol=1e-3) for c in (v, v / 100, v * 100))
            rounded = "" if same else ", rounded"
            finding.reason = f"states {entry.ref} ({label}): {entry.text!r}{rounded}"


def contesting_check(ctx: Context, ref: str) -> dict[str, Any] | None:
    """The first warning or failing check that puts `ref` in doubt: the stated side of a
    rounding or change check, or any side of an agreement check."""
    for row in ctx.checks.itertuples(index=False):
        if row.status not in ("warn", "fail"):
            continue
        inputs = row.inputs.split(";")
        if (row.kind == "agreement" and ref in inputs) or inputs[:1] == [ref]:
            return {k: _clean(v) for k, v in row._asdict().items()}
    return None


def describe_check(check: dict[str, Any]) -> str:
    """What a check found, in words: which check, the arithmetic, and its status."""
    status = {"warn": "warns", "fail": "fails"}[check["status"]]
    text = f"the check {check['check_id']} {status}: {check['description']}"
    if check.get("computed_value") is not None:
        unit = check["unit"]
        computed = format_value(float(check["computed_value"]), unit)
        stated = format_value(float(check["stated_value"]), unit, check.get("stated_qualifier"))
        text += f" The arithmetic gives {computed}, against the stated {stated}."
    else:
        text += f" {check['message']}."
    return text


def summary(findings: list[Finding]) -> dict[str, int]:
    """How many numbers got each verdict (every verdict listed, in a fixed order)."""
    counts = Counter(f.verdict for f in findings)
    return {v: counts.get(v, 0) for v in VERDICTS}


def result(draft: Draft, findings: list[Finding]) -> dict[str, Any]:
    """The --json document: the draft, its numbers in draft order, and the counts."""
    return {
        "draft": draft.path.as_posix(),
        "numbers": [f.as_json() for f in findings],
        "summary": summary(findings),
    }


def summary_line(draft: Draft, findings: list[Finding]) -> str:
    """The one line on stderr."""
    counts = summary(findings)
    parts = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    failing = sum(counts[v] for v in FAILING)
    tail = f"; {failing} to fix" if failing else "; nothing to fix"
    return f"factcheck {draft.path}: {len(findings)} numbers ({parts or 'none'}){tail}"


def missing_outputs_hint(exc: FigtraceError) -> FigtraceError:
    """The loader's error, with what the fact-checker needs."""
    return FigtraceError(f"{exc} The fact-checker reads the ledger the pipeline builds.")


# --- scoring against a hand-checked drafts set ------------------------------------------------


def score_set(gold_path: Path, ctx: Context) -> dict[str, Any]:
    """Verdict and figure-match accuracy of the checker on a drafts set (tests/data/drafts):
    each listed number is found in the checker's output by its text, in draft order."""
    from figtrace.draft import read_draft
    from figtrace.registries import load_yaml

    gold_path = Path(gold_path)
    entries = load_yaml(gold_path)
    total = verdicts = figures = unlisted = supported_misquotes = 0
    errors: list[str] = []
    for item in entries:
        draft = read_draft(gold_path.parent / item["draft"])
        found = check_draft(draft, ctx)
        pos = 0
        used = set()
        for want in item["numbers"]:
            total += 1
            hit = next((i for i in range(pos, len(found)) if found[i].text == want["text"]), None)
            if hit is None:
                errors.append(f"{item['draft']}: {want['text']!r} not found")
                continue
            pos, got = hit + 1, found[hit]
            used.add(hit)
            ok_figures = want.get("figure") or []
            ok_v = got.verdict == want["verdict"]
            ok_f = (got.figure_id in ok_figures) if ok_figures else got.figure_id is None
            if want["verdict"] == "not-a-statistic" or want["verdict"] == "unsupported":
                ok_f = got.figure_id is None
            verdicts += ok_v
            figures += ok_f
            if want["verdict"] == "misquoted" and got.verdict == "supported":
                supported_misquotes += 1
            if not (ok_v and ok_f):
                errors.append(
                    f"{item['draft']}: {want['text']!r}: want {want['verdict']} "
                    f"{ok_figures or '-'}, got {got.verdict} {got.figure_id or '-'} ({got.reason})"
                )
        unlisted += sum(
            1 for i, f in enumerate(found) if i not in used and f.verdict != "not-a-statistic"
        )
    return {
        "numbers": total,
        "verdict_accuracy": verdicts / total if total else 1.0,
        "figure_accuracy": figures / total if total else 1.0,
        "supported_misquotes": supported_misquotes,
        "unlisted_statistics": unlisted,
        "errors": errors,
    }


# --- outputs: JSON, HTML, Markdown with footnotes, CSL-JSON ----------------------------------


def entry_sources(ctx: Context, ref: str) -> list[dict[str, Any]]:
    """The passages an entry rests on (a figure's own, a derived figure's source figures),
    each with its document and report."""
    ledger = ctx.ledger
    if ref in ledger.derived.index:
        refs = [r for r in (ledger.derived.loc[ref, "source_figures"] or "").split(";") if r]
    else:
        refs = [ref]
    out = []
    for fid in refs:
        if fid not in ledger.figures.index:
            continue
        f = {k: _clean(v) for k, v in ledger.figures.loc[fid].to_dict().items()}
        doc = {k: _clean(v) for k, v in ledger.documents.loc[f["doc_id"]].to_dict().items()}
        report_id = f.get("report_id")
        report = ledger.reports.get(report_id) if report_id else None
        out.append(
            {
                "figure_id": fid,
                "prefix": f["prefix"] or "",
                "quote": f["quote"],
                "suffix": f["suffix"] or "",
                "doc": doc,
                "report": vars(report) if report else None,
            }
        )
    return out


def entry_view(ctx: Context, ref: str) -> dict[str, Any]:
    """What the panel and the footnotes show of an entry."""
    entry = next(e for e in ctx.entries if e.ref == ref)
    ledger = ctx.ledger
    table = ledger.figures if ref in ledger.figures.index else ledger.derived
    formula = None
    if ref in ledger.derived.index:
        formula = f"{ledger.derived.loc[ref, 'formula']} = {ledger.derived.loc[ref, 'expression']}"
    return {
        "ref": ref,
        "text": entry.text,
        "label": _clean(table.loc[ref, "label"]),
        "formula": formula,
        "sources": entry_sources(ctx, ref),
    }


def render_html(draft: Draft, findings: list[Finding], ctx: Context, out: Path) -> str:
    """The draft with every number marked by verdict, and the panel of what the ledger says."""
    import os
    from urllib.parse import quote

    from markupsafe import Markup

    from figtrace.rendering import environment, safe_text

    text, pieces, pos = draft.text, [], 0
    for i, f in enumerate(findings, 1):
        pieces.append(safe_text(text[pos : f.start]))
        pieces.append(
            Markup('<a class="num v-{0}" id="n{1}" href="#e{1}" title="{0}">{2}</a>').format(
                f.verdict, i, safe_text(f.text)
            )
        )
        pos = f.end
    pieces.append(safe_text(text[pos:]))
    views = []
    for f in findings:
        entry = entry_view(ctx, f.figure_id) if f.figure_id else None
        if entry:
            for s in entry["sources"]:
                viewer = ctx.results_dir / "sources" / f"{s['doc']['doc_id']}.html"
                s["viewer"] = None
                if viewer.is_file():
                    rel = os.path.relpath(viewer.resolve(), Path(out).resolve().parent)
                    s["viewer"] = quote(Path(rel).as_posix()) + "#" + quote(s["figure_id"])
        check = None
        if f.check_id:
            row = ctx.checks[ctx.checks["check_id"] == f.check_id].iloc[0]
            check = {"check_id": f.check_id, "status": row["status"], "message": row["message"]}
        views.append({**f.as_json(), "entry": entry, "check": check, "where": draft.where(f.start)})
    css = (Path(__file__).parent / "templates" / "report.css").read_text("utf-8") + FACTCHECK_CSS
    return (
        environment()
        .get_template("factcheck.html.j2")
        .render(
            draft_name=draft.path.as_posix(),
            findings=views,
            counts=[(v, n) for v, n in summary(findings).items() if n],
            body=Markup("").join(pieces),
            css=css,
        )
    )


FACTCHECK_CSS = """
body.factcheck { max-width: 88rem; }
.fc-layout { display: grid; grid-template-columns: minmax(0, 1.1fr) minmax(0, 1fr); gap: 1.5rem; align-items: start; }
.fc-panel { position: sticky; top: 0; max-height: 100vh; overflow-y: auto; padding-right: .25rem; }
.fc-entry h3 { font-size: 1rem; } .fc-entry .where { color: var(--muted); font-size: .85rem; font-weight: 400; }
.fc-entry .reason { margin: .25rem 0; }
.fc-entry .source { border-top: 1px dashed var(--line); margin-top: .5rem; }
a.num { color: inherit; text-decoration: none; border-radius: 3px; padding: 0 .15em; border-bottom: 3px solid; }
a.num:target { outline: 3px solid var(--accent); outline-offset: 2px; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: .8rem; font-weight: 700;
  color: #fff; white-space: nowrap; }
.v-supported { --v: #1f7a3a; } .v-misquoted { --v: #b3261e; } .v-hedge-changed { --v: #c2410c; }
.v-contested { --v: #7c3aed; } .v-unsupported { --v: #5a5a66; } .v-not-a-statistic { --v: #9aa0a6; }
.badge.v-supported, .badge.v-misquoted, .badge.v-hedge-changed, .badge.v-contested, .badge.v-unsupported,
.badge.v-not-a-statistic { background: var(--v); }
a.num.v-supported { background: #dcf2e3; border-color: #1f7a3a; }
a.num.v-misquoted { background: #fbe0de; border-color: #b3261e; }
a.num.v-hedge-changed { background: #fde7d6; border-color: #c2410c; }
a.num.v-contested { background: #ece3fd; border-color: #7c3aed; }
a.num.v-unsupported { background: #ececf1; border-color: #5a5a66; border-bottom-style: dashed; }
a.num.v-not-a-statistic { background: none; border-color: #c4c7cc; border-bottom-width: 1px; }
.fc-entry { border-left: 5px solid var(--v); }
@media (max-width: 60rem) { .fc-layout { grid-template-columns: 1fr; } .fc-panel { position: static; max-height: none; } }
"""


def _cite_text(source: dict[str, Any]) -> str:
    """A source in a footnote: the article, the report it reports, and the passage."""
    from figtrace.rendering import md_text

    doc, report = source["doc"], source["report"]
    if doc.get("title"):
        title = f"*{md_text(doc['title'])}*"
    elif doc.get("description"):  # named as the report and the viewers name it
        title = f"*{md_text(doc['description'])}* ({UNTITLED_NOTE})"
    else:
        title = f"untitled document `{doc['doc_id']}`"
    parts = [title]
    parts.append(md_text(doc["publisher"]) if doc.get("publisher") else "publisher not stated")
    parts.append(md_text(doc["date_published"]) if doc.get("date_published") else "date not stated")
    text = ", ".join(parts)
    if report:
        year = f" ({report['year']})" if report.get("year") else ""
        text += f"; reporting {md_text(report['producer'])}, *{md_text(report['title'])}*{year}"
    passage = (
        md_text(source["prefix"])
        + "**"
        + md_text(source["quote"])
        + "**"
        + md_text(source["suffix"])
    )
    text += f": “…{passage.strip()}…” (sha256 `{doc['sha256']}`)"
    return text


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


def render_markdown(
    draft: Draft, findings: list[Finding], ctx: Context
) -> tuple[str, list[dict[str, Any]]]:
    """The draft with a footnote after each supported number citing its source, and a
    references list; with the CSL-JSON items of the documents and reports cited."""
    source = draft.source if draft.source is not None else draft.text
    label = "figtrace-"
    while f"[^{label}" in source:
        label = "x" + label
    inserts: list[tuple[int, str]] = []
    notes: list[str] = []
    cited: dict[str, dict[str, Any]] = {}
    for f in findings:
        if f.verdict != "supported" or not f.figure_id:
            continue
        view = entry_view(ctx, f.figure_id)
        n = len(notes) + 1
        inserts.append((draft.source_offset(f.end), f"[^{label}{n}]"))
        if len(view["sources"]) == 1 and view["formula"] is None:
            body = _cite_text(view["sources"][0])
        else:
            body = f"Computed by figtrace ({f.figure_id}: {view['formula']}) from: " + "; ".join(
                _cite_text(s) for s in view["sources"]
            )
        notes.append(f"[^{label}{n}]: {body}")
        for s in view["sources"]:
            cited.setdefault(f"doc:{s['doc']['doc_id']}", _csl_document(s["doc"]))
            if s["report"]:
                cited.setdefault(f"report:{s['report']['report_id']}", _csl_report(s["report"]))
    out, pos = [], 0
    escape = draft.source is None  # text read from HTML or Word is prose, not Markdown
    for at, mark in inserts:
        piece = source[pos:at]
        out.append(_md_escape(piece) if escape else piece)
        out.append(mark)
        pos = at
    out.append(_md_escape(source[pos:]) if escape else source[pos:])
    text = "".join(out).rstrip("\n") + "\n"
    if notes:
        text += "\n" + "\n".join(notes) + "\n"
    items = list(cited.values())
    if items:
        text += "\n## References\n\n" + "\n".join(f"- {_reference_line(i)}" for i in items) + "\n"
    return text, items


def _date_parts(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    parts = [int(p) for p in str(value).split("-") if p.isdigit()]
    return {"date-parts": [parts]} if parts else None


def _csl_document(doc: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": doc["doc_id"], "type": "article-newspaper"}
    item["title"] = doc.get("title") or doc["doc_id"]
    if doc.get("publisher"):
        item["container-title"] = doc["publisher"]
        item["publisher"] = doc["publisher"]
    if _date_parts(doc.get("date_published")):
        item["issued"] = _date_parts(doc["date_published"])
    if doc.get("url"):
        item["URL"] = doc["url"]
    if _date_parts(doc.get("date_accessed")):
        item["accessed"] = _date_parts(doc["date_accessed"])
    item["note"] = f"sha256 {doc['sha256']}"
    return item


def _csl_report(report: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": report["report_id"], "type": "report", "title": report["title"]}
    item["author"] = [{"literal": report["producer"]}]
    item["publisher"] = report["producer"]
    if _date_parts(report.get("date_published") or report.get("year")):
        item["issued"] = _date_parts(report.get("date_published") or report.get("year"))
    if report.get("url"):
        item["URL"] = report["url"]
    return item


def _reference_line(item: dict[str, Any]) -> str:
    from figtrace.rendering import md_text

    year = item.get("issued", {}).get("date-parts", [[None]])[0][0]
    who = (
        item.get("author", [{}])[0].get("literal")
        or item.get("publisher")
        or "publisher not stated"
    )
    line = f"{md_text(who)} ({year or 'n.d.'}). *{md_text(item['title'])}*."
    if item.get("URL"):
        line += f" <{item['URL']}>"
    return line + f" [{item['id']}]"


@dataclass
class Run:
    """One fact-check: the draft, its findings, and the exit status a writer's CI reads."""

    draft: Draft
    findings: list[Finding]

    @property
    def exit_code(self) -> int:
        """1 when any number is misquoted or hedge-changed, else 0."""
        return int(any(f.verdict in FAILING for f in self.findings))

    def lines(self) -> list[str]:
        """One line per number, for the terminal."""
        return [
            f"{self.draft.where(f.start)}: {f.text!r} {f.verdict}"
            + (f" [{f.figure_id}]" if f.figure_id else "")
            + f": {f.reason}"
            for f in self.findings
        ]


def run(
    draft_path: Path,
    processed_dir: Path,
    raw_dir: Path,
    results_dir: Path,
    json_out: Path | None = None,
    html_out: Path | None = None,
    md_out: Path | None = None,
) -> Run:
    """Check a draft and write the outputs asked for (each whole or not at all)."""
    import json

    from figtrace import outputs
    from figtrace.draft import read_draft

    draft = read_draft(draft_path)
    ctx = load_context(processed_dir, raw_dir, results_dir)
    findings = check_draft(draft, ctx)
    files: list[tuple[Path, str]] = []
    if json_out:
        payload = json.dumps(result(draft, findings), indent=2, ensure_ascii=False)
        files.append((Path(json_out), payload + "\n"))
    if html_out:
        files.append((Path(html_out), render_html(draft, findings, ctx, Path(html_out))))
    if md_out:
        text, items = render_markdown(draft, findings, ctx)
        files.append((Path(md_out), text))
        csl = json.dumps(items, indent=2, ensure_ascii=False) + "\n"
        files.append((Path(md_out).with_suffix(".csl.json"), csl))
    for path, text in files:  # everything is rendered before anything is written
        outputs.write_text(path, text)
    return Run(draft, findings)
