"""The post of any thread page, read by structure: title, author, date, body.

What an extractor knows from markup (schema.org, microformats) wins; the rest comes from
the page: the title heading (an h1 that is not the site's name), meta tags, the byline
near the title, the first times and author links outside page chrome, and the body (a
known class, else the element with the most paragraph text). The comments and the
page's chrome are never read as the post.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Collection
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lxml.etree import XPath
from lxml.html import Element, HtmlElement

from ..records import Post
from ..sanitize import sanitize_html
from .comment_pages import permalink
from .markup import absolute, inner_html, inside, names_of, one_line, text_of

if TYPE_CHECKING:
    from .reader import PageReader

__all__ = ["DATE_TEXT", "SAID", "SHORT", "comment_area", "read_post", "title_heading"]

# --- shared with the structural comment finder: a byline reads alike on a comment
SHORT = 80  # an author or a time is a short text
MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")  # fmt: skip
DATE_TEXT = re.compile(
    rf"\b\d{{4}}-\d{{2}}-\d{{2}}|\b\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\.?\s+(?:{MONTHS})\b|\b(?:{MONTHS})\.?\s+\d{{1,2}}\b"
    r"|\b\d+\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago\b"
    r"|\b(?:yesterday|today)\b",
    re.IGNORECASE,
)
SAID = re.compile(r"\s*(?:says|said|wrote|writes)\s*(?::|\.\.\.|…)?\s*$|^\s*(?:by|from)\s+",
                  re.IGNORECASE)  # fmt: skip
# --- the post's fields, most specific first
FEW = 25  # the post's byline comes early: later matches are the comments
TITLE_TAG = XPath("string(/html/head/title)")
TITLES = XPath("//h1 | //h2[contains(@class, 'title')] | //h3[contains(@class, 'title')]")
POST_AUTHOR = (XPath("//*[@itemprop='author']//*[@itemprop='name'] | //a[@rel='author']"),
               XPath("//*[contains(@class, 'author')]//*[contains(concat(' ', @class, ' '), ' fn ')]"
                     " | //*[contains(@class, 'p-author')]//*[contains(@class, 'p-name')]"),
               XPath("//*[contains(@class, 'author') or contains(@class, 'byline')]"))  # fmt: skip
BY = re.compile(r"\bby\s*:?\s*$", re.IGNORECASE)
BYLINE = re.compile(r"^\s*(?:posted|written|published)?\s*by\b", re.IGNORECASE)
BYLINE_END = re.compile(r"\s+(?:[·|•—–-]|on|at)\s+.*$|,\s.*$")
TIMES = XPath("//time | //*[@itemprop='datePublished'] | //abbr[contains(@class, 'published')]")
POST_BODY_CLASS = re.compile(r"^(?:entry-content|post-content|post-body|article-body|e-content|articleBody|"
                             r"entry|post-entry|article-content|content-body|story)$")  # fmt: skip
POST_BODIES = XPath("descendant::*[@itemprop='articleBody' or contains(@class, 'entry-content')"
                    " or contains(@class, 'post-body') or contains(@class, 'post-content')"
                    " or contains(@class, 'article-body') or contains(@class, 'e-content')]")  # fmt: skip
PARAGRAPHS = XPath("//p | //pre | //blockquote")
JUNK = XPath("descendant::script | descendant::style | descendant::noscript | descendant::form"
             " | descendant::button | descendant::iframe")  # fmt: skip


def read_post(reader: PageReader, exclude: list[HtmlElement], warnings: list[str],
              body: HtmlElement | None, known: dict[str, str | None]) -> Post:  # fmt: skip
    """The post: `body` and the fields in `known` win; the rest from the page (h1, meta,
    the largest text block). What `exclude` names (the comments) is never read."""
    root = reader.root
    skip = set(reader.skip + exclude)
    dated = known.get("published") or known.get("published_raw")
    needed = body is None or not (known.get("title") and known.get("author") and dated)
    h1 = title_heading(root, skip, reader.page.url) if needed else None
    title = known.get("title") or one_line(text_of(h1)) or reader.meta("og:title")
    title = title or one_line(TITLE_TAG(root)).split(" | ")[0].split(" – ")[0] or None
    header = _header(h1)
    author = known.get("author") or reader.meta("author") or reader.meta("article:author")
    if not author:
        author = _author(root, skip, header)
    published, raw = known.get("published"), known.get("published_raw")
    if not published and not raw:
        published = reader.meta("article:published_time")
        if not published:
            when = _time(root, skip, header, h1)
            if when is not None:
                stated = when.get("datetime") or when.get("content") or when.get("title")
                published, raw = reader.date(stated or text_of(when))
    modified = known.get("modified") or reader.meta("article:modified_time")
    body = _body(root, skip, h1) if body is None else body
    text = html = ""
    if body is not None:
        text, html = _clean(body, skip)
    else:
        warnings.append("post: no body")
    for name, value in (("title", title), ("author", author), ("published", published or raw)):
        if not value:
            warnings.append(f"post: no {name}")
    return Post(reader.post_url, title or None, author or None, published, modified, text, html,
                published_raw=raw)  # fmt: skip


def title_heading(root: HtmlElement, skip: Collection[HtmlElement], url: str) -> HtmlElement | None:
    """The post's title: an h1 (not the site name linking home), else a title h2/h3."""
    own = permalink(url)
    for heading in TITLES(root):
        if inside(heading, skip):
            continue
        anchors = [*heading.iter("a"), *heading.iterancestors("a")]
        links = [permalink(absolute(a.get("href", ""), url)) for a in anchors]
        if any(urlsplit(link).path in ("", "/") for link in links):
            continue  # the site's name, linking home
        if all(link == own for link in links) and text_of(heading).strip():
            return heading
    return None


