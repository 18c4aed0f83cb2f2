"""Benchmark: leave one document out, and see how well `annotate` suggests its curated figures.

For each annotated document: hide its annotations, suggest a figure entry for each of its
statistics from the other documents' figures and the registries (as `figtrace annotate` does for
a new document), and compare the suggestion at each curated figure's passage with the curated
entry. Reports, per document and overall, the share of curated figures whose suggestion has the
right indicator, period and report_id, and how many suggestions scoring at least the threshold
(`figtrace accept`'s default) are wrong: another indicator, period or report_id than the curated
one, or a suggestion where the curator recorded no figure.

    .venv/bin/python bench/suggestions.py [--min-score 0.7]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from figtrace.documents import load_documents  # noqa: E402
from figtrace.figures import annotation_stub, load_annotations  # noqa: E402
from figtrace.mentions import document_mentions  # noqa: E402
from figtrace.registries import load_indicators  # noqa: E402
from figtrace.suggestions import DEFAULT_MIN_SCORE, add_suggestions, load_evidence  # noqa: E402

FIELDS = ("indicator", "period", "report_id")


def leave_one_out(raw: Path, min_score: float) -> list[dict]:
    """One row per annotated document: counts of right fields and of wrong confident suggestions."""
    indicators = load_indicators(raw / "indicators.yaml")
    annotations = load_annotations(raw)
    docs = {d.doc_id: d for d in load_documents(raw, sorted(annotations.paths), check_bytes=False)}
    rows = []
    for doc_id, doc in docs.items():
        t0 = time.perf_counter()
        evidence = load_evidence(raw, indicators, hide={doc_id})
        mentions = document_mentions(doc)
        stub = annotation_stub(doc, mentions, None)
        add_suggestions(stub, doc, mentions, evidence)
        seconds = time.perf_counter() - t0
        curated = [f for f in annotations.figures if f.doc_id == doc_id]
        row = {"doc_id": doc_id, "figures": len(curated), "suggested": 0, "seconds": seconds}
        row.update(dict.fromkeys(FIELDS, 0))
        row["wrong_above"] = row["confident"] = 0
        for c in stub["candidates"]:
            s = c.get("suggestion")
            a = c["anchor"]
            match = next(
                (f for f in curated if f.anchor.start < a["end"] and a["start"] < f.anchor.end),
                None,
            )
            if match is not None and s is not None:
                row["suggested"] += 1
                for field in FIELDS:
                    row[field] += s[field] == getattr(match, field)
            if s is not None and s["score"] >= min_score:
                row["confident"] += 1
                right = match is not None and all(s[f] == getattr(match, f) for f in FIELDS)
                row["wrong_above"] += not right
        rows.append(row)
    return rows


def share(n: int, total: int) -> str:
    return f"{n}/{total} ({n / total:.0%})" if total else "—"


def table(rows: list[dict], min_score: float) -> list[str]:
    """The Markdown table of `leave_one_out`'s rows and their sum (docs/curation.md shows one)."""
    total = {k: sum(r[k] for r in rows) for k in rows[0] if k != "doc_id"}
    lines = [
        f"| document | curated figures | with a suggestion | right indicator | right period | "
        f"right report_id | suggestions ≥ {min_score:g} | of them wrong |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in [*rows, {"doc_id": "**all**", **total}]:
        n = r["figures"]
        lines.append(
            f"| {r['doc_id']} | {n} | {share(r['suggested'], n)} | {share(r['indicator'], n)} | "
            f"{share(r['period'], n)} | {share(r['report_id'], n)} | {r['confident']} | "
            f"{r['wrong_above']} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-score", type=float, default=DEFAULT_MIN_SCORE)
    parser.add_argument("--raw", type=Path, default=ROOT / "data" / "raw")
    args = parser.parse_args()
    rows = leave_one_out(args.raw, args.min_score)
    print("\n".join(table(rows, args.min_score)))
    seconds = sum(r["seconds"] for r in rows)
    print(f"\n{len(rows)} documents; suggesting took {seconds:.2f} s in all.")


if __name__ == "__main__":
    main()
