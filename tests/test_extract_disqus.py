"""Disqus: finding a page's embed, reading the embed page, and a real crawl with a fake disqus.com.

Fixtures: ``tests/fixtures/disqus/<case>.html`` (Disqus embed pages as disqus.com serves
them) with ``<case>.json``: ``{"page": {"url"}, "post": {"url"}, "thread": {...}}`` (the
`Thread` fields but its post) or ``{..., "error": {"reason"}}``. The site
``tests/fixtures/sites/disqus-blogger`` is a Blogger blog whose comments are Disqus; the
crawl test serves these embed pages from a second server standing in for disqus.com
(``ARCHIVER_DISQUS_EMBED_BASE``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlite_utils

from archiver.exceptions import ExtractionError
from archiver.extract import choose, disqus, extract, extract_source, wordpress
from archiver.extract.markup import parse
from archiver.records import Comment, Post, Thread

from .conftest import FIXTURES, crawl, start_server
from .test_extract_blogger import assert_archive_matches
from .test_extract_wordpress import as_json, make_page, with_defaults

CASES_DIR = FIXTURES / "disqus"
CASES = sorted(path.stem for path in CASES_DIR.glob("*.html"))
SITE = FIXTURES / "sites" / "disqus-blogger"
EMBED = "https://disqus.com/embed/comments/"


def load_case(case: str) -> tuple[dict, Post, object]:
    spec = json.loads((CASES_DIR / f"{case}.json").read_text(encoding="utf-8"))
    post = Post(spec["post"]["url"], "A post", None, None, None, "", "")
    page = make_page(spec["page"]["url"], (CASES_DIR / f"{case}.html").read_bytes(), "text/html; charset=utf-8")
    return spec, post, page


@pytest.mark.parametrize("case", CASES)
def test_embed_page(case: str) -> None:
    spec, post, page = load_case(case)
    assert disqus.accepts_source(page.url)
    if "error" in spec:
        with pytest.raises(ExtractionError) as caught:
            extract_source(page, post)
        assert (caught.value.url, caught.value.platform) == (page.url, "disqus")
        assert caught.value.reason == spec["error"]["reason"]
        return
    thread = extract_source(page, post)
    assert thread.post is post and thread.supplement and thread.extractor == f"disqus@{disqus.VERSION}"
    expected = with_defaults({**spec["thread"], "post": None}, Thread)
    expected["comments"] = [with_defaults(c, Comment) for c in expected["comments"]]
    got = as_json(thread)
    got["post"] = None
    assert got["comments"] == expected["comments"]
    assert got == expected
    for comment in thread.comments:
        assert "<script" not in comment.html and "javascript:" not in comment.html
        assert comment.published.endswith("+00:00")  # createdAt is UTC without an offset


def test_embed_page_is_no_thread_of_its_own() -> None:
    _, _, page = load_case("crossing-in-fog")
    assert choose(page) is disqus and extract(page) is None  # not read as a post by a fallback


@pytest.mark.parametrize("status", [403, 404, 500])
def test_error_status_is_an_error(status: int) -> None:
    _, post, page = load_case("crossing-in-fog")
    with pytest.raises(ExtractionError, match=f"HTTP {status}"):
        extract_source(page.__class__(page.url, status, page.headers, b"", page.fetched_at), post)


# --- finding the embed on a page -------------------------------------------------------

PAGE_URL = "https://harbourlog.example.org/2016/11/storm-season-week-three/"
THREAD_U = "https%3A%2F%2Fharbourlog.example.org%2F2016%2F11%2Fstorm-season-week-three%2F"
UNIVERSAL = """<div id="disqus_thread"></div>
<script>
    var disqus_config = function () {
    this.page.url = 'https://harbourlog.example.org/2016/11/storm-season-week-three/';
    this.page.identifier = 'post-640';
    };
    (function() { var d = document, s = d.createElement('script');
    s.src = 'https://harbourlog.disqus.com/embed.js'; s.setAttribute('data-timestamp', +new Date());
    (d.head || d.body).appendChild(s); })();
