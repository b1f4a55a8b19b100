"""schema.org JSON-LD: the post and its comments from ``<script type="application/ld+json">``.

Nodes of every script, ``@graph`` flattened. The post is the one node of a post type (the
one with comments, or the one for this page's URL, when there are several); its comments
are its ``comment`` array, replies nested as their own ``comment`` or, in a ``@graph``,
linked by ``parentItem``. ``{"@id": …}`` references are resolved. Comment ids: the
``@id`` fragment, ``url`` fragment or ``identifier``, else a hash of (author, time, text).
"""

from __future__ import annotations

import json
import re

from lxml.etree import XPath
from lxml.html import HtmlElement

from ..records import Comment
from ..sanitize import sanitize_html
from .ids import hashed_id, source_id
from .markup import html_to_text, plain_to_html
from .reader import PageReader

__all__ = ["COMMENT_TYPES", "POST_TYPES", "comments_from_nodes", "json_ld_nodes", "node_post_fields",
           "node_text", "pick_node"]  # fmt: skip

# schema.org types (shared with the microdata reader in `schemaorg`)
POST_TYPES = frozenset({"BlogPosting", "Article", "NewsArticle", "SocialMediaPosting", "Report",
                        "DiscussionForumPosting", "TechArticle", "LiveBlogPosting", "Posting"})  # fmt: skip
COMMENT_TYPES = frozenset({"Comment", "UserComments", "Answer"})
JSON_LD = XPath("//script[@type='application/ld+json']")
HTML_TEXT = re.compile(r"<(?:p|br|a|em|strong|blockquote|ul|ol|li|div)\b[^>]*>|</p>", re.IGNORECASE)


def json_ld_nodes(root: HtmlElement, warnings: list[str]) -> list[dict]:
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


def node_types(node: dict) -> frozenset[str]:
    """The node's ``@type`` names."""
    types = node.get("@type") or ()
    return frozenset([types] if isinstance(types, str) else [t for t in types if isinstance(t, str)])


def pick_node(nodes: list[dict], post_url: str) -> dict | None:
    """The page's one post node: the one with comments, or the one for `post_url`."""
    posts = [n for n in nodes if node_types(n) & POST_TYPES]
    if len(posts) > 1:
        posts = [n for n in posts if n.get("comment")] or [
            n for n in posts if post_url in (node_text(n.get("url")), node_text(n.get("mainEntityOfPage")))]
    return posts[0] if len(posts) == 1 else None


def node_text(value: object) -> str | None:
    """A value as text: a string, the first of a list, an object's ``@id``, url or name."""
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url") or value.get("name")
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, (str, dict))), None)
        return node_text(value) if isinstance(value, dict) else value
    return value.strip() if isinstance(value, str) else None


def comments_from_nodes(reader: PageReader, post: dict, nodes: list[dict], warnings: list) -> list[Comment]:
    """The post node's comments and their replies, nested or linked by ``parentItem``."""
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    post_ids = {post.get("@id"), node_text(post.get("url")), reader.post_url} - {None}
    out: dict[int, Comment] = {}

    def resolve(node: object) -> dict | None:
        if isinstance(node, dict) and set(node) == {"@id"}:
            return by_id.get(node["@id"])
        return node if isinstance(node, dict) else None

    def walk(value: object, parent: Comment | None) -> None:  # depth-first
        todo = [(raw, parent) for raw in reversed(value if isinstance(value, list) else [value])]
        while todo:  # a stack, not recursion: a recursive closure is a reference cycle
            raw, parent = todo.pop()
            node = resolve(raw)
            if node is None or id(node) in out:
                continue
            comment = _from_node(reader, node, parent, warnings)
            out[id(node)] = comment
            replies = node.get("comment") or []
            todo += [(r, comment) for r in reversed(replies if isinstance(replies, list) else [replies])]

    walk(post.get("comment") or [], None)
    ids = {c.permalink: c for c in out.values() if c.permalink} | {c.source_id: c for c in out.values()}
    for node in nodes:  # @graph Comments that name their parent with parentItem
        target = node_text(node.get("parentItem"))
        if node_types(node) & COMMENT_TYPES and id(node) not in out and target:
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
        author = node_text(author_value.get("name"))
        author_url = reader.url(node_text(author_value.get("url")))
    elif isinstance(author_value, str):
        author = author_value.strip() or None
    published, raw = reader.date(node_text(node.get("dateCreated") or node.get("datePublished")))
    body = node_text(node.get("text") or node.get("commentText")) or ""
    if HTML_TEXT.search(body):  # schema.org says plain text; some sites put HTML there
        text, html = html_to_text(body), sanitize_html(body, reader.base)
    else:
        text = "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", body) if p.strip())
        html = plain_to_html(text)
    url = reader.url(node_text(node.get("url")))
    if url is None and "#" in (node.get("@id") or ""):  # an @id naming the comment's anchor
        url = reader.url(node["@id"] if node["@id"][0] != "#" else reader.post_url + node["@id"])
    ident = next((source_id(v) for v in (node.get("@id"), url, node_text(node.get("identifier")))
                  if isinstance(v, str) and ("#" in v or "?" in v or not v.startswith(("http", "_:")))),
                 None) or hashed_id(author, published or raw, text)  # fmt: skip
    for name, value in (("author", author), ("time", published or raw), ("text", text)):
        if not value:
            warnings.append(f"comment {ident}: no {name}")
    return Comment(ident, parent.source_id if parent else None, 0, author, author_url, published,
                   text, html, url, published_raw=raw)  # fmt: skip


def node_post_fields(node: dict, reader: PageReader) -> dict[str, str | None]:
    """The post's title, author and times as the post node states them."""
    author = node.get("author")
    author = author[0] if isinstance(author, list) and author else author
    return {
        "title": node_text(node.get("headline") or node.get("name")),
        "author": node_text(author.get("name")) if isinstance(author, dict) else node_text(author),
        "published": reader.date(node_text(node.get("datePublished")))[0],
        "modified": reader.date(node_text(node.get("dateModified")))[0],
    }
