"""What one fetched page yields: its thread or the error it showed, and its links.

Shared by the live crawl and by `reextract`, so both read a page the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .discovery import Scope, html_links, is_xml, xml_links
from .exceptions import ExtractionError
from .extract import extract, extract_source
from .extract.markup import PARSED, parse
from .items import ErrorItem, ThreadItem
from .page import Page
from .records import Post, Thread

logger = logging.getLogger(__name__)

# Page.meta keys: the permalink of the post a comment source serves, and whether the
# page was fetched on a guess (set by the crawl, or read from the WARC record).
SOURCE_OF_META = "source_of"
OPTIONAL_META = "optional"


def harvest(
    page: Page, *, expect_html: bool = False, source_of: Post | None = None
) -> ThreadItem | ErrorItem | None:
    """The page's thread, the error it stands for, or None (nothing to record).

    `expect_html`: the page was asked for as an HTML page (a start URL), so a
    feed-less, non-HTML answer is worth an error row. `source_of`: the page is an
    off-page comment source (API, feed, embed) of that post.
    """
    if source_of is None and page.meta.get(SOURCE_OF_META):  # read back from a WARC
        source_of = Post(str(page.meta[SOURCE_OF_META]), None, None, None, None, "", "")
    if not_a_page(page):
        return None
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


def not_a_page(page: Page) -> bool:
    """A response the crawl never reads as a page, so a rebuild from WARCs must not
    either: a redirect (the crawl follows it), robots.txt (read by the robots
    middleware; a missing one allows everything) and an error answer to a guess."""
    if 300 <= page.status < 400 and "location" in page.headers:
        return True
    if urlsplit(page.url).path == "/robots.txt":
        return True
    return page.status >= 400 and bool(page.meta.get(OPTIONAL_META))


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


@dataclass(frozen=True, slots=True)
class Reading:
    """Everything the crawl needs from one fetched page, computed away from the reactor."""

    result: ThreadItem | ErrorItem | None
    links: tuple[str, ...] = ()  # in scope, fragment-free, de-duplicated, in page order
    # Whether the linked pages should in turn be crawled for links: yes from an
    # index page; from a feed or sitemap only if it was itself found by discovery
    # (a feed given as the start URL archives just the posts it lists).
    links_discover: bool = True


def read(
    page: Page,
    scope: Scope,
    *,
    expect_html: bool = False,
    discover: bool = False,
    source_of: Post | None = None,
) -> Reading:
    """A page's thread (or error) and the links worth following from it.

    Pure and picklable both ways, so the spider can run it in a worker process:
    parsing and extraction are the crawl's main CPU cost.
    `discover`: also follow the page's links if it is not a thread (or is a
    start page that is not); feeds and sitemaps always give their links.
    """
    if source_of is not None:
        return Reading(harvest(page, source_of=source_of))
    if page.status < 400 and is_xml(page):
        sitemaps, pages = xml_links(page)
        return Reading(None, _accepted(scope, sitemaps + pages), links_discover=discover)
    links: tuple[str, ...] = ()
    if (discover or expect_html) and page.status < 400 and page.is_html():
        # One parse for both: links first, from the whole tree; the extractor,
        # which prunes the tree as it reads, takes it next.
        root = parse(page)
        links = _accepted(scope, html_links(page, root))
        page.meta[PARSED] = root
    result = harvest(page, expect_html=expect_html)
    thread = result.thread if isinstance(result, ThreadItem) else None
    follow_links = discover or (expect_html and thread is None)
    if page.status >= 400 or isinstance(result, ErrorItem) and result.kind in NOT_PAGES:
        follow_links = False
    return Reading(result, links if follow_links else ())


NOT_PAGES = ("not html", "empty")  # verdicts on bodies that hold no links to read


def _accepted(scope: Scope, urls: Iterable[str]) -> tuple[str, ...]:
    """The accepted `urls`, in order, once each; each URL is judged once (a page links
    to its categories, archives and posts several times)."""
    return tuple(dict.fromkeys(u for u in map(scope.accept, dict.fromkeys(urls)) if u is not None))
