"""`PageReader`: what every thread page has besides its comments, for the extractors that
read pages by structure or markup (generic, schema.org, microformats).

It knows the page's URLs (canonical, base, the thread's permalink), its meta tags, its
time zone (the first offset the page states: dates written without one are taken in
it), and it assembles the `Thread`: the post (`post.read_post`), the comment pages
(`comment_pages`), the count the page states and whether comments are open.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from lxml.etree import XPath
from lxml.html import HtmlElement

from ..page import Page
from ..records import Comment, Post, Thread
from .chrome import chrome
from .comment_pages import comment_pages, permalink
from .dates import resolve_date
from .head import META, base_url, canonical_url, meta_value
from .ids import unique_ids
from .markup import inside, web_url
from .post import read_post

__all__ = ["PageReader", "page_zone", "read_date"]

FULL_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?[+-]\d{2}:\d{2}$")
STATED_TIMES = XPath("/html/head/meta[@property='article:published_time']/@content"
                     " | //time/@datetime | //*[@itemprop='datePublished']/@content | //abbr/@title")  # fmt: skip
OFFSET = re.compile(r"T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|([+-])(\d{2}):?(\d{2}))$")
CLOSED = re.compile(r"\b(?:comments?|discussion|replies)\s+(?:are|is)?\s*(?:now\s+)?closed\b"
                    r"|\bclosed\s+for\s+comments\b", re.IGNORECASE)  # fmt: skip
COMMENT_FORM = XPath("//form[.//textarea]")
CLOSED_TEXT = XPath("//text()[contains(., 'losed')]")
COUNT_TEXT = re.compile(r"^\D{0,20}?(\d[\d,]*)\s+(?:comments?|responses?|replies|thoughts?"
                        r"|reactions?|mentions?)\b|^\s*(?:comments?|responses?|replies)\s*\((\d+)\)",
                        re.IGNORECASE)  # fmt: skip
COUNT_HEADINGS = XPath("//h2 | //h3 | //h4")


class PageReader:
    """What every thread page has besides its comments: URLs, the post, comment pages."""

    def __init__(self, page: Page, root: HtmlElement, skip: list[HtmlElement] | None = None):
        self.page, self.root = page, root
        self.skip = chrome(root) if skip is None else skip
        self.canonical = canonical_url(root, page.url)
        self.base = base_url(root, page.url)
        self.post_url = permalink(self.canonical or page.url)
        self.zone = page_zone(root)

    def meta(self, name: str) -> str | None:
        return meta_value(META, self.root, name=name)

    def date(self, value: str | None) -> tuple[str | None, str | None]:
        return read_date(value, self.page.fetched_at, self.zone)

    def url(self, href: str | None) -> str | None:
        return web_url(href, self.base)

    def post(self, exclude: list[HtmlElement], warnings: list[str], body: HtmlElement | None = None,
             **known: str | None) -> Post:  # fmt: skip
        """The post: `body` and the fields in `known` win; the rest from the page (h1, meta,
        the largest text block). What `exclude` names (the comments) is never read."""
        return read_post(self, exclude, warnings, body, known)

    def thread(self, post: Post, platform: str, extractor: str, comments: list[Comment],
               warnings: list[str], confidence: float = 1.0,
               stated: int | None = None) -> Thread:  # fmt: skip
        number, urls = comment_pages(self.root, self.page.url, canonical=self.canonical,
                                     base=self.base, post_url=self.post_url, skip=self.skip)  # fmt: skip
        stated = self.stated_count() if stated is None else stated
        return Thread(post, platform, extractor, tuple(unique_ids(comments)), comment_page=number,
                      comment_page_urls=urls, stated_comment_count=stated,
                      comments_open=self.comments_open(), warnings=tuple(warnings),
                      confidence=confidence)  # fmt: skip

    def stated_count(self) -> int | None:
        """The number of comments a heading states ("11 comments", "Comments (3)")."""
        skip = set(self.skip)
        for heading in COUNT_HEADINGS(self.root):
            found = COUNT_TEXT.match(heading.text_content())
            if found and not inside(heading, skip):
                return int((found.group(1) or found.group(2)).replace(",", ""))
        return None

    def comments_open(self) -> bool | None:
        """False when the page says comments are closed, True when it has a comment form."""
        skip = set(self.skip)
        for text in CLOSED_TEXT(self.root):
            if CLOSED.search(text) and not inside(text.getparent(), skip):
                return False
        return True if COMMENT_FORM(self.root) else None


def read_date(value: str | None, fetched_at: str = "",
              tz: tzinfo | None = None) -> tuple[str | None, str | None]:  # fmt: skip
    """(ISO 8601, raw) for a date as a page states it: ISO as written; other text (human,
    relative, localised) read by `dates.resolve_date`, in zone `tz`, and kept in ``raw``."""
    value = " ".join((value or "").split())
    if FULL_ISO.match(value):  # the common case, as written
        return value, None
    if value.isdigit() and len(value) in (10, 13):  # a Unix timestamp (data-time)
        stamp = int(value) / (1000 if len(value) == 13 else 1)
        return datetime.fromtimestamp(stamp, UTC).isoformat(), None
    return resolve_date(value, fetched_at, tz=tz)


def page_zone(root: HtmlElement) -> tzinfo | None:
    """The blog's offset, from the first time with an offset the page states (its post's):
    dates written without one ("3 March 2021 at 4:15 pm") are taken in it."""
    for value in STATED_TIMES(root):
        if found := OFFSET.search(value.strip()):
            if found.group(1) == "Z":
                return UTC
            sign = -1 if found.group(2) == "-" else 1
            return timezone(sign * timedelta(hours=int(found.group(3)), minutes=int(found.group(4))))
    return None
