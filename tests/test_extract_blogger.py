"""Blogger extraction: fixture pages, the fixture sites' pages and comment feeds, real crawls.

Fixtures: ``tests/fixtures/blogger/<case>.html`` with ``<case>.json`` beside it, in the
format of ``tests/fixtures/wordpress`` (``{"page", "thread" | null}`` or ``{"page", "error"}``).
Sites: ``tests/fixtures/sites/blogger-contempo`` (threaded comments, nested replies, human
dates, a comment only the feed has) and ``blogger-minima`` (classic ``dl#comments-block``,
comments closed, no comments), each with its ``expected.json`` and its comment feeds at
``/feeds/POSTID/comments/default`` (a file without extension: any static server serves it).

Timing (not a test): ``python -m tests.test_extract_blogger`` extracts a 150-comment page.
"""

from __future__ import annotations

import io
import json
import re
import threading
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlite_utils

from archiver.exceptions import ExtractionError
from archiver.extract import blogger, choose, extract, extract_source
from archiver.page import Page
from archiver.records import Comment, Post, Thread

from .conftest import FIXTURES, FixtureHandler, crawl, minute, norm, start_server
from .test_extract_wordpress import as_json, make_page, with_defaults

CASES_DIR = FIXTURES / "blogger"
CASES = sorted(path.stem for path in CASES_DIR.glob("*.html"))
SITES = {name: FIXTURES / "sites" / name for name in ("blogger-contempo", "blogger-minima")}
ORIGIN = "http://127.0.0.1:8000/"
THREADED = SITES["blogger-contempo"] / "2016/02/blight-on-tomatoes-again.html"


def load_case(case: str) -> tuple[dict, Page]:
    spec = json.loads((CASES_DIR / f"{case}.json").read_text(encoding="utf-8"))
    return spec, make_page(spec["page"]["url"], (CASES_DIR / f"{case}.html").read_bytes())


@pytest.mark.parametrize("case", CASES)
def test_fixture(case: str) -> None:
    spec, page = load_case(case)
    assert blogger.detect(page) >= 0.5 and choose(page) is blogger
    if "error" in spec:
        with pytest.raises(ExtractionError) as caught:
            extract(page)
        assert (caught.value.platform, caught.value.reason) == ("blogger", spec["error"]["reason"])
        return
    thread = extract(page)
    if spec["thread"] is None:
        assert thread is None
        return
    expected = with_defaults(spec["thread"], Thread)
    expected["post"] = with_defaults(expected["post"], Post)
    expected["comments"] = [with_defaults(c, Comment) for c in expected["comments"]]
    got = as_json(thread)
    assert got["post"] == expected["post"]
    assert got["comments"] == expected["comments"]
    assert got == expected


@pytest.mark.parametrize("case", CASES)
def test_fixture_invariants(case: str) -> None:
    spec, page = load_case(case)
    if "error" in spec or spec["thread"] is None:
        return
    thread = extract(page)
    assert thread.extractor == f"blogger@{blogger.VERSION}" and not thread.supplement
    assert "?" not in thread.post.url and "#" not in thread.post.url
    ids = {c.source_id: c for c in thread.comments}
    assert len(ids) == len(thread.comments)
    for comment in thread.comments:
        parent = ids.get(comment.parent_source_id) if comment.parent_source_id else None
        assert comment.depth == (parent.depth + 1 if parent else 0)
        assert comment.published is None or minute(comment.published).tzinfo is not None
        assert "<script" not in comment.html and "onclick" not in comment.html
    assert "<script" not in thread.post.html


# --- the fixture sites' pages, one by one --------------------------------------------


def site_pages(site: Path) -> dict[str, Page]:
    return {
        ORIGIN + path.relative_to(site).as_posix().removesuffix("index.html"): make_page(
            ORIGIN + path.relative_to(site).as_posix().removesuffix("index.html"), path.read_bytes()
        )
        for path in sorted(site.rglob("*.html"))
    }


def expected_of(site: Path) -> dict:
    return json.loads((site / "expected.json").read_text(encoding="utf-8"))


