"""The shared runtime on real RabbitMQ and PostgreSQL."""
import time
import uuid
from datetime import datetime
from urllib.parse import urlparse

import eventlet
import pytest
from kombu import Connection, Queue
from nameko.standalone.events import event_dispatcher
from sqlalchemy import create_engine, text

import contracts
from chassis import dlq
from chassis.db import Db, make_engine
from chassis.identity import Identity
from chassis.outbox import OutboxRelay, emit, event_exchange
from tests.conftest import wait_for
from tests.support.proxy import Proxy

from .probe import PROBE_TABLE, Probe, ProbeConsumer, healed, invocations, settled


@pytest.fixture
def probe_db(database):
    url = database("inventory")  # any migrated database with the runtime tables
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(PROBE_TABLE))
        conn.execute(text("TRUNCATE probe_effects"))
    yield url, engine
    engine.dispose()


def effects(engine, consumer="handler"):
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT event_id, note FROM probe_effects WHERE consumer = :c ORDER BY id"
        ), {"c": consumer}).all()


def test_ten_slow_queries_run_concurrently(container_factory, service_config, probe_db, rpc_client):
    url, _ = probe_db
    container = container_factory(Probe, service_config("probe", url))
    container.start()
    client = rpc_client()
    began = time.monotonic()
    calls = [client.probe.slow.call_async(0.5) for _ in range(10)]
    spans = [[datetime.fromisoformat(t) for t in call.result()] for call in calls]
    elapsed = time.monotonic() - began
    print(f"\n10 x pg_sleep(0.5) through RPC took {elapsed:.2f}s")
    # Had the hub been blocked, each query would start after the previous one
    # ended; green waits let all ten be in the database at the same moment.
    assert max(start for start, _ in spans) < min(end for _, end in spans)


def bound_queue(amqp_uri, producer, routing_key):
    queue = Queue(f"test-{uuid.uuid4().hex[:8]}", exchange=event_exchange(producer),
                  routing_key=routing_key, durable=False, auto_delete=False)
    with Connection(amqp_uri) as conn:
        queue(conn.default_channel).declare()
    return queue


def drain(amqp_uri, queue):
    got = []
    with Connection(amqp_uri) as conn:
        q = queue(conn.default_channel)
        while (m := q.get(no_ack=True, accept=["json"])) is not None:
            got.append(m)
    return got


def write_note(engine, note, fail=False):
    db = Db(engine, producer="probe", identity=Identity(user_id="u-1", role="hq_admin"))
    with db.transaction() as session:
        envelope = emit(session, "probe.noted", {"note": note})
        if fail:
            raise RuntimeError("abort")
    return envelope


def test_outbox_survives_broker_outage_and_relay_downtime(rabbit_config, rabbit_uri, probe_db):
    _, engine = probe_db
    queue = bound_queue(rabbit_uri, "probe", "probe.noted")
    # committed while no relay runs at all
    first = write_note(engine, "while relay down")
    # and a rolled-back one that must never be published
    with pytest.raises(RuntimeError):
        write_note(engine, "rolled back", fail=True)

    broker = urlparse(rabbit_uri)
    proxy = Proxy(broker.hostname, broker.port or 5672)
    proxied_uri = rabbit_uri.replace(broker.netloc, f"{broker.username}:{broker.password}@127.0.0.1:{proxy.port}")
    relay = OutboxRelay(make_engine(str(engine.url.render_as_string(hide_password=False))), proxied_uri)
    runner = None
    try:
        proxy.cut()  # broker unreachable for the relay
        with pytest.raises(Exception):
            relay.publish_pending()
        with engine.connect() as conn:
            row = conn.execute(text("SELECT published_at, attempts, last_error FROM outbox")).one()
        assert row.published_at is None and row.attempts == 1 and row.last_error
        assert drain(rabbit_uri, queue) == []

        proxy.restore()  # broker back: the relay's loop catches up by itself
        runner = eventlet.spawn(relay.run)
        second = write_note(engine, "after recovery")
        relay.wake()
        got = wait_for(lambda: drain(rabbit_uri, queue) or None, message="events published")
        ids = [m.payload["event_id"] for m in got]
        while len(ids) < 2:
            ids += [m.payload["event_id"] for m in wait_for(lambda: drain(rabbit_uri, queue) or None)]
        assert ids == [first["event_id"], second["event_id"]]
        assert all(m.properties["message_id"] == m.payload["event_id"] for m in got)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar() == 0
            notes = conn.execute(text("SELECT envelope->'payload'->>'note' FROM outbox")).scalars().all()
        assert "rolled back" not in notes
    finally:
        relay.stop()
        if runner is not None:
            runner.wait()       # the relay's loop ends when stopped
        proxy.close()


