"""Canonical text: PDFs read the way a reader sees them, saved pages without their furniture,
every character traceable to its page and box or its element, and clear errors for bad files."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pdfplumber
import pytest
import source_files as sf
import yaml

from conftest import ROOT, run_cli, run_snakemake
from figtrace.documents import add_document, load_catalogue, slugify, write_documents_table
from figtrace.errors import FigtraceError
from figtrace.text import (
    CanonicalText,
    canonical_from_tables,
    canonical_text,
    html_metadata,
    locate,
    sniff,
)

PDF = "application/pdf"
HTML = "text/html"


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory) -> Path:
    return sf.build_report_pdf(tmp_path_factory.mktemp("pdf") / "report.pdf")


@pytest.fixture(scope="module")
def report(report_pdf) -> CanonicalText:
    return canonical_text(report_pdf, PDF)


@pytest.fixture(scope="module")
def news_html(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("html") / "news.html"
    path.write_text(sf.news_page(), "utf-8")
    return path


@pytest.fixture(scope="module")
def news(news_html) -> CanonicalText:
    return canonical_text(news_html, HTML)


def pages(canon: CanonicalText) -> list[str]:
    return canon.text.split("\f")


def reasons(canon: CanonicalText, needle: str) -> set[str]:
    start = canon.text.index(needle)
    return {f.reason for f in canon.furniture_at(start, start + len(needle))}


# --- plain text: unchanged ------------------------------------------------------------------------


def test_plain_text_is_the_file_itself():
    for doc in load_catalogue(ROOT / "data" / "raw"):
        canon = doc.canonical()
        assert canon.text == doc.path.read_bytes().decode("utf-8")
        assert canon.spans == () and canon.furniture == ()
        assert doc.text() == canon.text


# --- PDF ------------------------------------------------------------------------------------------


def test_pdf_has_one_text_per_page_with_every_word_on_its_page(report):
    assert len(pages(report)) == 4
    for span in report.spans:
        word = report.text[span.start : span.end]
        assert word and not re.search(r"\s", word)
        page_no = report.text.count("\f", 0, span.start) + 1
        assert span.page == page_no
        assert span.x0 < span.x1 and span.top < span.bottom


def test_two_column_pages_read_left_column_then_right(report):
    page2 = pages(report)[1]
    left = [page2.index(line.replace("chil-", "children")[:20]) for line in sf.PAGE2_LEFT]
    right = [page2.index(line) for line in sf.PAGE2_RIGHT]
    assert left == sorted(left) and right == sorted(right)
    assert max(left) < min(right)


def test_full_width_paragraph_above_two_columns_comes_first(report):
    page4 = pages(report)[3]
    order = [page4.index(line) for line in [*sf.PAGE4_INTRO, *sf.PAGE4_LEFT, *sf.PAGE4_RIGHT]]
    assert order == sorted(order)


def test_reading_order_does_not_depend_on_the_content_stream(tmp_path, report_pdf, report):
    shuffled = sf.build_report_pdf(tmp_path / "right-first.pdf", right_first=True)
    assert shuffled.read_bytes() != report_pdf.read_bytes()
    assert canonical_text(shuffled, PDF).text == report.text
    # pdfplumber's text-flow mode follows the stream, so it reads the right column first
    with pdfplumber.open(shuffled) as pdf:
        flow = pdf.pages[1].extract_text(use_text_flow=True)
    assert flow.index(sf.PAGE2_RIGHT[0]) < flow.index(sf.PAGE2_LEFT[0])


def test_pdfplumber_alone_interleaves_columns_and_glues_markers(report_pdf):
    # The reason figtrace orders words itself: the library's plain extraction mixes columns.
    with pdfplumber.open(report_pdf) as pdf:
        raw = pdf.pages[1].extract_text()
    assert f"{sf.PAGE2_LEFT[0]} {sf.PAGE2_RIGHT[0]}" in raw
    assert "children.12" in raw


def test_line_end_hyphenation_is_joined(report):
    assert "victims of trafficking were often placed" in report.text.replace("\n", " ")
    assert "many of the children in their care" in report.text
    assert "traf-" not in report.text and "chil-" not in report.text


def test_a_compound_split_at_a_line_end_keeps_its_hyphen(tmp_path):
    # "well-" + "known" is a compound the document writes whole elsewhere; "self-" is always
    # hyphenated; "traf-" + "ficking" and "chil-" + "dren" are line breaks.
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "compounds.pdf"
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setFont(sf._font(), 10)
    lines = [
        "The risks are well-known to social workers, and it is a well-",
        "known pattern that victims of traf-",
        "ficking go missing; many chil-",
        "dren self-harm, and some self-",
        "harm again after going missing from children's homes.",
    ]
    for i, line in enumerate(lines):
        c.drawString(72, 700 - 14 * i, line)
    c.showPage()
    c.save()
    text = canonical_text(path, PDF).text.replace("\n", " ")
    assert "it is a well-known pattern" in text
    assert "victims of trafficking go missing" in text
    assert "many children self-harm" in text
    assert "some self-harm again" in text


def test_ligatures_are_unfolded(report_pdf, report):
    with pdfplumber.open(report_pdf) as pdf:
        glyphs = {c["text"] for c in pdf.pages[0].chars}
    assert {"\ufb01", "\ufb02"} <= glyphs  # the PDF really draws ligature glyphs
    assert "the findings of a year" in report.text
    assert "flow of children" in report.text
    assert not set("\ufb00\ufb01\ufb02\ufb03\ufb04") & set(report.text)


def test_running_headers_footers_and_page_numbers_are_furniture(report):
    for number, page_text in enumerate(pages(report), start=1):
        assert page_text.startswith(sf.HEADER)
        assert page_text.endswith(f"{sf.FOOTER}\t{number}")
    headers = [f for f in report.furniture if f.reason == "running header"]
    assert [report.text[f.start : f.end] for f in headers] == [sf.HEADER] * 4
    footers = [f for f in report.furniture if f.reason.startswith("running footer")]
    assert len(footers) == 4
    assert all(f.reason == "running footer and page number" for f in footers)
    assert not reasons(report, sf.STATISTIC)
    assert not reasons(report, "Heading back to harm\n")  # the title is not the header


def test_table_rows_stay_rows_with_cells_apart(report):
    for row in sf.TABLE:
        assert "\n" + "\t".join(row) + "\n" in report.text


def test_superscript_footnote_marker_is_kept_apart(report):
    assert "children.12" not in report.text
    assert "28 of them were trafficked children. 12" in report.text
    marker = report.text.index("children. 12") + len("children. ")
    assert {f.reason for f in report.furniture_at(marker, marker + 2)} == {"footnote marker"}
    assert not reasons(report, "28 of them")
    # the footnote's own label is the same marker; the footnote's text is not furniture
    note = report.text.index(sf.FOOTNOTE)
    assert {f.reason for f in report.furniture_at(note, note + 2)} == {"footnote marker"}
    assert not reasons(report, "217 local authorities")
    # and it comes after both columns, not between them
    assert note > report.text.index(sf.PAGE2_RIGHT[-1])


def test_statistic_on_page_three_locates_to_page_three_right_column(report):
    start = report.text.index(sf.STATISTIC)
    where = locate(report, start, start + len(sf.STATISTIC))
    assert where.pages == (3,) and where.page == 3
    assert all(box[0] == 3 and box[1] >= sf.RIGHT_COL - 1 for box in where.boxes)
    assert where.element_paths == ()
    number = start + sf.STATISTIC.index("167")
    (box,) = report.locate(number, number + 3).boxes
    assert box[1] == pytest.approx(
        sf.RIGHT_COL + sf.pdfmetrics.stringWidth("In 2015, ", "Vera", 10), abs=0.5
    )
    baseline_from_top = 100 + 14  # drawn 14 pt below the first line, 100 pt from the top
    assert box[2] < baseline_from_top < box[4] < baseline_from_top + 4


def test_locate_rejects_ranges_outside_the_text(report):
    with pytest.raises(FigtraceError, match="outside the text"):
        locate(report, 0, len(report.text) + 1)


# --- HTML -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dropped",
    ["4521", "999 children", "14 cookies", "Accept all", "Top 10 sport", "Tuesday 15 November",
     "5 things", "100 years", "Most read"],
)  # fmt: skip
def test_html_page_furniture_elements_are_dropped(news_html, news, dropped):
    assert dropped not in news.text
    assert dropped in news_html.read_text("utf-8")  # the raw file keeps it


def test_html_article_text_keeps_headline_body_and_table(news):
    assert news.text.startswith(sf.NEWS_META["title"] + "\n\n")
    assert "A total of 167 children who were identified as trafficked" in news.text
    assert "The charities said 1 in 6 & more were never found." in news.text
    assert "Year\tMissing\n2014\t120\n2015\t167" in news.text


@pytest.mark.parametrize(
    ("needle", "reason"),
    [("3 min read", "reading time"), ("1.2k shares", "share count"),
     ("Police find 12 children in raid", "related links"), ("Share", "share bar")],
)  # fmt: skip
def test_html_furniture_left_in_the_text_is_labelled(news, needle, reason):
    assert reason in reasons(news, needle)


def test_html_statistics_in_the_body_are_not_furniture(news):
    assert not reasons(news, "A total of 167 children")
    assert not reasons(news, "28% of trafficked children")


def test_html_spans_carry_element_paths(news):
    start = news.text.index("167 children who")
    assert locate(news, start, start + 3).element_path == "html/body/main/article/p[1]"
    start = news.text.index("1 in 6")
    assert news.locate(start, start + 6).element_paths == ("html/body/main/article/p[3]",)
    start = news.text.index("2015\t167") + len("2015\t")
    assert news.locate(start, start + 3).element_path == "html/body/main/article/table/tr[3]/td[2]"
    for span in news.spans:
        assert news.text[span.start : span.end].strip()
        assert span.page is None and span.element_path.startswith("html/body/")


def test_html_metadata_from_og_tags(news_html):
    meta = html_metadata(news_html)
    m = sf.NEWS_META
    assert (meta["title"], meta["publisher"], meta["url"], meta["author"]) == (
        m["title"], m["site"], m["url"], m["author"]
    )  # fmt: skip
    assert meta["date_published"] == "2016-11-15"
    assert meta["title_source"] == "og:title"


def test_html_metadata_from_json_ld_when_no_og_tags(tmp_path):
    path = tmp_path / "p.html"
    path.write_text(sf.news_page(og=False), "utf-8")
    meta = html_metadata(path)
    assert (meta["title"], meta["title_source"]) == (sf.NEWS_META["title"], "JSON-LD headline")
    assert (meta["publisher"], meta["date_published"]) == (sf.NEWS_META["site"], "2016-11-15")
    assert meta["date_published_source"] == "JSON-LD datePublished"


def test_html_metadata_never_invents_date_precision(tmp_path):
    path = tmp_path / "p.html"
    page = sf.news_page(og=False, json_ld=False).replace(
        "<link rel", '<meta name="date" content="2016-11">\n<link rel'
    )
    path.write_text(page, "utf-8")
    assert html_metadata(path)["date_published"] == "2016-11"
    path.write_text(page.replace('content="2016-11"', 'content="15th November"'), "utf-8")
    assert "date_published" not in html_metadata(path)
    assert html_metadata(path)["title_source"] == "<title>"


def test_html_declared_legacy_charset_is_decoded(tmp_path):
    path = tmp_path / "p.html"
    page = sf.news_page(charset="windows-1252").replace(
        "a report says", "the charity’s report says"
    )
    path.write_bytes(page.encode("cp1252"))
    assert "the charity’s report says" in canonical_text(path, HTML).text


# --- adding PDF and HTML documents ----------------------------------------------------------------


def _sidecar(project: Path, doc_id: str) -> dict:
    return yaml.safe_load((project / f"data/raw/documents/{doc_id}.yaml").read_text("utf-8"))


def test_add_html_takes_the_pages_own_metadata(project, news_html):
    proc = run_cli(project, "add", str(news_html), "--id", "herald-missing")
    assert proc.returncode == 0, proc.stderr
    assert (
        project / "data/raw/documents/herald-missing.html"
    ).read_bytes() == news_html.read_bytes()
    meta = _sidecar(project, "herald-missing")
    m = sf.NEWS_META
    assert meta["media_type"] == HTML
    assert (meta["title"], meta["publisher"], meta["url"], meta["author"]) == (
        m["title"], m["site"], m["url"], m["author"]
    )  # fmt: skip
    assert (meta["date_published"], meta["date_precision"]) == ("2016-11-15", "day")
    assert meta["date_note"] == "From the document's own article:published_time."
    assert meta["title_note"] == "From the document's own og:title."


def test_add_options_win_over_the_pages_metadata(project, news_html):
    add_document(news_html, project / "data/raw", title="My title", publisher=None,
                 date_published="2016", doc_id="herald")  # fmt: skip
    meta = _sidecar(project, "herald")
    assert (meta["title"], meta["date_published"], meta["date_precision"]) == (
        "My title", "2016", "year"
    )  # fmt: skip
    assert "title_note" not in meta and meta["publisher"] == sf.NEWS_META["site"]


def test_add_pdf_takes_its_title_but_not_its_creation_date(project, report_pdf):
    doc = add_document(report_pdf, project / "data/raw", title=None, publisher=None,
                       date_published=None)  # fmt: skip
    assert (doc.doc_id, doc.title, doc.media_type) == ("heading-back-to-harm", sf.TITLE, PDF)
    assert (doc.date_published, doc.date_precision) == (None, "unknown")
    assert doc.meta["author"] == "Example Trust"
    assert doc.text() == canonical_text(report_pdf, PDF).text


def test_add_without_any_title_asks_for_one(project, tmp_path):
    page = tmp_path / "untitled.html"
    page.write_text("<html><body><p>Some 12 children.</p></body></html>", "utf-8")
    proc = run_cli(project, "add", str(page))
    assert proc.returncode == 2
    assert proc.stderr == (
        f"error: {page}: the document states no title of its own; pass --title with its headline.\n"
    )


# --- bad files: the exact message, at add time and at verification --------------------------------


def _encrypted(tmp: Path) -> tuple[Path, str]:
    path = sf.build_report_pdf(tmp / "locked.pdf", encrypt="secret")
    return path, (
        f"{path}: the PDF is encrypted (password-protected), so its text cannot be read. "
        "Open it with the password, save an unencrypted copy, and add that instead."
    )


def _scanned(tmp: Path) -> tuple[Path, str]:
    path = sf.build_scanned_pdf(tmp / "scan.pdf")
    return path, (
        f"{path}: the PDF has no text layer on any of its 1 page(s) (probably a scanned image). "
        "OCR is needed first; figtrace does not guess text from images. Run OCR (e.g. "
        "`ocrmypdf in.pdf out.pdf`) and add the OCR'd PDF."
    )


def _truncated(tmp: Path) -> tuple[Path, str]:
    whole = sf.build_report_pdf(tmp / "whole.pdf").read_bytes()
    path = tmp / "cut.pdf"
    path.write_bytes(whole[: len(whole) // 2])
    return path, (
        f"{path}: the PDF is truncated (no %%EOF end marker; {len(whole) // 2} bytes). "
        "Download or export the file again and add the complete copy."
    )


def _corrupt(tmp: Path) -> tuple[Path, str]:
    path = tmp / "corrupt.pdf"
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 4 + b"\n%%EOF\n")
    return path, f"{path}: the PDF is corrupt and cannot be parsed ("


def _unknown_charset(tmp: Path) -> tuple[Path, str]:
    path = tmp / "odd.html"
    path.write_bytes(sf.news_page(charset="x-klingon").encode("utf-8"))
    return path, (
        f"{path}: the page declares charset 'x-klingon', which is not a known encoding. "
        "Re-save the page as UTF-8 (and fix its <meta charset>) and add it again."
    )


def _undecodable(tmp: Path) -> tuple[Path, str]:
    path = tmp / "bad.html"
    data = sf.news_page().encode("utf-8").replace(b"A total of", b"A total\xff\xfe of")
    path.write_bytes(data)
    offset = data.index(b"\xff")
    return path, (
        f"{path}: the page declares charset 'utf-8' but is not valid utf-8 (invalid start byte "
        f"at byte {offset}). Re-save the page as UTF-8 and add it again."
    )


def _pdf_named_html(tmp: Path) -> tuple[Path, str]:
    path = tmp / "page.html"
    path.write_bytes(sf.build_report_pdf(tmp / "r.pdf").read_bytes())
    return path, (
        f"{path}: named as HTML but its content is a PDF (it starts with b'%PDF-1.3');"
        " rename it to .pdf (or set media_type: application/pdf) and add it again."
    )


def _html_named_pdf(tmp: Path) -> tuple[Path, str]:
    path = tmp / "report.pdf"
    path.write_text(sf.news_page(), "utf-8")
    return path, (
        f"{path}: named as a PDF but its content is HTML (it starts with b'<!DOCTYP');"
        " rename it to .html (or set media_type: text/html) and add it again."
    )


def _pdf_named_txt(tmp: Path) -> tuple[Path, str]:
    path = tmp / "notes.txt"
    path.write_bytes(sf.build_report_pdf(tmp / "r.pdf").read_bytes())
    return path, f"{path}: named as plain text but its content is a PDF"


BAD_FILES = {
    "encrypted PDF": _encrypted,
    "scanned PDF": _scanned,
    "truncated PDF": _truncated,
    "corrupt PDF": _corrupt,
    "unknown charset": _unknown_charset,
    "undecodable HTML": _undecodable,
    "PDF named .html": _pdf_named_html,
    "HTML named .pdf": _html_named_pdf,
    "PDF named .txt": _pdf_named_txt,
}


@pytest.mark.parametrize("fault", BAD_FILES)
def test_add_refuses_bad_files_with_a_clear_message(project, tmp_path, fault):
    path, message = BAD_FILES[fault](tmp_path)
    before = sorted(p.name for p in (project / "data/raw/documents").iterdir())
    proc = run_cli(project, "add", str(path), "--title", "T", "--id", "bad-file")
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {message}")
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in (project / "data/raw/documents").iterdir()) == before


@pytest.mark.parametrize("fault", BAD_FILES)
def test_verification_refuses_bad_files_and_writes_nothing(project, tmp_path, fault):
    path, message = BAD_FILES[fault](tmp_path)
    folder = project / "data/raw/documents"
    sidecar = _sidecar(project, "merseyside-before-the-harm")
    media = {".pdf": PDF, ".html": HTML, ".txt": "text/plain"}[path.suffix]
    raw = folder / f"bad-file{path.suffix}"
    raw.write_bytes(path.read_bytes())
    sidecar.update(doc_id="bad-file", path=raw.name, media_type=media,
                   sha256=hashlib.sha256(raw.read_bytes()).hexdigest())  # fmt: skip
    (folder / "bad-file.yaml").write_text(yaml.safe_dump(sidecar), "utf-8")
    out = project / "data/processed/documents.parquet"
    with pytest.raises(FigtraceError) as caught:
        write_documents_table(project / "data/raw", out)
    assert str(caught.value).startswith(message.replace(str(path), str(raw)))
    assert not out.exists()


def test_pdf_with_only_an_owner_password_is_read(tmp_path, report):
    # Copy restrictions with an empty user password: any viewer opens it, and so does figtrace.
    from reportlab.lib.pdfencrypt import StandardEncryption

    lock = StandardEncryption("", ownerPassword="owner", canCopy=0)
    path = sf.build_report_pdf(tmp_path / "restricted.pdf", encrypt=lock)
    assert b"/Encrypt" in path.read_bytes()
    assert canonical_text(path, PDF).text == report.text


def test_sniff_reads_magic_bytes():
    assert sniff(b"\n%PDF-1.7\n") == PDF
    assert sniff(b"\xef\xbb\xbf  <!doctype HTML><p>") == HTML
    assert sniff(b"<html lang=en>") == HTML
    assert sniff(b"Over 1,200 children") == "text/plain"
    assert sniff(b"\x89PNG\r\n\x1a\n\x00\x00") == "binary"


# --- the text stage in the pipeline ---------------------------------------------------------------


def test_text_stage_keeps_the_five_text_documents_as_they_are(built_project):
    text = pd.read_parquet(built_project / "data/processed/text.parquet")
    textmap = pd.read_parquet(built_project / "data/processed/textmap.parquet")
    furniture = pd.read_parquet(built_project / "data/processed/furniture.parquet")
    docs = pd.read_parquet(built_project / "data/processed/documents.parquet")
    assert list(text.doc_id) == list(docs.doc_id)
    for row, doc in zip(text.itertuples(), docs.itertuples(), strict=True):
        assert row.text == (built_project / doc.path).read_text("utf-8")
        assert (row.sha256, row.media_type, len(row.text)) == (
            doc.sha256,
            "text/plain",
            doc.n_chars,
        )
    assert textmap.empty and furniture.empty
    assert list(textmap.columns) == ["doc_id", "start", "end", "page", "x0", "top", "x1",
                                     "bottom", "element_path"]  # fmt: skip
    assert list(furniture.columns) == ["doc_id", "start", "end", "reason"]


@pytest.mark.pipeline
def test_pipeline_maps_an_added_pdf_and_page_to_their_sources(project, report_pdf, news_html):
    for path in (report_pdf, news_html):
        proc = run_cli(project, "add", str(path))
        assert proc.returncode == 0, proc.stderr
    run_snakemake(project, check=True)
    processed = project / "data/processed"
    tables = [pd.read_parquet(processed / f"{n}.parquet") for n in ("text", "textmap", "furniture")]
    docs = pd.read_parquet(processed / "documents.parquet").set_index("doc_id")
    pdf = canonical_from_tables("heading-back-to-harm", *tables)
    assert pdf == canonical_text(report_pdf, PDF)
    assert docs.loc["heading-back-to-harm", "n_chars"] == len(pdf.text)
    start = pdf.text.index(sf.STATISTIC)
    assert pdf.locate(start, start + 3).page == 3
    page = canonical_from_tables(slugify(sf.NEWS_META["title"]), *tables)
    start = page.text.index("A total of 167")
    assert page.locate(start, start + 5).element_path == "html/body/main/article/p[1]"
    assert "running header" in set(tables[2].reason)
    again = run_snakemake(project, "--dry-run")
    assert "Nothing to be done" in again.stdout + again.stderr
