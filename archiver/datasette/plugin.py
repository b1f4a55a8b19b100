"""The Datasette plugin `archiver serve` registers: pages, links, a facet, headers.

- Pages: ``/-/thread/POST_ID`` (a post with its whole comment thread),
  ``/-/search?q=`` (posts and comments together), ``/-/crawls`` and
  ``/-/crawls/CRAWL_ID`` (crawl history), and their stylesheet under ``/-/archiver/``.
- Cells: a post's title opens its thread; a comment's post and parent open the
  thread at that comment; search snippets show their matches.
- A `year` facet, and security headers (a strict CSP) on every response.

Configuration (metadata ``plugins: archiver:``): ``remote_images`` (bool, default
false) lets archived images load from their original sites.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import asgi_static
from markupsafe import Markup, escape

from . import DATABASE, STATIC_DIR, pages, remote_images
from .facets import YearFacet
from .headers import security_headers, wrap
from .render import snippet_html


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [
        (r"^/-/thread/(?P<post_id>[0-9]+)$", pages.thread),
        (r"^/-/search$", pages.search),
        (r"^/-/crawls$", pages.crawls),
        (r"^/-/crawls/(?P<crawl_id>[0-9]+)$", pages.crawl),
        (r"^/-/archiver/(?P<path>.*)$", asgi_static(STATIC_DIR)),
    ]


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    headers = security_headers(remote_images=remote_images(datasette))
    return lambda app: wrap(app, headers)


@hookimpl
def register_facet_classes() -> list[type]:
    return [YearFacet]


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.path("/-/archiver/datasette.css")]


@hookimpl
def menu_links(datasette: Any, actor: Any, request: Any) -> list[dict[str, str]]:
    return [
        {"href": datasette.urls.path("/-/search"), "label": "Search posts and comments"},
        {"href": datasette.urls.path("/-/crawls"), "label": "Crawl history"},
    ]


def _link(href: str, label: object, css_class: str | None = None) -> str:
    extra = f' class="{css_class}"' if css_class else ""
    return f'<a href="{escape(href)}"{extra}>{escape(label)}</a>'


def _value_and_label(value: Any) -> tuple[Any, Any]:
    """A foreign key cell arrives expanded ({"value", "label"}) or as the bare id."""
    if isinstance(value, dict):
        return value.get("value"), value.get("label") or value.get("value")
    return value, value


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Markup | None:
    if database != DATABASE or value in (None, ""):
        return None
    path = datasette.urls.path
    keys = row.keys() if hasattr(row, "keys") else ()
    if table == "posts" and column == "title" and "id" in keys:
        return Markup(_link(path(f"/-/thread/{row['id']}"), value))
    if table == "comments" and column in ("post_id", "parent_id") and "id" in keys:
        target, label = _value_and_label(value)
        if column == "post_id":
            href = path(f"/-/thread/{target}#c{row['id']}")
            row_href = datasette.urls.row(DATABASE, "posts", target)
        else:
            post_id = _value_and_label(row["post_id"])[0] if "post_id" in keys else None
            if post_id is None:
                return None
            href = path(f"/-/thread/{post_id}#c{target}")
            row_href = datasette.urls.row(DATABASE, "comments", target)
        thread = _link(href, label if label != target else f"#{target} in thread")
        return Markup(f'{thread} <small>{_link(row_href, f"row {target}")}</small>')
    if table is None and column == "snippet":
        return snippet_html(str(value))
    if table is None and column == "thread_path":
        return Markup(_link(path(str(value)), "open in thread"))
    return None
