"""Memo goods and their clocks (docs/API.md#inventory): pieces lent out on
memo, vendor goods on memo in, and the daily overdue notice."""
from datetime import date
from uuid import UUID

from sqlalchemy import and_, or_, select

from chassis.clock import now
from chassis.errors import InvalidInput, NotFound
from chassis.outbox import emit
from chassis.pagination import decode_cursor, encode_cursor
from chassis.scope import own_stores

from .common import add_history, check_status, lock_items, move, store_for
from .models import Memo


def memo_view(m, today=None):
    today = today or now().date()
    return {"id": m.id, "direction": m.direction, "store_id": m.store_id,
            "counterparty": m.counterparty, "vendor_id": m.vendor_id, "item_ids": m.item_ids,
            "due_date": m.due_date.isoformat(), "status": m.status,
            "overdue": m.status == "open" and m.due_date < today,
            "created_at": m.created_at.isoformat() if m.created_at else None}


def _memo_event(memo, **extra):
    return {"memo_id": memo.id, "store_id": memo.store_id, "direction": memo.direction,
            "counterparty": memo.counterparty, "item_ids": memo.item_ids,
            "due_date": memo.due_date.isoformat(), **extra}


def create_memo(session, identity, data):
    store = store_for(session, identity, data["store_id"])
    if data["due_date"] < now().date():
        raise InvalidInput("due date in the past", {"due_date": ["must not be in the past"]})
    ids, found = lock_items(session, data["item_ids"])
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
        _lend(session, identity, memo, items)
    else:
        _take_in(session, identity, memo, items, data["due_date"])
    session.flush()
    session.refresh(memo)
    emit(session, "memo.opened", _memo_event(memo), store_id=memo.store_id)
    return memo_view(memo)


def _lend(session, identity, memo, items):
    check_status(items, ("in_stock",), "sent on memo")
    for item in items:
        move(session, identity, item, "on_memo_out", "memo_out", memo_id=memo.id,
             counterparty=memo.counterparty)
        item.hold_reason, item.hold_ref = "memo", memo.id


def _take_in(session, identity, memo, items, due_date):
    not_memo = [i.tag for i in items if i.ownership != "memo_in"]
    if not_memo:
        raise InvalidInput("memo in is for vendor goods",
                           {"item_ids": [f"piece {t} is not received as memo_in" for t in not_memo]})
    for item in items:
        add_history(session, identity, item, "memo_in", memo_id=memo.id, due_date=due_date)


def return_memo(session, identity, memo_id):
    """Close a memo: goods lent out come back; vendor goods go back to the vendor."""
    memo = session.scalars(select(Memo).where(Memo.id == str(memo_id)).with_for_update()).first()
    if memo is None or not identity.can_see_store(memo.store_id):
        raise NotFound("no such memo")
    store_for(session, identity, memo.store_id)
    if memo.status != "open":
        return memo_view(memo)
    _, found = lock_items(session, memo.item_ids)
    back, to_vendor = [], []
    for item_id in memo.item_ids:
        item = found[item_id]
        if memo.direction == "out" and item.status == "on_memo_out" and item.hold_ref == memo.id:
            move(session, identity, item, "in_stock", "memo_returned", memo_id=memo.id)
            item.hold_reason, item.hold_ref = None, None
            back.append(item.id)
        elif memo.direction == "in" and item.status == "in_stock":
            move(session, identity, item, "returned_to_vendor", "returned_to_vendor", memo_id=memo.id)
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
    query = own_stores(query, Memo.store_id, identity)
    if overdue:
        query = query.where(Memo.status == "open", Memo.due_date < now().date())
    if cursor:
        due, mid = decode_cursor(cursor, types=(date, UUID))
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
        emit(session, "memo.overdue", _memo_event(memo), store_id=memo.store_id)
    return [m.id for m in due]
