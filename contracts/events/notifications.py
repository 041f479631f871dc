"""Facts the notifications service publishes (it also publishes
``client.consent_changed``, defined with the crm contracts)."""
from marshmallow import Schema, fields

from ..envelope import event_schema


class MessageFacts(Schema):
    message_id = fields.UUID(required=True)
    client_id = fields.UUID(load_default=None, allow_none=True)
    store_id = fields.UUID(load_default=None, allow_none=True)
    channel = fields.String(required=True)
    status = fields.String(required=True)
    trigger = fields.String(load_default=None, allow_none=True)
    work_order_id = fields.UUID(load_default=None, allow_none=True)
    body = fields.String(load_default=None, allow_none=True)
    direction = fields.String(load_default="outbound")            # outbound, inbound
    associate_id = fields.String(load_default=None, allow_none=True)  # a task for this associate
    error_code = fields.String(load_default=None, allow_none=True)    # e.g. Twilio's 21610


@event_schema("message.sent")
class MessageSent(MessageFacts):
    pass


@event_schema("message.status_changed")
class MessageStatusChanged(MessageFacts):
    pass


@event_schema("message.received")
class MessageReceived(MessageFacts):
    from_number = fields.String(load_default=None, allow_none=True)
