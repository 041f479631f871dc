"""What every projection rule shares: an event's facts and time, amounts,
rows created once, and totals moved by differences.

Locks are taken in one order (pieces by id, then transfer requests, then
totals by key, then the freshness row), so concurrent handlers never
deadlock.
"""
from typing import Any

from sqlalchemy.dialects.postgresql import insert

from chassis.sql import Precompiled


def facts(event):
    """The payload and when it happened."""
    return event.payload, event.occurred_at


def amount(money):
    """The minor units of a money value; None when there is none."""
    return None if not money else int(money["amount"])


def insert_new(model):
    """``INSERT ... ON CONFLICT DO NOTHING`` into ``model``'s table, compiled once."""
    return Precompiled(lambda: insert(model.__table__).on_conflict_do_nothing())


_ADD_TO: dict[tuple[Any, ...], Precompiled] = {}     # (model, keys, sums) -> its upsert, compiled once


def add_to_totals(session, model, keys, sums, deltas):
    """Upsert additive ``deltas`` (``{key tuple: [one value per sum]}``) in
    key order, so two handlers never wait on each other's rows crosswise."""
    rows = [dict(zip(keys, k)) | dict(zip(sums, v)) for k, v in sorted(deltas.items()) if any(v)]
    if not rows:
        return
    shape = (model, tuple(keys), tuple(sums))
    upsert = _ADD_TO.get(shape)
    if upsert is None:
        def build():
            t = model.__table__
            stmt = insert(t)
            return stmt.on_conflict_do_update(
                index_elements=[t.c[k] for k in keys],
                set_={c: t.c[c] + stmt.excluded[c] for c in sums})
        upsert = _ADD_TO[shape] = Precompiled(build)
    upsert.execute(session, rows)
