# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Where does this number come from?
#
# Set `figure_id` in the next cell to any `figure_id` of the ledger (`figures.parquet`) or any
# `derived_id` (`derived.parquet`), and run the notebook. It shows the number's whole provenance
# chain:
#
# - what the number means (label, indicator, population, geography, period) and which report it
#   comes from;
# - the **passage**: the whole sentence of the document it is quoted from, with the number
#   highlighted;
# - the **document**: its metadata, and its sha256 computed again from the raw bytes and compared
#   with the hash pinned in its sidecar;
# - for a derived figure, its formula and the same chain for each of its inputs, down to the
#   passages the arithmetic rests on.
#
# From the command line: `python -m figtrace notebook notebooks/provenance.py --out X.ipynb
# --html X.html -p figure_id nor-ctac-referrals-change`.

# %% tags=["parameters"]
figure_id = "bsw-trafficked-within-uk-share-computed"
processed_dir = "data/processed"
corpus_dir = "data/processed/shards/ledger"  # the annotated documents' tables
raw_dir = "data/raw"

# %%
import hashlib
import html
from pathlib import Path

import pandas as pd
import yaml
from IPython.display import HTML, display

from figtrace import display as numbers
from figtrace.documents import document_name, load_documents
from figtrace.provenance import (
    chain,
    claimant_words,
    format_chain,
    format_ref,
    load_ledger,
)

pd.set_option("display.max_colwidth", 200)

processed, corpus, raw = Path(processed_dir), Path(corpus_dir), Path(raw_dir)
ledger = load_ledger(processed, raw, corpus)
mentions = pd.read_parquet(corpus / "mentions.parquet")
# only the documents the ledger quotes (re-hashed), however many the corpus holds
quoted = sorted(ledger.figures["doc_id"].unique())
documents = {doc.doc_id: doc for doc in load_documents(raw, quoted)}
provenance = chain(ledger, figure_id)
print(f"{figure_id}: a {provenance['type']} figure")

# %% [markdown]
# ## The chain at a glance
#
# This is what `python -m figtrace trace ID` prints; the quoted number is between ⟦ and ⟧.

# %%
print(format_chain(provenance))

# %% [markdown]
# ## How it is computed
#
# A figure quoted from a document has no formula: it is the number in the passage. A derived
# figure is a formula over other figures; each step is listed here, outermost first, with the
# values of its inputs.


# %%
def walk(node: dict, depth: int = 0):
    """Every node of the chain, depth first, with its depth."""
    yield node, depth
    for child in node.get("inputs", []):
        yield from walk(child, depth + 1)


nodes = list(walk(provenance))
steps = [
    {
        "derived_id": node["id"],
        "value": format_ref(ledger, node["id"]),
        "unrounded": numbers.unrounded(node["derived"]["value"], node["derived"]["unit"]),
        "formula": node["derived"]["formula"],
        "with values": node["derived"]["expression"],
        "inputs": "; ".join(
            f"{child['id']} = {format_ref(ledger, child['id'])}" for child in node["inputs"]
        ),
    }
    for node, _ in nodes
    if node["type"] == "derived"
]
if steps:
    display(pd.DataFrame(steps))
else:
    print(f"{figure_id} is quoted directly from a document; there is no formula.")

# %% [markdown]
# ## The passages
#
# For each figure the chain rests on: the sentence it comes from (from the mention extractor's
# sentence bounds), with the anchored quote highlighted. The quote is checked against the
# document's text at the anchored character offsets, so a stale anchor fails this cell. Document
# text is untrusted web text: it is escaped before it is shown.

# %%
leaves = list(dict.fromkeys(node["id"] for node, _ in nodes if node["type"] == "figure"))


def sentence_bounds(f: dict, text: str) -> tuple[int, int]:
    """The sentence(s) around a figure's span; the anchor's context if no mention lies inside."""
    inside = mentions[
        (mentions["doc_id"] == f["doc_id"])
        & (mentions["start"] >= f["start"])
        & (mentions["end"] <= f["end"])
    ]
    if len(inside):
        start = min(int(inside["sentence_start"].min()), f["start"])
        return start, max(int(inside["sentence_end"].max()), f["end"])
    return max(0, f["start"] - len(f["prefix"])), min(len(text), f["end"] + len(f["suffix"]))


