"""Metal spot prices and the repricing guard (docs/API.md#inventory,
docs/DOMAIN.md): a new spot price reprices the pieces priced by weight; a
jump above the guard waits for a manager's confirmation."""
from sqlalchemy import func, select

from chassis.clock import now
from chassis.errors import Conflict, Forbidden, NotFound
from chassis.identity import MANAGERS, with_system
from chassis.scope import own_stores

from . import pricing
from .common import visible_item
from .items import set_price
from .models import Item, MetalPrice, PriceChangeRequest

REPRICED_STATUSES = ("in_stock", "on_memo_out")    # the pieces a new spot price reprices


def set_metal_price(session, identity, data, guard_percent):
    """A new spot price reprices pieces priced by weight; big jumps wait for a manager."""
    if identity.role not in with_system(MANAGERS):
        raise Forbidden("only a manager sets metal prices")
    spot = data["price_per_gram"]
    session.add(MetalPrice(metal=data["metal"], currency=spot["currency"],
                           price_per_gram=spot["amount"], created_by=identity.user_id))
    reason = f"{data['metal']} spot"
    repriced = pending = 0
    for item in _priced_by_weight(session, identity, data["metal"], spot["currency"]):
        new = pricing.weight_price(spot["amount"], item.weight_g, item.pricing["markup"],
                                   item.pricing["labor"], item.karat, item.fineness)
        if new == item.price_amount:
            continue
        if pricing.needs_confirmation(item.price_amount, new, guard_percent) and not data.get("confirm"):
            session.add(PriceChangeRequest(item_id=item.id, store_id=item.store_id,
                                           old_amount=item.price_amount, new_amount=new,
                                           reason=reason, status="pending"))
            pending += 1
        else:
            set_price(session, identity, item, new, reason)
            repriced += 1
    return {"metal": data["metal"], "price_per_gram": spot, "repriced": repriced,
            "pending_confirmation": pending}


def _priced_by_weight(session, identity, metal, currency):
    """The caller's pieces of ``metal`` priced by weight in ``currency``, locked."""
    query = select(Item).where(Item.metal_type == metal, Item.pricing.is_not(None),
                               Item.currency == currency,
                               Item.status.in_(REPRICED_STATUSES))
    query = own_stores(query, Item.store_id, identity)
    return session.scalars(query.with_for_update(skip_locked=False)).all()


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
