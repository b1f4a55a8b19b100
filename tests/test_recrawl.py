"""The adaptive re-crawl policy: pure back-off rules, and what it reads from an archive."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from archiver.recrawl import (
    ACTIVE,
    CLOSED,
    NEW,
    QUIET,
    Policy,
    Summary,
    describe_policy,
    due_posts,
    interval,
    plan_post,
    plan_site,
    skipped_for,
    skipped_posts,
    thread_pages,
)
from archiver.store import Store

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("quiet_days", "state", "wait_days"),
    [
        (0, ACTIVE, 0), (6.9, ACTIVE, 0),  # active: every run
        (7, QUIET, 1), (13, QUIET, 1), (14, QUIET, 2), (27, QUIET, 2), (28, QUIET, 4),
        (56, QUIET, 8), (112, QUIET, 16), (223, QUIET, 16), (224, QUIET, 30), (5000, QUIET, 30),
        (-3, ACTIVE, 0),  # a comment dated in the future (a clock or offset error) is recent
    ],
)  # fmt: skip
def test_quiet_threads_back_off_by_doubling_up_to_30_days(quiet_days, state, wait_days):
    assert interval(NOW - quiet_days * DAY, True, NOW) == (state, wait_days * DAY)


def test_closed_threads_wait_90_days_whatever_their_activity():
    assert interval(NOW - DAY, False, NOW) == (CLOSED, 90 * DAY)
    assert interval(None, False, NOW) == (CLOSED, 90 * DAY)


def test_unknown_open_state_counts_as_open_and_no_activity_as_long_quiet():
    assert interval(NOW - DAY, None, NOW) == (ACTIVE, timedelta(0))
    assert interval(None, None, NOW) == (QUIET, 30 * DAY)


def test_due_when_the_interval_has_passed_since_the_last_fetch_with_an_hours_slack():
    quiet = NOW - 20 * DAY  # every 2 days
    assert plan_post("u", quiet, True, NOW - 2 * DAY, NOW).due
    assert plan_post("u", quiet, True, NOW - 2 * DAY + timedelta(minutes=50), NOW).due  # slack
    later = plan_post("u", quiet, True, NOW - DAY, NOW)
    assert not later.due and later.next_due == NOW + DAY and later.state == QUIET
    assert plan_post("u", NOW - DAY, True, NOW - timedelta(minutes=5), NOW).due  # active
    never = plan_post("u", None, None, None, NOW)
    assert never.due and never.state == NEW


def test_a_policy_is_configurable():
    strict = Policy(active=timedelta(days=1), max_interval=timedelta(days=4), slack=timedelta(0))
    assert interval(NOW - 1.5 * DAY, True, NOW, strict) == (QUIET, DAY)
    assert interval(NOW - 2 * DAY, True, NOW, strict) == (QUIET, 2 * DAY)
    assert interval(NOW - 100 * DAY, True, NOW, strict) == (QUIET, 4 * DAY)


def archive(tmp_path):
    """Four posts of one site and one of another, with comments in several offsets."""
    store = Store(tmp_path / "archive.db")
    seen = (NOW - 3 * DAY).isoformat()

    def post(url: str, site: str, published: str, comments_open: int | None, last_seen: str = seen) -> int:
        return int(store.db["posts"].insert(
            {"url": url, "site": site, "published": published, "comments_open": comments_open,
             "first_seen": last_seen, "last_seen": last_seen},
        ).last_pk)  # fmt: skip

    def comments(post_id: int, *published: str | None) -> None:
        store.db["comments"].insert_all(
            {"post_id": post_id, "source_id": str(i), "published": p, "first_seen": seen}
            for i, p in enumerate(published)
        )

    # Active: a comment 2 days ago, written with a +13:00 offset (its UTC date is the day before).
    active = post("https://a.example/active/", "a.example", "2026-01-01T10:00:00+13:00", 1)
    comments(active, "2026-03-01T10:00:00+13:00", (NOW - 2 * DAY).astimezone().isoformat())
    # Quiet for 20 days: every 2 days, last fetched 3 days ago, so due.
    quiet = post("https://a.example/quiet/", "a.example", "2026-01-01T10:00:00Z", 1)
    comments(quiet, (NOW - 20 * DAY).isoformat())
    # Quiet for a year, fetched 3 days ago: waits 30 days.
    old = post("https://a.example/old/", "a.example", "2025-01-01T10:00:00Z", None)
    comments(old, "2025-05-01T10:00:00+02:00", None)  # an undated comment counts from first_seen
    # Closed, no comments, fetched 3 days ago: waits 90 days.
    post("https://a.example/closed/", "a.example", "2026-05-30T10:00:00Z", 0)
    post("https://b.example/other/", "b.example", "2026-05-30T10:00:00Z", 1)
    return store


def test_due_and_skipped_posts_read_the_archive(tmp_path):
    store = archive(tmp_path)
    # The undated comment of /old/ counts from its first_seen, 3 days ago: active.
    assert due_posts(store.db, "a.example", NOW) == {
        "https://a.example/active/", "https://a.example/quiet/", "https://a.example/old/"
    }  # fmt: skip
    store.db.execute("UPDATE comments SET first_seen = '2025-05-02T00:00:00+00:00' WHERE published IS NULL")
    assert skipped_posts(store.db, "a.example", NOW) == {"https://a.example/old/", "https://a.example/closed/"}
    plans = {p.url.split("/")[3]: p for p in plan_site(store.db, "a.example", NOW)}
    assert plans["active"].state == ACTIVE and plans["quiet"].state == QUIET
    assert plans["old"].next_due == NOW - 3 * DAY + 30 * DAY
    assert plans["closed"].state == CLOSED and plans["closed"].next_due == NOW - 3 * DAY + 90 * DAY
    summary = Summary.of(plans.values())
    assert summary.line().startswith("4 threads archived: 2 due now (1 active, 1 quiet), "
                                     "2 later (1 closed, 1 quiet), next ")  # fmt: skip
    assert skipped_posts(store.db, "b.example", NOW) == set()
    assert Summary.of([]).line() == "no threads archived yet"


def test_skipped_for_opens_read_only_and_never_skips_start_urls(tmp_path):
    store = archive(tmp_path)
    store.db.execute("UPDATE comments SET first_seen = '2025-05-02T00:00:00+00:00' WHERE published IS NULL")
    store.close()
    db = tmp_path / "archive.db"
    before = db.stat().st_mtime_ns
    starts = ["https://a.example/", "https://a.example/closed/"]
    assert skipped_for(db, starts, NOW) == {"https://a.example/old/"}
    assert db.stat().st_mtime_ns == before
    assert skipped_for(tmp_path / "none" / "archive.db", starts, NOW) == set()


def test_the_seed_site_crawled_in_2016_and_revisited(tmp_path, seed_server):
    """The real archive of a crawl: days after, the open threads are active; a year on, quiet."""
    from .conftest import crawl

    crawl(seed_server.url, tmp_path)
    store = Store(tmp_path / "archive.db")
    (last_seen,) = store.db.execute("select max(last_seen) from posts").fetchone()
    site = seed_server.url.split("/")[2]

    def by_url(now: datetime) -> dict:
        return {p.url.rsplit("/", 2)[-2]: p for p in plan_site(store.db, site, now)}

    feb_2016 = datetime(2016, 2, 18, tzinfo=UTC)
    # As if fetched on 16 Feb 2016 and run two days later: the threads are active.
    store.db.execute("UPDATE posts SET last_seen = '2016-02-16T00:00:00+00:00'")
    plans = by_url(feb_2016)
    assert plans["aleppo-update"].state == ACTIVE and plans["aleppo-update"].due
    assert plans["no-more-guernicas-no-more-aleppos"].state == ACTIVE
    assert plans["why-this-blog"].state == CLOSED and not plans["why-this-blog"].due
    store.db.execute("UPDATE posts SET last_seen = ?", [last_seen])
    now = datetime.fromisoformat(last_seen) + timedelta(hours=6)
    assert due_posts(store.db, site, now) == set()  # everything quiet for years, fetched today
    assert json.dumps(sorted(p.state for p in by_url(now).values())) == '["closed", "quiet", "quiet"]'
    store.close()

    # What a run may leave alone: the three posts and the big thread's comment pages, never
    # the start URL, the index, the feed or the sitemaps.
    thread = seed_server.url + "2016/02/no-more-guernicas-no-more-aleppos/"
    skipped = skipped_for(tmp_path / "archive.db", [seed_server.url], now)
    assert skipped == {
        seed_server.url + "2016/02/aleppo-update/", seed_server.url + "2016/01/why-this-blog/",
        thread, *(f"{thread}comment-page-{n}/" for n in (1, 2, 3)),
    }  # fmt: skip
    assert thread not in skipped_for(tmp_path / "archive.db", [thread], now)


def test_a_page_shared_by_several_threads_is_never_skipped(tmp_path):
    store = archive(tmp_path)
    capture = {"url": "", "status": 200, "fetched_at": "", "content_type": "text/html", "warc_file": "f",
               "warc_offset": 0, "warc_length": 1, "payload_digest": None}  # fmt: skip
    for n, url in enumerate(["https://a.example/comments/feed/", "https://a.example/closed/comment-page-2/"]):
        store.db["captures"].insert({**capture, "url": url, "warc_record_id": f"<urn:{n}>"})
    # Comments of /old/ and /closed/ read from the site-wide feed; /closed/ also has its own page.
    store.db.execute("UPDATE comments SET capture_id = 1 WHERE post_id = 3")
    closed = store.db.execute("SELECT id FROM posts WHERE url LIKE '%closed/'").fetchone()[0]
    store.db["comments"].insert_all([
        {"post_id": closed, "source_id": "a", "published": "2020-01-01T00:00:00Z", "capture_id": 1},
        {"post_id": closed, "source_id": "b", "published": "2020-01-01T00:00:00Z", "capture_id": 2},
    ])  # fmt: skip
    posts = {"https://a.example/old/", "https://a.example/closed/"}
    assert thread_pages(store.db, "a.example", posts) == {"https://a.example/closed/comment-page-2/"}


def test_describe_policy_states_the_numbers():
    text = describe_policy()
    for phrase in ("every run", "1 day after 1 week", "2 days after 2 weeks",
                   "30 days after 32 weeks", "every 90 days", "--all-threads"):  # fmt: skip
        assert phrase in text
    assert all(len(line) <= 100 for line in text.splitlines())
