"""Mutation score of the modules that carry the README's promises (a benchmark, not a CI test).

    .venv/bin/python bench/mutation.py                      # every module, 40 mutants each
    .venv/bin/python bench/mutation.py --modules audit --sample 0   # all of audit's mutants

For each module, mutmut (https://mutmut.readthedocs.io) makes small changes to its code (a `<`
for a `<=`, a string changed, a call's argument dropped ...) and runs the tests that cover the
changed function against each. A mutant is killed when a test fails. Each module runs in its own
copy of the checkout, with only that module mutated and only the tests written for it (the
selection below: in-process tests, no pipeline runs), so one run fits a shared 2-core machine.
The pipeline is built once, before, and the tests that read a built project read that one
(FIGTRACE_BUILT_PROJECT, see tests/conftest.py). `--sample N` draws N mutants per module with a
fixed seed; the score is killed / drawn. Prints one table; `--out DIR` keeps each module's
mutants folder, and survivors' diffs are written to DIR/<module>-survivors.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import copy_project, run_snakemake  # noqa: E402

# module -> the tests that check it in process (pytest arguments)
SELECTION: dict[str, list[str]] = {
    "anchors": [
        "tests/test_anchors.py", "tests/test_figures.py::test_a_stale_anchor_suggests_the_nearest_passage",
        "tests/test_figures.py::test_fuzzy_match_never_accepts_an_anchor",
    ],
    "documents": [
        "tests/test_documents.py", "tests/test_catalogue_memo.py", "tests/test_text.py",
        "-k", "not failed_run and not add_copies and not add_refuses and not add_rolls"
        " and not pipeline and not stops_verify and not editing and not second_run",
    ],
    "figures": [
        "tests/test_figures.py", "-k",
        "not pipeline_stops and not new_document and not trace and not frictionless",
    ],
    "checks": ["tests/test_checks.py"],
    "audit": ["tests/test_report.py", "-k", "audit or exemption or markdown"],
    "manifest": ["tests/test_manifest.py"],
}  # fmt: skip
COPY = ["src", "tests", "data", "workflow", "config", "Snakefile", "envs", "notebooks",
        "pyproject.toml"]  # fmt: skip
KILLED = ("killed", "timeout")


def _copy_checkout(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", ".pytest_cache")
    for part in COPY:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=ignore)
        else:
            shutil.copy2(src, dest / part)


def _configure(work: Path, module: str) -> None:
    """Add mutmut's settings for `module` to the copy's pyproject.toml."""
    pytest_args = ["-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:xdist", "-q"]
    settings = {
        "source_paths": ["src"],
        "only_mutate": [f"src/figtrace/{module}.py"],
        "also_copy": [p for p in COPY if p not in ("src", "tests", "pyproject.toml")],
        "pytest_add_cli_args": ["-o", "addopts=", *pytest_args],
        "pytest_add_cli_args_test_selection": SELECTION[module],
    }
    lines = ["", "[tool.mutmut]"] + [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    with (work / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def _mutmut(work: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "mutmut"), *args],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )


def _results(work: Path, module: str) -> dict[str, int | None]:
    meta = work / "mutants" / "src" / "figtrace" / f"{module}.py.meta"
    return json.loads(meta.read_text("utf-8"))["exit_code_by_key"]


def run_module(module: str, built: Path, args: argparse.Namespace, out: Path) -> dict:
    from mutmut.__main__ import status_by_exit_code

    work = Path(tempfile.mkdtemp(prefix=f"mutation-{module}-"))
    _copy_checkout(work)
    _configure(work, module)
    env = {**os.environ, "FIGTRACE_BUILT_PROJECT": str(built)}
    started = time.monotonic()
    # first pass: make the mutants and record which tests cover which function
    _mutmut(work, env, "run", "--max-children", str(args.max_children), "no-such-mutant")
    names = sorted(_results(work, module))
    drawn = names
    if args.sample and len(names) > args.sample:
        drawn = sorted(random.Random(f"{args.seed}:{module}").sample(names, args.sample))
    proc = _mutmut(work, env, "run", "--max-children", str(args.max_children), *drawn)
    if proc.returncode != 0:
        raise SystemExit(
            f"mutmut failed on {module}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    codes = _results(work, module)
    status = {name: status_by_exit_code.get(codes.get(name), "not checked") for name in drawn}
    survivors = [n for n, s in status.items() if s not in KILLED]
    report = []
    for name in survivors:
        shown = _mutmut(work, env, "show", name).stdout
        report.append(f"## {name} ({status[name]})\n{shown}\n")
    (out / f"{module}-survivors.txt").write_text("\n".join(report), "utf-8")
    if args.keep:
        shutil.copytree(work / "mutants", out / f"{module}-mutants", dirs_exist_ok=True)
    shutil.rmtree(work, ignore_errors=True)
    counts: dict[str, int] = {}
    for s in status.values():
        counts[s] = counts.get(s, 0) + 1
    killed = sum(counts.get(s, 0) for s in KILLED)
    return {
        "module": module,
        "mutants": len(names),
        "drawn": len(drawn),
        "killed": killed,
        "survived": len(drawn) - killed,
        "score": killed / len(drawn) if drawn else 1.0,
        "statuses": counts,
        "seconds": time.monotonic() - started,
        "survivors": survivors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", nargs="+", default=list(SELECTION), choices=list(SELECTION))
    parser.add_argument("--sample", type=int, default=40, help="mutants per module (0: all)")
    parser.add_argument("--seed", default="figtrace")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--built", type=Path, help="a project the pipeline has built (reused)")
    parser.add_argument("--out", type=Path, default=Path("bench/mutation-out"))
    parser.add_argument("--keep", action="store_true", help="keep each module's mutants folder")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    built = args.built
    if built is None:
        built = copy_project(Path(tempfile.mkdtemp(prefix="mutation-built-")) / "project")
        print(f"building the pipeline once in {built} ...", flush=True)
        run_snakemake(built, check=True)
    rows = []
    for module in args.modules:
        print(f"mutating {module} ...", flush=True)
        rows.append(run_module(module, built.resolve(), args, args.out))
        r = rows[-1]
        print(f"  {r['killed']}/{r['drawn']} killed in {r['seconds']:.0f} s", flush=True)

    print()
    print("| module | mutants | drawn | killed | survived | score |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| `{r['module']}` | {r['mutants']} | {r['drawn']} | {r['killed']} | "
            f"{r['survived']} | {r['score']:.0%} |"
        )
    (args.out / "scores.json").write_text(json.dumps(rows, indent=2) + "\n", "utf-8")
    print(f"\nsurvivors' diffs: {args.out}/<module>-survivors.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
