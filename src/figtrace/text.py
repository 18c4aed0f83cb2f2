"""Canonical text: the one text every document is read as, and the map from its offsets to the source.

Plain text is the UTF-8-decoded file itself. A PDF is read the way a reader sees it (pdfplumber
words, reading order across two columns, line-end hyphenation joined but a compound such as
"well-known" kept whole, ligatures unfolded, superscript footnote markers kept apart) and each
word maps to its page and bounding box. An
HTML page loses scripts, styles, navigation, page-level header/footer/aside and cookie banners,
and each text node maps to its element path. What stays in the text but is not the author's
prose (running headers, page numbers, share counts, reading times, related links) is listed as
`Furniture` so later stages can label it boilerplate.
"""

from __future__ import annotations

import codecs
import functools
import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from figtrace.errors import FigtraceError

if TYPE_CHECKING:  # pandas is imported where a table is built: Snakemake imports this module
    import pandas as pd  # (through figtrace.documents) at every start, and pandas costs ~0.3 s.

MEDIA_TYPES = {
    ".txt": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
}
PAGE_BREAK = "\f"


@dataclass(frozen=True)
class SourceSpan:
    """Characters [start, end) of the canonical text and where they are in the raw file."""

    start: int
    end: int
    page: int | None = None
    x0: float | None = None
    top: float | None = None
    x1: float | None = None
    bottom: float | None = None
    element_path: str | None = None


@dataclass(frozen=True)
class Furniture:
    """Characters [start, end) that are page furniture, not the author's text, and why."""

    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class Location:
    """Where a character range of the canonical text is in the source: pages, boxes, elements."""

    pages: tuple[int, ...]
    boxes: tuple[tuple[int, float, float, float, float], ...]
    element_paths: tuple[str, ...]

    @property
    def page(self) -> int | None:
        """The first page the range is on (None for HTML and plain text)."""
        return self.pages[0] if self.pages else None

    @property
    def element_path(self) -> str | None:
        """The first element the range is in (None for PDF and plain text)."""
        return self.element_paths[0] if self.element_paths else None


@dataclass(frozen=True)
class CanonicalText:
    """A document's canonical text, its source spans in text order, and its furniture."""

    text: str
    spans: tuple[SourceSpan, ...] = ()
    furniture: tuple[Furniture, ...] = ()

    def locate(self, start: int, end: int) -> Location:
        """Where characters [start, end) come from; see `locate`."""
        return locate(self, start, end)

    def furniture_at(self, start: int, end: int) -> list[Furniture]:
        """The furniture overlapping characters [start, end)."""
        return [f for f in self.furniture if f.start < end and start < f.end]


def locate(canonical: CanonicalText, start: int, end: int) -> Location:
    """The pages, bounding boxes (page, x0, top, x1, bottom) and element paths of [start, end)."""
    if not 0 <= start <= end <= len(canonical.text):
        raise FigtraceError(
            f"characters {start}-{end} are outside the text ({len(canonical.text)} characters)."
        )
    hits = [s for s in canonical.spans if s.start < max(end, start + 1) and start < s.end]
    pages: list[int] = []
    paths: list[str] = []
    boxes = []
    for span in hits:
        if span.page is not None and span.page not in pages:
            pages.append(span.page)
        if span.element_path is not None and span.element_path not in paths:
            paths.append(span.element_path)
        if span.x0 is not None:
            boxes.append((span.page, span.x0, span.top, span.x1, span.bottom))
    return Location(tuple(pages), tuple(boxes), tuple(paths))


# --- what a file is ---------------------------------------------------------------------------


def media_type_for(path: Path) -> str:
    """The media type a file's extension claims; unsupported extensions are an error."""
    suffix = Path(path).suffix.lower()
    if suffix not in MEDIA_TYPES:
        raise FigtraceError(
            f"{path}: unsupported file type {suffix or '(none)'}; supported: "
            + ", ".join(sorted(MEDIA_TYPES))
        )
    return MEDIA_TYPES[suffix]


