"""The compiled fast path of schema validation agrees with jsonschema, the reference."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT
from figtrace import registries
from figtrace.errors import FigtraceError

SIDECARS = sorted((ROOT / "data" / "raw" / "documents").glob("*.yaml"))


def _sidecar() -> dict:
    return registries.load_yaml(SIDECARS[0])


# One fault per rule of the document schema: each must fail both validators.
FAULTS = {
    "unknown field": lambda d: d.update(colour="red"),
    "missing required": lambda d: d.pop("sha256"),
    "bad id pattern": lambda d: d.update(doc_id="Not An Id"),
    "short sha256": lambda d: d.update(sha256="abc"),
    "empty title": lambda d: d.update(title=""),
    "title a number": lambda d: d.update(title=12),
    "null title without note": lambda d: (d.update(title=None), d.pop("title_note", None)),
    "date as a date object": lambda d: d.update(
        date_published=__import__("datetime").date(2019, 1, 2)
    ),
    "bad precision": lambda d: d.update(date_precision="week"),
    "null date, precision not unknown": lambda d: d.update(
        date_published=None, date_note="not stated", date_precision="year"
    ),
    "url not http": lambda d: d.update(url="ftp://example.org"),
    "bad media type": lambda d: d.update(media_type="image/png"),
    "cited not a list": lambda d: d.update(reports_cited="atmg-2018"),
    "cited twice": lambda d: d.update(reports_cited=["a", "a"]),
    "report without report_id": lambda d: (d.update(kind="report"), d.pop("report_id", None)),
    "bad kind": lambda d: d.update(kind="blog"),
    "a boolean for a string": lambda d: d.update(language=True),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_fails_the_fast_check_and_the_reference(fault):
    data = _sidecar()
    FAULTS[fault](data)
    reference = jsonschema.Draft202012Validator(registries.schema("document"))
    assert list(reference.iter_errors(data)), f"{fault}: the reference accepts it"
    fast = registries._fast_check("document")
    with pytest.raises(Exception, match=".") as info:
        fast(data)
    assert type(info.value).__name__ == "JsonSchemaValueException"
    # and the error the user sees still comes from the reference, naming the field
    with pytest.raises(FigtraceError, match="does not match the document schema"):
        registries.validate(data, "document", Path("x.yaml"))


@pytest.mark.parametrize("sidecar", SIDECARS, ids=lambda p: p.stem)
def test_valid_sidecars_pass_both_and_are_not_changed(sidecar):
    data = registries.load_yaml(sidecar)
    before = copy.deepcopy(data)
    registries._fast_check("document")(data)  # no defaults filled in (kind stays absent)
    assert data == before
    assert not list(
        jsonschema.Draft202012Validator(registries.schema("document")).iter_errors(data)
    )


def test_schemas_with_keywords_draft7_reads_otherwise_get_no_fast_path():
    assert registries._fast_check("document") is not None
    assert not registries._shared_only({"type": "object", "dependentSchemas": {"a": {}}})
    assert not registries._shared_only({"properties": {"a": {"$ref": "#/$defs/a"}}})
    assert not registries._shared_only({"items": [{"type": "string"}]})
    assert registries._shared_only({"allOf": [{"if": {"const": 1}, "then": {"type": "integer"}}]})


def _reports() -> dict:
    return registries.load_yaml(ROOT / "data/raw/reports.yaml")


def _with_inferred_year(d: dict, basis: bool) -> None:
    d["reports"][0]["year_inferred"] = 2009
    if basis:
        d["reports"][0]["inference_basis"] = "the year the report names itself"
    else:
        d["reports"][0].pop("inference_basis", None)


def test_dependent_required_is_checked_alike_by_the_fast_path_and_the_reference():
    """reports.schema.json's dependentRequired, compiled as draft 7's dependencies: a report
    with year_inferred and no inference_basis fails both; with one, passes both."""
    fast = registries._fast_check("reports")
    assert fast is not None
    reference = jsonschema.Draft202012Validator(registries.schema("reports"))
    data = _reports()
    assert not list(reference.iter_errors(data))
    fast(copy.deepcopy(data))
    _with_inferred_year(data, basis=False)
    assert list(reference.iter_errors(data))
    with pytest.raises(Exception, match="inference_basis") as info:
        fast(data)
    assert type(info.value).__name__ == "JsonSchemaValueException"
    _with_inferred_year(data, basis=True)
    assert not list(reference.iter_errors(data))
    fast(data)


def test_a_property_named_like_a_keyword_is_not_renamed():
    translated = registries._as_draft7(
        {"properties": {"dependentRequired": {"type": "string"}}, "dependentRequired": {"a": ["b"]}}
    )
    assert translated == {
        "properties": {"dependentRequired": {"type": "string"}},
        "dependencies": {"a": ["b"]},
    }
