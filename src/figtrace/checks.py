"""Checks: what the sources say, set against each other and against their own arithmetic.

Three kinds, defined in `data/raw/checks.yaml`: `agreement` (the same claim in several places
agrees), `rounding` (a stated rounding such as "one in six" against the arithmetic), `change`
(a stated change against its base). Every claim is a range: a hedge such as "more than" or
"nearly" is part of what the source claims. A check's miss is the gap between the ranges; it
passes with no gap, warns up to `fail_beyond`, and fails beyond it. Checks never stop the build.

Agreement is evidence only between independent sources: an agreement check whose figures are all
in one document, or in documents that reproduce the same passage (one press release, one quote),
is a `restatement` (`same_source` decides; docs/attribution.md). It is reported apart, with
whether the restatements agree, and neither passes nor fails.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from figtrace.errors import FigtraceError
from figtrace.figures import UNITS, validate_frame
from figtrace.registries import load_yaml, validate

STATUSES = ("pass", "warn", "fail", "restatement")
# An article's figure against the report it cites, when the report itself is in the corpus:
# pass (agrees), fail (differs) or not-found (the report has no figure of that meaning).
AGAINST_REPORT = "against-report"
NOT_FOUND = "not-found"
# What a check's result is evidence of (the `evidence` column).
EVIDENCE = ("corroboration", "restatement", "arithmetic", "against-report")
# Words in a row that two documents must share, word for word, to be copies of one source: a
# reproduced quote or press-release sentence, longer than any phrase two writers share by chance.
MIN_SHARED_WORDS = 12
_WORD = re.compile(r"[0-9a-z]+(?:['’][a-z]+)?", re.IGNORECASE)


def words(text: str) -> list[str]:
    """The text as lower-case words, quotes folded and punctuation dropped, for comparing copies."""
    return [m.group().lower().replace("’", "'") for m in _WORD.finditer(text)]


def shared_passage(text_a: str, text_b: str, min_words: int = MIN_SHARED_WORDS) -> str | None:
    """The longest run of at least `min_words` words that both texts contain word for word (a
    quote or press release both reproduce), as `text_b` writes it; or None."""
    a = words(text_a)
    spans = [m.span() for m in _WORD.finditer(text_b)]
    b = words(text_b)
    if len(a) < min_words or len(b) < min_words:
        return None
    starts: dict[tuple[str, ...], list[int]] = {}
    for i in range(len(a) - min_words + 1):
        starts.setdefault(tuple(a[i : i + min_words]), []).append(i)
    best: tuple[int, int] = (0, 0)  # (length, start in b)
    for j in range(len(b) - min_words + 1):
        for i in starts.get(tuple(b[j : j + min_words]), []):
            n = min_words
            while i + n < len(a) and j + n < len(b) and a[i + n] == b[j + n]:
                n += 1
            best = max(best, (n, -j))
    if not best[0]:
        return None
    first, last = -best[1], -best[1] + best[0] - 1
    return " ".join(text_b[spans[first][0] : spans[last][1]].split())


def same_source(doc_a: str, text_a: str, doc_b: str, text_b: str) -> tuple[bool, str]:
    """Whether figures in two documents come from one source, for corroboration: the same
    document, or two documents reproducing one passage word for word. (same?, why in words)."""
    if doc_a == doc_b:
        return True, f"both are in {doc_a}"
    shared = shared_passage(text_a, text_b)
    if shared:
        shown = " ".join(shared.split()[:10])
        return True, f"{doc_a} and {doc_b} reproduce the same passage (“{shown} …”)"
    return False, f"{doc_a} and {doc_b} share no passage of {MIN_SHARED_WORDS} words or more"


def source_groups(docs: list[str], texts: dict[str, str]) -> tuple[list[list[str]], list[str]]:
    """The documents grouped into independent sources (copies of one source together), and why
    each pair that was joined counts as one source."""
    parent = {d: d for d in docs}

    def root(d: str) -> str:
        while parent[d] != d:
            d = parent[d]
        return d

    reasons = []
    for a, b in itertools.combinations(docs, 2):
        if root(a) == root(b) and a != b:
            continue
        same, why = same_source(a, texts.get(a, ""), b, texts.get(b, ""))
        if same:
            parent[root(b)] = root(a)
            reasons.append(why)
    groups: dict[str, list[str]] = {}
    for d in docs:
        groups.setdefault(root(d), []).append(d)
    return list(groups.values()), list(dict.fromkeys(reasons))


ABOVE = {"more_than", "over", "at_least"}
BELOW = {"under", "less_than", "fewer_than", "up_to"}
JUST_BELOW = {"nearly", "almost"}
AROUND = {"around", "approximately", "about"}
HEDGE_WORDS = {
    "more_than": "more than", "over": "over", "at_least": "at least", "under": "under",
    "less_than": "less than", "fewer_than": "fewer than", "up_to": "up to", "nearly": "nearly",
    "almost": "almost", "around": "around", "approximately": "approximately", "about": "about",
    "only": "only", "just": "just",
}  # fmt: skip


@dataclass(frozen=True)
class Claim:
    """One input of a check: a value with its hedge, converted to the check's unit."""

    ref: str
    value: float
    qualifier: str | None

    def range(self, tolerance: float) -> tuple[float, float]:
        """The values this claim allows, widened by the tolerance where the claim is exact."""
        v, q = self.value, self.qualifier
        if q in ABOVE:
            return v - tolerance, math.inf
        if q in BELOW:
            return -math.inf, v + tolerance
        if q in JUST_BELOW:
            return v - tolerance, v
        return v - tolerance, v + tolerance  # exact, "only", "just", "around"

    def describe(self, unit: str) -> str:
        """The claim in words, e.g. `more than 80 percent`."""
        hedge = HEDGE_WORDS.get(self.qualifier or "", "")
        shown = f"{self.value:.4g}" if unit in ("proportion", "factor") else f"{self.value:,.4g}"
        suffix = {"percent": "%", "factor": "×"}.get(unit, "")
        return f"{self.ref} = {hedge + ' ' if hedge else ''}{shown}{suffix}"


