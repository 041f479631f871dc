"""What this service writes down besides a message itself: each step of a
message, the order its statuses may take, the events it publishes (through
the outbox, docs/ARCHITECTURE.md#rule-2) and the audit log."""
from chassis.identity import SYSTEM
from chassis.outbox import emit

from .models import Audit, MessageEvent

# A message waiting in the outgoing queue.
QUEUED = ("pending", "scheduled")

RANK = {"suppressed": -1, "scheduled": 0, "pending": 0, "dispatching": 1, "accepted": 2,
        "queued": 3, "sending": 4, "sent": 5, "delivered": 6, "undelivered": 6, "failed": 6,
        "read": 7, "received": 0, "open": 0}
FINAL = ("delivered", "undelivered", "failed")


def advances(current, new):
    """May a message in ``current`` move to ``new``? Never backwards; a
    final status is kept (``read`` may still follow ``delivered``)."""
    if new not in RANK or current == "suppressed":
        return False
    if current in FINAL:
        return current == "delivered" and new == "read"
    return RANK[new] > RANK.get(current, 0)


def iso(value):
    return value.isoformat() if value else None


def log_step(session, message, status, source, **details):
    session.add(MessageEvent(message_id=message.id, status=status, source=source,
                             details=details))


def publish(session, event_type, message, **extra):
    payload = {
        "message_id": message.id, "client_id": message.client_id, "store_id": message.store_id,
        "channel": message.channel, "status": message.status, "trigger": message.trigger,
        "work_order_id": message.work_order_id, "body": message.body,
        "direction": message.direction, "associate_id": message.associate_id,
        "error_code": message.error_code,
    } | extra
    emit(session, event_type, payload, store_id=message.store_id)


def audit(session, identity, entity_type, entity_id, action, store_id=None, **details):
    session.add(Audit(
        entity_type=entity_type, entity_id=str(entity_id), action=action,
        actor_id=identity.user_id if identity else None,
        actor_role=identity.role if identity else SYSTEM,
        store_id=store_id or (identity.store_id if identity else None),
        details=details,
    ))
