"""Facts the crm service publishes (``client.consent_changed`` is also
published by notifications when a client replies STOP or START)."""
from marshmallow import Schema, fields, validate

from ..envelope import event_schema

TIERS = ("new", "loyal", "vip")


class ClientFacts(Schema):
    client_id = fields.UUID(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    phone = fields.String(load_default=None, allow_none=True)      # E.164
    email = fields.String(load_default=None, allow_none=True)
    home_store_id = fields.UUID(load_default=None, allow_none=True)
    consent = fields.Dict(load_default=dict)                      # {"sms": bool, "email": bool}
    language = fields.String(load_default=None, allow_none=True)
    associate_id = fields.String(load_default=None, allow_none=True)


@event_schema("client.created")
class ClientCreated(ClientFacts):
    pass


@event_schema("client.updated")
class ClientUpdated(ClientFacts):
    pass


@event_schema("client.consent_changed")
class ClientConsentChanged(Schema):
    client_id = fields.UUID(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True)
    channel = fields.String(required=True, validate=validate.OneOf(("sms", "email")))
    granted = fields.Boolean(required=True)
    source = fields.String(required=True)   # e.g. counter, web, sms_reply
    changed_at = fields.String(required=True)


@event_schema("client.tier_changed")
class ClientTierChanged(Schema):
    client_id = fields.UUID(required=True)
    old_tier = fields.String(required=True, validate=validate.OneOf(TIERS))
    new_tier = fields.String(required=True, validate=validate.OneOf(TIERS))


@event_schema("client.merged")
class ClientMerged(Schema):
    survivor_id = fields.UUID(required=True)
    merged_id = fields.UUID(required=True)


@event_schema("appointment.booked")
class AppointmentBooked(Schema):
    appointment_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    staff_user_id = fields.String(required=True)
    starts_at = fields.String(required=True)
    purpose = fields.String(load_default="")
    ends_at = fields.String(load_default=None, allow_none=True)


@event_schema("appointment.cancelled")
class AppointmentCancelled(Schema):
    appointment_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    store_id = fields.UUID(required=True)
    staff_user_id = fields.String(required=True)
    starts_at = fields.String(required=True)


@event_schema("milestone.upcoming")
class MilestoneUpcoming(Schema):
    client_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    label = fields.String(load_default=None, allow_none=True)
    date = fields.Date(required=True)
    days_until = fields.Integer(required=True)
    years = fields.Integer(load_default=None, allow_none=True)   # e.g. 10 for a 10th anniversary
    home_store_id = fields.UUID(load_default=None, allow_none=True)
    associate_id = fields.String(load_default=None, allow_none=True)
