"""The source viewers: one page per document, `sources/<doc_id>.html`, its canonical text exactly
as hashed with every number marked by its role (a figure's mark links to its report entry).

A numbered shard's job renders its documents' viewers from the shard's own tables, with no ledger
and without pandas (`load_shard` reads them with pyarrow alone): pandas' import was most of the
job's start, and the job is on the path from an added document to the finished run. The report
renders the ledger shard's viewers from its corpus (figtrace.report).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from figtrace import outputs
from figtrace.documents import sha256_bytes
from figtrace.errors import FigtraceError
from figtrace.manifest import DIGEST_LIST_HEADER, read_digest_list
from figtrace.registries import Report, load_reports
from figtrace.rendering import environment, escaped
from figtrace.shards import doc_id_runs

ROLES = ("figure", "statistic", "exclusion", "boilerplate", "date", "other")
ROLE_NAMES = {
    "figure": "figure in the ledger",
    "statistic": "statistic not yet reviewed (neither a figure nor an exclusion)",
    "exclusion": "reviewed exclusion (not a statistic)",
    "boilerplate": "page furniture (boilerplate)",
    "date": "date",
    "other": "other number",
}


@dataclass(frozen=True)
class Span:
    """A highlighted range of a document's text: a figure, an exclusion or another mention."""

    start: int
    end: int
    role: str
    ref: str | None = None
    note: str | None = None


@dataclass
class Sources:
    """What the viewers render: each document's fields (a missing one None), canonical text and
    highlight spans, by doc_id in table order, and the report registry (for the reports a
    document cites)."""

    documents: dict[str, dict[str, Any]]
    texts: dict[str, str]
    spans: dict[str, list[Span]]
    reports: Mapping[str, Report]


def segments(text: str, spans: Iterable[Span], start: int, end: int):
    """(text, span-or-None) pieces of text[start:end]."""
    pos = start
    for s in spans:
        if s.end <= start or s.start >= end:
            continue
        if s.start > pos:
            yield text[pos : s.start], None
        yield text[s.start : s.end], s
        pos = s.end
    if pos < end:
        yield text[pos:end], None


def document_spans(
    mentions: Iterable[tuple[str, int, int | None, int, str]],
    figures: Iterable[tuple[str, str, int, int, str | None]] = (),
    exclusions: Iterable[tuple[str, int, int, str | None]] = (),
) -> dict[str, list[Span]]:
    """Non-overlapping highlight spans per document: figures first, then reviewed exclusions,
    then the extractor's other mentions (statistics nobody has reviewed yet marked as such).
    Rows: mentions (doc_id, start, qualifier_start or None, end, role); figures (figure_id,
    doc_id, start, end, label); exclusions (doc_id, start, end, reason)."""
    candidates: dict[str, list[tuple[int, Span]]] = {}
    extents: dict[str, list[tuple[int, int]]] = {}
    for doc_id, start, qualifier_start, end, role in mentions:
        # a hedged number ("more than 300") is marked from its qualifier
        hedge = int(start if qualifier_start is None else qualifier_start)
        extents.setdefault(doc_id, []).append((hedge, int(end)))
        role = role if role in ("statistic", "boilerplate", "date") else "other"
        candidates.setdefault(doc_id, []).append((2, Span(hedge, int(end), role)))
    for fid, doc_id, start, end, label in figures:
        candidates.setdefault(doc_id, []).append(
            (0, Span(int(start), int(end), "figure", fid, label))
        )
    for doc_id, start, end, reason in exclusions:
        # widen a reviewed span ("16") to the whole expression the extractor reads ("age of 16")
        start, end = int(start), int(end)
        for a, b in extents.get(doc_id, []):
            if a < end and b > start:
                start, end = min(start, a), max(end, b)
        candidates.setdefault(doc_id, []).append((1, Span(start, end, "exclusion", None, reason)))
    result: dict[str, list[Span]] = {}
    for doc_id, items in candidates.items():
        kept: list[Span] = []
        for _, span in sorted(items, key=lambda x: (x[0], x[1].start)):
            if all(span.end <= k.start or span.start >= k.end for k in kept):
                kept.append(span)
        result[doc_id] = sorted(kept, key=lambda s: s.start)
    return result


# --- a numbered shard's tables, read without pandas --------------------------------------------


