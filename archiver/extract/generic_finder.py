"""The structural comment finder: which elements of a page are comments.

One walk over the page's content, bottom-up, flags each element as time-like, author-like
or text. A comment is the smallest block that holds all three in its own markup (the
comments inside it not counting); the comments of a thread repeat one markup pattern, so
a block counts when another has the same classes (or its name says comment). Page chrome
is never walked. Blogger's classic ``<dt>``/``<dd>`` runs are wrapped first, so each
comment is one element.
"""

from __future__ import annotations

import re
from collections import Counter

from lxml.html import Element, HtmlElement

from .chrome import CHROME_TAGS, COMMENTISH
from .markup import names_of
from .post import DATE_TEXT, SHORT

__all__ = ["ALL", "TEXT_CLASS", "TEXT_TAGS", "A", "Finder", "T", "X"]

T, A, X = 1, 2, 4  # time-like, author-like, text
ALL = T | A | X
TIME_TAGS = frozenset({"a", "span", "abbr", "small", "div", "p", "em", "i", "dd", "td", "b"})
BLOCK_TAGS = frozenset({"div", "li", "article", "section", "dd", "td", "table", "blockquote"})
TEXT_TAGS = frozenset({"p", "blockquote", "pre"})
TEXT_CLASS = re.compile(r"content|text|body|message|entry|comment-?body|e-content|p-content",
                        re.IGNORECASE)  # fmt: skip
AUTHOR_CLASS = re.compile(r"author|user|nick|poster|commenter|member|\bfn\b|\bby\b|byline|\bwho\b"
                          r"|h-card|vcard|\bname\b|\bcite\b", re.IGNORECASE)  # fmt: skip
TIME_CLASS = re.compile(r"date|time|stamp|published|when|\bago\b", re.IGNORECASE)
AUTHOR_RELS = frozenset({"ugc", "external", "author"})  # a commenter's link to their site
VARIABLE_CLASS = re.compile(r"\d|^(?:odd|even|alt|first|last|parent|byuser|bypostauthor|new|"
                            r"unread|highlight(?:ed)?|sticky|has-children|thread-(?:odd|even|alt)"
                            r"|comment-author-.*|(?:is-)?(?:reply|child|nested|top-level))$")  # fmt: skip


class Finder:
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
        return [b for b in blocks if groups[_signature(b)] > 1 or COMMENTISH.search(names_of(b))]

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


def _signature(el: HtmlElement) -> str:
    kept = sorted(c for c in (el.get("class") or "").split() if not VARIABLE_CLASS.search(c))
    return el.tag + "." + ".".join(kept)


def _order(root: HtmlElement):  # document order of elements, for sorting
    index = {el: i for i, el in enumerate(root.iter())}
    return lambda el: index.get(el, 0)
