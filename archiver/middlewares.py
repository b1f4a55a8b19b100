"""Refuse loopback and private addresses unless the crawl allows them.

A public blog can link to `http://127.0.0.1:…` or to a name that resolves to an
internal address; an archiver run on a server must not fetch those. Literal
addresses are refused before the request is sent, names after DNS resolution.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

from .settings import Config

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
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
