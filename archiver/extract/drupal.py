"""Drupal: core's comment module as its themes print it (Olivero, Bartik; Drupal 7 to 11).

Drupal 8 and later put each comment in an element with ``id="comment-N"`` and
``data-comment-user-id``; Drupal 7 prints an ``<a id="comment-N"></a>`` anchor right
before each ``div.comment``. Replies follow the comment they answer inside a
``div.indented``. The comment's words are its body field (``field--name-comment-body``,
Drupal 7's ``field-name-comment-body``): never the subject heading, the "Reply" links or
the "Permalink". Its time is the ``<time datetime>`` or RDFa ``dc:date`` the theme prints,
else the date as written (core's medium format ``Wed, 05/03/2023 - 09:12`` is month
first), else the hidden ``data-comment-timestamp`` (the last change: Olivero prints only
"3 years ago"). The post, its pages and counts are read as for any page (`PageReader`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from lxml.etree import XPath
from lxml.html import HtmlElement

from ..page import Page
from ..records import Comment, Thread
from ..sanitize import sanitize_html
from .chrome import chrome
from .ids import with_depths
from .markup import absolute, attr, classes, css, first, inner_html, parse, text_of
from .post import comment_area
from .reader import PageReader

__all__ = ["EXTRACTOR", "PLATFORM", "VERSION", "detect", "extract"]

VERSION = 1
PLATFORM = "drupal"
EXTRACTOR = f"{PLATFORM}@{VERSION}"

GENERATOR = re.compile(r"""<meta\s+name=["']generator["']\s+content=["']Drupal""", re.IGNORECASE)
MARKED = re.compile(r'data-comment-user-id=|class="comment js-comment|<a id="comment-\d+"></a>')

COMMENTS = XPath("//*[@data-comment-user-id][starts-with(@id, 'comment-')]"
                 " | //a[starts-with(@id, 'comment-')][not(@href)]"
                 "/following-sibling::*[1][contains(concat(' ', @class, ' '), ' comment ')]")  # fmt: skip
COMMENT_ID = re.compile(r"^comment-(\d+)$")
BODY = (css(".field--name-comment-body"), css(".field-name-comment-body .field-item"),
        css(".field-name-comment-body"), css(".comment__content"), css(".content"))  # fmt: skip
BODY_JUNK = css("h3, ul.links, .comment__links")  # the subject (a permalink) and "Reply"
AUTHOR = (css(".comment__author .username"), css(".comment__author"), css(".commenter-name .username"),
          css(".username"))  # fmt: skip
TIME = (css("time[datetime]"), css("[property~='dc:date'][content]"))
WRITTEN_TIME = (css(".comment__time"), css(".comment-time"), css(".submitted"))
STAMP = XPath("descendant::*[@data-comment-timestamp][1]/@data-comment-timestamp")
PERMALINKS = css(".comment__permalink a[href], .comment-permalink a[href], a.permalink[href]")
BY = re.compile(r"^\s*(?:submitted\s+)?by\b|\bon\b", re.IGNORECASE)
NOT_VERIFIED = re.compile(r"\s*\(not verified\)\s*$")
MEDIUM_DATE = re.compile(r"\b(\d{2})/(\d{2})/(\d{4}) - (\d{2}):(\d{2})\b")  # core's 'D, m/d/Y - H:i'

POST_TITLE = (css("h1.page-title"), css("h1#page-title"), css("h1"))
POST_AUTHOR = (css(".node__meta .node__author"), css(".node__meta .username"),
               css(".node .submitted .username"))  # fmt: skip
POST_TIME = (css(".node__meta time[datetime]"), css(".node .submitted [property~='dc:date'][content]"),
             css(".node__meta .field--name-created"))  # fmt: skip
POST_BODY = (css(".node__content .field--name-body"), css(".node .field-name-body"))
STATED = (XPath("//*[contains(@class, 'comments__count')]"),
          XPath("//*[@property='sioc:num_replies']/@content"))  # fmt: skip


def detect(page: Page) -> float:
    """1.0 for a Drupal page with core's comment markup, 0.9 for that markup alone."""
    if not page.is_html() or "comment" not in page.text:
        return 0.0
    text = page.text
    if not MARKED.search(text):
        return 0.0
    return 1.0 if GENERATOR.search(text) else 0.9


