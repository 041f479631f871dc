"""The unit tier: pure rules only, no database, no broker, no network.

Every test here must pass with PostgreSQL and RabbitMQ unreachable; a test
that opens a connection fails at once instead of waiting for a timeout."""
import socket

import pytest


class _NoNetwork(AssertionError):
    pass


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(self, address, *args, **kwargs):
        raise _NoNetwork(f"a unit test tried to connect to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield
