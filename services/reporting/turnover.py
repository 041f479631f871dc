"""Turnover, GMROI and aging per store and category, for a period (default
the last 30 days): turnover = cost of the pieces sold / average inventory at
cost, GMROI = gross margin / average inventory at cost (average of the
opening and closing inventory), and the aging of the stock at the period's
end. Owned pieces only: memo and consignment goods are not the store's
investment."""
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import case, func, literal, or_, select

from chassis.clock import now
from contracts.money import money

from .freshness import freshness
from .models import HqPiece, HqReturn, HqSaleLine
from .rates import Bag, Rates
from .scope import consistent, period, report_scope, returned, single_currency
from .stores import by_code, store_info, stores_by_id

AGING_BUCKETS = ("0-90", "91-180", "181-365", "365+")
OWNED = func.coalesce(HqPiece.ownership, "owned") == "owned"


def _empty_cell():
    return {"pieces_sold": 0, "bags": defaultdict(Bag),
            "aging": {b: {"pieces": 0, "cost": Bag()} for b in AGING_BUCKETS}}


def _add_sold(session, cells, scope, since, until):
    """Pieces sold in the period, less those returned in it."""
    category = func.coalesce(HqSaleLine.category, HqPiece.category)
    sold = (select(HqSaleLine.store_id, category, HqSaleLine.currency, func.count(),
                   func.sum(HqSaleLine.amount), func.coalesce(func.sum(HqSaleLine.cost), 0))
            .outerjoin(HqPiece, HqPiece.item_id == HqSaleLine.item_id)
            .where(HqSaleLine.kind == "item", OWNED, HqSaleLine.completed_at >= since,
                   HqSaleLine.completed_at < until)
            .group_by(HqSaleLine.store_id, category, HqSaleLine.currency))
    back = (returned(select(HqSaleLine.store_id, category, HqSaleLine.currency, func.count(),
                            func.sum(HqSaleLine.amount), func.coalesce(func.sum(HqSaleLine.cost), 0)))
            .outerjoin(HqPiece, HqPiece.item_id == HqSaleLine.item_id)
            .where(HqSaleLine.kind == "item", OWNED, HqReturn.returned_at >= since,
                   HqReturn.returned_at < until)
            .group_by(HqSaleLine.store_id, category, HqSaleLine.currency))
    if scope is not None:
        sold = sold.where(HqSaleLine.store_id.in_(scope))
        back = back.where(HqSaleLine.store_id.in_(scope))
    for sign, stmt in ((1, sold), (-1, back)):
        for store_id, cat, c, n, revenue, cost in session.execute(stmt):
            cell = cells[(store_id, cat)]
            cell["pieces_sold"] += sign * n
            cell["bags"]["revenue"].add(c, sign * revenue)
            cell["bags"]["cogs"].add(c, sign * cost)


def _add_stock(session, cells, scope, since, until):
    """Opening and closing inventory at cost, and the closing stock's age."""
    def in_stock_at(t):
        return ((HqPiece.received_at < t) & or_(HqPiece.sold_at.is_(None), HqPiece.sold_at >= t))

    age = func.extract("epoch", literal(until) - HqPiece.received_at) / 86400
    bucket = case((age <= 90, "0-90"), (age <= 180, "91-180"), (age <= 365, "181-365"),
                  else_="365+")
    stock = (select(HqPiece.store_id, HqPiece.category, HqPiece.currency, bucket.label("bucket"),
                    func.coalesce(func.sum(HqPiece.cost_amount).filter(in_stock_at(since)), 0),
                    func.count().filter(in_stock_at(until)),
                    func.coalesce(func.sum(HqPiece.cost_amount).filter(in_stock_at(until)), 0))
             .where(OWNED, HqPiece.received_at.is_not(None), HqPiece.store_id.is_not(None),
                    HqPiece.received_at < until, HqPiece.status.is_not(None),
                    or_(HqPiece.sold_at.is_(None), HqPiece.sold_at >= since))
             .group_by(HqPiece.store_id, HqPiece.category, HqPiece.currency, "bucket"))
    if scope is not None:
        stock = stock.where(HqPiece.store_id.in_(scope))
    for store_id, cat, c, b, opening, pieces, closing in session.execute(stock):
        cell = cells[(store_id, cat)]
        cell["bags"]["opening"].add(c, opening)
        cell["bags"]["closing"].add(c, closing)
        cell["aging"][b]["pieces"] += pieces
        cell["aging"][b]["cost"].add(c, closing)


