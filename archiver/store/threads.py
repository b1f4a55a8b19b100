"""Merging each page's view of a thread into the archive, and what changed since.

A thread arrives a page at a time (comment pages, API pages, feeds). Rows are
upserted on stable keys; parent links, depth and display order are recomputed
for the whole post; every distinct text of a comment is kept as a version; a
comment gone from a thread a crawl re-read completely is marked deleted.
"""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter
from urllib.parse import urlsplit

import sqlite_utils

from ..records import Thread
from .schema import sync_search
from .times import now_iso

_POST_COLUMNS = (
    "url", "site", "platform", "extractor", "extractor_version", "confidence", "title", "author",
    "published", "published_raw", "modified", "text", "html", "stated_comment_count",
    "comments_open", "first_seen", "last_seen", "capture_id", "first_crawl_id",
)  # fmt: skip
# A comment's own values, then those its page gives every comment: the order of the
# tuples `save_thread` binds.
_COMMENT_FIELDS = (
    "source_id", "parent_source_id", "depth", "author", "author_url", "published",
    "published_raw", "text", "html", "permalink",
)  # fmt: skip
_COMMENT_COLUMNS = (
    *_COMMENT_FIELDS, "page_position", "post_id", "comment_page", "confidence", "first_seen",
    "last_seen", "capture_id", "first_crawl_id",
)  # fmt: skip
_comment_values = attrgetter(*_COMMENT_FIELDS)
# Display-order keys a supplementary source (a comment API or feed) must not overwrite.
_ORDER_KEYS = ("comment_page", "page_position")
# What a supplementary source (a comment API or feed) must not overwrite when the
# pages showed the comment too: their display order, and their content (an API's
# rendering of the same text must not count as an edit); it only fills gaps.
_PAGE_CONTENT = ("author", "author_url", "published", "published_raw", "text", "html", "permalink")


def _upsert(
    table: str,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    keep: tuple[str, ...] = (),
    fill: tuple[str, ...] = (),
) -> str:
    """INSERT ... ON CONFLICT(key) DO UPDATE, keeping the earliest first_seen and latest
    last_seen; `keep` columns are never updated, `fill` columns only where empty."""
    fixed = (*key, "first_seen", "last_seen", "first_crawl_id", *keep, *fill)
    updates = [f"{c} = excluded.{c}" for c in columns if c not in fixed]
    updates += [f"{c} = coalesce({table}.{c}, excluded.{c})" for c in fill]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT({', '.join(key)}) DO UPDATE SET "
        + ", ".join(updates)
        + ", first_seen = min(first_seen, excluded.first_seen)"
        + ", last_seen = max(last_seen, excluded.last_seen)"
    )


_UPSERT_POST = _upsert("posts", _POST_COLUMNS, ("url",)) + " RETURNING id"
# A comment seen again is not deleted (any more).
_UNDELETE = ", deleted_at = NULL, deleted_crawl_id = NULL"
_UPSERT_COMMENT = _upsert("comments", _COMMENT_COLUMNS, ("post_id", "source_id")) + _UNDELETE
_UPSERT_SUPPLEMENT = (
    _upsert("comments", _COMMENT_COLUMNS, ("post_id", "source_id"), _ORDER_KEYS, _PAGE_CONTENT)
    + _UNDELETE
)
# Parents may arrive on a later comment page than their replies, so links, depth
# and thread order are recomputed for the whole post after every page: depth-first
# over parent links, siblings in page order (comment page, then place on it). A
# reply whose parent was never seen keeps the depth its page gave it.
_LINK_PARENTS = """
UPDATE comments SET parent_id = p.id
FROM comments AS p
WHERE comments.post_id = :post_id AND p.post_id = :post_id
  AND p.source_id = comments.parent_source_id AND comments.parent_id IS NOT p.id
"""
_RENUMBER = """
WITH RECURSIVE tree(id, path, level) AS (
    SELECT id, printf('%010d.%06d', comment_page, page_position),
           CASE WHEN parent_source_id IS NULL THEN 0 ELSE depth END
    FROM comments WHERE post_id = :post_id AND parent_id IS NULL
    UNION ALL
    SELECT c.id, tree.path || '/' || printf('%010d.%06d', c.comment_page, c.page_position),
           tree.level + 1
    FROM comments c JOIN tree ON c.parent_id = tree.id
    WHERE tree.level < 1000
),
ordered AS (SELECT id, level, row_number() OVER (ORDER BY path) - 1 AS pos FROM tree)
UPDATE comments SET position = ordered.pos, depth = ordered.level
FROM ordered
WHERE comments.id = ordered.id
  AND (comments.position IS NOT ordered.pos OR comments.depth IS NOT ordered.level)
"""
_POST_ID = "SELECT id FROM posts WHERE url = ?"
_CRAWL_OF_CAPTURE = "SELECT crawl_id FROM captures WHERE id = ?"
_RECORD_READ = """
INSERT OR IGNORE INTO post_reads (crawl_id, post_id, comment_page, comments, supplement, capture_id)
VALUES (:crawl_id, :post_id, :comment_page, :comments, :supplement, :capture_id)
"""
# Each distinct text a comment has shown is kept, oldest first; `comments` holds the latest.
_NEW_VERSIONS = """
INSERT INTO comment_versions (comment_id, version, author, text, html, seen_at, crawl_id, capture_id)
SELECT c.id,
       coalesce((SELECT max(version) FROM comment_versions v WHERE v.comment_id = c.id), 0) + 1,
       c.author, c.text, c.html, c.last_seen,
       (SELECT crawl_id FROM captures WHERE id = c.capture_id), c.capture_id
FROM comments c
WHERE c.post_id = :post_id AND c.text IS NOT (
    SELECT v.text FROM comment_versions v WHERE v.comment_id = c.id ORDER BY v.version DESC LIMIT 1
)
"""
# A comment is deleted when a later crawl re-read every comment page of its
# thread without error and did not see it. Never removed: only marked.
_THREADS_READ_COMPLETELY = """
SELECT p.id FROM posts p
WHERE p.id IN (SELECT post_id FROM post_reads WHERE crawl_id = :crawl_id AND supplement = 0)
AND NOT EXISTS (
    SELECT 1 FROM comments c WHERE c.post_id = p.id AND c.deleted_at IS NULL
    AND c.comment_page NOT IN (
        SELECT comment_page FROM post_reads r
        WHERE r.crawl_id = :crawl_id AND r.post_id = p.id AND r.supplement = 0
    )
)
AND NOT EXISTS (
    SELECT 1 FROM errors e WHERE e.crawl_id = :crawl_id
    AND substr(e.url, 1, length(p.url)) = p.url
)
-- A thread whose comments also come from a source (API, feed, embed) is only
-- complete if this crawl read that source too: a failed Disqus embed is no deletion.
AND (
    NOT EXISTS (SELECT 1 FROM post_reads r WHERE r.post_id = p.id AND r.supplement = 1)
    OR EXISTS (SELECT 1 FROM post_reads r WHERE r.post_id = p.id AND r.supplement = 1
               AND r.crawl_id = :crawl_id)
)
"""
_MARK_DELETED = """
UPDATE comments SET deleted_at = :at, deleted_crawl_id = :crawl_id
WHERE post_id = :post_id AND deleted_at IS NULL
AND (capture_id IS NULL OR capture_id NOT IN (SELECT id FROM captures WHERE crawl_id = :crawl_id))
"""
# Completeness: what the page says ("34 thoughts on …") against what was read.
_COUNT_COMMENTS = """
UPDATE posts SET
    comment_count = (SELECT count(*) FROM comments WHERE post_id = :post_id),
    comment_shortfall = max(0, stated_comment_count
                               - (SELECT count(*) FROM comments WHERE post_id = :post_id))
WHERE id = :post_id
"""