_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def sniff(data: bytes) -> str:
    """What the bytes are, from their first bytes: application/pdf, text/html, binary or text/plain."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "application/pdf"
    start = head
    for bom in _BOMS:
        if start.startswith(bom):
            start = start[len(bom) :]
            break
    start = start.lstrip().lower()
    if re.match(rb"<(!doctype\s+html|html|head|body|meta|title|!--|\?xml)", start):
        return "text/html"
    if b"\x00" in head and not data.startswith(_BOMS[1:]):
        return "binary"
    return "text/plain"


_NAMES = {"application/pdf": "a PDF", "text/html": "HTML", "text/plain": "plain text"}
_SUFFIX = {"application/pdf": ".pdf", "text/html": ".html", "text/plain": ".txt"}


def check_content(path: Path, media_type: str, data: bytes) -> None:
    """Refuse bytes whose content is not what the extension or sidecar says (magic-byte sniffing)."""
    found = sniff(data)
    if found == media_type or (
        media_type == "text/html" and found == "text/plain" and b"<" in data[:4096]
    ):
        return
    first = data[:8]
    if found == "binary":
        what, fix = "binary data, not a document", "check that this is the file you meant"
    else:
        what = _NAMES[found]
        fix = f"rename it to {_SUFFIX[found]} (or set media_type: {found}) and add it again"
    raise FigtraceError(
        f"{path}: named as {_NAMES[media_type]} but its content is {what} "
        f"(it starts with {first!r}); {fix}."
    )


def check_document(path: Path, media_type: str, data: bytes) -> None:
    """Cheap checks run whenever documents are verified: content sniffing, UTF-8, readable PDF."""
    check_content(path, media_type, data)
    if media_type == "text/plain":
        decode_utf8(path, data)
    elif media_type == "text/html":
        decode_html(path, data)
    elif media_type == "application/pdf":
        with _open_pdf(path, data) as pdf:
            _guard_pdf(path, lambda: len(pdf.pages))


def decode_utf8(path: Path, data: bytes) -> str:
    """Decode raw bytes as UTF-8, strictly; the error names the byte offset and the fix."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FigtraceError(
            f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start}). "
            "Re-save the document as UTF-8 and add it again with `python -m figtrace add`."
        ) from None


# --- canonical text ---------------------------------------------------------------------------


def canonical_text(path: Path, media_type: str) -> CanonicalText:
    """Read `path` as its media type and return its canonical text with the source map."""
    path = Path(path)
    data = path.read_bytes()
    check_content(path, media_type, data)
    if media_type == "text/plain":
        return CanonicalText(decode_utf8(path, data))
    if media_type == "text/html":
        return _html_text(path, data)
    if media_type == "application/pdf":
        return _pdf_text(path, data)
    raise FigtraceError(
        f"{path}: media_type {media_type!r} has no reader; use .txt, .html or .pdf."
    )


@functools.lru_cache(maxsize=16)
def cached_canonical_text(path: str, media_type: str, sha256: str) -> CanonicalText:
    """`canonical_text`, remembered per (path, media type, pinned hash) within one process."""
    return canonical_text(Path(path), media_type)


# --- PDF ----------------------------------------------------------------------------------------


def _open_pdf(path: Path, data: bytes):
    import pdfplumber

    if b"%%EOF" not in data[-2048:]:
        raise FigtraceError(
            f"{path}: the PDF is truncated (no %%EOF end marker; {len(data)} bytes). "
            "Download or export the file again and add the complete copy."
        )
    return _guard_pdf(path, lambda: pdfplumber.open(path))


def _guard_pdf(path: Path, action):
    """Run a pdfplumber action, turning pdfminer's failures into messages a user can act on."""
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        return action()
    except PdfminerException as exc:
        inner = exc.args[0] if exc.args else exc
        if isinstance(inner, PDFPasswordIncorrect | PDFEncryptionError):
            raise FigtraceError(
                f"{path}: the PDF is encrypted (password-protected), so its text cannot be read. "
                "Open it with the password, save an unencrypted copy, and add that instead."
            ) from None
        raise _corrupt(path, inner) from None
    except FigtraceError:
        raise
    except Exception as exc:  # pdfminer raises many unrelated types for broken files
        raise _corrupt(path, exc) from None


def _corrupt(path: Path, exc: BaseException) -> FigtraceError:
    detail = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    return FigtraceError(
        f"{path}: the PDF is corrupt and cannot be parsed ({detail}). "
        "Download or export the file again, or re-save it from a PDF viewer, and add that copy."
    )


@dataclass
class _Word:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    markers: list[_Word]


