"""A stand-in for the reports' publishers: generated report PDFs served from 127.0.0.1.

The tests never reach the internet. `ReportServer` binds to 127.0.0.1 on a free port (port 0)
and serves what a test puts in `routes`: a file, an HTTP error, a slow answer, an HTML page, a
body cut short of its Content-Length. `report_pdf` draws a multi-page report whose statistic sits
on a known page, the way a charity report states a figure in its findings chapter.
"""

from __future__ import annotations

import io
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

REPORT_TITLE = "Before the Harm is Done"
FIGURE_PAGE = 3
# The report's statistics (page 3): a count and a share.
FIGURE_SENTENCE = (
    "In 2017, 2,118 suspected child victims of trafficking were referred to the authorities."
)
SHARE_SENTENCE = "Children made up 41% of all potential victims referred that year."
PAGES = [
    ["Before the Harm is Done", "Examining the response to the prevention of trafficking"],
    [
        "Executive summary",
        "This report examines what has been done to prevent trafficking since 2012.",
        "It draws on freedom of information requests and interviews with practitioners.",
    ],
    [
        "Chapter 4: Children",
        "Referrals of children to the National Referral Mechanism rose again.",
        FIGURE_SENTENCE,
        SHARE_SENTENCE,
        "Most of them were referred by local authorities and the police.",
    ],
    [
        "Recommendations",
        "Every child at risk should have an independent guardian from the start.",
    ],
]


def report_pdf(pages: list[list[str]] = PAGES, edition: str = "") -> bytes:
    """A report PDF with one page per entry of `pages` and a page number in each footer.
    `edition` adds a line to the last page (a publisher's silent correction changes the bytes)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(REPORT_TITLE)
    width, height = A4
    for number, lines in enumerate(pages, 1):
        y = height - 90
        for line in lines + ([edition] if edition and number == len(pages) else []):
            pdf.setFont("Helvetica", 11)
            pdf.drawString(72, y, line)
            y -= 18
        pdf.setFont("Helvetica", 8)
        pdf.drawString(width / 2, 40, str(number))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@dataclass
class Route:
    """What the server answers at one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/pdf"
    delay: float = 0.0  # seconds before the answer (a slow server)
    length: int | None = None  # a Content-Length other than the body's (a truncated download)


class ReportServer:
    """An HTTP server on 127.0.0.1 (port 0), serving `routes`, stopped on exit; counts requests."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server API)
                server.requests.append(self.path)
                route = server.routes.get(self.path, Route(b"not found", 404, "text/plain"))
                if route.delay:
                    time.sleep(route.delay)
                try:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    length = route.length if route.length is not None else len(route.body)
                    self.send_header("Content-Length", str(length))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(route.body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        """The address of `path` on this server."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self) -> ReportServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