def load_shard(corpus_dir: Path, raw_dir: Path, doc_ids: Collection[str] | None = None) -> Sources:
    """The documents, texts and mentions in `corpus_dir` (or only those of `doc_ids`: a shard
    job that re-renders a few viewers), with no ledger: for the viewers of a shard that holds no
    annotated document, which therefore neither wait for the ledger nor change with it. Refuses
    a shard that holds an annotated document (its figures would be lost)."""
    corpus_dir, raw_dir = Path(corpus_dir), Path(raw_dir)
    rows = _rows(corpus_dir / "documents.parquet", None, doc_ids)
    documents = {row["doc_id"]: row for row in rows}
    annotated = [d for d in documents if (raw_dir / "annotations" / f"{d}.yaml").is_file()]
    if annotated:
        raise FigtraceError(
            f"{corpus_dir}: {annotated[0]!r} has an annotation file, so its viewer must show the "
            "ledger's figures; render this folder with the ledger (without --no-ledger)."
        )
    texts = {
        row["doc_id"]: row["text"]
        for row in _rows(corpus_dir / "text.parquet", ["doc_id", "text"], doc_ids)
    }
    columns = ["doc_id", "start", "qualifier_start", "end", "role"]
    mentions = [
        (row["doc_id"], row["start"], row["qualifier_start"], row["end"], row["role"])
        for row in _rows(corpus_dir / "mentions.parquet", columns, doc_ids)
    ]
    return Sources(
        documents, texts, document_spans(mentions), load_reports(raw_dir / "reports.yaml")
    )


def _rows(
    path: Path, columns: list[str] | None, doc_ids: Collection[str] | None
) -> list[dict[str, Any]]:
    """The rows of a Parquet table (only `columns`, if given) whose doc_id is in `doc_ids` (all
    if None), in table order, as dicts with None for a missing value."""
    import pyarrow.parquet as pq  # not pq.read_table: it imports pyarrow.dataset, and that pandas

    if not path.is_file():
        raise FigtraceError(f"{path}: not built yet; run the pipeline first (`make all`).")
    with pq.ParquetFile(path) as parquet:
        table = parquet.read(columns=columns)
    if doc_ids is None:
        return table.to_pylist()
    runs = doc_id_runs(table, set(doc_ids))
    return [row for _, _, start, end in runs for row in table.slice(start, end - start).to_pylist()]


# --- rendering ---------------------------------------------------------------------------------


PAGE_MARK = '<span class="page-mark" id="page-{0}">page <code class="pos">{0}</code></span>'


def viewer_body(text: str, spans: Sequence[Span]) -> Markup:
    """The document's canonical text with every mention marked by role; a figure's mark has the
    figure_id as its id and links back to the report entry."""
    # plain strings joined once: every untrusted piece (text, ids, notes) goes through escape
    out = []
    paged = "\f" in text  # PDF sources: pages are separated by form feeds (figtrace.text)
    page = 1
    if paged:
        out.append(PAGE_MARK.format(page))
    for piece, s in segments(text, spans, 0, len(text)):
        if s is None and paged and "\f" in piece:
            parts = piece.split("\f")
            out.append(escaped(parts[0]))
            for part in parts[1:]:
                page += 1
                out.append(PAGE_MARK.format(page))
                out.append(escaped(part))
        elif s is None:
            out.append(escaped(piece))
        elif s.role == "figure":
            ref = escape(s.ref)
            out.append(
                f'<mark class="m-figure" id="{ref}" title="{escape(s.note or "")}">'
                f'<a href="../report.html#{ref}">{escaped(piece)}</a></mark>'
            )
        else:
            note = escape(s.note or ROLE_NAMES[s.role])
            out.append(f'<mark class="m-{escape(s.role)}" title="{note}">{escaped(piece)}</mark>')
    return Markup("".join(out))


def write_sources(
    sources: Sources,
    out_dir: Path,
    doc_ids: Sequence[str] | None = None,
    index: Path | None = None,
    keep: Iterable[str] | None = None,
    reused: Mapping[str, str] | None = None,
    names: list[str] | None = None,
) -> list[Path]:
    """Render one viewer per document with one compiled template; return the paths written.

    `keep`: the doc_ids of the whole corpus; viewers in `out_dir` of any other document (one
    removed from the corpus) are deleted. `index`: a list of the viewers written and of those
    `reused` (left as they are; doc_id -> the viewer's sha256), one `doc_id, file, sha256` row
    each, written last, so that it exists only if every viewer does (the pipeline's output per
    shard; the manifest takes the viewers' digests from it, see figtrace.manifest). `names`:
    the entries of `out_dir`, if the caller has just listed it.
    """
    template = environment().get_template("source.html.j2")
    css = environment().get_template("report.css").render()
    ids = doc_ids if doc_ids is not None else list(sources.documents)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # listed once, for leftovers and for the sweep: the folder holds every shard's viewers
    if names is None:
        names = os.listdir(out_dir)
    digests = dict(reused or {})
    pages = _viewer_pages(sources, template, css, ids, out_dir)
    written = outputs.write_texts(_noting_digests(pages, digests), listings={out_dir: names})
    if keep is not None:
        known = {f"{doc_id}.html" for doc_id in keep}
        for name in {*names, *(path.name for path in written)}:
            if name.endswith(".html") and name not in known:
                (out_dir / name).unlink(missing_ok=True)
    if index is not None:
        rows = "".join(f"{d}\t{d}.html\t{digests[d]}\n" for d in sorted(digests))
        outputs.sweep_leftovers([Path(index)], {out_dir: names})
        outputs.write_text(index, DIGEST_LIST_HEADER + rows, sweep=False)
    return written


