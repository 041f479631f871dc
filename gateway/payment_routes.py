"""The sales and payments routes (docs/API.md#sales-and-payments). Thin: validate
at the edge, pass the body as sent and the ``Idempotency-Key`` to the
payments service, which validates again, keeps the key with the sale (a
repeat resumes or answers the first result) and runs the checkout saga.

Answers of ``POST /sales`` (``contracts.rpc.payments.sale_http_status``):
201 completed; a failed sale keeps its body (``status: "failed"``,
``failure_code``, ``failure_reason``) with 409 when a piece could not be had
and 402 when a payment was refused; 503 when Stripe's answer was lost (the
sale stays pending: send the same request with the same key again); 202
with ``Retry-After`` while the sale is pending (another request drives it,
or a card waits for its cardholder on the store's Terminal reader or for an
authentication; ``POST /sales/{id}/cancel-wait`` stops that wait).

``POST /webhooks/stripe`` is public: Stripe signs it; the raw body and the
``Stripe-Signature`` header go to the service, which verifies them (400
otherwise) and applies each event once.

A mixin of the gateway ``Service`` (``class Service(PaymentRoutes, ...)``):
it uses the service's ``payments`` RPC proxy.
"""
import base64
import uuid

from sqlalchemy import select

from chassis.errors import Forbidden, InvalidInput
from chassis.identity import (
    ANY_STAFF,
    BENCH_JEWELER,
    MANAGERS,
    OVERSIGHT,
    SALES_ASSOCIATE,
    SELLERS,
    STAFF,
    STORE_MANAGER,
)
from contracts.rpc import payments as schemas

from . import payment_schemas as views
from .http import BadRequest, Reply, route
from .media import CSV, ESCPOS, HTML, PDF, produces
from .models import User, UserStore
from .schemas import StripeWebhookReply
from .workorder_schemas import DepositView

SAGA_TIMEOUT = 12.0   # a checkout makes several Stripe and inventory calls
IN_FLIGHT_RETRY_S = 2  # a sale another worker is driving: ask again after this
STORE_ROLES = (STORE_MANAGER, SALES_ASSOCIATE, BENCH_JEWELER)   # the roles a store's staff hold


def is_store_staff(session, user_id, store_id):
    """``user_id`` is an active user of ``store_id`` in a store role (the
    gateway's own users: payments does not know them)."""
    try:
        user_id = str(uuid.UUID(str(user_id)))
    except ValueError:
        return False
    return session.scalar(
        select(User.id).join(UserStore, UserStore.user_id == User.id).where(
            User.id == user_id, UserStore.store_id == str(store_id), User.active.is_(True),
            User.role.in_(STORE_ROLES))) is not None


def hq_rates(listed):
    """reporting's ``list_fx_rates`` as payments takes it (``hq_fx_rates``)."""
    return {"reporting_currency": listed["reporting_currency"],
            "rates": {r["currency"]: r["rate"] for r in listed["items"]}}


def _uuid_or_none(value):
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def _query(request):
    return request.args.to_dict()


def _key(request):
    return request.headers.get("Idempotency-Key")


