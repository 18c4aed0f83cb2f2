"""Benchmark: figtrace's mention extractor against quantulum3, side by side, in one run.

Three sets, each scored and timed for both extractors:
- `seeds`: the five source documents against tests/data/mentions_devset.yaml;
- `web-dev`: tests/data/mentions_web_dev.yaml, the web-shaped passages the extractor is tuned on;
- `web-test`: tests/data/mentions_web_test.yaml, the passages it is never tuned on.

Throughput is documents per second, timed on documents of page length: the five source documents
(about 3,000 characters each), and the passages of each half joined in file order, a blank line
between them, into pages of at least 2,000 characters (the length of the real pages the issue
measured). Each repeat times one pass of figtrace and then one of quantulum3 over the same pages,
after a warm-up pass of each, and the median of each is reported, so a busy machine slows both
alike (quantulum3's import is not counted).

    .venv/bin/python bench/mentions.py [--repeats 5] [--misses web-dev]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from figtrace.documents import load_catalogue  # noqa: E402
from figtrace.mentions import (  # noqa: E402
    Claim,
    extract,
    load_passages,
    resolve_annotations,
    score,
    statistic_claims,
)

DATA = ROOT / "tests" / "data"


def paired_timings(
    runs: list[Callable[[str], object]], texts: list[str], repeats: int
) -> list[tuple[float, float]]:
    """(documents per second of wall time, CPU milliseconds per document) of each run: medians
    over `repeats` passes over all texts, the runs taking turns within each repeat, after one
    warm-up pass of each. CPU time counts only this process's work, so it moves less than wall
    time when other jobs share the cores."""
    wall: list[list[float]] = [[] for _ in runs]
    cpu: list[list[float]] = [[] for _ in runs]
    for i in range(repeats + 1):
        for run, w, c in zip(runs, wall, cpu, strict=True):
            t0, c0 = time.perf_counter(), time.process_time()
            for text in texts:
                run(text)
            if i:
                w.append(time.perf_counter() - t0)
                c.append(time.process_time() - c0)
    return [
        (len(texts) / statistics.median(w), 1000 * statistics.median(c) / len(texts))
        for w, c in zip(wall, cpu, strict=True)
    ]


def pages(texts: dict[str, str], length: int = 2000) -> list[str]:
    """The texts in order, joined with a blank line into pages of at least `length` characters."""
    out, page = [], ""
    for text in texts.values():
        page = f"{page}\n\n{text}" if page else text
        if len(page) >= length:
            out.append(page)
            page = ""
    return out + ([page] if page else [])


def load_sets() -> dict[str, tuple[dict[str, str], dict[str, list[dict]]]]:
    """Each set's texts by id and its gold annotations."""
    seeds = {d.doc_id: d.text() for d in load_catalogue(ROOT / "data" / "raw")}
    return {
        "seeds": (seeds, resolve_annotations(DATA / "mentions_devset.yaml", seeds)),
        "web-dev": load_passages(DATA / "mentions_web_dev.yaml"),
        "web-test": load_passages(DATA / "mentions_web_test.yaml"),
    }


def print_misses(texts: dict[str, str], gold: dict[str, list[dict]]) -> None:
    """Every statistic figtrace misses and every non-statistic it labels statistic."""
    for pid, text in texts.items():
        found = extract(text)
        for g in gold[pid]:
            over = [m for m in found if m.start < g["end"] and g["start"] < m.end]
            said = ", ".join(f"{m.text!r} {m.kind}/{m.role} {m.value}" for m in over) or "nothing"
            stat = [m for m in over if m.role == "statistic"]
            if g["role"] == "statistic" and not any(
                m.value is not None and g["value"] is not None and abs(m.value - g["value"]) < 1e-4
                for m in stat
            ):
                print(f"  MISSED   {pid}: {g['text']!r} = {g['value']} ({said})")
            elif g["role"] != "statistic" and stat:
                print(f"  FALSE    {pid}: {g['text']!r} is {g['role']} ({said})")
        for m in found:
            if m.role == "statistic" and not any(
                m.start < g["end"] and g["start"] < m.end for g in gold[pid]
            ):
                print(f"  UNMARKED {pid}: {m.text!r} {m.kind} {m.value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--misses", choices=["seeds", "web-dev", "web-test"], action="append",
                        default=[], help="list figtrace's misses and false statistics in a set")  # fmt: skip
    args = parser.parse_args()

    sets = load_sets()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from quantulum3 import parser as qparser
    import_s = time.perf_counter() - t0

    def quantulum_claims(text: str) -> list[Claim]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [Claim(q.span[0], q.span[1], float(q.value)) for q in qparser.parse(text)]

    print(f"quantulum3 import: {import_s:.2f} s (not counted in throughput)\n")
    print(
        "| set | extractor | statistics found with the right value | exact span, value, hedge "
        "| furniture labelled statistic | non-statistics labelled statistic "
        "| unannotated claims | docs/s | ms/doc | CPU ms/doc |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    ratios = {}
    for name, (texts, gold) in sets.items():
        timed = list(texts.values()) if name == "seeds" else pages(texts)
        chars = sum(map(len, timed)) / len(timed)
        ours = score(gold, {k: statistic_claims(extract(t)) for k, t in texts.items()})
        theirs = score(gold, {k: quantulum_claims(t) for k, t in texts.items()}, exact=False,
                       qualifiers=False)  # fmt: skip
        (ours_dps, ours_cpu), (theirs_dps, theirs_cpu) = paired_timings(
            [extract, quantulum_claims], timed, args.repeats
        )
        ratios[name] = (ours_dps / theirs_dps, theirs_cpu / ours_cpu)
        label = f"{name} ({len(texts)} texts; timed as {len(timed)} of {chars:,.0f} chars)"
        for who, s, dps, cpu in (
            ("figtrace", ours, ours_dps, ours_cpu),
            ("quantulum3", theirs, theirs_dps, theirs_cpu),
        ):
            found = round(s["recall_value"] * s["statistics"])
            exact = f"{s['recall']:.3f}" if who == "figtrace" else "n/a"
            share = s["non_statistics_as_statistic"] / max(1, s["non_statistics"])
            print(
                f"| {label} | {who} | {found}/{s['statistics']} ({s['recall_value']:.3f}) | "
                f"{exact} | {s['boilerplate_as_statistic']} of {s['boilerplate']} | "
                f"{s['non_statistics_as_statistic']} of {s['non_statistics']} ({share:.1%}) | "
                f"{s['unannotated_claims']} | {dps:,.0f} | {1000 / dps:.2f} | {cpu:.2f} |"
            )
    print()
    for name, (wall_ratio, cpu_ratio) in ratios.items():
        print(
            f"throughput ratio figtrace / quantulum3, {name}: {wall_ratio:.0f}x wall time, "
            f"{cpu_ratio:.0f}x CPU time"
        )
    print(
        "\nA statistic is found when a claimed statistic overlaps it with the annotated value "
        "(both extractors); 'exact' also needs figtrace's span and hedge to be the annotated ones. "
        "Every quantulum3 quantity counts as a claimed statistic. Furniture is an annotated "
        "`boilerplate` number; non-statistics are `date`, `other` and `name` numbers."
    )
    for name in args.misses:
        print(f"\n{name}: figtrace's misses and false statistics")
        print_misses(*sets[name])


if __name__ == "__main__":
    main()
