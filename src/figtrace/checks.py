"""Checks: what the sources say, set against each other and against their own arithmetic.

Three kinds, defined in `data/raw/checks.yaml`: `agreement` (the same claim in several places
agrees), `rounding` (a stated rounding such as "one in six" against the arithmetic), `change`
(a stated change against its base). Every claim is a range: a hedge such as "more than" or
"nearly" is part of what the source claims. A check's miss is the gap between the ranges; it
passes with no gap, warns up to `fail_beyond`, and fails beyond it. Checks never stop the build.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from figtrace.errors import FigtraceError
from figtrace.figures import UNITS, validate_frame
from figtrace.registries import load_yaml, validate

STATUSES = ("pass", "warn", "fail")
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
    "kind": ("string", "agreement, rounding or change (checks.yaml); corroboration or restatement (figtrace.corroboration: pairs across documents)."),
    "status": ("string", "pass, warn or fail."),
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
            pa.Check.isin(["agreement", "rounding", "change", "corroboration", "restatement"]),
        ),
        "status": pa.Column(str, pa.Check.isin(STATUSES)),
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


def run_checks(path: Path, figures: pd.DataFrame, derived: pd.DataFrame) -> pd.DataFrame:
    """Evaluate every check in `path` against the ledger; one row per check, in file order."""
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
        rows.append(
            {
                "check_id": spec["check_id"],
                "kind": spec["kind"],
                "status": status,
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
    lines = [
        "# Consistency checks",
        "",
        ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)
        + " (a warning or failure is a finding about the sources; it does not stop the build).",
        "",
        "| check | kind | status | result |",
        "| --- | --- | --- | --- |",
    ]
    for row in checks.itertuples():
        message = row.message.replace("|", "\\|")
        lines.append(f"| {row.check_id} | {row.kind} | **{row.status}** | {message} |")
    return "\n".join(lines) + "\n"
