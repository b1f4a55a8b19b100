"""Comment ids and the parent chain, for extractors that read comments off a page's markup.

A comment's id is the platform's own where the page shows one (``id="comment-17"``,
``#c17``, ``?showComment=…``: "17"), else ``h`` + a hash of (author, time, text): stable
across crawls while the comment is unchanged. Ids repeated on one page are numbered;
depths follow the parent links.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

from ..records import Comment

__all__ = ["ELEMENT_ID", "hashed_id", "source_id", "unique_ids", "with_depths"]

ELEMENT_ID = re.compile(r"^(?:li-|div-)?(?:comment|comments|cmt|reply|msg|message|post|note|c|p|m)"
                        r"[-_]?(\d+)$", re.IGNORECASE)  # fmt: skip
ID_QUERY = ("showComment", "comment", "commentId", "comment_id", "replytocom")


def source_id(raw: str | None) -> str | None:
    """The platform's id from an element id, anchor or URL: ``comment-17``, ``#c17`` -> "17"."""
    if not raw:
        return None
    raw = raw.strip()
    if "#" in raw or "?" in raw or "/" in raw:
        parts = urlsplit(raw)
        query = dict(parse_qsl(parts.query))
        raw = next((query[k] for k in ID_QUERY if query.get(k)), parts.fragment)
    if not raw:
        return None
    found = ELEMENT_ID.match(raw)
    return found.group(1) if found else raw


def hashed_id(author: str | None, published: str | list[str] | None, text: str) -> str:
    """A stable id for a comment that shows none: ``h`` + 12 hex digits."""
    when = " ".join(published) if isinstance(published, list) else published
    key = "\x1f".join((author or "", when or "", " ".join(text.split())))
    return "h" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def unique_ids(comments: list[Comment]) -> list[Comment]:
    """Comments whose ids repeat on the page (a double post) get ``-2``, ``-3`` ..."""
    seen: Counter[str] = Counter()
    out = []
    for c in comments:
        seen[c.source_id] += 1
        if seen[c.source_id] > 1:
            c = replace(c, source_id=f"{c.source_id}-{seen[c.source_id]}")
        out.append(c)
    return out


def with_depths(comments: list[Comment]) -> list[Comment]:
    """Depths from the parent chain (a parent not on this page: top level on it)."""
    by_id = {c.source_id: c for c in comments}
    out = []
    for c in comments:
        depth, seen, parent = 0, {c.source_id}, by_id.get(c.parent_source_id or "")
        while parent is not None and parent.source_id not in seen:
            seen.add(parent.source_id)
            depth += 1
            parent = by_id.get(parent.parent_source_id or "")
        out.append(c if c.depth == depth else replace(c, depth=depth))
    return out