</script>"""
UNIVERSAL_UNCONFIGURED = """<div id="disqus_thread"></div>
<script>
    /**
    *  RECOMMENDED CONFIGURATION VARIABLES: EDIT AND UNCOMMENT THE SECTION BELOW TO INSERT DYNAMIC VALUES.
    var disqus_config = function () {
    this.page.url = PAGE_URL;  // Replace PAGE_URL with your page's canonical URL variable
    this.page.identifier = PAGE_IDENTIFIER;
    };
    */
    (function() { var d = document, s = d.createElement('script');
    s.src = 'https://harbourlog.disqus.com/embed.js'; (d.head || d.body).appendChild(s); })();
</script>"""
WORDPRESS_PLUGIN = """<div id="disqus_thread"></div>
<script type='text/javascript' id='disqus_embed-js-extra'>
/* <![CDATA[ */
var embedVars = {"disqusConfig":{"integration":"wordpress 3.0.23"},"disqusIdentifier":"640 https:\\/\\/harbourlog.example.org\\/?p=640","disqusShortname":"harbourlog","disqusTitle":"Storm season, week three","disqusUrl":"https:\\/\\/harbourlog.example.org\\/2016\\/11\\/storm-season-week-three\\/","postId":"640"};
/* ]]> */
</script>
<script type='text/javascript' src='https://harbourlog.example.org/wp-content/plugins/disqus-comment-system/public/js/comment_embed.js?ver=3.0.23' id='disqus_embed-js'></script>"""
OLD_VARIABLES = """<div id="disqus_thread"></div>
<script type="text/javascript">
    var disqus_shortname = 'harbourlog';
    var disqus_identifier = '640 http://harbourlog.example.org/?p=640';
    var disqus_url = 'http://harbourlog.example.org/2016/11/storm-season-week-three/';
    (function() { var dsq = document.createElement('script'); dsq.async = true;
        dsq.src = '//' + disqus_shortname + '.disqus.com/embed.js';
        (document.getElementsByTagName('head')[0] || document.getElementsByTagName('body')[0]).appendChild(dsq); })();
