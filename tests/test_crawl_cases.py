"""Real crawls of fixture sites on 127.0.0.1: scope, robots, errors, entry points, rebuilds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from .conftest import FIXTURES, crawl, run_archiver, start_server

SMALL_BLOG = FIXTURES / "sites" / "small-blog"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def small_blog():
    server, info = start_server(SMALL_BLOG)
    yield info
    server.shutdown()
    server.server_close()


def rows(data: Path, sql: str) -> list[tuple]:
    return [tuple(r.values()) for r in sqlite_utils.Database(data / "archive.db").query(sql)]


def fetched_paths(data: Path) -> set[str]:
    return {"/" + url.split("/", 3)[3] for (url,) in rows(data, "select url from captures")}


def test_home_page_crawl_follows_pagination_and_feed_obeys_robots(small_blog, tmp_path):
    result = crawl(small_blog.url, tmp_path)
    titles = {t for (t,) in rows(tmp_path, "select title from posts")}
    assert titles == {"Open post", "Older post"}  # older-post is only on /page/2/ and the feed
    fetched = fetched_paths(tmp_path)
    assert "/private/hidden-post/" not in fetched
    assert not {"/author/someone/", "/2020/01/", "/wp-content/uploads/photo.jpg"} & fetched
    assert not any("replytocom" in path for path in fetched)
    errors = set(rows(tmp_path, "select url, kind from errors"))
    assert (small_blog.url + "private/hidden-post/", "robots") in errors
    assert (small_blog.url + "2020/01/missing-post/", "http 404") in errors
    assert "errors" in result.stdout


def test_post_url_archives_only_that_thread(seed_server, tmp_path):
    post = seed_server.url + "2016/02/no-more-guernicas-no-more-aleppos/"
    crawl(post, tmp_path)
    assert rows(tmp_path, "select url from posts") == [(post,)]
    assert rows(tmp_path, "select count(*) from comments") == [(34,)]
    pages = fetched_paths(tmp_path) - {"/robots.txt"}
    assert pages == {
        "/2016/02/no-more-guernicas-no-more-aleppos/",
        "/2016/02/no-more-guernicas-no-more-aleppos/comment-page-1/",
        "/2016/02/no-more-guernicas-no-more-aleppos/comment-page-2/",
        "/2016/02/no-more-guernicas-no-more-aleppos/comment-page-3/",
    }


def test_feed_and_sitemap_urls_archive_the_posts_they_list(seed_server, tmp_path):
    crawl(seed_server.url + "feed.xml", tmp_path / "feed")
    crawl(seed_server.url + "sitemap.xml", tmp_path / "sitemap")
    for data in (tmp_path / "feed", tmp_path / "sitemap"):
        assert rows(data, "select count(*) from posts") == [(3,)]
        assert rows(data, "select count(*) from comments") == [(36,)]


def test_private_addresses_are_refused_without_allow_private(seed_server, tmp_path):
    result = run_archiver("crawl", seed_server.url, "--data", str(tmp_path), "--delay", "0", "-q")
    assert rows(tmp_path, "select count(*) from captures") == [(0,)]
    (kind, detail), = rows(tmp_path, "select kind, detail from errors")
    assert kind == "refused" and "--allow-private" in detail
    assert "1 errors" in result.stdout


def test_unreachable_start_url_is_a_recorded_error_not_a_crash(tmp_path):
    result = crawl("http://127.0.0.1:9/", tmp_path, "-s", "RETRY_TIMES=0")
    assert result.returncode == 0
    assert rows(tmp_path, "select url, kind from errors") == [("http://127.0.0.1:9/", "connection refused")]
    (outcome,) = rows(tmp_path, "select outcome from crawls")[0]
    assert outcome == "finished"


def test_scrapy_crawl_runs_the_same_spider(seed_server, tmp_path):
    data = tmp_path / "data"
    subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "blog", "-a", f"url={seed_server.url}",
         "-s", f"ARCHIVER_DATA={data}", "-s", "ARCHIVER_ALLOW_PRIVATE=1",
         "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=WARNING"],
        cwd=REPO, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert rows(data, "select count(*) from posts") == [(3,)]
    assert rows(data, "select count(*) from comments") == [(36,)]


def test_warc_rotation_at_a_size_limit(seed_server, tmp_path):
    crawl(seed_server.url, tmp_path, "-s", "ARCHIVER_WARC_MAX_SIZE=20000")
    files = sorted((tmp_path / "warc").glob("*.warc.gz"))
    assert len(files) > 3
    used = {f for (f,) in rows(tmp_path, "select distinct warc_file from captures")}
    assert used == {f.name for f in files}


COMPARED = {
    "posts": "url, site, platform, extractor, title, author, published, modified, text, html, "
    "stated_comment_count, comments_open, first_seen, last_seen",
    "comments": "(select url from posts where posts.id = post_id), source_id, parent_source_id, "
    "(select source_id from comments p where p.id = comments.parent_id), depth, position, author, "
    "author_url, published, text, html, permalink, first_seen, last_seen",
}


def test_reextract_rebuilds_the_same_archive_from_warcs_alone(seed_server, tmp_path):
    live = tmp_path / "live"
    crawl(seed_server.url, live)
    rebuilt = tmp_path / "rebuilt"
    result = run_archiver("reextract", str(live / "warc"), "--data", str(rebuilt))
    assert "3 posts and 36 comments" in result.stdout
    for table, columns in COMPARED.items():
        query = f"select {columns} from {table} order by 1, 2"
        assert rows(rebuilt, query) == rows(live, query), table
    assert rows(rebuilt, "select url, status, warc_file, warc_offset, warc_record_id from captures order by 1") == rows(
        live, "select url, status, warc_file, warc_offset, warc_record_id from captures order by 1"
    )
    # The crawl's guesses at /wp-sitemap.xml and /sitemap_index.xml got 404s: no errors, either way.
    assert rows(rebuilt, "select url, kind from errors order by 1, 2") == rows(live, "select url, kind from errors order by 1, 2")


def test_incomplete_thread_shortfall_is_recorded_and_reported(seed_server, tmp_path):
    post = seed_server.url + "2016/02/no-more-guernicas-no-more-aleppos/"
    result = crawl(post, tmp_path, "-s", "ARCHIVER_MAX_COMMENT_PAGES=1")
    ((stated, count, shortfall),) = rows(
        tmp_path, "select stated_comment_count, comment_count, comment_shortfall from posts"
    )
    assert stated == 34 and 0 < count < 34 and shortfall == 34 - count
    assert "incomplete: 1 threads" in result.stdout
    assert f"{count} of 34" in result.stdout


def test_complete_threads_have_no_shortfall(seed_server, tmp_path):
    crawl(seed_server.url, tmp_path)
    counts = rows(tmp_path, "select comment_count, coalesce(comment_shortfall, 0) from posts")
    assert sorted(counts) == [(0, 0), (2, 0), (34, 0)]


def test_a_feed_start_archives_only_the_posts_it_lists(small_blog, tmp_path):
    crawl(small_blog.url + "feed.xml", tmp_path)
    fetched = fetched_paths(tmp_path)
    assert {t for (t,) in rows(tmp_path, "select title from posts")} == {"Open post", "Older post"}
    assert "/" not in fetched and "/page/2/" not in fetched, "no discovery from the listed posts"


def test_meta_refresh_past_the_first_4_kb_of_bytes_is_followed(tmp_path):
    # The old post's <meta http-equiv="refresh"> sits after 3,000 two-byte characters:
    # past 4 KB of bytes, within the 4,096 characters Scrapy scans.
    server, info = start_server(FIXTURES / "sites" / "moved-blog")
    try:
        crawl(info.url + "old-post/", tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert fetched_paths(tmp_path) >= {"/old-post/", "/2024/05/new-home/"}
    assert rows(tmp_path, "select count(*) from posts") == [(1,)]  # the page moved to
    assert rows(tmp_path, "select count(*) from comments") == [(2,)]


def test_no_remote_code_execution_server_is_started(seed_server, tmp_path):
    """Scrapy >= 2.19 starts an HTTP server that runs posted Python code unless told not to;
    a crawl of untrusted pages must not open it (it logs where it listens at INFO)."""
    post = seed_server.url + "2016/02/aleppo-update/"
    result = crawl(post, tmp_path, "-v", "-s", f"REMOTE_CONTROL_JOBS_DIR={tmp_path / 'jobs'}")
    assert "INFO: Spider closed" in result.stderr  # INFO logging was on
    assert "Remote control" not in result.stdout + result.stderr
    assert not (tmp_path / "jobs").exists()
