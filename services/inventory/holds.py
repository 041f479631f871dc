"""Client holds (click and collect, docs/API.md#inventory): a piece put
aside for a client that is released by hand or expires by itself; and the
list of every piece held now, for a client, in a checkout or on a layaway."""
from datetime import timedelta

from sqlalchemy import and_, func, select

from chassis.clock import now
from chassis.errors import NotFound
from chassis.outbox import emit
from chassis.pagination import decode_cursor, page
from chassis.scope import one_or_own_stores
from contracts.money import money

from .common import check_status, move, store_for, visible_item
from .models import Item, Reservation, SaleHold


def reservation_view(r):
    return {"id": r.id, "item_id": r.item_id, "store_id": r.store_id, "client_id": r.client_id,
            "state": r.state, "expires_at": r.expires_at.isoformat(),
            "created_at": r.created_at.isoformat() if r.created_at else None,
            "status": "reserved" if r.state == "active" else r.state}


def hold_for_client(session, identity, item_id, client_id, hold_hours):
    item = visible_item(session, identity, item_id, lock=True)
    store_for(session, identity, item.store_id)
    check_status([item], ("in_stock",), "held")
    reservation = Reservation(item_id=item.id, store_id=item.store_id, client_id=str(client_id),
                              state="active", expires_at=now() + timedelta(hours=hold_hours),
                              created_by=identity.user_id)
    session.add(reservation)
    session.flush()
    move(session, identity, item, "reserved", "held", reservation_id=reservation.id,
         client_id=str(client_id))
    item.hold_reason, item.hold_ref = "hold", reservation.id
    emit(session, "item.reserved", {
        "item_id": item.id, "store_id": item.store_id, "reason": "hold",
        "reservation_id": reservation.id, "client_id": str(client_id),
        "expires_at": reservation.expires_at.isoformat()}, store_id=item.store_id)
    session.flush()
    session.refresh(reservation)
    return reservation_view(reservation)


def _end_hold(session, identity, reservation, state):
    item = session.scalars(select(Item).where(Item.id == reservation.item_id).with_for_update()).one()
    reservation.state, reservation.ended_at = state, now()
    if item.status == "reserved" and item.hold_ref == reservation.id:
        move(session, identity, item, "in_stock", f"hold_{state}", reservation_id=reservation.id)
        item.hold_reason, item.hold_ref = None, None
        emit(session, "item.released", {"item_id": item.id, "store_id": item.store_id,
                                        "reason": f"hold_{state}",
                                        "reservation_id": reservation.id},
             store_id=item.store_id)


def release_hold(session, identity, reservation_id):
    reservation = session.scalars(select(Reservation).where(Reservation.id == str(reservation_id))
                                  .with_for_update()).first()
    if reservation is None or not identity.can_see_store(reservation.store_id):
        raise NotFound("no such reservation")
    store_for(session, identity, reservation.store_id)
    if reservation.state == "active":
        _end_hold(session, identity, reservation, "released")
    return reservation_view(reservation)


def expire_holds(session, identity, at=None):
    """Timer: holds past their time release their piece by themselves."""
    due = session.scalars(select(Reservation).where(
        Reservation.state == "active", Reservation.expires_at <= (at or now()))
        .order_by(Reservation.expires_at).limit(500).with_for_update(skip_locked=True)).all()
    for reservation in due:
        _end_hold(session, identity, reservation, "expired")
    return [r.id for r in due]


def hold_view(row):
    item, reservation, held_at = row
    return {"item_id": item.id, "tag": item.tag, "description": item.description,
            "store_id": item.store_id, "price": money(item.price_amount, item.currency),
            "reason": item.hold_reason, "ref_id": item.hold_ref,
            "client_id": reservation.client_id if reservation else None,
            "expires_at": reservation.expires_at.isoformat() if reservation else None,
            "held_at": held_at.isoformat() if held_at else None}


def list_holds(session, identity, q):
    """The pieces held now at the caller's stores (or ``store_id``), by tag:
    ``hold`` for a client (``ref_id`` the reservation), ``sale`` in a checkout
    or ``layaway`` (``ref_id`` the sale or layaway)."""
    query = select(Item, Reservation, func.coalesce(Reservation.created_at, SaleHold.created_at)) \
        .outerjoin(Reservation, and_(Item.hold_reason == "hold", Reservation.id == Item.hold_ref)) \
        .outerjoin(SaleHold, and_(Item.hold_reason != "hold", SaleHold.sale_id == Item.hold_ref,
                                  SaleHold.item_id == Item.id)) \
        .where(Item.status == "reserved")
    query = one_or_own_stores(query, Item.store_id, identity, q.get("store_id"),
                              "you may not see this store's holds")
    if q.get("reason"):
        query = query.where(Item.hold_reason == q["reason"])
    if q.get("cursor"):
        (after,) = decode_cursor(q["cursor"], width=1, types=(str,))
        query = query.where(Item.tag > after)
    rows = session.execute(query.order_by(Item.tag).limit(q["limit"] + 1)).all()
    return page(rows, q["limit"], lambda r: [r[0].tag], hold_view)
