"""Transactional outbox (docs/ARCHITECTURE.md#rule-2).

``emit`` writes the event in the caller's transaction; ``OutboxRelay`` publishes
committed rows with publisher confirms and marks them sent. A row is only
marked after the broker confirmed it, so a crash or a broker outage delays an
event but never loses it; a redelivered duplicate is absorbed by the inbox.
"""
from __future__ import annotations

import logging
import random
import time
from typing import Any, Mapping

import eventlet
from eventlet.event import Event
from kombu import Exchange
from nameko.amqp.publish import Publisher
from nameko.constants import PERSISTENT
from opentelemetry import context as otel_context, trace
from opentelemetry.propagate import extract, inject
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import contracts

from .tables import outbox

log = logging.getLogger(__name__)
tracer = trace.get_tracer("chassis.outbox")

HEADER_PREFIX = "nameko."


def current_trace_headers() -> dict[str, str]:
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier


def event_exchange(producer: str) -> Exchange:
    """The topic exchange nameko's ``event_handler`` binds to for a producer."""
    return Exchange(  # type: ignore[no-untyped-call]
        f"{producer}.events", type="topic", durable=True, delivery_mode=PERSISTENT,
    )


def emit(session: Session, event_type: str, payload: Mapping[str, Any], *, store_id: object = None,
         version: int = 1, actor_id: object = None) -> dict[str, Any]:
    """Write an event to the outbox within ``session``'s transaction.

    The envelope is validated against its contract here: an event that does
    not match is refused (``contracts.InvalidEvent``) and the whole
    transaction rolls back with it.
    """
    info = session.info
    identity = info.get("identity")
    envelope = contracts.build_envelope(
        event_type, payload,
        producer=info["producer"],
        store_id=store_id,
        actor_id=actor_id or (identity.user_id if identity else None),
        version=version,
    )
    session.execute(
        outbox.insert().values(
            event_id=envelope["event_id"],
            event_type=event_type,
            envelope=envelope,
            headers=info.get("trace_headers") or {},
        )
    )
    info["emitted"] = info.get("emitted", 0) + 1
    return envelope


class OutboxRelay:
    """Publishes committed outbox rows, oldest first, with confirms.

    Several replicas may run at once: rows are claimed with
    ``FOR UPDATE SKIP LOCKED`` so each is published by one relay at a time.

    Rows published more than ``retention_s`` ago are deleted, ``prune_batch`` at
    a time, every ``prune_every_s``: the table holds what is waiting and a
    window of what went, never the chain's whole history. The same timer
    deletes the inbox's ids applied more than ``inbox_retention_s`` ago: far
    longer than any redelivery (an event is tried again for a day at most,
    chassis.backoff), and a parked event replayed later was never applied, so
    its id is not needed to keep it from applying twice.
    """

    batch_size = 200
    prune_batch = 5000

    def __init__(self, engine: Engine, amqp_uri: str, poll_interval: float = 1.0,
                 max_backoff: float = 10.0, retention_s: float = 7 * 86400,
                 prune_every_s: float = 3600.0, inbox_retention_s: float = 30 * 86400) -> None:
        self.engine = engine
        self.publisher = Publisher(amqp_uri, use_confirms=True, serializer="json",
                                   retry=True, retry_policy={"max_retries": 1})
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self.retention_s = retention_s
        self.inbox_retention_s = inbox_retention_s
        self.prune_every_s = prune_every_s
        self._pruned_at = 0.0
        self._wake = Event()
        self._running = False
        self._exchanges: dict[str, Exchange] = {}

    def wake(self) -> None:
        if not self._wake.ready():
            self._wake.send(True)

    def stop(self) -> None:
        self._running = False
        self.wake()

    def run(self) -> None:
        self._running = True
        failures = 0
        while self._running:
            self._wake = Event()  # a wake() during the batch below is kept
            try:
                published = self.publish_pending()
                if time.monotonic() - self._pruned_at >= self.prune_every_s:
                    self.prune()
                failures = 0
            except Exception as exc:  # broker or database unavailable
                failures += 1
                delay = min(self.max_backoff, 0.2 * 2 ** failures) * (0.5 + random.random() / 2)
                log.warning("outbox relay: %s; retrying in %.1fs", exc, delay)
                eventlet.sleep(delay)
                continue
            if published >= self.batch_size:
                eventlet.sleep(0)
                continue
            with eventlet.Timeout(self.poll_interval, False):
                self._wake.wait()

    def publish_pending(self) -> int:
        """Publish one batch; returns how many rows were published.

        Rows confirmed by the broker are marked sent even when a later row of
        the batch fails; the failing row keeps its error and is tried again.
        """
        sent: list[int] = []
        error: Exception | None = None
        with self.engine.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, event_type, envelope, headers FROM outbox "
                    "WHERE published_at IS NULL ORDER BY id LIMIT :n "
                    "FOR UPDATE SKIP LOCKED"
                ),
                {"n": self.batch_size},
            ).all()
            for row in rows:
                try:
                    self._publish(row.envelope, row.headers or {})
                except Exception as exc:
                    error = exc
                    conn.execute(
                        text("UPDATE outbox SET attempts = attempts + 1, last_error = :e "
                             "WHERE id = :id"),
                        {"e": str(exc)[:500], "id": row.id},
                    )
                    break
                sent.append(row.id)
            if sent:
                conn.execute(
                    text("UPDATE outbox SET published_at = now() WHERE id = ANY(:ids)"),
                    {"ids": sent},
                )
        if error is not None:
            raise error
        return len(sent)

    def prune(self) -> int:
        """Delete the outbox rows published, and the inbox ids applied, before
        their retention windows, in batches (each its own short transaction);
        returns how many rows went."""
        self._pruned_at = time.monotonic()
        return (self._prune("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox "
                            "WHERE published_at < now() - make_interval(secs => :keep) "
                            "ORDER BY id LIMIT :n)", self.retention_s)
                + self._prune("DELETE FROM inbox WHERE (event_id, consumer) IN ("
                              "SELECT event_id, consumer FROM inbox "
                              "WHERE processed_at < now() - make_interval(secs => :keep) LIMIT :n)",
                              self.inbox_retention_s))

    def _prune(self, statement: str, keep_s: float) -> int:
        removed = 0
        while True:
            with self.engine.begin() as conn:
                gone = conn.execute(text(statement), {"keep": keep_s, "n": self.prune_batch}).rowcount
            removed += gone
            if gone < self.prune_batch:
                return removed
            eventlet.sleep(0)

    def _publish(self, envelope: Mapping[str, Any], trace_headers: Mapping[str, str]) -> None:
        producer = envelope["producer"]
        exchange = self._exchanges.get(producer)
        if exchange is None:
            exchange = self._exchanges[producer] = event_exchange(producer)
            declare = [exchange]
        else:
            declare = []
        parent = extract(trace_headers)
        token = otel_context.attach(parent)
        try:
            with tracer.start_as_current_span(
                f"outbox publish {envelope['event_type']}",
                kind=trace.SpanKind.PRODUCER,
                attributes={"event.id": envelope["event_id"],
                            "event.type": envelope["event_type"]},
            ):
                carrier: dict[str, str] = {}
                inject(carrier)
                headers = {HEADER_PREFIX + k: v for k, v in carrier.items()}
                self.publisher.publish(
                    envelope,
                    exchange=exchange,
                    routing_key=envelope["event_type"],
                    headers=headers,
                    message_id=envelope["event_id"],
                    declare=declare,
                )
        finally:
            otel_context.detach(token)
