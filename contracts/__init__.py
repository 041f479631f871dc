"""The only vocabulary the services share: event envelopes and schemas.

Every published event is an ``Envelope`` whose ``payload`` matches the schema
registered for its ``(event_type, version)``. ``validate_event`` refuses
anything else before it leaves the producer.
"""
from __future__ import annotations

from . import events  # (registers every event schema)
from .envelope import (
    EnvelopeSchema,
    Event,
    InvalidEvent,
    build_envelope,
    event_schema,
    known_versions,
    load_event,
    registry,
    validate_event,
)

__all__ = [
    "EnvelopeSchema", "Event", "InvalidEvent", "build_envelope", "event_schema",
    "events", "known_versions", "load_event", "registry", "validate_event",
]
