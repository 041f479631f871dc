"""Metal spot prices and the repricing guard (docs/API.md#inventory,
docs/DOMAIN.md): a new spot price reprices the pieces priced by weight; a
jump above the guard waits for a manager's confirmation."""
import time

from sqlalchemy import func, select

from chassis.clock import now
from chassis.errors import Conflict, Forbidden, NotFound, Unavailable
from chassis.identity import MANAGERS, with_system
from chassis.scope import own_stores

from . import pricing
from .common import visible_item
from .items import set_price
from .models import Item, MetalPrice, PriceChangeRequest

REPRICED_STATUSES = ("in_stock", "on_memo_out")    # the pieces a new spot price reprices
RETRY_PAUSES = (0.2, 0.5, 1.0)   # seconds before each further try of the pieces a sale had locked


def set_metal_price(transaction, identity, data, guard_percent, batch_size=500, pauses=RETRY_PAUSES):
    """A new spot price reprices pieces priced by weight; big jumps wait for a manager.

    ``transaction()`` opens one transaction: the price is recorded in one,
    then the pieces are repriced ``batch_size`` at a time, each batch its own
    transaction, so a chain-wide repricing never holds every piece's lock at
    once nor makes a sale wait behind it. A piece another transaction has
    locked right now (a sale reserving it) is skipped (``SKIP LOCKED``) and
    tried again after the others, after each of ``pauses``, then waited for
    (up to the lock timeout): still locked, the answer is 503 with every other
    piece repriced, and setting the same price again reprices only the rest."""
    if identity.role not in with_system(MANAGERS):
        raise Forbidden("only a manager sets metal prices")
    spot = data["price_per_gram"]
    with transaction() as session:
        session.add(MetalPrice(metal=data["metal"], currency=spot["currency"],
                               price_per_gram=spot["amount"], created_by=identity.user_id))
    counts = {"repriced": 0, "pending": 0}
    busy, after = [], ""
    while True:
        with transaction() as session:
            ids = _batch_ids(session, identity, data["metal"], spot["currency"], after, batch_size)
            if ids:
                busy += _reprice(session, identity, data, guard_percent, ids, counts)
        if len(ids) < batch_size:
            break
        after = ids[-1]
    for pause in (*pauses, None):
        if not busy:
            break
        if pause is not None:
            time.sleep(pause)
        busy = _retry(transaction, identity, data, guard_percent, busy, batch_size, counts,
                      wait=pause is None)
    return {"metal": data["metal"], "price_per_gram": spot, "repriced": counts["repriced"],
            "pending_confirmation": counts["pending"]}


def _retry(transaction, identity, data, guard_percent, ids, batch_size, counts, wait):
    """The pieces that were locked, tried again; the last try waits for their locks."""
    busy = []
    for start in range(0, len(ids), batch_size):
        try:
            with transaction() as session:
                busy += _reprice(session, identity, data, guard_percent,
                                 ids[start:start + batch_size], counts, wait)
        except Unavailable:
            raise Unavailable(
                f"the {data['metal']} price is set and {counts['repriced']} pieces are repriced, "
                f"but {len(ids) - start} stayed locked by sales: set the same price again to "
                "reprice them") from None
    return busy


def _reprice(session, identity, data, guard_percent, ids, counts, wait=False):
    """The pieces ``ids`` that no one else has locked, repriced (or a request for
    confirmation); returns the ids another transaction had locked."""
    spot = data["price_per_gram"]
    reason = f"{data['metal']} spot"
    items = _lock(session, identity, data["metal"], spot["currency"], ids, wait)
    locked = {i.id for i in items}
    for item in items:
        new = pricing.weight_price(spot["amount"], item.weight_g, item.pricing["markup"],
                                   item.pricing["labor"], item.karat, item.fineness)
        if new == item.price_amount:
            continue
        if pricing.needs_confirmation(item.price_amount, new, guard_percent) and not data.get("confirm"):
            session.add(PriceChangeRequest(item_id=item.id, store_id=item.store_id,
                                           old_amount=item.price_amount, new_amount=new,
                                           reason=reason, status="pending"))
            counts["pending"] += 1
        else:
            set_price(session, identity, item, new, reason)
            counts["repriced"] += 1
    missing = set(ids) - locked
    if not missing:
        return []
    # not locked here: another transaction holds it, unless it needs no new price any more
    # (a sale reserved it meanwhile)
    return sorted(session.scalars(_priced_by_weight(select(Item.id), identity, data["metal"],
                                                    spot["currency"])
                                  .where(Item.id.in_(missing))).all())


def _priced_by_weight(query, identity, metal, currency):
    """``query`` narrowed to the caller's pieces of ``metal`` priced by weight in ``currency``."""
    query = query.where(Item.metal_type == metal, Item.pricing.is_not(None),
                        Item.currency == currency, Item.status.in_(REPRICED_STATUSES))
    return own_stores(query, Item.store_id, identity)


def _batch_ids(session, identity, metal, currency, after, limit):
    """The next ``limit`` such pieces after id ``after``, in id order (not locked)."""
    query = _priced_by_weight(select(Item.id), identity, metal, currency)
    if after:
        query = query.where(Item.id > after)
    return list(session.scalars(query.order_by(Item.id).limit(limit)).all())


def _lock(session, identity, metal, currency, ids, wait=False):
    """Those of ``ids`` still to reprice, locked in id order; the ones another
    transaction holds are skipped unless ``wait``."""
    query = _priced_by_weight(select(Item).where(Item.id.in_(ids)), identity, metal, currency)
    return session.scalars(query.order_by(Item.id).with_for_update(skip_locked=not wait)).all()


def list_metal_prices(session):
    """The spot price in force for each metal and currency (the last one set)."""
    latest = select(MetalPrice.metal, MetalPrice.currency, func.max(MetalPrice.id).label("id")) \
        .group_by(MetalPrice.metal, MetalPrice.currency).subquery()
    rows = session.scalars(select(MetalPrice).join(latest, MetalPrice.id == latest.c.id)
                           .order_by(MetalPrice.metal, MetalPrice.currency)).all()
    return {"items": [{"metal": r.metal,
                       "price_per_gram": {"amount": r.price_per_gram, "currency": r.currency},
                       "set_by": r.created_by,
                       "set_at": r.created_at.isoformat() if r.created_at else None} for r in rows],
            "next_cursor": None}


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
    if identity.role not in MANAGERS:
        raise Forbidden("only a manager confirms a price change")
    request = session.scalars(select(PriceChangeRequest).where(
        PriceChangeRequest.id == str(request_id)).with_for_update()).first()
    if request is None or not identity.can_see_store(request.store_id):
        raise NotFound("no such price change")
    if request.status != "pending":
        raise Conflict(f"this price change is already {request.status}")
    if approve:
        item = visible_item(session, identity, request.item_id, lock=True)
        if item.price_amount != request.old_amount:
            raise Conflict("the piece's price changed since; ask again")
        set_price(session, identity, item, request.new_amount, request.reason + " (confirmed)")
    request.status = "applied" if approve else "rejected"
    request.decided_by, request.decided_at = identity.user_id, now()
    return price_change_view(request)
