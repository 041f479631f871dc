"""HQ's read model: projection rules, one plain function per event type.

``apply(session, event)`` is called by the gateway's event handlers inside
``db.inbox(event)`` (each event counts once) and changes only the
``hq_*`` tables of the gateway's own database. See ``reporting_models`` for
how rows stay right whatever order events arrive in: each fact carries the
time it was true and only a newer event changes it; totals move by the
difference of a row's stake before and after, in the same transaction.

Locks are taken in one order (pieces by id, then transfer requests, then
totals by key, then the freshness row), so concurrent handlers never
deadlock.

The rebuild (``rebuild_reporting``) uses ``load_*`` and ``recount_*`` here:
a snapshot row is kept only where it is newer than what the events already
brought, and totals are recounted from the rows.
"""
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import case, delete, func, literal_column, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert

from chassis.sql import Precompiled

from .models import Store
from .reporting_models import (
    NO_STORE, HqClient, HqClientTier, HqFreshness, HqPiece, HqReturn, HqReturnedItem, HqSale,
    HqSaleLine, HqStockTotal, HqTransferRequest, HqWorkOrder,
)

# pieces that are the store's stock (inventory's IN_STOCK_VALUE)
VALUE_STATUSES = ("in_stock", "reserved", "in_transit", "on_memo_out", "missing")
OWNERSHIPS = ("owned", "memo_in", "consignment")
TIERS = ("new", "loyal", "vip")
CLOSED_STAGES = ("picked_up", "cancelled")
FINISHED_STAGES = ("ready_for_pickup",) + CLOSED_STAGES   # no longer overdue


def now():
    return datetime.now(timezone.utc)


def ts(value):
    """An ISO 8601 string (or a datetime) as an aware UTC datetime; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def day(value):
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _amount(money):
    return None if not money else int(money["amount"])


# --- pieces -----------------------------------------------------------------------------------

def stake(p):
    """What a piece adds to its store's stock totals: (key, (pieces, cost, retail)) or None."""
    if (p.received_at is None or p.store_id is None or p.currency is None
            or p.status not in VALUE_STATUSES):
        return None
    return ((p.store_id, p.currency, p.ownership or "owned"),
            (1, p.cost_amount or 0, p.price_amount or 0))


def _insert_new(model):
    """``INSERT ... ON CONFLICT DO NOTHING`` into ``model``'s table, compiled once."""
    return Precompiled(lambda: insert(model.__table__).on_conflict_do_nothing())


_NEW_PIECE = _insert_new(HqPiece)


def _lock_pieces(session, item_ids):
    ids = sorted({str(i) for i in item_ids})
    if not ids:
        return {}
    _NEW_PIECE.execute(session, [{"item_id": i} for i in ids])
    rows = session.scalars(select(HqPiece).where(HqPiece.item_id.in_(ids))
                           .order_by(HqPiece.item_id).with_for_update()).all()
    return {r.item_id: r for r in rows}


_ADD_TO = {}     # (model, keys, sums) -> its upsert, compiled once


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


@contextmanager
def changing_pieces(session, item_ids):
    """Lock pieces (creating rows not seen yet), yield them; afterwards move
    the difference of their stakes into ``hq_stock_totals``."""
    pieces = _lock_pieces(session, item_ids)
    before = {i: stake(p) for i, p in pieces.items()}
    yield pieces
    deltas = defaultdict(lambda: [0, 0, 0])
    for item_id, p in pieces.items():
        old, new = before[item_id], stake(p)
        if old == new:
            continue
        for sign, entry in ((-1, old), (1, new)):
            if entry:
                key, values = entry
                for n, v in enumerate(values):
                    deltas[key][n] += sign * v
    session.flush()
    add_to_totals(session, HqStockTotal, ("store_id", "currency", "ownership"),
                  ("pieces", "cost", "retail"), deltas)


