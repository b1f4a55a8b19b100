"""The archive's schema, as ordered, idempotent sqlite-utils migrations.

Names here are what users query and Datasette shows: extend, never rename.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("archiver")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db["crawls"].create(
        {
            "id": int,
            "started": str,
            "finished": str,
            "start_urls": str,  # JSON list
            "settings": str,  # JSON object
            "outcome": str,  # running, finished, interrupted, failed
            "pages": int,
            "posts": int,
            "comments": int,
            "errors": int,
        },
        pk="id",
    )
    db["captures"].create(
        {
            "id": int,
            "crawl_id": int,
            "url": str,
            "status": int,
            "fetched_at": str,
            "content_type": str,
            "warc_file": str,
            "warc_offset": int,
            "warc_length": int,
            "warc_record_id": str,
            "payload_digest": str,
        },
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id")],
    )
    db["captures"].create_index(["warc_record_id"], unique=True)
    db["captures"].create_index(["url", "fetched_at"])
    db["posts"].create(
        {
            "id": int,
            "url": str,
            "site": str,
            "platform": str,
            "extractor": str,
            "title": str,
            "author": str,
            "published": str,
            "modified": str,
            "text": str,
            "html": str,
            "stated_comment_count": int,
            "comments_open": int,
            "first_seen": str,
            "last_seen": str,
            "capture_id": int,
        },
        pk="id",
        not_null={"url", "site"},
        foreign_keys=[("capture_id", "captures", "id")],
    )
    db["posts"].create_index(["url"], unique=True)
    db["posts"].create_index(["site"])
    db["comments"].create(
        {
            "id": int,
            "post_id": int,
            "source_id": str,
            "parent_id": int,
            "parent_source_id": str,
            "depth": int,
            "position": int,
            "comment_page": int,
            "page_position": int,
            "author": str,
            "author_url": str,
            "published": str,
            "text": str,
            "html": str,
            "permalink": str,
            "first_seen": str,
            "last_seen": str,
            "capture_id": int,
        },
        pk="id",
        not_null={"post_id", "source_id"},
        foreign_keys=[
            ("post_id", "posts", "id"),
            ("parent_id", "comments", "id"),
            ("capture_id", "captures", "id"),
        ],
    )
    db["comments"].create_index(["post_id", "source_id"], unique=True)
    db["comments"].create_index(["post_id", "position"])
    db["comments"].create_index(["parent_id"])
    db["errors"].create(
        {
            "id": int,
            "crawl_id": int,
            "url": str,
            "kind": str,
            "detail": str,
            "at": str,
            "capture_id": int,
        },
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id"), ("capture_id", "captures", "id")],
    )
    db["errors"].create_index(["crawl_id"])
    db["posts"].enable_fts(["title", "author", "text"], create_triggers=True, tokenize="porter")
    db["comments"].enable_fts(["author", "text"], create_triggers=True, tokenize="porter")


@migrations()
def m002_one_error_row_per_cause(db: sqlite_utils.Database) -> None:
    """A resumed crawl re-reads archived pages; their errors must not be counted twice."""
    db.execute(
        "DELETE FROM errors WHERE id NOT IN "
        "(SELECT min(id) FROM errors GROUP BY crawl_id, url, kind)"
    )
    db["errors"].create_index(["crawl_id", "url", "kind"], unique=True)
    db["crawls"].add_column("resumed", int)


@migrations()
def m003_platform_details(db: sqlite_utils.Database) -> None:
    """Extractor versions, confidence of structural guesses, and dates as the page wrote them."""
    db["posts"].add_column("extractor_version", int)
    db["posts"].add_column("confidence", float)
    db["posts"].add_column("published_raw", str)
    db["comments"].add_column("confidence", float)
    db["comments"].add_column("published_raw", str)


@migrations()
def m004_completeness(db: sqlite_utils.Database) -> None:
    """How many comments the archive holds for a post, and how many the page says are missing."""
    db["posts"].add_column("comment_count", int)
    db["posts"].add_column("comment_shortfall", int)


@migrations()
def m005_changes(db: sqlite_utils.Database) -> None:
    """What changed between crawls: thread reads, comment versions, deletions, revisits."""
    db["post_reads"].create(
        {
            "id": int,
            "crawl_id": int,
            "post_id": int,
            "comment_page": int,
            "comments": int,  # how many comments that page showed
            "supplement": int,  # 1: read from a comment API, feed or embed
            "capture_id": int,
        },
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id"), ("post_id", "posts", "id"),
                      ("capture_id", "captures", "id")],  # fmt: skip
    )
    db["post_reads"].create_index(["crawl_id", "post_id", "comment_page", "capture_id"], unique=True)
    db["post_reads"].create_index(["post_id"])
    db["comment_versions"].create(
        {
            "id": int,
            "comment_id": int,
            "version": int,  # 1 = as first archived
            "author": str,
            "text": str,
            "html": str,
            "seen_at": str,  # capture time this version was first read
            "crawl_id": int,
            "capture_id": int,
        },
        pk="id",
        foreign_keys=[("comment_id", "comments", "id"), ("crawl_id", "crawls", "id"),
                      ("capture_id", "captures", "id")],  # fmt: skip
    )
    db["comment_versions"].create_index(["comment_id", "version"], unique=True)
    db["comments"].add_column("first_crawl_id", int)
    db["comments"].add_column("deleted_at", str)
    db["comments"].add_column("deleted_crawl_id", int)
    db["posts"].add_column("first_crawl_id", int)
    db["captures"].add_column("record_type", str)  # response, revisit
    db["captures"].add_column("refers_to", int)  # for a revisit: the capture holding the payload
    db["captures"].add_column("warc_date", str)  # WARC-Date, exact
    db["captures"].add_column("etag", str)
    db["captures"].add_column("last_modified", str)
    db["captures"].create_index(["url", "payload_digest"])


@migrations()
def m010_jobs(db: sqlite_utils.Database) -> None:
    """Scheduled crawls (`archiver schedule`): what to crawl, how often, what the last run did."""
    db["jobs"].create(
        {
            "id": int,
            "name": str,
            "start_urls": str,  # JSON list, as crawls.start_urls
            "every_seconds": int,  # an interval, or
            "cron": str,  # a cron expression, in local time
            "options": str,  # JSON object: the `archiver crawl` options
            "created": str,
            "next_run": str,  # UTC, ISO 8601
            "last_run": str,
            "last_finished": str,
            "last_crawl_id": int,
            "last_outcome": str,  # the crawl's outcome, or failed
            "last_exit_code": int,
            "last_error": str,
            "runs": int,
            "running_pid": int,  # informative: the lock file is the lock
            "running_since": str,
        },
        pk="id",
        not_null={"name", "start_urls", "options", "next_run"},
        defaults={"runs": 0},
        foreign_keys=[("last_crawl_id", "crawls", "id")],
    )
    db["jobs"].create_index(["name"], unique=True)
    db["jobs"].create_index(["next_run"])


@migrations()
def m006_changes_view(db: sqlite_utils.Database) -> None:
    """One row per change a crawl found; `archiver changes` and Datasette read it."""
    db.execute("""
