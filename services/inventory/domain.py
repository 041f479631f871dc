"""Inventory rules, free of nameko: each function takes a session and the
caller's identity, changes state with row locks or conditional updates
(rule 5), keeps the piece's history, and emits its events via the outbox."""
import json
import secrets
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import (
    BigInteger, Text, and_, bindparam, case, cast, func, literal_column, or_, select, update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert

from chassis.pagination import decode_cursor, decode_time_cursor, encode_cursor  # noqa: F401
from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from chassis.outbox import emit
from chassis.validation import uuid_arg

from . import pricing
from .models import (
    Item, ItemHistory, Memo, MetalPrice, PriceChangeRequest, Reservation, SaleHold, StockCount,
    StockCountScan, Stone, Store, Transfer, Vendor,
)

TAG_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
TAG_LENGTH = 8
ON_HAND = ("in_stock", "reserved")          # physically in the store's cases or safe
IN_STOCK_VALUE = ("in_stock", "reserved", "in_transit", "on_memo_out", "missing")

# The lifecycle: which status may follow which.
TRANSITIONS = {
    "in_stock": {"reserved", "in_transit", "on_memo_out", "returned_to_vendor", "missing"},
    "reserved": {"in_stock", "sold"},
    "sold": {"in_stock"},
    "in_transit": {"in_stock"},
    "on_memo_out": {"in_stock", "sold"},
    "missing": {"in_stock"},
    "returned_to_vendor": set(),
}


def now():
    return datetime.now(timezone.utc)


def new_tag():
    """A short printable code for the barcode label (40 random bits)."""
    return "".join(secrets.choice(TAG_ALPHABET) for _ in range(TAG_LENGTH))


def money(amount, currency):
    return None if amount is None else {"amount": int(amount), "currency": currency}


# --- stores and vendors ------------------------------------------------------

def record_store(session, facts):
    """Keep the store facts inventory needs (from ``store.created/updated``)."""
    values = {k: facts[k] for k in ("id", "code", "name", "currency", "timezone", "tax_rate_bps")}
    stmt = insert(Store).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Store.id],
        set_={k: stmt.excluded[k] for k in values if k != "id"} | {"updated_at": func.now()},
    )
    session.execute(stmt)


def store_for(session, identity, store_id, write=True, field="store_id"):
    store = session.get(Store, str(store_id))
    if store is None:
        raise InvalidInput("unknown store", {field: ["unknown store"]})
    if not identity.can_see_store(store.id):
        raise Forbidden("you may not act for this store")
    if write and identity.read_only:
        raise Forbidden("read-only role")
    return store


def create_vendor(session, identity, data):
    if identity.read_only:
        raise Forbidden("read-only role")
    vendor = Vendor(name=data["name"], contact=data.get("contact") or {})
    session.add(vendor)
    session.flush()
    return vendor_view(vendor)


def vendor_view(vendor):
    return {"id": vendor.id, "name": vendor.name, "contact": vendor.contact or {},
            "created_at": vendor.created_at.isoformat() if vendor.created_at else None}


def list_vendors(session, identity, limit=50, cursor=None):
    query = select(Vendor).order_by(Vendor.name, Vendor.id).limit(limit + 1)
    if cursor:
        name, vid = decode_cursor(cursor)
        query = query.where(or_(Vendor.name > name, and_(Vendor.name == name, Vendor.id > vid)))
    rows = session.scalars(query).all()
    page = rows[:limit]
    return {"items": [vendor_view(v) for v in page],
            "next_cursor": encode_cursor([page[-1].name, page[-1].id]) if len(rows) > limit else None}


# --- views ---------------------------------------------------------------------

def stone_view(stone):
    return {
        "type": stone.type, "shape": stone.shape, "carat": str(stone.carat),
        "color": stone.color, "clarity": stone.clarity, "cut": stone.cut,
        "certificate": ({"lab": stone.cert_lab, "number": stone.cert_number}
                        if stone.cert_number else None),
    }


def item_view(item, stones=None, history=None, store=None, full=True):
    metal = None
    if item.metal_type:
        metal = {
            "type": item.metal_type, "karat": item.karat, "fineness": item.fineness,
            "color": item.metal_color,
            "weight_g": str(item.weight_g) if item.weight_g is not None else None,
        }
    view = {
        "id": item.id, "tag": item.tag, "store_id": item.store_id,
        "category": item.category, "description": item.description, "metal": metal,
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
            "cost": money(item.cost_amount, item.currency),
            "pricing": item.pricing,
        })
    if stones is not None:
        view["stones"] = [stone_view(s) for s in stones]
    if store is not None:
        view["location"] = {"store_id": store.id, "code": store.code, "name": store.name}
    if history is not None:
        view["price_history"] = [
            {"at": h.at.isoformat(), "old": h.details.get("old"), "new": h.details.get("new"),
             "reason": h.details.get("reason"), "actor_id": h.actor_id}
            for h in history if h.change == "price_changed"
        ]
        view["history"] = [
            {"at": h.at.isoformat(), "change": h.change, "from": h.from_status,
             "to": h.to_status, "actor_id": h.actor_id, "actor_role": h.actor_role,
             "store_id": h.store_id, "details": h.details or {}}
            for h in history
        ]
    return view


