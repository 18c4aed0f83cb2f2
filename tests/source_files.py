"""Source files the tests build themselves: a report PDF, a saved news page, and broken variants.

The PDF is shaped like a real charity report: running header and footer with page numbers on
every page, a one-column first page with a table, two-column pages after it (the last
opening with a full-width paragraph), hyphenated line
ends, ligature glyphs (the ﬁ and ﬂ of Bitstream Vera, shipped with reportlab), a superscript
footnote marker right after a full stop, and a known statistic on page 3.
"""

from __future__ import annotations

import json
from pathlib import Path

import reportlab
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

VERA = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
WIDTH, HEIGHT = A4
LEFT, RIGHT_COL, COL_WIDTH = 72.0, 323.0, 200.0
HEADER = "Heading back to harm: interim findings"
FOOTER = "Example Trust, March 2016"
STATISTIC = "In 2015, 167 trafficked children went missing from care."
TITLE = "Heading back to harm"

# Page 1: one column. The paragraph's second line ends in a hyphen that splits "trafficking".
PAGE1 = [
    "This report sets out the \ufb01ndings of a year of research into the",
    "\ufb02ow of children through care. Children who were victims of traf-",
    "ficking were often placed in unsuitable accommodation.",
]
TABLE = [("Region", "2014", "2015"), ("North West", "120", "167"), ("London", "1,003", "1,215")]
# Page 2: two columns; the left column ends a line with "chil-" and carries a footnote marker.
PAGE2_LEFT = [
    "Local authorities told us that they",
    "had lost touch with many of the chil-",
    "dren in their care within a week.",
    "Some went missing within hours of",
    "being placed in care, often at night,",
]
PAGE2_LEFT_MARKED = ("and 28 of them were trafficked children.", "12")
PAGE2_RIGHT = [
    "Right column: the police were not",
    "always told when a child went missing,",
    "and return interviews were rare. Few",
    "areas shared information across the",
    "border with neighbouring counties.",
]
FOOTNOTE = "12 Freedom of information responses from 217 local authorities."
PAGE3_LEFT = [
    "Page three left column begins with a",
    "summary of what the police told us",
    "about the children they found again.",
]
PAGE4_INTRO = [
    "Recommendations. This page opens with a paragraph that runs across the whole width of the",
    "page, above two columns, the way a chapter opening often does in a printed report.",
]
PAGE4_LEFT = [
    "First, every trafficked child should",
    "have an independent guardian from",
    "the day they are identified.",
]
PAGE4_RIGHT = [
    "Second, local authorities should",
    "share return interviews with the",
    "police within 72 hours.",
]
PAGE3_RIGHT = [
    "The figures are stark.",
    STATISTIC,
    "Most of them were never found again.",
]


def _font() -> str:
    if "Vera" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("Vera", str(VERA)))
    return "Vera"


def _furniture(c: canvas.Canvas, page: int) -> None:
    c.setFont(_font(), 8)
    c.drawCentredString(WIDTH / 2, HEIGHT - 40, HEADER)
    c.drawString(LEFT, 40, FOOTER)
    c.drawRightString(WIDTH - LEFT, 40, str(page))


def _lines(c: canvas.Canvas, x: float, y: float, lines: list[str], size: float = 10) -> float:
    c.setFont(_font(), size)
    for line in lines:
        c.drawString(x, y, line)
        y -= size * 1.4
    return y