def place(p, status, store_id, at):
    """The piece is ``status`` at ``store_id`` since ``at``, unless we know newer."""
    if p.status_at is not None and at <= p.status_at:
        return False
    p.status, p.status_at = status, at
    if store_id:
        p.store_id = str(store_id)
    return True


def _facts(event):
    """The payload and when it happened."""
    return event["payload"], ts(event["occurred_at"])


def item_received(session, event):
    f, at = _facts(event)
    with changing_pieces(session, [f["item_id"]]) as pieces:
        p = pieces[str(f["item_id"])]
        p.tag, p.category, p.description = f["tag"], f["category"], f["description"]
        p.metal_type, p.ownership = f.get("metal_type"), f["ownership"]
        p.currency = f["price"]["currency"]
        if f.get("cost"):
            p.cost_amount = _amount(f["cost"])
        if p.price_at is None:
            p.price_amount, p.price_at = _amount(f["price"]), at
        p.received_at = ts(f.get("received_at")) or at
        place(p, "in_stock", f["store_id"], at)


def item_price_changed(session, event):
    f, at = _facts(event)
    with changing_pieces(session, [f["item_id"]]) as pieces:
        p = pieces[str(f["item_id"])]
        if p.price_at is None or at > p.price_at:
            p.price_amount, p.price_at = _amount(f["new_price"]), at
            p.currency = p.currency or f["new_price"]["currency"]
        p.store_id = p.store_id or str(f["store_id"])


def _status_event(status):
    def project(session, event):
        f, at = _facts(event)
        with changing_pieces(session, [f["item_id"]]) as pieces:
            p = pieces[str(f["item_id"])]
            if place(p, status, f["store_id"], at) and status == "in_stock":
                p.sold_at, p.sale_id = None, None
    project.__name__ = f"item_{status}"
    return project


item_reserved = _status_event("reserved")
item_released = _status_event("in_stock")
item_returned = _status_event("in_stock")


def item_sold(session, event):
    f, at = _facts(event)
    with changing_pieces(session, [f["item_id"]]) as pieces:
        p = pieces[str(f["item_id"])]
        if place(p, "sold", f["store_id"], at):
            p.sold_at, p.sale_id = at, str(f["sale_id"])
        p.currency = p.currency or f["price"]["currency"]
        if p.cost_amount is None and f.get("cost"):
            p.cost_amount = _amount(f["cost"])
        p.ownership = p.ownership or f.get("ownership")


def _history_entry(change, at, **details):
    return [{"at": at.isoformat(), "change": change, "actor_id": None, "actor_role": "system",
             **{k: str(v) for k, v in details.items()}}]


def transfer_shipped(session, event):
    f, at = _facts(event)
    with changing_pieces(session, f["item_ids"]) as pieces:
        for p in pieces.values():
            place(p, "in_transit", f["from_store_id"], at)
        _requests_move(session, f, ("open",), "shipped", at)


def transfer_received(session, event):
    f, at = _facts(event)
    with changing_pieces(session, f["item_ids"]) as pieces:
        for p in pieces.values():
            if place(p, "in_stock", f["to_store_id"], at):
                p.sold_at, p.sale_id = None, None
        _requests_move(session, f, ("open", "shipped"), "received", at)


def _requests_move(session, f, from_statuses, to_status, at):
    """Transfer requests for these pieces between these stores follow the transfer."""
    item_ids = sorted(str(i) for i in f["item_ids"])
    rows = session.scalars(select(HqTransferRequest).where(
        HqTransferRequest.item_id.in_(item_ids),
        HqTransferRequest.from_store_id == str(f["from_store_id"]),
        HqTransferRequest.to_store_id == str(f["to_store_id"]),
        HqTransferRequest.status.in_(from_statuses))
        .order_by(HqTransferRequest.id).with_for_update()).all()
    for r in rows:
        r.status, r.transfer_id, r.updated_at = to_status, str(f["transfer_id"]), at
        r.history = list(r.history or []) + _history_entry(to_status, at, transfer_id=f["transfer_id"])


