"""Blogger comments as a post view shows them: threaded, flat v2 and classic layouts.

A comment is an ``li.comment#c…`` (threaded: replies in ``div.comment-replies``), a
``div.comment#c…`` (flat v2) or a classic ``<dt id="c…">`` (or ``<a name="c…">``)
followed by its ``<dd>`` parts; its parent is the comment around it. Fields are read
by class name from the comment's own markup (``.comment-block``, else everything but
replies and avatar). A time comes from the permalink's ``showComment=<epoch ms>`` when it
has one (exact), else from the printed text, in the blog's own offset.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from lxml import etree
from lxml.html import HtmlElement

from ..page import Page
from ..records import Comment
from ..sanitize import sanitize_html
from .dates import resolve_date
from .markup import absolute, attr, classes, inner_html, one_line, text_of, web_url

__all__ = ["read_comments"]

COMMENT_TAGS = ("li", "div", "dt")  # li.comment#c1 (threaded), div.comment#c1 (v2), dt#c1 (classic)
# Fields of one comment, by class name (first element with it, outside nested replies).
FIELD_CLASSES = frozenset({"user", "datetime", "comment-content", "comment-author", "comment-body",
                           "comment-timestamp"})  # fmt: skip
NESTED = frozenset({"comment-replies", "comment-thread", "avatar-image-container", "comment-actions",
                    "item-control", "comment-replybox-single", "continue"})  # fmt: skip
COMMENT_ID = re.compile(r"^c(\d+)$")
SHOW_COMMENT = re.compile(r"[?&]showComment=(\d{10,13})")
SAID = re.compile(r"\s*\b(?:said|says|wrote|dijo|disse|ha detto|a dit|hat gesagt|sagte|zei|schreef|"
                  r"escribió|escreveu)\s*(?:\.\.\.|…)?\s*:?\s*$", re.IGNORECASE)  # fmt: skip


def read_comments(scope: HtmlElement, page: Page, post_url: str, zone: tzinfo | None,
                  warnings: list[str]) -> tuple[Comment, ...]:  # fmt: skip
    """Every comment under `scope` in display order, with parents and depths; times
    without an offset are taken in `zone`. What cannot be read goes to `warnings`."""
    return _Comments(page, post_url, zone, warnings).read(scope)


class _Comments:
    def __init__(self, page: Page, post_url: str, zone: tzinfo | None, warnings: list[str]):
        self.page, self.post_url, self.zone, self.warnings = page, post_url, zone, warnings

    def read(self, scope: HtmlElement) -> tuple[Comment, ...]:
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
