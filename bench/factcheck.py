"""Benchmark: `figtrace factcheck` on the drafts set, both halves in one run.

For the development half (the checker was tuned on it) and the test half (written before the
checker and never tuned on): verdict accuracy, figure-match accuracy, misquotes called
supported, and the time to check one draft (read, extract, match; the ledger loaded once),
as the median of several passes after a warm-up. Needs the pipeline's outputs (`make all`).

    .venv/bin/python bench/factcheck.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from figtrace.draft import read_draft  # noqa: E402
from figtrace.factcheck import check_draft, load_context, score_set  # noqa: E402
from figtrace.registries import load_yaml  # noqa: E402

DRAFTS = ROOT / "tests" / "data" / "drafts"


def ms_per_draft(paths: list[Path], ctx, repeats: int) -> float:
    """Median milliseconds to read and check one draft, over `repeats` passes after a warm-up."""
    for path in paths:
        check_draft(read_draft(path), ctx)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for path in paths:
            check_draft(read_draft(path), ctx)
        times.append((time.perf_counter() - t0) / len(paths))
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    t0 = time.perf_counter()
    ctx = load_context(ROOT / "data/processed", ROOT / "data/raw", ROOT / "results")
    load_ms = (time.perf_counter() - t0) * 1000

    print(
        "| half | drafts | numbers | verdict accuracy | figure accuracy | misquotes called supported | ms per draft |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    errors = {}
    for half in ("dev", "test"):
        gold = DRAFTS / f"{half}.yaml"
        paths = [DRAFTS / item["draft"] for item in load_yaml(gold)]
        scores = score_set(gold, ctx)
        ms = ms_per_draft(paths, ctx, args.repeats)
        errors[half] = scores["errors"]
        print(
            f"| {half} | {len(paths)} | {scores['numbers']} | {scores['verdict_accuracy']:.3f} "
            f"| {scores['figure_accuracy']:.3f} | {scores['supported_misquotes']} | {ms:.1f} |"
        )
    n_entries = len(ctx.entries)
    print(f"\nLedger: {n_entries} figures and derived figures, loaded once in {load_ms:.0f} ms.")
    for half, errs in errors.items():
        for e in errs:
            print(f"  {half}: {e}")


if __name__ == "__main__":
    main()
