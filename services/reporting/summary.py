"""The chain on one screen: per store and chain-wide, stock count and value
(owned, memo, consignment), sales today (each store's own day), open and
overdue work orders, overdue memos, clients by tier.

Built for hundreds of stores: stock and clients are kept totals, today's
sales and returns are read by business day (at most three dates are
"today" somewhere at once), open jobs through a partial index. A store's
figures are in its currency, the chain's in the reporting currency.
"""
from collections import defaultdict

from sqlalchemy import func, select

from chassis.clock import local_day, now
from contracts.events.crm import TIERS
from contracts.rpc.inventory import OWNERSHIP

from .freshness import freshness
from .memos import overdue_by_store
from .models import NO_STORE, HqClientTier, HqReturn, HqSaleLine, HqStockTotal, HqWorkOrder
from .rates import Bag, Rates
from .scope import consistent, returned
from .stores import as_text, by_code, store_info, stores_by_id
from .work_orders import CLOSED_STAGES, FINISHED_STAGES


class StoreFigures:
    def __init__(self):
        self.stock = {o: {"pieces": 0, "cost": Bag(), "retail": Bag()} for o in OWNERSHIP}
        self.sales = {"sales": 0, "pieces": 0, "returns": 0}
        # revenue, piece_revenue, cost, returned, returned_piece, returned_cost
        self.bags = defaultdict(Bag)
        self.work_orders = {"open": 0, "overdue": 0}
        self.memos_overdue = {"memos": 0, "pieces": 0}
        self.clients = {t: 0 for t in TIERS}

    def only_currency(self):
        for o in OWNERSHIP:
            if self.stock[o]["cost"]:
                return next(iter(self.stock[o]["cost"]))
        return None

    def view(self, currency, rates, today=None):
        m = lambda bag: bag.money(currency, rates)  # noqa: E731
        stock = {o: {"pieces": self.stock[o]["pieces"], "cost": m(self.stock[o]["cost"]),
                     "retail": m(self.stock[o]["retail"])} for o in OWNERSHIP}
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
            "memos_overdue": dict(self.memos_overdue),
            "clients": dict(self.clients),
        }


class Chain:
    """Every store's figures (even a quiet store's) and the chain's, added
    up as the rows come: no second pass."""

    def __init__(self, stores, at):
        self.stores = stores
        self.figures = {s: StoreFigures() for s in stores}
        self.total = StoreFigures()
        zones = {}
        self.today = {}
        for store_id, s in stores.items():
            if s.timezone not in zones:
                zones[s.timezone] = local_day(at, s.timezone)
            self.today[store_id] = zones[s.timezone]
        self.utc_today = at.date()
        self.days = sorted(set(zones.values()) | {self.utc_today})

    def of(self, store_id):
        f = self.figures.get(store_id)
        if f is None:
            f = self.figures[store_id] = StoreFigures()
        return f, self.total

    def day_of(self, store_id):
        return self.today.get(store_id, self.utc_today)


def _add_stock(run, chain):
    t = HqStockTotal
    per_ownership = [agg for o in OWNERSHIP for agg in (
        func.sum(t.pieces).filter(t.ownership == o), func.sum(t.cost).filter(t.ownership == o),
        func.sum(t.retail).filter(t.ownership == o))]
    for store_id, currency, *values in run(
            select(as_text(t.store_id), t.currency, *per_ownership).group_by(t.store_id, t.currency)):
        for f in chain.of(store_id):
            for n, o in enumerate(OWNERSHIP):
                pieces, cost, retail = values[3 * n:3 * n + 3]
                if pieces is None:
                    continue
                entry = f.stock[o]
                entry["pieces"] += int(pieces)
                entry["cost"].add(currency, cost)
                entry["retail"].add(currency, retail)


