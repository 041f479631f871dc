"""What HQ's and the stores' reports answer (docs/API.md#identity-stores-audit,
docs/API.md#inventory), for the OpenAPI document: the reporting service's
views (``services/reporting``: ``summary``, ``sales_report``, ``turnover``,
``rates``) and inventory's (``services/inventory/reports``) field by field.
Money is the shared ``Money``; times are date-times. A field an answer may
leave out says so (``metadata={"optional": True}``); one that may be null is
``allow_none``. Ratios travel as decimal strings ("1.25").
"""
from marshmallow import Schema, fields

from .schemas import OPTIONAL, money

AGING_BUCKETS = ("0-90", "91-180", "181-365", "365+")


def _ratio(description):
    return fields.String(allow_none=True, metadata={
        "description": f"{description}, a decimal; null when it cannot be worked out"})


# exchange rates ------------------------------------------------------------------------------

class FxRate(Schema):
    """An exchange rate HQ recorded."""

    id = fields.Integer()
    currency = fields.String()
    reporting_currency = fields.String()
    rate = fields.String(metadata={"description": "units of the reporting currency one unit "
                                                  "of currency buys, a decimal"})
    effective_at = fields.DateTime()
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime(allow_none=True)


class FxRateList(Schema):
    reporting_currency = fields.String()
    items = fields.List(fields.Nested(FxRate), metadata={"description": "the rate in force "
                                                                        "for each currency"})


class RateUsed(Schema):
    currency = fields.String()
    rate = fields.String()
    effective_at = fields.DateTime()
    per = fields.String(metadata={"description": 'in words: "1 EUR = 1.08 USD"'})


class Freshness(Schema):
    """How current HQ's read model is, and the rates a report converted with."""

    as_of = fields.DateTime(allow_none=True, metadata={"description": "the newest event reflected"})
    lag_seconds = fields.Float(allow_none=True)
    last_applied_at = fields.DateTime(allow_none=True)
    events_applied = fields.Integer()
    reporting_currency = fields.String()
    rates = fields.List(fields.Nested(RateUsed))
    rates_missing = fields.List(fields.String(), metadata={
        "description": "currencies left out of converted totals: HQ has no rate for them"})


# the chain on one screen ----------------------------------------------------------------------

class AtCostAndRetail(Schema):
    cost = money()
    retail = money()


class StockByOwnership(Schema):
    pieces = fields.Integer()
    cost = money()
    retail = money()


class StockFigures(Schema):
    pieces = fields.Integer()
    owned = fields.Nested(StockByOwnership)
    memo_in = fields.Nested(StockByOwnership)
    consignment = fields.Nested(StockByOwnership)
    value = fields.Nested(AtCostAndRetail, metadata={"description": "owned stock only"})


class SalesToday(Schema):
    date = fields.Date(metadata={"optional": True, "description": "the store's own day (stores only)"})
    sales = fields.Integer()
    pieces = fields.Integer()
    returns = fields.Integer()
    revenue = money()
    cost = money()
    margin = money()
    returned = money()
    net_revenue = money()
    net_margin = money()


class OpenWork(Schema):
    open = fields.Integer()
    overdue = fields.Integer()


class ClientTiers(Schema):
    new = fields.Integer()
    loyal = fields.Integer()
    vip = fields.Integer()


class OverdueMemos(Schema):
    memos = fields.Integer(metadata={"description": "memos past their due date, not settled"})
    pieces = fields.Integer(metadata={"description": "the pieces on them"})


class Figures(Schema):
    currency = fields.String()
    stock = fields.Nested(StockFigures)
    sales_today = fields.Nested(SalesToday)
    work_orders = fields.Nested(OpenWork)
    memos_overdue = fields.Nested(OverdueMemos)
    clients = fields.Nested(ClientTiers)


class StoreSummary(Figures):
    store_id = fields.String()
    code = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    timezone = fields.String(allow_none=True)
    currency = fields.String(allow_none=True)


class ChainSummary(Figures):
    stores = fields.Integer()
    clients_without_home_store = fields.Nested(ClientTiers)