def convert(value: float, unit: str, to: str, where: str) -> float:
    """A value in another unit: only percent and proportion convert into each other."""
    if unit == to:
        return value
    if (unit, to) == ("proportion", "percent"):
        return value * 100
    if (unit, to) == ("percent", "proportion"):
        return value / 100
    raise FigtraceError(f"{where}: cannot compare a value in {unit} with one in {to}.")


def _units(unit: str) -> str:
    return {"percent": "percentage points", "count": "", "rank": "places"}.get(unit, unit)


def gap(a: tuple[float, float], b: tuple[float, float]) -> float:
    """How far apart two ranges are (0 when they overlap)."""
    return max(0.0, max(a[0], b[0]) - min(a[1], b[1]))


CHECK_COLUMNS: dict[str, tuple[str, str]] = {
    "check_id": ("string", "Stable identifier of the check."),
    "kind": ("string", "agreement, rounding, change or against-report (checks.yaml and the reports in the corpus); corroboration or restatement (figtrace.corroboration: pairs across documents)."),
    "status": ("string", "pass, warn or fail; restatement for an agreement that is no evidence (one source); not-found for an against-report check whose report has no such figure."),
    "evidence": ("string", "corroboration (independent sources agree or not), restatement (one document, or copies of one source), arithmetic (a stated rounding or change against its own numbers) or against-report (an article against the report it cites)."),
    "documents": ("string", "The documents the compared figures are stated in, separated by ';'."),
    "sources_note": ("string", "Why the documents count as one source or as independent ones."),
    "description": ("string", "What is checked, in words."),
    "inputs": ("string", "The figure and derived ids used, separated by ';'."),
    "unit": ("string", "The unit the values are compared in."),
    "stated_value": ("number", "rounding/change: the stated claim's value, in `unit`."),
    "stated_qualifier": ("string", "rounding/change: the stated claim's hedge."),
    "computed_value": ("number", "rounding/change: the value it is tested against, in `unit`."),
    "difference": ("number", "computed_value - stated_value (rounding/change)."),
    "miss": ("number", "How far the values fall outside each other's claims, beyond the tolerance."),
    "tolerance": ("number", "The declared tolerance, in `unit`."),
    "fail_beyond": ("number", "A miss beyond this fails; below it warns."),
    "message": ("string", "The result in words, with the numbers."),
}  # fmt: skip

