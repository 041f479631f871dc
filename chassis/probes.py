"""Liveness and readiness over HTTP, for Kubernetes probes.

A tiny HTTP server in a green thread of the service's own process, on
``PROBE_PORT`` (0, the default, turns it off):

``GET /livez``
    200 while the process serves requests and none of its nameko containers
    has died. A blocked event loop cannot answer at all, so the kubelet's
    timeout turns into a restart: that is what liveness is for.

``GET /readyz``
    200 only when, within ``PROBE_TIMEOUT`` seconds (default 1), a
    ``SELECT 1`` on the component's own database and a round trip to the
    broker (a channel opened and closed) both succeed; otherwise 503 with a
    JSON body naming what failed. Before its containers have started it
    answers 503 ``starting``.

Each check keeps one connection of its own for the life of the process (a
kubelet probing every 10 s must not open a new PostgreSQL backend and AMQP
handshake each time, on every pod) and does its round trip on it. A kept
connection that fails is dropped and, once, replaced by a fresh one within
the same check, so a server that restarted is ready at once while a server
that is gone makes the probe fail; a check that times out drops its
connection too. The two checks run concurrently; concurrent probe requests
share one check in flight. ``chassis.run`` starts it with::

    probe = probes.serve(component, runner)   # None unless PROBE_PORT is set
"""
from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable, Iterable

import eventlet
from eventlet.greenpool import GreenPool

from . import config

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 1.0

# (HTTP status, JSON body) of a probe
Probe = tuple[int, dict[str, Any]]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0][:300]


def connect_database(url: str, timeout: float = DEFAULT_TIMEOUT, name: str = "") -> Any:
    """A psycopg connection to ``url`` (a SQLAlchemy URL), autocommit."""
    import psycopg
    from sqlalchemy.engine import make_url

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    # libpq's own connect_timeout has a 2 s floor; the green timeout around
    # this call is the real bound
    return psycopg.connect(conninfo, connect_timeout=max(2, int(timeout) + 1), autocommit=True,
                           application_name=probe_client_name(name))


def ping_database(conn: Any) -> None:
    """``SELECT 1``: a round trip to the server."""
    conn.execute("SELECT 1").fetchone()


def close_database(conn: Any) -> None:
    conn.close()


def connect_broker(uri: str, timeout: float = DEFAULT_TIMEOUT, name: str = "") -> Any:
    """An AMQP connection to ``uri``, without heartbeats: the probe's own
    round trips show whether it lives, and nothing has to tend it between them."""
    import amqp
    from kombu import Connection

    parsed = Connection(uri)  # type: ignore[no-untyped-call]
    conn = amqp.Connection(
        host="{}:{}".format(parsed.hostname or "127.0.0.1", parsed.port or 5672),
        userid=parsed.userid, password=parsed.password,
        virtual_host=parsed.virtual_host or "/",
        ssl=parsed.ssl or False, connect_timeout=timeout, heartbeat=0,
        client_properties={"connection_name": probe_client_name(name)},
    )
    try:
        conn.connect()
    except BaseException:
        close_broker(conn)
        raise
    return conn


def ping_broker(conn: Any) -> None:
    """Open and close a channel: two round trips, any broker-side close
    (a restart, a forced close) that arrived since surfaces here."""
    conn.channel().close()


def close_broker(conn: Any) -> None:
    # a graceful close waits for the broker's reply: just drop the socket
    conn.collect()


def probe_client_name(name: str) -> str:
    """How the probe's connections call themselves on the servers
    (PostgreSQL's application_name, RabbitMQ's connection_name)."""
    return f"{name or 'chain'}-probe"[:63]


class KeptConnection:
    """One long-lived connection and a round trip on it, per check.

    ``check()`` reuses the connection; if the round trip fails on a reused
    connection it is dropped and the check runs once more on a fresh one (a
    server restart or an idle timeout is not unreadiness). Any other failure,
    and an ``eventlet.Timeout`` in the middle of it, drops the connection and
    propagates: the next check starts afresh.
    """

    def __init__(self, connect: Callable[[], Any], ping: Callable[[Any], None],
                 close: Callable[[Any], None]) -> None:
        self._connect, self._ping, self._close = connect, ping, close
        self._conn: Any = None

    def check(self) -> None:
        reused = self._conn is not None
        if self._conn is None:
            self._conn = self._connect()
        try:
            self._ping(self._conn)
        except BaseException as exc:
            self.drop()
            if reused and isinstance(exc, Exception):
                self.check()
                return
            raise

    def drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                self._close(conn)
            except Exception:  # already broken: nothing more to free
                log.debug("closing a probe connection failed", exc_info=True)


def _timed(check: Callable[[], object], timeout: float) -> str | None:
    try:
        with eventlet.Timeout(timeout):
            check()
    except eventlet.Timeout:
        return f"no answer within {timeout:g} s"
    except Exception as exc:  # any failure means "not ready"; say which
        return _first_line(exc)
    return None


