"""Payments service: entrypoints only; the rules live in plain modules beside
it (docs/API.md#sales-and-payments).

Flows that commit between durable steps (around inventory, crm and Stripe)
take the worker's ``Context``: ``saga`` (the checkout saga,
docs/ARCHITECTURE.md#checkout-saga-payments-orchestrates), ``flows``
(layaways, deposits, returns), ``sweeper`` (crash recovery). Everything else
is a rule that takes a session, opened here: ``sale_views``, ``drawers``,
``commissions``, ``cash_reports`` + ``compliance`` (Form 8300), ``webhooks``
(Stripe), ``layaways`` (reminders, views), ``receipts``.
"""
import logging
from dataclasses import replace

from nameko.timer import timer

from chassis.errors import Forbidden, InvalidInput
from chassis.events import event_handler
from chassis.identity import HQ_ADMIN, Identity, with_system
from chassis.rpc import ServiceRpc
from chassis.service import ServiceBase, rpc
from chassis.settings import SettingsProvider
from chassis.stores import record_store
from chassis.validation import load, uuid_arg
from contracts.rpc import payments as schemas

from . import (
    cash_reports,
    commissions,
    drawers,
    flows,
    layaways,
    receipts,
    saga,
    sale_views,
    sweeper,
    terminal,
    webhooks,
)
from .common import Context, load_settings, request_hash
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
_layaway_query = schemas.LayawayQuery()
_report_query = schemas.ReportQuery()
_cash_query = schemas.CashReportQuery()
_reader = schemas.ReaderRegistration()
log = logging.getLogger(__name__)
_receipt_query = schemas.ReceiptQuery()

OPERATORS = with_system((HQ_ADMIN,))


def _key(idempotency_key):
    if idempotency_key is None:
        return None
    key = str(idempotency_key).strip()
    if not 1 <= len(key) <= 255:
        raise InvalidInput("bad Idempotency-Key", {"Idempotency-Key": ["1 to 255 characters"]})
    return key


def _rates(hq_fx_rates):
    """HQ's rates as passed: ``{"reporting_currency": R, "rates": {currency: rate}}``."""
    if not isinstance(hq_fx_rates, dict):
        return None
    rates = hq_fx_rates.get("rates")
    return {"reporting_currency": str(hq_fx_rates.get("reporting_currency") or ""),
            "rates": {str(k): str(v) for k, v in rates.items()} if isinstance(rates, dict) else {}}


