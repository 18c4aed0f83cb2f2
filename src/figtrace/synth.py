"""Synthetic corpora: many realistic documents recombined from the real ones, for scale tests.

Sentences and page furniture (job listings, read times, postcodes, "Hide Ad") are drawn from the
real documents under `data/raw/documents/`, recombined into new paragraphs, and every number is
re-drawn (counts, percentages, number words, years and dates), so a synthetic corpus exercises the
pipeline like real web text. The output is a raw directory laid out like `data/raw` (documents with
sidecars, plus a copy of the registries) and is byte-identical for the same seed and sources.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from figtrace.documents import SIDECAR_ORDER, SIDECAR_SUFFIX, documents_dir, load_catalogue
from figtrace.errors import FigtraceError

DATE_ACCESSED = "2026-11-24"  # fixed, so that a corpus does not depend on the day it is made
MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
NUMBER_WORDS = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "hundreds", "thousands",
]  # fmt: skip
PUBLISHERS = ["CYP Now", "Local Government News", "Northampton Chronicle", "Western Daily Press"]
AUTHORS = ["Laura Sharman", "Staff reporter", "Jo Smith", "Sam Patel"]

_MONTHS = "|".join(MONTHS)
# One pass over the text; at each position the first alternative that matches wins, so a date is
# re-drawn as a date, never digit by digit.
_NUMBERISH = re.compile(
    rf"(?P<day>\b\d{{1,2}} (?:{_MONTHS}) \d{{4}}\b)"
    rf"|(?P<month>\b(?:{_MONTHS}) \d{{4}}\b)"
    r"|(?P<fiscal>\b20\d\d/\d\d\b)"
    r"|(?P<word>\b(?i:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"twenty|thirty|forty|fifty)(?i:-(?:one|two|three|four|five|six|seven|eight|nine))?\b)"
    r"|(?P<number>(£?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(%| per cent)?)"
)
_SENTENCE = re.compile(r"(?<=[.!?”’\"])\s+(?=[A-Z“‘\"])")


@dataclass(frozen=True)
class Pool:
    """What synthetic documents are made of: prose sentences, headlines and page furniture."""

    sentences: tuple[str, ...]
    headlines: tuple[str, ...]
    furniture: tuple[str, ...]
    report_ids: tuple[str, ...]


def build_pool(raw_dir: Path) -> Pool:
    """Split the real documents into sentences (from prose paragraphs) and page furniture."""
    docs = load_catalogue(raw_dir)
    sentences: list[str] = []
    headlines: list[str] = []
    furniture: list[str] = []
    reports: set[str] = set()
    for doc in docs:
        reports.update(doc.reports_cited)
        if doc.title:
            headlines.append(doc.title)
        for para in re.split(r"\n\s*\n", doc.text()):
            para = para.strip()
            if not para:
                continue
            words = para.split()
            if len(words) >= 12 and para[-1] in '.”’"':
                sentences.extend(s.strip() for s in _SENTENCE.split(para) if len(s.split()) >= 4)
            else:
                furniture.append(para)
    if not sentences:
        raise FigtraceError(f"{raw_dir}: no prose paragraphs to draw synthetic documents from.")
    return Pool(tuple(sentences), tuple(headlines), tuple(furniture), tuple(sorted(reports)))


def _redraw_number(rng: random.Random, pound: str, digits: str, decimals: str, percent: str) -> str:
    plain = digits.replace(",", "")
    if percent:
        value = str(rng.randint(1, 99))
    elif len(plain) == 4 and 1950 <= int(plain) <= 2029 and "," not in digits and not pound:
        value = str(rng.randint(2005, 2024))
    else:
        width = len(plain)
        low = 10 ** (width - 1) if width > 1 else 1
        value = str(rng.randint(low, 10**width - 1))
        if "," in digits:
            value = f"{int(value):,}"
    if decimals:
        value += "." + "".join(str(rng.randint(0, 9)) for _ in range(len(decimals) - 1))
    return f"{pound}{value}{percent}"


@lru_cache(maxsize=4096)
def _template(text: str) -> tuple[str | re.Match[str], ...]:
    """`text` split once into literal parts and numbers to re-draw (the pool's texts repeat)."""
    parts: list[str | re.Match[str]] = []
    start = 0
    for m in _NUMBERISH.finditer(text):
        parts += [text[start : m.start()], m]
        start = m.end()
    parts.append(text[start:])
    return tuple(parts)


def _redraw(m: re.Match[str], rng: random.Random) -> str:
    if m.group("day"):
        return f"{rng.randint(1, 28)} {rng.choice(MONTHS)} {rng.randint(2005, 2024)}"
    if m.group("month"):
        return f"{rng.choice(MONTHS)} {rng.randint(2005, 2024)}"
    if m.group("fiscal"):
        year = rng.randint(2005, 2023)
        return f"{year}/{(year + 1) % 100:02d}"
    if m.group("word"):
        new = rng.choice(NUMBER_WORDS)
        return new.capitalize() if m.group("word")[0].isupper() else new
    return _redraw_number(rng, *(g or "" for g in m.groups()[-4:]))


def vary_numbers(text: str, rng: random.Random) -> str:
    """Re-draw every number in `text`: dates, fiscal years, number words, counts and percentages."""
    return "".join(p if isinstance(p, str) else _redraw(p, rng) for p in _template(text))


def _date_published(rng: random.Random) -> tuple[str | None, str]:
    kind = rng.choice(["unknown", "year", "month", "day", "day"])
    year = rng.randint(2008, 2024)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    if kind == "unknown":
        return None, kind
    if kind == "year":
        return f"{year}", kind
    if kind == "month":
        return f"{year}-{month:02d}", kind
    return f"{year}-{month:02d}-{day:02d}", kind


def make_document(pool: Pool, rng: random.Random, index: int) -> tuple[str, dict[str, Any]]:
    """One synthetic document's text and sidecar fields (without path and hash)."""
    date_published, precision = _date_published(rng)
    headline = vary_numbers(rng.choice(pool.headlines), rng) if pool.headlines else None
    title = headline if rng.random() < 0.8 else None
    lines: list[str] = []
    author = rng.choice(AUTHORS) if rng.random() < 0.5 else None
    if precision == "day" and date_published:
        y, m, d = (int(part) for part in date_published.split("-"))
        lines.append(f"{author or 'Staff reporter'} {d} {MONTHS[m - 1]} {y}")
    if title:
        lines.append(title)
    if rng.random() < 0.3:
        lines.append(
            f"{rng.randint(1, 9)} mins read {rng.choice(['Social Care', 'News', 'Policy'])}"
        )
    for _ in range(rng.randint(4, 10)):
        paragraph = " ".join(
            vary_numbers(rng.choice(pool.sentences), rng) for _ in range(rng.randint(1, 4))
        )
        lines.append(paragraph)
        if pool.furniture and rng.random() < 0.15:
            lines.append(vary_numbers(rng.choice(pool.furniture), rng))
        if rng.random() < 0.1:
            lines.append("Hide Ad\nHide Ad")
    if pool.furniture and rng.random() < 0.4:
        lines.extend(
            vary_numbers(rng.choice(pool.furniture), rng) for _ in range(rng.randint(1, 4))
        )
    if rng.random() < 0.2:
        lines.append(f"SE{rng.randint(1, 28)} {rng.randint(1, 9)}JY, London (Greater)")
    text = "\n\n".join(lines)
    publisher = rng.choice(PUBLISHERS) if rng.random() < 0.5 else None
    cited = sorted(rng.sample(pool.report_ids, k=min(len(pool.report_ids), rng.randint(1, 2))))
    meta: dict[str, Any] = {
        "doc_id": f"synth-{index:06d}",
        "source_filename": f"synth-{index:06d}.txt",
        "media_type": "text/plain",
        "language": "en",
        "title": title,
        "publisher": publisher,
        "author": author,
        "date_published": date_published,
        "date_precision": precision,
        "url": f"https://example.org/synth/{index:06d}" if rng.random() < 0.5 else None,
        "date_accessed": DATE_ACCESSED,
        "reports_cited": cited,
        "notes": "Synthetic: recombined from the real documents by `figtrace synth`.",
    }
    if title is None:
        meta["title_note"] = "Synthetic document drawn without a headline."
    if publisher is None:
        meta["publisher_note"] = "Synthetic document drawn without a named publisher."
    if date_published is None:
        meta["date_note"] = "Synthetic document drawn without a stated date."
    elif precision == "day":
        meta["date_note"] = "Stated in the byline."
    if meta["url"] is None:
        meta["url_note"] = "Synthetic document drawn without an address."
    return text, meta


def _is_within(path: Path, other: Path) -> bool:
    return path == other or other in path.parents


def synthesize(n: int, out: Path, raw_dir: Path, seed: int = 0, force: bool = False) -> int:
    """Write `n` synthetic documents with sidecars into `out`, laid out like `raw_dir`, beside
    copies of the real documents and every registry and annotation file.

    Refuses to write into (or over) `raw_dir` and into a non-empty `out` unless `force`. The
    documents folder is built beside its destination and renamed into place, so a killed run
    never leaves a half-written corpus.
    """
    if n < 1:
        raise FigtraceError(f"--n {n}: ask for at least one document.")
    out = Path(out)
    real = Path(raw_dir).resolve()
    target = out.resolve()
    if _is_within(target, real) or _is_within(real, target):
        raise FigtraceError(
            f"--out {out}: refusing to write synthetic documents into or over the raw data "
            f"{raw_dir}; choose a directory outside it."
        )
    if target.exists() and not target.is_dir():
        raise FigtraceError(f"--out {out}: exists and is not a directory.")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise FigtraceError(
            f"--out {out}: the directory is not empty; choose an empty one or pass --force."
        )
    pool = build_pool(raw_dir)
    rng = random.Random(seed)
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".synth-", dir=target))
    try:
        seen: set[str] = set()
        for index in range(1, n + 1):
            while True:
                text, meta = make_document(pool, rng, index)
                data = text.encode("utf-8")
                digest = hashlib.sha256(data).hexdigest()
                if digest not in seen:
                    break
            seen.add(digest)
            meta["path"] = f"{meta['doc_id']}.txt"
            meta["sha256"] = digest
            (staging / meta["path"]).write_bytes(data)
            sidecar = _dump_sidecar(meta).encode("utf-8")
            (staging / f"{meta['doc_id']}{SIDECAR_SUFFIX}").write_bytes(sidecar)
        # The real documents come along, so the curated ledger (annotations, derived figures,
        # checks, charts) builds on the corpus too: a synthetic corpus is the project grown by n.
        for doc in load_catalogue(raw_dir):
            shutil.copyfile(doc.path, staging / doc.path.name)
            shutil.copyfile(doc.sidecar, staging / doc.sidecar.name)
        for entry in sorted(real.iterdir()):
            if entry.name == documents_dir(real).name or entry.name.startswith("."):
                continue
            dest = target / entry.name
            if entry.is_dir():
                shutil.rmtree(dest, ignore_errors=True)
                shutil.copytree(entry, dest)
            else:
                shutil.copyfile(entry, dest)
        final = documents_dir(target)
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return n


def _dump_sidecar(meta: dict[str, Any]) -> str:
    """Sidecar YAML in `dump_sidecar`'s field order, by libyaml's C emitter when present (faster)."""
    ordered = {k: meta[k] for k in SIDECAR_ORDER if k in meta}
    ordered.update({k: v for k, v in meta.items() if k not in ordered})
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(ordered, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)
