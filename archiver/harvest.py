"""What one fetched page yields for the archive: its thread, or the error it showed.

Shared by the live crawl and by `reextract`, so both read a page the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .exceptions import ExtractionError
from .extract import extract, extract_source
from .items import ErrorItem, ThreadItem
from .page import Page
from .records import Post, Thread

logger = logging.getLogger(__name__)


def harvest(
    page: Page, *, expect_html: bool = False, source_of: Post | None = None
) -> ThreadItem | ErrorItem | None:
    """The page's thread, the error it stands for, or None (nothing to record).

    `expect_html`: the page was asked for as an HTML page (a start URL), so a
    feed-less, non-HTML answer is worth an error row. `source_of`: the page is an
    off-page comment source (API, feed, embed) of that post.
    """
    if page.status >= 400:
        return ErrorItem(page.url, f"http {page.status}", "the server answered with an error status", page.capture_id)
    if source_of is not None:
        return _read(page, lambda: extract_source(page, source_of))
    if not page.body.strip():
        return ErrorItem(page.url, "empty", f"HTTP {page.status} with an empty body", page.capture_id)
    if page.is_html() and (b"\x00" in page.body[:4096] or b"<" not in page.body[:4096]):
        return ErrorItem(page.url, "not html", f"served as {page.content_type} but is not HTML", page.capture_id)
    if not page.is_html():
        if expect_html:
            return ErrorItem(page.url, "not html", f"content type {page.content_type!r}", page.capture_id)
        return None
    return _read(page, lambda: extract(page))


def _read(page: Page, read: Callable[[], Thread | None]) -> ThreadItem | ErrorItem | None:
    try:
        thread = read()
    except ExtractionError as exc:
        return ErrorItem(page.url, "extraction", exc.reason, page.capture_id)
    except Exception as exc:  # an extractor bug must not cost the rest of the crawl
        logger.exception("extractor failed on %s", page.url)
        return ErrorItem(page.url, "extraction", f"extractor bug: {exc!r}", page.capture_id)
    if thread is None:
        return None
    return ThreadItem(thread, page.capture_id, page.fetched_at)