@dataclass
class _Line:
    words: list[_Word]
    reason: str | None = None  # furniture reason for the whole line

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def size(self) -> float:
        return statistics.median(w.size for w in self.words)


_PAGE_NUMBER = re.compile(r"^(page\s+)?(\d{1,4}|[ivxlc]{1,6})(\s+(of|/)\s+\d{1,4})?$", re.I)
MARGIN = 0.1  # running headers and footers live in the top and bottom tenth of a page


def _page_words(page) -> list[_Word]:
    """pdfplumber words (ligatures expanded; a change of font size splits a word), markers apart."""
    raw = page.extract_words(extra_attrs=["size"], expand_ligatures=True, use_text_flow=False)
    words = [_Word(w["text"], w["x0"], w["top"], w["x1"], w["bottom"], w["size"], []) for w in raw]
    biggest = max((w.size for w in words), default=0)
    small = {id(w) for w in words if w.text.isdigit() and w.size <= 0.8 * biggest}
    keep: list[_Word] = []
    for word in words:
        host = None
        if id(word) in small:  # a raised, smaller number right after a word: a footnote marker
            host = next(
                (
                    v
                    for v in words
                    if word.size <= 0.8 * v.size
                    and abs(word.x0 - v.x1) < 1.5
                    and v.top - 1 <= word.top
                    and word.bottom < v.bottom - 0.2 * v.size
                ),
                None,
            )
        if host is not None:
            host.markers.append(word)
        else:
            keep.append(word)
    return keep


def _raw_lines(words: list[_Word]) -> list[_Line]:
    """Words sharing a baseline, left to right (both columns of a two-column page together)."""
    lines: list[_Line] = []
    for word in sorted(words, key=lambda w: (w.bottom, w.x0)):
        if lines and abs(lines[-1].words[-1].bottom - word.bottom) <= 0.25 * word.size:
            lines[-1].words.append(word)
        else:
            lines.append(_Line([word]))
    for line in lines:
        line.words.sort(key=lambda w: w.x0)
    return lines


def _segments(line: _Line) -> list[list[_Word]]:
    """A line cut at wide gaps: table cells, or the two halves of a two-column line."""
    parts = [[line.words[0]]]
    for prev, word in zip(line.words, line.words[1:], strict=False):
        if word.x0 - prev.x1 > 1.5 * max(prev.size, word.size):
            parts.append([word])
        else:
            parts[-1].append(word)
    return parts


def _furniture_key(words: list[_Word]) -> str:
    return re.sub(r"\d+", "#", " ".join(w.text for w in words)).lower()


