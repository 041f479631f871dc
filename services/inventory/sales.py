"""Pieces held for payments' checkout saga
(docs/ARCHITECTURE.md#checkout-saga-payments-orchestrates): reserve all or
none, confirm, release, and return to stock; every step idempotent, and a
unique piece is sold once (docs/ARCHITECTURE.md#rule-5).

A hold lapses: a reservation that arrives after its caller's ``deadline``
is refused, and a ``reserved`` hold past its ``expires_at`` is released by
the sweeper (``expire_sale_holds``, state ``expired``). A sale or layaway
that still completes afterwards takes its pieces again if they are still in
stock (``confirm_sale``, ``keep_hold``), else gets 409."""
from datetime import timedelta

from sqlalchemy import select, update

from chassis.clock import now
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.outbox import emit
from contracts.money import maybe_money, money

from .common import add_history, check_status, lock_items, move
from .models import Item, SaleHold
from .views import item_view


def _still_live(sale_id, deadline):
    """A reservation its caller stopped waiting for holds nothing."""
    if deadline is not None and now() >= deadline:
        raise Conflict(f"the sale {sale_id} is no longer live: its reservation arrived after "
                       f"its deadline ({deadline.isoformat()}); nothing is held")


def reserve_for_sale(session, identity, sale_id, item_ids, store_id=None, reason="sale",
                     deadline=None, hold_minutes=30.0):
    """All pieces flip to ``reserved`` for the sale, or none do. Idempotent.
    ``deadline`` (aware datetime): when the caller stops waiting; checked when
    the call starts and again once every piece is locked, just before the
    commit. The holds lapse ``hold_minutes`` from now."""
    sale_id = str(sale_id)
    wanted = {str(i) for i in item_ids}
    if not wanted:
        raise InvalidInput("no pieces", {"item_ids": ["at least one piece"]})
    _still_live(sale_id, deadline)
    existing = session.scalars(select(SaleHold).where(SaleHold.sale_id == sale_id)).all()
    if existing:
        if {h.item_id for h in existing} != wanted:
            raise Conflict(f"sale {sale_id} already holds other pieces")
        if any(h.state not in ("reserved", "sold") for h in existing):
            raise Conflict(f"sale {sale_id} was already released")
        return [item_view(session.get(Item, h.item_id)) for h in existing]
    items = _sellable(session, identity, wanted, store_id)
    expires_at = now() + timedelta(minutes=hold_minutes)
    for item in items:
        move(session, identity, item, "reserved", "reserved", sale_id=sale_id, reason=reason)
        item.hold_reason, item.hold_ref = reason, sale_id
        session.add(SaleHold(sale_id=sale_id, item_id=item.id, reason=reason, state="reserved",
                             expires_at=expires_at))
        emit(session, "item.reserved", {"item_id": item.id, "store_id": item.store_id,
                                        "reason": reason, "sale_id": sale_id,
                                        "expires_at": expires_at.isoformat()},
             store_id=item.store_id)
    session.flush()
    _still_live(sale_id, deadline)      # it waited on a lock past the deadline: roll back
    return [item_view(i) for i in items]


def _sellable(session, identity, wanted, store_id):
    """The pieces, locked, all visible, of the store and in stock."""
    ids, found = lock_items(session, wanted)
    missing = [i for i in ids if i not in found or not identity.can_see_store(found[i].store_id)]
    if missing:
        raise InvalidInput("unknown piece", {"item_ids": [f"no such item {i}" for i in missing]})
    items = [found[i] for i in ids]
    if store_id is not None:
        foreign = [i.tag for i in items if i.store_id != str(store_id)]
        if foreign:
            raise InvalidInput("pieces of another store",
                               {"item_ids": [f"piece {t} belongs to another store" for t in foreign]})
    check_status(items, ("in_stock",), "reserved")
    return items


def _sale_holds(session, sale_id):
    """The sale's holds, locked; NotFound without any, 409 once released by payments."""
    holds = session.scalars(select(SaleHold).where(SaleHold.sale_id == sale_id)
                            .order_by(SaleHold.item_id).with_for_update()).all()
    if not holds:
        raise NotFound(f"no pieces are held for sale {sale_id}")
    if any(h.state == "released" for h in holds):
        raise Conflict(f"sale {sale_id} was released; its pieces may be sold elsewhere")
    return holds


def _retake(session, identity, sale_id, holds, found):
    """Holds the sweeper let lapse, taken again: the pieces are still in stock
    (all of them, or 409 and nothing changes)."""
    lapsed = [h for h in holds if h.state == "expired"]
    gone = [found[h.item_id] for h in lapsed if found[h.item_id].status != "in_stock"]
    if gone:
        raise Conflict(f"sale {sale_id}'s hold lapsed and its pieces were taken since: "
                       + ", ".join(f"{i.tag} is {i.status}" for i in gone))
    for hold in lapsed:
        item = found[hold.item_id]
        move(session, identity, item, "reserved", "reserved", sale_id=sale_id,
             reason=hold.reason, retaken=True)
        item.hold_reason, item.hold_ref = hold.reason, sale_id
        hold.state, hold.updated_at = "reserved", now()
        emit(session, "item.reserved", {"item_id": item.id, "store_id": item.store_id,
                                        "reason": hold.reason, "sale_id": sale_id},
             store_id=item.store_id)


