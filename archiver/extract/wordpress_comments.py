"""WordPress comments as a page shows them: where the comment areas are, and each comment.

A comment is an element with ``id="comment-N"`` (or ``li-comment-N``); its parent is
the comment around it, or the one just before its ``.children`` list when a theme closes
a comment before printing its replies; its own markup is what lies inside it but not
inside a reply. One pass over each area (`_scan`) finds every comment and, from its own
markup, the first element of each class name, its links, times and junk; `_read` then
picks each field from those, most specific class first, then a theme's own prefixed
class (``ast-comment-content``). Html5 and xhtml comment walkers, block themes
(``.wp-block-comments``), Jetpack, old themes, and the templates of popular themes
(fixtures in tests/fixtures/wordpress).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from lxml import etree
from lxml.etree import XPath
from lxml.html import Element, HtmlElement

from ..records import Comment
from ..sanitize import sanitize_html
from .markup import (
    absolute,
    any_of,
    attr,
    classes,
    drop,
    in_class,
    inner_html,
    text_of,
    web_url,
    within,
)

__all__ = ["NOT_CONTENT", "articles", "comment_lists", "comments_areas", "read_comments"]

# --- selectors, most specific first. Whole-page searches go by id or tag name: a class
# test on every element of a 300 KB page costs about 1 ms per selector.
AREA_CANDIDATES = XPath(
    "id('comments') | id('comments-area')"
    " | /html/body/descendant::div[contains(@class, 'comments')]"
    " | /html/body/descendant::section[contains(@class, 'comments')]"
)
AREA_CLASSES = ("wp-block-comments", "comments-area")  # then #comments, #comments-area
LIST_CANDIDATES = XPath(
    "descendant::ol[contains(@class, 'comment')] | descendant::ul[contains(@class, 'comment')]"
)
LIST_CLASSES = frozenset({"comment-list", "commentlist", "wp-block-comment-template"})
LIST_SUFFIXES = ("-comment-list", "-commentlist")  # a theme's own prefix: Astra's ast-comment-list
NOT_CONTENT = frozenset({"widget", "widget-area", "widget_recent_comments", "wp-block-query",
                         "wp-block-latest-comments", "jp-relatedposts", "yarpp-related"})  # fmt: skip
ARTICLE_HINTS = ("post", "page", "hentry")  # in the class of an <article> that may be the post's
# One comment's own markup (never its replies) is read in one pass; these class names
# then pick each field, most specific first.
COMMENT_TAGS = frozenset({"li", "div", "article"})  # with id="comment-N" or "li-comment-N"
COMMENT_AUTHOR = ("fn", "wp-block-comment-author-name", "comment-author")  # b.fn, cite.fn
COMMENT_CONTENT = ("comment-content", "wp-block-comment-content", "comment-text")
CONTENT_SUFFIXES = ("-comment-content", "-comment-text")  # then a theme's own: ast-comment-content
AUTHOR_SUFFIXES = ("-comment-author",)  # Blocksy's h4.ct-comment-author > cite
COMMENT_BODY = ("comment-body",)  # xhtml walker: the text sits in .comment-body itself
# No <time>: the date as written (Divi: span.comment_date "on May 3, 2021 at 9:12 am").
COMMENT_DATE = ("comment-metadata", "commentmetadata", "wp-block-comment-date", "comment-date",
                "comment_date")  # fmt: skip
COMMENT_META = any_of(classes=("comment-author", "comment-meta", "comment-metadata",
                               "commentmetadata", "reply", "comment-reply-link", "says",
                               "comment-awaiting-moderation", "avatar", "edit-link", "children",
                               "wp-block-comment-author-name", "wp-block-comment-date",
                               "wp-block-comment-reply-link", "wp-block-comment-edit-link",
                               "wp-block-avatar"))  # fmt: skip
COMMENT_JUNK_TAGS = frozenset({"script", "style", "form", "noscript"})
COMMENT_JUNK_CLASSES = frozenset({"reply", "reply-container", "edit-reply", "comment-reply-link",
                                  "comment-likes", "sharedaddy"})  # fmt: skip
JUNK_SUFFIXES = ("-reply-link", "-reply-wrap")  # a theme's own: Neve's nv-reply-link, Astra's wrap
COMMENT_ID = re.compile(r"^(?:li-)?comment-(\d+)$")
NAME_TAGS = frozenset({"strong", "b", "a", "span", "cite"})
DATE_LIKE = re.compile(r"\b\d{4}\b|\b\d{1,2}:\d{2}\b")  # a year or a time of day
SAYS = re.compile(r"\s+says:?\s*$", re.IGNORECASE)


def comments_areas(root: HtmlElement) -> tuple[list[HtmlElement], bool, list[HtmlElement]]:
    """The outermost comment areas (never in a widget or a related-posts loop), whether
    one is "loose" (an element around a bare list that may hold the post too), and the
    comment lists in the areas (`comment_lists` of each).
    """
    candidates = AREA_CANDIDATES(root)
    ranked = [el for name in AREA_CLASSES for el in candidates if name in classes(el)]
    ranked += [el for el in candidates if el.get("id") in ("comments", "comments-area")]
    found: list[HtmlElement] = []
    loose = False
    for el in ranked:
        if el.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):  # old themes: <h3 id="comments">
            el, loose = el.getparent(), True
        if el is None or in_class(el, NOT_CONTENT) or any(within(el, f) for f in found):
            continue
        found = [f for f in found if not within(f, el)] + [el]
    lists = [ol for area in found for ol in comment_lists(area)]
    if not lists:
        bare = [el for el in comment_lists(root) if not in_class(el, NOT_CONTENT)]
        if bare:
            area = bare[0].getparent()
            return [area], True, comment_lists(area)
    loose = loose or any(within(a, area) for a in articles(root) for area in found)
    return found, loose, lists


def articles(el: HtmlElement) -> list[HtmlElement]:
    """The document's <article> elements with an `ARTICLE_HINTS` substring in their class
    (shared with the post reader). What an XPath predicate selects, ~4x faster on a page
    of comment <article>s: lxml's XPath spends ~3 µs an element on the class test."""
    return [a for a in el.getroottree().iter("article")
            if any(hint in (a.get("class") or "") for hint in ARTICLE_HINTS)]  # fmt: skip


