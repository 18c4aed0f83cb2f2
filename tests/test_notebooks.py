"""Notebooks: stored without outputs, executed by the pipeline on the real ledger, reproducible."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import jupytext
import nbformat
import pandas as pd
import pytest
import yaml

from conftest import ROOT, run_cli, run_snakemake
from figtrace.display import approximate
from figtrace.notebooks import has_outputs, make_reproducible

SOURCES = sorted((ROOT / "notebooks").glob("*.py"))
NAMES = [path.stem for path in SOURCES]


def read_tables(project: Path) -> dict[str, pd.DataFrame]:
    processed = project / "data" / "processed"
    return {name: pd.read_parquet(processed / f"{name}.parquet")
            for name in ("documents", "figures", "derived", "checks", "exclusions")}  # fmt: skip


def errors_in(notebook: Path) -> list[str]:
    nb = nbformat.read(notebook, as_version=4)
    return [
        f"{output.get('ename')}: {output.get('evalue')}"
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]


# --- what version control holds ------------------------------------------------------------------


def test_notebooks_are_stored_as_code_without_outputs():
    assert {"explore", "provenance"} <= set(NAMES)
    for path in SOURCES:
        nb = jupytext.read(path)
        assert nb.cells, path
        assert not has_outputs(nb), f"{path} carries outputs"
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{path}: needs exactly one cell tagged `parameters`"
        assert any(c.cell_type == "markdown" for c in nb.cells), f"{path}: no explanation"
    assert not list((ROOT / "notebooks").rglob("*.ipynb")), "executed copies belong in results/"


def test_printed_text_cut_into_chunks_is_stored_the_same_way():
    # A loaded kernel may send one print as "text" then "\n": the stored bytes must not change.
    def executed(*chunks: tuple[str, str]) -> nbformat.NotebookNode:
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("print(...)")
        cell.outputs = [nbformat.v4.new_output("stream", name=n, text=t) for n, t in chunks]
        cell.outputs.append(nbformat.v4.new_output("execute_result", data={"text/plain": "1"}))
        nb.cells = [cell]
        return make_reproducible(nb)

    whole = executed(("stdout", "a chain\nof lines\n"))
    cut = executed(("stdout", "a chain\nof"), ("stdout", " lines"), ("stdout", "\n"))
    assert nbformat.writes(cut) == nbformat.writes(whole)
    mixed = executed(("stdout", "out\n"), ("stderr", "warning\n"), ("stdout", "more\n"))
    assert [o.get("name") for o in mixed.cells[0].outputs] == ["stdout", "stderr", "stdout", None]


def test_has_outputs_sees_an_executed_cell():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    assert not has_outputs(nb)
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"})]
    assert has_outputs(nb)


# --- executed by the pipeline on the real ledger -------------------------------------------------


@pytest.mark.pipeline
@pytest.mark.parametrize("name", NAMES)
def test_pipeline_executes_every_notebook_without_errors(built_project, name):
    executed = built_project / "results" / "notebooks" / f"{name}.ipynb"
    page = built_project / "results" / "notebooks" / f"{name}.html"
    assert executed.is_file() and page.is_file()
    assert errors_in(executed) == []
    nb = nbformat.read(executed, as_version=4)
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
    assert not (built_project / "logs" / "notebooks" / f"{name}.failed.ipynb").exists()
    text = page.read_text("utf-8")
    assert f"<title>{name}</title>" in text
    # Opens offline: no script or stylesheet is fetched from anywhere.
    assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', text)


@pytest.mark.pipeline
def test_explore_shows_every_derived_figure_check_and_document(built_project):
    page = (built_project / "results" / "notebooks" / "explore.html").read_text("utf-8")
    tables = read_tables(built_project)
    for heading in ("Re-deriving the derived figures", "Re-deriving the consistency checks",
                    "Numbers that are not in the ledger", "Per document and per report"):  # fmt: skip
        assert heading in page
    for row in tables["derived"].itertuples():
        assert html.escape(row.derived_id) in page
        assert html.escape(approximate(row.value, row.unit)) in page  # as the report shows it
    for row in tables["checks"].itertuples():
        assert row.check_id in page and html.escape(row.message[:60]) in page
    for row in tables["exclusions"].itertuples():
        assert html.escape(row.reason, quote=False) in page
    for doc_id in tables["documents"]["doc_id"]:
        assert doc_id in page
    # Every re-derivation agrees: the `agrees` columns hold no False.
    nb = nbformat.read(built_project / "results" / "notebooks" / "explore.ipynb", as_version=4)
    agreed = [c for c in nb.cells if c.cell_type == "code" and 'agrees"].all()' in c.source]
    assert len(agreed) == 2
    for cell in agreed:
        shown = cell.outputs[-1]["data"]["text/html"]
        assert "<td>True</td>" in shown and "<td>False</td>" not in shown


def passage_of(figure: pd.Series) -> str:
    return f"<mark>{html.escape(figure['quote'])}</mark>"


@pytest.mark.pipeline
def test_provenance_shows_the_configured_figure_with_its_inputs_passages(built_project):
    page = (built_project / "results" / "notebooks" / "provenance.html").read_text("utf-8")
    config = yaml.safe_load((built_project / "config" / "config.yaml").read_text("utf-8"))
    ref = config["provenance_figure"]
    tables = read_tables(built_project)
    figures = tables["figures"].set_index("figure_id", drop=False)
    derived = tables["derived"].set_index("derived_id")
    leaves = derived.loc[ref, "source_figures"].split(";") if ref in derived.index else [ref]
    assert html.escape(ref) in page and len(leaves) >= 1
    for fid in leaves:
        figure = figures.loc[fid]
        assert passage_of(figure) in page
        sha = tables["documents"].set_index("doc_id").loc[figure["doc_id"], "sha256"]
        assert page.count(sha) >= 2  # pinned and recomputed, side by side
    assert "<td>False</td>" not in page


@pytest.mark.pipeline
def test_provenance_runs_for_another_figure(built_project, tmp_path):
    ref = "nor-ctac-referrals-change"
    out, page = tmp_path / "p.ipynb", tmp_path / "p.html"
    proc = run_cli(built_project, "notebook", "notebooks/provenance.py", "--out", str(out),
                   "--html", str(page), "-p", "figure_id", ref)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    text = page.read_text("utf-8")
    figure = read_tables(built_project)["figures"].set_index("figure_id", drop=False).loc[ref]
    assert passage_of(figure) in text
    assert f"<h3>{html.escape(ref)}: " in text
    # The highlighted number sits in its sentence: the words on both sides are there too.
    sentence = re.search(r"<blockquote[^>]*>(.*?)</blockquote>", text, re.S).group(1)
    assert html.escape(figure["prefix"].split("\n")[-1][-10:]) in sentence
    default = yaml.safe_load((ROOT / "config" / "config.yaml").read_text("utf-8"))
    assert f"<h3>{default['provenance_figure']}" not in text


# --- failures and reproducibility ----------------------------------------------------------------

FAILING = """\
# %% [markdown]
# A notebook whose second code cell fails.

