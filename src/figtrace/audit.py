"""The report audit: read the rendered report.html back and prove every number is a provenance link.

Every number in the visible text is found with the project's own extractor
(`figtrace.mentions.extract`: digits, thousands separators, percentages, number words, fractions
such as "one in six" and hedges such as "more than a quarter"). A number passes when it lies
wholly inside a provenance link (`<a data-ref=ID href="#ID">` to an element with that id) whose
text states the ledger's value of ID (as figtrace.display shows it, its unrounded value, the
source's quote, or a number of curated prose), or when an exemption rule below covers it:

- `year`: inside an element with class "year" or a `<time>` element (dates and years);
- `identifier`: inside `<code class="id">` (figure and derived ids, formulas written in ids);
- `hash`: inside `<code class="sha256">` (document hashes);
- `position`: inside `<code class="pos">` (character offsets of a passage);
- `constant`: inside `<code class="formula">`, a number that is not a link is an arithmetic
  constant of a derived figure's formula (the 100 of a percentage, the 1 of a change); the
  formula's inputs inside it are links and are checked like any other;
- numbers that are not figures, each marked `<span class="nonfigure RULE">` by the report
  (`figtrace.report.nonfigure_rule`) and listed in audit.json under `nonfigure_numbers`:
  - `threshold`: a bound that defines a population in curated prose ("under 18", "under the
    age of 16");
  - `frequency`: how often, not how many ("twice", "at least once");
  - `ordinal`: a position in the text, not a rank ("the first sentence");
  - `scale`: the definition of a scale or code ("1 = highest");
  - `wording`: a small count in words in the report's own prose ("one charity", "the two
    counts"); a figure's own words are always a link;
  - `context`: a number in a quoted passage that is not a ledger figure (a reviewed exclusion,
    page furniture, another mention; its title says which);
  - `reference`: digits inside a hyphenated identifier of the corpus written in prose (a
    document or figure id such as "synth-000001");
  - `nonfigure`: any other number in curated prose that states no ledger value in scope;
- `title`: inside `<cite>` (titles of works are names: "Fifteen years of ..." is not a claim);
- `name`: inside `<span class="name">`: publishers and producers ("Channel 4") are names;
- `url`: inside an element with class "url": a web address ("/2016/11/") is an address.
- `tally`: inside `<span class="tally">`: how many other documents corroborate, contradict or
  restate a figure, counted from the corroboration checks; the figures counted are links beside it.

`report.md`, the file writers copy from, is audited by the same rules (`audit_markdown`): it is
rendered as a Markdown viewer shows it (CommonMark with tables), a link to a figure's passage
(`sources/<doc_id>.html#<id>`, the figure's own document) or to a derived figure's entry
(`report.html#<id>`) is a provenance link, a code span holds identifiers and formulas, and a bare
year (1900-2099, no thousands separator) is a year. Any other number fails the audit.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Doctype

from figtrace import display, outputs
from figtrace.mentions import extract
from figtrace.provenance import Ledger, format_ref
from figtrace.report import (
    comparable,
    is_claim,
    is_ledger_count,
    is_year,
    ref_value,
    same_value,
)

EXEMPTIONS: dict[str, tuple[str, set[str] | None]] = {
    # rule: (element name or "*", required classes)
    "year": ("*", {"year"}),
    "date": ("time", None),
    "identifier": ("code", {"id"}),
    "hash": ("code", {"sha256"}),
    "position": ("code", {"pos"}),
    "constant": ("code", {"formula"}),
    # the non-figure rules: the specific ones before the catch-all `nonfigure`
    "threshold": ("span", {"nonfigure", "threshold"}),
    "frequency": ("span", {"nonfigure", "frequency"}),
    "ordinal": ("span", {"nonfigure", "ordinal"}),
    "scale": ("span", {"nonfigure", "scale"}),
    "wording": ("span", {"nonfigure", "wording"}),
    "context": ("span", {"nonfigure", "context"}),
    "reference": ("span", {"nonfigure", "reference"}),
    "nonfigure": ("span", {"nonfigure"}),
    "title": ("cite", None),
    "name": ("span", {"name"}),
    "url": ("*", {"url"}),
    "tally": ("span", {"tally"}),
}
BLOCKS = {
    "p", "div", "li", "td", "th", "tr", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "figcaption", "figure", "section", "article", "header", "main", "nav",
    "ul", "ol", "dl", "table", "body", "title",
}  # fmt: skip
INVISIBLE = {"script", "style", "head", "template", "noscript"}
NONFIGURE_RULES = (
    "threshold", "frequency", "ordinal", "scale", "wording", "context", "reference", "nonfigure",
)  # fmt: skip


@dataclass
class AuditResult:
    """What the audit found: every number, the linked ones, the exempt ones, and the faults."""

    numbers_found: int = 0
    numbers_linked: int = 0
    links: int = 0
    exempt: dict[str, int] = field(default_factory=dict)
    nonfigures: list[str] = field(default_factory=list)
    nonfigure_numbers: dict[str, list[str]] = field(default_factory=dict)
    unlinked: list[dict[str, Any]] = field(default_factory=list)
    mismatches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unlinked and not self.mismatches

    def summary(self) -> str:
        exempt = ", ".join(f"{k} {v}" for k, v in sorted(self.exempt.items())) or "none"
        verdict = "PASS" if self.ok else "FAIL"
        return (
            f"audit {verdict}: {self.numbers_found} numbers, {self.numbers_linked} inside a "
            f"provenance link, exempt: {exempt}; {len(self.unlinked)} unlinked, "
            f"{len(self.mismatches)} links that show another value ({self.links} links checked)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "numbers_found": self.numbers_found,
            "numbers_linked": self.numbers_linked,
            "links_checked": self.links,
            "exempt": dict(sorted(self.exempt.items())),
            "nonfigures": self.nonfigures,
            "nonfigure_numbers": dict(sorted(self.nonfigure_numbers.items())),
            "unlinked": self.unlinked,
            "mismatches": self.mismatches,
        }


def exemption(node: NavigableString) -> str | None:
    """The exemption rule that covers a text node, if any (the nearest ancestor decides)."""
    for parent in node.parents:
        if not isinstance(parent, Tag):
            continue
        for rule, (name, classes) in EXEMPTIONS.items():
            if name not in ("*", parent.name):
                continue
            if classes is None or classes <= set(parent.get("class") or []):
                return rule
    return None


def provenance_link(node: NavigableString) -> Tag | None:
    """The nearest `<a data-ref>` around a text node."""
    for parent in node.parents:
        if isinstance(parent, Tag) and parent.name == "a" and parent.get("data-ref"):
            return parent
    return None


def visible_text(soup: BeautifulSoup) -> tuple[str, list[tuple[int, int, NavigableString]]]:
    """The page's visible text, block elements on their own lines, with each text node's range."""
    parts: list[str] = []
    nodes: list[tuple[int, int, NavigableString]] = []
    pos, last_block = 0, None
    body = soup.body or soup
    for node in body.find_all(string=True):
        if isinstance(node, Comment | Doctype) or any(
            isinstance(p, Tag) and p.name in INVISIBLE for p in node.parents
        ):
            continue
        block = next((p for p in node.parents if isinstance(p, Tag) and p.name in BLOCKS), None)
        if block is not last_block:
            parts.append("\n")
            pos += 1
            last_block = block
        text = str(node)
        nodes.append((pos, pos + len(text), node))
        parts.append(text)
        pos += len(text)
    return "".join(parts), nodes


def check_link(a: Tag, ledger: Ledger, ids: set[str]) -> dict[str, Any] | None:
    """A fault in one provenance link, or None: its target must exist and its text must state
    the ledger value (format_ref for values, the quote for source words, the value for prose)."""
    ref, shown = a["data-ref"], " ".join(a.get_text().split())
    fault = {"ref": ref, "shown": shown}
    if a.get("href") != f"#{ref}" or ref not in ids:
        return {**fault, "expected": f"a link to #{ref}", "reason": "no such entry"}
    try:
        value, unit, _ = ref_value(ledger, ref)
    except Exception:  # noqa: BLE001 - an unknown id is a fault of the report, reported as one
        return {**fault, "expected": "a ledger id", "reason": "not in the ledger"}
    shows = a.get("data-shows", "value")
    if shows not in ("value", "unrounded", "quote", "prose"):
        return {
            **fault,
            "expected": "data-shows value, unrounded, quote or prose",
            "reason": "mode",
        }
    if shows == "value":
        expected = format_ref(ledger, ref, a.get("data-format"))
        return None if shown == expected else {**fault, "expected": expected, "reason": "value"}
    if shows == "unrounded":
        expected = display.unrounded(value, unit)
        return None if shown == expected else {**fault, "expected": expected, "reason": "unrounded"}
    if shows == "quote":
        expected = " ".join(str(ledger.figures.loc[ref, "quote"]).split())
        return None if shown == expected else {**fault, "expected": expected, "reason": "quote"}
    numbers = [m for m in extract(shown) if m.value is not None]
    if any(same_value(comparable(m.value, m.kind, unit), value) for m in numbers):
        return None
    return {**fault, "expected": format_ref(ledger, ref), "reason": "prose"}


def audit_report(html: str, ledger: Ledger) -> AuditResult:
    """Audit a rendered report: every number linked or exempt, every link true to the ledger."""
    soup = BeautifulSoup(html, "lxml")
    result = AuditResult()
    ids = {t["id"] for t in soup.find_all(id=True)}
    links = soup.find_all("a", attrs={"data-ref": True})
    result.links = len(links)
    for a in links:
        fault = check_link(a, ledger, ids)
        if fault:
            result.mismatches.append(fault)
    text, nodes = visible_text(soup)
    starts = [a for a, _, _ in nodes]  # text nodes are in text order and do not overlap
    for m in extract(text):
        start = m.qualifier_start if m.qualifier_start is not None else m.start
        first = max(0, bisect.bisect_right(starts, m.start) - 1)
        covering = []
        for a, b, n in itertools.islice(nodes, first, None):
            if a >= m.end:
                break
            if b > m.start:
                covering.append(n)
        result.numbers_found += 1
        anchors = {id(provenance_link(n)) if provenance_link(n) else None for n in covering}
        if None not in anchors and len(anchors) == 1:
            result.numbers_linked += 1
            continue
        rules = {exemption(n) for n in covering}
        if None not in rules and len(rules) == 1:
            rule = rules.pop()
            result.exempt[rule] = result.exempt.get(rule, 0) + 1
            if rule == "nonfigure":
                result.nonfigures.append(text[start : m.end])
            if rule in NONFIGURE_RULES:
                result.nonfigure_numbers.setdefault(rule, []).append(text[start : m.end])
            continue
        context = " ".join(text[max(0, m.start - 40) : m.end + 40].split())
        result.unlinked.append({"text": text[start : m.end], "context": context})
    return result


MARKDOWN_TARGET = re.compile(r"^(?:sources/[^/#]+\.html|report\.html)#(?P<ref>[^#\s]+)$")
PAGE_ANCHOR = re.compile(r"page-[0-9]+")  # a viewer's page mark (report.PAGE_MARK)
FORMAT_SPECS = (None, "bare", "percent", "int", "bare,percent", "bare,int")


def markdown_target(ledger: Ledger, ref: str) -> str | None:
    """Where report.md must link `ref`: a figure to its passage in its own document's viewer,
    a derived figure or a ledger count to its entry in report.html; None for an unknown id."""
    if ref in ledger.figures.index:
        return f"sources/{ledger.figures.loc[ref, 'doc_id']}.html#{ref}"
    if ref in ledger.derived.index or is_ledger_count(ref):
        return f"report.html#{ref}"
    return None


def _shows(ledger: Ledger, ref: str, shown: str) -> tuple[str, str | None]:
    """How a Markdown link states its value: ("value", format) when its text is the ledger value
    in one of the report's formats, else ("prose", None), checked as prose."""
    if ref in ledger.figures.index or ref in ledger.derived.index:
        for spec in FORMAT_SPECS:
            if shown == format_ref(ledger, ref, spec):
                return "value", spec
    return "prose", None


