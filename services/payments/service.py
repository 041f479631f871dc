"""Payments service: entrypoints only; the rules live in plain modules beside it.

``sales`` (checkout saga), ``tenders`` (one tender: take, capture, refund),
``returns``, ``layaways``, ``deposits``, ``drawers``, ``reports``,
``cash_reports`` + ``compliance`` (Form 8300), ``webhooks`` (Stripe),
``receipts``, ``sweeper`` (crash recovery).
"""
import base64

from nameko import config
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from chassis.config import env
from chassis.errors import Forbidden, InvalidInput
from chassis.events import event_handler
from chassis.rpc import ServiceRpc
from chassis.service import ServiceBase, rpc
from chassis.validation import load, uuid_arg
from contracts.rpc import payments as schemas

from . import (
    cash_reports, deposits, drawers, layaways, receipts, reports, returns, sales, sweeper, webhooks,
)
from .common import Context, Settings, record_store, request_hash
from .models import Store
from .stripe_port import Stripe

_sale = schemas.SaleRequest()
_return = schemas.ReturnRequest()
_layaway = schemas.LayawayRequest()
_payment = schemas.PaymentRequest()
_cancel = schemas.LayawayCancel()
_drawer_open = schemas.DrawerOpen()
_drawer_move = schemas.DrawerMovementInput()
_drawer_close = schemas.DrawerClose()
_drawer_query = schemas.DrawerQuery()
_sales_query = schemas.SalesQuery()
_report_query = schemas.ReportQuery()
_cash_query = schemas.CashReportQuery()


class PaymentsSettings(DependencyProvider):
    """Chain policy from nameko config, else the environment, else defaults."""

    def setup(self):
        def get(name, default):
            value = config.get(name)
            return env(name, default) if value in (None, "") else value
        self.settings = Settings.load(get)

    def get_dependency(self, worker_ctx):
        return self.settings


def _key(idempotency_key):
    if idempotency_key is None:
        return None
    key = str(idempotency_key).strip()
    if not 1 <= len(key) <= 255:
        raise InvalidInput("bad Idempotency-Key", {"Idempotency-Key": ["1 to 255 characters"]})
    return key


