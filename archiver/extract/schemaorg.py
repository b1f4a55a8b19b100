"""schema.org: posts and comments marked up as microdata or JSON-LD.

Microdata: a ``BlogPosting`` / ``Article`` / ``SocialMediaPosting`` item whose
``itemprop="comment"`` children are ``Comment`` (or ``UserComments``) items, replies
nested as their own ``comment`` properties or linked by ``parentItem``; Comment items
outside the post's scope (a comments section after the article) count too, unless they
sit in a sidebar or widget. JSON-LD: ``<script type="application/ld+json">``, ``@graph``
too, with the post's ``comment`` array (nested ``comment`` or ``parentItem``).
Microdata wins when both carry comments: it is what the page displays, in order.

Comment ids: the platform's own where visible (``itemid`` or ``@id`` fragment, element
``id``, ``url`` fragment or ``identifier``), else a hash of (author, time, text).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace

from lxml.etree import XPath
from lxml.html import HtmlElement

from ..page import Page
from ..records import Comment, Thread
from ..sanitize import sanitize_html
from .generic import (
    PageReader,
    chrome,
    comment_area,
    hashed_id,
    inside,
    plain_to_html,
    source_id,
    with_depths,
)
from .markup import html_to_text, inner_html, one_line, parse, text_of

VERSION = 1
PLATFORM = "schemaorg"
EXTRACTOR = f"{PLATFORM}@{VERSION}"

POST_TYPES = frozenset({"BlogPosting", "Article", "NewsArticle", "SocialMediaPosting", "Report",
                        "DiscussionForumPosting", "TechArticle", "LiveBlogPosting", "Posting"})  # fmt: skip
COMMENT_TYPES = frozenset({"Comment", "UserComments", "Answer"})
MICRODATA = XPath("//*[@itemscope or @itemprop]")
JSON_LD = XPath("//script[@type='application/ld+json']")
H1 = XPath("//h1")
# Property names, most specific first.
AUTHOR = ("author", "creator", "commenter")
NAME = ("name", "alternateName")
TIME = ("dateCreated", "datePublished", "commentTime", "uploadDate")
TEXT = ("text", "commentText", "articleBody", "description")
TITLE = ("headline", "name")
HTML_TEXT = re.compile(r"<(?:p|br|a|em|strong|blockquote|ul|ol|li|div)\b[^>]*>|</p>", re.IGNORECASE)
URL_TAGS = {"a": "href", "link": "href", "area": "href", "img": "src", "object": "data",
            "audio": "src", "video": "src", "source": "src", "iframe": "src", "embed": "src"}  # fmt: skip

TYPE_NAMES = "|".join(sorted(POST_TYPES))
DETECT_POST = re.compile(rf"itemtype=[\"']?https?://schema\.org/(?:{TYPE_NAMES})\b"
                         rf"|\"@type\"\s*:\s*\[?\s*\"(?:{TYPE_NAMES})\"", re.IGNORECASE)  # fmt: skip
DETECT_COMMENTS = re.compile(r"itemprop=[\"']?comment\b|itemtype=[\"']?https?://schema\.org/"
                             r"(?:Comment|UserComments)\b|\"@type\"\s*:\s*\"(?:Comment|UserComments)\""
                             r"|\"comment\"\s*:\s*[\[{]", re.IGNORECASE)  # fmt: skip


def detect(page: Page) -> float:
    """0.85 for a schema.org post with comment markup, 0.55 for one without."""
    if not page.is_html():
        return 0.0
    text = page.text
    # A substring test is ~100x cheaper than the case-insensitive regex on a
    # 300 KB page, and most pages carry no schema.org markup at all.
    if "schema.org" not in text and "@type" not in text:
        return 0.0
    if not DETECT_POST.search(text):
        return 0.0
    return 0.85 if DETECT_COMMENTS.search(text) else 0.55


def extract(page: Page) -> Thread | None:
    """The post and its comments; None when the page holds no single schema.org post."""
    if not page.is_html():
        return None
    root = parse(page)
    skip = chrome(root)
    reader = PageReader(page, root, skip)
    warnings: list[str] = []
    items = _microdata(root)
    nodes = _json_ld(root, warnings)
    post_item = _pick(root, skip, [i for i in items if i.types & POST_TYPES and not inside(i.el, skip)])
    post_node = _pick_node(nodes, reader.post_url)
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
        comments = _from_nodes(reader, post_node, nodes, warnings)
    known = _post_fields(post_item, post_node, reader)
    body = _first(post_item, ("articleBody",)) if post_item is not None else None
    body = body if isinstance(body, HtmlElement) and body.tag != "meta" else None
    post = reader.post(exclude=area, warnings=warnings, body=body, **known)
    comments = with_depths(comments)
    count = _count(post_item, post_node)
    return reader.thread(post, PLATFORM, EXTRACTOR, comments, warnings, stated=count)


# --- microdata --------------------------------------------------------------------------


@dataclass(eq=False)
class _Item:
    el: HtmlElement
    types: frozenset[str]
    order: int
    props: dict[str, list[_Item | HtmlElement]] = field(default_factory=dict)
    owner: _Item | None = None  # the item this one is a property of


def _microdata(root: HtmlElement) -> list[_Item]:
    """Every microdata item, in document order, with its properties."""
    scopes: dict[HtmlElement, _Item] = {}
    found: list[_Item] = []
    for order, el in enumerate(MICRODATA(root)):
        owner = next((scopes[a] for a in el.iterancestors() if a in scopes), None)
        value: _Item | HtmlElement = el
        if el.get("itemscope") is not None:
            types = frozenset(t.rstrip("/").rsplit("/", 1)[-1] for t in (el.get("itemtype") or "").split())
            value = scopes[el] = _Item(el, types, order)
            found.append(value)
        names = (el.get("itemprop") or "").split()
        if owner is not None and names:
            for name in names:
                owner.props.setdefault(name, []).append(value)
            if isinstance(value, _Item):
                value.owner = owner
    return found


def _pick(root: HtmlElement, skip: list, posts: list[_Item]) -> _Item | None:
    """The page's one post item: the one with comments, or the one holding the h1."""
    posts = [p for p in posts if not (p.owner and p.owner.types & POST_TYPES)]
    if len(posts) <= 1:
        return posts[0] if posts else None
    with_comments = [p for p in posts if "comment" in p.props]
    if len(with_comments) == 1:
        return with_comments[0]
    h1 = next((h for h in H1(root) if not inside(h, skip)), None)
    holding = [p for p in posts if h1 is not None and inside(h1, [p.el])]
    return holding[0] if len(holding) == 1 else None  # several posts: an index


