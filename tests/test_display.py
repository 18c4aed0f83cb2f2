"""Numbers as their sources state them: the ledger's stated forms, the one display of a number,
and the rendered report, gallery and viewers read back independently (five documents and a
synthetic corpus with annotated synthetic documents)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Doctype

from conftest import copy_project, run_snakemake
from figtrace import display
from figtrace.anchors import make_anchor
from figtrace.audit import NONFIGURE_RULES
from figtrace.documents import document_name, sidecar_description
from figtrace.figures import KIND_UNITS, dump_annotations
from figtrace.mentions import extract

# --- the display rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stated", "value", "unit", "qualifier", "shown"),
    [
        ("more than a quarter", 0.25, "proportion", "more_than", "more than a quarter (> 25%)"),
        ("nearly half", 0.5, "proportion", "nearly", "nearly half (≲ 50%)"),
        ("one in six", 0.1667, "proportion", None, "one in six (16.7%)"),
        ("just one", 1.0, "count", "just", "just one (1)"),
        ("Forty-two", 42.0, "count", None, "forty-two (42)"),
        ("over 500", 500.0, "count", "over", "over 500"),
        ("More than 80 per cent", 80.0, "percent", "more_than", "more than 80 per cent"),
        ("41%", 41.0, "percent", None, "41%"),
        ("1,060", 1060.0, "count", None, "1,060"),
        ("more than doubled", 2.0, "factor", "more_than", "more than doubled (> 2×)"),
        ("second highest", 2.0, "rank", None, "second highest (2nd)"),
        ("NRM 5", 5.0, "count", None, "NRM 5"),
    ],
)
def test_a_figure_shows_its_stated_form_and_normalised_value(
    stated, value, unit, qualifier, shown
) -> None:
    assert display.stated(stated, value, unit, qualifier) == shown


@pytest.mark.parametrize(
    ("value", "unit", "approx", "exact"),
    [
        (90 / 609, "proportion", "14.8%", "14.7783251232%"),
        (169 / 209 * 100, "percent", "80.9%", "80.8612440191%"),
        (2118 / 1.66, "count", "≈1,276", "1,275.90361446"),
        (169.0, "count", "169", "169"),
        (2118 / 1276, "factor", "≈1.66×", "1.65987460815×"),
        (0.5, "percent", "0.5%", "0.5%"),
    ],
)
def test_a_derived_figure_is_rounded_and_keeps_its_unrounded_value(
    value, unit, approx, exact
) -> None:
    assert display.approximate(value, unit) == approx
    assert display.unrounded(value, unit) == exact


def test_ordinals_and_shares() -> None:
    assert [display.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 102)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "102nd",
    ]  # fmt: skip
    assert display.percent(25.0) == "25%" and display.percent(0.25) == "0.25%"
    assert display.normalised(0.25, "proportion", "only") == "25%"  # emphasis is no bound


def test_a_document_without_a_headline_is_named_by_its_description() -> None:
    note = {"title_note": 'Readers see it as "Councils fail victims" (a supplied description).'}
    assert sidecar_description(note) == "Councils fail victims"
    assert sidecar_description({"description": "Own  words", **note}) == "Own words"
    assert sidecar_description({"title_note": "No headline."}) is None
    assert document_name("A title", "ignored", "x") == "A title"
    assert document_name(None, "Councils fail victims", "x").startswith("“Councils fail victims”")
    assert "description" in document_name(None, "Councils fail victims", "x")
    assert document_name(None, None, "doc-x") == "untitled document [doc-x]"


# --- reading rendered pages back ---------------------------------------------------------------

STORAGE = re.compile(r"(?<![\d,.])0\.\d+(?![\d%×])")  # a decimal proportion as stored: 0.1667
# Marks of numbers that are not figures by their nature (dates, ids, hashes, offsets, formula
# constants, titles, names, addresses): what an independent reader may skip.
STRUCTURAL = {"year", "sha256", "id", "pos", "formula", "name", "url"}


def stated_forms(project: Path) -> pd.DataFrame:
    return pd.read_parquet(project / "data/processed/figures.parquet").set_index("figure_id")


def link_faults(html: str, figures: pd.DataFrame, where: str) -> list[str]:
    """Links whose text is a storage value: a bare decimal proportion, or a figure's value
    shown without the words its source uses for it ("just 1" for "just one")."""
    faults = []
    for a in BeautifulSoup(html, "lxml").find_all("a"):
        text = " ".join(a.get_text().split())
        ref = a.get("data-ref")
        if STORAGE.search(text) and not (
            ref in figures.index and STORAGE.search(figures.loc[ref, "quote"])
        ):
            faults.append(f"{where}: {text!r} ({ref})")
        # a value link shows the figure's words ({id:bare} in a title drops them on purpose)
        shows_value = a.get("data-shows", "value") == "value" and not a.get("data-format")
        stated = display.in_sentence(figures.loc[ref, "stated"]) if ref in figures.index else None
        if stated is not None and shows_value and not text.startswith(stated):
            faults.append(f"{where}: {text!r} does not show {figures.loc[ref, 'stated']!r}")
    return faults


def _skipped(node: NavigableString) -> bool:
    for p in node.parents:
        if not isinstance(p, Tag):
            continue
        if p.name in ("a", "script", "style", "head", "time", "cite", "code"):
            return True
        if STRUCTURAL & set(p.get("class") or []):
            return True
    return False


def outside_links(html: str) -> list[str]:
    """The visible text outside links and structural marks, one string per run of text."""
    soup = BeautifulSoup(html, "lxml")
    runs, current = [], []
    for node in (soup.body or soup).find_all(string=True):
        if isinstance(node, Comment | Doctype) or _skipped(node):
            if current:
                runs.append("".join(current))
                current = []
            continue
        current.append(str(node))
    if current:
        runs.append("".join(current))
    return runs


def ledger_values(project: Path) -> list[tuple[float, str]]:
    processed = project / "data/processed"
    figures = pd.read_parquet(processed / "figures.parquet")
    derived = pd.read_parquet(processed / "derived.parquet")
    return [(float(v), u) for v, u in zip(figures["value"], figures["unit"], strict=True)] + [
        (float(v), u) for v, u in zip(derived["value"], derived["unit"], strict=True)
    ]


def _as_unit(value: float, kind: str, unit: str) -> float | None:
    units = {"count": {"count"}, "percent": {"percent", "proportion"}, "rank": {"rank"},
             "fraction": {"proportion", "percent"}, "ratio": {"proportion", "percent"},
             "multiplier": {"factor"}}.get(kind, set())  # fmt: skip
    if unit not in units:
        return None
    if kind == "percent" and unit == "proportion":
        return value / 100
    if kind in ("fraction", "ratio") and unit == "percent":
        return value * 100
    return value


def figure_words(figures: pd.DataFrame) -> set[str]:
    """The stated forms that identify a figure by their words: not a single plain word such as
    "two" or "double", which prose uses for other things ("the two counts")."""
    words = {display.in_sentence(s).lower() for s in figures["stated"]}
    return {w for w in words if not re.fullmatch(r"[a-z]+", w)}


def ledger_values_outside_links(html: str, project: Path) -> list[str]:
    """Numbers outside any link that are a ledger figure: a figure's own words, or a number in
    digits the extractor reads as a statistic with a ledger value (not a scale's "1 =")."""
    figures = stated_forms(project)
    words = figure_words(figures)
    values = ledger_values(project)
    found = []
    for run in outside_links(html):
        for m in extract(run):
            start = m.qualifier_start if m.qualifier_start is not None else m.start
            text = " ".join(run[start : m.end].split())
            if display.in_sentence(text).lower() in words:
                found.append(text)
                continue
            if m.value is None or m.role != "statistic" or not re.search(r"\d", m.text):
                continue
            if re.match(r"\s*=", run[m.end :]) or re.fullmatch(r"(?:19|20)\d\d", m.text):
                continue
            for value, unit in values:
                mine = _as_unit(m.value, m.kind, unit)
                if mine is not None and abs(mine - value) <= max(5e-4 * abs(value), 5e-5):
                    found.append(f"{text!r} in …{run[max(0, m.start - 40) : m.end + 40]!r}…")
                    break
    return found


def pages(project: Path) -> dict[str, str]:
    results = project / "results"
    found = {"report.html": (results / "report.html").read_text("utf-8")}
    found["charts/index.html"] = (results / "charts/index.html").read_text("utf-8")
    for viewer in sorted((results / "sources").glob("*.html")):
        found[f"sources/{viewer.name}"] = viewer.read_text("utf-8")
    return found


def check_project(project: Path) -> None:
    """Every check of this module on a built project."""
    figures = stated_forms(project)
    faults = []
    for name, html in pages(project).items():
        faults += link_faults(html, figures, name)
    assert faults == []
    report = (project / "results/report.html").read_text("utf-8")
    assert ledger_values_outside_links(report, project) == []
    # the report's own audit exempts no number that is a ledger figure
    audit = yaml.safe_load((project / "results/audit.json").read_text("utf-8"))
    assert audit["ok"] and audit["nonfigures"] == []
    exempt = [
        t
        for numbers in (audit["nonfigure_numbers"], audit["markdown"]["nonfigure_numbers"])
        for rule in NONFIGURE_RULES
        for t in numbers.get(rule, [])
    ]
    words = figure_words(figures)
    assert [t for t in exempt if display.in_sentence(t).lower() in words] == []
    # the stated form is the extractor's span with its hedge, inside the anchored passage
    mentions = pd.read_parquet(project / "data/processed/mentions.parquet")
    texts = dict(
        pd.read_parquet(project / "data/processed/text.parquet")[["doc_id", "text"]].values
    )
    for fid, f in figures.iterrows():
        if f["reading"] == "curator":  # no number to read: the curated words are the form
            assert f["stated"] == " ".join(f["quote"].split()), fid
            continue
        inside = mentions[(mentions["doc_id"] == f["doc_id"]) & (mentions["start"] >= f["start"])
                          & (mentions["end"] <= f["end"])]  # fmt: skip
        spans = {
            " ".join(texts[f["doc_id"]][int(m.start if pd.isna(m.qualifier_start) else m.qualifier_start) : m.end].split())
            for m in inside.itertuples()
        }  # fmt: skip
        assert f["stated"] in spans, fid


# --- the five documents -------------------------------------------------------------------------


def test_figures_table_has_the_stated_form_beside_value_and_unit(built_project: Path) -> None:
    csv = pd.read_csv(built_project / "data/processed/figures.csv")
    columns = list(csv.columns)
    assert columns[columns.index("value") : columns.index("stated") + 1] == [
        "value", "unit", "qualifier", "stated",
    ]  # fmt: skip
    stated = dict(zip(csv["figure_id"], csv["stated"], strict=True))
    assert stated["mfc-trafficked-children-missing-share"] == "more than a quarter"
    assert stated["bsw-trafficked-within-uk-share"] == "one in six"
    assert stated["bsw-south-west-specialist-centres"] == "just one"
    assert stated["nor-northamptonshire-trafficked-children"] == "Forty-two"
    package = (built_project / "data/processed/datapackage.json").read_text("utf-8")
    assert '"name": "stated"' in package


def test_five_documents_show_stated_forms_and_link_every_ledger_value(
    built_project: Path,
) -> None:
    check_project(built_project)


def test_report_names_an_untitled_document_by_its_description(built_project: Path) -> None:
    soup = BeautifulSoup((built_project / "results/report.html").read_text("utf-8"), "lxml")
    cites = {c.get_text() for c in soup.select("cite.description")}
    assert cites == {
        "Barnardo's: councils in the south west not doing enough for child sex trafficking victims"
    }
    assert "untitled document" not in soup.get_text()
    viewer = (
        built_project / "results/sources/barnardos-south-west-sex-trafficking.html"
    ).read_text()
    assert "<title>Source: “Barnardo&#39;s: councils" in viewer
    md = (built_project / "results/report.md").read_text("utf-8")
    assert "barnardos-south-west-sex-trafficking |" not in md


def test_derived_labels_link_their_inputs_and_entries_show_the_unrounded_value(
    built_project: Path,
) -> None:
    soup = BeautifulSoup((built_project / "results/report.html").read_text("utf-8"), "lxml")
    entry = soup.find(id="bsw-trafficked-within-uk-share-computed")
    label = entry.find("h3").find(class_="label")
    assert [(a.get_text(), a["data-ref"]) for a in label.find_all("a")] == [
        ("90", "bsw-trafficked-within-uk"),
        ("609", "bsw-current-caseload"),
    ]
    assert entry.find("h3").find("a").get_text() == "14.8%"
    unrounded = entry.find("a", attrs={"data-shows": "unrounded"})
    assert unrounded.get_text() == display.unrounded(90 / 609, "proportion")


# --- a synthetic corpus with annotated synthetic documents ----------------------------------


def annotate_all_statistics(raw: Path, doc_ids: list[str]) -> int:
    """Annotate every statistic the extractor finds in `doc_ids` as a figure (its value, unit
    and hedge as read), the way a curator accepting every suggestion would; return the count."""
    from figtrace.documents import load_documents

    indicators = yaml.safe_load((raw / "indicators.yaml").read_text("utf-8"))["indicators"]
    by_unit = {}
    for ind in indicators:
        by_unit.setdefault(ind["unit"], ind["indicator_id"])
    total = 0
    for doc in load_documents(raw, doc_ids):
        text = doc.text()
        figures, claimants = [], []
        for m in extract(text):
            unit = KIND_UNITS.get(m.kind)
            if m.role != "statistic" or m.value is None or unit not in by_unit:
                continue
            start = m.qualifier_start if m.qualifier_start is not None else m.start
            anchor = make_anchor(text, start, m.end)
            if text.count(anchor.prefix + anchor.exact + anchor.suffix) != 1:
                continue
            figures.append(
                {
                    "figure_id": f"{doc.doc_id}-f{len(figures) + 1}",
                    "anchor": anchor.to_dict(),
                    "label": f"A synthetic statistic read as a {m.kind}",
                    "indicator": by_unit[unit],
                    "value": float(m.value),
                    "unit": unit,
                    "qualifier": m.qualifier,
                    "population": "synthetic",
                    "geography": "UK",
                    "period": None,
                    "period_note": "A synthetic document states no period.",
                    "claimant": f"f{len(figures) + 1}-voice",
                    "report_id": None,
                }
            )
            claimants.append(
                {
                    "claimant_id": f"f{len(figures)}-voice",
                    "kind": "article",
                    "name": "the synthetic document",
                    "anchor": anchor.to_dict(),
                }
            )
        data = {
            "doc_id": doc.doc_id,
            "sha256": doc.sha256,
            "claimants": claimants,
            "figures": figures,
            "exclusions": [],
        }
        (raw / "annotations" / f"{doc.doc_id}.yaml").write_text(dump_annotations(data), "utf-8")
        total += len(figures)
    return total


def test_synthetic_corpus_shows_stated_forms_and_links_every_ledger_value(tmp_path: Path) -> None:
    from figtrace.synth import synthesize

    project = copy_project(tmp_path / "project")
    raw = tmp_path / "corpus"
    synthesize(6, raw, project / "data/raw", seed=16)
    synthetic = sorted(
        p.stem
        for p in (raw / "documents").glob("*.yaml")
        if not (raw / "annotations" / p.name).exists()
    )
    assert annotate_all_statistics(raw, synthetic[:3]) >= 5
    run_snakemake(project, "--config", f"raw_dir={raw}", check=True)
    figures = stated_forms(project)
    assert set(synthetic[:3]) <= set(figures["doc_id"])
    check_project(project)


def test_digits_of_an_identifier_in_prose_are_marked_as_a_reference() -> None:
    from figtrace.report import nonfigure_rule

    text = "synth-000001 and doc-7 both give it; Covid-19 hit in 12 areas"
    rules = {m.text: nonfigure_rule(m, text) for m in extract(text)}
    assert rules["000001"] == "reference" and rules["7"] == "reference"
    assert rules.get("19") != "reference" and rules.get("12") != "reference"
