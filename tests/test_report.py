"""The report, the source viewers and the audit: rendering, escaping, exemption rules, failures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, run_cli, run_snakemake
from figtrace.audit import EXEMPTIONS, audit_markdown, audit_report
from figtrace.mentions import extract
from figtrace.provenance import format_ref
from figtrace.rendering import environment, safe_text, safe_url
from figtrace.report import linkify, load_corpus, render_linked, viewer_sources, write_report
from figtrace.viewers import viewer_body, write_sources

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


REPORT_TEMPLATES = [
    "report.html.j2", "report.md.j2", "source.html.j2", "charts_gallery.html.j2", "factcheck.html.j2",
    "review.html.j2", "review_error.html.j2",
]  # fmt: skip


class Sentinel(str):
    """Stands for every value a template is given: text with no number in it, that iterates,
    calls, indexes and compares as needed, so only what the template itself types can print a
    number. Arithmetic is refused: a template that computes has typed a number in."""

    truth = True

    def __new__(cls) -> Sentinel:
        return super().__new__(cls, "sentinel")

    def __iter__(self):
        return iter([Sentinel(), Sentinel(), Sentinel()])

    def __call__(self, *args, **kwargs) -> Sentinel:
        return Sentinel()

    def __getitem__(self, key) -> Sentinel:
        return Sentinel()

    def get(self, key, default=None) -> Sentinel:  # a mapping's lookup, as document_name uses
        return Sentinel()

    def __bool__(self) -> bool:
        return Sentinel.truth

    def __eq__(self, other) -> bool:
        return Sentinel.truth

    def __ne__(self, other) -> bool:
        return not Sentinel.truth

    def __contains__(self, item) -> bool:
        return Sentinel.truth

    __hash__ = str.__hash__

    def _no_arithmetic(self, *args):
        raise TypeError("a template does arithmetic on a value: compute it in Python instead")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _no_arithmetic
    __truediv__ = __rtruediv__ = __mod__ = __rmod__ = __floordiv__ = __pow__ = _no_arithmetic
    __lt__ = __le__ = __gt__ = __ge__ = _no_arithmetic


def sentinel_environment():
    """The report's Jinja environment, except that any attribute or item of a Sentinel is one."""
    from jinja2 import Environment

    base = environment()

    class SentinelEnvironment(Environment):
        def getattr(self, obj, attribute):
            return Sentinel() if isinstance(obj, Sentinel) else super().getattr(obj, attribute)

        def getitem(self, obj, argument):
            return Sentinel() if isinstance(obj, Sentinel) else super().getitem(obj, argument)

    env = SentinelEnvironment(
        loader=base.loader,
        autoescape=base.autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(base.filters)
    env.globals.update(base.globals)
    # a count of data is data: the length of a sentinel is a sentinel
    for count in ("length", "count"):
        env.filters[count] = lambda v: Sentinel() if isinstance(v, Sentinel) else len(v)
    return env


def render_with_sentinels(env, name: str) -> list[str]:
    """The visible text of template `name` rendered with every variable a Sentinel, once with
    every test true and once with every test false (both branches of each `if`)."""
    from jinja2 import meta, nodes
    from jinja2.runtime import Macro

    source = env.loader.get_source(env, name)[0]
    tree = env.parse(source)
    names = meta.find_undeclared_variables(tree) - set(env.globals)
    # `{% for a, b in pairs %}`: rows of that many sentinels (a Sentinel itself unpacks to three)
    rows = {
        loop.iter.name: [tuple(Sentinel() for _ in loop.target.items)] * 3
        for loop in tree.find_all(nodes.For)
        if isinstance(loop.target, nodes.Tuple) and isinstance(loop.iter, nodes.Name)
    }
    texts = []
    for truth in (True, False):
        Sentinel.truth = truth
        template = env.get_template(name)
        context = {n: rows.get(n, Sentinel()) for n in names}
        out = template.render(**context)
        module = template.make_module(context)
        for attr in dir(module):  # macros print nothing until called
            macro = getattr(module, attr)
            if isinstance(macro, Macro):
                out += "\n" + str(macro(*[Sentinel() for _ in macro.arguments]))
        if name.endswith(".html.j2"):
            soup = BeautifulSoup(out, "lxml")
            for hidden in soup.find_all(["style", "script"]):
                hidden.decompose()
            out = soup.get_text(" ")
        texts.append(out)
    Sentinel.truth = True
    return texts


@pytest.mark.parametrize("name", [*REPORT_TEMPLATES, "_macros.j2"])
def test_templates_type_no_numbers(name: str) -> None:
    """Render each template with sentinel values: any number in the output was typed into the
    template (`{{ 609 }}`, `{{ "more than 80 per cent" }}` or plain text), not read from the ledger."""
    for text in render_with_sentinels(sentinel_environment(), name):
        assert "sentinel" in text or name == "_macros.j2"
        assert [m.text for m in extract(text)] == [], text


@pytest.mark.parametrize("module", ["report", "viewers", "rendering"])
def test_report_code_types_no_numbers_into_its_markup(module: str) -> None:
    """The HTML and Markdown that the report's and the viewers' code writes itself (its
    `Markup(...)` literals, and any other string literal holding a tag, such as a viewer's page
    marks) holds no number once its format fields are filled with sentinels."""
    import ast

    tree = ast.parse((ROOT / f"src/figtrace/{module}.py").read_text("utf-8"))
    in_markup = {
        id(node)
        for call in ast.walk(tree)
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Markup"
        for node in ast.walk(call)
    }
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    literals = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if id(node) not in docstrings
        if id(node) in in_markup or re.search(r"<[a-z/]", node.value)
    ]
    assert len(literals) >= {"report": 8, "viewers": 4, "rendering": 1}[module]
    for literal in literals:
        text = BeautifulSoup(re.sub(r"{[^}]*}", " sentinel ", literal), "html.parser").get_text()
        assert [m.text for m in extract(text)] == [], literal