def feed_page(site: Path, thread: Thread) -> Page:
    """The comment feed `thread` names, as the static server answers it."""
    (source,) = thread.comment_sources
    path = urlsplit(source).path.lstrip("/")
    return make_page(source, (site / path).read_bytes(), "application/octet-stream")


@pytest.mark.parametrize("site", SITES.values(), ids=SITES.keys())
def test_site_home_page_is_an_index(site: Path) -> None:
    assert extract(site_pages(site)[ORIGIN]) is None


@pytest.mark.parametrize("site", SITES.values(), ids=SITES.keys())
def test_site_post_pages_and_feeds(site: Path) -> None:
    pages = site_pages(site)
    for want in expected_of(site)["threads"]:
        thread = extract(pages[ORIGIN + want["url"][1:]])
        post = want["post"]
        assert thread.post.url == ORIGIN + want["url"][1:]
        assert (thread.post.title, thread.post.author) == (post["title"], post["author"])
        assert thread.post.published == post["published"] and thread.post.published_raw is None
        assert norm(thread.post.text) == norm(post["text"])
        assert thread.warnings == ()
        wanted = {c["id"]: c for c in want["comments"]}
        for comment in thread.comments:  # the page shows all but the comment posted later
            w = wanted[comment.source_id]
            assert (comment.parent_source_id, comment.depth, comment.author) == (w["parent_id"], w["depth"], w["author"])
            assert minute(comment.published) == minute(w["published"])
            assert comment.published_raw  # the words the page shows are kept beside the time
            assert norm(comment.text) == norm(w["text"])
        if not want["comments"]:
            assert thread.comments == () and thread.comment_sources == ()
            continue
        assert thread.comment_sources == (f"{ORIGIN}feeds/{post_id(pages, want)}/comments/default?alt=json&max-results=200",)
        feed = extract_source(feed_page(site, thread), thread.post)
        assert feed.supplement and feed.platform == "blogger" and feed.post == thread.post
        got = [(c.source_id, c.parent_source_id, c.depth, c.author, c.published, norm(c.text)) for c in feed.comments]
        assert got == [(c["id"], c["parent_id"], c["depth"], c["author"], c["published"], norm(c["text"]))
                       for c in want["comments"]]  # fmt: skip
        assert feed.stated_comment_count == len(want["comments"]) and feed.comment_page_urls == ()
        assert all(c.permalink.startswith(thread.post.url + "?showComment=") for c in feed.comments)


def post_id(pages: dict[str, Page], want: dict) -> str:
    return re.search(r"<a name='(\d+)'>", pages[ORIGIN + want["url"][1:]].text).group(1)


def test_threaded_page_facts() -> None:
    thread = extract(make_page(ORIGIN + "2016/02/blight-on-tomatoes-again.html", THREADED.read_bytes()))
    assert thread.stated_comment_count == 8 and thread.comments_open is True
    assert [c.depth for c in thread.comments] == [0, 1, 0, 1, 1, 0, 1, 0]
    anonymous = [c for c in thread.comments if c.author == "Anonymous"]
    assert len(anonymous) == 2 and all(c.author_url is None for c in anonymous)
    tom = next(c for c in thread.comments if c.author == "Tom Whitcombe")
    assert tom.author_url == "http://tomsveg.example.net/" and "\n\n" in tom.text
    # the time comes from showComment=<epoch ms>, in the blog's offset; the words are kept
    assert thread.comments[0].published == "2016-02-10T21:41:43+13:00"
    assert thread.comments[0].published_raw == "February 10, 2016 at 9:41 PM"
    assert thread.comments[0].permalink.endswith("?showComment=1455093703968#c7462447203108057740")


def test_classic_closed_and_empty_threads() -> None:
    pages = site_pages(SITES["blogger-minima"])
    closed = extract(pages[ORIGIN + "2008/04/spring-levels.html"])
    assert closed.comments_open is False and closed.stated_comment_count == 2 and len(closed.comments) == 2
    empty = extract(pages[ORIGIN + "2008/05/swing-bridge.html"])
    assert empty.comments_open is True and empty.stated_comment_count == 0
    assert empty.comments == () and empty.comment_sources == ()  # no feed to fetch for no comments
    opened = extract(pages[ORIGIN + "2008/03/ice-out-at-jones-falls.html"])
    last = opened.comments[-1]  # its permalink has no showComment: the words, in the post's offset
    assert last.published == "2008-03-14T06:58:00-04:00" and last.published_raw == "14 March 2008 06:58"