class Service(ServiceBase):
    name = "payments"

    stripe = Stripe()
    settings = PaymentsSettings()
    inventory = ServiceRpc("inventory")
    crm = ServiceRpc("crm")
    workorders = ServiceRpc("workorders")

    def _ctx(self):
        return Context(db=self.db, identity=self.caller, stripe=self.stripe,
                       inventory=self.inventory, crm=self.crm, workorders=self.workorders,
                       settings=self.settings)

    # sales
    @rpc
    def create_sale(self, data, idempotency_key=None):
        """The checkout saga; see ``contracts.rpc.payments.sale_http_status``."""
        digest = request_hash(data)
        data = load(_sale, data)
        return sales.create_sale(self._ctx(), data, _key(idempotency_key), digest)

    @rpc
    def get_sale(self, sale_id):
        return sales.get_sale(self._ctx(), uuid_arg(sale_id, "sale_id"))

    @rpc
    def list_sales(self, filters=None):
        filters = load(_sales_query, filters or {})
        with self.db.transaction() as session:
            return sales.list_sales(session, self.caller, filters)

    @rpc
    def receipt(self, sale_id, fmt="html"):
        """``{content_type, body}``; a PDF body is base64."""
        view = sales.get_sale(self._ctx(), uuid_arg(sale_id, "sale_id"))
        if view["status"] != "completed":
            raise InvalidInput("no receipt", {"sale_id": ["only a completed sale has a receipt"]})
        with self.db.transaction() as session:
            s = session.get(Store, view["store_id"])
            store = {"name": s.name, "code": s.code, "timezone": s.timezone, "address": s.address}
        if fmt == "pdf":
            return {"content_type": "application/pdf", "encoding": "base64",
                    "filename": f"receipt-{view['receipt_number']}.pdf",
                    "body": base64.b64encode(receipts.pdf(view, store)).decode()}
        return {"content_type": "text/html; charset=utf-8", "encoding": None,
                "body": receipts.html(view, store)}

    @rpc
    def create_return(self, sale_id, data, idempotency_key=None):
        digest = request_hash(data)
        data = load(_return, data)
        return returns.create_return(self._ctx(), uuid_arg(sale_id, "sale_id"), data,
                                     _key(idempotency_key), digest)

    # gift cards and store credit
    @rpc
    def get_gift_card(self, code):
        with self.db.transaction() as session:
            return sales.gift_card_view(session, self.caller, str(code))

    @rpc
    def get_store_credit(self, client_id):
        with self.db.transaction() as session:
            return sales.store_credit_view(session, self.caller, uuid_arg(client_id, "client_id"))

    # layaways
    @rpc
    def open_layaway(self, data, idempotency_key=None):
        digest = request_hash(data)
        data = load(_layaway, data)
        return layaways.open_layaway(self._ctx(), data, _key(idempotency_key), digest)

    @rpc
    def pay_layaway(self, layaway_id, data, idempotency_key=None):
        digest = request_hash(data)
        data = load(_payment, data)
        return layaways.pay(self._ctx(), uuid_arg(layaway_id, "layaway_id"), data,
                            _key(idempotency_key), digest)

    @rpc
    def cancel_layaway(self, layaway_id, data=None):
        data = load(_cancel, data or {})
        return layaways.cancel(self._ctx(), uuid_arg(layaway_id, "layaway_id"), data)

    @rpc
    def get_layaway(self, layaway_id):
        return layaways.get_layaway(self._ctx(), uuid_arg(layaway_id, "layaway_id"))

    @timer(interval=3600)
    def layaway_reminders(self):
        layaways.remind_due(self._ctx())

    # work-order deposits
    @rpc
    def take_deposit(self, work_order_id, data, idempotency_key=None):
        digest = request_hash(data)
        data = load(_payment, data)
        return deposits.take_deposit(self._ctx(), uuid_arg(work_order_id, "work_order_id"), data,
                                     _key(idempotency_key), digest)

    # cash drawers
    @rpc
    def open_drawer(self, data):
        data = load(_drawer_open, data)
        with self.db.transaction() as session:
            return drawers.open_drawer(session, self.caller, data)

    @rpc
    def drawer_movement(self, drawer_id, data):
        data = load(_drawer_move, data)
        with self.db.transaction() as session:
            return drawers.move_cash(session, self.caller, uuid_arg(drawer_id, "drawer_id"), data)

    @rpc
    def close_drawer(self, drawer_id, data):
        data = load(_drawer_close, data)
        with self.db.transaction() as session:
            return drawers.close_drawer(session, self.caller, uuid_arg(drawer_id, "drawer_id"), data)

    @rpc
    def get_drawer(self, drawer_id):
        with self.db.transaction() as session:
            return drawers.get_drawer(session, self.caller, uuid_arg(drawer_id, "drawer_id"))

    @rpc
    def list_drawers(self, filters=None):
        filters = load(_drawer_query, filters or {})
        with self.db.transaction() as session:
            return drawers.list_drawers(session, self.caller, filters)

    # reports and compliance
    @rpc
    def sales_report(self, filters=None):
        filters = load(_report_query, filters or {})
        with self.db.transaction() as session:
            return reports.sales_report(session, self.caller, filters)

    @rpc
    def commissions_report(self, filters=None):
        filters = load(_report_query, filters or {})
        with self.db.transaction() as session:
            return reports.commissions(session, self.caller, filters,
                                       self.settings.commission_rates_bps)

    @rpc
    def cash_reports(self, filters=None):
        filters = load(_cash_query, filters or {})
        with self.db.transaction() as session:
            return cash_reports.list_cases(session, self.caller, filters)

    @rpc
    def cash_reports_csv(self, filters=None):
        filters = load(_cash_query, filters or {})
        with self.db.transaction() as session:
            return {"content_type": "text/csv; charset=utf-8", "filename": "form-8300-cases.csv",
                    "body": cash_reports.cases_csv(session, self.caller, filters)}

    # Stripe
    @rpc
    def stripe_webhook(self, payload, signature):
        """The raw body and the ``Stripe-Signature`` header, as received."""
        return webhooks.handle(self._ctx(), payload, signature)

    # crash recovery
    @timer(interval=30)
    def sweep_timer(self):
        sweeper.sweep(self._ctx())

    @rpc
    def sweep(self):
        if self.caller.role not in ("hq_admin", "system"):
            raise Forbidden("operators only")
        return sweeper.sweep(self._ctx())

    # store facts from the gateway
    @event_handler("gateway", "store.created")
    def on_store_created(self, event):
        with self.db.inbox(event) as session:
            record_store(session, event["payload"])

    @event_handler("gateway", "store.updated")
    def on_store_updated(self, event):
        with self.db.inbox(event) as session:
            record_store(session, event["payload"])