def _history(session, identity, item, change, from_status=None, to_status=None, **details):
    session.add(ItemHistory(
        item_id=item.id, change=change, from_status=from_status, to_status=to_status,
        details=json.loads(json.dumps(details, default=str)), actor_id=identity.user_id,
        actor_role=identity.role, store_id=identity.store_id or item.store_id,
    ))


# --- receiving -----------------------------------------------------------------

def receive_item(session, identity, data):
    """Receive a piece into a store's stock: ``in_stock`` with a fresh tag."""
    store = store_for(session, identity, data["store_id"])
    currency = data["price"]["currency"]
    if currency != store.currency:
        raise InvalidInput("price must be in the store's currency",
                           {"price.currency": [f"the store sells in {store.currency}"]})
    if data.get("vendor_id") and session.get(Vendor, str(data["vendor_id"])) is None:
        raise InvalidInput("unknown vendor", {"vendor_id": ["unknown vendor"]})
    if data.get("pricing") and data["pricing"]["labor"]["currency"] != currency:
        raise InvalidInput("labor must be in the store's currency",
                           {"pricing.labor.currency": [f"the store sells in {store.currency}"]})
    stones = data.get("stones") or []
    _check_certificates_free(session, stones)
    metal = data.get("metal") or {}
    total_carat = sum((Decimal(s["carat"]) for s in stones), Decimal(0)) if stones else None
    tag = new_tag()
    item = Item(
        tag=tag, store_id=store.id, category=data["category"],
        description=data["description"], metal_type=metal.get("type"),
        karat=metal.get("karat"), fineness=metal.get("fineness"),
        metal_color=metal.get("color"), weight_g=metal.get("weight_g"),
        total_carat=total_carat,
        vendor_id=str(data["vendor_id"]) if data.get("vendor_id") else None,
        currency=currency,
        cost_amount=(data.get("cost") or {}).get("amount"),
        price_amount=data["price"]["amount"], ownership=data["ownership"],
        status="in_stock",
        pricing=({"markup": str(data["pricing"]["markup"]),
                  "labor": data["pricing"]["labor"]["amount"]} if data.get("pricing") else None),
        attributes=data.get("attributes") or {}, photos=data.get("photos") or [],
        search_text=search_text(tag, data["description"], stones),
    )
    session.add(item)
    session.flush()
    stone_rows = []
    for position, s in enumerate(stones):
        cert = s.get("certificate") or {}
        stone = Stone(item_id=item.id, position=position, type=s["type"], shape=s.get("shape"),
                      carat=s["carat"], color=s.get("color"), clarity=s.get("clarity"),
                      cut=s.get("cut"), cert_lab=cert.get("lab"), cert_number=cert.get("number"))
        session.add(stone)
        stone_rows.append(stone)
    session.flush()
    session.refresh(item)
    _history(session, identity, item, "received", None, "in_stock")
    view = item_view(item, stones=stone_rows)
    emit(session, "item.received", {
        "item_id": item.id, "tag": item.tag, "store_id": item.store_id,
        "category": item.category, "description": item.description,
        "ownership": item.ownership, "cost": view["cost"], "price": view["price"],
        "metal_type": item.metal_type, "karat": item.karat, "vendor_id": item.vendor_id,
        "received_at": view["received_at"],
    }, store_id=item.store_id)
    return view


def search_text(tag, description, stones):
    certs = " ".join(s["certificate"]["number"] for s in stones if s.get("certificate"))
    return f"{tag} {description} {certs}".lower()


def _check_certificates_free(session, stones):
    certs = [(s["certificate"]["lab"], s["certificate"]["number"]) for s in stones
             if s.get("certificate")]
    for lab, number in certs:
        taken = session.scalars(select(Stone.item_id).where(
            Stone.cert_lab == lab, Stone.cert_number == number)).first()
        if taken:
            raise Conflict(f"certificate {lab} {number} is already on another piece")


# --- reading -------------------------------------------------------------------

def _visible_item(session, identity, item_id, lock=False):
    query = select(Item).where(Item.id == str(item_id))
    if lock:
        query = query.with_for_update()
    item = session.scalars(query).first()
    if item is None or not identity.can_see_store(item.store_id):
        raise NotFound("no such item")
    return item


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
                   Store.name.label("location_name"), stones.label("stones_json"),
                   history.label("history_json"))
            .outerjoin(Store, Store.id == Item.store_id))


def _from_row(row):
    store = (SimpleNamespace(id=row.store_id, code=row.location_code, name=row.location_name)
             if row.location_code is not None else None)
    stones = [SimpleNamespace(**dict(zip(_STONE_FIELDS, s))) for s in row.stones_json]
    history = [SimpleNamespace(**dict(zip(_HISTORY_FIELDS, h))) for h in row.history_json]
    for h in history:
        h.at = _EPOCH + timedelta(microseconds=h.at_us)
    return item_view(row, stones=stones, history=history, store=store)


# built once: composing the statement and its cache key cost more CPU than running it
_FULL_VIEW_BY_ID = _full_view_query().where(Item.id == bindparam("item_id"))
_FULL_VIEW_BY_TAG = _full_view_query().where(Item.tag == bindparam("tag"))


def _full_view(session, item):
    return _from_row(session.execute(_FULL_VIEW_BY_ID, {"item_id": item.id}).one())


def get_item(session, identity, item_id):
    """One piece; another store's piece is simply not found (rule 7). One
    statement: fine in ``Db.read()``."""
    row = session.execute(_FULL_VIEW_BY_ID, {"item_id": str(item_id)}).first()
    if row is None or not identity.can_see_store(row.store_id):
        raise NotFound("no such item")
    return _from_row(row)


