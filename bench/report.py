"""Benchmark: the report stage on the five documents, and source viewers for many documents.

Times, in this one run (medians of several repeats after a warm-up): loading the ledger,
rendering report.html + report.md, auditing report.html, and rendering the five viewers; then
renders viewers for N documents made of copies of the five texts (every mention, figure and
exclusion copied with them), grouped once and rendered with one compiled template.

    .venv/bin/python bench/report.py [--docs 1000] [--repeats 5]   # after `make all`
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from figtrace.audit import audit_report  # noqa: E402
from figtrace.report import document_spans, load_corpus, viewer_sources, write_report  # noqa: E402
from figtrace.viewers import write_sources  # noqa: E402


def median_seconds(run, repeats: int) -> float:
    """Median wall time of `run()` over `repeats` calls, after one warm-up call."""
    run()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def scaled_corpus(corpus, processed: Path, n_docs: int):
    """A corpus of `n_docs` documents: copies of the real ones under new ids, spans grouped once."""
    base = list(corpus.ledger.documents.index)
    copies = {f"{doc}-copy{i:05d}": doc for i in range(n_docs) for doc in [base[i % len(base)]]}
    mentions = pd.read_parquet(
        processed / "mentions.parquet",
        columns=["doc_id", "start", "end", "qualifier_start", "role"],
    )
    exclusions = pd.read_parquet(processed / "exclusions.parquet")
    figures = corpus.ledger.figures.reset_index(drop=True)

    def copy(frame: pd.DataFrame) -> pd.DataFrame:
        by_doc = dict(tuple(frame.groupby("doc_id", sort=False)))
        parts = [by_doc[src].assign(doc_id=new) for new, src in copies.items() if src in by_doc]
        return pd.concat(parts, ignore_index=True)

    figs, excl, ments = copy(figures), copy(exclusions), copy(mentions)
    figs["figure_id"] = figs["figure_id"] + "-" + figs["doc_id"].str.rsplit("-", n=1).str[1]
    t0 = time.perf_counter()
    spans = document_spans(figs, excl, ments)
    group_s = time.perf_counter() - t0
    docs = corpus.ledger.documents.loc[list(copies.values())].copy()
    docs.index = list(copies)
    docs["doc_id"] = list(copies)
    ledger = dataclasses.replace(corpus.ledger, documents=docs)
    texts = {new: corpus.texts[src] for new, src in copies.items()}
    return (
        dataclasses.replace(corpus, ledger=ledger, texts=texts, spans=spans),
        list(copies),
        group_s,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--processed", type=Path, default=ROOT / "data/processed")
    parser.add_argument("--raw", type=Path, default=ROOT / "data/raw")
    args = parser.parse_args()

    corpus = load_corpus(args.processed, args.raw)
    ledger = corpus.ledger
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        load_s = median_seconds(lambda: load_corpus(args.processed, args.raw), args.repeats)
        report_s = median_seconds(
            lambda: write_report(corpus, out / "r.html", out / "r.md"), args.repeats
        )
        html = (out / "r.html").read_text()
        audit_s = median_seconds(lambda: audit_report(html, ledger), args.repeats)
        five = viewer_sources(corpus)
        five_s = median_seconds(lambda: write_sources(five, out / "five"), args.repeats)
        big, doc_ids, group_s = scaled_corpus(corpus, args.processed, args.docs)
        many = viewer_sources(big)
        many_s = median_seconds(
            lambda: write_sources(many, out / "many", doc_ids), max(1, args.repeats // 2)
        )
    n5 = len(ledger.documents)
    print("| step | documents | median s | ms/doc |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| load ledger, texts, mentions | {n5} | {load_s:.3f} | {1000 * load_s / n5:.1f} |")
    print(f"| report.html + report.md | {n5} | {report_s:.3f} | {1000 * report_s / n5:.1f} |")
    print(f"| audit report.html | {n5} | {audit_s:.3f} | {1000 * audit_s / n5:.1f} |")
    print(f"| source viewers | {n5} | {five_s:.3f} | {1000 * five_s / n5:.2f} |")
    print(
        f"| group spans (once) | {len(doc_ids):,} | {group_s:.3f} | {1000 * group_s / len(doc_ids):.2f} |"
    )
    print(
        f"| source viewers | {len(doc_ids):,} | {many_s:.3f} | {1000 * many_s / len(doc_ids):.2f} |"
    )
    print(
        f"\nreport.html: {len(html):,} characters; viewers per doc at scale / at five: "
        f"{(many_s / len(doc_ids)) / (five_s / n5):.2f}x"
    )


if __name__ == "__main__":
    main()
