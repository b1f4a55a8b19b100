"""WordPress extraction: fixture pages with their expected threads, the seed site, helpers.

Fixtures: ``tests/fixtures/wordpress/<case>.html`` with ``<case>.json`` beside it:
``{"page": {"url", "content_type"?}, "thread": {...} | null}`` or ``{"page", "error"}``.
``thread`` holds the `Thread` fields (``dataclasses.asdict``, tuples as lists); a field
left out must have its default value (``published_raw``, ``confidence``, ...).

Timing (not a test): ``python tests/test_extract_wordpress.py`` extracts a generated
150-comment page and prints milliseconds per page.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from archiver.exceptions import ExtractionError
from archiver.extract import choose, extract, wordpress
from archiver.extract.markup import html_to_text, inner_html, parse_html, text_of
from archiver.page import Page
from archiver.records import Comment, Post, Thread
from archiver.sanitize import sanitize_html

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "wordpress"
CASES = sorted(path.stem for path in FIXTURES.glob("*.html"))
SEED = HERE / "fixtures" / "seed-thread" / "wordpress"
SEED_SITE = SEED / "site"
ORIGIN = "http://127.0.0.1:8000/"
LONG_THREAD = SEED_SITE / "2016/02/no-more-guernicas-no-more-aleppos/comment-page-2/index.html"


def make_page(url: str, body: bytes, content_type: str = "text/html; charset=UTF-8") -> Page:
    return Page(
        url=url,
        status=200,
        headers={"content-type": content_type},
        body=body,
        fetched_at="2026-11-24T00:00:00+00:00",
    )


def as_json(thread: Thread | None) -> object:
    return None if thread is None else json.loads(json.dumps(dataclasses.asdict(thread)))


def with_defaults(expected: dict, cls: type) -> dict:
    """`expected` with every field it leaves out set to the dataclass's default."""
    full = dict(expected)
    for f in dataclasses.fields(cls):
        if f.name not in full and f.default is not dataclasses.MISSING:
            full[f.name] = list(f.default) if isinstance(f.default, tuple) else f.default
    return full


def squash(text: str | None) -> str:
    return " ".join((text or "").split())


def minute(stamp: str) -> datetime:
    """An ISO 8601 time with offset as a UTC instant, to the minute."""
    when = datetime.fromisoformat(stamp)
    assert when.tzinfo is not None, f"{stamp!r} has no offset"
    return when.astimezone(timezone.utc).replace(second=0, microsecond=0)


# --- fixture pages -------------------------------------------------------------------


def load_case(case: str) -> tuple[dict, Page]:
    spec = json.loads((FIXTURES / f"{case}.json").read_text(encoding="utf-8"))
    page = make_page(
        spec["page"]["url"],
        (FIXTURES / f"{case}.html").read_bytes(),
        spec["page"].get("content_type", "text/html; charset=UTF-8"),
    )
    return spec, page


@pytest.mark.parametrize("case", CASES)
def test_fixture(case: str) -> None:
    spec, page = load_case(case)
    if "error" in spec:
        with pytest.raises(ExtractionError) as caught:
            extract(page)
        assert caught.value.platform == "wordpress"
        assert caught.value.reason == spec["error"]["reason"]
        return
    thread = extract(page)
    expected = spec["thread"]
    if expected is None:
        assert thread is None
        return
    expected = with_defaults(expected, Thread)
    expected["post"] = with_defaults(expected["post"], Post)
    expected["comments"] = [with_defaults(c, Comment) for c in expected["comments"]]
    got = as_json(thread)
    assert got["post"] == expected["post"]
    assert got["comments"] == expected["comments"]
    assert got == expected


