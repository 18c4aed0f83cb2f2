"""The figure ledger: anchors resolve, values match their spans, and every break stops the build."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, edit_yaml, run_cli, run_snakemake
from figtrace.anchors import Anchor, make_anchor, resolve
from figtrace.derived import evaluate
from figtrace.documents import load_catalogue
from figtrace.errors import FigtraceError
from figtrace.figures import (
    annotation_stub,
    build,
    dump_annotations,
    exclusions_frame,
    load_annotations,
)
from figtrace.mentions import mentions_table
from figtrace.registries import load_indicators, load_reports

RAW = ROOT / "data" / "raw"
DOC = "barnardos-south-west-sex-trafficking"


@pytest.fixture(scope="module")
def mentions() -> pd.DataFrame:
    return mentions_table(load_catalogue(RAW))


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    """A throwaway copy of data/raw to break."""
    return Path(shutil.copytree(RAW, tmp_path / "data" / "raw"))


def edit_annotation(raw: Path, doc_id: str, change) -> None:
    edit_yaml(raw / "annotations" / f"{doc_id}.yaml", change)


def figure(data: dict, figure_id: str) -> dict:
    return next(f for f in data["figures"] if f["figure_id"] == figure_id)


# --- the ledger as built from the curated annotations --------------------------------------------


def test_every_anchor_resolves_and_every_value_matches(mentions):
    figures, exclusions = build(RAW, mentions)
    assert len(figures) >= 30 and figures["figure_id"].is_unique
    texts = {d.doc_id: d.text() for d in load_catalogue(RAW)}
    for row in figures.itertuples():
        text = texts[row.doc_id]
        assert text[row.start : row.end] == row.quote
        assert text[: row.start].endswith(row.prefix) and text[row.end :].startswith(row.suffix)
        # the ledger's value and hedge are what the extractor reads inside the quoted span
        inside = mentions[
            (mentions["doc_id"] == row.doc_id)
            & (mentions["start"] >= row.start)
            & (mentions["end"] <= row.end)
        ]
        scale = {("percent", "fraction"): 100, ("percent", "ratio"): 100}  # a share in words
        scale[("proportion", "percent")] = 0.01  # a percentage stored as a share
        readings = {
            (
                round(m.value * scale.get((row.unit, m.kind), 1), 4),
                None if pd.isna(m.qualifier) else m.qualifier,
            )
            for m in inside.itertuples()
            if not pd.isna(m.value)
        }
        if row.reading == "curator":  # no number to read: the build refuses one where it reads
            assert not readings, (row.figure_id, readings)
            continue
        stated = (round(row.value, 4), None if pd.isna(row.qualifier) else row.qualifier)
        assert stated in readings, (row.figure_id, stated, readings)
    assert set(exclusions["category"]) >= {"boilerplate", "name", "idiom"}


def test_curated_values_are_the_stated_ones(mentions):
    figures, _ = build(RAW, mentions)
    by_id = figures.set_index("figure_id")
    expected = {
        "bsw-las-without-specialist-service-share": (80, "percent", "more_than"),
        "bsw-trafficked-within-uk-share": (0.1667, "proportion", None),
        "mer-nrm-child-referrals-2017": (2118, "count", None),
        "mer-child-share-nearly-half": (50, "percent", "nearly"),
        "mer-child-trafficking-more-than-doubled": (2, "factor", "more_than"),
        "nor-northamptonshire-trafficked-children": (42, "count", None),
        "nor-ctac-referrals-change": (96, "percent", None),
    }
    for fid, (value, unit, qualifier) in expected.items():
        row = by_id.loc[fid]
        assert (row.value, row.unit) == (value, unit)
        assert (None if pd.isna(row.qualifier) else row.qualifier) == qualifier


def test_every_statistic_in_the_five_documents_is_covered(built_project):
    coverage = pd.read_parquet(built_project / "data/processed/coverage.parquet")
    statistics = coverage[coverage["role"] == "statistic"]
    assert len(statistics) >= 30
    assert statistics["covered_by"].notna().all(), statistics[statistics["covered_by"].isna()]
    uncovered = (built_project / "results/uncovered_statistics.csv").read_text("utf-8")
    assert uncovered.strip().splitlines() == ["doc_id,start,end,text,value,kind"]


def test_checks_table_has_the_issue_examples_with_computed_numbers(built_project):
    checks = pd.read_parquet(built_project / "data/processed/checks.parquet").set_index("check_id")
    one_in_six = checks.loc["one-in-six-rounding"]
    assert one_in_six.status == "warn"
    assert one_in_six.computed_value == pytest.approx(90 / 609 * 100)
    assert one_in_six.stated_value == pytest.approx(16.67)
    eighty = checks.loc["more-than-80-per-cent-rounding"]
    assert eighty.status == "pass" and eighty.computed_value == pytest.approx(169 / 209 * 100)
    half = checks.loc["nearly-half-rounding"]
    assert half.status == "warn" and half.computed_value == 41 and half.miss == pytest.approx(4)
    doubled = checks.loc["more-than-doubled-change"]
    assert doubled.status == "fail" and doubled.computed_value == pytest.approx(1.66)
    # the two 2016 articles reproduce one press release's sentence: a restatement, and it agrees
    for pair in (
        "mfc-trafficked-children-missing-share-nor-trafficked-children-missing-share",
        "mfc-unaccompanied-children-missing-nor-unaccompanied-children-missing",
    ):
        assert checks.loc[f"restatement-{pair}"].status == "restatement"
        assert "they agree" in checks.loc[f"restatement-{pair}"].message
        assert f"corroboration-{pair}" not in checks.index
    summary = (built_project / "results/checks.md").read_text("utf-8")
    assert "one-in-six-rounding | rounding | **warn**" in summary


def test_derived_figures_end_at_source_passages(built_project):
    derived = pd.read_parquet(built_project / "data/processed/derived.parquet").set_index(
        "derived_id"
    )
    figures = pd.read_parquet(built_project / "data/processed/figures.parquet")
    assert derived.loc["bsw-trafficked-within-uk-share-computed"].value == pytest.approx(90 / 609)
    assert derived.loc["bsw-las-without-specialist-service"].value == 169
    assert derived.loc["mer-nrm-child-referrals-2016-implied"].value == pytest.approx(2118 / 1.66)
    assert derived.loc["mer-nrm-all-referrals-2017-implied"].value == pytest.approx(2118 / 0.41)
    for row in derived.itertuples():
        assert set(row.source_figures.split(";")) <= set(figures["figure_id"])


def test_csv_tables_match_the_frictionless_package(built_project):
    frictionless = pytest.importorskip("frictionless")
    package = built_project / "data/processed/datapackage.json"
    report = frictionless.validate(str(package))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    descriptor = json.loads(package.read_text("utf-8"))
    figures = pd.read_parquet(built_project / "data/processed/figures.parquet")
    fields = [f["name"] for f in descriptor["resources"][0]["schema"]["fields"]]
    assert fields == list(figures.columns)
    assert all(f["description"] for r in descriptor["resources"] for f in r["schema"]["fields"])


def test_trace_prints_the_whole_chain(built_project):
    proc = run_cli(built_project, "trace", "bsw-trafficked-within-uk-share-computed")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "= 90 / 609" in out
    assert "⟦90⟧ appeared to have been" in out
    assert "⟦609⟧ sexually exploited" in out
    assert "c70df0803288c9ba18310f2528ad40d810c07fe522c61414c8bf585f67aa554a" in out
    assert "Barnardo's, Whose Child Now?" in out
    bad = run_cli(built_project, "trace", "bsw-trafficked-within-uk-shar")
    assert bad.returncode == 2
    assert "Did you mean 'bsw-trafficked-within-uk-share'?" in bad.stderr


# --- every break in the chain stops the build with the message a user sees -----------------------


def _one_character_edit(raw: Path) -> str:
    path = raw / "documents" / f"{DOC}.txt"
    data = path.read_bytes().replace(b"609 sexually", b"608 sexually")
    path.write_bytes(data)
    sidecar = raw / "documents" / f"{DOC}.yaml"
    meta = yaml.safe_load(sidecar.read_text("utf-8"))
    meta["sha256"] = hashlib.sha256(data).hexdigest()  # someone re-pinned the document by hand
    sidecar.write_text(yaml.safe_dump(meta, sort_keys=False), "utf-8")
    return (
        "was made against sha256 c70df0803288c9ba18310f2528ad40d810c07fe522c61414c8bf585f67aa554a"
    )


def _stale_anchor(raw: Path) -> str:
    def shift(data):
        anchor = figure(data, "bsw-current-caseload")["anchor"]
        anchor["start"] += 3
        anchor["end"] += 3

    edit_annotation(raw, DOC, shift)
    return (
        "figure 'bsw-current-caseload' in 'barnardos-south-west-sex-trafficking' "
        "(" + str(raw / "annotations" / f"{DOC}.yaml") + "): anchor does not resolve: the text at "
        "2081:2084 is ' se', not the quoted '609'"
    )


def _anchor_matches_twice(raw: Path) -> str:
    def strip_context(data):
        anchor = figure(data, "bsw-local-authorities")["anchor"]
        anchor["prefix"] = anchor["suffix"] = ""

    edit_annotation(raw, DOC, strip_context)
    return "the quote with its context occurs 2 times (at 1475, 1522)"


def _value_disagrees(raw: Path) -> str:
    edit_annotation(raw, DOC, lambda d: figure(d, "bsw-trafficked-within-uk").update(value=91))
    return (
        "figure 'bsw-trafficked-within-uk' in 'barnardos-south-west-sex-trafficking' "
        f"({raw / 'annotations' / f'{DOC}.yaml'}): the annotated value 91 disagrees with the span: "
        "the extractor reads '90' → 90."
    )


def _qualifier_dropped(raw: Path) -> str:
    edit_annotation(
        raw, DOC, lambda d: figure(d, "bsw-las-with-specialist-service").update(qualifier=None)
    )
    return "the annotated qualifier is None but the extractor reads 'only' in 'only 40'"


def _unknown_indicator(raw: Path) -> str:
    edit_annotation(
        raw, DOC, lambda d: figure(d, "bsw-current-caseload").update(indicator="no-such-thing")
    )
    return "unknown indicator 'no-such-thing'; add it to data/raw/indicators.yaml or fix the id."


def _unknown_report(raw: Path) -> str:
    edit_annotation(
        raw, DOC, lambda d: figure(d, "bsw-current-caseload").update(report_id="no-such-report")
    )
    return "unknown report_id 'no-such-report'; add it to data/raw/reports.yaml or fix the id."


def _duplicate_figure_id(raw: Path) -> str:
    edit_annotation(
        raw,
        DOC,
        lambda d: figure(d, "bsw-current-caseload").update(figure_id="bsw-trafficked-within-uk"),
    )
    return "figure_id 'bsw-trafficked-within-uk' is used twice"


BREAKS = {
    "one-character edit": _one_character_edit,
    "stale anchor": _stale_anchor,
    "anchor matches twice": _anchor_matches_twice,
    "value disagrees with its span": _value_disagrees,
    "hedge dropped": _qualifier_dropped,
    "unknown indicator": _unknown_indicator,
    "unknown report id": _unknown_report,
    "duplicate figure id": _duplicate_figure_id,
}


@pytest.mark.parametrize("fault", BREAKS)
def test_a_broken_chain_stops_the_ledger(raw, fault):
    expected = BREAKS[fault](raw)
    mentions = mentions_table(load_catalogue(raw))
    with pytest.raises(FigtraceError) as caught:
        build(raw, mentions)
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("name", "id_key", "load"),
    [("reports", "report_id", load_reports), ("indicators", "indicator_id", load_indicators)],
)
def test_a_registry_rejects_an_id_that_appears_twice(raw, name, id_key, load):
    path = raw / f"{name}.yaml"
    data = edit_yaml(path, lambda d: d[name].append(dict(d[name][-1])))
    with pytest.raises(FigtraceError) as caught:
        load(path)
    twice = data[name][-1][id_key]
    assert str(caught.value) == f"{path}: {id_key} {twice!r} appears twice; ids must be unique."


def test_a_stale_anchor_suggests_the_nearest_passage(raw, mentions):
    _stale_anchor(raw)
    with pytest.raises(FigtraceError) as caught:
        build(raw, mentions)
    message = str(caught.value)
    assert "nearest candidate passage" in message
    assert "re-anchor it: start: 2078, end: 2081, exact: '609'" in message


@pytest.mark.parametrize(
    "fault", ["stale anchor", "value disagrees with its span", "unknown indicator"]
)
def test_the_pipeline_stops_and_shows_the_message(project, fault):
    expected = BREAKS[fault](project / "data" / "raw")
    proc = run_snakemake(project)
    assert proc.returncode != 0
    shown = proc.stdout + proc.stderr
    assert "the figure ledger cannot be built" in shown
    # the job's own failure, not Snakemake's guess at missing outputs after a 5 s wait
    assert "Error in rule figures:" in shown
    assert "MissingOutputException" not in shown and "latency" not in shown, shown
    first_line = expected.splitlines()[0].replace(str(project) + "/", "")
    assert first_line.split(": ")[-1] in shown
    assert not (project / "data/processed/figures.parquet").exists()


# --- anchors and formulas ---------------------------------------------------------------------------


def test_anchor_round_trip_and_w3c_selectors():
    text = "Of the 609 children, 90 were trafficked; of 609 others none."
    anchor = make_anchor(text, 7, 10, context=8)
    assert anchor == Anchor("609", "Of the ", " childre", 7, 10)
    assert resolve(anchor, text, "here") == (7, 10)
    quote, position = anchor.selectors()
    assert quote == {
        "type": "TextQuoteSelector",
        "exact": "609",
        "prefix": "Of the ",
        "suffix": " childre",
    }
    assert position == {"type": "TextPositionSelector", "start": 7, "end": 10}


def test_fuzzy_match_never_accepts_an_anchor():
    text = "There were 2,118 suspected child trafficking victims reported."
    anchor = Anchor("2,118", "There were ", " suspected", 11, 16)
    edited = text.replace("2,118", "2,119")
    with pytest.raises(FigtraceError, match="nearest candidate passage"):
        resolve(anchor, edited, "figure x")


@pytest.mark.parametrize(
    "formula", ["__import__('os').system('true')", "{a}.real", "[1][0]", "{a} ** 2"]
)
def test_formulas_run_no_code(formula):
    with pytest.raises(ValueError):
        evaluate(formula, {"a": 2.0})


def test_formula_arithmetic():
    assert evaluate("({a} - {b}) / {a} * 100", {"a": 209.0, "b": 40.0}) == pytest.approx(
        80.861, abs=1e-3
    )


# --- a new document: coverage reports, annotate writes a stub -------------------------------------


def test_new_document_is_reported_not_fatal_and_annotate_fills_anchors(project, tmp_path):
    source = tmp_path / "new.txt"
    source.write_text(
        "Police said 1,234 children were referred in 2019, up 12% on the year before.\n"
        "Call 0800 123 4567 for help.\n",
        "utf-8",
    )
    added = run_cli(project, "add", str(source), "--title", "New", "--id", "new-article")
    assert added.returncode == 0, added.stderr
    proc = run_snakemake(project)
    assert proc.returncode == 0, proc.stderr
    shown = proc.stdout + proc.stderr
    assert "2 not yet in the ledger nor reviewed" in shown
    assert "uncovered new-article" in shown
    uncovered = pd.read_csv(project / "results/uncovered_statistics.csv")
    assert set(uncovered["text"]) == {"1,234", "12%"}

    stub = run_cli(project, "annotate", "new-article")
    assert stub.returncode == 0, stub.stderr
    data = yaml.safe_load((project / "data/raw/annotations/new-article.yaml").read_text("utf-8"))
    text = (project / "data/raw/documents/new-article.txt").read_text("utf-8")
    exacts = [c["anchor"]["exact"] for c in data["candidates"]]
    assert "1,234" in exacts and "12%" in exacts
    for candidate in data["candidates"]:
        anchor = Anchor.from_dict(candidate["anchor"])
        assert text[anchor.start : anchor.end] == anchor.exact
    # the stub lists candidates only: it loads, and gives the ledger no figure until curated
    loaded = load_annotations(project / "data/raw")
    assert "new-article" in loaded.sha256
    assert [f for f in loaded.figures if f.doc_id == "new-article"] == []
    assert len(loaded.figures) == len(load_annotations(RAW).figures)
    again = run_cli(
        project, "annotate", "new-article", "--out", "data/raw/annotations/new-article.yaml"
    )
    assert again.returncode == 2 and "never overwritten" in again.stderr
    assert run_snakemake(project).returncode == 0


def test_annotation_stub_lists_every_unreviewed_number_with_its_reading(mentions):
    dated = "merseyside-before-the-harm"  # a document whose text has dates
    doc = next(d for d in load_catalogue(RAW) if d.doc_id == dated)
    own = mentions[mentions["doc_id"] == dated]
    existing = yaml.safe_load((RAW / "annotations" / f"{dated}.yaml").read_text("utf-8"))
    reviewed = {(e["anchor"]["start"], e["anchor"]["end"])
                for e in existing["figures"] + existing["exclusions"]}  # fmt: skip
    stub = annotation_stub(doc, own, None)
    assert (stub["doc_id"], stub["sha256"], stub["figures"]) == (dated, doc.sha256, [])
    dates = own[own["role"] == "date"]
    assert len(dates) > 0
    assert len(stub["candidates"]) == len(own) - len(dates) > 0
    first = stub["candidates"][0]
    assert set(first["extracted"]) == {"value", "kind", "qualifier", "role"}
    text = doc.text()
    for c in stub["candidates"]:
        a = c["anchor"]
        assert text[a["start"] : a["end"]] == a["exact"]
        assert c["extracted"]["role"] != "date"
    kept = annotation_stub(doc, own, yaml.safe_load(yaml.safe_dump(existing)))
    assert len(kept["figures"]) == len(existing["figures"])
    for c in kept["candidates"]:
        span = (c["anchor"]["start"], c["anchor"]["end"])
        assert not any(s <= span[0] and span[1] <= e for s, e in reviewed)
    text_out = dump_annotations(kept)
    assert yaml.safe_load(text_out) == kept
    assert list(yaml.safe_load(text_out)) == list(kept)  # key order kept, not sorted
    assert '"a\\nb"' in dump_annotations({"x": "a\nb"}) and "x: plain" in dump_annotations(
        {"x": "plain"}
    )


def test_exclusions_table_columns():
    annotations = load_annotations(RAW)
    table = exclusions_frame(annotations)
    assert list(table.columns) == ["doc_id", "start", "end", "quote", "category", "reason"]
    assert table["reason"].str.len().min() > 0
