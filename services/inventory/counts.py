"""Stock counts (docs/API.md#inventory): scan every tag in a store, compare
with the records, and mark what is missing (shrinkage)."""
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from chassis.clock import now
from chassis.errors import Conflict, NotFound
from chassis.outbox import emit
from chassis.pagination import after_time_cursor, page
from chassis.scope import one_or_own_stores
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


def _count_for(session, identity, count_id, lock=False, write=True):
    query = select(StockCount).where(StockCount.id == str(count_id))
    if lock:
        query = query.with_for_update()
    count = session.scalars(query).first()
    if count is None or not identity.can_see_store(count.store_id):
        raise NotFound("no such stock count")
    store_for(session, identity, count.store_id, write=write)
    return count


def list_counts(session, identity, q):
    """Counts of the caller's stores (or of ``store_id``), newest first."""
    query = one_or_own_stores(select(StockCount), StockCount.store_id, identity, q.get("store_id"),
                              "you may not see this store's stock counts")
    if q.get("status"):
        query = query.where(StockCount.status == q["status"])
    query = after_time_cursor(query, StockCount.opened_at, StockCount.id, q.get("cursor"))
    rows = session.scalars(query.order_by(StockCount.opened_at.desc(), StockCount.id.desc())
                           .limit(q["limit"] + 1)).all()
    scanned = _scanned_counts(session, [c.id for c in rows if c.status == "open"])
    return page(rows, q["limit"], lambda c: [c.opened_at.isoformat(), c.id],
                lambda c: count_view(c, scanned=scanned.get(c.id, 0) if c.status == "open" else None))


def _scanned_counts(session, count_ids):
    if not count_ids:
        return {}
    return dict(session.execute(select(StockCountScan.count_id, func.count())
                                .where(StockCountScan.count_id.in_(count_ids))
                                .group_by(StockCountScan.count_id)).all())


def get_count(session, identity, count_id):
    """A count; an open one as it stands: the tags scanned, the pieces on hand
    not scanned yet (``missing``) and the tags scanned that are not on hand
    here (``unexpected``), as closing it now would find them."""
    count = _count_for(session, identity, count_id, write=False)
    if count.status != "open":
        return count_view(count)
    scanned = sorted(session.scalars(select(StockCountScan.tag)
                                     .where(StockCountScan.count_id == count.id)).all())
    on_hand = {i.tag: i for i in session.scalars(
        select(Item).where(Item.store_id == count.store_id, Item.status.in_(ON_HAND))).all()}
    missing = sorted(on_hand.keys() - set(scanned))
    view = count_view(count, scanned=len(scanned))
    view.update(scanned_tags=scanned, missing=missing,
                unexpected=sorted(set(scanned) - on_hand.keys()),
                matched=len(set(scanned) & on_hand.keys()),
                missing_pieces=[{"id": on_hand[t].id, "tag": t, "description": on_hand[t].description,
                                 "status": on_hand[t].status} for t in missing])
    return view


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
