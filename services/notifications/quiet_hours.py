"""Quiet hours: no non-urgent text to a client at night in the store's time
zone (times are shown in the store's zone, docs/ARCHITECTURE.md#rule-6).
Pure functions over aware datetimes."""
import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_SPEC = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse(spec):
    """``"21:00-09:00"`` -> ``(time(21), time(9))``; ``""``/``"off"`` -> None."""
    if spec is None or str(spec).strip().lower() in ("", "off", "none"):
        return None
    match = _SPEC.match(str(spec))
    if not match:
        raise ValueError(f"QUIET_HOURS must look like 21:00-09:00, not {spec!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"QUIET_HOURS has an impossible time: {spec!r}")
    start, end = time(h1, m1), time(h2, m2)
    return None if start == end else (start, end)


def zone(name, default="UTC"):
    for candidate in (name, default, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return timezone.utc


def is_quiet(local_time, window):
    start, end = window
    if start < end:
        return start <= local_time < end
    return local_time >= start or local_time < end


def _localize(day, at, tz):
    """``day`` at wall-clock ``at`` in ``tz``; a time skipped by a DST jump
    moves forward by the jump."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz)
    # Round-trip through UTC: a non-existent wall time comes back shifted.
    return aware.astimezone(timezone.utc)


def deferred_until(now, tz, window):
    """When a non-urgent text due at ``now`` (aware) may go, in UTC: None when
    it may go now, else the end of the quiet window in ``tz``."""
    if window is None:
        return None
    local = now.astimezone(tz)
    if not is_quiet(local.time().replace(tzinfo=None), window):
        return None
    end = window[1]
    day = local.date()
    if local.time().replace(tzinfo=None) >= end:
        day = day + timedelta(days=1)
    return _localize(day, end, tz)
