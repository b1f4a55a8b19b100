"""Blogger (blogspot.com and custom domains): one post view and the post's comment feed.

Layouts read: threaded comments (``div.comment-thread > ol > li.comment#c…``, replies in
``div.comment-replies``; Contempo, Soho, Notable, Emporio and the 2011-2017 layouts), flat
v2 comments (``#comments-block > div.comment#c…``) and classic ``dl#comments-block``
(Minima and other layouts-era themes). Comment times are read from the permalink's
``showComment=<epoch ms>`` when it has one (exact), else from the text the theme prints
("10 February 2016 at 07:07"), taken in the post's own offset.

The post's JSON comment feed (``/feeds/POSTID/comments/default?alt=json``) is named as a
comment source: it gives every comment (also those past the 200 a page shows) with exact
ISO times, and its ids are the same as the page's (``c1234`` and ``…post-1234``).
Comments on the page are read by `blogger_comments`; the feed (``accepts_source``,
``extract_source``) by `blogger_feed`.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from urllib.parse import urlsplit, urlunsplit

from lxml.etree import XPath
from lxml.html import HtmlElement

from ..exceptions import ExtractionError
from ..page import Page
from ..records import Comment, Post, Thread
from ..sanitize import sanitize_html
from .blogger_comments import read_comments
from .blogger_feed import accepts_source, read_feed
from .dates import resolve_date
from .detection import detect_by_signals
from .disqus import disqus_sources
from .head import canonical_url, meta_value
from .markup import (
    absolute,
    attr,
    classes,
    css,
    drop,
    first,
    inner_html,
    one_line,
    parse,
    text_of,
)

__all__ = ["EXTRACTOR", "PLATFORM", "VERSION", "accepts_source", "detect", "extract", "extract_source"]

VERSION = 1
PLATFORM = "blogger"
EXTRACTOR = f"{PLATFORM}@{VERSION}"

# --- selectors, most specific first ----------------------------------------------------
# Whole-page searches test tags and plain substrings only: a class-token test on every
# element of a 300 KB page costs about 1 ms per selector.
POST_OUTERS = XPath("//div[contains(@class, 'post-outer')]")  # one per post (v1 and v2 layouts)
POST_DIVS = XPath("//div[contains(@class, 'post')]")  # classic templates: div.post only
COMMENTS_AREA = XPath("id('comments')")
POST_TITLE = (css(".post-title.entry-title"), css("h3.post-title"), css("h1.post-title"),
              css("h2.post-title"), css(".entry-title"))  # fmt: skip
POST_AUTHOR = (css(".post-author .fn"), css(".post-author .g-profile"), css(".g-profile"),
               css("[itemprop=author] [itemprop=name]"))  # fmt: skip
POST_PUBLISHED = ((css("abbr.published[title]"), "title"), (css("time.published[datetime]"), "datetime"),
                  (css(".published[title]"), "title"), (css("[itemprop=datePublished][content]"), "content"))  # fmt: skip
POST_UPDATED = ((css("abbr.updated[title]"), "title"), (css("time.updated[datetime]"), "datetime"))
DATE_HEADER = XPath("//h2[contains(@class, 'date-header')] | //div[contains(@class, 'date-header')]")
TIMESTAMP_LINK = XPath("descendant::a[contains(@class, 'timestamp-link') or @title='permanent link']")
POST_FOOTER = css(".post-footer")
POST_BODY = (css(".post-body.entry-content"), css(".post-body"), css("[itemprop~=articleBody]"),
             css(".entry-content"))  # fmt: skip
POST_JUNK = css("script, style, noscript, form, .post-share-buttons, .blog-admin, .item-control, "
                "div[style*='clear']:empty")  # every Blogger body ends with a clearing <div>
TITLE_LINK = css("a[href]")
META_TITLE = XPath("/html/head/meta[@property='og:title']/@content")
FORM_IDS = XPath("(id('comment-editor') | id('comment-editor-src') | id('comment-form'))[1]")
COMMENT_FORM = XPath("descendant::div[contains(@class, 'comment-form')]"
                     " | descendant::a[contains(@href, '/comment.g?') or contains(@href, '/comment/fullpage/')"
                     " or contains(@href, 'comment-iframe.g')]")  # fmt: skip
COUNT_HEADING = XPath("descendant::h4 | descendant::h3[contains(@class, 'title')]"
                      " | descendant::h2[contains(@class, 'title')] | id('comment-count')")
PAGING_LINKS = XPath("descendant::*[contains(@class, 'paging-control') or contains(@class, 'comment-paging')]"
                     "/descendant-or-self::a[@href]")  # fmt: skip
# Searched in the raw text, in this order. Each starts with a literal, which `re` finds
# fast; a leading class, group or \b makes it try every position of a 300 KB page.
POST_ID_PATTERNS = tuple(re.compile(p) for p in (
    r"""itemprop=['"]postId['"]\s+content=['"](\d+)""",
    r"""content=['"](\d+)['"]\s+itemprop=['"]postId""",
    r"""data-post-id=['"](\d+)""",
    r"""postId['"]?\s*[:=]\s*['"]?(\d{5,})""",  # _WidgetManager data, threaded-comments config
    r"""post-body-(\d+)""",
    r"""<a name=['"](\d{6,})['"]""",  # the anchor before the title
    r"""comment/frame/\d+\?po=(\d+)""",
    r"""comment/fullpage/post/\d+/(\d+)""",
))  # fmt: skip
POST_ID_LINK = re.compile(r"postID=(\d+)")  # ...in a comment.g, post-edit.g or share-post.g link
POST_LINKS = ("/comment.g?", "/post-edit.g?", "/email-post.g?", "/share-post.g?", "/comment-iframe.g?")
PAGE_TYPE = re.compile(r"""pageType['"]\s*:\s*['"](\w+)""")
MULTIPLE_ITEMS = re.compile(r"""isMultipleItems['"]\s*:\s*true""")
COMMENT_PAGE = re.compile(r"[?&]commentPage=(\d+)")
POSTED_BY = re.compile(r"\b(?:posted|post[ée]|publicado|gepostet|eingestellt|pubblicato|geplaatst)\s+"
                       r"(?:by|par|por|von|da|door)\s+(.+?)\s+(?:at|à|a las|às|um|alle|om|on)\b", re.IGNORECASE)  # fmt: skip
