"""What the inventory routes answer (docs/API.md#inventory): the reply of each
operation, as the inventory service writes it (``services/inventory``), plus
transfer requests (reporting) and work-order deposits (payments).

Documentation only: the services answer plain dicts and the route relays
them. A field marked ``optional`` may be absent from an answer; every other
field is always there (``None`` where ``allow_none``).
"""
from marshmallow import Schema, fields, validate

from contracts.rpc import inventory as rpc
from contracts.types import Money

from .schemas import OPTIONAL, page_of

TRANSFER_STATUSES = ("shipped", "received")
COUNT_STATUSES = ("open", "closed")
HOLD_STATES = ("active", "released", "expired")
REQUEST_STATUSES = ("open", "shipped", "received", "declined")


def _optional(**metadata):
    return {**OPTIONAL, **metadata}


# client holds ------------------------------------------------------------------------

class Reservation(Schema):
    """A piece put aside for a client (a client hold)."""

    id = fields.UUID()
    item_id = fields.UUID()
    store_id = fields.UUID()
    client_id = fields.UUID()
    state = fields.String(validate=validate.OneOf(HOLD_STATES))
    status = fields.String(metadata={"description": "``reserved`` while active, else the state"})
    expires_at = fields.DateTime()
    created_at = fields.DateTime(allow_none=True)


class Hold(Schema):
    """A piece held now: for a client, in a checkout or on a layaway."""

    item_id = fields.UUID()
    tag = fields.String()
    description = fields.String()
    store_id = fields.UUID()
    price = fields.Nested(Money)
    reason = fields.String(validate=validate.OneOf(rpc.HOLD_REASONS))
    ref_id = fields.UUID(allow_none=True, metadata={
        "description": "hold: the reservation (DELETE /reservations/{id}); sale, layaway: its id"})
    client_id = fields.UUID(allow_none=True, metadata={"description": "a client hold's client"})
    expires_at = fields.DateTime(allow_none=True, metadata={"description": "a client hold's end"})
    held_at = fields.DateTime(allow_none=True)


HoldPage = page_of(Hold, "HoldPage")


# transfers ---------------------------------------------------------------------------

class Transfer(Schema):
    id = fields.UUID()
    from_store_id = fields.UUID()
    to_store_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(TRANSFER_STATUSES))
    item_ids = fields.List(fields.UUID())
    shipped_by = fields.String(allow_none=True)
    shipped_at = fields.DateTime(allow_none=True)
    received_by = fields.String(allow_none=True)
    received_at = fields.DateTime(allow_none=True)


TransferPage = page_of(Transfer, "TransferPage")


# stock counts -------------------------------------------------------------------------

class StockCount(Schema):
    """A stock count; an open one as it stands, a closed one with its result."""

    id = fields.UUID()
    store_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(COUNT_STATUSES))
    opened_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    scanned = fields.Integer(metadata=_optional(description="tags scanned so far"))
    matched = fields.Integer(metadata=_optional(description="pieces scanned and on hand"))
    missing = fields.List(fields.String(), metadata=_optional(
        description="tags on hand but not scanned (open: so far)"))
    unexpected = fields.List(fields.String(), metadata=_optional(
        description="tags scanned but not on hand at this store"))
    marked_missing = fields.Boolean(metadata=_optional(
        description="closed: the missing pieces were made ``missing``"))
    shrinkage = fields.Nested(Money, allow_none=True, metadata=_optional(
        description="closed with mark_missing: the cost of the owned missing pieces"))


StockCountPage = page_of(StockCount, "StockCountPage")


class CountedPiece(Schema):
    id = fields.UUID()
    tag = fields.String()
    description = fields.String()
    status = fields.String(validate=validate.OneOf(rpc.STATUSES))


class OpenStockCount(StockCount):
    """An open count as it stands: what is scanned, missing and unexpected so far."""

    scanned_tags = fields.List(fields.String(), metadata=_optional(description="open: the tags scanned"))
    missing_pieces = fields.List(fields.Nested(CountedPiece), metadata=_optional(
        description="open: the pieces on hand not scanned yet"))


