"""Inventory rules, free of nameko: each function takes a session and the
caller's identity, and emits its events through the outbox."""
import secrets

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from chassis.outbox import emit

from .models import Item, ItemHistory, Store

TAG_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
TAG_LENGTH = 8


def new_tag():
    """A short printable code for the barcode label (40 random bits)."""
    return "".join(secrets.choice(TAG_ALPHABET) for _ in range(TAG_LENGTH))


def record_store(session, facts):
    """Keep the store facts inventory needs (from ``store.created/updated``)."""
    values = {k: facts[k] for k in ("id", "code", "name", "currency", "timezone", "tax_rate_bps")}
    stmt = insert(Store).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Store.id],
        set_={k: stmt.excluded[k] for k in values if k != "id"} | {"updated_at": stmt.excluded.updated_at},
    )
    session.execute(stmt)


def money(amount, currency):
    return None if amount is None else {"amount": int(amount), "currency": currency}


def item_view(item):
    metal = None
    if item.metal_type:
        metal = {
            "type": item.metal_type, "karat": item.karat, "fineness": item.fineness,
            "color": item.metal_color,
            "weight_g": str(item.weight_g) if item.weight_g is not None else None,
        }
    return {
        "id": item.id, "tag": item.tag, "store_id": item.store_id,
        "category": item.category, "description": item.description, "metal": metal,
        "vendor_id": item.vendor_id,
        "cost": money(item.cost_amount, item.currency),
        "price": money(item.price_amount, item.currency),
        "ownership": item.ownership, "status": item.status,
        "attributes": item.attributes or {}, "photos": item.photos or [],
        "received_at": item.received_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
    }


def _require_store(session, identity, store_id):
    store = session.get(Store, str(store_id))
    if store is None:
        raise InvalidInput("unknown store", {"store_id": ["unknown store"]})
    if not identity.can_see_store(store.id):
        raise Forbidden("you may not act for this store")
    if identity.read_only:
        raise Forbidden("read-only role")
    return store


def _history(session, identity, item, change, from_status=None, to_status=None, **details):
    session.add(ItemHistory(
        item_id=item.id, change=change, from_status=from_status, to_status=to_status,
        details=details, actor_id=identity.user_id, actor_role=identity.role,
        store_id=identity.store_id or item.store_id,
    ))


def receive_item(session, identity, data):
    """Receive a piece into a store's stock: ``in_stock`` with a fresh tag."""
    store = _require_store(session, identity, data["store_id"])
    currency = data["price"]["currency"]
    if currency != store.currency:
        raise InvalidInput("price must be in the store's currency",
                           {"price.currency": [f"the store sells in {store.currency}"]})
    metal = data.get("metal") or {}
    item = Item(
        tag=new_tag(), store_id=store.id, category=data["category"],
        description=data["description"], metal_type=metal.get("type"),
        karat=metal.get("karat"), fineness=metal.get("fineness"),
        metal_color=metal.get("color"), weight_g=metal.get("weight_g"),
        vendor_id=str(data["vendor_id"]) if data.get("vendor_id") else None,
        currency=currency,
        cost_amount=(data.get("cost") or {}).get("amount"),
        price_amount=data["price"]["amount"], ownership=data["ownership"],
        status="in_stock", attributes=data.get("attributes") or {},
        photos=data.get("photos") or [],
    )
    session.add(item)
    session.flush()
    session.refresh(item)
    _history(session, identity, item, "received", None, "in_stock")
    view = item_view(item)
    emit(session, "item.received", {
        "item_id": item.id, "tag": item.tag, "store_id": item.store_id,
        "category": item.category, "description": item.description,
        "ownership": item.ownership, "cost": view["cost"], "price": view["price"],
    }, store_id=item.store_id)
    return view


def get_item(session, identity, item_id):
    """One piece; another store's piece is simply not found (rule 7)."""
    item = session.get(Item, str(item_id))
    if item is None or not identity.can_see_store(item.store_id):
        raise NotFound("no such item")
    return item_view(item)


def get_item_by_tag(session, identity, tag):
    item = session.scalars(select(Item).where(Item.tag == tag.upper())).first()
    if item is None or not identity.can_see_store(item.store_id):
        raise NotFound("no such tag")
    return item_view(item)


__all__ = ["receive_item", "get_item", "get_item_by_tag", "record_store", "Conflict"]
