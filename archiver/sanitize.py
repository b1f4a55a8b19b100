"""Sanitised HTML for the archive: the one owner of the nh3 allow-list.

Everything extracted from a page is stored through `sanitize_html`, so what
Datasette renders can never run a script, load a frame or post a form.
Raw HTML stays in the WARC files only.
"""

from __future__ import annotations

from functools import lru_cache

import nh3

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_TAGS", "URL_SCHEMES", "sanitize_html"]

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "a", "em", "strong", "b", "i", "u", "s", "blockquote", "q", "cite",
        "code", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "img",
        "figure", "figcaption", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
        "caption", "hr", "sub", "sup", "span", "div",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt"}),
    "th": frozenset({"colspan", "rowspan"}),
    "td": frozenset({"colspan", "rowspan"}),
}

# Removed together with everything inside them (other unknown tags are unwrapped).
DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
        "form", "button", "select", "textarea", "noscript", "template", "svg", "math",
        "head", "title",
    }
)  # fmt: skip

URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"


@lru_cache(maxsize=256)
def _cleaner(base_url: str | None) -> nh3.Cleaner:
    relative: str | tuple[str, str] = "pass_through"
    if base_url:
        relative = ("rewrite_with_base", base_url)
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        link_rel=LINK_REL,
        url_schemes=set(URL_SCHEMES),
        url_relative=relative,
        strip_comments=True,
    )


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """Return `html` reduced to the archive's allow-list.

    Links and images are made absolute against `base_url` (when given); links
    get ``rel="nofollow noopener"``; ``javascript:`` and ``data:`` URLs, event
    handlers, styles, classes and ids are dropped.
    """
    if not html:
        return ""
    try:
        cleaner = _cleaner(base_url or None)
    except ValueError:  # a base URL nh3 cannot parse: keep URLs as they are
        cleaner = _cleaner(None)
    return cleaner.clean(html).strip()
