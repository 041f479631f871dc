"""Crm RPC schemas: what the gateway validates at the edge and the crm
service validates again on entry (and what the OpenAPI document shows)."""
from __future__ import annotations

import calendar
import re
from typing import Any, Mapping

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..events.crm import TIERS
from ..types import Money

MILESTONE_KINDS = ("birthday", "anniversary", "engagement", "custom")
CHANNELS = ("sms", "email")
LEDGER_KINDS = ("earn", "redeem", "expire", "adjust")
TIMELINE_KINDS = ("purchase", "return", "work_order", "message", "appointment", "wish_alert",
                  "note")
_DATE = re.compile(r"^(?:(\d{4})-|--)?(\d{2})-(\d{2})$")
_PHONE = re.compile(r"^\+?[\d\s().\-/]+(?:\s*(?:x|ext\.?)\s*\d+)?$", re.IGNORECASE)


def _phone_shape(value: str | None) -> None:
    """The shape of a phone number; its validity for the store's country is
    checked by the crm service (libphonenumber)."""
    if value is not None and (not _PHONE.match(value.strip())
                              or sum(c.isdigit() for c in value) < 5):
        raise ValidationError("not a phone number")

_name = validate.Length(min=1, max=100)
_word = fields.String(validate=validate.Length(min=1, max=60))


class MilestoneDate(fields.Field[dict[str, Any]]):
    """A milestone's date: ``YYYY-MM-DD``, or ``--MM-DD`` / ``MM-DD`` when
    the year is not known (a birthday given without the year)."""

    default_error_messages = {
        "invalid": "must be a date as YYYY-MM-DD, or --MM-DD when the year is not known",
        "impossible": "no such day in the calendar",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> dict[str, Any]:
        match = _DATE.match(value.strip()) if isinstance(value, str) else None
        if not match:
            raise self.make_error("invalid")
        y, m, d = match.groups()      # month and day are always there, the year may not be
        year, month, day = (int(y) if y else None), int(m), int(d)
        if not 1 <= month <= 12:
            raise self.make_error("impossible")
        last = calendar.monthrange(year or 2000, month)[1]  # 2000: Feb 29 exists
        if not 1 <= day <= last or (year is not None and year < 1900):
            raise self.make_error("impossible")
        return {"year": year, "month": month, "day": day}

    def _serialize(self, value: dict[str, Any] | str | None, attr: str | None, obj: Any,
                   **kwargs: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if value.get("year"):
            return "{year:04d}-{month:02d}-{day:02d}".format(**value)
        return "--{month:02d}-{day:02d}".format(**value)


class Consent(Schema):
    sms = fields.Boolean()
    email = fields.Boolean()
    source = fields.String(load_default="counter", validate=validate.Length(min=1, max=40))


class Preferences(Schema):
    metals = fields.List(_word, load_default=list, validate=validate.Length(max=20))
    stones = fields.List(_word, load_default=list, validate=validate.Length(max=20))
    designers = fields.List(_word, load_default=list, validate=validate.Length(max=20))


class Milestone(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(MILESTONE_KINDS))
    date = MilestoneDate(required=True)
    label = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))

    @validates_schema
    def custom_has_label(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("kind") == "custom" and not data.get("label"):
            raise ValidationError("a custom milestone needs a label", "label")


class ClientInput(Schema):
    """``POST /clients``. ``PATCH`` loads the same schema partially."""

    first_name = fields.String(required=True, validate=_name)
    last_name = fields.String(required=True, validate=_name)
    phone = fields.String(load_default=None, allow_none=True,
                          validate=[validate.Length(min=1, max=40), _phone_shape])
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    home_store_id = fields.UUID(load_default=None, allow_none=True)
    associate_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    language = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=2, max=10))
    consent = fields.Nested(Consent, load_default=dict)
    ring_size = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10))
    preferences = fields.Nested(Preferences, load_default=dict)
    milestones = fields.List(fields.Nested(Milestone), load_default=list,
                             validate=validate.Length(max=50))
    notes = fields.String(load_default="", validate=validate.Length(max=10000))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list,
                       validate=validate.Length(max=50))


