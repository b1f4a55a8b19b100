"""Scrapy settings for archiver crawls, and `Config`: every ARCHIVER_* setting parsed once.

`scrapy crawl blog -a url=...` (and Scrapyd) read this module through scrapy.cfg;
`archiver crawl` starts from it and overrides what its options say.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:  # importable without Scrapy (reextract reads DOWNLOAD_MAXSIZE)
    from scrapy.settings import BaseSettings

BOT_NAME = "archiver"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

USER_AGENT = (
    f"archiver/{__version__} (blog thread archiver; +https://github.com/archiver-project/archiver)"
)
ROBOTSTXT_OBEY = True

# Politeness by default; `--delay 0` turns delays and AutoThrottle off for local sites.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
# DOWNLOAD_MAXSIZE also bounds decompressed size (gzip bombs); ARCHIVER_MAX_PAGE_SIZE,
# below it, cuts large bodies while keeping what arrived.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
# A connection lost mid-body still gives a response: archived as WARC-Truncated.
DOWNLOAD_FAIL_ON_DATALOSS = False
# A page yields a handful of requests and one item, and the pipeline is synchronous:
# Scrapy's default (100) starts 100 asyncio tasks per response to process them, ~10%
# of the reactor thread's time at 16 requests in flight.
CONCURRENT_ITEMS = 4

# Every status reaches the spider, so errors are recorded instead of dropped.
HTTPERROR_ALLOW_ALL = True
# Only http(s): a `file:` link on a crawled page must never read the local disk.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19 starts, by default, an HTTP server on localhost that runs any Python code
# posted to it (token in a job file under ~/.local/state/scrapy): an archiver that reads
# untrusted pages opens no such door, and leaves no job files behind.
REMOTE_CONTROL_ENABLED = False
# Breadth-first keeps the frontier small; comment pages get a priority boost instead.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

EXTENSIONS = {
    "archiver.extensions.ArchiveExtension": 100,
    "archiver.extensions.Progress": 200,
}
ITEM_PIPELINES = {"archiver.pipelines.ArchivePipeline": 300}
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "archiver.middlewares.PrivateAddressMiddleware": 50,
    "archiver.middlewares.ScopeMiddleware": 60,
    "archiver.archived.ResumeMiddleware": 70,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "archiver.middlewares.MetaRefreshMiddleware": 579,  # where Scrapy's was (580)
    "archiver.archived.ConditionalMiddleware": 580,  # outside HttpCompression (590)
    "archiver.middlewares.RetryAfterMiddleware": 560,  # just before RetryMiddleware (550)
}
TWISTED_DNS_RESOLVER = "archiver.middlewares.PublicOnlyResolver"

LOG_LEVEL = "INFO"

# archiver's own settings (documented in README.md, parsed by Config)
ARCHIVER_DATA = os.environ.get("ARCHIVER_DATA", "data")
ARCHIVER_WARC_MAX_SIZE = 1_000_000_000
# Level of each record's gzip member. 0-3 compress with ISA-L: at 1, ~0.1 ms for a 90 KB
# page against 0.5 ms for zlib's level 1 and 1.1 ms at 6, for files ~10% larger than
# at 6; 4-9 use zlib (bench/warc_write.py).
ARCHIVER_WARC_GZIP_LEVEL = 1
ARCHIVER_ALLOW_PRIVATE = False
ARCHIVER_MAX_COMMENT_PAGES = 1000
ARCHIVER_MAX_PAGE_SIZE = 32 * 1024 * 1024
ARCHIVER_MAX_RETRY_AFTER = 300.0
ARCHIVER_RESUME = True
ARCHIVER_ADAPTIVE_RECRAWL = False  # scheduled jobs turn it on: see archiver/recrawl.py
# Worker processes that parse and extract pages; 0 reads them on the reactor thread.
# One per CPU: the reactor's process is held back by its GIL more than by a core, so a
# second worker on two cores fills the gaps (5% faster on the benchmark). At most 4: the
# reactor's process (~2 ms of Python a page) could not keep more busy, and each holds
# ~40-70 MB.
ARCHIVER_WORKERS = min(cpus, 4) if (cpus := os.cpu_count() or 1) > 1 else 0
ARCHIVER_CONDITIONAL = True
ARCHIVER_REVISITS = True
ARCHIVER_PROGRESS = False
ARCHIVER_PROGRESS_INTERVAL = 2.0


@dataclass(frozen=True, slots=True)
class Config:
    """The ARCHIVER_* settings, read once per crawl."""

    data_dir: Path
    warc_max_size: int
    warc_gzip_level: int
    allow_private: bool
    max_comment_pages: int
    max_page_size: int
    max_retry_after: float
    resume: bool
    adaptive_recrawl: bool
    workers: int
    conditional: bool
    revisits: bool
    progress: bool
    progress_interval: float

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Config:
        return cls(
            data_dir=Path(settings.get("ARCHIVER_DATA") or "data"),
            warc_max_size=settings.getint("ARCHIVER_WARC_MAX_SIZE", ARCHIVER_WARC_MAX_SIZE),
            warc_gzip_level=settings.getint("ARCHIVER_WARC_GZIP_LEVEL", ARCHIVER_WARC_GZIP_LEVEL),
            allow_private=settings.getbool("ARCHIVER_ALLOW_PRIVATE"),
            max_comment_pages=settings.getint(
                "ARCHIVER_MAX_COMMENT_PAGES", ARCHIVER_MAX_COMMENT_PAGES
            ),
            max_page_size=settings.getint("ARCHIVER_MAX_PAGE_SIZE", ARCHIVER_MAX_PAGE_SIZE),
            max_retry_after=settings.getfloat("ARCHIVER_MAX_RETRY_AFTER", ARCHIVER_MAX_RETRY_AFTER),
            resume=settings.getbool("ARCHIVER_RESUME", ARCHIVER_RESUME),
            adaptive_recrawl=settings.getbool("ARCHIVER_ADAPTIVE_RECRAWL"),
            workers=settings.getint("ARCHIVER_WORKERS", ARCHIVER_WORKERS),
            conditional=settings.getbool("ARCHIVER_CONDITIONAL", ARCHIVER_CONDITIONAL),
            revisits=settings.getbool("ARCHIVER_REVISITS", ARCHIVER_REVISITS),
            progress=settings.getbool("ARCHIVER_PROGRESS"),
            progress_interval=settings.getfloat(
                "ARCHIVER_PROGRESS_INTERVAL", ARCHIVER_PROGRESS_INTERVAL
            ),
        )

    @property
    def db_path(self) -> Path:
        return self.data_dir / "archive.db"

    @property
    def warc_dir(self) -> Path:
        return self.data_dir / "warc"
