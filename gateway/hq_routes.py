"""Headquarters over HTTP: the routes in front of the reporting service.

A mixin of the gateway ``Service``. ``GET /hq/summary``, ``GET
/reports/sales``, ``GET /reports/turnover`` (each also as ``.csv``), ``POST
/fx-rates`` and transfer requests are answered by the reporting service
(``self.reporting``), which keeps HQ's read model from the services' events
(``services/reporting``); the query and body are validated here at the edge
and again there. Chain-wide availability (``GET /availability``) asks
inventory. A store manager sees only their own stores' figures; another
store's report is a 403.
"""
import uuid
from datetime import date, datetime
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema
from sqlalchemy import select

from chassis.errors import InvalidInput
from chassis.identity import ANY_STAFF, HQ, HQ_ADMIN, MANAGERS, OVERSIGHT, STAFF
from contracts.rpc import inventory as inventory_schemas
from contracts.rpc.payments import Instant

from . import inventory_schemas as views
from .http import Reply, route
from .media import CSV, produces
from .models import Store
from .report_schemas import FxRate, FxRateList, HqSummary, SalesReport, TurnoverReport
from .schemas import PageQuery, valid_currency

MAX_RATE = 10 ** 12
GROUP_BY = ("day", "store", "associate", "category", "metal")
REPORT_TIMEOUT = 15.0   # a period report over the whole chain reads many rows


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
    group_by = fields.String(load_default="day", validate=validate.OneOf(GROUP_BY))


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


def _wire(values):
    """Validated values as JSON for an RPC: ids, times and decimals as text."""
    def plain(v):
        if isinstance(v, (datetime, date)):
            return v.isoformat()
        if isinstance(v, (uuid.UUID, Decimal)):
            return str(v)
        return v
    return {k: plain(v) for k, v in (values or {}).items()}


class HqRoutes:
    # the chain on one screen ----------------------------------------------------------------------

    @route("GET", "/hq/summary", roles=HQ, response=HqSummary)
    def hq_summary(self, request):
        """Per store and chain-wide: stock count and value (at cost and retail;
        owned, memo and consignment apart), sales today (each store's own
        day), open and overdue work orders, clients by tier. Store figures in
        the store's currency, the chain in the reporting currency with the
        rates used; ``as_of`` is the newest event reflected."""
        return self.reporting.summary(timeout=REPORT_TIMEOUT)

    @route("GET", "/hq/summary.csv", roles=HQ)
    @produces(CSV)
    def hq_summary_csv(self, request):
        """The summary as CSV: one row per store, then the chain."""
        return _csv(self.reporting.summary_csv(timeout=REPORT_TIMEOUT), "hq-summary")

    # reports ------------------------------------------------------------------------------------------

    @route("GET", "/reports/sales", roles=OVERSIGHT, query=SalesReportQuery,
           response=SalesReport)
    def sales_report(self, request):
        """Sales by day (store time), store, associate, category or metal:
        sales, pieces, gross, discounts, net sales, tax, total, cost, margin,
        and returns in the period they happen. From HQ's read model."""
        return self.reporting.sales_report(_wire(request.params), timeout=REPORT_TIMEOUT)

    @route("GET", "/reports/sales.csv", roles=OVERSIGHT, query=SalesReportQuery)
    @produces(CSV)
    def sales_report_csv(self, request):
        """The sales report as CSV (money in major units, with its currency)."""
        body = self.reporting.sales_report_csv(_wire(request.params), timeout=REPORT_TIMEOUT)
        return _csv(body, f"sales-by-{request.params['group_by']}")

    @route("GET", "/reports/turnover", roles=OVERSIGHT, query=TurnoverQuery,
           response=TurnoverReport)
    def turnover_report(self, request):
        """Inventory turnover, GMROI and aging per store and category for a
        period (default: the last 30 days); owned stock at cost."""
        return self.reporting.turnover_report(_wire(request.params), timeout=REPORT_TIMEOUT)

    @route("GET", "/reports/turnover.csv", roles=OVERSIGHT, query=TurnoverQuery)
    @produces(CSV)
    def turnover_report_csv(self, request):
        """Turnover, GMROI and aging as CSV: per store and category, store totals, the chain."""
        body = self.reporting.turnover_report_csv(_wire(request.params), timeout=REPORT_TIMEOUT)
        return _csv(body, "turnover")

    # chain currency --------------------------------------------------------------------------------

    @route("POST", "/fx-rates", roles=(HQ_ADMIN,), body=FxRateCreate, response=FxRate,
           status=201, idempotent=True)
    def record_fx_rate(self, request):
        """An exchange rate into the chain's reporting currency
        (``REPORTING_CURRENCY``), in force from ``effective_at`` (default now)."""
        rate = self.reporting.record_fx_rate(_wire(request.body))
        request.audit["entity_id"] = str(rate["id"])
        return rate

    @route("GET", "/fx-rates", roles=ANY_STAFF, response=FxRateList)
    def list_fx_rates(self, request):
        """The rate in force for each currency."""
        return self.reporting.list_fx_rates()

    # chain-wide availability ---------------------------------------------------------------------------

    @route("GET", "/availability", roles=ANY_STAFF, query=inventory_schemas.SearchFilters,
           response=views.AvailabilityPage)
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

    @route("POST", "/transfer-requests", roles=STAFF, body=TransferRequestCreate,
           response=views.TransferRequestView, status=201, idempotent=True)
    def request_transfer(self, request):
        """Ask the store that has a piece to send it to yours; its manager
        ships it with ``POST /transfers`` (the request follows the transfer)."""
        to_store_id = request.body.get("to_store_id")
        if to_store_id and request.identity.can_see_store(to_store_id):
            # the gateway owns the stores: reporting's copy may not have a new one yet
            with self.db.transaction() as session:
                if session.get(Store, str(to_store_id)) is None:
                    raise InvalidInput("unknown store", {"to_store_id": ["unknown store"]})
        made = self.reporting.request_transfer(_wire(request.body))
        request.audit.update(entity_id=made["id"], store_id=made["to_store_id"])
        return made

    @route("GET", "/transfer-requests", roles=ANY_STAFF, query=TransferRequestQuery,
           response=views.TransferRequestPage)
    def list_transfer_requests(self, request):
        """Requests for or from your stores (HQ: all), newest first."""
        return self.reporting.list_transfer_requests(_wire(request.params))

    @route("POST", "/transfer-requests/{id}/decline", roles=MANAGERS, body=TransferRequestDecline,
           response=views.TransferRequestView)
    def decline_transfer_request(self, request, id):
        """The store that has the piece declines to send it."""
        declined = self.reporting.decline_transfer_request(id, (request.body or {}).get("reason"))
        request.audit["store_id"] = declined["from_store_id"]
        return declined
