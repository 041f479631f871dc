"""Cash drawers: opened with a float, cash sales and refunds flow in and out
by themselves (a cash tender lands in the open drawer of its register),
cash in and out by hand with a reason, closed with the counted amount. Over
or short = counted - expected, per drawer per business day
(docs/API.md#sales-and-payments)."""
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from chassis.clock import local_day, now
from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from chassis.scope import one_or_own_stores
from contracts.money import money

from .common import audit, iso, store_for
from .models import Drawer, DrawerMovement


def _expected(session, drawer):
    moved = session.scalar(select(func.coalesce(func.sum(DrawerMovement.amount), 0))
                           .where(DrawerMovement.drawer_id == drawer.id)) or 0
    return drawer.float_amount + int(moved)


def drawer_view(session, d):
    c = d.currency
    sums = dict(session.execute(select(DrawerMovement.kind, func.sum(DrawerMovement.amount))
                                .where(DrawerMovement.drawer_id == d.id)
                                .group_by(DrawerMovement.kind)).all())
    expected = d.expected if d.status == "closed" else _expected(session, d)
    return {
        "id": d.id, "store_id": d.store_id, "register": d.register,
        "business_date": d.business_date.isoformat(), "status": d.status,
        "float": money(d.float_amount, c),
        "cash_sales": money(int(sums.get("sale") or 0), c),
        "cash_refunds": money(-int(sums.get("refund") or 0), c),
        "cash_in": money(int(sums.get("cash_in") or 0), c),
        "cash_out": money(-int(sums.get("cash_out") or 0), c),
        "expected": money(expected, c),
        "counted": money(d.counted, c) if d.counted is not None else None,
        "over_short": money(d.over_short, c) if d.over_short is not None else None,
        "opened_by": d.opened_by, "opened_at": iso(d.opened_at),
        "closed_by": d.closed_by, "closed_at": iso(d.closed_at),
    }


def open_drawer(session, identity, data):
    store = store_for(session, identity, data["store_id"])
    if data["float"]["currency"] != store.currency:
        raise InvalidInput("the float is in the store's currency",
                           {"float.currency": [f"the store's cash is {store.currency}"]})
    at = now()
    drawer = Drawer(store_id=store.id, register=data["register"],
                    business_date=local_day(at, store.timezone),
                    currency=store.currency, float_amount=data["float"]["amount"], status="open",
                    opened_by=identity.user_id, opened_at=at)
    try:
        with session.begin_nested():
            session.add(drawer)
            session.flush()
    except IntegrityError:
        raise Conflict(f"register {data['register']} already has an open drawer") from None
    audit(session, identity, "drawer", drawer.id, "opened", store.id, float=drawer.float_amount)
    return drawer_view(session, drawer)


def _open(session, identity, drawer_id):
    drawer = session.scalars(select(Drawer).where(Drawer.id == str(drawer_id))
                             .with_for_update()).first()
    if drawer is None or not identity.can_see_store(drawer.store_id):
        raise NotFound("no such drawer")
    if identity.read_only:
        raise Forbidden("read-only role")
    if drawer.status != "open":
        raise Conflict("the drawer is closed")
    return drawer


def move_cash(session, identity, drawer_id, data):
    drawer = _open(session, identity, drawer_id)
    if data["amount"]["currency"] != drawer.currency:
        raise InvalidInput("wrong currency", {"amount.currency": [f"the drawer holds {drawer.currency}"]})
    sign = 1 if data["kind"] == "cash_in" else -1
    if sign < 0 and data["amount"]["amount"] > _expected(session, drawer):
        raise Conflict("the drawer does not hold that much cash")
    session.add(DrawerMovement(drawer_id=drawer.id, kind=data["kind"],
                               amount=sign * data["amount"]["amount"], reason=data["reason"],
                               at=now(), actor_id=identity.user_id))
    session.flush()
    audit(session, identity, "drawer", drawer.id, data["kind"], drawer.store_id,
          amount=data["amount"]["amount"], reason=data["reason"])
    return drawer_view(session, drawer)


def close_drawer(session, identity, drawer_id, data):
    drawer = _open(session, identity, drawer_id)
    if data["counted"]["currency"] != drawer.currency:
        raise InvalidInput("wrong currency", {"counted.currency": [f"the drawer holds {drawer.currency}"]})
    drawer.expected = _expected(session, drawer)
    drawer.counted = data["counted"]["amount"]
    drawer.over_short = drawer.counted - drawer.expected
    drawer.status, drawer.closed_at, drawer.closed_by = "closed", now(), identity.user_id
    audit(session, identity, "drawer", drawer.id, "closed", drawer.store_id,
          expected=drawer.expected, counted=drawer.counted, over_short=drawer.over_short)
    return drawer_view(session, drawer)


def get_drawer(session, identity, drawer_id):
    drawer = session.get(Drawer, str(drawer_id))
    if drawer is None or not identity.can_see_store(drawer.store_id):
        raise NotFound("no such drawer")
    return drawer_view(session, drawer)


def list_drawers(session, identity, q):
    """Drawers with their over/short, per store and business day."""
    query = select(Drawer)
    query = one_or_own_stores(query, Drawer.store_id, identity, q.get("store_id"))
    if q.get("date"):
        query = query.where(Drawer.business_date == q["date"])
    if q.get("status"):
        query = query.where(Drawer.status == q["status"])
    rows = session.scalars(query.order_by(Drawer.business_date.desc(), Drawer.register)
                           .limit(500)).all()
    items = [drawer_view(session, d) for d in rows]
    days = {}
    for d in items:
        if d["over_short"] is None:
            continue
        key = (d["store_id"], d["business_date"])
        day = days.setdefault(key, {"store_id": d["store_id"], "business_date": d["business_date"],
                                    "over_short": {"amount": 0, "currency": d["float"]["currency"]},
                                    "drawers": 0})
        day["over_short"]["amount"] += d["over_short"]["amount"]
        day["drawers"] += 1
    return {"items": items, "days": list(days.values()), "next_cursor": None}
