"""Draft: a writer's text to be checked against the ledger, read from Markdown, text, HTML or Word.

`read_draft` gives one plain text per draft (`Draft.text`) that the checker reads; every offset
the checker reports is an offset into it. For Markdown and plain text it is the file itself with
soft line breaks (a single newline inside a paragraph, and the next line's indent) read as one
space, and Markdown syntax that holds no prose (link targets, code, HTML tags, list numbers,
footnote labels, emphasis marks) blanked out; `Draft.source_offset` maps an offset back into
the file, so a footnote can be written into the writer's own Markdown. HTML and Word drafts
are read block by block (paragraphs, headings, list items, table cells), one blank line apart.
"""

from __future__ import annotations

import bisect
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from figtrace.errors import FigtraceError

FORMATS: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
}


@dataclass(frozen=True)
class Draft:
    """A draft as the checker reads it: `text`, and where each character came from."""

    path: Path
    format: str
    text: str
    source: str | None = None  # the file's own text (Markdown and plain text only)
    offsets: list[int] = field(default_factory=list, repr=False)  # text index -> source index

    def source_offset(self, index: int) -> int:
        """Where `text[index]` (or the end, for index == len(text)) sits in `source`."""
        if not self.offsets:
            return index
        return self.offsets[index]

    def where(self, index: int) -> str:
        """A place a writer can find: `line N` in a text file, `paragraph N` in HTML or Word."""
        if self.source is not None:
            return f"line {self.source.count(chr(10), 0, self.source_offset(index)) + 1}"
        starts = [0] + [m.end() for m in re.finditer(r"\n\n", self.text)]
        return f"paragraph {bisect.bisect_right(starts, index)}"


