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
# # Exploring the figure ledger
#
# This notebook re-checks the pipeline's tables from the outside. It reads what the pipeline
# wrote to `data/processed/` about the ledger and the documents it annotates (the ledger shard,
# `data/processed/shards/ledger/`), and:
#
# 1. re-derives every **derived figure** from the ledger with its own arithmetic, reading the
#    formulas from `data/raw/derived.yaml`, and asserts the values agree with `derived.parquet`;
# 2. re-derives the **consistency checks'** stated and computed values and their differences
#    from `data/raw/checks.yaml`, and asserts they agree with `checks.parquet`;
# 3. looks at every number the extractor found in the annotated documents that is **not in the
#    ledger**: what role it has, which reviewed exclusion covers it and why, and whether anything
#    is left uncovered (the whole corpus's uncovered statistics are in
#    `results/uncovered_statistics.csv`);
# 4. summarises the ledger **per document** and **per report**.
#
# A disagreement fails its cell, so when the pipeline runs this notebook a disagreement fails
# the build. To explore, open it in JupyterLab and change the paths in the next cell.

# %% tags=["parameters"]
processed_dir = "data/processed"
corpus_dir = "data/processed/shards/ledger"
raw_dir = "data/raw"

# %% [markdown]
# ## The tables
#
# `figures` is the ledger: one row per statistic, anchored to its passage. `mentions` is every
# number the extractor found in the annotated documents; `coverage` says which figure or reviewed
# exclusion covers each mention (computed here by `figtrace.coverage`, as the pipeline does).

# %%
import ast
import math
import operator
import re
from pathlib import Path

import pandas as pd
import yaml

from figtrace import display
from figtrace.coverage import coverage_frame
from figtrace.documents import document_name
from figtrace.registries import load_reports

pd.set_option("display.max_colwidth", 120)
pd.set_option("display.max_rows", 500)

processed, corpus, raw = Path(processed_dir), Path(corpus_dir), Path(raw_dir)
documents = pd.read_parquet(corpus / "documents.parquet")
figures = pd.read_parquet(processed / "figures.parquet")
derived = pd.read_parquet(processed / "derived.parquet")
checks = pd.read_parquet(processed / "checks.parquet")
mentions = pd.read_parquet(corpus / "mentions.parquet")
exclusions = pd.read_parquet(processed / "exclusions.parquet")
coverage = coverage_frame(mentions, figures, exclusions)
reports = load_reports(raw / "reports.yaml")

pd.DataFrame(
    {
        "table": ["documents", "mentions", "figures", "exclusions", "derived", "checks"],
        "rows": [len(t) for t in (documents, mentions, figures, exclusions, derived, checks)],
    }
)

# %%
figures[["figure_id", "doc_id", "stated", "value", "unit", "qualifier", "label"]]

# %% [markdown]
# ## 1. Re-deriving the derived figures
#
# A derived figure is a number the sources imply but do not state, such as a share computed
# from two counts. `data/raw/derived.yaml` gives each one a formula that names its inputs in
# braces, e.g. `{a} / {b} * 100`; an input is a figure or a derived figure defined above it.
#
# Here the formulas are evaluated again, independently of `figtrace.derived`: each `{id}` is
# replaced by a variable, the expression is parsed with Python's `ast`, and only numbers,
# `+ - * /`, unary minus and parentheses are evaluated, with Python's own operators on the
# values from `figures.parquet`. Nothing in this cell knows any particular formula.

# %%
OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
REF = re.compile(r"\{([^{}]+)\}")


def evaluate(formula: str, values: dict) -> float:
    """Evaluate a formula over `{id}` references with + - * / and parentheses only."""
    refs = list(dict.fromkeys(REF.findall(formula)))
    names = {ref: f"_v{i}" for i, ref in enumerate(refs)}
    tree = ast.parse(REF.sub(lambda m: names[m.group(1)], formula), mode="eval")
    env = {names[ref]: float(values[ref]) for ref in refs}

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.BinOp):
            return OPERATORS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp):
            return OPERATORS[type(node.op)](walk(node.operand))
        raise ValueError(f"{ast.unparse(node)!r} is not arithmetic")

    return walk(tree)


