"""Notifications RPC schemas: what the gateway validates at the edge and the
notifications service validates again on entry (and what the OpenAPI
document shows)."""
from marshmallow import Schema, fields, validate

CHANNELS = ("sms", "email")
ALL_CHANNELS = ("sms", "email", "task")
STATUSES = ("scheduled", "pending", "dispatching", "accepted", "queued", "sending", "sent",
            "delivered", "undelivered", "failed", "read", "suppressed", "received", "open")
TRIGGERS = ("estimate_ready", "ready_for_pickup", "pickup_reminder", "workorder_overdue",
            "appointment_booked", "appointment_reminder", "layaway_payment_due", "receipt",
            "milestone", "milestone_task")

_body = validate.Length(min=1, max=1600)


class StaffMessage(Schema):
    """``POST /messages``: a person writes to a client."""

    client_id = fields.UUID(required=True)
    body = fields.String(required=True, validate=_body)
    channel = fields.String(load_default="sms", validate=validate.OneOf(CHANNELS))
    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    store_id = fields.UUID(load_default=None, allow_none=True)
    work_order_id = fields.UUID(load_default=None, allow_none=True)
    urgent = fields.Boolean(load_default=False)   # true: may go during quiet hours


class MessageQuery(Schema):
    client_id = fields.UUID(load_default=None, allow_none=True)
    work_order_id = fields.UUID(load_default=None, allow_none=True)
    store_id = fields.UUID(load_default=None, allow_none=True)
    appointment_id = fields.UUID(load_default=None, allow_none=True)
    associate_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    channel = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ALL_CHANNELS))
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STATUSES))
    direction = fields.String(load_default=None, allow_none=True,
                              validate=validate.OneOf(("outbound", "inbound")))
    trigger = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True)


class Campaign(Schema):
    """``POST /messages/campaigns``: one text to many clients, queued."""

    store_id = fields.UUID(required=True)
    client_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=10000))
    body = fields.String(required=True, validate=_body)
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    channel = fields.String(load_default="sms", validate=validate.OneOf(CHANNELS))
    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class TemplateInput(Schema):
    """``POST /message-templates``: the wording of a trigger, for the chain
    (no ``store_id``) or one store, in one language. Saving the same
    (store, trigger, channel, language) again replaces it."""

    store_id = fields.UUID(load_default=None, allow_none=True)
    trigger = fields.String(required=True, validate=validate.OneOf(TRIGGERS))
    channel = fields.String(required=True, validate=validate.OneOf(ALL_CHANNELS))
    language = fields.String(load_default="en", validate=validate.Regexp(
        r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$", error="a language tag like en, fr or pt-BR"))
    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=10000))


class TemplateQuery(Schema):
    store_id = fields.UUID(load_default=None, allow_none=True)
    trigger = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TRIGGERS))
    channel = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ALL_CHANNELS))
    language = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10))


class TemplatePreview(Schema):
    trigger = fields.String(required=True)
    body = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    subject = fields.String(load_default=None, allow_none=True)


class TwilioWebhook(Schema):
    """What the gateway passes for ``POST /webhooks/twilio/*``: the URL it
    was called on, the raw form, and the ``X-Twilio-Signature`` header."""

    url = fields.String(required=True)
    params = fields.Dict(keys=fields.String(), required=True)
    signature = fields.String(load_default=None, allow_none=True)


# --- replies (documentation for the OpenAPI document) -------------------------

class SmsStats(Schema):
    length = fields.Integer()
    encoding = fields.String(validate=validate.OneOf(("GSM-7", "UCS-2")))
    units = fields.Integer()
    segments = fields.Integer()


class DeliveryStep(Schema):
    status = fields.String()
    at = fields.String()


class MessageView(Schema):
    id = fields.UUID()
    direction = fields.String()
    channel = fields.String()
    trigger = fields.String()
    client_id = fields.UUID(allow_none=True)
    store_id = fields.UUID(allow_none=True)
    work_order_id = fields.UUID(allow_none=True)
    appointment_id = fields.UUID(allow_none=True)
    associate_id = fields.String(allow_none=True)
    to = fields.String(allow_none=True)
    from_ = fields.String(allow_none=True, data_key="from")
    subject = fields.String(allow_none=True)
    body = fields.String()
    language = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(STATUSES))
    urgent = fields.Boolean()
    scheduled_for = fields.String(allow_none=True)
    attempts = fields.Integer()
    provider_sid = fields.String(allow_none=True)
    error_code = fields.String(allow_none=True)
    error_message = fields.String(allow_none=True)
    encoding = fields.String(allow_none=True)
    segments = fields.Integer(allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.String(metadata={"format": "date-time"})
    sent_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    updated_at = fields.String(metadata={"format": "date-time"})
    delivery = fields.List(fields.Nested(DeliveryStep))
    history = fields.List(fields.Dict())


class TemplateView(Schema):
    id = fields.UUID()
    store_id = fields.UUID(allow_none=True)
    trigger = fields.String()
    channel = fields.String()
    language = fields.String()
    subject = fields.String(allow_none=True)
    body = fields.String()
    updated_by = fields.String(allow_none=True)
    updated_at = fields.String(metadata={"format": "date-time"})
    sample = fields.String()
    sample_subject = fields.String(allow_none=True)
    sms = fields.Nested(SmsStats)


class CampaignResult(Schema):
    campaign_id = fields.UUID()
    queued = fields.Integer()
    scheduled = fields.Integer()
    suppressed = fields.Integer()
    unknown_clients = fields.Integer()
    rate_per_second = fields.Float(allow_none=True)
    estimated_seconds = fields.Float()
