"""Any blog or forum theme: comments found by structure, for pages no platform module knows.

A comment is the smallest element that holds, in its own markup (not counting the
comments inside it), an author-like element, a time-like element and a text block;
the comments of a thread repeat one markup pattern. Nesting comes from depth classes
(``depth-2``, ``level-3``) or indentation styles when the page has them, otherwise
from the DOM: comments inside another comment or inside a list or replies container
below it answer the comment before them at the shallower level. Sidebars, widgets,
navigation and page footers ("Recent comments") are never read.

Comment ids are the page's own (``id="comment-17"``, ``id="c17"``, an anchor or a
permalink fragment) where one is visible, else ``h`` + a hash of (author, time, text):
stable across crawls while the comment is unchanged. Every record carries
``confidence`` 0.6: this is a structural guess.

The page-level helpers here (post, dates, comment pages, ids) are shared by the
schema.org and microformats modules.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import etree
from lxml.etree import XPath
from lxml.html import Element, HtmlElement

from ..page import Page
from ..records import Comment, Post, Thread
from ..sanitize import sanitize_html
from .dates import resolve_date
from .markup import absolute, inner_html, one_line, parse, text_of, web_url

VERSION = 1
PLATFORM = "generic"
EXTRACTOR = f"{PLATFORM}@{VERSION}"
FALLBACK = True  # the registry uses this module only when no platform module is sure
CONFIDENCE = 0.6

# --- page chrome: never content. Tokens of class and id, whole or as a prefix.
CHROME_TAGS = frozenset({"nav", "aside", "form", "script", "style", "noscript", "template",
                         "svg", "iframe", "button", "select", "textarea"})  # fmt: skip
CHROME_TOKENS = re.compile(
    r"^(?:(?:sidebar|widget|menu|navbar|breadcrumbs?|related|recent|popular|share|sharing|social"
    r"|cookie|advert|newsletter)(?:[-_].*)?"
    r"|site-footer|footer|colophon|masthead|site-header|secondary|ads?|banner|subscribe|toc"
    r"|skip-link|screen-reader-text)$",
    re.IGNORECASE,
)
CHROME_HINT = re.compile(r"sidebar|widget|menu|nav|breadcrumb|related|recent|popular|shar|social"
                         r"|footer|colophon|masthead|header|secondary|cookie|advert|ads?\b|banner"
                         r"|newsletter|subscribe|toc|skip|reader", re.IGNORECASE)  # fmt: skip
CHROME_HEADINGS = XPath("//h2 | //h3 | //h4")
CONTENT_INSIDE = XPath("count(descendant::h1 | descendant::main | descendant::article | descendant::*["
                       "contains(@class, 'hentry') or contains(@class, 'post-body')"
                       " or contains(@class, 'entry-content') or contains(@itemtype, 'Posting')])")  # fmt: skip
PAGE_LEVEL = frozenset({"article", "section", "li", "main", "td", "dd"})  # header/footer inside
CHROME_HEADING = re.compile(r"^\s*(?:recent|latest|popular|top)\s+(?:comments?|posts?|replies|"
                            r"discussions?|mentions?)\b", re.IGNORECASE)  # fmt: skip
# --- what a comment is made of
TIME_TAGS = frozenset({"a", "span", "abbr", "small", "div", "p", "em", "i", "dd", "td", "b"})
BLOCK_TAGS = frozenset({"div", "li", "article", "section", "dd", "td", "table", "blockquote"})
TEXT_TAGS = frozenset({"p", "blockquote", "pre"})
TEXT_CLASS = re.compile(r"content|text|body|message|entry|comment-?body|e-content|p-content",
                        re.IGNORECASE)  # fmt: skip
AUTHOR_CLASS = re.compile(r"author|user|nick|poster|commenter|member|\bfn\b|\bby\b|byline|\bwho\b"
                          r"|h-card|vcard|\bname\b|\bcite\b", re.IGNORECASE)  # fmt: skip
TIME_CLASS = re.compile(r"date|time|stamp|published|when|\bago\b", re.IGNORECASE)
TIME_ATTRS = ("datetime", "data-datetime", "data-time", "data-timestamp", "data-date", "title",
              "content")  # fmt: skip
MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")  # fmt: skip
DATE_TEXT = re.compile(
    rf"\b\d{{4}}-\d{{2}}-\d{{2}}|\b\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\.?\s+(?:{MONTHS})\b|\b(?:{MONTHS})\.?\s+\d{{1,2}}\b"
    r"|\b\d+\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago\b"
    r"|\b(?:yesterday|today)\b",
    re.IGNORECASE,
)
FULL_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?[+-]\d{2}:\d{2}$")
ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                      r"(?:Z|[+-]\d{2}:?\d{2})?)?$")  # fmt: skip
AUTHOR_RELS = frozenset({"ugc", "external", "author"})  # a commenter's link to their site
SHORT = 80  # an author or a time is a short text
FEW = 25  # the post's byline comes early: later matches are the comments
COMMENTISH = re.compile(r"comment|reply|replies|response|message|\bmsg\b|\bnote\b|mention|"
                        r"discussion|\bpost-\d|\bc\d", re.IGNORECASE)  # fmt: skip
VARIABLE_CLASS = re.compile(r"\d|^(?:odd|even|alt|first|last|parent|byuser|bypostauthor|new|"
                            r"unread|highlight(?:ed)?|sticky|has-children|thread-(?:odd|even|alt)"
                            r"|comment-author-.*|(?:is-)?(?:reply|child|nested|top-level))$")  # fmt: skip
NESTING_CLASS = re.compile(r"children|replies|reply|responses|nested|thread|sub-?comments|"
                           r"indent|child", re.IGNORECASE)  # fmt: skip
LEVEL_CLASS = re.compile(r"^(?:depth|level|indent|nest|lvl|d)-?(\d{1,2})$", re.IGNORECASE)
INDENT_STYLE = re.compile(r"(?:margin|padding)-left\s*:\s*(\d+(?:\.\d+)?)", re.IGNORECASE)
ACTION_TEXT = re.compile(r"^\s*(?:reply|report|quote|like|edit|delete|permalink|share|flag|link|"
                         r"#|¶|↩|\d+\s+likes?)\s*$", re.IGNORECASE)  # fmt: skip
BY = re.compile(r"\bby\s*:?\s*$", re.IGNORECASE)
BYLINE = re.compile(r"^\s*(?:posted|written|published)?\s*by\b", re.IGNORECASE)
STABLE_TIME = re.compile(r"\d{4}.*")  # a written time with a year is absolute
BYLINE_END = re.compile(r"\s+(?:[·|•—–-]|on|at)\s+.*$|,\s.*$")
SAID = re.compile(r"\s*(?:says|said|wrote|writes)\s*(?::|\.\.\.|…)?\s*$|^\s*(?:by|from)\s+",
                  re.IGNORECASE)  # fmt: skip
ELEMENT_ID = re.compile(r"^(?:li-|div-)?(?:comment|comments|cmt|reply|msg|message|post|note|c|p|m)"
                        r"[-_]?(\d+)$", re.IGNORECASE)  # fmt: skip
ID_QUERY = ("showComment", "comment", "commentId", "comment_id", "replytocom")
# --- the post
CANONICAL = XPath("/html/head/link[@rel='canonical']/@href")
BASE_HREF = XPath("/html/head/base/@href")
META = XPath("/html/head/meta[@property=$name or @name=$name]/@content")
TITLE_TAG = XPath("string(/html/head/title)")
H1 = XPath("//h1")
TITLES = XPath("//h1 | //h2[contains(@class, 'title')] | //h3[contains(@class, 'title')]")
TEASER_HEADINGS = XPath("//h2[.//a[@href] or ancestor::a[@href]] | //h3[.//a[@href] or ancestor::a[@href]]")
POST_BODY_CLASS = re.compile(r"^(?:entry-content|post-content|post-body|article-body|e-content|articleBody|"
                             r"entry|post-entry|article-content|content-body|story)$")  # fmt: skip
POST_AUTHOR = (XPath("//*[@itemprop='author']//*[@itemprop='name'] | //a[@rel='author']"),
               XPath("//*[contains(@class, 'author')]//*[contains(concat(' ', @class, ' '), ' fn ')]"
                     " | //*[contains(@class, 'p-author')]//*[contains(@class, 'p-name')]"),
               XPath("//*[contains(@class, 'author') or contains(@class, 'byline')]"))  # fmt: skip
TIMES = XPath("//time | //*[@itemprop='datePublished'] | //abbr[contains(@class, 'published')]")
POST_BODIES = XPath("descendant::*[@itemprop='articleBody' or contains(@class, 'entry-content')"
                    " or contains(@class, 'post-body') or contains(@class, 'post-content')"
                    " or contains(@class, 'article-body') or contains(@class, 'e-content')]")  # fmt: skip
STATED_TIMES = XPath("/html/head/meta[@property='article:published_time']/@content"
                     " | //time/@datetime | //*[@itemprop='datePublished']/@content | //abbr/@title")  # fmt: skip
OFFSET = re.compile(r"T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|([+-])(\d{2}):?(\d{2}))$")
PARAGRAPHS = XPath("//p | //pre | //blockquote")
JUNK = XPath("descendant::script | descendant::style | descendant::noscript | descendant::form"
             " | descendant::button | descendant::iframe")  # fmt: skip
CLOSED = re.compile(r"\b(?:comments?|discussion|replies)\s+(?:are|is)?\s*(?:now\s+)?closed\b"
                    r"|\bclosed\s+for\s+comments\b", re.IGNORECASE)  # fmt: skip
COMMENT_FORM = XPath("//form[.//textarea]")
CLOSED_TEXT = XPath("//text()[contains(., 'losed')]")
COUNT_TEXT = re.compile(r"^\D{0,20}?(\d[\d,]*)\s+(?:comments?|responses?|replies|thoughts?"
                        r"|reactions?|mentions?)\b|^\s*(?:comments?|responses?|replies)\s*\((\d+)\)",
                        re.IGNORECASE)  # fmt: skip
COUNT_HEADINGS = XPath("//h2 | //h3 | //h4")
# --- comment pages
PAGE_PATH = re.compile(r"/(?:comment-page-|comments?/page/|comments?-page-|comments?/|page/|page-)"
                       r"(\d+)(/?)$")  # fmt: skip
PAGE_QUERY = ("cpage", "page", "comment-page", "comments_page", "commentPage", "pg")
DROPPED_QUERY = frozenset({*PAGE_QUERY, "showComment", "replytocom"})
LINKS = XPath("//a[@href] | /html/head/link[@rel='next' or @rel='prev' or @rel='previous']")
REPLY_QUERY = re.compile(r"[?&](?:replytocom|showComment)=")
OLDER = re.compile(r"\b(?:older|previous|earlier|prev)\b|«|←|‹", re.IGNORECASE)
NEWER = re.compile(r"\b(?:newer|next|later)\b|»|→|›", re.IGNORECASE)


def detect(page: Page) -> float:
    """A low score for any HTML page: the fallback reads what nobody else claims."""
    if not page.is_html():
        return 0.0
    return 0.2 if page.text.count("<time") + page.text.count("comment") >= 2 else 0.1


def extract(page: Page) -> Thread | None:
    """The thread the page shows, found by structure; None for indexes and non-posts."""
    if not page.is_html():
        return None
    root = parse(page)
    skip = chrome(root)
    finder = _Finder(root, skip)
    blocks = [b for b in finder.blocks() if not _post_like(b)]
    if _is_index(root, skip, page.url):
        return None
    reader = PageReader(page, root, skip)
    warnings: list[str] = []
    comments = _comments(reader, finder, blocks, warnings)
    post = reader.post(exclude=comment_area(blocks), warnings=warnings)
    if not comments and not (post.title and post.text and _looks_like_post(root, skip, page.url, post)):
        return None
    return reader.thread(post, PLATFORM, EXTRACTOR, comments, warnings, confidence=CONFIDENCE)


# --- shared helpers: chrome, dates, ids, the post, comment pages --------------------


def chrome(root: HtmlElement) -> list[HtmlElement]:
    """The page's outermost non-content elements: navigation, sidebars, widgets, footers."""
    body = root.find("body")
    if body is None:
        return []
    hinted = [el for el in body.iter(etree.Element)
              if CHROME_HINT.search(f"{el.get('class', '')} {el.get('id', '')}")]  # fmt: skip
    tagged = body.iter(*CHROME_TAGS, "header", "footer")
    found = list({el: None for el in (*tagged, *hinted) if _is_chrome(el, el.tag)})
    for heading in CHROME_HEADINGS(root):  # a "Recent comments" box, whatever its class
        box = heading.getparent()
        if CHROME_HEADING.match(heading.text_content()) and box is not None and box.tag != "body":
            found.append(box)
    marked = set(found)
    return [el for el in found if not any(a in marked for a in el.iterancestors())]


