"""Registries of the original publications (reports) and of indicators: loaded and validated."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from figtrace.errors import FigtraceError

if TYPE_CHECKING:
    import jsonschema

# jsonschema imports rfc3987_syntax when it is installed (jupyter brings it), and that compiles 38
# lark grammars on import: about 0.8 s in every process, at every Snakemake invocation and job, for
# the "iri" formats alone. figtrace's schemas use no formats, so jsonschema goes without it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
T = TypeVar("T")


def load_yaml(path: Path, data: bytes | None = None) -> Any:
    """Parse one YAML file (or its `data`, already read), naming the file and line of any error."""
    try:
        if data is None:
            data = Path(path).read_bytes()
        return yaml.load(data.decode("utf-8"), Loader=YamlLoader)
    except FileNotFoundError:
        raise FigtraceError(f"{path}: file not found.") from None
    except UnicodeDecodeError as exc:
        raise FigtraceError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise FigtraceError(f"{path}:{where}: invalid YAML: {problem}. Fix the syntax.") from None


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema shipped with the package under `schemas/<name>.schema.json`."""
    return json.loads(schema_bytes(name))


@cache
def schema_bytes(name: str) -> bytes:
    """The bytes of a shipped schema (read once per process; also keys caches of validated data)."""
    return resources.files("figtrace").joinpath("schemas", f"{name}.schema.json").read_bytes()


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    import jsonschema  # here, not above: a shard's text job validates nothing and skips its import

    return jsonschema.Draft202012Validator(schema(name))


# Keywords that mean the same in draft 7 (which fastjsonschema compiles) and in 2020-12, and
# where their subschemas sit; `dependentRequired` is draft 7's `dependencies` with lists.
_SHARED_KEYWORDS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "default", "examples", "type",
     "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum", "minItems",
     "maxItems", "uniqueItems", "required", "properties", "additionalProperties", "items",
     "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentRequired"}
)  # fmt: skip
_ONE_SUBSCHEMA = ("additionalProperties", "items", "not", "if", "then", "else")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")


def _shared_only(node: Any) -> bool:
    """Whether a schema uses only keywords that drafts 7 and 2020-12 read alike."""
    if isinstance(node, bool):
        return True
    if not isinstance(node, dict) or not node.keys() <= _SHARED_KEYWORDS:
        return False
    if isinstance(node.get("items"), list):  # tuple items: prefixItems in 2020-12
        return False
    subschemas = [
        *node.get("properties", {}).values(),
        *(node[key] for key in _ONE_SUBSCHEMA if key in node),
        *(sub for key in _SUBSCHEMA_LISTS for sub in node.get(key, [])),
    ]
    return all(_shared_only(sub) for sub in subschemas)


@cache
def _fast_check(name: str) -> Callable[[Any], Any] | None:
    """A schema compiled to Python by fastjsonschema (about 10 times faster than jsonschema,
    which matters for 100,000 sidecars), if it uses only keywords draft 7 reads alike; else
    None. It never fills in defaults: the data is checked, not changed."""
    return compile_fast(schema(name))


def compile_fast(definition: dict[str, Any], defaults: bool = False) -> Callable[[Any], Any] | None:
    """`definition` compiled by fastjsonschema, if it uses only keywords draft 7 reads alike
    (else None); `defaults` fills in the defaults it names, as Snakemake's `validate` does."""
    if not _shared_only(definition):
        return None
    import fastjsonschema

    draft7 = {**_as_draft7(definition), "$schema": "http://json-schema.org/draft-07/schema#"}
    return fastjsonschema.compile(draft7, use_default=defaults, use_formats=False)


