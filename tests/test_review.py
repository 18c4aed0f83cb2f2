"""The review page in a real browser (Debian's Chromium through Playwright): accept, edit,
exclude and skip candidates; errors from the build's checks; a file changed on disk; a hostile
document; requests without the token or from another origin."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from conftest import run_cli
from figtrace.review import open_review

pytestmark = pytest.mark.browser
DOC = "merseyside-before-the-harm"
HOSTILE = (
    "Hostile page <script>document.title='pwned'; window.__pwned = 1</script>\n"
    '<img src=x onerror="window.__pwned = 2"> <a href="javascript:window.__pwned=3">click</a>\n'
    '"><b onmouseover="window.__pwned=4">bold</b> {{ 7*7 }} \u202etxt.exe\u202c\n'
    "It says 41 children went missing from care in 2019.\n"
)
SHOTS = Path(os.environ.get("FIGTRACE_SHOTS", "")) if os.environ.get("FIGTRACE_SHOTS") else None


def annotated(project: Path, doc_id: str) -> Path:
    """A fresh `annotate` stub (with suggestions) for a document; its path."""
    path = project / "data/raw/annotations" / f"{doc_id}.yaml"
    path.unlink(missing_ok=True)
    proc = run_cli(project, "annotate", doc_id)
    assert proc.returncode == 0, proc.stderr
    return path


@pytest.fixture
def server(project: Path):
    path = annotated(project, DOC)
    srv = open_review(project / "data/raw", DOC)
    srv.start()
    yield srv, path
    srv.shutdown()
    srv.server_close()


def card(page, exact: str):
    return page.locator("section.card", has=page.locator(f'mark:text-is("{exact}")'))


def click(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def shot(page, name: str) -> None:
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=False)


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text("utf-8"))


def test_accept_edit_exclude_and_skip_write_the_file_back(page, server) -> None:
    srv, path = server
    page.goto(srv.url)
    assert srv.server_address[0] == "127.0.0.1"
    suggestion = next(
        c["suggestion"] for c in load(path)["candidates"] if c["anchor"]["exact"] == "2,118"
    )
    first = card(page, "2,118")  # the suggestion is filled in, its score and reason shown
    assert first.locator("input[name=figure_id]").input_value() == suggestion["figure_id"]
    assert first.locator("select[name=indicator]").input_value() == suggestion["indicator"]
    assert suggestion["because"] in first.inner_text()
    shot(page, "review-page.png")
    click(page, first.get_by_role("button", name="Accept suggestion"))
    assert f"accepted {suggestion['figure_id']}" in page.inner_text("#flash")
    data = load(path)
    assert [f["figure_id"] for f in data["figures"]] == [suggestion["figure_id"]]
    assert data["figures"][0]["anchor"]["exact"] == "2,118"
    assert path.read_text("utf-8").startswith(f"# Annotations for {DOC}.")
    assert card(page, "2,118").count() == 0

    # an edit that a build check refuses: the value disagrees with the span; nothing is written
    before = path.read_bytes()
    share = card(page, "41%")
    share.locator("input[name=value]").fill("42")
    click(page, share.get_by_role("button", name="Save as edited"))
    error = page.inner_text("#error")
    assert "the annotated value 42 disagrees with the span" in error
    assert path.read_bytes() == before
    shot(page, "review-error.png")
    # a bad id is refused by the schema, then a good edit is saved
    share = card(page, "41%")
    share.locator("input[name=figure_id]").fill("Not An Id")
    click(page, share.get_by_role("button", name="Save as edited"))
    assert "figure_id" in page.inner_text("#error") and path.read_bytes() == before
    share = card(page, "41%")
    share.locator("input[name=figure_id]").fill("mbt-child-share-41")
    share.locator("input[name=label]").fill("Children's share of referrals, edited")
    share.locator("select[name=indicator]").select_option("nrm-child-share-of-referrals")
    click(page, share.get_by_role("button", name="Save as edited"))
    assert "saved mbt-child-share-41 as edited" in page.inner_text("#flash")
    saved = load(path)["figures"][-1]
    assert saved["label"] == "Children's share of referrals, edited" and saved["value"] == 41

    # exclude with a reason and a category
    vague = card(page, "thousands")
    vague.locator("input[name=reason]").fill("A vague amount, not a statistic.")
    vague.locator("select[name=category]").select_option("vague")
    click(page, vague.get_by_role("button", name="Exclude"))
    excluded = load(path)["exclusions"]
    assert [(x["anchor"]["exact"], x["category"]) for x in excluded] == [("thousands", "vague")]

    # skip leaves the file alone and moves the card to the end, marked
    before = path.read_bytes()
    click(page, card(page, "677").get_by_role("button", name="Skip"))
    assert path.read_bytes() == before
    assert "skipped" in card(page, "677").get_attribute("class")
    assert page.locator("section.card").last.get_attribute("data-key") == card(
        page, "677"
    ).get_attribute("data-key")
    assert not page.dialogs


def test_a_file_changed_on_disk_is_not_overwritten(page, server) -> None:
    srv, path = server
    page.goto(srv.url)
    edited = path.read_text("utf-8") + "# a curator's note, added in an editor\n"
    path.write_text(edited, "utf-8")
    click(page, card(page, "2,118").get_by_role("button", name="Accept suggestion"))
    assert "changed on disk since this page was read" in page.inner_text("#error")
    assert path.read_text("utf-8") == edited
    assert load(path)["figures"] == []
    shot(page, "review-stale.png")
    # the page now shows the file as it is: the same action goes through
    click(page, card(page, "2,118").get_by_role("button", name="Accept suggestion"))
    assert path.read_text("utf-8").endswith("# a curator's note, added in an editor\n")
    assert [f["anchor"]["exact"] for f in load(path)["figures"]] == ["2,118"]


def test_a_hostile_document_is_shown_as_text(page, project: Path, tmp_path: Path) -> None:
    src = tmp_path / "hostile.txt"
    src.write_text(HOSTILE, "utf-8")
    proc = run_cli(
        project, "add", str(src), "--id", "hostile-page",
        "--title", "<script>window.__pwned=5</script>Title \u202eevil",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    path = annotated(project, "hostile-page")
    srv = open_review(project / "data/raw", "hostile-page")
    srv.start()
    try:
        page.goto(srv.url)
        page.wait_for_load_state("load")
        page.hover("text=bold")
        assert page.evaluate("window.__pwned") is None and page.title() != "pwned"
        assert page.locator("script").count() == 0 and page.locator("img").count() == 0
        assert page.locator("a[href^='javascript']").count() == 0
        text = page.inner_text("body")
        assert "<script>document.title='pwned'" in text and "{{ 7*7 }}" in text
        assert "<script>window.__pwned=5</script>Title" in text
        assert "⟨RLO⟩" in text and "\u202e" not in text
        shot(page, "review-hostile.png")
        # its one statistic can still be curated from the page
        c = card(page, "41")
        c.locator("input[name=figure_id]").fill("hostile-children-missing")
        c.locator("input[name=label]").fill("Children missing")
        c.locator("select[name=indicator]").select_option("unaccompanied-children-missing")
        c.locator("input[name=population]").fill("children")
        c.locator("input[name=geography]").fill("UK")
        c.locator("input[name=period]").fill("2019")
        click(page, c.get_by_role("button", name="Save as edited"))
        assert "saved hostile-children-missing" in page.inner_text("#flash")
        assert load(path)["figures"][0]["period"] == "2019"
        assert page.evaluate("window.__pwned") is None and not page.dialogs
    finally:
        srv.shutdown()
        srv.server_close()


def request(url: str, data: dict | None = None, headers: dict | None = None) -> int:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers or {})) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_requests_without_the_token_or_from_another_origin_are_refused(server) -> None:
    srv, path = server
    before = path.read_bytes()
    page_url = f"{srv.origin}/doc/{DOC}"
    assert request(srv.url) == 200
    assert request(page_url) == 403
    assert request(page_url + "?token=wrong") == 403
    assert request(srv.url, headers={"Host": "evil.example"}) == 403
    with urllib.request.urlopen(srv.url) as r:
        assert "script-src" not in r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in r.headers["Content-Security-Policy"]
        html = r.read().decode()
    sha = html.split('name="sha256" value="')[1].split('"')[0]
    key = html.split('data-key="')[1].split('"')[0]
    form = {"token": srv.review.token, "sha256": sha, "key": key, "action": "exclude",
            "reason": "r", "category": "vague"}  # fmt: skip
    assert request(page_url, {**form, "token": "wrong"}) == 403
    assert request(page_url, form, {"Origin": "https://evil.example"}) == 403
    assert request(page_url, form, {"Sec-Fetch-Site": "cross-site"}) == 403
    assert path.read_bytes() == before
    assert request(page_url, form, {"Origin": srv.origin}) == 200  # 303 to the page, followed
    assert path.read_bytes() != before


def test_without_a_document_the_page_lists_the_annotated_ones(project: Path) -> None:
    annotated(project, DOC)
    srv = open_review(project / "data/raw")
    srv.start()
    try:
        with urllib.request.urlopen(srv.url) as r:
            html = r.read().decode()
        assert f"/doc/{DOC}?token=" in html and "13 left" in html
        assert request(f"{srv.origin}/doc/no-such-doc?token={srv.review.token}") == 404
        assert request(f"{srv.origin}/../etc/passwd?token={srv.review.token}") == 404
    finally:
        srv.shutdown()
        srv.server_close()


def test_review_command_prints_a_local_url_with_its_token(project: Path) -> None:
    annotated(project, DOC)
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "figtrace", "review", DOC],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        url = line.split("open ", 1)[1].split()[0]
        assert url.startswith("http://127.0.0.1:") and "?token=" in url
        assert request(url) == 200 and request(url.split("?")[0]) == 403
    finally:
        proc.terminate()
        proc.wait(timeout=10)
