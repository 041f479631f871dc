"""Workorders RPC schemas: what the gateway validates at the edge and the
workorders service validates again on entry (and what the OpenAPI document
shows). Replies are described for the document only."""
from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..events.workorders import STAGES
from ..types import CURRENCY, Money, NonNegativeMoney
from .inventory import Metal, Stone

KINDS = ("repair", "resize", "engraving", "custom", "appraisal")
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
PRICE_CODE = validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$",
                             error="lower-case letters, digits and _ only, like prong_retip")
TRACKING_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,128}$")


def _base64(value: object) -> None:
    if not isinstance(value, str):
        raise ValidationError("must be base64 text")
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("not valid base64") from None


class PhotoInput(Schema):
    """A photo as base64 (JPEG, PNG or WebP, recognised by its content)."""

    content_base64 = fields.String(required=True, validate=_base64,
                                   metadata={"description": "the image file, base64-encoded"})
    caption = fields.String(load_default="", validate=validate.Length(max=200))


class PhotoStored(Schema):
    """A photo the gateway stored itself (a multipart upload), by its key:
    the workorders service records it (``attach_photo``)."""

    storage_key = fields.String(required=True, validate=validate.Regexp(
        r"^[0-9a-f]{2}/[0-9a-f]{32}\.(jpg|png|webp)$", error="not a photo key"))
    content_type = fields.String(required=True, validate=validate.OneOf(PHOTO_TYPES))
    size_bytes = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    caption = fields.String(load_default="", validate=validate.Length(max=200))


class Intake(Schema):
    condition_notes = fields.String(load_default="", validate=validate.Length(max=4000),
                                    metadata={"description": 'e.g. "worn prongs, chip on girdle"'})
    photos = fields.List(fields.Nested(PhotoInput), load_default=list,
                         validate=validate.Length(max=20))


