"""microformats2: IndieWeb posts (``h-entry``) and their comments and webmention replies.

The post is the page's one top-level ``h-entry`` (``p-name``, ``p-author h-card``,
``dt-published``, ``dt-updated``, ``e-content``). Its comments are the ``h-cite`` /
``h-entry`` items of its ``p-comment`` / ``u-comment`` property (or child items without
a property), with replies nested the same way, plus ``h-entry`` / ``h-cite`` items
elsewhere on the page whose ``u-in-reply-to`` names the post or one of its comments.
A reply's parent is the comment it is nested in, else the comment its ``u-in-reply-to``
points at (by ``u-url``, ``u-uid`` or id). Likes, reposts and bookmarks are not comments.

mf2py (2.0, maintained) is not used: it parses with BeautifulSoup, and measured here
its parse alone takes ~55 ms on a 280 KB page of 150 h-cite comments (this module: ~18 ms
for the whole extraction) and 3-4 s on a 320 KB WordPress page, whose microformats-1
classes it also converts; it would add requests and html5lib to the dependencies.
``python -m tests.test_extract_microformats`` repeats the comparison.

Comment ids: the element ``id`` (``comment-17`` -> "17"), else ``u-uid``, else the
``u-url`` (its fragment when it points into this page, else the whole URL: a webmention's
source page), else a hash of (author, time, text).
"""

from __future__ import annotations

import re
from dataclasses import replace

from lxml.etree import XPath
from lxml.html import HtmlElement

from ..page import Page
from ..records import Comment, Thread
from ..sanitize import sanitize_html
from .chrome import COMMENTISH, chrome
from .detection import detect_markup
from .ids import hashed_id, source_id, with_depths
from .items import Item, first_prop, holding_title
from .markup import absolute, inner_html, inside, one_line, parse, text_of
from .post import comment_area
from .reader import PageReader

VERSION = 1
PLATFORM = "microformats"
EXTRACTOR = f"{PLATFORM}@{VERSION}"

CANDIDATES = XPath("//*[contains(@class, 'h-') or contains(@class, 'p-') or contains(@class, 'u-')"
                   " or contains(@class, 'dt-') or contains(@class, 'e-')]")  # fmt: skip
MF2_CLASS = re.compile(r"^(h|p|u|dt|e)-([a-z0-9]+(?:-[a-z0-9]+)*)$")
POST_TYPES = frozenset({"entry"})
COMMENT_TYPES = frozenset({"cite", "entry"})
NOT_COMMENTS = frozenset({"like-of", "repost-of", "bookmark-of", "like", "repost", "bookmark"})
TEXT = ("content", "summary")
TIME = ("published", "updated")
URL_ATTRS = {"a": "href", "area": "href", "link": "href", "img": "src", "audio": "src",
             "video": "src", "source": "src", "object": "data"}  # fmt: skip
DETECT_NEEDLES = ("h-entry",)  # no microformats2 post without it
DETECT_ENTRY = re.compile(r"class=[\"'][^\"']*\bh-entry\b")
DETECT_COMMENTS = re.compile(r"\b(?:p-comment|u-comment|h-cite|u-in-reply-to)\b")


def detect(page: Page) -> float:
    """0.85 for an ``h-entry`` with comment or reply markup, 0.55 for one without."""
    return detect_markup(page, DETECT_NEEDLES, DETECT_ENTRY, DETECT_COMMENTS)


