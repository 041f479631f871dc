"""Operate a service's dead-letter queue: list and replay parked events.

    python -m chassis.dlq list inventory
    python -m chassis.dlq replay inventory [--id EVENT_ID ...]

A parked message keeps its body, its headers, the queue it failed on and the
last error. Replay sends it back to that queue with its attempt count reset;
the handler's inbox makes a replay of an already-applied event harmless.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Collection, Sequence

from kombu import Connection

from . import config
from .events import (
    ATTEMPT_HEADER,
    ERROR_HEADER,
    FIRST_FAILED_HEADER,
    ORIGIN_HEADER,
    PARKED_AT_HEADER,
    dead_letter_queue,
)


def _drain(conn: Connection, service: str) -> tuple[Any, list[Any]]:
    """Fetch every parked message without acknowledging it."""
    queue: Any = dead_letter_queue(service)(conn.default_channel)   # kombu: unannotated
    queue.declare()
    messages: list[Any] = []
    while True:
        message = queue.get(no_ack=False, accept=["json"])
        if message is None:
            return queue, messages
        messages.append(message)


def describe(message: Any) -> dict[str, Any]:
    headers = message.headers or {}
    return {
        "message_id": message.properties.get("message_id"),
        "queue": headers.get(ORIGIN_HEADER),
        "attempts": headers.get(ATTEMPT_HEADER),
        "error": headers.get(ERROR_HEADER),
        "parked_at": headers.get(PARKED_AT_HEADER),
        "first_failed_at": headers.get(FIRST_FAILED_HEADER),
        "event_type": ((message.payload or {}).get("event_type")
                       if isinstance(message.payload, dict) else None),
        "body": message.payload,
    }


def list_parked(service: str, amqp_uri: str | None = None) -> list[dict[str, Any]]:
    """Everything parked for ``service``; messages stay parked."""
    with Connection(amqp_uri or config.amqp_uri()) as conn:  # type: ignore[no-untyped-call]
        _, messages = _drain(conn, service)
        described = [describe(m) for m in messages]
        for m in messages:
            m.requeue()
    return described


def replay(service: str, message_ids: Collection[str] | None = None,
           amqp_uri: str | None = None) -> list[Any]:
    """Send parked messages (all, or those ids) back to their queues."""
    replayed = []
    uri = amqp_uri or config.amqp_uri()
    with Connection(  # type: ignore[no-untyped-call]
            uri, transport_options={"confirm_publish": True}) as conn:
        _, messages = _drain(conn, service)
        producer = conn.Producer(serializer="json")
        for message in messages:
            info = describe(message)
            if message_ids and info["message_id"] not in message_ids:
                message.requeue()
                continue
            headers = {k: v for k, v in (message.headers or {}).items()
                       if k not in (ATTEMPT_HEADER, ERROR_HEADER, PARKED_AT_HEADER, FIRST_FAILED_HEADER)}
            producer.publish(
                message.payload, exchange="", routing_key=info["queue"], headers=headers,
                message_id=info["message_id"], delivery_mode=2, retry=True,
            )
            message.ack()
            replayed.append(info["message_id"])
    return replayed


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("list", "replay"))
    parser.add_argument("service")
    parser.add_argument("--id", action="append", dest="ids", help="only this message id (repeatable)")
    args = parser.parse_args(argv)
    if args.action == "list":
        json.dump(list_parked(args.service), sys.stdout, indent=2, default=str)
        print()
    else:
        done = replay(args.service, args.ids)
        print(f"replayed {len(done)} message(s): {', '.join(map(str, done))}")


if __name__ == "__main__":
    main()
