"""Quiet hours in the store's time zone: the window, its minutes, 23:xx and
the wrap past midnight, worked by hand."""
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from services.notifications.quiet_hours import deferred_until, is_quiet, parse, zone

UTC = timezone.utc
PARIS = ZoneInfo("Europe/Paris")
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize("spec, window", [
    ("21:00-09:00", (time(21, 0), time(9, 0))),
    (" 21:30 - 7:05 ", (time(21, 30), time(7, 5))),
    ("22:30-07:45", (time(22, 30), time(7, 45))),
    ("23:59-00:00", (time(23, 59), time(0, 0))),
    ("00:00-23:59", (time(0, 0), time(23, 59))),
    ("23:00-23:59", (time(23, 0), time(23, 59))),
    ("13:00-14:30", (time(13, 0), time(14, 30))),
    ("9:00-9:00", None),             # empty window: none
    ("21:15-21:15", None),
    (None, None), ("", None), ("  ", None), ("off", None), (" OFF ", None), ("None", None),
])
def test_parse(spec, window):
    assert parse(spec) == window


@pytest.mark.parametrize("spec", ["24:00-09:00", "21:00-24:00", "21:60-09:00", "21:00-09:60",
                                  "99:99-00:00"])
def test_parse_refuses_an_impossible_time(spec):
    with pytest.raises(ValueError) as refused:
        parse(spec)
    assert str(refused.value) == f"QUIET_HOURS has an impossible time: {spec!r}"


@pytest.mark.parametrize("spec", ["21-09", "21:00", "21:00-09:00-10:00", "9pm-9am", "21:0-09:00",
                                  "121:00-09:00", "x21:00-09:00"])
def test_parse_refuses_another_shape(spec):
    with pytest.raises(ValueError) as refused:
        parse(spec)
    assert str(refused.value) == f"QUIET_HOURS must look like 21:00-09:00, not {spec!r}"


def test_zone():
    assert zone("Europe/Paris") == PARIS
    assert zone("Nowhere/Land") == ZoneInfo("UTC")
    assert zone(None, "Asia/Tokyo") == TOKYO
    assert zone("", "Asia/Tokyo") == TOKYO
    assert zone("Nowhere/Land", "Asia/Tokyo") == TOKYO
    assert zone("Nowhere/Land", "Nowhere/Else") == ZoneInfo("UTC")
    assert zone(None, None) == ZoneInfo("UTC")
    assert zone(None) == ZoneInfo("UTC")
    assert zone("../etc/passwd", None) == ZoneInfo("UTC")


NIGHT = (time(21, 0), time(9, 0))
LUNCH = (time(13, 0), time(14, 30))


@pytest.mark.parametrize("window, at, quiet", [
    (NIGHT, time(20, 59), False), (NIGHT, time(21, 0), True), (NIGHT, time(23, 30), True),
    (NIGHT, time(23, 59), True), (NIGHT, time(0, 0), True), (NIGHT, time(8, 59), True),
    (NIGHT, time(9, 0), False), (NIGHT, time(12, 0), False),
    (LUNCH, time(12, 59), False), (LUNCH, time(13, 0), True), (LUNCH, time(14, 29), True),
    (LUNCH, time(14, 30), False), (LUNCH, time(23, 0), False), (LUNCH, time(0, 0), False),
])
def test_is_quiet(window, at, quiet):
    assert is_quiet(at, window) is quiet


def when(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("now, tz, window, until", [
    # Paris is UTC+1 in March before the 29th
    (when(2026, 3, 10, 12, 0), PARIS, NIGHT, None),                        # 13:00: sends now
    (when(2026, 3, 10, 19, 59), PARIS, NIGHT, None),                       # 20:59
    (when(2026, 3, 10, 20, 0), PARIS, NIGHT, when(2026, 3, 11, 8, 0)),     # 21:00 -> 09:00
    (when(2026, 3, 10, 21, 30), PARIS, NIGHT, when(2026, 3, 11, 8, 0)),    # 22:30
    (when(2026, 3, 10, 22, 45), PARIS, NIGHT, when(2026, 3, 11, 8, 0)),    # 23:45
    (when(2026, 3, 10, 23, 0), PARIS, NIGHT, when(2026, 3, 11, 8, 0)),     # 00:00 the next day
    (when(2026, 3, 11, 5, 0), PARIS, NIGHT, when(2026, 3, 11, 8, 0)),      # 06:00 -> same day
    (when(2026, 3, 11, 7, 59), PARIS, NIGHT, when(2026, 3, 11, 8, 0)),     # 08:59
    (when(2026, 3, 11, 8, 0), PARIS, NIGHT, None),                         # 09:00: open
    # the window's minutes count
    (when(2026, 3, 10, 23, 10), UTC, (time(22, 30), time(7, 45)), when(2026, 3, 11, 7, 45)),
    (when(2026, 3, 10, 22, 29), UTC, (time(22, 30), time(7, 45)), None),
    (when(2026, 3, 11, 7, 44), UTC, (time(22, 30), time(7, 45)), when(2026, 3, 11, 7, 45)),
    (when(2026, 3, 11, 7, 45), UTC, (time(22, 30), time(7, 45)), None),
    # 23:50 in Tokyo is 14:50 UTC: until 08:30 Tokyo the next morning
    (when(2026, 3, 10, 14, 50), TOKYO, (time(21, 0), time(8, 30)), when(2026, 3, 10, 23, 30)),
    # a window inside one day
    (when(2026, 3, 10, 13, 15), UTC, LUNCH, when(2026, 3, 10, 14, 30)),
    (when(2026, 3, 10, 23, 15), UTC, (time(23, 0), time(23, 59)), when(2026, 3, 10, 23, 59)),
    # a New Year's Eve text waits for the new year
    (when(2026, 12, 31, 23, 30), UTC, NIGHT, when(2027, 1, 1, 9, 0)),
    (when(2026, 3, 10, 23, 30), PARIS, None, None),                        # no window
])
def test_deferred_until(now, tz, window, until):
    got = deferred_until(now, tz, window)
    assert got == until
    if until is not None:
        assert got.tzinfo is UTC


def test_deferred_until_a_wall_time_skipped_by_dst_moves_forward():
    # Paris jumps from 02:00 to 03:00 on 29 March 2026: an end at 02:30 is 03:30 CEST
    window = (time(22, 0), time(2, 30))
    got = deferred_until(when(2026, 3, 28, 23, 0), PARIS, window)      # 00:00 CET
    assert got == when(2026, 3, 29, 1, 30)
    assert got.astimezone(PARIS).time() == time(3, 30)


def test_deferred_until_the_day_after_a_dst_change():
    # 23:30 CEST on 29 March (21:30 UTC): the end 09:00 CEST on 30 March is 07:00 UTC
    assert deferred_until(when(2026, 3, 29, 21, 30), PARIS, NIGHT) == when(2026, 3, 30, 7, 0)
    assert deferred_until(when(2026, 3, 29, 21, 30), PARIS, NIGHT).date() == date(2026, 3, 30)
