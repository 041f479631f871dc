"""Opaque list cursors: the base64 of the last row's sort key (a JSON list).

Every list answers ``{"items": [...], "next_cursor": "..." | null}``; a cursor
that this API did not give out is a 422 on ``cursor``, never a 500. Decode
sites name the types the list sorts by (``types=(str, UUID)``): a cursor of
the right shape whose values are of other types is refused here, before a
database compares ``'x'`` with a uuid column. A type may be a tuple of
types (``(date, NoneType)`` for a column that may be null).
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from datetime import date, datetime
from typing import Any, Callable, Iterable, Sequence, TypeVar

from sqlalchemy import and_, or_

from .errors import InvalidInput

_SCALARS = (str, int, float, type(None))
_INT64 = (-(2 ** 63), 2 ** 63 - 1)
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")   # NUL, lone surrogates: no column holds them

CursorType = type | tuple[type, ...]

Row = TypeVar("Row")


def encode_cursor(values: Iterable[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _refuse() -> InvalidInput:
    return InvalidInput("not a valid cursor", {"cursor": ["not a cursor this API gave out"]})


def _typed(value: Any, kind: type) -> Any:
    """``value`` as ``kind`` (str, int, float, datetime, date, uuid.UUID or
    NoneType); ValueError when it is not one."""
    if kind is type(None):
        if value is None:
            return None
    elif kind is int:
        if isinstance(value, int) and _INT64[0] <= value <= _INT64[1]:
            return value
    elif kind is float:
        if isinstance(value, (int, float)):
            return value
    elif isinstance(value, str) and not _NOT_TEXT.search(value):
        if kind is str:
            return value
        if kind is uuid.UUID:
            return str(uuid.UUID(value))
        if kind is datetime:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is not None:
                return parsed
        elif kind is date and len(value) == 10:
            return date.fromisoformat(value)
    raise ValueError(f"not a {kind.__name__}")


def typed(value: Any, kind: CursorType) -> Any:
    for one in kind if isinstance(kind, tuple) else (kind,):
        try:
            return _typed(value, one)
        except ValueError:
            continue
    raise _refuse()


def decode_cursor(cursor: object, width: int | None = None,
                  types: Sequence[CursorType] | None = None) -> list[Any]:
    """The sort key a cursor carries; ``width`` is how many values it must hold,
    ``types`` the type of each (its length is then the width): values come
    back as those types (a ``datetime`` aware, a ``UUID`` as canonical text)."""
    if types is not None:
        width = len(types)
    try:
        raw = base64.urlsafe_b64decode(str(cursor) + "=" * (-len(str(cursor)) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if (not isinstance(values, list) or (width is not None and len(values) != width)
            or not all(isinstance(v, _SCALARS) and not isinstance(v, bool) for v in values)):
        raise _refuse()
    if types is not None:
        return [typed(v, kind) for v, kind in zip(values, types)]
    return values


def decode_time_cursor(cursor: object, id_type: CursorType = uuid.UUID) -> tuple[datetime, Any]:
    """``(timestamp, id)`` of a cursor that lists newest first by a time column
    (``id_type``: the id column's type, a UUID unless told).

    The timestamp comes back as an aware ``datetime``: compared as text it
    would sort '2026-11-23T09:..' against a timestamptz by the database's
    text cast and skip or repeat rows.
    """
    at, row_id = decode_cursor(cursor, types=(datetime, id_type))
    return at, row_id


def page(rows: Sequence[Row], limit: int, key: Callable[[Row], Iterable[Any]],
         view: Callable[[Row], Any]) -> dict[str, Any]:
    """``{items, next_cursor}`` from ``limit + 1`` rows fetched in keyset order."""
    items = rows[:limit]
    return {
        "items": [view(r) for r in items],
        "next_cursor": encode_cursor(key(items[-1])) if len(rows) > limit else None,
    }


def after_time_cursor(query: Any, time_column: Any, id_column: Any, cursor: object | None) -> Any:
    """``query`` (listed newest first by ``time_column``, then ``id_column``)
    past the row a ``(time, id)`` cursor names; unchanged without a cursor."""
    if not cursor:
        return query
    at, row_id = decode_time_cursor(cursor)
    return query.where(or_(time_column < at, and_(time_column == at, id_column < row_id)))
