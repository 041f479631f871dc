"""Field types every contract uses the same way."""
from marshmallow import Schema, fields, validate

CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="must be an ISO 4217 code like USD")


class Money(Schema):
    """Money is integer minor units plus ISO 4217 currency (docs/ARCHITECTURE.md#rule-6)."""

    amount = fields.Integer(required=True, strict=True)
    currency = fields.String(required=True, validate=CURRENCY)


class NonNegativeMoney(Money):
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
