"""The WordPress REST API as an off-page source of a thread's comments.

``/wp-json/wp/v2/comments?post=N`` answers every approved comment of post N with its
``parent``, so a thread comes out whole where the theme hides replies (or loads them
with JavaScript) or shows fewer comments than it counts.

When a post page names the API (`comment_sources`), given the post's id:
- never when it states a count of zero, or states none and shows no comment;
- never when it shows at least the count it states and links no other comment page:
  the page holds the whole thread (the common case, so most posts cost no request);
- always when it shows fewer than it states and links no other comment page (a theme
  that hides replies): at the advertised API root, else at a guessed one;
- otherwise (a paginated thread, or comments without a count) only when the site
  advertises its API (``<link rel="https://api.w.org/">`` or that ``Link`` header):
  one small JSON request per thread, since every comment page names the same URL.

What it answers (`extract_source`): a `Thread` with ``supplement=True`` holding the
comments in the API's order (by id: parents before replies), comment page = API page;
page 1 names the others (``X-WP-TotalPages``). Depth is counted along parent links
within one answer: a comment whose ancestor is on an earlier API page (threads over
100 comments) gets a lower bound and a warning; the store links it by
``parent_source_id``. Anonymous requests never see pingbacks (the API refuses ``type``).
An answer that is not JSON at all (a home page served instead, a security plugin's
HTML) means there is no API: None, as harvest records a 401/404 as ``http 40x``.
A JSON error object, or broken JSON, is an `ExtractionError`.
"""

from __future__ import annotations

import codecs
import html
import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from lxml.etree import XPath
from lxml.html import HtmlElement

from ..exceptions import ExtractionError
from ..page import Page
from ..records import Comment, Post, Thread
from ..sanitize import sanitize_html
from .head import header_links
from .markup import absolute, html_to_text, web_url

__all__ = ["EXTRACTOR", "accepts_source", "comment_sources", "comments_url", "extract_source"]

VERSION = 1
PLATFORM = "wordpress"
EXTRACTOR = f"{PLATFORM}-api@{VERSION}"

# --- where the API and the post id are: the page's head, its Link header, its form.
API_ROOT = XPath("/html/head/link[@rel='https://api.w.org/']/@href")
ALTERNATE_JSON = XPath("/html/head/link[@rel='alternate'][@type='application/json']/@href")
SHORTLINK = XPath("/html/head/link[@rel='shortlink']/@href")
COMMENT_POST_ID = XPath("id('comment_post_ID')/@value")
COMMENT_FORM_ACTION = XPath("id('commentform')/@action")
POST_ARTICLE_IDS = XPath("//article[starts-with(@id, 'post-')]/@id")
BODY_ID_PREFIXES = ("postid-", "page-id-")
JSON_LINK_ID = re.compile(r"/wp/v2/[\w-]+/(\d+)/?(?:$|[?&#])")
SHORTLINK_ID = re.compile(r"(?:^|&)(?:p|page_id)=(\d+)(?:&|$)")
ARTICLE_ID = re.compile(r"^post-(\d+)$")
FORM_TARGET = "wp-comments-post.php"
# --- the request and its answer.
COMMENTS_ROUTE = "/wp/v2/comments"
COMMENTS_QUERY = "post={}&per_page=100&orderby=id&order=asc"
MAX_PAGES = 1000  # 100,000 comments: beyond that a TotalPages header is not believed
PINGBACK_TYPES = frozenset({"pingback", "trackback"})


def comment_sources(
    page: Page, root: HtmlElement, base: str, body_classes: frozenset[str], *,
    shown: int, stated: int | None, paged: bool,
) -> tuple[str, ...]:  # fmt: skip
    """The API's comments URL for this post when the page cannot vouch for its thread
    (see the module's docstring), else nothing. `shown`: comments on this page;
    `stated`: the count it states; `paged`: it links other comment pages.
    """
    if stated == 0 or (stated is None and not shown):
        return ()  # nothing to fetch
    short = stated is not None and stated > shown
    if stated is not None and not short and not paged:
        return ()  # the page holds the whole thread
    post_id = _post_id(page, root, body_classes)
    if post_id is None:
        return ()
    api = _advertised_root(page, root, base)
    if api is None and short and not paged:
        api = _guessed_root(page, root, base)
    return (comments_url(api, post_id),) if api else ()