def test_every_report_template_is_scanned() -> None:
    rendered = {p.name for p in TEMPLATES.glob("*.j2")}
    assert rendered == {*REPORT_TEMPLATES, "_macros.j2"}


@pytest.mark.parametrize(
    "typed",
    ["{{ 609 }}", '{{ "more than 80 per cent" }}', "one in six",
     "{{ (x or 41) }}", "{% set n = 7 %}{{ n }}"],
)  # fmt: skip
def test_a_number_typed_into_a_template_is_found(typed: str, tmp_path: Path) -> None:
    from jinja2 import DictLoader

    env = sentinel_environment()
    body = (TEMPLATES / "report.md.j2").read_text("utf-8")
    env.loader = DictLoader({"report.md.j2": body + f"\nSee {typed}.\n"})
    found = [[m.text for m in extract(t)] for t in render_with_sentinels(env, "report.md.j2")]
    assert any(found), typed


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


def quote_link(ref: str, shown: str) -> str:
    return f'<p><a class="ref" href="#{ref}" data-ref="{ref}" data-shows="quote">{shown}</a></p>'


def test_audit_quote_mode_accepts_the_source_words_only(corpus) -> None:
    ledger, fid = corpus.ledger, "bsw-trafficked-within-uk-share"
    quote = ledger.figures.loc[fid, "quote"]
    assert audit_report(page(quote_link(fid, quote) + entry(fid)), ledger).ok
    spaced = quote.replace(" ", "\n  ")  # line breaks inside the link are not a difference
    assert audit_report(page(quote_link(fid, spaced) + entry(fid)), ledger).ok
    other = ledger.figures.loc["mer-nrm-child-referrals-2017", "quote"]
    for shown in (other, format_ref(ledger, fid), quote + " more", quote[:-1], ""):
        result = audit_report(page(quote_link(fid, shown) + entry(fid)), ledger)
        assert [m["reason"] for m in result.mismatches] == ["quote"], shown
        assert result.mismatches[0]["expected"] == " ".join(quote.split())


def test_audit_rejects_a_link_of_no_known_mode(corpus) -> None:
    ledger, fid = corpus.ledger, "mer-nrm-child-referrals-2017"
    shown = format_ref(ledger, fid)
    html = f'<p><a class="ref" href="#{fid}" data-ref="{fid}" data-shows="any">{shown}</a></p>'
    assert [m["reason"] for m in audit_report(page(html + entry(fid)), ledger).mismatches] == [
        "mode"
    ]


def test_audit_value_mode_needs_the_exact_format(corpus) -> None:
    ledger, fid = corpus.ledger, "bsw-las-without-specialist-service-share"
    shown = format_ref(ledger, fid)  # with its hedge: "more than 80%"
    value = f'<p><a class="ref" href="#{fid}" data-ref="{fid}">{{}}</a></p>{entry(fid)}'
    assert audit_report(page(value.format(shown)), ledger).ok
    bare = format_ref(ledger, fid, "bare")
    assert bare != shown
    assert audit_report(page(value.format(bare)), ledger).mismatches[0]["reason"] == "value"


