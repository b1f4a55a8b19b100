"""WordPress: one post or page view, with the comments it shows.

Classic themes (``ol.comment-list`` / ``ol.commentlist``; html5 and xhtml comment
walkers; Jetpack), block themes (``.wp-block-comments``), and the comment pages
WordPress makes with "break comments into pages" (``/comment-page-N/``, ``?cpage=N``).
Comments are read by `wordpress_comments`; the REST API, an off-page source of the
same comments (``accepts_source``, ``extract_source``), by `wordpress_api`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

from lxml.etree import XPath
from lxml.html import HtmlElement

from ..exceptions import ExtractionError
from ..page import Page
from ..records import Comment, Post, Thread
from ..sanitize import sanitize_html
from . import wordpress_api
from .disqus import disqus_sources
from .head import base_url, canonical_url, meta_value
from .markup import (
    absolute,
    any_of,
    attr,
    classes,
    css,
    drop,
    first,
    in_class,
    inner_html,
    one_line,
    outside,
    parse,
    strip_fragment,
    text_of,
)
from .reader import page_zone, read_date
from .wordpress_api import accepts_source, extract_source
from .wordpress_comments import NOT_CONTENT, articles, comments_areas, read_comments

__all__ = ["EXTRACTOR", "PLATFORM", "VERSION", "accepts_source", "comment_page_of", "detect",
           "extract", "extract_source", "permalink"]  # fmt: skip

VERSION = 2  # 2: dates written without a datetime are read (published_raw kept)
PLATFORM = "wordpress"
EXTRACTOR = f"{PLATFORM}@{VERSION}"

# --- selectors, most specific first. Whole-page searches go by id or tag name: a class
# test on every element of a 300 KB page costs about 1 ms per selector.
ARTICLE_CLASSES = frozenset({"post", "page", "hentry", "type-post", "type-page"})
MAIN = XPath("(//main | id('main') | id('content'))[1]")
POST_TITLE = (css("h1.entry-title"), css("h1.wp-block-post-title"), css("h2.wp-block-post-title"),
              css("h1.post-title"), css(".entry-title"),
              css("[id^=post-] > h1, [id^=post-] > h2"))  # fmt: skip
POST_AUTHOR = (css(".byline .author .fn"), css(".author.vcard .fn"), css(".author.vcard a"),
               css(".wp-block-post-author-name"), css(".wp-block-post-author__name"),
               css("a[rel~=author]"), css(".entry-meta .author"),
               css(".td-post-author-name a"))  # fmt: skip
# Then schema.org's datePublished (Genesis, Blocksy), hAtom's .published and a meta line's date
# as written (Divi: span.published "Aug 14, 2021"; OceanWP: li.meta-date "May 1, 2023").
POST_PUBLISHED = (css("time.entry-date.published"), css("time.published"),
                  css(".wp-block-post-date time"), css("time.entry-date"),
                  css("time[itemprop~=datePublished], [itemprop~=datePublished] time"),
                  css(".published"), css(".meta-date"))  # fmt: skip
POST_MODIFIED = (css("time.updated:not(.published)"),
                 css(".wp-block-post-date__modified-date time"))  # fmt: skip
POST_BODY = (css(".entry-content"), css(".wp-block-post-content"), css(".post-content"),
             css("[itemprop~=articleBody]"), css(".td-post-content"), css(".entry"))  # fmt: skip
POST_JUNK = any_of(tags=("script", "style", "noscript", "form"),
                   classes=("sharedaddy", "sd-sharing-enabled", "jp-relatedposts", "wpcnt",
                            "addtoany_share_save_container", "yarpp-related",
                            "postmetadata"))  # fmt: skip
MORE_MARKERS = XPath(  # "Continue reading" links, <span id="more-87">
    "descendant::a[contains(@class, 'more-link')] | descendant::span[starts-with(@id, 'more-')]"
)
META_TITLE = XPath("/html/head/meta[@property='og:title']/@content")
META_SITE_NAME = XPath("/html/head/meta[@property='og:site_name']/@content")
META_AUTHOR = XPath("/html/head/meta[@name='author']/@content")
META_PUBLISHED = XPath("/html/head/meta[@property='article:published_time']/@content")
META_MODIFIED = XPath("/html/head/meta[@property='article:modified_time']/@content")
TITLE = XPath("string(/html/head/title)")
SITE_TITLE = XPath("//p[contains(@class, 'site-title')] | //h1[contains(@class, 'site-title')]")
# The comments area around the list: its title, navigation and form.
# Last, a theme's own title class: Blocksy's ct-comments-title, Newspaper's td-comments-title.
COMMENTS_TITLE = (css(".comments-title"), css("#comments-title"), css(".wp-block-comments-title"),
                  css("h1#comments, h2#comments, h3#comments"), css("[class*=-comments-title]"))  # fmt: skip
# ... else the post's meta line: "2 Comments" (Genesis, Twenty Ten to Fourteen, Divi).
POST_COMMENTS_LINK = css(".entry-comments-link a, .comments-link a, .comments-number a")
COMMENTS_CLOSED = css(".no-comments, .nocomments, .comments-closed")
COMMENT_FORM = XPath("id('respond') | id('commentform')")
PAGE_NAV_LINKS = css(".comment-navigation a[href], .comments-pagination a[href], "
                     ".wp-block-comments-pagination a[href], a.page-numbers[href], "
                     ".nav-previous a[href], .nav-next a[href], #comment-nav-above a[href], "
                     "#comment-nav-below a[href], .navigation a[href]")  # fmt: skip
PAGE_CURRENT = css(".page-numbers.current, .wp-block-comments-pagination-numbers .current")
PAGE_PREVIOUS = css(".nav-previous a[href], a.prev.page-numbers[href], "
                    "a.wp-block-comments-pagination-previous[href]")  # fmt: skip
PAGE_NEXT = css(".nav-next a[href], a.next.page-numbers[href], "
                "a.wp-block-comments-pagination-next[href]")  # fmt: skip
ANY_LINK = XPath("descendant-or-self::a[@href]")  # others count when they name a comment page
OLDER = re.compile(r"\b(?:older|previous|earlier)\b|«|←", re.IGNORECASE)
NEWER = re.compile(r"\b(?:newer|next|later)\b|»|→", re.IGNORECASE)

INDEX_BODY_CLASSES = frozenset({"blog", "archive", "author", "category", "tag", "date", "search",
                                "search-results", "search-no-results", "error404"})  # fmt: skip
SINGULAR_BODY_CLASSES = frozenset({"single", "single-post", "page", "singular", "attachment"})
SINGULAR_BODY_PREFIXES = ("postid-", "page-id-", "attachmentid-")

COMMENT_PAGE_PATH = re.compile(r"/comment-page-(\d+)(/?)$")
CPAGE = re.compile(r"(?:^|&)cpage=(\d+)(?:&|$)")
DROPPED_QUERY = ("cpage=", "replytocom=")
COUNT = re.compile(r"\b(\d[\d,.]*|no|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
                   r"(?:thoughts?|responses?|comments?|replies|reply|reactions?|trackbacks?|"
                   r"pingbacks?)\b|^\D{0,3}?(\d[\d,.]*)\b|\((\d[\d,.]*)\)", re.IGNORECASE)  # fmt: skip
NUMBER_WORDS = {"no": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10}  # fmt: skip
BY = re.compile(r"^(?:(?:posted|written)\s+)?by\s+", re.IGNORECASE)  # Neve: .fn "by <a>Name</a>"
TITLE_SEPARATORS = (" | ", " – ", " — ", " » ", " « ", " :: ", " - ")

DETECT_SIGNALS = (  # searched in the raw text: detection never parses
    (re.compile(r"<meta[^>]+content=[\"']WordPress", re.IGNORECASE), 0.6),
    (re.compile(r"/wp-(?:content|includes)/"), 0.3),
    (re.compile(r"<body[^>]+class=[\"'][^\"']*\b(?:postid-\d|page-id-\d|single-post|wp-embed-)"),
     0.2),  # fmt: skip
    # "\bwp-block-" with the literal first: re skips ahead to a leading literal, but tries
    # a leading \b at every position (~50x slower on a page that has none)
    (re.compile(r"wp-block-(?<=\bwp-block-)"), 0.1),
    (re.compile(r"wp-comments-post\.php|id=[\"']comment-\d|comment-reply-link"), 0.1),
)


def detect(page: Page) -> float:
    """Confidence (0..1) that `page` was rendered by WordPress: `detect_by_signals`, but
    stopping at certainty (the last signals are the dearest searches on a long page)."""
    if not page.is_html():
        return 0.0
    text, score = page.text, 0.0
    for pattern, weight in DETECT_SIGNALS:
        if pattern.search(text):
            score += weight
            if score >= 1.0:  # the sum is capped at 1: the other weights cannot change it
                break
    return min(1.0, score)


def extract(page: Page) -> Thread | None:
    """The thread a post or page view shows; None for indexes, archives and non-HTML.

    Raises `ExtractionError` for a post view whose post has neither title nor body.
    """
    if not page.is_html():
        return None
    root = parse(page)
    body_classes = classes(root.find("body"))
    areas, loose, lists = comments_areas(root)
    if not _is_thread(root, body_classes, areas):
        return None
    return _Reader(page, root, body_classes, areas, lists).thread(detach=None if loose else areas)


def permalink(url: str) -> str:
    """`url` without its comment page (``/comment-page-N/``, ``cpage``), reply and fragment."""
    parts = urlsplit(url)
    path = COMMENT_PAGE_PATH.sub(r"\2", parts.path)
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith(DROPPED_QUERY))
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def comment_page_of(url: str) -> int | None:
    """The comment page a URL names (``/comment-page-N/`` or ``?cpage=N``), if any."""
    parts = urlsplit(url)
    found = COMMENT_PAGE_PATH.search(parts.path) or CPAGE.search(parts.query)
    return int(found.group(1)) if found else None


def _is_thread(root: HtmlElement, body_classes: frozenset[str], areas: list) -> bool:
    if body_classes & INDEX_BODY_CLASSES:
        return False
    if areas or body_classes & SINGULAR_BODY_CLASSES:
        return True
    if any(c.startswith(SINGULAR_BODY_PREFIXES) for c in body_classes):
        return True
    posts = _post_articles(root)  # several: teasers
    return len(posts) == 1 and first(posts[0], POST_TITLE[0], POST_TITLE[1]) is not None


def _post_articles(root: HtmlElement) -> list[HtmlElement]:
    """The <article>s classed as a post or page: one on a single post, several on an index."""
    return [a for a in articles(root) if classes(a) & ARTICLE_CLASSES]

class _Reader:
    """Reads one parsed page: the comments and their area first, then the post without them."""

    def __init__(self, page: Page, root: HtmlElement, body_classes: frozenset[str], areas: list,
                 lists: list[HtmlElement]):  # fmt: skip
        self.page, self.root, self.areas, self.body_classes = page, root, areas, body_classes
        self.warnings: list[str] = []
        self.canonical = canonical_url(root, page.url)
        self.base = base_url(root, page.url)
        self.post_url = permalink(self.canonical or page.url)
        self.lists = lists  # the comment lists of `areas`
        self.chrome = [el for area in areas for el in outside(area, self.lists)]

    def thread(self, detach: list[HtmlElement] | None) -> Thread:
        comments = self._dated(read_comments(self.areas, self.base, self.warnings))
        own_urls = {strip_fragment(self.page.url)}
        if self.canonical and comment_page_of(self.canonical) == comment_page_of(self.page.url):
            own_urls.add(strip_fragment(self.canonical))
        page_urls, stated = self.comment_page_urls(own_urls), self.stated_comment_count()
        paged = bool(page_urls)
        sources = (  # off-page sources of the thread's comments, which the crawl fetches
            *wordpress_api.comment_sources(self.page, self.root, self.base, self.body_classes,
                                           shown=len(comments), stated=stated, paged=paged),
            *disqus_sources(self.root, self.page),
        )
        comment_page, comments_open = self.comment_page(), self.comments_open()
        for el in self.lists if detach is None else detach:
            el.drop_tree()  # the post is read from what is left
        post = self.post()
        return Thread(post, PLATFORM, EXTRACTOR, comments, comment_page, page_urls, stated,
                      comments_open, warnings=tuple(self.warnings), comment_sources=sources)

    # --- the post ------------------------------------------------------------------
    def post(self) -> Post:
        postid = next((c[7:] for c in self.body_classes if c.startswith("postid-")), None)
        posts = _post_articles(self.root)
        own = [a for a in posts if postid and a.get("id") == f"post-{postid}"]
        container = (own or posts or MAIN(self.root) or [self.root])[0]
        find = self._first
        title = one_line(text_of(find(container, POST_TITLE))) or meta_value(META_TITLE, self.root)
        author = BY.sub("", text_of(find(container, POST_AUTHOR))) or meta_value(META_AUTHOR, self.root)
        stated = find(container, POST_PUBLISHED)
        published = attr(stated, "datetime") or meta_value(META_PUBLISHED, self.root)
        published_raw = None if published else text_of(stated) or None  # no datetime: as written
        if published_raw:
            published = read_date(published_raw, self.page.fetched_at, page_zone(self.root))[0]
        modified = attr(find(container, POST_MODIFIED), "datetime")
        modified = modified or meta_value(META_MODIFIED, self.root)
        body = find(container, POST_BODY)
        if body is None and container is not self.root:
            body = find(self.root, POST_BODY)
        if not title and body is None:
            raise ExtractionError(self.page.url, PLATFORM, "no post title and no post body")
        title = title or self._title_tag()
        text = html = ""
        if body is None:
            self.warnings.append("post: no body")
        else:
            drop(body, POST_JUNK)
            for marker in MORE_MARKERS(body):
                holder = marker.getparent()
                marker.drop_tree()
                if holder is not None and holder.tag == "p" and not len(holder):
                    if not text_of(holder):
                        holder.drop_tree()
            text, html = text_of(body), sanitize_html(inner_html(body), self.base)
        for name, value in (("title", title), ("author", author), ("published", published)):
            if not value:
                self.warnings.append(f"post: no {name}")
        return Post(self.post_url, title or None, author or None, published, modified, text, html,
                    published_raw=published_raw)  # fmt: skip

    def _dated(self, comments: tuple[Comment, ...]) -> tuple[Comment, ...]:
        """Comments whose theme writes the date without a datetime (Kubrick, Divi) get it read
        from the text, in the blog's offset when the page states one."""
        if all(c.published or not c.published_raw for c in comments):
            return comments
        zone = page_zone(self.root)
        return tuple(
            replace(c, published=read_date(c.published_raw, self.page.fetched_at, zone)[0])
            if c.published is None and c.published_raw else c
            for c in comments
        )

    @staticmethod
    def _first(scope: HtmlElement, selectors) -> HtmlElement | None:
        for selector in selectors:
            for el in selector(scope):
                if not in_class(el, NOT_CONTENT):
                    return el
        return None

    def _title_tag(self) -> str | None:
        """The document title without the site's name ("Post | Site", "Site » Post")."""
        title = " ".join(TITLE(self.root).split())
        site = meta_value(META_SITE_NAME, self.root) or text_of(next(iter(SITE_TITLE(self.root)), None))
        for sep in TITLE_SEPARATORS:
            if site and title.endswith(sep + site):
                return title[: -len(sep + site)] or None
            if site and title.startswith(site + sep):
                return title.rsplit(sep, 1)[-1] or None
        for sep in TITLE_SEPARATORS:
            if sep in title:
                return title.rsplit(sep, 1)[0] or None
        return title or None

    # --- the area around the comments ----------------------------------------------
    def _chrome(self, selector) -> list[HtmlElement]:
        return [el for part in self.chrome for el in selector(part)]

    def _thread_link(self, el: HtmlElement) -> str | None:
        """The link's URL when it points at one of this thread's comment pages."""
        url = strip_fragment(absolute(el.get("href", ""), self.base))
        if "replytocom=" in url or not url.startswith(("http:", "https:")):
            return None
        same = urlsplit(permalink(url))[2:4] == urlsplit(self.post_url)[2:4]
        return url if same or comment_page_of(url) is not None else None

    def comment_page(self) -> int:
        for url in (self.page.url, self.canonical):
            if url and (number := comment_page_of(url)):
                return number
        for el in self._chrome(PAGE_CURRENT):
            if digits := re.sub(r"\D", "", text_of(el)):
                return int(digits)
        paging = [el for el in self._chrome(ANY_LINK) if comment_page_of(el.get("href", ""))]
        older = self._chrome(PAGE_PREVIOUS) + [el for el in paging if OLDER.search(text_of(el))]
        for el in older:  # "Older comments" points at page N - 1
            if url := self._thread_link(el):
                return (comment_page_of(url) or 1) + 1
        newer = self._chrome(PAGE_NEXT) + [el for el in paging if NEWER.search(text_of(el))]
        for el in newer:  # "Newer comments" points at page N + 1
            if (url := self._thread_link(el)) and (newer_page := comment_page_of(url) or 0) > 1:
                return newer_page - 1
        return 1

    def comment_page_urls(self, own_urls: set[str]) -> tuple[str, ...]:
        urls = [self._thread_link(el) for el in self._chrome(PAGE_NAV_LINKS)]
        for el in self._chrome(ANY_LINK):
            if comment_page_of(url := self._thread_link(el) or ""):
                urls.append(url)
        return tuple(dict.fromkeys(u for u in urls if u and u not in own_urls))

    def stated_comment_count(self) -> int | None:
        titles = (el for selector in COMMENTS_TITLE for el in self._chrome(selector))
        for el in itertools.chain(titles, self._post_comments_links()):
            if found := COUNT.search(text_of(el)):
                word = next(g for g in found.groups() if g).lower()
                return NUMBER_WORDS.get(word) or int("0" + re.sub(r"\D", "", word))
        return None

    def _post_comments_links(self) -> Iterator[HtmlElement]:
        """The "N Comments" links of the post's meta line, searched in the post only: a
        whole-page class search costs ~1 ms."""
        for post in _post_articles(self.root)[:1] or MAIN(self.root)[:1]:
            yield from (el for el in POST_COMMENTS_LINK(post) if not in_class(el, NOT_CONTENT))

    def comments_open(self) -> bool | None:
        if self._chrome(COMMENTS_CLOSED):
            return False
        return True if COMMENT_FORM(self.root) else None