def comments_url(api_root: str, post_id: str) -> str:
    """The comments of `post_id`, oldest first, 100 a page, under an API root
    (``https://b.example/wp-json/`` or ``https://b.example/?rest_route=/``)."""
    parts = urlsplit(api_root)
    query = COMMENTS_QUERY.format(post_id)
    params = parse_qsl(parts.query, keep_blank_values=True)
    if any(name == "rest_route" for name, _ in params):
        others = [(name, value) for name, value in params if name != "rest_route"]
        route = urlencode([("rest_route", COMMENTS_ROUTE), *others], safe="/")
        return urlunsplit(parts._replace(query=f"{route}&{query}", fragment=""))
    path = parts.path.rstrip("/") + COMMENTS_ROUTE
    return urlunsplit(parts._replace(path=path, query="&".join(filter(None, (parts.query, query))),
                                     fragment=""))  # fmt: skip


def accepts_source(url: str) -> bool:
    """True for a REST API comments collection (``…/wp/v2/comments``, ``rest_route=``)."""
    parts = urlsplit(url)
    if parts.path.rstrip("/").endswith(COMMENTS_ROUTE):
        return True
    return any(
        name == "rest_route" and value.rstrip("/") == COMMENTS_ROUTE
        for name, value in parse_qsl(parts.query)
    )


def extract_source(page: Page, post: Post) -> Thread | None:
    """The comments of `post` one API answer holds; None when the answer is not JSON.

    Raises `ExtractionError` for broken JSON or a JSON error object.
    """
    data = _json(page)
    if data is None:
        return None
    if isinstance(data, dict) and "code" in data:
        reason = f"the REST API answered with an error: {data.get('code')}: {data.get('message')}"
        raise ExtractionError(page.url, PLATFORM, reason)
    if not isinstance(data, list):
        raise ExtractionError(page.url, PLATFORM, "the REST API answer is not a list of comments")
    warnings: list[str] = []
    number = _page_number(page.url)
    comments = _comments(data, post.url, warnings)
    return Thread(
        post, PLATFORM, EXTRACTOR, comments,
        comment_page=number,
        comment_page_urls=_other_pages(page, warnings) if number == 1 else (),
        warnings=tuple(warnings),
        supplement=True,
    )  # fmt: skip


# --- the post page's side ------------------------------------------------------------


def _post_id(page: Page, root: HtmlElement, body_classes: frozenset[str]) -> str | None:
    """The post's id: body class, comment form, JSON alternate link, shortlink, article."""
    for name in body_classes:
        if name.startswith(BODY_ID_PREFIXES) and (number := _id(name.rpartition("-")[2])):
            return number
    for value in COMMENT_POST_ID(root):
        if number := _id(value):
            return number
    for href in [*ALTERNATE_JSON(root), *header_links(page, "alternate")]:
        if found := JSON_LINK_ID.search(unquote(href.strip())):  # also ?rest_route=%2Fwp%2F…
            return found.group(1)
    for href in [*SHORTLINK(root), *header_links(page, "shortlink")]:
        if found := SHORTLINK_ID.search(urlsplit(href.strip()).query):
            return found.group(1)
    ids = {found.group(1) for value in POST_ARTICLE_IDS(root) if (found := ARTICLE_ID.match(value))}
    return ids.pop() if len(ids) == 1 else None


def _advertised_root(page: Page, root: HtmlElement, base: str) -> str | None:
    for href in [*API_ROOT(root), *header_links(page, "https://api.w.org/")]:
        url = web_url(href, base)
        if url:
            return url
    return None


def _guessed_root(page: Page, root: HtmlElement, base: str) -> str:
    """Where WordPress's API would be: its install path is where the comment form posts."""
    action = next(iter(COMMENT_FORM_ACTION(root)), "").strip()
    home = absolute(action, base) if action.endswith(FORM_TARGET) else absolute("/", page.url)
    home = home.removesuffix(FORM_TARGET)
    if SHORTLINK_ID.search(urlsplit(page.url).query):  # ?p=N: no pretty permalinks, no /wp-json/
        return home + "?rest_route=/"
    return home + "wp-json/"


