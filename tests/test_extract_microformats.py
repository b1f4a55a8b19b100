"""microformats2 extraction: h-entry posts with nested h-cite comments and u-in-reply-to
webmention replies; the fixture sites; a long page.

Fixtures: ``tests/fixtures/microformats/<case>.html`` with ``<case>.json`` beside it.
Fixture sites: ``tests/fixtures/sites/mf2-*/``.

Timing (not a test): ``python -m tests.test_extract_microformats``; with mf2py installed
it also times mf2py's parse of the same page (it is not a dependency: see the module).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.extract import microformats

from .test_extract_generic import (
    check_case,
    check_invariants,
    check_site,
    load_case,
    time_extractor,
)
from .test_extract_wordpress import make_page

HERE = Path(__file__).parent
CASES = sorted(p.stem for p in (HERE / "fixtures" / "microformats").glob("*.html"))
SITES = sorted((HERE / "fixtures" / "sites").glob("mf2-*"))


@pytest.mark.parametrize("case", CASES)
def test_fixture(case: str) -> None:
    check_case(microformats, "microformats", case)


@pytest.mark.parametrize("site", SITES, ids=lambda p: p.name)
def test_fixture_site_scores_100_percent(site: Path) -> None:
    check_site(site, "microformats", "microformats@1")


def test_detect_scores() -> None:
    _, nested = load_case("microformats", "nested-h-cite")
    _, feed = load_case("microformats", "h-feed-index")
    assert microformats.detect(nested) == 0.85
    assert microformats.detect(feed) == 0.55
    mf1 = make_page("https://x.example/", b'<div class="hentry"><p class="entry-title">x</p></div>')
    assert microformats.detect(mf1) == 0.0  # microformats 1 (WordPress, Blogger) is theirs


def test_likes_are_not_comments_and_webmention_ids_are_their_urls() -> None:
    _, page = load_case("microformats", "nested-h-cite")
    thread = microformats.extract(page)
    assert "Fan" not in {c.author for c in thread.comments}
    assert thread.comments[-1].source_id == "https://wm.example/notes/42"


def test_reply_threading_by_in_reply_to() -> None:
    _, page = load_case("microformats", "in-reply-to")
    thread = microformats.extract(page)
    parents = {c.source_id: c.parent_source_id for c in thread.comments}
    assert parents == {"r1": None, "r2": "r1", "r3": "r2", "r4": None}


def long_page(threads: int = 50) -> tuple:
    """An h-entry with `threads` h-cite comments, each with a reply and a reply to that."""
    words = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. " * 20

    def one(n: int, inner: str) -> str:
        inner = f'<ul class="replies">{inner}</ul>' if inner else ""
        return (f'<li class="p-comment h-cite" id="comment-{n}"><a class="p-author h-card" '
                f'href="https://u{n}.example/">User {n}</a> <a class="u-url" href="#comment-{n}">'
                f'<time class="dt-published" datetime="2024-03-10T09:{n % 60:02d}:00-05:00">Mar 10</time>'
                f'</a><div class="e-content"><p>{words}</p><p>Comment {n}.</p></div>{inner}</li>')  # fmt: skip

    comments = "".join(one(3 * k + 1, one(3 * k + 2, one(3 * k + 3, ""))) for k in range(threads))
    html = (f'<!DOCTYPE html><html><head><title>Long</title></head><body><article class="h-entry">'
            f'<h1 class="p-name">Long</h1><a class="p-author h-card" href="/">Kit</a><time '
            f'class="dt-published" datetime="2024-03-10T08:00:00-05:00">Mar 10</time><div '
            f'class="e-content"><p>{words}</p></div><ol class="comments">{comments}</ol></article>'
            f'</body></html>')  # fmt: skip
    return make_page("https://long.example/post/", html.encode()), 3 * threads


def test_long_page_with_150_comments() -> None:
    page, count = long_page()
    assert count == 150 and len(page.body) > 250_000
    thread = microformats.extract(page)
    assert len(thread.comments) == 150
    assert [c.depth for c in thread.comments[:3]] == [0, 1, 2]
    check_invariants(thread)


if __name__ == "__main__":  # pragma: no cover
    page, count = long_page()
    time_extractor(microformats.extract, page, count)
    try:
        import mf2py
    except ImportError:
        print("mf2py not installed: pip install mf2py to compare")
    else:
        import time

        start = time.process_time()
        mf2py.parse(doc=page.text, url=page.url, html_parser="lxml")
        print(f"mf2py.parse (lxml)             same page: {(time.process_time() - start) * 1000:6.0f} ms")
