"""chassis.probes against the real PostgreSQL and RabbitMQ: liveness means the
process serves and its containers live; readiness means its own database and
the broker answer now, on one kept connection to each."""
import json
import socket
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit, urlunsplit

import eventlet
import psycopg
import pytest
from sqlalchemy.engine import make_url

from chassis import probes
from chassis.probes import ProbeServer
from services.inventory.service import Service as Inventory
from tests import conftest as shared
from tests.conftest import wait_for


def get(server, path):
    url = f"http://127.0.0.1:{server.port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def closed_port():
    """A port on which nothing listens (bound, then released)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def probe_server():
    servers = []

    def start(database_url, amqp_uri, **kwargs):
        # generous bound: a loaded test machine must not turn "ok" into "fail"
        kwargs.setdefault("timeout", 5.0)
        kwargs.setdefault("name", "inventory")
        server = ProbeServer(database_url, amqp_uri, host="127.0.0.1", port=0, **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def database_url():
    return shared.test_database_url("inventory")


def test_ready_when_database_and_broker_answer(probe_server, database_url, rabbit_uri):
    server = probe_server(database_url, rabbit_uri)
    assert get(server, "/livez") == (200, {"status": "alive", "service": "inventory"})
    status, body = get(server, "/readyz")
    assert status == 200
    assert body["checks"] == {"database": "ok", "broker": "ok"}
    assert "reason" not in body


def test_unready_while_database_port_is_closed(probe_server, rabbit_uri):
    url = f"postgresql+psycopg://inventory:inventory@127.0.0.1:{closed_port()}/inventory_test"
    server = probe_server(url, rabbit_uri)
    status, body = get(server, "/readyz")
    assert status == 503
    assert body["status"] == "unready"
    assert body["checks"] == {"database": "fail", "broker": "ok"}
    assert body["reason"].startswith("database:")
    # the process itself is fine: do not restart it
    assert get(server, "/livez")[0] == 200


def test_unready_while_broker_port_is_closed(probe_server, database_url):
    server = probe_server(database_url, f"pyamqp://guest:guest@127.0.0.1:{closed_port()}/")
    status, body = get(server, "/readyz")
    assert status == 503
    assert body["checks"] == {"database": "ok", "broker": "fail"}
    assert body["reason"].startswith("broker:")


def test_unready_when_broker_refuses_the_credentials(probe_server, database_url, rabbit_uri):
    server = probe_server(database_url, rabbit_uri.replace("guest:guest@", "guest:wrong@"))
    status, body = get(server, "/readyz")
    assert status == 503
    assert "ACCESS_REFUSED" in body["reason"]


def test_unready_when_database_refuses_the_role(probe_server, rabbit_uri):
    url = "postgresql+psycopg://no_such_role:x@127.0.0.1:5432/inventory_test"
    status, body = get(probe_server(url, rabbit_uri), "/readyz")
    assert status == 503
    assert body["checks"]["database"] == "fail"


def test_a_silent_dependency_makes_readiness_fail_not_hang(probe_server, database_url):
    """A broker that accepts the connection and never speaks: the check gives
    up after its bound and says so instead of hanging the probe."""
    listener = eventlet.listen(("127.0.0.1", 0))
    accepted = []
    acceptor = eventlet.spawn(lambda: [accepted.append(listener.accept()) for _ in range(5)])
    try:
        server = probe_server(database_url, f"pyamqp://guest:guest@127.0.0.1:"
                                            f"{listener.getsockname()[1]}/", timeout=1.5)
        status, body = get(server, "/readyz")
        assert status == 503
        assert body["checks"]["broker"] == "fail"
        assert "broker: no answer within 1.5 s" in body["reason"]
        assert accepted, "the check did reach the silent broker"
    finally:
        acceptor.kill()
        listener.close()


def test_unknown_path_is_404(probe_server, database_url, rabbit_uri):
    assert get(probe_server(database_url, rabbit_uri), "/healthz")[0] == 404


def test_follows_the_real_service_container(container_factory, service_config, database,
                                            probe_server, rabbit_uri):
    """Before start: alive but not ready; running: ready; dead: not alive."""
    url = database("inventory")
    container = container_factory(Inventory, service_config("inventory", url))
    server = probe_server(url, rabbit_uri, containers=lambda: [container])

    assert get(server, "/livez")[0] == 200
    assert get(server, "/readyz") == (503, {"status": "unready", "service": "inventory",
                                            "reason": "starting"})
    container.start()
    assert get(server, "/readyz")[0] == 200

    container.kill()
    status, body = get(server, "/livez")
    assert (status, body["dead"]) == (503, ["inventory"])
    assert get(server, "/readyz")[0] == 503


def test_serve_is_off_unless_probe_port_is_set(monkeypatch):
    monkeypatch.delenv("PROBE_PORT", raising=False)
    assert probes.serve("inventory") is None
    monkeypatch.setenv("PROBE_PORT", "0")
    assert probes.serve("inventory") is None


def test_serve_uses_the_running_service_config(monkeypatch, database_url, rabbit_uri):
    """Inside nameko's config (as chassis.run calls it) the probe checks the
    very database and broker the service uses."""
    from nameko import config as nameko_config
    from nameko.runners import ServiceRunner

    port = closed_port()
    monkeypatch.setenv("PROBE_HOST", "127.0.0.1")
    monkeypatch.setenv("PROBE_PORT", str(port))
    bad_db = f"postgresql+psycopg://inventory:inventory@127.0.0.1:{closed_port()}/x"
    with nameko_config.patch({"DATABASE_URL": bad_db, "AMQP_URI": rabbit_uri}):
        server = probes.serve("inventory", ServiceRunner())
    try:
        assert server.port == port
        status, body = get(server, "/readyz")
        assert (status, body["checks"]) == (503, {"database": "fail", "broker": "ok"})
    finally:
        server.stop()


# ---- kept connections -------------------------------------------------------

class Relay:
    """A TCP relay to a real server that can go away (every connection cut,
    the port refusing) and come back on the same port: a server restart as
    the probe sees it, without stopping the shared server."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.port = None
        self.accepted = 0
        self._listener = None
        self._threads = []
        self._sockets = []
        self.up()

    def up(self):
        self._listener = eventlet.listen(("127.0.0.1", self.port or 0))
        self.port = self._listener.getsockname()[1]
        self._threads.append(eventlet.spawn(self._accept))

    def down(self):
        for thread in self._threads:
            thread.kill()
        self._threads = []
        for sock in self._sockets + [self._listener]:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self._sockets = []

    def _accept(self):
        while True:
            client, _ = self._listener.accept()
            self.accepted += 1
            upstream = eventlet.connect(self.target)
            self._sockets += [client, upstream]
            self._threads += [eventlet.spawn(self._pipe, client, upstream),
                              eventlet.spawn(self._pipe, upstream, client)]

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass


