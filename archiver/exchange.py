"""One HTTP exchange as the WARC writer records it, and the rules for its record lines.

`Exchange` is what a caller hands `archiver.warc.WarcWriter`; `WarcLocation` is
what it gets back. The functions here are pure: the request target and Host of
a URL, the response headers as stored (Transfer-Encoding dropped, Content-Length
made true), WARC dates and digests, and the checks that keep a header value from
breaking a record's lines. Both names are re-exported by `archiver.warc`.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus

from warcio.timeutils import datetime_to_iso_date

_NO_BODY_STATUSES = frozenset({204, 304})

Fields = list[tuple[str, str]]  # header lines in order, repeats kept


# A WARC named field on a comment source's response record (a comment API, feed
# or embed): the permalink of the post it serves, so a rebuild can read it again.
SOURCE_OF_FIELD = "Archiver-Comment-Source-Of"
# ... and on a fetch made on a guess (e.g. /wp-sitemap.xml): an error status there is
# no error of the archive, for the crawl and for a rebuild alike.
OPTIONAL_FIELD = "Archiver-Optional"
# WARC-Truncated reasons as the archive's errors (kind, detail with the bytes kept).
TRUNCATED = {
    "length": ("too large", "body cut at ARCHIVER_MAX_PAGE_SIZE after {} bytes; kept as WARC-Truncated"),
    "disconnect": ("truncated", "connection lost after {} bytes; partial body kept as WARC-Truncated"),
}


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP request and the response to it, as on the wire."""

    url: str  # absolute, with query string; a #fragment is not sent, so not recorded
    method: str
    request_headers: Fields  # repeated headers kept, in order
    request_body: bytes
    protocol: str  # "HTTP/1.1", "HTTP/1.0", "HTTP/2"
    status: int
    reason: str | None  # None: filled from http.HTTPStatus
    response_headers: Fields  # repeated headers kept (Set-Cookie)
    body: bytes  # as received: still gzip/br-encoded if Content-Encoding says so
    fetched_at: datetime  # aware
    ip_address: str | None = None
    truncated: str | None = None  # "length", "time", "disconnect", "unspecified"
    # Extra named fields for the response record (e.g. which post a comment source serves).
    record_fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class WarcLocation:
    """Where a response (or revisit) record went, for the `captures` table."""

    filename: str  # final basename, without ".open"
    offset: int  # byte offset of the record's gzip member
    length: int  # length of that gzip member
    record_id: str  # "<urn:uuid:...>"
    payload_digest: str  # "sha1:BASE32..."
    request_record_id: str


def sha1_digest(*parts: bytes) -> str:
    """A WARC digest: ``sha1:`` and the base32 SHA-1 of `parts` one after the other."""
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part)
    return "sha1:" + base64.b32encode(digest.digest()).decode("ascii")


def warc_date(when: datetime) -> str:
    """WARC 1.1 date: UTC, microseconds when there are any."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"fetched_at must be timezone-aware, got {when!r}")
    return datetime_to_iso_date(when.astimezone(timezone.utc).replace(tzinfo=None), use_micros=True)


def request_target(url: str) -> str:
    """The origin-form target of `url`: path and query exactly as written, no fragment."""
    rest = url.split("#", 1)[0].split("://", 1)[-1]
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    target = rest[cut:]
    return target if target.startswith("/") else "/" + target


def host(url: str) -> str:
    """The Host header for `url`: its authority without user info."""
    rest = url.split("#", 1)[0].split("://", 1)[-1]
    authority = rest.split("/", 1)[0].split("?", 1)[0]
    return authority.rpartition("@")[2]


def response_headers(exchange: Exchange) -> Fields:
    """Headers as received, minus Transfer-Encoding, with Content-Length = len(body)."""
    headers = [(n, v) for n, v in exchange.response_headers if n.lower() != "transfer-encoding"]
    status = exchange.status
    bodiless = exchange.method.upper() == "HEAD" or status < 200 or status in _NO_BODY_STATUSES
    if bodiless and not exchange.body:
        return headers  # a HEAD's Content-Length describes the GET; 204/304 must not gain one
    length = str(len(exchange.body))
    positions = [i for i, (n, _) in enumerate(headers) if n.lower() == "content-length"]
    if not positions:
        return [*headers, ("Content-Length", length)]
    first = positions[0]
    headers[first] = (headers[first][0], length)
    return [h for i, h in enumerate(headers) if i == first or i not in positions]


def reason(exchange: Exchange) -> str:
    """The reason phrase as received, or the standard one for its status."""
    if exchange.reason is not None:
        return exchange.reason
    try:
        return HTTPStatus(exchange.status).phrase
    except ValueError:
        return ""


def check_exchange(exchange: Exchange) -> None:
    """Raise ValueError for what cannot be written: a line break in a line, a naive time."""
    ex = exchange
    texts = [ex.url, ex.method, ex.protocol, ex.reason, ex.truncated, ex.ip_address]
    for name, value in (*exchange.request_headers, *exchange.response_headers, *ex.record_fields):
        texts += (name, value)
    check_lines(exchange.url, texts)
    warc_date(exchange.fetched_at)


def check_lines(url: str, texts: list[str | None]) -> None:
    """Raise ValueError if any of `texts` (header values of `url`'s records) holds CR or LF."""
    for text in texts:
        if text and ("\r" in text or "\n" in text):
            raise ValueError(f"line break in a WARC or HTTP header line of {url}: {text!r}")
