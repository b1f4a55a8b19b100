"""Dates as blogs write them: one table of inputs and the ISO 8601 they must give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from archiver.extract.dates import is_iso, parse_date, resolve_date

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # the capture time
Z = "+00:00"  # what a time without an offset gets

TABLE = [
    # ISO 8601 (kept with its own offset; none given: UTC)
    ("2016-02-10T07:07:13+13:00", "2016-02-10T07:07:13+13:00"),
    ("2016-02-10T07:07:00.123-08:00", "2016-02-10T07:07:00.123-08:00"),
    ("2016-02-10T07:07:00Z", "2016-02-10T07:07:00" + Z),
    ("2020-01-20T09:12:55", "2020-01-20T09:12:55" + Z),  # Disqus createdAt
    ("2016-02-10", "2016-02-10T00:00:00" + Z),
    ("20160210T070700Z", "2016-02-10T07:07:00" + Z),
    # Blogger's human dates
    ("10 February 2016 at 07:07", "2016-02-10T07:07:00" + Z),
    ("February 10, 2016 at 7:07 AM", "2016-02-10T07:07:00" + Z),
    ("February 10, 2016 at 7:07 PM", "2016-02-10T19:07:00" + Z),
    ("February 10, 2016 at 12:30 AM", "2016-02-10T00:30:00" + Z),
    ("10/02/2016 07:07", "2016-02-10T07:07:00" + Z),  # 24-hour clock: day first
    ("2/10/2016 7:07 PM", "2016-02-10T19:07:00" + Z),  # AM/PM: month first (US)
    ("30/12/14 2:07 a. m.", "2014-12-30T02:07:00" + Z),
    ("10.02.2016 07:07", "2016-02-10T07:07:00" + Z),
    ("Wednesday, February 10, 2016", "2016-02-10T00:00:00" + Z),
    ("Wed, 10 Feb 2016 07:07:30", "2016-02-10T07:07:30" + Z),
    ("Feb 10 '16", "2016-02-10T00:00:00" + Z),
    ("7:07 AM PST, February 10, 2016", "2016-02-10T07:07:00-08:00"),
    ("10 February 2016 07:07 GMT+1", "2016-02-10T07:07:00+01:00"),
    ("10 February 2016 07:07 +0530", "2016-02-10T07:07:00+05:30"),
    ("10 February 2016 07:07 UTC", "2016-02-10T07:07:00" + Z),
    # other languages
    ("10. Februar 2016", "2016-02-10T00:00:00" + Z),
    ("Mittwoch, 10. Februar 2016 um 07:07 Uhr", "2016-02-10T07:07:00" + Z),
    ("10. März 2016", "2016-03-10T00:00:00" + Z),
    ("10 février 2016 à 07:07", "2016-02-10T07:07:00" + Z),
    ("mer. 10 févr. 2016", "2016-02-10T00:00:00" + Z),
    ("mar. 10 févr. 2016 19h07", "2016-02-10T19:07:00" + Z),  # "mar." is mardi, not March
    ("1er août 2016", "2016-08-01T00:00:00" + Z),
    ("10 de febrero de 2016", "2016-02-10T00:00:00" + Z),
    ("miércoles, 10 de febrero de 2016, 7:07 p. m.", "2016-02-10T19:07:00" + Z),
    ("10 febbraio 2016 alle 07:07", "2016-02-10T07:07:00" + Z),
    ("10 februari 2016 om 07:07", "2016-02-10T07:07:00" + Z),
    ("10 mrt 2016", "2016-03-10T00:00:00" + Z),
    ("10 de fevereiro de 2016 às 07:07", "2016-02-10T07:07:00" + Z),
    ("quarta-feira, 10 de março de 2016", "2016-03-10T00:00:00" + Z),
    # relative to the capture time
    ("just now", "2026-11-24T12:00:00" + Z),
    ("a moment ago", "2026-11-24T12:00:00" + Z),
    ("3 days ago", "2026-11-21T12:00:00" + Z),
    ("an hour ago", "2026-11-24T11:00:00" + Z),
    ("about 5 hours ago", "2026-11-24T07:00:00" + Z),
    ("5h ago", "2026-11-24T07:00:00" + Z),
    ("2 weeks ago", "2026-11-10T12:00:00" + Z),
    ("3 months ago", "2026-08-24T12:00:00" + Z),
    ("a year ago", "2025-11-24T12:00:00" + Z),
    ("yesterday", "2026-11-23T12:00:00" + Z),
    ("yesterday at 7:07 PM", "2026-11-23T19:07:00" + Z),
    ("today, 08:15", "2026-11-24T08:15:00" + Z),
    ("vor 3 Tagen", "2026-11-21T12:00:00" + Z),
    ("gestern um 19:07", "2026-11-23T19:07:00" + Z),
    ("il y a 2 heures", "2026-11-24T10:00:00" + Z),
    ("il y a un an", "2025-11-24T12:00:00" + Z),
    ("hier à 19h07", "2026-11-23T19:07:00" + Z),
    ("hace 5 minutos", "2026-11-24T11:55:00" + Z),
    ("ayer", "2026-11-23T12:00:00" + Z),
    ("3 giorni fa", "2026-11-21T12:00:00" + Z),
    ("2 dagen geleden", "2026-11-22T12:00:00" + Z),
    ("há 3 dias", "2026-11-21T12:00:00" + Z),
    # without a year: the capture's year, or the year before for a date still to come
    ("10 February", "2026-02-10T00:00:00" + Z),
    ("December 24", "2025-12-24T00:00:00" + Z),
    # not dates
    ("Reply", None),
    ("March 2016", None),
    ("February 30, 2016", None),
    ("", None),
    ("12 comments", None),
]


@pytest.mark.parametrize(("text", "expected"), TABLE, ids=[t or "empty" for t, _ in TABLE])
def test_parse_date(text: str, expected: str | None) -> None:
    assert parse_date(text, NOW) == expected


def test_a_zone_for_times_without_offset() -> None:
    auckland = timezone(timedelta(hours=13))
    assert parse_date("February 10, 2016 at 9:41 PM", NOW, tz=auckland) == "2016-02-10T21:41:00+13:00"
    assert parse_date("2016-02-10T21:41:00", NOW, tz=auckland) == "2016-02-10T21:41:00+13:00"
    assert parse_date("7:07 AM PST, February 10, 2016", NOW, tz=auckland) == "2016-02-10T07:07:00-08:00"
    # "yesterday" is the day before the capture in the blog's zone (already the 25th there)
    assert parse_date("yesterday at 9:00 AM", NOW, tz=auckland) == "2026-11-24T09:00:00+13:00"


def test_dayfirst_settles_ambiguous_slashes() -> None:
    assert parse_date("02/10/2016 07:07", NOW, dayfirst=False) == "2016-02-10T07:07:00+00:00"
    assert parse_date("10/02/2016 7:07 PM", NOW, dayfirst=True) == "2016-02-10T19:07:00+00:00"
    assert parse_date("13/02/2016 7:07 PM", NOW) == "2016-02-13T19:07:00+00:00"  # 13 is no month


def test_resolve_date_keeps_the_words() -> None:
    assert resolve_date("3 days ago", "2026-11-24T12:00:00+00:00") == ("2026-11-21T12:00:00+00:00", "3 days ago")
    assert resolve_date("2016-02-10T07:07:13+13:00", "") == ("2016-02-10T07:07:13+13:00", None)
    assert resolve_date("  sometime  in autumn ", NOW) == (None, "sometime in autumn")
    assert resolve_date(None, NOW) == (None, None)
    assert resolve_date("3 days ago", None) == (None, "3 days ago")  # no capture time: unread
    assert resolve_date("10 February 2016", "not a time") == ("2016-02-10T00:00:00+00:00", "10 February 2016")


def test_is_iso() -> None:
    assert is_iso("2016-02-10T07:07:13+13:00") and is_iso("2016-02-10") and is_iso("2020-01-20T09:12:55")
    assert not is_iso("10/02/2016") and not is_iso("February 10, 2016") and not is_iso("")


def test_naive_reference_is_taken_as_utc() -> None:
    assert parse_date("3 days ago", datetime(2026, 11, 24, 12, 0)) == "2026-11-21T12:00:00+00:00"
