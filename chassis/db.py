"""Database dependency provider: SQLAlchemy 2 on psycopg 3, green-friendly.

One ``Database`` per service. A worker gets a ``Db`` handle whose
``transaction()`` is one database transaction; events emitted inside it are
written to the outbox in that same transaction and relayed after commit.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from nameko import config
from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, event as _sa_event, exc as sa_exc, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session

from . import inbox as inbox_mod
from .errors import Unavailable
from .identity import Identity
from .outbox import OutboxRelay, current_trace_headers
from .settings import setting

log = logging.getLogger(__name__)


def make_engine(url: str | URL, pool_size: int = 8, max_overflow: int = 4,
                ping_after_idle: float | None = 5.0, lock_timeout_ms: int | None = None,
                statement_timeout_ms: int | None = None, **kwargs: Any) -> Engine:
    """Connections are a shared budget: six components, a few replicas each,
    and PostgreSQL's max_connections (100 by default) between them all.

    A pooled connection idle for more than ``ping_after_idle`` seconds is
    pinged before use (replaced if the server is gone). SQLAlchemy's
    ``pool_pre_ping`` pings before every transaction: a round trip each,
    dozens per sale. A connection in steady use needs none: if the server
    restarts under it, the failing request invalidates the whole pool at once
    (503 for that request), and the next ones connect afresh.

    At most ``pool_size + max_overflow`` connections, opened as needed and then
    kept: SQLAlchemy closes an overflow connection as soon as it is returned,
    so under a steady load above ``pool_size`` every few transactions paid for
    a new server process (a fork, authentication, cold caches).

    Every session runs in UTC, whatever zone the server or the database is set
    to: the API promises UTC times, and a ``timestamptz`` comes back in the
    session's zone.

    No statement waits for a row lock longer than ``lock_timeout_ms``
    (``DB_LOCK_TIMEOUT_MS``) nor runs longer than ``statement_timeout_ms``
    (``DB_STATEMENT_TIMEOUT_MS``); 0 turns either off. A transaction stuck
    behind another (a chain-wide repricing, a sale's locked piece) fails fast
    with 503 (``Db``) instead of outliving its caller's deadline and
    committing after the caller gave up."""
    if lock_timeout_ms is None:
        lock_timeout_ms = int(setting("DB_LOCK_TIMEOUT_MS", 3000))
    if statement_timeout_ms is None:
        statement_timeout_ms = int(setting("DB_STATEMENT_TIMEOUT_MS", 15000))
    connect_args = dict(kwargs.pop("connect_args", {}))
    options = (f"{connect_args.get('options', '')} -c timezone=UTC"
               f" -c lock_timeout={int(lock_timeout_ms)} -c statement_timeout={int(statement_timeout_ms)}")
    connect_args["options"] = options.strip()
    engine = create_engine(
        url, pool_size=pool_size + max_overflow, max_overflow=0, pool_timeout=10,
        future=True, connect_args=connect_args, **kwargs,
    )
    if not kwargs.get("pool_pre_ping") and ping_after_idle is not None:
        _ping_when_idle(engine, ping_after_idle)
    return engine


def _ping_when_idle(engine: Engine, idle_s: float) -> None:
    @_sa_event.listens_for(engine, "checkin")
    def checkin(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @_sa_event.listens_for(engine, "checkout")
    def checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle_s:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception:
            raise sa_exc.DisconnectionError("the idle connection is gone") from None


# SQLSTATEs that mean "the server is not there for us right now": connection
# exceptions (class 08) and an administrator or crash shutting it down
_GONE_STATES = ("57P01", "57P02", "57P03")


def database_unreachable(exc: BaseException) -> bool:
    """True when ``exc`` says the database could not be reached or went away,
    rather than that a statement failed (a conflict, a serialization failure)."""
    if getattr(exc, "connection_invalidated", False) or isinstance(exc, sa_exc.InterfaceError):
        return True
    if isinstance(exc, sa_exc.OperationalError):
        state = getattr(getattr(exc, "orig", None), "sqlstate", None)
        return state is None or state.startswith("08") or state in _GONE_STATES
    return isinstance(exc, sa_exc.TimeoutError)   # no pooled connection came back in time


# SQLSTATEs of a statement that gave up waiting: a row or table lock not granted
# within lock_timeout, a statement cancelled at statement_timeout
_TIMED_OUT = {"55P03": "a row it needs is locked by another transaction",
              "57014": "a statement took too long"}


def timed_out(exc: BaseException) -> str | None:
    """Why ``exc`` is a lock or statement timeout (None when it is not)."""
    if isinstance(exc, sa_exc.DBAPIError):
        return _TIMED_OUT.get(getattr(getattr(exc, "orig", None), "sqlstate", None) or "")
    return None


class AlreadyProcessed(Exception):
    """This consumer has already applied this event: acknowledge, do nothing."""


class Db:
    """What a worker sees: transactions bound to this service and caller."""

    def __init__(self, engine: Engine, producer: str, identity: Identity, consumer: str | None = None,
                 relay: OutboxRelay | None = None, reader: Engine | None = None) -> None:
        self.engine = engine
        self.reader = reader if reader is not None else autocommit(engine)
        self.producer = producer
        self.identity = identity
        self.consumer = consumer
        self.relay = relay

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        try:
            yield
        except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
            why = timed_out(exc)
            if why is not None:
                # busy, not broken: the caller may try again in a moment (503, never 500)
                log.warning("%s transaction gave up: %s", self.producer, why)
                raise Unavailable(f"the {self.producer} database is busy ({why}); "
                                  "try again in a moment") from exc
            if not database_unreachable(exc):
                raise
            # an answer the caller can act on (503, try again), not an internal error
            raise Unavailable(f"the {self.producer} database is unreachable") from exc

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for a read that is ONE statement: no transaction around
        it (no BEGIN and COMMIT round trips), the statement alone sees one
        consistent snapshot. Several statements here may each see a different
        moment: use ``transaction()`` for those, and for anything that writes."""
        session = Session(self.reader, expire_on_commit=False, autoflush=False)
        try:
            with self._reachable():
                yield session
        finally:
            session.close()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        session = Session(self.engine, expire_on_commit=False)
        session.info.update(
            producer=self.producer,
            identity=self.identity,
            trace_headers=current_trace_headers(),
            emitted=0,
        )
        try:
            with self._reachable(), session.begin():
                yield session
        finally:
            emitted = session.info.get("emitted")
            committed = session.info.get("committed")
            session.close()
        if emitted and committed and self.relay is not None:
            self.relay.wake()

    @contextmanager
    def inbox(self, event: Mapping[str, Any]) -> Iterator[Session]:
        """A transaction that applies ``event`` at most once for this consumer.

        Raises ``AlreadyProcessed`` (before the body runs) when the event was
        already applied; the chassis event handler acknowledges it quietly.
        """
        with self.transaction() as session:
            if not inbox_mod.claim(session, event, self.consumer):
                raise AlreadyProcessed(event.get("event_id"))
            yield session


def autocommit(engine: Engine) -> Engine:
    """The same engine and pool, each statement committed on its own."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _mark_committed(session: Session) -> None:
    session.info["committed"] = True


_sa_event.listen(Session, "after_commit", _mark_committed)


class Database(DependencyProvider):  # type: ignore[misc]
    """Engine per container, a ``Db`` per worker, and the outbox relay."""

    def __init__(self, url: str | None = None, relay: bool = True) -> None:
        self.url = url
        self.with_relay = relay
        self.engine: Engine | None = None
        self.reader: Engine | None = None
        self.relay: OutboxRelay | None = None

    def setup(self) -> None:
        url = self.url or config.get("DATABASE_URL")
        self.engine = make_engine(url, pool_size=config.get("DB_POOL_SIZE", 8),
                                  max_overflow=config.get("DB_MAX_OVERFLOW", 4))
        from .telemetry import instrument_engine
        instrument_engine(self.engine)
        self.reader = autocommit(self.engine)
        if self.with_relay:
            self.relay = OutboxRelay(
                self.engine,
                config.get("AMQP_URI"),
                poll_interval=config.get("OUTBOX_POLL_INTERVAL", 1.0),
                retention_s=float(config.get("OUTBOX_RETENTION_HOURS", 168)) * 3600,
                inbox_retention_s=float(config.get("INBOX_RETENTION_DAYS", 30)) * 86400,
            )

    def start(self) -> None:
        if self.relay is not None:
            self.container.spawn_managed_thread(self.relay.run, identifier="outbox-relay")

    def stop(self) -> None:
        if self.relay is not None:
            self.relay.stop()
        if self.engine is not None:
            self.engine.dispose()  # a stopped or killed container keeps no connections

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> Db:
        assert self.engine is not None, "a worker before setup()"
        return Db(
            self.engine,
            producer=self.container.service_name,
            identity=Identity.from_context(worker_ctx.data),
            consumer="{}.{}".format(self.container.service_name, worker_ctx.entrypoint.method_name),
            relay=self.relay,
            reader=self.reader,
        )

    def ping(self) -> None:
        assert self.engine is not None, "ping before setup()"
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
