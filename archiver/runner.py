"""Running a crawl in this process: Scrapy settings from options, and the summary after."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from . import settings as default_settings


QUIET_LOGGERS = ("scrapy", "py.warnings", "bs4.dammit", "twisted")


@dataclass(frozen=True)
class CrawlResult:
    crawl_id: int | None
    outcome: str
    seconds: float
    counts: dict[str, int]
    warc_files: list[str]
    data_dir: Path
    stats: dict[str, Any] = field(repr=False, default_factory=dict)


def crawl_settings(
    data_dir: Path,
    *,
    delay: float | None = None,
    concurrency: int | None = None,
    allow_private: bool = False,
    obey_robots: bool = True,
    max_pages: int | None = None,
    timeout: float | None = None,
    user_agent: str | None = None,
    progress: bool = False,
    log_level: str = "WARNING",
    extra: dict[str, Any] | None = None,
) -> Settings:
    """Scrapy settings for one crawl; None leaves the polite default."""
    s = Settings()
    s.setmodule(default_settings, priority="project")
    values: dict[str, Any] = {
        "ARCHIVER_DATA": str(data_dir),
        "ARCHIVER_ALLOW_PRIVATE": allow_private,
        "ARCHIVER_PROGRESS": progress,
        "ROBOTSTXT_OBEY": obey_robots,
        "LOG_LEVEL": log_level,
    }
    if delay is not None:
        values["DOWNLOAD_DELAY"] = delay
        values["AUTOTHROTTLE_ENABLED"] = delay > 0
    if concurrency is not None:
        values["CONCURRENT_REQUESTS"] = concurrency
        values["CONCURRENT_REQUESTS_PER_DOMAIN"] = concurrency
    if max_pages:
        values["CLOSESPIDER_PAGECOUNT"] = max_pages
    if timeout is not None:
        values["DOWNLOAD_TIMEOUT"] = timeout
    if user_agent:
        values["USER_AGENT"] = user_agent
    values.update(extra or {})
    s.setdict(values, priority="cmdline")
    return s


def run_crawl(urls: Sequence[str], settings: Settings) -> CrawlResult:
    """Crawl `urls` to completion (blocking; once per process, as Twisted's reactor)."""
    from spiders.blog import BlogSpider

    started = time.monotonic()
    process = CrawlerProcess(settings)
    if settings.get("LOG_LEVEL") == "WARNING":
        # The crawl's own outcome (errors table, summary) says what Scrapy's
        # warnings would; keep the terminal to the status line and our warnings.
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)
    crawler = process.create_crawler(BlogSpider)
    process.crawl(crawler, urls=list(urls))
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    counts = {
        name: int(stats.get(f"archiver/crawl/{name}", 0))
        for name in ("pages", "posts", "comments", "errors")
    }
    return CrawlResult(
        crawl_id=stats.get("archiver/crawl_id"),
        outcome=str(stats.get("finish_reason", "unknown")),
        seconds=time.monotonic() - started,
        counts=counts,
        warc_files=list(stats.get("archiver/warc/files", [])),
        data_dir=Path(settings.get("ARCHIVER_DATA")),
        stats=stats,
    )
