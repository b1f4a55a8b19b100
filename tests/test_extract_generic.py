"""The generic fallback: structural comment finding on unknown themes; the registry's
choice between platform modules and the fallback; helpers for the other format tests.

Fixtures: ``tests/fixtures/generic/<case>.html`` with ``<case>.json`` beside it, in the
format of the WordPress fixtures. Fixture sites: ``tests/fixtures/sites/generic-*/``.

Timing (not a test): ``python -m tests.test_extract_generic`` prints milliseconds (CPU)
per 150-comment page, with the WordPress extractor on the same page for comparison.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archiver.evaluate import evaluate
from archiver.extract import CONFIDENT, choose, generic, wordpress
from archiver.records import Comment, Post, Thread

from .test_extract_wordpress import (
    SEED_PAGES,
    as_json,
    long_thread_page,
    make_page,
    with_defaults,
)

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
CASES = sorted(p.stem for p in (FIXTURES / "generic").glob("*.html"))
SITES = sorted((FIXTURES / "sites").glob("generic-*"))


# --- helpers shared by the schema.org and microformats tests ------------------------


def load_case(platform: str, case: str):
    spec = json.loads((FIXTURES / platform / f"{case}.json").read_text(encoding="utf-8"))
    return spec, make_page(spec["page"]["url"], (FIXTURES / platform / f"{case}.html").read_bytes())


def check_case(module, platform: str, case: str) -> None:
    """The fixture's thread, field by field, then whole; invariants on any thread."""
    spec, page = load_case(platform, case)
    thread = module.extract(page)
    if spec["thread"] is None:
        assert thread is None
        return
    expected = with_defaults(spec["thread"], Thread)
    expected["post"] = with_defaults(expected["post"], Post)
    expected["comments"] = [with_defaults(c, Comment) for c in expected["comments"]]
    got = as_json(thread)
    assert got["post"] == expected["post"]
    assert got["comments"] == expected["comments"]
    assert got == expected
    check_invariants(thread)
    assert choose(page) is module


def check_invariants(thread: Thread) -> None:
    ids = {c.source_id: c for c in thread.comments}
    assert len(ids) == len(thread.comments), "comment ids are unique on a page"
    for c in thread.comments:
        parent = ids.get(c.parent_source_id or "")
        assert c.depth == (parent.depth + 1 if parent else 0)
        for markup in (c.html, thread.post.html):
            assert "<script" not in markup and "javascript:" not in markup and "onclick" not in markup
    assert "#" not in thread.post.url


def check_site(site: Path, platform: str, extractor: str, disable: tuple[str, ...] = ()) -> None:
    score = evaluate([site], disable=disable).platforms[platform]
    ratios = score.ratios()
    assert set(score.extractors) == {extractor}
    for name in ("comment_precision", "comment_recall", "parent_accuracy", "post_recall",
                 "post_field_accuracy", "comment_field_accuracy"):  # fmt: skip
        assert ratios[name] in (1.0, None), (name, ratios)
    assert score.posts_found == score.posts_expected > 0


def time_extractor(extract, page, count: int, rounds: int = 20) -> float:  # pragma: no cover
    """Median CPU milliseconds per call (CPU time: tests and crawls may share the machine)."""
    import statistics
    import time

    assert page.text  # decoded once, as in a crawl
    timings = []
    for _ in range(rounds):
        start = time.process_time()
        thread = extract(page)
        timings.append(time.process_time() - start)
    assert len(thread.comments) == count, (len(thread.comments), count)
    median = statistics.median(timings) * 1000
    print(f"{extract.__module__:30s} {count} comments, {len(page.body) / 1024:4.0f} KiB: {median:6.2f} ms")
    return median


# --- fixtures -------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_fixture(case: str) -> None:
    check_case(generic, "generic", case)


@pytest.mark.parametrize("site", SITES, ids=lambda p: p.name)
def test_fixture_site_scores_100_percent(site: Path) -> None:
    check_site(site, "generic", "generic@1")


def test_recent_comments_sidebar_is_never_read() -> None:
    _, page = load_case("generic", "recent-comments-sidebar")
    thread = generic.extract(page)
    assert thread is not None and thread.comments == ()


def test_records_carry_lower_confidence() -> None:
    _, page = load_case("generic", "nested-divs")
    thread = generic.extract(page)
    assert thread.confidence == generic.CONFIDENCE < 1
    assert all(c.source_id.startswith("h") and len(c.source_id) == 13 for c in thread.comments)


def test_hashed_ids_are_stable_across_captures() -> None:
    """A relative time ("2 hours ago") is not part of a hashed id: it changes every crawl."""
    _, page = load_case("generic", "nested-divs")
    later = make_page(page.url, page.body.replace(b"2 hours ago", b"3 hours ago"))
    assert [c.source_id for c in generic.extract(page).comments] == [
        c.source_id for c in generic.extract(later).comments
    ]


# --- the registry ----------------------------------------------------------------------


def test_generic_reads_only_what_no_platform_module_is_sure_of() -> None:
    wp = SEED_PAGES["http://127.0.0.1:8000/2016/02/aleppo-update/"]
    assert wordpress.detect(wp) >= CONFIDENT and choose(wp) is wordpress
    assert choose(wp, {"wordpress"}) is generic
    _, unknown = load_case("generic", "nested-divs")
    assert choose(unknown) is generic
    assert choose(unknown, {"generic"}) is None


def test_generic_on_the_seed_thread_finds_every_comment_and_parent() -> None:
    seed = HERE / "fixtures" / "seed-thread"
    score = evaluate([seed], disable={"wordpress"}).platforms["wordpress"]
    assert set(score.extractors) == {"generic@1"}
    assert score.comments_matched == score.comments_expected == 36
    assert score.ratios()["parent_accuracy"] == 1.0


def test_index_pages_are_not_threads() -> None:
    assert generic.extract(SEED_PAGES["http://127.0.0.1:8000/"]) is None
    _, page = load_case("generic", "index-page")
    assert generic.extract(page) is None


def test_not_html_empty_and_bare_pages() -> None:
    assert generic.extract(make_page("https://x.example/f.xml", b"<rss/>", "application/rss+xml")) is None
    assert generic.extract(make_page("https://x.example/", b"")) is None
    assert generic.extract(make_page("https://x.example/", b"<p>Hello</p>")) is None


def test_long_page_with_150_comments() -> None:
    page, count = long_thread_page()
    thread = generic.extract(page)
    assert len(thread.comments) == count == 150
    assert sum(c.depth == 0 for c in thread.comments) == 50
    check_invariants(thread)


if __name__ == "__main__":  # pragma: no cover
    page, count = long_thread_page()
    time_extractor(wordpress.extract, page, count)
    time_extractor(generic.extract, page, count)