CHECK_SCHEMA = pa.DataFrameSchema(
    {
        "check_id": pa.Column(str, unique=True),
        "kind": pa.Column(
            str,
            pa.Check.isin(
                ["agreement", "rounding", "change", AGAINST_REPORT, "corroboration", "restatement"]
            ),
        ),
        "status": pa.Column(str, pa.Check.isin([*STATUSES, NOT_FOUND])),
        "evidence": pa.Column(str, pa.Check.isin(EVIDENCE)),
        "documents": pa.Column(str),
        "sources_note": pa.Column(str),
        "description": pa.Column(str),
        "inputs": pa.Column(str),
        "unit": pa.Column(str, pa.Check.isin(UNITS)),
        "stated_value": pa.Column("float64", nullable=True),
        "stated_qualifier": pa.Column(str, nullable=True),
        "computed_value": pa.Column("float64", nullable=True),
        "difference": pa.Column("float64", nullable=True),
        "miss": pa.Column("float64", pa.Check.ge(0)),
        "tolerance": pa.Column("float64", pa.Check.ge(0)),
        "fail_beyond": pa.Column("float64", pa.Check.ge(0)),
        "message": pa.Column(str),
    },
    strict=True,
    ordered=True,
    name="checks",
)


def _claims(
    refs: list[str], figures: pd.DataFrame, derived: pd.DataFrame, unit: str, where: str
) -> list[Claim]:
    by_id = {r.figure_id: (r.value, r.unit, r.qualifier) for r in figures.itertuples()}
    by_id.update({r.derived_id: (r.value, r.unit, None) for r in derived.itertuples()})
    claims = []
    for ref in refs:
        if ref not in by_id:
            raise FigtraceError(f"{where}: {ref!r} is neither a figure_id nor a derived_id.")
        value, from_unit, qualifier = by_id[ref]
        qualifier = None if qualifier is None or pd.isna(qualifier) else qualifier
        claims.append(Claim(ref, convert(value, from_unit, unit, where), qualifier))
    return claims


def _documents(refs: list[str], figures: pd.DataFrame, derived: pd.DataFrame) -> list[str]:
    """The documents the figures (and derived figures' sources) of a check are stated in."""
    doc_of = dict(zip(figures["figure_id"], figures["doc_id"], strict=True))
    sources = dict(zip(derived["derived_id"], derived["source_figures"], strict=True))
    docs = [doc_of[f] for ref in refs for f in sources.get(ref, ref).split(";") if f in doc_of]
    return list(dict.fromkeys(docs))


