"""`figtrace fetch` and `figtrace repin` against a local stand-in for the publishers.

Every address is on 127.0.0.1 (tests/report_server.py): the first fetch pins the report, a second
one verifies it, a changed file is refused with nothing overwritten, `repin` accepts it keeping the
old one, and each failure (HTTP error, timeout, HTML page, truncated body, no server) is one line
naming the report and the address, leaving data/raw/ exactly as it was.
"""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pytest
import yaml
from report_server import ReportServer, Route, report_pdf

from conftest import run_cli
from figtrace.documents import load_catalogue
from figtrace.errors import FigtraceError
from figtrace.registries import load_reports
from figtrace.reports import FetchError, absent_reports, fetch, repin

REPORT = "atmg-2018-before-the-harm"
TODAY = "2026-12-02"


@pytest.fixture
def server():
    with ReportServer() as running:
        running.routes["/before-the-harm.pdf"] = Route(report_pdf())
        yield running


def raw_state(raw: Path) -> dict[str, bytes]:
    """Every file under data/raw/ (dot files too) with its bytes: what must not change."""
    return {str(p.relative_to(raw)): p.read_bytes() for p in sorted(raw.rglob("*")) if p.is_file()}


def test_first_fetch_pins_the_report_and_keeps_the_registry_comments(project, server):
    raw = project / "data/raw"
    before = (raw / "reports.yaml").read_text("utf-8")
    url = server.url("/before-the-harm.pdf")
    result = fetch(raw, REPORT, url=url, today=TODAY, progress=False)
    body = report_pdf()
    assert result.status == "fetched"
    assert (result.sha256, result.size) == (hashlib.sha256(body).hexdigest(), len(body))

    pin = load_reports(raw / "reports.yaml")[REPORT].document
    assert pin == {
        "doc_id": REPORT,
        "url": url,
        "sha256": hashlib.sha256(body).hexdigest(),
        "size": len(body),
        "media_type": "application/pdf",
        "retrieved": TODAY,
    }
    after = (raw / "reports.yaml").read_text("utf-8")
    # only the pin was added: the curator's comments, quotes and other entries are untouched
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert added[0].strip() == "document:" and len(added) == 7
    assert after.replace("\n".join(added) + "\n", "") == before

    documents = raw / "documents"
    assert (documents / f"{REPORT}.pdf").read_bytes() == body
    sidecar = yaml.safe_load((documents / f"{REPORT}.yaml").read_text("utf-8"))
    assert sidecar["kind"] == "report" and sidecar["report_id"] == REPORT
    assert sidecar["url"] == url and sidecar["date_accessed"] == TODAY
    assert sidecar["reports_cited"] == [] and sidecar["publisher"].startswith("Anti-Trafficking")
    # the pipeline's verification accepts it, and it is no longer listed as absent
    docs = load_catalogue(raw)
    assert {d.doc_id: d.kind for d in docs}[REPORT] == "report"
    assert {d.doc_id: d.kind for d in docs}["merseyside-before-the-harm"] == "article"
    assert not any(
        line.startswith(REPORT) for line in absent_reports(load_reports(raw / "reports.yaml"), docs)
    )
    assert not list(documents.glob(".*")), "no temporary file is left behind"


def test_a_second_fetch_verifies_and_writes_nothing(project, server):
    raw = project / "data/raw"
    fetch(raw, REPORT, url=server.url("/before-the-harm.pdf"), today=TODAY, progress=False)
    state = raw_state(raw)
    again = fetch(raw, REPORT, today="2027-01-01", progress=False)  # the pinned address
    assert again.status == "verified"
    assert raw_state(raw) == state
    assert server.requests == ["/before-the-harm.pdf"] * 2


def test_a_changed_remote_file_is_refused_and_nothing_is_overwritten(project, server):
    raw = project / "data/raw"
    fetch(raw, REPORT, url=server.url("/before-the-harm.pdf"), today=TODAY, progress=False)
    state = raw_state(raw)
    server.routes["/before-the-harm.pdf"] = Route(report_pdf(edition="Corrected edition."))
    with pytest.raises(FetchError) as caught:
        fetch(raw, REPORT, progress=False)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        f"{REPORT}: {server.url('/before-the-harm.pdf')}: the file has changed"
    )
    assert hashlib.sha256(report_pdf()).hexdigest() in message
    assert hashlib.sha256(report_pdf(edition="Corrected edition.")).hexdigest() in message
    assert f"figtrace repin {REPORT}" in message and "Nothing was overwritten" in message
    assert raw_state(raw) == state


def test_repin_accepts_a_new_version_and_keeps_the_old_one(project, server):
    raw = project / "data/raw"
    fetch(raw, REPORT, url=server.url("/before-the-harm.pdf"), today=TODAY, progress=False)
    old = report_pdf()
    new = report_pdf(edition="Corrected edition.")
    server.routes["/before-the-harm.pdf"] = Route(new)
    result = repin(raw, REPORT, today="2027-01-05", progress=False)
    assert result.status == "repinned"
    pin = load_reports(raw / "reports.yaml")[REPORT].document
    assert (pin["sha256"], pin["size"], pin["retrieved"]) == (
        hashlib.sha256(new).hexdigest(),
        len(new),
        "2027-01-05",
    )
    kept = raw / pin["superseded"][0]["kept_at"]
    assert pin["superseded"][0]["sha256"] == hashlib.sha256(old).hexdigest()
    assert (kept / f"{REPORT}.pdf").read_bytes() == old
    assert (kept / f"{REPORT}.yaml").is_file()
    assert (raw / "documents" / f"{REPORT}.pdf").read_bytes() == new
    load_catalogue(raw)  # the superseded copy is outside the catalogue; the new one verifies
    # repinning again with the same file changes nothing
    state = raw_state(raw)
    assert repin(raw, REPORT, progress=False).status == "verified"
    assert raw_state(raw) == state


