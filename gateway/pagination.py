"""Keyset pagination: ``?limit=`` (default 50, max 200) and ``?cursor=``
(docs/API.md#conventions).

The cursor is the opaque base64 of the last row's sort key; a page answers
``{"items": [...], "next_cursor": "..." | null}``. Sort keys must end in a
unique column so no row is skipped or repeated between pages.
"""
from sqlalchemy import tuple_

from chassis.pagination import decode_cursor, encode_cursor


def page(session, stmt, keys, params, view, descending=False):
    """One page of ``stmt`` (a select of ORM rows) ordered by ``keys``.

    ``keys`` are (column, attribute name) pairs with JSON-native values;
    ``params`` holds the loaded ``limit`` and ``cursor``; ``view`` renders a row.
    """
    columns = [column for column, _ in keys]
    limit, cursor = params["limit"], params.get("cursor")
    if cursor:
        after = decode_cursor(cursor, types=[column.type.python_type for column in columns])
        left, right = tuple_(*columns), tuple_(*after)
        stmt = stmt.where(left < right if descending else left > right)
    stmt = stmt.order_by(*(c.desc() if descending else c.asc() for c in columns)).limit(limit + 1)
    rows = session.scalars(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([getattr(rows[-1], name) for _, name in keys]) if more else None
    return {"items": [view(r) for r in rows], "next_cursor": next_cursor}
