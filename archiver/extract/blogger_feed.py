"""Blogger's JSON comment feed: every comment of a post, read as a supplement of its thread.

The post view names its feed (``/feeds/POSTID/comments/default?alt=json``) as a comment
source: it gives every comment (also those past the 200 a page shows) with exact ISO
times, and its ids are the same as the page's (``c1234`` and ``…post-1234``). The feed
sends newest first, a page at a time; comments are put in thread order, replies under
their parents, and the next feed page is named.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from ..exceptions import ExtractionError
from ..page import Page
from ..records import Comment, Post, Thread
from ..sanitize import sanitize_html
from .dates import resolve_date
from .markup import html_to_text, web_url

__all__ = ["accepts_source", "read_feed"]

FEED_PATH = re.compile(r"/feeds/(?:\d+/)?(\d+)/comments/default/?$")
FEED_ID = re.compile(r"\.post-(\d+)$")
RELATED_ID = re.compile(r"/comments/default/(\d+)")
CALLBACK = re.compile(r"^[^{]*?\(\s*(\{.*\})\s*\)\s*;?\s*$", re.DOTALL)  # alt=json-in-script


def accepts_source(url: str) -> bool:
    """True for a post's comment feed (``/feeds/[BLOGID/]POSTID/comments/default``)."""
    return bool(FEED_PATH.search(urlsplit(url).path))


def read_feed(page: Page, post: Post, platform: str, extractor: str) -> Thread:
    """The comments of `post` in one page of its JSON comment feed: a supplement that
    `extractor` (of `platform`) made.

    Raises `ExtractionError` when the answer is not a Blogger JSON feed.
    """
    if page.status >= 400:
        raise ExtractionError(page.url, platform, f"comment feed answered HTTP {page.status}")
    text = page.text.strip()
    if not text.startswith("{") and (wrapped := CALLBACK.match(text)):
        text = wrapped.group(1)
    try:
        feed = json.loads(text).get("feed")
    except (ValueError, AttributeError):
        feed = None
    if not isinstance(feed, dict):
        raise ExtractionError(page.url, platform, "not a Blogger JSON comment feed")
    post_match = FEED_PATH.search(urlsplit(page.url).path)
    post_id = post_match.group(1) if post_match else None
    warnings: list[str] = []
    entries = [c for e in feed.get("entry") or [] if (c := _entry(e, post, post_id, warnings))]
    entries.sort(key=_instant)  # the feed sends newest first; threads read oldest first
    query = parse_qs(urlsplit(page.url).query)
    start = _number(query.get("start-index"), 1)
    size = _number(query.get("max-results"), 0) or max(len(entries), 1)
    total = _text(feed.get("openSearch$totalResults"))
    return Thread(
        post, platform, extractor, _tree(entries),
        comment_page=(start - 1) // size + 1,
        comment_page_urls=_next_page(feed, page.url, start),
        stated_comment_count=int(total) if total.isdigit() else None,
        warnings=tuple(warnings),
        supplement=True,
    )  # fmt: skip


def _entry(entry: object, post: Post, post_id: str | None, warnings: list[str]) -> Comment | None:
    found = FEED_ID.search(_text(entry.get("id"))) if isinstance(entry, dict) else None
    if found is None or not isinstance(entry, dict):
        warnings.append("feed entry without a comment id")
        return None
    source_id = found.group(1)
    links = {link.get("rel"): str(link.get("href", "")) for link in _dicts(entry.get("link"))}
    parent = RELATED_ID.search(links.get("related", ""))
    reply_to = FEED_ID.search(_text(next(iter(_dicts([entry.get("thr$in-reply-to")])), {}).get("ref")))
    parent_id = parent.group(1) if parent else None
    if parent_id is None and reply_to and reply_to.group(1) != post_id:
        parent_id = reply_to.group(1)
    author = next(iter(_dicts(entry.get("author"))), {})
    html = _text(entry.get("content")) or _text(entry.get("summary"))
    permalink = links.get("alternate") or None
    if permalink:  # the same permalink the page gives, on the host the post was read from
        parts, own = urlsplit(permalink), urlsplit(post.url)
        permalink = urlunsplit((own.scheme, own.netloc, own.path, parts.query, parts.fragment))
    published, raw = resolve_date(_text(entry.get("published")), None)
    text = html_to_text(html)
    if not text:
        warnings.append(f"comment {source_id}: no text")
    return Comment(source_id, parent_id, 0, _text(author.get("name")) or None,
                   web_url(_text(author.get("uri")), post.url), published, text,
                   sanitize_html(html, post.url), permalink, raw)  # fmt: skip


def _tree(comments: list[Comment]) -> tuple[Comment, ...]:
    """Replies under their parents (depth-first), with depths; a reply whose parent is on
    another feed page stays at depth 1."""
    ids = {c.source_id for c in comments}
    children: dict[str | None, list[Comment]] = {}
    for c in comments:
        children.setdefault(c.parent_source_id if c.parent_source_id in ids else None, []).append(c)
    out: list[Comment] = []

    def walk(parent: str | None, depth: int) -> None:
        for c in children.get(parent, []):
            level = depth if parent or c.parent_source_id is None else 1
            out.append(replace(c, depth=level))
            walk(c.source_id, level + 1)

    walk(None, 0)
    return tuple(out)


def _instant(comment: Comment) -> datetime:
    try:
        return datetime.fromisoformat(comment.published or "")
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def _dicts(value: object) -> list[dict]:
    """The dicts of a JSON list (or the one dict given): feeds in the wild are untidy."""
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def _number(values: list[str] | None, default: int) -> int:
    value = (values or [""])[0]
    return int(value) if value.isdigit() else default


def _next_page(feed: dict, url: str, start: int) -> tuple[str, ...]:
    """The feed's next page, asked of the host the feed was read from (Blogger names
    ``www.blogger.com/feeds/BLOGID/…``; the blog's own host answers the same query)."""
    href = next((str(link.get("href", "")) for link in _dicts(feed.get("link")) if link.get("rel") == "next"), "")
    wanted = parse_qs(urlsplit(href).query)
    following = (wanted.get("start-index") or [""])[0]
    if not following.isdigit() or int(following) <= start:
        return ()
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    query.update({k: v for k, v in wanted.items() if k in ("start-index", "max-results")})
    query.setdefault("alt", ["json"])
    return (urlunsplit(parts._replace(query=urlencode(query, doseq=True))),)


def _text(value: object) -> str:
    """``{"$t": "…"}`` as a stripped string."""
    if isinstance(value, dict):
        value = value.get("$t")
    return str(value).strip() if value is not None else ""