def _mark_running_furniture(pages: list[tuple[Any, list[_Line]]]) -> None:
    """Lines in the top/bottom margin that repeat across pages, or are page numbers, are furniture."""
    counts: dict[tuple[str, str], int] = {}
    for page, lines in pages:
        seen = set()
        for line in lines:
            zone = _zone(page, line)
            if zone:
                for seg in _segments(line):
                    seen.add((zone, _furniture_key(seg)))
        for key in seen:
            counts[key] = counts.get(key, 0) + 1
    needed = max(2, (len(pages) + 1) // 2)
    for page, lines in pages:
        for line in lines:
            zone = _zone(page, line)
            if not zone:
                continue
            segs = _segments(line)
            numbers = [s for s in segs if _PAGE_NUMBER.match(" ".join(w.text for w in s))]
            repeated = [s for s in segs if counts.get((zone, _furniture_key(s)), 0) >= needed]
            if len(numbers) + len(repeated) and all(s in numbers or s in repeated for s in segs):
                line.reason = "page number" if len(numbers) == len(segs) else f"running {zone}"
                if numbers and len(numbers) < len(segs):
                    line.reason = f"running {zone} and page number"


def _zone(page, line: _Line) -> str | None:
    if line.bottom <= page.height * MARGIN:
        return "header"
    if line.top >= page.height * (1 - MARGIN):
        return "footer"
    return None


def _gutter(page, lines: list[_Line]) -> float | None:
    """The x of a two-column page's gutter: a vertical strip in the middle that body text avoids."""
    segs = [s for line in lines for s in _segments(line)]
    if len(segs) < 6:
        return None
    lo, hi = int(page.width * 0.25), int(page.width * 0.75)
    cover = [0] * (hi - lo)
    for seg in segs:
        for x in range(max(lo, int(seg[0].x0)), min(hi, int(seg[-1].x1) + 1)):
            cover[x - lo] += 1
    fewest = min(cover)
    if fewest > len(segs) // 4:  # a few full-width lines (a title, an intro) may cross it
        return None
    best, best_len, run_start = None, 0, None
    for i, count in enumerate([*cover, fewest + 1]):
        if count == fewest:
            run_start = i if run_start is None else run_start
            continue
        if run_start is not None and i - run_start > best_len:
            best, best_len = lo + (run_start + i) / 2, i - run_start
        run_start = None
    if best is None or best_len < 8:
        return None
    left = [s for s in segs if s[-1].x1 <= best]
    right = [s for s in segs if s[0].x0 >= best]
    if len(left) < 3 or len(right) < 3:
        return None
    # Columns of prose fill most of their width; a table's first column does not.
    margin = min(s[0].x0 for s in left)
    widths = [s[-1].x1 - s[0].x0 for s in left]
    if statistics.median(widths) < 0.5 * (best - margin):
        return None
    return best


def _reading_order(page, lines: list[_Line]) -> list[_Line]:
    """Header lines, then body lines (left column before right between full-width lines),
    then small-type footnotes, then footer lines."""
    head = [ln for ln in lines if ln.reason and _zone(page, ln) == "header"]
    foot = [ln for ln in lines if ln.reason and _zone(page, ln) == "footer"]
    body = [ln for ln in lines if not ln.reason]
    if not body:
        return head + foot
    body_size = statistics.median(w.size for ln in body for w in ln.words)
    main_bottom = max(ln.bottom for ln in body if ln.size >= 0.9 * body_size)
    notes = [ln for ln in body if ln.size < 0.85 * body_size and ln.top > main_bottom]
    body = [ln for ln in body if ln not in notes]
    gutter = _gutter(page, body)
    if gutter is None:
        return head + body + notes + foot
    ordered: list[_Line] = []
    left: list[_Line] = []
    right: list[_Line] = []
    for line in body:
        if any(seg[0].x0 < gutter < seg[-1].x1 for seg in _segments(line)):
            ordered += left + right + [line]
            left, right = [], []
            continue
        lw = [w for w in line.words if w.x1 <= gutter]
        rw = [w for w in line.words if w.x0 >= gutter]
        if lw:
            left.append(_Line(lw))
        if rw:
            right.append(_Line(rw))
    return head + ordered + left + right + notes + foot


class _Builder:
    """Accumulates canonical text with its spans and furniture."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.spans: list[SourceSpan] = []
        self.furniture: list[Furniture] = []

    def add(self, text: str, span: SourceSpan | None = None) -> tuple[int, int]:
        start = self.pos
        self.parts.append(text)
        self.pos += len(text)
        if span is not None and text:
            self.spans.append(
                SourceSpan(
                    start,
                    self.pos,
                    span.page,
                    span.x0,
                    span.top,
                    span.x1,
                    span.bottom,
                    span.element_path,
                )  # fmt: skip
            )
        return start, self.pos

    def text(self) -> str:
        return "".join(self.parts)

    def result(self) -> CanonicalText:
        furniture = sorted(self.furniture, key=lambda f: (f.start, f.end, f.reason))
        return CanonicalText(self.text(), tuple(self.spans), tuple(furniture))


def _box(page_no: int, w: _Word) -> SourceSpan:
    return SourceSpan(0, 0, page_no, round(w.x0, 2), round(w.top, 2), round(w.x1, 2),
                      round(w.bottom, 2))  # fmt: skip


_HYPHEN_END = re.compile(r"[^\W\d_]-$")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# First parts that British English always joins with a hyphen ("self-harm", "well-being").
_HYPHENATED_PREFIXES = frozenset({"self", "well", "ex"})


def _vocabulary(pages: list[tuple[Any, list[_Line]]]) -> set[str]:
    """Every word of the document, lower-cased, hyphenated compounds whole."""
    return {
        token
        for _, lines in pages
        for line in lines
        for word in line.words
        for token in _WORD.findall(word.text.lower())
    }


def _keeps_hyphen(head: str, tail: str, vocabulary: set[str]) -> bool:
    """Whether a line-end hyphen ("well-" then "known") belongs to a compound, not to the line
    break ("traf-" then "ficking"): the document writes the compound with a hyphen elsewhere and
    never without, or its first part is one that is always hyphenated."""
    first = re.search(r"([^\W\d_]+)-$", head)
    rest = _WORD.match(tail)
    if first is None or rest is None:
        return False
    a, b = first.group(1).lower(), rest.group(0).lower()
    if f"{a}{b}" in vocabulary:
        return False
    return f"{a}-{b}" in vocabulary or a in _HYPHENATED_PREFIXES


def _pdf_text(path: Path, data: bytes) -> CanonicalText:
    with _open_pdf(path, data) as pdf:
        pages = _guard_pdf(path, lambda: [(p, _raw_lines(_page_words(p))) for p in pdf.pages])
        if not any(lines for _, lines in pages):
            raise FigtraceError(
                f"{path}: the PDF has no text layer on any of its {len(pages)} page(s) "
                "(probably a scanned image). OCR is needed first; figtrace does not guess text "
                "from images. Run OCR (e.g. `ocrmypdf in.pdf out.pdf`) and add the OCR'd PDF."
            )
        _mark_running_furniture(pages)
        vocabulary = _vocabulary(pages)
        out = _Builder()
        for number, (page, lines) in enumerate(pages, start=1):
            if number > 1:
                out.add(PAGE_BREAK)
            _emit_page(out, number, _reading_order(page, lines), vocabulary)
    return out.result()


def _emit_page(out: _Builder, number: int, lines: list[_Line], vocabulary: set[str]) -> None:
    markers_on_page: set[str] = set()
    prev: _Line | None = None
    joined = False  # the previous line ended in a hyphen that this line completes
    for i, line in enumerate(lines):
        if prev is not None and not joined:
            gap = line.top - prev.bottom
            wide = gap > 0.8 * prev.size or gap < -prev.size  # a paragraph gap, or a new column
            out.add("\n\n" if wide or line.reason or prev.reason else "\n")
        start = out.pos
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        joined_next = (
            nxt is not None
            and not line.reason
            and not nxt.reason
            and _HYPHEN_END.search(line.words[-1].text) is not None
            and nxt.words[0].text[:1].islower()
        )
        for j, word in enumerate(line.words):
            if j:
                gap = word.x0 - line.words[j - 1].x1
                out.add("\t" if gap > 1.5 * max(word.size, line.words[j - 1].size) else " ")
            text = word.text
            if (
                joined_next
                and j == len(line.words) - 1
                and not word.markers
                and not _keeps_hyphen(text, nxt.words[0].text, vocabulary)
            ):
                text = text[:-1]
            if j == 0 and not line.reason and text.isdigit() and text in markers_on_page:
                s, e = out.add(text, _box(number, word))
                out.furniture.append(Furniture(s, e, "footnote marker"))
                continue
            out.add(text, _box(number, word))
            for marker in word.markers:
                out.add(" ")
                s, e = out.add(marker.text, _box(number, marker))
                out.furniture.append(Furniture(s, e, "footnote marker"))
                markers_on_page.add(marker.text)
        if line.reason:
            out.furniture.append(Furniture(start, out.pos, line.reason))
        prev, joined = line, joined_next


def pdf_metadata(path: Path) -> dict[str, str]:
    """Title and author from the PDF's document information (never its creation date)."""
    data = Path(path).read_bytes()
    with _open_pdf(path, data) as pdf:
        info = pdf.metadata or {}
    found = {}
    for key, name in (("Title", "title"), ("Author", "author")):
        value = info.get(key)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str) and value.strip() and value.strip().lower() != "untitled":
            found[name] = value.strip()
    return found