EXEMPT_CASES = {
    "year": '<p>in <span class="year">2009</span></p>',
    "date": "<p>published <time>15 November 2016</time></p>",
    "identifier": '<p><code class="id">mer-nrm-child-referrals-2017</code></p>',
    "hash": '<p><code class="sha256">2118' + "ab" * 30 + "</code></p>",
    "position": '<p>characters <code class="pos">183–204</code></p>',
    "constant": '<p><code class="formula">20 / 209 * 100</code></p>',
    "threshold": '<p>children <span class="nonfigure threshold">under 18</span></p>',
    "frequency": '<p>went missing <span class="nonfigure frequency">at least once</span></p>',
    "ordinal": '<p>the <span class="nonfigure ordinal">first</span> sentence</p>',
    "scale": '<p>a rank (<span class="nonfigure scale">1</span> = highest)</p>',
    "wording": '<p>from the <span class="nonfigure wording">two</span> counts beside it</p>',
    "context": '<blockquote>aged <span class="nonfigure context">under the age of 16</span></blockquote>',
    "reference": '<p>synth-<span class="nonfigure reference">000001</span> gives it</p>',
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


# --- the Markdown report (the file writers copy from) is audited too ---------------------------


@pytest.fixture(scope="module")
def report_md(built_project: Path) -> str:
    return (built_project / "results/report.md").read_text(encoding="utf-8")


def test_built_markdown_report_passes_its_audit(built_project: Path, corpus, report_md) -> None:
    result = audit_markdown(report_md, corpus.ledger)
    assert result.ok, (result.unlinked, result.mismatches)
    assert result.numbers_linked >= len(corpus.ledger.figures) + len(corpus.ledger.derived)
    audit = json.loads((built_project / "results/audit.json").read_text())
    assert audit["markdown"]["ok"] and audit["markdown"]["numbers_linked"] == result.numbers_linked
    assert "report.md: audit PASS" in (built_project / "logs/audit.log").read_text()


@pytest.mark.parametrize(
    ("typed", "unlinked"),
    [("609 children", ["609"]), ("more than 80 per cent of them", ["more than 80 per cent"]),
     ("one in six", ["one in six"]), ("**2,118**", ["2,118"]), ("| 41% |", ["41%"])],
)  # fmt: skip
def test_a_number_typed_into_the_markdown_report_fails_its_audit(
    corpus, report_md, typed, unlinked
) -> None:
    result = audit_markdown(report_md + f"\n\nThe report says {typed}.\n", corpus.ledger)
    assert [u["text"] for u in result.unlinked] == unlinked


@pytest.mark.parametrize("typed", ["{{ 609 }}", '{{ "more than 80 per cent" }}'])
def test_a_number_typed_into_the_markdown_template_fails_the_built_reports_audit(
    corpus, tmp_path: Path, monkeypatch, typed: str
) -> None:
    from jinja2 import ChoiceLoader, DictLoader

    import figtrace.report

    env = environment().overlay()
    body = (TEMPLATES / "report.md.j2").read_text("utf-8")
    env.loader = ChoiceLoader([DictLoader({"report.md.j2": body + typed + "\n"}), env.loader])
    monkeypatch.setattr(figtrace.report, "environment", lambda: env)
    write_report(corpus, tmp_path / "r.html", tmp_path / "r.md")
    result = audit_markdown((tmp_path / "r.md").read_text("utf-8"), corpus.ledger)
    assert [u["text"] for u in result.unlinked] == [typed.strip('{} "')]


def test_markdown_links_must_go_to_the_figures_own_passage_and_state_its_value(corpus) -> None:
    ledger, fid = corpus.ledger, "mer-nrm-child-referrals-2017"
    doc, shown = ledger.figures.loc[fid, "doc_id"], format_ref(ledger, fid)
    assert audit_markdown(f"[{shown}](sources/{doc}.html#{fid})\n", ledger).ok
    wrong_doc = audit_markdown(f"[{shown}](sources/other-doc.html#{fid})\n", ledger)
    assert [m["reason"] for m in wrong_doc.mismatches] == ["no such entry"]
    wrong_value = audit_markdown(f"[7,777](sources/{doc}.html#{fid})\n", ledger)
    assert [m["shown"] for m in wrong_value.mismatches] == ["7,777"]
    unknown = audit_markdown(f"[{shown}](report.html#no-such-figure)\n", ledger)
    assert [m["reason"] for m in unknown.mismatches] == ["no such entry"]
    elsewhere = audit_markdown(f"[{shown}](https://example.org/#{fid})\n", ledger)
    assert [u["text"] for u in elsewhere.unlinked] == [shown]


def test_markdown_text_that_states_no_figure_is_listed_not_failed(corpus) -> None:
    result = audit_markdown("It happened at least once, in one county.\n", corpus.ledger)
    assert result.ok and result.exempt == {"nonfigure": 2}
    assert result.nonfigures == ["at least once", "one"]


def test_audit_json_records_every_count_and_fault(corpus, tmp_path: Path) -> None:
    from figtrace.audit import write_audit

    bad = page('<p>609 and <a href="#x" data-ref="x">1</a></p>')
    html, md = audit_report(bad, corpus.ledger), audit_markdown("In 2009.\n", corpus.ledger)
    write_audit(tmp_path / "audit.json", html, md)
    data = json.loads((tmp_path / "audit.json").read_text("utf-8"))
    assert data["ok"] is False and data["markdown"]["ok"] is True
    assert (data["numbers_found"], data["numbers_linked"], data["links_checked"]) == (2, 1, 1)
    assert [u["text"] for u in data["unlinked"]] == ["609"]
    assert [m["reason"] for m in data["mismatches"]] == ["no such entry"]
    assert data["markdown"]["exempt"] == {"year": 1} and data["nonfigures"] == []
    write_audit(tmp_path / "html-only.json", md)
    assert "markdown" not in json.loads((tmp_path / "html-only.json").read_text("utf-8"))


def test_markdown_exemptions_are_code_titles_years_and_marked_non_figures(corpus) -> None:
    ledger = corpus.ledger
    ok = 'In 2009 `{a-2017} * 100` in *Fifteen years of work*; <span class="nonfigure">under 18</span>\n'
    result = audit_markdown(ok, ledger)
    assert result.ok and set(result.exempt) == {"year", "constant", "title", "nonfigure"}
    # a title left unmarked fails when its number reads as a claim (a duration does not)
    for bare in ("1,234 children of the north", "{a-2017} * 100", "under 18 and 609"):
        assert not audit_markdown(bare + "\n", ledger).ok, bare


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
        if key == "*":
            expected = list(figures.index)
        elif key == "none":  # figures with no value in the field (no report named)
            expected = list(figures.index[figures[field].isna()])
        else:
            expected = list(figures.index[figures[field] == key])
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
    written = write_sources(viewer_sources(corpus), tmp_path, doc_ids)
    assert [p.stem for p in written] == doc_ids
    for path in written:
        div = BeautifulSoup(path.read_text("utf-8"), "lxml").find("div", class_="doc")
        assert div.get_text() == corpus.texts[path.stem]
    assert environment() is environment()  # the viewer template is compiled once


@pytest.mark.pipeline
def test_snakemake_report_lists_the_report(built_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "snakemake-report.html"
    run_snakemake(built_project, "--report", str(out), check=True)
    text = out.read_text(encoding="utf-8")
    assert "report.html" in text and "checks.md" in text


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Young people under 16 who run away", "threshold"),
        ("Children (under 18) reported", "threshold"),
        ("went missing at least once in the year", "frequency"),
        ("gives the number twice.", "frequency"),
        ("the first sentence and the headline", "ordinal"),
        ("a rank (1 = highest).", "scale"),
        ("from the two counts beside it.", "wording"),
        ("One charity's caseload", "wording"),
    ],
)
def test_a_number_that_is_not_a_figure_is_marked_with_its_rule(corpus, text, rule) -> None:
    html = str(linkify(text, corpus.ledger, []))
    assert f'class="nonfigure {rule}"' in html
    assert audit_report(page(f"<p>{html}</p>"), corpus.ledger).exempt == {rule: 1}


def test_a_derived_label_links_its_inputs_whatever_role_the_extractor_gives(corpus) -> None:
    ledger = corpus.ledger
    label = ledger.derived.loc["bsw-trafficked-within-uk-share-computed", "label"]
    plain = BeautifulSoup(str(linkify(label, ledger, [])), "lxml")
    assert not plain.find_all("a")  # "(90 of 609)" is not read as a statistic on its own
    inputs = ledger.derived.loc["bsw-trafficked-within-uk-share-computed", "inputs"].split(";")
    linked = BeautifulSoup(str(linkify(label, ledger, [], direct=inputs)), "lxml")
    assert [a["data-ref"] for a in linked.find_all("a")] == inputs
