"""Transfers between stores (docs/API.md#inventory): pieces are
``in_transit``, then ``in_stock`` at the destination."""
from sqlalchemy import or_, select

from chassis.clock import now
from chassis.errors import Forbidden, InvalidInput, NotFound
from chassis.outbox import emit
from chassis.pagination import after_time_cursor, page

from .common import check_status, lock_items, move, store_for
from .models import Store, Transfer


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
    ids, found = lock_items(session, data["item_ids"])
    unknown = [i for i in ids if i not in found or found[i].store_id != source.id]
    if unknown:
        raise InvalidInput("pieces not at the sending store",
                           {"item_ids": [f"no such item at this store: {i}" for i in unknown]})
    items = [found[i] for i in ids]
    check_status(items, ("in_stock",), "shipped")
    transfer = Transfer(from_store_id=source.id, to_store_id=dest.id, status="shipped",
                        item_ids=ids, shipped_by=identity.user_id)
    session.add(transfer)
    session.flush()
    for item in items:
        move(session, identity, item, "in_transit", "shipped", transfer_id=transfer.id,
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
    _, found = lock_items(session, transfer.item_ids)
    for item_id in transfer.item_ids:
        item = found[item_id]
        if item.status == "in_transit" and item.hold_ref == transfer.id:
            move(session, identity, item, "in_stock", "transfer_received", transfer_id=transfer.id,
                 from_store_id=transfer.from_store_id)
            item.store_id, item.hold_reason, item.hold_ref = transfer.to_store_id, None, None
    transfer.status, transfer.received_by, transfer.received_at = "received", identity.user_id, now()
    emit(session, "transfer.received", {"transfer_id": transfer.id,
                                        "from_store_id": transfer.from_store_id,
                                        "to_store_id": transfer.to_store_id,
                                        "item_ids": transfer.item_ids},
         store_id=transfer.to_store_id)
    return transfer_view(transfer)


def list_transfers(session, identity, q):
    """Transfers of the caller's stores (or of ``store_id``), newest first:
    ``direction`` in (coming to it) or out (leaving it), either by default."""
    if q.get("store_id") and not identity.can_see_store(q["store_id"]):
        raise Forbidden("you may not see this store's transfers")
    query = select(Transfer)
    columns = {"in": (Transfer.to_store_id,), "out": (Transfer.from_store_id,)}.get(
        q.get("direction"), (Transfer.to_store_id, Transfer.from_store_id))
    if q.get("store_id"):
        query = query.where(or_(*(c == str(q["store_id"]) for c in columns)))
    elif not identity.chain_wide:
        mine = identity.store_ids or ("-",)
        query = query.where(or_(*(c.in_(mine) for c in columns)))
    if q.get("status"):
        query = query.where(Transfer.status == q["status"])
    query = after_time_cursor(query, Transfer.shipped_at, Transfer.id, q.get("cursor"))
    rows = session.scalars(query.order_by(Transfer.shipped_at.desc(), Transfer.id.desc())
                           .limit(q["limit"] + 1)).all()
    return page(rows, q["limit"], lambda t: [t.shipped_at.isoformat(), t.id], transfer_view)
