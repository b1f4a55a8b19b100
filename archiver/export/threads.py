"""Threads out of the archive: rows read once, then JSON Lines or CSV.

Reading is the only I/O: `read_threads` streams one post at a time with its
comments from a read-only connection. Each format is a pure function of those
rows (`thread_record`, `jsonl_lines`, `csv_rows`), so a format never sees more
than one thread and an archive of any size exports in constant memory.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import sqlite_utils

from ..exceptions import ArchiverError

__all__ = [
    "CSV_COLUMNS",
    "ThreadRows",
    "comment_tree",
    "csv_rows",
    "jsonl_lines",
    "open_readonly",
    "read_threads",
    "thread_record",
    "write_csv",
    "write_jsonl",
]

# Columns of the capture a post or comment was last read from, nested as "capture".
_CAPTURE = "c.url AS cap_url, c.fetched_at AS cap_fetched_at, c.warc_file AS cap_warc_file, " \
    "c.warc_offset AS cap_warc_offset, c.warc_record_id AS cap_warc_record_id"  # fmt: skip
_POSTS = f"SELECT p.*, {_CAPTURE} FROM posts p LEFT JOIN captures c ON c.id = p.capture_id ORDER BY p.id"
_COMMENTS = (
    f"SELECT m.*, {_CAPTURE} FROM comments m LEFT JOIN captures c ON c.id = m.capture_id "
    "WHERE m.post_id = ? ORDER BY m.position, m.id"
)

CSV_COLUMNS = (
    "kind", "post_id", "id", "parent_id", "source_id", "parent_source_id", "depth", "position",
    "url", "title", "author", "author_url", "published", "modified", "text", "html",
    "first_seen", "last_seen", "warc_file", "warc_offset",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ThreadRows:
    """One post and its comments as stored, comments in thread order.

    Each row is a dict of its table's columns plus a nested ``capture`` dict
    (url, fetched_at, warc_file, warc_offset, warc_record_id) or None.
    """

    post: dict[str, Any]
    comments: list[dict[str, Any]]


def open_readonly(db_path: Path | str) -> sqlite_utils.Database:
    """The archive opened read-only: an export can never change it, even mid-crawl."""
    path = Path(db_path)
    if not path.is_file():
        raise ArchiverError(f"{path}: no archive here (crawl or import-warc first)")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    conn.execute("PRAGMA query_only = ON")
    return sqlite_utils.Database(conn)


def read_threads(db: sqlite_utils.Database) -> Iterator[ThreadRows]:
    """Every post with its comments, one thread in memory at a time."""
    for post in db.query(_POSTS):
        comments = [_nest_capture(row) for row in db.query(_COMMENTS, [post["id"]])]
        yield ThreadRows(_nest_capture(post), comments)


def _nest_capture(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if not k.startswith("cap_")}
    capture = {k[4:]: v for k, v in row.items() if k.startswith("cap_")}
    out["capture"] = capture if capture.get("warc_file") or capture.get("url") else None
    return out


# -- JSON Lines ---------------------------------------------------------------


def comment_tree(comments: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Comments nested by ``parent_id`` under ``replies``, siblings in thread order.

    A comment whose parent is not in the archive stays at the top level (its
    ``parent_source_id`` still says what it answered). Never loses a comment.
    """
    nodes = {c["id"]: {**c, "replies": []} for c in comments}
    parent_of: dict[Any, Any] = {}
    top: list[dict[str, Any]] = []
    for comment in comments:
        node, parent = nodes[comment["id"]], comment.get("parent_id")
        if parent in nodes and not _is_ancestor(comment["id"], parent, parent_of):
            parent_of[comment["id"]] = parent
            nodes[parent]["replies"].append(node)
        else:
            top.append(node)
    return top


def _is_ancestor(candidate: Any, node: Any, parent_of: Mapping[Any, Any]) -> bool:
    while node is not None:
        if node == candidate:
            return True
        node = parent_of.get(node)
    return False


def thread_record(thread: ThreadRows) -> dict[str, Any]:
    """One post as a JSON-ready dict: its columns, ``comment_count`` and the nested ``comments``."""
    return {
        **thread.post,
        "comment_count": len(thread.comments),
        "comments": comment_tree(thread.comments),
    }


def jsonl_lines(threads: Iterable[ThreadRows]) -> Iterator[str]:
    """One JSON line (with its newline) per post."""
    for thread in threads:
        yield json.dumps(thread_record(thread), ensure_ascii=False) + "\n"


def write_jsonl(threads: Iterable[ThreadRows], out: TextIO) -> tuple[int, int]:
    """Write JSON Lines to `out`; return (posts, comments) written."""
    posts = comments = 0
    for thread in threads:
        out.writelines(jsonl_lines([thread]))
        posts, comments = posts + 1, comments + len(thread.comments)
    return posts, comments


# -- CSV ----------------------------------------------------------------------


def csv_rows(threads: Iterable[ThreadRows]) -> Iterator[dict[str, Any]]:
    """Flat rows: each post (``kind`` "post") followed by its comments, with parent ids.

    ``id`` and ``parent_id`` are the archive's comment ids; ``source_id`` and
    ``parent_source_id`` the platform's own. ``url`` is the post URL or the
    comment's permalink; ``warc_file`` and ``warc_offset`` locate the record it
    was last read from.
    """
    for thread in threads:
        post = thread.post
        yield _flat(post, kind="post", post_id=post["id"], id=post["id"], url=post.get("url"))
        for comment in thread.comments:
            yield _flat(comment, kind="comment", url=comment.get("permalink"))


def _flat(row: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
    capture = row.get("capture") or {}
    out = {column: row.get(column) for column in CSV_COLUMNS}
    out.update(warc_file=capture.get("warc_file"), warc_offset=capture.get("warc_offset"))
    out.update(fields)
    return out


def write_csv(threads: Iterable[ThreadRows], out: TextIO) -> tuple[int, int]:
    """Write CSV with a header row to `out`; return (posts, comments) written."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    posts = comments = 0
    for row in csv_rows(threads):
        writer.writerow(row)
        if row["kind"] == "post":
            posts += 1
        else:
            comments += 1
    return posts, comments
