"""Inventory RPC schemas: what the gateway validates at the edge and the
inventory service validates again on entry."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..types import CURRENCY, Money, NonNegativeMoney

CATEGORIES = ("ring", "necklace", "bracelet", "earrings", "pendant", "watch", "loose_stone", "other")
OWNERSHIP = ("owned", "memo_in", "consignment")
STATUSES = ("in_stock", "reserved", "sold", "in_transit", "on_memo_out", "returned_to_vendor", "missing")
# a store's stock, valued at cost and retail: on hand, on its way, lent out on memo,
# or counted missing (until found or written off)
IN_STOCK_VALUE = ("in_stock", "reserved", "in_transit", "on_memo_out", "missing")
METALS = ("gold", "platinum", "palladium", "silver", "other")
LABS = ("GIA", "IGI", "AGS", "HRD", "GCAL", "EGL", "other")
SHAPES = ("round", "princess", "oval", "cushion", "emerald", "pear", "marquise", "radiant",
          "asscher", "heart", "baguette", "trillion", "other")
CLARITIES = ("FL", "IF", "VVS1", "VVS2", "VS1", "VS2", "SI1", "SI2", "I1", "I2", "I3")
HOLD_REASONS = ("hold", "sale", "layaway")   # why a piece is ``reserved``
CUTS = ("excellent", "very_good", "good", "fair", "poor")
# what the columns hold (NUMERIC(10, 3) grams; NUMERIC(8, 3) carats, a piece's stones together)
MAX_GRAMS = Decimal("9999999.999")
MAX_CARATS = Decimal("99999.999")


class Metal(Schema):
    type = fields.String(required=True, validate=validate.OneOf(METALS))
    karat = fields.Integer(strict=True, allow_none=True, load_default=None,
                           validate=validate.Range(min=1, max=24))
    fineness = fields.Integer(strict=True, allow_none=True, load_default=None,
                              validate=validate.Range(min=1, max=1000))
    color = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=40))
    weight_g = fields.Decimal(required=True, as_string=True, places=3,
                              validate=validate.Range(min=0, min_inclusive=False, max=MAX_GRAMS))


class Certificate(Schema):
    lab = fields.String(required=True, validate=validate.OneOf(LABS))
    number = fields.String(required=True, validate=validate.Length(min=1, max=40))


class Stone(Schema):
    type = fields.String(required=True, validate=validate.Length(min=1, max=40))
    shape = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(SHAPES))
    carat = fields.Decimal(required=True, as_string=True, places=3,
                           validate=validate.Range(min=0, min_inclusive=False, max=MAX_CARATS))
    color = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=20))
    clarity = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(CLARITIES))
    cut = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(CUTS))
    certificate = fields.Nested(Certificate, allow_none=True, load_default=None)


class PricingRule(Schema):
    """Priced by weight: spot x weight x purity x markup + labor."""

    markup = fields.Decimal(required=True, as_string=True,
                            validate=validate.Range(min=0, min_inclusive=False, max=100))
    labor = fields.Nested(NonNegativeMoney, required=True)


class ReceiveItem(Schema):
    store_id = fields.UUID(required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    metal = fields.Nested(Metal, allow_none=True, load_default=None)
    stones = fields.List(fields.Nested(Stone), load_default=list, validate=validate.Length(max=200))
    vendor_id = fields.UUID(allow_none=True, load_default=None)
    cost = fields.Nested(NonNegativeMoney, allow_none=True, load_default=None)
    price = fields.Nested(NonNegativeMoney, required=True)
    pricing = fields.Nested(PricingRule, allow_none=True, load_default=None)
    ownership = fields.String(load_default="owned", validate=validate.OneOf(OWNERSHIP))
    attributes = fields.Dict(keys=fields.String(), load_default=dict)
    photos = fields.List(fields.URL(), load_default=list, validate=validate.Length(max=20))

    @validates_schema
    def consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("category") != "loose_stone" and not data.get("metal"):
            raise ValidationError("required unless the piece is a loose stone", "metal")
        if data.get("category") == "loose_stone" and not data.get("stones"):
            raise ValidationError("a loose stone needs its stone", "stones")
        cost, price = data.get("cost"), data.get("price")
        if cost and price and cost["currency"] != price["currency"]:
            raise ValidationError("cost and price must be in the same currency", "cost")
        if data.get("pricing") and not data.get("metal"):
            raise ValidationError("pricing by weight needs the metal", "pricing")
        if sum(s["carat"] for s in data.get("stones") or []) > MAX_CARATS:
            raise ValidationError(f"the stones weigh more than {MAX_CARATS} carats together", "stones")
        certs = [(s["certificate"]["lab"], s["certificate"]["number"])
                 for s in data.get("stones") or [] if s.get("certificate")]
        if len(certs) != len(set(certs)):
            raise ValidationError("the same certificate appears twice", "stones")


class UpdateItem(Schema):
    price = fields.Nested(NonNegativeMoney)
    description = fields.String(validate=validate.Length(min=1, max=2000))
    attributes = fields.Dict(keys=fields.String())
    reason = fields.String(load_default="manual", validate=validate.Length(max=200))


class HoldRequest(Schema):
    client_id = fields.UUID(required=True)
    hold_hours = fields.Integer(load_default=48, strict=True, validate=validate.Range(min=1, max=24 * 14))


class TransferRequest(Schema):
    item_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=500))
    from_store_id = fields.UUID(required=True)
    to_store_id = fields.UUID(required=True)

    @validates_schema
    def different_stores(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("from_store_id") and data.get("from_store_id") == data.get("to_store_id"):
            raise ValidationError("must differ from from_store_id", "to_store_id")


class StockCountRequest(Schema):
    store_id = fields.UUID(required=True)


class ScanRequest(Schema):
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=16)), required=True,
                       validate=validate.Length(min=1, max=5000))


class CloseCountRequest(Schema):
    mark_missing = fields.Boolean(load_default=False)


class MemoRequest(Schema):
    direction = fields.String(required=True, validate=validate.OneOf(("in", "out")))
    store_id = fields.UUID(required=True)
    counterparty = fields.String(required=True, validate=validate.Length(min=1, max=200))
    vendor_id = fields.UUID(allow_none=True, load_default=None)
    item_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=500))
    due_date = fields.Date(required=True)


class MetalPriceRequest(Schema):
    metal = fields.String(required=True, validate=validate.OneOf(METALS))
    price_per_gram = fields.Nested(NonNegativeMoney, required=True)
    confirm = fields.Boolean(load_default=False)


class VendorRequest(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    contact = fields.Dict(load_default=dict)


class VendorChange(Schema):
    """What may change on a vendor: its name and contact fields."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    contact = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=60)),
                          metadata={"description": "replaces the contact fields as a whole"})

    @validates_schema
    def something(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("nothing to change", "_schema")


class ListPage(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500),
                           metadata={"description": "next_cursor of the previous page"})