def _as_draft7(node: Any) -> Any:
    """A schema of shared keywords (`_shared_only`) in draft 7's words: `dependentRequired`
    becomes `dependencies`, which in draft 7 means the same for lists of property names."""
    if not isinstance(node, dict):
        return node
    out = {("dependencies" if key == "dependentRequired" else key): v for key, v in node.items()}
    if "properties" in node:
        out["properties"] = {name: _as_draft7(sub) for name, sub in node["properties"].items()}
    for key in _ONE_SUBSCHEMA:
        if key in node:
            out[key] = _as_draft7(node[key])
    for key in _SUBSCHEMA_LISTS:
        if key in node:
            out[key] = [_as_draft7(sub) for sub in node[key]]
    return out


def validate(data: Any, schema_name: str, path: Path) -> None:
    """Validate `data` against a named schema; the error names the file and every bad field."""
    fast = _fast_check(schema_name)
    if fast is not None:
        import fastjsonschema

        try:
            fast(data)
            return
        except fastjsonschema.JsonSchemaValueException:
            pass  # jsonschema, the reference, decides and names every bad field
    validator = _validator(schema_name)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = []
        for err in errors:
            field = "/".join(str(p) for p in err.absolute_path) or "(top level)"
            lines.append(f"  - {field}: {err.message}")
        raise FigtraceError(
            f"{path}: does not match the {schema_name} schema "
            f"(src/figtrace/schemas/{schema_name}.schema.json):\n" + "\n".join(lines)
        )


def load_registry(
    path: Path, name: str, id_key: str, make: Callable[[dict[str, Any]], T]
) -> dict[str, T]:
    """A registry file: its `name` list, checked against the `name` schema, made into entries
    keyed by `id_key`, in file order; an id that appears twice is an error naming file and id."""
    data = load_yaml(path)
    validate(data, name, path)
    entries: dict[str, T] = {}
    for entry in data[name]:
        key = entry[id_key]
        if key in entries:
            raise FigtraceError(f"{path}: {id_key} {key!r} appears twice; ids must be unique.")
        entries[key] = make(entry)
    return entries


@dataclass(frozen=True)
class Report:
    """An original publication that documents report on (Barnardo's 2009, ATMG 2018, ...)."""

    report_id: str
    producer: str | None
    title: str
    year: int | None
    kind: str
    short_title: str | None = None
    producer_note: str | None = None
    year_inferred: int | None = None
    inference_basis: str | None = None
    date_published: str | None = None
    date_precision: str | None = None
    url: str | None = None
    known: str | None = None
    notes: str | None = None
    # where the original can be fetched (page, pdf, notes) and, once fetched, its pin
    sources: dict[str, Any] | None = None
    document: dict[str, Any] | None = None

    def display_name(self, short: bool = False, inferred: bool = True) -> str:
        """`Producer, Title (year)`: no producer where none is named; a year no document states
        is marked as inferred, or left out (`inferred=False`, where its basis cannot be shown)."""
        title = (self.short_title or self.title) if short else self.title
        head = f"{self.producer}, {title}" if self.producer else title
        if self.year:
            return f"{head} ({self.year})"
        if self.year_inferred and inferred:
            return f"{head} (year not stated; {self.year_inferred} inferred)"
        return head

    @property
    def pdf_url(self) -> str | None:
        """The PDF address `figtrace fetch` downloads: the pinned one, else the recorded one."""
        if self.document:
            return self.document["url"]
        return (self.sources or {}).get("pdf")


def load_reports(path: Path) -> dict[str, Report]:
    """The report registry, keyed by `report_id`; duplicate ids are an error."""
    return load_registry(path, "reports", "report_id", lambda entry: Report(**entry))


@dataclass(frozen=True)
class Indicator:
    """What a figure measures: a definition, a unit and the caveats a reader must keep in mind."""

    indicator_id: str
    name: str
    definition: str
    unit: str
    caveats: tuple[str, ...] = ()


def load_indicators(path: Path) -> dict[str, Indicator]:
    """The indicator registry, keyed by `indicator_id`; duplicate ids are an error."""
    return load_registry(
        path,
        "indicators",
        "indicator_id",
        lambda entry: Indicator(**{**entry, "caveats": tuple(entry["caveats"])}),
    )
