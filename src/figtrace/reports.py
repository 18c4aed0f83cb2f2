"""Reports: the original publications, fetched from their publishers, pinned by hash, verified.

`figtrace fetch REPORT_ID` downloads a report's PDF (its address in `data/raw/reports.yaml`,
`sources.pdf`, or `--url`) into `data/raw/documents/` as a document of kind `report`, with the
same origin sidecar as any document (`figtrace add` writes it). The first fetch pins what it got
(sha256, size, media type, retrieval date) under the report's `document` in reports.yaml; a later
fetch verifies the download against the pin and refuses a changed file, overwriting nothing.
`figtrace repin REPORT_ID` is the explicit way to accept a new version: the old file and sidecar
are kept under `data/raw/superseded/`. reports.yaml is rewritten with ruamel.yaml, so its
comments and layout stay as the curator wrote them; every write goes to a temporary file first.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from figtrace import outputs
from figtrace.documents import (
    SIDECAR_SUFFIX,
    Document,
    add_document,
    documents_dir,
    load_catalogue,
)
from figtrace.errors import FigtraceError
from figtrace.registries import Report, load_reports, validate

REGISTRY = "reports.yaml"
CHUNK = 64 * 1024
HTML_TYPES = {"text/html", "application/xhtml+xml"}


class FetchError(FigtraceError):
    """A report could not be fetched: one line naming the report, the address and the fault."""


@dataclass(frozen=True)
class Download:
    """A downloaded file, not yet in the corpus: where it is and what it is."""

    path: Path
    url: str
    sha256: str
    size: int
    media_type: str


@dataclass(frozen=True)
class FetchResult:
    """What a fetch did: `fetched` (first time, pinned), `restored` (pinned file brought back),
    `verified` (already in the corpus, the remote file unchanged) or `repinned`."""

    report_id: str
    status: str
    doc_id: str
    sha256: str
    size: int
    url: str


def _fail(report_id: str, url: str, what: str) -> FetchError:
    return FetchError(f"{report_id}: {url}: {what}")


def download(
    report_id: str, url: str, folder: Path, timeout: float = 60.0, progress: bool | None = None
) -> Download:
    """Download `url` into a temporary file in `folder`, checking that it is a whole PDF.

    Refuses, each with one line naming the report and the address: no network, a timeout, an
    HTTP error, an HTML page served instead of the PDF, a body shorter than its Content-Length,
    and any other file that is not a PDF. `progress` shows a bar (default: on a terminal)."""
    # here, not at the top: Snakemake imports this module at every start (http and ssl are slow)
    import http.client
    import urllib.error
    import urllib.request

    from tqdm import tqdm

    request = urllib.request.Request(
        url,
        headers={"User-Agent": "figtrace (fetching a pinned report)", "Accept": "application/pdf"},
    )
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (http/https only)
    except urllib.error.HTTPError as exc:
        raise _fail(report_id, url, f"HTTP {exc.code} {exc.reason}; check the address") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise _fail(report_id, url, f"timed out after {timeout:g} s; try again later") from None
        raise _fail(
            report_id, url, f"cannot reach the server ({exc.reason}); is there a network?"
        ) from None
    except TimeoutError:
        raise _fail(report_id, url, f"timed out after {timeout:g} s; try again later") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise _fail(report_id, url, f"the request failed ({exc})") from None
    with response:
        final_url = response.geturl()
        media_type = response.headers.get_content_type()
        if media_type in HTML_TYPES:
            raise _fail(
                report_id,
                url,
                f"the server sent an HTML page ({media_type}), not the PDF; the address is "
                "probably a landing page: open it and copy the PDF's own link",
            )
        length = response.headers.get("Content-Length")
        expected = int(length) if length and length.strip().isdigit() else None
        digest = hashlib.sha256()
        size = 0
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{report_id}-", suffix=".pdf")
        path = Path(name)
        try:
            # disable=None: a bar on a terminal only, none in logs or tests
            shown = None if progress is None else not progress
            with (
                os.fdopen(fd, "wb") as handle,
                tqdm(
                    total=expected, unit="B", unit_scale=True, desc=report_id, disable=shown
                ) as bar,
            ):
                head = b""
                while chunk := response.read(CHUNK):
                    if len(head) < 64:
                        head += chunk[: 64 - len(head)]
                    handle.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    bar.update(len(chunk))
        except http.client.IncompleteRead as exc:
            path.unlink(missing_ok=True)
            got = size + len(exc.partial)
            raise _fail(
                report_id, url, f"truncated: the server sent {got} of {expected} bytes; try again"
            ) from None
        except TimeoutError:
            path.unlink(missing_ok=True)
            raise _fail(
                report_id, url, f"timed out after {timeout:g} s mid-download ({size} bytes read)"
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            path.unlink(missing_ok=True)
            raise _fail(report_id, url, f"the download failed after {size} bytes ({exc})") from None
    if expected is not None and size != expected:
        path.unlink(missing_ok=True)
        raise _fail(
            report_id, url, f"truncated: the server sent {size} of {expected} bytes; try again"
        )
    if not head.startswith(b"%PDF-"):
        path.unlink(missing_ok=True)
        lowered = head.lower().lstrip()
        if lowered.startswith((b"<!doc", b"<html", b"<?xml", b"<head")):
            raise _fail(
                report_id,
                url,
                "the server sent an HTML page, not the PDF (labelled "
                f"{media_type}); open the address and copy the PDF's own link",
            )
        raise _fail(
            report_id,
            url,
            f"not a PDF (it starts {head[:8]!r}, labelled {media_type}); check the address",
        )
    return Download(path, final_url, digest.hexdigest(), size, "application/pdf")


# --- the registry, read and written keeping its comments ---------------------------------------


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: comments, key order, block scalars and quotes are kept
    yaml.preserve_quotes = True
    yaml.width = 4096  # long lines stay as the curator wrote them, never re-wrapped
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


def read_registry(path: Path) -> Any:
    """reports.yaml as a round-trip document (comments kept), checked against its schema."""
    load_reports(path)  # schema, unique ids: the same messages as everywhere else
    return _yaml().load(Path(path).read_text(encoding="utf-8"))


def write_registry(path: Path, data: Any) -> None:
    """Write reports.yaml atomically, after checking the result against the schema."""
    import json

    validate(json.loads(json.dumps(data)), "reports", path)
    stream = io.StringIO()
    _yaml().dump(data, stream)
    outputs.write_text(Path(path), stream.getvalue())


def _entry(data: Any, report_id: str, path: Path) -> Any:
    for entry in data["reports"]:
        if entry["report_id"] == report_id:
            return entry
    known = ", ".join(e["report_id"] for e in data["reports"])
    raise FetchError(f"{report_id}: not in {path}; the reports are: {known}.")


def _pin(download: Download, doc_id: str, retrieved: str) -> dict[str, Any]:
    return {
        "doc_id": doc_id,
        "url": download.url,
        "sha256": download.sha256,
        "size": download.size,
        "media_type": download.media_type,
        "retrieved": retrieved,
    }


# --- fetch, verify, repin --------------------------------------------------------------------


def _address(report: Report, url: str | None) -> str:
    address = url or report.pdf_url
    if address:
        if not address.startswith(("http://", "https://")):
            raise FetchError(f"{report.report_id}: {address}: not an http or https address.")
        return address
    page = (report.sources or {}).get("page")
    where = f"open {page}, copy the PDF's link" if page else "find the PDF's address"
    raise FetchError(
        f"{report.report_id}: no PDF address is recorded (sources.pdf in reports.yaml is null); "
        f"{where} and run `figtrace fetch {report.report_id} --url ADDRESS`."
    )


def _install(
    download: Download, raw_dir: Path, report: Report, doc_id: str, today: str
) -> Document:
    """Add the downloaded PDF to the corpus as a document of kind `report` (figtrace add)."""
    extra = {
        "kind": "report",
        "report_id": report.report_id,
        "source_filename": download.url.rstrip("/").rsplit("/", 1)[-1][:200] or "report.pdf",
        "date_accessed_note": f"Fetched by `figtrace fetch` from {download.url}.",
        "url_note": "The address the PDF was fetched from.",
    }
    try:
        return add_document(
            download.path,
            raw_dir,
            title=report.title,
            publisher=report.producer,
            date_published=report.date_published,
            url=download.url,
            doc_id=doc_id,
            reports_cited=(),
            date_accessed=today,
            extra_meta=extra,
        )
    except FigtraceError as exc:
        raise FetchError(f"{report.report_id}: {download.url}: {exc}") from None


def _present(raw_dir: Path, doc_id: str) -> bool:
    return (documents_dir(raw_dir) / f"{doc_id}{SIDECAR_SUFFIX}").is_file()


def fetch(
    raw_dir: Path,
    report_id: str,
    url: str | None = None,
    timeout: float = 60.0,
    today: str | None = None,
    progress: bool | None = None,
) -> FetchResult:
    """Fetch one report: the first time pin it; after that verify it against the pin.

    A download that differs from the pin is refused with both hashes and nothing is
    written; `repin` accepts a new version explicitly."""
    raw_dir = Path(raw_dir)
    registry_path = raw_dir / REGISTRY
    data = read_registry(registry_path)
    entry = _entry(data, report_id, registry_path)
    report = load_reports(registry_path)[report_id]
    address = _address(report, url)
    today = today or date.today().isoformat()
    pin = report.document
    doc_id = pin["doc_id"] if pin else report_id
    if pin is None and _present(raw_dir, doc_id):
        raise FetchError(
            f"{report_id}: {documents_dir(raw_dir) / (doc_id + SIDECAR_SUFFIX)} already exists "
            f"but {registry_path} pins nothing for it; remove that document or choose another "
            "report id."
        )
    documents_dir(raw_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="figtrace-fetch-") as folder:
        got = download(report_id, address, Path(folder), timeout=timeout, progress=progress)
        if pin is not None:
            if (got.sha256, got.size) != (pin["sha256"], pin["size"]):
                raise FetchError(
                    f"{report_id}: {address}: the file has changed since it was pinned on "
                    f"{pin['retrieved']} (pinned sha256 {pin['sha256']}, {pin['size']} bytes; "
                    f"now sha256 {got.sha256}, {got.size} bytes). Nothing was overwritten; if the "
                    f"publisher replaced it on purpose, accept it with `figtrace repin {report_id}`."
                )
            if _present(raw_dir, doc_id):
                load_catalogue(raw_dir)  # the local copy, byte for byte, against its pin
                return FetchResult(report_id, "verified", doc_id, got.sha256, got.size, got.url)
            _install(got, raw_dir, report, doc_id, today)
            return FetchResult(report_id, "restored", doc_id, got.sha256, got.size, got.url)
        doc = _install(got, raw_dir, report, doc_id, today)
        try:
            entry["document"] = _pin(got, doc.doc_id, today)
            write_registry(registry_path, data)
        except BaseException:
            doc.path.unlink(missing_ok=True)
            doc.sidecar.unlink(missing_ok=True)
            raise
        return FetchResult(report_id, "fetched", doc.doc_id, got.sha256, got.size, got.url)


def repin(
    raw_dir: Path,
    report_id: str,
    url: str | None = None,
    timeout: float = 60.0,
    today: str | None = None,
    progress: bool | None = None,
) -> FetchResult:
    """Accept the file now at the report's address as its new pinned version.

    The old document and sidecar move to `data/raw/superseded/<report_id>/<sha256[:12]>/` (raw
    data is never overwritten) and the old pin is listed under `superseded`. Annotations made
    against the old text stop the build until they are reviewed (their sha256 no longer matches).
    """
    raw_dir = Path(raw_dir)
    registry_path = raw_dir / REGISTRY
    data = read_registry(registry_path)
    entry = _entry(data, report_id, registry_path)
    report = load_reports(registry_path)[report_id]
    pin = report.document
    if pin is None:
        return fetch(raw_dir, report_id, url, timeout, today, progress)
    address = _address(report, url)
    today = today or date.today().isoformat()
    doc_id = pin["doc_id"]
    with tempfile.TemporaryDirectory(prefix="figtrace-fetch-") as folder:
        got = download(report_id, address, Path(folder), timeout=timeout, progress=progress)
        if (got.sha256, got.size) == (pin["sha256"], pin["size"]):
            if not _present(raw_dir, doc_id):
                _install(got, raw_dir, report, doc_id, today)
                return FetchResult(report_id, "restored", doc_id, got.sha256, got.size, got.url)
            return FetchResult(report_id, "verified", doc_id, got.sha256, got.size, got.url)
        kept = raw_dir / "superseded" / report_id / pin["sha256"][:12]
        moved: list[tuple[Path, Path]] = []
        sidecar = documents_dir(raw_dir) / f"{doc_id}{SIDECAR_SUFFIX}"
        if sidecar.is_file():
            kept.mkdir(parents=True, exist_ok=True)
            raw_name = read_sidecar_path(sidecar)
            for source in (documents_dir(raw_dir) / raw_name, sidecar):
                if source.is_file():
                    target = kept / source.name
                    shutil.move(source, target)
                    moved.append((source, target))
        try:
            doc = _install(got, raw_dir, report, doc_id, today)
            superseded = list(pin.get("superseded", []))
            superseded.append(
                {
                    "sha256": pin["sha256"],
                    "size": pin["size"],
                    "retrieved": pin["retrieved"],
                    "url": pin["url"],
                    "kept_at": kept.relative_to(raw_dir).as_posix(),
                }
            )
            entry["document"] = {**_pin(got, doc.doc_id, today), "superseded": superseded}
            write_registry(registry_path, data)
        except BaseException:
            for source, target in moved:  # put the old version back as it was
                new = documents_dir(raw_dir) / source.name
                new.unlink(missing_ok=True)
                shutil.move(target, source)
            raise
        return FetchResult(report_id, "repinned", doc.doc_id, got.sha256, got.size, got.url)


def read_sidecar_path(sidecar: Path) -> str:
    """The raw file name a sidecar names (its `path`)."""
    from figtrace.registries import load_yaml

    return load_yaml(sidecar)["path"]


# --- which reports are in the corpus ---------------------------------------------------------


def report_documents(docs: list[Document]) -> dict[str, str]:
    """report_id -> doc_id of each report whose document is in the (verified) corpus."""
    return {doc.report_id: doc.doc_id for doc in docs if doc.kind == "report"}


def report_documents_text(docs: list[Document]) -> str:
    """The reports in the corpus as a small TSV (`report_id  doc_id  sha256`), sorted: the
    against-report checks depend on it, so they re-run when a report arrives and only then."""
    rows = sorted((d.report_id, d.doc_id, d.sha256) for d in docs if d.kind == "report")
    return "report_id\tdoc_id\tsha256\n" + "".join(f"{r}\t{d}\t{s}\n" for r, d, s in rows)


def read_report_documents(path: Path) -> dict[str, str]:
    """report_id -> doc_id from a file written by `report_documents_text`."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()[1:]
    rows = [line.split("\t") for line in lines if line]
    for number, row in enumerate(rows, 2):
        if len(row) != 3:
            raise FigtraceError(
                f"{path}: line {number} is not `report_id  doc_id  sha256`; it is written by the "
                "pipeline (common.smk): delete it and run Snakemake again."
            )
    return {row[0]: row[1] for row in rows}


def absent_reports(reports: dict[str, Report], docs: list[Document]) -> list[str]:
    """One line per publication of kind `report` whose document is not in the corpus, saying how
    to bring it in (printed when the pipeline starts; nothing is downloaded at run time)."""
    present = report_documents(docs)
    lines = []
    for report in reports.values():
        if report.kind != "report" or report.report_id in present:
            continue
        if report.pdf_url:
            how = f"`figtrace fetch {report.report_id}`"
        else:
            page = (report.sources or {}).get("page")
            how = f"`figtrace fetch {report.report_id} --url PDF_ADDRESS`" + (
                f" (the PDF is linked from {page})" if page else ""
            )
        lines.append(f"{report.report_id} is not in the corpus; with internet access, {how}.")
    return lines
