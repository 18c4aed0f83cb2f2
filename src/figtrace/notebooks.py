"""Notebooks: execute the project's Jupytext notebooks with parameters and render them to HTML.

Notebooks live in `notebooks/` as percent-format `.py` files (no outputs in version control).
Papermill runs them with parameters injected after the cell tagged `parameters`; the executed copy
is stripped of run-specific bytes (timings, random cell ids, temp paths) so reruns are identical.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import jupytext
import nbformat

from figtrace import outputs
from figtrace.errors import FigtraceError

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def load(source: Path) -> nbformat.NotebookNode:
    """Read a notebook from its Jupytext `.py` (or `.ipynb`) source, with a fixed kernel."""
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return nb


def make_reproducible(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop the bytes that change from run to run: timings, papermill paths, random cell ids."""
    nb.metadata.pop("papermill", None)
    nb.metadata.get("language_info", {}).pop("version", None)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index:03d}"
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    return nb


def strip_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy with no outputs or execution counts, as notebooks are kept in version control."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def has_outputs(nb: nbformat.NotebookNode) -> bool:
    """True when any code cell carries outputs or an execution count."""
    return any(
        cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
        for cell in nb.cells
    )


OFFLINE = {
    name: ""
    for name in ("mathjax_url", "require_js_url", "mermaid_js_url", "mermaid_layout_elk_js_url",
                 "jquery_url", "widget_renderer_url")
}  # fmt: skip
EMPTY_SCRIPT = re.compile(r'<script src="">\s*</script>\n?')


def to_html(nb: nbformat.NotebookNode) -> str:
    """Render an executed notebook to one HTML page that opens offline (no CDN scripts)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab", **OFFLINE).from_notebook_node(nb)
    return EMPTY_SCRIPT.sub("", body)


def execute(
    source: Path,
    executed: Path,
    html: Path,
    parameters: dict[str, Any] | None = None,
    cwd: Path | None = None,
    failed_copy: Path | None = None,
) -> None:
    """Run `source` with `parameters` in `cwd`; write the executed `.ipynb` and its HTML.

    A failing cell raises FigtraceError naming the notebook and the cell; the executed copy
    (with the traceback in it) is kept at `failed_copy` for debugging.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    source = Path(source)
    with tempfile.TemporaryDirectory(prefix="figtrace-nb-") as tmp:
        given = Path(tmp) / f"{source.stem}.ipynb"
        ran = Path(tmp) / f"{source.stem}.executed.ipynb"
        nbformat.write(load(source), given)
        try:
            papermill.execute_notebook(
                str(given),
                str(ran),
                parameters=parameters or {},
                kernel_name=KERNELSPEC["name"],
                progress_bar=False,
                cwd=str(cwd or Path.cwd()),
            )
        except PapermillExecutionError as exc:
            if failed_copy is not None and ran.exists():
                Path(failed_copy).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(ran, failed_copy)
            kept = f"; the executed copy is kept at {failed_copy}" if failed_copy else ""
            raise FigtraceError(
                f"{source}: cell {exc.exec_count} failed with {exc.ename}: {exc.evalue}{kept}."
            ) from None
        nb = make_reproducible(nbformat.read(ran, as_version=4))
    outputs.write_text(executed, nbformat.writes(nb) + "\n")
    outputs.write_text(html, to_html(nb))