class ProbeServer:
    """Serves /livez and /readyz; ``port=0`` binds a free port (tests)."""

    def __init__(self, database_url: str, amqp_uri: str,
                 containers: Callable[[], Iterable[Any]] | None = None, host: str = "0.0.0.0",
                 port: int = 0, timeout: float = DEFAULT_TIMEOUT, name: str = "") -> None:
        self.database_url = database_url
        self.amqp_uri = amqp_uri
        self.containers: Callable[[], Iterable[Any]] = containers or (lambda: [])
        self.host = host
        self.port = port
        self.timeout = timeout
        self.name = name
        self._socket: Any = None        # eventlet: unannotated
        self._acceptor: Any = None
        self._pool = GreenPool(32)
        self._pending: Any = None
        self.database = KeptConnection(
            lambda: connect_database(self.database_url, self.timeout, self.name),
            ping_database, close_database)
        self.broker = KeptConnection(
            lambda: connect_broker(self.amqp_uri, self.timeout, self.name),
            ping_broker, close_broker)

    # probes ---------------------------------------------------------------
    def liveness(self) -> Probe:
        dead = [c.service_name for c in self.containers() if c._died.ready()]
        if dead:
            return 503, {"status": "dead", "service": self.name, "dead": dead}
        return 200, {"status": "alive", "service": self.name}

    def readiness(self) -> Probe:
        containers = self.containers()
        if any(c._died.ready() for c in containers):
            return 503, {"status": "unready", "service": self.name, "reason": "stopped"}
        if not all(c.started for c in containers):
            return 503, {"status": "unready", "service": self.name, "reason": "starting"}
        if self._pending is None:
            pending = eventlet.spawn(self._check_dependencies)
            self._pending = pending
            pending.link(self._forget, pending)
        answer: Probe = self._pending.wait()
        return answer

    def _forget(self, _gt: Any, pending: Any) -> None:
        if self._pending is pending:
            self._pending = None

    def _check_dependencies(self) -> Probe:
        checks = {"database": self.database.check, "broker": self.broker.check}
        names = list(checks)
        errors = dict(zip(names, GreenPool(len(names)).imap(
            lambda name: _timed(checks[name], self.timeout), names)))
        failed = {name: error for name, error in errors.items() if error}
        body: dict[str, Any] = {
            "status": "unready" if failed else "ready",
            "service": self.name,
            "checks": {name: "fail" if errors[name] else "ok" for name in names},
        }
        if failed:
            body["reason"] = "; ".join(f"{name}: {error}" for name, error in failed.items())
            return 503, body
        return 200, body

    # server ---------------------------------------------------------------
    def start(self) -> ProbeServer:
        self._socket = eventlet.listen((self.host, self.port))
        self.port = self._socket.getsockname()[1]
        self._acceptor = eventlet.spawn(self._accept)
        return self

    def stop(self) -> None:
        if self._acceptor is not None:
            self._acceptor.kill()
            self._acceptor = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self.database.drop()
        self.broker.drop()

    def _accept(self) -> None:
        while True:
            client, address = self._socket.accept()
            self._pool.spawn_n(self._handle, client, address)

    def _handle(self, client: Any, address: Any) -> None:
        try:
            _Handler(client, address, self)  # type: ignore[arg-type]  # see _Handler.server
        except Exception:  # a broken probe connection must not hurt the service
            log.debug("probe request failed", exc_info=True)
        finally:
            client.close()


class _Handler(BaseHTTPRequestHandler):
    timeout = 5  # seconds a client may take to send its request
    server_version = "chassis-probes"
    server: ProbeServer  # type: ignore[assignment]  # it answers /livez and /readyz (not a socketserver)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/livez":
            status, body = self.server.liveness()
        elif path == "/readyz":
            status, body = self.server.readiness()
        else:
            status, body = 404, {"status": "not found", "paths": ["/livez", "/readyz"]}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (stdlib signature)
        log.debug("probe %s", format % args)


def serve(component: str, runner: Any = None, port: int | str | None = None) -> ProbeServer | None:
    """Start the probe server for ``component`` if ``PROBE_PORT`` is set.

    The database and broker are the ones the running service uses: nameko's
    config when called inside ``nameko.config.patch`` (as ``chassis.run``
    does), else the environment. Returns the server, or None when disabled.
    """
    port = config.env_int("PROBE_PORT", 0) if port is None else int(port)
    if not port:
        return None
    from nameko import config as nameko_config

    server = ProbeServer(
        database_url=nameko_config.get("DATABASE_URL") or config.database_url(component),
        amqp_uri=nameko_config.get("AMQP_URI") or config.amqp_uri(),
        containers=(lambda: list(runner.containers)) if runner is not None else None,
        host=config.env("PROBE_HOST", "0.0.0.0"),
        port=port,
        timeout=config.env_float("PROBE_TIMEOUT", DEFAULT_TIMEOUT),
        name=component,
    ).start()
    log.info("%s: probes on port %s (/livez, /readyz)", component, server.port)
    return server