# --- the comment feed ------------------------------------------------------------------

FEED = SITES["blogger-contempo"] / "feeds/3391746620518377042/comments/default"
POST = Post(ORIGIN + "2016/02/blight-on-tomatoes-again.html", "Blight", None, None, None, "", "")


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://x.blogspot.com/feeds/3391746620518377042/comments/default?alt=json", True),
        ("https://www.blogger.com/feeds/7261508823914452061/3391746620518377042/comments/default", True),
        ("http://127.0.0.1:8000/feeds/1/comments/default/?alt=json", True),
        ("https://x.blogspot.com/feeds/posts/default", False),
        ("https://x.blogspot.com/feeds/comments/default", False),
        ("https://x.blogspot.com/2016/02/post.html", False),
    ],
)
def test_accepts_source(url: str, accepted: bool) -> None:
    assert blogger.accepts_source(url) is accepted


def paged_feed(start: int, size: int, path: Path = FEED) -> bytes:
    """A fixture feed cut as Blogger pages it, with Blogger's own next link (on www.blogger.com)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = data["feed"]["entry"]
    data["feed"]["entry"] = entries[start - 1 : start - 1 + size]
    data["feed"]["openSearch$startIndex"] = {"$t": str(start)}
    if start - 1 + size < len(entries):
        data["feed"]["link"].append({
            "rel": "next", "type": "application/atom+xml",
            "href": "https://www.blogger.com/feeds/7261508823914452061/3391746620518377042/comments/default"
                    f"?alt=json&start-index={start + size}&max-results={size}",
        })  # fmt: skip
    return json.dumps(data).encode()


def test_feed_pages_follow_on_the_blogs_own_host() -> None:
    url = ORIGIN + "feeds/3391746620518377042/comments/default?alt=json&max-results=4"
    first = extract_source(make_page(url, paged_feed(1, 4), "application/json; charset=UTF-8"), POST)
    assert first.comment_page == 1 and len(first.comments) == 4
    (following,) = first.comment_page_urls
    assert following == ORIGIN + "feeds/3391746620518377042/comments/default?alt=json&max-results=4&start-index=5"
    second = extract_source(make_page(following, paged_feed(5, 4), "application/json"), POST)
    assert second.comment_page == 2 and len(second.comments) == 4
    last = extract_source(make_page(url + "&start-index=9", paged_feed(9, 4), "application/json"), POST)
    assert last.comment_page == 3 and last.comment_page_urls == () and len(last.comments) == 1
    # a reply whose parent is on another feed page keeps its parent id, at depth 1
    replies = [c for t in (first, second, last) for c in t.comments if c.parent_source_id]
    assert len(replies) == 5 and all(c.depth == 1 for c in replies)
    ids = [c.source_id for t in (first, second, last) for c in t.comments]
    assert len(ids) == len(set(ids)) == 9


def test_feed_as_json_in_script_and_empty_feed() -> None:
    url = ORIGIN + "feeds/3391746620518377042/comments/default?alt=json-in-script&callback=cb"
    wrapped = b"// API callback\ncb(" + FEED.read_bytes() + b");"
    assert len(extract_source(make_page(url, wrapped, "text/javascript"), POST).comments) == 9
    empty = b'{"version":"1.0","encoding":"UTF-8","feed":{"openSearch$totalResults":{"$t":"0"}}}'
    thread = extract_source(make_page(url, empty, "application/json"), POST)
    assert thread.comments == () and thread.stated_comment_count == 0 and thread.supplement


def test_untidy_feed_entries_are_skipped_or_read() -> None:
    url = ORIGIN + "feeds/3391746620518377042/comments/default?alt=json&start-index=x"
    feed = {"feed": {"entry": [
        "not an entry",
        {"id": {"$t": "tag:blogger.com,1999:blog-1.post-77"}, "author": "someone", "link": {"rel": "related"},
         "content": {"$t": "<p>Kept.</p>"}, "published": {"$t": "yesterday"}, "thr$in-reply-to": []},
        {"id": "no comment id here"},
    ], "link": "broken"}}  # fmt: skip
    thread = extract_source(make_page(url, json.dumps(feed).encode(), "application/json"), POST)
    (comment,) = thread.comments
    assert (comment.source_id, comment.text, comment.author, comment.published) == ("77", "Kept.", None, None)
    assert comment.published_raw == "yesterday" and thread.comment_page == 1 and thread.comment_page_urls == ()
    assert thread.warnings == ("feed entry without a comment id", "feed entry without a comment id")


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"<html><body>Not Found</body></html>", 200), (b"[1, 2]", 200), (b"", 200), (b"{}", 404)],
)
def test_unreadable_feed_is_an_error(body: bytes, status: int) -> None:
    url = ORIGIN + "feeds/1/comments/default?alt=json"
    page = Page(url, status, {"content-type": "text/html"}, body, "2026-11-24T00:00:00+00:00")
    with pytest.raises(ExtractionError) as caught:
        extract_source(page, POST)
    assert caught.value.url == url and caught.value.platform == "blogger"


@pytest.mark.parametrize("path", [*(CASES_DIR / f"{c}.html" for c in CASES), THREADED,
                                  SITES["blogger-minima"] / "2008/03/ice-out-at-jones-falls.html"],
                         ids=lambda p: p.stem)  # fmt: skip
def test_cut_pages_never_crash(path: Path) -> None:
    """A page cut anywhere (a truncated download) gives what could be read, or an ExtractionError."""
    body = path.read_bytes()
    for cut in range(0, len(body), max(1, len(body) // 23)):
        page = make_page(ORIGIN + "2016/02/post.html", body[:cut])
        try:
            thread = extract(page)
        except ExtractionError:
            continue
        assert thread is None or all(c.source_id for c in thread.comments)


# --- a long page (also used for timing) ----------------------------------------------


def long_threaded_page(copies: int = 19) -> tuple[Page, int]:
    """The threaded fixture page with its comment list repeated, ids renumbered: 8 * copies comments."""
    html = THREADED.read_text(encoding="utf-8")
    start = html.index('<ol id="top-ra">') + len('<ol id="top-ra">')
    end = html.index('</ol><div class="continue" id="top-continue">')
    block = html[start:end]
    blocks = [re.sub(r"(?<!\d)(\d{17,19})(?!\d)", lambda m, k=k: str(int(m.group(1)) + k), block) for k in range(copies)]
    body = html[:start] + "".join(blocks) + html[end:]
    return make_page(ORIGIN + "2016/02/blight-on-tomatoes-again.html", body.encode()), 8 * copies


def test_long_page_with_150_comments() -> None:
    page, count = long_threaded_page()
    thread = extract(page)
    assert count == 152 and len(thread.comments) == count
    assert len({c.source_id for c in thread.comments}) == count
    assert all(c.author and c.published and c.text for c in thread.comments) and thread.warnings == ()


# --- real crawls of the fixture sites ------------------------------------------------


def assert_archive_matches(data: Path, base_url: str, expected: dict, platform: str) -> None:
    """archive.db holds exactly the expected posts, each with its comments in thread order
    (source id, parent, depth, author, time to the minute, text with whitespace collapsed)."""
    db = sqlite_utils.Database(data / "archive.db")
    posts = {row["url"]: row for row in db["posts"].rows}
    wanted = {base_url.rstrip("/") + t["url"]: t for t in expected["threads"]}
    assert set(posts) == set(wanted), "exactly the expected posts, no index or comment pages"
    for url, thread in wanted.items():
        post = posts[url]
        assert (post["title"], post["author"], post["platform"]) == (
            thread["post"]["title"], thread["post"]["author"], platform
        )  # fmt: skip
        assert minute(post["published"]) == minute(thread["post"]["published"])
        assert norm(post["text"]) == norm(thread["post"]["text"])
        rows = list(db.query(
            "select c.*, p.source_id as parent_source from comments c "
            "left join comments p on p.id = c.parent_id where c.post_id = ? order by c.position",
            [post["id"]],
        ))  # fmt: skip
        assert [r["position"] for r in rows] == list(range(len(rows)))
        got = [(r["source_id"], r["parent_source"], r["depth"], r["author"], minute(r["published"]), norm(r["text"]))
               for r in rows]  # fmt: skip
        want = [(str(c["id"]), None if c["parent_id"] is None else str(c["parent_id"]), c["depth"], c["author"],
                 minute(c["published"]), norm(c["text"])) for c in thread["comments"]]  # fmt: skip
        assert got == want, url


def captured(data: Path) -> list[tuple[str, int]]:
    db = sqlite_utils.Database(data / "archive.db")
    return [(r["url"], r["status"]) for r in db.query("select url, status from captures order by id")]


@pytest.mark.parametrize("name", SITES)
def test_crawl_matches_expected_json(name: str, tmp_path: Path) -> None:
    server, info = start_server(SITES[name])
    try:
        result = crawl(info.url, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    expected = expected_of(SITES[name])
    assert_archive_matches(tmp_path, info.url, expected, "blogger")
    feeds = {url for url, status in captured(tmp_path) if "/comments/default?" in url and status == 200}
    assert len(feeds) == sum(1 for t in expected["threads"] if t["comments"])  # none for no comments
    db = sqlite_utils.Database(tmp_path / "archive.db")
    assert list(db.query("select url, kind from errors")) == [], result.stdout


class PagingFeedHandler(FixtureHandler):
    """Static files, except comment feeds: cut into pages of 3 as Blogger pages them."""

    def send_head(self):  # type: ignore[no-untyped-def]
        parts = urlsplit(self.path)
        if not blogger.accepts_source(parts.path):
            return super().send_head()
        query = parse_qs(parts.query)
        start = int(query.get("start-index", ["1"])[0])
        body = paged_feed(start, 3, Path(self.translate_path(parts.path)))
        self.server.feeds.append(self.path)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def test_crawl_follows_feed_pages(tmp_path: Path) -> None:
    site = SITES["blogger-contempo"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(PagingFeedHandler, directory=str(site)))
    server.gzip, server.delay, server.sent, server.feeds = False, 0.0, {}, []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        crawl(url, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    main = "/feeds/3391746620518377042/comments/default"
    assert sorted(f for f in server.feeds if f.startswith(main)) == [  # type: ignore[attr-defined]
        main + "?alt=json&max-results=200",
        main + "?alt=json&max-results=3&start-index=4",
        main + "?alt=json&max-results=3&start-index=7",
    ]
    db = sqlite_utils.Database(tmp_path / "archive.db")
    expected = expected_of(site)
    for thread in expected["threads"]:
        rows = db.query(
            "select c.source_id, c.parent_source_id, c.depth, c.author from comments c "
            "join posts p on p.id = c.post_id where p.url = ?", [url.rstrip("/") + thread["url"]],
        )  # fmt: skip
        assert sorted(tuple(r.values()) for r in rows) == sorted(
            (c["id"], c["parent_id"], c["depth"], c["author"]) for c in thread["comments"]
        )


# --- timing (run this module directly; not part of the test run) ---------------------


def _time_long_page(rounds: int = 30) -> None:  # pragma: no cover
    import statistics
    import time

    from archiver.extract.markup import parse

    page, count = long_threaded_page()
    _ = page.text  # decode once, as a crawl does before extracting
    timings: dict[str, list[float]] = {"parse": [], "detect": [], "extract": []}
    for _ in range(rounds):
        for name, call in (("parse", lambda: parse(page)), ("detect", lambda: blogger.detect(page)),
                           ("extract", lambda: blogger.extract(page))):  # fmt: skip
            start = time.perf_counter()
            call()
            timings[name].append(time.perf_counter() - start)
    print(f"{count} comments, {len(page.body) / 1024:.0f} KiB page, median of {rounds}:")
    for name, values in timings.items():
        print(f"  {name:8s} {statistics.median(values) * 1000:6.2f} ms")


if __name__ == "__main__":  # pragma: no cover
    _time_long_page()
