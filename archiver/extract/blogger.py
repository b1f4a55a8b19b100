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
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from lxml import etree
from lxml.etree import XPath
from lxml.html import HtmlElement

from ..exceptions import ExtractionError
from ..page import Page
from ..records import Comment, Post, Thread
from ..sanitize import sanitize_html
from .dates import resolve_date
from .disqus import disqus_sources
from .markup import (
    absolute,
    attr,
    classes,
    css,
    drop,
    first,
    html_to_text,
    inner_html,
    one_line,
    parse,
    text_of,
    web_url,
)

VERSION = 1
PLATFORM = "blogger"
EXTRACTOR = f"{PLATFORM}@{VERSION}"

# --- selectors, most specific first ----------------------------------------------------
# Whole-page searches test tags and plain substrings only: a class-token test on every
# element of a 300 KB page costs about 1 ms per selector.
POST_OUTERS = XPath("//div[contains(@class, 'post-outer')]")  # one per post (v1 and v2 layouts)
POST_DIVS = XPath("//div[contains(@class, 'post')]")  # classic templates: div.post only
COMMENTS_AREA = XPath("id('comments')")
COMMENT_TAGS = ("li", "div", "dt")  # li.comment#c1 (threaded), div.comment#c1 (v2), dt#c1 (classic)
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
CANONICAL = XPath("/html/head/link[@rel='canonical']/@href")
FORM_IDS = XPath("(id('comment-editor') | id('comment-editor-src') | id('comment-form'))[1]")
COMMENT_FORM = XPath("descendant::div[contains(@class, 'comment-form')]"
                     " | descendant::a[contains(@href, '/comment.g?') or contains(@href, '/comment/fullpage/')"
                     " or contains(@href, 'comment-iframe.g')]")  # fmt: skip
COUNT_HEADING = XPath("descendant::h4 | descendant::h3[contains(@class, 'title')]"
                      " | descendant::h2[contains(@class, 'title')] | id('comment-count')")
PAGING_LINKS = XPath("descendant::*[contains(@class, 'paging-control') or contains(@class, 'comment-paging')]"
                     "/descendant-or-self::a[@href]")  # fmt: skip
# Fields of one comment, by class name (first element with it, outside nested replies).
FIELD_CLASSES = frozenset({"user", "datetime", "comment-content", "comment-author", "comment-body",
                           "comment-timestamp"})  # fmt: skip
NESTED = frozenset({"comment-replies", "comment-thread", "avatar-image-container", "comment-actions",
                    "item-control", "comment-replybox-single", "continue"})  # fmt: skip

COMMENT_ID = re.compile(r"^c(\d+)$")
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
SHOW_COMMENT = re.compile(r"[?&]showComment=(\d{10,13})")
COMMENT_PAGE = re.compile(r"[?&]commentPage=(\d+)")
SAID = re.compile(r"\s*\b(?:said|says|wrote|dijo|disse|ha detto|a dit|hat gesagt|sagte|zei|schreef|"
                  r"escribió|escreveu)\s*(?:\.\.\.|…)?\s*:?\s*$", re.IGNORECASE)  # fmt: skip
POSTED_BY = re.compile(r"\b(?:posted|post[ée]|publicado|gepostet|eingestellt|pubblicato|geplaatst)\s+"
                       r"(?:by|par|por|von|da|door)\s+(.+?)\s+(?:at|à|a las|às|um|alle|om|on)\b", re.IGNORECASE)  # fmt: skip
COUNT = re.compile(r"^\D{0,3}?(\d[\d,.]*)\s+\w|^(no|keine|aucun|ningún|nessun|geen|nenhum|sin|sem)\b",
                   re.IGNORECASE)  # fmt: skip
