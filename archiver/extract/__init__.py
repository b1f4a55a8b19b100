"""Extraction: a pure function from a fetched `Page` to a `Thread` (or None).

Each platform module offers ``PLATFORM``, ``detect(page) -> float`` (0..1,
cheap, no full parse) and ``extract(page) -> Thread | None``. The registry asks
every module how sure it is and lets the most confident one extract; a module
that recognises its platform but finds no thread (an index page) returns None.
Add a platform by appending its module to `EXTRACTORS`.

A module may also read its platform's off-page comment sources (a comment API,
feed or embed that a thread names in `Thread.comment_sources`): it then offers
``accepts_source(url) -> bool`` and ``extract_source(page, post) -> Thread | None``,
returning a `Thread` with ``supplement=True``.
"""

from __future__ import annotations

from typing import Protocol

from ..exceptions import ExtractionError
from ..page import Page
from ..records import Post, Thread
from . import wordpress

__all__ = ["EXTRACTORS", "Extractor", "choose", "extract", "extract_source"]


class Extractor(Protocol):
    PLATFORM: str
    EXTRACTOR: str

    def detect(self, page: Page) -> float: ...

    def extract(self, page: Page) -> Thread | None: ...


# In order of preference when two modules are equally sure.
EXTRACTORS: tuple[Extractor, ...] = (wordpress,)


def choose(page: Page) -> Extractor | None:
    """The extractor most confident about `page`, or None if none recognises it."""
    if not page.is_html():
        return None
    best: Extractor | None = None
    best_score = 0.0
    for module in EXTRACTORS:
        score = module.detect(page)
        if score > best_score:
            best, best_score = module, score
    return best


def extract(page: Page) -> Thread | None:
    """The thread `page` shows, or None (not HTML, unknown platform, not a thread).

    Raises `ExtractionError` when the page looks like a thread but cannot be read.
    """
    module = choose(page)
    return module.extract(page) if module is not None else None


def extract_source(page: Page, post: Post) -> Thread | None:
    """Comments of `post` read from one of its off-page sources (API, feed, embed).

    Raises `ExtractionError` when no module reads this source, or it cannot be read.
    """
    for module in EXTRACTORS:
        accepts = getattr(module, "accepts_source", None)
        if accepts is not None and accepts(page.url):
            return module.extract_source(page, post)  # type: ignore[attr-defined]
    raise ExtractionError(page.url, "comment source", "no extractor reads this comment source")