def comment_area(blocks: list[HtmlElement]) -> list[HtmlElement]:
    """The elements holding the comments, to be left out of the post."""
    if not blocks:
        return []
    chain = list(blocks[0].iterancestors())
    level = {a: i for i, a in enumerate(chain)}
    deepest = 0
    for b in blocks[1:]:
        hit = next((level[a] for a in b.iterancestors() if a in level), len(chain))
        deepest = max(deepest, hit)
    lca = chain[deepest] if deepest < len(chain) else None
    if lca is not None and lca.tag not in ("body", "html", "main", "article", "h1") and len(blocks) > 1:
        bodies = [b for b in POST_BODIES(lca) if not inside(b, blocks)]
        bodies += [lca] if any(POST_BODY_CLASS.match(n) for n in names_of(lca).split()) else []
        if lca.find(".//h1") is None and not bodies:  # not a column holding the post too
            return [lca]
    return list(blocks)


def _author(root: HtmlElement, skip: set[HtmlElement], header: HtmlElement | None) -> str | None:
    """The byline's name: an author element early on the page, else the word after
    "by" near the title."""
    found = next((a for xpath in POST_AUTHOR for a in xpath(root)[:FEW]
                  if not inside(a, skip)), None)  # fmt: skip
    if found is None and header is not None:  # "started by <b>pat</b>"
        found = next((el for el in header.iter() if isinstance(el.tag, str)
                      and BY.search(_text_before(el)) and not inside(el, skip)), None)  # fmt: skip
    author = SAID.sub("", one_line(text_of(found))) if found is not None else None
    author = BYLINE_END.sub("", author) if author else None  # "Ned · 20 Aug 2018"
    return author if author and len(author) <= SHORT else None


def _time(root: HtmlElement, skip: set[HtmlElement], header: HtmlElement | None,
          h1: HtmlElement | None) -> HtmlElement | None:  # fmt: skip
    """The element stating when the post was published: an early time, else a short
    date text near the title."""
    when = next((t for t in TIMES(root)[:FEW] if not inside(t, skip)), None)
    if when is None and header is not None:  # a date written near the title
        when = next((el for el in header.iter() if isinstance(el.tag, str)
                     and el is not h1 and len(el.text_content()) <= SHORT
                     and DATE_TEXT.search(el.text or "")), None)  # fmt: skip
    return when


def _body(root: HtmlElement, skip: set[HtmlElement], h1: HtmlElement | None) -> HtmlElement | None:
    """The element holding the post's text: a known class, else the largest text block."""
    for el in POST_BODIES(root):
        if not inside(el, skip) and any(POST_BODY_CLASS.match(n) for n in names_of(el).split()):
            return el
    scores: Counter[HtmlElement] = Counter()
    for p in PARAGRAPHS(root):
        if (parent := p.getparent()) is not None and not inside(p, skip):
            scores[parent] += len(p.text_content().strip())
    for el in scores:
        for name in (el.get("class") or "").split():
            if POST_BODY_CLASS.match(name):
                return el
    if not scores:
        return None
    best = max(scores, key=lambda el: scores[el])
    if h1 is None or not inside(h1, [best]):
        return best
    # The title sits in the same element as the text: take what follows the title
    # and its byline, up to a rule, a heading or the comments.
    body = Element("div")
    started = False
    for child in best:
        if not isinstance(child.tag, str):
            continue
        if not started:
            started = inside(h1, [child])
            continue
        if child.tag in ("hr", "h2", "h3", "h4", "h5", "h6", "form") or inside(child, skip):
            break
        if any(inside(el, [child]) for el in skip):
            break
        if child.tag == "p" and BYLINE.match(child.text_content()):
            continue
        body.append(copy.deepcopy(child))
    return body if len(body) else best


def _header(h1: HtmlElement | None) -> HtmlElement | None:
    """The element around the post's title, where its byline and date usually are."""
    parent = h1.getparent() if h1 is not None else None
    return parent if parent is not None and parent.tag not in ("body", "html") else h1


def _text_before(el: HtmlElement) -> str:
    previous = el.getprevious()
    if previous is not None:
        return previous.tail or ""
    parent = el.getparent()
    return (parent.text or "") if parent is not None else ""


def _clean(body: HtmlElement, skip: Collection[HtmlElement]) -> tuple[str, str]:
    """Text and sanitised HTML of `body` without what `skip` names and without scripts."""
    dropped = [el for el in skip if inside(el, [body]) and el is not body]
    if dropped or JUNK(body):
        marks = set(dropped)
        marked = []
        for el in body.iter():
            if el in marks:
                el.set("data-archiver-drop", "1")
                marked.append(el)
        body = copy.deepcopy(body)
        for el in marked:
            del el.attrib["data-archiver-drop"]
        for el in [*body.xpath("descendant::*[@data-archiver-drop]"), *JUNK(body)]:
            if el.getparent() is not None:
                el.drop_tree()
    return text_of(body), sanitize_html(inner_html(body), body.base_url or "")
