"""Putting messages in the outgoing queue (``outgoing`` drains it): one per
trigger and recipient, on the first channel the client consented to and
can be reached on, deferred past quiet hours, or recorded as suppressed
with the reason. Tasks for staff are recorded the same way."""
import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from chassis.identity import SYSTEM

from . import quiet_hours, templates
from .consent import reachability
from .facts import NotYetKnown, store_zone
from .models import Contact, Message, Store
from .records import iso, log_step, publish
from .saved_templates import resolve_template
from .sms import sms_stats


def client_values(contact, store):
    return {
        "first_name": contact.first_name if contact else "",
        "last_name": contact.last_name if contact else "",
        "store_name": store.name if store else "",
        "store_phone": (store.phone or "") if store else "",
    }


def _insert_message(session, values):
    """Insert unless this trigger already produced a message for this
    recipient (the exactly-once key, docs/ARCHITECTURE.md#rule-3); returns
    the message or None."""
    if values.get("trigger_key"):
        already = session.scalar(select(Message.id).where(
            Message.trigger_key == values["trigger_key"],
            Message.recipient == values["recipient"]).limit(1))
        if already:
            return None
    values.setdefault("id", str(uuid.uuid4()))
    stmt = insert(Message).values(**values).on_conflict_do_nothing(
        index_elements=["trigger_key", "recipient", "channel"],
        index_where=Message.trigger_key.isnot(None),
    ).returning(Message.id)
    inserted = session.execute(stmt).scalar()
    if inserted is None:
        return None
    return session.get(Message, inserted)


def _channel(session, contact, channels):
    """``(channel, address, reason)``: the first of ``channels`` the client
    can be reached on, else the first channel, no address and why not."""
    reason = None
    for candidate in channels:
        found, why = reachability(session, contact, candidate)
        if found:
            return candidate, found, None
        reason = reason or why
    return channels[0], None, reason


def _timing(session, settings, channel, address, urgent, store_id, now):
    """``(status, not_before)``: suppressed without an address; a text in
    the store's quiet hours waits for the morning unless urgent."""
    if address is None:
        return "suppressed", now
    if channel == "sms" and not urgent:
        deferred = quiet_hours.deferred_until(now, store_zone(session, settings, store_id),
                                              settings.quiet_hours)
        if deferred is not None:
            return "scheduled", deferred
    return "pending", now


def enqueue_for_client(session, settings, *, trigger, key, client_id, store_id, now,
                       values=None, channels=None, urgent=False, priority=5, work_order_id=None,
                       appointment_id=None, expires_at=None, body=None, subject=None,
                       identity=None):
    """Queue one message to a client for ``trigger`` (at most one per ``key``).

    The first channel of ``channels`` the client has consented to and can be
    reached on is used; when there is none the message is recorded as
    ``suppressed`` with the reason, and nothing is sent. A text falling in
    quiet hours (store time) is ``scheduled`` for the morning unless urgent.
    """
    # A share lock: a STOP being recorded for this client waits for this
    # message to be queued (and then withdraws it), or goes first.
    contact = session.get(Contact, str(client_id), with_for_update={"read": True})
    if contact is None:
        raise NotYetKnown(f"client {client_id} not known yet")
    store_id = str(store_id) if store_id else contact.home_store_id
    store = session.get(Store, store_id) if store_id else None
    channel, address, reason = _channel(
        session, contact, channels or templates.TRIGGERS[trigger]["channels"])
    language = (contact.language or settings.default_language).lower()
    if body is None:
        subject, body = resolve_template(session, settings, store_id, trigger, channel, language)
    filled = client_values(contact, store) | (values or {})
    text = (templates.render_sms if channel == "sms" else templates.render)(body, filled)
    stats = sms_stats(text) if channel == "sms" else None
    status, not_before = _timing(session, settings, channel, address, urgent, store_id, now)
    message = _insert_message(session, {
        "direction": "outbound", "channel": channel, "trigger": trigger,
        "trigger_key": str(key) if key else None, "recipient": f"client:{contact.client_id}",
        "client_id": contact.client_id, "store_id": store_id,
        "work_order_id": str(work_order_id) if work_order_id else None,
        "appointment_id": str(appointment_id) if appointment_id else None,
        "to_address": address,
        "from_address": settings.sender_for(store_id) if channel == "sms" else settings.smtp_from,
        "subject": templates.render(subject, filled) if subject and channel == "email" else None,
        "body": text, "language": language, "status": status, "urgent": bool(urgent),
        "priority": priority, "not_before": not_before, "expires_at": expires_at,
        "error_code": reason if status == "suppressed" else None,
        "encoding": stats["encoding"] if stats else None,
        "segments": stats["segments"] if stats else None,
        "created_by": identity.user_id if identity else None,
        "created_by_role": identity.role if identity else SYSTEM,
        "created_at": now, "updated_at": now,
    })
    if message is not None:
        details = {"reason": reason} if status == "suppressed" else (
            {"until": iso(not_before)} if status == "scheduled" else {})
        log_step(session, message, status, "queue", **details)
    return message


def create_task(session, settings, *, trigger, key, store_id, associate_id, client_id, now,
                values=None, work_order_id=None):
    """A task for a store's staff or a client's associate: recorded as a
    message on the ``task`` channel, ``open``, and published so it shows on
    their list. Nothing goes to the client."""
    contact = session.get(Contact, str(client_id)) if client_id else None
    store = session.get(Store, str(store_id)) if store_id else None
    _subject, body = resolve_template(session, settings, store_id, trigger, "task",
                                      settings.default_language)
    text = templates.render(body, client_values(contact, store) | (values or {}))
    recipient = f"associate:{associate_id}" if associate_id else f"store:{store_id}"
    message = _insert_message(session, {
        "direction": "outbound", "channel": "task", "trigger": trigger,
        "trigger_key": str(key) if key else None, "recipient": recipient,
        "client_id": str(client_id) if client_id else None,
        "store_id": str(store_id) if store_id else None,
        "work_order_id": str(work_order_id) if work_order_id else None,
        "associate_id": associate_id, "body": text, "status": "open",
        "not_before": now, "created_by_role": SYSTEM, "created_at": now, "updated_at": now,
        "language": settings.default_language,
    })
    if message is not None:
        log_step(session, message, "open", "queue")
        publish(session, "message.sent", message)
    return message
