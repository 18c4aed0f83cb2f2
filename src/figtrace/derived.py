"""Derived figures: numbers the sources imply but do not state, each a formula over the ledger.

`data/raw/derived.yaml` lists them; a formula names its inputs in braces, e.g.
`{bsw-trafficked-within-uk} / {bsw-current-caseload}`, and may use other derived figures.
Formulas allow numbers, + - * / and parentheses only, so evaluating one runs no code.

Every derived value carries the interval its inputs allow: a stated "41%" is anything from 40.5
to 41.5, and the formula is evaluated on intervals as well as on values (`stated_interval`,
`evaluate_interval`); `supported_decimals` says how precisely the value may be printed.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from figtrace.errors import FigtraceError
from figtrace.figures import UNITS, validate_frame
from figtrace.registries import Indicator, load_yaml, validate

REFERENCE = re.compile(r"\{([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\}")
_OPERATORS: dict[type, Callable[..., float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


@dataclass(frozen=True)
class Derived:
    """A number implied by figures in the ledger: its formula, inputs and value."""

    derived_id: str
    label: str
    formula: str
    unit: str
    indicator: str
    description: str
    inputs: tuple[str, ...]
    by_construction: bool = False


def references(formula: str) -> tuple[str, ...]:
    """The ids a formula uses, in order of first use."""
    return tuple(dict.fromkeys(REFERENCE.findall(formula)))


def _parsed(formula: str, inputs: dict[str, Any]) -> tuple[ast.Expression, dict[str, Any]]:
    """A formula parsed with its ids renamed to Python names, and those names' inputs."""
    names = {ref: f"v{i}" for i, ref in enumerate(references(formula))}
    expression = REFERENCE.sub(lambda m: names[m.group(1)], formula)
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not a formula ({exc.msg})") from None
    return tree, {names[ref]: inputs[ref] for ref in names}


def evaluate(formula: str, values: dict[str, float]) -> float:
    """The value of a formula given the values of the ids it references."""
    tree, env = _parsed(formula, values)

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name) and node.id in env:
            return env[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](walk(node.operand))
        raise ValueError(f"{ast.unparse(node)!r} is not allowed (numbers, + - * / and ( ) only)")

    return walk(tree)


Interval = tuple[float, float]
_NUMBER = re.compile(r"[0-9][0-9,]*(?:\.([0-9]+))?")
_ABOVE = {"more_than", "over", "at_least"}
_BELOW = {"under", "less_than", "fewer_than", "up_to", "nearly", "almost"}
_AROUND = {"around", "approximately", "about"}


def stated_interval(value: float, unit: str, qualifier: str | None, quote: str) -> Interval:
    """The values a stated figure allows, from how it is written.

    A number with digits in a percent, proportion or factor is rounded to its last written digit
    ("41%" is 40.5 to 41.5; "0.25" is 0.245 to 0.255); a count or rank written out is exact, and
    so is a value in words ("one in six", "doubled"). "Around 500" spans half its last non-zero
    place (450 to 550). A hedge opens one side at the stated number: "more than 80" is 80 and
    up, "nearly half" 50 and down (to zero).
    """
    number = _NUMBER.search(quote.replace("\u00a0", " "))
    half = 0.0
    if number and unit in ("percent", "proportion", "factor"):
        half = 0.5 * 10.0 ** -len(number.group(1) or "")
        if unit == "proportion" and "%" in quote:  # a percentage stored as a proportion
            half /= 100
    if qualifier in _AROUND and value:
        place = 10.0 ** math.floor(math.log10(abs(value)))
        while value % (place * 10) == 0:
            place *= 10
        half = max(half, place / 2)
    low, high = value - half, value + half
    floor = 0.0 if value >= 0 else -math.inf
    if qualifier in _ABOVE:
        return value, math.inf
    if qualifier in _BELOW:
        return floor, value
    return low, high


def _mul(a: float, b: float) -> float:
    return 0.0 if a == 0 or b == 0 else a * b


