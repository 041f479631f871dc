"""HQ's reports, read from the reporting read model (never from the services
at request time): the chain summary, sales, turnover and GMROI, and their
CSV exports.

Currencies: a store's own figures stay in the store's currency; every
rollup over several stores is in the chain's reporting currency
(``REPORTING_CURRENCY``, default USD), converted with the newest rate
``POST /fx-rates`` recorded at the report's time, and the answer lists the
rates it used (``rates``) and the currencies it had no rate for
(``rates_missing``: those amounts are left out of the rollup, never guessed).
"""
import csv
import io
from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nameko import config as nameko_config
from sqlalchemy import Text, case, cast, func, literal, or_, select, text

from chassis.config import env
from chassis.errors import Forbidden, InvalidInput

from .models import Store
from .reporting import (
    CLOSED_STAGES, FINISHED_STAGES, OWNERSHIPS, TIERS, freshness, now,
)
from .reporting_models import (
    NO_STORE, HqClientTier, HqFxRate, HqPiece, HqReturn, HqReturnedItem, HqSaleLine,
    HqStockTotal, HqWorkOrder,
)

GROUP_BY = ("day", "store", "associate", "category", "metal")
AGING_BUCKETS = ("0-90", "91-180", "181-365", "365+")
_EXPONENTS = {**{c: 0 for c in "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF "
                               "XOF XPF".split()},
              **{c: 3 for c in "BHD IQD JOD KWD LYD OMR TND".split()}, "CLF": 4, "UYW": 4}


def reporting_currency():
    value = nameko_config.get("REPORTING_CURRENCY")
    return str(value or env("REPORTING_CURRENCY", "USD")).upper()


def exponent(currency):
    """Digits after the decimal point (ISO 4217 minor units)."""
    return _EXPONENTS.get(currency, 2)


def money(amount, currency):
    return {"amount": int(amount), "currency": currency}


def major(value):
    """``{"amount": 150050, "currency": "USD"}`` -> ``"1500.50"`` (for CSV)."""
    exp = exponent(value["currency"])
    return str((Decimal(int(value["amount"])) / (Decimal(10) ** exp)).quantize(Decimal(1).scaleb(-exp)))


# --- exchange rates ----------------------------------------------------------------------------

class Rates:
    """The newest rate of each currency at a time; remembers which it used."""

    def __init__(self, reporting, rates):
        self.reporting = reporting
        self.rates = rates              # currency -> (Decimal rate, effective_at)
        self.used, self.missing = set(), set()

    @classmethod
    def load(cls, session, at, reporting=None):
        reporting = reporting or reporting_currency()
        rows = session.execute(
            select(HqFxRate.currency, HqFxRate.rate, HqFxRate.effective_at)
            .where(HqFxRate.reporting_currency == reporting, HqFxRate.effective_at <= at)
            .distinct(HqFxRate.currency)
            .order_by(HqFxRate.currency, HqFxRate.effective_at.desc(), HqFxRate.id.desc())).all()
        return cls(reporting, {c: (Decimal(r), e) for c, r, e in rows})

    def _rate(self, currency):
        if currency == self.reporting:
            return Decimal(1)
        if currency not in self.rates:
            self.missing.add(currency)
            return None
        self.used.add(currency)
        return self.rates[currency][0]

    def convert(self, amount, source, target):
        """Minor units of ``source`` as minor units of ``target``; None without a rate."""
        if source == target:
            return int(amount)
        if not amount:
            return 0
        r_from, r_to = self._rate(source), self._rate(target)
        if r_from is None or r_to is None:
            return None
        value = (Decimal(int(amount)) * r_from / r_to
                 * (Decimal(10) ** (exponent(target) - exponent(source))))
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))

    def view(self):
        return {"reporting_currency": self.reporting,
                "rates": [{"currency": c, "rate": plain_rate(self.rates[c][0]),
                           "effective_at": self.rates[c][1].isoformat(),
                           "per": f"1 {c} = {plain_rate(self.rates[c][0])} {self.reporting}"}
                          for c in sorted(self.used)],
                "rates_missing": sorted(self.missing)}


