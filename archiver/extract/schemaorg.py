"""schema.org: posts and comments marked up as microdata or JSON-LD.

Microdata: a ``BlogPosting`` / ``Article`` / ``SocialMediaPosting`` item whose
``itemprop="comment"`` children are ``Comment`` (or ``UserComments``) items, replies
nested as their own ``comment`` properties or linked by ``parentItem``; Comment items
outside the post's scope (a comments section after the article) count too, unless they
sit in a sidebar or widget. JSON-LD: ``<script type="application/ld+json">``, ``@graph``
too, with the post's ``comment`` array (nested ``comment`` or ``parentItem``).
Microdata wins when both carry comments: it is what the page displays, in order.
JSON-LD is read by `schemaorg_jsonld`.

Comment ids: the platform's own where visible (``itemid`` or ``@id`` fragment, element
``id``, ``url`` fragment or ``identifier``), else a hash of (author, time, text).
"""

from __future__ import annotations

import re
from dataclasses import replace

from lxml.etree import XPath
from lxml.html import HtmlElement

from ..page import Page
from ..records import Comment, Thread
from ..sanitize import sanitize_html
from .chrome import chrome
from .detection import detect_markup
from .ids import hashed_id, source_id, with_depths
from .items import Item, first_prop, holding_title
from .markup import inner_html, inside, one_line, parse, plain_to_html, text_of
from .post import comment_area
from .reader import PageReader
from .schemaorg_jsonld import (
    COMMENT_TYPES,
    POST_TYPES,
    comments_from_nodes,
    json_ld_nodes,
    node_post_fields,
    pick_node,
)

VERSION = 1
PLATFORM = "schemaorg"
EXTRACTOR = f"{PLATFORM}@{VERSION}"

MICRODATA = XPath("//*[@itemscope or @itemprop]")
# Property names, most specific first.
AUTHOR = ("author", "creator", "commenter")
NAME = ("name", "alternateName")
TIME = ("dateCreated", "datePublished", "commentTime", "uploadDate")
TEXT = ("text", "commentText", "articleBody", "description")
TITLE = ("headline", "name")
URL_TAGS = {"a": "href", "link": "href", "area": "href", "img": "src", "object": "data",
            "audio": "src", "video": "src", "source": "src", "iframe": "src", "embed": "src"}  # fmt: skip

DETECT_NEEDLES = ("schema.org", "@type")  # no schema.org markup without one of these
TYPE_NAMES = "|".join(sorted(POST_TYPES))
DETECT_POST = re.compile(rf"itemtype=[\"']?https?://schema\.org/(?:{TYPE_NAMES})\b"
                         rf"|\"@type\"\s*:\s*\[?\s*\"(?:{TYPE_NAMES})\"", re.IGNORECASE)  # fmt: skip
DETECT_COMMENTS = re.compile(r"itemprop=[\"']?comment\b|itemtype=[\"']?https?://schema\.org/"
                             r"(?:Comment|UserComments)\b|\"@type\"\s*:\s*\"(?:Comment|UserComments)\""
                             r"|\"comment\"\s*:\s*[\[{]", re.IGNORECASE)  # fmt: skip


def detect(page: Page) -> float:
    """0.85 for a schema.org post with comment markup, 0.55 for one without."""
    return detect_markup(page, DETECT_NEEDLES, DETECT_POST, DETECT_COMMENTS)


def extract(page: Page) -> Thread | None:
    """The post and its comments; None when the page holds no single schema.org post."""
    if not page.is_html():
        return None
    root = parse(page)
    skip = chrome(root)
    reader = PageReader(page, root, skip)
    warnings: list[str] = []
    items = _microdata(root)
    nodes = json_ld_nodes(root, warnings)
    post_item = _pick(root, skip, [i for i in items if i.types & POST_TYPES and not inside(i.el, skip)])
    post_node = pick_node(nodes, reader.post_url)
    if post_item is None and post_node is None:
        return None
    comments: list[Comment] = []
    area: list[HtmlElement] = []
    if post_item is not None:
        tree = _comment_items(post_item, items, skip)
        made = {item: _from_item(reader, item, warnings) for item, _ in tree}
        comments = [replace(made[item], parent_source_id=made[parent].source_id)
                    if parent in made else made[item] for item, parent in tree]  # fmt: skip
        area = comment_area([item.el for item, _ in tree])
    if not comments and post_node is not None:
        comments = comments_from_nodes(reader, post_node, nodes, warnings)
    known = _post_fields(post_item, post_node, reader)
    body = first_prop(post_item, ("articleBody",)) if post_item is not None else None
    body = body if isinstance(body, HtmlElement) and body.tag != "meta" else None
    post = reader.post(exclude=area, warnings=warnings, body=body, **known)
    comments = with_depths(comments)
    count = _count(post_item, post_node)
    return reader.thread(post, PLATFORM, EXTRACTOR, comments, warnings, stated=count)


# --- microdata --------------------------------------------------------------------------


def _microdata(root: HtmlElement) -> list[Item]:
    """Every microdata item, in document order, with its properties."""
    scopes: dict[HtmlElement, Item] = {}
    found: list[Item] = []
    for order, el in enumerate(MICRODATA(root)):
        owner = next((scopes[a] for a in el.iterancestors() if a in scopes), None)
        value: Item | HtmlElement = el
        if el.get("itemscope") is not None:
            types = frozenset(t.rstrip("/").rsplit("/", 1)[-1] for t in (el.get("itemtype") or "").split())
            value = scopes[el] = Item(el, types, order)
            found.append(value)
        names = (el.get("itemprop") or "").split()
        if owner is not None and names:
            for name in names:
                owner.props.setdefault(name, []).append(value)
            if isinstance(value, Item):
                value.owner = owner
    return found