def _is_chrome(el: HtmlElement, tag: str) -> bool:
    if tag in CHROME_TAGS:
        return True
    if tag in ("header", "footer") and not any(a.tag in PAGE_LEVEL for a in el.iterancestors()):
        return True
    names = (el.get("class") or "").split()
    ident = el.get("id")
    if ident:
        names.append(ident)
    if not any(CHROME_TOKENS.match(name) for name in names):
        return False
    if any(COMMENTISH.search(n) and not n.lower().startswith(("recent", "widget", "sidebar"))
           for n in names):  # fmt: skip
        return False
    # Some themes wrap the whole post in a "widget" (Blogger's div.widget.Blog)
    return CONTENT_INSIDE(el) == 0


def inside(el: HtmlElement, containers: Iterable[HtmlElement]) -> bool:
    """True when `el` is one of `containers` or lies inside one (pass a set when calling
    often with the same containers)."""
    if not isinstance(containers, (set, frozenset)):
        containers = set(containers)
    if not containers:
        return False
    return el in containers or any(a in containers for a in el.iterancestors())


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


def source_id(raw: str | None) -> str | None:
    """The platform's id from an element id, anchor or URL: ``comment-17``, ``#c17`` -> "17"."""
    if not raw:
        return None
    raw = raw.strip()
    if "#" in raw or "?" in raw or "/" in raw:
        parts = urlsplit(raw)
        query = dict(parse_qsl(parts.query))
        raw = next((query[k] for k in ID_QUERY if query.get(k)), parts.fragment)
    if not raw:
        return None
    found = ELEMENT_ID.match(raw)
    return found.group(1) if found else raw