specs = yaml.safe_load((raw / "derived.yaml").read_text("utf-8"))["derived"]
values = dict(zip(figures["figure_id"], figures["value"], strict=True))
recomputed = []
for spec in specs:
    value = evaluate(spec["formula"], values)
    values[spec["derived_id"]] = value
    recomputed.append(
        {
            "derived_id": spec["derived_id"],
            "formula": spec["formula"],
            "inputs": ";".join(dict.fromkeys(REF.findall(spec["formula"]))),
            "recomputed": value,
            "unit": spec["unit"],
        }
    )
recomputed = pd.DataFrame(recomputed)
assert set(recomputed["derived_id"]) == set(derived["derived_id"]), (
    "derived.yaml and derived.parquet list different ids"
)
rederived = recomputed.merge(
    derived[["derived_id", "formula", "inputs", "value", "expression"]],
    on="derived_id",
    how="left",
    suffixes=("", "_pipeline"),
)
rederived["agrees"] = [
    math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    for a, b in zip(rederived["recomputed"], rederived["value"], strict=True)
]
rederived["shown as"] = [
    display.approximate(v, u)
    for v, u in zip(rederived["recomputed"], rederived["unit"], strict=True)
]

assert (rederived["formula"] == rederived["formula_pipeline"]).all(), "a formula differs"
assert (rederived["inputs"] == rederived["inputs_pipeline"]).all(), "an input list differs"
assert rederived["agrees"].all(), rederived.loc[~rederived["agrees"], "derived_id"].tolist()
rederived[["derived_id", "formula", "expression", "recomputed", "value", "shown as", "agrees"]]

# %% [markdown]
# Every derived figure agrees with the pipeline's value (the cell above asserts it). `value` is
# the pipeline's, `recomputed` is this notebook's, and `shown as` is how reports print it.
#
# ## 2. Re-deriving the consistency checks
#
# `data/raw/checks.yaml` sets claims against each other. An `agreement` check lists several
# figures that state the same thing; a `rounding` or `change` check sets a `stated` claim (such
# as "one in six") against a `computed` value (such as 90 of 609). Values are compared in the
# check's unit, so a proportion becomes a percentage by multiplying by 100.
#
# Below, each check's values are looked up again, in the check's unit, from the figures and the
# derived values just recomputed; for `rounding` and `change` the difference is
# `computed - stated`. The hedge ("more than", "nearly") is part of the claim and decides the
# status; the status and message are the pipeline's.

# %%
qualifiers = dict(zip(figures["figure_id"], figures["qualifier"], strict=True))
stated_forms = dict(zip(figures["figure_id"], figures["stated"], strict=True))


def shown(ref: str, unit: str) -> str:
    """How the report shows a claim: a figure in its source's words, a derived value rounded."""
    if ref in stated_forms:
        return display.stated(stated_forms[ref], values[ref], units[ref], qualifiers.get(ref))
    return display.approximate(in_unit(ref, unit), unit)


units = dict(zip(figures["figure_id"], figures["unit"], strict=True))
units.update({spec["derived_id"]: spec["unit"] for spec in specs})
SCALE = {("proportion", "percent"): 100.0, ("percent", "proportion"): 0.01}


def in_unit(ref: str, unit: str) -> float:
    """The value of a figure or derived figure in `unit` (percent <-> proportion only)."""
    return values[ref] * (1.0 if units[ref] == unit else SCALE[(units[ref], unit)])