def _row(record: object) -> dict[str, object]:
    """A record's fields as a dict: dataclasses.asdict deep-copies every value, 10x slower."""
    return {f.name: getattr(record, f.name) for f in fields(record)}  # type: ignore[arg-type]


def site_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def save_thread(
    db: sqlite_utils.Database, thread: Thread, capture_id: int | None, seen_at: str,
    merge: bool = True,
) -> int:  # fmt: skip
    """Upsert one page's view of a thread; with `merge`, merge the post at once.

    `seen_at` is the capture time, so rebuilding from WARCs gives the same rows.
    A supplementary thread (from a comment API or feed) adds comments to its
    post without rewriting the post or the display order the pages gave.
    Without `merge` the caller runs `merge_post` and `sync_search` later, once for
    many pages.
    """
    version = thread.extractor.partition("@")[2]
    post = _row(thread.post)
    post.update(
        site=site_of(thread.post.url),
        platform=thread.platform,
        extractor=thread.extractor,
        extractor_version=int(version) if version.isdigit() else None,
        confidence=thread.confidence,
        stated_comment_count=thread.stated_comment_count,
        comments_open=thread.comments_open,
        first_seen=seen_at,
        last_seen=seen_at,
        capture_id=capture_id,
    )
    with db.atomic():
        crawl = db.execute(_CRAWL_OF_CAPTURE, [capture_id]).fetchone()
        crawl_id = crawl[0] if crawl else None
        post["first_crawl_id"] = crawl_id
        existing = db.execute(_POST_ID, [thread.post.url]).fetchone()
        if thread.supplement and existing:
            post_id = int(existing[0])
        else:
            post_id = int(db.execute(_UPSERT_POST, [post[c] for c in _POST_COLUMNS]).fetchone()[0])
        # Tuples, not dicts: ~2 µs a comment less to build and bind.
        page = (post_id, thread.comment_page, thread.confidence, seen_at, seen_at, capture_id, crawl_id)
        rows = [(*_comment_values(c), i, *page) for i, c in enumerate(thread.comments)]
        if rows:
            upsert = _UPSERT_SUPPLEMENT if thread.supplement else _UPSERT_COMMENT
            db.conn.executemany(upsert, rows)
        if merge:
            merge_post(db, post_id)
            sync_search(db)
        if crawl_id is not None:
            db.execute(_RECORD_READ, {
                "crawl_id": crawl_id, "post_id": post_id, "comment_page": thread.comment_page,
                "comments": len(rows), "supplement": thread.supplement, "capture_id": capture_id,
            })  # fmt: skip
    return post_id


def merge_post(db: sqlite_utils.Database, post_id: int) -> None:
    """Parent links, depth, display order, new versions and counts for a whole post."""
    with db.atomic():
        params = {"post_id": post_id}
        db.execute(_LINK_PARENTS, params)
        db.execute(_RENUMBER, params)
        db.execute(_NEW_VERSIONS, params)
        db.execute(_COUNT_COMMENTS, params)


def mark_deletions(db: sqlite_utils.Database, crawl_id: int) -> int:
    """Mark comments missing from threads this crawl read completely; returns how many."""
    at = now_iso()
    marked = 0
    with db.atomic():
        for (post_id,) in db.execute(_THREADS_READ_COMPLETELY, {"crawl_id": crawl_id}).fetchall():
            cursor = db.execute(
                _MARK_DELETED, {"at": at, "crawl_id": crawl_id, "post_id": post_id}
            )
            marked += cursor.rowcount
    return marked
