"""The newcomer's view: the README is a front page whose links resolve, the documentation site
builds with `mkdocs build --strict` from a pipeline run, the Makefile picks a supported Python or
says how to get one, and the licence, data notice and citation file are there and valid."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import ROOT

README = ROOT / "README.md"
# [text](target) and ![alt](target), text possibly over several lines; <img src=...>, <a href=...>.
MD_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", re.S)
HTML_LINK = re.compile(r"<(?:img|a)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", re.I)


def load_script(name: str):
    """A helper script of workflow/scripts/ or docs/ as a module."""
    path = ROOT / name
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def relative_links(markdown: str) -> list[str]:
    """Every link or image target in Markdown that points into the repository."""
    targets = MD_LINK.findall(markdown) + HTML_LINK.findall(markdown)
    return [t for t in targets if not re.match(r"^(?:[a-z][a-z0-9+.-]*:|#|//)", t, re.I)]


def test_readme_is_a_front_page_of_at_most_150_lines():
    lines = README.read_text("utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; move detail into docs/"
    text = "\n".join(lines)
    assert re.search(r"^make all\b", text, re.M) and re.search(r"^make test\b", text, re.M)
    assert "Where is my chart?" in text and "Where does my number come from?" in text
    assert re.search(r"!\[[^\]]+\]\(docs/assets/[^)]+\.png\)", text), "the README shows no picture"


def test_every_relative_link_in_the_readme_resolves():
    links = relative_links(README.read_text("utf-8"))
    assert len(links) >= 10, links  # the pattern finds the links at all
    missing = [t for t in links if not (ROOT / t.split("#")[0]).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"


def test_link_finder_sees_links_split_over_lines_and_ignores_urls():
    text = '[a\n b](docs/x.md#y) ![p](pic.png) [w](https://e.org) [s](#top) <img src="i.svg">'
    assert relative_links(text) == ["docs/x.md#y", "pic.png", "i.svg"]


def test_readme_picture_is_a_png_that_make_docs_refreshes():
    picture = ROOT / "docs/assets/readme-chart.png"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    script = (ROOT / "workflow/scripts/docs_figures.py").read_text("utf-8")
    assert 'default=Path("docs/assets/readme-chart.png")' in script


def test_nav_hook_lists_every_page_and_a_reference_page_per_module(tmp_path):
    hooks = load_script("docs/hooks.py")
    (tmp_path / "guides").mkdir()
    for page, heading in [
        ("index.md", "# Home"),
        ("guides/a.md", "# A"),
        ("factcheck.md", "# Checking a draft"),
        ("no-heading.md", "text"),
    ]:
        (tmp_path / page).write_text(heading + "\n", "utf-8")
    config = {
        "docs_dir": str(tmp_path),
        "nav": [{"Home": "index.md"}, {"G": [{"A": "guides/a.md"}]}],
    }
    nav = hooks.on_config(config)["nav"]
    assert nav[:2] == [{"Home": "index.md"}, {"G": [{"A": "guides/a.md"}]}]
    assert nav[2] == {
        "More topics": [{"Checking a draft": "factcheck.md"}, {"No heading": "no-heading.md"}]
    }
    reference = nav[3]["API reference"]
    modules = sorted(p.stem for p in (ROOT / "src/figtrace").glob("*.py") if p.stem[0] != "_")
    assert reference[1] == {"Commands": "reference/commands.md"}
    assert [next(iter(item.values())) for item in reference[2:]] == [
        f"reference/{name}.md" for name in modules
    ]


def test_docs_figures_explain_what_to_install_when_a_tool_is_missing(tmp_path, monkeypatch):
    figures = load_script("workflow/scripts/docs_figures.py")
    monkeypatch.setattr(figures.shutil, "which", lambda _name: None)
    message = figures.graph(ROOT, tmp_path, "--rulegraph", "rulegraph")
    assert "apt-get install graphviz" in message
    assert "apt-get install graphviz" in (tmp_path / "rulegraph.svg").read_text("utf-8")
    message = figures.screenshots(ROOT, tmp_path, chromium=tmp_path / "no-chromium")
    assert "apt-get install chromium" in message
    assert (tmp_path / "screenshots/report.png").read_bytes()[:4] == b"\x89PNG"


def test_docs_figures_refuse_a_project_the_pipeline_has_not_run_in(tmp_path, capsys):
    figures = load_script("workflow/scripts/docs_figures.py")
    assert figures.main(["--project", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    assert "run `make all` first" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.pipeline
def test_site_builds_strict_with_figures_from_the_pipeline(built_project, tmp_path):
    site_src = tmp_path / "site-src"
    site_src.mkdir()
    shutil.copy2(ROOT / "mkdocs.yml", site_src)
    shutil.copytree(ROOT / "docs", site_src / "docs", ignore=shutil.ignore_patterns("generated"))
    for name in ("LICENSE", "DATA.md", "CITATION.cff"):
        shutil.copy2(ROOT / name, site_src)
    (site_src / "src").symlink_to(ROOT / "src")

    picture = site_src / "docs/assets/readme-chart.png"
    picture.unlink()
    out = site_src / "docs/assets/generated"
    # In its own process: Playwright's sync API refuses to run inside another test's event loop.
    script = [sys.executable, str(ROOT / "workflow/scripts/docs_figures.py")]
    args = ["--project", str(built_project), "--out", str(out), "--picture", str(picture)]
    made = subprocess.run(
        [*script, *args],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr

    index = json.loads((built_project / "results/charts/index.json").read_text("utf-8"))["charts"]
    first = built_project / "results/charts" / index[0]["files"]["png"]
    assert picture.read_bytes() == first.read_bytes()
    # the README shows the committed copy: it must be what the pipeline draws today
    assert (ROOT / "docs/assets/readme-chart.png").read_bytes() == first.read_bytes(), (
        "docs/assets/readme-chart.png is not the chart the pipeline draws now: "
        "run `make docs` and commit docs/assets/readme-chart.png"
    )
    for chart in index:
        assert (out / "charts" / chart["files"]["png"]).is_file()
    if shutil.which("dot"):
        rulegraph = (out / "rulegraph.svg").read_text("utf-8")
        assert "<svg" in rulegraph and ">figures<" in rulegraph and ">manifest<" in rulegraph

    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=site_src,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    site = tmp_path / "site"
    pages = {
        p.relative_to(ROOT / "docs").with_suffix(".html") for p in (ROOT / "docs").rglob("*.md")
    }
    for page in pages:
        assert (site / page).is_file(), f"{page} was not built"
    home = (site / "index.html").read_text("utf-8")
    for page in pages:
        assert f'href="{page.as_posix()}' in home or page == Path("index.html"), (
            f"{page} is not in the navigation"
        )
    for module in sorted((ROOT / "src/figtrace").glob("*.py")):
        if not module.stem.startswith("_"):
            assert (site / "reference" / f"{module.stem}.html").is_file()
    provenance = (site / "reference/provenance.html").read_text("utf-8")
    assert "format_chain" in provenance  # rendered from the docstrings
    commands = (site / "reference/commands.html").read_text("utf-8")
    assert (
        "Usage: python -m figtrace trace" in commands
        and "Usage: python -m figtrace add" in commands
    )
    for image in ("rulegraph.svg", "dag.svg", "screenshots/report.png"):
        assert (site / "assets/generated" / image).is_file()
    charts_page = (site / "charts.html").read_text("utf-8")
    assert charts_page.count('src="assets/generated/charts/') == len(index)
    assert (site / "about.html").read_text("utf-8").count("Permission is hereby granted") == 1


def test_citation_cff_is_valid_and_agrees_with_pyproject():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text("utf-8"))
    schema = json.loads((ROOT / "tests/data/citation-cff-1.2.0.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(citation, schema, cls=jsonschema.Draft202012Validator)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert str(citation["version"]) == project["version"]
    assert citation["license"] == project["license"]["text"] == "MIT"


def test_cff_schema_rejects_what_the_format_forbids():
    schema = json.loads((ROOT / "tests/data/citation-cff-1.2.0.schema.json").read_text("utf-8"))
    good = yaml.safe_load((ROOT / "CITATION.cff").read_text("utf-8"))
    for bad in (
        {k: v for k, v in good.items() if k != "authors"},
        {**good, "cff-version": "1.1.0"},
        {**good, "authors": [{"affiliation": "nobody"}]},
        {**good, "titel": "typo"},
        {**good, "date-released": "2026"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema, cls=jsonschema.Draft202012Validator)


def test_licence_and_data_notice():
    licence = (ROOT / "LICENSE").read_text("utf-8")
    assert licence.startswith("MIT License") and "Permission is hereby granted" in licence
    notice = (ROOT / "DATA.md").read_text("utf-8")
    assert "not" in notice and "MIT" in notice and "removed" in notice
    documents = sorted(p.stem for p in (ROOT / "data/raw/documents").glob("*.yaml"))
    unnamed = [doc_id for doc_id in documents if doc_id not in notice]
    assert not unnamed, f"DATA.md does not say who owns: {unnamed}"


def run_make(tmp_path: Path, path: str, *args: str) -> subprocess.CompletedProcess:
    """`make ARGS` with this Makefile and lock in an empty folder, on the given PATH only."""
    for name in ("Makefile", "pyproject.toml", "requirements-dev.lock"):
        shutil.copy2(ROOT / name, tmp_path)
    make = shutil.which("make")
    return subprocess.run(
        [make, *args],
        cwd=tmp_path,
        env={"PATH": path, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def fake_python(folder: Path, name: str, version: str) -> None:
    """A `python3` that reports `version` and fails figtrace's version check."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f'#!/bin/sh\n[ "$1" = --version ] && echo "Python {version}"\nexit 1\n')
    script.chmod(0o755)


