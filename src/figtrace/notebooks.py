"""Notebooks: execute the project's Jupytext notebooks with parameters and render them to HTML.

Notebooks live in `notebooks/` as percent-format `.py` files (no outputs in version control).
Papermill runs them with parameters injected after the cell tagged `parameters`; the executed copy
is stripped of run-specific bytes (timings, random cell ids, temp paths) so reruns are identical.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jupytext
import nbformat

import figtrace
from figtrace import outputs
from figtrace.errors import FigtraceError

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def load(source: Path) -> nbformat.NotebookNode:
    """Read a notebook from its Jupytext `.py` (or `.ipynb`) source, with a fixed kernel."""
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return nb


def make_reproducible(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop the bytes that change from run to run: timings, papermill paths, random cell ids,
    and where the kernel happened to cut a cell's printed text into messages.

    The kernel sends printed text in chunks on a timer, so on a loaded machine one `print` can
    arrive as two messages ("text", then "\\n") and be stored as two outputs: the same text,
    other bytes (a resumed run once differed from a clean one this way). nbconvert's
    CoalesceStreamsPreprocessor joins consecutive outputs of the same stream."""
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    nb.metadata.pop("papermill", None)
    nb.metadata.get("language_info", {}).pop("version", None)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index:03d}"
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})
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


def to_html(nb: nbformat.NotebookNode, title: str = "Notebook") -> str:
    """Render an executed notebook to one HTML page that opens offline (no CDN scripts)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", **OFFLINE)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return EMPTY_SCRIPT.sub("", body)


@contextmanager
def _kernel_imports_this_figtrace() -> Iterator[None]:
    """Put this figtrace's source directory first on the kernel's PYTHONPATH for the run.

    The kernel is a fresh `python`; without this it would import whichever figtrace is installed
    in the environment, not necessarily the checkout running the notebook.
    """
    src = str(Path(figtrace.__file__).resolve().parents[1])
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([src, *([before] if before else [])])
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = before


def _kernel_config() -> Any:
    """Kernel settings: encrypt the kernel's local traffic when pyzmq can (quiet and safer)."""
    import zmq
    from traitlets.config import Config

    encryption = "auto" if zmq.has("curve") else "disabled"
    return Config({"KernelManager": {"transport_encryption": encryption}})


def _failed_cell(nb: nbformat.NotebookNode, source: str) -> str:
    """Which cell of the stored notebook failed: its number (as Jupyter shows it) and first line."""
    first = next((line for line in source.splitlines() if line.strip()), "")
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type == "code" and cell.source == source:
            return f"cell {number} (`{first}`)"
    return f"the cell `{first}`"


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
    stored = load(source)
    with tempfile.TemporaryDirectory(prefix="figtrace-nb-") as tmp:
        given = Path(tmp) / f"{source.stem}.ipynb"
        ran = Path(tmp) / f"{source.stem}.executed.ipynb"
        nbformat.write(stored, given)
        try:
            with _kernel_imports_this_figtrace():
                papermill.execute_notebook(
                    str(given),
                    str(ran),
                    parameters=parameters or {},
                    kernel_name=KERNELSPEC["name"],
                    progress_bar=False,
                    cwd=str(cwd or Path.cwd()),
                    config=_kernel_config(),
                )
        except PapermillExecutionError as exc:
            kept = ""
            if failed_copy is not None and ran.exists():
                failed = make_reproducible(nbformat.read(ran, as_version=4))
                outputs.write_text(failed_copy, nbformat.writes(failed) + "\n")
                kept = f" The executed copy, with the traceback, is kept at {failed_copy}."
            evalue = exc.evalue if exc.evalue.endswith((".", "?", "!")) else f"{exc.evalue}."
            raise FigtraceError(
                f"notebook {source}: {_failed_cell(stored, exc.source)} failed with "
                f"{exc.ename}: {evalue}{kept}"
            ) from None
        nb = make_reproducible(nbformat.read(ran, as_version=4))
    if failed_copy is not None:
        Path(failed_copy).unlink(missing_ok=True)  # a copy from an earlier failure is stale now
    outputs.write_text(executed, nbformat.writes(nb) + "\n")
    outputs.write_text(html, to_html(nb, title=source.stem))
