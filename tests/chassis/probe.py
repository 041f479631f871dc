"""A small real service used to test the runtime itself."""
from collections import Counter

from marshmallow import Schema, fields
from sqlalchemy import text

from chassis.errors import Unavailable
from chassis.events import event_handler
from chassis.outbox import emit
from chassis.service import ServiceBase, rpc
from contracts.envelope import event_schema, registry

if ("probe.noted", 1) not in registry:
    @event_schema("probe.noted")
    class ProbeNoted(Schema):
        note = fields.String(required=True)
        fail_times = fields.Integer(load_default=0)
        unavailable_times = fields.Integer(load_default=0)

invocations = Counter()   # event_id -> handler calls, across retries
settled = Counter()       # event_id -> handler calls that have committed, skipped or failed
healed = set()            # event ids whose "bug" has been fixed

PROBE_TABLE = """CREATE TABLE IF NOT EXISTS probe_effects (
    id serial PRIMARY KEY, event_id text, note text, consumer text)"""


class Probe(ServiceBase):
    name = "probe"

    @rpc
    def slow(self, seconds):
        with self.db.transaction() as session:
            row = session.execute(text(
                "SELECT clock_timestamp() AS started, pg_sleep(:s), clock_timestamp() AS ended"
            ), {"s": seconds}).one()
        return [row.started.isoformat(), row.ended.isoformat()]

    @rpc
    def note(self, note, fail_after_emit=False, fail_times=0):
        with self.db.transaction() as session:
            session.execute(text("INSERT INTO probe_effects (note, consumer) VALUES (:n, 'rpc')"),
                            {"n": note})
            emit(session, "probe.noted", {"note": note, "fail_times": fail_times})
            if fail_after_emit:
                raise RuntimeError("rolled back on purpose")
        return note


class ProbeConsumer(ServiceBase):
    name = "probe_consumer"

    @event_handler("probe", "probe.noted")
    def on_noted(self, event):
        event_id = event["event_id"]
        invocations[event_id] += 1
        try:
            with self.db.inbox(event) as session:
                if event_id not in healed and invocations[event_id] <= event["payload"]["fail_times"]:
                    raise RuntimeError(f"failing on purpose ({invocations[event_id]})")
                if invocations[event_id] <= event["payload"].get("unavailable_times", 0):
                    raise Unavailable(f"a neighbour is down on purpose ({invocations[event_id]})")
                session.execute(text(
                    "INSERT INTO probe_effects (event_id, note, consumer) VALUES (:e, :n, 'handler')"
                ), {"e": event_id, "n": event["payload"]["note"]})
        finally:
            settled[event_id] += 1
