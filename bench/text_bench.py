"""Benchmark canonical text against the libraries' plain extraction (medians from one run).

Run from the project root: `.venv/bin/python bench/text_bench.py [repeats]`. Builds the test
report PDF and news page in a temporary folder; prints medians in milliseconds and the ratio.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

import pdfplumber  # noqa: E402
import source_files  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402

from figtrace.text import canonical_text  # noqa: E402


def median_ms(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def plain_pdf(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "\f".join(page.extract_text() for page in pdf.pages)


def pages(path: Path) -> int:
    with pdfplumber.open(path) as pdf:
        return len(pdf.pages)


def main(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pdf = source_files.build_report_pdf(Path(tmp) / "report.pdf")
        html = Path(tmp) / "news.html"
        html.write_text(source_files.news_page(), "utf-8")
        rows = [
            (f"pdf, {pages(pdf)} pages", lambda: canonical_text(pdf, "application/pdf"),
             lambda: plain_pdf(pdf)),
            ("html news page", lambda: canonical_text(html, "text/html"),
             lambda: BeautifulSoup(html.read_bytes(), "lxml").get_text()),
        ]  # fmt: skip
        print(f"median of {repeats} runs, ms: canonical_text | library plain text | ratio")
        for name, ours, plain in rows:
            a, b = median_ms(ours, repeats), median_ms(plain, repeats)
            print(f"{name:16s} {a:8.1f} | {b:8.1f} | {a / b:5.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 11)
