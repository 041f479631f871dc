"""Shared fixtures: real RabbitMQ (a fresh vhost per test, from nameko's
pytest plugin) and real PostgreSQL (each component's ``<name>_test``
database, migrated once per run and emptied before each test that uses it)."""
import eventlet

eventlet.monkey_patch()  # noqa: E402  before anything imports sockets or psycopg

import chassis  # noqa: E402,F401  green psycopg wait
import os  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from chassis import config as chassis_config  # noqa: E402
from chassis.identity import Identity  # noqa: E402
from tests.support.waiting import wait_for  # noqa: E402,F401  (tests import it from here)


def test_database_url(component):
    return os.environ.get(
        f"{component.upper()}_TEST_DATABASE_URL",
        f"postgresql+psycopg://{component}:{component}@127.0.0.1:5432/{component}_test",
    )


_migrated = set()


def migrated_database(component):
    """Drop and re-create the component's test schema once per run."""
    url = test_database_url(component)
    if component not in _migrated:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))  # trusted: owner may
        engine.dispose()
        from chassis.migrate import upgrade
        upgrade(component, url)
        _migrated.add(component)
    return url


def truncate_all(url):
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )).scalars().all()
        if tables:
            conn.execute(text("TRUNCATE {} RESTART IDENTITY CASCADE".format(
                ", ".join(f'"{t}"' for t in tables))))
    engine.dispose()


@pytest.fixture
def database():
    """``database("inventory")`` -> URL of a migrated, empty test database."""
    def make(component):
        url = migrated_database(component)
        truncate_all(url)
        return url
    return make


@pytest.fixture
def service_config(rabbit_config, rabbit_uri):
    """``service_config("inventory", db_url)`` -> nameko config for a container."""
    def make(component, db_url=None, **overrides):
        cfg = chassis_config.nameko_config(component)
        cfg.update({
            "AMQP_URI": rabbit_uri,
            "DATABASE_URL": db_url or test_database_url(component),
            "EVENT_RETRY_DELAYS": [0.05, 0.1, 0.2],
            "EVENT_RETRY_MAX_DELAY": 0.4,
            "OUTBOX_POLL_INTERVAL": 0.2,
            "RPC_TIMEOUT": 3.0,
            "DB_POOL_SIZE": 12,
        })
        cfg.update(overrides)
        return cfg
    return make


@pytest.fixture
def start_service(container_factory, database, service_config):
    """Start one real service container on its real database; returns it."""
    def start(service_cls, component=None, **overrides):
        component = component or service_cls.name
        url = database(component)
        container = container_factory(service_cls, service_config(component, url, **overrides))
        container.database_url = url  # nameko's config is one global: keep this container's own
        container.start()
        return container
    return start


@pytest.fixture
def rpc_client(rabbit_config):
    """``rpc_client(identity)`` -> a cluster RPC client acting as that caller."""
    from nameko.standalone.rpc import ClusterRpcClient
    clients = []

    def make(identity=None, timeout=10):
        identity = identity or Identity(user_id="u-hq", role="hq_admin", username="hq")
        client = ClusterRpcClient(context_data=identity.to_context(), timeout=timeout)
        clients.append(client)
        return client.start()

    yield make
    for client in clients:
        client.stop()


