import uuid
from datetime import datetime, timezone

from marshmallow import Schema, ValidationError, fields, validate

registry = {}


class InvalidEvent(Exception):
    """An event that does not match its contract; it is never published."""

    def __init__(self, event_type, errors):
        super().__init__(f"{event_type}: {errors}")
        self.event_type = event_type
        self.errors = errors


def event_schema(event_type, version=1):
    """Class decorator: the payload schema of ``event_type`` at ``version``."""

    def register(schema_cls):
        key = (event_type, version)
        if key in registry:
            raise ValueError(f"event {key} registered twice")
        registry[key] = schema_cls
        schema_cls.event_type = event_type
        schema_cls.version = version
        return schema_cls

    return register


class EnvelopeSchema(Schema):
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True, validate=validate.Length(min=3, max=100))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True, format="iso")
    producer = fields.String(required=True, validate=validate.Length(min=1))
    store_id = fields.UUID(required=True, allow_none=True)
    actor_id = fields.String(required=True, allow_none=True)
    payload = fields.Dict(required=True)


_envelope_schema = EnvelopeSchema()


def validate_event(envelope):
    """Raise ``InvalidEvent`` unless ``envelope`` and its payload match."""
    event_type = envelope.get("event_type", "?") if isinstance(envelope, dict) else "?"
    try:
        _envelope_schema.load(envelope)
    except ValidationError as exc:
        raise InvalidEvent(event_type, exc.messages) from None
    key = (envelope["event_type"], envelope["version"])
    schema_cls = registry.get(key)
    if schema_cls is None:
        raise InvalidEvent(event_type, {"event_type": [f"no contract for {key}"]})
    try:
        schema_cls().load(envelope["payload"])
    except ValidationError as exc:
        raise InvalidEvent(event_type, {"payload": exc.messages}) from None
    return envelope


def build_envelope(event_type, payload, *, producer, store_id=None, actor_id=None,
                   version=1, event_id=None, occurred_at=None):
    envelope = {
        "event_id": str(event_id or uuid.uuid4()),
        "event_type": event_type,
        "version": version,
        "occurred_at": (occurred_at or datetime.now(timezone.utc)).isoformat(),
        "producer": producer,
        "store_id": str(store_id) if store_id else None,
        "actor_id": str(actor_id) if actor_id else None,
        "payload": payload,
    }
    return validate_event(envelope)
