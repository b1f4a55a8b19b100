"""Item pipeline: threads and errors from the spider go into the SQLite archive."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

from .extensions import ArchiveExtension
from .items import ErrorItem, ThreadItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class ArchivePipeline:
    def __init__(self, archive: ArchiveExtension, stats: StatsCollector) -> None:
        self.archive = archive
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        archive = crawler.get_extension(ArchiveExtension)
        if archive is None:
            raise NotConfigured("ArchivePipeline needs archiver.extensions.ArchiveExtension")
        return cls(archive, crawler.stats)

    def process_item(self, item: object) -> object:
        writes = self.archive.writes
        assert writes is not None, "the archive opens when the spider opens"
        if not isinstance(item, (ThreadItem, ErrorItem)):
            return item
        writes.save(item, self.archive.crawl_id)
        if isinstance(item, ThreadItem):
            self.stats.inc_value("archiver/posts")
            self.stats.inc_value("archiver/comments", len(item.thread.comments))
            for warning in item.thread.warnings:
                logger.warning("%s: %s", item.thread.post.url, warning)
        else:
            self.stats.inc_value("archiver/errors")
            self.stats.inc_value(f"archiver/errors/{item.kind.split()[0]}")
        return item
