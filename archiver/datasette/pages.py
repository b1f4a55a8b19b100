"""The plugin's pages: a whole thread, search over posts and comments, crawl history.

Each page runs the same SQL as its canned query in metadata.yaml (so the JSON
at /archive/thread.json?post_id=N is exactly what the page shows) and renders
archived HTML only through `render.safe_html`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any
from urllib.parse import quote

from datasette.utils.asgi import Forbidden, NotFound, Response

from . import DATABASE, canned_sql, remote_images
from .render import format_time, safe_html, safe_url, snippet_html, text_html

MAX_INDENT = 10  # deeper replies are drawn at this depth; their depth is still shown

_POST = """
select p.*, k.fetched_at as captured_at, k.url as capture_url, k.warc_file, k.warc_offset
from posts p left join captures k on k.id = p.capture_id
where p.id = :post_id
"""
_CRAWL_ERRORS = """
select id, url, kind, detail, at from errors where crawl_id = :crawl_id order by id limit 500
"""


async def _database(datasette: Any, request: Any) -> Any:
    for action, resource in (("view-instance", None), ("view-database", DATABASE)):
        if not await datasette.permission_allowed(request.actor, action, resource, default=True):
            raise Forbidden(f"{action} is not allowed")
    try:
        return datasette.get_database(DATABASE)
    except KeyError as exc:
        raise NotFound(f"No database named {DATABASE!r}: is this an archiver archive?") from exc


def _provenance(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "captured": format_time(row.get("captured_at")),
        "capture_id": row.get("capture_id"),
        "capture_url": safe_url(row.get("capture_url")),
        "warc_file": row.get("warc_file"),
        "warc_offset": row.get("warc_offset"),
    }


def _body(row: dict[str, Any], base_url: str | None, images: bool) -> Any:
    if row.get("html"):
        return safe_html(row["html"], base_url, remote_images=images)
    return text_html(row.get("text"))


async def _render(datasette: Any, request: Any, template: str, context: dict[str, Any]) -> Response:
    context = {"database": DATABASE, "archiver_css": datasette.urls.path("/-/archiver/archiver.css"), **context}
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html)


async def thread(datasette: Any, request: Any) -> Response:
    db = await _database(datasette, request)
    post_id = int(request.url_vars["post_id"])
    found = (await db.execute(_POST, {"post_id": post_id})).first()
    if found is None:
        raise NotFound(f"No post {post_id} in the archive")
    post = dict(found)
    images = remote_images(datasette)
    rows = (await db.execute(canned_sql("thread"), {"post_id": post_id})).rows
    comments = []
    for number, found_comment in enumerate(rows, start=1):
        comment = dict(found_comment)
        comment.update(
            number=number,
            indent=min(comment["depth"] or 0, MAX_INDENT),
            time=format_time(comment["published"]),
            author_href=safe_url(comment["author_url"]),
            permalink_href=safe_url(comment["permalink"]),
            body=_body(comment, comment["permalink"] or post["url"], images),
            provenance=_provenance(comment),
        )
        comments.append(comment)
    numbers = {c["id"]: c["number"] for c in comments}
    for comment in comments:
        comment["parent_number"] = numbers.get(comment["parent_id"])
    post.update(
        time=format_time(post["published"]),
        modified_time=format_time(post["modified"]),
        href=safe_url(post["url"]),
        body=_body(post, post["url"], images),
        provenance=_provenance(post),
    )
    context = {
        "post": post,
        "comments": comments,
        "remote_images": images,
        "json_url": datasette.urls.path(f"/{DATABASE}/thread.json?post_id={post_id}&_shape=array"),
    }
    return await _render(datasette, request, "archiver_thread.html", context)


async def search(datasette: Any, request: Any) -> Response:
    db = await _database(datasette, request)
    q = (request.args.get("q") or "").strip()
    hits: list[dict[str, Any]] = []
    error = None
    if q:
        try:
            rows = (await db.execute(canned_sql("search"), {"q": q})).rows
        except sqlite3.OperationalError as exc:
            rows, error = [], f"This search could not run: {exc}"
        for row in rows:
            hit = dict(row)
            hit.update(time=format_time(hit["published"]), snippet=snippet_html(hit["snippet"]))
            hits.append(hit)
    context = {
        "q": q,
        "hits": hits,
        "error": error,
        "json_url": datasette.urls.path(f"/{DATABASE}/search.json?_shape=array")
        + ("&q=" + quote(q, safe="") if q else ""),
    }
    return await _render(datasette, request, "archiver_search.html", context)


def _start_urls(value: str | None) -> list[dict[str, Any]]:
    try:
        urls = json.loads(value or "[]")
    except ValueError:
        urls = [value]
    if not isinstance(urls, list):
        urls = [urls]
    return [{"text": str(u), "href": safe_url(str(u))} for u in urls if u]


def _crawl_row(row: Any) -> dict[str, Any]:
    crawl = dict(row)
    crawl.update(
        started_time=format_time(crawl["started"]),
        finished_time=format_time(crawl["finished"]),
        start_urls=_start_urls(crawl["start_urls"]),
    )
    return crawl


CHANGE_LISTS = {"new comment": "new", "edited comment": "edited", "gone": "gone"}


async def crawls(datasette: Any, request: Any) -> Response:
    db = await _database(datasette, request)
    rows = (await db.execute(canned_sql("crawl_history"))).rows
    context = {
        "crawls": [_crawl_row(r) for r in rows],
        "json_url": datasette.urls.path(f"/{DATABASE}/crawl_history.json?_shape=array"),
    }
    return await _render(datasette, request, "archiver_crawls.html", context)


async def crawl(datasette: Any, request: Any) -> Response:
    db = await _database(datasette, request)
    crawl_id = int(request.url_vars["crawl_id"])
    history = {r["id"]: r for r in (await db.execute(canned_sql("crawl_history"))).rows}
    if crawl_id not in history:
        raise NotFound(f"No crawl {crawl_id} in the archive")
    changes = (await db.execute(canned_sql("crawl_changes"), {"crawl_id": crawl_id})).rows
    threads: dict[int, dict[str, Any]] = {}
    for change in changes:
        entry = threads.setdefault(
            change["post_id"],
            {"post_id": change["post_id"], "title": change["title"], "new_post": False,
             "new": [], "edited": [], "gone": []},  # fmt: skip
        )
        if change["change"] == "new post":
            entry["new_post"] = True
        else:
            item = {**dict(change), "time": format_time(change["published"])}
            entry[CHANGE_LISTS[change["change"]]].append(item)
    errors = [dict(r) for r in (await db.execute(_CRAWL_ERRORS, {"crawl_id": crawl_id})).rows]
    crawl_row = dict(history[crawl_id])
    settings = (await db.execute("select settings from crawls where id = ?", [crawl_id])).first()
    context = {
        "crawl": _crawl_row(crawl_row),
        "settings": settings["settings"] if settings else None,
        "threads": list(threads.values()),
        "errors": errors,
        "errors_url": datasette.urls.table(DATABASE, "errors") + f"?crawl_id={crawl_id}",
        "json_url": datasette.urls.path(f"/{DATABASE}/crawl_changes.json?crawl_id={crawl_id}&_shape=array"),
    }
    return await _render(datasette, request, "archiver_crawl.html", context)