def run_checks(
    path: Path,
    figures: pd.DataFrame,
    derived: pd.DataFrame,
    texts: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Evaluate every check in `path` against the ledger; one row per check, in file order.
    `texts` (doc_id -> text) lets an agreement see documents that copy one source; without it
    only figures of one document count as one source."""
    data = load_yaml(path)
    validate(data, "checks", path)
    rows = []
    seen: set[str] = set()
    for spec in data["checks"]:
        where = f"{path}: check {spec['check_id']!r}"
        if spec["check_id"] in seen:
            raise FigtraceError(f"{where}: the check_id appears twice.")
        seen.add(spec["check_id"])
        unit, tol = spec["unit"], float(spec["tolerance"])
        fail_beyond = float(spec.get("fail_beyond", 3 * tol))
        if spec["kind"] == "agreement":
            if "figures" not in spec:
                raise FigtraceError(f"{where}: an agreement check lists its `figures`.")
            claims = _claims(spec["figures"], figures, derived, unit, where)
            miss = max(
                gap(a.range(tol), b.range(tol)) for a, b in itertools.combinations(claims, 2)
            )
            stated = computed = None
            said = "; ".join(c.describe(unit) for c in claims)
            verdict = "they agree" if miss == 0 else f"they disagree by {miss:.4g} {_units(unit)}"
            message = f"{said}: {verdict}"
        else:
            if "stated" not in spec or "computed" not in spec:
                raise FigtraceError(
                    f"{where}: a {spec['kind']} check names `stated` and `computed`."
                )
            stated, computed = _claims(
                [spec["stated"], spec["computed"]], figures, derived, unit, where
            )
            claims = [stated, computed]
            miss = gap(stated.range(tol), computed.range(0))
            diff = computed.value - stated.value
            message = (
                f"stated {stated.describe(unit)}; computed {computed.describe(unit)}; "
                f"difference {diff:+.4g} {_units(unit)}; ".replace("  ", " ")
                + ("within the claim and tolerance" if miss == 0
                   else f"outside the claim by {miss:.4g} beyond the tolerance of {tol:g}")
            )  # fmt: skip
        status = "pass" if miss <= 1e-9 else "warn" if miss <= fail_beyond + 1e-9 else "fail"
        docs = _documents([c.ref for c in claims], figures, derived)
        evidence, note = "arithmetic", "a source's numbers against its own arithmetic"
        if spec["kind"] == "agreement":
            groups, reasons = source_groups(docs, texts or {})
            if len(groups) > 1:
                evidence = "corroboration"
                note = f"{len(groups)} independent sources"
                note += f" ({'; '.join(reasons)})" if reasons else ""
            else:
                evidence, status = "restatement", "restatement"
                note = "the same source: " + (
                    "; ".join(reasons) if reasons else f"every figure is in {docs[0]}"
                )
        rows.append(
            {
                "check_id": spec["check_id"],
                "kind": spec["kind"],
                "status": status,
                "evidence": evidence,
                "documents": ";".join(docs),
                "sources_note": note,
                "description": spec["description"],
                "inputs": ";".join(c.ref for c in claims),
                "unit": unit,
                "stated_value": None if stated is None else stated.value,
                "stated_qualifier": None if stated is None else stated.qualifier,
                "computed_value": None if computed is None else computed.value,
                "difference": None if stated is None else computed.value - stated.value,
                "miss": miss,
                "tolerance": tol,
                "fail_beyond": fail_beyond,
                "message": message,
            }
        )
    frame = pd.DataFrame(rows, columns=list(CHECK_COLUMNS))
    frame = frame.astype(
        {c: "float64" for c in ("stated_value", "computed_value", "difference", "miss",
                                "tolerance", "fail_beyond")}
    )  # fmt: skip
    return validate_frame(frame, CHECK_SCHEMA)


def summary_markdown(checks: pd.DataFrame) -> str:
    """A readable summary of the checks, for people who do not open parquet files."""
    counts = checks["status"].value_counts()
    shown = [s for s in (*STATUSES, NOT_FOUND) if s in ("pass", "warn", "fail") or s in counts]
    lines = [
        "# Consistency checks",
        "",
        ", ".join(f"{counts.get(s, 0)} {s}" for s in shown)
        + " (a warning or failure is a finding about the sources; it does not stop the build).",
        "",
        "| check | kind | status | result |",
        "| --- | --- | --- | --- |",
    ]
    for row in checks.itertuples():
        if row.status == "restatement":
            continue
        message = row.message.replace("|", "\\|")
        lines.append(f"| {row.check_id} | {row.kind} | **{row.status}** | {message} |")
    restated = checks[checks["status"] == "restatement"]
    if len(restated):
        lines += [
            "",
            "## Restatements (not evidence)",
            "",
            "The same figure stated again by the same source: in the same document, or in documents"
            " that reproduce the same passage. Their agreement corroborates nothing.",
            "",
            "| check | one source because | result |",
            "| --- | --- | --- |",
        ]
        for row in restated.itertuples():
            note, message = (x.replace("|", "\\|") for x in (row.sources_note, row.message))
            lines.append(f"| {row.check_id} | {note} | {message} |")
    return "\n".join(lines) + "\n"


# --- articles against the reports themselves -------------------------------------------------


def stated_tolerance(value: float, unit: str, qualifier: str | None) -> float:
    """How far a stated value may be from the report's and still say the same, in `unit`: half a
    unit of the last digit a percentage states (41% covers 40.5 to 41.5), half a point for a share
    in words ("a quarter"), 5% of the value for "around", nothing for an exact count."""
    if qualifier in AROUND:
        return abs(value) * 0.05
    if unit == "percent":
        decimals = next(d for d in range(4) if math.isclose(value, round(value, d), abs_tol=1e-9))
        return 0.5 * 10**-decimals
    if unit == "proportion":
        return 0.005
    return 0.0


def _same(a: object, b: object) -> bool:
    """Equal, where two empty values (None, NaN) are equal too."""
    return (pd.isna(a) and pd.isna(b)) if pd.isna(a) or pd.isna(b) else a == b


def _page(value: object) -> str:
    return "" if pd.isna(value) else f", page {int(value)}"


def against_report_checks(figures: pd.DataFrame, report_documents: dict[str, str]) -> pd.DataFrame:
    """Each article figure whose report is in the corpus, against that report's own figure with
    the same indicator, period and geography: pass (agrees, hedges respected), fail (differs;
    both passages in the message) or not-found. `report_documents`: report_id -> its doc_id.

    One row per article figure, in the ledger's order; no rows when no report is in the corpus."""
    in_reports = set(report_documents.values())
    rows = []
    for f in figures.itertuples(index=False):
        if f.doc_id in in_reports or pd.isna(f.report_id) or f.report_id not in report_documents:
            continue
        doc_id = report_documents[f.report_id]
        unit = "percent" if f.unit in ("percent", "proportion") else f.unit
        article = Claim(f.figure_id, convert(f.value, f.unit, unit, f.figure_id), _qualifier(f))
        tolerance = stated_tolerance(f.value, f.unit, article.qualifier)
        if f.unit == "proportion":
            tolerance *= 100
        candidates = []
        for r in figures[
            (figures["doc_id"] == doc_id) & (figures["indicator"] == f.indicator)
        ].itertuples(index=False):
            if not (_same(r.period, f.period) and r.geography == f.geography):
                continue
            try:
                value = convert(r.value, r.unit, unit, r.figure_id)
            except FigtraceError:
                continue  # a count and a share of the same indicator do not compare
            claim = Claim(r.figure_id, value, _qualifier(r))
            candidates.append((gap(article.range(tolerance), claim.range(0)), r, claim))
        said = f"{f.doc_id} says {article.describe(unit)} (\u201c{f.quote}\u201d)"
        base = {
            "check_id": f"{AGAINST_REPORT}-{f.figure_id}",
            "kind": AGAINST_REPORT,
            "evidence": AGAINST_REPORT,
            "documents": f"{f.doc_id};{doc_id}",
            "sources_note": f"{f.doc_id} against the report it cites ({doc_id})",
            "description": f"{f.label}: the article against the report itself ({f.report_id}).",
            "unit": unit,
            "stated_value": article.value,
            "stated_qualifier": article.qualifier,
            "tolerance": tolerance,
            "fail_beyond": tolerance,
        }
        if not candidates:
            period = f.period if isinstance(f.period, str) else "no period"
            rows.append(
                base
                | {
                    "status": NOT_FOUND,
                    "inputs": f.figure_id,
                    "computed_value": None,
                    "difference": None,
                    "miss": 0.0,
                    "message": f"{said}; the report ({doc_id}) has no curated figure of "
                    f"{f.indicator}, {period}, {f.geography}: it does not state it, or it is "
                    f"not curated yet (figtrace annotate {doc_id}).",
                }
            )
            continue
        miss, r, claim = min(candidates, key=lambda c: c[0])  # the closest; the first on a tie
        verdict = "agrees" if miss <= 1e-9 else f"differs by {miss:.4g} {_units(unit)}".rstrip()
        rows.append(
            base
            | {
                "status": "pass" if miss <= 1e-9 else "fail",
                "inputs": f"{f.figure_id};{r.figure_id}",
                "computed_value": claim.value,
                "difference": claim.value - article.value,
                "miss": miss,
                "message": f"{said}; the report{_page(r.page)} says {claim.describe(unit)} "
                f"(\u201c{r.quote}\u201d): {verdict}.",
            }
        )
    numbers = ("stated_value", "computed_value", "difference", "miss", "tolerance", "fail_beyond")
    frame = pd.DataFrame(rows, columns=list(CHECK_COLUMNS))
    # typed explicitly: with no rows, the columns must still be the checks table's
    frame = frame.astype({c: "float64" if c in numbers else "str" for c in CHECK_COLUMNS})
    return validate_frame(frame, CHECK_SCHEMA)


def _qualifier(row: object) -> str | None:
    q = row.qualifier  # type: ignore[attr-defined]
    return None if q is None or pd.isna(q) else q