def passage_html(f: dict, text: str) -> str:
    """The sentence as HTML, escaped, with the quoted number marked."""
    start, end = sentence_bounds(f, text)
    before, quote, after = (
        text[start : f["start"]],
        text[f["start"] : f["end"]],
        text[f["end"] : end],
    )
    return (
        '<blockquote style="white-space: pre-wrap">'
        f"{html.escape(before)}<mark>{html.escape(quote)}</mark>{html.escape(after)}"
        "</blockquote>"
    )


for fid in leaves:
    f = ledger.figures.loc[fid].to_dict()
    doc = documents[f["doc_id"]]
    text = doc.text()
    assert text[f["start"] : f["end"]] == f["quote"], f"{fid}: the anchor no longer resolves"
    assert text[: f["start"]].endswith(f["prefix"]) and text[f["end"] :].startswith(f["suffix"])
    shown = format_ref(ledger, fid)
    where = doc.canonical().locate(f["start"], f["end"])
    located = [f"characters {f['start']}–{f['end']}"]
    if where.page is not None:
        located.append(f"page {where.page}")
    if where.element_path:
        located.append(f"element {where.element_path}")
    display(
        HTML(
            f"<h3>{html.escape(fid)}: {html.escape(shown)}</h3>"
            f"<p>{html.escape(f['label'])}. From <code>{html.escape(f['doc_id'])}</code>, "
            f"{html.escape(', '.join(located))}.</p>" + passage_html(f, text)
        )
    )
    report = ledger.reports.get(f["report_id"]) if isinstance(f["report_id"], str) else None
    indicator = ledger.indicators.get(f["indicator"])
    display(
        pd.Series(
            {
                "value": f["value"],
                "unit": f["unit"],
                "qualifier": f["qualifier"] if isinstance(f["qualifier"], str) else "none",
                "indicator": f"{f['indicator']}: {indicator.name if indicator else '?'}",
                "population": f["population"],
                "geography": f["geography"],
                "period": f["period"] if isinstance(f["period"], str) else "not stated",
                "period note": f["period_note"] if isinstance(f["period_note"], str) else "",
                "report": (
                    report.display_name()
                    if report
                    else "none named: the passage ties the figure to no report"
                ),
                "stated by": claimant_words(f),
                "note": f["note"] if isinstance(f["note"], str) else "",
            },
            name=fid,
        ).to_frame()
    )

# %% [markdown]
# ## The documents and their bytes
#
# Every passage above is a slice of one document's exact bytes. Here each document's raw file is
# hashed again and compared with the sha256 pinned in its sidecar (`data/raw/documents/*.yaml`),
# with the hash in `documents.parquet`, and with the hash each figure's annotation was made
# against. Any difference fails the cell.

# %%
doc_ids = list(dict.fromkeys(ledger.figures.loc[fid, "doc_id"] for fid in leaves))
rows = []
for doc_id in doc_ids:
    doc = documents[doc_id]
    sidecar = yaml.safe_load(doc.sidecar.read_text("utf-8"))
    recomputed = hashlib.sha256(doc.path.read_bytes()).hexdigest()
    annotated = set(ledger.figures.loc[ledger.figures["doc_id"] == doc_id, "sha256"])
    meta = ledger.documents.loc[doc_id]
    assert recomputed == sidecar["sha256"], f"{doc.path}: bytes changed since the hash was pinned"
    assert recomputed == meta["sha256"], f"{doc_id}: documents.parquet has another hash"
    assert annotated == {recomputed}, f"{doc_id}: annotations were made against other bytes"
    rows.append(
        {
            "doc_id": doc_id,
            "title": document_name(
                meta["title"] if isinstance(meta["title"], str) else None,
                meta["description"] if isinstance(meta["description"], str) else None,
                doc_id,
            ),
            "publisher": meta["publisher"] if isinstance(meta["publisher"], str) else "not stated",
            "published": (
                meta["date_published"] if isinstance(meta["date_published"], str) else "not stated"
            ),
            "url": meta["url"] or "not stated",
            "file": str(doc.path),
            "media type": meta["media_type"],
            "bytes": int(meta["n_bytes"]),
            "pinned sha256": sidecar["sha256"],
            "recomputed sha256": recomputed,
            "match": recomputed == sidecar["sha256"],
        }
    )
pd.DataFrame(rows).set_index("doc_id").T
