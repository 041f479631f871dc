"""Pieces: receiving, reading, changing, and the price history
(docs/API.md#inventory)."""
import json
import secrets
from decimal import Decimal

from sqlalchemy import select

from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.outbox import emit
from contracts.money import money

from .common import add_history, store_for, visible_item
from .models import Item, Stone, Vendor
from .views import FULL_VIEW_BY_ID, FULL_VIEW_BY_TAG, from_row, item_view

TAG_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
TAG_LENGTH = 8


def new_tag():
    """A short printable code for the barcode label (40 random bits)."""
    return "".join(secrets.choice(TAG_ALPHABET) for _ in range(TAG_LENGTH))


def search_text(tag, description, certificate_numbers):
    """What a search's ``q`` matches: the tag, the description, the certificates."""
    return f"{tag} {description} {' '.join(certificate_numbers)}".lower()


# --- receiving -------------------------------------------------------------------

def receive_item(session, identity, data):
    """Receive a piece into a store's stock: ``in_stock`` with a fresh tag."""
    store = store_for(session, identity, data["store_id"])
    _check_receipt(session, store, data)
    stones = data.get("stones") or []
    item = _new_item(store, data, stones)
    session.add(item)
    session.flush()
    stone_rows = [_new_stone(item, position, s) for position, s in enumerate(stones)]
    session.add_all(stone_rows)
    session.flush()
    session.refresh(item)
    add_history(session, identity, item, "received", None, "in_stock")
    view = item_view(item, stones=stone_rows)
    emit(session, "item.received", {
        "item_id": item.id, "tag": item.tag, "store_id": item.store_id,
        "category": item.category, "description": item.description,
        "ownership": item.ownership, "cost": view["cost"], "price": view["price"],
        "metal_type": item.metal_type, "karat": item.karat, "vendor_id": item.vendor_id,
        "received_at": view["received_at"],
    }, store_id=item.store_id)
    return view


def _check_receipt(session, store, data):
    currency = data["price"]["currency"]
    if currency != store.currency:
        raise InvalidInput("price must be in the store's currency",
                           {"price.currency": [f"the store sells in {store.currency}"]})
    if data.get("vendor_id") and session.get(Vendor, str(data["vendor_id"])) is None:
        raise InvalidInput("unknown vendor", {"vendor_id": ["unknown vendor"]})
    if data.get("pricing") and data["pricing"]["labor"]["currency"] != currency:
        raise InvalidInput("labor must be in the store's currency",
                           {"pricing.labor.currency": [f"the store sells in {store.currency}"]})
    _check_certificates_free(session, data.get("stones") or [])


def _check_certificates_free(session, stones):
    certs = [(s["certificate"]["lab"], s["certificate"]["number"]) for s in stones
             if s.get("certificate")]
    for lab, number in certs:
        taken = session.scalars(select(Stone.item_id).where(
            Stone.cert_lab == lab, Stone.cert_number == number)).first()
        if taken:
            raise Conflict(f"certificate {lab} {number} is already on another piece")


def _new_item(store, data, stones):
    metal = data.get("metal") or {}
    total_carat = sum((Decimal(s["carat"]) for s in stones), Decimal(0)) if stones else None
    certs = [s["certificate"]["number"] for s in stones if s.get("certificate")]
    tag = new_tag()
    return Item(
        tag=tag, store_id=store.id, category=data["category"],
        description=data["description"], metal_type=metal.get("type"),
        karat=metal.get("karat"), fineness=metal.get("fineness"),
        metal_color=metal.get("color"), weight_g=metal.get("weight_g"),
        total_carat=total_carat,
        vendor_id=str(data["vendor_id"]) if data.get("vendor_id") else None,
        currency=data["price"]["currency"],
        cost_amount=(data.get("cost") or {}).get("amount"),
        price_amount=data["price"]["amount"], ownership=data["ownership"],
        status="in_stock",
        pricing=({"markup": str(data["pricing"]["markup"]),
                  "labor": data["pricing"]["labor"]["amount"]} if data.get("pricing") else None),
        attributes=data.get("attributes") or {}, photos=data.get("photos") or [],
        search_text=search_text(tag, data["description"], certs),
    )