def get_item_by_tag(session, identity, tag):
    """One statement: fine in ``Db.read()``."""
    row = session.execute(_FULL_VIEW_BY_TAG, {"tag": tag.strip().upper()}).first()
    if row is None or not identity.can_see_store(row.store_id):
        raise NotFound("no such tag")
    return _from_row(row)


def get_items(session, identity, item_ids):
    """Several pieces at once (for payments' sale lines)."""
    rows = session.scalars(select(Item).where(Item.id.in_([str(i) for i in item_ids]))).all()
    return [item_view(r) for r in rows if identity.can_see_store(r.store_id)]


# --- changing a piece --------------------------------------------------------------

def update_item(session, identity, item_id, data):
    item = _visible_item(session, identity, item_id, lock=True)
    store_for(session, identity, item.store_id)
    changes = {}
    if "price" in data:
        if data["price"]["currency"] != item.currency:
            raise InvalidInput("price must be in the store's currency",
                               {"price.currency": [f"the piece is priced in {item.currency}"]})
        if data["price"]["amount"] != item.price_amount:
            _set_price(session, identity, item, data["price"]["amount"], data.get("reason") or "manual")
    if "description" in data and data["description"] != item.description:
        changes["description"] = {"old": item.description, "new": data["description"]}
        item.description = data["description"]
        certs = session.scalars(select(Stone.cert_number).where(
            Stone.item_id == item.id, Stone.cert_number.is_not(None))).all()
        item.search_text = f"{item.tag} {item.description} {' '.join(certs)}".lower()
    if "attributes" in data and data["attributes"] != item.attributes:
        changes["attributes"] = {"old": item.attributes, "new": data["attributes"]}
        item.attributes = data["attributes"]
    if changes:
        _history(session, identity, item, "updated", **changes)
        emit(session, "item.updated", {"item_id": item.id, "store_id": item.store_id,
                                       "changes": json.loads(json.dumps(changes, default=str))},
             store_id=item.store_id)
    session.flush()
    session.refresh(item)
    return _full_view(session, item)


def _set_price(session, identity, item, new_amount, reason):
    old = money(item.price_amount, item.currency)
    new = money(new_amount, item.currency)
    item.price_amount = new_amount
    _history(session, identity, item, "price_changed", old=old, new=new, reason=reason)
    emit(session, "item.price_changed", {"item_id": item.id, "store_id": item.store_id,
                                         "old_price": old, "new_price": new, "reason": reason},
         store_id=item.store_id)


def _lock_items(session, item_ids):
    """Lock the pieces in id order (no deadlock between two multi-piece sales)."""
    ids = sorted({str(i) for i in item_ids})
    rows = session.scalars(select(Item).where(Item.id.in_(ids)).order_by(Item.id)
                           .with_for_update()).all()
    found = {r.id: r for r in rows}
    return ids, found


def _move(session, identity, item, to_status, change, **details):
    """One lifecycle step of a locked piece; forbidden steps are 409."""
    if to_status not in TRANSITIONS[item.status]:
        raise Conflict(f"piece {item.tag} is {item.status}; it cannot become {to_status}")
    from_status = item.status
    item.status = to_status
    _history(session, identity, item, change, from_status, to_status, **details)


def _check_status(items, allowed, action):
    for item in items:
        if item.status not in allowed:
            raise Conflict(f"piece {item.tag} is {item.status}: it cannot be {action}")


# --- sales (payments' saga) ---------------------------------------------------------

def reserve_for_sale(session, identity, sale_id, item_ids, store_id=None, reason="sale"):
    """All pieces flip to ``reserved`` for the sale, or none do. Idempotent."""
    sale_id = str(sale_id)
    wanted = {str(i) for i in item_ids}
    if not wanted:
        raise InvalidInput("no pieces", {"item_ids": ["at least one piece"]})
    existing = session.scalars(select(SaleHold).where(SaleHold.sale_id == sale_id)).all()
    if existing:
        if {h.item_id for h in existing} != wanted:
            raise Conflict(f"sale {sale_id} already holds other pieces")
        if any(h.state not in ("reserved", "sold") for h in existing):
            raise Conflict(f"sale {sale_id} was already released")
        return [item_view(session.get(Item, h.item_id)) for h in existing]
    ids, found = _lock_items(session, wanted)
    missing = [i for i in ids if i not in found or not identity.can_see_store(found[i].store_id)]
    if missing:
        raise InvalidInput("unknown piece", {"item_ids": [f"no such item {i}" for i in missing]})
    items = [found[i] for i in ids]
    if store_id is not None:
        foreign = [i.tag for i in items if i.store_id != str(store_id)]
        if foreign:
            raise InvalidInput("pieces of another store",
                               {"item_ids": [f"piece {t} belongs to another store" for t in foreign]})
    _check_status(items, ("in_stock",), "reserved")
    for item in items:
        _move(session, identity, item, "reserved", "reserved", sale_id=sale_id, reason=reason)
        item.hold_reason, item.hold_ref = reason, sale_id
        session.add(SaleHold(sale_id=sale_id, item_id=item.id, reason=reason, state="reserved"))
        emit(session, "item.reserved", {"item_id": item.id, "store_id": item.store_id,
                                        "reason": reason, "sale_id": sale_id},
             store_id=item.store_id)
    session.flush()
    return [item_view(i) for i in items]