# %% tags=["parameters"]
expected = 2

# %%
value = 1 + 1
assert value == expected, f"value is {value}, not {expected}"
"""


def test_a_failing_cell_fails_with_the_notebook_and_cell_and_keeps_the_copy(tmp_path):
    source = tmp_path / "broken.py"
    source.write_text(FAILING, "utf-8")
    out, page, kept = tmp_path / "out.ipynb", tmp_path / "out.html", tmp_path / "kept.ipynb"
    ok = run_cli(tmp_path, "notebook", str(source), "--out", str(out), "--html", str(page),
                 "--failed-copy", str(kept))  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    proc = run_cli(tmp_path, "notebook", str(source), "--out", str(tmp_path / "again.ipynb"),
                   "--html", str(tmp_path / "again.html"), "--failed-copy", str(kept),
                   "-p", "expected", "3")  # fmt: skip
    assert proc.returncode == 2
    assert str(source) in proc.stderr and "cell 3 (`value = 1 + 1`)" in proc.stderr
    assert "AssertionError: value is 2, not 3" in proc.stderr and str(kept) in proc.stderr
    assert "Traceback" not in proc.stderr
    assert errors_in(kept) == ["AssertionError: value is 2, not 3"]
    assert not (tmp_path / "again.ipynb").exists() and not (tmp_path / "again.html").exists()
    # A later successful run removes the stale failed copy.
    assert run_cli(tmp_path, "notebook", str(source), "--out", str(out), "--html", str(page),
                   "--failed-copy", str(kept)).returncode == 0  # fmt: skip
    assert not kept.exists()


@pytest.mark.pipeline
def test_a_disagreement_with_the_ledger_fails_the_build(built_project, tmp_path):
    project = Path(shutil.copytree(built_project, tmp_path / "project", symlinks=True))
    path = project / "data" / "processed" / "derived.parquet"
    derived = pd.read_parquet(path)
    derived.loc[0, "value"] += 1  # as if the pipeline's arithmetic were wrong
    derived.to_parquet(path, index=False)
    proc = run_snakemake(project)
    assert proc.returncode != 0
    said = proc.stdout + proc.stderr
    assert "notebook notebooks/explore.py: cell" in said and "AssertionError" in said
    assert derived.loc[0, "derived_id"] in said
    failed = project / "logs" / "notebooks" / "explore.failed.ipynb"
    assert any(derived.loc[0, "derived_id"] in e for e in errors_in(failed))
    assert not (project / "results" / "notebooks" / "explore.ipynb").exists()


@pytest.mark.pipeline
@pytest.mark.parametrize("name", NAMES)
def test_two_executions_give_identical_bytes(built_project, tmp_path, name):
    out, page = tmp_path / f"{name}.ipynb", tmp_path / f"{name}.html"
    # The parameters the pipeline passes (they are recorded in the executed copy).
    config = yaml.safe_load((built_project / "config" / "config.yaml").read_text("utf-8"))
    parameters = [
        "-p",
        "processed_dir",
        config["processed_dir"],
        "-p",
        "corpus_dir",
        f"{config['processed_dir']}/shards/ledger",
        "-p",
        "raw_dir",
        config["raw_dir"],
    ]
    if name == "provenance":
        parameters += ["-p", "figure_id", config["provenance_figure"]]
    proc = run_cli(built_project, "notebook", f"notebooks/{name}.py", "--out", str(out),
                   "--html", str(page), *parameters)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    results = built_project / "results" / "notebooks"
    assert out.read_bytes() == (results / f"{name}.ipynb").read_bytes()
    assert page.read_bytes() == (results / f"{name}.html").read_bytes()
    nb = json.loads(out.read_text("utf-8"))
    assert "papermill" not in nb["metadata"]
    assert [c["id"] for c in nb["cells"]] == [f"cell-{i:03d}" for i in range(len(nb["cells"]))]
