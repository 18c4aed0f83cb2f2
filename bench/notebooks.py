"""Benchmark notebook execution: kernel start, papermill vs Snakemake's notebook: directive, and
the project's notebooks (medians from one run, in seconds).

Run from the project root after `make all`: `.venv/bin/python bench/notebooks.py [--repeats N]`.
The Snakemake figures are the time of a one-rule workflow that executes a trivial notebook (with a
`notebook:` directive, or with this project's `shell: python -m figtrace notebook`) less the same
workflow with a `shell: touch` rule, so Snakemake's own start-up is not counted against either.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import nbformat  # noqa: E402
import papermill  # noqa: E402
from jupyter_client.manager import start_new_kernel  # noqa: E402

from figtrace.notebooks import KERNELSPEC, execute  # noqa: E402

TRIVIAL = 'open("out.txt", "w").write("1")  # the rule\'s output'
SNAKEFILE = """
rule all:
    output: "out.txt"
    {action}
"""


def median_s(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def kernel_start() -> None:
    manager, client = start_new_kernel(kernel_name=KERNELSPEC["name"])
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def snakemake(workdir: Path, action: str) -> Callable[[], None]:
    (workdir / "Snakefile").write_text(SNAKEFILE.format(action=action), "utf-8")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=str(ROOT / "src"))  # fmt: skip

    def run() -> None:
        subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", "--forceall", "--quiet",
                        "all"], cwd=workdir, env=env, check=True, capture_output=True)  # fmt: skip

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="figtrace-bench-") as tmp:
        tmp = Path(tmp)
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(TRIVIAL)])
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
        nb.metadata["language_info"] = {"name": "python"}  # Snakemake refuses a notebook without
        nbformat.write(nb, tmp / "trivial.ipynb")
        (tmp / "trivial.py").write_text(f"# %%\n{TRIVIAL}\n", "utf-8")
        rows.append(("kernel start and shutdown (jupyter_client)", median_s(kernel_start, repeats)))
        rows.append(("trivial notebook: papermill", median_s(lambda: papermill.execute_notebook(
            str(tmp / "trivial.ipynb"), str(tmp / "pm.ipynb"), kernel_name=KERNELSPEC["name"],
            progress_bar=False, cwd=str(tmp)), repeats)))  # fmt: skip
        rows.append(("trivial notebook: figtrace runner (papermill + HTML)", median_s(
            lambda: execute(tmp / "trivial.py", tmp / "ft.ipynb", tmp / "ft.html", cwd=tmp),
            repeats)))  # fmt: skip
        directive = median_s(snakemake(tmp, 'notebook: "trivial.ipynb"'), repeats)
        shell = median_s(snakemake(tmp, 'shell: "touch {output}"'), repeats)
        runner = median_s(
            snakemake(
                tmp,
                'shell: "python -m figtrace notebook trivial.py --out run.ipynb --html run.html"',
            ),
            repeats,
        )
        rows.append(("trivial notebook: Snakemake notebook: directive", directive - shell))
        rows.append(
            ("trivial notebook: Snakemake shell: python -m figtrace notebook", runner - shell)
        )
        rows.append(("  (Snakemake one-rule run with shell:, subtracted)", shell))
        out = tmp / "results"
        for name in sorted(p.stem for p in (ROOT / "notebooks").glob("*.py")):
            rows.append((f"notebooks/{name}.py: figtrace runner", median_s(
                lambda name=name: execute(ROOT / "notebooks" / f"{name}.py",
                                          out / f"{name}.ipynb", out / f"{name}.html", cwd=ROOT),
                repeats)))  # fmt: skip
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--forcerun", "notebook",
                    "--quiet"], cwd=ROOT, check=True, capture_output=True)  # fmt: skip
    stage = time.perf_counter() - start
    rows.append(("stage: snakemake --cores 2 --forcerun notebook (all notebooks, once)", stage))
    width = max(len(label) for label, _ in rows)
    print(f"{'what':<{width}}  median s ({repeats} runs)")
    for label, seconds in rows:
        print(f"{label:<{width}}  {seconds:6.2f}")
    per_job = dict(rows)
    ratio = (per_job["trivial notebook: Snakemake notebook: directive"]
             / per_job["trivial notebook: Snakemake shell: python -m figtrace notebook"])  # fmt: skip
    print(f"ratio, per job, notebook: directive / shell: python -m figtrace notebook: {ratio:.2f}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