def test_make_setup_names_the_supported_pythons_when_none_is_on_path(tmp_path):
    bin_dir = tmp_path / "bin"
    fake_python(bin_dir, "python3", "3.10.4")
    proc = run_make(tmp_path, str(bin_dir), "setup")
    assert proc.returncode != 0
    assert "figtrace needs Python 3.11, 3.12 or 3.13; found: Python 3.10.4" in proc.stderr
    assert "make PYTHON=" in proc.stderr
    assert not (tmp_path / ".venv").exists()


def test_make_picks_the_first_supported_python_on_path(tmp_path):
    bin_dir = tmp_path / "bin"
    fake_python(bin_dir, "python3", "3.10.4")  # unsupported and first: skipped
    minor = f"python3.{sys.version_info.minor}"
    (bin_dir / minor).symlink_to(sys.executable)
    proc = run_make(tmp_path, str(bin_dir), "-n", "setup")
    assert proc.returncode == 0, proc.stderr
    assert f"{bin_dir / minor} -m venv .venv" in proc.stdout


def test_docs_show_the_suggestion_benchmark_as_it_runs_today():
    """docs/curation.md's leave-one-out table and the README's sentence on it are what
    bench/suggestions.py computes from today's code and data."""
    bench = load_script("bench/suggestions.py")
    rows = bench.leave_one_out(ROOT / "data/raw", bench.DEFAULT_MIN_SCORE)
    lines = bench.table(rows, bench.DEFAULT_MIN_SCORE)
    curation = (ROOT / "docs/curation.md").read_text("utf-8")
    stale = [line for line in lines if line not in curation]
    assert not stale, (
        "docs/curation.md's table differs from what `bench/suggestions.py` prints now; "
        f"paste its table there (lines not found: {stale})"
    )
    total = {k: sum(r[k] for r in rows) for k in ("figures", *bench.FIELDS, "wrong_above")}
    readme = " ".join(README.read_text("utf-8").split())
    claim = (
        f"{total['figures']} curated figures get the right indicator from their top suggestion "
        f"{total['indicator']} times, the right period {total['period']} times and the right "
        f"report {total['report_id']} times"
    )
    assert claim in readme, f"README.md should say: {claim}"
    none_wrong = f"no suggestion scoring {bench.DEFAULT_MIN_SCORE:g} or more is wrong"
    assert (none_wrong in readme) == (total["wrong_above"] == 0), none_wrong
