"""Any blog or forum theme: comments found by structure, for pages no platform module knows.

A comment is the smallest element that holds, in its own markup (not counting the
comments inside it), an author-like element, a time-like element and a text block;
the comments of a thread repeat one markup pattern (`generic_finder`). Nesting comes
from depth classes (``depth-2``, ``level-3``) or indentation styles when the page has
them, otherwise from the DOM (`generic_comments`). Sidebars, widgets, navigation and
page footers ("Recent comments") are never read (`chrome`).

Comment ids are the page's own (``id="comment-17"``, ``id="c17"``, an anchor or a
permalink fragment) where one is visible, else ``h`` + a hash of (author, time, text):
stable across crawls while the comment is unchanged. Every record carries
``confidence`` 0.6: this is a structural guess.

The page-level helpers (`reader`, `post`, `comment_pages`, `ids`, `chrome`) are shared
with the schema.org and microformats modules.
"""

from __future__ import annotations

from lxml.etree import XPath
from lxml.html import HtmlElement

from ..page import Page
from ..records import Post, Thread
from .chrome import chrome
from .comment_pages import permalink
from .generic_comments import read_comments
from .generic_finder import Finder
from .head import META
from .markup import absolute, inside, parse
from .post import comment_area, title_heading
from .reader import PageReader

VERSION = 1
PLATFORM = "generic"
EXTRACTOR = f"{PLATFORM}@{VERSION}"
FALLBACK = True  # the registry uses this module only when no platform module is sure
CONFIDENCE = 0.6

TEASER_HEADINGS = XPath("//h2[.//a[@href] or ancestor::a[@href]] | //h3[.//a[@href] or ancestor::a[@href]]")


def detect(page: Page) -> float:
    """A low score for any HTML page: the fallback reads what nobody else claims."""
    if not page.is_html():
        return 0.0
    return 0.2 if page.text.count("<time") + page.text.count("comment") >= 2 else 0.1


def extract(page: Page) -> Thread | None:
    """The thread the page shows, found by structure; None for indexes and non-posts."""
    if not page.is_html():
        return None
    root = parse(page)
    skip = chrome(root)
    finder = Finder(root, skip)
    blocks = [b for b in finder.blocks() if not _post_like(b)]
    if _is_index(root, skip, page.url):
        return None
    reader = PageReader(page, root, skip)
    warnings: list[str] = []
    comments = read_comments(reader, finder.flags, blocks, warnings)
    post = reader.post(exclude=comment_area(blocks), warnings=warnings)
    if not comments and not (post.title and post.text and _looks_like_post(root, skip, page.url, post)):
        return None
    return reader.thread(post, PLATFORM, EXTRACTOR, comments, warnings, confidence=CONFIDENCE)


def _post_like(block: HtmlElement) -> bool:
    """The post itself, not a comment: it holds the page's h1."""
    return block.find(".//h1") is not None


def _is_index(root: HtmlElement, skip: list[HtmlElement], url: str) -> bool:
    """A list of posts (teasers: headings linking to other pages), not one post."""
    own = permalink(url)
    teasers = 0
    for heading in TEASER_HEADINGS(root):
        if inside(heading, skip):
            continue
        links = [*heading.iter("a"), *(a for a in heading.iterancestors("a"))]
        hrefs = [absolute(a.get("href", ""), url) for a in links]
        if any(permalink(h) != own and not h.startswith("#") for h in hrefs):
            teasers += 1
    return teasers >= 2 and title_heading(root, skip, url) is None


def _looks_like_post(root: HtmlElement, skip: list[HtmlElement], url: str, post: Post) -> bool:
    """A page without comments is a post when it says so (og:type, a publication time)
    or has a title heading and a date."""
    if any(v.strip() == "article" for v in META(root, name="og:type")):
        return True
    if META(root, name="article:published_time"):
        return True
    return bool(post.published or post.published_raw) and title_heading(root, skip, url) is not None

