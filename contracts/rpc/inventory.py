"""Inventory RPC schemas."""
from marshmallow import Schema, fields, validate, validates_schema, ValidationError

from ..types import Money, NonNegativeMoney

CATEGORIES = ("ring", "necklace", "bracelet", "earrings", "pendant", "watch", "loose_stone", "other")
OWNERSHIP = ("owned", "memo_in", "consignment")
STATUSES = ("in_stock", "reserved", "sold", "in_transit", "on_memo_out", "returned_to_vendor", "missing")
METALS = ("gold", "platinum", "palladium", "silver", "other")


class Metal(Schema):
    type = fields.String(required=True, validate=validate.OneOf(METALS))
    karat = fields.Integer(strict=True, allow_none=True, load_default=None,
                           validate=validate.Range(min=1, max=24))
    fineness = fields.Integer(strict=True, allow_none=True, load_default=None,
                              validate=validate.Range(min=1, max=1000))
    color = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=40))
    weight_g = fields.Decimal(required=True, as_string=True, places=3,
                              validate=validate.Range(min=0, min_inclusive=False))


class ReceiveItem(Schema):
    store_id = fields.UUID(required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    metal = fields.Nested(Metal, allow_none=True, load_default=None)
    vendor_id = fields.UUID(allow_none=True, load_default=None)
    cost = fields.Nested(NonNegativeMoney, allow_none=True, load_default=None)
    price = fields.Nested(NonNegativeMoney, required=True)
    ownership = fields.String(load_default="owned", validate=validate.OneOf(OWNERSHIP))
    attributes = fields.Dict(keys=fields.String(), load_default=dict)
    photos = fields.List(fields.URL(), load_default=list, validate=validate.Length(max=20))

    @validates_schema
    def metal_unless_loose_stone(self, data, **kwargs):
        if data.get("category") != "loose_stone" and not data.get("metal"):
            raise ValidationError("required unless the piece is a loose stone", "metal")
        cost, price = data.get("cost"), data.get("price")
        if cost and price and cost["currency"] != price["currency"]:
            raise ValidationError("cost and price must be in the same currency", "cost")


class Item(Schema):
    id = fields.UUID()
    tag = fields.String()
    store_id = fields.UUID()
    category = fields.String()
    description = fields.String()
    metal = fields.Nested(Metal, allow_none=True)
    vendor_id = fields.UUID(allow_none=True)
    cost = fields.Nested(Money, allow_none=True)
    price = fields.Nested(Money)
    ownership = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))
    attributes = fields.Dict()
    photos = fields.List(fields.String())
    received_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
