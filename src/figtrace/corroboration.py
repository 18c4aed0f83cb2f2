"""Corroboration: figures that different documents give for the same thing, checked automatically.

Two figures are compared when they come from different documents and have the same indicator,
period, geography and report_id (an unstated period or report matches only another unstated
one). Each pair is one check row, its status from the claims' ranges as in `figtrace.checks`:
a hedge is a range ("more than 500" is above 500; "nearly" and "around" allow `APPROXIMATE` of
the value), an exact value has no tolerance; a miss up to `FAIL_BEYOND` of the larger value
warns, beyond it fails. A pair whose sentences share long runs of words (at least `RESTATEMENT_SIMILARITY`
percent of the shorter one's words in runs of `RUN` or more) reproduces one quote or press release: one source, not two, so its
kind is `restatement`, not `corroboration`. Figures of one document are never paired.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from figtrace.checks import (
    AROUND,
    CHECK_COLUMNS,
    CHECK_SCHEMA,
    JUST_BELOW,
    Claim,
    convert,
    gap,
    same_source,
)
from figtrace.figures import validate_frame

RESTATEMENT_SIMILARITY = 50  # 0-100: half the words in shared runs: the same source text
RUN = 5  # words in a row that two sentences must share to count as copied
_WORD = re.compile(r"\w+")
FAIL_BEYOND = 0.1  # a miss up to 10% of the larger value warns; beyond, the pair fails
APPROXIMATE = 0.1  # "nearly half" allows down to 45, "around 500" 450 to 550; exact values 0
LOOSE = JUST_BELOW | AROUND
_END = re.compile(r"[.!?](?=\s)|\n\s*\n")


def sentence(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end]: from the last sentence end before it to the next."""
    before = [m.end() for m in _END.finditer(text, 0, start)]
    after = _END.search(text, end)
    return text[before[-1] if before else 0 : after.end() if after else len(text)].strip()


def likeness(a: str, b: str) -> float:
    """How much of the shorter sentence is copied from the other (0-100): the share of its
    words inside runs of `RUN` or more words that both share (case and punctuation ignored)."""
    wa, wb = _WORD.findall(a.lower()), _WORD.findall(b.lower())
    if len(wa) > len(wb):
        wa, wb = wb, wa
    if len(wa) < RUN:
        return 100.0 if wa and wa == wb else 0.0
    runs = {tuple(wb[i : i + RUN]) for i in range(len(wb) - RUN + 1)}
    copied = [False] * len(wa)
    for i in range(len(wa) - RUN + 1):
        if tuple(wa[i : i + RUN]) in runs:
            copied[i : i + RUN] = [True] * RUN
    return 100 * sum(copied) / len(wa)


def _passage(row: Any, texts: dict[str, str]) -> str:
    if row.doc_id in texts:
        return sentence(texts[row.doc_id], row.start, row.end)
    return f"{row.prefix}{row.quote}{row.suffix}"  # without the text: the anchor's context


def _key(row: Any) -> tuple[str, ...]:
    return tuple(
        "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
        for v in (row.indicator, row.period, row.geography, row.report_id)
    )