def markdown_page(md: str, ledger: Ledger) -> str:
    """report.md as the page the audit reads: rendered as a Markdown viewer shows it (CommonMark
    with tables), with its links to provenance targets made provenance links, code spans made
    formulas, emphasis made titles, and the numbers of its plain text marked as years or
    non-figures where the report's own reading of prose (`prose_pieces`) says so."""
    from markdown_it import MarkdownIt

    soup = BeautifulSoup(MarkdownIt("commonmark").enable("table").render(md), "lxml")
    body = soup.body or soup
    targets: set[str] = set()
    for a in soup.find_all("a", href=True):
        match = MARKDOWN_TARGET.match(a["href"])
        if not match or PAGE_ANCHOR.fullmatch(match["ref"]):
            continue  # not a provenance link (a page of a viewer is a position, not a value)
        ref = match["ref"]
        a["data-ref"] = ref
        shows, spec = _shows(ledger, ref, " ".join(a.get_text().split()))
        a["data-shows"] = shows
        if spec:
            a["data-format"] = spec
        if a["href"] == markdown_target(ledger, ref):
            a["href"] = f"#{ref}"
            targets.add(ref)
    for ref in sorted(targets):
        body.append(soup.new_tag("span", attrs={"id": ref}))
    for code in soup.find_all("code"):
        code["class"] = ["formula"]
    for em in soup.find_all("em"):
        em.name = "cite"
    for node in list(body.find_all(string=True)):
        if not isinstance(node, Comment | Doctype) and not (
            provenance_link(node) or exemption(node)
        ):
            _mark_unclaimed(soup, node)
    return str(soup)


