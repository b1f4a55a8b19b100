"""Adaptive re-crawl: which archived threads a scheduled run fetches again.

Index pages, feeds and sitemaps are fetched on every run, so new posts are always
found; this module decides only about posts already in the archive. A thread's
*last activity* is its newest comment's `published` time (a comment without a
readable date counts from its `first_seen`), or the post's own date when it has
no comments. The back-off, with the default `Policy()`:

- active (last activity in the last 7 days): fetched on every run;
- quiet: every 1 day after 1 week of silence, 2 days after 2 weeks, 4 days after
  4 weeks, 8 after 8, 16 after 16, and every 30 days after 32 weeks or more;
- closed ("Comments are closed", `posts.comments_open = 0`): every 90 days;
- never fetched, or its last fetch unknown: due.

A thread is due when its interval has passed since `posts.last_seen` (with an
hour's slack, so a daily thread on a 6-hourly job is not pushed back a whole run
by a few minutes' drift). A thread left alone is left whole: `skipped_for()` adds
the pages it was read from (its comment pages), which index pages and feeds also
link to. Everything here reads the archive and writes nothing.

The spider applies it when ARCHIVER_ADAPTIVE_RECRAWL is on (scheduled runs set it):

    self.seen |= skipped_for(Config.from_settings(self.settings).db_path, self.start_urls)
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

ACTIVE, QUIET, CLOSED, NEW = "active", "quiet", "closed", "new"
_UNIX_EPOCH_JULIAN = 2440587.5

# Per post of a site: its state as the policy needs it. Times go through julianday()
# so offsets are compared correctly ("+13:00" against UTC); unreadable dates are NULL.
_POSTS = """
SELECT url, comments_open, last_seen,
       coalesce(
           (SELECT max(coalesce(julianday(c.published), julianday(c.first_seen)))
            FROM comments c WHERE c.post_id = posts.id),
           julianday(published), julianday(first_seen)
       ) AS activity
FROM posts WHERE site = ?
"""
# The pages each post's thread was read from (its comment pages, a per-thread comment feed).
_THREAD_PAGES = """
SELECT captures.url, posts.url FROM post_reads
JOIN captures ON captures.id = post_reads.capture_id
JOIN posts ON posts.id = post_reads.post_id
WHERE posts.site = :site
UNION
SELECT captures.url, posts.url FROM comments
JOIN captures ON captures.id = comments.capture_id
JOIN posts ON posts.id = comments.post_id
WHERE posts.site = :site
"""


class Queryable(Protocol):  # sqlite3.Connection and sqlite_utils.Database alike
    def execute(self, sql: str, parameters: Any = ...) -> Any: ...


@dataclass(frozen=True, slots=True)
class Policy:
    """The back-off's parameters (documented in the module docstring)."""

    active: timedelta = timedelta(days=7)
    first_interval: timedelta = timedelta(days=1)
    max_interval: timedelta = timedelta(days=30)
    closed_interval: timedelta = timedelta(days=90)
    slack: timedelta = timedelta(hours=1)


DEFAULT = Policy()


@dataclass(frozen=True, slots=True)
class PostPlan:
    """What the policy says about one archived post at one moment."""

    url: str
    state: str  # active, quiet, closed, new
    interval: timedelta  # zero: every run
    last_seen: datetime | None
    next_due: datetime | None  # None: due now

    @property
    def due(self) -> bool:
        return self.next_due is None


def interval(
    last_activity: datetime | None,
    comments_open: bool | None,
    now: datetime,
    policy: Policy = DEFAULT,
) -> tuple[str, timedelta]:
    """A thread's state and how long to wait between fetches (zero: every run)."""
    if comments_open is not None and not comments_open:
        return CLOSED, policy.closed_interval
    if last_activity is None:
        return QUIET, policy.max_interval
    quiet_for = now - last_activity
    if quiet_for < policy.active:
        return ACTIVE, timedelta(0)
    # 1-2 weeks quiet: 1 day; 2-4 weeks: 2 days; ... doubling, capped.
    doublings = int(math.log2(quiet_for / policy.active))
    wait = policy.first_interval * (2 ** min(doublings, 16))
    return QUIET, min(wait, policy.max_interval)


def plan_post(
    url: str,
    last_activity: datetime | None,
    comments_open: bool | None,
    last_seen: datetime | None,
    now: datetime,
    policy: Policy = DEFAULT,
) -> PostPlan:
    """Whether one thread is due now and, if not, when it will be."""
    if last_seen is None:
        return PostPlan(url, NEW, timedelta(0), None, None)
    state, wait = interval(last_activity, comments_open, now, policy)
    next_due = last_seen + wait
    due = next_due <= now + policy.slack
    return PostPlan(url, state, wait, last_seen, None if due else next_due)


def plan_site(db: Queryable, site: str, now: datetime, policy: Policy = DEFAULT) -> list[PostPlan]:
    """The policy applied to every archived post of `site` (host[:port], as `posts.site`)."""
    plans = []
    for url, comments_open, last_seen, activity in db.execute(_POSTS, [site.lower()]).fetchall():
        plans.append(
            plan_post(
                url,
                _from_julian(activity),
                None if comments_open is None else bool(comments_open),
                _parse(last_seen),
                now,
                policy,
            )
        )
    return plans