def hashed_id(author: str | None, published: str | list[str] | None, text: str) -> str:
    """A stable id for a comment that shows none: ``h`` + 12 hex digits."""
    when = " ".join(published) if isinstance(published, list) else published
    key = "\x1f".join((author or "", when or "", " ".join(text.split())))
    return "h" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def unique_ids(comments: list[Comment]) -> list[Comment]:
    """Comments whose ids repeat on the page (a double post) get ``-2``, ``-3`` ..."""
    seen: Counter[str] = Counter()
    out = []
    for c in comments:
        seen[c.source_id] += 1
        if seen[c.source_id] > 1:
            c = replace(c, source_id=f"{c.source_id}-{seen[c.source_id]}")
        out.append(c)
    return out


def with_depths(comments: list[Comment]) -> list[Comment]:
    """Depths from the parent chain (a parent not on this page: top level on it)."""
    by_id = {c.source_id: c for c in comments}
    out = []
    for c in comments:
        depth, seen, parent = 0, {c.source_id}, by_id.get(c.parent_source_id or "")
        while parent is not None and parent.source_id not in seen:
            seen.add(parent.source_id)
            depth += 1
            parent = by_id.get(parent.parent_source_id or "")
        out.append(c if c.depth == depth else replace(c, depth=depth))
    return out