# --- HTML ---------------------------------------------------------------------------------------

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)


def decode_html(path: Path, data: bytes) -> str:
    """HTML bytes as text: BOM, else the declared charset (strictly), else UTF-8, else detected."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            return data.decode(codec)
    match = _META_CHARSET.search(data[:4096])
    if match:
        declared = match.group(1).decode("ascii")
        try:
            codecs.lookup(declared)
        except LookupError:
            raise FigtraceError(
                f"{path}: the page declares charset {declared!r}, which is not a known encoding. "
                "Re-save the page as UTF-8 (and fix its <meta charset>) and add it again."
            ) from None
        try:
            return data.decode(declared)
        except UnicodeDecodeError as exc:
            raise FigtraceError(
                f"{path}: the page declares charset {declared!r} but is not valid {declared} "
                f"({exc.reason} at byte {exc.start}). Re-save the page as UTF-8 and add it again."
            ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise FigtraceError(
            f"{path}: the page declares no charset, is not UTF-8, and its encoding could not be "
            "determined. Re-save the page as UTF-8 and add it again."
        )
    return data.decode(best.encoding)


DROP_TAGS = {"script", "style", "noscript", "template", "nav", "aside", "iframe", "svg", "canvas",
             "button", "form", "select", "input", "head", "object", "embed"}  # fmt: skip
PAGE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog"}
BLOCK_TAGS = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6",
              "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "blockquote", "figure",
              "figcaption", "header", "footer", "pre", "dl", "dt", "dd", "address", "hr",
              "caption", "details", "summary", "body"}  # fmt: skip
LINE_TAGS = {"li", "tr", "dt", "dd"}
_COOKIE = re.compile(r"cookie|consent|gdpr|cmp-", re.I)
_FURNITURE_CLASS = [
    (re.compile(r"share|social", re.I), "share bar"),
    (re.compile(r"related|recommend|read-?next|more-?stories|teaser|most-?read", re.I), "related links"),
    (re.compile(r"newsletter|signup|subscribe", re.I), "newsletter sign-up"),
    (re.compile(r"advert|\bads?\b|sponsor|promo", re.I), "advertisement"),
    (re.compile(r"byline|dateline|timestamp|article-meta", re.I), "byline"),
]  # fmt: skip
_FURNITURE_TEXT = [
    (re.compile(r"\b\d+\s*(?:min|minute)s?\s+read\b", re.I), "reading time"),
    (re.compile(r"\b\d[\d.,]*\s*[kKmM]?\s+(?:shares?|comments?|likes?|views?)\b"), "share count"),
]


def _attrs(tag) -> str:
    return " ".join([tag.get("id") or "", *(tag.get("class") or [])])


def _dropped(tag) -> bool:
    if tag.name in DROP_TAGS or (tag.get("role") or "").lower() in PAGE_ROLES:
        return True
    if tag.has_attr("hidden") or _COOKIE.search(_attrs(tag)):
        return True
    # A page-level header or footer (site masthead, copyright) goes; an article's own header stays.
    return tag.name in {"header", "footer"} and tag.find_parent(["article", "main"]) is None


def _element_path(tag, cache: dict[int, str]) -> str:
    key = id(tag)
    if key not in cache:
        parent = tag.parent
        if parent is None or parent.name == "[document]":
            cache[key] = tag.name
        else:
            same = [c for c in parent.find_all(tag.name, recursive=False)]
            step = f"{tag.name}[{same.index(tag) + 1}]" if len(same) > 1 else tag.name
            cache[key] = f"{_element_path(parent, cache)}/{step}"
    return cache[key]


def _html_soup(path: Path, data: bytes):
    from bs4 import BeautifulSoup

    return BeautifulSoup(decode_html(path, data), "lxml")


def _html_text(path: Path, data: bytes) -> CanonicalText:
    from bs4 import CData, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction

    skip_strings = (Comment, CData, Declaration, Doctype, ProcessingInstruction)
    soup = _html_soup(path, data)
    root = soup.body or soup
    out = _Builder()
    paths: dict[int, str] = {}
    state = {"break": "", "space": False}

    def brk(sep: str) -> None:
        if out.pos and len(sep) > len(state["break"]):
            state["break"] = sep

    def walk(node) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if isinstance(child, skip_strings):
                    continue
                text = re.sub(r"\s+", " ", str(child))
                core = text.strip(" ")
                if not core:
                    state["space"] = state["space"] or bool(text)
                    continue
                if state["break"]:
                    out.add(state["break"])
                elif out.pos and (state["space"] or text.startswith(" ")):
                    out.add(" ")
                state["break"], state["space"] = "", text.endswith(" ")
                out.add(core, SourceSpan(0, 0, element_path=_element_path(child.parent, paths)))
                continue
            if getattr(child, "name", None) is None or _dropped(child):
                continue
            name = child.name
            if name == "br":
                brk("\n")
                continue
            if name in {"td", "th"} and child.find_previous_sibling(["td", "th"]) is not None:
                brk("\t")
            sep = "\n" if name in LINE_TAGS else "\n\n" if name in BLOCK_TAGS else ""
            if sep:
                brk(sep)
            first_span = len(out.spans)
            walk(child)
            if sep:
                brk(sep)
            reason = next((r for rx, r in _FURNITURE_CLASS if rx.search(_attrs(child))), None)
            if reason and len(out.spans) > first_span:
                out.furniture.append(
                    Furniture(out.spans[first_span].start, out.spans[-1].end, reason)
                )

    walk(root)
    text = out.text()
    for rx, reason in _FURNITURE_TEXT:
        for match in rx.finditer(text):
            out.furniture.append(Furniture(match.start(), match.end(), reason))
    return out.result()


_ISO_DATE = re.compile(
    r"^\s*(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?\s*$"
)


def _iso_prefix(value: str) -> str | None:
    """The date part of an ISO 8601 string, only as precise as it is; anything else is None."""
    match = _ISO_DATE.match(value or "")
    if not match:
        return None
    return "-".join(part for part in match.groups() if part)


def _ld_objects(soup) -> list[dict]:
    found: list[dict] = []
    for tag in soup.find_all("script", type="application/ld+json"):
        try:
            data = json.loads(tag.string or "")
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                found.append(item)
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])
    return found


def _ld_name(value) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return value.strip() if isinstance(value, str) and value.strip() else None


def html_metadata(path: Path) -> dict[str, str]:
    """A saved page's own metadata: title, publisher, author, date_published (as precise as it
    says), url, and for each the tag it came from (`<field>_source`)."""
    path = Path(path)
    soup = _html_soup(path, path.read_bytes())

    def meta(attr: str, name: str) -> str | None:
        tag = soup.find("meta", attrs={attr: name})
        value = tag.get("content") if tag else None
        return value.strip() if isinstance(value, str) and value.strip() else None

    ld = [o for o in _ld_objects(soup) if "headline" in o or "datePublished" in o] or [{}]
    ld0 = ld[0]
    title_tag = soup.title.string.strip() if soup.title and soup.title.string else None
    canonical = soup.find("link", rel="canonical")
    candidates: dict[str, list[tuple[str, str | None]]] = {
        "title": [("og:title", meta("property", "og:title")),
                  ("JSON-LD headline", _ld_name(ld0.get("headline"))),
                  ("<title>", title_tag)],
        "publisher": [("og:site_name", meta("property", "og:site_name")),
                      ("JSON-LD publisher", _ld_name(ld0.get("publisher")))],
        "author": [("meta name=author", meta("name", "author")),
                   ("JSON-LD author", _ld_name(ld0.get("author")))],
        "date_published": [
            ("article:published_time", _iso_prefix(meta("property", "article:published_time") or "")),
            ("JSON-LD datePublished", _iso_prefix(str(ld0.get("datePublished") or ""))),
            ("meta name=date", _iso_prefix(meta("name", "date") or "")),
        ],
        "url": [("link rel=canonical", canonical.get("href") if canonical else None),
                ("og:url", meta("property", "og:url"))],
    }  # fmt: skip
    found: dict[str, str] = {}
    for field_name, options in candidates.items():
        for source, value in options:
            if value and (field_name != "url" or re.match(r"^https?://", value)):
                found[field_name] = value
                found[f"{field_name}_source"] = source
                break
    return found


def document_metadata(path: Path, media_type: str) -> dict[str, str]:
    """Metadata a document states about itself, offered as sidecar defaults by `add`."""
    if media_type == "text/html":
        return html_metadata(path)
    if media_type == "application/pdf":
        found = pdf_metadata(path)
        return {**found, **{f"{k}_source": f"PDF document information /{k.title()}" for k in found}}
    return {}


# --- tables -------------------------------------------------------------------------------------

TEXT_COLUMNS = ["doc_id", "sha256", "media_type", "text"]
MAP_COLUMNS = ["doc_id", "start", "end", "page", "x0", "top", "x1", "bottom", "element_path"]
FURNITURE_COLUMNS = ["doc_id", "start", "end", "reason"]


def text_rows(
    docs: list, canonical: dict[str, CanonicalText] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of the text, textmap and furniture tables for verified documents, in
    doc_id/offset order (`canonical`: their canonical texts by doc_id, if the caller has them)."""
    texts, spans, furniture = [], [], []
    for doc in sorted(docs, key=lambda d: d.doc_id):
        canon = canonical[doc.doc_id] if canonical is not None else doc.canonical()
        texts.append({"doc_id": doc.doc_id, "sha256": doc.sha256, "media_type": doc.media_type,
                      "text": canon.text})  # fmt: skip
        spans += [{"doc_id": doc.doc_id, "start": s.start, "end": s.end, "page": s.page, "x0": s.x0,
                   "top": s.top, "x1": s.x1, "bottom": s.bottom, "element_path": s.element_path}
                  for s in canon.spans]  # fmt: skip
        furniture += [{"doc_id": doc.doc_id, "start": f.start, "end": f.end, "reason": f.reason}
                      for f in canon.furniture]  # fmt: skip
    return texts, spans, furniture


