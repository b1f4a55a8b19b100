"""Scrapy extensions: WARC capture of every response, and the progress line.

`ArchiveExtension` owns the crawl's two outputs, the WARC writer and the
SQLite archive: a connection for reads on the reactor thread, and an `ArchiveWriter`
that makes every write (records, rows) on a thread of its own; the pipeline borrows it.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import StopDownload
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from .exchange import OPTIONAL_FIELD, SOURCE_OF_FIELD, TRUNCATED
from .repair import finish_crawl_files
from .settings import Config
from .store import Store
from .warc import Exchange, WarcWriter, warc_date
from .writer import ArchiveWriter

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

CAPTURE_ID = "archiver_capture_id"
FETCHED_AT = "archiver_fetched_at"
RECEIVED = "archiver_received"
COMMIT_INTERVAL = 0.5  # seconds between commits of the archive's rows during a crawl
SOURCE_OF = "archiver_source_of"  # request.meta: the Post whose off-page comment source this is
OPTIONAL = "archiver_optional"  # request.meta: a guess (e.g. /wp-sitemap.xml): a 404 is no error


def truncation(response: Response) -> str | None:
    """Why the body is incomplete, in WARC-Truncated terms, or None if it is whole."""
    if "download_stopped" in response.flags:
        return "length"
    if "dataloss" in response.flags:
        return "disconnect"
    return None


def exchange_from_scrapy(request: Request, response: Response, fetched_at: datetime) -> Exchange:
    """The request and response as they crossed the wire (body not yet decompressed)."""

    def pairs(headers) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
        return [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items()
            for value in values
        ]

    return Exchange(
        url=request.url,
        method=request.method,
        request_headers=pairs(request.headers),
        request_body=request.body or b"",
        protocol=response.protocol or "HTTP/1.1",
        status=response.status,
        reason=None,
        response_headers=pairs(response.headers),
        body=response.body,
        fetched_at=fetched_at,
        ip_address=str(response.ip_address) if response.ip_address else None,
        truncated=truncation(response),
        record_fields=_record_fields(request),
    )


def _record_fields(request: Request) -> tuple[tuple[str, str], ...]:
    """What a rebuild from WARCs needs to read a response as the crawl did: the post a
    comment source serves, and whether the fetch was a guess."""
    post = request.meta.get(SOURCE_OF)
    fields = ((SOURCE_OF_FIELD, post.url),) if post is not None else ()
    return (*fields, (OPTIONAL_FIELD, "yes")) if request.meta.get(OPTIONAL) else fields


class ArchiveExtension:
    """Writes each downloaded response to WARC and records it in `captures`."""

    def __init__(self, config: Config, settings_summary: dict[str, object], stats: StatsCollector):
        self.config = config
        self.settings_summary = settings_summary
        self.stats = stats
        self.crawler: Crawler | None = None
        self.store: Store | None = None  # reads, on the reactor thread
        self.writes: ArchiveWriter | None = None
        self.writer: WarcWriter | None = None
        self.crawl_id: int | None = None
        self.archived: dict[str, dict[str, object]] = {}  # url -> capture, when resuming

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveExtension:
        s = crawler.settings
        summary = {
            name: s.get(name)
            for name in (
                "USER_AGENT", "ROBOTSTXT_OBEY", "DOWNLOAD_DELAY", "AUTOTHROTTLE_ENABLED",
                "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_TIMEOUT",
                "DOWNLOAD_MAXSIZE", "RETRY_TIMES", "ARCHIVER_ALLOW_PRIVATE",
                "ARCHIVER_MAX_COMMENT_PAGES", "CLOSESPIDER_PAGECOUNT",
            )
        }  # fmt: skip
        ext = cls(Config.from_settings(s), summary, crawler.stats)
        ext.crawler = crawler
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(ext.bytes_received, signal=signals.bytes_received)
        crawler.signals.connect(ext.request_dropped, signal=signals.request_dropped)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.store = Store(self.config.db_path)
        start_urls = list(getattr(spider, "start_urls", []))
        resumable = self.store.resumable_crawl(start_urls) if self.config.resume else None
        if resumable is not None:
            # The archive's ledger, not Scrapy's JOBDIR, says what was already fetched.
            self.crawl_id = resumable
            # First finish what the crash left: this crawl's own .open files (cut, closed)
            # and rows for records it wrote but never indexed. Other crawls' are theirs.
            try:
                done = finish_crawl_files(self.config.warc_dir, f"archiver-crawl{resumable}",
                                          self.store, resumable)  # fmt: skip
            except OSError as exc:
                done = [f"could not close its WARC files ({exc}); `archiver verify --repair` can"]
            for line in done:
                logger.warning("Resuming crawl %d: %s", resumable, line)
            self.store.resume_crawl(resumable)
            self.archived = self.store.latest_captures(resumable)
            logger.warning(
                "Resuming crawl %d: %d pages already archived are read back from the WARCs",
                resumable, len(self.archived),
            )
            self.stats.set_value("archiver/resumed_pages", len(self.archived))
        else:
            self.crawl_id = self.store.start_crawl(start_urls, self.settings_summary)
        self.writer = WarcWriter(
            self.config.warc_dir,
            prefix=f"archiver-crawl{self.crawl_id}",
            max_size=self.config.warc_max_size,
            gzip_level=self.config.warc_gzip_level,
            warcinfo={
                "isPartOf": f"crawl-{self.crawl_id}",
                "description": "start URLs: " + " ".join(start_urls),
                "http-header-user-agent": str(self.settings_summary["USER_AGENT"]),
                "robots": "obey" if self.settings_summary["ROBOTSTXT_OBEY"] else "ignore",
            },
        )
        self.stats.set_value("archiver/crawl_id", self.crawl_id)
        # Rows are committed in batches: a commit per page cost more than the page's own writes.
        self.writes = ArchiveWriter(self.config.db_path, self.writer, interval=COMMIT_INTERVAL,
                                    revisits=self.config.revisits)

    def request_dropped(self, request: Request, spider: Spider) -> None:
        """A redirect back into its own chain is dropped as a duplicate, with no errback."""
        chain = request.meta.get("redirect_urls")
        if chain and request.url in chain:
            assert self.writes is not None
            detail = "redirects: " + " -> ".join([*chain, request.url])
            self.writes.add_error(self.crawl_id, chain[0], "redirect loop", detail)
            self.stats.inc_value("archiver/errors")

    def bytes_received(self, data: bytes, request: Request, spider: Spider) -> None:
        """Stop a body at ARCHIVER_MAX_PAGE_SIZE but keep what arrived (WARC-Truncated: length)."""
        received = request.meta.get(RECEIVED, 0) + len(data)
        request.meta[RECEIVED] = received
        if self.config.max_page_size and received > self.config.max_page_size:
            raise StopDownload(fail=False)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        assert self.writes is not None
        fetched_at = datetime.now(timezone.utc)
        try:
            capture_id = self._archive(request, response, fetched_at)
        except RuntimeError as exc:  # the writer is gone: fetching more would archive nothing
            logger.error("%s: not archived, stopping the crawl: %s", request.url, exc)
            assert self.crawler is not None and self.crawler.engine is not None
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="archive writer failed"))
            raise
        request.meta[CAPTURE_ID] = capture_id
        request.meta[FETCHED_AT] = fetched_at.isoformat(timespec="seconds")
        truncated = truncation(response)
        if truncated:
            kind, detail = TRUNCATED[truncated]
            self.writes.add_error(self.crawl_id, request.url, kind, detail.format(len(response.body)), capture_id)
            self.stats.inc_value("archiver/errors")
        self.stats.inc_value("archiver/warc/records", 2)
        self.stats.inc_value("archiver/pages")

    def _archive(self, request: Request, response: Response, fetched_at: datetime) -> int:
        assert self.writes is not None
        header = response.headers.get
        return self.writes.archive(
            exchange_from_scrapy(request, response, fetched_at),
            crawl_id=self.crawl_id,
            url=request.url,
            status=response.status,
            fetched_at=fetched_at.isoformat(timespec="seconds"),
            content_type=header("Content-Type", b"").decode("latin-1") or None,
            warc_date=warc_date(fetched_at),
            etag=(header("ETag") or b"").decode("latin-1") or None,
            last_modified=(header("Last-Modified") or b"").decode("latin-1") or None,
        )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.writes is not None:  # first: what it holds goes into the WARC files
            self.writes.close()
            self.stats.set_value("archiver/warc/revisits", self.writes.revisit_count)
        if self.writer is not None:
            self.writer.close()
            self.stats.set_value("archiver/warc/files", [str(p) for p in self.writer.files])
        if self.store is not None and self.crawl_id is not None:
            outcome = "finished" if reason == "finished" else f"interrupted ({reason})"
            counts = self.store.finish_crawl(self.crawl_id, outcome)
            for name, value in counts.items():
                self.stats.set_value(f"archiver/crawl/{name}", value)
            self.store.close()


class Progress:
    """A steady status line on stderr instead of a wall of Scrapy log."""

    def __init__(self, stats: StatsCollector, interval: float) -> None:
        self.stats = stats
        self.interval = interval
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        from scrapy.exceptions import NotConfigured

        config = Config.from_settings(crawler.settings)
        if not config.progress:
            raise NotConfigured  # no reason given: Scrapy then logs it at debug level
        ext = cls(crawler.stats, config.progress_interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.show)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.show(final=True)

    def line(self) -> str:
        get = self.stats.get_value
        pages = get("archiver/pages", 0)
        rate = pages / max(time.monotonic() - self.started, 1e-6)
        queued = get("scheduler/enqueued", 0) - get("scheduler/dequeued", 0)
        return (
            f"{pages} pages ({rate:.1f}/s), {get('archiver/posts', 0)} post pages, "
            f"{get('archiver/comments', 0)} comments read, {get('archiver/errors', 0)} errors, "
            f"{max(queued, 0)} queued"
        )

    def show(self, final: bool = False) -> None:
        if sys.stderr.isatty():
            sys.stderr.write("\r\033[K" + self.line() + ("\n" if final else ""))
        else:
            sys.stderr.write(self.line() + "\n")
        sys.stderr.flush()
