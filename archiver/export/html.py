"""Threads as static HTML: one page per post plus an index, readable offline.

`render_thread` and `render_index` are pure functions of archive rows. Every
archived HTML fragment goes through `archiver.sanitize.sanitize_html` again on
the way out, images become links (nothing is fetched when a page is opened),
and each page carries a Content-Security-Policy that allows no script, no
frame and no remote load: only its own inline CSS.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from ..sanitize import sanitize_html
from .threads import ThreadRows, comment_tree

__all__ = ["IndexEntry", "render_index", "render_thread", "thread_filename", "write_html"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'"
CSS = """
body{font:16px/1.55 Georgia,serif;color:#222;background:#fdfdfb;max-width:46em;margin:0 auto;padding:1em}
h1{font-size:1.7em;line-height:1.2;margin:.4em 0}
a{color:#1a4f8b}
.meta,.source,nav,header{font:14px/1.4 system-ui,sans-serif;color:#555}
.source{font-size:12px;color:#777;margin:.3em 0 0}
.source code{font-size:11px}
.content img,.content table{max-width:100%}
.content blockquote{border-left:3px solid #ccc;margin-left:0;padding-left:1em;color:#444}
ol.thread,ol.replies{list-style:none;padding:0;margin:0}
ol.replies{margin-left:1.4em;border-left:2px solid #e4e4e0;padding-left:.8em}
li.comment>article{margin:1em 0;padding:.6em .8em;background:#fff;border:1px solid #e8e8e4;border-radius:4px}
.author{font-weight:600;color:#222}
.index li{margin:.5em 0}
.index .meta{display:block}
"""
_IMG = re.compile(r"<img\b([^>]*)>")
_ATTR = re.compile(r'([a-z-]+)="([^"]*)"')
_SAFE_SCHEMES = ("http", "https")


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What the index shows of one exported thread."""

    filename: str  # relative to the index, e.g. "threads/2-no-more-guernicas.html"
    title: str | None
    url: str
    site: str | None
    author: str | None
    published: str | None
    comments: int


def thread_filename(post: dict[str, Any]) -> str:
    """``<post_id>-<slug>.html``, the slug an ASCII rendering of the title."""
    title = unicodedata.normalize("NFKD", post.get("title") or "")
    slug = re.sub(r"[^a-z0-9]+", "-", title.encode("ascii", "ignore").decode().lower())
    slug = slug.strip("-")[:60].rstrip("-") or "post"
    return f"{int(post['id'])}-{slug}.html"


def render_thread(
    thread: ThreadRows, *, warc_base: str | None = None, index_href: str = "../index.html"
) -> str:
    """A complete HTML page for one post and its nested comments.

    `warc_base`: the URL (relative or absolute, ending in "/") of the directory
    holding the WARC files, to link each record's file; None shows names only.
    """
    post = thread.post
    title = post.get("title") or post.get("url") or "Untitled"
    count = len(thread.comments)
    parts = [
        _head(title),
        f'<nav><a href="{escape(index_href)}">All threads</a></nav>\n',
        f'<article class="post" id="post-{int(post["id"])}">\n<h1>{escape(title)}</h1>\n',
        (
            f'<p class="meta">{_byline(post.get("author"), None, post.get("published"))}'
            f" · {_link(post.get('url'), 'original')}</p>\n"
        ),
        f'<div class="content">{_content(post.get("html"), post.get("text"), post.get("url"))}</div>\n',
        _source(post.get("capture"), warc_base, "Post archived"),
        "</article>\n",
        f'<section class="comments">\n<h2>{count} comment{"" if count == 1 else "s"}</h2>\n',
        _comment_list(comment_tree(thread.comments), "thread", warc_base),
        "</section>\n</body>\n</html>\n",
    ]
    return "".join(parts)


def render_index(entries: Sequence[IndexEntry], *, title: str = "Archived threads") -> str:
    """The index page: every thread, by site, newest first."""
    by_site: dict[str, list[IndexEntry]] = {}
    for entry in entries:
        by_site.setdefault(entry.site or "", []).append(entry)
    parts = [_head(title), f"<h1>{escape(title)}</h1>\n"]
    parts.append(f'<p class="meta">{len(entries)} posts, {sum(e.comments for e in entries)} comments.</p>\n')
    for site in sorted(by_site):
        parts.append(f'<h2>{escape(site)}</h2>\n<ul class="index">\n')
        for entry in sorted(by_site[site], key=lambda e: (e.published or "", e.url), reverse=True):
            label = entry.title or entry.url
            parts.append(
                f'<li><a href="{escape(quote(entry.filename))}">{escape(label)}</a>'
                f'<span class="meta">{_byline(entry.author, None, entry.published)} · '
                f"{entry.comments} comment{'' if entry.comments == 1 else 's'} · "
                f"{_link(entry.url, 'original')}</span></li>\n"
            )
        parts.append("</ul>\n")
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def write_html(
    threads: Iterable[ThreadRows], out_dir: Path, *, warc_dir: Path | None = None
) -> tuple[int, int]:
    """Write ``out_dir/threads/<id>-<slug>.html`` per post and ``out_dir/index.html``.

    Returns (posts, comments) written. Files are rewritten if present.
    """
    thread_dir = out_dir / "threads"
    thread_dir.mkdir(parents=True, exist_ok=True)
    warc_base = None
    if warc_dir is not None:
        warc_base = quote(Path(os.path.relpath(warc_dir.resolve(), thread_dir.resolve())).as_posix()) + "/"
    entries = []
    for thread in threads:
        post = thread.post
        name = thread_filename(post)
        (thread_dir / name).write_text(render_thread(thread, warc_base=warc_base), encoding="utf-8")
        entries.append(IndexEntry(f"threads/{name}", post.get("title"), post["url"], post.get("site"),
                                  post.get("author"), post.get("published"), len(thread.comments)))  # fmt: skip
    (out_dir / "index.html").write_text(render_index(entries), encoding="utf-8")
    return len(entries), sum(e.comments for e in entries)


# -- pieces -------------------------------------------------------------------


def _head(title: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
    )


def _comment_list(nodes: list[dict[str, Any]], css_class: str, warc_base: str | None) -> str:
    if not nodes:
        return ""
    items = [f'<ol class="{css_class}">\n']
    for node in nodes:
        anchor = f"comment-{int(node['id'])}"
        parent = f' data-parent-id="{int(node["parent_id"])}"' if node.get("parent_id") is not None else ""
        items.append(
            f'<li class="comment depth-{int(node.get("depth") or 0)}" id="{anchor}" '
            f'data-id="{int(node["id"])}" data-source-id="{escape(str(node.get("source_id") or ""))}"'
            f'{parent} data-depth="{int(node.get("depth") or 0)}">\n<article>\n'
            f"<header>{_byline(node.get('author'), node.get('author_url'), node.get('published'), anchor)}"
            f" · {_link(node.get('permalink'), 'original')}</header>\n"
            f'<div class="content">{_content(node.get("html"), node.get("text"), node.get("permalink"))}</div>\n'
            f"{_source(node.get('capture'), warc_base, 'Read')}</article>\n"
            f"{_comment_list(node['replies'], 'replies', warc_base)}</li>\n"
        )
    items.append("</ol>\n")
    return "".join(items)


def _byline(author: str | None, author_url: str | None, when: str | None, anchor: str | None = None) -> str:
    name = escape(author or "Anonymous")
    if _safe_url(author_url):
        name = f'<a href="{escape(author_url or "")}" rel="nofollow noopener">{name}</a>'
    out = f'<span class="author">{name}</span>'
    if when:
        stamp = f'<time datetime="{escape(when)}">{escape(when.replace("T", " "))}</time>'
        out += f' · <a href="#{anchor}">{stamp}</a>' if anchor else f" · {stamp}"
    return out


def _link(url: str | None, label: str) -> str:
    if not _safe_url(url):
        return ""
    return f'<a href="{escape(url or "")}" rel="nofollow noopener">{escape(label)}</a>'


def _source(capture: dict[str, Any] | None, warc_base: str | None, verb: str) -> str:
    """Where the text came from: capture time and URL, WARC file and offset."""
    if not capture:
        return ""
    warc = ""
    if capture.get("warc_file"):
        name = escape(capture["warc_file"])
        if warc_base is not None:
            name = f'<a href="{escape(warc_base + quote(capture["warc_file"]))}">{name}</a>'
        warc = f" · WARC {name} offset {int(capture.get('warc_offset') or 0)}"
        if capture.get("warc_record_id"):
            warc += f" <code>{escape(capture['warc_record_id'])}</code>"
    when = escape(capture.get("fetched_at") or "")
    return f'<p class="source">{verb} {when} from {_link(capture.get("url"), capture.get("url") or "")}{warc}</p>\n'


def _content(html: str | None, text: str | None, base_url: str | None) -> str:
    if html:
        return _IMG.sub(_image_link, sanitize_html(html, base_url))
    paragraphs = [p for p in (text or "").split("\n\n") if p.strip()]
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _image_link(match: re.Match[str]) -> str:
    """An image as a link to it: opening the export fetches nothing."""
    attrs = dict(_ATTR.findall(match.group(1)))  # already escaped by the sanitiser
    label = f"[image: {attrs['alt']}]" if attrs.get("alt") else "[image]"
    src = attrs.get("src", "")
    return f'<a href="{src}" rel="nofollow noopener">{label}</a>' if src else label


def _safe_url(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").scheme.lower() in _SAFE_SCHEMES
