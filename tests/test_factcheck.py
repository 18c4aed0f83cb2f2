"""`figtrace factcheck`: a writer's draft against the ledger.

Scored on the drafts set in tests/data/drafts/ (written for this project): a development half
the checker was tuned on, and a test half written before tuning and never tuned on.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_cli
from figtrace.draft import read_draft
from figtrace.errors import FigtraceError
from figtrace.factcheck import (
    SUPPORT_SCORE,
    TIE,
    VERDICTS,
    Context,
    Entry,
    check_draft,
    counted_words,
    draft_range,
    draft_words,
    load_context,
    meaning,
    not_a_statistic,
    precision,
    relation,
    score_set,
    slip,
    words,
)
from figtrace.mentions import extract

DRAFTS = ROOT / "tests/data/drafts"


@pytest.fixture(scope="module")
def ctx(built_project: Path):
    return load_context(
        built_project / "data/processed", built_project / "data/raw", built_project / "results"
    )


# --- the drafts set --------------------------------------------------------------------------


@pytest.mark.parametrize("half", ["dev", "test"])
def test_drafts_set_covers_every_verdict(half: str) -> None:
    gold = yaml.safe_load((DRAFTS / f"{half}.yaml").read_text("utf-8"))
    verdicts = [n["verdict"] for d in gold for n in d["numbers"]]
    assert set(verdicts) == set(VERDICTS)
    assert all((DRAFTS / d["draft"]).is_file() for d in gold)


def test_drafts_set_is_big_enough() -> None:
    total = sum(
        len(d["numbers"])
        for half in ("dev", "test")
        for d in yaml.safe_load((DRAFTS / f"{half}.yaml").read_text("utf-8"))
    )
    assert total >= 60


@pytest.mark.parametrize("half", ["dev", "test"])
def test_drafts_scored(ctx, half: str) -> None:
    scores = score_set(DRAFTS / f"{half}.yaml", ctx)
    report = "\n".join(scores["errors"])
    assert scores["verdict_accuracy"] >= 0.95, report
    assert scores["figure_accuracy"] >= 0.95, report
    assert scores["supported_misquotes"] == 0, report


# --- values as ranges: hedges and roundings ------------------------------------------------------


def _first(text: str):
    return next(m for m in extract(text) if m.role == "statistic")


@pytest.mark.parametrize(
    ("text", "ledger", "inside"),
    [
        ("roughly 10% of them", 9.569, True),  # a rounding the figure allows
        ("14.8% of them", 14.778, True),
        ("14.7% of them", 14.778, False),
        ("15% of them", 14.778, True),
        ("about 1,276 of them", 1275.9, True),
        ("2,000 children", 2118.0, False),  # a bare round number is not a loose rounding
        ("about 2,000 children", 2118.0, True),
        ("767 children", 677.0, False),
        ("more than 600 children", 677.0, True),
        ("more than 677 children", 677.0, False),  # "more than X" excludes X
        ("nearly 700 children", 677.0, True),
    ],
)
def test_draft_range(text: str, ledger: float, inside: bool) -> None:
    m = _first(text)
    lo, hi = draft_range(m.value, m.qualifier, text[m.start : m.end])
    assert (lo <= ledger <= hi) is inside


def test_one_in_six_is_not_a_rounding_of_90_of_609() -> None:
    m = _first("one in six of them")
    lo, hi = draft_range(m.value, m.qualifier, m.text)
    assert not lo <= 90 / 609 <= hi
    assert lo <= 0.1667 <= hi
    m = _first("one in seven of them")
    lo, hi = draft_range(m.value, m.qualifier, m.text)
    assert lo <= 90 / 609 <= hi


def _entry(ref: str, value: float, unit: str, qualifier: str | None, label: str) -> Entry:
    core = {w: 1.0 for w, _ in words(label)}
    return Entry(ref, "figure", value, unit, qualifier, str(value), core, dict(core),
                 doc_ids=[ref], label=label, counts=set(core))  # fmt: skip


@pytest.mark.parametrize(
    ("text", "written"),
    [("Children were close to half of all victims.", "half"),
     ("Children were 41% of all victims.", "41%")],
)  # fmt: skip
def test_a_share_is_judged_the_same_in_percent_and_proportion(text: str, written: str) -> None:
    # the ledger may store a share as a percentage or as a proportion: "half" allows the same
    # values either way (not a count in words once read as 50), and "41%" is not a step of one
    # once read as 0.41
    m = _first(text)
    as_percent = _entry("p", 50.0, "percent", "nearly", "Children as a share of victims")
    as_proportion = _entry("q", 0.5, "proportion", "nearly", "Children as a share of victims")
    got = relation(m, written, as_percent)[0], relation(m, written, as_proportion)[0]
    assert got == (("fits", "fits") if written == "half" else ("differs", "differs"))


def test_a_fitting_value_far_in_meaning_does_not_hide_the_clear_match(tmp_path: Path) -> None:
    # "doubled" clearly means the first entry ("more than doubled": the hedge is changed); the
    # second is also "doubled" but of something else, too far in meaning to be matched by itself
    import pandas as pd

    entries = [
        _entry("more-than-doubled", 2.0, "factor", "more_than", "Rate of children trafficked "
               "into exploitation by gangs, as a multiple of the previous year's rate"),
        _entry("migrants-doubled", 2.0, "factor", None,
               "Unaccompanied child migrants in Europe, as a multiple"),
    ]  # fmt: skip
    df: dict[str, int] = {}
    for e in entries:
        for t in e.full:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log(3 / (c + 0.5)) for t, c in df.items()}
    checks = pd.DataFrame(columns=["check_id", "kind", "status", "inputs"])
    ctx = Context(None, entries, checks, idf, math.log(3 / 0.5), {}, tmp_path)
    text = (
        "The number of children trafficked in the UK has doubled in a year, one campaigner said.\n"
    )
    mentions = extract(text)
    m = next(x for x in mentions if x.role == "statistic")
    clear, other = (
        meaning(ctx, draft_words(text, m, mentions), counted_words(text, m), e) for e in entries
    )
    assert clear >= SUPPORT_SCORE and clear - TIE <= other < SUPPORT_SCORE  # the case itself
    findings = check_draft(read_draft(_write(tmp_path / "d.md", text)), ctx)
    got = [(f.text, f.verdict, f.figure_id) for f in findings if f.text == "doubled"]
    assert got == [("doubled", "hedge-changed", "more-than-doubled")]


def test_precision_and_slips() -> None:
    assert precision("14.8%") == pytest.approx(0.1)
    assert precision("2,000") == 1000 and precision("677") == 1 and precision("a quarter") is None
    assert slip("767", "677") and slip("10,000", "100,000") and slip("69", "96")
    assert not slip("20", "209") and not slip("12", "20") and not slip("677", "677")


def _verdicts(ctx, tmp_path: Path, text: str, name: str = "d.md") -> list[tuple[str, str]]:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return [(f.text, f.verdict) for f in check_draft(read_draft(path), ctx)]


def test_value_alone_is_not_a_match(ctx, tmp_path: Path) -> None:
    # 40 is a ledger value (local authorities), but not of police referrals
    got = _verdicts(ctx, tmp_path, "Police referrals rose by 40% in Kent, the force said.\n")
    assert got == [("40%", "unsupported")]


def test_hedge_changed_and_contested(ctx, tmp_path: Path) -> None:
    text = (
        "A quarter of all trafficked children went missing from care.\n\n"
        "Anti-Slavery International said the rate of children trafficked in the UK had more "
        "than doubled in a year.\n"
    )
    findings = check_draft(read_draft(_write(tmp_path / "d.md", text)), ctx)
    assert [f.verdict for f in findings] == ["hedge-changed", "contested"]
    assert findings[0].ledger_text == "more than a quarter"
    contested = findings[1]
    assert contested.check_id and "1.66" in contested.reason  # what the arithmetic gives


def _write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


# --- reading drafts ------------------------------------------------------------------------


def test_markdown_offsets_and_soft_breaks(tmp_path: Path) -> None:
    source = (
        "# Title 2019\n\nThe rise was 96 per\n  cent, see [the report](https://x.org/2/99) "
        "and `code 12`.[^1]\n\n1. First item\n\n[^1]: A note.\n"
    )
    draft = read_draft(_write(tmp_path / "d.md", source))
    found = [m.text for m in extract(draft.text)]
    assert "96 per cent" in found and "99" not in found and "12" not in found
    assert "1" not in found  # list number and footnote label are syntax, not numbers
    m = next(m for m in extract(draft.text) if m.text == "96 per cent")
    assert source[draft.source_offset(m.start) : draft.source_offset(m.end)] == "96 per\n  cent"
    assert draft.where(m.start) == "line 3"


def test_html_draft_reads_prose_only(tmp_path: Path) -> None:
    html = (
        "<!doctype html><html><head><title>T 11</title><script>var a = 12;</script></head>"
        "<body><nav>Top 10</nav><h1>Heading</h1><p>There were <b>677</b>\n children.</p>"
        "<p>Second<br>line</p></body></html>"
    )
    draft = read_draft(_write(tmp_path / "d.html", html))
    assert draft.text == "Heading\n\nThere were 677 children.\n\nSecond line"


def test_docx_draft_gives_the_same_verdicts_as_text(ctx, tmp_path: Path) -> None:
    import docx

    source = DRAFTS / "dev/02-nrm-figures.txt"
    paragraphs = [p for p in source.read_text("utf-8").split("\n\n") if p.strip()]
    doc = docx.Document()
    for p in paragraphs[:-2]:
        doc.add_paragraph(p.strip())
    table = doc.add_table(rows=1, cols=2)  # the last two paragraphs in table cells
    for cell, p in zip(table.rows[0].cells, paragraphs[-2:], strict=True):
        cell.text = p.strip()
    doc.save(tmp_path / "draft.docx")
    from_docx = check_draft(read_draft(tmp_path / "draft.docx"), ctx)
    from_text = check_draft(read_draft(source), ctx)
    assert [(f.text, f.verdict, f.figure_id) for f in from_docx] == [
        (f.text, f.verdict, f.figure_id) for f in from_text
    ]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("draft.pdf", b"%PDF-1.4", "unknown draft format '.pdf'"),
        ("draft.doc", b"\xd0\xcf\x11\xe0", "save a .doc as .docx"),
        ("draft.md", b"", "is empty"),
        ("draft.txt", b" \n\n  \n", "is empty"),
        ("draft.txt", b"caf\xe9 12", "not UTF-8"),
        ("draft.docx", b"this is not a zip file", "not a readable Word document"),
        ("draft.md", b"<!-- only a comment -->\n", "no text to check"),
    ],
)
def test_bad_drafts_get_clear_errors(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(FigtraceError, match=message.replace("(", r"\(").replace(".", r"\.")) as exc:
        read_draft(path)
    assert str(path) in str(exc.value)


# --- the command ---------------------------------------------------------------------------


def test_three_outputs_from_one_run(built_project: Path, tmp_path: Path) -> None:
    draft = DRAFTS / "dev/01-local-provision.md"
    out = tmp_path / "out"
    proc = run_cli(
        built_project, "factcheck", str(draft), "--json", str(out / "r.json"),
        "--html", str(out / "r.html"), "--md", str(out / "r.md"),
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # the draft has a misquote
    assert len(proc.stderr.strip().splitlines()) == 1 and "1 misquoted" in proc.stderr
    data = json.loads((out / "r.json").read_text("utf-8"))
    assert set(data) == {"draft", "numbers", "summary"}
    keys = {"text", "start", "end", "value", "verdict", "figure_id", "ledger_value",
            "ledger_text", "check_id", "reason"}  # fmt: skip
    assert all(set(n) == keys for n in data["numbers"])
    starts = [n["start"] for n in data["numbers"]]
    assert starts == sorted(starts)
    text = read_draft(draft).text
    assert all(text[n["start"] : n["end"]] == n["text"] for n in data["numbers"])
    assert "more than 80 per cent" in [n["text"] for n in data["numbers"]]  # hedge included
    assert sum(data["summary"].values()) == len(data["numbers"])
    assert data["summary"]["misquoted"] == 1
    # Markdown: a footnote after each supported number, references, CSL-JSON beside it
    md = (out / "r.md").read_text("utf-8")
    n_supported = data["summary"]["supported"]
    assert md.count("[^figtrace-") == 2 * n_supported
    assert "more than 80 per cent[^figtrace-1]" in md and "## References" in md
    assert "1,600[^" not in md  # the misquote gets no citation
    csl = json.loads((out / "r.csl.json").read_text("utf-8"))
    assert {i["type"] for i in csl} == {"article-newspaper", "report"}
    assert any(i["title"].startswith("Whose Child Now?") for i in csl)
    html = (out / "r.html").read_text("utf-8")
    assert "Content-Security-Policy" in html and "<script" not in html
    assert html.count('class="num v-') == len(data["numbers"])
    # the same run again writes the same bytes
    again = tmp_path / "again"
    run_cli(built_project, "factcheck", str(draft), "--json", str(again / "r.json"),
            "--html", str(again / "r.html"), "--md", str(again / "r.md"))  # fmt: skip
    for name in ("r.json", "r.md", "r.csl.json"):
        assert (again / name).read_bytes() == (out / name).read_bytes()


def test_exit_zero_when_nothing_to_fix(built_project: Path, tmp_path: Path) -> None:
    draft = _write(
        tmp_path / "ok.txt", "In 2017 there were 2,118 suspected child trafficking victims.\n"
    )
    proc = run_cli(built_project, "factcheck", str(draft))
    assert proc.returncode == 0, proc.stderr
    assert "1 supported" in proc.stderr and "nothing to fix" in proc.stderr


def test_missing_ledger_says_run_make_all(project: Path, tmp_path: Path) -> None:
    draft = _write(tmp_path / "d.md", "There were 677 children.\n")
    proc = run_cli(project, "factcheck", str(draft))
    assert proc.returncode == 2
    assert "make all" in proc.stderr and "figures.parquet" in proc.stderr


def test_hostile_draft_is_escaped(ctx, tmp_path: Path) -> None:
    from figtrace.factcheck import render_html

    text = (
        "<script>window.__pwned=1</script> There were 677 British children referred.\n\n"
        '<img src=x onerror="alert(1)"> Reversed \u202etxt.exe and 12 more.\n'
    )
    draft = read_draft(_write(tmp_path / "hostile.txt", text))
    html = render_html(draft, check_draft(draft, ctx), ctx, tmp_path / "out.html")
    assert "<script>window" not in html and "<img src=x" not in html
    assert "&lt;script&gt;window.__pwned=" in html and "&lt;/script&gt;" in html
    assert "\u202e" not in html and "⟨RLO⟩" in html


def test_ledger_value_in_unit(ctx, tmp_path: Path) -> None:
    findings = check_draft(
        read_draft(_write(tmp_path / "d.md", "Of 609 children, 90 had been trafficked within "
                          "the UK: about 15% of Barnardo's caseload.\n")),
        ctx,
    )  # fmt: skip
    share = findings[-1]
    assert share.verdict == "supported" and math.isclose(share.ledger_value, 90 / 609, rel_tol=1e-6)


def test_template_types_no_numbers() -> None:
    import re

    text = (ROOT / "src/figtrace/templates/factcheck.html.j2").read_text("utf-8")
    text = re.sub(r"{[{%#].*?[}%#]}", " ", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text)
    assert [m.text for m in extract(text)] == []


@pytest.mark.parametrize(
    ("text", "number", "reason"),
    [
        ("For help, call the line on 0808 800 5000.", "0808 800 5000", "a phone number"),
        ("Write to us at SE1 7JY.", "SE1 7JY", "a postcode"),
        ("It was agreed in 2019.", "2019", "a year"),
    ],
)
def test_a_number_that_is_not_a_statistic_is_named_for_what_it_is(text, number, reason):
    mention = next(m for m in extract(text) if m.text == number)
    assert not_a_statistic(text, mention) == f"{reason}, not a quantity the ledger counts"


def test_a_cited_document_with_no_headline_is_named_by_its_description():
    from figtrace.documents import UNTITLED_NOTE
    from figtrace.factcheck import _cite_text

    doc = {"doc_id": "d-1", "sha256": "ab" * 32, "title": None,
           "description": "Council on child referrals", "publisher": None,
           "date_published": None}  # fmt: skip
    source = {"doc": doc, "report": None, "prefix": "a ", "quote": "12", "suffix": " b"}
    cited = _cite_text(source)
    assert cited.startswith(f"*Council on child referrals* ({UNTITLED_NOTE})"), cited
    assert "untitled document" not in _cite_text(source)
    assert "untitled document `d-1`" in _cite_text({**source, "doc": {**doc, "description": None}})