def confirm_sale(session, identity, sale_id):
    """The sale completed: its reserved pieces are ``sold``. Idempotent."""
    sale_id = str(sale_id)
    holds = session.scalars(select(SaleHold).where(SaleHold.sale_id == sale_id)
                            .with_for_update()).all()
    if not holds:
        raise NotFound(f"no pieces are held for sale {sale_id}")
    if any(h.state == "released" for h in holds):
        raise Conflict(f"sale {sale_id} was released; its pieces may be sold elsewhere")
    sold = []
    _, found = _lock_items(session, [h.item_id for h in holds])
    for hold in holds:
        item = found[hold.item_id]
        if hold.state == "reserved":
            _move(session, identity, item, "sold", "sold", sale_id=sale_id)
            item.hold_reason, item.hold_ref = None, None
            hold.state, hold.updated_at = "sold", now()
            emit(session, "item.sold", {
                "item_id": item.id, "store_id": item.store_id, "sale_id": sale_id,
                "price": money(item.price_amount, item.currency),
                "cost": money(item.cost_amount, item.currency), "ownership": item.ownership,
            }, store_id=item.store_id)
        sold.append(item_view(item))
    return sold


def release(session, identity, sale_id):
    """The sale failed or the layaway was cancelled: pieces back in stock. Idempotent."""
    sale_id = str(sale_id)
    holds = session.scalars(select(SaleHold).where(SaleHold.sale_id == sale_id,
                                                   SaleHold.state == "reserved")
                            .with_for_update()).all()
    released = []
    _, found = _lock_items(session, [h.item_id for h in holds])
    for hold in holds:
        item = found[hold.item_id]
        if item.status == "reserved" and item.hold_ref == sale_id:
            _move(session, identity, item, "in_stock", "released", sale_id=sale_id)
            item.hold_reason, item.hold_ref = None, None
            emit(session, "item.released", {"item_id": item.id, "store_id": item.store_id,
                                            "reason": hold.reason, "sale_id": sale_id},
                 store_id=item.store_id)
            released.append(item.id)
        hold.state, hold.updated_at = "released", now()
    return {"sale_id": sale_id, "released": released}


def return_to_stock(session, identity, item_ids, sale_id=None):
    """Returned pieces go back to ``in_stock``. A piece already back is skipped."""
    ids, found = _lock_items(session, item_ids)
    unknown = [i for i in ids if i not in found or not identity.can_see_store(found[i].store_id)]
    if unknown:
        raise InvalidInput("unknown piece", {"item_ids": [f"no such item {i}" for i in unknown]})
    returned = []
    for i in ids:
        item = found[i]
        if item.status == "in_stock":
            continue
        if item.status != "sold":
            raise Conflict(f"piece {item.tag} is {item.status}: only sold pieces come back")
        _move(session, identity, item, "in_stock", "returned", sale_id=str(sale_id) if sale_id else None)
        if sale_id:
            session.execute(update(SaleHold).where(SaleHold.sale_id == str(sale_id),
                                                   SaleHold.item_id == item.id)
                            .values(state="returned", updated_at=now()))
        emit(session, "item.returned", {"item_id": item.id, "store_id": item.store_id,
                                        "sale_id": str(sale_id) if sale_id else None},
             store_id=item.store_id)
        returned.append(item.id)
    return {"returned": returned}


# --- client holds (click and collect) -------------------------------------------------

def reservation_view(r):
    return {"id": r.id, "item_id": r.item_id, "store_id": r.store_id, "client_id": r.client_id,
            "state": r.state, "expires_at": r.expires_at.isoformat(),
            "created_at": r.created_at.isoformat() if r.created_at else None,
            "status": "reserved" if r.state == "active" else r.state}


def hold_for_client(session, identity, item_id, client_id, hold_hours):
    item = _visible_item(session, identity, item_id, lock=True)
    store_for(session, identity, item.store_id)
    _check_status([item], ("in_stock",), "held")
    reservation = Reservation(item_id=item.id, store_id=item.store_id, client_id=str(client_id),
                              state="active", expires_at=now() + timedelta(hours=hold_hours),
                              created_by=identity.user_id)
    session.add(reservation)
    session.flush()
    _move(session, identity, item, "reserved", "held", reservation_id=reservation.id,
          client_id=str(client_id))
    item.hold_reason, item.hold_ref = "hold", reservation.id
    emit(session, "item.reserved", {
        "item_id": item.id, "store_id": item.store_id, "reason": "hold",
        "reservation_id": reservation.id, "client_id": str(client_id),
        "expires_at": reservation.expires_at.isoformat()}, store_id=item.store_id)
    session.flush()
    session.refresh(reservation)
    return reservation_view(reservation)


def _end_hold(session, identity, reservation, state):
    item = session.scalars(select(Item).where(Item.id == reservation.item_id).with_for_update()).one()
    reservation.state, reservation.ended_at = state, now()
    if item.status == "reserved" and item.hold_ref == reservation.id:
        _move(session, identity, item, "in_stock", f"hold_{state}", reservation_id=reservation.id)
        item.hold_reason, item.hold_ref = None, None
        emit(session, "item.released", {"item_id": item.id, "store_id": item.store_id,
                                        "reason": f"hold_{state}",
                                        "reservation_id": reservation.id},
             store_id=item.store_id)