def turnover_report(session, identity, q, at=None, reporting=None):
    """The report for ``q`` (``store_id``, ``since``, ``until``)."""
    at = at or now()
    since, until = period(q, at, default_days=30)
    scope = report_scope(identity, q.get("store_id"))
    consistent(session)
    stores = stores_by_id(session)
    rates = Rates.load(session, until, reporting)
    cells = defaultdict(_empty_cell)
    _add_sold(session, cells, scope, since, until)
    _add_stock(session, cells, scope, since, until)
    days = Decimal((until - since).total_seconds()) / Decimal(86400)
    by_store = defaultdict(dict)
    for (store_id, cat), cell in cells.items():
        by_store[store_id][cat] = cell
    out, chain = [], _empty_cell()
    for store_id in sorted(by_store, key=by_code(stores)):
        info = store_info(stores, store_id)
        currency = info["currency"] or rates.reporting
        store_total = _empty_cell()
        categories = []
        for cat in sorted(by_store[store_id], key=lambda v: (v is None, str(v))):
            cell = by_store[store_id][cat]
            _add_cell(store_total, cell)
            categories.append({"category": cat, **_turnover_figures(cell, currency, rates, days)})
        _add_cell(chain, store_total)
        out.append({**{k: info[k] for k in ("store_id", "code", "name")},
                    **_turnover_figures(store_total, currency, rates, days),
                    "categories": categories})
    target = single_currency(scope, stores) or rates.reporting
    return {"since": since.isoformat(), "until": until.isoformat(),
            "days": str(days.quantize(Decimal("0.01"))),
            "stores": out, "total": _turnover_figures(chain, target, rates, days),
            **freshness(session, at), **rates.view()}


def _add_cell(total, cell):
    total["pieces_sold"] += cell["pieces_sold"]
    for name, bag in cell["bags"].items():
        total["bags"][name].merge(bag)
    for b in AGING_BUCKETS:
        total["aging"][b]["pieces"] += cell["aging"][b]["pieces"]
        total["aging"][b]["cost"].merge(cell["aging"][b]["cost"])


def _ratio(numerator, denominator):
    if not denominator:
        return None
    return str((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.01"),
                                                                    rounding=ROUND_HALF_EVEN))


def _turnover_figures(cell, currency, rates, days):
    b = cell["bags"]
    revenue, cogs = b["revenue"].money(currency, rates), b["cogs"].money(currency, rates)
    opening, closing = b["opening"].money(currency, rates), b["closing"].money(currency, rates)
    average = (opening["amount"] + closing["amount"]) // 2
    margin = revenue["amount"] - cogs["amount"]
    turnover = _ratio(cogs["amount"], average)
    annualized = (str((Decimal(turnover) * Decimal(365) / days).quantize(Decimal("0.01")))
                  if turnover is not None and days else None)
    return {"currency": currency, "pieces_sold": cell["pieces_sold"], "revenue": revenue,
            "cogs": cogs, "gross_margin": money(margin, currency),
            "opening_inventory": opening, "closing_inventory": closing,
            "average_inventory": money(average, currency), "turnover": turnover,
            "annualized_turnover": annualized, "gmroi": _ratio(margin, average),
            "aging": {k: {"pieces": v["pieces"], "cost": v["cost"].money(currency, rates)}
                      for k, v in cell["aging"].items()}}