def due_posts(db: Queryable, site: str, now: datetime, policy: Policy = DEFAULT) -> set[str]:
    """Archived post URLs of `site` to fetch again on a run at `now`."""
    return {p.url for p in plan_site(db, site, now, policy) if p.due}


def skipped_posts(db: Queryable, site: str, now: datetime, policy: Policy = DEFAULT) -> set[str]:
    """Archived post URLs of `site` a run at `now` leaves alone: not due yet."""
    return {p.url for p in plan_site(db, site, now, policy) if not p.due}


def thread_pages(db: Queryable, site: str, post_urls: set[str]) -> set[str]:
    """The other pages the threads of `post_urls` were read from: their comment pages.

    A page holding comments of several posts (a site-wide comments feed) belongs to no
    one thread and is never included.
    """
    owners: dict[str, set[str]] = {}
    for page, post in db.execute(_THREAD_PAGES, {"site": site.lower()}).fetchall():
        owners.setdefault(page, set()).add(post)
    return {page for page, posts in owners.items() if len(posts) == 1 and posts <= post_urls}


def skipped_for(
    db_path: Path | str, start_urls: Iterable[str], now: datetime | None = None,
    policy: Policy = DEFAULT,
) -> set[str]:  # fmt: skip
    """URLs a crawl of `start_urls` may leave alone: the posts that are not due and their
    comment pages. None if there is no archive yet; start URLs are never skipped.

    Opens the archive read-only. The spider adds these to the URLs it has seen.
    """
    path = Path(db_path)
    if not path.exists():
        return set()
    starts = list(start_urls)
    now = now or datetime.now(UTC)
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        skipped: set[str] = set()
        for site in {urlsplit(u).netloc.lower() for u in starts}:
            posts = skipped_posts(db, site, now, policy)
            skipped |= posts | thread_pages(db, site, posts)
    except sqlite3.OperationalError:  # an archive older than the posts table
        return set()
    finally:
        db.close()
    return skipped - set(starts)


@dataclass(frozen=True, slots=True)
class Summary:
    """How many threads a run would fetch now, and how many wait, by state."""

    due: Counter[str]
    later: Counter[str]
    next_due: datetime | None

    @classmethod
    def of(cls, plans: Iterable[PostPlan]) -> Summary:
        due: Counter[str] = Counter()
        later: Counter[str] = Counter()
        next_due = None
        for plan in plans:
            if plan.next_due is None:
                due[plan.state] += 1
            else:
                later[plan.state] += 1
                next_due = plan.next_due if next_due is None else min(next_due, plan.next_due)
        return cls(due, later, next_due)

    def line(self) -> str:
        """e.g. '3 threads archived: 1 due now (1 active), 2 later (1 closed, 1 quiet), next ...'"""

        def part(counts: Counter[str], when: str) -> str:
            kinds = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
            return f"{sum(counts.values())} {when}" + (f" ({kinds})" if kinds else "")

        total = sum(self.due.values()) + sum(self.later.values())
        if not total:
            return "no threads archived yet"
        text = f"{total} threads archived: {part(self.due, 'due now')}, {part(self.later, 'later')}"
        if self.next_due is not None:
            text += f", next {self.next_due.astimezone().strftime('%Y-%m-%d %H:%M')}"
        return text


def describe_policy(policy: Policy = DEFAULT) -> str:
    """The back-off in words, as `archiver schedule list` prints it."""
    steps, quiet, wait = [], policy.active, policy.first_interval
    while wait < policy.max_interval:
        steps.append(f"{_days(wait)} after {_weeks(quiet)}")
        quiet, wait = quiet * 2, wait * 2
    steps.append(f"{_days(policy.max_interval)} after {_weeks(quiet)} of silence")
    lines = ["  quiet:   every " + steps[0]]
    for step in steps[1:]:  # wrap between steps, never inside one
        if len(lines[-1]) + len(step) + 2 > 92:
            lines[-1] += ","
            lines.append(" " * 11 + step)
        else:
            lines[-1] += ", " + step
    quiet_line = "\n".join(lines)
    return (
        "Re-crawl policy: every run fetches index pages, feeds and sitemaps, so new posts are\n"
        "always found; archived threads are fetched again by their last comment:\n"
        f"  active:  every run (a comment within {_weeks(policy.active)})\n"
        f"{quiet_line}\n"
        f"  closed:  every {_days(policy.closed_interval)} (\"Comments are closed\")\n"
        "  new:     on the next run (never fetched)\n"
        "Jobs added with --all-threads fetch every thread on every run."
    )


def _days(delta: timedelta) -> str:
    days = delta / timedelta(days=1)
    if days < 1:
        return f"{delta / timedelta(hours=1):g} h"
    return f"{days:g} day" + "s" * (days != 1)


def _weeks(delta: timedelta) -> str:
    weeks = delta / timedelta(weeks=1)
    return f"{weeks:g} week" + ("s" * (weeks != 1)) if weeks == int(weeks) else _days(delta)


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _from_julian(day: float | None) -> datetime | None:
    if day is None:
        return None
    return datetime.fromtimestamp((day - _UNIX_EPOCH_JULIAN) * 86400, UTC)
