"""Hostile documents, inspected as markup (no browser): the report and the viewers carry no
script, no event handler and no script URL of the documents', every untrusted string shows as
the text it is, and each page states its Content-Security-Policy.

The browser tests (test_browser.py) show the same pages do not run script in Chromium; those
would pass on the policy alone, so these check the escaping itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

import hostile
from figtrace.audit import audit_report
from figtrace.provenance import load_ledger

pytestmark = pytest.mark.pipeline

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
PAGES = ["report.html", *(f"sources/{doc_id}.html" for doc_id in hostile.DOCS)]
ACTIVE = {"script", "iframe", "object", "embed", "frame", "frameset", "base", "form", "svg",
          "math", "link", "meta"}  # fmt: skip
SAFE_HREF = re.compile(
    r"^(#[^\s]*|sources/[a-z0-9-]+\.html(#[^\s]*)?|\.\./report\.html(#[^\s]*)?|https?://\S+)$"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile.build_hostile_project(tmp_path_factory.mktemp("hostile") / "project")


def read(built: Path, page: str) -> tuple[str, BeautifulSoup]:
    text = (built / "results" / page).read_text("utf-8")
    return text, BeautifulSoup(text, "html.parser")


@pytest.mark.parametrize("page", PAGES)
def test_no_markup_of_the_documents_survives(built: Path, page: str) -> None:
    text, soup = read(built, page)
    assert "<script" not in text.lower() and "<iframe" not in text.lower()
    assert "<svg" not in text.lower()
    for el in soup.find_all(True):
        allowed = {"meta"} if el.parent and el.parent.name == "head" else set()
        assert el.name not in ACTIVE - allowed, el
        for name, value in el.attrs.items():
            assert not name.lower().startswith("on"), el
            values = value if isinstance(value, list) else [value]
            assert not any("javascript:" in v.lower() for v in values if name != "title"), el
    for a in soup.find_all("a", href=True):
        assert SAFE_HREF.match(a["href"]), a
    for img in soup.find_all("img"):
        assert img["src"].startswith("data:image/"), img


@pytest.mark.parametrize("page", PAGES)
def test_untrusted_strings_show_as_text(built: Path, page: str) -> None:
    text, soup = read(built, page)
    shown = " ".join(soup.get_text().split())
    doc_id = page.removeprefix("sources/").removesuffix(".html")
    expected = hostile.SHOWN if page == "report.html" else {
        "hostile-page": hostile.SHOWN[:2] + ["<script>document.title='pwned'",
                                             '<img src=x onerror="window.__pwned = 2; alert(2)">',
                                             "<!-- a comment -->"],
        "hostile-report": [hostile.SHOWN[2], "<script>window.__pwned=9</script>",
                           '"><svg onload=alert(10)>'],
        "hostile-site": hostile.SHOWN[3:5] + ["<script>window.__pwned=14</script>"],
    }[doc_id]  # fmt: skip
    for string in expected:
        assert string in shown, string
    assert "&lt;script&gt;" in text  # escaped in the source, not dropped
    assert "\u202e" not in text  # direction controls are shown as tags, never applied


def test_no_page_applies_a_direction_control(built: Path) -> None:
    """U+202E and friends in a title reorder what a reader sees, in text and in attributes (alt
    text, tooltips) alike: every page shows them as tags instead (the charts gallery too)."""
    results = built / "results"
    pages = [results / "report.html", results / "charts/index.html",
             *sorted((results / "sources").glob("*.html"))]  # fmt: skip
    for page in pages:
        text = page.read_text("utf-8")
        assert "\u202e" not in text and "<script" not in text.lower(), page
    assert "⟨RLO⟩" in (built / "results/charts/index.html").read_text("utf-8")


def test_urls_are_attributes_that_say_what_the_sidecar_says(built: Path) -> None:
    """A URL with quotes and angle brackets stays one attribute value: nothing breaks out."""
    for page, url in [
        ("sources/hostile-page.html", hostile.TEXT_URL),
        ("sources/hostile-site.html", hostile.PAGE_URL),
    ]:
        _, soup = read(built, page)
        links = [a for a in soup.find_all("a", href=True) if a["href"].startswith("https://")]
        assert [a["href"] for a in links] == [url]
        assert set(links[0].attrs) == {"href", "rel"} or set(links[0].attrs) <= {
            "href", "rel", "class"
        }  # fmt: skip


@pytest.mark.parametrize("page", PAGES)
def test_every_page_states_its_content_security_policy(built: Path, page: str) -> None:
    _, soup = read(built, page)
    policies = soup.find_all("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert [m["content"] for m in policies] == [CSP]
    head = soup.find("head")
    assert policies[0].parent is head
    # it comes before anything it governs (styles, images) in the page
    before = [
        el.name for el in policies[0].find_all_previous(True) if el.name not in ("html", "head")
    ]
    assert set(before) <= {"meta"}


def test_add_refuses_a_script_url(tmp_path: Path) -> None:
    from conftest import copy_project, run_cli

    project = copy_project(tmp_path / "project")
    src = tmp_path / "page.txt"
    src.write_text(hostile.TEXT, "utf-8")
    proc = run_cli(project, "add", str(src), "--id", "script-url", "--title", "t",
                   "--url", "javascript:alert(7)")  # fmt: skip
    assert proc.returncode != 0 and "http" in proc.stderr, proc.stderr
    assert not list((project / "data/raw/documents").glob("script-url.*"))


def test_the_hostile_report_still_passes_its_audit(built: Path) -> None:
    ledger = load_ledger(built / "data/processed", built / "data/raw")
    result = audit_report((built / "results/report.html").read_text("utf-8"), ledger)
    assert result.ok, (result.unlinked, result.mismatches)
    refs = {
        a["data-ref"] for a in read(built, "report.html")[1].find_all("a", attrs={"data-ref": True})
    }
    assert {"hostile-children-missing", "hostile-report-children", "hostile-site-children"} <= refs
