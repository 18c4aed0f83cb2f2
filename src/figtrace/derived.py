"""Derived figures: numbers the sources imply but do not state, each a formula over the ledger.

`data/raw/derived.yaml` lists them; a formula names its inputs in braces, e.g.
`{bsw-trafficked-within-uk} / {bsw-current-caseload}`, and may use other derived figures.
Formulas allow numbers, + - * / and parentheses only, so evaluating one runs no code.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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


def references(formula: str) -> tuple[str, ...]:
    """The ids a formula uses, in order of first use."""
    return tuple(dict.fromkeys(REFERENCE.findall(formula)))


def evaluate(formula: str, values: dict[str, float]) -> float:
    """The value of a formula given the values of the ids it references."""
    names = {ref: f"v{i}" for i, ref in enumerate(references(formula))}
    expression = REFERENCE.sub(lambda m: names[m.group(1)], formula)
    env = {names[ref]: values[ref] for ref in names}

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

    try:
        return walk(ast.parse(expression, mode="eval"))
    except SyntaxError as exc:
        raise ValueError(f"not a formula ({exc.msg})") from None


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
        "unit": pa.Column(str, pa.Check.isin(UNITS)),
        "formula": pa.Column(str),
        "expression": pa.Column(str),
        "inputs": pa.Column(str, pa.Check.str_length(min_value=1)),
        "source_figures": pa.Column(str, pa.Check.str_length(min_value=1)),
        "indicator": pa.Column(str),
        "description": pa.Column(str),
    },
    strict=True,
    ordered=True,
    name="derived",
)


def derived_frame(
    derived: list[Derived], figures: pd.DataFrame, indicators: dict[str, Indicator], path: Path
) -> pd.DataFrame:
    """Evaluate every derived figure in order; each may use figures and earlier derived ones."""
    values = dict(zip(figures["figure_id"], figures["value"], strict=True))
    sources: dict[str, tuple[str, ...]] = {fid: (fid,) for fid in values}
    rows = []
    for d in derived:
        where = f"{path}: derived figure {d.derived_id!r}"
        if d.derived_id in values:
            raise FigtraceError(f"{where}: the id is already used by a figure; choose another.")
        if d.indicator not in indicators:
            raise FigtraceError(f"{where}: unknown indicator {d.indicator!r}.")
        missing = [ref for ref in d.inputs if ref not in values]
        if missing:
            raise FigtraceError(
                f"{where}: the formula uses {', '.join(map(repr, missing))}, not a figure_id in "
                "the ledger nor a derived figure defined above it."
            )
        try:
            value = evaluate(d.formula, values)
        except (ValueError, ZeroDivisionError) as exc:
            raise FigtraceError(f"{where}: formula {d.formula!r}: {exc}.") from None
        values[d.derived_id] = value
        sources[d.derived_id] = tuple(
            dict.fromkeys(fid for ref in d.inputs for fid in sources[ref])
        )
        rows.append(
            {
                "derived_id": d.derived_id,
                "label": d.label,
                "value": value,
                "unit": d.unit,
                "formula": d.formula,
                "expression": REFERENCE.sub(lambda m: f"{values[m.group(1)]:g}", d.formula),
                "inputs": ";".join(d.inputs),
                "source_figures": ";".join(sources[d.derived_id]),
                "indicator": d.indicator,
                "description": d.description,
            }
        )
    frame = pd.DataFrame(rows, columns=list(DERIVED_COLUMNS)).astype({"value": "float64"})
    return validate_frame(frame, DERIVED_SCHEMA)