def release_hold(session, identity, reservation_id):
    reservation = session.scalars(select(Reservation).where(Reservation.id == str(reservation_id))
                                  .with_for_update()).first()
    if reservation is None or not identity.can_see_store(reservation.store_id):
        raise NotFound("no such reservation")
    store_for(session, identity, reservation.store_id)
    if reservation.state == "active":
        _end_hold(session, identity, reservation, "released")
    return reservation_view(reservation)


def expire_holds(session, identity, at=None):
    """Timer: holds past their time release their piece by themselves."""
    due = session.scalars(select(Reservation).where(
        Reservation.state == "active", Reservation.expires_at <= (at or now()))
        .order_by(Reservation.expires_at).limit(500).with_for_update(skip_locked=True)).all()
    for reservation in due:
        _end_hold(session, identity, reservation, "expired")
    return [r.id for r in due]


# --- transfers --------------------------------------------------------------------------

def transfer_view(t):
    return {"id": t.id, "from_store_id": t.from_store_id, "to_store_id": t.to_store_id,
            "status": t.status, "item_ids": t.item_ids, "shipped_by": t.shipped_by,
            "shipped_at": t.shipped_at.isoformat() if t.shipped_at else None,
            "received_by": t.received_by,
            "received_at": t.received_at.isoformat() if t.received_at else None}


def ship_transfer(session, identity, data):
    source = store_for(session, identity, data["from_store_id"], field="from_store_id")
    dest = session.get(Store, str(data["to_store_id"]))
    if dest is None:
        raise InvalidInput("unknown store", {"to_store_id": ["unknown store"]})
    ids, found = _lock_items(session, data["item_ids"])
    unknown = [i for i in ids if i not in found or found[i].store_id != source.id]
    if unknown:
        raise InvalidInput("pieces not at the sending store",
                           {"item_ids": [f"no such item at this store: {i}" for i in unknown]})
    items = [found[i] for i in ids]
    _check_status(items, ("in_stock",), "shipped")
    transfer = Transfer(from_store_id=source.id, to_store_id=dest.id, status="shipped",
                        item_ids=ids, shipped_by=identity.user_id)
    session.add(transfer)
    session.flush()
    for item in items:
        _move(session, identity, item, "in_transit", "shipped", transfer_id=transfer.id,
              to_store_id=dest.id)
        item.hold_reason, item.hold_ref = "transfer", transfer.id
    emit(session, "transfer.shipped", {"transfer_id": transfer.id, "from_store_id": source.id,
                                       "to_store_id": dest.id, "item_ids": ids},
         store_id=source.id)
    session.flush()
    session.refresh(transfer)
    return transfer_view(transfer)


def receive_transfer(session, identity, transfer_id):
    transfer = session.scalars(select(Transfer).where(Transfer.id == str(transfer_id))
                               .with_for_update()).first()
    if transfer is None or not (identity.can_see_store(transfer.to_store_id)
                                or identity.can_see_store(transfer.from_store_id)):
        raise NotFound("no such transfer")
    store_for(session, identity, transfer.to_store_id)
    if transfer.status == "received":
        return transfer_view(transfer)
    _, found = _lock_items(session, transfer.item_ids)
    for item_id in transfer.item_ids:
        item = found[item_id]
        if item.status == "in_transit" and item.hold_ref == transfer.id:
            _move(session, identity, item, "in_stock", "transfer_received", transfer_id=transfer.id,
                  from_store_id=transfer.from_store_id)
            item.store_id, item.hold_reason, item.hold_ref = transfer.to_store_id, None, None
    transfer.status, transfer.received_by, transfer.received_at = "received", identity.user_id, now()
    emit(session, "transfer.received", {"transfer_id": transfer.id,
                                        "from_store_id": transfer.from_store_id,
                                        "to_store_id": transfer.to_store_id,
                                        "item_ids": transfer.item_ids},
         store_id=transfer.to_store_id)
    return transfer_view(transfer)


# --- stock counts -------------------------------------------------------------------------

def count_view(c, scanned=None):
    view = {"id": c.id, "store_id": c.store_id, "status": c.status,
            "opened_at": c.opened_at.isoformat() if c.opened_at else None,
            "closed_at": c.closed_at.isoformat() if c.closed_at else None}
    if c.result:
        view.update(c.result)
    if scanned is not None:
        view["scanned"] = scanned
    return view


def open_count(session, identity, store_id):
    store = store_for(session, identity, store_id)
    count = StockCount(store_id=store.id, status="open", opened_by=identity.user_id)
    session.add(count)
    session.flush()
    session.refresh(count)
    return count_view(count, scanned=0)


def _count_for(session, identity, count_id, lock=False):
    query = select(StockCount).where(StockCount.id == str(count_id))
    if lock:
        query = query.with_for_update()
    count = session.scalars(query).first()
    if count is None or not identity.can_see_store(count.store_id):
        raise NotFound("no such stock count")
    store_for(session, identity, count.store_id)
    return count


def scan_tags(session, identity, count_id, tags):
    count = _count_for(session, identity, count_id)
    if count.status != "open":
        raise Conflict("this stock count is closed")
    clean = sorted({t.strip().upper() for t in tags if t.strip()})
    if clean:
        session.execute(insert(StockCountScan).values(
            [{"count_id": count.id, "tag": t} for t in clean]).on_conflict_do_nothing())
    scanned = session.scalar(select(func.count()).select_from(StockCountScan)
                             .where(StockCountScan.count_id == count.id))
    return count_view(count, scanned=scanned)