def _add_sales_today(run, chain):
    is_piece = HqSaleLine.kind == "item"
    sold = (select(as_text(HqSaleLine.store_id), HqSaleLine.local_day, HqSaleLine.currency,
                   func.count(HqSaleLine.sale_id.distinct()), func.count().filter(is_piece),
                   func.sum(HqSaleLine.amount),
                   func.coalesce(func.sum(HqSaleLine.amount).filter(is_piece), 0),
                   func.coalesce(func.sum(HqSaleLine.cost).filter(is_piece), 0))
            .where(HqSaleLine.local_day.in_(chain.days))
            .group_by(HqSaleLine.store_id, HqSaleLine.local_day, HqSaleLine.currency))
    for store_id, day, currency, sales, pieces, revenue, piece_revenue, cost in run(sold):
        if day != chain.day_of(store_id):
            continue
        for f in chain.of(store_id):
            f.sales["sales"] += sales
            f.sales["pieces"] += pieces
            f.bags["revenue"].add(currency, revenue)
            f.bags["piece_revenue"].add(currency, piece_revenue)
            f.bags["cost"].add(currency, cost)


def _add_returns_today(run, chain):
    is_piece = HqSaleLine.kind == "item"
    back = (returned(select(as_text(HqReturn.store_id), HqReturn.local_day, HqSaleLine.currency,
                            func.count(HqReturn.return_id.distinct()), func.sum(HqSaleLine.amount),
                            func.coalesce(func.sum(HqSaleLine.amount).filter(is_piece), 0),
                            func.coalesce(func.sum(HqSaleLine.cost).filter(is_piece), 0)))
            .where(HqReturn.local_day.in_(chain.days))
            .group_by(HqReturn.store_id, HqReturn.local_day, HqSaleLine.currency))
    for store_id, day, currency, returns, amount, piece_amount, cost in run(back):
        if day != chain.day_of(store_id):
            continue
        for f in chain.of(store_id):
            f.sales["returns"] += returns
            f.bags["returned"].add(currency, amount)
            f.bags["returned_piece"].add(currency, piece_amount)
            f.bags["returned_cost"].add(currency, cost)


def _add_jobs(run, chain):
    unfinished = HqWorkOrder.stage.notin_(FINISHED_STAGES)
    late = [func.count().filter(unfinished & (HqWorkOrder.promised_date < d)) for d in chain.days]
    jobs = (select(as_text(HqWorkOrder.store_id), func.count(), *late)
            .where(HqWorkOrder.stage.notin_(CLOSED_STAGES), HqWorkOrder.store_id.is_not(None))
            .group_by(HqWorkOrder.store_id))
    for store_id, open_, *overdue in run(jobs):
        late_here = overdue[chain.days.index(chain.day_of(store_id))]
        for f in chain.of(store_id):
            f.work_orders["open"] += open_
            f.work_orders["overdue"] += late_here


def _add_memos(run, chain):
    for store_id, memos, pieces in overdue_by_store(run):
        for f in chain.of(store_id):
            f.memos_overdue["memos"] += memos
            f.memos_overdue["pieces"] += int(pieces)


def _add_clients(run, chain):
    """Clients by home store and tier; returns those without a home store."""
    unassigned = {t: 0 for t in TIERS}
    c = HqClientTier
    for store_id, *counts in run(select(
            as_text(c.store_id), *[func.coalesce(func.sum(c.clients).filter(c.tier == tier), 0)
                                   for tier in TIERS]).group_by(c.store_id)):
        for tier, clients in zip(TIERS, map(int, counts)):
            if store_id == NO_STORE:
                unassigned[tier] += clients
                chain.total.clients[tier] += clients
            else:
                for f in chain.of(store_id):
                    f.clients[tier] += clients
    return unassigned


def summary(session, at=None, reporting=None):
    """The chain on one screen (see the module docstring)."""
    consistent(session)
    at = at or now()
    rates = Rates.load(session, at, reporting)
    stores = stores_by_id(session)
    run = session.connection().execute     # Core: no ORM work per row
    chain = Chain(stores, at)
    _add_stock(run, chain)
    _add_sales_today(run, chain)
    _add_returns_today(run, chain)
    _add_jobs(run, chain)
    _add_memos(run, chain)
    unassigned = _add_clients(run, chain)
    out = []
    for store_id in sorted(chain.figures, key=by_code(stores)):
        f = chain.figures[store_id]
        info = store_info(stores, store_id)
        currency = info["currency"] or f.only_currency() or rates.reporting
        out.append(info | f.view(currency, rates, chain.day_of(store_id).isoformat()))
    chain_view = chain.total.view(rates.reporting, rates)
    chain_view["stores"] = len(out)
    chain_view["clients_without_home_store"] = unassigned
    return {"generated_at": at.isoformat(), **freshness(session, at), **rates.view(),
            "chain": chain_view, "stores": out}
