"""What the client book's oversight routes answer (docs/API.md#clients-crm), for
the OpenAPI document: crm's views (``services/crm``: ``clients.history_view``,
``clients.list_profile_reads``, ``loyalty.adjust_points``) field by field."""
from marshmallow import Schema, fields, validate


class ClientHistoryEntry(Schema):
    """One change in the client book: who, when, from which store, what."""

    id = fields.Integer()
    client_id = fields.UUID(allow_none=True)
    entity = fields.String(metadata={"description": "client, appointment, wish or points"})
    entity_id = fields.String()
    change = fields.String()
    details = fields.Dict(metadata={"description": "what changed, by field"})
    actor_id = fields.String(allow_none=True)
    actor_role = fields.String(allow_none=True)
    store_id = fields.UUID(allow_none=True)
    at = fields.DateTime()


class ClientHistoryPage(Schema):
    items = fields.List(fields.Nested(ClientHistoryEntry))
    next_cursor = fields.String(allow_none=True)


class ProfileRead(Schema):
    """One read of a client's profile."""

    client_id = fields.UUID()
    reader_id = fields.String(allow_none=True)
    reader_role = fields.String()
    store_id = fields.UUID(allow_none=True)
    view = fields.String(validate=validate.OneOf(("full", "contact")))
    at = fields.DateTime()


class ProfileReadPage(Schema):
    items = fields.List(fields.Nested(ProfileRead))
    next_cursor = fields.String(allow_none=True)


class PointsAdjusted(Schema):
    client_id = fields.UUID()
    entry_id = fields.Integer(metadata={"description": "the ledger entry"})
    points = fields.Integer(metadata={"description": "the adjustment, signed"})
    balance = fields.Integer(metadata={"description": "the balance after it"})
