"""Rendering untrusted text: escaping for HTML and Markdown, safe links, and the one Jinja2
environment the report, the source viewers and the draft checker render with (autoescape on).

Document text is web text: everything from a document goes through `safe_text` (or autoescape),
and invisible direction controls are shown as visible tags.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from figtrace.documents import UNTITLED_NOTE, document_name

# Invisible direction controls in web text could reorder what a reader sees (a U+202E right-to-left
# override makes "txt.exe" read "exe.txt"); they are shown as visible tags instead.
BIDI_CONTROLS = {
    "\u202a": "LRE", "\u202b": "RLE", "\u202c": "PDF", "\u202d": "LRO", "\u202e": "RLO",
    "\u2066": "LRI", "\u2067": "RLI", "\u2068": "FSI", "\u2069": "PDI",
    "\u200e": "LRM", "\u200f": "RLM", "\u061c": "ALM",
}  # fmt: skip
_BIDI = re.compile("[" + "".join(BIDI_CONTROLS) + "]")


def safe_text(text: str | None) -> Markup:
    """Escape untrusted text for HTML and show invisible direction controls as visible tags."""
    return Markup("") if text is None else Markup(escaped(text))


def escaped(text: str) -> str:
    """`safe_text` as a plain str, for building HTML by concatenation."""
    return _BIDI.sub(_bidi_tag, str(escape(text)))


def _bidi_tag(m: re.Match[str]) -> str:
    return f'<span class="ctl" title="invisible direction control">⟨{BIDI_CONTROLS[m.group(0)]}⟩</span>'


def plain_text(text: str | None) -> str:
    """Untrusted text for places that hold no markup (a page title): direction controls shown as
    visible tags; escaping is left to autoescape."""
    return _BIDI.sub(lambda m: f"⟨{BIDI_CONTROLS[m.group(0)]}⟩", text or "")


def safe_url(url: str | None) -> str | None:
    """The URL if it is http or https (a link may be rendered), else None (show it as text)."""
    if not url or not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


@cache
def environment() -> Environment:
    """The one Jinja2 environment (autoescape on for every template)."""
    env = Environment(
        loader=PackageLoader("figtrace", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # a process renders with the templates it started with
    )
    env.filters["t"] = safe_text
    env.filters["md"] = md_text
    env.filters["plain"] = plain_text
    env.globals["safe_url"] = safe_url
    env.globals["untitled_note"] = UNTITLED_NOTE
    env.globals["doc_name"] = lambda d: document_name(d["title"], d.get("description"), d["doc_id"])
    return env


def md_text(text: Any) -> Markup:
    """Untrusted text for Markdown: HTML-escaped and Markdown punctuation backslash-escaped."""
    if text is None:
        return Markup("")
    text = _BIDI.sub(lambda m: f"⟨{BIDI_CONTROLS[m.group(0)]}⟩", str(text))
    text = re.sub(r"([\\`*_\[\]{}()#+!|<>-])", r"\\\1", text.replace("\n", " "))
    return Markup(str(escape(Markup(text))).replace("&amp;", "&amp;"))
