"""chassis.clock: aware UTC instants, days, zones."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chassis.clock import day, instant, local_day, now, zone

UTC = timezone.utc


def test_now_is_aware_utc_and_current():
    before = datetime.now(UTC)
    current = now()
    after = datetime.now(UTC)
    assert current.tzinfo is UTC
    assert before <= current <= after


@pytest.mark.parametrize("text, expected", [
    ("2026-03-01T10:00:00Z", datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
    ("2026-03-01T10:00:00+00:00", datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
    ("2026-03-01T10:00:00+02:00", datetime(2026, 3, 1, 8, 0, tzinfo=UTC)),
    ("2026-03-01T01:30:00+05:30", datetime(2026, 2, 28, 20, 0, tzinfo=UTC)),
    ("2026-03-01T10:00:00", datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),   # naive: UTC
    ("2026-03-01", datetime(2026, 3, 1, 0, 0, tzinfo=UTC)),
])
def test_instant_from_text(text, expected):
    got = instant(text)
    assert got == expected
    assert got.tzinfo is UTC
    assert (got.hour, got.minute, got.day) == (expected.hour, expected.minute, expected.day)


def test_instant_from_datetime_and_nothing():
    assert instant(None) is None
    assert instant("") is None
    paris = datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))
    got = instant(paris)
    assert got.tzinfo is UTC and got.hour == 10
    naive = instant(datetime(2026, 7, 1, 12, 0))
    assert naive.tzinfo is UTC and naive.hour == 12
    with pytest.raises(ValueError):
        instant("not a time")


def test_day():
    assert day(None) is None
    assert day("") is None
    assert day("2026-03-01") == date(2026, 3, 1)
    assert day("2026-03-01T23:59:59Z") == date(2026, 3, 1)
    got = day(datetime(2026, 3, 1, 23, 59, tzinfo=UTC))
    assert got == date(2026, 3, 1) and type(got) is date
    same = date(2026, 2, 28)
    assert day(same) is same
    with pytest.raises(ValueError):
        day("2026-3-1")


def test_zone():
    assert zone(None) is UTC
    assert zone("") is UTC
    assert zone("Nowhere/Land") is UTC
    assert zone("../../etc/passwd") is UTC
    assert zone("Europe/Paris") == ZoneInfo("Europe/Paris")
    assert zone("Asia/Tokyo").utcoffset(datetime(2026, 1, 1)) == timedelta(hours=9)


def test_local_day_is_the_business_day_of_the_store():
    at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert local_day(at, "Asia/Tokyo") == date(2026, 3, 2)
    assert local_day(at, "America/New_York") == date(2026, 3, 1)
    assert local_day(at, None) == date(2026, 3, 1)
    assert local_day(datetime(2026, 3, 2, 0, 30, tzinfo=UTC), "America/New_York") == date(2026, 3, 1)