def comment_lists(el: HtmlElement) -> list[HtmlElement]:
    """The comment lists (``ol.comment-list`` and kin) under `el`."""
    return [ol for ol in LIST_CANDIDATES(el)
            if any(c in LIST_CLASSES or c.endswith(LIST_SUFFIXES) for c in classes(ol))]  # fmt: skip


def read_comments(areas: list[HtmlElement], base: str, warnings: list[str]) -> tuple[Comment, ...]:
    """Every comment in `areas`, in display order; what cannot be read goes to `warnings`.

    Reading drops each comment's junk (reply links, scripts) from the tree.
    """
    marks: list[_Marks] = []
    for area in areas:
        marks += _scan(area, {m.source_id for m in marks})
    return tuple(_read(m, base, warnings) for m in marks)


@dataclass(slots=True)
class _Marks:
    """One comment as the scan found it: its element and place, and from its own markup
    the first element of each class name, its links, its times and its junk."""

    node: HtmlElement
    source_id: str
    parent_id: str | None
    depth: int
    names: dict[str, HtmlElement] = field(default_factory=dict)
    links: list[HtmlElement] = field(default_factory=list)
    times: list[HtmlElement] = field(default_factory=list)
    cites: list[HtmlElement] = field(default_factory=list)  # a bare <cite> may be the author
    junk: list[HtmlElement] = field(default_factory=list)


