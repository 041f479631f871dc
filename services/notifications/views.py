"""Messages as the API shows them (docs/API.md#messages): one message with
its history and delivery steps, and the list a store's staff may see
(docs/ARCHITECTURE.md#rule-7)."""
from sqlalchemy import select

from chassis.errors import Forbidden, NotFound
from chassis.pagination import after_time_cursor, encode_cursor

from .models import Message, MessageEvent
from .records import RANK, iso


def events_of(session, ids):
    """Each message's recorded steps, oldest first, by message id."""
    out = {}
    if not ids:
        return out
    for e in session.scalars(select(MessageEvent).where(MessageEvent.message_id.in_(ids))
                             .order_by(MessageEvent.id)).all():
        out.setdefault(e.message_id, []).append(e)
    return out


def message_view(m, events=()):
    history = sorted(
        ({"status": e.status, "source": e.source, "at": iso(e.at), "details": e.details or {}}
         for e in events),
        key=lambda h: (RANK.get(h["status"], 0) if h["source"] == "callback" else -2, h["at"]))
    delivery = [h for h in history if h["source"] == "callback"]
    return {
        "id": m.id, "direction": m.direction, "channel": m.channel, "trigger": m.trigger,
        "client_id": m.client_id, "store_id": m.store_id, "work_order_id": m.work_order_id,
        "appointment_id": m.appointment_id, "associate_id": m.associate_id,
        "to": m.to_address, "from": m.from_address, "subject": m.subject, "body": m.body,
        "language": m.language, "status": m.status, "urgent": m.urgent,
        "scheduled_for": iso(m.not_before) if m.status == "scheduled" else None,
        "attempts": m.attempts, "provider_sid": m.provider_sid, "error_code": m.error_code,
        "error_message": m.error_message, "encoding": m.encoding, "segments": m.segments,
        "created_by": m.created_by, "created_at": iso(m.created_at), "sent_at": iso(m.sent_at),
        "updated_at": iso(m.updated_at),
        "delivery": [{"status": h["status"], "at": h["at"]} for h in delivery],
        "history": [h for h in history if h["source"] != "callback"],
    }


def list_messages(session, identity, q):
    query = select(Message)
    for name in ("client_id", "work_order_id", "store_id", "appointment_id", "channel",
                 "status", "direction", "associate_id", "trigger"):
        if q.get(name):
            query = query.where(getattr(Message, name) == str(q[name]))
    if q.get("store_id") and not identity.can_see_store(q["store_id"]):
        raise Forbidden("you may not see this store")
    if not identity.chain_wide:
        query = query.where(Message.store_id.in_(identity.store_ids))
    query = after_time_cursor(query, Message.created_at, Message.id, q.get("cursor"))
    limit = q.get("limit") or 50
    rows = session.scalars(query.order_by(Message.created_at.desc(), Message.id.desc())
                           .limit(limit + 1)).all()
    page = rows[:limit]
    events = events_of(session, [m.id for m in page])
    return {"items": [message_view(m, events.get(m.id, [])) for m in page],
            "next_cursor": (encode_cursor([iso(page[-1].created_at), page[-1].id])
                            if len(rows) > limit else None)}


def get_message(session, identity, message_id):
    m = session.get(Message, message_id)
    if m is None or not (identity.chain_wide or m.store_id in identity.store_ids):
        raise NotFound("no such message")
    return message_view(m, events_of(session, [m.id]).get(m.id, []))