</script>"""
COUNT_ONLY = """<a href="/2016/11/storm-season-week-three/#disqus_thread">Comments</a>
<script id="dsq-count-scr" src="//harbourlog.disqus.com/count.js" async></script>"""


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (UNIVERSAL, f"f=harbourlog&t_u={THREAD_U}&t_i=post-640"),
        (UNIVERSAL_UNCONFIGURED, f"f=harbourlog&t_u={THREAD_U}"),  # the canonical URL
        (WORDPRESS_PLUGIN, f"f=harbourlog&t_u={THREAD_U}&t_i=640%20https%3A%2F%2Fharbourlog.example.org%2F%3Fp%3D640"),
        (OLD_VARIABLES, (f"f=harbourlog&t_u={THREAD_U.replace('https', 'http')}"
                         "&t_i=640%20http%3A%2F%2Fharbourlog.example.org%2F%3Fp%3D640")),
        (COUNT_ONLY, None),  # comment counts on an index page: no thread here
        ("<p>We moved from Disqus to native comments.</p>", None),
    ],
    ids=["universal", "universal-unconfigured", "wordpress-plugin", "old-variables", "count-only", "none"],
)
def test_disqus_sources(snippet: str, expected: str | None) -> None:
    html = (f'<html><head><link rel="canonical" href="{PAGE_URL}"></head>'
            f"<body><article><h1>Storm season</h1></article>{snippet}</body></html>")  # fmt: skip
    page = make_page(PAGE_URL + "?utm_source=feed", html.encode())
    sources = disqus.disqus_sources(parse(page), page)
    assert sources == (() if expected is None else (f"{EMBED}?base=default&{expected}",))


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        (EMBED + "?base=default&f=x&t_u=https%3A%2F%2Fb.example%2F", True),
        ("https://disqus.com/embed/comments/", True),
        ("https://x.disqus.com/embed.js", False),
        ("https://disqus.com/by/someone/", False),
        ("https://b.example/embed/comments/", False),  # only under ARCHIVER_DISQUS_EMBED_BASE
    ],
)
def test_accepts_source(url: str, accepted: bool) -> None:
    assert disqus.accepts_source(url) is accepted


def test_embed_base_comes_from_the_environment() -> None:
    code = ("from archiver.extract import disqus; print(disqus.EMBED_BASE); "
            "print(disqus.accepts_source('http://127.0.0.1:9/embed/comments/?f=x'))")  # fmt: skip
    env = {**os.environ, "ARCHIVER_DISQUS_EMBED_BASE": "http://127.0.0.1:9/embed/comments/"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["http://127.0.0.1:9/embed/comments/", "True"]


def test_blogger_page_names_its_disqus_embed_instead_of_its_empty_feed() -> None:
    page = make_page("http://127.0.0.1:8000/2019/06/crossing-in-fog.html",
                     (SITE / "2019/06/crossing-in-fog.html").read_bytes())  # fmt: skip
    thread = extract(page)
    assert thread.platform == "blogger" and thread.comments == ()
    assert thread.comment_sources == (
        EMBED + "?base=default&f=ferrylog&t_u=https%3A%2F%2Fferrylog.blogspot.com%2F2019%2F06%2Fcrossing-in-fog.html",
    )


def test_wordpress_page_names_its_disqus_embed() -> None:
    html = (FIXTURES / "wordpress" / "comments-closed.html").read_text(encoding="utf-8")
    html = html.replace("</body>", WORDPRESS_PLUGIN + "</body>")
    thread = wordpress.extract(make_page(PAGE_URL, html.encode()))
    assert any(url.startswith(EMBED) for url in thread.comment_sources)


# --- a real crawl, with a fake disqus.com -------------------------------------------


class FakeDisqus(BaseHTTPRequestHandler):
    """``/embed/comments/?…&t_u=…/SLUG.html`` answers ``tests/fixtures/disqus/SLUG.html``."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        thread_url = parse_qs(parts.query).get("t_u", [""])[0]
        page = CASES_DIR / (Path(urlsplit(thread_url).path).stem + ".html")
        self.server.asked.append(self.path)  # type: ignore[attr-defined]
        if parts.path != "/embed/comments/" or not page.is_file():
            self.send_error(404)
            return
        body = page.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def fake_disqus(monkeypatch: pytest.MonkeyPatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeDisqus)
    server.asked = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/embed/comments/"
    monkeypatch.setenv("ARCHIVER_DISQUS_EMBED_BASE", base)  # the crawl's subprocess reads it
    yield server, base
    server.shutdown()
    server.server_close()


def test_crawl_reads_comments_from_the_embed(fake_disqus, tmp_path: Path) -> None:
    disqus_server, base = fake_disqus
    blog, info = start_server(SITE)
    try:
        crawl(info.url, tmp_path)
    finally:
        blog.shutdown()
        blog.server_close()
    expected = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))
    assert_archive_matches(tmp_path, info.url, expected, "blogger")
    assert sorted(Path(parse_qs(urlsplit(p).query)["t_u"][0]).stem for p in disqus_server.asked) == [
        "crossing-in-fog", "timetable-changes",
    ]  # fmt: skip
    db = sqlite_utils.Database(tmp_path / "archive.db")
    # the embed that could not be read is an error naming it, never a silently empty thread
    (error,) = db.query("select url, kind, detail from errors")
    assert error["url"].startswith(base) and "timetable-changes" in error["url"]
    assert error["kind"] == "extraction" and "no disqus-threadData" in error["detail"]
    embeds = [r["status"] for r in db.query("select status from captures where url like ?", [base + "%"])]
    assert embeds == [200, 200]  # both embed pages are archived, the unreadable one too
