"""The report, the source viewers and the audit: rendering, escaping, exemption rules, failures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from markupsafe import Markup

from conftest import ROOT, run_cli, run_snakemake
from figtrace.audit import EXEMPTIONS, audit_report
from figtrace.mentions import extract
from figtrace.provenance import format_ref
from figtrace.report import (
    environment,
    linkify,
    load_corpus,
    render_linked,
    safe_text,
    safe_url,
    viewer_body,
    write_report,
    write_sources,
)

TEMPLATES = ROOT / "src" / "figtrace" / "templates"


@pytest.fixture(scope="module")
def corpus(built_project: Path):
    return load_corpus(
        built_project / "data/processed",
        built_project / "data/raw",
        built_project / "results/charts/index.json",
    )


@pytest.fixture(scope="module")
def report_html(built_project: Path) -> str:
    return (built_project / "results/report.html").read_text(encoding="utf-8")


def page(body: str) -> str:
    """A minimal report page around `body`, for auditing one construct at a time."""
    return f"<!DOCTYPE html><html><head><title>t</title></head><body>{body}</body></html>"


def entry(ref: str) -> str:
    return f'<article id="{ref}">entry</article>'


# --- the built report --------------------------------------------------------------------------


def test_pipeline_writes_report_viewers_and_a_passing_audit(built_project: Path, corpus) -> None:
    results = built_project / "results"
    audit = json.loads((results / "audit.json").read_text())
    assert audit["ok"] and audit["unlinked"] == [] and audit["mismatches"] == []
    assert audit["numbers_linked"] > len(corpus.ledger.figures)
    assert (results / "report.md").is_file()
    viewers = sorted(p.stem for p in (results / "sources").glob("*.html"))
    assert viewers == sorted(corpus.ledger.documents.index)
    assert "audit PASS" in (built_project / "logs/audit.log").read_text()


def test_report_is_self_contained(report_html: str) -> None:
    soup = BeautifulSoup(report_html, "lxml")
    assert not soup.find_all("script")
    assert not soup.find_all("link", rel="stylesheet")
    for img in soup.find_all("img"):
        assert img["src"].startswith("data:image/")
    for a in soup.find_all("a", href=True):
        href = a["href"]
        assert href.startswith(("#", "sources/", "http://", "https://")), href


def test_every_figure_and_derived_has_an_entry_and_viewer_anchor(
    built_project, corpus, report_html
) -> None:
    soup = BeautifulSoup(report_html, "lxml")
    for fid, doc_id in corpus.ledger.figures["doc_id"].items():
        entry_el = soup.find(id=fid)
        assert entry_el is not None, fid
        viewer = entry_el.find("a", class_="viewer")["href"]
        assert viewer == f"sources/{doc_id}.html#{fid}"
        mark = entry_el.find("blockquote").find("mark")
        assert mark.get_text() == corpus.ledger.figures.loc[fid, "quote"]
        src = BeautifulSoup((built_project / "results" / viewer.split("#")[0]).read_text(), "lxml")
        target = src.find(id=fid)
        assert target.name == "mark" and "m-figure" in target["class"]
        assert target.get_text() == corpus.ledger.figures.loc[fid, "quote"]
    for did in corpus.ledger.derived.index:
        el = soup.find(id=did)
        inputs = {a["data-ref"] for a in el.select("ul.inputs a.ref")}
        assert inputs == set(corpus.ledger.derived.loc[did, "inputs"].split(";"))


def test_checks_show_status_and_stated_against_computed(corpus, report_html) -> None:
    soup = BeautifulSoup(report_html, "lxml")
    for r in corpus.checks.itertuples():
        row = soup.find(id=f"check-{r.check_id}")
        assert row.find(class_="status").get_text() == r.status
        refs = [
            a["data-ref"] for a in row.find_all("a", class_="ref", attrs={"data-shows": "value"})
        ]
        assert refs[: len(r.inputs.split(";"))] == r.inputs.split(";") or set(
            r.inputs.split(";")
        ) <= set(refs)
    statuses = set(corpus.checks["status"])
    assert {"warn", "fail"} <= statuses  # the articles' own roundings that do not hold are shown


def test_each_figure_shows_the_other_documents_that_give_it(corpus, report_html) -> None:
    soup = BeautifulSoup(report_html, "lxml")
    others = soup.find(id="mfc-unaccompanied-children-missing").find("dd", class_="others")
    restated = others.find("p", class_="restated")
    assert restated.find("span", class_="tally").get_text() == "1"
    assert [a["href"] for a in restated.select("a.ref")] == ["#nor-unaccompanied-children-missing"]
    assert others.find("p", class_="corroborated") is None
    lone = soup.find(id="cyp-children-trafficked-into-uk").find("dd", class_="others")
    assert "none gives the same indicator" in lone.get_text()


def test_viewer_text_is_the_hashed_text(built_project: Path, corpus) -> None:
    for doc_id, text in corpus.texts.items():
        soup = BeautifulSoup((built_project / f"results/sources/{doc_id}.html").read_text(), "lxml")
        assert soup.find("div", class_="doc").get_text() == text


def test_report_is_byte_stable(built_project: Path, corpus, tmp_path: Path) -> None:
    write_report(corpus, tmp_path / "r.html", tmp_path / "r.md")
    assert (tmp_path / "r.html").read_bytes() == (
        built_project / "results/report.html"
    ).read_bytes()
    assert (tmp_path / "r.md").read_bytes() == (built_project / "results/report.md").read_bytes()


def test_markdown_links_numbers_to_the_viewer(corpus, built_project: Path) -> None:
    md = (built_project / "results/report.md").read_text()
    for fid, doc_id in corpus.ledger.figures["doc_id"].items():
        assert f"](sources/{doc_id}.html#{fid})" in md
    for did in corpus.ledger.derived.index:
        assert f"](report.html#{did})" in md


# --- templates hold no numbers ----------------------------------------------------------------


REPORT_TEMPLATES = ["_macros.j2", "report.html.j2", "report.md.j2", "source.html.j2"]


@pytest.mark.parametrize("name", REPORT_TEMPLATES)
def test_templates_type_no_numbers(name: str) -> None:
    text = (TEMPLATES / name).read_text()
    text = re.sub(r"{[{%#].*?[}%#]}", " ", text, flags=re.S)  # Jinja tags
    text = re.sub(r"<[^>]*>", " ", text)  # HTML tags (h1, h2 ...)
    assert [m.text for m in extract(text)] == []


# --- linking and escaping ---------------------------------------------------------------------


def test_render_linked_links_each_placeholder(corpus) -> None:
    ledger = corpus.ledger
    fid = ledger.figures.index[0]
    html = render_linked(f"<b>{{{fid}}}</b> and {{{fid}:bare}}", ledger)
    soup = BeautifulSoup(str(html), "lxml")
    links = soup.find_all("a", class_="ref")
    assert [a.get_text() for a in links] == [
        format_ref(ledger, fid),
        format_ref(ledger, fid, "bare"),
    ]
    assert links[1]["data-format"] == "bare"
    assert "&lt;b&gt;" in str(html)


def test_linkify_links_stated_values_and_marks_the_rest(corpus) -> None:
    ledger = corpus.ledger
    fid = "bsw-trafficked-within-uk-share"
    html = str(linkify('Stated as "one in six" in 2009, under 18 children', ledger, [fid]))
    soup = BeautifulSoup(html, "lxml")
    assert soup.find("a", attrs={"data-ref": fid}).get_text() == "one in six"
    assert soup.find(class_="year").get_text() == "2009"
    assert soup.find(class_="nonfigure").get_text() == "under 18"


def test_safe_url_only_http() -> None:
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert safe_url("http://example.org") == "http://example.org"
    for bad in (
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,x",
        "file:///etc/passwd",
        "//evil",
        "",
        None,
    ):
        assert safe_url(bad) is None


def test_url_macro_never_links_a_javascript_url() -> None:
    macros = environment().get_template("_macros.j2").module
    html = str(macros.url("javascript:document.title='pwned'"))
    soup = BeautifulSoup(html, "lxml")
    assert soup.find("a") is None
    assert "javascript:document.title=" in soup.get_text()
    assert soup.find("a") is None and "href" not in html
    assert (
        BeautifulSoup(str(macros.url("https://example.org/x")), "lxml").find("a")["href"]
        == "https://example.org/x"
    )


def test_safe_text_escapes_markup_and_shows_direction_controls() -> None:
    html = str(safe_text('<img src=x onerror="alert(1)"> \u202eabc<!-- c -->'))
    assert "<img" not in html and "&lt;img" in html and "&lt;!--" in html
    assert "\u202e" not in html and "⟨RLO⟩" in html


def test_viewer_body_escapes_document_text() -> None:
    html = str(viewer_body("a <script>x()</script> b", []))
    assert "<script>" not in html and "&lt;script&gt;" in html


# --- the audit ---------------------------------------------------------------------------------


def test_audit_fails_on_one_unlinked_number(corpus, report_html) -> None:
    soup = BeautifulSoup(report_html, "lxml")
    first = soup.select_one("#findings a.ref")
    first.replace_with(first.get_text())  # the same number, no longer a link
    result = audit_report(str(soup), corpus.ledger)
    assert not result.ok
    assert [u["text"] for u in result.unlinked] == [first.get_text()]


def test_audit_fails_on_a_mismatched_value(corpus, report_html) -> None:
    soup = BeautifulSoup(report_html, "lxml")
    link = soup.select_one("#findings a.ref")
    link.string = "7,777"
    result = audit_report(str(soup), corpus.ledger)
    assert not result.ok and result.unlinked == []
    assert (
        result.mismatches[0]["ref"] == link["data-ref"] and result.mismatches[0]["shown"] == "7,777"
    )


@pytest.mark.parametrize(
    "text",
    [
        "40",
        "2,118",
        "41%",
        "one in six",
        "more than a quarter",
        "more than 80 per cent",
        "second highest",
    ],
)
def test_audit_catches_numbers_in_every_form(corpus, text: str) -> None:
    result = audit_report(page(f"<p>The report says {text} children.</p>"), corpus.ledger)
    assert result.numbers_found == 1 and len(result.unlinked) == 1


def test_audit_accepts_a_true_link_and_rejects_a_link_to_nowhere(corpus) -> None:
    ledger, fid = corpus.ledger, "mer-nrm-child-referrals-2017"
    good = f'<p><a class="ref" href="#{fid}" data-ref="{fid}" data-shows="value">{format_ref(ledger, fid)}</a></p>'
    assert audit_report(page(good + entry(fid)), ledger).ok
    missing = audit_report(page(good), ledger)  # no entry with that id in the page
    assert missing.mismatches[0]["reason"] == "no such entry"
    prose = f'<p><a class="ref" href="#{fid}" data-ref="{fid}" data-shows="prose">2,117</a></p>'
    assert audit_report(page(prose + entry(fid)), ledger).mismatches[0]["reason"] == "prose"


EXEMPT_CASES = {
    "year": '<p>in <span class="year">2009</span></p>',
    "date": "<p>published <time>15 November 2016</time></p>",
    "identifier": '<p><code class="id">mer-nrm-child-referrals-2017</code></p>',
    "hash": '<p><code class="sha256">2118' + "ab" * 30 + "</code></p>",
    "position": '<p>characters <code class="pos">183–204</code></p>',
    "constant": '<p><code class="formula">20 / 209 * 100</code></p>',
    "nonfigure": '<p>children <span class="nonfigure">under 18</span></p>',
    "title": "<p><cite>Whose Child Now? Fifteen years of work</cite></p>",
    "name": '<p>published by <span class="name">Channel 4</span></p>',
    "url": '<p><a class="url" href="https://example.org/2016/11/x">https://example.org/2016/11/x</a></p>',
    "tally": '<p><span class="tally">2</span> documents corroborate it</p>',
}


def test_every_exemption_rule_has_a_case() -> None:
    assert set(EXEMPT_CASES) == set(EXEMPTIONS)


@pytest.mark.parametrize("rule", sorted(EXEMPT_CASES))
def test_exemption_rule(corpus, rule: str) -> None:
    html = EXEMPT_CASES[rule]
    result = audit_report(page(html), corpus.ledger)
    assert result.ok and result.numbers_found >= 1 and set(result.exempt) == {rule}
    # the same text without its marking element is a failure
    bare = BeautifulSoup(html, "lxml").get_text()
    assert not audit_report(page(f"<p>{bare}</p>"), corpus.ledger).ok


def test_exemption_does_not_reach_outside_its_element(corpus) -> None:
    result = audit_report(
        page('<p><span class="year">2009</span> and 609 children</p>'), corpus.ledger
    )
    assert [u["text"] for u in result.unlinked] == ["609"]


def test_audit_cli_fails_the_build_and_names_the_number(
    built_project: Path, corpus, tmp_path: Path
) -> None:
    soup = BeautifulSoup((built_project / "results/report.html").read_text(), "lxml")
    link = soup.select_one("#derived a.ref")
    link.replace_with(link.get_text())
    bad = tmp_path / "report.html"
    bad.write_text(str(soup))
    proc = run_cli(
        built_project, "audit", "--report", str(bad), "--out", str(tmp_path / "audit.json")
    )
    assert proc.returncode == 1
    assert "audit FAIL" in proc.stdout and f"unlinked {link.get_text()!r}" in proc.stderr
    assert (
        json.loads((tmp_path / "audit.json").read_text())["unlinked"][0]["text"] == link.get_text()
    )


# --- charts: driven by results/charts/index.json ----------------------------------------------


def chart_index(tmp_path: Path, ledger) -> Path:
    """A chart index as the charts stage writes it, with a real PNG (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    refs = ["bsw-las-with-specialist-service", "bsw-local-authorities"]
    charts = tmp_path / "charts"
    charts.mkdir()
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(refs, [ledger.figures.loc[r, "value"] for r in refs])
    fig.savefig(charts / "specialist.png", metadata={"Software": None})
    plt.close(fig)
    template = (
        "Only {bsw-las-with-specialist-service:bare} of {bsw-local-authorities} local authorities"
    )
    index = {
        "charts": [
            {
                "chart_id": "specialist",
                "title_template": template,
                "caption_template": "Known to provide a specialist service: {bsw-las-with-specialist-service}.",
                "alt": "Bar chart",
                "source_line": "Source: Barnardo's (2009), as reported",
                "files": {"png": "charts/specialist.png"},
                "values": [{"ref": r, "ref_type": "figure"} for r in refs],
            }
        ]
    }
    (charts / "index.json").write_text(json.dumps(index))
    return charts / "index.json"


def test_charts_section_without_an_index_says_so(built_project: Path, tmp_path: Path) -> None:
    corpus = load_corpus(
        built_project / "data/processed", built_project / "data/raw", tmp_path / "none.json"
    )
    write_report(corpus, tmp_path / "r.html", tmp_path / "r.md")
    section = BeautifulSoup((tmp_path / "r.html").read_text(), "lxml").find(id="charts")
    assert not section.find("img") and "index.json" in section.get_text()


def test_built_report_shows_the_charts_of_the_index_in_order(
    built_project: Path, report_html: str
) -> None:
    index = json.loads((built_project / "results/charts/index.json").read_text())["charts"]
    soup = BeautifulSoup(report_html, "lxml")
    shown = [f["id"].removeprefix("chart-") for f in soup.select("#charts figure.chart")]
    assert shown == [c["chart_id"] for c in index]
    for c in index:
        fig = soup.find(id=f"chart-{c['chart_id']}")
        assert fig.find("img")["alt"] == c["alt"]
        assert " ".join(fig.find("h3").get_text().split()) == " ".join(c["title"].split())


def test_ledger_counts_link_to_an_entry_listing_the_figures_counted(
    corpus, report_html: str
) -> None:
    soup = BeautifulSoup(report_html, "lxml")
    entries = soup.select("article.count")
    assert entries
    for e in entries:
        ref = e["id"]
        field, key = ref.split(":", 2)[1:]
        figures = corpus.ledger.figures
        expected = list(figures.index) if key == "*" else list(figures.index[figures[field] == key])
        assert [a["data-ref"] for a in e.select("ul.inputs a.ref")] == expected
        assert e.find("h3").find("a").get_text() == f"{len(expected):,}"


def test_linkify_links_no_bare_small_count_word_and_respects_units(corpus) -> None:
    ledger = corpus.ledger
    scope = [
        "bsw-south-west-specialist-centres",
        "nor-child-migrants-doubled",
        "nor-northamptonshire-rank",
    ]
    soup = BeautifulSoup(
        str(linkify("in one county, the second highest, more than doubled", ledger, scope)), "lxml"
    )
    assert {a.get_text(): a["data-ref"] for a in soup.find_all("a")} == {
        "second highest": "nor-northamptonshire-rank",
        "doubled": "nor-child-migrants-doubled",
    } or {a.get_text(): a["data-ref"] for a in soup.find_all("a")} == {
        "second highest": "nor-northamptonshire-rank",
        "more than doubled": "nor-child-migrants-doubled",
    }
    assert soup.find(class_="nonfigure").get_text() == "one"


def test_charts_section_renders_the_index_with_linked_captions(
    built_project: Path, tmp_path: Path
) -> None:
    corpus = load_corpus(built_project / "data/processed", built_project / "data/raw",
                         chart_index(tmp_path, load_corpus(built_project / "data/processed", built_project / "data/raw").ledger))  # fmt: skip
    write_report(corpus, tmp_path / "report.html", tmp_path / "report.md")
    html = (tmp_path / "report.html").read_text()
    soup = BeautifulSoup(html, "lxml")
    fig = soup.find(id="chart-specialist")
    assert fig.find("img")["src"].startswith("data:image/png;base64,")
    assert [a["data-ref"] for a in fig.find_all("a", class_="ref")] == [
        "bsw-las-with-specialist-service", "bsw-local-authorities", "bsw-las-with-specialist-service",
    ]  # fmt: skip
    assert fig.find("h3").get_text() == "Only 40 of 209 local authorities".replace(
        "40", format_ref(corpus.ledger, "bsw-las-with-specialist-service", "bare")
    ).replace("209", format_ref(corpus.ledger, "bsw-local-authorities"))
    result = audit_report(html, corpus.ledger)
    assert result.ok, result.unlinked
    assert "![Bar chart](charts/specialist.png)" in (tmp_path / "report.md").read_text()


def test_a_broken_chart_index_is_a_clear_error(built_project: Path, tmp_path: Path) -> None:
    from figtrace.errors import FigtraceError

    bad = tmp_path / "index.json"
    bad.write_text(json.dumps({"charts": [{"chart_id": "x", "files": {"png": "charts/none.png"}}]}))
    with pytest.raises(FigtraceError, match="none.png is missing"):
        load_corpus(built_project / "data/processed", built_project / "data/raw", bad)


# --- scale and Snakemake's own report ----------------------------------------------------------


def test_sources_render_many_documents_in_one_call(corpus, tmp_path: Path) -> None:
    doc_ids = list(corpus.ledger.documents.index)
    written = write_sources(corpus, tmp_path, doc_ids)
    assert [p.stem for p in written] == doc_ids
    assert Markup  # the viewer template is compiled once: the environment is cached
    assert environment() is environment()


@pytest.mark.pipeline
def test_snakemake_report_lists_the_report(built_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "snakemake-report.html"
    run_snakemake(built_project, "--report", str(out), check=True)
    text = out.read_text(encoding="utf-8")
    assert "report.html" in text and "checks.md" in text
