"""The code a rule depends on: every package module its listed modules import (figtrace.codebase)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_snakemake
from figtrace.codebase import PACKAGE, closure, imported

ROOT = Path(__file__).resolve().parents[1]


def _package(tmp_path: Path, modules: dict[str, str]) -> Path:
    package = tmp_path / "figtrace"
    package.mkdir()
    for name, source in modules.items():
        (package / f"{name}.py").write_text(source, "utf-8")
    return package


def test_every_import_form_is_found_and_names_that_are_not_modules_are_not(tmp_path):
    package = _package(
        tmp_path,
        {
            "main": (
                '"""Docstring."""\n'
                "from figtrace import a, b as bee  # two at once\n"
                "from figtrace.c import thing\n"
                "import figtrace.d\n"
                "from figtrace import (\n    e,  # in brackets\n    f as eff,\n)\n"
                "from figtrace import __version__\n"
                "from figtrace import h; import os\n"
                "from figtrace.errors_module_that_is_not_here import X\n"
                "import os\n\n\n"
                "def late():\n    from figtrace import g\n"
            ),
            **{name: "" for name in "abcdefgh"},
        },
    )
    assert imported(package / "main.py") == frozenset("abcdefgh")
    assert imported(package / "a.py") == frozenset()


def test_closure_follows_imports_through_modules_and_cycles(tmp_path):
    package = _package(
        tmp_path,
        {
            "rule": "from figtrace import middle\n",
            "middle": "from figtrace.leaf import x\n",
            "leaf": "from figtrace import middle\n",
            "unrelated": "",
        },
    )
    assert closure(["rule"], package) == ["leaf", "middle", "rule"]
    assert closure(["leaf", "unrelated"], package) == ["leaf", "middle", "unrelated"]


def test_a_module_not_in_the_package_is_named(tmp_path):
    package = _package(tmp_path, {"rule": "from figtrace import typo_d\n"})
    assert closure(["rule"], package) == ["rule"]  # typo_d is no module: not an import of ours
    with pytest.raises(FileNotFoundError, match=r"figtrace/nowhere\.py: no such module"):
        closure(["rule", "nowhere"], package)


def test_closure_holds_every_package_module_an_import_really_loads():
    """Imported for real, one module after the other in a fresh interpreter: the figtrace modules
    each import loads must all be in the closure read from the source."""
    modules = sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_"))
    script = (
        "import importlib, json, sys\n"
        "loaded = {}\n"
        f"for name in {modules!r}:\n"
        "    for key in [k for k in sys.modules if k.startswith('figtrace.')]:\n"
        "        del sys.modules[key]\n"
        "    importlib.import_module('figtrace.' + name)\n"
        "    loaded[name] = sorted(k[9:] for k in sys.modules if k.startswith('figtrace.'))\n"
        "print(json.dumps(loaded))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    loaded = json.loads(proc.stdout)
    assert len(loaded) == len(modules) > 30
    missing = {name: set(got) - set(closure([name])) for name, got in loaded.items()}
    assert not any(missing.values()), {k: v for k, v in missing.items() if v}


@pytest.mark.pipeline
def test_editing_a_module_a_rule_only_imports_through_another_reruns_that_rule(built_project):
    """`reuse` is named by no rule; the shard rules run it through `shards`. `draft` is run by
    no rule (only by `figtrace check`): editing it re-runs nothing."""
    for name, reruns in [("reuse", True), ("draft", False)]:
        module = built_project / f"src/figtrace/{name}.py"
        original, stat = module.read_bytes(), module.stat()
        try:
            module.write_bytes(original + b"\n# an edit\n")
            proc = run_snakemake(built_project, "--dry-run")
            shown = proc.stdout + proc.stderr
            if reruns:
                assert "rule shard:" in shown and "rule text_shard:" in shown, shown
                assert f"Updated input files: src/figtrace/{name}.py" in shown, shown
            else:
                assert "Nothing to be done" in shown, shown
        finally:
            module.write_bytes(original)
            os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))
