"""Reporting's copy of the stores (the gateway owns them): kept from
``store.created`` / ``store.updated``, loaded first by the rebuild from the
gateway's ``stores_snapshot``. Reports take each store's code, name,
currency and time zone (its business day) from here."""
from sqlalchemy import Text, cast, select

from chassis import clock
from chassis.stores import record_store

from .common import facts
from .models import Store


def store_changed(session, event):
    """``store.created`` or ``store.updated``: the newest facts win."""
    f, at = facts(event)
    record_store(session, Store, f, at)


def load_stores(session, views, as_of):
    """Stores from the gateway's snapshot (``as_of``: when it began, so an
    event after it still wins)."""
    for view in views:
        record_store(session, Store, view, as_of)


def local_day(session, store_id, at):
    """The store's business day at ``at`` (its own time zone; UTC if unknown)."""
    name = session.scalar(select(Store.timezone).where(Store.id == str(store_id)))
    return clock.local_day(at, name)


def as_text(column):
    """A UUID column read as text: no ``uuid.UUID`` per row (hundreds of stores)."""
    return cast(column, Text).label(column.key)


def stores_by_id(session, ids=None):
    """``{store id: row(id, code, name, currency, timezone)}`` in code order."""
    stmt = select(as_text(Store.id), Store.code, Store.name, Store.currency, Store.timezone)
    if ids is not None:
        stmt = stmt.where(Store.id.in_(ids))
    return {r.id: r for r in session.execute(stmt.order_by(Store.code)).all()}


def store_info(stores, store_id, fallback_currency=None):
    s = stores.get(store_id)
    return {"store_id": store_id, "code": s.code if s else None, "name": s.name if s else None,
            "currency": s.currency if s else fallback_currency, "timezone": s.timezone if s else None}


def by_code(stores):
    """A sort key: stores by code, unknown ones last."""
    return lambda store_id: (stores[store_id].code if store_id in stores else "~", store_id)
