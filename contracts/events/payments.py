"""Facts the payments service publishes."""
from marshmallow import Schema, fields, validate

from ..envelope import event_schema
from ..types import Money

TENDER_METHODS = ("card", "cash", "store_credit", "gift_card", "loyalty_points",
                  "cashiers_check", "money_order")


class SaleLine(Schema):
    kind = fields.String(required=True,
                         validate=validate.OneOf(("item", "work_order", "free", "gift_card")))
    item_id = fields.UUID(load_default=None, allow_none=True)
    work_order_id = fields.UUID(load_default=None, allow_none=True)
    description = fields.String(load_default="")
    amount = fields.Nested(Money, required=True)        # after discount, before tax
    discount = fields.Nested(Money, load_default=None, allow_none=True)
    cost = fields.Nested(Money, load_default=None, allow_none=True)
    category = fields.String(load_default=None, allow_none=True)
    metal_type = fields.String(load_default=None, allow_none=True)
    tax = fields.Nested(Money, load_default=None, allow_none=True)
    discount_reason = fields.String(load_default=None, allow_none=True)
    tag = fields.String(load_default=None, allow_none=True)
    gift_card_id = fields.UUID(load_default=None, allow_none=True)


class TenderFacts(Schema):
    method = fields.String(required=True, validate=validate.OneOf(TENDER_METHODS))
    amount = fields.Nested(Money, required=True)
    payment_id = fields.UUID(load_default=None, allow_none=True)
    charge = fields.Nested(Money, load_default=None, allow_none=True)   # card in another currency
    fx_rate = fields.String(load_default=None, allow_none=True)


@event_schema("sale.completed")
class SaleCompleted(Schema):
    sale_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    client_id = fields.UUID(load_default=None, allow_none=True)
    associate_id = fields.String(load_default=None, allow_none=True)
    receipt_number = fields.String(required=True)
    lines = fields.List(fields.Nested(SaleLine), required=True)
    tenders = fields.List(fields.Nested(TenderFacts), required=True)
    subtotal = fields.Nested(Money, required=True)
    tax = fields.Nested(Money, required=True)
    total = fields.Nested(Money, required=True)
    completed_at = fields.String(required=True)
    discount_total = fields.Nested(Money, load_default=None, allow_none=True)
    layaway_id = fields.UUID(load_default=None, allow_none=True)
    register = fields.String(load_default=None, allow_none=True)


@event_schema("sale.failed")
class SaleFailed(Schema):
    sale_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    reason = fields.String(required=True)
    failure_code = fields.String(load_default=None, allow_none=True)
    client_id = fields.UUID(load_default=None, allow_none=True)


@event_schema("sale.returned")
class SaleReturned(Schema):
    sale_id = fields.UUID(required=True)
    return_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    client_id = fields.UUID(load_default=None, allow_none=True)
    item_ids = fields.List(fields.UUID(), required=True)
    refund = fields.Nested(Money, required=True)
    returned_at = fields.String(required=True)
    refund_method = fields.String(load_default=None, allow_none=True)
    refunds = fields.List(fields.Dict(), load_default=list)   # [{payment_id, method, amount}]


class PaymentFacts(Schema):
    payment_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    method = fields.String(required=True)
    amount = fields.Nested(Money, required=True)
    sale_id = fields.UUID(load_default=None, allow_none=True)
    work_order_id = fields.UUID(load_default=None, allow_none=True)
    layaway_id = fields.UUID(load_default=None, allow_none=True)
    client_id = fields.UUID(load_default=None, allow_none=True)
    charge = fields.Nested(Money, load_default=None, allow_none=True)
    fx_rate = fields.String(load_default=None, allow_none=True)


@event_schema("payment.captured")
class PaymentCaptured(PaymentFacts):
    pass


@event_schema("payment.refunded")
class PaymentRefunded(PaymentFacts):
    refund_id = fields.UUID(load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True)   # compensation, return, ...
    return_id = fields.UUID(load_default=None, allow_none=True)


@event_schema("payment.disputed")
class PaymentDisputed(PaymentFacts):
    dispute_id = fields.String(required=True)
    reason = fields.String(load_default=None, allow_none=True)


class LayawayFacts(Schema):
    layaway_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    item_ids = fields.List(fields.UUID(), load_default=list)
    balance = fields.Nested(Money, load_default=None, allow_none=True)
    due_date = fields.String(load_default=None, allow_none=True)
    amount_due = fields.Nested(Money, load_default=None, allow_none=True)
    amount = fields.Nested(Money, load_default=None, allow_none=True)       # a payment's amount
    total = fields.Nested(Money, load_default=None, allow_none=True)
    installment_number = fields.Integer(load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True)


for _name in ("opened", "payment_received", "completed", "cancelled", "payment_due"):
    event_schema(f"layaway.{_name}")(type(f"Layaway{_name.title().replace('_', '')}", (LayawayFacts,), {}))


@event_schema("compliance.cash_reportable")
class CashReportable(Schema):
    case_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    total_cash = fields.Nested(Money, required=True)
    sale_ids = fields.List(fields.UUID(), required=True)
    due_date = fields.Date(required=True)
    structuring_suspected = fields.Boolean(load_default=False)