def permalink(url: str) -> str:
    """`url` without its comment page (``/comment-page-2/``, ``?page=2``) or fragment."""
    url = url.partition("#")[0]
    if "?" not in url and not PAGE_PATH.search(url):
        return url if "://" not in url or url.count("/") > 2 else url + "/"
    parts = urlsplit(url)
    path = PAGE_PATH.sub(r"\2", parts.path) if PAGE_PATH.search(parts.path) else parts.path
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k not in DROPPED_QUERY])  # fmt: skip
    return urlunsplit((parts.scheme, parts.netloc, path or "/", query, ""))


def comment_page_of(url: str) -> int | None:
    parts = urlsplit(url)
    if found := PAGE_PATH.search(parts.path):
        return int(found.group(1))
    query = dict(parse_qsl(parts.query))
    return next((int(query[k]) for k in PAGE_QUERY if query.get(k, "").isdigit()), None)


def plain_to_html(text: str) -> str:
    """Plain text (paragraphs split by blank lines) as escaped ``<p>`` paragraphs."""
    from html import escape

    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{escape(p, quote=False).replace(chr(10), '<br>')}</p>" for p in paragraphs)


class PageReader:
    """What every thread page has besides its comments: URLs, the post, comment pages."""

    def __init__(self, page: Page, root: HtmlElement, skip: list[HtmlElement] | None = None):
        self.page, self.root = page, root
        self.skip = chrome(root) if skip is None else skip
        canonical = CANONICAL(root)
        self.canonical = absolute(canonical[0], page.url) if canonical else None
        base = BASE_HREF(root)
        self.base = absolute(base[0], page.url) if base else page.url
        self.post_url = permalink(self.canonical or page.url)
        self.zone = page_zone(root)

    def meta(self, name: str) -> str | None:
        return next((" ".join(v.split()) for v in META(self.root, name=name) if v.strip()), None)

    def date(self, value: str | None) -> tuple[str | None, str | None]:
        return read_date(value, self.page.fetched_at, self.zone)

    def url(self, href: str | None) -> str | None:
        return web_url(href, self.base)

    def post(self, exclude: list[HtmlElement], warnings: list[str], body: HtmlElement | None = None,
             **known: str | None) -> Post:  # fmt: skip
        """The post: `body` and the fields in `known` win; the rest from the page (h1, meta,
        the largest text block). What `exclude` names (the comments) is never read."""
        skip = set(self.skip + exclude)
        dated = known.get("published") or known.get("published_raw")
        needed = body is None or not (known.get("title") and known.get("author") and dated)
        h1 = title_heading(self.root, skip, self.page.url) if needed else None
        title = known.get("title") or one_line(text_of(h1)) or self.meta("og:title")
        title = title or one_line(TITLE_TAG(self.root)).split(" | ")[0].split(" – ")[0] or None
        header = _header(h1)
        author = known.get("author") or self.meta("author") or self.meta("article:author")
        if not author:
            found = next((a for xpath in POST_AUTHOR for a in xpath(self.root)[:FEW]
                          if not inside(a, skip)), None)  # fmt: skip
            if found is None and header is not None:  # "started by <b>pat</b>"
                found = next((el for el in header.iter() if isinstance(el.tag, str)
                              and BY.search(_text_before(el)) and not inside(el, skip)), None)  # fmt: skip
            author = SAID.sub("", one_line(text_of(found))) if found is not None else None
            author = BYLINE_END.sub("", author) if author else None  # "Ned · 20 Aug 2018"
            author = author if author and len(author) <= SHORT else None
        published, raw = known.get("published"), known.get("published_raw")
        if not published and not raw:
            published = self.meta("article:published_time")
            if not published:
                when = next((t for t in TIMES(self.root)[:FEW] if not inside(t, skip)), None)
                if when is None and header is not None:  # a date written near the title
                    when = next((el for el in header.iter() if isinstance(el.tag, str)
                                 and el is not h1 and len(el.text_content()) <= SHORT
                                 and DATE_TEXT.search(el.text or "")), None)  # fmt: skip
                if when is not None:
                    stated = when.get("datetime") or when.get("content") or when.get("title")
                    published, raw = self.date(stated or text_of(when))
        modified = known.get("modified") or self.meta("article:modified_time")
        body = self.body(skip, h1) if body is None else body
        text = html = ""
        if body is not None:
            text, html = _clean(body, skip)
        else:
            warnings.append("post: no body")
        for name, value in (("title", title), ("author", author), ("published", published or raw)):
            if not value:
                warnings.append(f"post: no {name}")
        return Post(self.post_url, title or None, author or None, published, modified, text, html,
                    published_raw=raw)  # fmt: skip

    def body(self, skip: list[HtmlElement] | set[HtmlElement], h1: HtmlElement | None) -> HtmlElement | None:
        """The element holding the post's text: a known class, else the largest text block."""
        for el in POST_BODIES(self.root):
            if not inside(el, skip) and any(POST_BODY_CLASS.match(n) for n in _names(el).split()):
                return el
        scores: Counter[HtmlElement] = Counter()
        for p in PARAGRAPHS(self.root):
            if (parent := p.getparent()) is not None and not inside(p, skip):
                scores[parent] += len(p.text_content().strip())
        for el in scores:
            for name in (el.get("class") or "").split():
                if POST_BODY_CLASS.match(name):
                    return el
        if not scores:
            return None
        best = max(scores, key=lambda el: scores[el])
        if h1 is None or not inside(h1, [best]):
            return best
        # The title sits in the same element as the text: take what follows the title
        # and its byline, up to a rule, a heading or the comments.
        body = Element("div")
        started = False
        for child in best:
            if not isinstance(child.tag, str):
                continue
            if not started:
                started = inside(h1, [child])
                continue
            if child.tag in ("hr", "h2", "h3", "h4", "h5", "h6", "form") or inside(child, skip):
                break
            if any(inside(el, [child]) for el in skip):
                break
            if child.tag == "p" and BYLINE.match(child.text_content()):
                continue
            body.append(copy.deepcopy(child))
        return body if len(body) else best

    def thread(self, post: Post, platform: str, extractor: str, comments: list[Comment],
               warnings: list[str], confidence: float = 1.0,
               stated: int | None = None) -> Thread:  # fmt: skip
        number, urls = self.comment_pages()
        stated = self.stated_count() if stated is None else stated
        return Thread(post, platform, extractor, tuple(unique_ids(comments)), comment_page=number,
                      comment_page_urls=urls, stated_comment_count=stated,
                      comments_open=self.comments_open(), warnings=tuple(warnings),
                      confidence=confidence)  # fmt: skip

    def comment_pages(self) -> tuple[int, tuple[str, ...]]:
        """This page's comment page number and the thread's other comment pages."""
        own = {self.page.url.split("#")[0], (self.canonical or "").split("#")[0]}
        number = comment_page_of(self.page.url)
        if number is None and self.canonical:
            number = comment_page_of(self.canonical)
        urls: list[str] = []
        older: list[int] = []
        newer: list[int] = []
        chrome_ = {el for el in self.skip if el.tag != "nav"}  # comment navigation counts
        prefix = self.post_url.split("?")[0].rstrip("/")
        for link in LINKS(self.root):
            href = link.get("href", "").strip()
            if not href or href.startswith(("#", "mailto:", "javascript:")):
                continue
            url = absolute(href, self.base).split("#")[0]
            if not url.startswith(prefix) or url in own or REPLY_QUERY.search(url):
                continue
            if permalink(url) != self.post_url or inside(link, chrome_):
                continue
            linked = comment_page_of(url)
            label = f"{link.get('rel', '')} {link.text_content()} {link.get('class', '')}"
            if linked is None and not (OLDER.search(label) or NEWER.search(label)
                                       or label.strip().isdigit()):  # fmt: skip
                continue  # the post's own permalink, not a page link
            urls.append(url)
            if OLDER.search(label):
                older.append(linked or 1)
            elif NEWER.search(label):
                newer.append(linked or 1)
        if number is None:
            number = max(older) + 1 if older else (min(newer) - 1 if newer and min(newer) > 1 else 1)
        return number, tuple(dict.fromkeys(urls))

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


