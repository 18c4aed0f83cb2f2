"""Hostile source documents: web text, PDF metadata, a saved page and sidecar fields that try to
run script, inject attributes or hide text, added through `figtrace add` and curated into the
ledger like any document. Used by test_hostile.py (the markup) and test_browser.py (a browser)."""

from __future__ import annotations

import html
from pathlib import Path

import yaml
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from conftest import copy_project, run_cli, run_snakemake

TEXT = (
    "Hostile page <script>document.title='pwned'; window.__pwned = 1; alert(1)</script>\n"
    '<img src=x onerror="window.__pwned = 2; alert(2)"> and <a href="javascript:alert(3)">click</a>\n'
    "javascript:window.__pwned=3 as text. <!-- a comment --> <b onmouseover=alert(4)>bold</b>\n"
    "Reversed: \u202etxt.exe\u202c. It says 41 children went missing in 2019.\n"
)
TEXT_TITLE = "<script>window.__pwned=4</script>Title \u202eevil"
TEXT_PUBLISHER = '<img src=x onerror="window.__pwned=5">'
TEXT_URL = "https://example.org/?q=<script>alert(6)</script>&x=\"'><b>"

PDF_TITLE = '</title><script>window.__pwned=7</script>PDF "title" & more'
PDF_AUTHOR = "\"><img src=x onerror='window.__pwned=8'>"
PDF_LINES = [
    "A report page <script>window.__pwned=9</script> with markup in its words.",
    'It found 52 children "><svg onload=alert(10)> were referred.',
]

PAGE_TITLE = "\"><script>window.__pwned=11</script>Page 'title'"
PAGE_SITE = "<iframe src=javascript:alert(12)></iframe>Site"
PAGE_URL = 'https://example.org/page?a=1&b="><script>alert(13)</script>'
PAGE_BODY = "It says 63 children <script>window.__pwned=14</script> were found."

# Every untrusted string that reaches the report or a viewer, as text a reader must see intact.
SHOWN = [
    "<script>window.__pwned=4</script>Title",
    '<img src=x onerror="window.__pwned=5">',
    "<script>window.__pwned=7</script>PDF",
    "<script>window.__pwned=11</script>Page",
    "<iframe src=javascript:alert(12)></iframe>Site",
    "<script>window.__pwned=true</script>Children missing",
]
# doc_id -> the number curated into the ledger from it
DOCS = {"hostile-page": "41", "hostile-report": "52", "hostile-site": "63"}


def hostile_pdf(path: Path) -> Path:
    """A one-page PDF whose document information and words carry markup."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setTitle(PDF_TITLE)
    c.setAuthor(PDF_AUTHOR)
    c.setFont("Helvetica", 11)
    for i, line in enumerate(PDF_LINES):
        c.drawString(72, 760 - 16 * i, line)
    c.showPage()
    c.save()
    return path


def hostile_page(path: Path) -> Path:
    """A saved web page whose metadata (og tags, canonical link, JSON-LD) and text carry markup."""
    attr = html.escape  # the page itself is well formed: its attribute values say what they say
    path.write_text(
        f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>{html.escape(PAGE_TITLE)}</title>
<meta property="og:title" content="{attr(PAGE_TITLE)}">
<meta property="og:site_name" content="{attr(PAGE_SITE)}">
<link rel="canonical" href="{attr(PAGE_URL)}">
<script>window.__pwned = 15</script>
</head><body><main><article>
<h1 onclick="window.__pwned=16">{html.escape(PAGE_TITLE)}</h1>
<p onmouseover="window.__pwned=17">{html.escape(PAGE_BODY)}</p>
</article></main></body></html>
""",
        "utf-8",
    )
    return path


def _curate(project: Path, doc_id: str, number: str, figure_id: str, label: str) -> None:
    """Curate the candidate `number` of `doc_id` as a figure, the way a curator edits the stub."""
    assert run_cli(project, "annotate", doc_id).returncode == 0
    path = project / f"data/raw/annotations/{doc_id}.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    candidate = next(c for c in data["candidates"] if c["anchor"]["exact"] == number)
    data["candidates"].remove(candidate)
    data.setdefault("claimants", []).append(
        {
            "claimant_id": "page",
            "kind": "article",
            "name": "the page",
            "anchor": candidate["anchor"],
        }
    )
    data["figures"].append(
        {
            "figure_id": figure_id,
            "anchor": candidate["anchor"],
            "label": label,
            "indicator": "unaccompanied-children-missing",
            "value": int(number),
            "unit": "count",
            "qualifier": None,
            "population": "children",
            "geography": "UK",
            "period": "2019",
            "claimant": "page",
            "report_id": None,
        }
    )
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def build_hostile_project(dest: Path) -> Path:
    """A project copy with three hostile documents added, curated and built."""
    project = copy_project(dest)
    src = project.parent / "hostile.txt"
    src.write_text(TEXT, encoding="utf-8")
    added = [
        run_cli(project, "add", str(src), "--id", "hostile-page", "--title", TEXT_TITLE,
                "--publisher", TEXT_PUBLISHER, "--url", TEXT_URL),
        run_cli(project, "add", str(hostile_pdf(project.parent / "report.pdf")),
                "--id", "hostile-report"),
        run_cli(project, "add", str(hostile_page(project.parent / "page.html")),
                "--id", "hostile-site"),
    ]  # fmt: skip
    for proc in added:
        assert proc.returncode == 0, proc.stderr
    _curate(project, "hostile-page", "41", "hostile-children-missing",
            "<script>window.__pwned=true</script>Children missing")  # fmt: skip
    _curate(project, "hostile-report", "52", "hostile-report-children",
            "Referred <b onclick=alert(18)>children</b>")  # fmt: skip
    _curate(project, "hostile-site", "63", "hostile-site-children",
            "Found [children](javascript:alert(19)) `x` | a")  # fmt: skip
    run_snakemake(project, check=True)
    return project
