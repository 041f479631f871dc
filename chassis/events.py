"""Event handlers that never drop a message (docs/ARCHITECTURE.md#rule-3).

nameko's own ``event_handler`` acknowledges a message whose handler raised,
so the event is lost. This one re-publishes it to a delay queue of the
handler's own queue (back-off per attempt, ``chassis.backoff``): a transient
failure (a database, the broker or a neighbour unavailable) is tried again
with capped exponential back-off for ``EVENT_RETRY_HOURS`` from its first
failure; any other failure, after the short schedule (``EVENT_RETRY_DELAYS``).
Then it is parked in the service's dead-letter queue
(``<service>.dead-letters``), from where an operator lists and replays it
(``python -m chassis.dlq``). The original is acknowledged only after the
broker confirmed the re-publish.

Handlers are idempotent through ``Db.inbox(event)``; a duplicate raises
``AlreadyProcessed``, which is acknowledged as success.

Every message is loaded through its contract before a worker sees it
(``contracts.load_event``): the handler gets a ``contracts.Event`` of a
version it accepts (``versions=``, default every version with a contract).
A message that is no such event (an unknown version, a payload that breaks
its contract) is parked at once with the reason: retrying cannot mend it
(docs/ARCHITECTURE.md#rule-3, #rule-4).
"""
from __future__ import annotations

import logging
import traceback
from datetime import datetime, timezone
from typing import Any, Iterable

from kombu import Queue
from nameko import config
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler as NamekoEventHandler

import contracts

from .backoff import Schedule, transient
from .db import AlreadyProcessed
from .errors import EXPECTED

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-chassis-attempt"
ORIGIN_HEADER = "x-chassis-queue"
ERROR_HEADER = "x-chassis-error"
PARKED_AT_HEADER = "x-chassis-parked-at"
FIRST_FAILED_HEADER = "x-chassis-first-failed-at"


def dead_letter_queue(service_name: str) -> Queue:
    return Queue(f"{service_name}.dead-letters", durable=True)  # type: ignore[no-untyped-call]


def retry_queue(queue_name: str, delay_s: float) -> Queue:
    """A delay queue: messages wait ``delay_s`` then go back to ``queue_name``.
    Named by its delay, so that a changed schedule never declares a queue
    again with another TTL (the broker would refuse it)."""
    return Queue(  # type: ignore[no-untyped-call]
        f"{queue_name}.retry.{int(round(delay_s * 1000))}ms",
        durable=True,
        queue_arguments={
            "x-message-ttl": int(delay_s * 1000),
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": queue_name,
        },
    )


class EventHandler(NamekoEventHandler):  # type: ignore[misc]
    def __init__(self, source_service: str, event_type: str,
                 versions: Iterable[int] | None = None, **kwargs: Any) -> None:
        expected = tuple(kwargs.pop("expected_exceptions", ())) + (AlreadyProcessed,) + EXPECTED
        super().__init__(source_service, event_type, expected_exceptions=expected, **kwargs)
        self.versions = tuple(versions) if versions is not None else None

    def handle_message(self, body: Any, message: Any) -> None:
        try:
            exact = not any(c in self.event_type for c in "*#")   # a pattern binds many types
            event = contracts.load_event(body, accept=self.versions,
                                         event_type=self.event_type if exact else None)
        except contracts.InvalidEvent as exc:
            try:
                self._park(message, f"not an event this consumer accepts: {exc}")
            except Exception:
                log.exception("could not park an event that breaks its contract; requeueing")
                self.consumer.requeue_message(message)
                return
            self.consumer.ack_message(message)
            return
        super().handle_message(event, message)

    def setup(self) -> None:
        super().setup()
        self.schedule = Schedule(
            delays=tuple(config.get("EVENT_RETRY_DELAYS") or (1, 5, 30)),
            max_delay_s=float(config.get("EVENT_RETRY_MAX_DELAY") or 600),
            window_s=float(config.get("EVENT_RETRY_HOURS") or 24) * 3600)
        self.republisher = Publisher(self.amqp_uri, use_confirms=True, serializer="json")

    def handle_result(self, message: Any, worker_ctx: Any, result: Any = None,
                      exc_info: Any = None) -> tuple[Any, Any]:
        if exc_info is not None and not isinstance(exc_info[1], AlreadyProcessed):
            try:
                self._retry_or_park(message, exc_info)
            except Exception:
                # could not hand it on: put it back rather than lose it
                log.exception("could not schedule a retry; requeueing")
                self.consumer.requeue_message(message)
                return result, exc_info
        self.consumer.ack_message(message)
        return result, exc_info

    def _headers(self, message: Any, error: str) -> dict[str, Any]:
        headers = dict(message.headers or {})
        headers[ATTEMPT_HEADER] = int(headers.get(ATTEMPT_HEADER, 0)) + 1
        headers[ORIGIN_HEADER] = self.queue.name
        headers[ERROR_HEADER] = error[:1000]
        headers.setdefault(FIRST_FAILED_HEADER, datetime.now(timezone.utc).isoformat())
        return headers

    def _retry_or_park(self, message: Any, exc_info: Any) -> None:
        error = "".join(traceback.format_exception_only(*exc_info[:2])).strip()
        headers = self._headers(message, error)
        attempt = headers[ATTEMPT_HEADER]
        is_transient = transient(exc_info[1])
        delay = self.schedule.next_delay(attempt, is_transient, _seconds_since(headers[FIRST_FAILED_HEADER]))
        if delay is None:
            self._park(message, error, headers)
            return
        log.warning("event %s failed (attempt %d, %s), retrying in %gs: %s", _message_id(message),
                    attempt, "transient" if is_transient else "not transient", delay, error)
        self._republish(message, retry_queue(self.queue.name, delay), headers)

    def _park(self, message: Any, error: str, headers: dict[str, Any] | None = None) -> None:
        """Into the service's dead-letter queue, with the reason."""
        headers = headers or self._headers(message, error)
        headers[PARKED_AT_HEADER] = datetime.now(timezone.utc).isoformat()
        queue = dead_letter_queue(self.container.service_name)
        log.error("event %s parked in %s after %d attempts: %s",
                  _message_id(message), queue.name, headers[ATTEMPT_HEADER], error)
        self._republish(message, queue, headers)

    def _republish(self, message: Any, queue: Queue, headers: dict[str, Any]) -> None:
        message_id = _message_id(message)
        self.republisher.publish(
            message.payload, exchange="", routing_key=queue.name, headers=headers,
            declare=[queue], **({"message_id": message_id} if message_id else {}),
        )


def _seconds_since(instant: str) -> float:
    try:
        then = datetime.fromisoformat(instant)
    except (TypeError, ValueError):
        return 0.0
    return (datetime.now(timezone.utc) - then).total_seconds()


def _message_id(message: Any) -> str | None:
    body = message.payload
    message_id: str | None = message.properties.get("message_id") or (
        body.get("event_id") if isinstance(body, dict) else None)
    return message_id


event_handler = EventHandler.decorator