COUNT = re.compile(r"^\D{0,3}?(\d[\d,.]*)\s+\w|^(no|keine|aucun|ningún|nessun|geen|nenhum|sin|sem)\b",
                   re.IGNORECASE)  # fmt: skip
INDEX_PAGE_TYPES = frozenset({"index", "archive", "error", "search"})

DETECT_SIGNALS = (  # searched in the raw text: detection never parses
    (re.compile(r"<meta[^>]+(?:content=[\"']blogger[\"'][^>]+name=[\"']generator|"
                r"name=[\"']generator[\"'][^>]+content=[\"']blogger)", re.IGNORECASE), 0.6),
    (re.compile(r"blogger\.com/(?:static|feeds|comment|dyn-css|navbar|profile)|blogblog\.com/|_WidgetManager"),
     0.3),
    (re.compile(r"class=[\"'][^\"']*\b(?:post-outer|blog-posts hfeed|post-body entry-content)\b"), 0.2),
    (re.compile(r"id=[\"']comments-block|comment-thread toplevel-thread|data:blog\.|'blogId'"), 0.1),
)  # fmt: skip


def detect(page: Page) -> float:
    """Confidence (0..1) that `page` was rendered by Blogger."""
    return detect_by_signals(page, DETECT_SIGNALS)


def extract(page: Page) -> Thread | None:
    """The thread a post (or static page) view shows; None for the home page, archives,
    label and search pages. Raises `ExtractionError` for a post view with no title or body.
    """
    if not page.is_html() or urlsplit(page.url).path.startswith("/search"):
        return None
    page_type = (found.group(1) if (found := PAGE_TYPE.search(page.text)) else "").lower()
    if page_type in INDEX_PAGE_TYPES or MULTIPLE_ITEMS.search(page.text):
        return None
    root = parse(page)
    body_classes = classes(root.find("body"))
    posts = _posts(root)
    area = next(iter(COMMENTS_AREA(root)), None)
    if "feed-view" in body_classes or len(posts) > 1:
        return None
    single = page_type in ("item", "static_page") or "item-view" in body_classes
    if not single and area is None and (not posts or _teaser(posts[0], page.url)):
        return None
    return _Reader(page, root, posts[0] if posts else root, area).thread()


def extract_source(page: Page, post: Post) -> Thread:
    """The comments of `post` in one page of its JSON comment feed (a supplement).

    Raises `ExtractionError` when the answer is not a Blogger JSON feed.
    """
    return read_feed(page, post, PLATFORM, EXTRACTOR)


def _posts(root: HtmlElement) -> list[HtmlElement]:
    """Each post's own element (``.post`` in its ``.post-outer``: never its comments)."""
    outers = [el for el in POST_OUTERS(root) if "post-outer" in classes(el)]
    if not outers:
        return [el for el in POST_DIVS(root) if "post" in classes(el)]
    return [next((c for c in outer if "post" in classes(c)), outer) for outer in outers]


def _teaser(post: HtmlElement, url: str) -> bool:
    """A post whose title links elsewhere: one post on an index page, not a post view."""
    link = first(first(post, *POST_TITLE), TITLE_LINK)
    href = attr(link, "href")
    return bool(href) and _strip(absolute(href, url)) != _strip(url)


