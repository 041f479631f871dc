"""Stock counts (docs/API.md#inventory): scan every tag in a store, compare
with the records, and mark what is missing (shrinkage)."""
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from chassis.clock import now
from chassis.errors import Conflict, NotFound
from chassis.outbox import emit
from contracts.money import money

from .common import ON_HAND, move, store_for
from .models import Item, StockCount, StockCountScan, Store


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
    """Compare the scans with the pieces on hand; ``mark_missing`` makes the
    unscanned ones ``missing`` and counts the owned ones' cost as shrinkage."""
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
    shrinkage = None
    if mark_missing:
        lost = _mark_missing(session, identity, count, [expected[tag] for tag in missing])
        shrinkage = money(lost, session.get(Store, count.store_id).currency)
    result = {"matched": len(matched), "missing": missing, "unexpected": unexpected,
              "marked_missing": bool(mark_missing), "shrinkage": shrinkage}
    count.status, count.closed_at, count.result = "closed", now(), result
    emit(session, "stock_count.closed", {"count_id": count.id, "store_id": count.store_id,
                                         "matched": len(matched), "missing": missing,
                                         "unexpected": unexpected,
                                         "shrinkage": result["shrinkage"]},
         store_id=count.store_id)
    return count_view(count)


def _mark_missing(session, identity, count, items):
    """The pieces in stock become ``missing``; the cost of the owned ones."""
    shrinkage = 0
    for item in items:
        if item.status == "in_stock":
            move(session, identity, item, "missing", "counted_missing", count_id=count.id)
            if item.ownership == "owned":
                shrinkage += item.cost_amount or 0
    return shrinkage