def extract(page: Page) -> Thread | None:
    """The post and its comments; None when the page holds no single top-level h-entry."""
    if not page.is_html():
        return None
    root = parse(page)
    skip = chrome(root)
    items = _parse(root)
    post = _pick(root, skip, items)
    if post is None:
        return None
    reader = PageReader(page, root, skip)
    warnings: list[str] = []
    tree = _comment_items(post, items, reader, skip)
    made = {item: _comment(reader, item, warnings) for item, _ in tree}
    keys = {key: item for item in made for key in _keys(reader, item, made[item])}
    comments = []
    for item, parent in tree:
        if parent is None:  # not nested: its u-in-reply-to may name a comment
            target = next((keys[t] for t in _urls(reader, item, "in-reply-to") if t in keys), None)
            parent = target if target is not item else None
        comments.append(replace(made[item], parent_source_id=made[parent].source_id if parent else None))
    comments = with_depths(comments)
    author = first_prop(post, ("author",))
    known = {
        "title": _text(first_prop(post, ("name",))),
        "author": _person(reader, author)[0],
        "modified": reader.date(_date(first_prop(post, ("updated",))))[0],
    }
    known["published"], known["published_raw"] = reader.date(_date(first_prop(post, ("published",))))
    if known["title"] and len(known["title"]) > 200:  # a note: its implied name is its text
        known["title"] = None
    area = comment_area([item.el for item, _ in tree])
    body = first_prop(post, ("content",))
    body = body.el if isinstance(body, Item) else body
    post_record = reader.post(exclude=area, warnings=warnings, body=body,
                              **{k: v for k, v in known.items() if v})  # fmt: skip
    return reader.thread(post_record, PLATFORM, EXTRACTOR, comments, warnings)


def _parse(root: HtmlElement) -> list[Item]:
    """Every mf2 item in document order, with its properties and children."""
    scopes: dict[HtmlElement, Item] = {}
    found: list[Item] = []
    for order, el in enumerate(CANDIDATES(root)):
        tokens = [m.groups() for c in (el.get("class") or "").split() if (m := MF2_CLASS.match(c))]
        if not tokens:
            continue
        owner = next((scopes[a] for a in el.iterancestors() if a in scopes), None)
        types = frozenset(name for prefix, name in tokens if prefix == "h")
        value: Item | HtmlElement = el
        props = frozenset(name for prefix, name in tokens if prefix != "h")
        if types:
            value = scopes[el] = Item(el, types, order, owner=owner, as_props=props)
            found.append(value)
            if owner is not None and not props:
                owner.children.append(value)
        if owner is not None:
            for name in props:
                owner.props.setdefault(name, []).append(value)
    return found


def _pick(root: HtmlElement, skip: list, items: list[Item]) -> Item | None:
    posts = [i for i in items if i.types & POST_TYPES and i.owner is None and not inside(i.el, skip)]
    if len(posts) <= 1:
        return posts[0] if posts else None
    holding = holding_title(root, skip, posts)
    with_comments = [p for p in posts if "comment" in p.props]
    chosen = holding if len(holding) == 1 else with_comments
    return chosen[0] if len(chosen) == 1 else None  # an h-feed of several entries: an index


def _comment_items(post: Item, items: list[Item], reader: PageReader,
                   skip: list) -> list[tuple[Item, Item | None]]:  # fmt: skip
    """(comment, the comment it is nested in) for every comment, in document order."""
    found: dict[Item, Item | None] = {}

    def add(item: Item, parent: Item | None) -> None:
        if item in found or not item.types & COMMENT_TYPES or item.as_props & NOT_COMMENTS:
            return
        found[item] = parent
        for reply in _replies(item):
            add(reply, item)

    for item in _replies(post):
        add(item, None)
    targets = {reader.post_url, reader.page.url.split("#")[0]}
    for item in items:  # replies elsewhere on the page: by u-in-reply-to, or in a comments list
        if item in found or item is post or inside(item.el, skip) or not item.types & COMMENT_TYPES:
            continue
        if item.owner is not None and item.owner not in found:
            continue
        replying = set(_urls(reader, item, "in-reply-to"))
        listed = any(COMMENTISH.search(f"{a.get('class', '')} {a.get('id', '')}")
                     for a in item.el.iterancestors())  # fmt: skip
        if replying & targets or (item.owner is None and listed and "entry" not in item.types
                                  or replying and listed):  # fmt: skip
            add(item, item.owner)
    return sorted(found.items(), key=lambda pair: pair[0].order)


def _replies(item: Item) -> list[Item]:
    values = [v for name in ("comment", "comments") for v in item.props.get(name, ())]
    return [v for v in values if isinstance(v, Item)] + item.children


