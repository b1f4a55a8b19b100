"""schema.org extraction: microdata and JSON-LD fixture pages, the fixture sites, a long page.

Fixtures: ``tests/fixtures/schemaorg/<case>.html`` with ``<case>.json`` beside it, in the
format of the WordPress fixtures (``{"page": {"url"}, "thread": {...} | null}``).
Fixture sites: ``tests/fixtures/sites/schemaorg-*/`` (``expected.json`` + ``site/``).

Timing (not a test): ``python -m tests.test_extract_schemaorg``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.extract import schemaorg

from .test_extract_generic import (
    check_case,
    check_invariants,
    check_site,
    load_case,
    time_extractor,
)
from .test_extract_wordpress import make_page

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "schemaorg"
CASES = sorted(p.stem for p in FIXTURES.glob("*.html"))
SITES = sorted((HERE / "fixtures" / "sites").glob("schemaorg-*"))


@pytest.mark.parametrize("case", CASES)
def test_fixture(case: str) -> None:
    check_case(schemaorg, "schemaorg", case)


def test_detect_scores() -> None:
    _, with_comments = load_case("schemaorg", "microdata-nested")
    _, index = load_case("schemaorg", "index-page")
    assert schemaorg.detect(with_comments) == 0.85  # post + comment markup
    assert schemaorg.detect(index) == 0.55  # posts, no comments
    plain = make_page("https://x.example/", b"<html><body><p>hi</p></body></html>")
    assert schemaorg.detect(plain) == 0.0


def test_sidebar_comment_items_are_not_the_thread() -> None:
    _, page = load_case("schemaorg", "microdata-nested")
    assert "Spammy" not in {c.author for c in schemaorg.extract(page).comments}


def test_invalid_json_ld_is_a_warning_not_a_crash() -> None:
    _, page = load_case("schemaorg", "broken-markup")
    thread = schemaorg.extract(page)
    assert any(w.startswith("JSON-LD unreadable") for w in thread.warnings)
    assert [c.author for c in thread.comments] == [None, "Zed"]


@pytest.mark.parametrize("site", SITES, ids=lambda p: p.name)
def test_fixture_site_scores_100_percent(site: Path) -> None:
    check_site(site, "schemaorg", "schemaorg@1")


# --- a long page (also used for timing) ---------------------------------------------


def long_page(threads: int = 50) -> tuple:
    """A BlogPosting with `threads` comments, each with a reply and a reply to that:
    3 * `threads` microdata comments, ~300 KB."""
    words = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. " * 20

    def one(n: int, inner: str) -> str:
        return (f'<article id="comment-{n}" class="comment" itemprop="comment" itemscope '
                f'itemtype="https://schema.org/Comment"><header><span itemprop="author" itemscope '
                f'itemtype="https://schema.org/Person"><a itemprop="url" href="https://u{n}.example/">'
                f'<span itemprop="name">User {n}</span></a></span> <a href="#comment-{n}"><time '
                f'itemprop="dateCreated" datetime="2023-05-01T10:{n % 60:02d}:00+02:00">1 May</time></a>'
                f'</header><div itemprop="text"><p>{words}</p><p>Comment {n}.</p></div>'
                f'<a class="reply" href="#respond">Reply</a>{inner}</article>')  # fmt: skip

    comments = "".join(one(3 * k + 1, one(3 * k + 2, one(3 * k + 3, ""))) for k in range(threads))
    html = (f'<!DOCTYPE html><html><head><title>Long</title></head><body><main><article itemscope '
            f'itemtype="https://schema.org/BlogPosting"><h1 itemprop="headline">Long</h1><span '
            f'itemprop="author">Ann</span> <time itemprop="datePublished" datetime="2023-05-01T'
            f'09:00:00+02:00">1 May</time><div itemprop="articleBody"><p>{words}</p></div><section id="comments">{comments}</section>'
            f'</article></main></body></html>')  # fmt: skip
    return make_page("https://long.example/post/", html.encode()), 3 * threads


def test_long_page_with_150_comments() -> None:
    page, count = long_page()
    assert count == 150 and len(page.body) > 250_000
    thread = schemaorg.extract(page)
    assert len(thread.comments) == 150
    assert [c.depth for c in thread.comments[:3]] == [0, 1, 2]
    check_invariants(thread)


if __name__ == "__main__":  # pragma: no cover
    time_extractor(schemaorg.extract, *long_page())
