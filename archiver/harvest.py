"""What one fetched page yields for the archive: its thread, or the error it showed.

Shared by the live crawl and by `reextract`, so both read a page the same way.
"""

from __future__ import annotations

import logging

from .exceptions import ExtractionError
from .extract import extract
from .items import ErrorItem, ThreadItem
from .page import Page

logger = logging.getLogger(__name__)


def harvest(page: Page, *, expect_html: bool = False) -> ThreadItem | ErrorItem | None:
    """The page's thread, the error it stands for, or None (nothing to record).

    `expect_html`: the page was asked for as an HTML page (a start URL), so a
    feed-less, non-HTML answer is worth an error row.
    """
    if page.status >= 400:
        return ErrorItem(page.url, f"http {page.status}", "the server answered with an error status", page.capture_id)
    if not page.body.strip():
        return ErrorItem(page.url, "empty", f"HTTP {page.status} with an empty body", page.capture_id)
    if page.is_html() and (b"\x00" in page.body[:4096] or b"<" not in page.body[:4096]):
        return ErrorItem(page.url, "not html", f"served as {page.content_type} but is not HTML", page.capture_id)
    if not page.is_html():
        if expect_html:
            return ErrorItem(page.url, "not html", f"content type {page.content_type!r}", page.capture_id)
        return None
    try:
        thread = extract(page)
    except ExtractionError as exc:
        return ErrorItem(page.url, "extraction", exc.reason, page.capture_id)
    except Exception as exc:  # an extractor bug must not cost the rest of the crawl
        logger.exception("extractor failed on %s", page.url)
        return ErrorItem(page.url, "extraction", f"extractor bug: {exc!r}", page.capture_id)
    if thread is None:
        return None
    return ThreadItem(thread, page.capture_id, page.fetched_at)