# memos --------------------------------------------------------------------------------

class Memo(Schema):
    id = fields.UUID()
    direction = fields.String(validate=validate.OneOf(("in", "out")))
    store_id = fields.UUID()
    counterparty = fields.String()
    vendor_id = fields.UUID(allow_none=True)
    item_ids = fields.List(fields.UUID())
    due_date = fields.Date()
    status = fields.String(validate=validate.OneOf(("open", "closed")))
    overdue = fields.Boolean()
    created_at = fields.DateTime(allow_none=True)


MemoPage = page_of(Memo, "MemoPage")


# vendors and prices -------------------------------------------------------------------

class Vendor(Schema):
    id = fields.UUID()
    name = fields.String()
    contact = fields.Dict(keys=fields.String())
    created_at = fields.DateTime(allow_none=True)


VendorPage = page_of(Vendor, "VendorPage")


class MetalPriceResult(Schema):
    metal = fields.String(validate=validate.OneOf(rpc.METALS))
    price_per_gram = fields.Nested(Money)
    repriced = fields.Integer(metadata={"description": "pieces repriced now"})
    pending_confirmation = fields.Integer(metadata={"description": "repricings above the guard"})


class MetalPrice(Schema):
    metal = fields.String(validate=validate.OneOf(rpc.METALS))
    price_per_gram = fields.Nested(Money, metadata={"description": "per gram of pure metal"})
    set_by = fields.String(allow_none=True)
    set_at = fields.DateTime(allow_none=True)


MetalPricePage = page_of(MetalPrice, "MetalPricePage")


class PriceChange(Schema):
    id = fields.UUID()
    item_id = fields.UUID()
    store_id = fields.UUID()
    old_price = fields.Integer(metadata={"description": "minor units, the piece's currency"})
    new_price = fields.Integer(metadata={"description": "minor units, the piece's currency"})
    reason = fields.String()
    status = fields.String(validate=validate.OneOf(("pending", "applied", "rejected")))
    created_at = fields.DateTime(allow_none=True)


PriceChangePage = page_of(PriceChange, "PriceChangePage")


# chain-wide availability --------------------------------------------------------------

class StoreRef(Schema):
    id = fields.UUID()
    code = fields.String(allow_none=True)
    name = fields.String(allow_none=True)


class AvailablePiece(rpc.Item):
    """A piece anywhere in the chain; another store's without cost, vendor or pricing."""

    vendor_id = fields.UUID(allow_none=True, metadata=OPTIONAL)
    cost = fields.Nested(Money, allow_none=True, metadata=OPTIONAL)
    pricing = fields.Nested(rpc.PricingView, allow_none=True, metadata=OPTIONAL)
    store = fields.Nested(StoreRef)
    yours = fields.Boolean(metadata={"description": "the piece is at one of your stores"})


AvailabilityPage = page_of(AvailablePiece, "AvailabilityPage")


# transfer requests (reporting) --------------------------------------------------------

class RequestHistoryEntry(Schema):
    at = fields.DateTime()
    change = fields.String()
    actor_id = fields.String(allow_none=True)
    actor_role = fields.String(allow_none=True)
    store_id = fields.String(allow_none=True, metadata=OPTIONAL)


class RequestedPiece(Schema):
    tag = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    price = fields.Nested(Money, allow_none=True)


class TransferRequestView(Schema):
    id = fields.UUID()
    item_id = fields.UUID()
    tag = fields.String(allow_none=True)
    from_store_id = fields.UUID()
    to_store_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(REQUEST_STATUSES))
    note = fields.String(allow_none=True)
    requested_by = fields.String(allow_none=True)
    requested_role = fields.String(allow_none=True)
    transfer_id = fields.UUID(allow_none=True)
    decided_by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    created_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
    history = fields.List(fields.Nested(RequestHistoryEntry))
    piece = fields.Nested(RequestedPiece, metadata=_optional(
        description="what any store may see of the piece, when HQ knows it"))


TransferRequestPage = page_of(TransferRequestView, "TransferRequestPage")
