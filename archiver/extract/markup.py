"""Small lxml helpers shared by the platform extractors.

Everything here is pure and fast: parse once with lxml, select with
precompiled CSS/XPath selectors, turn elements into plain text or HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree
from lxml.etree import XPath
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from ..page import Page

__all__ = [
    "BLOCK_TAGS", "Selector", "absolute", "any_of", "attr", "classes", "css", "drop", "first",
    "html_to_text", "in_class", "inner_html", "inside", "matches", "names_of", "one_line",
    "outside", "parse", "parse_html", "plain_to_html", "strip_fragment", "text_of", "web_url",
    "within",
]  # fmt: skip

# A compiled selector: lxml's CSSSelector and etree.XPath are both callables
# taking an element and returning a list of matches.
Selector = Callable[[HtmlElement], list]

BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title", "svg"})
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_START_TAG = re.compile(r"""<[^\s>/]+(?:\s+[^\s=>]+(?:="[^"]*"|='[^']*'|=[^\s>]*)?)*\s*>""")
# lxml.html picks each element's class in Python (forms, inputs, labels get their own),
# which costs ~0.5 µs every time an element is touched; every element being a plain
# HtmlElement makes walking a 300 KB page about 3x faster.
_PARSER = lxml.html.HTMLParser()
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_BR = "\x00"  # a line break inside a paragraph (the parser never leaves a NUL in text)


def parse(page: Page) -> HtmlElement:
    """The page's document element (an empty ``<html>`` for an empty page).

    A tree the caller already parsed (`PARSED` in `page.meta`, set by the crawl
    after reading the page's links) is taken, once: extractors prune the tree
    they read, so a second call parses afresh.
    """
    root = page.meta.pop(PARSED, None)
    return root if root is not None else parse_html(page.text)


PARSED = "_parsed_root"  # Page.meta key: a parsed tree handed on to one extractor


def parse_html(text: str) -> HtmlElement:
    """Parse a whole document (never raises; an empty page gives an empty body)."""
    if text[:200].lstrip().startswith("<?xml"):  # lxml refuses a declaration on str input
        text = _XML_DECLARATION.sub("", text, count=1)
    try:
        return lxml.html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html><body></body></html>", parser=_PARSER)


def any_of(tags: Iterable[str] = (), classes: Iterable[str] = ()) -> XPath:
    """One compiled XPath matching any of `tags` or any element with one of `classes`
    (below the context element). One pass instead of one pass per alternative, which
    is what a CSS selector list costs.
    """
    tests = [f"self::{tag}" for tag in tags]
    tests += [  # the plain substring test first: the token test is ~5x dearer
        f"(contains(@class, '{name}') and contains(concat(' ', normalize-space(@class), ' '),"
        f" ' {name} '))"
        for name in classes
    ]
    return XPath(f"descendant::*[{' or '.join(tests)}]")


@lru_cache(maxsize=512)
def css(expression: str) -> CSSSelector:
    """A compiled (and cached) CSS selector; prefer module-level constants."""
    return CSSSelector(expression)


def first(el: HtmlElement | None, *selectors: Selector | str) -> HtmlElement | None:
    """The first match of the first selector that matches anything under `el`.

    Selectors are tried in order, most specific first; strings are compiled as
    CSS (and cached). The search includes `el` itself for CSS selectors.
    """
    if el is None:
        return None
    for selector in selectors:
        found = (css(selector) if isinstance(selector, str) else selector)(el)
        if found:
            return found[0]
    return None


def matches(el: HtmlElement, *selectors: Selector | str) -> Iterator[HtmlElement]:
    """Every match of every selector, selector by selector, in document order."""
    for selector in selectors:
        yield from (css(selector) if isinstance(selector, str) else selector)(el)


def classes(el: HtmlElement | None) -> frozenset[str]:
    if el is None:
        return frozenset()
    return frozenset((el.get("class") or "").split())


def names_of(el: HtmlElement) -> str:
    """The element's class, id and itemprop in one string (for name patterns)."""
    return f"{el.get('class') or ''} {el.get('id') or ''} {el.get('itemprop') or ''}".strip()


def attr(el: HtmlElement | None, name: str) -> str | None:
    """The attribute's value stripped, or None when missing or empty."""
    if el is None:
        return None
    value = (el.get(name) or "").strip()
    return value or None


def in_class(el: HtmlElement, names: frozenset[str] | set[str]) -> bool:
    """True when `el` or one of its ancestors has one of the class `names`."""
    if classes(el) & names:
        return True
    return any(classes(a) & names for a in el.iterancestors())


def within(el: HtmlElement, ancestor: HtmlElement) -> bool:
    """True when `el` is `ancestor` or lies inside it."""
    return el is ancestor or any(a is ancestor for a in el.iterancestors())


def inside(el: HtmlElement, containers: Iterable[HtmlElement]) -> bool:
    """True when `el` is one of `containers` or lies inside one (pass a set when calling
    often with the same containers)."""
    if not isinstance(containers, (set, frozenset)):
        containers = set(containers)
    if not containers:
        return False
    return el in containers or any(a in containers for a in el.iterancestors())