def _scan(area: HtmlElement, seen: set[str]) -> list[_Marks]:
    """Every comment under `area` in display order, in one pass over the markup.

    A comment ends where the first element after its subtree starts (`_after`): one
    step per element instead of a start and an end event per node.
    """
    marks: list[_Marks] = []
    stack: list[tuple[_Marks, HtmlElement | None]] = []  # the comments the walk is inside
    top: _Marks | None = None
    end: HtmlElement | None = None  # where `top` ends
    for el in area.iter(etree.Element):
        while el is end:
            stack.pop()
            top, end = stack[-1] if stack else (None, None)
        tag = el.tag
        found = COMMENT_ID.match(ident) if tag in COMMENT_TAGS and (ident := el.get("id")) else None
        if found and found.group(1) not in seen:  # <li id="li-comment-5"><article id="comment-5">
            seen.add(found.group(1))
            parent_id, depth = (top.source_id, top.depth + 1) if top is not None else (None, 0)
            top, end = _Marks(el, found.group(1), parent_id, depth), _after(el, area)
            marks.append(top)
            stack.append((top, end))
            continue
        if (names := el.get("class")) and "children" in names and "children" in names.split() and (
            replied := _replied(el, marks, stack)
        ):  # replies printed after their comment's end (Neve, Hestia): nested all the same
            top, end = replied, _after(el, area)
            stack.append((top, end))
            continue
        if top is None:
            continue
        if tag in COMMENT_JUNK_TAGS:
            top.junk.append(el)
            continue
        if names and ("comment" in names or "fn" in names or "reply" in names or "share" in names):
            split = names.split()
            if not COMMENT_JUNK_CLASSES.isdisjoint(split) or (
                "-reply-" in names and any(n.endswith(JUNK_SUFFIXES) for n in split)
            ):
                top.junk.append(el)  # reply links, like buttons: never content
                continue
            for name in split:
                if (top.names.setdefault(name, el) is not el and name in COMMENT_CONTENT
                        and within(el, top.names[name])):  # fmt: skip
                    top.names[name] = el  # the innermost: OceanWP wraps the header and the text in one
        if tag == "a":
            top.links.append(el)
        elif tag == "time":
            top.times.append(el)
        elif tag == "cite":
            top.cites.append(el)
    return marks


def _replied(children: HtmlElement, marks: list[_Marks],
             stack: list[tuple[_Marks, HtmlElement | None]]) -> _Marks | None:  # fmt: skip
    """The comment a reply list follows, when the theme closed the comment before it: the
    outermost comment in the element just before the list, unless the walk is inside it."""
    before = children.getprevious()
    while before is not None and not isinstance(before.tag, str):
        before = before.getprevious()
    if before is None:
        return None
    found = None
    for m in reversed(marks):  # the comments in `before` are the last ones found
        if not (m.node is before or within(m.node, before)):
            break
        found = m
    if found is None or any(m is found for m, _ in stack):
        return None
    return found


def _after(el: HtmlElement, area: HtmlElement) -> HtmlElement | None:
    """The first element after `el` and everything inside it, within `area` (None: none)."""
    while el is not area:
        following = el.getnext()  # not itersiblings(): its set-up costs ~0.7 µs a call
        while following is not None and not isinstance(following.tag, str):  # comments, PIs
            following = following.getnext()
        if following is not None:
            return following
        el = el.getparent()
    return None