def _comment_items(post: _Item, items: list[_Item], skip: list) -> list[tuple[_Item, _Item | None]]:
    """(comment, parent comment) in display order: the post's comments and their replies,
    and Comment items outside the post (not in page chrome)."""
    comments: dict[_Item, _Item | None] = {}

    def add(item: _Item, parent: _Item | None) -> None:
        if item in comments:
            return
        comments[item] = parent
        for reply in item.props.get("comment", ()):
            if isinstance(reply, _Item):
                add(reply, item)

    for item in post.props.get("comment", ()):
        if isinstance(item, _Item):
            add(item, None)
    for item in items:
        if item.types & COMMENT_TYPES and item.owner is None and not inside(item.el, skip):
            holder = next((c for c in comments if inside(item.el, [c.el])), None)
            add(item, holder)
    by_url = {}
    for item in comments:
        for key in (item.el.get("itemid"), _url(_first(item, ("url",))), item.el.get("id")):
            if key:
                by_url[source_id(key)] = item
    for item in comments:  # parentItem: a reply placed outside its parent
        target = _first(item, ("parentItem",))
        if isinstance(target, _Item):
            comments[item] = target if target in comments else _lookup(target, by_url)
        elif target is not None:
            comments[item] = by_url.get(source_id(_url(target) or text_of(target)))
    return sorted(comments.items(), key=lambda pair: pair[0].order)


def _lookup(target: _Item, by_url: dict) -> _Item | None:
    key = target.el.get("itemid") or _url(_first(target, ("url",)))
    return by_url.get(source_id(key)) if key else None