def _strip(url: str) -> str:
    """The URL without query and fragment (``?m=1``, ``?showComment=…``, ``#c123``)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class _Reader:
    def __init__(self, page: Page, root: HtmlElement, container: HtmlElement, area: HtmlElement | None):
        self.page, self.root, self.container, self.area = page, root, container, area
        self.warnings: list[str] = []
        self.post_url = _strip(canonical_url(root, page.url) or page.url)
        self.zone: tzinfo | None = None

    def thread(self) -> Thread:
        published, published_raw = self.published()
        comments = self.comments()
        post = self.post(published, published_raw)
        count = self.stated_count()
        sources = list(disqus_sources(self.root, self.page))
        if not sources and (comments or count != 0) and (post_id := self.post_id()):
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.page.url))
            sources.append(f"{origin}/feeds/{post_id}/comments/default?alt=json&max-results=200")
        page_number = COMMENT_PAGE.search(self.page.url)
        return Thread(
            post, PLATFORM, EXTRACTOR, comments,
            comment_page=int(page_number.group(1)) if page_number else 1,
            comment_page_urls=self.comment_page_urls(),
            stated_comment_count=count,
            comments_open=None if self.area is None else bool(FORM_IDS(self.area) or COMMENT_FORM(self.area)),
            warnings=tuple(self.warnings),
            comment_sources=tuple(sources),
        )  # fmt: skip

    # --- the post ------------------------------------------------------------------
    def published(self) -> tuple[str | None, str | None]:
        for selector, name in POST_PUBLISHED:
            if (value := attr(first(self.container, selector), name)) is not None:
                published, raw = resolve_date(value, self.page.fetched_at)
                if published and (when := datetime.fromisoformat(published)).tzinfo:
                    self.zone = when.tzinfo if raw is None else None  # the blog's own offset
                return published, raw
        header = text_of(next(iter(DATE_HEADER(self.root)), None))
        stamp = text_of(first(self.container, TIMESTAMP_LINK))
        return resolve_date(" ".join(filter(None, (header, stamp))), self.page.fetched_at)

    def post(self, published: str | None, published_raw: str | None) -> Post:
        container = self.container
        title = one_line(text_of(first(container, *POST_TITLE))) or meta_value(META_TITLE, self.root)
        author = one_line(text_of(first(container, *POST_AUTHOR))) or None
        if author is None and (byline := POSTED_BY.search(one_line(text_of(first(container, POST_FOOTER))))):
            author = byline.group(1)  # classic templates: "posted by Walt Kozak at 7:07 PM"
        body = first(container, *POST_BODY)
        if body is None and container is not self.root:
            body = first(self.root, *POST_BODY)
        if not title and body is None:
            raise ExtractionError(self.page.url, PLATFORM, "no post title and no post body")
        text = html = ""
        if body is None:
            self.warnings.append("post: no body")
        else:
            drop(body, POST_JUNK)
            text, html = text_of(body), sanitize_html(inner_html(body), self.page.url)
        for name, value in (("title", title), ("author", author), ("published", published)):
            if not value:
                self.warnings.append(f"post: no {name}")
        modified = next(filter(None, (attr(first(container, s), a) for s, a in POST_UPDATED)), None)
        return Post(self.post_url, title or None, author, published, modified, text, html,
                    published_raw=published_raw)  # fmt: skip

    def post_id(self) -> str | None:
        text = self.page.text
        if found := next((found for p in POST_ID_PATTERNS if (found := p.search(text))), None):
            return found.group(1)
        for link in POST_ID_LINK.finditer(text):  # not delete-comment.g: its postID is a comment's
            if any(name in text[max(0, link.start() - 60) : link.start()] for name in POST_LINKS):
                return link.group(1)
        return None

    # --- comments ------------------------------------------------------------------
    def comments(self) -> tuple[Comment, ...]:
        scope = self.area if self.area is not None else self.root
        return read_comments(scope, self.page, self.post_url, self.zone, self.warnings)

    # --- the area around the comments ----------------------------------------------
    def stated_count(self) -> int | None:
        if self.area is None:
            return None
        if (number := attr(self.area, "data-num-comments")) and number.isdigit():
            return int(number)
        for heading in COUNT_HEADING(self.area):
            if found := COUNT.match(text_of(heading)):
                return int(re.sub(r"\D", "", found.group(1))) if found.group(1) else 0
        return None

    def comment_page_urls(self) -> tuple[str, ...]:
        if self.area is None or "commentPage=" not in self.page.text:
            return ()
        own = self.page.url.split("#")[0]
        urls = (absolute(a.get("href", ""), self.page.url).split("#")[0] for a in PAGING_LINKS(self.area))
        return tuple(dict.fromkeys(u for u in urls if u != own and COMMENT_PAGE.search(u)))