CREATE VIEW changes AS
SELECT 'new post' AS change, p.first_crawl_id AS crawl_id, k.started AS crawl_started,
       p.site, p.url, p.title, p.id AS post_id, NULL AS comment_id, NULL AS source_id,
       p.author, p.published AS at, substr(p.text, 1, 200) AS text
FROM posts p JOIN crawls k ON k.id = p.first_crawl_id
UNION ALL
SELECT 'new comment', c.first_crawl_id, k.started, p.site, p.url, p.title, p.id, c.id,
       c.source_id, c.author, c.published, substr(c.text, 1, 200)
FROM comments c JOIN posts p ON p.id = c.post_id JOIN crawls k ON k.id = c.first_crawl_id
UNION ALL
SELECT 'edited comment', v.crawl_id, k.started, p.site, p.url, p.title, p.id, c.id,
       c.source_id, c.author, v.seen_at, substr(v.text, 1, 200)
FROM comment_versions v JOIN comments c ON c.id = v.comment_id JOIN posts p ON p.id = c.post_id
JOIN crawls k ON k.id = v.crawl_id WHERE v.version > 1
UNION ALL
SELECT 'deleted comment', c.deleted_crawl_id, k.started, p.site, p.url, p.title, p.id, c.id,
       c.source_id, c.author, c.deleted_at, substr(c.text, 1, 200)