# --- the API's answer -----------------------------------------------------------------


def _json(page: Page) -> object:
    body = page.body.lstrip()
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :].lstrip()
    if not body.startswith((b"[", b"{")):
        if "json" in page.content_type:
            reason = f"served as {page.content_type} but is not JSON"
            raise ExtractionError(page.url, PLATFORM, reason)
        return None  # HTML or text: no API here
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ExtractionError(page.url, PLATFORM, f"the REST API answer is not valid JSON: {exc}")


def _page_number(url: str) -> int:
    return int(_id(dict(parse_qsl(urlsplit(url).query)).get("page")) or 1)


def _other_pages(page: Page, warnings: list[str]) -> tuple[str, ...]:
    """API pages 2..N (``X-WP-TotalPages``), each the same URL with ``page=K``."""
    total = int(_id(page.headers.get("x-wp-totalpages")) or 0)
    if total < 2:
        return ()
    if total > MAX_PAGES:
        warnings.append(f"X-WP-TotalPages {total}: only the first {MAX_PAGES} pages are named")
    parts = urlsplit(page.url)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    return tuple(
        urlunsplit(parts._replace(query=urlencode([*params, ("page", n)], safe="/"), fragment=""))
        for n in range(2, min(total, MAX_PAGES) + 1)
    )


def _comments(items: list, base: str, warnings: list[str]) -> tuple[Comment, ...]:
    parents: dict[str, str | None] = {}
    for item in items:
        if isinstance(item, dict) and (source_id := _id(item.get("id"))):
            parent = _id(item.get("parent"))
            parents.setdefault(source_id, parent if parent != source_id else None)
        else:
            warnings.append(f"an API item without an id: {str(item)[:80]!r}")
    depths: dict[str, int] = {}
    orphans = 0
    comments = []
    for item in items:
        source_id = _id(item.get("id")) if isinstance(item, dict) else None
        if source_id is None or source_id in depths:
            continue
        depth, parent = 0, parents[source_id]
        seen = {source_id}
        while parent is not None and parent not in seen:
            depth += 1
            if parent not in parents:  # on an earlier API page: the store links it
                orphans += 1
                break
            seen.add(parent)
            parent = parents[parent]
        depths[source_id] = depth
        comments.append(_comment(item, source_id, parents[source_id], depth, base, warnings))
    if orphans:
        warnings.append(f"{orphans} comments descend from comments on earlier API pages: "
                        "their depth is a lower bound")  # fmt: skip
    return tuple(comments)


def _comment(item: dict, source_id: str, parent: str | None, depth: int, base: str,
             warnings: list[str]) -> Comment:  # fmt: skip
    content = item.get("content")
    rendered = content.get("rendered") if isinstance(content, dict) else None
    rendered = rendered if isinstance(rendered, str) else ""
    published, published_raw = _utc(item.get("date_gmt")), None
    if published is None:  # `date` is the site's local time with no offset: kept as written
        published_raw = item.get("date") if isinstance(item.get("date"), str) else None
        warnings.append(f"comment {source_id}: no date_gmt (local time kept as written)")
    text = html_to_text(rendered)
    pingback = item.get("type") in PINGBACK_TYPES
    if not text and not pingback:
        warnings.append(f"comment {source_id}: no text")
    return Comment(
        source_id=source_id,
        parent_source_id=parent,
        depth=depth,
        author=_text(item.get("author_name"), entities=True),
        author_url=web_url(_text(item.get("author_url")), base),
        published=published,
        text=text,
        html=sanitize_html(rendered, base),
        permalink=web_url(_text(item.get("link")), base),
        published_raw=published_raw,
    )


def _id(value: object) -> str | None:
    """A positive integer (an id, a page number) as text; None for 0, missing or malformed."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    text = str(value).strip()
    return str(int(text)) if text.isdecimal() and int(text) > 0 else None


def _text(value: object, entities: bool = False) -> str | None:
    """A JSON string on one line; `entities`: decoded (WordPress stores names escaped)."""
    if not isinstance(value, str):
        return None
    return " ".join((html.unescape(value) if entities else value).split()) or None


def _utc(value: object) -> str | None:
    """``date_gmt`` ("2021-05-03T10:15:00", UTC without an offset) with its offset."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()