class Service(ServiceBase):
    name = "payments"

    stripe = Stripe()
    settings = SettingsProvider(load_settings)
    inventory = ServiceRpc("inventory")
    crm = ServiceRpc("crm")
    workorders = ServiceRpc("workorders")

    def _ctx(self, hq_fx_rates=None):
        """``hq_fx_rates``: HQ's exchange rates, passed by the gateway beside a
        request whose card is charged in another currency (``money.cross_rate``)."""
        return Context(db=self.db, identity=self.caller, stripe=self.stripe,
                       inventory=self.inventory, crm=self.crm, workorders=self.workorders,
                       settings=self.settings, hq_rates=_rates(hq_fx_rates))

    # sales
    @rpc
    def create_sale(self, data, idempotency_key=None, hq_fx_rates=None):
        """The checkout saga; see ``contracts.rpc.payments.sale_http_status``."""
        digest = request_hash(data)
        data = load(_sale, data)
        return saga.create_sale(self._ctx(hq_fx_rates), data, _key(idempotency_key), digest)

    @rpc
    def get_sale(self, sale_id):
        with self.db.transaction() as session:
            return sale_views.get_sale(session, self.caller, uuid_arg(sale_id, "sale_id"))

    @rpc
    def list_sales(self, filters=None):
        filters = load(_sales_query, filters or {})
        with self.db.transaction() as session:
            return sale_views.list_sales(session, self.caller, filters)

    @rpc
    def receipt(self, sale_id, fmt="html", options=None, associate=None):
        """``{content_type, body}``; a PDF's or ESC/POS's body is base64.
        ``options``: ``ReceiptQuery``; ``associate``: the name to print."""
        if fmt not in receipts.FORMATS:
            raise InvalidInput("no such receipt format", {"format": [", ".join(receipts.FORMATS)]})
        options = load(_receipt_query, options or {})
        with self.db.transaction() as session:
            view = sale_views.get_sale(session, self.caller, uuid_arg(sale_id, "sale_id"))
            if view["status"] != "completed":
                raise InvalidInput("no receipt",
                                   {"sale_id": ["only a completed sale has a receipt"]})
            store = receipts.store_facts(session.get(Store, view["store_id"]))
            insurance = receipts.insurance_of(session, view["id"])
        return receipts.render(fmt, view, store, options, return_days=self.settings.return_window_days,
                               insurance=insurance, associate=associate)

    @rpc
    def create_return(self, sale_id, data, idempotency_key=None):
        digest = request_hash(data)
        data = load(_return, data)
        return flows.create_return(self._ctx(), uuid_arg(sale_id, "sale_id"), data,
                                   _key(idempotency_key), digest)

    # gift cards and store credit
    @rpc
    def get_gift_card(self, code):
        with self.db.transaction() as session:
            return sale_views.gift_card_view(session, self.caller, str(code))

    @rpc
    def get_store_credit(self, client_id):
        """Part of the client's full profile: answered only when crm says the
        caller sees the client in full (docs/ARCHITECTURE.md#rule-7)."""
        client_id = uuid_arg(client_id, "client_id")
        sale_views.require_full_profile(self.crm.client_scope(client_id))
        with self.db.transaction() as session:
            return sale_views.store_credit_view(session, self.caller, client_id)

    # layaways
    @rpc
    def open_layaway(self, data, idempotency_key=None, hq_fx_rates=None):
        digest = request_hash(data)
        data = load(_layaway, data)
        return flows.open_layaway(self._ctx(hq_fx_rates), data, _key(idempotency_key), digest)

    @rpc
    def pay_layaway(self, layaway_id, data, idempotency_key=None, hq_fx_rates=None):
        digest = request_hash(data)
        data = load(_payment, data)
        return flows.pay_layaway(self._ctx(hq_fx_rates), uuid_arg(layaway_id, "layaway_id"), data,
                                 _key(idempotency_key), digest)

    @rpc
    def cancel_layaway(self, layaway_id, data=None):
        data = load(_cancel, data or {})
        return flows.cancel_layaway(self._ctx(), uuid_arg(layaway_id, "layaway_id"), data)

    @rpc
    def get_layaway(self, layaway_id):
        with self.db.transaction() as session:
            return layaways.get_layaway(session, self.caller, uuid_arg(layaway_id, "layaway_id"))

    @rpc
    def list_layaways(self, filters=None):
        filters = load(_layaway_query, filters or {})
        with self.db.transaction() as session:
            return layaways.list_layaways(session, self.caller, filters)

    @timer(interval=3600)
    def layaway_reminders(self):
        with self.db.transaction() as session:
            layaways.remind_due(session, self.settings)

    # work-order deposits
    @rpc
    def take_deposit(self, work_order_id, data, idempotency_key=None, hq_fx_rates=None):
        digest = request_hash(data)
        data = load(_payment, data)
        return flows.take_deposit(self._ctx(hq_fx_rates), uuid_arg(work_order_id, "work_order_id"), data,
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

    # commissions and compliance
    @rpc
    def commissions_report(self, filters=None):
        filters = load(_report_query, filters or {})
        with self.db.transaction() as session:
            return commissions.commissions(session, self.caller, filters,
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
        event = webhooks.verify(self.stripe, payload, signature)
        with self.db.transaction() as session:
            result = webhooks.handle(session, self.caller, event)
        sale_id = result.pop("resume_sale", None)
        if sale_id:
            # a reader answered: the sale goes on now (capture, completion or giving
            # back); if it cannot, the counter's next ask or the sweeper does it
            try:
                saga.run(replace(self._ctx(), identity=Identity.system()), sale_id)
            except Exception as exc:   # noqa: BLE001 - Stripe's delivery is answered regardless
                log.warning("sale %s not driven on after %s: %s", sale_id, result["type"], exc)
        return result

    # Stripe Terminal (card readers)
    @rpc
    def register_reader(self, data):
        return terminal.register_reader(self._ctx(), load(_reader, data))

    @rpc
    def list_readers(self, store_id=None):
        with self.db.transaction() as session:
            return terminal.list_readers(session, self.caller,
                                         uuid_arg(store_id, "store_id") if store_id else None)

    @rpc
    def stop_waiting(self, sale_id):
        """The counter cancels what a sale's card waits for (the reader's tap)."""
        return saga.stop_waiting(self._ctx(), uuid_arg(sale_id, "sale_id"))

    # crash recovery
    @timer(interval=30)
    def sweep_timer(self):
        sweeper.sweep(self._ctx())

    @rpc
    def sweep(self):
        if self.caller.role not in OPERATORS:
            raise Forbidden("operators only")
        return sweeper.sweep(self._ctx())

    # store facts from the gateway
    @event_handler("gateway", "store.created")
    def on_store_created(self, event):
        with self.db.inbox(event) as session:
            record_store(session, Store, event.payload, last_receipt=0)

    @event_handler("gateway", "store.updated")
    def on_store_updated(self, event):
        with self.db.inbox(event) as session:
            record_store(session, Store, event.payload, last_receipt=0)
