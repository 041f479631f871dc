"""What the sales and payments routes answer (docs/API.md#sales-and-payments),
for the OpenAPI document: the payments service's views
(``services/payments``: ``sale_views``, ``tenders.tender_view``,
``layaways``, ``drawers``, ``returns``, ``cash_reports``, ``commissions``)
described field by field. Money is the shared ``Money``; times are
date-times, days are dates. A field an answer may leave out says so
(``metadata={"optional": True}``); one that may be null is ``allow_none``.
"""
from marshmallow import Schema, fields, validate

from contracts.rpc.payments import FAILURE_CODES, LAYAWAY_STATUSES
from contracts.types import Money

from .schemas import OPTIONAL, money, page_of

SALE_STATUSES = ("pending", "completed", "failed")
TENDER_STATES = ("pending", "waiting_for_reader", "requires_action", "authorized", "captured",
                 "failed", "voided", "refunded")


def _list(schema, **kwargs):
    return fields.List(fields.Nested(schema), **kwargs)


class CardFacts(Schema):
    payment_intent = fields.String(allow_none=True)
    last4 = fields.String(allow_none=True)
    status = fields.String(allow_none=True, metadata={"description": "Stripe's status"})
    disputed = fields.Boolean()
    reader_id = fields.UUID(allow_none=True, metadata={
        "description": "the store's Terminal reader the card is taken on (none: keyed in)"})


class NextAction(Schema):
    """What a waiting card waits for: ``present_card`` (the cardholder taps or
    inserts on the reader named) or a Stripe authentication (``use_stripe_sdk``,
    ``redirect_to_url``: Stripe.js ``handleNextAction`` with the client secret)."""

    type = fields.String()
    reader_id = fields.UUID(metadata=OPTIONAL)
    reader_label = fields.String(metadata=OPTIONAL)
    payment_intent = fields.String(metadata=OPTIONAL)
    client_secret = fields.String(allow_none=True, metadata=OPTIONAL)


class ForeignCharge(Schema):
    amount = money(metadata={"description": "what the card was charged, in its currency"})
    fx_rate = fields.String(allow_none=True, metadata={"description": "HQ's rate, a decimal"})


class TenderRefund(Schema):
    id = fields.UUID()
    amount = money()
    reason = fields.String(allow_none=True)
    state = fields.String()
    return_id = fields.UUID(allow_none=True)


class TenderView(Schema):
    """A tender (a payment): its card, foreign charge, cash handed over or
    points only where they apply."""

    id = fields.UUID()
    index = fields.Integer()
    method = fields.String()
    amount = money()
    state = fields.String(metadata={"description": "pending, waiting_for_reader (a card waits "
                                                   "for the tap on the store's reader), "
                                                   "requires_action (for the cardholder's "
                                                   "authentication), authorized, captured, "
                                                   "failed, voided or refunded"})
    refunded = money()
    failure_reason = fields.String(allow_none=True)
    card = fields.Nested(CardFacts, metadata=OPTIONAL)
    next_action = fields.Nested(NextAction, allow_none=True, metadata=OPTIONAL)
    charge = fields.Nested(ForeignCharge, metadata=OPTIONAL)
    received = money(metadata=OPTIONAL)
    change = money(metadata=OPTIONAL)
    points = fields.Integer(allow_none=True, metadata=OPTIONAL)
    refunds = _list(TenderRefund, metadata=OPTIONAL)


class LineDiscount(Schema):
    amount = money()
    reason = fields.String(allow_none=True)


class SaleLineView(Schema):
    index = fields.Integer()
    kind = fields.String(metadata={"description": "item, work_order, free or gift_card"})
    item_id = fields.UUID(allow_none=True)
    tag = fields.String(allow_none=True)
    work_order_id = fields.UUID(allow_none=True)
    description = fields.String(allow_none=True)
    list_price = money()
    discount = fields.Nested(LineDiscount, allow_none=True)
    amount = money()
    tax = money()
    taxable = fields.Boolean(allow_none=True)
    returned = fields.Boolean()
    return_id = fields.UUID(allow_none=True)
    gift_card_id = fields.UUID(allow_none=True)


class SoldGiftCard(Schema):
    id = fields.UUID()
    code = fields.String()
    balance = money()


class SaleReturn(Schema):
    id = fields.UUID()
    item_ids = fields.List(fields.UUID())
    amount = money()
    refund_method = fields.String()
    state = fields.String()
    created_at = fields.DateTime()


class SaleView(Schema):
    """A sale with its lines, tenders, refunds and returns."""

    id = fields.UUID()
    status = fields.String(validate=validate.OneOf(SALE_STATUSES))
    store_id = fields.UUID()
    client_id = fields.UUID(allow_none=True)
    associate_id = fields.String(allow_none=True)
    register = fields.String()
    receipt_number = fields.String(allow_none=True)
    gross = money()
    discount_total = money()
    subtotal = money()
    tax = money()
    total = money()
    tax_rate_bps = fields.Integer(allow_none=True)
    tax_exempt = fields.Boolean()
    tax_exempt_id = fields.String(allow_none=True)
    failure_code = fields.String(allow_none=True, validate=validate.OneOf(FAILURE_CODES))
    failure_reason = fields.String(allow_none=True)
    compensation_pending = fields.Boolean()
    layaway_id = fields.UUID(allow_none=True)
    lines = _list(SaleLineView)
    tenders = _list(TenderView)
    change_due = money()
    gift_cards = _list(SoldGiftCard)
    returns = _list(SaleReturn)
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    failed_at = fields.DateTime(allow_none=True)


SalePage = page_of(SaleView, "SalePage")