@pytest.mark.parametrize("case", CASES)
def test_fixture_invariants(case: str) -> None:
    """What must hold on every page, whatever the expected JSON says."""
    spec, page = load_case(case)
    assert wordpress.detect(page) >= 0.5
    if "error" in spec or spec["thread"] is None:
        return
    thread = extract(page)
    assert thread.platform == "wordpress" and thread.extractor == f"wordpress@{wordpress.VERSION}"
    urls = [thread.post.url, *thread.comment_page_urls, *(c.permalink or "" for c in thread.comments)]
    assert not any("replytocom" in url for url in urls)
    assert "#" not in thread.post.url and "comment-page-" not in thread.post.url
    assert all("#" not in url for url in thread.comment_page_urls)
    ids = {c.source_id: c for c in thread.comments}
    assert len(ids) == len(thread.comments)
    for comment in thread.comments:
        parent = ids.get(comment.parent_source_id) if comment.parent_source_id else None
        assert comment.depth == (parent.depth + 1 if parent else 0)
        for markup in (comment.html, thread.post.html):
            assert "<script" not in markup and "onerror" not in markup and "javascript:" not in markup


def test_windows_1252_page_is_decoded_from_its_meta_charset() -> None:
    _, page = load_case("windows-1252")
    assert page.encoding.replace("-", "").lower() in ("cp1252", "windows1252")
    thread = extract(page)
    assert [c.author for c in thread.comments] == ["José Müller", "Élodie Lefèvre", "Björk Åström"]
    assert thread.post.text.startswith("Un café à moins de 3 € ? À Montréal, c’est possible –")
    assert "“St-Viateur” bagels next door – don’t miss them…" == thread.comments[2].text


# --- the seed site ------------------------------------------------------------------


def seed_pages() -> dict[str, Page]:
    pages = {}
    for path in sorted(SEED_SITE.rglob("*.html")):
        rel = path.relative_to(SEED_SITE).as_posix()
        url = ORIGIN + rel.removesuffix("index.html")
        pages[url] = make_page(url, path.read_bytes())
    return pages


SEED_EXPECTED = json.loads((SEED / "expected.json").read_text(encoding="utf-8"))
SEED_PAGES = seed_pages()


def test_seed_home_page_is_an_index() -> None:
    assert extract(SEED_PAGES[ORIGIN]) is None


@pytest.mark.parametrize("url", [u for u in SEED_PAGES if u != ORIGIN])
def test_seed_post_page(url: str) -> None:
    thread = extract(SEED_PAGES[url])
    assert thread is not None
    expected = next(t for t in SEED_EXPECTED["threads"] if thread.post.url == ORIGIN + t["url"][1:])
    post = expected["post"]
    assert thread.post.title == post["title"]
    assert thread.post.author == post["author"]
    assert minute(thread.post.published) == minute(post["published"])
    assert thread.post.published == post["published"]  # the page's own offset is kept
    assert squash(thread.post.text) == squash(post["text"])
    wanted = {str(c["id"]): c for c in expected["comments"]}
    for comment in thread.comments:  # every comment on the page is one of the thread's
        want = wanted[comment.source_id]
        assert comment.parent_source_id == (str(want["parent_id"]) if want["parent_id"] else None)
        assert comment.depth == want["depth"]
        assert comment.author == want["author"]
        assert minute(comment.published) == minute(want["published"])
        assert squash(comment.text) == squash(want["text"])
    if expected["comments"]:
        assert thread.stated_comment_count == len(expected["comments"])
        assert thread.comments_open is True
    else:
        assert thread.comments == () and thread.comments_open is False
    assert thread.warnings == ()


def test_seed_long_thread_merges_to_the_expected_34_comments() -> None:
    expected = next(t for t in SEED_EXPECTED["threads"] if t["comment_pages"] > 1)
    post_url = ORIGIN + expected["url"][1:]
    threads = [t for t in map(extract, SEED_PAGES.values()) if t and t.post.url == post_url]
    assert len(threads) == 4  # the post URL and its three comment pages
    assert {t.comment_page for t in threads} == {1, 2, 3}
    linked = {url for t in threads for url in t.comment_page_urls}
    assert linked == {f"{post_url}comment-page-{n}/" for n in (1, 2, 3)}
    merged: dict[str, object] = {}
    for thread in sorted(threads, key=lambda t: t.comment_page):
        for comment in thread.comments:
            merged.setdefault(comment.source_id, comment)
    got = [
        (c.source_id, c.parent_source_id, c.depth, c.author, minute(c.published), squash(c.text))
        for c in merged.values()
    ]
    want = [
        (
            str(c["id"]),
            str(c["parent_id"]) if c["parent_id"] else None,
            c["depth"],
            c["author"],
            minute(c["published"]),
            squash(c["text"]),
        )
        for c in expected["comments"]
    ]
    assert got == want