def test_malformed_event_is_refused_before_it_leaves(probe_db):
    _, engine = probe_db
    db = Db(engine, producer="probe", identity=Identity.system())
    with pytest.raises(contracts.InvalidEvent) as err:
        with db.transaction() as session:
            session.execute(text("INSERT INTO probe_effects (note, consumer) VALUES ('x', 'rpc')"))
            emit(session, "probe.noted", {"note": 42})
    assert "note" in str(err.value.errors)
    with pytest.raises(contracts.InvalidEvent):
        with db.transaction() as session:
            emit(session, "no.such_event", {})
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM probe_effects")).scalar() == 0


@pytest.fixture
def consumer(container_factory, service_config, probe_db):
    url, engine = probe_db
    container = container_factory(ProbeConsumer, service_config("probe_consumer", url))
    container.start()
    return engine


def envelope(note, fail_times=0, unavailable_times=0):
    return contracts.build_envelope("probe.noted", {"note": note, "fail_times": fail_times,
                                                    "unavailable_times": unavailable_times},
                                    producer="probe")


def test_same_event_delivered_twice_has_one_effect(consumer):
    engine = consumer
    event = envelope("twice")
    dispatch = event_dispatcher()
    dispatch("probe", "probe.noted", event)
    dispatch("probe", "probe.noted", event)
    # settled: each delivery has committed or been skipped, not merely begun
    wait_for(lambda: settled[event["event_id"]] == 2, message="both deliveries handled")
    assert [r.note for r in effects(engine)] == ["twice"]


def test_handler_failing_twice_then_succeeding_has_one_effect(consumer):
    engine = consumer
    event = envelope("flaky", fail_times=2)
    event_dispatcher()("probe", "probe.noted", event)
    wait_for(lambda: effects(engine), message="effect after retries")
    assert invocations[event["event_id"]] == 3
    assert [r.note for r in effects(engine)] == ["flaky"]


def test_poison_event_is_parked_listed_and_replayable(consumer, rabbit_uri):
    engine = consumer
    poison = envelope("poison", fail_times=1000)
    good = envelope("good")
    dispatch = event_dispatcher()
    dispatch("probe", "probe.noted", poison)
    dispatch("probe", "probe.noted", good)
    # the queue behind the poison keeps flowing
    wait_for(lambda: [r for r in effects(engine) if r.note == "good"], message="good event")
    parked = wait_for(lambda: dlq.list_parked("probe_consumer", rabbit_uri), message="parked")
    assert [p["message_id"] for p in parked] == [poison["event_id"]]
    assert parked[0]["attempts"] == 4 and "failing on purpose" in parked[0]["error"]
    calls = invocations[poison["event_id"]]
    assert calls == 4  # first delivery + three retries
    eventlet.sleep(0.5)
    assert invocations[poison["event_id"]] == calls  # parked, not looping
    assert len(dlq.list_parked("probe_consumer", rabbit_uri)) == 1  # listing leaves it parked

    healed.add(poison["event_id"])  # the fix is deployed
    assert dlq.replay("probe_consumer", amqp_uri=rabbit_uri) == [poison["event_id"]]
    wait_for(lambda: [r for r in effects(engine) if r.note == "poison"], message="replayed effect")
    assert dlq.list_parked("probe_consumer", rabbit_uri) == []
    assert sorted(r.note for r in effects(engine)) == ["good", "poison"]


def test_a_transient_failure_is_tried_again_past_the_short_schedule_and_applied_once(consumer, rabbit_uri):
    """A neighbour down for longer than the short schedule (three retries): the
    event waits with back-off instead of being parked, then applies once."""
    engine = consumer
    event = envelope("outage", unavailable_times=7)
    event_dispatcher()("probe", "probe.noted", event)
    wait_for(lambda: effects(engine), timeout=20, message="applied after the outage")
    assert invocations[event["event_id"]] == 8
    assert [r.note for r in effects(engine)] == ["outage"]
    assert dlq.list_parked("probe_consumer", rabbit_uri) == []


def test_a_transient_failure_is_parked_once_its_window_has_passed(
        container_factory, service_config, probe_db, rabbit_uri):
    url, engine = probe_db
    window_h = 1.5 / 3600                      # 1.5 s here; a day in production
    container_factory(ProbeConsumer, service_config("probe_consumer", url, EVENT_RETRY_HOURS=window_h)).start()
    event = envelope("never", unavailable_times=10_000)
    event_dispatcher()("probe", "probe.noted", event)
    parked = wait_for(lambda: dlq.list_parked("probe_consumer", rabbit_uri), timeout=20, message="parked")
    assert [p["message_id"] for p in parked] == [event["event_id"]]
    assert parked[0]["attempts"] > 4, parked      # past the short schedule, within the window
    assert "Unavailable" in parked[0]["error"] and parked[0]["first_failed_at"], parked
    calls = invocations[event["event_id"]]
    eventlet.sleep(0.6)
    assert invocations[event["event_id"]] == calls and effects(engine) == []


