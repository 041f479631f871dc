"""The store's stock in numbers (docs/API.md#inventory): aging buckets and
the value at cost and at retail, over the statuses that count as stock
(``common.IN_STOCK_VALUE``)."""
from sqlalchemy import case, func, select

from chassis.clock import now
from contracts.money import money

from . import pricing
from .common import IN_STOCK_VALUE, store_for
from .models import Item

OWNERSHIPS = ("owned", "memo_in", "consignment")


def _report_stores(session, identity, store_id):
    """The stores a report covers; None is every store."""
    if store_id:
        store_for(session, identity, store_id, write=False)
        return [str(store_id)]
    if identity.chain_wide:
        return None
    return list(identity.store_ids) or ["-"]


def _totals(count, cost, retail):
    return {"count": count, "cost": int(cost), "retail": int(retail)}


def _sums(*keys):
    return select(Item.store_id, Item.currency, *keys, func.count(),
                  func.coalesce(func.sum(Item.cost_amount), 0),
                  func.coalesce(func.sum(Item.price_amount), 0)) \
        .where(Item.status.in_(IN_STOCK_VALUE))


def aging_report(session, identity, store_id=None, at=None):
    at = at or now()
    stores = _report_stores(session, identity, store_id)
    days = func.extract("day", at - Item.received_at)
    bucket = case((days <= 90, "0-90"), (days <= 180, "91-180"), (days <= 365, "181-365"),
                  else_="365+")
    query = _sums(bucket.label("bucket")).group_by(Item.store_id, Item.currency, "bucket")
    if stores is not None:
        query = query.where(Item.store_id.in_(stores))
    out = {}
    for sid, currency, b, count, cost, retail in session.execute(query).all():
        entry = out.setdefault(sid, {"store_id": sid, "currency": currency, "buckets": {
            name: _totals(0, 0, 0) for name in pricing.AGING_BUCKETS}})
        entry["buckets"][b] = _totals(count, cost, retail)
    return {"as_of": at.isoformat(), "stores": list(out.values())}


def stock_value_report(session, identity, store_id=None):
    stores = _report_stores(session, identity, store_id)
    query = _sums(Item.ownership).group_by(Item.store_id, Item.currency, Item.ownership)
    if stores is not None:
        query = query.where(Item.store_id.in_(stores))
    out = {}
    for sid, currency, ownership, count, cost, retail in session.execute(query).all():
        entry = out.setdefault(sid, {"store_id": sid, "currency": currency,
                                     **{o: _totals(0, 0, 0) for o in OWNERSHIPS}})
        entry[ownership] = _totals(count, cost, retail)
    for entry in out.values():
        # memo and consignment goods are not the store's stock value (docs/DOMAIN.md)
        entry["stock_value"] = {"cost": money(entry["owned"]["cost"], entry["currency"]),
                                "retail": money(entry["owned"]["retail"], entry["currency"])}
    return {"stores": list(out.values())}