class PlanEntry(Schema):
    """How money goes back: to a tender or as store credit."""

    kind = fields.String(metadata={"description": "tender or store_credit"})
    amount = money()
    tender_id = fields.UUID(metadata=OPTIONAL)
    method = fields.String(metadata=OPTIONAL)


class ReturnRefund(Schema):
    id = fields.UUID()
    payment_id = fields.UUID()
    amount = money()
    state = fields.String()


class ReturnView(Schema):
    id = fields.UUID()
    sale_id = fields.UUID()
    store_id = fields.UUID()
    client_id = fields.UUID(allow_none=True)
    item_ids = fields.List(fields.UUID())
    refund_method = fields.String()
    amount = money()
    state = fields.String()
    plan = _list(PlanEntry)
    refunds = _list(ReturnRefund)
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)


class GiftCardMovement(Schema):
    kind = fields.String()
    amount = money()
    at = fields.DateTime()


class GiftCardView(Schema):
    id = fields.UUID()
    code = fields.String()
    status = fields.String()
    balance = money()
    initial_amount = money()
    issued_at = fields.DateTime()
    store_id = fields.UUID(allow_none=True)
    movements = _list(GiftCardMovement)


class StoreCreditView(Schema):
    client_id = fields.UUID()
    balances = _list(Money, metadata={"description": "one per currency"})


# layaways ------------------------------------------------------------------------------

class LayawayLine(Schema):
    item_id = fields.UUID()
    tag = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    amount = money()
    tax = money()


class InstallmentView(Schema):
    number = fields.Integer()
    due_date = fields.Date()
    amount = money()
    paid = money()
    reminded = fields.Boolean()


class LayawayView(Schema):
    id = fields.UUID()
    status = fields.String(validate=validate.OneOf(LAYAWAY_STATUSES))
    store_id = fields.UUID()
    client_id = fields.UUID()
    item_ids = fields.List(fields.UUID())
    failure_reason = fields.String(allow_none=True)
    lines = _list(LayawayLine)
    subtotal = money()
    tax = money()
    total = money()
    paid = money()
    balance = money()
    installments = _list(InstallmentView)
    payments = _list(TenderView)
    cancel_policy = fields.String(allow_none=True)
    cancel_plan = _list(PlanEntry)
    sale_id = fields.UUID(allow_none=True, metadata={"description": "once completed"})
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)


class LayawaySummary(Schema):
    """A layaway in a list: its client, what is left to pay, the next installment due."""

    id = fields.UUID()
    status = fields.String(validate=validate.OneOf(LAYAWAY_STATUSES))
    store_id = fields.UUID()
    client_id = fields.UUID()
    item_count = fields.Integer()
    total = money()
    paid = money()
    balance = money()
    next_due_date = fields.Date(allow_none=True, metadata={
        "description": "the first installment not paid in full (active layaways only)"})
    next_due = money(allow_none=True, metadata={"description": "what is left of it"})
    created_at = fields.DateTime()


LayawayPage = page_of(LayawaySummary, "LayawayPage")


class LayawayPayment(Schema):
    """A payment on a layaway and the layaway after it."""

    payment = fields.Nested(TenderView)
    store_id = fields.UUID()
    client_id = fields.UUID(allow_none=True)
    layaway = fields.Nested(LayawayView)


# cash drawers ---------------------------------------------------------------------------

class DrawerView(Schema):
    id = fields.UUID()
    store_id = fields.UUID()
    register = fields.String()
    business_date = fields.Date()
    status = fields.String(validate=validate.OneOf(("open", "closed")))
    float = money()
    cash_sales = money()
    cash_refunds = money()
    cash_in = money()
    cash_out = money()
    expected = money()
    counted = money(allow_none=True)
    over_short = money(allow_none=True, metadata={"description": "counted less expected"})
    opened_by = fields.String(allow_none=True)
    opened_at = fields.DateTime()
    closed_by = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


class DrawerDay(Schema):
    store_id = fields.UUID()
    business_date = fields.Date()
    over_short = money()
    drawers = fields.Integer()


class DrawerList(Schema):
    items = _list(DrawerView)
    next_cursor = fields.String(allow_none=True)
    days = _list(DrawerDay, metadata={"description": "over/short per store and business day"})


# compliance and commissions ----------------------------------------------------------------

class CashReportCase(Schema):
    id = fields.UUID()
    client_id = fields.UUID()
    store_id = fields.UUID()
    store_code = fields.String(allow_none=True)
    total_cash = money()
    sale_ids = fields.List(fields.UUID())
    payment_ids = fields.List(fields.UUID())
    first_payment_at = fields.DateTime()
    triggered_at = fields.DateTime()
    due_date = fields.Date(metadata={"description": "the Form 8300 filing is due by"})
    structuring_suspected = fields.Boolean()
    status = fields.String(validate=validate.OneOf(("open", "filed")))
    created_at = fields.DateTime()


CashReportPage = page_of(CashReportCase, "CashReportPage")


class CommissionRow(Schema):
    associate_id = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    sales = fields.Integer()
    net_sales = money()
    rate_bps = fields.Integer()
    commission = money()


class CommissionsReport(Schema):
    rows = _list(CommissionRow)


class ReaderView(Schema):
    """A Stripe Terminal card reader of a store."""

    id = fields.UUID()
    store_id = fields.UUID()
    label = fields.String()
    stripe_reader_id = fields.String()
    location = fields.String(metadata={"description": "the store's Stripe Terminal location"})
    device_type = fields.String(allow_none=True)
    serial_number = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ReaderList(Schema):
    items = _list(ReaderView)
