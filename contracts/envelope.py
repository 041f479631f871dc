"""The envelope every event travels in, the registry of payload contracts,
and the checks a producer and a consumer run against them."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, TypeVar, cast

from marshmallow import Schema, ValidationError, fields, validate

SchemaClass = TypeVar("SchemaClass", bound="type[Schema]")

# (event_type, version) -> the schema of that version's payload
registry: dict[tuple[str, int], type[Schema]] = {}


class InvalidEvent(Exception):
    """An event that does not match its contract; it is never published."""

    def __init__(self, event_type: str, errors: dict[str, Any] | list[Any]) -> None:
        super().__init__(f"{event_type}: {errors}")
        self.event_type = event_type
        self.errors = errors


def event_schema(event_type: str, version: int = 1) -> Callable[[SchemaClass], SchemaClass]:
    """Class decorator: the payload schema of ``event_type`` at ``version``."""

    def register(schema_cls: SchemaClass) -> SchemaClass:
        key = (event_type, version)
        if key in registry:
            raise ValueError(f"event {key} registered twice")
        registry[key] = schema_cls
        setattr(schema_cls, "event_type", event_type)
        setattr(schema_cls, "version", version)
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


def validate_event(envelope: dict[str, Any]) -> dict[str, Any]:
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


class Event(dict[str, Any]):
    """An event as a consumer receives it: the envelope (still a plain dict,
    as published) whose payload matched the contract of its version, with
    its fields as attributes: ``event.payload["item_id"]``,
    ``event.occurred_at`` (an aware datetime), ``event.version``."""

    @property
    def event_id(self) -> str:
        return cast(str, self["event_id"])

    @property
    def event_type(self) -> str:
        return cast(str, self["event_type"])

    @property
    def version(self) -> int:
        return cast(int, self["version"])

    @property
    def producer(self) -> str:
        return cast(str, self["producer"])

    @property
    def store_id(self) -> str | None:
        return cast("str | None", self.get("store_id"))

    @property
    def actor_id(self) -> str | None:
        return cast("str | None", self.get("actor_id"))

    @property
    def payload(self) -> dict[str, Any]:
        return cast("dict[str, Any]", self["payload"])

    @property
    def occurred_at(self) -> datetime:
        return datetime.fromisoformat(str(self["occurred_at"]).replace("Z", "+00:00"))


def known_versions(event_type: str) -> tuple[int, ...]:
    """The versions of ``event_type`` that have a contract, oldest first."""
    return tuple(sorted(v for (t, v) in registry if t == event_type))


def load_event(body: Any, accept: Iterable[int] | None = None,
               event_type: str | None = None) -> Event:
    """``body`` as an ``Event`` once it matches its contract, or ``InvalidEvent``
    saying why: not an envelope, another type than ``event_type``, a version
    outside ``accept`` (default: every version with a contract), or a payload
    that does not match its version's contract. A consumer that meets a new
    version it does not know parks it for an operator rather than guess
    (docs/ARCHITECTURE.md#rule-4)."""
    if not isinstance(body, dict):
        raise InvalidEvent("?", {"_schema": ["an event is a JSON object (an envelope)"]})
    kind = body.get("event_type", "?")
    if event_type is not None and kind != event_type:
        raise InvalidEvent(kind, {"event_type": [f"expected {event_type}"]})
    versions = tuple(accept) if accept is not None else known_versions(kind)
    version = body.get("version")
    if version not in versions:
        raise InvalidEvent(kind, {"version": [
            f"version {version!r} is not one this consumer accepts "
            f"({', '.join(map(str, versions)) or 'none'})"]})
    return Event(validate_event(body))


def build_envelope(event_type: str, payload: Mapping[str, Any], *, producer: str,
                   store_id: object = None, actor_id: object = None, version: int = 1,
                   event_id: object = None, occurred_at: datetime | None = None) -> Event:
    """A new event, checked against its contract: what the outbox stores and
    what a consumer gets (``Event`` is the envelope dict with attributes)."""
    envelope: dict[str, Any] = {
        "event_id": str(event_id or uuid.uuid4()),
        "event_type": event_type,
        "version": version,
        "occurred_at": (occurred_at or datetime.now(timezone.utc)).isoformat(),
        "producer": producer,
        "store_id": str(store_id) if store_id else None,
        "actor_id": str(actor_id) if actor_id else None,
        "payload": payload,
    }
    return Event(validate_event(envelope))