def _qualifier(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else value


def corroboration_rows(figures: pd.DataFrame, texts: dict[str, str]) -> list[dict[str, Any]]:
    """One check row per pair of figures from different documents about the same thing, in
    check_id order; `texts` (doc_id -> text) decides restatements."""
    groups: dict[tuple[str, ...], list[Any]] = {}
    for row in figures.itertuples(index=False):
        groups.setdefault(_key(row), []).append(row)
    rows = []
    for (indicator, period, geography, report_id), members in groups.items():
        members.sort(key=lambda r: r.figure_id)
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if a.doc_id == b.doc_id:
                    continue
                units = {a.unit, b.unit}
                if len(units) > 1 and units != {"percent", "proportion"}:
                    continue
                unit = "percent" if len(units) > 1 else a.unit
                claims = [
                    Claim(r.figure_id, convert(r.value, r.unit, unit, r.figure_id), _qualifier(r.qualifier))
                    for r in (a, b)
                ]  # fmt: skip
                miss = gap(*(c.range(APPROXIMATE * abs(c.value) * (c.qualifier in LOOSE))
                             for c in claims))  # fmt: skip
                fail_beyond = FAIL_BEYOND * max(abs(c.value) for c in claims)
                status = "pass" if miss <= 1e-9 else "warn" if miss <= fail_beyond else "fail"
                alike = likeness(_passage(a, texts), _passage(b, texts))
                copied, why = same_source(
                    a.doc_id, texts.get(a.doc_id, ""), b.doc_id, texts.get(b.doc_id, "")
                )
                restated = alike >= RESTATEMENT_SIMILARITY or copied
                if alike >= RESTATEMENT_SIMILARITY and not copied:
                    why = f"their sentences are {alike:.0f}% alike: one source's words"
                what = (
                    f"{a.doc_id} and {b.doc_id} both give {indicator} "
                    f"({period or 'no period stated'}; {geography}; "
                    f"{report_id or 'no report: their own figure'})"
                )
                verdict = "they agree" if miss == 0 else f"they disagree by {miss:.4g}"
                said = "; ".join(c.describe(unit) for c in claims)
                if restated:
                    what += ", in one source's words (see its sources note)"
                rows.append(
                    {
                        "check_id": f"{'restatement' if restated else 'corroboration'}-"
                        f"{a.figure_id}-{b.figure_id}",
                        "kind": "restatement" if restated else "corroboration",
                        "status": "restatement" if restated else status,
                        "evidence": "restatement" if restated else "corroboration",
                        "documents": f"{a.doc_id};{b.doc_id}",
                        "sources_note": why,
                        "description": what + ".",
                        "inputs": f"{a.figure_id};{b.figure_id}",
                        "unit": unit,
                        "stated_value": None,
                        "stated_qualifier": None,
                        "computed_value": None,
                        "difference": None,
                        "miss": miss,
                        "tolerance": 0.0,
                        "fail_beyond": fail_beyond,
                        "message": f"{said}: {verdict}"
                        + (" (a restatement of one source, not corroboration)" if restated else ""),
                    }
                )
    return sorted(rows, key=lambda r: r["check_id"])


def tally(checks: pd.DataFrame, figure_id: str) -> dict[str, list[str]]:
    """The other figures that corroborate, contradict or restate `figure_id` (from the checks)."""
    out: dict[str, list[str]] = {"corroborated": [], "contradicted": [], "restated": []}
    if checks.empty:
        return out
    for r in checks.itertuples(index=False):
        if r.kind not in ("corroboration", "restatement"):
            continue
        inputs = r.inputs.split(";")
        if figure_id not in inputs:
            continue
        other = next(i for i in inputs if i != figure_id)
        if r.kind == "restatement":
            out["restated"].append(other)
        else:
            out["corroborated" if r.status == "pass" else "contradicted"].append(other)
    return out


def with_corroboration(
    checks: pd.DataFrame, figures: pd.DataFrame, texts: dict[str, str]
) -> pd.DataFrame:
    """The checks table with a corroboration or restatement row for every pair of figures that
    different documents give for the same thing, after the other checks (a pair one of them
    already compares, such as an article against its report, is not compared twice)."""
    checked = {frozenset(inputs.split(";")) for inputs in checks["inputs"]}
    rows = [
        r
        for r in corroboration_rows(figures, texts)
        if frozenset(r["inputs"].split(";")) not in checked
    ]
    extra = pd.DataFrame(rows, columns=list(CHECK_COLUMNS))
    frame = pd.concat([checks, extra], ignore_index=True) if len(extra) else checks
    frame = frame.astype(
        {c: "float64" for c in ("stated_value", "computed_value", "difference", "miss",
                                "tolerance", "fail_beyond")}
    )  # fmt: skip
    return validate_frame(frame, CHECK_SCHEMA)