FROM comments c JOIN posts p ON p.id = c.post_id JOIN crawls k ON k.id = c.deleted_crawl_id
""")


# Full-text search: what to index, per table.
SEARCHED = {"posts": ("title", "author", "text"), "comments": ("author", "text")}


def _indexed_up_to(table: str) -> str:
    """The highest rowid in `table`'s full-text index: rows above it are not indexed yet
    (a new row's rowid is above every other's). FTS5 keeps a row per indexed rowid in
    its docsize table."""
    return f'(SELECT coalesce(max(id), 0) FROM "{table}_fts_docsize")'


def _queue_search_updates(db: sqlite_utils.Database, table: str, columns: tuple[str, ...]) -> None:
    """Triggers that queue changed rows for `sync_search` instead of indexing each row.

    FTS5 flushes its pending terms at every statement savepoint, and a trigger runs
    in one: sqlite-utils' per-row triggers cost ~40 µs a comment (most of a crawl's
    SQLite time), a set-based sync per batch ~10. The queue keeps the values the
    index holds for a row (external-content FTS5 needs them to delete it). New rows
    are not queued (a trigger per insert costs ~4 µs a comment): `sync_search` indexes
    every row above the index's highest rowid.
    """
    queue = f"{table}_fts_queue"
    names = ", ".join(f'"{c}"' for c in columns)
    old = ", ".join(f'old."{c}"' for c in columns)
    changed = " OR ".join(f'old."{c}" IS NOT new."{c}"' for c in columns)
    db.execute(f'CREATE TABLE IF NOT EXISTS "{queue}" (rowid INTEGER PRIMARY KEY, {names})')
    for event in ("ai", "au", "ad"):
        db.execute(f'DROP TRIGGER IF EXISTS "{table}_{event}"')
    # Only an indexed row's first change since the last sync is queued: the index holds
    # its values from before it. (No INSERT OR IGNORE: in a trigger the outer statement's
    # conflict rule would win.)
    indexed = f"old.rowid <= {_indexed_up_to(table)}"
    queue_old = (f'BEGIN\n  INSERT INTO "{queue}" (rowid, {names}) SELECT old.rowid, {old} '
                 f'WHERE NOT EXISTS (SELECT 1 FROM "{queue}" WHERE rowid = old.rowid);\nEND')
    db.execute(f'CREATE TRIGGER "{table}_au" AFTER UPDATE OF {names} ON "{table}" '
               f"WHEN ({changed}) AND {indexed} {queue_old}")
    db.execute(f'CREATE TRIGGER "{table}_ad" AFTER DELETE ON "{table}" WHEN {indexed} {queue_old}')


def sync_search(db: sqlite_utils.Database) -> None:
    """Bring the full-text indexes up to date with the rows added or changed since the last sync.

    The store calls it before each commit that wrote posts or comments.
    """
    for table, columns in SEARCHED.items():
        names = ", ".join(f'"{c}"' for c in columns)
        values = ", ".join(f't."{c}"' for c in columns)
        fts, queue = f"{table}_fts", f"{table}_fts_queue"
        # Read before the deletes below lower it.
        indexed_up_to = db.execute(f"SELECT {_indexed_up_to(table)}").fetchone()[0]
        db.execute(f'INSERT INTO "{fts}" ("{fts}", rowid, {names}) '
                   f'SELECT \'delete\', rowid, {names} FROM "{queue}"')
        db.execute(f'INSERT INTO "{fts}" (rowid, {names}) SELECT t.rowid, {values} '
                   f'FROM "{queue}" q JOIN "{table}" t ON t.rowid = q.rowid '
                   f'UNION ALL SELECT t.rowid, {values} FROM "{table}" t WHERE t.rowid > ?',
                   [indexed_up_to])
        db.execute(f'DELETE FROM "{queue}"')


@migrations()
def m011_search_queue(db: sqlite_utils.Database) -> None:
    """Full-text indexing in batches (`sync_search`), only for rows whose text changed."""
    for table, columns in SEARCHED.items():
        _queue_search_updates(db, table, columns)