check_specs = yaml.safe_load((raw / "checks.yaml").read_text("utf-8"))["checks"]
rows = []
for spec in check_specs:
    unit = spec["unit"]
    if spec["kind"] == "agreement":
        refs, stated, computed = spec["figures"], math.nan, math.nan
    else:
        refs = [spec["stated"], spec["computed"]]
        stated, computed = in_unit(spec["stated"], unit), in_unit(spec["computed"], unit)
    rows.append(
        {
            "check_id": spec["check_id"],
            "claims": "; ".join(f"{ref} = {shown(ref, unit)}" for ref in refs),
            "re_inputs": ";".join(refs),
            "re_unit": unit,
            "re_stated": stated,
            "re_computed": computed,
            "re_difference": computed - stated,
        }
    )
rechecked = pd.DataFrame(rows)
# checks.yaml declares these kinds; the pipeline adds others of its own (articles against reports,
# figures of different documents against each other)
declared = checks[checks["kind"].isin(["agreement", "rounding", "change"])]
assert set(rechecked["check_id"]) == set(declared["check_id"]), (
    "checks.yaml and checks.parquet list different ids"
)
# The other rows pair figures of different documents with the same indicator, period,
# geography and report (corroboration, or restatement of one source text): find the pairs again.
same_thing = figures[["indicator", "period", "geography", "report_id"]].fillna("").astype(str)
keys = dict(zip(figures["figure_id"], same_thing.agg("|".join, axis=1), strict=True))
docs = dict(zip(figures["figure_id"], figures["doc_id"], strict=True))
pairing = checks["kind"].isin(["corroboration", "restatement"])
# a pair another check already compares (an article against its report) is not paired again
compared = {frozenset(i.split(";")) for i in checks.loc[~pairing, "inputs"]}
pairs = {
    (a, b)
    for a in keys
    for b in keys
    if a < b and keys[a] == keys[b] and docs[a] != docs[b] and frozenset((a, b)) not in compared
}
paired = checks.loc[pairing, "inputs"]
assert pairs == {tuple(sorted(i.split(";"))) for i in paired}, "corroboration pairs differ"
rechecked = rechecked.merge(checks, on="check_id", how="left")


def same(a: pd.Series, b: pd.Series) -> list[bool]:
    """Equal to rounding error, or both missing (agreement checks have no stated value)."""
    return [
        (pd.isna(x) and pd.isna(y))
        or (not pd.isna(x) and not pd.isna(y) and math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12))
        for x, y in zip(a, b, strict=True)
    ]


rechecked["agrees"] = (
    (rechecked["re_inputs"] == rechecked["inputs"])
    & (rechecked["re_unit"] == rechecked["unit"])
    & pd.Series(same(rechecked["re_stated"], rechecked["stated_value"]))
    & pd.Series(same(rechecked["re_computed"], rechecked["computed_value"]))
    & pd.Series(same(rechecked["re_difference"], rechecked["difference"]))
)
assert rechecked["agrees"].all(), rechecked.loc[~rechecked["agrees"], "check_id"].tolist()
rechecked[
    ["check_id", "kind", "claims", "re_stated", "re_computed", "re_difference", "status", "agrees"]
]

# %% [markdown]
# Every check's values and differences agree with `checks.parquet`. The findings themselves, in
# the pipeline's words (a warning or failure is a finding about the sources, not about the
# pipeline):

# %%
checks[["check_id", "status", "message"]]

# %% [markdown]
# ## 3. Numbers that are not in the ledger
#
# Not every number in a news article is a statistic: dates, job-advert salaries, phone numbers,
# names such as "Catch22" and idioms such as "one of the highest" are numbers too. Each one the
# extractor finds is either inside a figure's anchored span, or covered by a **reviewed
# exclusion** that gives a reason, or left **uncovered**. Here mentions are matched to figure
# spans again with a plain interval test, and the result is compared with `figtrace.coverage`.

