"""RPC clients that never hang: every call has a deadline (docs/ARCHITECTURE.md#rule-2).

A call that gets no answer in time, to a service that is down or never ran, or
through a broker that is unreachable, raises ``Unavailable`` (HTTP 503 at the
gateway). Requests carry the same deadline as their AMQP expiration, so a
service that comes back later does not work on answers nobody waits for.
"""
from __future__ import annotations

import logging
from typing import Any

import amqp.exceptions
import eventlet
import kombu.exceptions
from kombu import Queue
from nameko import config
from nameko.amqp.publish import Publisher
from nameko.exceptions import ReplyQueueExpiredWithPendingReplies, UnknownService
from nameko.rpc import ReplyListener as NamekoReplyListener, ServiceRpc as NamekoServiceRpc

from .errors import Unavailable

# what publishing or consuming raises when the broker is unreachable or went away
BROKER_ERRORS = (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError,
                 ConnectionError, OSError)


log = logging.getLogger(__name__)


class ReplyListener(NamekoReplyListener):  # type: ignore[misc]
    """nameko's reply listener, except that finding its queue gone while
    calls wait (it expired while the broker was away, or the listener is
    only now declaring it at start-up) does not kill the whole container:
    the waiting calls' deadlines answer them (``Unavailable``), and the
    consumer declares the queue afresh for the calls that follow."""

    def check_for_lost_replies(self) -> None:
        try:
            super().check_for_lost_replies()
        except ReplyQueueExpiredWithPendingReplies as exc:
            log.warning("reply queue missing with calls waiting; their deadlines will answer: %s",
                        str(exc).replace("\n", " "))


class OncePerConnection(Queue):
    """A queue kombu declares once per connection even though it expires."""

    can_cache_declaration = True

    @classmethod
    def like(cls, queue: Any) -> OncePerConnection:
        return cls(queue.name, exchange=queue.exchange, routing_key=queue.routing_key,
                   queue_arguments=queue.queue_arguments, durable=queue.durable,
                   auto_delete=queue.auto_delete)


class TimedMethod:
    def __init__(self, client: Any, service: str, method: str, timeout: float | None,
                 pending: dict[str, Any]) -> None:
        self.client = client
        self.service = service
        self.method = method
        self.timeout = timeout
        self.pending = pending

    def __call__(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        timeout = timeout or self.timeout
        call = None
        try:
            with eventlet.Timeout(timeout):
                call = self.client[self.method].call_async(*args, **kwargs)
                return call.result()
        except eventlet.Timeout:
            if call is not None:
                self.pending.pop(call.correlation_id, None)
            raise Unavailable(f"{self.service} did not answer within {timeout:g}s") from None
        except UnknownService:
            raise Unavailable(f"{self.service} is not running") from None
        except BROKER_ERRORS as exc:
            raise Unavailable(f"message broker unreachable: {exc}") from None


class TimedClient:
    def __init__(self, client: Any, service: str, timeout: float | None,
                 pending: dict[str, Any]) -> None:
        self._client = client
        self._service = service
        self._timeout = timeout
        self._pending = pending

    def __getattr__(self, method: str) -> TimedMethod:
        if method.startswith("_"):
            raise AttributeError(method)
        return TimedMethod(self._client, self._service, method, self._timeout, self._pending)


class RequestPublisher(Publisher):  # type: ignore[misc]
    """nameko asks for mandatory delivery of every request, which only a
    publisher confirm can report (and it warns on each publish without one):
    without confirms the deadline answers for an unroutable request."""

    def publish(self, payload: Any, **kwargs: Any) -> Any:
        if not kwargs.get("use_confirms", self.use_confirms):
            kwargs["mandatory"] = False
        return super().publish(payload, **kwargs)


class ServiceRpc(NamekoServiceRpc):  # type: ignore[misc]
    """``ServiceRpc`` with a deadline (config ``RPC_TIMEOUT``, seconds)."""

    publisher_cls = RequestPublisher
    reply_listener = ReplyListener()

    def __init__(self, target_service: str, timeout: float | None = None, **kwargs: Any) -> None:
        self.timeout = timeout
        super().__init__(target_service, **kwargs)

    def setup(self) -> None:
        if self.timeout is None:
            self.timeout = float(config.get("RPC_TIMEOUT", 4.0))
        self.publisher_options.setdefault("expiration", self.timeout)
        # No publisher confirm per request: it cost a broker round trip and a
        # seventh of the gateway's CPU, and proves only that the broker took
        # the request. The deadline answers for one that is lost, and for a
        # service that never ran (nameko's UnknownService needs the confirm):
        # 503 either way. Events keep confirms (the outbox relay, docs/ARCHITECTURE.md#rule-2).
        self.publisher_options.setdefault("use_confirms", False)
        super().setup()
        # nameko declares the reply queue before every request; the queue
        # expires when unused (x-expires), so kombu never caches that
        # declaration and each call paid three extra round trips to the broker
        # (a third of the gateway's time under load). Declared once per
        # publishing connection instead: kombu forgets its cache when that
        # connection is re-established, so a broker that lost the queue gets
        # it declared again before the next request.
        self.publisher.declare = [OncePerConnection.like(self.reply_listener.queue)]

    def get_dependency(self, worker_ctx: Any) -> TimedClient:
        client = super().get_dependency(worker_ctx)
        return TimedClient(client, self.target_service, self.timeout,
                           self.reply_listener.pending)