def close_count(session, identity, count_id, mark_missing=False):
    count = _count_for(session, identity, count_id, lock=True)
    if count.status != "open":
        return count_view(count)
    scanned = set(session.scalars(select(StockCountScan.tag)
                                  .where(StockCountScan.count_id == count.id)).all())
    expected = {i.tag: i for i in session.scalars(
        select(Item).where(Item.store_id == count.store_id, Item.status.in_(ON_HAND))
        .with_for_update()).all()}
    matched = scanned & expected.keys()
    missing = sorted(expected.keys() - scanned)
    unexpected = sorted(scanned - expected.keys())
    shrinkage = 0
    currency = session.get(Store, count.store_id).currency
    if mark_missing:
        for tag in missing:
            item = expected[tag]
            if item.status == "in_stock":
                _move(session, identity, item, "missing", "counted_missing", count_id=count.id)
                if item.ownership == "owned":
                    shrinkage += item.cost_amount or 0
    result = {"matched": len(matched), "missing": missing, "unexpected": unexpected,
              "marked_missing": bool(mark_missing),
              "shrinkage": money(shrinkage, currency) if mark_missing else None}
    count.status, count.closed_at, count.result = "closed", now(), result
    emit(session, "stock_count.closed", {"count_id": count.id, "store_id": count.store_id,
                                         "matched": len(matched), "missing": missing,
                                         "unexpected": unexpected,
                                         "shrinkage": result["shrinkage"]},
         store_id=count.store_id)
    return count_view(count)


# --- memos ----------------------------------------------------------------------------------

def memo_view(m, today=None):
    today = today or now().date()
    return {"id": m.id, "direction": m.direction, "store_id": m.store_id,
            "counterparty": m.counterparty, "vendor_id": m.vendor_id, "item_ids": m.item_ids,
            "due_date": m.due_date.isoformat(), "status": m.status,
            "overdue": m.status == "open" and m.due_date < today,
            "created_at": m.created_at.isoformat() if m.created_at else None}


def create_memo(session, identity, data):
    store = store_for(session, identity, data["store_id"])
    if data["due_date"] < now().date():
        raise InvalidInput("due date in the past", {"due_date": ["must not be in the past"]})
    ids, found = _lock_items(session, data["item_ids"])
    unknown = [i for i in ids if i not in found or found[i].store_id != store.id]
    if unknown:
        raise InvalidInput("pieces not at this store",
                           {"item_ids": [f"no such item at this store: {i}" for i in unknown]})
    items = [found[i] for i in ids]
    memo = Memo(direction=data["direction"], store_id=store.id, counterparty=data["counterparty"],
                vendor_id=str(data["vendor_id"]) if data.get("vendor_id") else None,
                item_ids=ids, due_date=data["due_date"], status="open", created_by=identity.user_id)
    session.add(memo)
    session.flush()
    if data["direction"] == "out":
        _check_status(items, ("in_stock",), "sent on memo")
        for item in items:
            _move(session, identity, item, "on_memo_out", "memo_out", memo_id=memo.id,
                  counterparty=memo.counterparty)
            item.hold_reason, item.hold_ref = "memo", memo.id
    else:
        not_memo = [i.tag for i in items if i.ownership != "memo_in"]
        if not_memo:
            raise InvalidInput("memo in is for vendor goods",
                               {"item_ids": [f"piece {t} is not received as memo_in" for t in not_memo]})
        for item in items:
            _history(session, identity, item, "memo_in", memo_id=memo.id, due_date=data["due_date"])
    session.flush()
    session.refresh(memo)
    emit(session, "memo.opened", {"memo_id": memo.id, "store_id": memo.store_id,
                                  "direction": memo.direction, "counterparty": memo.counterparty,
                                  "item_ids": memo.item_ids, "due_date": memo.due_date.isoformat()},
         store_id=memo.store_id)
    return memo_view(memo)


def return_memo(session, identity, memo_id):
    """Close a memo: goods lent out come back; vendor goods go back to the vendor."""
    memo = session.scalars(select(Memo).where(Memo.id == str(memo_id)).with_for_update()).first()
    if memo is None or not identity.can_see_store(memo.store_id):
        raise NotFound("no such memo")
    store_for(session, identity, memo.store_id)
    if memo.status != "open":
        return memo_view(memo)
    _, found = _lock_items(session, memo.item_ids)
    back, to_vendor = [], []
    for item_id in memo.item_ids:
        item = found[item_id]
        if memo.direction == "out" and item.status == "on_memo_out" and item.hold_ref == memo.id:
            _move(session, identity, item, "in_stock", "memo_returned", memo_id=memo.id)
            item.hold_reason, item.hold_ref = None, None
            back.append(item.id)
        elif memo.direction == "in" and item.status == "in_stock":
            _move(session, identity, item, "returned_to_vendor", "returned_to_vendor", memo_id=memo.id)
            to_vendor.append(item.id)
    memo.status = "closed"
    emit(session, "memo.closed", {"memo_id": memo.id, "store_id": memo.store_id,
                                  "direction": memo.direction, "back_in_stock": back,
                                  "returned_to_vendor": to_vendor},
         store_id=memo.store_id)
    return memo_view(memo)


