"""Finding pieces: the filtered search (one store's or chain-wide
availability, docs/API.md#inventory) and the snapshot HQ's read model is
rebuilt from."""
from uuid import UUID

from sqlalchemy import func, select

from chassis.errors import Forbidden
from chassis.pagination import decode_cursor, decode_time_cursor, encode_cursor
from contracts.money import maybe_money, money

from .models import Item, ItemHistory
from .views import item_view

NO_ID = "00000000-0000-0000-0000-000000000000"

# filter name -> how it narrows the query
_FILTERS = (
    ("status", lambda v: Item.status == v),
    ("category", lambda v: Item.category == v),
    ("metal_type", lambda v: Item.metal_type == v),
    ("karat", lambda v: Item.karat == v),
)
_BOUNDS = (
    ("min_carat", lambda v: Item.total_carat >= v),
    ("max_carat", lambda v: Item.total_carat <= v),
    ("min_price", lambda v: Item.price_amount >= v),
    ("max_price", lambda v: Item.price_amount <= v),
)


def search_items(session, identity, f, scope="own"):
    """Filtered search, newest received first, keyset-paginated.

    ``scope="chain"`` is chain-wide availability: any staff member searches
    every store, and sees another store's pieces without cost, vendor,
    pricing or history (``item_view(full=False)``).
    """
    chain = scope == "chain"
    query = _filtered(select(Item), f)
    if f.get("store_id"):
        if not chain and not identity.can_see_store(f["store_id"]):
            raise Forbidden("you may not search this store")
        query = query.where(Item.store_id == str(f["store_id"]))
    elif not identity.chain_wide and not chain:
        query = query.where(Item.store_id.in_(identity.store_ids or ("-",)))
    if f.get("cursor"):
        received_at, item_id = decode_time_cursor(f["cursor"])
        query = query.where((Item.received_at, Item.id) < (received_at, item_id))
    limit = f.get("limit") or 50
    rows = session.scalars(query.order_by(Item.received_at.desc(), Item.id.desc())
                           .limit(limit + 1)).all()
    page = rows[:limit]
    return {"items": [item_view(r, full=not chain or identity.can_see_store(r.store_id))
                      for r in page],
            "next_cursor": (encode_cursor([page[-1].received_at.isoformat(), page[-1].id])
                            if len(rows) > limit else None)}


def _filtered(query, f):
    for name, where in _FILTERS:
        if f.get(name):
            query = query.where(where(f[name]))
    for name, where in _BOUNDS:
        if f.get(name) is not None:
            query = query.where(where(f[name]))
    if f.get("q"):
        pattern = "%" + f["q"].lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Item.search_text.like(pattern))
    return query


def snapshot_items(session, identity, cursor=None, limit=500):
    """Every piece in id order, for rebuilding a read model (HQ reporting):
    the facts, the status and when it last changed (``status_since``, from
    the piece's history), keyset-paginated. Chain-wide callers only."""
    if not identity.chain_wide:
        raise Forbidden("a snapshot of the chain's stock is for HQ only")
    limit = max(1, min(int(limit or 500), 5000))
    query = select(Item).order_by(Item.id).limit(limit + 1)
    if cursor:
        (after,) = decode_cursor(cursor, types=(UUID,))
        query = query.where(Item.id > after)
    rows = session.scalars(query).all()
    page = rows[:limit]
    since = dict(session.execute(
        select(ItemHistory.item_id, func.max(ItemHistory.at))
        .where(ItemHistory.item_id.in_([r.id for r in page] or [NO_ID]),
               ItemHistory.to_status.is_not(None))
        .group_by(ItemHistory.item_id)).all())
    return {"items": [_snapshot_view(r, since.get(r.id) or r.received_at) for r in page],
            "next_cursor": encode_cursor([page[-1].id]) if len(rows) > limit else None}


def _snapshot_view(r, status_since):
    return {
        "id": r.id, "tag": r.tag, "store_id": r.store_id, "status": r.status,
        "category": r.category, "description": r.description, "metal_type": r.metal_type,
        "karat": r.karat, "ownership": r.ownership, "currency": r.currency,
        "cost": maybe_money(r.cost_amount, r.currency), "price": money(r.price_amount, r.currency),
        "received_at": r.received_at.isoformat(), "updated_at": r.updated_at.isoformat(),
        "status_since": status_since.isoformat(),
    }
