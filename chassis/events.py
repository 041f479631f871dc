"""Event handlers that never drop a message (rule 3).

nameko's own ``event_handler`` acknowledges a message whose handler raised,
so the event is lost. This one re-publishes it to a delay queue of the
handler's own queue (back-off per attempt), and after the last attempt parks
it in the service's dead-letter queue (``<service>.dead-letters``), from where
an operator lists and replays it (``python -m chassis.dlq``). The original is
acknowledged only after the broker confirmed the re-publish.

Handlers are idempotent through ``Db.inbox(event)``; a duplicate raises
``AlreadyProcessed``, which is acknowledged as success.
"""
import logging
import traceback
from datetime import datetime, timezone

from kombu import Queue
from nameko import config
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler as NamekoEventHandler

from .db import AlreadyProcessed
from .errors import EXPECTED

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-chassis-attempt"
ORIGIN_HEADER = "x-chassis-queue"
ERROR_HEADER = "x-chassis-error"
PARKED_AT_HEADER = "x-chassis-parked-at"


def dead_letter_queue(service_name):
    return Queue(f"{service_name}.dead-letters", durable=True)


def retry_queue(queue_name, level, delay_s):
    """A delay queue: messages wait ``delay_s`` then go back to ``queue_name``."""
    return Queue(
        f"{queue_name}.retry.{level}",
        durable=True,
        queue_arguments={
            "x-message-ttl": int(delay_s * 1000),
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": queue_name,
        },
    )


class EventHandler(NamekoEventHandler):
    def __init__(self, source_service, event_type, **kwargs):
        expected = tuple(kwargs.pop("expected_exceptions", ())) + (AlreadyProcessed,) + EXPECTED
        super().__init__(source_service, event_type, expected_exceptions=expected, **kwargs)

    def setup(self):
        super().setup()
        self.delays = list(config.get("EVENT_RETRY_DELAYS") or [1, 5, 30])
        self.republisher = Publisher(self.amqp_uri, use_confirms=True, serializer="json")

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
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

    def _retry_or_park(self, message, exc_info):
        headers = dict(message.headers or {})
        attempt = int(headers.get(ATTEMPT_HEADER, 0)) + 1
        headers[ATTEMPT_HEADER] = attempt
        headers[ORIGIN_HEADER] = self.queue.name
        headers[ERROR_HEADER] = "".join(traceback.format_exception_only(*exc_info[:2])).strip()[:1000]
        body = message.payload
        message_id = message.properties.get("message_id") or (
            body.get("event_id") if isinstance(body, dict) else None)
        props = {"message_id": message_id}
        if attempt <= len(self.delays):
            queue = retry_queue(self.queue.name, attempt, self.delays[attempt - 1])
            log.warning("event %s failed (attempt %d), retrying in %ss: %s",
                        message_id, attempt,
                        self.delays[attempt - 1], headers[ERROR_HEADER])
        else:
            queue = dead_letter_queue(self.container.service_name)
            headers[PARKED_AT_HEADER] = datetime.now(timezone.utc).isoformat()
            log.error("event %s parked in %s after %d attempts: %s",
                      message_id, queue.name, attempt,
                      headers[ERROR_HEADER])
        self.republisher.publish(
            body, exchange="", routing_key=queue.name, headers=headers,
            declare=[queue], **{k: v for k, v in props.items() if v},
        )


event_handler = EventHandler.decorator