def read_draft(path: Path) -> Draft:
    """Read a draft by its extension; a clear FigtraceError for an unknown format, an empty
    file, text that is not UTF-8 or a Word file that cannot be opened."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        hint = " (save a .doc as .docx)" if path.suffix.lower() in (".doc", ".rtf", ".odt") else ""
        raise FigtraceError(
            f"{path}: unknown draft format {path.suffix or '(no extension)'!r}; give a file "
            f"ending in one of {known}{hint}."
        )
    if not path.is_file():
        raise FigtraceError(f"{path}: no such file.")
    data = path.read_bytes()
    if not data.strip():
        raise FigtraceError(f"{path}: the draft is empty; there is nothing to check.")
    if fmt == "docx":
        text = _docx_text(path)
        draft = Draft(path, fmt, text)
    elif fmt == "html":
        draft = Draft(path, fmt, html_text(data))
    else:
        try:
            source = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FigtraceError(
                f"{path}: not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x}); save the "
                "draft as UTF-8 and run again."
            ) from None
        source = source.replace("\r\n", "\n").replace("\r", "\n")
        masked = markdown_mask(source) if fmt == "markdown" else source
        text, offsets = join_soft_breaks(masked, source)
        draft = Draft(path, fmt, text, source, offsets)
    if not draft.text.strip():
        raise FigtraceError(f"{path}: the draft has no text to check (only markup or spaces).")
    return draft


# --- Markdown and plain text ---------------------------------------------------------------

_BLOCK_START = re.compile(r"[ \t]*(?:[-*+][ \t]|[0-9]{1,9}[.)][ \t]|#|>|\||```|~~~|\[\^)")
_MD_MASKS = [
    re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S),  # fenced code
    re.compile(r"`[^`\n]+`"),  # inline code
    re.compile(r"<!--.*?-->", re.S),  # comments
    re.compile(r"<[A-Za-z/!][^>\n]*>"),  # HTML tags and autolinks
    re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+.*$", re.M),  # link reference definitions
    re.compile(r"\[\^[^\]\n]+\]:?"),  # footnote labels
    re.compile(r"^[ \t]*[0-9]{1,9}[.)](?=[ \t])", re.M),  # ordered list numbers
]
_MD_LINK_TARGET = re.compile(r"\]\([^)\n]*\)|\]\[[^\]\n]*\]")
_MD_MARKS = re.compile(r"[*_`~#>|]+|!?\[")


def markdown_mask(source: str) -> str:
    """The Markdown with syntax that holds no prose blanked out, every offset kept."""
    chars = list(source)

    def blank(a: int, b: int) -> None:
        for i in range(a, b):
            if chars[i] != "\n":
                chars[i] = " "

    for pattern in _MD_MASKS:
        for m in pattern.finditer(source):
            blank(m.start(), m.end())
    for m in _MD_LINK_TARGET.finditer(source):
        blank(m.start(), m.end())
    masked = "".join(chars)
    return _MD_MARKS.sub(lambda m: " " * len(m.group(0)), masked)


def join_soft_breaks(masked: str, source: str) -> tuple[str, list[int]]:
    """Read a newline inside a paragraph (and the next line's indent) as one space.

    A newline stays where a blank line, a list item, a heading, a quote or a table row follows,
    or where the line before is a heading. Returns the text and, per character, its offset in
    the source (plus one entry for the end)."""
    out: list[str] = []
    offsets: list[int] = []
    i, n = 0, len(masked)
    while i < n:
        ch = masked[i]
        if ch == "\n":
            j = i + 1
            while j < n and masked[j] in " \t":
                j += 1
            line_start = source.rfind("\n", 0, i) + 1
            line = source[line_start:i].strip()
            blank_next = j >= n or masked[j] == "\n"
            if not (
                blank_next or not line or line.startswith("#") or _BLOCK_START.match(source, i + 1)
            ):
                out.append(" ")
                offsets.append(i)
                i = j
                continue
        out.append(ch)
        offsets.append(i)
        i += 1
    offsets.append(n)
    return "".join(out), offsets


# --- HTML ----------------------------------------------------------------------------------

_SKIP = {"script", "style", "noscript", "template", "head", "nav", "svg", "iframe", "object"}
_BLOCKS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "th", "dt", "dd",
    "figcaption", "caption", "div", "section", "article", "main", "header", "footer", "aside",
    "ul", "ol", "table", "tr", "dl", "figure", "body", "html", "address", "summary", "details",
}  # fmt: skip


def html_text(data: bytes) -> str:
    """The prose of an HTML draft: one paragraph per block element, whitespace collapsed;
    scripts, styles and navigation left out."""
    from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, Tag

    soup = BeautifulSoup(data, "lxml")
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = re.sub(r"[ \t\r\f\v\n\u00a0]+", " ", "".join(current)).strip()
        if text:
            paragraphs.append(text)
        current.clear()

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Comment | Declaration | Doctype):
                continue
            if isinstance(child, NavigableString):
                current.append(str(child))
            elif isinstance(child, Tag):
                name = child.name.lower()
                if name in _SKIP:
                    continue
                if name == "br":
                    current.append(" ")
                    continue
                block = name in _BLOCKS
                if block:
                    flush()
                walk(child)
                if block:
                    flush()

    walk(soup)
    flush()
    return "\n\n".join(paragraphs)


# --- Word ----------------------------------------------------------------------------------


def _docx_text(path: Path) -> str:
    """Paragraphs and table cells of a .docx, in document order, one blank line apart."""
    from docx import Document as open_docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    try:
        doc = open_docx(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, XMLSyntaxError, ValueError) as exc:
        raise FigtraceError(
            f"{path}: not a readable Word document ({type(exc).__name__}: {exc}); open it in "
            "Word or LibreOffice and save it again as .docx."
        ) from None
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    paragraphs: list[str] = []
    body = doc.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraphs.append(Paragraph(child, doc).text)
        elif tag == "tbl":
            for row in Table(child, doc).rows:
                for cell in row.cells:
                    paragraphs.extend(p.text for p in cell.paragraphs)
    cleaned = [re.sub(r"[ \t\u00a0]+", " ", p.replace("\n", " ")).strip() for p in paragraphs]
    return "\n\n".join(p for p in cleaned if p)
