"""Keyset pagination: ``?limit=`` (default 50, max 200) and ``?cursor=``.

The cursor is the opaque base64 of the last row's sort key; a page answers
``{"items": [...], "next_cursor": "..." | null}``. Sort keys must end in a
unique column so no row is skipped or repeated between pages.
"""
import base64
import binascii
import json

from sqlalchemy import tuple_

from chassis.errors import InvalidInput


def encode_cursor(values):
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor, width):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if (not isinstance(values, list) or len(values) != width
            or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values)):
        raise InvalidInput("not a valid cursor", {"cursor": ["not a valid cursor"]})
    return values


def page(session, stmt, keys, params, view, descending=False):
    """One page of ``stmt`` (a select of ORM rows) ordered by ``keys``.

    ``keys`` are (column, attribute name) pairs with JSON-native values;
    ``params`` holds the loaded ``limit`` and ``cursor``; ``view`` renders a row.
    """
    columns = [column for column, _ in keys]
    limit, cursor = params["limit"], params.get("cursor")
    if cursor:
        after = decode_cursor(cursor, len(keys))
        left, right = tuple_(*columns), tuple_(*after)
        stmt = stmt.where(left < right if descending else left > right)
    stmt = stmt.order_by(*(c.desc() if descending else c.asc() for c in columns)).limit(limit + 1)
    rows = session.scalars(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([getattr(rows[-1], name) for _, name in keys]) if more else None
    return {"items": [view(r) for r in rows], "next_cursor": next_cursor}