def _header(h1: HtmlElement | None) -> HtmlElement | None:
    """The element around the post's title, where its byline and date usually are."""
    parent = h1.getparent() if h1 is not None else None
    return parent if parent is not None and parent.tag not in ("body", "html") else h1


def _text_before(el: HtmlElement) -> str:
    previous = el.getprevious()
    if previous is not None:
        return previous.tail or ""
    parent = el.getparent()
    return (parent.text or "") if parent is not None else ""


def _clean(body: HtmlElement, skip: Collection[HtmlElement]) -> tuple[str, str]:
    """Text and sanitised HTML of `body` without what `skip` names and without scripts."""
    dropped = [el for el in skip if inside(el, [body]) and el is not body]
    if dropped or JUNK(body):
        marks = set(dropped)
        marked = []
        for el in body.iter():
            if el in marks:
                el.set("data-archiver-drop", "1")
                marked.append(el)
        body = copy.deepcopy(body)
        for el in marked:
            del el.attrib["data-archiver-drop"]
        for el in [*body.xpath("descendant::*[@data-archiver-drop]"), *JUNK(body)]:
            if el.getparent() is not None:
                el.drop_tree()
    return text_of(body), sanitize_html(inner_html(body), body.base_url or "")


# --- the structural comment finder ----------------------------------------------------

