"""Screenshots of the rendered report and a source viewer, taken in headless Chromium from disk.

Uses Playwright for Python with the system Chromium (`apt-get install chromium`); nothing is
downloaded (never `playwright install`). No server: pages open as file:// URLs.
"""

from __future__ import annotations

from pathlib import Path

from figtrace.errors import FigtraceError

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1200, "height": 900}


def launch(playwright, chromium: Path = Path("/usr/bin/chromium")):
    """Headless Chromium from the system package, with no network-side background services."""
    if not Path(chromium).is_file():
        raise FigtraceError(
            f"{chromium}: Chromium is not installed; install it with `apt-get install -y chromium`."
        )
    return playwright.chromium.launch(
        executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
    )


def take_screenshots(results_dir: Path, out_dir: Path, chromium: Path) -> list[Path]:
    """The report's top, its findings table and first chart, a provenance entry after clicking a
    number, and that number's passage in its source viewer; written as PNG files into `out_dir`."""
    from playwright.sync_api import sync_playwright

    report = Path(results_dir, "report.html").resolve()
    if not report.is_file():
        raise FigtraceError(f"{report}: not built yet; run the pipeline first (`make all`).")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = launch(p, chromium)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(report.as_uri())
        written.append(out_dir / "report.png")
        page.screenshot(path=str(written[-1]))
        written.append(out_dir / "findings.png")
        page.locator("#findings table").first.screenshot(path=str(written[-1]))
        if page.locator("figure.chart").count():
            written.append(out_dir / "chart.png")
            page.locator("figure.chart").first.screenshot(path=str(written[-1]))
        first = page.locator("#findings a.ref").first
        ref = first.get_attribute("data-ref")
        first.click()
        page.wait_for_url(f"**#{ref}")
        written.append(out_dir / "provenance-entry.png")
        page.screenshot(path=str(written[-1]))
        page.locator(f"article#{ref} a.viewer").click()
        page.wait_for_url(f"**#{ref}")
        written.append(out_dir / "source-viewer.png")
        page.screenshot(path=str(written[-1]))
        browser.close()
    return written
