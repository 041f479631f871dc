"""What the runtime makes of an outage: a database that cannot be reached is
``Unavailable`` (503 at the gateway), a statement that failed is not; an RPC
reply the broker cannot take is given up without killing the service."""
import psycopg
import pytest
from kombu.exceptions import OperationalError as KombuOperationalError
from sqlalchemy import exc as sa_exc, text

from chassis.db import Db, database_unreachable, make_engine
from chassis.errors import Unavailable
from chassis.identity import Identity
from chassis.service import ReplyingRpcConsumer


def wrapped(orig, cls=sa_exc.OperationalError):
    return cls("SELECT 1", {}, orig)


@pytest.mark.parametrize("error, unreachable", [
    (wrapped(psycopg.OperationalError("connection failed: server closed the connection")), True),
    (wrapped(psycopg.errors.AdminShutdown()), True),
    (wrapped(psycopg.errors.ConnectionFailure()), True),
    (wrapped(psycopg.InterfaceError("the connection is closed"), sa_exc.InterfaceError), True),
    (sa_exc.TimeoutError("QueuePool limit reached"), True),
    (wrapped(psycopg.errors.SerializationFailure()), False),
    (wrapped(psycopg.errors.DeadlockDetected()), False),
    (wrapped(psycopg.errors.UniqueViolation(), sa_exc.IntegrityError), False),
])
def test_only_a_database_out_of_reach_counts_as_unreachable(error, unreachable):
    assert database_unreachable(error) is unreachable


def test_a_transaction_on_a_database_nobody_answers_for_is_unavailable():
    # a port nothing listens on: the connection is refused at once
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/nothing", pool_size=1,
                         pool_pre_ping=False, connect_args={"connect_timeout": 2})
    db = Db(engine, producer="inventory", identity=Identity.system())
    try:
        with pytest.raises(Unavailable) as err:
            with db.transaction() as session:
                session.execute(text("SELECT 1"))
        assert "inventory database" in str(err.value)
    finally:
        engine.dispose()


class _Message:
    delivery_info = {"routing_key": "inventory.get_item"}


def test_a_reply_the_broker_cannot_take_is_given_up_not_raised(monkeypatch):
    def broker_gone(self, result, exc_info):
        raise KombuOperationalError("Server unexpectedly closed connection")
    monkeypatch.setattr("chassis.service.Responder.send_response", broker_gone)
    consumer = ReplyingRpcConsumer()
    assert consumer.handle_result(_Message(), {"ok": 1}, None) == ({"ok": 1}, None)


def _backend_pid(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def _terminate(url, pid):
    killer = make_engine(url, pool_size=1, ping_after_idle=None)
    try:
        with killer.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
    finally:
        killer.dispose()


def test_a_pooled_connection_the_server_dropped_while_idle_is_replaced_not_used(database):
    url = database("inventory")
    engine = make_engine(url, pool_size=1, ping_after_idle=0.0)
    unpinged = make_engine(url, pool_size=1, ping_after_idle=None)
    try:
        for e in (engine, unpinged):
            _terminate(url, _backend_pid(e))           # the server restarts, the pool still holds it
        assert _backend_pid(engine) is not None         # pinged at checkout, replaced
        with pytest.raises(sa_exc.OperationalError):   # without the ping the dead one is used
            _backend_pid(unpinged)
    finally:
        engine.dispose()
        unpinged.dispose()


def test_sessions_run_in_utc_whatever_zone_the_database_is_set_to(database):
    """A database (or server) set to another zone: times still come back in UTC."""
    url = database("inventory")
    owner = make_engine(url, pool_size=1, ping_after_idle=None)
    with owner.connect() as conn:
        name = conn.execute(text("SELECT current_database()")).scalar()
    owner.dispose()
    admin = make_engine(url, pool_size=1, ping_after_idle=None, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" SET timezone = \'Asia/Tokyo\''))
    engine = make_engine(url, pool_size=1, ping_after_idle=None)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW timezone")).scalar() == "UTC"
            at = conn.execute(text("SELECT timestamptz '2026-12-03 12:00:00+00'")).scalar()
        assert at.utcoffset().total_seconds() == 0 and at.hour == 12
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" RESET timezone'))
        admin.dispose()


def test_a_reply_queue_found_missing_with_calls_waiting_does_not_stop_the_service(monkeypatch):
    from nameko.exceptions import ReplyQueueExpiredWithPendingReplies

    from chassis.rpc import ReplyListener

    def expired(self):
        raise ReplyQueueExpiredWithPendingReplies("Lost replies for correlation ids:\nabc")
    monkeypatch.setattr("nameko.rpc.ReplyListener.check_for_lost_replies", expired)
    assert ReplyListener().check_for_lost_replies() is None