def extract(page: Page) -> Thread | None:
    """The node and its comments; None for a page without Drupal comments."""
    if not page.is_html():
        return None
    root = parse(page)
    nodes = COMMENTS(root)
    if not nodes:
        return None
    reader = PageReader(page, root, chrome(root))
    warnings: list[str] = []
    ids = {n: _source_id(n) for n in nodes}  # an lxml element hashes by identity
    comments = [_comment(reader, n, ids[n], _parent(n, ids), warnings) for n in nodes]
    known = {"title": text_of(first(root, *POST_TITLE)) or None,
             "author": NOT_VERIFIED.sub("", text_of(first(root, *POST_AUTHOR))) or None}  # fmt: skip
    stamp = first(root, *POST_TIME)
    if stamp is not None:
        known["published"], known["published_raw"] = _when(reader, stamp)
    elif (meta := first(root, ".node__meta")) is not None:  # Olivero: "By Dana Whitfield, 2 May, 2023"
        written = BY.sub("", text_of(meta).replace(known["author"] or "\x00", " ")).strip(" ,")
        known["published"], known["published_raw"] = reader.date(written) if written else (None, None)
    post = reader.post(exclude=comment_area(nodes), warnings=warnings, body=first(root, *POST_BODY),
                       **{k: v for k, v in known.items() if v})  # fmt: skip
    return reader.thread(post, PLATFORM, EXTRACTOR, with_depths(comments), warnings, stated=_stated(root))


def _source_id(node: HtmlElement) -> str:
    """N of ``id="comment-N"`` (Drupal 8+), or of the anchor just before (Drupal 7)."""
    anchor = node if node.get("id") else node.getprevious()
    found = COMMENT_ID.match((anchor.get("id") if anchor is not None else "") or "")
    return found.group(1) if found else node.get("about", "").rsplit("-", 1)[-1]


def _parent(node: HtmlElement, ids: dict[HtmlElement, str]) -> str | None:
    """The comment a reply answers: the one just before the ``div.indented`` holding it."""
    indented = next((a for a in node.iterancestors() if "indented" in classes(a)), None)
    if indented is None:
        return None
    before = indented.getprevious()
    while before is not None and (not isinstance(before.tag, str) or before.tag == "a" and not len(before)):
        before = before.getprevious()  # Drupal 7: the next comment's anchor may come first
    return ids.get(before) if before is not None else None


def _comment(reader: PageReader, node: HtmlElement, source_id: str, parent: str | None,
             warnings: list[str]) -> Comment:  # fmt: skip
    body = first(node, *BODY)
    if body is not None:
        for junk in BODY_JUNK(body):
            junk.drop_tree()
    author_el = first(node, *AUTHOR)
    author = NOT_VERIFIED.sub("", text_of(author_el)) or None
    link = author_el if author_el is not None and author_el.tag == "a" else first(author_el, "a[href]")
    stated = first(node, *TIME)
    written = first(node, *WRITTEN_TIME) if stated is None else None
    published, raw = _when(reader, stated if stated is not None else written)
    if written is not None and not MEDIUM_DATE.search(raw or "") and (stamp := STAMP(node)):
        # Olivero writes only "3 years 6 months ago": the hidden timestamp is exact (the last change)
        published = datetime.fromtimestamp(int(stamp[0]), UTC).isoformat()
    if published is None:
        warnings.append(f"comment {source_id}: no date")
    # Its own: a reply's "In reply to" line links the parent's permalink too.
    anchor = f"#comment-{source_id}"
    permalink = next((a for a in PERMALINKS(node) if a.get("href", "").endswith(anchor)), None)
    return Comment(
        source_id=source_id,
        parent_source_id=parent,
        depth=0,
        author=author,
        author_url=reader.url(attr(link, "href")),
        published=published,
        text=text_of(body),
        html=sanitize_html(inner_html(body), reader.base) if body is not None else "",
        permalink=absolute(permalink.get("href"), reader.base) if permalink is not None else None,
        published_raw=raw,
    )


def _when(reader: PageReader, el: HtmlElement | None) -> tuple[str | None, str | None]:
    """(ISO time, the date as written) of a ``<time>``, an RDFa date or a written date."""
    if el is None:
        return None, None
    stated = attr(el, "datetime") or attr(el, "content")
    if stated:
        return reader.date(stated)
    written = " ".join(text_of(el).split())
    if found := MEDIUM_DATE.search(written):  # month first: read it before a day-first guess
        month, day, year, hour, minute = found.groups()
        return reader.date(f"{year}-{month}-{day} {hour}:{minute}")[0], written
    return reader.date(written)


def _stated(root: HtmlElement) -> int | None:
    for selector in STATED:
        for found in selector(root):
            value = found if isinstance(found, str) else text_of(found)
            if value.strip().isdigit():
                return int(value)
    return None