def _interval_op(op: type, a: Interval, b: Interval) -> Interval:
    if op is ast.Add:
        return a[0] + b[0], a[1] + b[1]
    if op is ast.Sub:
        return a[0] - b[1], a[1] - b[0]
    if op is ast.Div:
        if b[0] <= 0 <= b[1]:
            return -math.inf, math.inf  # the divisor may be zero: anything is possible
        results = [x / y for x in a for y in b]  # divided, not times 1/y: exact inputs stay exact
    else:
        results = [_mul(x, y) for x in a for y in b]
    if any(math.isnan(r) for r in results):
        return -math.inf, math.inf
    return min(results), max(results)


def evaluate_interval(formula: str, intervals: dict[str, Interval]) -> Interval:
    """The interval of a formula's value given its inputs' intervals (interval arithmetic over
    the same whitelist of + - * / as `evaluate`)."""
    tree, env = _parsed(formula, intervals)

    def walk(node: ast.AST) -> Interval:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value), float(node.value)
        if isinstance(node, ast.Name) and node.id in env:
            return env[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _interval_op(type(node.op), walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            low, high = walk(node.operand)
            return -high, -low
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
            return walk(node.operand)
        raise ValueError(f"{ast.unparse(node)!r} is not allowed (numbers, + - * / and ( ) only)")

    return walk(tree)


def supported_decimals(low: float, high: float, unit: str) -> int | None:
    """How many decimals a value in [low, high] may be printed with: to the place of the first
    digit of the interval's half-width (±63 -> tens, so 5,165.85 prints as 5,170), never finer
    than whole for a count or rank; None for an exact value or an unbounded interval."""
    half = (high - low) / 2
    if half <= 0 or not math.isfinite(half):
        return None
    decimals = -math.floor(math.log10(half))
    return min(decimals, 0) if unit in ("count", "rank") else decimals


def round_to(value: float, decimals: int, direction: str = "nearest") -> float:
    """`value` at `decimals` places (negative: tens, hundreds ...), rounded to the nearest, or
    `down`/`up` for the ends of an interval, so the printed interval still contains it."""
    scale = 10.0**decimals
    if direction == "down":
        return math.floor(round(value * scale, 9)) / scale
    if direction == "up":
        return math.ceil(round(value * scale, 9)) / scale
    return round(value, decimals) + 0.0


def load_derived(path: Path) -> list[Derived]:
    """Read and schema-check the derived-figure definitions."""
    data = load_yaml(path)
    validate(data, "derived", path)
    seen: set[str] = set()
    out = []
    for entry in data["derived"]:
        if entry["derived_id"] in seen:
            raise FigtraceError(f"{path}: derived_id {entry['derived_id']!r} appears twice.")
        seen.add(entry["derived_id"])
        out.append(Derived(**entry, inputs=references(entry["formula"])))
    return out


DERIVED_COLUMNS: dict[str, tuple[str, str]] = {
    "derived_id": ("string", "Stable identifier of the derived figure."),
    "label": ("string", "A short human label."),
    "value": ("number", "The computed value, in `unit`, at full precision."),
    "low": ("number", "The lowest value the inputs allow, given how they are rounded or hedged."),
    "high": ("number", "The highest value the inputs allow (empty when unbounded)."),
    "decimals": ("integer", "Decimal places the interval supports when printing the value (negative: tens, hundreds ...); empty for an exact value."),
    "by_construction": ("boolean", "True when the value restates its inputs (true whatever they are), not a computation from separate counts."),
    "unit": ("string", "count, percent (points), proportion (0-1), factor or rank."),
    "formula": ("string", "The formula over figure ids (in braces)."),
    "expression": ("string", "The formula with each input's value written in."),
    "inputs": ("string", "The ids the formula uses directly, separated by ';'."),
    "source_figures": ("string", "Every source figure the value rests on, through other derived figures, separated by ';'."),
    "indicator": ("string", "What it measures: an id in data/raw/indicators.yaml."),
    "description": ("string", "Why this number follows from the sources."),
}  # fmt: skip

DERIVED_SCHEMA = pa.DataFrameSchema(
    {
        "derived_id": pa.Column(str, unique=True),
        "label": pa.Column(str),
        "value": pa.Column("float64"),
        "low": pa.Column("float64", nullable=True),
        "high": pa.Column("float64", nullable=True),
        "decimals": pa.Column("Int64", nullable=True),
        "by_construction": pa.Column(bool),
        "unit": pa.Column(str, pa.Check.isin(UNITS)),
        "formula": pa.Column(str),
        "expression": pa.Column(str),
        "inputs": pa.Column(str, pa.Check.str_length(min_value=1)),
        "source_figures": pa.Column(str, pa.Check.str_length(min_value=1)),
        "indicator": pa.Column(str),
        "description": pa.Column(str),
    },
    checks=[
        pa.Check(
            lambda df: (
                (df["low"].isna() | (df["low"] <= df["value"] + 1e-9))
                & (df["high"].isna() | (df["high"] >= df["value"] - 1e-9))
            ),
            error="the value must lie in its interval",
        )
    ],
    strict=True,
    ordered=True,
    name="derived",
)


def derived_frame(
    derived: list[Derived], figures: pd.DataFrame, indicators: dict[str, Indicator], path: Path
) -> pd.DataFrame:
    """Evaluate every derived figure in order; each may use figures and earlier derived ones."""
    values = dict(zip(figures["figure_id"], figures["value"], strict=True))
    intervals = {
        r.figure_id: stated_interval(
            r.value, r.unit, None if pd.isna(r.qualifier) else r.qualifier, r.quote
        )
        for r in figures.itertuples()
    }
    sources: dict[str, tuple[str, ...]] = {fid: (fid,) for fid in values}
    rows = []
    for d in derived:
        where = f"{path}: derived figure {d.derived_id!r}"
        if d.derived_id in values:
            raise FigtraceError(f"{where}: the id is already used by a figure; choose another.")
        if d.indicator not in indicators:
            raise FigtraceError(f"{where}: unknown indicator {d.indicator!r}.")
        if indicators[d.indicator].unit != d.unit:
            raise FigtraceError(
                f"{where}: the value is in {d.unit} but its indicator {d.indicator!r} is in "
                f"{indicators[d.indicator].unit}; give it an indicator in its own unit."
            )
        missing = [ref for ref in d.inputs if ref not in values]
        if missing:
            raise FigtraceError(
                f"{where}: the formula uses {', '.join(map(repr, missing))}, not a figure_id in "
                "the ledger nor a derived figure defined above it."
            )
        try:
            value = evaluate(d.formula, values)
            low, high = evaluate_interval(d.formula, intervals)
        except (ValueError, ZeroDivisionError) as exc:
            raise FigtraceError(f"{where}: formula {d.formula!r}: {exc}.") from None
        values[d.derived_id] = value
        intervals[d.derived_id] = (low, high)
        sources[d.derived_id] = tuple(
            dict.fromkeys(fid for ref in d.inputs for fid in sources[ref])
        )
        rows.append(
            {
                "derived_id": d.derived_id,
                "label": d.label,
                "value": value,
                "low": low if math.isfinite(low) else None,
                "high": high if math.isfinite(high) else None,
                "decimals": supported_decimals(low, high, d.unit),
                "by_construction": d.by_construction,
                "unit": d.unit,
                "formula": d.formula,
                "expression": REFERENCE.sub(lambda m: f"{values[m.group(1)]:g}", d.formula),
                "inputs": ";".join(d.inputs),
                "source_figures": ";".join(sources[d.derived_id]),
                "indicator": d.indicator,
                "description": d.description,
            }
        )
    frame = pd.DataFrame(rows, columns=list(DERIVED_COLUMNS)).astype(
        {"value": "float64", "low": "float64", "high": "float64", "decimals": "Int64"}
        | {"by_construction": bool}
    )
    return validate_frame(frame, DERIVED_SCHEMA)
