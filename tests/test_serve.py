"""archiver serve: the real command on a free 127.0.0.1 port over archives made by real crawls.

One archive holds two crawls: the seed WordPress site (a 34-comment thread over
three comment pages) and the hostile fixture under tests/fixtures/xss/. The
tests read Datasette's JSON (thread order, depth, search hits, provenance) and
the plugin's HTML pages, and check that serving never writes to the archive.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from warcio.archiveiterator import ArchiveIterator

from .conftest import FIXTURES, crawl, expected_seed, run_archiver, start_server

XSS_SITE = FIXTURES / "xss" / "site"
SEED_THREAD = "/2016/02/no-more-guernicas-no-more-aleppos/"
XSS_THREAD = "/2024/05/hostile-comments/"


# --- helpers, also used by test_browser.py ------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    process: subprocess.Popen[bytes]
    log: Path


def _wait_until_up(served: Served, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise AssertionError(f"archiver serve exited early:\n{served.log.read_text()}")
        try:
            with urllib.request.urlopen(served.url + "/-/versions.json", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise AssertionError(f"archiver serve did not answer within {timeout} s:\n{served.log.read_text()}")


@contextmanager
def serve_archive(data: Path, log_dir: Path, *args: str) -> Iterator[Served]:
    """Run the real `archiver serve DATA --port P` until the block ends."""
    port = free_port()
    log = log_dir / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "archiver", "serve", str(data), "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_up(served)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8")


def fetch_json(url: str) -> object:
    status, _, body = fetch(url)
    assert status == 200, body[:2000]
    return json.loads(body)


def crawl_seed_and_xss(seed_url: str, xss_url: str, data: Path) -> None:
    crawl(seed_url, data)
    crawl(xss_url + XSS_THREAD.lstrip("/"), data)


def post_id(served: Served, url: str) -> int:
    rows = fetch_json(f"{served.url}/archive/posts.json?_shape=array&url={quote(url, safe='')}")
    assert isinstance(rows, list) and len(rows) == 1, rows
    return int(rows[0]["id"])


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xss_server() -> Iterator[object]:
    server, info = start_server(XSS_SITE)
    yield info
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def archive(seed_server, xss_server, tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("serve-data")
    crawl_seed_and_xss(seed_server.url, xss_server.url, data)
    return data


@pytest.fixture(scope="module")
def digest_before(archive) -> str:
    return file_digest(archive / "archive.db")


@pytest.fixture(scope="module")
def served(archive, digest_before, tmp_path_factory) -> Iterator[Served]:
    with serve_archive(archive, tmp_path_factory.mktemp("serve-log")) as running:
        yield running


# --- the thread -----------------------------------------------------------------------


def test_thread_json_is_in_thread_order_with_depth_and_parents(served, seed_server):
    pid = post_id(served, seed_server.url.rstrip("/") + SEED_THREAD)
    rows = fetch_json(f"{served.url}/archive/thread.json?post_id={pid}&_shape=array")
    assert isinstance(rows, list)
    (want,) = [t for t in expected_seed()["threads"] if t["url"] == SEED_THREAD]
    assert len(rows) == len(want["comments"]) == 34
    source_of = {r["id"]: r["source_id"] for r in rows}
    got = [(r["source_id"], source_of.get(r["parent_id"]), r["depth"]) for r in rows]
    expected = [
        (str(c["id"]), None if c["parent_id"] is None else str(c["parent_id"]), c["depth"])
        for c in want["comments"]
    ]
    assert got == expected
    assert [r["position"] for r in rows] == list(range(34)), "tree order is the page's display order"
    for row in rows:
        assert row["path"].count(".") == row["depth"], row
        if row["parent_id"] is not None:
            parent = next(r for r in rows if r["id"] == row["parent_id"])
            assert row["path"].startswith(parent["path"] + "."), "a reply sorts under its parent"
            assert row["parent_author"] == parent["author"]


def test_every_thread_row_carries_its_provenance(served, archive, seed_server):
    pid = post_id(served, seed_server.url.rstrip("/") + SEED_THREAD)
    rows = fetch_json(f"{served.url}/archive/thread.json?post_id={pid}&_shape=array")
    for row in rows:
        assert row["captured_at"] and row["warc_file"] and row["warc_offset"] is not None, row
        assert row["capture_url"].startswith(seed_server.url.rstrip("/") + SEED_THREAD)
        assert row["permalink"].endswith(f"#comment-{row['source_id']}")
    # The WARC offset points at the very response the comment was read from.
    for row in {r["capture_id"]: r for r in rows}.values():
        with (archive / "warc" / row["warc_file"]).open("rb") as stream:
            stream.seek(row["warc_offset"])
            record = next(iter(ArchiveIterator(stream)))
            assert record.rec_type == "response"
            assert record.rec_headers.get_header("WARC-Target-URI") == row["capture_url"]


def test_thread_page_shows_every_comment_indented_with_parent_links(served, seed_server):
    pid = post_id(served, seed_server.url.rstrip("/") + SEED_THREAD)
    status, headers, html = fetch(f"{served.url}/-/thread/{pid}")
    assert status == 200
    (want,) = [t for t in expected_seed()["threads"] if t["url"] == SEED_THREAD]
    items = re.findall(r'<li class="comment depth-(\d+)" id="c(\d+)" data-depth="(\d+)" '
                       r'data-position="(\d+)" data-source-id="(\d+)">', html)  # fmt: skip
    assert [(s, int(d)) for _, _, d, _, s in items] == [(str(c["id"]), c["depth"]) for c in want["comments"]]
    assert all(indent == depth for indent, _, depth, _, _ in items)
    ids = {source: cid for _, cid, _, _, source in items}
    for comment in want["comments"]:
        if comment["parent_id"] is not None:
            assert f'href="#c{ids[str(comment["parent_id"])]}">↳ reply to' in html
    assert "No more Guernicas! No more Aleppos!" in html
    assert html.count('class="provenance"') == 35, "the post and every comment"
    assert ".warc.gz @ " in html
    assert headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'")
    assert "unsafe-inline" not in headers["content-security-policy"].split("script-src")[1].split(";")[0]
    assert headers["x-frame-options"] == "DENY"


def test_unknown_post_is_404(served):
    assert fetch(f"{served.url}/-/thread/999999")[0] == 404


# --- rows link to threads -------------------------------------------------------------


def test_post_title_opens_its_thread_and_comment_links_reach_post_and_parent(served, seed_server):
    pid = post_id(served, seed_server.url.rstrip("/") + SEED_THREAD)
    _, _, posts = fetch(f"{served.url}/archive/posts")
    assert f'<a href="/-/thread/{pid}">No more Guernicas! No more Aleppos!</a>' in posts
    rows = fetch_json(f"{served.url}/archive/thread.json?post_id={pid}&_shape=array")
    reply = next(r for r in rows if r["parent_id"] is not None)
    _, _, row_page = fetch(f"{served.url}/archive/comments/{reply['id']}")
    assert f'href="/-/thread/{pid}#c{reply["id"]}"' in row_page, "comment -> its post, at the comment"
    assert f'href="/-/thread/{pid}#c{reply["parent_id"]}"' in row_page, "comment -> its parent"
    assert f'href="/archive/comments/{reply["parent_id"]}"' in row_page


# --- search ---------------------------------------------------------------------------


def test_search_finds_posts_and_comments_together(served, seed_server):
    pid = post_id(served, seed_server.url.rstrip("/") + SEED_THREAD)
    hits = fetch_json(f"{served.url}/archive/search.json?_shape=array&q=Hersh")
    assert hits and all(h["kind"] == "comment" for h in hits)
    assert all(h["thread_path"] == f"/-/thread/{pid}#c{h['comment_id']}" for h in hits)
    assert all("<mark>Hersh" in h["snippet"] for h in hits)
    mixed = fetch_json(f"{served.url}/archive/search.json?_shape=array&q=Aleppo")
    kinds = {h["kind"] for h in mixed}
    assert kinds == {"post", "comment"}, mixed
    assert f"/-/thread/{pid}" in {h["thread_path"] for h in mixed if h["kind"] == "post"}
    assert fetch_json(f"{served.url}/archive/search.json?_shape=array&q=") == []
    assert fetch_json(f"{served.url}/archive/search.json?_shape=array&q=%22unbalanced") == []


def test_search_page_shows_hits_in_their_thread(served):
    status, _, html = fetch(f"{served.url}/-/search?q=Hersh")
    assert status == 200
    links = re.findall(r'<a href="(/-/thread/\d+#c(\d+))">show in thread', html)
    assert links
    assert "<mark>Hersh</mark>" in html
    path, comment_id = links[0]
    _, _, thread = fetch(served.url + path.split("#")[0])
    assert f'id="c{comment_id}"' in thread
    assert fetch(f"{served.url}/-/search?q=%22")[0] == 200


# --- metadata and facets -----------------------------------------------------------------


def test_metadata_describes_every_table_and_column(served, archive):
    metadata = fetch_json(f"{served.url}/-/metadata.json")
    tables = metadata["databases"]["archive"]["tables"]
    db = sqlite3.connect(archive / "archive.db")
    names = [r[0] for r in db.execute(
        "select name from sqlite_master where type = 'table' and name not like '%fts%' "
        "and name not like 'sqlite_%' and name != '_sqlite_migrations'"
    )]  # fmt: skip
    for name in names:
        assert tables.get(name, {}).get("description"), f"metadata.yaml: describe table {name}"
        columns = [r[1] for r in db.execute(f"pragma table_info([{name}])")]
        missing = [c for c in columns if not tables[name].get("columns", {}).get(c)]
        assert not missing, f"archiver/datasette/metadata.yaml: describe {name}.{missing}"
    db.close()


def test_posts_facet_by_site_platform_author_and_year(served):
    data = fetch_json(f"{served.url}/archive/posts.json?_size=0")
    facets = {(f["name"], f["type"]): {r["value"]: r["count"] for r in f["results"]} for f in data["facet_results"].values()}
    assert facets[("platform", "column")] == {"wordpress": 4}
    assert sum(facets[("site", "column")].values()) == 4
    assert facets[("published", "year")] == {"2024": 1, "2016": 3}
    assert ("author", "column") in facets
    filtered = fetch_json(f"{served.url}/archive/posts.json?_shape=array&published__startswith=2016")
    assert len(filtered) == 3


def test_fts_search_on_the_posts_and_comments_tables(served):
    rows = fetch_json(f"{served.url}/archive/comments.json?_shape=array&_search=Hersh")
    assert rows and all("Hersh" in r["text"] for r in rows)


# --- crawl history ----------------------------------------------------------------------


def test_crawl_history_lists_crawls_counts_and_changes(served):
    history = fetch_json(f"{served.url}/archive/crawl_history.json?_shape=array")
    assert [c["id"] for c in history] == [2, 1]
    xss, seed = history
    assert (seed["outcome"], seed["new_posts"], seed["new_comments"], seed["gone_comments"]) == ("finished", 3, 36, 0)
    assert (xss["new_posts"], xss["new_comments"]) == (1, 5)
    assert seed["pages"] > 3 and seed["comments"] == 36
    status, _, page = fetch(f"{served.url}/-/crawls")
    assert status == 200 and 'data-crawl-id="1"' in page and 'data-crawl-id="2"' in page
    status, _, detail = fetch(f"{served.url}/-/crawls/1")
    assert status == 200
    assert "34 new comments" in detail and "No more Guernicas! No more Aleppos!" in detail


# --- safety -------------------------------------------------------------------------------


def test_hostile_comments_are_served_sanitised(served, xss_server):
    pid = post_id(served, xss_server.url.rstrip("/") + XSS_THREAD)
    status, _, html = fetch(f"{served.url}/-/thread/{pid}")
    assert status == 200
    content = html.split('<article class="post"', 1)[1].split("</section>", 1)[0]
    assert content.count('class="comment depth-') == 5
    lowered = content.lower()
    for bad in ("<script", "<iframe", "<object", "<embed", "<svg", "<form", "javascript:", "data:text", "<img"):
        assert bad not in lowered, bad
    tags = re.findall(r"<[^>]+>", lowered)
    assert not [t for t in tags if re.search(r"\son[a-z]+\s*=", t)], "no event handler attributes"
    assert "&lt;img src=x onerror=window.__xss=7&gt;" in content, "an HTML-looking name is shown as text"
    assert "[image: tracking pixel]" in content, "images are links unless --remote-images"


def test_serving_never_writes_to_the_archive(served, archive, digest_before):
    for path in ("/", "/archive", "/archive/posts", "/-/crawls", "/-/search?q=aleppo", "/archive/thread?post_id=1"):
        assert fetch(served.url + path)[0] == 200, path
    assert file_digest(archive / "archive.db") == digest_before


def test_serves_while_a_crawl_writes_and_snapshots_with_immutable(archive, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(archive / "archive.db", data / "archive.db")
    with serve_archive(data, tmp_path) as running:
        writer = sqlite3.connect(data / "archive.db", timeout=10)
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("insert into crawls (started, start_urls, settings, outcome) "
                       "values ('2030-01-01T00:00:00+00:00', '[]', '{}', 'running')")  # fmt: skip
        started = time.monotonic()
        history = fetch_json(f"{running.url}/archive/crawl_history.json?_shape=array")
        assert time.monotonic() - started < 5, "a reader is not blocked by the writer"
        assert len(history) == 2, "an uncommitted crawl is not seen"
        writer.commit()
        history = fetch_json(f"{running.url}/archive/crawl_history.json?_shape=array")
        assert history[0]["outcome"] == "running" and history[0]["pages"] == 0
        writer.close()
    digest = file_digest(data / "archive.db")
    result = run_archiver("serve", str(data), "-i", "--get", "/archive/crawl_history.json?_shape=array")
    assert len(json.loads(result.stdout)) == 3
    assert file_digest(data / "archive.db") == digest


def test_serve_refuses_a_missing_archive_and_warns_off_loopback(archive, tmp_path):
    result = run_archiver("serve", str(tmp_path / "nothing"), check=False)
    assert result.returncode == 1
    assert "No archive at" in result.stderr and "Traceback" not in result.stderr
    result = run_archiver("serve", "--data", str(archive), "--host", "0.0.0.0", "--get", "/-/versions.json")
    assert "Warning: serving on 0.0.0.0" in result.stderr
    assert json.loads(result.stdout)["datasette"]["version"]


def test_crawl_changes_name_new_and_gone_comments(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "seed-thread" / "wordpress" / "site", site)
    page = site / "2016" / "02" / "aleppo-update" / "index.html"
    html = page.read_text(encoding="utf-8")
    server, info = start_server(site)
    try:
        data = tmp_path / "data"
        crawl(info.url + "2016/02/aleppo-update/", data)
        time.sleep(1.1)  # capture times have whole seconds: keep the two crawls apart
        gone_start = html.index('<li id="comment-6002"')
        gone_end = html.index("</li>", gone_start) + len("</li>")
        added = html[gone_start:gone_end].replace("6002", "6003").replace("Où sont les convois", "New words")
        page.write_text(html[:gone_start] + added + html[gone_end:], encoding="utf-8")
        crawl(info.url + "2016/02/aleppo-update/", data)
    finally:
        server.shutdown()
        server.server_close()
    result = run_archiver("serve", str(data), "--get", "/archive/crawl_changes.json?_shape=array&crawl_id=2")
    changes = [(c["change"], c["author"]) for c in json.loads(result.stdout)]
    assert changes == [("new comment", "Émile Zoë"), ("gone", "Émile Zoë")]
    history = json.loads(run_archiver("serve", str(data), "--get", "/archive/crawl_history.json?_shape=array").stdout)
    assert [(c["id"], c["new_posts"], c["new_comments"], c["gone_comments"]) for c in history] == [(2, 0, 1, 1), (1, 1, 2, 0)]
    page_html = run_archiver("serve", str(data), "--get", "/-/crawls/2").stdout
    assert "1 new comment" in page_html and "1 gone" in page_html


def test_remote_images_only_when_asked(served, archive, xss_server):
    from archiver.datasette.headers import csp

    pid = post_id(served, xss_server.url.rstrip("/") + XSS_THREAD)
    page = run_archiver("serve", str(archive), "--remote-images", "--get", f"/-/thread/{pid}").stdout
    assert f'<img src="{xss_server.url}pixel.png" alt="tracking pixel">' in page
    assert "onerror" not in page.split('<article class="post"', 1)[1].replace("onerror=window.__xss=7&gt;", "")
    assert "img-src 'self' data: https: http:;" in csp(remote_images=True)
    assert "img-src 'self' data:;" in csp()
