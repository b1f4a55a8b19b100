"""Downloader middlewares: scope, private-address refusal and Retry-After.

Loopback and private addresses are refused unless the crawl allows them: a public blog can link to `http://127.0.0.1:…` or to a name that resolves to an
internal address; an archiver run on a server must not fetch those. Literal
addresses are refused before the request is sent, names after DNS resolution.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.redirect import (
    MetaRefreshMiddleware as ScrapyMetaRefresh,
)
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError
from twisted.internet.task import deferLater

from .extensions import SOURCE_OF
from .settings import Config

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.internet.defer import Deferred


class PrivateAddressRefused(IgnoreRequest):
    """The request targets a loopback, private or link-local address."""


def is_private(host: str) -> bool:
    """True for loopback, private, link-local and other non-public literal addresses."""
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


class PrivateAddressMiddleware:
    """Downloader middleware: literal private addresses in URLs are refused."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        return cls(Config.from_settings(crawler.settings).allow_private)

    def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        if not self.allow_private and is_private(host):
            raise PrivateAddressRefused(
                f"{request.url}: refusing a private or loopback address "
                "(pass --allow-private to crawl local or intranet sites)"
            )


class MetaRefreshMiddleware(ScrapyMetaRefresh):
    """Scrapy's, without decoding every page to look for a refresh.

    Scrapy decodes a whole response (~0.3 ms for a 100 KB page, on the reactor
    thread) to scan its first 4,096 characters. Those lie within the first 16 KiB
    of bytes, where "refresh" is plain ASCII in any encoding without NUL bytes;
    pages that may hold one, and UTF-16/32 pages, still go through Scrapy's scan.
    """

    def process_response(self, request: Request, response: Response) -> Request | Response:
        head = response.body[:16384]
        if b"\x00" not in head and b"refresh" not in head.lower():
            return response
        return super().process_response(request, response)


class ScopeMiddleware:
    """Downloader middleware: every request, redirects and retries included, stays on
    the crawl's sites (`spider.scope`).

    Replaces Scrapy's OffsiteMiddleware, which drops offsite redirects without an
    errback (so without a trace) and lets retried (`dont_filter`) requests through.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        scope = getattr(self.crawler.spider, "scope", None)
        if request.meta.get(SOURCE_OF) is not None:  # a thread's own comment provider
            return
        if scope is not None and not scope.covers(request.url):
            raise IgnoreRequest(f"offsite: {request.url} is outside the sites being crawled")


class PublicOnlyResolver(CachingThreadedResolver):
    """DNS resolver that fails names resolving to non-public addresses."""

    allow_private = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor):  # type: ignore[no-untyped-def]
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = Config.from_settings(crawler.settings).allow_private
        return resolver

    def getHostByName(self, name: str, timeout=()) -> Deferred[str]:  # type: ignore[no-untyped-def]  # noqa: N802
        deferred = super().getHostByName(name, timeout)
        if not self.allow_private:
            deferred.addCallback(self._refuse_private, name)
        return deferred

    @staticmethod
    def _refuse_private(address: str, name: str) -> str:
        if is_private(address):
            raise DNSLookupError(
                f"{name} resolves to the private address {address}; "
                "pass --allow-private to crawl it"
            )
        return address


class RetryAfterMiddleware:
    """Honour `Retry-After` on 429 and 503 before Scrapy's RetryMiddleware retries.

    A server asking for a longer wait than ARCHIVER_MAX_RETRY_AFTER is not
    retried: the answer is recorded as an error instead of hammering it.
    """

    def __init__(self, max_wait: float) -> None:
        self.max_wait = max_wait

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(Config.from_settings(crawler.settings).max_retry_after)

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in (429, 503):
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is None:
            return response
        if wait > self.max_wait:
            request.meta["dont_retry"] = True
            return response
        from twisted.internet import reactor  # the one Scrapy installed

        await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        return response


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())