def _empty_list(index: Path | None) -> bool:
    """Whether `index` is a list of viewers with no row (a shard that held no document)."""
    try:
        return index is not None and Path(index).read_text("utf-8") == DIGEST_LIST_HEADER
    except (OSError, UnicodeDecodeError):
        return False


def _noting_digests(
    pages: Iterable[tuple[Path, str]], digests: dict[str, str]
) -> Iterator[tuple[Path, str]]:
    """The pages as they pass, each viewer's sha256 noted by doc_id (from the bytes in memory)."""
    for path, html in pages:
        digests[path.name[: -len(".html")]] = sha256_bytes(html.encode("utf-8"))
        yield path, html


def write_sources_reusing(
    load: Callable[[Collection[str]], Sources],
    out_dir: Path,
    listed: Path,
    record: Path,
    recipe_digest: str,
    index: Path | None = None,
    keep: Callable[[], Iterable[str]] | None = None,
    names: list[str] | None = None,
    sweep: bool = False,
) -> tuple[list[Path], set[str]]:
    """`write_sources` for a shard with no annotated document, re-rendering only the viewers
    of documents changed since the shard's reuse record was written (figtrace.reuse): a
    viewer is kept if its document's catalogue line (in `listed`) and the viewer file's own
    stat are the ones recorded, under the same recipe. Only the other documents are read
    (`load` them by doc_id). Returns the paths written and the doc_ids kept. `names`: the
    entries of `out_dir`, if the caller has just listed it.

    `keep()`: the whole corpus's doc_ids, for `write_sources` to delete the viewers of other
    documents; asked for only when a viewer may have lost its document: the shard has no list
    of its viewers or no reuse record (a run killed after writing a viewer), its last list
    names a document it no longer holds (one removed, or moved to another shard), or `sweep`
    says so. A shard that only gained or changed documents skips reading and sweeping 100,000
    names (0.1 s of an added document's run)."""
    from figtrace import reuse
    from figtrace.documents import read_fingerprint

    out_dir = Path(out_dir)
    lines = {doc_id: f"{raw} {sidecar}" for doc_id, raw, sidecar in read_fingerprint(listed)}

    folder = os.path.join(out_dir, "")

    def keys(doc_ids: Iterable[str]) -> dict[str, str]:
        found = {}
        for doc_id in doc_ids:
            viewer = reuse.file_key(f"{folder}{doc_id}.html")
            if viewer is not None:
                found[doc_id] = f"{lines[doc_id]} {viewer}"
        return found

    before = keys(lines)
    kept = reuse.reusable(record, recipe_digest, before)
    recorded = Path(record).is_file()  # without it, a killed run may have left any viewer
    reuse.forget(record)
    fresh = [d for d in lines if d not in kept]
    # a kept viewer's digest as the shard's last list recorded it, else read from the file
    listed_before = read_digest_list(index) if index is not None else {}
    held = {f"{d}.html" for d in lines}
    listed = bool(listed_before) or _empty_list(index)  # an earlier list, read as it was written
    lost = sweep or not recorded or not listed or not held.issuperset(listed_before)
    reused = {
        d: listed_before.get(f"{d}.html") or sha256_bytes(Path(f"{folder}{d}.html").read_bytes())
        for d in sorted(kept)
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    if names is None:  # once for the whole job: 0.05 s among 100,000 viewers
        names = os.listdir(out_dir)
    corpus = keep() if keep is not None and lost else None
    written = write_sources(
        load(fresh), out_dir, fresh, index=index, keep=corpus, reused=reused, names=names
    )
    # a kept viewer is the file its key was just read from: only the fresh ones are stat'ed again
    after = {**{d: before[d] for d in kept}, **keys(fresh)}
    outputs.sweep_leftovers([Path(record)], {out_dir: names})
    reuse.remember(record, recipe_digest, after.items(), sweep=False)
    return written, kept


def _viewer_pages(
    sources: Sources, template: Any, css: str, doc_ids: Sequence[str], out_dir: Path
) -> Iterator[tuple[Path, str]]:
    """(path, html) of each document's viewer, rendered one at a time."""
    for doc_id in doc_ids:
        if doc_id not in sources.texts:
            raise FigtraceError(
                f"{doc_id}: no canonical text in text.parquet; re-run the text stage."
            )
        spans = sources.spans.get(doc_id, [])
        counts = Counter(s.role for s in spans)
        doc = sources.documents[doc_id]
        html = template.render(
            doc=doc,
            body=viewer_body(sources.texts[doc_id], spans),
            roles=[(r, ROLE_NAMES[r], counts[r]) for r in ROLES],
            reports=[
                sources.reports[r]
                for r in (doc["reports_cited"] or "").split(";")
                if r in sources.reports
            ],
            css=css,
        )
        yield out_dir / f"{doc_id}.html", html