def list_memos(session, identity, overdue=False, store_id=None, limit=50, cursor=None):
    query = select(Memo).order_by(Memo.due_date, Memo.id).limit(limit + 1)
    if store_id:
        query = query.where(Memo.store_id == str(store_id))
    if not identity.chain_wide:
        query = query.where(Memo.store_id.in_(identity.store_ids or ("-",)))
    if overdue:
        query = query.where(Memo.status == "open", Memo.due_date < now().date())
    if cursor:
        due, mid = decode_cursor(cursor)
        query = query.where(or_(Memo.due_date > due, and_(Memo.due_date == due, Memo.id > mid)))
    rows = session.scalars(query).all()
    page = rows[:limit]
    return {"items": [memo_view(m) for m in page],
            "next_cursor": (encode_cursor([page[-1].due_date.isoformat(), page[-1].id])
                            if len(rows) > limit else None)}


def publish_overdue_memos(session, today=None):
    """Daily timer: one ``memo.overdue`` per open overdue memo per day."""
    today = today or now().date()
    due = session.scalars(select(Memo).where(
        Memo.status == "open", Memo.due_date < today,
        or_(Memo.overdue_notified_on.is_(None), Memo.overdue_notified_on < today))
        .with_for_update(skip_locked=True)).all()
    for memo in due:
        memo.overdue_notified_on = today
        emit(session, "memo.overdue", {"memo_id": memo.id, "store_id": memo.store_id,
                                       "direction": memo.direction,
                                       "counterparty": memo.counterparty,
                                       "item_ids": memo.item_ids,
                                       "due_date": memo.due_date.isoformat()},
             store_id=memo.store_id)
    return [m.id for m in due]


# --- metal prices ------------------------------------------------------------------------------

def set_metal_price(session, identity, data, guard_percent):
    """A new spot price reprices pieces priced by weight; big jumps wait for a manager."""
    if identity.role not in ("hq_admin", "store_manager", "system"):
        raise Forbidden("only a manager sets metal prices")
    spot = data["price_per_gram"]
    session.add(MetalPrice(metal=data["metal"], currency=spot["currency"],
                           price_per_gram=spot["amount"], created_by=identity.user_id))
    query = select(Item).where(Item.metal_type == data["metal"], Item.pricing.is_not(None),
                               Item.currency == spot["currency"],
                               Item.status.in_(("in_stock", "on_memo_out")))
    if not identity.chain_wide:
        query = query.where(Item.store_id.in_(identity.store_ids or ("-",)))
    repriced, pending = [], []
    for item in session.scalars(query.with_for_update(skip_locked=False)).all():
        new = pricing.weight_price(spot["amount"], item.weight_g, item.pricing["markup"],
                                   item.pricing["labor"], item.karat, item.fineness)
        if new == item.price_amount:
            continue
        if pricing.needs_confirmation(item.price_amount, new, guard_percent) and not data.get("confirm"):
            session.add(PriceChangeRequest(item_id=item.id, store_id=item.store_id,
                                           old_amount=item.price_amount, new_amount=new,
                                           reason=f"{data['metal']} spot", status="pending"))
            pending.append(item.id)
        else:
            _set_price(session, identity, item, new, f"{data['metal']} spot")
            repriced.append(item.id)
    return {"metal": data["metal"], "price_per_gram": spot, "repriced": len(repriced),
            "pending_confirmation": len(pending)}


def price_change_view(r):
    return {"id": r.id, "item_id": r.item_id, "store_id": r.store_id,
            "old_price": r.old_amount, "new_price": r.new_amount, "reason": r.reason,
            "status": r.status, "created_at": r.created_at.isoformat() if r.created_at else None}


def list_price_changes(session, identity, store_id=None):
    query = select(PriceChangeRequest).where(PriceChangeRequest.status == "pending") \
        .order_by(PriceChangeRequest.created_at).limit(500)
    if store_id:
        query = query.where(PriceChangeRequest.store_id == str(store_id))
    rows = [r for r in session.scalars(query).all() if identity.can_see_store(r.store_id)]
    return {"items": [price_change_view(r) for r in rows], "next_cursor": None}


def decide_price_change(session, identity, request_id, approve):
    if identity.role not in ("hq_admin", "store_manager"):
        raise Forbidden("only a manager confirms a price change")
    request = session.scalars(select(PriceChangeRequest).where(
        PriceChangeRequest.id == str(request_id)).with_for_update()).first()
    if request is None or not identity.can_see_store(request.store_id):
        raise NotFound("no such price change")
    if request.status != "pending":
        raise Conflict(f"this price change is already {request.status}")
    if approve:
        item = _visible_item(session, identity, request.item_id, lock=True)
        if item.price_amount != request.old_amount:
            raise Conflict("the piece's price changed since; ask again")
        _set_price(session, identity, item, request.new_amount, request.reason + " (confirmed)")
    request.status = "applied" if approve else "rejected"
    request.decided_by, request.decided_at = identity.user_id, now()
    return price_change_view(request)


# --- search and reports ----------------------------------------------------------------------------

