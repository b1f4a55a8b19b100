"""The WordPress REST API as a comment source: when a post page names it, what it answers.

Fixtures: ``tests/fixtures/wordpress/api/<case>.answer.json`` (or ``.html``: what the
server sent) with ``<case>.expected.json`` beside it: ``{"page": {"url", "headers"},
"thread": {...} | null}`` or ``{"page", "error": {"reason"}}``; ``thread`` leaves out
its ``post`` (the one `POST` given) and every field that has its default value.

End to end: ``tests/fixtures/sites/wp-api-hidden-replies`` is a site whose theme shows
top-level comments only, served with its REST API by `WordPressAPIHandler`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import threading
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from http.server import ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlite_utils
from warcio.archiveiterator import ArchiveIterator

from archiver.exceptions import ExtractionError
from archiver.extract import extract_source, wordpress
from archiver.extract.wordpress_api import accepts_source, comments_url
from archiver.harvest import harvest
from archiver.items import ErrorItem
from archiver.page import Page
from archiver.records import Comment, Post, Thread
from archiver.store import Store

from .conftest import FIXTURES, FixtureHandler, FixtureServer, crawl
from .test_extract_wordpress import as_json, make_page, with_defaults

API_FIXTURES = FIXTURES / "wordpress" / "api"
API_CASES = sorted(
    p.name.removesuffix(".expected.json") for p in API_FIXTURES.glob("*.expected.json")
)
SITE = FIXTURES / "sites" / "wp-api-hidden-replies"
POST = Post("https://loom.example.org/2021/05/ordering-the-loom/", "Ordering the loom",
            None, None, None, "", "")  # fmt: skip
ORIGIN = "https://b.example"
QUERY = "post=314&per_page=100&orderby=id&order=asc"


def api_page(url: str, body: bytes, headers: dict[str, str], status: int = 200) -> Page:
    return Page(
        url=url, status=status, headers=headers, body=body, fetched_at="2026-11-24T00:00:00+00:00"
    )


# --- the API's answers ------------------------------------------------------------------


@pytest.mark.parametrize("case", API_CASES)
def test_api_fixture(case: str) -> None:
    spec = json.loads((API_FIXTURES / f"{case}.expected.json").read_text(encoding="utf-8"))
    body = next(API_FIXTURES.glob(f"{case}.answer.*")).read_bytes()
    page = api_page(spec["page"]["url"], body, spec["page"]["headers"])
    if "error" in spec:
        with pytest.raises(ExtractionError) as caught:
            extract_source(page, POST)  # through the registry, as harvest calls it
        assert caught.value.platform == "wordpress"
        assert caught.value.reason == spec["error"]["reason"]
        return
    thread = extract_source(page, POST)
    if spec["thread"] is None:
        assert thread is None
        return
    expected = with_defaults(spec["thread"], Thread)
    expected["comments"] = [with_defaults(c, Comment) for c in expected["comments"]]
    got = as_json(thread)
    assert got.pop("post") == json.loads(json.dumps(dataclasses.asdict(POST)))
    expected.pop("post", None)
    assert got["comments"] == expected["comments"]
    assert got == expected


@pytest.mark.parametrize("case", [c for c in API_CASES if c not in ("error-object", "php-notice")])
def test_api_fixture_invariants(case: str) -> None:
    spec = json.loads((API_FIXTURES / f"{case}.expected.json").read_text(encoding="utf-8"))
    page = api_page(spec["page"]["url"], next(API_FIXTURES.glob(f"{case}.answer.*")).read_bytes(),
                    spec["page"]["headers"])  # fmt: skip
    thread = extract_source(page, POST)
    if thread is None:
        return
    assert thread.supplement and thread.extractor == "wordpress-api@1"
    assert all(accepts_source(url) for url in thread.comment_page_urls)
    ids = {c.source_id: c for c in thread.comments}
    for comment in thread.comments:
        assert "<script" not in comment.html and "onclick" not in comment.html
        if comment.published:
            assert datetime.fromisoformat(comment.published).utcoffset() is not None
        parent = ids.get(comment.parent_source_id or "")
        if parent is not None:
            assert comment.depth == parent.depth + 1
        elif comment.parent_source_id is None:
            assert comment.depth == 0
        else:  # the parent is on an earlier API page
            assert comment.depth >= 1


def test_comments_use_utc_not_the_site_local_date() -> None:
    spec = json.loads((API_FIXTURES / "nested-replies.expected.json").read_text(encoding="utf-8"))
    answer = json.loads((API_FIXTURES / "nested-replies.answer.json").read_text(encoding="utf-8"))
    thread = extract_source(api_page(spec["page"]["url"], json.dumps(answer).encode(), {}), POST)
    first = answer[0]
    assert first["date"] != first["date_gmt"]  # the site runs two hours ahead of UTC
    assert thread.comments[0].published == first["date_gmt"] + "+00:00"


def test_a_json_answer_is_read_whatever_its_content_type() -> None:
    body = (API_FIXTURES / "pingback.answer.json").read_bytes()
    for headers in ({}, {"content-type": "text/html; charset=UTF-8"}):
        thread = extract_source(
            api_page(f"{ORIGIN}/wp-json/wp/v2/comments?{QUERY}", b"\xef\xbb\xbf" + body, headers),
            POST,
        )
        assert [c.source_id for c in thread.comments] == ["601", "602"]


def test_a_list_of_something_else_is_read_without_crashing() -> None:
    body = b'[1, "x", {"id": 0}, {"id": 9, "parent": 9, "content": "not an object", "date_gmt": 5}]'
    thread = extract_source(api_page(f"{ORIGIN}/wp-json/wp/v2/comments?{QUERY}", body, {}), POST)
    (comment,) = thread.comments
    got = (comment.source_id, comment.parent_source_id, comment.depth, comment.text)
    assert got == ("9", None, 0, "")  # its parent was itself: taken as top level
    assert len(thread.warnings) == 5  # three items without an id, no date_gmt, no text
    with pytest.raises(ExtractionError, match="not a list of comments"):
        extract_source(api_page(f"{ORIGIN}/wp-json/wp/v2/comments?{QUERY}", b'{"id": 1}', {}), POST)
    with pytest.raises(ExtractionError, match="not valid JSON"):
        extract_source(api_page(f"{ORIGIN}/wp-json/wp/v2/comments?{QUERY}", b'[{"id": 1', {}), POST)


def test_harvest_records_api_errors_and_skips_an_api_that_is_not_there() -> None:
    url = f"{ORIGIN}/wp-json/wp/v2/comments?{QUERY}"
    off = b'{"code": "rest_cannot_access", "message": "Log in first.", "data": {"status": 401}}'
    result = harvest(
        api_page(url, off, {"content-type": "application/json"}, status=401), source_of=POST
    )
    assert isinstance(result, ErrorItem) and result.kind == "http 401"
    error = (API_FIXTURES / "error-object.answer.json").read_bytes()
    result = harvest(api_page(url, error, {"content-type": "application/json"}), source_of=POST)
    assert (
        isinstance(result, ErrorItem)
        and result.kind == "extraction"
        and "rest_disabled" in result.detail
    )
    home = (API_FIXTURES / "html-instead.answer.html").read_bytes()
    assert harvest(api_page(url, home, {"content-type": "text/html"}), source_of=POST) is None


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        (f"{ORIGIN}/wp-json/wp/v2/comments?{QUERY}", True),
        (f"{ORIGIN}/wp-json/wp/v2/comments/?{QUERY}&page=2", True),
        (f"{ORIGIN}/blog/wp-json/wp/v2/comments?post=1", True),
        (f"{ORIGIN}/api/wp/v2/comments?post=1", True),  # a site's own REST prefix
        (f"{ORIGIN}/?rest_route=/wp/v2/comments&{QUERY}", True),
        (f"{ORIGIN}/index.php?rest_route=%2Fwp%2Fv2%2Fcomments&post=1", True),
        (f"{ORIGIN}/wp-json/wp/v2/comments/5001", False),  # one comment, not a thread
        (f"{ORIGIN}/wp-json/wp/v2/posts/314", False),
        (f"{ORIGIN}/?rest_route=/wp/v2/posts", False),
        (f"{ORIGIN}/2021/05/ordering-the-loom/feed/", False),
        ("https://disqus.com/embed/comments/?base=default&t_i=314", False),
    ],
)
def test_accepts_source(url: str, accepted: bool) -> None:
    assert accepts_source(url) is accepted
    assert wordpress.accepts_source(url) is accepted  # what the registry asks


@pytest.mark.parametrize(
    ("root", "url"),
    [
        (f"{ORIGIN}/wp-json/", f"{ORIGIN}/wp-json/wp/v2/comments?{QUERY}"),
        (f"{ORIGIN}/wp-json", f"{ORIGIN}/wp-json/wp/v2/comments?{QUERY}"),
        (f"{ORIGIN}/blog/wp-json/", f"{ORIGIN}/blog/wp-json/wp/v2/comments?{QUERY}"),
        (f"{ORIGIN}/?rest_route=/", f"{ORIGIN}/?rest_route=/wp/v2/comments&{QUERY}"),
        (
            f"{ORIGIN}/index.php?rest_route=/",
            f"{ORIGIN}/index.php?rest_route=/wp/v2/comments&{QUERY}",
        ),
        (
            f"{ORIGIN}/?rest_route=/&lang=fr",
            f"{ORIGIN}/?rest_route=/wp/v2/comments&lang=fr&{QUERY}",
        ),
    ],
)
def test_comments_url(root: str, url: str) -> None:
    assert comments_url(root, "314") == url
    assert accepts_source(url)


# --- when a post page names the API -------------------------------------------------------

API_URL = f"{ORIGIN}/wp-json/wp/v2/comments?{QUERY}"
POST_URL = f"{ORIGIN}/2021/05/ordering-the-loom/"


def post_page(
    *, url: str = POST_URL, stated: int | None = None, shown: int = 1, first: int = 501,
    paged: bool = False, api: str | None = "/wp-json/", head: str = "", form: str = "",
    body_class: str = "single single-post postid-314", headers: dict[str, str] | None = None,
) -> Page:  # fmt: skip
    """A WordPress post page: `shown` top-level comments, a count if `stated`, an
    "Older comments" link if `paged`, the API advertised at `api`."""
    comments = "".join(
        f'<li id="comment-{n}" class="comment depth-1"><article class="comment-body">'
        f'<b class="fn">Reader {n}</b><a href="{url}#comment-{n}">'
        f'<time datetime="2021-05-03T10:00:00+00:00">May 3</time></a>'
        f'<div class="comment-content"><p>Comment {n}.</p></div></article></li>'
        for n in range(first, first + shown)
    )
    older = (
        f'<nav class="comment-navigation"><div class="nav-previous">'
        f'<a href="{url}comment-page-1/">Older comments</a></div></nav>'
    )
    if api:
        head += f'<link rel="https://api.w.org/" href="{api}">'
    html = (
        f"<!doctype html><html><head><title>Ordering the loom</title>{head}</head>"
        f'<body class="{body_class}"><article class="post hentry">'
        f'<h1 class="entry-title">Ordering the loom</h1><div class="entry-content"><p>Text.</p>'
        f'</div></article><div id="comments" class="comments-area">'
        + (f'<h2 class="comments-title">{stated} Comments</h2>' if stated is not None else "")
        + f'<ol class="comment-list">{comments}</ol>{older if paged else ""}{form}</div>'
        + "</body></html>"
    )
    page = make_page(url, html.encode())
    return dataclasses.replace(page, headers={**page.headers, **(headers or {})})


@pytest.mark.parametrize(
    ("kwargs", "sources"),
    [
        ({"stated": 3, "shown": 3}, ()),  # the page holds the whole thread
        ({"stated": 2, "shown": 3}, ()),  # the count leaves out pingbacks
        ({"stated": 0, "shown": 0}, ()),
        ({"stated": None, "shown": 0}, ()),  # no sign of any comment
        ({"stated": 9, "shown": 3}, (API_URL,)),  # replies hidden: the API completes it
        ({"stated": 9, "shown": 3, "api": None}, (API_URL,)),  # ... asked even where not advertised
        ({"stated": 34, "shown": 15, "paged": True}, (API_URL,)),  # every page names the same URL
        ({"stated": 34, "shown": 15, "paged": True, "api": None}, ()),  # the pages are read anyway
        ({"stated": None, "shown": 3}, (API_URL,)),  # no count: cannot vouch for the thread
        ({"stated": None, "shown": 3, "api": None}, ()),
        ({"stated": 9, "shown": 3, "body_class": "single single-post"}, ()),  # no post id anywhere
    ],
)
def test_when_a_post_page_names_the_api(kwargs: dict, sources: tuple[str, ...]) -> None:
    thread = wordpress.extract(post_page(**kwargs))
    assert thread.comment_sources == sources


def test_the_api_root_the_page_advertises_is_used() -> None:
    rest_route = post_page(stated=9, shown=3, api=f"{ORIGIN}/index.php?rest_route=/")
    assert wordpress.extract(rest_route).comment_sources == (
        f"{ORIGIN}/index.php?rest_route=/wp/v2/comments&{QUERY}",
    )
    header = post_page(stated=9, shown=3, api=None, headers={
        "link": f'<{ORIGIN}/wp-json/wp/v2/posts/314>; rel="alternate"; type="application/json", '
                f'<{ORIGIN}/api/>; rel="https://api.w.org/"'})  # fmt: skip
    assert wordpress.extract(header).comment_sources == (f"{ORIGIN}/api/wp/v2/comments?{QUERY}",)


def test_a_guessed_api_root_follows_the_install_and_its_permalinks() -> None:
    blog = post_page(
        stated=9,
        shown=3,
        api=None,
        form='<form id="commentform" action="/blog/wp-comments-post.php"></form>',
    )
    assert wordpress.extract(blog).comment_sources == (
        f"{ORIGIN}/blog/wp-json/wp/v2/comments?{QUERY}",
    )
    plain = post_page(url=f"{ORIGIN}/?p=314", stated=9, shown=3, api=None)
    assert wordpress.extract(plain).comment_sources == (
        f"{ORIGIN}/?rest_route=/wp/v2/comments&{QUERY}",
    )


@pytest.mark.parametrize(
    ("kwargs", "post_id"),
    [
        ({"body_class": "page-template-default page page-id-77"}, "77"),
        (
            {
                "form": '<form id="commentform"><input type="hidden" name="comment_post_ID" '
                'id="comment_post_ID" value="88"></form>'
            },
            "88",
        ),
        (
            {
                "head": f'<link rel="alternate" type="application/json" '
                f'href="{ORIGIN}/wp-json/wp/v2/posts/99">'
            },
            "99",
        ),
        (
            {
                "head": f'<link rel="alternate" type="application/json" '
                f'href="{ORIGIN}/?rest_route=%2Fwp%2Fv2%2Fposts%2F98">'
            },
            "98",
        ),
        ({"head": f"<link rel='shortlink' href='{ORIGIN}/?p=101'>"}, "101"),
        ({"headers": {"link": f"<{ORIGIN}/?p=102>; rel=shortlink"}}, "102"),
    ],
)
def test_post_id_sources(kwargs: dict, post_id: str) -> None:
    page = post_page(stated=9, shown=3, **{"body_class": "single single-post", **kwargs})
    (url,) = wordpress.extract(page).comment_sources
    assert dict(parse_qsl(urlsplit(url).query))["post"] == post_id


def test_post_id_from_the_one_article() -> None:
    page = post_page(stated=9, shown=3, body_class="single")
    html = page.text.replace(
        '<article class="post hentry">', '<article id="post-103" class="post hentry">'
    )
    thread = wordpress.extract(make_page(page.url, html.encode()))
    assert thread.comment_sources == (
        f"{ORIGIN}/wp-json/wp/v2/comments?{QUERY.replace('314', '103')}",
    )


# --- the store merges the API into the pages' thread ---------------------------------------


def merged_tree(tmp_path: Path, *threads: Thread) -> list[tuple[str, str | None, int]]:
    store = Store(tmp_path / "archive.db")
    for thread in threads:
        store.save_thread(thread, None, "2026-11-24T00:00:00+00:00")
    rows = store.db.execute(
        "SELECT c.source_id, p.source_id, c.depth FROM comments c "
        "LEFT JOIN comments p ON p.id = c.parent_id ORDER BY c.position"
    ).fetchall()
    store.close()
    return [tuple(row) for row in rows]


def paged_api() -> tuple[Thread, ...]:
    """The page (showing 701 only) and the two API pages of paginated-page-1 and -2."""
    page = wordpress.extract(post_page(url=POST.url, stated=7, shown=1, first=701))
    answers = []
    for case in ("paginated-page-1", "paginated-page-2"):
        spec = json.loads((API_FIXTURES / f"{case}.expected.json").read_text(encoding="utf-8"))
        body = (API_FIXTURES / f"{case}.answer.json").read_bytes()
        answers.append(
            extract_source(api_page(spec["page"]["url"], body, spec["page"]["headers"]), page.post)
        )
    return page, *answers


def test_the_store_puts_api_replies_after_their_parents(tmp_path: Path) -> None:
    tree = merged_tree(tmp_path, *paged_api())
    assert [(source_id, parent) for source_id, parent, _ in tree] == [
        ("701", None),
        ("702", "701"),
        ("703", "702"),
        ("704", "703"),
        ("705", "704"),
        ("706", "701"),
    ]


def test_the_store_counts_depth_across_api_pages(tmp_path: Path) -> None:
    tree = merged_tree(tmp_path, *paged_api())
    assert [depth for *_, depth in tree] == [0, 1, 2, 3, 4, 1]


# --- end to end: a theme that hides replies, and its REST API ------------------------------


class WordPressAPIHandler(FixtureHandler):
    """The fixture site, and its REST API answered from ``wp-json/wp/v2/comments.json``
    as WordPress would: ``/wp-json/wp/v2/comments`` or ``?rest_route=``, filtered by
    ``post``, ordered by id, paginated (``per_page`` capped at `server.max_per_page`)
    with ``X-WP-Total`` and ``X-WP-TotalPages``. Links in the file name
    ``http://hidden.example``, replaced by the server's own origin."""

    def send_head(self):  # type: ignore[no-untyped-def]
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        route = parts.path.removeprefix("/wp-json") if parts.path.startswith("/wp-json/") else None
        route = route or query.get("rest_route")
        if route is None:
            return super().send_head()
        if route.rstrip("/") != "/wp/v2/comments":
            return self.answer(
                404,
                {
                    "code": "rest_no_route",
                    "message": "No route was found matching the URL and request method.",
                    "data": {"status": 404},
                },
            )
        data = (Path(self.directory) / "wp-json/wp/v2/comments.json").read_text(encoding="utf-8")
        items = json.loads(data.replace("http://hidden.example", f"http://{self.headers['Host']}"))
        items = sorted(
            (i for i in items if str(i["post"]) == query.get("post")), key=lambda i: i["id"]
        )
        cap = self.server.max_per_page  # type: ignore[attr-defined]
        per_page = min(int(query.get("per_page", "10")), cap)
        number = int(query.get("page", "1"))
        pages = math.ceil(len(items) / per_page)
        if number > max(pages, 1):
            message = "The page number requested is larger than the number of pages available."
            error = {"code": "rest_comment_invalid_page_number", "message": message}
            return self.answer(400, {**error, "data": {"status": 400}})
        chunk = items[(number - 1) * per_page : number * per_page]
        return self.answer(
            200, chunk, {"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages)}
        )

    def answer(self, status: int, data: object, headers: dict[str, str] | None = None) -> BytesIO:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.server.sent[self.path] = body  # type: ignore[attr-defined]
        return BytesIO(body)


@pytest.fixture(scope="module")
def api_site() -> Iterator[FixtureServer]:
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(WordPressAPIHandler, directory=str(SITE))
    )
    server.gzip, server.delay, server.sent = False, 0.0, {}  # type: ignore[attr-defined]
    server.max_per_page = 5  # type: ignore[attr-defined]  # two API pages for the hidden thread
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    yield FixtureServer(f"http://127.0.0.1:{port}/", server.sent)  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def api_crawl(api_site, tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("wp-api")
    crawl(api_site.url, data)
    return data


# The whole thread in display order: (id, parent, depth, author); the page shows 501, 503, 508.
HIDDEN_THREAD = [
    ("501", None, 0, "Ada Lovelace"),
    ("502", "501", 1, "Ben Okri"),
    ("504", "502", 2, "Dee Dee"),
    ("506", "501", 1, "Fay Wray"),  # on API page 2, its parent on page 1
    ("507", "506", 2, "Gus Grissom"),
    ("503", None, 0, "Cy Twombly"),
    ("505", "503", 1, "Eve Arden"),
    ("508", None, 0, "Hal Foster"),
    ("509", "508", 1, "Ivy Compton"),
]


def test_crawl_archives_the_replies_the_theme_hides(
    api_crawl: Path, api_site: FixtureServer
) -> None:
    db = sqlite_utils.Database(api_crawl / "archive.db")
    post = next(
        db.query("SELECT * FROM posts WHERE url = ?", [api_site.url + "2021/05/hidden-replies/"])
    )
    rows = list(db.query(
        "SELECT c.*, p.source_id AS parent FROM comments c LEFT JOIN comments p "
        "ON p.id = c.parent_id WHERE c.post_id = ? ORDER BY c.position", [post["id"]]))  # fmt: skip
    assert [(r["source_id"], r["parent"], r["depth"], r["author"]) for r in rows] == HIDDEN_THREAD
    assert [r["position"] for r in rows] == list(range(9))
    counts = (post["stated_comment_count"], post["comment_count"], post["comment_shortfall"])
    assert counts == (9, 9, 0)
    api = {c["id"]: c for c in json.loads((SITE / "wp-json/wp/v2/comments.json").read_text())}
    for row in rows:  # each comment as the API has it (the page shows the same for the top level)
        item = api[int(row["source_id"])]
        utc = datetime.fromisoformat(item["date_gmt"] + "+00:00")
        assert datetime.fromisoformat(row["published"]) == utc
        assert row["html"] == item["content"]["rendered"].strip()
        assert row["permalink"] == item["link"].replace("http://hidden.example/", api_site.url)
    assert db.execute("SELECT count(*) FROM comment_versions WHERE version > 1").fetchone()[0] == 0
    assert db["errors"].count == 0


def test_crawl_asks_the_api_only_for_the_thread_that_needs_it(
    api_crawl: Path, api_site: FixtureServer
) -> None:
    db = sqlite_utils.Database(api_crawl / "archive.db")
    rows = db.execute("SELECT url, status, content_type FROM captures").fetchall()
    captured = {url: (status, ctype) for url, status, ctype in rows}
    api = [url for url in captured if "/wp-json/" in url]
    first = f"{api_site.url}wp-json/wp/v2/comments?post=314&per_page=100&orderby=id&order=asc"
    assert sorted(api) == [first, first + "&page=2"]  # none for the quiet post (1 of 1 shown)
    assert all(captured[url] == (200, "application/json; charset=UTF-8") for url in api)
    quiet = next(
        db.query("SELECT id FROM posts WHERE url = ?", [api_site.url + "2021/05/quiet-post/"])
    )
    quiet_comments = db.execute("SELECT count(*) FROM comments WHERE post_id = ?", [quiet["id"]])
    assert quiet_comments.fetchone()[0] == 1
    archived = 0
    for path in (api_crawl / "warc").glob("*.warc.gz"):  # the API's answers are archived as sent
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                url = record.rec_headers.get_header("WARC-Target-URI")
                if record.rec_type == "response" and url in api:
                    assert record.raw_stream.read() == api_site.sent["/" + url.split("/", 3)[3]]
                    assert record.http_headers.get_header("X-WP-TotalPages") == "2"
                    archived += 1
    assert archived == 2


def test_rebuild_from_warcs_reads_the_api_answers_for_their_post(api_crawl: Path, tmp_path: Path) -> None:
    """The WARC record of a comment source names its post, so reextract reads it again."""
    from .conftest import run_archiver

    run_archiver("reextract", str(api_crawl / "warc"), "--data", str(tmp_path))
    query = (
        "select p.url, c.source_id, c.depth, c.position, "
        "(select source_id from comments x where x.id = c.parent_id) "
        "from comments c join posts p on p.id = c.post_id order by 1, 2"
    )
    live = list(sqlite_utils.Database(api_crawl / "archive.db").query(query))
    rebuilt = list(sqlite_utils.Database(tmp_path / "archive.db").query(query))
    assert rebuilt == live and len(live) > 9
