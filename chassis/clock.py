"""Time, the one way every service reads it (docs/ARCHITECTURE.md#rule-6):
stored and exchanged in UTC, shown in the store's time zone."""
from __future__ import annotations

from datetime import date, datetime, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def instant(value: str | datetime | None) -> datetime | None:
    """An ISO 8601 text (``Z`` allowed) or a datetime as an aware UTC
    datetime; a naive one is taken as UTC; None or ``""`` stays None."""
    if value is None or value == "":
        return None
    parsed = value if isinstance(value, datetime) else \
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def day(value: str | date | datetime | None) -> date | None:
    """A date from ``YYYY-MM-DD`` (or the date part of a longer ISO text)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def zone(name: str | None) -> tzinfo:
    """The time zone called ``name``; UTC when it is missing or unknown."""
    if not name:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def local_day(at: datetime, zone_name: str | None) -> date:
    """The business day ``at`` falls on in the time zone ``zone_name``."""
    return at.astimezone(zone(zone_name)).date()