def text_frames(
    texts: list[dict[str, Any]], spans: list[dict[str, Any]], furniture: list[dict[str, Any]]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The text, textmap and furniture tables of `text_rows`, every column but the textmap's and
    furniture's doc_id typed explicitly (a shard whose documents all lack a value must not give a
    column another type)."""
    import pandas as pd

    text = pd.DataFrame(texts, columns=TEXT_COLUMNS).astype(dict.fromkeys(TEXT_COLUMNS, "str"))
    textmap = pd.DataFrame(spans, columns=MAP_COLUMNS).astype(
        {
            "start": "int64",
            "end": "int64",
            "page": "Int64",
            "x0": "float64",
            "top": "float64",
            "x1": "float64",
            "bottom": "float64",
            "element_path": "string",
        }  # fmt: skip
    )
    furn = pd.DataFrame(furniture, columns=FURNITURE_COLUMNS).astype(
        {"start": "int64", "end": "int64", "reason": "string"}
    )
    return text, textmap, furn


def text_tables(
    docs: list, canonical: dict[str, CanonicalText] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The text, textmap and furniture tables for verified documents, in doc_id/offset order
    (`canonical`: their canonical texts by doc_id, if the caller has them already)."""
    return text_frames(*text_rows(docs, canonical))


def _spans_of(rows: pd.DataFrame) -> tuple[SourceSpan, ...]:
    import pandas as pd

    return tuple(
        SourceSpan(
            int(r.start),
            int(r.end),
            None if pd.isna(r.page) else int(r.page),
            *(None if pd.isna(v) else float(v) for v in (r.x0, r.top, r.x1, r.bottom)),
            None if pd.isna(r.element_path) else str(r.element_path),
        )  # fmt: skip
        for r in rows.itertuples()
    )