def _new_stone(item, position, s):
    cert = s.get("certificate") or {}
    return Stone(item_id=item.id, position=position, type=s["type"], shape=s.get("shape"),
                 carat=s["carat"], color=s.get("color"), clarity=s.get("clarity"),
                 cut=s.get("cut"), cert_lab=cert.get("lab"), cert_number=cert.get("number"))


# --- reading -------------------------------------------------------------------------

def get_item(session, identity, item_id):
    """One piece; another store's piece is simply not found
    (docs/ARCHITECTURE.md#rule-7). One statement: fine in ``Db.read()``."""
    return from_row(_row_by_id(session, identity, item_id))


def _row_by_id(session, identity, item_id):
    row = session.execute(FULL_VIEW_BY_ID, {"item_id": str(item_id)}).first()
    if row is None or not identity.can_see_store(row.store_id):
        raise NotFound("no such item")
    return row


def get_item_by_tag(session, identity, tag):
    """One statement: fine in ``Db.read()``."""
    row = session.execute(FULL_VIEW_BY_TAG, {"tag": tag.strip().upper()}).first()
    if row is None or not identity.can_see_store(row.store_id):
        raise NotFound("no such tag")
    return from_row(row)


def get_for_label(session, identity, item_id):
    """The piece's full view and its store's country (for the label's
    money), in one statement: fine in ``Db.read()``."""
    row = _row_by_id(session, identity, item_id)
    return from_row(row), row.location_country


def get_items(session, identity, item_ids):
    """Several pieces at once, with their stones (for payments' sale lines and
    the receipt's insurance description)."""
    rows = [r for r in session.scalars(select(Item).where(Item.id.in_([str(i) for i in item_ids])))
            if identity.can_see_store(r.store_id)]
    stones = {}
    if rows:
        for stone in session.scalars(select(Stone).where(Stone.item_id.in_([r.id for r in rows]))
                                     .order_by(Stone.item_id, Stone.position)):
            stones.setdefault(stone.item_id, []).append(stone)
    return [item_view(r, stones=stones.get(r.id, [])) for r in rows]


# --- changing a piece ------------------------------------------------------------------

def update_item(session, identity, item_id, data):
    """Change the price (kept in the price history), description or attributes."""
    item = visible_item(session, identity, item_id, lock=True)
    store_for(session, identity, item.store_id)
    if "price" in data:
        if data["price"]["currency"] != item.currency:
            raise InvalidInput("price must be in the store's currency",
                               {"price.currency": [f"the piece is priced in {item.currency}"]})
        if data["price"]["amount"] != item.price_amount:
            set_price(session, identity, item, data["price"]["amount"], data.get("reason") or "manual")
    changes = _describe(session, item, data)
    if changes:
        add_history(session, identity, item, "updated", **changes)
        emit(session, "item.updated", {"item_id": item.id, "store_id": item.store_id,
                                       "changes": json.loads(json.dumps(changes, default=str))},
             store_id=item.store_id)
    session.flush()
    session.refresh(item)
    return from_row(session.execute(FULL_VIEW_BY_ID, {"item_id": item.id}).one())


def _describe(session, item, data):
    """Apply a new description or attributes; what changed, old and new."""
    changes = {}
    if "description" in data and data["description"] != item.description:
        changes["description"] = {"old": item.description, "new": data["description"]}
        item.description = data["description"]
        certs = session.scalars(select(Stone.cert_number).where(
            Stone.item_id == item.id, Stone.cert_number.is_not(None))).all()
        item.search_text = search_text(item.tag, item.description, certs)
    if "attributes" in data and data["attributes"] != item.attributes:
        changes["attributes"] = {"old": item.attributes, "new": data["attributes"]}
        item.attributes = data["attributes"]
    return changes


def set_price(session, identity, item, new_amount, reason):
    """A new price for a locked piece: in its price history and an event."""
    old = money(item.price_amount, item.currency)
    new = money(new_amount, item.currency)
    item.price_amount = new_amount
    add_history(session, identity, item, "price_changed", old=old, new=new, reason=reason)
    emit(session, "item.price_changed", {"item_id": item.id, "store_id": item.store_id,
                                         "old_price": old, "new_price": new, "reason": reason},
         store_id=item.store_id)

