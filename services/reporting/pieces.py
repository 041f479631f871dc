"""Pieces as HQ sees them, from inventory's events: where each piece is, in
which status since when, what it is worth; and the stock totals per store,
currency and ownership, moved by the difference of a piece's stake before
and after each event.

The rebuild uses ``load_pieces`` (a snapshot row is kept only where it is
newer than what the events already brought) and ``recount_stock``.
"""
from collections import defaultdict
from contextlib import contextmanager

from sqlalchemy import case, delete, func, literal_column, or_, select, text
from sqlalchemy.dialects.postgresql import insert

from chassis.clock import instant
from contracts.rpc.inventory import IN_STOCK_VALUE

from . import transfer_requests
from .common import add_to_totals, amount, facts, insert_new
from .models import HqPiece, HqStockTotal

_NEW_PIECE = insert_new(HqPiece)


def stake(p):
    """What a piece adds to its store's stock totals: (key, (pieces, cost, retail)) or None."""
    if (p.received_at is None or p.store_id is None or p.currency is None
            or p.status not in IN_STOCK_VALUE):
        return None
    return ((p.store_id, p.currency, p.ownership or "owned"),
            (1, p.cost_amount or 0, p.price_amount or 0))


def _lock_pieces(session, item_ids):
    ids = sorted({str(i) for i in item_ids})
    if not ids:
        return {}
    _NEW_PIECE.execute(session, [{"item_id": i} for i in ids])
    rows = session.scalars(select(HqPiece).where(HqPiece.item_id.in_(ids))
                           .order_by(HqPiece.item_id).with_for_update()).all()
    return {r.item_id: r for r in rows}


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


def item_received(session, event):
    f, at = facts(event)
    with changing_pieces(session, [f["item_id"]]) as pieces:
        p = pieces[str(f["item_id"])]
        p.tag, p.category, p.description = f["tag"], f["category"], f["description"]
        p.metal_type, p.ownership = f.get("metal_type"), f["ownership"]
        p.currency = f["price"]["currency"]
        if f.get("cost"):
            p.cost_amount = amount(f["cost"])
        if p.price_at is None:
            p.price_amount, p.price_at = amount(f["price"]), at
        p.received_at = instant(f.get("received_at")) or at
        place(p, "in_stock", f["store_id"], at)


def item_price_changed(session, event):
    f, at = facts(event)
    with changing_pieces(session, [f["item_id"]]) as pieces:
        p = pieces[str(f["item_id"])]
        if p.price_at is None or at > p.price_at:
            p.price_amount, p.price_at = amount(f["new_price"]), at
            p.currency = p.currency or f["new_price"]["currency"]
        p.store_id = p.store_id or str(f["store_id"])


def _status_event(status):
    def project(session, event):
        f, at = facts(event)
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
    f, at = facts(event)
    with changing_pieces(session, [f["item_id"]]) as pieces:
        p = pieces[str(f["item_id"])]
        if place(p, "sold", f["store_id"], at):
            p.sold_at, p.sale_id = at, str(f["sale_id"])
        p.currency = p.currency or f["price"]["currency"]
        if p.cost_amount is None and f.get("cost"):
            p.cost_amount = amount(f["cost"])
        p.ownership = p.ownership or f.get("ownership")


def transfer_shipped(session, event):
    f, at = facts(event)
    with changing_pieces(session, f["item_ids"]) as pieces:
        for p in pieces.values():
            place(p, "in_transit", f["from_store_id"], at)
        transfer_requests.follow_transfer(session, f, ("open",), "shipped", at)


def transfer_received(session, event):
    f, at = facts(event)
    with changing_pieces(session, f["item_ids"]) as pieces:
        for p in pieces.values():
            if place(p, "in_stock", f["to_store_id"], at):
                p.sold_at, p.sale_id = None, None
        transfer_requests.follow_transfer(session, f, ("open", "shipped"), "received", at)


def stock_count_closed(session, event):
    """A count closed with ``mark_missing`` (it then has a shrinkage): the
    missing tags are ``missing``."""
    f, at = facts(event)
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
    f, at = facts(event)
    if f["direction"] != "out":
        return
    with changing_pieces(session, f["item_ids"]) as pieces:
        for p in pieces.values():
            place(p, "on_memo_out", f["store_id"], at)


def memo_closed(session, event):
    """Memo goods home again are in stock; vendor goods sent back leave the books."""
    f, at = facts(event)
    with changing_pieces(session, list(f["back_in_stock"]) + list(f["returned_to_vendor"])) as pieces:
        for item_id in f["back_in_stock"]:
            place(pieces[str(item_id)], "in_stock", f["store_id"], at)
        for item_id in f["returned_to_vendor"]:
            place(pieces[str(item_id)], "returned_to_vendor", f["store_id"], at)


# --- rebuild: snapshots kept where newer, totals recounted -------------------------------------

def _snapshot_row(i):
    return {
        "item_id": i["id"], "tag": i["tag"], "store_id": i["store_id"], "status": i["status"],
        "status_at": instant(i["status_since"]), "category": i["category"],
        "description": i["description"], "metal_type": i.get("metal_type"),
        "ownership": i["ownership"], "currency": i["currency"],
        "cost_amount": amount(i.get("cost")), "price_amount": amount(i["price"]),
        "price_at": instant(i["updated_at"]), "received_at": instant(i["received_at"]),
        "sold_at": instant(i["status_since"]) if i["status"] == "sold" else None,
    }


def load_pieces(session, items):
    """Upsert inventory snapshot rows (``snapshot_items``); a row's status,
    store and price stay where the events brought something newer."""
    if not items:
        return 0
    rows = [_snapshot_row(i) for i in items]
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
               HqPiece.currency.is_not(None), HqPiece.status.in_(IN_STOCK_VALUE))
        .group_by(HqPiece.store_id, HqPiece.currency, ownership)))