def test_a_pinned_report_that_is_absent_is_no_error_and_fetch_restores_it(project, server):
    raw = project / "data/raw"
    fetch(raw, REPORT, url=server.url("/before-the-harm.pdf"), today=TODAY, progress=False)
    (raw / "documents" / f"{REPORT}.pdf").unlink()
    (raw / "documents" / f"{REPORT}.yaml").unlink()
    docs = load_catalogue(raw)  # a fresh checkout without the PDF still builds
    lines = absent_reports(load_reports(raw / "reports.yaml"), docs)
    assert (
        f"{REPORT} is not in the corpus; with internet access, `figtrace fetch {REPORT}`." in lines
    )
    assert fetch(raw, REPORT, today=TODAY, progress=False).status == "restored"
    load_catalogue(raw)


def test_the_build_refuses_a_report_document_that_is_not_the_pinned_one(project, server, tmp_path):
    raw = project / "data/raw"
    fetch(raw, REPORT, url=server.url("/before-the-harm.pdf"), today=TODAY, progress=False)
    # a consistent document and sidecar, but not the bytes reports.yaml pins
    other = report_pdf(edition="Not the pinned file.")
    (raw / "documents" / f"{REPORT}.pdf").write_bytes(other)
    sidecar = raw / "documents" / f"{REPORT}.yaml"
    meta = yaml.safe_load(sidecar.read_text("utf-8"))
    meta["sha256"] = hashlib.sha256(other).hexdigest()
    sidecar.write_text(yaml.safe_dump(meta, sort_keys=False), "utf-8")
    with pytest.raises(FigtraceError, match=f"is not the document .* pins for '{REPORT}'.*repin"):
        load_catalogue(raw)


BAD_ROUTES = {
    "/missing.pdf": (Route(b"no such file", 404, "text/plain"), "HTTP 404 Not Found"),
    "/slow.pdf": (Route(report_pdf(), delay=3.0), "timed out after 0.5 s"),
    "/landing": (
        Route(
            b"<!doctype html><html><body>Download the report</body></html>",
            content_type="text/html; charset=utf-8",
        ),
        "the server sent an HTML page (text/html), not the PDF",
    ),
    "/disguised.pdf": (
        Route(b"<!DOCTYPE html>\n<html><body>Please log in</body></html>"),
        "the server sent an HTML page, not the PDF (labelled application/pdf)",
    ),
    "/truncated.pdf": (
        Route(report_pdf()[:500], length=len(report_pdf())),
        f"truncated: the server sent 500 of {len(report_pdf())} bytes",
    ),
    "/notapdf.pdf": (Route(b"PK\x03\x04zipped"), "not a PDF"),
}


@pytest.mark.parametrize("path", sorted(BAD_ROUTES))
def test_each_failure_is_one_line_naming_report_and_address(project, server, path):
    raw = project / "data/raw"
    route, expected = BAD_ROUTES[path]
    server.routes[path] = route
    state = raw_state(raw)
    with pytest.raises(FetchError) as caught:
        fetch(raw, REPORT, url=server.url(path), timeout=0.5, progress=False)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{REPORT}: {server.url(path)}: ")
    assert expected in message
    assert raw_state(raw) == state


def test_no_network_is_one_line_naming_report_and_address(project):
    raw = project / "data/raw"
    with socket.socket() as probe:  # a port nothing listens on any more
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/before-the-harm.pdf"
    state = raw_state(raw)
    with pytest.raises(FetchError) as caught:
        fetch(raw, REPORT, url=url, timeout=2, progress=False)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{REPORT}: {url}: cannot reach the server")
    assert raw_state(raw) == state


def test_a_report_without_a_pdf_address_says_where_to_find_one(project):
    raw = project / "data/raw"
    with pytest.raises(FetchError) as caught:
        fetch(raw, "barnardos-2009-whose-child-now", progress=False)
    message = str(caught.value)
    assert "no PDF address is recorded" in message and "--url ADDRESS" in message
    assert (
        load_reports(raw / "reports.yaml")["barnardos-2009-whose-child-now"].sources["page"]
        in message
    )


def test_the_command_line_fetches_and_reports_each_failure_on_one_line(project, server):
    server.routes["/missing.pdf"] = Route(b"gone", 404, "text/plain")
    ok = run_cli(project, "fetch", REPORT, "--url", server.url("/before-the-harm.pdf"))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"fetched {REPORT}: {REPORT} (")
    again = run_cli(project, "fetch", REPORT)
    assert again.returncode == 0 and again.stdout.startswith(f"verified {REPORT}")
    missing = run_cli(
        project, "fetch", "ecpat-2016-heading-back-to-harm", "--url", server.url("/missing.pdf")
    )
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        f"error: ecpat-2016-heading-back-to-harm: {server.url('/missing.pdf')}: HTTP 404 Not Found; check the address"
    ]
    # with no id, every report is tried: the fetched one verifies, the others say what is missing
    every = run_cli(project, "fetch")
    assert every.returncode == 1
    assert every.stdout.startswith(f"verified {REPORT}")
    assert len(every.stderr.strip().splitlines()) == 2
    assert "--url names one PDF" in run_cli(project, "fetch", "--url", server.url("/x.pdf")).stderr
