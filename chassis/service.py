"""What every service class has: its database, its caller, a health check."""
from __future__ import annotations

import logging
from functools import partial
from typing import Any, Callable, TypeVar, overload

from nameko import config
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_SSL_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY
from nameko.rpc import Responder as NamekoResponder, Rpc as NamekoRpc, RpcConsumer, get_rpc_exchange
from sqlalchemy import text

from .db import Database
from .errors import EXPECTED
from .identity import Caller
from .rpc import BROKER_ERRORS

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


class Responder(NamekoResponder):  # type: ignore[misc]
    """Replies are published without waiting for the broker's confirm. A
    confirm proves only that the broker took the reply; the caller's deadline
    already answers for one that never arrives (the same as a reply lost on
    its way), and waiting for it cost a broker round trip and a tenth of a
    busy service's CPU on every call. Requests go without them too
    (``chassis.rpc.ServiceRpc``); events keep them (the outbox relay)."""
    publisher_cls = partial(Publisher, use_confirms=False)


class ReplyingRpcConsumer(RpcConsumer):  # type: ignore[misc]
    """nameko's RPC consumer, but a reply the broker cannot take (it is gone)
    is logged and given up instead of raising out of the worker, which makes
    nameko kill the whole container. The caller's deadline answers for the
    lost reply (``Unavailable``); the request, never acknowledged, is
    redelivered when the broker is back unless its deadline (the message's
    expiration) has passed, so RPCs that change state stay idempotent."""

    def handle_result(self, message: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
        try:
            responder = Responder(self.amqp_uri, get_rpc_exchange(), message,
                                  ssl=config.get(AMQP_SSL_CONFIG_KEY),
                                  login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
            result, exc_info = responder.send_response(result, exc_info)
            self.consumer.ack_message(message)
            return result, exc_info
        except BROKER_ERRORS as exc:
            log.warning("reply to %s not sent, the broker is unreachable: %s",
                        message.delivery_info.get("routing_key"), exc)
            return result, exc_info


class Rpc(NamekoRpc):  # type: ignore[misc]
    """Use through ``rpc`` below, never next to nameko's own ``rpc`` in one
    service: each brings its own consumer of the service's queue, and a
    request reaching the one without the method is ``MethodNotFound``."""
    rpc_consumer = ReplyingRpcConsumer()


@overload
def rpc(fn: F) -> F: ...
@overload
def rpc(fn: None = None, **kwargs: Any) -> Callable[[F], F]: ...


def rpc(fn: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
    """nameko's ``rpc`` that survives a broker outage (``ReplyingRpcConsumer``),
    with the errors a service raises on purpose (not found, conflict,
    forbidden, invalid input) marked as expected: they are answers, logged as
    warnings, not failures logged with a traceback."""
    kwargs.setdefault("expected_exceptions", EXPECTED)
    return Rpc.decorator(**kwargs) if fn is None else Rpc.decorator(**kwargs)(fn)


class ServiceBase:
    """Subclass with ``name = "<service>"``; keep entrypoints thin."""

    name: str

    db = Database()
    caller = Caller()

    @rpc
    def health(self) -> dict[str, str]:
        with self.db.transaction() as session:
            session.execute(text("SELECT 1"))
        return {"status": "up", "service": self.name}