T, A, X = 1, 2, 4  # time-like, author-like, text
ALL = T | A | X


class _Finder:
    """One walk over the page's content, bottom-up: which elements are comments."""

    def __init__(self, root: HtmlElement, skip: list[HtmlElement]):
        self.root, self.skip = root, set(skip)
        self.flags: dict[HtmlElement, int] = {}
        self.found: list[HtmlElement] = []

    def blocks(self) -> list[HtmlElement]:
        _wrap_runs(self.root)
        body = self.root.find("body")
        if body is not None:
            self._walk(body, in_text=False)
        blocks = sorted(self.found, key=_order(self.root))
        groups = Counter(_signature(b) for b in blocks)
        return [b for b in blocks if groups[_signature(b)] > 1 or COMMENTISH.search(_names(b))]

    def _walk(self, el: HtmlElement, in_text: bool) -> int:
        tag = el.tag
        if not isinstance(tag, str) or el in self.skip or tag in CHROME_TAGS:
            return 0
        text_here = in_text or tag in TEXT_TAGS
        below = 0
        for child in el:
            below |= self._walk(child, text_here)
        own = below | _own_flags(el, tag, below, in_text)
        self.flags[el] = own
        if own & ALL == ALL and tag in BLOCK_TAGS:
            self.found.append(el)
            return 0  # a comment's features are its own: they make no comment of its parent
        return own


def _own_flags(el: HtmlElement, tag: str, below: int, in_text: bool) -> int:
    """What `el` itself is: a time, an author, a text (given what lies below it)."""
    flags = 0
    cls, ident, prop = el.get("class"), el.get("id"), el.get("itemprop")
    names = f"{cls or ''} {ident or ''} {prop or ''}" if cls or ident or prop else ""
    text = None
    if tag == "time" or el.get("datetime") or el.get("data-timestamp") or el.get("data-time"):
        flags |= T
    elif not below & T and tag in TIME_TAGS and len(el) <= 2:  # a short text, few children
        text = el.text_content()
        if len(text) <= SHORT and (DATE_TEXT.search(text) or (TIME_CLASS.search(names)
                                                               and any(c.isdigit() for c in text))):  # fmt: skip
            flags |= T
    named = names and not (flags | below) & T and AUTHOR_CLASS.search(names)
    linked = tag == "a" and not in_text and AUTHOR_RELS & set((el.get("rel") or "").split())
    if (named and not TEXT_CLASS.search(names)) or tag == "cite" or linked:
        text = el.text_content() if text is None else text
        if 0 < len(text.strip()) <= SHORT:
            flags |= A
    if not below & (T | A) and not flags & (T | A):
        if tag in TEXT_TAGS or (names and tag not in ("a", "span") and TEXT_CLASS.search(names)):
            text = el.text_content() if text is None else text
            if text.strip():
                flags |= X
        elif tag in BLOCK_TAGS and len(_own_text(el)) >= 20:
            flags |= X
    return flags


def _wrap_runs(root: HtmlElement) -> None:
    """Comments written as runs of siblings (``<dt>`` author, ``<dd>`` text, ``<dd>`` time:
    Blogger's classic layouts) become one element each, so they can be found like others."""
    for dl in list(root.iter("dl")):
        children = [c for c in dl if isinstance(c.tag, str)]
        if sum(c.tag == "dt" for c in children) < 1 or children[0].tag != "dt":
            continue
        runs: list[list[HtmlElement]] = []
        for child in children:
            if child.tag == "dt":
                runs.append([child])
            else:
                runs[-1].append(child)
        if not all(len(run) > 1 for run in runs):
            continue
        for run in runs:
            wrapper = Element("div", {"class": "archiver-run"})
            run[0].addprevious(wrapper)
            for el in run:
                wrapper.append(el)  # moves it, tail and all


def _own_text(el: HtmlElement) -> str:
    parts = [el.text or ""] + [child.tail or "" for child in el]
    return " ".join("".join(parts).split())


def _names(el: HtmlElement) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''} {el.get('itemprop') or ''}".strip()


def _signature(el: HtmlElement) -> str:
    kept = sorted(c for c in (el.get("class") or "").split() if not VARIABLE_CLASS.search(c))
    return el.tag + "." + ".".join(kept)


def _order(root: HtmlElement):  # document order of elements, for sorting
    index = {el: i for i, el in enumerate(root.iter())}
    return lambda el: index.get(el, 0)


def _post_like(block: HtmlElement) -> bool:
    """The post itself, not a comment: it holds the page's h1."""
    return block.find(".//h1") is not None