def _pick(root: HtmlElement, skip: list, posts: list[Item]) -> Item | None:
    """The page's one post item: the one with comments, or the one holding the h1."""
    posts = [p for p in posts if not (p.owner and p.owner.types & POST_TYPES)]
    if len(posts) <= 1:
        return posts[0] if posts else None
    with_comments = [p for p in posts if "comment" in p.props]
    if len(with_comments) == 1:
        return with_comments[0]
    holding = holding_title(root, skip, posts)
    return holding[0] if len(holding) == 1 else None  # several posts: an index


def _comment_items(post: Item, items: list[Item], skip: list) -> list[tuple[Item, Item | None]]:
    """(comment, parent comment) in display order: the post's comments and their replies,
    and Comment items outside the post (not in page chrome)."""
    comments: dict[Item, Item | None] = {}

    def add(item: Item, parent: Item | None) -> None:
        if item in comments:
            return
        comments[item] = parent
        for reply in item.props.get("comment", ()):
            if isinstance(reply, Item):
                add(reply, item)

    for item in post.props.get("comment", ()):
        if isinstance(item, Item):
            add(item, None)
    for item in items:
        if item.types & COMMENT_TYPES and item.owner is None and not inside(item.el, skip):
            holder = next((c for c in comments if inside(item.el, [c.el])), None)
            add(item, holder)
    by_url = {}
    for item in comments:
        for key in (item.el.get("itemid"), _url(first_prop(item, ("url",))), item.el.get("id")):
            if key:
                by_url[source_id(key)] = item
    for item in comments:  # parentItem: a reply placed outside its parent
        target = first_prop(item, ("parentItem",))
        if isinstance(target, Item):
            comments[item] = target if target in comments else _lookup(target, by_url)
        elif target is not None:
            comments[item] = by_url.get(source_id(_url(target) or text_of(target)))
    return sorted(comments.items(), key=lambda pair: pair[0].order)


def _lookup(target: Item, by_url: dict) -> Item | None:
    key = target.el.get("itemid") or _url(first_prop(target, ("url",)))
    return by_url.get(source_id(key)) if key else None


def _value(el: Item | HtmlElement | None) -> str | None:
    """A property's value as text (content, datetime, URL attributes, or its text)."""
    if el is None:
        return None
    if isinstance(el, Item):
        return one_line(text_of(first_prop(el, NAME))) or one_line(text_of(el.el)) or None  # type: ignore[arg-type]
    for name in ("content", "datetime", "value"):
        if el.get(name):
            return el.get(name).strip()
    if el.tag in URL_TAGS:
        return (el.get(URL_TAGS[el.tag]) or "").strip() or None
    return one_line(text_of(el)) or None


def _url(el: Item | HtmlElement | None) -> str | None:
    if el is None or isinstance(el, Item):
        return None
    return (el.get("href") or el.get("content") or el.get("src") or "").strip() or None


def _person(reader: PageReader, value: Item | HtmlElement | None) -> tuple[str | None, str | None]:
    if isinstance(value, Item):
        name = _value(first_prop(value, NAME)) or one_line(text_of(value.el)) or None
        return name, reader.url(_url(first_prop(value, ("url", "sameAs"))))
    if value is None:
        return None, None
    return _value(value), reader.url(value.get("href")) if value.tag == "a" else None


def _from_item(reader: PageReader, item: Item, warnings: list) -> Comment:
    author, author_url = _person(reader, first_prop(item, AUTHOR))
    published, raw = reader.date(_value(first_prop(item, TIME)))
    body = first_prop(item, TEXT)
    if isinstance(body, Item):
        body = body.el
    if body is None:
        text, html = "", ""
    elif body.tag == "meta":
        text = body.get("content", "").strip()
        html = plain_to_html(text)
    else:
        text, html = text_of(body), sanitize_html(inner_html(body), reader.base)
    url = reader.url(_url(first_prop(item, ("url",))))
    ident = _item_id(item, url)
    if ident is None:
        ident = hashed_id(author, published or raw, text)
    if url is None and item.el.get("id"):
        url = f"{reader.post_url}#{item.el.get('id')}"
    for name, value in (("author", author), ("time", published or raw), ("text", text)):
        if not value:
            warnings.append(f"comment {ident}: no {name}")
    return Comment(ident, None, 0, author, author_url, published, text, html, url,
                   published_raw=raw)  # fmt: skip


def _item_id(item: Item, url: str | None) -> str | None:
    """The comment's own id: ``itemid``, element ``id``, ``url`` fragment or ``identifier``."""
    url = url if url and ("#" in url or "?" in url) else None
    for raw in (item.el.get("itemid"), item.el.get("id"), url, _value(first_prop(item, ("identifier",)))):
        if raw and (ident := source_id(raw)):
            return ident
    return None


# --- the post ---------------------------------------------------------------------------


def _post_fields(item: Item | None, node: dict | None, reader: PageReader) -> dict[str, str | None]:
    fields: dict[str, str | None] = {}
    if item is not None:
        fields["title"] = _value(first_prop(item, TITLE))
        fields["author"] = _person(reader, first_prop(item, AUTHOR))[0]
        fields["published"], fields["published_raw"] = reader.date(_value(first_prop(item, ("datePublished", "dateCreated"))))
        fields["modified"] = reader.date(_value(first_prop(item, ("dateModified",))))[0]
    if node is not None:
        for name, value in node_post_fields(node, reader).items():
            fields[name] = fields.get(name) or value
    return {k: v for k, v in fields.items() if v}


def _count(item: Item | None, node: dict | None) -> int | None:
    for value in (_value(first_prop(item, ("commentCount",))), node.get("commentCount") if node else None):
        if value is not None and str(value).strip().isdigit():
            return int(str(value).strip())
    return None
