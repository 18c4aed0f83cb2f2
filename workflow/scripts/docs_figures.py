"""Draw the documentation site's figures from a project that the pipeline has run in.

Writes into OUT (docs/assets/generated/ by default; not committed):
  rulegraph.svg, dag.svg   `snakemake --rulegraph` / `--dag`, laid out by Graphviz `dot`
  charts/*.png             copies of results/charts/*.png
  charts.snippet           Markdown showing those charts with their titles, alt text and captions
                           (included by docs/charts.md)
  screenshots/*.png        `figtrace screenshots` of results/report.html (headless Chromium)
and the README's picture, PICTURE (docs/assets/readme-chart.png, committed): the first chart of
the gallery, byte for byte (charts are byte-identical from run to run).

A missing tool (dot, Chromium) does not stop the build: the figure becomes a small SVG or PNG
that says what to install, and the script prints the same. Run it with the project's Python:
  python workflow/scripts/docs_figures.py [--project .] [--out docs/assets/generated]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_DOT = "install Graphviz (apt-get install graphviz, brew install graphviz) and run make docs"
INSTALL_CHROMIUM = "install Chromium (apt-get install chromium) and run make docs"


def note_svg(text: str) -> str:
    """A small SVG that says why a figure is missing and how to draw it."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="60" role="img">'
        '<rect width="640" height="60" fill="#f6f6f6" stroke="#999"/>'
        f'<text x="12" y="35" font-family="sans-serif" font-size="14">{html.escape(text)}</text>'
        "</svg>\n"
    )


def write(path: Path, data: bytes | str) -> None:
    """Write a file whole: to a temporary name first, then rename into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    tmp.replace(path)


def graph(project: Path, out: Path, flag: str, name: str) -> str:
    """Draw Snakemake's --rulegraph or --dag of `project` as OUT/NAME.svg; say what happened."""
    target = out / f"{name}.svg"
    dot = shutil.which("dot")
    if dot is None:
        write(target, note_svg(f"Not drawn: {INSTALL_DOT}."))
        return f"{target.name}: Graphviz `dot` not found; {INSTALL_DOT}"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    spec = subprocess.run(
        [sys.executable, "-m", "snakemake", flag, "--quiet", "all"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    spec = spec[spec.index("digraph") :]  # anything Snakemake printed before the graph
    tred = shutil.which("tred")  # Graphviz's transitive reduction: drop edges implied by others
    if tred:
        spec = subprocess.run([tred], input=spec, capture_output=True, text=True, check=True).stdout
    svg = subprocess.run(
        [dot, "-Tsvg"], input=spec, capture_output=True, text=True, check=True
    ).stdout
    write(target, svg)
    return f"{target.name}: drawn by {dot}"


def charts(project: Path, out: Path, picture: Path | None = None) -> str:
    """Copy the chart PNGs, write a Markdown snippet that shows them, and refresh `picture`
    (the README's) from the first chart when its bytes differ."""
    results = project / "results" / "charts"
    index = json.loads((results / "index.json").read_text("utf-8"))["charts"]
    lines = []
    for chart in index:
        png = results / chart["files"]["png"]
        write(out / "charts" / png.name, png.read_bytes())
        lines += [
            f"### {one_line(chart['title'])}",
            "",
            f"![{one_line(chart['alt'])}](assets/generated/charts/{png.name})",
            "",
            f"{one_line(chart['caption'])} (`results/charts/{png.name}`)",
            "",
        ]
    write(out / "charts.snippet", "\n".join(lines))
    if picture is not None:
        first = results / index[0]["files"]["png"]
        if not picture.is_file() or picture.read_bytes() != first.read_bytes():
            write(picture, first.read_bytes())
    return f"charts: {len(index)} copied from {results}"


def one_line(text: str) -> str:
    """Text from the ledger made safe for one line of Markdown: escaped, brackets neutral."""
    text = html.escape(" ".join(text.split()))
    return (
        text.replace("[", "&#91;").replace("]", "&#93;").replace("*", "&#42;").replace("_", "&#95;")
    )


def screenshots(project: Path, out: Path, chromium: Path = CHROMIUM) -> str:
    """Screenshot the report and a source viewer with `figtrace screenshots`."""
    target = out / "screenshots"
    if not chromium.is_file():
        for name in ("report", "provenance-entry", "source-viewer"):
            write(target / f"{name}.png", placeholder_png())
        return f"screenshots: Chromium not found at {chromium}; {INSTALL_CHROMIUM}"
    from figtrace.screenshots import take_screenshots

    written = take_screenshots(project / "results", target, chromium)
    return f"screenshots: {', '.join(path.name for path in written)}"


def placeholder_png() -> bytes:
    """A 1x1 grey PNG standing in for a screenshot that could not be taken."""
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg=="
    )


def main(argv: list[str] | None = None) -> int:
    """Draw every figure; exit 1 with a message if the pipeline has not run yet."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path("."))
    parser.add_argument("--out", type=Path, default=Path("docs/assets/generated"))
    parser.add_argument("--picture", type=Path, default=Path("docs/assets/readme-chart.png"))
    args = parser.parse_args(argv)
    project = args.project.resolve()
    if not (project / "results" / "charts" / "index.json").is_file():
        print(
            f"{project}/results/charts/index.json: not built; run `make all` first.",
            file=sys.stderr,
        )
        return 1
    for message in (
        graph(project, args.out, "--rulegraph", "rulegraph"),
        graph(project, args.out, "--dag", "dag"),
        charts(project, args.out, args.picture),
        screenshots(project, args.out),
    ):
        print(f"docs figures: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