def outside(root: HtmlElement, excluded: list[HtmlElement]) -> list[HtmlElement]:
    """The largest subtrees of `root` that hold none of `excluded` (searching these
    instead of `root` skips the excluded parts, e.g. a long comment list)."""
    return _outside(root, excluded, {a for el in excluded for a in el.iterancestors()})


def _outside(el: HtmlElement, excluded: list[HtmlElement], holding: set[HtmlElement]) -> list[HtmlElement]:
    # Not a nested recursive function: that is a reference cycle (function -> cell ->
    # function) holding the whole tree until the garbage collector runs.
    if el not in holding:
        return [] if el in excluded or not isinstance(el.tag, str) else [el]
    return [part for child in el for part in _outside(child, excluded, holding)]


def drop(el: HtmlElement, *selectors: Selector | str) -> None:
    """Remove every match (keeping the text that follows each) from `el`'s tree."""
    for found in list(matches(el, *selectors)):
        if found is not el and found.getparent() is not None:
            found.drop_tree()


def absolute(href: str | None, base: str) -> str:
    """`href` resolved against `base` (whitespace stripped)."""
    href = (href or "").strip()
    if "/." not in href:  # the common cases without urljoin (~4 µs a call)
        if href.startswith(("http://", "https://")):
            return href
        if href.startswith("/") and not href.startswith("//") and (origin := _origin(base)):
            return origin + href
    return urljoin(base, href)


def web_url(href: str | None, base: str) -> str | None:
    """`href` made absolute when it is an http(s) link somewhere else than this page."""
    url = absolute(href, base) if href and not href.startswith("#") else ""
    return url if url.startswith(("http:", "https:")) else None


@lru_cache(maxsize=64)
def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def strip_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment=""))


def inner_html(el: HtmlElement | None) -> str:
    """The HTML inside `el`, without `el`'s own tag (not sanitised)."""
    if el is None:
        return ""
    # One serialisation, then cut the outer tags off: ~3x faster than child by child.
    markup = etree.tostring(el, encoding="unicode", method="html", with_tail=False)
    start, end = _START_TAG.match(markup), f"</{el.tag}>"
    if start is not None and markup.endswith(end):
        return markup[start.end() : -len(end)].strip()
    out = [html.escape(el.text, quote=False)] if el.text else []
    out.extend(etree.tostring(child, encoding="unicode", method="html") for child in el)
    return "".join(out).strip()


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, with the same rules as `text_of`."""
    if not fragment or not fragment.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div", parser=_PARSER)
    except (etree.ParserError, ValueError):
        return ""
    return text_of(root)


def plain_to_html(text: str) -> str:
    """Plain text (paragraphs split by blank lines) as escaped ``<p>`` paragraphs."""
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    return "".join(f"<p>{html.escape(p, quote=False).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def one_line(text: str) -> str:
    """The first paragraph of `text` on one line (for titles and names)."""
    return " ".join(text.split("\n\n", 1)[0].split())


def text_of(el: HtmlElement | None) -> str:
    """Plain text of `el`: one paragraph per block element, separated by a blank
    line; ``<br>`` is a line break; other whitespace collapsed; entities decoded.
    ``<pre>`` keeps its lines.
    """
    if el is None:
        return ""
    paragraphs: list[str] = []
    line: list[str] = []
    _walk(el, paragraphs, line)
    if line:
        _flush(paragraphs, line)
    return "\n\n".join(paragraphs)


def _walk(el: HtmlElement, paragraphs: list[str], line: list[str]) -> None:
    tag = el.tag
    block = tag in BLOCK_TAGS
    if block:
        if tag == "pre":
            _flush(paragraphs, line)
            text = el.text_content().strip("\n").rstrip()
            if text.strip():
                paragraphs.append(text)
            return
        if line:
            _flush(paragraphs, line)
    elif not isinstance(tag, str) or tag in _SKIPPED_TAGS:  # comments, scripts
        return
    elif tag == "br":
        line.append(_BR)
        return
    if text := el.text:
        line.append(text)
    for child in el:
        _walk(child, paragraphs, line)
        if tail := child.tail:
            line.append(tail)
    if block and line:
        _flush(paragraphs, line)


def _flush(paragraphs: list[str], line: list[str]) -> None:
    joined = "".join(line)
    line.clear()
    if joined.isspace():  # between blocks (cheap: False at the first other character)
        return
    if _BR in joined:
        text = "\n".join(_collapse(part) for part in joined.split(_BR)).strip("\n")
    else:
        text = _collapse(joined)
    if text:
        paragraphs.append(text)


def _collapse(text: str) -> str:
    """``" ".join(text.split())``, without the split when there is nothing to collapse
    (most paragraphs; splitting allocates a string per word). Every whitespace
    character but the space is unprintable, so a printable text without a double,
    leading or trailing space is already collapsed."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())
