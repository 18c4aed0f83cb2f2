"""The report in a real browser: headless Chromium from Debian, driven by Playwright, from disk.

Chromium comes from the system package (`apt-get install -y chromium`); when /usr/bin/chromium
is missing the tests skip and say so. `playwright install` is never used.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import hostile
from conftest import ROOT, run_cli

pytestmark = pytest.mark.browser


def in_view(page, selector: str) -> bool:
    return page.evaluate(
        """s => { const r = document.querySelector(s).getBoundingClientRect();
                  return r.bottom > 0 && r.top < window.innerHeight; }""",
        selector,
    )


def test_click_a_number_then_its_passage(page, built_project: Path) -> None:
    report = built_project / "results/report.html"
    page.goto(report.as_uri())
    link = page.locator("#findings a.ref").nth(2)
    ref, shown = link.get_attribute("data-ref"), link.inner_text()
    link.click()
    page.wait_for_url(f"**#{ref}")
    assert page.evaluate("document.querySelector(':target').id") == ref
    assert in_view(page, f"[id='{ref}']")
    border = page.evaluate(f"getComputedStyle(document.getElementById('{ref}')).boxShadow")
    assert border != "none"  # :target styling applies
    assert page.locator(f"[id='{ref}'] h3 a.ref").inner_text() == shown
    page.locator(f"[id='{ref}'] a.viewer").click()
    page.wait_for_url(f"**/sources/*.html#{ref}")
    target = page.locator(":target")
    assert target.evaluate("e => e.tagName") == "MARK" and target.get_attribute("id") == ref
    assert target.is_visible() and in_view(page, f"[id='{ref}']")
    assert (
        page.evaluate("getComputedStyle(document.querySelector(':target')).outlineStyle") != "none"
    )
    assert not page.dialogs


def test_follow_a_derived_figure_to_its_inputs(page, built_project: Path) -> None:
    page.goto((built_project / "results/report.html").as_uri())
    link = page.locator("#derived td.num a.ref").first
    did = link.get_attribute("data-ref")
    link.click()
    page.wait_for_url(f"**#{did}")
    inputs = page.locator(f"[id='{did}'] ul.inputs a.ref")
    assert inputs.count() >= 2
    first = inputs.first.get_attribute("data-ref")
    inputs.first.click()
    page.wait_for_url(f"**#{first}")
    assert page.evaluate("document.querySelector(':target').id") == first
    assert in_view(page, f"[id='{first}']")


def test_screenshots_command_writes_pngs(built_project: Path, chromium: Path) -> None:
    proc = run_cli(built_project, "screenshots", "--chromium", str(chromium))
    assert proc.returncode == 0, proc.stderr
    shots = built_project / "results/screenshots"
    names = ("report.png", "findings.png", "chart.png", "provenance-entry.png", "source-viewer.png")
    for name in names:
        data = (shots / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy with hostile documents added through `figtrace add`, curated, then built."""
    return hostile.build_hostile_project(tmp_path_factory.mktemp("hostile") / "project")


@pytest.mark.parametrize(
    "target", ["report.html", *(f"sources/{doc_id}.html" for doc_id in hostile.DOCS)]
)
def test_hostile_document_does_not_execute(page, hostile_project: Path, target: str) -> None:
    page.goto((hostile_project / "results" / target).as_uri())
    page.wait_for_load_state("load")
    assert page.evaluate("window.__pwned") is None
    assert page.title() != "pwned" and "\u202e" not in page.title()
    assert not page.dialogs
    assert page.locator("script").count() == 0
    assert page.locator("img:not([src^='data:'])").count() == 0
    text = page.inner_text("body")
    assert "\u202e" not in text
    if target in ("report.html", "sources/hostile-page.html"):
        assert "<script>window.__pwned=4</script>Title" in text and "⟨RLO⟩" in text
    if target == "sources/hostile-page.html":
        assert "<script>document.title='pwned'" in text
        assert '<img src=x onerror="window.__pwned = 2; alert(2)">' in text
        assert "<!-- a comment -->" in text and "javascript:window.__pwned=3" in text
        assert page.locator("a[href^='javascript']").count() == 0
        page.hover("text=bold")
        assert not page.dialogs and page.evaluate("window.__pwned") is None


# --- the fact-check page of a writer's draft ---------------------------------------------------


@pytest.fixture(scope="module")
def factcheck_page(built_project: Path) -> Path:
    """A fact-check page of a draft with every verdict, written where the results are."""
    draft = ROOT / "tests/data/drafts/dev/02-nrm-figures.txt"
    out = built_project / "results/factcheck/nrm.html"
    proc = run_cli(built_project, "factcheck", str(draft), "--html", str(out))
    assert proc.returncode == 1, proc.stderr
    return out


def test_factcheck_number_to_panel_to_source(page, factcheck_page: Path, built_project) -> None:
    page.goto(factcheck_page.as_uri())
    assert page.locator("a.num").count() == 17
    number = page.locator("a.num.v-misquoted").first
    assert number.inner_text() == "767"
    number.click()
    target = page.locator(":target")
    assert target.get_attribute("data-verdict") == "misquoted"
    assert "677" in target.locator("mark").first.inner_text()
    assert target.locator("code.sha256").first.inner_text() == (
        "48f757be6b3910356c42358ad012dad3d0840c837de716d471aa9aeadb94745d"
    )
    shots = built_project / "results/screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "factcheck.png"))
    target.locator("a.viewer").first.click()
    page.wait_for_url("**/sources/merseyside-before-the-harm.html#mer-nrm-uk-child-referrals-2017")
    mark = page.locator(":target")
    assert mark.evaluate("e => e.tagName") == "MARK" and mark.inner_text() == "677"
    assert not page.dialogs


def test_factcheck_contested_names_its_check(page, factcheck_page: Path) -> None:
    page.goto(factcheck_page.as_uri())
    page.locator("a.num.v-contested").first.click()
    target = page.locator(":target")
    assert target.locator("code.id").nth(1).inner_text() == "more-than-doubled-change"
    assert "1.66" in target.locator("p.reason").inner_text()


def test_hostile_draft_does_not_execute(page, built_project: Path, tmp_path: Path) -> None:
    draft = tmp_path / "hostile.html"
    draft.write_text(
        "<html><body><p>&lt;script&gt;window.__pwned=1&lt;/script&gt; There were 677 British "
        "children referred.</p><p>&lt;img src=x onerror=alert(2)&gt; and \u202etxt.exe</p>"
        "<script>window.__pwned=3</script></body></html>",
        "utf-8",
    )
    out = tmp_path / "hostile-check.html"
    proc = run_cli(built_project, "factcheck", str(draft), "--html", str(out))
    assert proc.returncode == 0, proc.stdout  # the "1" of the script text is no misquote
    page.goto(out.as_uri())
    page.wait_for_load_state("load")
    assert page.evaluate("window.__pwned") is None and not page.dialogs
    assert page.locator("script").count() == 0 and page.locator("img").count() == 0
    text = page.inner_text("main")
    assert "<script>window.__pwned=1</script>" in text and "⟨RLO⟩" in text