def _is_index(root: HtmlElement, skip: list[HtmlElement], url: str) -> bool:
    """A list of posts (teasers: headings linking to other pages), not one post."""
    own = permalink(url)
    teasers = 0
    for heading in TEASER_HEADINGS(root):
        if inside(heading, skip):
            continue
        links = [*heading.iter("a"), *(a for a in heading.iterancestors("a"))]
        hrefs = [absolute(a.get("href", ""), url) for a in links]
        if any(permalink(h) != own and not h.startswith("#") for h in hrefs):
            teasers += 1
    return teasers >= 2 and title_heading(root, skip, url) is None


def title_heading(root: HtmlElement, skip: Collection[HtmlElement], url: str) -> HtmlElement | None:
    """The post's title: an h1 (not the site name linking home), else a title h2/h3."""
    own = permalink(url)
    for heading in TITLES(root):
        if inside(heading, skip):
            continue
        anchors = [*heading.iter("a"), *heading.iterancestors("a")]
        links = [permalink(absolute(a.get("href", ""), url)) for a in anchors]
        if any(urlsplit(link).path in ("", "/") for link in links):
            continue  # the site's name, linking home
        if all(link == own for link in links) and text_of(heading).strip():
            return heading
    return None


def _looks_like_post(root: HtmlElement, skip: list[HtmlElement], url: str, post: Post) -> bool:
    """A page without comments is a post when it says so (og:type, a publication time)
    or has a title heading and a date."""
    if any(v.strip() == "article" for v in META(root, name="og:type")):
        return True
    if META(root, name="article:published_time"):
        return True
    return bool(post.published or post.published_raw) and title_heading(root, skip, url) is not None


def comment_area(blocks: list[HtmlElement]) -> list[HtmlElement]:
    """The elements holding the comments, to be left out of the post."""
    if not blocks:
        return []
    chain = list(blocks[0].iterancestors())
    level = {a: i for i, a in enumerate(chain)}
    deepest = 0
    for b in blocks[1:]:
        hit = next((level[a] for a in b.iterancestors() if a in level), len(chain))
        deepest = max(deepest, hit)
    lca = chain[deepest] if deepest < len(chain) else None
    if lca is not None and lca.tag not in ("body", "html", "main", "article", "h1") and len(blocks) > 1:
        bodies = [b for b in POST_BODIES(lca) if not inside(b, blocks)]
        bodies += [lca] if any(POST_BODY_CLASS.match(n) for n in _names(lca).split()) else []
        if lca.find(".//h1") is None and not bodies:  # not a column holding the post too
            return [lca]
    return list(blocks)


def _levels(blocks: list[HtmlElement]) -> list[float]:
    """Each comment's nesting level: depth classes or indentation if the page has them,
    else the number of comments and reply lists around it."""
    stated: list[float | None] = []
    for b in blocks:
        level = None
        for el in (b, *list(b.iterancestors())[:3]):
            for name in (el.get("class") or "").split():
                if found := LEVEL_CLASS.match(name):
                    level = float(found.group(1))
            if level is None and (found := INDENT_STYLE.search(el.get("style") or "")):
                level = float(found.group(1))
            if level is not None:
                break
        stated.append(level)
    if sum(s is not None for s in stated) * 2 > len(blocks) and len(set(stated)) > 1:
        return [s if s is not None else 0.0 for s in stated]
    members = set(blocks)
    levels = []
    for b in blocks:
        level = 0
        for a in b.iterancestors():
            nesting = any(NESTING_CLASS.search(n) for n in (a.get("class") or "").split())
            if a in members or a.tag in ("ul", "ol", "dl", "blockquote") or nesting:
                level += 1
        levels.append(float(level))
    return levels


def _comments(reader: PageReader, finder: _Finder, blocks: list[HtmlElement],
              warnings: list[str]) -> list[Comment]:  # fmt: skip
    """The comments in display order, each with its parent: the comment before it at the
    next shallower level."""
    parents: dict[HtmlElement, HtmlElement | None] = {}
    stack: list[tuple[float, HtmlElement]] = []
    for block, level in zip(blocks, _levels(blocks), strict=True):
        while stack and stack[-1][0] >= level:
            stack.pop()
        parents[block] = stack[-1][1] if stack else None
        stack.append((level, block))
    read = _CommentReader(reader, finder, parents)
    out: dict[HtmlElement, Comment] = {}
    for block in blocks:
        parent = out.get(parents[block])  # type: ignore[arg-type]
        out[block] = read.comment(block, parent, warnings)
    return list(out.values())


