"""Finding a blog's posts: links worth following from pages, feeds and sitemaps.

Pure functions over a `Page`. Links are filtered and de-duplicated here,
before the spider builds any Request (a Request costs ~150 µs and a blog page
has ~200 links), and the filter knows which URLs can never hold a thread.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, urldefrag, urljoin, urlsplit

import lxml.etree
import lxml.html

from .page import Page

XML_TYPES = ("xml", "rss", "atom")
XML_STARTS = (b"<?xml", b"<rss", b"<feed", b"<urlset", b"<sitemapindex")
# Common sitemap locations tried when a crawl starts from a site's home page.
SITEMAP_GUESSES = ("/sitemap.xml", "/wp-sitemap.xml", "/sitemap_index.xml")

# Paths that never hold a post: admin, assets, per-user and per-term listings,
# comment feeds, embeds. Listings still lead to posts, but the index pagination,
# feeds and sitemaps already do, without thousands of extra pages.
SKIP_PATH = re.compile(
    r"/(wp-admin|wp-login\.php|wp-json|xmlrpc\.php|wp-content|wp-includes|cdn-cgi)(/|$)"
    r"|/(author|tag|category|search|attachment|trackback|embed|amp)/"
    r"|^/.+/feed(/(rss2?|atom|rdf))?/?$"  # comment and per-post feeds; the site feed is kept
    r"|^/feeds/\d+/comments/",  # Blogger's per-post comment feeds (read as comment sources)
    re.IGNORECASE,
)
DATE_ARCHIVE = re.compile(r"^/\d{4}/(\d{2}/(\d{2}/)?)?(page/\d+/?)?$")
# Reply forms, share buttons, searches, previews, comment permalinks (Blogger's
# ?showComment=) and mobile twins (Blogger's ?m=1) of pages fetched anyway.
SKIP_QUERY = frozenset(
    {"replytocom", "share", "like_comment", "action", "s", "preview", "amp", "orderby", "nb",
     "showcomment", "m"}
)  # fmt: skip
ASSET = re.compile(
    r"\.(jpe?g|png|gif|webp|avif|svg|ico|bmp|tiff?|css|js|mjs|map|json|pdf|zip|gz|tgz|rar|7z"
    r"|mp3|m4a|ogg|wav|mp4|m4v|webm|mov|avi|woff2?|ttf|otf|eot|exe|dmg|apk|docx?|xlsx?|pptx?)$",
    re.IGNORECASE,
)
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json"})
ATOM = "{http://www.w3.org/2005/Atom}"
# An absolute http(s) URL that urljoin, urldefrag and urlsplit take apart the obvious way and
# give back as it is (but for the fragment): plain ASCII, no params (";"), no empty query or
# fragment, no brackets. Most links are; matching one costs ~1 µs, urllib ~10 µs a link.
PLAIN_URL = re.compile(
    r"(https?)://([\w.-]+(?::\d+)?)(/[\w.~!$&'()*+,=:@%/-]*)?(?:\?([\w.~!$&'()*+,=:@%/?-]+))?"
    r"(?:#[\w.~!$&'()*+,=:@%/?#-]+)?",
    re.ASCII,
)
UNSAFE_URL_BYTES = re.compile("[\t\r\n]")  # urllib drops these from a URL before splitting it


@dataclass(frozen=True, slots=True)
class Scope:
    """Which URLs a crawl may follow: its start sites, minus pages that hold no thread."""

    hosts: frozenset[str]

    @classmethod
    def of(cls, start_urls: Iterable[str]) -> Scope:
        return cls(frozenset(urlsplit(u).netloc.lower() for u in start_urls))

    def covers(self, url: str) -> bool:
        """Whether `url` is on one of the crawl's sites (any path)."""
        return urlsplit(url).netloc.lower() in self.hosts

    def accept(self, url: str) -> str | None:
        """The URL to request (fragment removed), or None if it is not worth fetching."""
        if plain := PLAIN_URL.fullmatch(url):
            url = url.partition("#")[0]
            scheme, netloc, path, query = plain.group(1, 2, 3, 4)
        else:
            url, _ = urldefrag(url)
            scheme, netloc, path, query, _ = urlsplit(url)
        if scheme not in ("http", "https") or netloc.lower() not in self.hosts:
            return None
        path = path or "/"
        if SKIP_PATH.search(path) or DATE_ARCHIVE.match(path) or ASSET.search(path):
            return None
        if query and any(k.lower() in SKIP_QUERY for k, _ in parse_qsl(query)):
            return None
        return url