def plain_rate(rate):
    """``Decimal('1.250000000000')`` -> ``'1.25'``."""
    return format(rate.normalize(), "f")


class Bag(dict):
    """Minor-unit amounts by currency (``{currency: amount}``), added up
    before one conversion."""

    __slots__ = ()

    def add(self, currency, amount):
        if currency and amount:
            self[currency] = self.get(currency, 0) + int(amount)
        return self

    def merge(self, other, sign=1):
        for currency, amount in other.items():
            self[currency] = self.get(currency, 0) + sign * amount
        return self

    def minus(self, other):
        return Bag(self).merge(other, -1)

    def money(self, target, rates):
        total = 0
        for currency, amount in self.items():
            if currency == target:
                total += amount
            else:
                converted = rates.convert(amount, currency, target)
                if converted is not None:
                    total += converted
        return {"amount": total, "currency": target}


# --- scope and periods -----------------------------------------------------------------------------

def report_scope(identity, store_id):
    """The stores a report covers (None: the whole chain); another store's
    report is refused with a clear 403."""
    if store_id:
        if not identity.can_see_store(store_id):
            raise Forbidden("you may see only your own store's figures; this store is not yours")
        return [str(store_id)]
    if identity.chain_wide:
        return None
    if not identity.store_ids:
        raise Forbidden("you have no store to report on")
    return list(identity.store_ids)


def period(q, at, default_days=None):
    since, until = q.get("since"), q.get("until")
    if since and until and until <= since:
        raise InvalidInput("the period ends before it starts",
                           {"until": ["must be after since"]})
    if default_days is not None:
        until = until or at
        since = since or until - timedelta(days=default_days)
        if until <= since:
            raise InvalidInput("the period ends before it starts",
                               {"since": ["must be before until"]})
    return since, until


def consistent(session):
    """Read every figure of one answer from one snapshot of the read model
    (the first statement of the transaction)."""
    session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))


def _text(column):
    """A UUID column read as text: no ``uuid.UUID`` per row (hundreds of stores)."""
    return cast(column, Text).label(column.key)


def _stores(session, ids=None):
    stmt = select(_text(Store.id), Store.code, Store.name, Store.currency, Store.timezone)
    if ids is not None:
        stmt = stmt.where(Store.id.in_(ids))
    return {r.id: r for r in session.execute(stmt.order_by(Store.code)).all()}


def _store_info(stores, store_id, fallback_currency=None):
    s = stores.get(store_id)
    return {"store_id": store_id, "code": s.code if s else None, "name": s.name if s else None,
            "currency": s.currency if s else fallback_currency, "timezone": s.timezone if s else None}


# --- the chain on one screen ---------------------------------------------------------------------------

class StoreFigures:
    def __init__(self):
        self.stock = {o: {"pieces": 0, "cost": Bag(), "retail": Bag()} for o in OWNERSHIPS}
        self.sales = {"sales": 0, "pieces": 0, "returns": 0}
        # revenue, piece_revenue, cost, returned, returned_piece, returned_cost
        self.bags = defaultdict(Bag)
        self.work_orders = {"open": 0, "overdue": 0}
        self.clients = {t: 0 for t in TIERS}

    def view(self, currency, rates, today=None):
        m = lambda bag: bag.money(currency, rates)  # noqa: E731
        stock = {o: {"pieces": self.stock[o]["pieces"], "cost": m(self.stock[o]["cost"]),
                     "retail": m(self.stock[o]["retail"])} for o in OWNERSHIPS}
        b = self.bags
        margin = b["piece_revenue"].minus(b["cost"])
        returned_margin = b["returned_piece"].minus(b["returned_cost"])
        sales = {**({"date": today} if today else {}), **self.sales,
                 "revenue": m(b["revenue"]), "cost": m(b["cost"]), "margin": m(margin),
                 "returned": m(b["returned"]),
                 "net_revenue": m(b["revenue"].minus(b["returned"])),
                 "net_margin": m(margin.minus(returned_margin))}
        return {
            "currency": currency,
            "stock": {"pieces": sum(v["pieces"] for v in stock.values()), **stock,
                      "value": {"cost": stock["owned"]["cost"], "retail": stock["owned"]["retail"]}},
            "sales_today": sales,
            "work_orders": dict(self.work_orders),
            "clients": dict(self.clients),
        }


