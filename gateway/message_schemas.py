"""What the message and template routes answer (docs/API.md#messages)
that ``contracts.rpc.notifications`` does not describe yet, for the OpenAPI
document: the notifications service's views (``views.list_messages``,
``saved_templates``, ``templates.preview`` and ``templates.catalog``)."""
from marshmallow import Schema, fields

from contracts.rpc.notifications import MessageView, SmsStats, TemplateView


class MessagePage(Schema):
    items = fields.List(fields.Nested(MessageView))
    next_cursor = fields.String(allow_none=True)


class TemplateList(Schema):
    items = fields.List(fields.Nested(TemplateView))
    next_cursor = fields.String(allow_none=True, metadata={"description": "always null: one page"})


class TemplateDeleted(Schema):
    id = fields.UUID()
    deleted = fields.Boolean()


class TemplatePreviewed(Schema):
    sample = fields.String(metadata={"description": "the body filled with sample values"})
    sample_subject = fields.String(allow_none=True)
    sms = fields.Nested(SmsStats)


class BuiltInWording(Schema):
    channel = fields.String()
    language = fields.String()
    subject = fields.String(allow_none=True)
    body = fields.String()


class TriggerWording(Schema):
    """A trigger, its placeholders and its built-in wording."""

    trigger = fields.String()
    placeholders = fields.List(fields.String())
    channels = fields.List(fields.String())
    editable = fields.Boolean()
    defaults = fields.List(fields.Nested(BuiltInWording))


TEMPLATE_CATALOG = TriggerWording(many=True)   # the catalog is a JSON array