def stock_count_closed(session, event):
    """A count closed with ``mark_missing`` (it then has a shrinkage): the
    missing tags are ``missing``."""
    f, at = _facts(event)
    if f.get("shrinkage") is None or not f["missing"]:
        return
    store_id = str(f["store_id"])
    ids = session.scalars(select(HqPiece.item_id).where(
        HqPiece.tag.in_([t.strip().upper() for t in f["missing"]]),
        HqPiece.store_id == store_id)).all()
    with changing_pieces(session, ids) as pieces:
        for p in pieces.values():
            if p.status == "in_stock" and p.store_id == store_id:
                place(p, "missing", store_id, at)


def memo_opened(session, event):
    """Pieces lent out on memo stay the store's stock (valued), on_memo_out."""
    f, at = _facts(event)
    if f["direction"] != "out":
        return
    with changing_pieces(session, f["item_ids"]) as pieces:
        for p in pieces.values():
            place(p, "on_memo_out", f["store_id"], at)


def memo_closed(session, event):
    """Memo goods home again are in stock; vendor goods sent back leave the books."""
    f, at = _facts(event)
    with changing_pieces(session, list(f["back_in_stock"]) + list(f["returned_to_vendor"])) as pieces:
        for item_id in f["back_in_stock"]:
            place(pieces[str(item_id)], "in_stock", f["store_id"], at)
        for item_id in f["returned_to_vendor"]:
            place(pieces[str(item_id)], "returned_to_vendor", f["store_id"], at)


# --- sales --------------------------------------------------------------------------------------

def local_day(session, store_id, at):
    """The store's business day at ``at`` (its own time zone; UTC if unknown)."""
    name = session.scalar(select(Store.timezone).where(Store.id == str(store_id)))
    try:
        zone = ZoneInfo(name) if name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        zone = timezone.utc
    return at.astimezone(zone).date()


def record_sale(session, sale, lines):
    """Insert a sale and its lines once (by sale id); False when it was known."""
    inserted = _NEW_SALE.execute(session, sale).first()
    if inserted is None:
        return False
    common = {k: sale[k] for k in ("sale_id", "store_id", "completed_at", "associate_id")}
    common["local_day"] = local_day(session, sale["store_id"], sale["completed_at"])
    rows = [common | {"currency": sale["currency"]} | line for line in lines]
    if rows:
        _NEW_SALE_LINE.execute(session, rows)
    return True


_NEW_SALE = Precompiled(lambda: insert(HqSale.__table__).on_conflict_do_nothing()
                        .returning(HqSale.__table__.c.sale_id))
_NEW_SALE_LINE = _insert_new(HqSaleLine)


def sale_completed(session, event):
    f, at = _facts(event)
    currency = f["total"]["currency"]
    sale = {"sale_id": str(f["sale_id"]), "store_id": str(f["store_id"]),
            "completed_at": ts(f.get("completed_at")) or at, "associate_id": f.get("associate_id"),
            "client_id": str(f["client_id"]) if f.get("client_id") else None,
            "receipt_number": f.get("receipt_number"), "currency": currency,
            "subtotal": _amount(f["subtotal"]), "tax": _amount(f["tax"]),
            "total": _amount(f["total"])}
    lines = [{"line_no": n, "kind": line["kind"],
              "item_id": str(line["item_id"]) if line.get("item_id") else None,
              "category": line.get("category"), "metal_type": line.get("metal_type"),
              "amount": _amount(line["amount"]), "discount": _amount(line.get("discount")) or 0,
              "tax": _amount(line.get("tax")) or 0, "cost": _amount(line.get("cost"))}
             for n, line in enumerate(f["lines"])]
    record_sale(session, sale, lines)


