"""Headquarters: the whole chain on one screen, fed by events.

A mixin of the gateway ``Service`` (first in its bases). Two halves:

- the projection: one chassis ``event_handler`` per fact HQ reports on
  (``reporting.CONSUMED``), each applying the event once through the inbox
  (``db.inbox``) to the gateway's own read model (``reporting``);
- the routes: ``GET /hq/summary``, ``GET /reports/sales``,
  ``GET /reports/turnover`` (each also as ``.csv``), ``POST /fx-rates``,
  chain-wide availability (``GET /availability``) and transfer requests.
  Reports read the read model only, never the services, so they answer
  fast and while a service is down; each answer says how fresh it is
  (``as_of``: the newest event reflected, ``lag_seconds``).

``GET /reports/sales`` is served here from the read model (its method is
``sales_report``, which takes the place of ``PaymentRoutes.sales_report``
because this mixin comes first): the same query and row fields as before,
plus ``group_by=category|metal``, cost and margin, and chain rollups in the
reporting currency. A store manager sees only their own stores' figures;
another store's report is a 403.
"""
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema
from sqlalchemy import select

from chassis.events import event_handler
from chassis.identity import ANY_STAFF, HQ, MANAGERS, OVERSIGHT, STAFF
from contracts.rpc import inventory as inventory_schemas
from contracts.rpc.payments import Instant

from . import hq_reports, hq_requests, reporting
from .http import Reply, route
from .models import Store
from .schemas import PageQuery, valid_currency

MAX_RATE = 10 ** 12


# --- HTTP schemas -------------------------------------------------------------------------------

