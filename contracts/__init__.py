"""The only vocabulary the services share: event envelopes and schemas.

Every published event is an ``Envelope`` whose ``payload`` matches the schema
registered for its ``(event_type, version)``. ``validate_event`` refuses
anything else before it leaves the producer.
"""
from .envelope import (  # noqa: F401
    EnvelopeSchema, Event, InvalidEvent, build_envelope, event_schema, known_versions,
    load_event, registry, validate_event,
)
from . import events  # noqa: F401  (registers every event schema)