def _furniture_of(rows: pd.DataFrame) -> tuple[Furniture, ...]:
    return tuple(Furniture(int(r.start), int(r.end), str(r.reason)) for r in rows.itertuples())


def canonical_from_tables(doc_id: str, text: pd.DataFrame, textmap: pd.DataFrame,
                          furniture: pd.DataFrame) -> CanonicalText:  # fmt: skip
    """Rebuild one document's CanonicalText from the three parquet tables (for later stages)."""
    rows = text[text.doc_id == doc_id]
    if rows.empty:
        raise FigtraceError(f"doc_id {doc_id!r} is not in the text table; run the text stage.")
    return CanonicalText(
        str(rows.iloc[0].text),
        _spans_of(textmap[textmap.doc_id == doc_id]),
        _furniture_of(furniture[furniture.doc_id == doc_id]),
    )


def canonical_texts(
    text: pd.DataFrame, textmap: pd.DataFrame, furniture: pd.DataFrame
) -> dict[str, CanonicalText]:
    """Every document's CanonicalText from the three tables, by doc_id in table order.

    The same as `canonical_from_tables` for each doc_id, but in one pass over each table (a
    shard holds thousands of documents; filtering the tables once per document would not scale).
    """
    spans = {doc_id: rows for doc_id, rows in textmap.groupby("doc_id", sort=False)}
    furn = {doc_id: rows for doc_id, rows in furniture.groupby("doc_id", sort=False)}
    return {
        doc_id: CanonicalText(
            str(body),
            _spans_of(spans[doc_id]) if doc_id in spans else (),
            _furniture_of(furn[doc_id]) if doc_id in furn else (),
        )
        for doc_id, body in zip(text["doc_id"], text["text"], strict=True)
    }