class Period(Schema):
    store_id = fields.UUID(load_default=None, allow_none=True)
    since = Instant(load_default=None, allow_none=True,
                    metadata={"description": "a date (UTC midnight) or an ISO 8601 time; inclusive"})
    until = Instant(load_default=None, allow_none=True,
                    metadata={"description": "a date or an ISO 8601 time; exclusive"})

    @validates_schema
    def ordered(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["until"] <= data["since"]:
            raise ValidationError("must be after since (the period ends before it starts)", "until")


class SalesReportQuery(Period):
    group_by = fields.String(load_default="day", validate=validate.OneOf(hq_reports.GROUP_BY))


class TurnoverQuery(Period):
    pass


class FxRateCreate(Schema):
    currency = fields.String(required=True, validate=valid_currency)
    rate = fields.Decimal(required=True, as_string=True, places=12, metadata={
        "description": 'units of the reporting currency one unit of ``currency`` buys, e.g. "1.27"'})
    effective_at = fields.AwareDateTime(load_default=None, allow_none=True)

    @pre_load
    def upper(self, data, **kwargs):
        if isinstance(data, dict) and isinstance(data.get("currency"), str):
            data = dict(data, currency=data["currency"].strip().upper())
        return data

    @validates_schema
    def positive(self, data, **kwargs):
        rate = data.get("rate")
        if rate is not None and rate <= 0:
            raise ValidationError("must be greater than 0", "rate")
        if rate is not None and rate >= MAX_RATE:
            raise ValidationError(f"must be below {MAX_RATE}", "rate")


class FxRate(Schema):
    id = fields.Integer()
    currency = fields.String()
    reporting_currency = fields.String()
    rate = fields.String()
    effective_at = fields.String()
    created_by = fields.String(allow_none=True)


class TransferRequestCreate(Schema):
    item_id = fields.UUID(required=True)
    to_store_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "the store that wants the piece; default: the store you act from"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class TransferRequestDecline(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class TransferRequestQuery(PageQuery):
    store_id = fields.UUID(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(("open", "shipped", "received", "declined")))
    direction = fields.String(load_default=None, allow_none=True,
                              validate=validate.OneOf(("incoming", "outgoing")), metadata={
        "description": "incoming: other stores ask mine for pieces; outgoing: mine asks"})


def _csv(body, name):
    return Reply(body, content_type="text/csv; charset=utf-8",
                 headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def _projection(producer, event_type):
    """An event handler that applies ``event_type`` to the read model once."""
    @event_handler(producer, event_type)
    def project(self, event):
        with self.db.inbox(event) as session:
            reporting.apply(session, event)
    project.__doc__ = f"HQ read model: apply {producer}'s ``{event_type}`` (once, via the inbox)."
    return project


class HqRoutes:
    # the projection: one handler per fact ---------------------------------------------------------

    hq_item_received = _projection("inventory", "item.received")
    hq_item_price_changed = _projection("inventory", "item.price_changed")
    hq_item_reserved = _projection("inventory", "item.reserved")
    hq_item_released = _projection("inventory", "item.released")
    hq_item_sold = _projection("inventory", "item.sold")
    hq_item_returned = _projection("inventory", "item.returned")
    hq_transfer_shipped = _projection("inventory", "transfer.shipped")
    hq_transfer_received = _projection("inventory", "transfer.received")
    hq_stock_count_closed = _projection("inventory", "stock_count.closed")
    hq_memo_opened = _projection("inventory", "memo.opened")
    hq_memo_closed = _projection("inventory", "memo.closed")
    hq_sale_completed = _projection("payments", "sale.completed")
    hq_sale_returned = _projection("payments", "sale.returned")
    hq_workorder_created = _projection("workorders", "workorder.created")
    hq_workorder_stage_changed = _projection("workorders", "workorder.stage_changed")
    hq_workorder_overdue = _projection("workorders", "workorder.overdue")
    hq_client_created = _projection("crm", "client.created")
    hq_client_updated = _projection("crm", "client.updated")
    hq_client_tier_changed = _projection("crm", "client.tier_changed")
    hq_client_merged = _projection("crm", "client.merged")

    # the chain on one screen ----------------------------------------------------------------------

    @route("GET", "/hq/summary", roles=HQ)
    def hq_summary(self, request):
        """Per store and chain-wide: stock count and value (at cost and retail;
        owned, memo and consignment apart), sales today (each store's own
        day), open and overdue work orders, clients by tier. Store figures in
        the store's currency, the chain in the reporting currency with the
        rates used; ``as_of`` is the newest event reflected."""
        with self.db.transaction() as session:
            return hq_reports.summary(session)

    @route("GET", "/hq/summary.csv", roles=HQ)
    def hq_summary_csv(self, request):
        """The summary as CSV: one row per store, then the chain."""
        with self.db.transaction() as session:
            report = hq_reports.summary(session)
        return _csv(hq_reports.to_csv(hq_reports.summary_rows(report)), "hq-summary")

    # reports ------------------------------------------------------------------------------------------

    @route("GET", "/reports/sales", roles=OVERSIGHT, query=SalesReportQuery)
    def sales_report(self, request):
        """Sales by day (store time), store, associate, category or metal:
        sales, pieces, gross, discounts, net sales, tax, total, cost, margin,
        and returns in the period they happen. From HQ's read model."""
        with self.db.transaction() as session:
            return hq_reports.sales_report(session, request.identity, request.params)

    @route("GET", "/reports/sales.csv", roles=OVERSIGHT, query=SalesReportQuery)
    def sales_report_csv(self, request):
        """The sales report as CSV (money in major units, with its currency)."""
        with self.db.transaction() as session:
            report = hq_reports.sales_report(session, request.identity, request.params)
        return _csv(hq_reports.to_csv(hq_reports.sales_rows(report)), f"sales-by-{report['group_by']}")

    @route("GET", "/reports/turnover", roles=OVERSIGHT, query=TurnoverQuery)
    def turnover_report(self, request):
        """Inventory turnover, GMROI and aging per store and category for a
        period (default: the last 30 days); owned stock at cost."""
        with self.db.transaction() as session:
            return hq_reports.turnover_report(session, request.identity, request.params)

    @route("GET", "/reports/turnover.csv", roles=OVERSIGHT, query=TurnoverQuery)
    def turnover_report_csv(self, request):
        """Turnover, GMROI and aging as CSV: per store and category, store totals, the chain."""
        with self.db.transaction() as session:
            report = hq_reports.turnover_report(session, request.identity, request.params)
        return _csv(hq_reports.to_csv(hq_reports.turnover_rows(report)), "turnover")

    # chain currency --------------------------------------------------------------------------------

    @route("POST", "/fx-rates", roles=("hq_admin",), body=FxRateCreate, response=FxRate,
           status=201, idempotent=True)
    def record_fx_rate(self, request):
        """An exchange rate into the chain's reporting currency
        (``REPORTING_CURRENCY``), in force from ``effective_at`` (default now)."""
        with self.db.transaction() as session:
            rate = hq_requests.record_fx_rate(session, request.identity, request.body)
        request.audit["entity_id"] = str(rate["id"])
        return rate

    @route("GET", "/fx-rates", roles=ANY_STAFF)
    def list_fx_rates(self, request):
        """The rate in force for each currency."""
        with self.db.transaction() as session:
            return hq_requests.list_fx_rates(session)

    # chain-wide availability ---------------------------------------------------------------------------

    @route("GET", "/availability", roles=ANY_STAFF, query=inventory_schemas.SearchFilters)
    def availability(self, request):
        """Find a piece anywhere in the chain (default: in stock): tag,
        description, price and store for every store's pieces; cost, vendor
        and pricing only for your own store's."""
        filters = request.args.to_dict()
        filters.setdefault("status", "in_stock")
        found = self.inventory.search_chain(filters)
        ids = sorted({i["store_id"] for i in found["items"]})
        stores = {}
        if ids:
            with self.db.transaction() as session:
                stores = {s.id: s for s in session.execute(
                    select(Store.id, Store.code, Store.name).where(Store.id.in_(ids))).all()}
        for item in found["items"]:
            s = stores.get(item["store_id"])
            item["store"] = {"id": item["store_id"], "code": s.code if s else None,
                             "name": s.name if s else None}
            item["yours"] = request.identity.can_see_store(item["store_id"])
        return found

    # transfer requests ---------------------------------------------------------------------------------

    @route("POST", "/transfer-requests", roles=STAFF, body=TransferRequestCreate, status=201,
           idempotent=True)
    def request_transfer(self, request):
        """Ask the store that has a piece to send it to yours; its manager
        ships it with ``POST /transfers`` (the request follows the transfer)."""
        with self.db.transaction() as session:
            made = hq_requests.request_transfer(session, request.identity, request.body)
        request.audit.update(entity_id=made["id"], store_id=made["to_store_id"])
        return made

    @route("GET", "/transfer-requests", roles=ANY_STAFF, query=TransferRequestQuery)
    def list_transfer_requests(self, request):
        """Requests for or from your stores (HQ: all), newest first."""
        with self.db.transaction() as session:
            return hq_requests.list_transfer_requests(session, request.identity, request.params)

    @route("POST", "/transfer-requests/{id}/decline", roles=MANAGERS, body=TransferRequestDecline)
    def decline_transfer_request(self, request, id):
        """The store that has the piece declines to send it."""
        with self.db.transaction() as session:
            declined = hq_requests.decline_transfer_request(
                session, request.identity, id, (request.body or {}).get("reason"))
        request.audit["store_id"] = declined["from_store_id"]
        return declined
