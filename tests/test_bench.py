"""The benchmark's correctness, not its speed: no timed assertions here.

A tiny site from make_blog.py (the benchmark's generator, kept beside the repository in
../shared/bench/) is crawled for real and bench/run.py's `compare_archive` must find the
archive equal to the site's expected.json; the checker itself must see planted errors;
and a smoke run of the whole benchmark (nginx, wget) must come out valid.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest

from .conftest import crawl

REPO = Path(__file__).resolve().parents[1]
MAKE_BLOG = REPO.parent / "shared" / "bench" / "make_blog.py"

pytestmark = pytest.mark.skipif(
    not MAKE_BLOG.exists(),
    reason=f"{MAKE_BLOG} not found: the benchmark site generator lives beside the repository",
)


def load_bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = load_bench()


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files as nginx.conf.in serves them: directories by index.html, /feed/ by index.xml."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".xml": "application/xml"}  # noqa: RUF012

    def translate_path(self, path: str) -> str:
        local = super().translate_path(path)
        if path.split("?")[0].endswith("/feed/"):
            return str(Path(local) / "index.xml")
        return local

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(directory: Path) -> tuple[ThreadingHTTPServer, str]:
    """Serve `directory` (it may not exist yet) on 127.0.0.1; returns the server and base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SiteHandler, directory=str(directory)))
    Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


SITES = {
    # comment pages of 3 top-level comments: pagination on most posts, newest page on the post URL
    "newest": ("--comments-per-page", "3"),
    # oldest page first, and ?replytocom= reply links (one duplicate URL per comment: a trap)
    "oldest-replytocom": ("--comments-per-page", "4", "--default-comments-page", "oldest",
                          "--reply-links", "replytocom"),
}


@pytest.fixture(scope="module", params=sorted(SITES))
def crawled(request, tmp_path_factory) -> Iterator[tuple[Path, Path, str]]:
    """(archive.db, expected.json, base URL) of a real crawl of a 15-post generated site."""
    root = tmp_path_factory.mktemp(f"bench-{request.param}")
    server, base = serve(root / "gen" / "site")
    try:
        bench.make_site(MAKE_BLOG, root / "gen", base, posts=15, comments=8,
                        extra=SITES[request.param])
        result = crawl(base + "/", root / "data", "--concurrency", "4", "-q")
        assert "0 errors" in result.stdout, result.stdout
        yield root / "data" / "archive.db", root / "gen" / "expected.json", base
    finally:
        server.shutdown()
        server.server_close()


def test_site_has_comment_pagination(crawled):
    _, expected, _ = crawled
    posts = json.loads(expected.read_text())["posts"]
    assert sum(len(p["comment_pages"]) > 1 for p in posts) >= 3
    assert sum(len(p["comments"]) for p in posts) >= 80


def test_archive_equals_expected_json(crawled):
    db, expected, _ = crawled
    check = bench.compare_archive(db, expected)
    assert check.posts == 15 and check.comments >= 80
    assert check.mismatches == 0, "\n".join(
        [f"{check.mismatches} mismatches: {dict(check.fields)}", *check.examples])


def test_comparison_sees_planted_errors(crawled, tmp_path):
    db, expected, _ = crawled
    copy = tmp_path / "archive.db"
    shutil.copy(db, copy)
    con = sqlite3.connect(copy)
    with con:
        first, second = con.execute(
            "select id from comments where parent_id is not null order by id limit 2").fetchall()
        con.execute("update comments set text = text || ' extra' where id = ?", first)
        con.execute("update comments set parent_id = null, depth = 0 where id = ?", second)
        con.execute("update posts set title = 'Wrong' where id = (select min(id) from posts)")
        con.execute("delete from comments where id = (select max(id) from comments where id not in "
                    "(select parent_id from comments where parent_id is not null))")
    con.close()
    check = bench.compare_archive(copy, expected)
    assert check.fields["comment text"] == 1
    assert check.fields["comment parent"] == 1 and check.fields["comment depth"] == 1
    assert check.fields["post title"] == 1
    assert check.fields["missing comment"] == 1
    assert check.mismatches == 5 and not check.valid


@pytest.mark.skipif(not (shutil.which("nginx") and shutil.which("wget")),
                    reason="the benchmark's smoke run needs nginx and wget (run.py installs them; "
                           "tests don't)")
def test_benchmark_smoke_run_is_valid(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--posts", "20",
         "--rss-posts", "0", "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((out / "results.json").read_text())
    assert result["valid"] and result["mismatches"] == [0, 0]
    tools = result["tools"]
    # the two Scrapy crawls fetch the same pages; wget also takes the archives
    assert tools["archiver crawl"]["html_pages"] == tools["bare Scrapy"]["html_pages"] > 20
    assert tools["wget"]["html_pages"] == result["site"]["html_pages"]
    assert set(result["ratios"]) == set(bench.TARGETS)
    assert "VALID" in done.stdout and "mismatches" in done.stdout