def confirm_sale(session, identity, sale_id):
    """The sale completed: its reserved pieces are ``sold``. Idempotent. A hold
    that lapsed meanwhile is taken again when its piece is still in stock;
    otherwise 409 (payments records that the sale needs a person)."""
    sale_id = str(sale_id)
    holds = _sale_holds(session, sale_id)
    sold = []
    _, found = lock_items(session, [h.item_id for h in holds])
    _retake(session, identity, sale_id, holds, found)
    for hold in holds:
        item = found[hold.item_id]
        if hold.state == "reserved":
            move(session, identity, item, "sold", "sold", sale_id=sale_id)
            item.hold_reason, item.hold_ref = None, None
            hold.state, hold.updated_at = "sold", now()
            emit(session, "item.sold", {
                "item_id": item.id, "store_id": item.store_id, "sale_id": sale_id,
                "price": money(item.price_amount, item.currency),
                "cost": maybe_money(item.cost_amount, item.currency), "ownership": item.ownership,
            }, store_id=item.store_id)
        sold.append(item_view(item))
    return sold


def keep_hold(session, identity, sale_id):
    """An opened layaway keeps its pieces until it is paid or cancelled (and a
    sale until it completes, asked just before its cards are captured): its
    holds no longer lapse (taken again first if they lapsed while it opened,
    409 if a piece is gone). Idempotent."""
    sale_id = str(sale_id)
    holds = _sale_holds(session, sale_id)
    _, found = lock_items(session, [h.item_id for h in holds])
    _retake(session, identity, sale_id, holds, found)
    for hold in holds:
        if hold.state == "reserved" and hold.expires_at is not None:
            hold.expires_at, hold.updated_at = None, now()
            add_history(session, identity, found[hold.item_id], "hold_kept", sale_id=sale_id,
                        reason=hold.reason)
    return [item_view(found[h.item_id]) for h in holds]


def release(session, identity, sale_id):
    """The sale failed or the layaway was cancelled: pieces back in stock. Idempotent."""
    sale_id = str(sale_id)
    holds = session.scalars(select(SaleHold).where(SaleHold.sale_id == sale_id,
                                                   SaleHold.state == "reserved")
                            .with_for_update()).all()
    _, found = lock_items(session, [h.item_id for h in holds])
    released = [h.item_id for h in holds if _free(session, identity, h, found[h.item_id], "released")]
    return {"sale_id": sale_id, "released": released}


def _free(session, identity, hold, item, state):
    """One locked hold ends (``released`` or ``expired``): its piece back in stock
    if the hold still has it. True when the piece went back."""
    back = item.status == "reserved" and item.hold_ref == hold.sale_id
    if back:
        change = "released" if state == "released" else "hold_expired"
        move(session, identity, item, "in_stock", change, sale_id=hold.sale_id)
        item.hold_reason, item.hold_ref = None, None
        reason = hold.reason if state == "released" else f"{hold.reason}_expired"
        emit(session, "item.released", {"item_id": item.id, "store_id": item.store_id,
                                        "reason": reason, "sale_id": hold.sale_id},
             store_id=item.store_id)
    hold.state, hold.updated_at = state, now()
    return back


def expire_sale_holds(session, identity, at=None, limit=500):
    """Timer: sale and layaway holds still ``reserved`` past their time release
    their pieces (audited as ``identity``, the system). A hold another
    transaction has locked (its sale confirming or releasing) is left for the
    next run. Returns the (sale_id, item_id) of the holds that lapsed."""
    due = session.scalars(select(SaleHold).where(
        SaleHold.state == "reserved", SaleHold.expires_at.is_not(None),
        SaleHold.expires_at <= (at or now()))
        .order_by(SaleHold.expires_at).limit(limit).with_for_update(skip_locked=True)).all()
    _, found = lock_items(session, [h.item_id for h in due])
    for hold in due:
        _free(session, identity, hold, found[hold.item_id], "expired")
    return [(h.sale_id, h.item_id) for h in due]


def return_to_stock(session, identity, item_ids, sale_id=None):
    """Returned pieces go back to ``in_stock``. A piece already back is skipped."""
    ids, found = lock_items(session, item_ids)
    unknown = [i for i in ids if i not in found or not identity.can_see_store(found[i].store_id)]
    if unknown:
        raise InvalidInput("unknown piece", {"item_ids": [f"no such item {i}" for i in unknown]})
    sale = str(sale_id) if sale_id else None
    returned = []
    for i in ids:
        item = found[i]
        if item.status == "in_stock":
            continue
        if item.status != "sold":
            raise Conflict(f"piece {item.tag} is {item.status}: only sold pieces come back")
        move(session, identity, item, "in_stock", "returned", sale_id=sale)
        if sale:
            session.execute(update(SaleHold).where(SaleHold.sale_id == sale,
                                                   SaleHold.item_id == item.id)
                            .values(state="returned", updated_at=now()))
        emit(session, "item.returned", {"item_id": item.id, "store_id": item.store_id,
                                        "sale_id": sale},
             store_id=item.store_id)
        returned.append(item.id)
    return {"returned": returned}
