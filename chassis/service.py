"""What every service class has: its database, its caller, a health check."""
import logging

from nameko.rpc import Rpc as NamekoRpc, RpcConsumer
from sqlalchemy import text

from .db import Database
from .errors import EXPECTED
from .identity import Caller
from .rpc import BROKER_ERRORS


log = logging.getLogger(__name__)



class ReplyingRpcConsumer(RpcConsumer):
    """nameko's RPC consumer, but a reply the broker cannot take (it is gone)
    is logged and given up instead of raising out of the worker, which makes
    nameko kill the whole container. The caller's deadline answers for the
    lost reply (``Unavailable``); the request, never acknowledged, is
    redelivered when the broker is back unless its deadline (the message's
    expiration) has passed, so RPCs that change state stay idempotent."""

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except BROKER_ERRORS as exc:
            log.warning("reply to %s not sent, the broker is unreachable: %s",
                        message.delivery_info.get("routing_key"), exc)
            return result, exc_info


class Rpc(NamekoRpc):
    """Use through ``rpc`` below, never next to nameko's own ``rpc`` in one
    service: each brings its own consumer of the service's queue, and a
    request reaching the one without the method is ``MethodNotFound``."""
    rpc_consumer = ReplyingRpcConsumer()


def rpc(fn=None, **kwargs):
    """nameko's ``rpc`` that survives a broker outage (``ReplyingRpcConsumer``),
    with the errors a service raises on purpose (not found, conflict,
    forbidden, invalid input) marked as expected: they are answers, logged as
    warnings, not failures logged with a traceback."""
    kwargs.setdefault("expected_exceptions", EXPECTED)
    return Rpc.decorator(**kwargs) if fn is None else Rpc.decorator(**kwargs)(fn)


class ServiceBase:
    """Subclass with ``name = "<service>"``; keep entrypoints thin."""

    db = Database()
    caller = Caller()

    @rpc
    def health(self):
        with self.db.transaction() as session:
            session.execute(text("SELECT 1"))
        return {"status": "up", "service": self.name}
