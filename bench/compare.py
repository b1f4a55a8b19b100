"""Is an archive exactly the site make_blog.py generated?  `compare_archive(db, expected.json)`.

Used by bench/run.py (a benchmark run counts only with 0 mismatches) and tests/test_bench.py.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass
class Comparison:
    posts: int = 0  # posts expected
    comments: int = 0  # comments expected
    mismatches: int = 0
    fields: Counter[str] = field(default_factory=Counter)  # mismatches per field
    examples: list[str] = field(default_factory=list)  # the first few, readable

    def add(self, what: str, where: str, got: object = None, want: object = None) -> None:
        self.mismatches += 1
        self.fields[what] += 1
        if len(self.examples) < 20:
            self.examples.append(f"{what} at {where}: got {got!r}, want {want!r}")

    @property
    def valid(self) -> bool:
        return self.mismatches == 0


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


def _same_time(got: str | None, want: str | None) -> bool:
    """The same instant with the same UTC offset (ISO 8601 spellings may differ)."""
    if not got or not want:
        return not got and not want
    try:
        a, b = datetime.fromisoformat(got), datetime.fromisoformat(want)
    except ValueError:
        return False
    return a == b and a.utcoffset() == b.utcoffset()


def compare_archive(db_path: Path, expected_path: Path) -> Comparison:
    """Every post (url, title, author, published, text) and every comment (id, parent, depth,
    author, published, text; whitespace collapsed; in thread order) of expected.json, and
    nothing else, must be in the archive. Each differing field, missing or extra record
    counts one mismatch."""
    expected = json.loads(Path(expected_path).read_text(encoding="utf-8"))["posts"]
    result = Comparison(posts=len(expected), comments=sum(len(p["comments"]) for p in expected))
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        posts = {row["url"]: row for row in db.execute("select * from posts")}
        for url in sorted(set(posts) - {p["url"] for p in expected}):
            result.add("extra post", url)
        for want in expected:
            url = want["url"]
            got = posts.get(url)
            if got is None:
                result.add("missing post", url)
                for c in want["comments"]:
                    result.add("missing comment", f"{url}#comment-{c['id']}")
                continue
            for name, column, key in (("post title", "title", "title"),
                                      ("post author", "author", "author")):
                if got[column] != want[key]:
                    result.add(name, url, got[column], want[key])
            if not _same_time(got["published"], want["date"]):
                result.add("post published", url, got["published"], want["date"])
            if _norm(got["text"]) != _norm(want["content_text"]):
                result.add("post text", url, _norm(got["text"])[:80], _norm(want["content_text"])[:80])
            _compare_comments(db, got["id"], url, want["comments"], result)
    finally:
        db.close()
    return result


def _compare_comments(db: sqlite3.Connection, post_id: int, url: str, want: list[dict],
                      result: Comparison) -> None:
    rows = db.execute(
        "select c.*, p.source_id as parent_source from comments c "
        "left join comments p on p.id = c.parent_id where c.post_id = ? order by c.position",
        [post_id],
    ).fetchall()
    got = {row["source_id"]: row for row in rows}
    for source_id in sorted(set(got) - {str(c["id"]) for c in want}):
        result.add("extra comment", f"{url}#comment-{source_id}")
    present = [str(c["id"]) for c in want if str(c["id"]) in got]
    wanted = set(present)
    if [row["source_id"] for row in rows if row["source_id"] in wanted] != present:
        result.add("comment order", url)
    for c in want:
        where = f"{url}#comment-{c['id']}"
        row = got.get(str(c["id"]))
        if row is None:
            result.add("missing comment", where)
            continue
        parent = None if c["parent"] is None else str(c["parent"])
        checks = (
            ("comment parent", row["parent_source"], parent, row["parent_source"] == parent),
            ("comment depth", row["depth"], c["depth"] - 1, row["depth"] == c["depth"] - 1),
            ("comment author", row["author"], c["author"], row["author"] == c["author"]),
            ("comment published", row["published"], c["date"],
             _same_time(row["published"], c["date"])),
            ("comment text", _norm(row["text"])[:80], _norm(c["text"])[:80],
             _norm(row["text"]) == _norm(c["text"])),
        )
        for name, got_value, want_value, ok in checks:
            if not ok:
                result.add(name, where, got_value, want_value)
