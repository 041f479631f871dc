"""Pieces held for payments' checkout saga
(docs/ARCHITECTURE.md#checkout-saga-payments-orchestrates): reserve all or
none, confirm, release, and return to stock; every step idempotent, and a
unique piece is sold once (docs/ARCHITECTURE.md#rule-5)."""
from sqlalchemy import select, update

from chassis.clock import now
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.outbox import emit
from contracts.money import maybe_money, money

from .common import check_status, lock_items, move
from .models import Item, SaleHold
from .views import item_view


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
    items = _sellable(session, identity, wanted, store_id)
    for item in items:
        move(session, identity, item, "reserved", "reserved", sale_id=sale_id, reason=reason)
        item.hold_reason, item.hold_ref = reason, sale_id
        session.add(SaleHold(sale_id=sale_id, item_id=item.id, reason=reason, state="reserved"))
        emit(session, "item.reserved", {"item_id": item.id, "store_id": item.store_id,
                                        "reason": reason, "sale_id": sale_id},
             store_id=item.store_id)
    session.flush()
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
    _, found = lock_items(session, [h.item_id for h in holds])
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


def release(session, identity, sale_id):
    """The sale failed or the layaway was cancelled: pieces back in stock. Idempotent."""
    sale_id = str(sale_id)
    holds = session.scalars(select(SaleHold).where(SaleHold.sale_id == sale_id,
                                                   SaleHold.state == "reserved")
                            .with_for_update()).all()
    released = []
    _, found = lock_items(session, [h.item_id for h in holds])
    for hold in holds:
        item = found[hold.item_id]
        if item.status == "reserved" and item.hold_ref == sale_id:
            move(session, identity, item, "in_stock", "released", sale_id=sale_id)
            item.hold_reason, item.hold_ref = None, None
            emit(session, "item.released", {"item_id": item.id, "store_id": item.store_id,
                                            "reason": hold.reason, "sale_id": sale_id},
                 store_id=item.store_id)
            released.append(item.id)
        hold.state, hold.updated_at = "released", now()
    return {"sale_id": sale_id, "released": released}


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