def _first(item: _Item | None, names: tuple[str, ...]) -> _Item | HtmlElement | None:
    for name in names:
        if item is not None and item.props.get(name):
            return item.props[name][0]
    return None


def _value(el: _Item | HtmlElement | None) -> str | None:
    """A property's value as text (content, datetime, URL attributes, or its text)."""
    if el is None:
        return None
    if isinstance(el, _Item):
        return one_line(text_of(_first(el, NAME))) or one_line(text_of(el.el)) or None  # type: ignore[arg-type]
    for name in ("content", "datetime", "value"):
        if el.get(name):
            return el.get(name).strip()
    if el.tag in URL_TAGS:
        return (el.get(URL_TAGS[el.tag]) or "").strip() or None
    return one_line(text_of(el)) or None


def _url(el: _Item | HtmlElement | None) -> str | None:
    if el is None or isinstance(el, _Item):
        return None
    return (el.get("href") or el.get("content") or el.get("src") or "").strip() or None


def _person(reader: PageReader, value: _Item | HtmlElement | None) -> tuple[str | None, str | None]:
    if isinstance(value, _Item):
        name = _value(_first(value, NAME)) or one_line(text_of(value.el)) or None
        return name, reader.url(_url(_first(value, ("url", "sameAs"))))
    if value is None:
        return None, None
    return _value(value), reader.url(value.get("href")) if value.tag == "a" else None


def _from_item(reader: PageReader, item: _Item, warnings: list) -> Comment:
    author, author_url = _person(reader, _first(item, AUTHOR))
    published, raw = reader.date(_value(_first(item, TIME)))
    body = _first(item, TEXT)
    if isinstance(body, _Item):
        body = body.el
    if body is None:
        text, html = "", ""
    elif body.tag == "meta":
        text = body.get("content", "").strip()
        html = plain_to_html(text)
    else:
        text, html = text_of(body), sanitize_html(inner_html(body), reader.base)
    url = reader.url(_url(_first(item, ("url",))))
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


def _item_id(item: _Item, url: str | None) -> str | None:
    """The comment's own id: ``itemid``, element ``id``, ``url`` fragment or ``identifier``."""
    url = url if url and ("#" in url or "?" in url) else None
    for raw in (item.el.get("itemid"), item.el.get("id"), url, _value(_first(item, ("identifier",)))):
        if raw and (ident := source_id(raw)):
            return ident
    return None


# --- JSON-LD ----------------------------------------------------------------------------


def _json_ld(root: HtmlElement, warnings: list[str]) -> list[dict]:
    """Every JSON-LD node of the page, ``@graph`` flattened."""
    nodes: list[dict] = []
    for script in JSON_LD(root):
        try:
            data = json.loads(script.text or "null")
        except ValueError as exc:
            warnings.append(f"JSON-LD unreadable: {exc}")
            continue
        stack = data if isinstance(data, list) else [data]
        for node in stack:
            if isinstance(node, dict):
                nodes.append(node)
                graph = node.get("@graph")
                nodes.extend(n for n in (graph if isinstance(graph, list) else []) if isinstance(n, dict))
    return nodes


def _types(node: dict) -> frozenset[str]:
    types = node.get("@type") or ()
    return frozenset([types] if isinstance(types, str) else [t for t in types if isinstance(t, str)])


def _pick_node(nodes: list[dict], post_url: str) -> dict | None:
    posts = [n for n in nodes if _types(n) & POST_TYPES]
    if len(posts) > 1:
        posts = [n for n in posts if n.get("comment")] or [
            n for n in posts if post_url in (_str(n.get("url")), _str(n.get("mainEntityOfPage")))]
    return posts[0] if len(posts) == 1 else None


def _str(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url") or value.get("name")
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, (str, dict))), None)
        return _str(value) if isinstance(value, dict) else value
    return value.strip() if isinstance(value, str) else None