def summary(session, at=None):
    """Per store and chain-wide: stock count and value (owned, memo, consignment),
    sales today (each store's own day), open and overdue work orders, clients by tier.

    Built for hundreds of stores: stock and clients are kept totals, today's
    sales and returns are read by business day (at most three dates are
    "today" somewhere at once), open jobs through a partial index."""
    consistent(session)
    at = at or now()
    rates = Rates.load(session, at)
    stores = _stores(session)
    run = session.connection().execute     # Core: no ORM work per row
    figures = {s: StoreFigures() for s in stores}   # every store, even a quiet one
    chain = StoreFigures()                           # added up as we go: no second pass

    def of(store_id):
        f = figures.get(store_id)
        if f is None:
            f = figures[store_id] = StoreFigures()
        return f, chain

    t = HqStockTotal
    per_ownership = [agg for o in OWNERSHIPS for agg in (
        func.sum(t.pieces).filter(t.ownership == o), func.sum(t.cost).filter(t.ownership == o),
        func.sum(t.retail).filter(t.ownership == o))]
    for store_id, currency, *values in run(
            select(_text(t.store_id), t.currency, *per_ownership).group_by(t.store_id, t.currency)):
        for f in of(store_id):
            for n, o in enumerate(OWNERSHIPS):
                pieces, cost, retail = values[3 * n:3 * n + 3]
                if pieces is None:
                    continue
                entry = f.stock[o]
                entry["pieces"] += int(pieces)
                entry["cost"].add(currency, cost)
                entry["retail"].add(currency, retail)

    zones = {}
    today = {}
    for store_id, s in stores.items():
        if s.timezone not in zones:
            zones[s.timezone] = _local_today(at, s.timezone)
        today[store_id] = zones[s.timezone]
    utc_today = at.date()
    days = sorted(set(zones.values()) | {utc_today})

    is_piece = HqSaleLine.kind == "item"
    sold = (select(_text(HqSaleLine.store_id), HqSaleLine.local_day, HqSaleLine.currency,
                   func.count(HqSaleLine.sale_id.distinct()), func.count().filter(is_piece),
                   func.sum(HqSaleLine.amount),
                   func.coalesce(func.sum(HqSaleLine.amount).filter(is_piece), 0),
                   func.coalesce(func.sum(HqSaleLine.cost).filter(is_piece), 0))
            .where(HqSaleLine.local_day.in_(days))
            .group_by(HqSaleLine.store_id, HqSaleLine.local_day, HqSaleLine.currency))
    for store_id, day, currency, sales, pieces, revenue, piece_revenue, cost in run(sold):
        if day != today.get(store_id, utc_today):
            continue
        for f in of(store_id):
            f.sales["sales"] += sales
            f.sales["pieces"] += pieces
            f.bags["revenue"].add(currency, revenue)
            f.bags["piece_revenue"].add(currency, piece_revenue)
            f.bags["cost"].add(currency, cost)

    back = (_returned(select(_text(HqReturn.store_id), HqReturn.local_day, HqSaleLine.currency,
                             func.count(HqReturn.return_id.distinct()), func.sum(HqSaleLine.amount),
                             func.coalesce(func.sum(HqSaleLine.amount).filter(is_piece), 0),
                             func.coalesce(func.sum(HqSaleLine.cost).filter(is_piece), 0)))
            .where(HqReturn.local_day.in_(days))
            .group_by(HqReturn.store_id, HqReturn.local_day, HqSaleLine.currency))
    for store_id, day, currency, returns, amount, piece_amount, cost in run(back):
        if day != today.get(store_id, utc_today):
            continue
        for f in of(store_id):
            f.sales["returns"] += returns
            f.bags["returned"].add(currency, amount)
            f.bags["returned_piece"].add(currency, piece_amount)
            f.bags["returned_cost"].add(currency, cost)

    unfinished = HqWorkOrder.stage.notin_(FINISHED_STAGES)
    late = [func.count().filter(unfinished & (HqWorkOrder.promised_date < d)) for d in days]
    jobs = (select(_text(HqWorkOrder.store_id), func.count(), *late)
            .where(HqWorkOrder.stage.notin_(CLOSED_STAGES), HqWorkOrder.store_id.is_not(None))
            .group_by(HqWorkOrder.store_id))
    for store_id, open_, *overdue in run(jobs):
        late_here = overdue[days.index(today.get(store_id, utc_today))]
        for f in of(store_id):
            f.work_orders["open"] += open_
            f.work_orders["overdue"] += late_here

    unassigned = {t: 0 for t in TIERS}
    c = HqClientTier
    for store_id, *counts in run(select(
            _text(c.store_id), *[func.coalesce(func.sum(c.clients).filter(c.tier == tier), 0)
                                 for tier in TIERS]).group_by(c.store_id)):
        for tier, clients in zip(TIERS, map(int, counts)):
            if store_id == NO_STORE:
                unassigned[tier] += clients
                chain.clients[tier] += clients
            else:
                for f in of(store_id):
                    f.clients[tier] += clients

    out = []
    for store_id in sorted(figures, key=lambda s: (stores[s].code if s in stores else "~", s)):
        f = figures[store_id]
        info = _store_info(stores, store_id)
        currency = info["currency"] or _only_currency(f) or rates.reporting
        out.append(info | f.view(currency, rates, today.get(store_id, utc_today).isoformat()))
    chain_view = chain.view(rates.reporting, rates)
    chain_view["stores"] = len(out)
    chain_view["clients_without_home_store"] = unassigned
    return {"generated_at": at.isoformat(), **freshness(session, at), **rates.view(),
            "chain": chain_view, "stores": out}