def record_return(session, ret, item_ids):
    ret = dict(ret, local_day=local_day(session, ret["store_id"], ret["returned_at"]))
    inserted = _NEW_RETURN.execute(session, ret).first()
    if inserted is None or not item_ids:
        return inserted is not None
    _NEW_RETURNED_ITEM.execute(session, [
        {"return_id": ret["return_id"], "item_id": str(i), "sale_id": ret["sale_id"]}
        for i in sorted({str(i) for i in item_ids})])
    return True


_NEW_RETURN = Precompiled(lambda: insert(HqReturn.__table__).on_conflict_do_nothing()
                          .returning(HqReturn.__table__.c.return_id))
_NEW_RETURNED_ITEM = _insert_new(HqReturnedItem)


def sale_returned(session, event):
    f, at = _facts(event)
    record_return(session, {
        "return_id": str(f["return_id"]), "sale_id": str(f["sale_id"]),
        "store_id": str(f["store_id"]), "returned_at": ts(f.get("returned_at")) or at,
        "currency": f["refund"]["currency"], "refund": _amount(f["refund"])}, f["item_ids"])


# --- work orders --------------------------------------------------------------------------------

_NEW_WORK_ORDER = _insert_new(HqWorkOrder)
_NEW_CLIENT = _insert_new(HqClient)


def _lock_work_order(session, work_order_id):
    _NEW_WORK_ORDER.execute(session, {"work_order_id": str(work_order_id)})
    return session.scalars(select(HqWorkOrder).where(HqWorkOrder.work_order_id == str(work_order_id))
                           .with_for_update()).one()


def _work_order_event(stage_of):
    """Every job event carries the job's facts and a stage: the newest event's
    win; an older one only fills what is not known yet."""
    def project(session, event):
        f, at = _facts(event)
        wo = _lock_work_order(session, f["work_order_id"])
        if event["event_type"] == "workorder.created":
            wo.created_at = at
        facts = {"store_id": str(f["store_id"]), "number": f["number"], "kind": f.get("kind"),
                 "promised_date": day(f.get("promised_date"))}
        newest = wo.stage_at is None or at > wo.stage_at
        for name, value in facts.items():
            if value is not None and (newest or getattr(wo, name) is None):
                setattr(wo, name, value)
        stage = stage_of(f)
        if stage and newest:
            wo.stage, wo.stage_at = stage, at
    return project


workorder_created = _work_order_event(lambda f: "received")
workorder_stage_changed = _work_order_event(lambda f: f["to_stage"])
workorder_overdue = _work_order_event(lambda f: f.get("stage"))


# --- clients ------------------------------------------------------------------------------------

def client_stake(c):
    if not c.known or c.merged or not c.tier:
        return None
    return (c.home_store_id or NO_STORE, c.tier)


@contextmanager
def changing_client(session, client_id):
    _NEW_CLIENT.execute(session, {"client_id": str(client_id)})
    c = session.scalars(select(HqClient).where(HqClient.client_id == str(client_id))
                        .with_for_update()).one()
    before = client_stake(c)
    yield c
    after = client_stake(c)
    if before != after:
        deltas = defaultdict(lambda: [0])
        if before:
            deltas[before][0] -= 1
        if after:
            deltas[after][0] += 1
        session.flush()
        add_to_totals(session, HqClientTier, ("store_id", "tier"), ("clients",), deltas)


def _client_facts(session, event):
    f, at = _facts(event)
    with changing_client(session, f["client_id"]) as c:
        c.known = True
        if c.facts_at is None or at > c.facts_at:
            c.home_store_id = str(f["home_store_id"]) if f.get("home_store_id") else None
            c.facts_at = at
        if c.tier_at is None:
            c.tier, c.tier_at = c.tier or "new", at


client_created = _client_facts
client_updated = _client_facts


def client_tier_changed(session, event):
    f, at = _facts(event)
    with changing_client(session, f["client_id"]) as c:
        if c.tier_at is None or at > c.tier_at:
            c.tier, c.tier_at = f["new_tier"], at


