"""Discovery: which links a crawl follows, and what feeds and sitemaps name."""

from __future__ import annotations

import gzip
import html
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from archiver.discovery import Scope, html_links, is_xml, xml_links
from archiver.page import Page

BASE = "http://blog.test/"


def page(body: str | bytes, url: str = BASE, content_type: str = "text/html") -> Page:
    data = body.encode() if isinstance(body, str) else body
    return Page(url, 200, {"content-type": content_type}, data, "2026-11-24T00:00:00+00:00")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://blog.test/2016/02/a-post/", "http://blog.test/2016/02/a-post/"),
        ("http://blog.test/2016/02/a-post/#comments", "http://blog.test/2016/02/a-post/"),
        ("http://blog.test/2016/02/a-post/comment-page-2/#comment-9", "http://blog.test/2016/02/a-post/comment-page-2/"),
        ("http://blog.test/page/2/", "http://blog.test/page/2/"),
        ("http://blog.test/feed/", "http://blog.test/feed/"),
        ("http://blog.test/?p=12", "http://blog.test/?p=12"),
        ("http://blog.test/2016/02/a-post/?replytocom=5001#respond", None),
        ("http://blog.test/comments/feed/", None),
        ("http://blog.test/2016/02/a-post/feed/", None),
        ("http://blog.test/author/dave/", None),
        ("http://blog.test/category/news/", None),
        ("http://blog.test/2016/02/", None),
        ("http://blog.test/2016/", None),
        ("http://blog.test/wp-admin/", None),
        ("http://blog.test/wp-login.php?action=register", None),
        ("http://blog.test/wp-content/uploads/a.jpg", None),
        ("http://blog.test/style.css", None),
        ("http://blog.test/?s=aleppo", None),
        ("http://other.test/2016/02/a-post/", None),
        ("mailto:dave@blog.test", None),
        ("javascript:void(0)", None),
        ("file:///etc/passwd", None),
    ],
)
def test_scope_accepts_only_pages_that_can_lead_to_threads(url, expected):
    assert Scope.of([BASE]).accept(url) == expected


def test_html_links_resolve_against_base_and_include_feeds_and_rel_next():
    html = """<html><head><base href="http://blog.test/sub/">
    <link rel="alternate" type="application/rss+xml" href="/feed/">
    <link rel="alternate" type="text/html" hreflang="de" href="/de/">
    <link rel="next" href="page/2/"></head>
    <body><a href="post-a/">A</a><a href=" /post-b/ ">B</a><a>no href</a></body></html>"""
    links = list(html_links(page(html)))
    assert "http://blog.test/feed/" in links
    assert "http://blog.test/sub/page/2/" in links
    assert "http://blog.test/sub/post-a/" in links
    assert "http://blog.test/post-b/" in links
    assert "http://blog.test/de/" not in links


# Links the shortcuts (`PLAIN_URL`, fragments) must leave to urllib, or match it on exactly.
TRICKY_HREFS = [
    "http://blog.test/a/?", "http://blog.test/a/#", "http://blog.test/a/?#x", "http://blog.test/a;p/",
    "HTTP://blog.test/a/", "https://blog.test/a/?p=1#c-1", "http://blog.test:8080/a/?x=1&y=?#f#g",
    "http://[::1]/a/", "http://blog.test/a b/", "http://blog.test/\u00e9t\u00e9/", "http://blog.test",
    "http://blog.test?x=1", "http:///a/", "#comment-5", "#", "#a\tb", "#r\u00e9ponse", "?cpage=2",
    "/a/./b/../c", "//blog.test/a/", "", "mailto:x@blog.test",
]


@pytest.mark.parametrize("base", ["http://blog.test/2016/02/a-post/?p=1#f", "https://blog.test/x;y?", "ftp://blog.test/"])
def test_html_links_and_scope_agree_with_urllib(base):
    anchors = "".join(f'<a href="{html.escape(h)}">x</a>' for h in TRICKY_HREFS)
    links = list(html_links(page(f"<html><body>{anchors}</body></html>", url=base)))
    assert links == [urljoin(base, h) for h in TRICKY_HREFS]
    scope = Scope.of(["http://blog.test/", "https://blog.test/"])
    for url in links:
        defragged = urldefrag(url).url
        parts = urlsplit(defragged)
        expected = defragged if parts.scheme in ("http", "https") and parts.netloc in scope.hosts else None
        assert scope.accept(url) == expected, url


def test_rss_links_are_resolved_against_the_feed():
    rss = """<?xml version="1.0"?><rss version="2.0"><channel><link>/</link>
    <item><link>/2016/01/a/</link></item><item><link>http://blog.test/2016/01/b/</link></item>
    </channel></rss>"""
    feed = page(rss, "http://blog.test/feed.xml", "application/rss+xml")
    assert is_xml(feed)
    assert xml_links(feed) == ([], ["http://blog.test/2016/01/a/", "http://blog.test/2016/01/b/"])


def test_atom_entry_links():
    atom = """<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom"><link rel="self" href="/feed/atom/"/>
    <entry><link rel="alternate" type="text/html" href="http://blog.test/a/"/>
    <link rel="replies" href="http://blog.test/a/#comments"/></entry>
    <entry><link href="/b/"/></entry></feed>"""
    assert xml_links(page(atom, "http://blog.test/feed/atom/", "application/atom+xml")) == (
        [],
        ["http://blog.test/a/", "http://blog.test/b/"],
    )


def test_sitemap_index_and_gzipped_urlset():
    index = """<?xml version="1.0" encoding="UTF-8"?>
    <sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>http://blog.test/wp-sitemap-posts-post-1.xml</loc></sitemap>
    <sitemap><loc>/wp-sitemap-posts-page-1.xml</loc></sitemap></sitemapindex>"""
    assert xml_links(page(index, "http://blog.test/wp-sitemap.xml", "application/xml")) == (
        ["http://blog.test/wp-sitemap-posts-post-1.xml", "http://blog.test/wp-sitemap-posts-page-1.xml"],
        [],
    )
    urlset = b"""<?xml version="1.0" encoding="UTF-8"?>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <url><loc>http://blog.test/a/</loc></url><url><loc>/b/</loc></url></urlset>"""
    gz = page(gzip.compress(urlset), "http://blog.test/sitemap.xml.gz", "application/x-gzip")
    assert is_xml(gz)
    assert xml_links(gz) == ([], ["http://blog.test/a/", "http://blog.test/b/"])


def test_broken_xml_gives_no_links_not_a_crash():
    assert xml_links(page("<?xml version='1.0'?><rss><channel><item><link>", BASE, "text/xml")) == ([], [])
    assert xml_links(page(b"\x00\x01 not xml", BASE, "text/xml")) == ([], [])
