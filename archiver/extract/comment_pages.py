"""Comment pages of any blog or forum theme: which page of a thread a URL is, and the
thread's other pages the page links to.

A comment page is named in the path (``/comment-page-2/``, ``/comments/page/2``,
``/page-2``) or the query (``?cpage=2``, ``?page=2``); the thread's permalink is the URL
without it. Linked pages are links to the same permalink, outside page chrome (comment
navigation counts), labelled with a page number or "older" / "newer".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml.etree import XPath
from lxml.html import HtmlElement

from .markup import absolute, inside

__all__ = ["comment_page_of", "comment_pages", "permalink"]

PAGE_PATH = re.compile(r"/(?:comment-page-|comments?/page/|comments?-page-|comments?/|page/|page-)"
                       r"(\d+)(/?)$")  # fmt: skip
PAGE_QUERY = ("cpage", "page", "comment-page", "comments_page", "commentPage", "pg")
DROPPED_QUERY = frozenset({*PAGE_QUERY, "showComment", "replytocom"})
LINKS = XPath("//a[@href] | /html/head/link[@rel='next' or @rel='prev' or @rel='previous']")
REPLY_QUERY = re.compile(r"[?&](?:replytocom|showComment)=")
OLDER = re.compile(r"\b(?:older|previous|earlier|prev)\b|«|←|‹", re.IGNORECASE)
NEWER = re.compile(r"\b(?:newer|next|later)\b|»|→|›", re.IGNORECASE)


def permalink(url: str) -> str:
    """`url` without its comment page (``/comment-page-2/``, ``?page=2``) or fragment."""
    url = url.partition("#")[0]
    if "?" not in url and not PAGE_PATH.search(url):
        return url if "://" not in url or url.count("/") > 2 else url + "/"
    parts = urlsplit(url)
    path = PAGE_PATH.sub(r"\2", parts.path) if PAGE_PATH.search(parts.path) else parts.path
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k not in DROPPED_QUERY])  # fmt: skip
    return urlunsplit((parts.scheme, parts.netloc, path or "/", query, ""))


def comment_page_of(url: str) -> int | None:
    parts = urlsplit(url)
    if found := PAGE_PATH.search(parts.path):
        return int(found.group(1))
    query = dict(parse_qsl(parts.query))
    return next((int(query[k]) for k in PAGE_QUERY if query.get(k, "").isdigit()), None)


def comment_pages(root: HtmlElement, url: str, *, canonical: str | None, base: str, post_url: str,
                  skip: Iterable[HtmlElement]) -> tuple[int, tuple[str, ...]]:  # fmt: skip
    """The comment page number of the page at `url` and the thread's other comment pages
    it links to. `post_url` is the thread's permalink; `skip` the page's chrome."""
    own = {url.split("#")[0], (canonical or "").split("#")[0]}
    number = comment_page_of(url)
    if number is None and canonical:
        number = comment_page_of(canonical)
    urls: list[str] = []
    older: list[int] = []
    newer: list[int] = []
    chrome_ = {el for el in skip if el.tag != "nav"}  # comment navigation counts
    prefix = post_url.split("?")[0].rstrip("/")
    for link in LINKS(root):
        href = link.get("href", "").strip()
        if not href or href.startswith(("#", "mailto:", "javascript:")):
            continue
        linked_url = absolute(href, base).split("#")[0]
        if not linked_url.startswith(prefix) or linked_url in own or REPLY_QUERY.search(linked_url):
            continue
        if permalink(linked_url) != post_url or inside(link, chrome_):
            continue
        linked = comment_page_of(linked_url)
        label = f"{link.get('rel', '')} {link.text_content()} {link.get('class', '')}"
        if linked is None and not (OLDER.search(label) or NEWER.search(label)
                                   or label.strip().isdigit()):  # fmt: skip
            continue  # the post's own permalink, not a page link
        urls.append(linked_url)
        if OLDER.search(label):
            older.append(linked or 1)
        elif NEWER.search(label):
            newer.append(linked or 1)
    if number is None:
        number = max(older) + 1 if older else (min(newer) - 1 if newer and min(newer) > 1 else 1)
    return number, tuple(dict.fromkeys(urls))
