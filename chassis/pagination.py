"""Opaque list cursors: the base64 of the last row's sort key (a JSON list).

Every list answers ``{"items": [...], "next_cursor": "..." | null}``; a cursor
that this API did not give out is a 422 on ``cursor``, never a 500.
"""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, Callable, Iterable, Sequence, TypeVar

from .errors import InvalidInput

_SCALARS = (str, int, float, type(None))

Row = TypeVar("Row")


def encode_cursor(values: Iterable[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: object, width: int | None = None) -> list[Any]:
    """The sort key a cursor carries; ``width`` is how many values it must hold."""
    try:
        raw = base64.urlsafe_b64decode(str(cursor) + "=" * (-len(str(cursor)) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if (not isinstance(values, list) or (width is not None and len(values) != width)
            or not all(isinstance(v, _SCALARS) and not isinstance(v, bool) for v in values)):
        raise InvalidInput("not a valid cursor", {"cursor": ["not a cursor this API gave out"]})
    return values


def decode_time_cursor(cursor: object) -> tuple[datetime, str]:
    """``(timestamp, id)`` of a cursor that lists newest first by a time column.

    The timestamp comes back as an aware ``datetime``: compared as text it
    would sort '2026-11-23T09:..' against a timestamptz by the database's
    text cast and skip or repeat rows.
    """
    at, row_id = decode_cursor(cursor, 2)
    try:
        parsed = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or row_id is None:
        raise InvalidInput("not a valid cursor", {"cursor": ["not a cursor this API gave out"]})
    return parsed, str(row_id)


def page(rows: Sequence[Row], limit: int, key: Callable[[Row], Iterable[Any]],
         view: Callable[[Row], Any]) -> dict[str, Any]:
    """``{items, next_cursor}`` from ``limit + 1`` rows fetched in keyset order."""
    items = rows[:limit]
    return {
        "items": [view(r) for r in items],
        "next_cursor": encode_cursor(key(items[-1])) if len(rows) > limit else None,
    }
