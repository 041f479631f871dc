"""What ``POST /work-orders/{id}/deposits`` answers (docs/API.md#work-orders):
the payment as the payments service writes it (``services/payments``).

Documentation only; a field marked ``optional`` may be absent from an answer.
"""
from marshmallow import Schema, fields, validate

from contracts.events.payments import TENDER_METHODS
from contracts.types import Money

OPTIONAL = {"optional": True}


class CardDetails(Schema):
    payment_intent = fields.String(allow_none=True)
    last4 = fields.String(allow_none=True)
    status = fields.String(allow_none=True, metadata={"description": "the card provider's status"})
    disputed = fields.Boolean()


class ForeignCharge(Schema):
    """A card charged in another currency than the store's."""

    amount = fields.Nested(Money)
    fx_rate = fields.String(allow_none=True)


class Refund(Schema):
    id = fields.UUID()
    amount = fields.Nested(Money)
    reason = fields.String(allow_none=True)
    state = fields.String()
    return_id = fields.UUID(allow_none=True)


class Payment(Schema):
    """One tender: how much, how, and where it stands."""

    id = fields.UUID()
    index = fields.Integer()
    method = fields.String(validate=validate.OneOf(TENDER_METHODS))
    amount = fields.Nested(Money)
    state = fields.String(metadata={"description": "pending, authorized, captured, failed, ..."})
    refunded = fields.Nested(Money)
    failure_reason = fields.String(allow_none=True)
    card = fields.Nested(CardDetails, metadata={**OPTIONAL, "description": "card payments"})
    charge = fields.Nested(ForeignCharge, metadata=OPTIONAL)
    received = fields.Nested(Money, metadata={**OPTIONAL, "description": "cash handed over"})
    change = fields.Nested(Money, metadata={**OPTIONAL, "description": "cash given back"})
    points = fields.Integer(allow_none=True, metadata=OPTIONAL)
    refunds = fields.List(fields.Nested(Refund), metadata=OPTIONAL)


class DepositView(Schema):
    payment = fields.Nested(Payment)
    store_id = fields.UUID()
    client_id = fields.UUID(allow_none=True)
    work_order_id = fields.UUID()