def _returned(stmt):
    return (stmt.select_from(HqReturn)
            .join(HqReturnedItem, HqReturnedItem.return_id == HqReturn.return_id)
            .join(HqSaleLine, (HqSaleLine.sale_id == HqReturnedItem.sale_id)
                  & (HqSaleLine.item_id == HqReturnedItem.item_id)))


def _only_currency(f):
    for o in OWNERSHIPS:
        if f.stock[o]["cost"]:
            return next(iter(f.stock[o]["cost"]))
    return None


def _local_today(at, tz):
    try:
        return at.astimezone(ZoneInfo(tz or "UTC")).date()
    except (ZoneInfoNotFoundError, ValueError):
        return at.date()


# --- sales -------------------------------------------------------------------------------------

SALES_FIGURES = ("gross", "discounts", "net_sales", "tax", "total", "cost", "margin",
                 "returned", "net", "net_margin")


def _sales_key(group_by, day_column):
    if group_by == "day":
        return day_column
    if group_by == "store":
        return HqSaleLine.store_id
    if group_by == "associate":
        return HqSaleLine.associate_id
    if group_by == "category":
        return HqSaleLine.category
    return HqSaleLine.metal_type


def sales_report(session, identity, q, at=None):
    """Sales by day (each store's own day), store, associate, category or
    metal: counts, revenue before and after discounts and tax, cost and
    margin of the pieces, and returns in the period they happen (against
    the same key). Category and metal cover pieces only."""
    at = at or now()
    group_by = q.get("group_by") or "day"
    since, until = period(q, at)
    scope = report_scope(identity, q.get("store_id"))
    consistent(session)
    stores = _stores(session)
    rates = Rates.load(session, until or at)
    is_piece = HqSaleLine.kind == "item"

    key = _sales_key(group_by, HqSaleLine.local_day).label("key")
    sold = (select(key, HqSaleLine.currency, func.count(HqSaleLine.sale_id.distinct()),
                   func.count().filter(is_piece), func.sum(HqSaleLine.amount),
                   func.sum(HqSaleLine.discount), func.sum(HqSaleLine.tax),
                   func.coalesce(func.sum(HqSaleLine.cost).filter(is_piece), 0),
                   func.coalesce(func.sum(HqSaleLine.amount).filter(is_piece), 0))
            .group_by(key, HqSaleLine.currency))
    rkey = _sales_key(group_by, HqReturn.local_day).label("key")
    back = (_returned(select(rkey, HqSaleLine.currency, func.count(HqReturn.return_id.distinct()),
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

    rows = defaultdict(lambda: {"sales": 0, "returns": 0, "pieces": 0, "bags": defaultdict(Bag)})
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

    single = _single_currency(scope, stores)
    target = single or rates.reporting
    out, total = [], {"sales": 0, "returns": 0, "pieces": 0, "bags": defaultdict(Bag)}
    for k in sorted(rows, key=lambda v: (v is None, str(v))):
        r = rows[k]
        for n in ("sales", "returns", "pieces"):
            total[n] += r[n]
        for name, bag in r["bags"].items():
            total["bags"][name].merge(bag)
        currency = target
        extra = {}
        if group_by == "store":
            extra = {kk: v for kk, v in _store_info(stores, k).items() if kk in ("code", "name")}
            currency = _store_info(stores, k)["currency"] or _bag_currency(r["bags"]) or target
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


def _single_currency(scope, stores):
    if scope is None:
        return None
    currencies = {stores[s].currency for s in scope if s in stores}
    return currencies.pop() if len(currencies) == 1 and len(scope) == 1 else None


def _bag_currency(bags):
    for bag in bags.values():
        if bag:
            return next(iter(bag))
    return None


# --- turnover, GMROI and aging ----------------------------------------------------------------------

def _ratio(numerator, denominator):
    if not denominator:
        return None
    return str((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.01"),
                                                                    rounding=ROUND_HALF_EVEN))


def turnover_report(session, identity, q, at=None):
    """Per store and category, for a period (default the last 30 days):
    turnover = cost of the pieces sold / average inventory at cost, GMROI =
    gross margin / average inventory at cost (average of the opening and
    closing inventory), and the aging of the stock at the period's end.
    Owned pieces only: memo and consignment goods are not the store's
    investment."""
    at = at or now()
    since, until = period(q, at, default_days=30)
    scope = report_scope(identity, q.get("store_id"))
    consistent(session)
    stores = _stores(session)
    rates = Rates.load(session, until)
    owned = func.coalesce(HqPiece.ownership, "owned") == "owned"
    category = func.coalesce(HqSaleLine.category, HqPiece.category)
    cells = defaultdict(lambda: {"pieces_sold": 0, "bags": defaultdict(Bag),
                                 "aging": {b: {"pieces": 0, "cost": Bag()} for b in AGING_BUCKETS}})

    sold = (select(HqSaleLine.store_id, category, HqSaleLine.currency, func.count(),
                   func.sum(HqSaleLine.amount), func.coalesce(func.sum(HqSaleLine.cost), 0))
            .outerjoin(HqPiece, HqPiece.item_id == HqSaleLine.item_id)
            .where(HqSaleLine.kind == "item", owned, HqSaleLine.completed_at >= since,
                   HqSaleLine.completed_at < until)
            .group_by(HqSaleLine.store_id, category, HqSaleLine.currency))
    back = (_returned(select(HqSaleLine.store_id, category, HqSaleLine.currency, func.count(),
                             func.sum(HqSaleLine.amount), func.coalesce(func.sum(HqSaleLine.cost), 0)))
            .outerjoin(HqPiece, HqPiece.item_id == HqSaleLine.item_id)
            .where(HqSaleLine.kind == "item", owned, HqReturn.returned_at >= since,
                   HqReturn.returned_at < until)
            .group_by(HqSaleLine.store_id, category, HqSaleLine.currency))
    if scope is not None:
        sold = sold.where(HqSaleLine.store_id.in_(scope))
        back = back.where(HqSaleLine.store_id.in_(scope))
    for store_id, cat, c, n, revenue, cost in session.execute(sold):
        cell = cells[(store_id, cat)]
        cell["pieces_sold"] += n
        cell["bags"]["revenue"].add(c, revenue)
        cell["bags"]["cogs"].add(c, cost)
    for store_id, cat, c, n, revenue, cost in session.execute(back):
        cell = cells[(store_id, cat)]
        cell["pieces_sold"] -= n
        cell["bags"]["revenue"].add(c, -revenue)
        cell["bags"]["cogs"].add(c, -cost)

    def in_stock_at(t):
        return ((HqPiece.received_at < t) & or_(HqPiece.sold_at.is_(None), HqPiece.sold_at >= t))

    age = func.extract("epoch", literal(until) - HqPiece.received_at) / 86400
    bucket = case((age <= 90, "0-90"), (age <= 180, "91-180"), (age <= 365, "181-365"),
                  else_="365+")
    stock = (select(HqPiece.store_id, HqPiece.category, HqPiece.currency, bucket.label("bucket"),
                    func.coalesce(func.sum(HqPiece.cost_amount).filter(in_stock_at(since)), 0),
                    func.count().filter(in_stock_at(until)),
                    func.coalesce(func.sum(HqPiece.cost_amount).filter(in_stock_at(until)), 0))
             .where(owned, HqPiece.received_at.is_not(None), HqPiece.store_id.is_not(None),
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

    days = Decimal((until - since).total_seconds()) / Decimal(86400)
    by_store = defaultdict(dict)
    for (store_id, cat), cell in cells.items():
        by_store[store_id][cat] = cell
    out, chain = [], _empty_cell()
    for store_id in sorted(by_store, key=lambda s: (stores[s].code if s in stores else "~", s)):
        info = _store_info(stores, store_id)
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
    single = _single_currency(scope, stores)
    return {"since": since.isoformat(), "until": until.isoformat(),
            "days": str(days.quantize(Decimal("0.01"))),
            "stores": out, "total": _turnover_figures(chain, single or rates.reporting, rates, days),
            **freshness(session, at), **rates.view()}


def _empty_cell():
    return {"pieces_sold": 0, "bags": defaultdict(Bag),
            "aging": {b: {"pieces": 0, "cost": Bag()} for b in AGING_BUCKETS}}


def _add_cell(total, cell):
    total["pieces_sold"] += cell["pieces_sold"]
    for name, bag in cell["bags"].items():
        total["bags"][name].merge(bag)
    for b in AGING_BUCKETS:
        total["aging"][b]["pieces"] += cell["aging"][b]["pieces"]
        total["aging"][b]["cost"].merge(cell["aging"][b]["cost"])


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


# --- CSV ---------------------------------------------------------------------------------------

def _is_money(value):
    return isinstance(value, dict) and set(value) == {"amount", "currency"}


def flatten(row, prefix=""):
    """One CSV row from a nested report row: money in major units, with its currency."""
    out = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if _is_money(value):
            out[name] = major(value)
            out.setdefault("currency", value["currency"])
        elif isinstance(value, dict):
            out.update(flatten(value, name + "_"))
        elif not isinstance(value, list):
            out[name] = value
    return out


def _cell(value):
    if value is None:
        return ""
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            Decimal(text)
        except Exception:
            return "'" + text   # a spreadsheet must not run it as a formula
    return text


def to_csv(rows):
    flat = [flatten(r) for r in rows]
    columns = []
    for r in flat:
        for k in r:
            if k not in columns:
                columns.append(k)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for r in flat:
        writer.writerow([_cell(r.get(c)) for c in columns])
    return buffer.getvalue()


def summary_rows(report):
    rows = [{"scope": "store", **{k: s[k] for k in ("code", "name", "store_id")},
             **{k: s[k] for k in ("stock", "sales_today", "work_orders", "clients")}}
            for s in report["stores"]]
    chain = report["chain"]
    rows.append({"scope": "chain", "code": None, "name": None, "store_id": None,
                 **{k: chain[k] for k in ("stock", "sales_today", "work_orders", "clients")}})
    for r in rows:
        r["as_of"] = report["as_of"]
    return rows


def sales_rows(report):
    return report["rows"] + [{report["group_by"]: "TOTAL", **report["total"]}]


def turnover_rows(report):
    rows = []
    for s in report["stores"]:
        base = {k: s[k] for k in ("store_id", "code", "name")}
        for c in s["categories"]:
            rows.append({**base, **c})
        totals = {k: v for k, v in s.items() if k not in ("store_id", "code", "name", "categories")}
        rows.append({**base, "category": "ALL", **totals})
    rows.append({"store_id": None, "code": "CHAIN", "name": None, "category": "ALL", **report["total"]})
    return rows