def _from_nodes(reader: PageReader, post: dict, nodes: list[dict], warnings: list) -> list[Comment]:
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    post_ids = {post.get("@id"), _str(post.get("url")), reader.post_url} - {None}
    out: dict[int, Comment] = {}

    def resolve(node: object) -> dict | None:
        if isinstance(node, dict) and set(node) == {"@id"}:
            return by_id.get(node["@id"])
        return node if isinstance(node, dict) else None

    def walk(value: object, parent: Comment | None) -> None:
        for raw in value if isinstance(value, list) else [value]:
            node = resolve(raw)
            if node is None or id(node) in out:
                continue
            comment = _from_node(reader, node, parent, warnings)
            out[id(node)] = comment
            walk(node.get("comment") or [], comment)

    walk(post.get("comment") or [], None)
    ids = {c.permalink: c for c in out.values() if c.permalink} | {c.source_id: c for c in out.values()}
    for node in nodes:  # @graph Comments that name their parent with parentItem
        target = _str(node.get("parentItem"))
        if _types(node) & COMMENT_TYPES and id(node) not in out and target:
            parent = None if target in post_ids else ids.get(target) or ids.get(source_id(target) or "")
            if parent is not None or target in post_ids:
                out[id(node)] = comment = _from_node(reader, node, parent, warnings)
                ids[comment.source_id] = comment
                walk(node.get("comment") or [], comment)
    return list(out.values())


def _from_node(reader: PageReader, node: dict, parent: Comment | None, warnings: list) -> Comment:
    author_value = node.get("author") or node.get("creator")
    author_value = author_value[0] if isinstance(author_value, list) and author_value else author_value
    author = author_url = None
    if isinstance(author_value, dict):
        author = _str(author_value.get("name"))
        author_url = reader.url(_str(author_value.get("url")))
    elif isinstance(author_value, str):
        author = author_value.strip() or None
    published, raw = reader.date(_str(node.get("dateCreated") or node.get("datePublished")))
    body = _str(node.get("text") or node.get("commentText")) or ""
    if HTML_TEXT.search(body):  # schema.org says plain text; some sites put HTML there
        text, html = html_to_text(body), sanitize_html(body, reader.base)
    else:
        text = "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", body) if p.strip())
        html = plain_to_html(text)
    url = reader.url(_str(node.get("url")))
    if url is None and "#" in (node.get("@id") or ""):  # an @id naming the comment's anchor
        url = reader.url(node["@id"] if node["@id"][0] != "#" else reader.post_url + node["@id"])
    ident = next((source_id(v) for v in (node.get("@id"), url, _str(node.get("identifier")))
                  if isinstance(v, str) and ("#" in v or "?" in v or not v.startswith(("http", "_:")))),
                 None) or hashed_id(author, published or raw, text)  # fmt: skip
    for name, value in (("author", author), ("time", published or raw), ("text", text)):
        if not value:
            warnings.append(f"comment {ident}: no {name}")
    return Comment(ident, parent.source_id if parent else None, 0, author, author_url, published,
                   text, html, url, published_raw=raw)  # fmt: skip


# --- the post ---------------------------------------------------------------------------


def _post_fields(item: _Item | None, node: dict | None, reader: PageReader) -> dict[str, str | None]:
    fields: dict[str, str | None] = {}
    if item is not None:
        fields["title"] = _value(_first(item, TITLE))
        fields["author"] = _person(reader, _first(item, AUTHOR))[0]
        fields["published"], fields["published_raw"] = reader.date(_value(_first(item, ("datePublished", "dateCreated"))))
        fields["modified"] = reader.date(_value(_first(item, ("dateModified",))))[0]
    if node is not None:
        author = node.get("author")
        author = author[0] if isinstance(author, list) and author else author
        found = {
            "title": _str(node.get("headline") or node.get("name")),
            "author": _str(author.get("name")) if isinstance(author, dict) else _str(author),
            "published": reader.date(_str(node.get("datePublished")))[0],
            "modified": reader.date(_str(node.get("dateModified")))[0],
        }
        for name, value in found.items():
            fields[name] = fields.get(name) or value
    return {k: v for k, v in fields.items() if v}


def _count(item: _Item | None, node: dict | None) -> int | None:
    for value in (_value(_first(item, ("commentCount",))), node.get("commentCount") if node else None):
        if value is not None and str(value).strip().isdigit():
            return int(str(value).strip())
    return None
