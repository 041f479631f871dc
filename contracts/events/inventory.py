"""Facts the inventory service publishes."""
from marshmallow import Schema, fields

from ..envelope import event_schema
from ..types import Money


@event_schema("item.received")
class ItemReceived(Schema):
    item_id = fields.UUID(required=True)
    tag = fields.String(required=True)
    store_id = fields.UUID(required=True)
    category = fields.String(required=True)
    description = fields.String(required=True)
    ownership = fields.String(required=True)
    cost = fields.Nested(Money, required=True, allow_none=True)
    price = fields.Nested(Money, required=True)
