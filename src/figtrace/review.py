"""The review page: a local web page to accept, edit, exclude or skip a document's candidates.

`figtrace review [DOC_ID]` serves it on 127.0.0.1 only, on a free port (the socket bound to
port 0 is kept), behind a per-session token that every request must carry (in the URL of a
page, in the form of a POST). POSTs from another origin are refused. The page runs no script:
plain forms, every piece of document text escaped, a Content-Security-Policy that allows none.

Each change re-reads the annotation file, refuses to go on if its bytes are not the ones the
page was made from (someone edited it meanwhile: nothing is lost), applies the change, checks
the whole file with the checks the build runs (schema, ids unique across files, anchor, value,
indicator, report: `figtrace.figures`) and only then writes it back, comments and order kept.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from figtrace.errors import FigtraceError
from figtrace.figures import (
    UNITS,
    Annotations,
    annotation_paths,
    annotations_dir,
    check_figures,
    parse_annotation,
    read_annotation_file,
    write_annotation_file,
)
from figtrace.registries import load_indicators, load_reports, load_yaml, schema
from figtrace.suggestions import DEFAULT_MIN_SCORE, add_figure, mentions_of

MAX_BODY = 1_000_000
ROLE_CATEGORY = {"boilerplate": "boilerplate", "name": "name", "other": "idiom", "date": "date"}
TEXT_FIELDS = ("figure_id", "label", "indicator", "population", "geography")
OPTIONAL_FIELDS = ("qualifier", "period", "period_note", "report_id", "note")
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def validate_annotation(raw_dir: Path, path: Path, data: Any) -> None:
    """Check one annotation file's content with the build's own checks (schema, figure ids
    unique across every file, bytes, anchors, values, indicators, reports) before it is written."""
    import pandas as pd

    from figtrace.documents import load_documents
    from figtrace.mentions import document_mentions

    raw_dir, path = Path(raw_dir), Path(path)
    plain = json.loads(json.dumps(data))  # ruamel's commented containers as plain data
    seen: dict[str, Path] = {}
    for other in annotation_paths(raw_dir):
        if other.resolve() != path.resolve():
            parse_annotation(load_yaml(other), other, seen)
    figures, exclusions, claimants = parse_annotation(plain, path, seen)
    doc_id = plain["doc_id"]
    documents = {d.doc_id: d for d in load_documents(raw_dir, [doc_id])}
    texts = {d: doc.text() for d, doc in documents.items()}
    if doc_id in documents:
        mentions = document_mentions(documents[doc_id])
    else:  # check_figures names the missing document
        mentions = pd.DataFrame(columns=["doc_id", "start", "end", "value", "kind", "qualifier"])
    check_figures(
        Annotations(figures, exclusions, {doc_id: plain["sha256"]}, {doc_id: path}, claimants),
        documents,
        texts,
        load_indicators(raw_dir / "indicators.yaml"),
        load_reports(raw_dir / "reports.yaml"),
        mentions,
    )


def _number(text: str) -> int | float:
    value = float(text.replace(",", "").strip())
    return int(value) if value.is_integer() and "." not in text else value


def shown(value: Any) -> str:
    """A value as a person types it: 2118, not 2118.0; nothing for no value."""
    if value is None:
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def entry_from_form(form: dict[str, str]) -> dict[str, Any]:
    """A figure's fields from the page's edit form (empty optional fields left out or null)."""
    entry: dict[str, Any] = {k: form.get(k, "").strip() for k in TEXT_FIELDS}
    try:
        entry["value"] = _number(form.get("value", ""))
    except ValueError:
        raise FigtraceError(f"value {form.get('value', '')!r} is not a number.") from None
    entry["unit"] = form.get("unit", "")
    for key in OPTIONAL_FIELDS:
        text = form.get(key, "").strip()
        if key in ("qualifier", "period", "report_id"):
            entry[key] = text or None
        elif text:
            entry[key] = text
    return entry


@dataclass
class Review:
    """One review session: where the annotations are, its token, and what was skipped."""

    raw_dir: Path
    doc_id: str | None = None
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    skipped: dict[str, set[str]] = field(default_factory=dict)
    flash: dict[str, str] = field(default_factory=dict)

    def path(self, doc_id: str) -> Path:
        """The annotation file of a document (doc_id checked against the files that exist)."""
        known = {p.stem: p for p in annotation_paths(self.raw_dir)}
        if doc_id not in known:
            raise FigtraceError(
                f"{doc_id!r} has no annotation file in {annotations_dir(self.raw_dir)}; run "
                "`python -m figtrace annotate DOC_ID` first."
            )
        return known[doc_id]

    def documents(self) -> list[dict[str, Any]]:
        """Every annotated document with how many candidates are left to review."""
        rows = []
        for p in annotation_paths(self.raw_dir):
            data = load_yaml(p) or {}
            rows.append({"doc_id": p.stem, "left": len(data.get("candidates") or [])})
        return rows

    def page_context(self, doc_id: str) -> dict[str, Any]:
        """Everything the page shows for one document, read from disk now."""
        from figtrace.documents import load_documents
        from figtrace.mentions import document_mentions
        from figtrace.suggestions import sentence_at

        path = self.path(doc_id)
        data, digest = read_annotation_file(path)
        docs = load_documents(self.raw_dir, [doc_id], check_bytes=False)
        if not docs:
            raise FigtraceError(f"{doc_id!r}: no such document in {self.raw_dir}/documents.")
        doc = docs[0]
        text, mentions = doc.text(), document_mentions(doc)
        skipped = self.skipped.get(doc_id, set())
        cards = []
        for c in data.get("candidates") or []:
            a = c["anchor"]
            s0, s1 = sentence_at(mentions, text, a["start"], a["end"])
            s0, s1 = min(s0, a["start"]), max(s1, a["end"])
            extracted = c.get("extracted") or {}
            key = f"{a['start']}:{a['end']}"
            role = extracted.get("role")
            form = dict(c.get("suggestion") or self._blank(doc_id, c))
            cards.append(
                {
                    "key": key,
                    "anchor_id": f"c-{a['start']}-{a['end']}",
                    "exact": a["exact"],
                    "before": text[s0 : a["start"]],
                    "after": text[a["end"] : s1],
                    "extracted": extracted,
                    "suggestion": c.get("suggestion"),
                    "form": form,
                    "form_value": shown(form.get("value")),
                    "value_text": shown(extracted.get("value")),
                    "category": ROLE_CATEGORY.get(role, "context"),
                    "reason": "" if role == "statistic" else f"The extractor reads it as {role}.",
                    "skipped": key in skipped,
                }
            )
        cards.sort(key=lambda card: card["skipped"])
        defs = schema("annotation")["properties"]
        return {
            "doc_id": doc_id,
            "title": doc.title,
            "file": str(path),
            "sha256": digest,
            "token": self.token,
            "cards": cards,
            "n_figures": len(data.get("figures") or []),
            "n_exclusions": len(data.get("exclusions") or []),
            "indicators": list(load_indicators(self.raw_dir / "indicators.yaml")),
            "reports": list(load_reports(self.raw_dir / "reports.yaml")),
            "units": UNITS,
            "qualifiers": defs["figures"]["items"]["properties"]["qualifier"]["enum"],
            "categories": defs["exclusions"]["items"]["properties"]["category"]["enum"],
            "min_score": DEFAULT_MIN_SCORE,
            "flash": self.flash.pop(doc_id, None),
        }

    def _blank(self, doc_id: str, candidate: Any) -> dict[str, Any]:
        extracted = candidate.get("extracted") or {}
        return {
            "figure_id": f"{doc_id}-{candidate['anchor']['start']}",
            "value": extracted.get("value"),
            "unit": candidate.get("suggested_unit"),
            "qualifier": extracted.get("qualifier"),
        }

    def apply(self, doc_id: str, form: dict[str, str]) -> str:
        """Apply one form's change to the annotation file; return what was done, in words.
        Raises FigtraceError (nothing written) for a stale file or an entry that fails a check."""
        path = self.path(doc_id)
        data, digest = read_annotation_file(path)
        if not secrets.compare_digest(form.get("sha256", ""), digest):
            raise FigtraceError(
                f"{path} changed on disk since this page was read; nothing was written. The page "
                "now shows the file as it is: apply your change again."
            )
        key, action = form.get("key", ""), form.get("action", "")
        candidates = data.get("candidates") or []
        found = [c for c in candidates if f"{c['anchor']['start']}:{c['anchor']['end']}" == key]
        if not found:
            raise FigtraceError(f"no candidate at {key!r} in {path}; reload the page.")
        candidate = found[0]
        if action == "skip":
            self.skipped.setdefault(doc_id, set()).add(key)
            return f"skipped {candidate['anchor']['exact']!r} (left in candidates)"
        if action == "accept":
            if not candidate.get("suggestion"):
                raise FigtraceError(
                    f"{candidate['anchor']['exact']!r} has no suggestion to accept."
                )
            add_figure(data, candidate, mentions=mentions_of(self.raw_dir, doc_id))
            done = f"accepted {candidate['suggestion']['figure_id']}"
        elif action == "edit":
            entry = entry_from_form(form)
            add_figure(data, candidate, entry, mentions_of(self.raw_dir, doc_id))
            done = f"saved {entry['figure_id']} as edited"
        elif action == "exclude":
            reason, category = form.get("reason", "").strip(), form.get("category", "")
            data["exclusions"].append(
                {"anchor": candidate["anchor"], "reason": reason, "category": category}
            )
            done = f"excluded {candidate['anchor']['exact']!r} ({category})"
        else:
            raise FigtraceError(f"unknown action {action!r}.")
        candidates.remove(candidate)
        validate_annotation(self.raw_dir, path, data)
        write_annotation_file(path, data, digest)
        self.skipped.get(doc_id, set()).discard(key)
        return f"{done}; wrote {path}"


def render(template: str, **context: Any) -> str:
    """A page from the package's templates (autoescaped, document text through `t`)."""
    from figtrace.rendering import environment

    return environment().get_template(template).render(**context)


