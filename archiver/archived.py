"""Answering requests from the archive instead of the network.

Two downloader middlewares share this: resuming an interrupted crawl (pages it
already archived are read back from the WARCs), and conditional re-crawls (a
`304 Not Modified` is archived as received, then the spider reads the page from
the capture that still holds its body).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from .extensions import CAPTURE_ID, FETCHED_AT, ArchiveExtension
from .reextract import read_page

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

CONDITIONAL_OF = "archiver_conditional_of"  # request.meta: the capture a conditional GET revalidates
ENCODING_HEADERS = ("content-encoding", "transfer-encoding", "content-length")


def archived_response(request: Request, capture: dict[str, Any], archive: ArchiveExtension) -> Response | None:
    """The response stored for `capture`, as Scrapy would have delivered it (decoded body)."""
    path = archive.config.warc_dir / str(capture["warc_file"])
    try:
        page = read_page(path, int(capture["warc_offset"]), int(capture["id"]))
    except (OSError, StopIteration, ValueError) as exc:
        logger.warning("%s: cannot read its archived copy (%s); fetching it again", request.url, exc)
        return None
    headers = Headers({k: v for k, v in page.headers.items() if k not in ENCODING_HEADERS})
    cls = responsetypes.from_args(headers=headers, url=page.url, body=page.body)
    return cls(url=page.url, status=page.status, headers=headers, body=page.body, request=request, flags=["archived"])


class _ArchiveMiddleware:
    def __init__(self, archive: ArchiveExtension) -> None:
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        archive = crawler.get_extension(ArchiveExtension)
        if archive is None:
            raise NotConfigured(f"{cls.__name__} needs archiver.extensions.ArchiveExtension")
        return cls(archive)


class ResumeMiddleware(_ArchiveMiddleware):
    """When resuming a crawl, answer already archived URLs from the WARCs, not the network.

    The spider then re-reads those pages exactly as if fetched, so the frontier
    is rebuilt and nothing is fetched or stored twice.
    """

    def process_request(self, request: Request) -> Response | None:
        capture = self.archive.archived.get(request.url)
        if capture is None or request.method != "GET":
            return None
        response = archived_response(request, capture, self.archive)
        if response is not None:
            request.meta[CAPTURE_ID] = capture["id"]
            request.meta[FETCHED_AT] = capture["fetched_at"]
        return response


class ConditionalMiddleware(_ArchiveMiddleware):
    """Re-crawls ask `If-None-Match`/`If-Modified-Since`; a 304 is read from the archive.

    The 304 itself is archived (it is what the server said); the spider gets the
    earlier capture's body, attributed to this fetch, so the thread counts as seen.
    """

    def process_request(self, request: Request) -> None:
        store = self.archive.store
        if not self.archive.config.conditional or store is None or request.method != "GET":
            return
        if b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return
        previous = store.previous_capture(request.url)
        if previous is None or not (previous.get("etag") or previous.get("last_modified")):
            return
        if previous.get("etag"):
            request.headers[b"If-None-Match"] = str(previous["etag"])
        if previous.get("last_modified"):
            request.headers[b"If-Modified-Since"] = str(previous["last_modified"])
        request.meta[CONDITIONAL_OF] = previous

    def process_response(self, request: Request, response: Response) -> Response:
        previous = request.meta.get(CONDITIONAL_OF)
        if response.status != 304 or previous is None:
            return response
        stored = archived_response(request, previous, self.archive)
        if stored is None:
            return response
        return stored.replace(flags=["archived", "not-modified"])