def test_seed_recent_comments_widget_is_never_read() -> None:
    thread = extract(SEED_PAGES[ORIGIN + "2016/01/why-this-blog/"])
    assert thread.comments == ()  # the sidebar names Sue, Bill, Émile Zoë on every page


def test_seed_page_number_comes_from_the_older_link_on_the_post_url() -> None:
    post_url = ORIGIN + "2016/02/no-more-guernicas-no-more-aleppos/"
    thread = extract(SEED_PAGES[post_url])
    assert thread.comment_page == 3  # canonical is the post URL; "Older" points at page 2
    assert thread.comment_page_urls == (post_url + "comment-page-2/",)


# --- a long page (also used for timing) -------------------------------------------


def long_thread_page(copies: int = 10) -> tuple[Page, int]:
    """The seed's comment page 2 (15 comments) with its comment list repeated,
    ids renumbered: a ~300 KB page with 15 * `copies` comments."""
    html = LONG_THREAD.read_text(encoding="utf-8")
    start = html.index('<ol class="comment-list">') + len('<ol class="comment-list">')
    end = html.rindex("</ol>", start, html.index('<nav class="navigation comment-navigation"', start))
    block = html[start:end]
    ids = sorted(set(re.findall(r'id="comment-(\d+)"', block)))
    copies_html = []
    for k in range(copies):
        renumber = {old: str(10000 * (k + 1) + int(old)) for old in ids}
        pattern = re.compile(r"\b(" + "|".join(ids) + r")\b")
        copies_html.append(pattern.sub(lambda m: renumber[m.group(1)], block))
    body = html[:start] + "".join(copies_html) + html[end:]
    url = ORIGIN + "2016/02/no-more-guernicas-no-more-aleppos/comment-page-2/"
    return make_page(url, body.encode("utf-8")), len(ids) * copies


def test_long_page_with_150_comments() -> None:
    page, count = long_thread_page()
    assert count == 150 and len(page.body) > 250_000
    thread = extract(page)
    assert len(thread.comments) == 150
    assert len({c.source_id for c in thread.comments}) == 150
    assert sum(c.depth == 0 for c in thread.comments) == 50
    assert all(c.text and c.author and c.published for c in thread.comments)


# --- helpers and the registry ------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://b.example/2016/02/slug/comment-page-2/#comments", "https://b.example/2016/02/slug/"),
        ("https://b.example/2016/02/slug/comment-page-12", "https://b.example/2016/02/slug"),
        ("https://b.example/?p=123&cpage=2#comments", "https://b.example/?p=123"),
        ("https://b.example/slug/?replytocom=5#respond", "https://b.example/slug/"),
        ("https://b.example/comment-page-one/", "https://b.example/comment-page-one/"),
    ],
)
def test_permalink(url: str, expected: str) -> None:
    assert wordpress.permalink(url) == expected


@pytest.mark.parametrize(
    ("url", "number"),
    [
        ("https://b.example/slug/comment-page-3/#comments", 3),
        ("https://b.example/?p=1&cpage=2", 2),
        ("https://b.example/slug/", None),
        ("https://b.example/comment-page-2/slug/", None),
    ],
)
def test_comment_page_of(url: str, number: int | None) -> None:
    assert wordpress.comment_page_of(url) == number


def test_not_html_and_not_wordpress() -> None:
    feed = make_page(ORIGIN + "feed.xml", (SEED_SITE / "feed.xml").read_bytes(), "application/rss+xml")
    assert wordpress.detect(feed) == 0.0
    assert choose(feed) is None and extract(feed) is None
    plain = make_page(ORIGIN + "x", b"<!doctype html><html><body><p>Hello</p></body></html>")
    assert wordpress.detect(plain) == 0.0
    assert extract(plain) is None