class Handler(BaseHTTPRequestHandler):
    """Serves one Review: GET pages, POST changes; token, host and origin checked first."""

    server: ReviewServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the token is in every URL: keep it out of the terminal's scrollback

    def _send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        # same-origin: the token never leaves in a Referer, and our own POSTs carry our Origin
        self.send_header("Referrer-Policy", "same-origin")
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self, status: HTTPStatus, why: str) -> None:
        self._send(status, render("review_error.html.j2", status=int(status), message=why))

    def _allowed(self, token: str | None) -> bool:
        review, origin = self.server.review, self.server.origin
        if self.headers.get("Host") not in self.server.hosts:
            self._refuse(HTTPStatus.FORBIDDEN, "Wrong Host header.")
            return False
        if not token or not secrets.compare_digest(token, review.token):
            self._refuse(HTTPStatus.FORBIDDEN, "Missing or wrong token: use the URL printed.")
            return False
        if self.command == "POST":
            sent = self.headers.get("Origin")
            if sent not in (None, origin, f"http://localhost:{self.server.port}"):
                self._refuse(HTTPStatus.FORBIDDEN, "Cross-origin request refused.")
                return False
            if self.headers.get("Sec-Fetch-Site") not in (None, "same-origin", "none"):
                self._refuse(HTTPStatus.FORBIDDEN, "Cross-site request refused.")
                return False
        return True

    def _doc_id(self, route: str) -> str | None:
        parts = route.strip("/").split("/")
        if parts == [""]:
            return None
        if len(parts) == 2 and parts[0] == "doc":
            return parts[1]
        return ""

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if not self._allowed(parse_qs(url.query).get("token", [None])[0]):
            return
        review = self.server.review
        doc_id = self._doc_id(url.path)
        if doc_id == "":
            return self._refuse(HTTPStatus.NOT_FOUND, "No such page.")
        try:
            if doc_id is None and review.doc_id is None:
                return self._send(
                    200,
                    render("review.html.j2", index=review.documents(), token=review.token),
                )
            ctx = review.page_context(doc_id or review.doc_id)
        except FigtraceError as exc:
            return self._refuse(HTTPStatus.NOT_FOUND, str(exc))
        self._send(200, render("review.html.j2", quote=quote, **ctx))

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request too large.")
        body = self.rfile.read(length).decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        if not self._allowed(form.get("token")):
            return
        if self.headers.get_content_type() != "application/x-www-form-urlencoded":
            return self._refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Send the page's form.")
        review = self.server.review
        doc_id = self._doc_id(urlsplit(self.path).path)
        if not doc_id:
            return self._refuse(HTTPStatus.NOT_FOUND, "No such document.")
        try:
            with self.server.lock:  # one change at a time: read, check, write
                review.flash[doc_id] = review.apply(doc_id, form)
        except FigtraceError as exc:
            try:
                ctx = review.page_context(doc_id)
            except FigtraceError as again:
                return self._refuse(HTTPStatus.NOT_FOUND, str(again))
            ctx.update(error=str(exc), error_key=form.get("key"), quote=quote)
            return self._send(HTTPStatus.CONFLICT, render("review.html.j2", **ctx))
        target = f"/doc/{quote(doc_id)}?token={quote(review.token)}"
        self._send(HTTPStatus.SEE_OTHER, "", {"Location": target})


class ReviewServer(ThreadingHTTPServer):
    """The review server, bound to 127.0.0.1 on a free port (port 0: the system picks one)."""

    daemon_threads = True

    def __init__(self, review: Review, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.review = review
        self.lock = threading.Lock()
        self.port = self.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    @property
    def url(self) -> str:
        """The page's address with its token."""
        path = f"/doc/{quote(self.review.doc_id)}" if self.review.doc_id else "/"
        return f"{self.origin}{path}?token={quote(self.review.token)}"

    def start(self) -> threading.Thread:
        """Serve in a background thread (tests); `shutdown()` stops it."""
        thread = threading.Thread(target=self.serve_forever, daemon=True)
        thread.start()
        return thread


def open_review(raw_dir: Path, doc_id: str | None = None, port: int = 0) -> ReviewServer:
    """A review server for one document (or an index of every annotated one)."""
    review = Review(Path(raw_dir), doc_id)
    if doc_id is not None:
        review.path(doc_id)  # a clear error now, not in the browser
    return ReviewServer(review, port)