class ClientPatch(Schema):
    """``PATCH /clients/{id}``: only the fields sent change. Lists (tags,
    milestones, preferences) are replaced as a whole."""

    first_name = fields.String(validate=_name)
    last_name = fields.String(validate=_name)
    phone = fields.String(allow_none=True, validate=[validate.Length(min=1, max=40), _phone_shape])
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    home_store_id = fields.UUID(allow_none=True)
    associate_id = fields.String(allow_none=True, validate=validate.Length(max=64))
    language = fields.String(allow_none=True, validate=validate.Length(min=2, max=10))
    consent = fields.Nested(Consent)
    ring_size = fields.String(allow_none=True, validate=validate.Length(max=10))
    preferences = fields.Nested(Preferences)
    milestones = fields.List(fields.Nested(Milestone), validate=validate.Length(max=50))
    notes = fields.String(validate=validate.Length(max=10000))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=40)),
                       validate=validate.Length(max=50))


class ClientSearch(Schema):
    q = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    tier = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TIERS))
    store_id = fields.UUID(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True)


class Page(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True)


class TimelineQuery(Page):
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TIMELINE_KINDS))


class DuplicateQuery(Page):
    client_id = fields.UUID(load_default=None, allow_none=True)


class MergeRequest(Schema):
    duplicate_id = fields.UUID(required=True)


class WishRequest(Schema):
    item_id = fields.UUID(load_default=None, allow_none=True)
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=1, max=1000))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))

    @validates_schema
    def one_of(self, data: dict[str, Any], **kwargs: Any) -> None:
        if bool(data.get("item_id")) == bool(data.get("description")):
            raise ValidationError("give either item_id or description", "_schema")


class AppointmentRequest(Schema):
    client_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    starts_at = fields.AwareDateTime(required=True, format="iso")
    duration_minutes = fields.Integer(load_default=60, strict=True,
                                      validate=validate.Range(min=15, max=480))
    staff_user_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    purpose = fields.String(load_default="", validate=validate.Length(max=500))


class AppointmentQuery(Page):
    store_id = fields.UUID(load_default=None, allow_none=True)
    date = fields.Date(load_default=None, allow_none=True)
    staff_user_id = fields.String(load_default=None, allow_none=True)


class SegmentQuery(Page):
    tier = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TIERS))
    store_id = fields.UUID(load_default=None, allow_none=True)
    milestone_within_days = fields.Integer(load_default=None, allow_none=True,
                                           validate=validate.Range(min=0, max=366))
    milestone_kind = fields.String(load_default=None, allow_none=True,
                                   validate=validate.OneOf(MILESTONE_KINDS))
    last_purchase_before = fields.Date(load_default=None, allow_none=True)
    consent = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CHANNELS))


class RecommendationQuery(Schema):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))
    store_id = fields.UUID(load_default=None, allow_none=True)


class RedeemRequest(Schema):
    client_id = fields.UUID(required=True)
    sale_id = fields.UUID(required=True)
    points = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10**9))


class RefundRequest(Schema):
    client_id = fields.UUID(required=True)
    sale_id = fields.UUID(required=True)


