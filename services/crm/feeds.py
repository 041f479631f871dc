"""What the client book learns from other services' events: it keeps its own
copy (timeline lines) and never calls into their databases
(docs/ARCHITECTURE.md#rule-1); each event applies once (docs/ARCHITECTURE.md#rule-3)."""
import logging
from datetime import datetime

from sqlalchemy import select, tuple_

from chassis.errors import NotFound

from .common import acting_store, add_timeline, decode_cursor, iso, occurred_at, page, require_full_view, resolve
from .models import ProfileRead, TimelineEntry
from .scope import members_only, without_tracking

log = logging.getLogger(__name__)

WORK_ORDER_LINES = {
    "workorder.created": "Work order {number} taken in ({kind})",
    "workorder.stage_changed": "Work order {number}: {to_stage}",
    "workorder.estimate_ready": "Work order {number}: estimate ready",
    "workorder.overdue": "Work order {number} is overdue ({stage})",
    "workorder.pickup_reminder_due": "Work order {number} waiting for pickup for {days_waiting} days",
}


def _client_or_none(session, client_id):
    """Lines for a client the book does not know are dropped (and logged)."""
    if not client_id:
        return None
    try:
        return resolve(session, client_id)
    except NotFound:
        log.warning("event for unknown client %s ignored", client_id)
        return None


def record_work_order(session, event):
    payload = event.payload
    client = _client_or_none(session, payload.get("client_id"))
    if client is None:
        return None
    template = WORK_ORDER_LINES.get(event.event_type, "Work order {number}: " + event.event_type)
    fields = {"kind": payload.get("kind") or "job", "to_stage": "", "stage": "",
              "days_waiting": "", **payload}
    summary = template.format(**{k: (str(v).replace("_", " ") if v is not None else "")
                                 for k, v in fields.items()})
    details = {k: v for k, v in payload.items() if k != "client_id"}
    details["event"] = event.event_type
    return add_timeline(session, client, "work_order", occurred_at(event), summary,
                        store_id=payload.get("store_id") and str(payload["store_id"]),
                        ref_id=str(payload["work_order_id"]), details=details)


def record_message(session, event):
    """``message.sent`` / ``message.received`` add a line; a status change
    updates the line of its message."""
    payload = event.payload
    client = _client_or_none(session, payload.get("client_id"))
    if client is None:
        return None
    message_id = str(payload["message_id"])
    line = session.scalars(select(TimelineEntry).where(
        TimelineEntry.kind == "message", TimelineEntry.ref_id == message_id)).first()
    if event.event_type == "message.status_changed" and line is not None:
        details = dict(line.details or {})
        details["status"] = payload["status"]
        details.setdefault("status_history", []).append(
            {"status": payload["status"], "at": iso(occurred_at(event))})
        line.details = details
        return line
    if line is not None:
        return line
    inbound = event.event_type == "message.received"
    summary = ("{channel} from client" if inbound else "{channel} to client").format(
        channel=payload["channel"].upper() if payload["channel"] == "sms" else payload["channel"])
    if payload.get("trigger"):
        summary += f" ({payload['trigger'].replace('_', ' ')})"
    details = {k: (str(v) if k.endswith("_id") and v else v)
               for k, v in payload.items() if k != "client_id"}
    details["direction"] = "inbound" if inbound else "outbound"
    return add_timeline(session, client, "message", occurred_at(event), summary,
                        store_id=payload.get("store_id") and str(payload["store_id"]),
                        ref_id=message_id, details=details)


# --- reading the timeline ------------------------------------------------------------

def entry_view(entry):
    return {"id": entry.id, "kind": entry.kind, "at": iso(entry.at), "summary": entry.summary,
            "store_id": entry.store_id, "ref_id": entry.ref_id,
            "for_associate_id": entry.for_associate_id, "details": entry.details or {}}


def timeline(session, identity, client_id, f):
    """Purchases, work orders, messages, appointments and wish alerts, newest
    first. Reading it is reading the profile: it is recorded, and it is for
    the client's stores only; a line of another store's job carries no
    tracking token (``scope.without_tracking``)."""
    require_full_view(identity)
    client = members_only(session, identity, client_id)
    session.add(ProfileRead(client_id=client.id, reader_id=identity.user_id,
                            reader_role=identity.role, store_id=acting_store(identity),
                            view="timeline"))
    query = select(TimelineEntry).where(TimelineEntry.client_id == client.id)
    if f.get("kind"):
        query = query.where(TimelineEntry.kind == f["kind"])
    if f.get("cursor"):
        at, entry_id = decode_cursor(f["cursor"], types=(datetime, int))
        query = query.where(tuple_(TimelineEntry.at, TimelineEntry.id) < tuple_(at, entry_id))
    rows = session.scalars(query.order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc())
                           .limit(f["limit"] + 1)).all()
    return page(rows, f["limit"], lambda e: [iso(e.at), e.id],
                lambda e: without_tracking(identity, entry_view(e)))