def client_merged(session, event):
    f, at = _facts(event)
    with changing_client(session, f["merged_id"]) as c:
        c.merged = True


# --- dispatch and freshness -------------------------------------------------------------------

PROJECTIONS = {
    "item.received": item_received, "item.price_changed": item_price_changed,
    "item.reserved": item_reserved, "item.released": item_released, "item.sold": item_sold,
    "item.returned": item_returned, "transfer.shipped": transfer_shipped,
    "transfer.received": transfer_received, "stock_count.closed": stock_count_closed,
    "memo.opened": memo_opened, "memo.closed": memo_closed,
    "sale.completed": sale_completed, "sale.returned": sale_returned,
    "workorder.created": workorder_created, "workorder.stage_changed": workorder_stage_changed,
    "workorder.overdue": workorder_overdue,
    "client.created": client_created, "client.updated": client_updated,
    "client.tier_changed": client_tier_changed, "client.merged": client_merged,
}

# (producer, event type) of every event HQ's read model consumes
CONSUMED = {
    "inventory": ("item.received", "item.price_changed", "item.reserved", "item.released",
                  "item.sold", "item.returned", "transfer.shipped", "transfer.received",
                  "stock_count.closed", "memo.opened", "memo.closed"),
    "payments": ("sale.completed", "sale.returned"),
    "workorders": ("workorder.created", "workorder.stage_changed", "workorder.overdue"),
    "crm": ("client.created", "client.updated", "client.tier_changed", "client.merged"),
}


def apply(session, event, applied_at=None):
    """Project one event (an envelope) into the read model."""
    PROJECTIONS[event["event_type"]](session, event)
    mark_fresh(session, event["event_type"], ts(event["occurred_at"]), applied_at)


def mark_fresh(session, event_type, occurred_at, applied_at=None):
    applied_at = applied_at or now()
    lag_ms = max(0, int((applied_at - occurred_at).total_seconds() * 1000))
    _FRESH.execute(session, {"event_type": event_type, "last_occurred_at": occurred_at,
                             "last_applied_at": applied_at, "lag_ms": lag_ms, "applied": 1})


def _fresh():
    t = HqFreshness.__table__
    stmt = insert(t)
    x = stmt.excluded
    return stmt.on_conflict_do_update(index_elements=[t.c.event_type], set_={
        "last_occurred_at": func.greatest(t.c.last_occurred_at, x.last_occurred_at),
        "last_applied_at": func.greatest(t.c.last_applied_at, x.last_applied_at),
        "lag_ms": case((x.last_occurred_at >= t.c.last_occurred_at, x.lag_ms), else_=t.c.lag_ms),
        "applied": t.c.applied + 1})


_FRESH = Precompiled(_fresh)


def freshness(session, at=None):
    """``as_of``: the newest event the read model reflects; ``lag_seconds``:
    how long after it happened the newest event was applied."""
    at = at or now()
    rows = session.scalars(select(HqFreshness)).all()
    if not rows:
        return {"as_of": None, "lag_seconds": None, "last_applied_at": None, "events_applied": 0}
    newest = max(rows, key=lambda r: r.last_occurred_at)
    return {"as_of": newest.last_occurred_at.isoformat(),
            "lag_seconds": round(newest.lag_ms / 1000, 3),
            "last_applied_at": max(r.last_applied_at for r in rows).isoformat(),
            "events_applied": sum(r.applied for r in rows if r.event_type != "rebuild")}


# --- rebuild: snapshots kept where newer, totals recounted -------------------------------------------