def search_items(session, identity, f, scope="own"):
    """Filtered search, newest received first, keyset-paginated.

    ``scope="chain"`` is chain-wide availability: any staff member searches
    every store, and sees another store's pieces without cost, vendor,
    pricing or history (``item_view(full=False)``).
    """
    chain = scope == "chain"
    query = select(Item)
    if f.get("store_id"):
        if not chain and not identity.can_see_store(f["store_id"]):
            raise Forbidden("you may not search this store")
        query = query.where(Item.store_id == str(f["store_id"]))
    elif not identity.chain_wide and not chain:
        query = query.where(Item.store_id.in_(identity.store_ids or ("-",)))
    if f.get("status"):
        query = query.where(Item.status == f["status"])
    if f.get("category"):
        query = query.where(Item.category == f["category"])
    if f.get("metal_type"):
        query = query.where(Item.metal_type == f["metal_type"])
    if f.get("karat"):
        query = query.where(Item.karat == f["karat"])
    if f.get("min_carat") is not None:
        query = query.where(Item.total_carat >= f["min_carat"])
    if f.get("max_carat") is not None:
        query = query.where(Item.total_carat <= f["max_carat"])
    if f.get("min_price") is not None:
        query = query.where(Item.price_amount >= f["min_price"])
    if f.get("max_price") is not None:
        query = query.where(Item.price_amount <= f["max_price"])
    if f.get("q"):
        pattern = "%" + f["q"].lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Item.search_text.like(pattern))
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


def snapshot_items(session, identity, cursor=None, limit=500):
    """Every piece in id order, for rebuilding a read model (HQ reporting):
    the facts, the status and when it last changed (``status_since``, from
    the piece's history), keyset-paginated. Chain-wide callers only."""
    if not identity.chain_wide:
        raise Forbidden("a snapshot of the chain's stock is for HQ only")
    limit = max(1, min(int(limit or 500), 5000))
    query = select(Item).order_by(Item.id).limit(limit + 1)
    if cursor:
        (after,) = decode_cursor(cursor, 1)
        query = query.where(Item.id > uuid_arg(after, "cursor"))
    rows = session.scalars(query).all()
    page = rows[:limit]
    since = dict(session.execute(
        select(ItemHistory.item_id, func.max(ItemHistory.at))
        .where(ItemHistory.item_id.in_([r.id for r in page] or ["00000000-0000-0000-0000-000000000000"]),
               ItemHistory.to_status.is_not(None))
        .group_by(ItemHistory.item_id)).all())
    items = []
    for r in page:
        changed = since.get(r.id) or r.received_at
        items.append({
            "id": r.id, "tag": r.tag, "store_id": r.store_id, "status": r.status,
            "category": r.category, "description": r.description, "metal_type": r.metal_type,
            "karat": r.karat, "ownership": r.ownership, "currency": r.currency,
            "cost": money(r.cost_amount, r.currency), "price": money(r.price_amount, r.currency),
            "received_at": r.received_at.isoformat(), "updated_at": r.updated_at.isoformat(),
            "status_since": changed.isoformat(),
        })
    return {"items": items,
            "next_cursor": encode_cursor([page[-1].id]) if len(rows) > limit else None}


def _report_stores(session, identity, store_id):
    if store_id:
        store_for(session, identity, store_id, write=False)
        return [str(store_id)]
    if identity.chain_wide:
        return None
    return list(identity.store_ids) or ["-"]


def aging_report(session, identity, store_id=None, at=None):
    at = at or now()
    stores = _report_stores(session, identity, store_id)
    days = func.extract("day", at - Item.received_at)
    bucket = case((days <= 90, "0-90"), (days <= 180, "91-180"), (days <= 365, "181-365"),
                  else_="365+")
    query = (select(Item.store_id, Item.currency, bucket.label("bucket"), func.count(),
                    func.coalesce(func.sum(Item.cost_amount), 0),
                    func.coalesce(func.sum(Item.price_amount), 0))
             .where(Item.status.in_(IN_STOCK_VALUE))
             .group_by(Item.store_id, Item.currency, "bucket"))
    if stores is not None:
        query = query.where(Item.store_id.in_(stores))
    out = {}
    for sid, currency, b, count, cost, retail in session.execute(query).all():
        entry = out.setdefault(sid, {"store_id": sid, "currency": currency, "buckets": {
            name: {"count": 0, "cost": 0, "retail": 0} for name in pricing.AGING_BUCKETS}})
        entry["buckets"][b] = {"count": count, "cost": int(cost), "retail": int(retail)}
    return {"as_of": at.isoformat(), "stores": list(out.values())}


def stock_value_report(session, identity, store_id=None):
    stores = _report_stores(session, identity, store_id)
    query = (select(Item.store_id, Item.currency, Item.ownership, func.count(),
                    func.coalesce(func.sum(Item.cost_amount), 0),
                    func.coalesce(func.sum(Item.price_amount), 0))
             .where(Item.status.in_(IN_STOCK_VALUE))
             .group_by(Item.store_id, Item.currency, Item.ownership))
    if stores is not None:
        query = query.where(Item.store_id.in_(stores))
    out = {}
    for sid, currency, ownership, count, cost, retail in session.execute(query).all():
        entry = out.setdefault(sid, {"store_id": sid, "currency": currency,
                                     "owned": {"count": 0, "cost": 0, "retail": 0},
                                     "memo_in": {"count": 0, "cost": 0, "retail": 0},
                                     "consignment": {"count": 0, "cost": 0, "retail": 0}})
        entry[ownership] = {"count": count, "cost": int(cost), "retail": int(retail)}
    for entry in out.values():
        # memo and consignment goods are not the store's stock value
        entry["stock_value"] = {"cost": money(entry["owned"]["cost"], entry["currency"]),
                                "retail": money(entry["owned"]["retail"], entry["currency"])}
    return {"stores": list(out.values())}