def is_xml(page: Page) -> bool:
    if any(t in page.content_type for t in XML_TYPES):
        return True
    return page.body[:200].lstrip().startswith(XML_STARTS) or page.url.endswith(".xml.gz")


def html_links(page: Page, root: lxml.html.HtmlElement | None = None) -> Iterator[str]:
    """Absolute URLs of every followable link: anchors, rel=next/prev and feed links."""
    if root is None:
        root = lxml.html.document_fromstring(page.text or "<html></html>")
    base_href: str | None = None
    hrefs: list[str] = []
    feeds: list[str] = []
    for el in root.iter("a", "link", "base"):  # one walk instead of three XPath searches
        if (href := el.get("href")) is None:
            continue
        if el.tag == "a":
            hrefs.append(href)
        elif el.tag == "link":
            rel = el.get("rel", "")
            if "next" in rel or "prev" in rel:
                hrefs.append(href)
            elif rel == "alternate" and el.get("type", "").lower() in FEED_TYPES:
                feeds.append(href)
        elif base_href is None and el.getparent().tag == "head":
            base_href = href
    base = page.url if base_href is None else urljoin(page.url, base_href.strip())
    yield from _joined(base, hrefs + feeds)


def _joined(base: str, hrefs: list[str]) -> Iterator[str]:
    """``urljoin(base, href.strip())`` of each href: a `PLAIN_URL` as it is, a fragment
    added to the base URL, the rest by urljoin."""
    if not hrefs:
        return
    here = urljoin(base, "#")  # what a fragment is added to (raises, as urljoin would, on a bad base)
    fragments = base.startswith(("http://", "https://"))  # urljoin adds a fragment to these
    for href in hrefs:
        href = href.strip()
        if PLAIN_URL.fullmatch(href):
            yield href
        elif fragments and href[:1] == "#" and len(href) > 1 and not UNSAFE_URL_BYTES.search(href):
            yield here + href
        else:
            yield urljoin(base, href)


def xml_links(page: Page) -> tuple[list[str], list[str]]:
    """(sitemaps, pages) named by a sitemap, sitemap index, RSS or Atom feed.

    Relative URLs are resolved against the document (real WordPress writes
    absolute ones; hand-made and test feeds often don't).
    """
    body = page.body
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    try:
        root = lxml.etree.fromstring(body, parser=_XML_PARSER)
    except lxml.etree.XMLSyntaxError:
        return [], []
    if root is None:
        return [], []
    tag = lxml.etree.QName(root).localname
    if tag in ("urlset", "sitemapindex"):
        # Imported here: a page-reading worker otherwise needs no Scrapy (~25 MB, 0.2 s).
        from scrapy.utils.sitemap import Sitemap

        sitemap = Sitemap(body)
        urls = [urljoin(page.url, entry["loc"]) for entry in sitemap if entry.get("loc")]
        return (urls, []) if sitemap.type == "sitemapindex" else ([], urls)
    if tag == "rss" or tag == "RDF":
        links = root.xpath("//*[local-name()='item']/*[local-name()='link']/text()")
    elif tag == "feed":
        links = [
            link.get("href", "")
            for link in root.iter(f"{ATOM}link")
            if link.getparent().tag == f"{ATOM}entry" and link.get("rel", "alternate") == "alternate"
        ]
    else:
        links = []
    return [], [urljoin(page.url, link.strip()) for link in links if link.strip()]


_XML_PARSER = lxml.etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
