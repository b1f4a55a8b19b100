"""Reading the comments the structural finder found: nesting, then each one's fields.

Nesting comes from depth classes (``depth-2``, ``level-3``) or indentation styles when
the page has them, otherwise from the DOM: comments inside another comment or inside a
list or replies container below it answer the comment before them at the shallower level.

A comment's author, time and text are the flagged elements of its own markup (never its
replies'). Its id is the page's own (``id="comment-17"``, ``id="c17"``, an anchor, a
permalink fragment, on the comment or on a wrapper holding only it and its replies)
where one is visible, else a hash of (author, time, text).
"""

from __future__ import annotations

import copy
import re

from lxml import etree
from lxml.html import HtmlElement

from ..records import Comment
from ..sanitize import sanitize_html
from .comment_pages import permalink
from .generic_finder import TEXT_CLASS, TEXT_TAGS, A, T, X
from .ids import ELEMENT_ID, hashed_id, source_id
from .markup import absolute, inner_html, names_of, one_line, text_of
from .post import SAID
from .reader import PageReader

__all__ = ["read_comments"]

TIME_ATTRS = ("datetime", "data-datetime", "data-time", "data-timestamp", "data-date", "title",
              "content")  # fmt: skip
ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                      r"(?:Z|[+-]\d{2}:?\d{2})?)?$")  # fmt: skip
NESTING_CLASS = re.compile(r"children|replies|reply|responses|nested|thread|sub-?comments|"
                           r"indent|child", re.IGNORECASE)  # fmt: skip
LEVEL_CLASS = re.compile(r"^(?:depth|level|indent|nest|lvl|d)-?(\d{1,2})$", re.IGNORECASE)
INDENT_STYLE = re.compile(r"(?:margin|padding)-left\s*:\s*(\d+(?:\.\d+)?)", re.IGNORECASE)
ACTION_TEXT = re.compile(r"^\s*(?:reply|report|quote|like|edit|delete|permalink|share|flag|link|"
                         r"#|¶|↩|\d+\s+likes?)\s*$", re.IGNORECASE)  # fmt: skip
STABLE_TIME = re.compile(r"\d{4}.*")  # a written time with a year is absolute


def read_comments(reader: PageReader, flags: dict[HtmlElement, int], blocks: list[HtmlElement],
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
    read = _CommentReader(reader, flags, parents)
    out: dict[HtmlElement, Comment] = {}
    for block in blocks:
        parent = out.get(parents[block])  # type: ignore[arg-type]
        out[block] = read.comment(block, parent, warnings)
    return list(out.values())


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


class _CommentReader:
    def __init__(self, reader: PageReader, flags: dict[HtmlElement, int], parents: dict):
        self.reader, self.flags, self.parents = reader, flags, parents
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
            named = el.tag not in ("a", "span") and TEXT_CLASS.search(names_of(el))
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
