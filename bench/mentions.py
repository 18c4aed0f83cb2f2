"""Benchmark: figtrace's mention extractor against quantulum3 on the five source documents.

Scores both against the hand-annotated dev set (tests/data/mentions_devset.yaml) and times
both in this one run, after a warm-up, as the median of several repeats over all documents.

    .venv/bin/python bench/mentions.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from figtrace.documents import load_catalogue  # noqa: E402
from figtrace.mentions import Claim, extract, resolve_annotations, score, statistic_claims  # noqa: E402


def median_docs_per_second(run, texts: list[str], repeats: int) -> float:
    """Documents per second: median over `repeats` passes over all texts, after one warm-up."""
    for text in texts:
        run(text)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for text in texts:
            run(text)
        times.append(time.perf_counter() - t0)
    return len(texts) / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    docs = load_catalogue(ROOT / "data" / "raw")
    texts = {d.doc_id: d.text() for d in docs}
    gold = resolve_annotations(ROOT / "tests" / "data" / "mentions_devset.yaml", texts)

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from quantulum3 import parser as qparser
    import_s = time.perf_counter() - t0

    def quantulum_claims(text: str) -> list[Claim]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [Claim(q.span[0], q.span[1], float(q.value)) for q in qparser.parse(text)]

    ours = score(gold, {k: statistic_claims(extract(t)) for k, t in texts.items()})
    theirs = score(
        gold,
        {k: quantulum_claims(t) for k, t in texts.items()},
        exact=False,
        qualifiers=False,
    )
    order = sorted(texts)
    ours_dps = median_docs_per_second(extract, [texts[k] for k in order], args.repeats)
    theirs_dps = median_docs_per_second(
        quantulum_claims, [texts[k] for k in order], max(3, args.repeats // 2)
    )

    print(f"{len(texts)} documents, {ours['statistics']} annotated statistics")
    print(f"quantulum3 import: {import_s:.2f} s (not counted in throughput)\n")
    print(
        "| extractor | recall | precision | claimed | boilerplate/name as statistic | docs/s | ms/doc |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, s, dps in (("figtrace", ours, ours_dps), ("quantulum3", theirs, theirs_dps)):
        print(
            f"| {name} | {s['recall']:.3f} | {s['precision']:.3f} | {s['claimed']} | "
            f"{s['furniture_as_statistic']} | {dps:,.0f} | {1000 / dps:.2f} |"
        )
    print(f"\nthroughput ratio figtrace / quantulum3: {ours_dps / theirs_dps:.0f}x")
    print(
        "figtrace: a hit needs the exact span, value and hedge; quantulum3: any overlapping "
        "quantity with the value (every quantulum3 quantity counts as a claimed statistic)."
    )


if __name__ == "__main__":
    main()