def _text(value: Item | HtmlElement | None) -> str | None:
    """A p-* value: title/value/alt attributes of some tags, else the text."""
    if value is None:
        return None
    if isinstance(value, Item):
        return _text(first_prop(value, ("name",))) or one_line(text_of(value.el)) or None
    el = value
    if el.tag in ("abbr", "link") and el.get("title"):
        return el.get("title").strip()
    if el.tag in ("data", "input") and el.get("value"):
        return el.get("value").strip()
    if el.tag in ("img", "area") and el.get("alt"):
        return el.get("alt").strip()
    return one_line(text_of(el)) or None


def _date(value: Item | HtmlElement | None) -> str | None:
    if value is None or isinstance(value, Item):
        return None
    parts = [v.get("datetime") or v.get("title") or v.get("value") or v.text_content()
             for v in value.iter() if "value" in (v.get("class") or "").split()]  # fmt: skip
    if parts:
        return " ".join(p.strip() for p in parts).replace(" ", "T", 1) if len(parts) == 2 else parts[0]
    for name in ("datetime", "title", "value"):
        if value.get(name) and value.tag in ("time", "ins", "del", "abbr", "data", "input"):
            return value.get(name).strip()
    return _text(value)


def _urls(reader: PageReader, item: Item, name: str) -> list[str]:
    out = []
    for value in item.props.get(name, ()):
        if isinstance(value, Item):
            value = first_prop(value, ("url",))
            if value is None or isinstance(value, Item):
                continue
        href = (value.get(URL_ATTRS.get(value.tag, "href")) or value.text_content()).strip()
        if href.startswith("#"):  # the common case, without urljoin
            out.append(reader.base.partition("#")[0] + href)
        elif href:
            out.append(absolute(href, reader.base))
    return out


def _person(reader: PageReader, value: Item | HtmlElement | None) -> tuple[str | None, str | None]:
    if isinstance(value, Item):
        url = next(iter(_urls(reader, value, "url")), None)
        if url is None and value.el.tag == "a":
            url = absolute(value.el.get("href", ""), reader.base)
        if url is None and len(links := value.el.findall(".//a[@href]")) == 1:
            url = absolute(links[0].get("href", ""), reader.base)
        return _text(value), reader.url(url)
    if value is None:
        return None, None
    return _text(value), reader.url(value.get("href")) if value.tag == "a" else None


def _comment(reader: PageReader, item: Item, warnings: list[str]) -> Comment:
    author, author_url = _person(reader, first_prop(item, ("author",)))
    published, raw = reader.date(_date(first_prop(item, TIME)))
    body = first_prop(item, TEXT)
    if isinstance(body, Item):
        body = body.el
    if body is not None:
        text, html = text_of(body), sanitize_html(inner_html(body), reader.base)
    else:
        text = _text(first_prop(item, ("name",))) or ""
        html = sanitize_html(text and f"<p>{text}</p>", reader.base)
    url = next(iter(_urls(reader, item, "url")), None)
    ident = source_id(item.el.get("id")) or _text(first_prop(item, ("uid",)))
    if ident is None and url:
        ident = source_id(url) if url.split("#")[0] in (reader.post_url, reader.page.url) else url
    ident = ident or hashed_id(author, published or raw, text)
    if url is None and item.el.get("id"):
        url = f"{reader.post_url}#{item.el.get('id')}"
    for name, value in (("author", author), ("time", published or raw), ("text", text)):
        if not value:
            warnings.append(f"comment {ident}: no {name}")
    return Comment(ident, None, 0, author, author_url, published, text, html, url,
                   published_raw=raw)  # fmt: skip


def _keys(reader: PageReader, item: Item, comment: Comment) -> set[str]:
    """What a u-in-reply-to may use to name this comment."""
    keys = set(_urls(reader, item, "url")) | {comment.permalink or ""}
    if item.el.get("id"):
        keys.add(f"{reader.post_url}#{item.el.get('id')}")
        keys.add(f"{reader.page.url.split('#')[0]}#{item.el.get('id')}")
    return keys - {""}
