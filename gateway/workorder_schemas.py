"""What ``POST /work-orders/{id}/deposits`` answers (docs/API.md#work-orders):
the payment as the payments service writes it (``services/payments``).

The payment is a tender as ``POST /sales`` answers it (``payment_schemas.TenderView``).
"""
from marshmallow import Schema, fields

from .payment_schemas import TenderView


class DepositView(Schema):
    payment = fields.Nested(TenderView)
    store_id = fields.UUID()
    client_id = fields.UUID(allow_none=True)
    work_order_id = fields.UUID()