def load_pieces(session, items):
    """Upsert inventory snapshot rows (``snapshot_items``); a row's status,
    store and price stay where the events brought something newer."""
    if not items:
        return 0
    rows = [{
        "item_id": i["id"], "tag": i["tag"], "store_id": i["store_id"], "status": i["status"],
        "status_at": ts(i["status_since"]), "category": i["category"],
        "description": i["description"], "metal_type": i.get("metal_type"),
        "ownership": i["ownership"], "currency": i["currency"],
        "cost_amount": _amount(i.get("cost")), "price_amount": _amount(i["price"]),
        "price_at": ts(i["updated_at"]), "received_at": ts(i["received_at"]),
        "sold_at": ts(i["status_since"]) if i["status"] == "sold" else None,
    } for i in items]
    # rows as parameters to a Core statement, compiled once and sent in
    # batches: a 2,000-row VALUES list, or the ORM's bulk path (it compiled
    # the upsert again and again), cost more CPU than the database's work
    stmt = insert(HqPiece.__table__)
    x, t = stmt.excluded, HqPiece.__table__.c
    newer = or_(t.status_at.is_(None), x.status_at >= t.status_at)
    price_newer = or_(t.price_at.is_(None), x.price_at >= t.price_at)
    stmt = stmt.on_conflict_do_update(index_elements=[t.item_id], set_={
        "tag": x.tag, "category": x.category, "description": x.description,
        "metal_type": x.metal_type, "ownership": x.ownership, "currency": x.currency,
        "cost_amount": x.cost_amount, "received_at": x.received_at,
        "status": case((newer, x.status), else_=t.status),
        "store_id": case((newer, x.store_id), else_=t.store_id),
        "sold_at": case((newer, x.sold_at), else_=t.sold_at),
        "status_at": case((newer, x.status_at), else_=t.status_at),
        "price_amount": case((price_newer, x.price_amount), else_=t.price_amount),
        "price_at": case((price_newer, x.price_at), else_=t.price_at),
    })
    session.connection().execute(stmt, rows)
    return len(rows)


def recount_stock(session):
    """``hq_stock_totals`` from ``hq_pieces`` (the rebuild's last step)."""
    # handlers still add their differences after we commit: they wait for this lock,
    # and what they changed before it is in the pieces we count
    session.execute(text("LOCK TABLE hq_stock_totals IN EXCLUSIVE MODE"))
    session.execute(delete(HqStockTotal))
    ownership = func.coalesce(HqPiece.ownership, literal_column("'owned'"))
    session.execute(insert(HqStockTotal).from_select(
        ["store_id", "currency", "ownership", "pieces", "cost", "retail"],
        select(HqPiece.store_id, HqPiece.currency, ownership, func.count(),
               func.coalesce(func.sum(HqPiece.cost_amount), 0),
               func.coalesce(func.sum(HqPiece.price_amount), 0))
        .where(HqPiece.received_at.is_not(None), HqPiece.store_id.is_not(None),
               HqPiece.currency.is_not(None), HqPiece.status.in_(VALUE_STATUSES))
        .group_by(HqPiece.store_id, HqPiece.currency, ownership)))


def recount_clients(session):
    session.execute(text("LOCK TABLE hq_client_tiers IN EXCLUSIVE MODE"))
    session.execute(delete(HqClientTier))
    store = func.coalesce(HqClient.home_store_id, literal_column(f"'{NO_STORE}'::uuid"))
    session.execute(insert(HqClientTier).from_select(
        ["store_id", "tier", "clients"],
        select(store, HqClient.tier, func.count())
        .where(HqClient.known.is_(True), HqClient.merged.is_(False), HqClient.tier.is_not(None))
        .group_by(store, HqClient.tier)))


def fill_line_facts(session):
    """Sale lines rebuilt from payments' views lack category, metal and cost:
    take them from the pieces."""
    session.execute(update(HqSaleLine).where(
        HqSaleLine.item_id == HqPiece.item_id, HqSaleLine.kind == "item",
        or_(HqSaleLine.category.is_(None), HqSaleLine.cost.is_(None)))
        .values(category=func.coalesce(HqSaleLine.category, HqPiece.category),
                metal_type=func.coalesce(HqSaleLine.metal_type, HqPiece.metal_type),
                cost=func.coalesce(HqSaleLine.cost, HqPiece.cost_amount)))