FEED_PATH = re.compile(r"/feeds/(?:\d+/)?(\d+)/comments/default/?$")
FEED_ID = re.compile(r"\.post-(\d+)$")
RELATED_ID = re.compile(r"/comments/default/(\d+)")
CALLBACK = re.compile(r"^[^{]*?\(\s*(\{.*\})\s*\)\s*;?\s*$", re.DOTALL)  # alt=json-in-script
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
    if not page.is_html():
        return 0.0
    text = page.text
    return min(1.0, sum(weight for pattern, weight in DETECT_SIGNALS if pattern.search(text)))


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
        canonical = CANONICAL(root)
        self.post_url = _strip(absolute(canonical[0], page.url) if canonical else page.url)
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
        title = one_line(text_of(first(container, *POST_TITLE))) or _meta(META_TITLE, self.root)
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
        nodes: dict[HtmlElement, str] = {}
        for node in scope.iter(COMMENT_TAGS):
            found = COMMENT_ID.match(node.get("id") or "")
            if node.tag == "dt" and found is None:  # old classic: only <a name="c123">
                found = next((m for a in node.iter("a") if (m := COMMENT_ID.match(a.get("name") or ""))), None)
            if found is None or (node.tag != "dt" and "comment" not in classes(node)):
                continue
            nodes[node] = found.group(1)
        comments: list[Comment] = []
        depth_of: dict[str, int] = {}
        for node, source_id in nodes.items():
            parent = None
            for above in node.iterancestors():
                if above is scope or (parent := nodes.get(above)) is not None:
                    break
            depth_of[source_id] = depth_of.get(parent, -1) + 1 if parent else 0
            comments.append(self._comment(node, source_id, parent, depth_of[source_id], nodes))
        return tuple(comments)

    def _comment(self, node: HtmlElement, source_id: str, parent: str | None, depth: int,
                 nodes: dict[HtmlElement, str]) -> Comment:  # fmt: skip
        fields = _fields(node, nodes)
        warn = self.warnings.append
        author_el = _pick(fields, "cite", "comment-author", "user")
        author = SAID.sub("", one_line(text_of(author_el))) or None
        link = next((a for a in author_el.iter("a") if a.get("href")), None) if author_el is not None else None
        stamp = _pick(fields, "datetime", "comment-timestamp")
        stamp_link = next(stamp.iter("a"), None) if stamp is not None else None
        href = attr(stamp_link, "href")
        raw = one_line(text_of(stamp_link if stamp_link is not None else stamp)) or None
        epoch = SHOW_COMMENT.search(href or "")
        if epoch:
            when = datetime.fromtimestamp(int(epoch.group(1)[:10]), UTC)
            published: str | None = when.astimezone(self.zone or UTC).isoformat()
        else:
            published, raw = resolve_date(raw, self.page.fetched_at, tz=self.zone)
            if raw and not published:
                warn(f"comment {source_id}: unreadable date {raw!r}")
        if published is None and raw is None:
            warn(f"comment {source_id}: no date")
        content = _pick(fields, "comment-content", "comment-body")
        text = text_of(content)
        if not author:
            warn(f"comment {source_id}: no author")
        if not text:
            warn(f"comment {source_id}: no text")
        return Comment(
            source_id=source_id,
            parent_source_id=parent,
            depth=depth,
            author=author,
            author_url=web_url(attr(link, "href"), self.page.url),
            published=published,
            text=text,
            html=sanitize_html(inner_html(content), self.page.url) if content is not None else "",
            permalink=absolute(href, self.page.url) if href else f"{self.post_url}#c{source_id}",
            published_raw=raw,
        )

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


def _fields(node: HtmlElement, nodes: dict[HtmlElement, str]) -> dict[str, HtmlElement]:
    """The first element of each field class in one comment's own markup (never in its
    replies or avatar); for a classic ``<dt>``, the ``<dd>`` elements after it too."""
    found: dict[str, HtmlElement] = {}
    if node.tag == "dt":  # <dt> author, <dd class="comment-body">, <dd class="comment-footer">
        found["comment-author"] = node
        parts = []
        sibling = node.getnext()
        while sibling is not None and sibling.tag != "dt":
            parts.append(sibling)
            sibling = sibling.getnext()
    else:  # threaded and v2: the comment's own .comment-block holds every field
        parts = [c for c in node if "comment-block" in (c.get("class") or "")][:1]
    for part in parts:  # no replies in there: every element counts
        for el in part.iter(etree.Element):
            if (names := el.get("class")) or el.tag == "cite":
                _note(found, el, names)
    if node.tag != "dt" and not parts:  # no .comment-block: walk around replies and avatar
        stack = [node]
        while stack:
            el = stack.pop()
            if el is not node and (el in nodes or NESTED.intersection((el.get("class") or "").split())):
                continue
            _note(found, el, el.get("class"))
            stack.extend(child for child in reversed(el) if isinstance(child.tag, str))
    return found


def _note(found: dict[str, HtmlElement], el: HtmlElement, names: str | None) -> None:
    if el.tag == "cite":
        found.setdefault("cite", el)
    if names:
        split = names.split()
        for name in FIELD_CLASSES.intersection(split):
            if name != "user" or "icon" not in split:  # <span class="icon user">
                found.setdefault(name, el)


def _pick(fields: dict[str, HtmlElement], *names: str) -> HtmlElement | None:
    """The element of the first of `names` found (elements are falsy when childless)."""
    return next((fields[name] for name in names if name in fields), None)


def _meta(xpath: XPath, root: HtmlElement) -> str | None:
    return next((" ".join(v.split()) for v in xpath(root) if v.strip()), None)


# --- the comment feed ----------------------------------------------------------------------
def accepts_source(url: str) -> bool:
    """True for a post's comment feed (``/feeds/[BLOGID/]POSTID/comments/default``)."""
    return bool(FEED_PATH.search(urlsplit(url).path))


