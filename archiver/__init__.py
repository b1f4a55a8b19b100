"""archiver: crawl blogs into WARC files and a SQLite archive of their comment threads.

The library's public pieces: `archiver.extract.extract` (a fetched `Page` to a
`Thread`, pure), the records it returns, and `archiver.store.Store`, the SQLite
archive. Crawling runs on Scrapy (`archiver crawl`, or `scrapy crawl blog`).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .exceptions import ArchiverError, ExtractionError
from .page import Page
from .records import Comment, Post, Thread

try:
    __version__ = version("archiver")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.dev0"


__all__ = [
    "ArchiverError",
    "Comment",
    "ExtractionError",
    "Page",
    "Post",
    "Thread",
    "__version__",
]