class TransferQuery(ListPage):
    store_id = fields.UUID(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(("shipped", "received")))
    direction = fields.String(load_default=None, allow_none=True,
                              validate=validate.OneOf(("in", "out")), metadata={
        "description": "in: coming to the store (or your stores); out: leaving it"})


class HoldQuery(ListPage):
    store_id = fields.UUID(load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(HOLD_REASONS), metadata={
        "description": "hold: for a client; sale: in a checkout; layaway: on a layaway"})


class CountQuery(ListPage):
    store_id = fields.UUID(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(("open", "closed")))


class SearchFilters(Schema):
    store_id = fields.UUID(allow_none=True, load_default=None)
    status = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(STATUSES))
    category = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(CATEGORIES))
    metal_type = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(METALS))
    karat = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=24))
    min_carat = fields.Decimal(allow_none=True, load_default=None, validate=validate.Range(min=0))
    max_carat = fields.Decimal(allow_none=True, load_default=None, validate=validate.Range(min=0))
    min_price = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=0))
    max_price = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=0))
    q = fields.String(allow_none=True, load_default=None, validate=validate.Length(min=1, max=100))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(allow_none=True, load_default=None)

    @validates_schema
    def ranges(self, data: dict[str, Any], **kwargs: Any) -> None:
        for low, high in (("min_carat", "max_carat"), ("min_price", "max_price")):
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                raise ValidationError(f"must not be below {low}", high)


class StoneView(Stone):
    pass


class PricingView(Schema):
    """A piece's rule of pricing by weight as the piece keeps it."""

    markup = fields.String(metadata={"description": "a decimal, as text"})
    labor = fields.Integer(metadata={"description": "minor units of the piece's currency"})


_FULL = {"optional": True, "description": "not for another store's piece, nor in lists"}


class Item(Schema):
    id = fields.UUID()
    tag = fields.String()
    store_id = fields.UUID()
    category = fields.String()
    description = fields.String()
    metal = fields.Nested(Metal, allow_none=True)
    stones = fields.List(fields.Nested(StoneView), metadata={
        "optional": True, "description": "one piece's answer; not in a search's"})
    total_carat = fields.String(allow_none=True)
    vendor_id = fields.UUID(allow_none=True, metadata=_FULL)
    cost = fields.Nested(Money, allow_none=True, metadata=_FULL)
    price = fields.Nested(Money)
    pricing = fields.Nested(PricingView, allow_none=True, metadata=_FULL)
    ownership = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))
    hold_reason = fields.String(allow_none=True)
    attributes = fields.Dict()
    photos = fields.List(fields.String())
    received_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


__all__ = ["CURRENCY"]