def test_empty_and_declared_xml_pages_do_not_crash() -> None:
    assert extract(make_page(ORIGIN, b"", "text/html")) is None
    xhtml = b'<?xml version="1.0" encoding="utf-8"?>\n<html><body class="home blog"></body></html>'
    assert wordpress.extract(make_page(ORIGIN, xhtml)) is None


def test_text_of_paragraphs_breaks_and_entities() -> None:
    root = parse_html(
        "<div><p>One &amp; <b>two</b><br>\n  three   four</p>"
        "<ul><li>a</li><li>b</li></ul><!-- c --><script>x()</script>"
        "<pre>  keep\n    this</pre>tail</div>"
    )
    assert text_of(root.find(".//div")) == "One & two\nthree four\n\na\n\nb\n\n  keep\n    this\n\ntail"
    assert html_to_text("<p>x</p><p> </p><p>y</p>") == "x\n\ny"
    assert inner_html(root.find(".//ul")) == "<li>a</li><li>b</li>"


def test_text_of_collapses_every_whitespace() -> None:
    # text_of leaves text with no double, leading or trailing space as it is when it is
    # printable: right only while every whitespace character but the space is unprintable
    spaces = (chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace())
    assert [c for c in spaces if c.isprintable()] == [" "]
    root = parse_html("<p> a\xa0\xa0b\u2003c\u3000\x85d  e<!-- x --> f\u2028g\x1f </p><p>h i</p>")
    assert text_of(root.find(".//body")) == "a b c d e f g\n\nh i"


def test_wp_block_signal_only_at_a_word_start() -> None:
    pattern = wordpress.DETECT_SIGNALS[3][0]  # "\bwp-block-", written literal first
    assert pattern.search('<div class="wp-block-group">') and pattern.search("wp-block-x")
    assert not pattern.search('<div class="xwp-block-group">')


def test_sanitize_html() -> None:
    dirty = (
        '<p onclick="x()" class="c" style="color:red">Hi <a href="/about/" target="_blank">me</a>'
        '<a href="javascript:alert(1)">j</a><a href="JaVaScRiPt:alert(1)">J</a>'
        '<img src="data:image/png;base64,AAAA" alt="d"><img src="pic.png" alt="p" onerror="x()">'
        "<script>alert(1)</script><style>p{}</style></p>"
        '<iframe src="https://evil.example/"></iframe><form action="/x"><input name="q"></form>'
        '<span class="x">s</span><div id="d">d</div><table><tr><td colspan="2">t</td></tr></table>'
    )
    clean = sanitize_html(dirty, "https://blog.example/2020/01/post/")
    assert clean == (
        '<p>Hi <a href="https://blog.example/about/" rel="nofollow noopener">me</a>'
        '<a rel="nofollow noopener">j</a><a rel="nofollow noopener">J</a>'
        '<img alt="d"><img src="https://blog.example/2020/01/post/pic.png" alt="p"></p>'
        '<span>s</span><div>d</div><table><tbody><tr><td colspan="2">t</td></tr></tbody></table>'
    )
    assert sanitize_html("") == ""
    assert sanitize_html('<a href="/x">x</a>') == '<a href="/x" rel="nofollow noopener">x</a>'


# --- timing (run this file directly; not part of the test run) ---------------------


def _time_long_page(rounds: int = 30) -> None:  # pragma: no cover
    import statistics
    import time

    from archiver.extract.markup import parse

    page, count = long_thread_page()
    page.text  # decode once, as a crawl does before extracting
    timings: dict[str, list[float]] = {"parse": [], "extract": []}
    for _ in range(rounds):
        start = time.perf_counter()
        parse(page)
        timings["parse"].append(time.perf_counter() - start)
        start = time.perf_counter()
        thread = wordpress.extract(page)
        timings["extract"].append(time.perf_counter() - start)
    assert len(thread.comments) == count
    print(f"{count} comments, {len(page.body) / 1024:.0f} KiB page, median of {rounds}:")
    for name, values in timings.items():
        print(f"  {name:8s} {statistics.median(values) * 1000:6.2f} ms")


if __name__ == "__main__":  # pragma: no cover
    _time_long_page()