# %%
spans = figures[["doc_id", "start", "end"]].rename(columns={"start": "s", "end": "e"})
pairs = mentions.reset_index().merge(spans, on="doc_id")
in_figure = set(pairs.loc[(pairs["start"] >= pairs["s"]) & (pairs["end"] <= pairs["e"]), "index"])
outside = mentions.loc[~mentions.index.isin(in_figure)]
not_figure = coverage[coverage["covered_by"] != "figure"]
assert sorted(zip(outside["doc_id"], outside["start"], outside["end"], strict=True)) == sorted(
    zip(not_figure["doc_id"], not_figure["start"], not_figure["end"], strict=True)
), "figtrace.coverage and this notebook disagree on which mentions lie inside a figure"
print(
    f"{len(mentions)} mentions, {len(mentions) - len(outside)} inside a figure, {len(outside)} not"
)

# %% [markdown]
# By role, and by what covers them (`none` = neither a figure nor a reviewed exclusion):

# %%
pd.crosstab(
    coverage["role"], coverage["covered_by"].fillna("none"), margins=True, margins_name="total"
)

# %% [markdown]
# The reviewed exclusions, with the reviewer's reasons:

# %%
exclusions[["doc_id", "quote", "category", "reason"]]

# %% [markdown]
# Mentions that nothing covers. Dates, idioms and furniture need no review; a mention with role
# `statistic` here is a number still to be put in the ledger or excluded with a reason.

# %%
uncovered = coverage[coverage["covered_by"].isna()]
print(
    f"{len(uncovered)} mentions not covered, of which "
    f"{int((uncovered['role'] == 'statistic').sum())} statistics"
)
uncovered[["doc_id", "start", "end", "text", "role"]]

# %% [markdown]
# ## 4. Per document and per report

# %%
per_doc = pd.DataFrame(
    {
        "mentions": mentions.groupby("doc_id").size(),
        "statistics": mentions[mentions["role"] == "statistic"].groupby("doc_id").size(),
        "figures": figures.groupby("doc_id").size(),
        "exclusions": exclusions.groupby("doc_id").size(),
        "uncovered statistics": uncovered[uncovered["role"] == "statistic"]
        .groupby("doc_id")
        .size(),
    }
).reindex(documents["doc_id"])
per_doc = per_doc.fillna(0).astype(int)
figure_doc = dict(zip(figures["figure_id"], figures["doc_id"], strict=True))
per_doc["derived"] = [
    sum(any(figure_doc[f] == doc for f in s.split(";")) for s in derived["source_figures"])
    for doc in per_doc.index
]
source_figures = dict(zip(derived["derived_id"], derived["source_figures"], strict=True))
check_docs = [
    {figure_doc[f] for ref in inputs.split(";") for f in source_figures.get(ref, ref).split(";")}
    for inputs in checks["inputs"]
]
per_doc["checks"] = [sum(doc in docs for docs in check_docs) for doc in per_doc.index]
per_doc.insert(
    0,
    "title",
    [
        document_name(d["title"], d["description"], d["doc_id"])
        for d in documents.set_index("doc_id", drop=False)
        .loc[per_doc.index]
        .replace({float("nan"): None})
        .to_dict("records")
    ],
)
assert per_doc["figures"].sum() == len(figures)
per_doc

# %%
report_rows = []
for rid, report in reports.items():
    stated = figures[figures["report_id"] == rid]
    report_rows.append(
        {
            "report_id": rid,
            "producer": report.producer,
            "title": report.title,
            "year": report.year,
            "figures": len(stated),
            "documents quoting it": ", ".join(sorted(stated["doc_id"].unique())),
        }
    )
own = figures[figures["report_id"].isna()]
report_rows.append(
    {
        "report_id": "(no report named)",
        "producer": "",
        "title": "",
        "year": None,
        "figures": len(own),
        "documents quoting it": ", ".join(sorted(own["doc_id"].unique())),
    }
)
per_report = pd.DataFrame(report_rows)
assert per_report["figures"].sum() == len(figures), "a figure cites a report not in reports.yaml"
per_report

# %% [markdown]
# Every figure is counted once, either under the report it comes from or under the document
# that states it itself. To see where any one number comes from, run the `provenance` notebook
# with its `figure_id`.
