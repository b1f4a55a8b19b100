"""The SQLite archive: this package is the only code that knows its schema.

Everything here is derived from the WARC files and can be rebuilt from them.
Rows have stable identities (a post by its permalink, a comment by its post and
platform id), so crawling a site again updates rows instead of adding copies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import sqlite_utils

from ..records import Thread
from .schema import migrations

_POST_COLUMNS = (
    "url", "site", "platform", "extractor", "extractor_version", "confidence", "title", "author",
    "published", "published_raw", "modified", "text", "html", "stated_comment_count",
    "comments_open", "first_seen", "last_seen", "capture_id", "first_crawl_id",
)  # fmt: skip
_COMMENT_COLUMNS = (
    "post_id", "source_id", "parent_source_id", "depth", "comment_page", "page_position",
    "author", "author_url", "published", "published_raw", "text", "html", "permalink",
    "confidence", "first_seen", "last_seen", "capture_id", "first_crawl_id",
)  # fmt: skip
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
        f"VALUES ({', '.join(':' + c for c in columns)}) "
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
       c.author, c.text, c.html, c.last_seen, :crawl_id, c.capture_id
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


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def site_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


class Store:
    """An open archive database: schema migrations, upserts, counts."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(self.path)
        self.db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL loses no committed row when the process dies (only on
        # power loss), and saves an fsync per transaction.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA busy_timeout=10000")
        migrations.apply(self.db)

    def close(self) -> None:
        self.db.close()

    # crawls -----------------------------------------------------------------

    def start_crawl(self, start_urls: Iterable[str], settings: dict[str, object]) -> int:
        with self.db.atomic():
            table = self.db["crawls"].insert(
                {
                    "started": now_iso(),
                    "start_urls": json.dumps(list(start_urls)),
                    "settings": json.dumps(settings, sort_keys=True, default=str),
                    "outcome": "running",
                }
            )
        return int(table.last_pk)

    def resumable_crawl(self, start_urls: Iterable[str]) -> int | None:
        """The latest crawl of the same start URLs, if it never finished."""
        row = self.db.execute(
            "SELECT id, outcome FROM crawls WHERE start_urls = ? ORDER BY id DESC LIMIT 1",
            [json.dumps(list(start_urls))],
        ).fetchone()
        return int(row[0]) if row and row[1] != "finished" else None

    def resume_crawl(self, crawl_id: int) -> None:
        with self.db.atomic():
            self.db.execute(
                "UPDATE crawls SET outcome = 'running', finished = NULL, "
                "resumed = coalesce(resumed, 0) + 1 WHERE id = ?",
                [crawl_id],
            )

    def latest_captures(self, crawl_id: int) -> dict[str, dict[str, object]]:
        """The last capture of each URL in a crawl: what a resumed crawl need not fetch."""
        return {
            row["url"]: row
            for row in self.db.query(
                "SELECT * FROM captures WHERE id IN "
                "(SELECT max(id) FROM captures WHERE crawl_id = ? GROUP BY url)",
                [crawl_id],
            )
        }

    def finish_crawl(self, crawl_id: int, outcome: str) -> dict[str, int]:
        if outcome == "finished":
            self.mark_deletions(crawl_id)
        counts = self.crawl_counts(crawl_id)
        with self.db.atomic():
            self.db["crawls"].update(
                crawl_id, {"finished": now_iso(), "outcome": outcome, **counts}
            )
        return counts

    def mark_deletions(self, crawl_id: int) -> int:
        """Mark comments missing from threads this crawl read completely; returns how many."""
        at = now_iso()
        marked = 0
        with self.db.atomic():
            for (post_id,) in self.db.execute(_THREADS_READ_COMPLETELY, {"crawl_id": crawl_id}).fetchall():
                cursor = self.db.execute(
                    _MARK_DELETED, {"at": at, "crawl_id": crawl_id, "post_id": post_id}
                )
                marked += cursor.rowcount
        return marked

    def crawl_counts(self, crawl_id: int) -> dict[str, int]:
        """What one crawl touched: pages captured, posts and comments read, errors."""

        def count(sql: str) -> int:
            return int(self.db.execute(sql, [crawl_id]).fetchone()[0])

        read_by_crawl = "capture_id IN (SELECT id FROM captures WHERE crawl_id = ?)"
        return {
            "pages": count("SELECT count(*) FROM captures WHERE crawl_id = ?"),
            "posts": count(f"SELECT count(*) FROM posts WHERE {read_by_crawl}"),
            "comments": count(f"SELECT count(*) FROM comments WHERE {read_by_crawl}"),
            "errors": count("SELECT count(*) FROM errors WHERE crawl_id = ?"),
        }

    def incomplete_threads(self, crawl_id: int) -> list[dict[str, object]]:
        """Posts read by a crawl with fewer comments than their pages state."""
        return list(
            self.db.query(
                "SELECT url, stated_comment_count, comment_count, comment_shortfall FROM posts "
                "WHERE comment_shortfall > 0 AND capture_id IN "
                "(SELECT id FROM captures WHERE crawl_id = ?) ORDER BY comment_shortfall DESC",
                [crawl_id],
            )
        )

    def error_kinds(self, crawl_id: int) -> dict[str, int]:
        return {
            row["kind"]: row["n"]
            for row in self.db.query(
                "SELECT kind, count(*) AS n FROM errors WHERE crawl_id = ? GROUP BY kind ORDER BY n DESC",
                [crawl_id],
            )
        }

    def changes(self, since: str, site: str | None = None) -> list[dict[str, object]]:
        """What crawls started at or after `since` found: new posts, new, edited and deleted comments."""
        return list(
            self.db.query(
                "SELECT * FROM changes WHERE crawl_started >= :since AND site LIKE :site "
                "ORDER BY crawl_id, url, change, at",
                {"since": since, "site": f"%{site}%" if site else "%"},
            )
        )

    def totals(self) -> dict[str, int]:
        return {
            name: self.db[name].count for name in ("posts", "comments", "captures", "errors")
        }

    # captures and errors -----------------------------------------------------

    def add_capture(
        self,
        *,
        crawl_id: int | None,
        url: str,
        status: int,
        fetched_at: str,
        content_type: str | None,
        warc_file: str,
        warc_offset: int,
        warc_length: int,
        warc_record_id: str,
        payload_digest: str | None,
        record_type: str = "response",
        refers_to: int | None = None,
        warc_date: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> int:
        row = dict(locals())
        del row["self"]
        with self.db.atomic():
            cursor = self.db.execute(
                f"INSERT INTO captures ({', '.join(row)}) VALUES ({', '.join('?' * len(row))}) "
                "ON CONFLICT(warc_record_id) DO UPDATE SET url = excluded.url RETURNING id",
                list(row.values()),
            )
            return int(cursor.fetchone()[0])

    def previous_capture(self, url: str, payload_digest: str | None = None) -> dict[str, object] | None:
        """The latest full response archived for `url` (with that payload, if given)."""
        sql = (
            "SELECT * FROM captures WHERE url = ? AND coalesce(record_type, 'response') = 'response'"
            " AND status = 200"
        )
        params: list[object] = [url]
        if payload_digest is not None:
            sql += " AND payload_digest = ?"
            params.append(payload_digest)
        return next(iter(self.db.query(sql + " ORDER BY id DESC LIMIT 1", params)), None)

    def capture_of_payload(self, url: str, payload_digest: object) -> int | None:
        previous = self.previous_capture(url, str(payload_digest))
        return int(previous["id"]) if previous else None

    def add_error(
        self,
        crawl_id: int | None,
        url: str,
        kind: str,
        detail: str,
        capture_id: int | None = None,
    ) -> None:
        with self.db.atomic():
            self.db.execute(
                "INSERT OR IGNORE INTO errors (crawl_id, url, kind, detail, at, capture_id) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [crawl_id, url, kind, detail, now_iso(), capture_id],
            )

    # threads -------------------------------------------------------------------

    def save_thread(self, thread: Thread, capture_id: int | None, seen_at: str) -> int:
        """Upsert one page's view of a thread and merge it into what is stored.

        `seen_at` is the capture time, so rebuilding from WARCs gives the same rows.
        A supplementary thread (from a comment API or feed) adds comments to its
        post without rewriting the post or the display order the pages gave.
        """
        version = thread.extractor.partition("@")[2]
        post = asdict(thread.post)
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
        with self.db.atomic():
            crawl = self.db.execute(_CRAWL_OF_CAPTURE, [capture_id]).fetchone()
            crawl_id = crawl[0] if crawl else None
            post["first_crawl_id"] = crawl_id
            existing = self.db.execute(_POST_ID, [thread.post.url]).fetchone()
            if thread.supplement and existing:
                post_id = int(existing[0])
            else:
                post_id = int(self.db.execute(_UPSERT_POST, post).fetchone()[0])
            rows = []
            for index, comment in enumerate(thread.comments):
                row = asdict(comment)
                row.update(
                    post_id=post_id,
                    comment_page=thread.comment_page,
                    page_position=index,
                    confidence=thread.confidence,
                    first_seen=seen_at,
                    last_seen=seen_at,
                    capture_id=capture_id,
                    first_crawl_id=crawl_id,
                )
                rows.append(row)
            if rows:
                upsert = _UPSERT_SUPPLEMENT if thread.supplement else _UPSERT_COMMENT
                self.db.conn.executemany(upsert, rows)
                self.db.execute(_LINK_PARENTS, {"post_id": post_id})
                self.db.execute(_RENUMBER, {"post_id": post_id})
                self.db.execute(_NEW_VERSIONS, {"post_id": post_id, "crawl_id": crawl_id})
            self.db.execute(_COUNT_COMMENTS, {"post_id": post_id})
            if crawl_id is not None:
                self.db.execute(_RECORD_READ, {
                    "crawl_id": crawl_id, "post_id": post_id, "comment_page": thread.comment_page,
                    "comments": len(rows), "supplement": thread.supplement, "capture_id": capture_id,
                })  # fmt: skip
        return post_id


    # jobs ---------------------------------------------------------------------
    # Scheduled crawls (archiver/schedule.py). Times are UTC ISO 8601 strings, so
    # they compare as text.

    def add_job(
        self, name: str, start_urls: list[str], *, every_seconds: int | None, cron: str | None,
        options: dict[str, object], next_run: str,
    ) -> int:  # fmt: skip
        with self.db.atomic():
            table = self.db.table("jobs").insert(
                {
                    "name": name,
                    "start_urls": json.dumps(start_urls),
                    "every_seconds": every_seconds,
                    "cron": cron,
                    "options": json.dumps(options, sort_keys=True),
                    "created": now_iso(),
                    "next_run": next_run,
                    "runs": 0,
                }
            )
        assert table.last_pk is not None
        return int(table.last_pk)

    def jobs(self) -> list[dict[str, object]]:
        return list(self.db.query("SELECT * FROM jobs ORDER BY id"))

    def job(self, key: int | str) -> dict[str, object] | None:
        """A job by id or by name."""
        rows = list(
            self.db.query(
                "SELECT * FROM jobs WHERE id = ? OR name = ? ORDER BY name = ? DESC",
                [key, str(key), str(key)],
            )
        )
        return rows[0] if rows else None

    def remove_job(self, job_id: int) -> None:
        with self.db.atomic():
            self.db.execute("DELETE FROM jobs WHERE id = ?", [job_id])

    def due_jobs(self, now: str) -> list[dict[str, object]]:
        return list(
            self.db.query("SELECT * FROM jobs WHERE next_run <= ? ORDER BY next_run, id", [now])
        )

    def job_started(self, job_id: int, pid: int, at: str) -> None:
        with self.db.atomic():
            self.db.execute(
                "UPDATE jobs SET running_pid = ?, running_since = ? WHERE id = ?", [pid, at, job_id]
            )

    def job_finished(
        self, job_id: int, *, started: str, finished: str, next_run: str, crawl_id: int | None,
        outcome: str, exit_code: int | None, error: str | None,
    ) -> None:  # fmt: skip
        with self.db.atomic():
            self.db.execute(
                "UPDATE jobs SET last_run = ?, last_finished = ?, next_run = ?, last_crawl_id = ?, "
                "last_outcome = ?, last_exit_code = ?, last_error = ?, runs = coalesce(runs, 0) + 1, "
                "running_pid = NULL, running_since = NULL WHERE id = ?",
                [started, finished, next_run, crawl_id, outcome, exit_code, error, job_id],
            )

    def latest_crawl(self, start_urls: list[str]) -> dict[str, object] | None:
        """The newest crawls row for exactly these start URLs (as the crawl recorded them)."""
        rows = list(
            self.db.query(
                "SELECT * FROM crawls WHERE start_urls = ? ORDER BY id DESC LIMIT 1",
                [json.dumps(start_urls)],
            )
        )
        return rows[0] if rows else None


def open_store(data_dir: Path | str) -> Store:
    return Store(Path(data_dir) / "archive.db")


