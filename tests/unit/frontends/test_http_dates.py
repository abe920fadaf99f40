"""HTTP dates are the text ``email.utils`` writes for the same time, for any time zone."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

import pytest

from weighthouse.frontends.http_dates import http_date

pytestmark = pytest.mark.unit


def test_http_dates_match_the_standard_librarys_over_many_times() -> None:
    rng = random.Random(9110)
    start = datetime(1970, 1, 1, tzinfo=UTC)
    for _ in range(5000):
        at = start + timedelta(
            seconds=rng.randrange(0, 200 * 365 * 86400), microseconds=rng.randrange(10**6)
        )
        zone = timezone(timedelta(minutes=rng.randrange(-14 * 60, 14 * 60 + 1)))
        expected = format_datetime(at, usegmt=True)
        assert http_date(at) == expected
        assert http_date(at.astimezone(zone)) == expected
        assert parsedate_to_datetime(http_date(at)) == at.replace(microsecond=0)


def test_a_naive_time_is_utc() -> None:
    assert http_date(datetime(1994, 11, 6, 8, 49, 37)) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert http_date(datetime(2026, 12, 5, 23, 59, 59, 999999, tzinfo=UTC)) == (
        "Sat, 05 Dec 2026 23:59:59 GMT"
    )