@pytest.mark.parametrize("change, reason", [
    ({"version": 2}, "version 2 is not one this consumer accepts (1)"),
    ({"payload": {"fail_times": 0}}, "'note': ['Missing data for required field.']"),
])
def test_an_event_outside_the_consumers_contract_is_parked_at_once_with_the_reason(
        consumer, rabbit_uri, change, reason):
    engine = consumer
    odd = envelope("from the future") | change
    good = envelope("today")
    dispatch = event_dispatcher()
    dispatch("probe", "probe.noted", odd)
    dispatch("probe", "probe.noted", good)
    wait_for(lambda: [r for r in effects(engine) if r.note == "today"], message="the good event")
    parked = wait_for(lambda: dlq.list_parked("probe_consumer", rabbit_uri), message="parked")
    assert [p["message_id"] for p in parked] == [odd["event_id"]]
    assert parked[0]["attempts"] == 1, parked          # no retries: they cannot mend it
    assert "not an event this consumer accepts" in parked[0]["error"], parked
    assert reason in parked[0]["error"], parked
    assert invocations[odd["event_id"]] == 0            # the handler never saw it
    assert [r.note for r in effects(engine)] == ["today"]


def test_a_consumer_gets_the_event_as_its_contract_loaded_it(consumer):
    engine = consumer
    event = envelope("typed")
    loaded = contracts.load_event(event)
    assert isinstance(loaded, contracts.Event) and loaded == event
    assert loaded.payload["note"] == "typed" and loaded.version == 1
    assert loaded.occurred_at.tzinfo is not None
    event_dispatcher()("probe", "probe.noted", event)
    wait_for(lambda: effects(engine), message="applied")


def test_the_relay_prunes_what_it_published_long_ago_and_keeps_the_rest(rabbit_uri, probe_db):
    """Published rows older than the retention go, in batches; recent ones and
    those still waiting (however old) stay; so do inbox ids applied within
    theirs: the tables stay bounded."""
    _, engine = probe_db
    for _ in range(5):
        write_note(engine, "old news")
    recent = write_note(engine, "published an hour ago")
    waiting = write_note(engine, "never published")
    with engine.begin() as conn:
        conn.execute(text("UPDATE outbox SET created_at = now() - interval '30 days', "
                          "published_at = now() - interval '8 days'"))
        conn.execute(text("UPDATE outbox SET published_at = now() - interval '1 hour' "
                          "WHERE event_id = :e"), {"e": recent["event_id"]})
        conn.execute(text("UPDATE outbox SET published_at = NULL WHERE event_id = :e"),
                     {"e": waiting["event_id"]})
        # the inbox: three ids applied 40 days ago, one an hour ago
        conn.execute(text("INSERT INTO inbox (event_id, consumer, event_type, processed_at) "
                          "SELECT gen_random_uuid(), 'probe', 'probe.noted', now() - interval '40 days' "
                          "FROM generate_series(1, 3)"))
        conn.execute(text("INSERT INTO inbox (event_id, consumer, event_type, processed_at) "
                          "VALUES (:e, 'probe', 'probe.noted', now() - interval '1 hour')"),
                     {"e": recent["event_id"]})
    relay = OutboxRelay(make_engine(str(engine.url.render_as_string(hide_password=False))), rabbit_uri,
                        retention_s=7 * 86400, inbox_retention_s=30 * 86400)
    relay.prune_batch = 2
    try:
        assert relay.prune() == 5 + 3
        assert relay.prune() == 0
    finally:
        relay.engine.dispose()
    with engine.connect() as conn:
        kept = {str(row.event_id) for row in conn.execute(text("SELECT event_id FROM outbox"))}
        applied = {str(row.event_id) for row in conn.execute(text("SELECT event_id FROM inbox"))}
    assert kept == {recent["event_id"], waiting["event_id"]}
    assert applied == {recent["event_id"]}
    print(f"\nafter pruning: outbox {len(kept)} rows (from 7), inbox {len(applied)} (from 4)")


def test_the_retention_settings_reach_the_relay(monkeypatch):
    from chassis import config
    monkeypatch.setenv("OUTBOX_RETENTION_HOURS", "12")
    monkeypatch.setenv("INBOX_RETENTION_DAYS", "9")
    cfg = config.nameko_config("inventory")
    assert (cfg["OUTBOX_RETENTION_HOURS"], cfg["INBOX_RETENTION_DAYS"]) == (12, 9)