class _CommentReader:
    def __init__(self, reader: PageReader, finder: _Finder, parents: dict):
        self.reader, self.flags, self.parents = reader, finder.flags, parents
        self.members = set(parents)
        self.blocks = list(parents)  # display order
        self.index = {block: i for i, block in enumerate(self.blocks)}

    def has(self, el: HtmlElement, flag: int) -> bool:
        return bool(self.flags.get(el, 0) & flag)

    def comment(self, block: HtmlElement, parent: Comment | None, warnings: list[str]) -> Comment:
        own = _own_elements(block, self.members)
        authors = [el for el in own if self.has(el, A) and not self.has(el, T)]
        author_el = next((el for el in authors if el.tag != "a"), authors[0] if authors else None)
        time_el = next((el for el in own if el.tag == "time"), None)
        if time_el is None:
            time_el = next((el for el in own if self.has(el, T) and not self.has(el, A | X)), None)
        author = SAID.sub("", one_line(text_of(author_el))) or None if author_el is not None else None
        link = None
        if author_el is not None:
            link = author_el if author_el.tag == "a" else author_el.find(".//a[@href]")
        author_url = self.reader.url(link.get("href")) if link is not None else None
        published = raw = None
        if time_el is not None:
            value = next((time_el.get(a) for a in TIME_ATTRS if ISO_8601.match(time_el.get(a) or "")),
                         None)  # fmt: skip
            published, raw = self.reader.date(value or text_of(time_el))
        text, html = self.text(block, own, {author_el, time_el})
        ident, url = self.identity(block, own)
        if ident is None:  # a relative time ("2 hours ago") changes between crawls: not hashed
            ident = hashed_id(author, published if raw is None else STABLE_TIME.findall(raw), text)
        for name, value in (("author", author), ("time", published or raw), ("text", text)):
            if not value:
                warnings.append(f"comment {ident}: no {name}")
        return Comment(ident, parent.source_id if parent else None,
                       parent.depth + 1 if parent else 0, author, author_url, published, text,
                       html, url, published_raw=raw)  # fmt: skip

    def text(self, block: HtmlElement, own: list[HtmlElement], meta: set) -> tuple[str, str]:
        """The comment's words: its text element, else its paragraphs, else what is left
        of it without author, time, actions and replies."""
        pure = [el for el in own if self.has(el, X) and not self.has(el, T | A)]
        for el in pure:
            named = el.tag not in ("a", "span") and TEXT_CLASS.search(_names(el))
            if named and not any(m in self.members for m in el.iter()):
                return text_of(el), sanitize_html(inner_html(el), self.reader.base)
        paragraphs = [el for el in pure if el.tag in TEXT_TAGS]
        top = [p for p in paragraphs if not any(a in paragraphs for a in p.iterancestors())]
        if top:
            markup = "".join(etree.tostring(p, encoding="unicode", method="html", with_tail=False)
                             for p in top)  # fmt: skip
            return "\n\n".join(filter(None, map(text_of, top))), sanitize_html(markup, self.reader.base)
        clone = copy.deepcopy(block)
        mapping = dict(zip(block.iter(), clone.iter(), strict=False))
        for el in block.iter():
            drop = el is not block and (el in self.members or el in meta or el.tag == "img"
                                        or (el.tag in ("a", "span", "button") and ACTION_TEXT.match(el.text_content()))
                                        or (self.has(el, T | A) and not self.has(el, X)))  # fmt: skip
            if drop and (copied := mapping.get(el)) is not None and copied.getparent() is not None:
                copied.drop_tree()
        return text_of(clone), sanitize_html(inner_html(clone), self.reader.base)

    def identity(self, block: HtmlElement, own: list[HtmlElement]) -> tuple[str | None, str | None]:
        """The page's own id for the comment (element id, anchor, permalink) and its URL."""
        ids = [block.get("id")]
        for a in self._wrappers(block):
            ids.append(a.get("id"))
        ids += [el.get("id") or el.get("name") for el in own[:3] if el.tag == "a"]
        found = next((source_id(i) for i in ids if i and ELEMENT_ID.match(i)), None)
        for link in own:
            href = link.get("href", "") if link.tag == "a" else ""
            fragment = href.partition("#")[2]
            if not ELEMENT_ID.match(fragment) and "showComment" not in href:
                continue
            href = absolute(href, self.reader.base)
            if permalink(href) == self.reader.post_url or "showComment" in href:
                ident = source_id(href)
                if ident and (ident == found or (found is None and ELEMENT_ID.match(fragment))):
                    return ident, href
        if found is None:
            return None, None
        raw = next(i for i in ids if i and ELEMENT_ID.match(i))
        url = f"{self.reader.post_url}#{raw}"
        return found, url

    def _wrappers(self, block: HtmlElement) -> list[HtmlElement]:
        """The elements around `block` that hold it and its replies and no other comment
        (``li#comment-5`` around ``article#div-comment-5``)."""
        i = self.index[block]
        j = i + 1
        while j < len(self.blocks) and self._below(self.blocks[j], block):
            j += 1
        others = [self.blocks[k] for k in (i - 1, j) if 0 <= k < len(self.blocks)]
        fences = {a for other in others for a in other.iterancestors()}
        out = []
        for a in block.iterancestors():
            if a in fences:
                break
            out.append(a)
        return out

    def _below(self, member: HtmlElement, block: HtmlElement) -> bool:
        parent = self.parents.get(member)
        while parent is not None:
            if parent is block:
                return True
            parent = self.parents.get(parent)
        return False


def _own_elements(block: HtmlElement, members: set[HtmlElement]) -> list[HtmlElement]:
    """The block's elements in document order, without the replies inside it."""
    out = []
    stack = list(reversed(block))
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str) or el in members:
            continue
        out.append(el)
        stack.extend(reversed(el))
    return out