@pytest.fixture
def relays():
    made = []

    def make(port):
        relay = Relay(port)
        made.append(relay)
        return relay

    yield make
    for relay in made:
        relay.down()


def through(url, relay):
    """``url`` with its host and port replaced by the relay's."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{credentials}@127.0.0.1:{relay.port}"))


def probe_backends(database_url, name):
    """(pid, backend_start) of the probe's sessions on its database, as the
    server lists them."""
    url = make_url(database_url)
    with psycopg.connect(host=url.host, port=url.port or 5432, user="postgres",
                         dbname=url.database, autocommit=True) as conn:
        return conn.execute(
            "SELECT pid, backend_start FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = %s",
            (url.database, probes.probe_client_name(name))).fetchall()


def broker_connections(rabbit_manager, rabbit_uri, name):
    vhost = urlsplit(rabbit_uri).path[1:] or "/"
    return [c for c in rabbit_manager.get_connections()
            if c.get("vhost") == vhost and (c.get("client_properties") or {}).get(
                "connection_name") == probes.probe_client_name(name)]


def test_probes_reuse_one_connection_to_each_server(probe_server, database_url, rabbit_uri,
                                                    rabbit_manager, relays):
    """A kubelet probes every 10 s on every pod: twenty probes open one
    PostgreSQL session and one AMQP connection, each a real round trip."""
    name = f"probe-{uuid.uuid4().hex[:8]}"
    db_relay = relays(make_url(database_url).port or 5432)
    broker_relay = relays(urlsplit(rabbit_uri).port or 5672)
    server = probe_server(through(database_url, db_relay), through(rabbit_uri, broker_relay),
                          name=name)
    for _ in range(20):
        status, body = get(server, "/readyz")
        assert (status, body["checks"]) == (200, {"database": "ok", "broker": "ok"})
    assert (db_relay.accepted, broker_relay.accepted) == (1, 1), "one connect to each server"
    (first,) = probe_backends(database_url, name)
    assert get(server, "/readyz")[0] == 200
    assert probe_backends(database_url, name) == [first], "the same session all along"
    wait_for(lambda: len(broker_connections(rabbit_manager, rabbit_uri, name)) == 1,
             timeout=20, interval=0.5, message="the broker to list the probe's one connection")
    server.stop()
    wait_for(lambda: probe_backends(database_url, name) == [], message="the session to close")


def test_a_server_gone_makes_it_unready_and_its_return_ready_again(probe_server, database_url,
                                                                   rabbit_uri, relays):
    db_relay = relays(make_url(database_url).port or 5432)
    broker_relay = relays(urlsplit(rabbit_uri).port or 5672)
    server = probe_server(through(database_url, db_relay), through(rabbit_uri, broker_relay))
    assert get(server, "/readyz")[0] == 200

    db_relay.down()
    for _ in range(2):  # the kept session is cut, and no new one can be made
        status, body = get(server, "/readyz")
        assert (status, body["checks"]) == (503, {"database": "fail", "broker": "ok"})
    db_relay.up()
    assert get(server, "/readyz")[0] == 200

    broker_relay.down()
    status, body = get(server, "/readyz")
    assert (status, body["checks"]) == (503, {"database": "ok", "broker": "fail"})
    assert body["reason"].startswith("broker:")
    broker_relay.up()
    assert get(server, "/readyz")[0] == 200
    assert get(server, "/readyz")[0] == 200
    # one connection each before the outage, one after: none per probe
    assert (db_relay.accepted, broker_relay.accepted) == (2, 2)


def test_a_kept_session_the_server_ended_is_replaced_within_the_probe(probe_server, database_url,
                                                                      rabbit_uri):
    """PostgreSQL restarted, failed over or ended an idle session: that alone
    is no reason to take the pod out; the probe connects afresh at once."""
    name = f"probe-{uuid.uuid4().hex[:8]}"
    server = probe_server(database_url, rabbit_uri, name=name)
    assert get(server, "/readyz")[0] == 200
    ((pid, _),) = probe_backends(database_url, name)
    url = make_url(database_url)
    with psycopg.connect(host=url.host, port=url.port or 5432, user="postgres",
                         dbname=url.database, autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
    wait_for(lambda: [p for p, _ in probe_backends(database_url, name)] != [pid])
    assert get(server, "/readyz")[0] == 200
    ((new_pid, _),) = probe_backends(database_url, name)
    assert new_pid != pid