def _mark_unclaimed(soup: BeautifulSoup, node: NavigableString) -> None:
    """Mark the years and the numbers that are no claim (`report.is_claim`: thresholds, idioms,
    small counts in words) in a text node; a claim is left bare, for the audit to find."""
    text, pieces, pos = str(node), [], 0
    for m in extract(text):
        kind = "year" if is_year(m) else None if is_claim(m) else "nonfigure"
        if kind is None:
            continue
        start = max(m.qualifier_start if m.qualifier_start is not None else m.start, pos)
        tag = soup.new_tag("span", attrs={"class": kind})
        tag.string = text[start : m.end]
        pieces += [NavigableString(text[pos:start]), tag]
        pos = m.end
    if pieces:
        node.replace_with(*pieces, NavigableString(text[pos:]))


def audit_markdown(md: str, ledger: Ledger) -> AuditResult:
    """Audit report.md: every number a link to its provenance that states the ledger value, or
    exempt (code spans, years); see the module docstring."""
    return audit_report(markdown_page(md, ledger), ledger)


def write_audit(path: Path, result: AuditResult, markdown: AuditResult | None = None) -> None:
    """Write the audit result as JSON (sorted keys, stable order); with the Markdown report's
    result under "markdown", and "ok" only when both pass."""
    data = result.as_dict()
    if markdown is not None:
        data["ok"] = result.ok and markdown.ok
        data["markdown"] = markdown.as_dict()
    outputs.write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
