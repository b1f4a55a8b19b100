"""The `blog` spider: a blog's posts and every page of their comment threads.

    scrapy crawl blog -a url=https://blog.example/ -s ARCHIVER_DATA=data

A start URL that is a post archives that thread only; a home page or other
index crawls the whole site (index pagination, feeds, sitemaps, post links);
a feed or sitemap archives the posts it lists.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, exceptions, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from archiver.discovery import SITEMAP_GUESSES, Scope
from archiver.extensions import CAPTURE_ID, FETCHED_AT, OPTIONAL, SOURCE_OF
from archiver.harvest import OPTIONAL_META
from archiver.items import ErrorItem, ThreadItem
from archiver.page import page_from_response
from archiver.records import Post
from archiver.recrawl import skipped_for
from archiver.settings import Config
from archiver.workers import PageReader

logger = logging.getLogger(__name__)

DISCOVER = "archiver_discover"  # follow this page's links to find more posts
COMMENT_PAGE_PRIORITY = 10  # finish threads before wandering further


class BlogSpider(Spider):
    name = "blog"

    def __init__(self, url: str | None = None, urls: Iterable[str] = (), **kwargs: object):
        super().__init__(**kwargs)
        given = [u.strip() for u in (url or "").replace(" ", ",").split(",") if u.strip()]
        given += list(urls)
        if not given:
            raise ValueError("no start URL: pass -a url=https://blog.example/ (comma-separated)")
        self.start_urls = [u if "://" in u else f"https://{u}" for u in given]
        self.scope = Scope.of(self.start_urls)
        self.seen: set[str] = set()
        self.comment_pages: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: object, **kwargs: object) -> BlogSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = Config.from_settings(crawler.settings)
        spider.reader = PageReader(spider.config.workers)
        crawler.signals.connect(spider.reader.close, signal=signals.spider_closed)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        if self.config.adaptive_recrawl:  # threads that are not due yet count as seen
            self.seen |= skipped_for(self.config.db_path, self.start_urls)
        for url in self.start_urls:
            self.seen.add(url)
            yield Request(url, callback=self.parse, errback=self.failed, meta={"start": True})
            if urlsplit(url).path in ("", "/"):
                for guess in SITEMAP_GUESSES:
                    for request in self.follow(urljoin(url, guess), {OPTIONAL: True}):
                        yield request

    def follow(self, url: str, meta: dict[str, object], priority: int = 0) -> Iterator[Request]:
        """A request for `url` unless it is out of scope or already requested."""
        accepted = self.scope.accept(url)
        if accepted is not None:
            yield from self.request(accepted, meta, priority)

    def request(self, url: str, meta: dict[str, object], priority: int = 0) -> Iterator[Request]:
        """A request for an accepted `url`, unless it was already requested."""
        if url not in self.seen:
            self.seen.add(url)
            yield Request(url, callback=self.parse, errback=self.failed, meta=meta, priority=priority)

    async def parse(self, response: Response) -> AsyncIterator[Request | ThreadItem | ErrorItem]:
        meta = response.meta
        page = page_from_response(response, meta.get(FETCHED_AT, ""), meta.get(CAPTURE_ID))
        if meta.get(OPTIONAL):
            page.meta[OPTIONAL_META] = True
        reading = await self.reader.read(
            page, scope=self.scope, expect_html=bool(meta.get("start")), discover=bool(meta.get(DISCOVER))
        )
        if reading.result is not None:
            yield reading.result
        if isinstance(reading.result, ThreadItem):
            thread = reading.result.thread
            for request in self.follow_comment_pages(thread.post.url, thread.comment_page_urls):
                yield request
            for request in self.follow_sources(thread.post, thread.comment_sources):
                yield request
        link_meta = {DISCOVER: True} if reading.links_discover else {}
        for url in reading.links:  # already in scope: the reader filtered them
            for request in self.request(url, link_meta):
                yield request

    def follow_comment_pages(
        self, post_url: str, urls: Iterable[str]
    ) -> Iterator[Request | ErrorItem]:
        limit = self.config.max_comment_pages
        for url in urls:
            if self.comment_pages[post_url] >= limit:
                if self.comment_pages[post_url] == limit:
                    self.comment_pages[post_url] += 1  # report once
                    yield ErrorItem(post_url, "limit", f"stopped after {limit} comment pages "
                                    "(ARCHIVER_MAX_COMMENT_PAGES); the thread may be incomplete")
                return
            for request in self.follow(url, {}, COMMENT_PAGE_PRIORITY):
                self.comment_pages[post_url] += 1
                yield request

    def follow_sources(self, post: Post, urls: Iterable[str]) -> Iterator[Request]:
        """A thread's own comment provider (API, feed, embed) is fetched even off-site."""
        for url in urls:
            if url in self.seen:
                continue
            self.seen.add(url)
            # Part of the thread's page, as an embed is: fetched as a browser would,
            # without asking the provider's robots.txt (which is about crawling it).
            meta = {SOURCE_OF: post, "dont_obey_robotstxt": True}
            yield Request(url, callback=self.parse_source, errback=self.failed,
                          meta=meta, priority=COMMENT_PAGE_PRIORITY)  # fmt: skip

    async def parse_source(self, response: Response) -> AsyncIterator[Request | ThreadItem | ErrorItem]:
        post = response.meta[SOURCE_OF]
        meta = response.meta
        page = page_from_response(response, meta.get(FETCHED_AT, ""), meta.get(CAPTURE_ID))
        reading = await self.reader.read(page, scope=self.scope, source_of=post)
        if reading.result is not None:
            yield reading.result
        if isinstance(reading.result, ThreadItem):  # the source's own next pages
            for request in self.follow_sources(post, reading.result.thread.comment_page_urls):
                yield request

    def failed(self, failure: Failure) -> Iterator[ErrorItem]:
        request = failure.request  # type: ignore[attr-defined]
        if request.meta.get(OPTIONAL):
            return
        detail = failure.getErrorMessage()
        chain = request.meta.get("redirect_urls")
        if chain:  # record it under the URL that was asked for
            detail += " (redirects: " + " -> ".join([*chain, request.url]) + ")"
        yield ErrorItem(chain[0] if chain else request.url, failure_kind(failure), detail)


def failure_kind(failure: Failure) -> str:
    """A short, stable name for why a request produced no response."""
    for types, kind in FAILURE_KINDS:
        if failure.check(*types):
            if kind == "refused":
                message = failure.getErrorMessage().lower()
                kind = next((k for word, k in REFUSALS if word in message), kind)
            return kind
    return failure.type.__name__ if failure.type else "failure"


FAILURE_KINDS: list[tuple[tuple[type[BaseException], ...], str]] = [
    ((exceptions.CannotResolveHostError, DNSLookupError), "dns"),
    ((exceptions.DownloadTimeoutError,), "timeout"),
    ((exceptions.DownloadConnectionRefusedError,), "connection refused"),
    ((exceptions.ResponseDataLossError,), "truncated"),
    ((exceptions.DownloadFailedError,), "reset"),
    ((exceptions.DownloadCancelledError,), "too large"),
    ((exceptions.IgnoreRequest,), "refused"),
]
# Why a request was ignored, from the words of Scrapy's and our middlewares.
REFUSALS = [
    ("robots", "robots"),
    ("redirection", "redirect loop"),
    ("offsite", "out of scope"),
    ("maxsize", "too large"),
    ("exceeded", "too large"),
]