class PointsAdjustment(Schema):
    points = fields.Integer(required=True, strict=True,
                            validate=validate.Range(min=-10**9, max=10**9))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))

    @validates_schema
    def not_zero(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("points") == 0:
            raise ValidationError("must not be zero", "points")


class ProfileReadQuery(Page):
    client_id = fields.UUID(load_default=None, allow_none=True)
    reader_id = fields.String(load_default=None, allow_none=True)


# --- replies (documentation for the OpenAPI document) -------------------------

class ConsentState(Schema):
    granted = fields.Boolean()
    changed_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    source = fields.String(allow_none=True)


class MilestoneView(Schema):
    id = fields.UUID()
    kind = fields.String()
    label = fields.String(allow_none=True)
    date = MilestoneDate()


class WishView(Schema):
    id = fields.UUID()
    item_id = fields.UUID(allow_none=True)
    description = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.String(metadata={"format": "date-time"})


# beyond the contact fields: not for a bench jeweler, nor for another store's client
_PROFILE = {"optional": True}


class ClientContact(Schema):
    """What a bench jeweler sees: what a job needs."""

    id = fields.UUID()
    first_name = fields.String()
    last_name = fields.String()
    phone = fields.String(allow_none=True)


class ClientView(ClientContact):
    """A client's profile. Staff of a store the client does not belong to
    (docs/ARCHITECTURE.md#rule-7) get ``id``, names, ``phone`` masked to its
    last two digits, ``tier`` and ``home_store_id`` only; a bench jeweler
    gets the contact fields only (``ClientContact``)."""

    requested_id = fields.UUID(metadata={"optional": True, "description":
                               "the id asked for, when that client was merged into this one"})
    email = fields.String(allow_none=True, metadata=_PROFILE)
    home_store_id = fields.UUID(allow_none=True, metadata=_PROFILE)
    associate_id = fields.String(allow_none=True, metadata=_PROFILE)
    language = fields.String(allow_none=True, metadata=_PROFILE)
    consent = fields.Dict(keys=fields.String(), values=fields.Boolean(), metadata=_PROFILE)
    consent_details = fields.Dict(keys=fields.String(), values=fields.Nested(ConsentState), metadata=_PROFILE)
    ring_size = fields.String(allow_none=True, metadata=_PROFILE)
    preferences = fields.Nested(Preferences, metadata=_PROFILE)
    milestones = fields.List(fields.Nested(MilestoneView), metadata=_PROFILE)
    notes = fields.String(metadata=_PROFILE)
    tags = fields.List(fields.String(), metadata=_PROFILE)
    wishlist = fields.List(fields.Nested(WishView), metadata=_PROFILE)
    lifetime_value = fields.Nested(Money, metadata=_PROFILE)
    lifetime_value_by_currency = fields.List(fields.Nested(Money), metadata=_PROFILE)
    tier = fields.String(validate=validate.OneOf(TIERS), metadata=_PROFILE)
    loyalty_points = fields.Integer(metadata=_PROFILE)
    last_purchase_at = fields.String(allow_none=True, metadata={**_PROFILE, "format": "date-time"})
    merged_ids = fields.List(fields.UUID(), metadata=_PROFILE)
    created_at = fields.String(metadata={**_PROFILE, "format": "date-time"})
    updated_at = fields.String(metadata={**_PROFILE, "format": "date-time"})


class TimelineEntry(Schema):
    id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(TIMELINE_KINDS))
    at = fields.String()
    summary = fields.String()
    store_id = fields.UUID(allow_none=True)
    ref_id = fields.String(allow_none=True)
    for_associate_id = fields.String(allow_none=True)
    details = fields.Dict()


class DuplicatePair(Schema):
    client = fields.Nested(ClientContact)
    duplicate = fields.Nested(ClientContact)
    reasons = fields.List(fields.String())
    name_similarity = fields.Float()


class AppointmentView(Schema):
    id = fields.UUID()
    client_id = fields.UUID()
    store_id = fields.UUID()
    staff_user_id = fields.String()
    starts_at = fields.String(metadata={"format": "date-time"})
    ends_at = fields.String(metadata={"format": "date-time"})
    purpose = fields.String()
    status = fields.String()



class ClientSummary(ClientContact):
    email = fields.String(allow_none=True, metadata=_PROFILE)
    home_store_id = fields.UUID(allow_none=True, metadata=_PROFILE)
    tier = fields.String(metadata=_PROFILE)
    last_purchase_at = fields.String(allow_none=True, metadata={**_PROFILE, "format": "date-time"})
    associate_id = fields.String(allow_none=True, metadata=_PROFILE)


class ClientPage(Schema):
    items = fields.List(fields.Nested(ClientSummary))
    next_cursor = fields.String(allow_none=True)


class TimelinePage(Schema):
    items = fields.List(fields.Nested(TimelineEntry))
    next_cursor = fields.String(allow_none=True)


class DuplicatePage(Schema):
    items = fields.List(fields.Nested(DuplicatePair))
    next_cursor = fields.String(allow_none=True)


class AppointmentPage(Schema):
    items = fields.List(fields.Nested(AppointmentView))
    next_cursor = fields.String(allow_none=True)


class SegmentMember(ClientSummary):
    language = fields.String(allow_none=True)
    consent = fields.Dict(keys=fields.String(), values=fields.Boolean())
    upcoming_milestones = fields.List(fields.Dict())


class SegmentPage(Schema):
    items = fields.List(fields.Nested(SegmentMember))
    next_cursor = fields.String(allow_none=True)


class Recommendations(Schema):
    client_id = fields.UUID()
    store_id = fields.UUID()
    based_on = fields.Dict()
    items = fields.List(fields.Dict())


class LedgerEntryView(Schema):
    id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(LEDGER_KINDS))
    points = fields.Integer()
    sale_id = fields.UUID(allow_none=True)
    reason = fields.String(allow_none=True)
    actor_id = fields.String(allow_none=True)
    at = fields.String()


class LedgerPage(Schema):
    items = fields.List(fields.Nested(LedgerEntryView))
    next_cursor = fields.String(allow_none=True)
    balance = fields.Integer()
