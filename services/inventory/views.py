"""What a piece looks like in a reply (docs/API.md#inventory), and the one
statement that reads a piece with its stones, history and store."""
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import BigInteger, Text, bindparam, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from contracts.money import maybe_money, money

from .models import Item, ItemHistory, Stone, Store


def stone_view(stone):
    return {
        "type": stone.type, "shape": stone.shape, "carat": str(stone.carat),
        "color": stone.color, "clarity": stone.clarity, "cut": stone.cut,
        "certificate": ({"lab": stone.cert_lab, "number": stone.cert_number}
                        if stone.cert_number else None),
    }


def metal_view(item):
    if not item.metal_type:
        return None
    return {
        "type": item.metal_type, "karat": item.karat, "fineness": item.fineness,
        "color": item.metal_color,
        "weight_g": str(item.weight_g) if item.weight_g is not None else None,
    }


def history_views(history):
    """The piece's price history and its whole history, oldest first."""
    prices = [
        {"at": h.at.isoformat(), "old": h.details.get("old"), "new": h.details.get("new"),
         "reason": h.details.get("reason"), "actor_id": h.actor_id}
        for h in history if h.change == "price_changed"
    ]
    changes = [
        {"at": h.at.isoformat(), "change": h.change, "from": h.from_status,
         "to": h.to_status, "actor_id": h.actor_id, "actor_role": h.actor_role,
         "store_id": h.store_id, "details": h.details or {}}
        for h in history
    ]
    return prices, changes


def item_view(item, stones=None, history=None, store=None, full=True):
    """A piece; ``full=False`` leaves out cost, vendor and pricing (another
    store's piece in a chain-wide search)."""
    view = {
        "id": item.id, "tag": item.tag, "store_id": item.store_id,
        "category": item.category, "description": item.description, "metal": metal_view(item),
        "total_carat": str(item.total_carat) if item.total_carat is not None else None,
        "price": money(item.price_amount, item.currency),
        "ownership": item.ownership, "status": item.status, "hold_reason": item.hold_reason,
        "attributes": item.attributes or {}, "photos": item.photos or [],
        "received_at": item.received_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
    }
    if full:
        view.update({
            "vendor_id": item.vendor_id,
            "cost": maybe_money(item.cost_amount, item.currency),
            "pricing": item.pricing,
        })
    if stones is not None:
        view["stones"] = [stone_view(s) for s in stones]
    if store is not None:
        view["location"] = {"store_id": store.id, "code": store.code, "name": store.name}
    if history is not None:
        view["price_history"], view["history"] = history_views(history)
    return view


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_STONE_FIELDS = ("type", "shape", "carat", "color", "clarity", "cut", "cert_lab", "cert_number")
_HISTORY_FIELDS = ("change", "from_status", "to_status", "details", "actor_id", "actor_role",
                   "store_id", "at_us")


def _full_view_query():
    """A piece with its stones, history and store in ONE statement: a tag
    lookup at the counter is one round trip to the database, not four."""
    stones = select(func.coalesce(func.json_agg(aggregate_order_by(func.json_build_array(
        Stone.type, Stone.shape, cast(Stone.carat, Text), Stone.color, Stone.clarity, Stone.cut,
        Stone.cert_lab, Stone.cert_number), Stone.position)), literal_column("'[]'::json"))
    ).where(Stone.item_id == Item.id).scalar_subquery()
    at_us = cast(func.extract("epoch", ItemHistory.at) * 1_000_000, BigInteger)
    history = select(func.coalesce(func.json_agg(aggregate_order_by(func.json_build_array(
        ItemHistory.change, ItemHistory.from_status, ItemHistory.to_status, ItemHistory.details,
        ItemHistory.actor_id, ItemHistory.actor_role, cast(ItemHistory.store_id, Text), at_us),
        ItemHistory.id)), literal_column("'[]'::json"))
    ).where(ItemHistory.item_id == Item.id).scalar_subquery()
    # the piece's columns as a plain row, not an ORM object: a read needs no
    # identity map, and item_view reads the same names from either
    return (select(*Item.__table__.c, Store.code.label("location_code"),
                   Store.name.label("location_name"), Store.country.label("location_country"),
                   stones.label("stones_json"), history.label("history_json"))
            .outerjoin(Store, Store.id == Item.store_id))


def from_row(row):
    """The full view of a row of ``FULL_VIEW_BY_ID`` / ``FULL_VIEW_BY_TAG``."""
    store = (SimpleNamespace(id=row.store_id, code=row.location_code, name=row.location_name)
             if row.location_code is not None else None)
    stones = [SimpleNamespace(**dict(zip(_STONE_FIELDS, s))) for s in row.stones_json]
    history = [SimpleNamespace(**dict(zip(_HISTORY_FIELDS, h))) for h in row.history_json]
    for h in history:
        h.at = _EPOCH + timedelta(microseconds=h.at_us)
    return item_view(row, stones=stones, history=history, store=store)


# built once: composing the statement and its cache key cost more CPU than running it
FULL_VIEW_BY_ID = _full_view_query().where(Item.id == bindparam("item_id"))
FULL_VIEW_BY_TAG = _full_view_query().where(Item.tag == bindparam("tag"))
