"""Disqus: the comments of a page that embeds Disqus, read from Disqus's embed page.

Disqus is never a page's own platform: the extractor that reads the post (WordPress,
Blogger, ...) calls `disqus_sources` and names the embed URL in `Thread.comment_sources`;
the crawl fetches it (off-site) and `extract_source` reads the thread data Disqus puts in
the embed page (``<script type="text/json" id="disqus-threadData">``) as a supplement.

The embed is ``https://disqus.com/embed/comments/?base=default&f=SHORTNAME&t_u=URL&t_i=ID``.
``ARCHIVER_DISQUS_EMBED_BASE`` (environment, read at import) replaces its base, e.g.
``http://127.0.0.1:8001/embed/comments/`` for a test server standing in for Disqus; any URL
under that base, and any ``/embed/comments/`` URL on disqus.com, is read as an embed.

The embed shows the first page of a thread (about 50 top-level comments with their
replies); the rest needs the Disqus API and a key, which this module does not use: a
thread with more says so in `Thread.warnings`.
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import quote, urlencode, urlsplit

from lxml.html import HtmlElement

from ..exceptions import ExtractionError
from ..page import Page
from ..records import Comment, Post, Thread
from ..sanitize import sanitize_html
from .dates import resolve_date
from .head import canonical_url
from .markup import html_to_text, web_url

__all__ = [
    "EMBED_BASE", "EXTRACTOR", "PLATFORM", "VERSION", "accepts_source", "detect", "disqus_sources", "extract",
    "extract_source",
]  # fmt: skip

VERSION = 1
PLATFORM = "disqus"
EXTRACTOR = f"{PLATFORM}@{VERSION}"
EMBED_BASE = os.environ.get("ARCHIVER_DISQUS_EMBED_BASE") or "https://disqus.com/embed/comments/"

EMBEDDED = re.compile(r"""id=["']disqus_thread["']|\.disqus\.com/(?:embed|blogger_item)\.js|disqus_embed\.js""")
SHORTNAME = (
    re.compile(r"""\bdisqus_shortname\s*=\s*["']([\w-]+)["']"""),
    re.compile(r"""["']disqusShortname["']\s*:\s*["']([\w-]+)["']"""),  # WordPress plugin's embedVars
    re.compile(r"""//([\w-]+)\.disqus\.com/(?:embed|blogger_item)\.js"""),
)
IDENTIFIER = (
    re.compile(r"""\bdisqus_identifier\s*=\s*(["'])((?:(?!\1).)+)\1"""),
    re.compile(r"""this\.page\.identifier\s*=\s*(["'])((?:(?!\1).)+)\1"""),
    re.compile(r"""["']disqusIdentifier["']\s*:\s*(")((?:[^"\\]|\\.)+)\1"""),
)
THREAD_URL = (
    re.compile(r"""\bdisqus_url\s*=\s*(["'])(https?:(?:(?!\1).)+)\1"""),
    re.compile(r"""this\.page\.url\s*=\s*(["'])(https?:(?:(?!\1).)+)\1"""),
    re.compile(r"""["']disqusUrl["']\s*:\s*(")(https?:(?:[^"\\]|\\.)+)\1"""),
    re.compile(r"""\bdisqus_blogger_current_url\s*=\s*(["'])(https?:(?:(?!\1).)+)\1"""),
)
THREAD_DATA = re.compile(
    r"""<script[^>]*\bid=["']disqus-threadData["'][^>]*>(.*?)</script>""", re.DOTALL | re.IGNORECASE
)


def disqus_sources(root: HtmlElement, page: Page) -> tuple[str, ...]:
    """The Disqus embed URL of the thread `page` embeds, if it embeds one.

    Reads the shortname (``disqus_shortname``, the WordPress plugin's ``disqusShortname``,
    ``//SHORTNAME.disqus.com/embed.js``), the thread's identifier and URL when the page
    configures them (``disqus_identifier``, ``this.page.identifier``, ``disqus_url``,
    ``this.page.url``, Blogger's ``disqus_blogger_current_url``), else the canonical URL.
    """
    text = page.text
    if "disqus" not in text or not EMBEDDED.search(text):
        return ()
    shortname = _first(SHORTNAME, text, 1)
    if not shortname:
        return ()
    url = _first(THREAD_URL, text, 2) or canonical_url(root, page.url) or page.url
    params = [("base", "default"), ("f", shortname), ("t_u", url.split("#")[0])]
    if identifier := _first(IDENTIFIER, text, 2):
        params.append(("t_i", identifier))
    return (EMBED_BASE + "?" + urlencode(params, quote_via=quote, safe=""),)


def _first(patterns: tuple[re.Pattern[str], ...], text: str, group: int) -> str | None:
    for pattern in patterns:
        if found := pattern.search(text):
            value = found.group(group)
            if found.group(1) == '"' and "\\" in value:  # a JSON string: "http:\/\/…"
                try:
                    value = json.loads(f'"{value}"')
                except ValueError:
                    pass
            return value.strip() or None
    return None


def detect(page: Page) -> float:
    """A Disqus embed page is Disqus's (so no other extractor reads it as a post)."""
    return 0.9 if page.is_html() and "disqus-threadData" in page.text else 0.0


def extract(page: Page) -> Thread | None:
    """Never a thread by itself: an embed page is read through `extract_source`."""
    del page
    return None


def accepts_source(url: str) -> bool:
    parts = urlsplit(url)
    if url.startswith(EMBED_BASE.split("?")[0]):
        return True
    host = (parts.hostname or "").lower()
    return (host == "disqus.com" or host.endswith(".disqus.com")) and parts.path.startswith("/embed/comments")


def extract_source(page: Page, post: Post) -> Thread:
    """The comments of `post` from its Disqus embed page (a supplement).

    Raises `ExtractionError` naming the embed URL when it cannot be read: an error
    status, no thread data (blocked, a consent or error page), or a Disqus error code.
    """
    if page.status >= 400:
        raise ExtractionError(page.url, PLATFORM, f"embed answered HTTP {page.status}")
    found = THREAD_DATA.search(page.text)
    if found is None:
        raise ExtractionError(page.url, PLATFORM, "no disqus-threadData in the embed page")
    try:
        data = json.loads(found.group(1))
    except ValueError as exc:
        raise ExtractionError(page.url, PLATFORM, f"unreadable disqus-threadData: {exc}") from None
    if not isinstance(data, dict) or data.get("code", 0) != 0 or not isinstance(data.get("response"), dict):
        code, said = (data.get("code"), data.get("response")) if isinstance(data, dict) else (None, None)
        detail = f": {said[:200]}" if isinstance(said, str) else ""
        raise ExtractionError(page.url, PLATFORM, f"Disqus answered code {code}{detail}")
    response = data["response"]
    posts = [p for p in response.get("posts") or [] if isinstance(p, dict) and p.get("id") is not None]
    thread = response.get("thread") if isinstance(response.get("thread"), dict) else {}
    total = thread.get("posts")
    warnings: list[str] = []
    if (data.get("cursor") or {}).get("hasNext"):
        warnings.append(f"Disqus embed shows {len(posts)} of {total} comments; the rest needs the Disqus API")
    closed = thread.get("isClosed")
    return Thread(
        post, PLATFORM, EXTRACTOR, _tree(posts, post, warnings),
        stated_comment_count=total if isinstance(total, int) else None,
        comments_open=None if closed is None else not closed,
        warnings=tuple(warnings),
        supplement=True,
    )  # fmt: skip


def _tree(posts: list[dict], post: Post, warnings: list[str]) -> tuple[Comment, ...]:
    """Depth-first, replies under their parents, siblings oldest first."""
    ids = {str(p["id"]) for p in posts}
    children: dict[str | None, list[dict]] = {}
    for item in sorted(posts, key=lambda p: str(p.get("createdAt") or "")):
        parent = str(item["parent"]) if item.get("parent") is not None else None
        if parent is not None and parent not in ids:
            warnings.append(f"comment {item['id']}: parent {parent} is not in the embed")
        children.setdefault(parent if parent in ids else None, []).append(item)
    out: list[Comment] = []

    def walk(parent: str | None, depth: int) -> None:
        for item in children.get(parent, []):
            level = depth if parent is not None or item.get("parent") is None else 1  # orphan reply
            out.append(_comment(item, post, level, warnings))
            walk(str(item["id"]), level + 1)

    walk(None, 0)
    return tuple(out)


def _comment(item: dict, post: Post, depth: int, warnings: list[str]) -> Comment:
    source_id = str(item["id"])
    parent = str(item["parent"]) if item.get("parent") is not None else None
    author = item["author"] if isinstance(item.get("author"), dict) else {}
    html = str(item.get("message") or "")
    text = html_to_text(html)
    if item.get("isDeleted"):
        warnings.append(f"comment {source_id}: deleted")
    elif not text:
        warnings.append(f"comment {source_id}: no text")
    published, raw = resolve_date(str(item.get("createdAt") or ""), None)  # UTC, no offset
    return Comment(
        source_id=source_id,
        parent_source_id=parent,
        depth=depth,
        author=str(author.get("name") or "").strip() or None,
        author_url=web_url(author.get("url") or author.get("profileUrl"), post.url),
        published=published,
        text=text,
        html=sanitize_html(html, post.url),
        permalink=f"{post.url.split('#')[0]}#comment-{source_id}",
        published_raw=raw,
    )
