"""Re-crawls that record how threads change: versions, deletions, new comments, revisits."""

from __future__ import annotations

import shutil
import subprocess
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlite_utils
from warcio.archiveiterator import ArchiveIterator

from .conftest import FIXTURES, crawl, run_archiver, start_server
from .test_replay import PYWB, _wait_until_up, fetch, free_port, timestamp, wb_manager

CHANGING = FIXTURES / "sites" / "changing-blog"


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory):
    site = tmp_path_factory.mktemp("site") / "www"
    shutil.copytree(CHANGING / "v1", site)
    server, info = start_server(site)
    data = tmp_path_factory.mktemp("data")
    crawl(info.url, data)
    shutil.rmtree(site)
    shutil.copytree(CHANGING / "v2", site)
    crawl(info.url, data)
    server.shutdown()
    server.server_close()
    return info.url, data, sqlite_utils.Database(data / "archive.db")


def comments(db, post_path: str) -> dict[str, dict]:
    return {
        r["source_id"]: r
        for r in db.query(
            "select c.* from comments c join posts p on p.id = c.post_id where p.url like ?",
            [f"%{post_path}"],
        )
    }


def test_edited_comment_keeps_both_versions(two_crawls):
    _, _, db = two_crawls
    sue = comments(db, "/busy-thread/")["8001"]
    versions = [r["text"] for r in db.query(
        "select text from comment_versions where comment_id = ? order by version", [sue["id"]])]
    assert versions == ["First version of my comment.", "Second version: I edited my comment."]
    assert sue["text"] == versions[-1]


def test_full_text_search_follows_edits_and_survives_reordering(two_crawls):
    # The index is re-tokenised only when text changes (not when a merge moves
    # position or depth): the edited text is found, the old one is not, and the
    # index agrees with the table ('integrity-check' fails on a stale entry).
    _, _, db = two_crawls
    search = "select c.source_id from comments_fts f join comments c on c.id = f.rowid where comments_fts match ?"
    assert [r[0] for r in db.execute(search, ['"Second version"']).fetchall()] == ["8001"]
    assert db.execute(search, ['"First version"']).fetchall() == []
    db.execute("insert into comments_fts(comments_fts, rank) values ('integrity-check', 1)")
    db.execute("insert into posts_fts(posts_fts, rank) values ('integrity-check', 1)")

def test_deleted_comment_is_marked_not_removed(two_crawls):
    _, _, db = two_crawls
    thread = comments(db, "/busy-thread/")
    assert thread["8002"]["deleted_at"] and thread["8002"]["deleted_crawl_id"] == 2
    assert thread["8002"]["text"] == "This one will be deleted."
    assert all(thread[c]["deleted_at"] is None for c in ("8001", "8003", "8004", "8005", "8006"))
    assert thread["8005"]["parent_id"] == thread["8001"]["id"]
    quiet = comments(db, "/quiet-post/")
    assert quiet["9001"]["deleted_at"] is None


def test_changes_command_lists_what_the_second_crawl_found(two_crawls):
    _, data, db = two_crawls
    second = db.execute("select started from crawls where id = 2").fetchone()[0]
    out = run_archiver("changes", "--since", second, "--data", str(data)).stdout
    assert out.count("new comment") == 3
    for cid in ("8004", "8005", "8006"):
        assert f"new comment {cid}" in out
    assert "edited comment 8001" in out and "deleted comment 8002" in out
    assert "9001" not in out and "new post" not in out


def test_unchanged_pages_become_revisit_records(two_crawls):
    url, data, db = two_crawls
    revisits = {r["url"] for r in db.query("select url from captures where record_type = 'revisit'")}
    assert {url, url + "quiet-post/", url + "robots.txt"} <= revisits
    assert url + "busy-thread/" not in revisits
    payloads = {}
    for path in sorted((data / "warc").glob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                uri = record.rec_headers.get_header("WARC-Target-URI")
                if record.rec_type == "revisit":
                    assert record.rec_headers.get_header("WARC-Refers-To")
                    assert record.raw_stream.read() == b""
                elif record.rec_type == "response":
                    payloads[uri] = payloads.get(uri, 0) + 1
    assert payloads[url + "quiet-post/"] == 1, "the unchanged payload is stored once"
    assert payloads[url + "busy-thread/"] == 2


def test_rebuild_from_warcs_resolves_revisits(two_crawls, tmp_path):
    _, data, db = two_crawls
    run_archiver("reextract", str(data / "warc"), "--data", str(tmp_path))
    rebuilt = sqlite_utils.Database(tmp_path / "archive.db")
    assert rebuilt.execute("select count(*) from captures where record_type = 'revisit'").fetchone()[0] >= 3
    query = "select p.url, c.source_id, c.text from comments c join posts p on p.id = c.post_id order by 1, 2"
    assert [tuple(r.values()) for r in rebuilt.query(query)] == [tuple(r.values()) for r in db.query(query)]


@pytest.mark.skipif(PYWB is None, reason="pywb not found (see tests/test_replay.py)")
def test_pywb_replays_a_revisit_with_the_original_payload(two_crawls, tmp_path):
    url, data, db = two_crawls
    root = tmp_path / "pywb"
    root.mkdir()
    wb_manager(root, "init", "crawls")
    wb_manager(root, "add", "crawls", *[str(p) for p in sorted((data / "warc").glob("*.warc.gz"))])
    port = free_port()
    with (tmp_path / "wayback.log").open("wb") as log:
        process = subprocess.Popen([str(PYWB / "wayback"), "-b", "127.0.0.1", "-p", str(port)],
                                   cwd=root, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            _wait_until_up(process, f"http://127.0.0.1:{port}", tmp_path / "wayback.log")
            (fetched_at,) = db.execute(
                "select fetched_at from captures where record_type = 'revisit' and url = ?",
                [url + "quiet-post/"],
            ).fetchone()
            status, body = fetch(f"http://127.0.0.1:{port}/crawls/{timestamp(fetched_at)}id_/{url}quiet-post/")
        finally:
            process.terminate()
            process.wait(10)
    assert status == 200
    assert body == (CHANGING / "v1" / "quiet-post" / "index.html").read_bytes()


def test_conditional_requests_archive_304_and_still_see_the_thread(tmp_path):
    site = tmp_path / "www"
    shutil.copytree(CHANGING / "v1", site)
    # Python's own static handler answers If-Modified-Since with 304 Not Modified.
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietStaticHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    data = tmp_path / "data"
    try:
        crawl(url, data)
        crawl(url, data)
    finally:
        server.shutdown()
        server.server_close()
    db = sqlite_utils.Database(data / "archive.db")
    statuses = {r["url"]: r["status"] for r in db.query("select url, status from captures where crawl_id = 2")}
    assert statuses[url + "quiet-post/"] == 304 and statuses[url + "busy-thread/"] == 304
    assert db.execute("select count(*) from comments where deleted_at is not null").fetchone()[0] == 0
    seen = {r["source_id"]: r["capture_id"] for r in db.query("select source_id, capture_id from comments")}
    second = {r["id"] for r in db.query("select id from captures where crawl_id = 2")}
    assert set(seen.values()) <= second, "comments are attributed to the 304 fetch that revalidated them"


class QuietStaticHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass
