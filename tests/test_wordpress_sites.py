"""Real crawls of the WordPress fixture sites beside the seed: a block theme and a classic one.

Each site (``tests/fixtures/sites/wordpress-*``) is served on 127.0.0.1 and crawled from its
home page; archive.db must hold exactly the threads of its expected.json, compared as
``test_crawl_e2e.test_archive_matches_expected_json`` compares the seed's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import sqlite_utils

from .conftest import FixtureHandler, assert_archive_matches, crawl, start_server

SITES = Path(__file__).parent / "fixtures" / "sites"


class RedirectCanonicalHandler(FixtureHandler):
    """The fixture server plus what WordPress's ``redirect_canonical()`` does on a site with
    pretty permalinks: ``/post/?cpage=N`` answers 301 to ``/post/comment-page-N/``.

    A static server ignores the query, so without this every ``?cpage=N`` link of the
    classic site would answer the post page (the newest comment page) again.
    """

    def send_head(self):  # type: ignore[no-untyped-def]
        path, _, query = self.path.partition("?")
        cpage = dict(parse_qsl(query.partition("#")[0])).get("cpage", "")
        if cpage.isdigit() and int(cpage) > 0 and path.endswith("/"):
            self.send_response(301)
            self.send_header("Location", f"{path}comment-page-{int(cpage)}/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return super().send_head()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[sqlite_utils.Database, str, dict]]:
    """`crawl_site`, once per site for the module."""
    done: dict[str, tuple[sqlite_utils.Database, str, dict]] = {}

    def get(name: str) -> tuple[sqlite_utils.Database, str, dict]:
        if name not in done:
            done[name] = crawl_site(name, tmp_path_factory.mktemp(name))
        return done[name]

    return get


def crawl_site(name: str, tmp_path: Path) -> tuple[sqlite_utils.Database, str, dict]:
    """Serve the fixture site on 127.0.0.1, crawl it from its home page into `tmp_path`."""
    site = SITES / name
    server, info = start_server(site / "site")
    # same server, WordPress's ?cpage= redirect added (before the first request)
    server.RequestHandlerClass = partial(RedirectCanonicalHandler, directory=str(site / "site"))
    try:
        crawl(info.url, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    expected = json.loads((site / "expected.json").read_text(encoding="utf-8"))
    return sqlite_utils.Database(tmp_path / "archive.db"), info.url, expected


@pytest.mark.parametrize("name", ["wordpress-block", "wordpress-classic"])
def test_crawl_of_a_wordpress_site_matches_expected_json(name: str, crawled) -> None:
    db, url, expected = crawled(name)
    assert_archive_matches(db, url, expected)
    assert {row["extractor"] for row in db["posts"].rows} == {"wordpress@2"}


def test_classic_site_pages_its_thread_newest_first_through_cpage_links(crawled) -> None:
    """The long thread is read from its three comment pages, oldest first, whatever order
    the crawl met them in; the post URL's repeat of page 3 adds nothing."""
    db, url, expected = crawled("wordpress-classic")
    thread = expected["threads"][0]
    assert thread["comment_pages"] == 3
    post = next(db["posts"].rows_where("url = ?", [url.rstrip("/") + thread["url"]]))
    pages = [r["comment_page"] for r in db.query(
        "select comment_page from comments where post_id = ? order by position", [post["id"]])]
    assert pages == sorted(pages) and set(pages) == {1, 2, 3}
    kinds = {r["author"]: r["published"] for r in db.query(
        "select author, published from comments where post_id = ? and text = ''", [post["id"]])}
    assert kinds == {"Weekly links #12 – The Joinery Digest": None,
                     "Scrapers, burnishers and patience « Old Iron": None}