class HqSummary(Freshness):
    generated_at = fields.DateTime()
    chain = fields.Nested(ChainSummary)
    stores = fields.List(fields.Nested(StoreSummary))


# sales -----------------------------------------------------------------------------------------

class SalesFigures(Schema):
    currency = fields.String()
    sales = fields.Integer()
    returns = fields.Integer()
    pieces = fields.Integer()
    gross = money()
    discounts = money()
    net_sales = money()
    tax = money()
    total = money()
    cost = money()
    margin = money()
    returned = money()
    net = money()
    net_margin = money()


class SalesRow(SalesFigures):
    """One row; its key is the field named by ``group_by``."""

    day = fields.Date(metadata={**OPTIONAL, "description": "by day: the store's own day"})
    store = fields.String(metadata={**OPTIONAL, "description": "by store: its id"})
    code = fields.String(allow_none=True, metadata=OPTIONAL)
    name = fields.String(allow_none=True, metadata=OPTIONAL)
    associate = fields.String(allow_none=True, metadata=OPTIONAL)
    category = fields.String(allow_none=True, metadata=OPTIONAL)
    metal = fields.String(allow_none=True, metadata=OPTIONAL)


class SalesReport(Freshness):
    group_by = fields.String()
    since = fields.DateTime(allow_none=True)
    until = fields.DateTime(allow_none=True)
    store_id = fields.String(allow_none=True)
    rows = fields.List(fields.Nested(SalesRow))
    total = fields.Nested(SalesFigures)


# turnover --------------------------------------------------------------------------------------

class AgedStock(Schema):
    pieces = fields.Integer()
    cost = money()


def _buckets(schema):
    """``{"0-90": ..., "91-180": ..., "181-365": ..., "365+": ...}``."""
    return type(f"{schema.__name__}Buckets", (Schema,), {
        f"days_{name.replace('-', '_').replace('+', '_plus')}": fields.Nested(schema, data_key=name)
        for name in AGING_BUCKETS})


class TurnoverFigures(Schema):
    currency = fields.String()
    pieces_sold = fields.Integer()
    revenue = money()
    cogs = money(metadata={"description": "cost of the pieces sold"})
    gross_margin = money()
    opening_inventory = money()
    closing_inventory = money()
    average_inventory = money()
    turnover = _ratio("cost of goods sold over average inventory")
    annualized_turnover = _ratio("the turnover over a year")
    gmroi = _ratio("gross margin over average inventory")
    aging = fields.Nested(_buckets(AgedStock), metadata={"description": "owned stock by days held"})


class CategoryTurnover(TurnoverFigures):
    category = fields.String(allow_none=True)


class StoreTurnover(TurnoverFigures):
    store_id = fields.String()
    code = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    categories = fields.List(fields.Nested(CategoryTurnover))


class TurnoverReport(Freshness):
    since = fields.DateTime()
    until = fields.DateTime()
    days = fields.String(metadata={"description": "the period's length in days, a decimal"})
    stores = fields.List(fields.Nested(StoreTurnover))
    total = fields.Nested(TurnoverFigures)


# inventory's reports ------------------------------------------------------------------------------

class StockTotals(Schema):
    """Pieces and their value; ``cost`` and ``retail`` in minor units of the store's currency."""

    count = fields.Integer()
    cost = fields.Integer()
    retail = fields.Integer()


class StoreAging(Schema):
    store_id = fields.String()
    currency = fields.String()
    buckets = fields.Nested(_buckets(StockTotals), metadata={"description": "by days since received"})


class AgingReport(Schema):
    as_of = fields.DateTime()
    stores = fields.List(fields.Nested(StoreAging))


class StoreStockValue(Schema):
    store_id = fields.String()
    currency = fields.String()
    owned = fields.Nested(StockTotals)
    memo_in = fields.Nested(StockTotals)
    consignment = fields.Nested(StockTotals)
    stock_value = fields.Nested(AtCostAndRetail, metadata={
        "description": "owned stock only: memo and consignment goods are not the store's"})


class StockValueReport(Schema):
    stores = fields.List(fields.Nested(StoreStockValue))
