"""Scaling a service out is safe: two replicas of the real inventory service on
one database compete for the same event queue, share the work, and each event
(even one delivered twice, possibly to both replicas at once) has one effect."""
import uuid
from collections import Counter, defaultdict

import pytest
from nameko.extensions import DependencyProvider
from nameko.standalone.events import event_dispatcher
from sqlalchemy import create_engine, text

import contracts
from chassis.db import AlreadyProcessed
from services.inventory.service import Service as Inventory
from tests.conftest import wait_for

EVENTS = 50
DUPLICATES = 12


class HandledBy(DependencyProvider):
    """Records which replica ran each ``on_store_created`` and how it ended."""

    log = []

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        if worker_ctx.entrypoint.method_name != "on_store_created":
            return
        outcome = "applied" if exc_info is None else (
            "duplicate" if isinstance(exc_info[1], AlreadyProcessed) else repr(exc_info[1]))
        # one bound provider per container: it names the replica
        self.log.append((id(self), worker_ctx.args[0]["event_id"], outcome))


class InventoryReplica(Inventory):
    """The real inventory service (same name, queues and handlers), observed."""

    handled_by = HandledBy()


def replica_key(container):
    return next(id(d) for d in container.dependencies if isinstance(d, HandledBy))


def store_created(n):
    store_id = str(uuid.uuid4())
    return contracts.build_envelope("store.created", {
        "id": store_id, "code": f"S{n:03d}", "name": f"Store {n}", "currency": "USD",
        "timezone": "America/Chicago", "tax_rate_bps": 825,
    }, producer="gateway")


@pytest.fixture
def two_replicas(container_factory, database, service_config):
    HandledBy.log = []
    url = database("inventory")
    # a small prefetch, as in production, so the broker spreads deliveries
    config = service_config("inventory", url, PREFETCH_COUNT=2, max_workers=4)
    replicas = [container_factory(InventoryReplica, config) for _ in range(2)]
    for replica in replicas:
        replica.start()
    engine = create_engine(url)
    yield replicas, engine
    engine.dispose()


def test_two_replicas_share_the_events_and_apply_each_once(two_replicas):
    replicas, engine = two_replicas
    events = [store_created(n) for n in range(EVENTS)]
    redelivered = events[::EVENTS // DUPLICATES][:DUPLICATES]
    dispatch = event_dispatcher()
    for event in events:
        dispatch("gateway", "store.created", event)
    for event in redelivered:  # the same event_id again, as after a lost ack
        dispatch("gateway", "store.created", event)

    wait_for(lambda: len(HandledBy.log) == EVENTS + DUPLICATES, timeout=30,
             message="every delivery handled")

    per_replica = Counter(replica for replica, _, _ in HandledBy.log)
    assert set(per_replica) == {replica_key(r) for r in replicas}, "both replicas consumed"
    assert all(count >= 5 for count in per_replica.values()), per_replica

    outcomes = defaultdict(list)
    for _, event_id, outcome in HandledBy.log:
        outcomes[event_id].append(outcome)
    assert len(outcomes) == EVENTS
    for event in events:
        expected = 2 if event in redelivered else 1
        assert sorted(outcomes[event["event_id"]]) == sorted(
            ["applied"] + ["duplicate"] * (expected - 1)), event["event_id"]

    with engine.connect() as conn:
        stores = conn.execute(text("SELECT id, code FROM stores")).all()
        claims = conn.execute(text(
            "SELECT event_id, count(*) FROM inbox WHERE consumer = 'inventory.on_store_created' "
            "GROUP BY event_id")).all()
    assert sorted(code for _, code in stores) == sorted(e["payload"]["code"] for e in events)
    assert {str(event_id): n for event_id, n in claims} == {e["event_id"]: 1 for e in events}