class PaymentRoutes:
    def _hq_fx_rates(self, tenders):
        """HQ's exchange rates (reporting's, recorded with ``POST /fx-rates``)
        when a card is to be charged in another currency; None otherwise. The
        counter never sets a rate (docs/API.md#sales-and-payments)."""
        if not schemas.foreign_currencies(tenders):
            return None
        return hq_rates(self.reporting.list_fx_rates())

    def _check_associate(self, request):
        """A sale is credited only to staff of its own store (422 otherwise)."""
        associate, store_id = request.body.get("associate_id"), request.body["store_id"]
        if not associate or associate == request.identity.user_id:
            return
        with self.db.transaction() as session:
            if not is_store_staff(session, associate, store_id):
                raise InvalidInput("the associate is not staff of this store", {"associate_id": [
                    "not a user of this store with a store role (store manager, sales "
                    "associate, bench jeweler)"]})

    # sales ----------------------------------------------------------------------

    @route("POST", "/sales", roles=SELLERS, body=schemas.SaleRequest,
           response=views.SaleView, status=201, idempotent=True,
           accepted="the sale is still being processed (another request with this "
                    "Idempotency-Key is driving it, or a card waits for its cardholder: a tap "
                    "on the store's reader, an authentication; see tenders[].next_action): its "
                    "state now; send the same request again after Retry-After seconds")
    def create_sale(self, request):
        """Sell: lines (pieces, work-order balances, free lines, gift cards),
        tax, discounts by line with a reason, tenders in any split that sums
        to the total. Every piece is reserved before any tender is taken."""
        self._check_associate(request)
        rates = self._hq_fx_rates(request.json_body.get("tenders"))
        view = self.payments.create_sale(request.json_body, _key(request), hq_fx_rates=rates,
                                         timeout=SAGA_TIMEOUT)
        status = schemas.sale_http_status(view)
        return Reply(view, status=status,
                     headers={"Retry-After": str(IN_FLIGHT_RETRY_S)} if status == 202 else None)

    @route("POST", "/sales/{id}/cancel-wait", roles=SELLERS, response=views.SaleView,
           idempotent=True)
    def stop_waiting(self, request, id):
        """Stop what a pending sale's card waits for (the tap on the store's
        reader, the cardholder's authentication): the reader's action and the
        PaymentIntent are cancelled and the sale is given back (402, the
        tender failed, the pieces released). A card answered first stands:
        the sale completes (201)."""
        view = self.payments.stop_waiting(id, timeout=SAGA_TIMEOUT)
        return Reply(view, status=schemas.sale_http_status(view))

    @route("GET", "/sales", roles=ANY_STAFF, query=schemas.SalesQuery, response=views.SalePage)
    def list_sales(self, request):
        """Sales of the stores the caller may see, newest first."""
        return self.payments.list_sales(_query(request))

    @route("GET", "/sales/{id}", roles=ANY_STAFF, response=views.SaleView)
    def get_sale(self, request, id):
        """One sale with its lines, tenders, refunds and returns."""
        return self.payments.get_sale(id)

    def _receipt(self, request, id, fmt):
        """The receipt from payments, with the associate's name from the
        gateway's users (payments knows only their ids)."""
        sale = self.payments.get_sale(id)
        associate = None
        if sale.get("associate_id"):
            with self.db.transaction() as session:
                associate = session.scalar(select(User.username).where(
                    User.id == _uuid_or_none(sale["associate_id"])))
        return self.payments.receipt(id, fmt, _query(request), associate=associate)

    @route("GET", "/sales/{id}/receipt.html", roles=ANY_STAFF, query=schemas.ReceiptQuery)
    @produces(HTML)
    def sale_receipt_html(self, request, id):
        """The receipt as HTML: the store's address, phone and hours, the
        associate, each piece described for insurance, the return policy's
        last day and the receipt number as a Code 128 barcode (inline SVG)."""
        receipt = self._receipt(request, id, "html")
        return Reply(receipt["body"], content_type="text/html")

    @route("GET", "/sales/{id}/receipt.pdf", roles=ANY_STAFF, query=schemas.ReceiptQuery)
    @produces(PDF)
    def sale_receipt_pdf(self, request, id):
        """The receipt as PDF (the same content as the HTML)."""
        receipt = self._receipt(request, id, "pdf")
        return Reply(base64.b64decode(receipt["body"]), content_type="application/pdf",
                     headers={"Content-Disposition": f'inline; filename="{receipt["filename"]}"'})

    @route("GET", "/sales/{id}/receipt.escpos", roles=ANY_STAFF, query=schemas.ReceiptQuery)
    @produces(ESCPOS)
    def sale_receipt_escpos(self, request, id):
        """The receipt as ESC/POS bytes for a thermal receipt printer (42 or
        48 columns, ``kick=true`` opens the cash drawer first, cut at the end):
        send the body to the printer as it is."""
        if request.params.get("kick"):
            # the drawer opens: a seller's act, and on the audit trail (who, when, which store)
            request.audit["detail"] = f"cash drawer kick with the receipt of sale {id}"
            if request.identity.role not in SELLERS:
                raise Forbidden("opening the cash drawer is for the store's sellers")
        receipt = self._receipt(request, id, "escpos")
        return Reply(base64.b64decode(receipt["body"]), content_type=receipt["content_type"],
                     headers={"Content-Disposition":
                              f'attachment; filename="{receipt["filename"]}"'})

    @route("POST", "/sales/{id}/returns", roles=SELLERS, body=schemas.ReturnRequest, status=201,
           response=views.ReturnView,
           idempotent=True)
    def create_return(self, request, id):
        """Return pieces of a sale within the return window: back to stock,
        refunded to the original tenders (or as store credit)."""
        return self.payments.create_return(id, request.json_body, _key(request),
                                           timeout=SAGA_TIMEOUT)

    # gift cards, store credit -------------------------------------------------------

    @route("GET", "/gift-cards/{code}", roles=ANY_STAFF, response=views.GiftCardView)
    def get_gift_card(self, request, code):
        """A gift card's balance and movements (sold as a sale line ``{gift_card}``)."""
        return self.payments.get_gift_card(code)

    @route("GET", "/clients/{id}/store-credit", roles=ANY_STAFF, response=views.StoreCreditView)
    def get_store_credit(self, request, id):
        """A client's store credit balances."""
        return self.payments.get_store_credit(id)

    # layaways ------------------------------------------------------------------------

    @route("POST", "/layaways", roles=SELLERS, body=schemas.LayawayRequest, status=201,
           response=views.LayawayView,
           idempotent=True)
    def open_layaway(self, request):
        """Hold pieces for a client against a deposit, with an installment schedule."""
        rates = self._hq_fx_rates([request.json_body.get("deposit")])
        view = self.payments.open_layaway(request.json_body, _key(request), hq_fx_rates=rates,
                                          timeout=SAGA_TIMEOUT)
        return Reply(view, status=schemas.layaway_http_status(view))

    @route("GET", "/layaways", roles=ANY_STAFF, query=schemas.LayawayQuery,
           response=views.LayawayPage)
    def list_layaways(self, request):
        """Layaways of a store (or the caller's stores), newest first, by status
        and client: each with its client, balance and next installment due."""
        return self.payments.list_layaways(_query(request))

    @route("GET", "/layaways/{id}", roles=ANY_STAFF, response=views.LayawayView)
    def get_layaway(self, request, id):
        """A layaway with its schedule and payments."""
        return self.payments.get_layaway(id)

    @route("POST", "/layaways/{id}/payments", roles=SELLERS, body=schemas.PaymentRequest,
           response=views.LayawayPayment, status=201, idempotent=True)
    def pay_layaway(self, request, id):
        """A payment on a layaway; the last one completes it (a sale, the pieces sold)."""
        view = self.payments.pay_layaway(id, request.json_body, _key(request),
                                         hq_fx_rates=self._hq_fx_rates([request.json_body.get("tender")]),
                                         timeout=SAGA_TIMEOUT)
        return Reply(view, status=schemas.payment_http_status(view))

    @route("POST", "/layaways/{id}/cancel", roles=SELLERS, body=schemas.LayawayCancel,
           response=views.LayawayView, idempotent=True)
    def cancel_layaway(self, request, id):
        """Cancel: the pieces go back to stock, the money back by policy."""
        return self.payments.cancel_layaway(id, request.json_body or {}, timeout=SAGA_TIMEOUT)

    # work-order deposits --------------------------------------------------------------

    @route("POST", "/work-orders/{id}/deposits", roles=STAFF, body=schemas.PaymentRequest,
           response=DepositView, status=201, idempotent=True)
    def take_deposit(self, request, id):
        """A deposit on a repair or custom job (``payment.captured`` with its id)."""
        view = self.payments.take_deposit(id, request.json_body, _key(request),
                                          hq_fx_rates=self._hq_fx_rates([request.json_body.get("tender")]),
                                          timeout=SAGA_TIMEOUT)
        return Reply(view, status=schemas.payment_http_status(view))

    # cash drawers ---------------------------------------------------------------------

    @route("POST", "/drawers", roles=SELLERS, body=schemas.DrawerOpen, status=201,
           response=views.DrawerView)
    def open_drawer(self, request):
        """Open a register's drawer with its float."""
        return self.payments.open_drawer(request.json_body)

    @route("GET", "/drawers", roles=ANY_STAFF, query=schemas.DrawerQuery,
           response=views.DrawerList)
    def list_drawers(self, request):
        """Drawers, and over/short per store and business day."""
        return self.payments.list_drawers(_query(request))

    @route("GET", "/drawers/{id}", roles=ANY_STAFF, response=views.DrawerView)
    def get_drawer(self, request, id):
        """A drawer: float, cash in and out, expected, counted, over/short."""
        return self.payments.get_drawer(id)

    @route("POST", "/drawers/{id}/movements", roles=SELLERS, body=schemas.DrawerMovementInput,
           status=201, response=views.DrawerView, idempotent=True)
    def drawer_movement(self, request, id):
        """Cash in or out by hand, with a reason."""
        return self.payments.drawer_movement(id, request.json_body)

    @route("POST", "/drawers/{id}/close", roles=SELLERS, body=schemas.DrawerClose,
           response=views.DrawerView, idempotent=True)
    def close_drawer(self, request, id):
        """Close with the counted cash: expected, counted, over/short."""
        return self.payments.close_drawer(id, request.json_body)

    # compliance and reports --------------------------------------------------------------

    @route("GET", "/compliance/cash-reports", roles=OVERSIGHT, query=schemas.CashReportQuery,
           response=views.CashReportPage)
    def cash_reports(self, request):
        """Form 8300 candidates: cash above 10,000 USD from one client, alone
        or related within 12 months, with the filing due date."""
        return self.payments.cash_reports(_query(request))

    @route("GET", "/compliance/cash-reports.csv", roles=OVERSIGHT, query=schemas.CashReportQuery)
    @produces(CSV)
    def cash_reports_csv(self, request):
        """The same cases as CSV."""
        export = self.payments.cash_reports_csv(_query(request))
        return Reply(export["body"], content_type="text/csv",
                     headers={"Content-Disposition": f'attachment; filename="{export["filename"]}"'})

    @route("GET", "/reports/commissions", roles=OVERSIGHT, query=schemas.ReportQuery,
           response=views.CommissionsReport)
    def commissions_report(self, request):
        """Commissions per associate: net sales times the rate of their role."""
        return self.payments.commissions_report(_query(request))

    # Stripe Terminal -------------------------------------------------------------------------

    @route("POST", "/terminal/readers", roles=MANAGERS, body=schemas.ReaderRegistration,
           status=201, response=views.ReaderView)
    def register_reader(self, request):
        """Register a card reader to a store with the code the reader shows
        and a label for the counter; the store's Stripe Terminal location is
        made with its first reader."""
        return self.payments.register_reader(request.json_body, timeout=SAGA_TIMEOUT)

    @route("GET", "/terminal/readers", roles=ANY_STAFF, query=schemas.ReaderQuery,
           response=views.ReaderList)
    def list_readers(self, request):
        """The card readers of a store (or of the caller's stores)."""
        return self.payments.list_readers(_query(request).get("store_id"))

    # Stripe --------------------------------------------------------------------------------

    @route("POST", "/webhooks/stripe", public=True, response=StripeWebhookReply)
    def stripe_webhook(self, request):
        """Stripe events; the signature is verified, each event applied once."""
        try:
            return self.payments.stripe_webhook(request.get_data(as_text=True),
                                                request.headers.get("Stripe-Signature"))
        except InvalidInput as exc:
            raise BadRequest(exc.detail or "bad Stripe webhook") from None
