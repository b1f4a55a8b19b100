"""What a page states about itself in its ``<head>`` (canonical URL, base URL, meta values)
and in its ``Link`` header.

Every extractor reads these the same way; the meta tags each one trusts differ, so
`meta_value` takes the extractor's own XPath.
"""

from __future__ import annotations

import re

from lxml.etree import XPath
from lxml.html import HtmlElement

from ..page import Page
from .markup import absolute

__all__ = ["BASE_HREF", "CANONICAL", "META", "base_url", "canonical_url", "header_links", "meta_value"]

CANONICAL = XPath("/html/head/link[@rel='canonical']/@href")
BASE_HREF = XPath("/html/head/base/@href")
META = XPath("/html/head/meta[@property=$name or @name=$name]/@content")  # og:*, article:*, author
LINK_HEADER = re.compile(r"<([^>]*)>([^<]*)")
LINK_REL = re.compile(r"""rel\s*=\s*"?([^";,]+)"?""", re.IGNORECASE)


def canonical_url(root: HtmlElement, url: str) -> str | None:
    """The page's canonical URL made absolute against `url`, if it states one."""
    canonical = CANONICAL(root)
    return absolute(canonical[0], url) if canonical else None


def base_url(root: HtmlElement, url: str) -> str:
    """What the page's links are relative to: its ``<base href>``, else `url`."""
    base = BASE_HREF(root)
    return absolute(base[0], url) if base else url


def meta_value(xpath: XPath, root: HtmlElement, **variables: str) -> str | None:
    """The first non-blank value `xpath` selects, whitespace collapsed."""
    return next((" ".join(v.split()) for v in xpath(root, **variables) if v.strip()), None)


def header_links(page: Page, rel: str) -> list[str]:
    """The targets of the response's ``Link`` header with relation `rel`."""
    header = page.headers.get("link", "")
    if rel not in header:
        return []
    return [url.strip() for url, params in LINK_HEADER.findall(header)
            if any(r.strip('"') == rel for r in LINK_REL.findall(params))]  # fmt: skip
