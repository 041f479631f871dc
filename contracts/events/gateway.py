"""Facts the gateway publishes: it owns users and stores."""
from marshmallow import Schema, fields, validate

from ..envelope import event_schema
from ..types import CURRENCY


class StoreFacts(Schema):
    id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    currency = fields.String(required=True, validate=CURRENCY)
    timezone = fields.String(required=True)
    tax_rate_bps = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10000))
    country = fields.String(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True)
    address = fields.String(load_default=None, allow_none=True)
    hours = fields.String(load_default=None, allow_none=True)   # opening hours, free text


@event_schema("store.created")
class StoreCreated(StoreFacts):
    pass


@event_schema("store.updated")
class StoreUpdated(StoreFacts):
    pass