def _read(m: _Marks, base: str, warnings: list[str]) -> Comment:
    def pick(names: tuple[str, ...], suffixes: tuple[str, ...] = ()) -> HtmlElement | None:
        """The first of `names` the comment has (most specific first), else the first
        class with one of `suffixes` (a theme's own prefix)."""
        found = next((m.names[name] for name in names if name in m.names), None)
        if found is None and suffixes:
            found = next((el for name, el in m.names.items() if name.endswith(suffixes)), None)
        return found

    def warn(problem: str) -> None:
        warnings.append(f"comment {m.source_id}: {problem}")

    def inside(el: HtmlElement, container: HtmlElement) -> bool:
        """`within`, for two elements of this comment: the walk stops at the comment."""
        while el is not None and el is not m.node:
            if el is container:
                return True
            el = el.getparent()
        return container is m.node

    for el in m.junk:
        el.drop_tree()
    pingback = bool(classes(m.node) & {"pingback", "trackback"})
    anchor = f"#comment-{m.source_id}"
    own_link = next((a for a in m.links if a.get("href", "").endswith(anchor)), None)
    time = next((t for t in m.times if t.get("datetime")), m.times[0] if m.times else None)
    content = pick(COMMENT_CONTENT)
    if content is None or time is not None and inside(time, content):  # none, or a wrapper of
        own = pick((), CONTENT_SUFFIXES)  # the header too: a theme's own inside it (Neve)
        if own is not None and (content is None or inside(own, content)):
            content = own
    author_el = pick(COMMENT_AUTHOR, AUTHOR_SUFFIXES)
    if author_el is None and not pingback:  # a bare <cite> in the header (Newspaper)
        author_el = next((c for c in m.cites if content is None or not inside(c, content)), None)
    if author_el is None and pingback:  # "Pingback: <a href=…>Title of the linking post</a>"
        author_el = next((a for a in m.links if a.get("href")), None)
    author, after, dates = SAYS.sub("", text_of(author_el)) or None, "", []
    if author and "fn" not in classes(author_el):
        # A .comment-author around the name and the date: the name is what is left
        # without the date (OceanWP, old themes), or its first element (Avada: <strong>
        # Name</strong> May 3, 2023 at 9:12 am).
        dates = [d for d in (time, own_link, pick(COMMENT_DATE)) if d is not None and inside(d, author_el)]
        if dates:
            author = SAYS.sub("", _text_without(author_el, dates)) or None
        else:
            name, after = _name_then_date(author_el)
            author = name or author
    link = author_el
    if author_el is not None and author_el.tag != "a":
        link = next((a for a in author_el.iter("a") if not any(inside(a, d) for d in dates)), None)
    published, published_raw = attr(time, "datetime"), None
    if published is None and not pingback:  # xhtml walker: the permalink's text is the date
        written = time if time is not None else own_link
        published_raw = text_of(written) or text_of(pick(COMMENT_DATE)) or after
        warn("date without datetime" if published_raw else "no date")
    if content is None and not pingback:  # xhtml walker: the text sits in .comment-body
        body = pick(COMMENT_BODY)
        content = copy.deepcopy(body) if body is not None else _own_copy(m)
        drop(content, COMMENT_META)
    text = text_of(content)
    if not pingback and not author:
        warn("no author")
    if not pingback and not text:
        warn("no text")
    return Comment(
        source_id=m.source_id,
        parent_source_id=m.parent_id,
        depth=m.depth,
        author=author,
        author_url=web_url(attr(link, "href"), base),
        published=published,
        text=text,
        html=sanitize_html(inner_html(content), base) if content is not None else "",
        permalink=absolute(own_link.get("href"), base) if own_link is not None else None,
        published_raw=published_raw or None,
    )


def _name_then_date(el: HtmlElement) -> tuple[str | None, str]:
    """(name, date) when `el` starts with an inline element holding the name and the rest
    of its text looks like a date; (None, "") otherwise."""
    first = next((c for c in el if isinstance(c.tag, str)), None)
    if first is None or first.tag not in NAME_TAGS or el.text and el.text.strip():
        return None, ""
    name, rest = text_of(first), " ".join(text_of(el).replace(text_of(first), " ", 1).split())
    return (name, rest) if name and DATE_LIKE.search(rest) else (None, "")


def _text_without(el: HtmlElement, parts: list[HtmlElement]) -> str:
    """`el`'s text on one line, without the text of `parts` (elements inside it)."""
    text = text_of(el)
    for part in parts:
        if written := text_of(part):
            text = text.replace(written, " ", 1)
    return " ".join(text.split())


def _own_copy(m: _Marks) -> HtmlElement:
    """A copy of a comment's markup without its replies."""
    wrapper = Element("div")
    wrapper.text = m.node.text
    for child in m.node:
        found = COMMENT_ID.match(child.get("id") or "") if isinstance(child.tag, str) else None
        if found and found.group(1) == m.source_id:  # <li id="li-comment-5"><div id="comment-5">
            return _own_copy(_Marks(child, m.source_id, m.parent_id, m.depth))
        if isinstance(child.tag, str) and "children" not in classes(child) and not found:
            wrapper.append(copy.deepcopy(child))
    return wrapper