def build_report_pdf(path: Path, *, encrypt: str | None = None, right_first: bool = False) -> Path:
    """Write the four-page, partly two-column report PDF to `path`.

    `right_first` draws each right column before its left column, so the content stream's
    order differs from the reading order (as in many real PDFs); the pages look the same.
    """
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1, encrypt=encrypt)
    c.setTitle(TITLE)
    c.setAuthor("Example Trust")
    # page 1
    _furniture(c, 1)
    c.setFont(_font(), 18)
    c.drawString(LEFT, HEIGHT - 100, TITLE)
    y = _lines(c, LEFT, HEIGHT - 140, PAGE1)
    y -= 20
    c.setFont(_font(), 10)
    for row in TABLE:
        for x, cell in zip((LEFT, 300, 400), row, strict=True):
            c.drawString(x, y, cell)
        y -= 16
    c.showPage()
    # page 2: two columns, a superscript footnote marker, a footnote
    _furniture(c, 2)
    top = HEIGHT - 100
    if right_first:
        _lines(c, RIGHT_COL, top, PAGE2_RIGHT)
    y = _lines(c, LEFT, top, PAGE2_LEFT)
    text, marker = PAGE2_LEFT_MARKED
    c.setFont(_font(), 10)
    c.drawString(LEFT, y, text)
    c.setFont(_font(), 6)
    c.drawString(LEFT + pdfmetrics.stringWidth(text, _font(), 10), y + 4, marker)
    if not right_first:
        _lines(c, RIGHT_COL, top, PAGE2_RIGHT)
    _lines(c, LEFT, 80, [FOOTNOTE], size=7)
    c.showPage()
    # page 3: two columns, the known statistic in the right column
    _furniture(c, 3)
    for x, lines in sorted([(LEFT, PAGE3_LEFT), (RIGHT_COL, PAGE3_RIGHT)], reverse=right_first):
        _lines(c, x, top, lines)
    c.showPage()
    # page 4: a full-width opening paragraph above two columns
    _furniture(c, 4)
    y = _lines(c, LEFT, top, PAGE4_INTRO) - 10
    for x, lines in sorted([(LEFT, PAGE4_LEFT), (RIGHT_COL, PAGE4_RIGHT)], reverse=right_first):
        _lines(c, x, y, lines)
    c.showPage()
    c.save()
    return path


def build_scanned_pdf(path: Path) -> Path:
    """A PDF whose only page is a picture of text: no text layer, as from a scanner."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setFillGray(0.2)
    for i in range(20):
        c.rect(LEFT, HEIGHT - 100 - i * 14, 300 + (i % 3) * 40, 8, stroke=0, fill=1)
    c.showPage()
    c.save()
    return path


NEWS_META = {
    "title": "167 trafficked children went missing from care",
    "site": "The Example Herald",
    "published": "2016-11-15T07:30:00+00:00",
    "url": "https://herald.example/news/2016/nov/15/trafficked-children-missing",
    "author": "Jo Reporter",
}


def news_page(*, charset: str = "utf-8", json_ld: bool = True, og: bool = True) -> str:
    """A saved news page: meta tags, JSON-LD, nav, cookie banner, share bar, related links."""
    m = NEWS_META
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": m["title"],
        "datePublished": m["published"],
        "author": {"@type": "Person", "name": m["author"]},
        "publisher": {"@type": "Organization", "name": m["site"]},
    }
    og_tags = (
        f'<meta property="og:title" content="{m["title"]}">\n'
        f'<meta property="og:site_name" content="{m["site"]}">\n'
        f'<meta property="og:url" content="{m["url"]}">\n'
        f'<meta property="article:published_time" content="{m["published"]}">\n'
        if og
        else ""
    )
    ld_tag = f'<script type="application/ld+json">{json.dumps(ld)}</script>\n' if json_ld else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="{charset}">
<title>{m["title"]} | {m["site"]}</title>
{og_tags}<meta name="author" content="{m["author"]}">
<link rel="canonical" href="{m["url"]}">
{ld_tag}<style>body {{ font-family: serif; }} .n {{ content: "999 children"; }}</style>
<script>var tracking = {{"visitors": 4521}};</script>
</head>
<body>
<div id="cookie-banner" class="cookie-consent">We use 14 cookies. <button>Accept all</button></div>
<header class="site-header"><a href="/">The Example Herald</a> <span>Tuesday 15 November 2016</span></header>
<nav><ul><li><a href="/news">News</a></li><li><a href="/sport">Top 10 sport</a></li></ul></nav>
<main>
<article>
<header><h1>{m["title"]}</h1><p class="byline">By {m["author"]}</p><p class="meta">3 min read</p></header>
<div class="share-bar"><a href="#">Share</a> <span class="share-count">1.2k shares</span></div>
<p>A total of 167 children who were identified as trafficked went missing from care in 2015, a report says.</p>
<p>Heading back to harm, by ECPAT UK and Missing People, found that 28% of trafficked children went missing at least once.</p>
<p>The charities said 1 in 6 &amp; more were never found.</p>
<table><tr><th>Year</th><th>Missing</th></tr><tr><td>2014</td><td>120</td></tr><tr><td>2015</td><td>167</td></tr></table>
<section class="related-articles"><h2>Related</h2><ul>
<li><a href="/a">Police find 12 children in raid</a></li>
<li><a href="/b">Council admits 40 missing</a></li></ul></section>
</article>
</main>
<aside><p>Most read: 5 things to know</p></aside>
<footer><p>&copy; 2016 The Example Herald. 100 years of news.</p></footer>
</body>
</html>
"""
