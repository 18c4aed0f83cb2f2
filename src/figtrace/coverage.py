"""Coverage: every number the extractor finds is a figure, a reviewed exclusion, or reported.

A mention is covered when its span lies inside a figure's or an exclusion's anchored span.
Mentions with role `statistic` that are neither are the uncovered list: empty for the curated
documents, and, for a newly added document, the work still to do (reported, never fatal).
"""

from __future__ import annotations

import pandas as pd

COVERAGE_COLUMNS = [
    "doc_id", "start", "end", "text", "value", "kind", "role", "covered_by", "figure_id", "reason",
]  # fmt: skip


def _spans(figures: pd.DataFrame, exclusions: pd.DataFrame) -> pd.DataFrame:
    fig = figures[["doc_id", "start", "end", "figure_id"]].assign(covered_by="figure", reason=None)
    exc = exclusions[["doc_id", "start", "end", "reason"]].assign(
        covered_by="exclusion", figure_id=None
    )
    spans = pd.concat([fig, exc], ignore_index=True)
    return spans.rename(columns={"start": "span_start", "end": "span_end"})


def coverage_frame(
    mentions: pd.DataFrame, figures: pd.DataFrame, exclusions: pd.DataFrame
) -> pd.DataFrame:
    """Every mention with what covers it (`figure`, `exclusion`) or null, in document order."""
    base = mentions[["doc_id", "start", "end", "text", "value", "kind", "role"]].reset_index(
        drop=True
    )
    base["row"] = range(len(base))
    spans = _spans(figures, exclusions)
    # Only annotated documents have spans, so the merge stays small however large the corpus.
    pairs = base.merge(spans, on="doc_id", how="inner")
    inside = pairs[(pairs["start"] >= pairs["span_start"]) & (pairs["end"] <= pairs["span_end"])]
    # A figure wins over an exclusion that happens to contain the same mention.
    inside = inside.sort_values(["row", "covered_by"], ascending=[True, False], kind="stable")
    first = inside.drop_duplicates("row").set_index("row")[["covered_by", "figure_id", "reason"]]
    out = base.join(first, on="row").drop(columns="row")
    out = out.astype({"covered_by": "object", "figure_id": "object", "reason": "object"})
    out = out.where(out.notna(), None)
    return (
        out[COVERAGE_COLUMNS].sort_values(["doc_id", "start"], kind="stable").reset_index(drop=True)
    )


def uncovered_statistics(coverage: pd.DataFrame) -> pd.DataFrame:
    """Mentions labelled `statistic` that are neither a figure nor a reviewed exclusion."""
    mask = (coverage["role"] == "statistic") & coverage["covered_by"].isna()
    return coverage.loc[mask, ["doc_id", "start", "end", "text", "value", "kind"]].reset_index(
        drop=True
    )