class TaskInput(Schema):
    """A task from the chain's repair price list (``code``, priced by the
    list) or a free task (``description``, with ``price`` or to be quoted)."""

    code = fields.String(load_default=None, allow_none=True, validate=PRICE_CODE)
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=1, max=500))
    quantity = fields.Integer(load_default=None, allow_none=True, strict=True,
                              validate=validate.Range(min=1, max=1000),
                              metadata={"description": "sizes, prongs, stones, letters...; "
                                                       "for engraving, the letters of `text`"})
    text = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "what to engrave"})
    price = fields.Nested(NonNegativeMoney, load_default=None, allow_none=True)

    @validates_schema
    def code_or_description(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("code") and not data.get("description"):
            raise ValidationError("give a price list code or a description", "description")
        if data.get("code") and data.get("price") is not None:
            raise ValidationError("a price list task is priced by the list", "price")


class WorkOrderInput(Schema):
    store_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    item_description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    intake = fields.Nested(Intake, load_default=lambda: {"condition_notes": "", "photos": []})
    tasks = fields.List(fields.Nested(TaskInput), load_default=list,
                        validate=validate.Length(max=50))
    promised_date = fields.Date(required=True)
    rush = fields.Boolean(load_default=False)
    estimate_required = fields.Boolean(
        load_default=None, allow_none=True,
        metadata={"description": "default: true for custom work and when a task has no price"})


class WorkOrderQuery(Schema):
    store_id = fields.UUID(load_default=None, allow_none=True)
    stage = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STAGES))
    assignee_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    client_id = fields.UUID(load_default=None, allow_none=True)
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(KINDS))
    overdue = fields.Boolean(load_default=None, allow_none=True)
    open = fields.Boolean(load_default=None, allow_none=True,
                          metadata={"description": "true: not picked up or cancelled"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class BoardQuery(Schema):
    store_id = fields.UUID(required=True)
    assignee_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class Page(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class EstimateRequest(Schema):
    amount = fields.Nested(NonNegativeMoney, required=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class ApproveRequest(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class AssignRequest(Schema):
    user_id = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=64),
                            metadata={"description": "the bench jeweler; null to unassign"})
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class TransitionRequest(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class Appraiser(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    credentials = fields.String(load_default="", validate=validate.Length(max=200),
                                metadata={"description": "e.g. GIA Graduate Gemologist"})


class AppraisalInput(Schema):
    piece_description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    metal = fields.Nested(Metal, load_default=None, allow_none=True)
    stones = fields.List(fields.Nested(Stone), load_default=list, validate=validate.Length(max=100))
    replacement_value = fields.Nested(NonNegativeMoney, required=True)
    appraiser = fields.Nested(Appraiser, required=True)
    appraised_on = fields.Date(load_default=None, allow_none=True,
                               metadata={"description": "default: today in the store's time zone"})
    photo_ids = fields.List(fields.UUID(), load_default=None, allow_none=True,
                            validate=validate.Length(max=6),
                            metadata={"description": "default: the job's first photos"})
    notes = fields.String(load_default="", validate=validate.Length(max=4000))


class PriceInput(Schema):
    """One line of the chain's repair price list, in one currency."""

    currency = fields.String(required=True, validate=CURRENCY)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    unit = fields.String(load_default="each",
                         validate=validate.OneOf(("each", "size", "prong", "stone", "letter", "inch")))
    price = fields.Nested(NonNegativeMoney, required=True)
    active = fields.Boolean(load_default=True)

    @validates_schema
    def same_currency(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("price") and data.get("currency") and data["price"]["currency"] != data["currency"]:
            raise ValidationError("must be in the line's currency", "price.currency")


class PriceQuery(Schema):
    currency = fields.String(load_default=None, allow_none=True, validate=CURRENCY)
    include_inactive = fields.Boolean(load_default=False)


# replies (for the OpenAPI document) ----------------------------------------------------

class TaskView(Schema):
    id = fields.UUID()
    code = fields.String(allow_none=True)
    description = fields.String()
    quantity = fields.Integer()
    text = fields.String(allow_none=True)
    unit_price = fields.Nested(Money, allow_none=True)
    price = fields.Nested(Money, allow_none=True, metadata={"description": "null: to be quoted"})


class PhotoView(Schema):
    id = fields.UUID()
    content_type = fields.String(metadata={"enum": list(PHOTO_TYPES)})
    size_bytes = fields.Integer()
    caption = fields.String()
    purpose = fields.String()
    created_at = fields.String(metadata={"format": "date-time"})
    url = fields.String()


class EstimateView(Schema):
    amount = fields.Nested(Money)
    note = fields.String()
    estimated_at = fields.String(metadata={"format": "date-time"})
    estimated_by = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": ["awaiting_approval", "approved", "declined"]})


_FULL = {"optional": True, "description": "the full view only, not in lists"}


class WorkOrderView(Schema):
    id = fields.UUID()
    number = fields.String(metadata={"description": "per store, e.g. NYC-000123"})
    store_id = fields.UUID()
    store = fields.Dict()
    client_id = fields.UUID()
    client = fields.Dict(metadata={"description": "first_name, last_name, phone"})
    kind = fields.String(metadata={"enum": list(KINDS)})
    item_description = fields.String()
    intake = fields.Dict(metadata={"optional": True,
                                   "description": "condition_notes, photos; the full view only, not in lists"})
    tasks = fields.List(fields.Nested(TaskView), metadata=_FULL)
    stage = fields.String(metadata={"enum": list(STAGES)})
    allowed_stages = fields.List(fields.String(), metadata=_FULL)
    assignee_id = fields.String(allow_none=True)
    assignee_name = fields.String(allow_none=True)
    promised_date = fields.Date()
    rush = fields.Boolean()
    overdue = fields.Boolean()
    estimate_required = fields.Boolean()
    estimate = fields.Nested(EstimateView, allow_none=True)
    approved_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    approved_via = fields.String(allow_none=True, metadata={"enum": ["counter", "tracking_page"]})
    tasks_total = fields.Nested(Money)
    total = fields.Nested(Money, metadata={"description": "the estimate, else the priced tasks"})
    deposits = fields.Nested(Money)
    paid = fields.Nested(Money)
    balance_due = fields.Nested(Money)
    paid_sale_id = fields.UUID(allow_none=True)
    tracking_token = fields.String()
    appraisal = fields.Dict(allow_none=True, metadata=_FULL)
    created_at = fields.String(metadata={"format": "date-time"})
    created_by = fields.String(allow_none=True)
    stage_changed_at = fields.String(metadata={"format": "date-time"})
    ready_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class WorkOrderPage(Schema):
    items = fields.List(fields.Nested(WorkOrderView))
    next_cursor = fields.String(allow_none=True)


class HistoryEntry(Schema):
    at = fields.String()
    actor_id = fields.String(allow_none=True)
    actor_role = fields.String(allow_none=True)
    actor_name = fields.String(allow_none=True)
    store_id = fields.UUID(allow_none=True)
    change = fields.String()
    from_stage = fields.String(allow_none=True)
    to_stage = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    details = fields.Dict()


class HistoryPage(Schema):
    items = fields.List(fields.Nested(HistoryEntry))
    next_cursor = fields.String(allow_none=True)


class Board(Schema):
    store_id = fields.UUID()
    columns = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(WorkOrderView)),
                          metadata={"description": "open stages in workflow order, overdue first"})
    by_assignee = fields.Dict(keys=fields.String(), values=fields.Integer(),
                              metadata={"description": "open jobs per jeweler (\"\": unassigned)"})
    overdue = fields.Integer()


class TrackingView(Schema):
    number = fields.String()
    kind = fields.String()
    stage = fields.String()
    stage_label = fields.String()
    promised_date = fields.Date()
    ready_for_pickup = fields.Boolean()
    store = fields.Dict(metadata={
        "description": "name, phone, address, country (ISO 3166 alpha-2: the locale money is printed in)"})
    updated_at = fields.String(metadata={"format": "date-time"})
    estimate = fields.Nested(EstimateView, allow_none=True,
                             metadata={"description": "only while an estimate awaits approval"})
    can_approve = fields.Boolean()



class PriceView(Schema):
    code = fields.String()
    currency = fields.String()
    name = fields.String()
    unit = fields.String()
    price = fields.Nested(Money)
    active = fields.Boolean()
    updated_at = fields.String(metadata={"format": "date-time"})


class PriceList(Schema):
    items = fields.List(fields.Nested(PriceView))


class AppraisalView(Schema):
    work_order_id = fields.UUID()
    version = fields.Integer()
    appraised_on = fields.Date()
    appraiser = fields.Nested(Appraiser)
    replacement_value = fields.Nested(Money)
    created_at = fields.String(metadata={"format": "date-time"})
