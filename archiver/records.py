"""The records extraction produces: plain frozen data, no parsing and no I/O.

A `Thread` is what one fetched page says about one post: the post itself, the
comments visible on that page, and links to the thread's other comment pages.
The store merges the pages of a thread; extractors never see more than one page.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Post:
    url: str  # absolute permalink: no comment-page part, no fragment
    title: str | None
    author: str | None
    published: str | None  # ISO 8601 with offset, as the page states it
    modified: str | None
    text: str  # plain text, paragraphs separated by a blank line
    html: str  # sanitised (nh3) HTML of the body
    published_raw: str | None = None  # the date as the page wrote it, when not ISO 8601


@dataclass(frozen=True, slots=True)
class Comment:
    source_id: str  # the platform's own id: "5001" for comment-5001
    parent_source_id: str | None  # source_id of the comment it answers; None at top level
    depth: int  # 0 = top level
    author: str | None
    author_url: str | None
    published: str | None
    text: str
    html: str
    permalink: str | None
    published_raw: str | None = None  # the date as the page wrote it, when not ISO 8601


@dataclass(frozen=True, slots=True)
class Thread:
    post: Post
    platform: str  # "wordpress", ...
    extractor: str  # "wordpress@1": module name and version
    comments: tuple[Comment, ...] = ()  # in display order on this page
    comment_page: int = 1  # which comment page this page shows (1 = oldest)
    comment_page_urls: tuple[str, ...] = ()  # the thread's other comment pages
    stated_comment_count: int | None = None  # "34 thoughts on ..." if the page says so
    comments_open: bool | None = None  # None when the page does not say
    warnings: tuple[str, ...] = field(default=())  # what could not be read
    # Off-page or machine-readable sources of this thread's comments (WordPress REST
    # API, Blogger comment feed, Disqus embed): the crawl fetches them even off-site.
    comment_sources: tuple[str, ...] = ()
    # True for a Thread read from such a source: it adds comments and fills gaps,
    # but the HTML pages' display order wins for comments both show.
    supplement: bool = False
    confidence: float = 1.0  # below 1 for structural guesses (the generic extractor)