def extract_source(page: Page, post: Post) -> Thread:
    """The comments of `post` in one page of its JSON comment feed (a supplement).

    Raises `ExtractionError` when the answer is not a Blogger JSON feed.
    """
    if page.status >= 400:
        raise ExtractionError(page.url, PLATFORM, f"comment feed answered HTTP {page.status}")
    text = page.text.strip()
    if not text.startswith("{") and (wrapped := CALLBACK.match(text)):
        text = wrapped.group(1)
    try:
        feed = json.loads(text).get("feed")
    except (ValueError, AttributeError):
        feed = None
    if not isinstance(feed, dict):
        raise ExtractionError(page.url, PLATFORM, "not a Blogger JSON comment feed")
    post_match = FEED_PATH.search(urlsplit(page.url).path)
    post_id = post_match.group(1) if post_match else None
    warnings: list[str] = []
    entries = [c for e in feed.get("entry") or [] if (c := _entry(e, post, post_id, warnings))]
    entries.sort(key=_instant)  # the feed sends newest first; threads read oldest first
    query = parse_qs(urlsplit(page.url).query)
    start = _number(query.get("start-index"), 1)
    size = _number(query.get("max-results"), 0) or max(len(entries), 1)
    total = _text(feed.get("openSearch$totalResults"))
    return Thread(
        post, PLATFORM, EXTRACTOR, _tree(entries),
        comment_page=(start - 1) // size + 1,
        comment_page_urls=_next_page(feed, page.url, start),
        stated_comment_count=int(total) if total.isdigit() else None,
        warnings=tuple(warnings),
        supplement=True,
    )  # fmt: skip


def _entry(entry: object, post: Post, post_id: str | None, warnings: list[str]) -> Comment | None:
    found = FEED_ID.search(_text(entry.get("id"))) if isinstance(entry, dict) else None
    if found is None or not isinstance(entry, dict):
        warnings.append("feed entry without a comment id")
        return None
    source_id = found.group(1)
    links = {link.get("rel"): str(link.get("href", "")) for link in _dicts(entry.get("link"))}
    parent = RELATED_ID.search(links.get("related", ""))
    reply_to = FEED_ID.search(_text(next(iter(_dicts([entry.get("thr$in-reply-to")])), {}).get("ref")))
    parent_id = parent.group(1) if parent else None
    if parent_id is None and reply_to and reply_to.group(1) != post_id:
        parent_id = reply_to.group(1)
    author = next(iter(_dicts(entry.get("author"))), {})
    html = _text(entry.get("content")) or _text(entry.get("summary"))
    permalink = links.get("alternate") or None
    if permalink:  # the same permalink the page gives, on the host the post was read from
        parts, own = urlsplit(permalink), urlsplit(post.url)
        permalink = urlunsplit((own.scheme, own.netloc, own.path, parts.query, parts.fragment))
    published, raw = resolve_date(_text(entry.get("published")), None)
    text = html_to_text(html)
    if not text:
        warnings.append(f"comment {source_id}: no text")
    return Comment(source_id, parent_id, 0, _text(author.get("name")) or None,
                   web_url(_text(author.get("uri")), post.url), published, text,
                   sanitize_html(html, post.url), permalink, raw)  # fmt: skip


def _tree(comments: list[Comment]) -> tuple[Comment, ...]:
    """Replies under their parents (depth-first), with depths; a reply whose parent is on
    another feed page stays at depth 1."""
    ids = {c.source_id for c in comments}
    children: dict[str | None, list[Comment]] = {}
    for c in comments:
        children.setdefault(c.parent_source_id if c.parent_source_id in ids else None, []).append(c)
    out: list[Comment] = []

    def walk(parent: str | None, depth: int) -> None:
        for c in children.get(parent, []):
            level = depth if parent or c.parent_source_id is None else 1
            out.append(replace(c, depth=level))
            walk(c.source_id, level + 1)

    walk(None, 0)
    return tuple(out)


def _instant(comment: Comment) -> datetime:
    try:
        return datetime.fromisoformat(comment.published or "")
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def _dicts(value: object) -> list[dict]:
    """The dicts of a JSON list (or the one dict given): feeds in the wild are untidy."""
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def _number(values: list[str] | None, default: int) -> int:
    value = (values or [""])[0]
    return int(value) if value.isdigit() else default


def _next_page(feed: dict, url: str, start: int) -> tuple[str, ...]:
    """The feed's next page, asked of the host the feed was read from (Blogger names
    ``www.blogger.com/feeds/BLOGID/…``; the blog's own host answers the same query)."""
    href = next((str(link.get("href", "")) for link in _dicts(feed.get("link")) if link.get("rel") == "next"), "")
    wanted = parse_qs(urlsplit(href).query)
    following = (wanted.get("start-index") or [""])[0]
    if not following.isdigit() or int(following) <= start:
        return ()
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    query.update({k: v for k, v in wanted.items() if k in ("start-index", "max-results")})
    query.setdefault("alt", ["json"])
    return (urlunsplit(parts._replace(query=urlencode(query, doseq=True))),)


def _text(value: object) -> str:
    """``{"$t": "…"}`` as a stripped string."""
    if isinstance(value, dict):
        value = value.get("$t")
    return str(value).strip() if value is not None else ""
