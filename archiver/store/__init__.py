"""The SQLite archive: this package is the only code that knows its schema.

Everything here is derived from the WARC files and can be rebuilt from them.
Rows have stable identities (a post by its permalink, a comment by its post and
platform id), so crawling a site again updates rows instead of adding copies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import sqlite_utils

from ..items import ErrorItem, ThreadItem
from ..records import Thread
from .jobs import JobStore
from .schema import migrations, sync_search
from .threads import mark_deletions, merge_post, save_thread, site_of
from .times import now_iso


class Store(JobStore):
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
        self._held = False  # inside hold() ... flush()
        self._unmerged: set[int] = set()  # posts saved since hold(), merged at flush()

    def hold(self) -> None:
        """Group the writes that follow into one transaction, until `flush`.

        Meanwhile each post is merged (parents, order, versions, counts) once at
        `flush`, not once per page of its thread.
        """
        if not self.db.conn.in_transaction:
            self.db.execute("BEGIN")
        self._held = True

    def flush(self) -> None:
        """Merge the posts written since `hold`, index their text and commit."""
        for post_id in sorted(self._unmerged):
            merge_post(self.db, post_id)
        self._unmerged.clear()
        sync_search(self.db)
        self._held = False
        if self.db.conn.in_transaction:
            self.db.execute("COMMIT")

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
        return mark_deletions(self.db, crawl_id)

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
        id: int | None = None,  # the column's name; None: the next free one
    ) -> int:
        row = dict(locals())
        del row["self"]
        if id is None:
            del row["id"]
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

    def save(self, item: ThreadItem | ErrorItem, crawl_id: int | None) -> None:
        """Store what harvesting one page gave: its thread, or the error it stands for."""
        if isinstance(item, ThreadItem):
            self.save_thread(item.thread, item.capture_id, item.seen_at)
        else:
            self.add_error(crawl_id, item.url, item.kind, item.detail, item.capture_id)

    def save_thread(self, thread: Thread, capture_id: int | None, seen_at: str) -> int:
        """Upsert one page's view of a thread and merge it into what is stored."""
        post_id = save_thread(self.db, thread, capture_id, seen_at, merge=not self._held)
        if self._held:
            self._unmerged.add(post_id)
        return post_id


def open_store(data_dir: Path | str) -> Store:
    return Store(Path(data_dir) / "archive.db")




__all__ = ["Store", "migrations", "now_iso", "open_store", "site_of"]
