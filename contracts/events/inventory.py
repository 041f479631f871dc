"""Facts the inventory service publishes."""
from marshmallow import Schema, fields, validate

from ..envelope import event_schema
from ..types import Money

HOLD_REASONS = ("sale", "hold", "layaway", "memo", "transfer")


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
    metal_type = fields.String(load_default=None, allow_none=True)
    karat = fields.Integer(load_default=None, allow_none=True)
    vendor_id = fields.UUID(load_default=None, allow_none=True)
    received_at = fields.String(load_default=None, allow_none=True)


@event_schema("item.updated")
class ItemUpdated(Schema):
    item_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    changes = fields.Dict(required=True)


@event_schema("item.price_changed")
class ItemPriceChanged(Schema):
    item_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    old_price = fields.Nested(Money, required=True)
    new_price = fields.Nested(Money, required=True)
    reason = fields.String(required=True)


@event_schema("item.reserved")
class ItemReserved(Schema):
    item_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(HOLD_REASONS))
    sale_id = fields.UUID(load_default=None, allow_none=True)
    reservation_id = fields.UUID(load_default=None, allow_none=True)
    client_id = fields.UUID(load_default=None, allow_none=True)
    expires_at = fields.String(load_default=None, allow_none=True)


@event_schema("item.released")
class ItemReleased(Schema):
    item_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    reason = fields.String(required=True)
    sale_id = fields.UUID(load_default=None, allow_none=True)
    reservation_id = fields.UUID(load_default=None, allow_none=True)


@event_schema("item.sold")
class ItemSold(Schema):
    item_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    sale_id = fields.UUID(required=True)
    price = fields.Nested(Money, required=True)
    cost = fields.Nested(Money, load_default=None, allow_none=True)
    ownership = fields.String(load_default=None, allow_none=True)


@event_schema("item.returned")
class ItemReturned(Schema):
    item_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    sale_id = fields.UUID(load_default=None, allow_none=True)


class TransferFacts(Schema):
    transfer_id = fields.UUID(required=True)
    from_store_id = fields.UUID(required=True)
    to_store_id = fields.UUID(required=True)
    item_ids = fields.List(fields.UUID(), required=True)


@event_schema("transfer.shipped")
class TransferShipped(TransferFacts):
    pass


@event_schema("transfer.received")
class TransferReceived(TransferFacts):
    pass


@event_schema("stock_count.closed")
class StockCountClosed(Schema):
    count_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    matched = fields.Integer(required=True)
    missing = fields.List(fields.String(), required=True)
    unexpected = fields.List(fields.String(), required=True)
    shrinkage = fields.Nested(Money, load_default=None, allow_none=True)


@event_schema("memo.opened")
class MemoOpened(Schema):
    """Pieces lent out on memo (``out``: they become ``on_memo_out``) or
    vendor goods booked under a memo (``in``: they stay in stock)."""
    memo_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    direction = fields.String(required=True, validate=validate.OneOf(("in", "out")))
    counterparty = fields.String(required=True)
    item_ids = fields.List(fields.UUID(), required=True)
    due_date = fields.Date(required=True)


@event_schema("memo.closed")
class MemoClosed(Schema):
    """A memo settled: ``back_in_stock`` came home from a memo out,
    ``returned_to_vendor`` went back to the vendor from a memo in."""
    memo_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    direction = fields.String(required=True, validate=validate.OneOf(("in", "out")))
    back_in_stock = fields.List(fields.UUID(), required=True)
    returned_to_vendor = fields.List(fields.UUID(), required=True)


@event_schema("memo.overdue")
class MemoOverdue(Schema):
    memo_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    direction = fields.String(required=True, validate=validate.OneOf(("in", "out")))
    counterparty = fields.String(required=True)
    item_ids = fields.List(fields.UUID(), required=True)
    due_date = fields.Date(required=True)