def load_sale_view(session, view):
    """One sale from payments' ``list_sales`` view (a completed sale)."""
    currency = view["total"]["currency"]
    sale = {"sale_id": view["id"], "store_id": view["store_id"],
            "completed_at": ts(view["completed_at"]), "associate_id": view.get("associate_id"),
            "client_id": view.get("client_id"), "receipt_number": view.get("receipt_number"),
            "currency": currency, "subtotal": _amount(view["subtotal"]),
            "tax": _amount(view["tax"]), "total": _amount(view["total"])}
    lines = [{"line_no": line.get("index", n), "kind": line["kind"], "item_id": line.get("item_id"),
              "category": None, "metal_type": None, "amount": _amount(line["amount"]),
              "discount": _amount((line.get("discount") or {}).get("amount")) or 0,
              "tax": _amount(line.get("tax")) or 0, "cost": None}
             for n, line in enumerate(view.get("lines") or [])]
    record_sale(session, sale, lines)
    for r in view.get("returns") or []:
        if r.get("state") == "completed":
            record_return(session, {
                "return_id": r["id"], "sale_id": view["id"], "store_id": view["store_id"],
                "returned_at": ts(r["created_at"]), "currency": r["amount"]["currency"],
                "refund": _amount(r["amount"])}, r.get("item_ids") or [])


def load_work_orders(session, views):
    if not views:
        return
    rows = [{"work_order_id": v["id"], "store_id": v["store_id"], "number": v.get("number"),
             "kind": v.get("kind"), "stage": v["stage"],
             "stage_at": ts(v.get("stage_changed_at") or v.get("updated_at") or v.get("created_at")),
             "promised_date": day(v.get("promised_date")), "created_at": ts(v.get("created_at"))}
            for v in views]
    stmt = insert(HqWorkOrder.__table__)
    x, t = stmt.excluded, HqWorkOrder.__table__.c
    newer = or_(t.stage_at.is_(None), x.stage_at >= t.stage_at)
    session.connection().execute(stmt.on_conflict_do_update(index_elements=[t.work_order_id], set_={
        "store_id": x.store_id, "number": x.number, "kind": x.kind,
        "promised_date": x.promised_date, "created_at": func.coalesce(t.created_at, x.created_at),
        "stage": case((newer, x.stage), else_=t.stage),
        "stage_at": case((newer, x.stage_at), else_=t.stage_at)}), rows)


def load_clients(session, views, as_of):
    """Clients from crm's search (merged ones are not listed); ``as_of`` is
    when the snapshot began: events after it still win."""
    if not views:
        return
    rows = [{"client_id": v["id"], "known": True, "merged": False,
             "home_store_id": v.get("home_store_id"), "facts_at": as_of,
             "tier": v.get("tier") or "new", "tier_at": as_of} for v in views]
    stmt = insert(HqClient.__table__)
    x, t = stmt.excluded, HqClient.__table__.c
    session.connection().execute(stmt.on_conflict_do_update(index_elements=[t.client_id], set_={
        "known": True,
        "home_store_id": case((or_(t.facts_at.is_(None), x.facts_at >= t.facts_at), x.home_store_id),
                              else_=t.home_store_id),
        "facts_at": func.greatest(t.facts_at, x.facts_at),
        "tier": case((or_(t.tier_at.is_(None), x.tier_at >= t.tier_at), x.tier), else_=t.tier),
        "tier_at": func.greatest(t.tier_at, x.tier_at)}), rows)


PROJECTION_TABLES = ("hq_pieces", "hq_stock_totals", "hq_sales", "hq_sale_lines", "hq_returns",
                     "hq_returned_items", "hq_work_orders", "hq_clients", "hq_client_tiers",
                     "hq_freshness")

