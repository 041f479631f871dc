"""JSON logs carry the trace id; every event contract refuses malformed envelopes."""
import io
import json
import logging
import uuid

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

import contracts
from chassis.logs import configure_logging


def test_json_log_lines_carry_the_current_trace_id():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("inventory", stream=stream, level="INFO")
        tracer = TracerProvider().get_tracer("test")
        with tracer.start_as_current_span("request") as span:
            logging.getLogger("inventory.domain").info("piece received", extra={"tag": "ABCD1234"})
        logging.getLogger("x").info("outside any request")
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    inside, outside = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert inside["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert inside["message"] == "piece received" and inside["service"] == "inventory"
    assert inside["tag"] == "ABCD1234" and inside["level"] == "INFO"
    assert outside["trace_id"] is None
    assert trace.get_current_span() is trace.INVALID_SPAN


def good():
    return contracts.build_envelope("item.released", {
        "item_id": str(uuid.uuid4()), "store_id": str(uuid.uuid4()), "reason": "sale"},
        producer="inventory")


@pytest.mark.parametrize("mutate", [
    lambda e: e.pop("event_id"),
    lambda e: e.update(event_id="not-a-uuid"),
    lambda e: e.update(version=0),
    lambda e: e.update(version=2),            # no contract for version 2
    lambda e: e.update(occurred_at="yesterday"),
    lambda e: e.update(occurred_at="2026-11-23T10:00:00"),  # no time zone
    lambda e: e.update(payload={"item_id": "x"}),
    lambda e: e.update(event_type="item.exploded"),
])
def test_malformed_envelopes_are_refused(mutate):
    envelope = good()
    mutate(envelope)
    with pytest.raises(contracts.InvalidEvent):
        contracts.validate_event(envelope)
