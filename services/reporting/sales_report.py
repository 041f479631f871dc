"""Sales by day (each store's own day), store, associate, category or metal:
counts, revenue before and after discounts and tax, cost and margin of the
pieces, and returns in the period they happen (against the same key).
Category and metal cover pieces only. One store's report is in its
currency; more stores roll up in the reporting currency."""
from collections import defaultdict

from sqlalchemy import func, select

from chassis.clock import now

from .freshness import freshness
from .models import HqReturn, HqSaleLine
from .rates import Bag, Rates
from .scope import consistent, period, report_scope, returned, single_currency
from .stores import store_info, stores_by_id

GROUP_BY = ("day", "store", "associate", "category", "metal")


def _sales_key(group_by, day_column):
    return {"day": day_column, "store": HqSaleLine.store_id, "associate": HqSaleLine.associate_id,
            "category": HqSaleLine.category}.get(group_by, HqSaleLine.metal_type)


def _queries(group_by, scope, since, until):
    """(sold, returned) statements, one row per key and currency."""
    is_piece = HqSaleLine.kind == "item"
    key = _sales_key(group_by, HqSaleLine.local_day).label("key")
    sold = (select(key, HqSaleLine.currency, func.count(HqSaleLine.sale_id.distinct()),
                   func.count().filter(is_piece), func.sum(HqSaleLine.amount),
                   func.sum(HqSaleLine.discount), func.sum(HqSaleLine.tax),
                   func.coalesce(func.sum(HqSaleLine.cost).filter(is_piece), 0),
                   func.coalesce(func.sum(HqSaleLine.amount).filter(is_piece), 0))
            .group_by(key, HqSaleLine.currency))
    rkey = _sales_key(group_by, HqReturn.local_day).label("key")
    back = (returned(select(rkey, HqSaleLine.currency, func.count(HqReturn.return_id.distinct()),
                            func.sum(HqSaleLine.amount), func.sum(HqSaleLine.tax),
                            func.coalesce(func.sum(HqSaleLine.amount).filter(is_piece), 0),
                            func.coalesce(func.sum(HqSaleLine.cost).filter(is_piece), 0)))
            .group_by(rkey, HqSaleLine.currency))
    if group_by in ("category", "metal"):
        sold, back = sold.where(is_piece), back.where(is_piece)
    if scope is not None:
        sold = sold.where(HqSaleLine.store_id.in_(scope))
        back = back.where(HqSaleLine.store_id.in_(scope))
    if since:
        sold = sold.where(HqSaleLine.completed_at >= since)
        back = back.where(HqReturn.returned_at >= since)
    if until:
        sold = sold.where(HqSaleLine.completed_at < until)
        back = back.where(HqReturn.returned_at < until)
    return sold, back


def _new_row():
    return {"sales": 0, "returns": 0, "pieces": 0, "bags": defaultdict(Bag)}


def _rows(session, sold, back):
    rows = defaultdict(_new_row)
    for k, c, sales, pieces, amount, discount, tax, cost, piece_amount in session.execute(sold):
        r = rows[_key_text(k)]
        r["sales"] += sales
        r["pieces"] += pieces
        b = r["bags"]
        b["gross"].add(c, amount + discount)
        b["discounts"].add(c, discount)
        b["net_sales"].add(c, amount)
        b["tax"].add(c, tax)
        b["total"].add(c, amount + tax)
        b["cost"].add(c, cost)
        b["margin"].add(c, piece_amount - cost)
    for k, c, returns, amount, tax, piece_amount, cost in session.execute(back):
        r = rows[_key_text(k)]
        r["returns"] += returns
        r["bags"]["returned"].add(c, amount + tax)
        r["bags"]["returned_margin"].add(c, piece_amount - cost)
    return rows


def sales_report(session, identity, q, at=None, reporting=None):
    """The report for ``q`` (``group_by``, ``store_id``, ``since``, ``until``)."""
    at = at or now()
    group_by = q.get("group_by") or "day"
    since, until = period(q, at)
    scope = report_scope(identity, q.get("store_id"))
    consistent(session)
    stores = stores_by_id(session)
    rates = Rates.load(session, until or at, reporting)
    rows = _rows(session, *_queries(group_by, scope, since, until))
    target = single_currency(scope, stores) or rates.reporting
    out, total = [], _new_row()
    for k in sorted(rows, key=lambda v: (v is None, str(v))):
        r = rows[k]
        for n in ("sales", "returns", "pieces"):
            total[n] += r[n]
        for name, bag in r["bags"].items():
            total["bags"][name].merge(bag)
        currency, extra = target, {}
        if group_by == "store":
            info = store_info(stores, k)
            extra = {"code": info["code"], "name": info["name"]}
            currency = info["currency"] or _bag_currency(r["bags"]) or target
        out.append({group_by: k, **extra, **_sales_figures(r, currency, rates)})
    return {"group_by": group_by, "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "store_id": str(q["store_id"]) if q.get("store_id") else None,
            "rows": out, "total": _sales_figures(total, target, rates),
            **freshness(session, at), **rates.view()}


def _sales_figures(r, currency, rates):
    b = r["bags"]
    m = lambda name: b[name].money(currency, rates)  # noqa: E731
    return {"currency": currency, "sales": r["sales"], "returns": r["returns"],
            "pieces": r["pieces"], "gross": m("gross"), "discounts": m("discounts"),
            "net_sales": m("net_sales"), "tax": m("tax"), "total": m("total"), "cost": m("cost"),
            "margin": m("margin"), "returned": m("returned"),
            "net": b["total"].minus(b["returned"]).money(currency, rates),
            "net_margin": b["margin"].minus(b["returned_margin"]).money(currency, rates)}


def _key_text(k):
    return k.isoformat() if hasattr(k, "isoformat") else k


def _bag_currency(bags):
    for bag in bags.values():
        if bag:
            return next(iter(bag))
    return None
