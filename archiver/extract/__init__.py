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

Platform modules: `wordpress` (with `wordpress_comments`, `wordpress_api`), `blogger`
(with `blogger_comments`, `blogger_feed`), `disqus`, `drupal`, `schemaorg` (with
`schemaorg_jsonld`), `microformats`, and the structural fallback `generic` (with
`generic_finder`, `generic_comments`). What they share, one owner each: `markup` (lxml
helpers), `head` (canonical, base, meta, Link header), `detection` (scores from the raw
text), `dates` (with `date_words`), and for the structure and markup readers `reader`
(`PageReader`), `post`, `comment_pages`, `chrome`, `ids` and `items`.
"""

from __future__ import annotations

from typing import Protocol

from ..exceptions import ExtractionError
from ..page import Page
from ..records import Post, Thread
from . import blogger, disqus, drupal, generic, microformats, schemaorg, wordpress

__all__ = ["CONFIDENT", "EXTRACTORS", "Extractor", "choose", "extract", "extract_source"]


class Extractor(Protocol):
    PLATFORM: str
    EXTRACTOR: str

    def detect(self, page: Page) -> float: ...

    def extract(self, page: Page) -> Thread | None: ...


# In order of preference when two modules are equally sure.
EXTRACTORS: tuple[Extractor, ...] = (wordpress, blogger, disqus, drupal, schemaorg, microformats, generic)


CONFIDENT = 0.5  # a platform module this sure wins; below it the fallback (generic) reads
CERTAIN = 1.0  # a module this sure ends the search (modules come cheapest-to-ask first)


def choose(page: Page, disabled: frozenset[str] | set[str] = frozenset()) -> Extractor | None:
    """The extractor most confident about `page`, or None if none recognises it.

    A fallback module (``FALLBACK = True``: the structural generic extractor) is chosen
    only when no platform module scores `CONFIDENT`. `disabled` names platforms to skip
    (evaluation runs the fallback on pages a platform module would read).
    """
    if not page.is_html():
        return None
    best: Extractor | None = None
    best_score = 0.0
    fallback: Extractor | None = None
    for module in EXTRACTORS:
        if module.PLATFORM in disabled:
            continue
        if getattr(module, "FALLBACK", False):
            fallback = fallback or module
            continue
        score = module.detect(page)
        if score > best_score:
            best, best_score = module, score
        if score >= CERTAIN:  # e.g. a generator meta tag: no need to ask the others
            break
    if best_score >= CONFIDENT or fallback is None or not fallback.detect(page):
        return best
    return fallback


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
