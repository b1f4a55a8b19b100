"""Turning archived values into safe markup for the thread, search and crawl pages.

Stored HTML was sanitised when it was extracted; it is sanitised again here
before it reaches a page (defence in depth: an archive written by an older
version, or edited by hand, is shown just as safely). Images are replaced by a
link unless remote images are switched on, so reading a thread never makes a
request to an archived site.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from html import escape
from urllib.parse import urlsplit

import nh3
from markupsafe import Markup

from ..sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES, sanitize_html

__all__ = ["format_time", "safe_html", "safe_url", "snippet_html", "text_html"]

# nh3 writes attributes double-quoted with `"` escaped, so this reads its output reliably.
_IMG = re.compile(r"<img\b([^>]*)>")
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')
_MARK = re.compile(r"</?mark>")


@lru_cache(maxsize=1)
def _no_images() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS) - {"img"},
        attributes={t: set(a) for t, a in ALLOWED_ATTRIBUTES.items() if t != "img"},
        url_schemes=set(URL_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def _image_link(match: re.Match[str]) -> str:
    attributes = dict(_ATTRIBUTE.findall(match.group(1)))
    label = f"[image: {attributes['alt']}]" if attributes.get("alt") else "[image]"
    src = attributes.get("src", "")
    if not src:
        return f'<span class="image-off">{label}</span>'
    # src and alt are still escaped as nh3 wrote them.
    return f'<a class="image-off" href="{src}">{label}</a>'


def safe_html(html: str | None, base_url: str | None = None, *, remote_images: bool = False) -> Markup:
    """Archived HTML reduced to the allow-list again, images off unless asked for."""
    cleaned = sanitize_html(html or "", base_url)
    if not remote_images:
        # The final pass removes whatever the rewrite might have let through.
        cleaned = _no_images().clean(_IMG.sub(_image_link, cleaned))
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 just above


def text_html(text: str | None) -> Markup:
    """Plain text as escaped paragraphs (blank lines) and line breaks."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    return Markup("\n".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs))


def safe_url(url: str | None) -> str | None:
    """`url` if it is an http(s) URL a page may link to, else None."""
    if not url:
        return None
    url = url.strip()
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


def snippet_html(snippet: str | None) -> Markup:
    """An FTS5 snippet marked with <mark>…</mark>: everything escaped but the marks."""
    if not snippet:
        return Markup("")
    parts = _MARK.split(snippet)
    marks = _MARK.findall(snippet)
    out = [escape(parts[0])]
    for mark, part in zip(marks, parts[1:]):
        out.append(mark)
        out.append(escape(part))
    unclosed = marks.count("<mark>") - marks.count("</mark>")
    out.extend(["</mark>"] * max(unclosed, 0))  # a literal "<mark>" in the text
    return Markup("".join(out))


def format_time(value: str | None) -> str:
    """An ISO 8601 time as people read it, in the offset it was stated in."""
    if not value:
        return ""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value
    text = f"{when.day} {when:%b %Y, %H:%M}"
    if when.utcoffset() is not None:
        offset = when.strftime("%z")
        text += " UTC" if offset == "+0000" else f" ({offset[:3]}:{offset[3:]})"
    return text
