"""chassis.probes against the real PostgreSQL and RabbitMQ: liveness means the
process serves and its containers live; readiness means its own database and
the broker answer now."""
import json
import socket
import urllib.error
import urllib.request

import eventlet
import pytest

from chassis import probes
from chassis.probes import ProbeServer
from services.inventory.service import Service as Inventory
from tests import conftest as shared


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
        server = ProbeServer(database_url, amqp_uri, host="127.0.0.1", port=0, name="inventory",
                             **kwargs).start()
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
