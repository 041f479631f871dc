"""Notifications rules, free of nameko: who may be reached on which channel,
what each trigger says, quiet hours, templates, staff messages, campaigns,
the Twilio webhooks, and the message record.

Every function takes a session (one transaction) and, where a person acts,
the caller's ``Identity``. Nothing here talks to Twilio or SMTP: a message is
written to ``messages`` (the outgoing queue) and ``outgoing`` sends it.
"""
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.dialects.postgresql import insert
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from chassis.pagination import decode_cursor, encode_cursor  # noqa: F401
from chassis.errors import Forbidden, InvalidInput, NotFound
from chassis.outbox import emit

from . import quiet_hours, templates
from .models import (
    Appointment, Audit, Contact, Message, MessageEvent, OptOut, Store, Template,
)
from .sms import MAX_BODY_CHARS, is_e164, keyword, sms_stats

SYSTEM = "system"
QUEUED = ("pending", "scheduled")

KIND_WORDS = {"repair": "repair", "resize": "resize", "engraving": "engraving",
              "custom": "custom piece", "appraisal": "appraisal"}

# Texts a client may answer with; carriers require these answers.
STOP_REPLY = ("You are unsubscribed from {chain} texts and will receive no more messages. "
              "Reply START to resubscribe.")
START_REPLY = ("You are resubscribed to {chain} texts. Reply HELP for help, STOP to unsubscribe. "
               "Msg & data rates may apply.")
HELP_REPLY = ("{chain}: for help call {phone}. Msg & data rates may apply. "
              "Reply STOP to unsubscribe.")


class NotYetKnown(Exception):
    """A fact this service keeps from another's events has not arrived yet
    (a client created a moment ago). The event handler raises it so the
    chassis retries the event with back-off, then parks it."""


def utcnow():
    return datetime.now(timezone.utc)


def parse_time(value):
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def iso(value):
    return value.isoformat() if value else None


def _audit(session, identity, entity_type, entity_id, action, store_id=None, **details):
    session.add(Audit(
        entity_type=entity_type, entity_id=str(entity_id), action=action,
        actor_id=identity.user_id if identity else None,
        actor_role=identity.role if identity else SYSTEM,
        store_id=store_id or (identity.store_id if identity else None),
        details=details,
    ))


def log_step(session, message, status, source, **details):
    session.add(MessageEvent(message_id=message.id, status=status, source=source,
                             details=details))


# --- facts kept from other services' events --------------------------------------

def record_store(session, facts):
    """Store name, time zone and phone, from ``store.created/updated``."""
    values = {"id": str(facts["id"]), "code": facts["code"], "name": facts["name"],
              "timezone": facts["timezone"], "phone": facts.get("phone")}
    stmt = insert(Store).values(**values)
    session.execute(stmt.on_conflict_do_update(
        index_elements=[Store.id],
        set_={k: stmt.excluded[k] for k in values if k != "id"} | {"updated_at": utcnow()},
    ))


def record_client(session, event):
    """Contact facts from ``client.created/updated``. An event older than
    what we hold changes nothing; a consent older than the last change of
    that channel (a STOP a moment ago) does not undo it."""
    facts = event["payload"]
    at = parse_time(event["occurred_at"])
    client_id = str(facts["client_id"])
    contact = session.get(Contact, client_id, with_for_update=True)
    if contact is None:
        contact = Contact(client_id=client_id, sms_consent=False, email_consent=False)
        session.add(contact)
    if contact.facts_at is None or at >= contact.facts_at:
        contact.first_name = facts.get("first_name") or ""
        contact.last_name = facts.get("last_name") or ""
        contact.phone = facts.get("phone")
        contact.email = facts.get("email")
        contact.language = facts.get("language")
        contact.home_store_id = str(facts["home_store_id"]) if facts.get("home_store_id") else None
        contact.associate_id = facts.get("associate_id")
        contact.facts_at = at
    consent = facts.get("consent") or {}
    for channel in ("sms", "email"):
        if channel in consent:
            _set_consent(contact, channel, bool(consent[channel]), at)
    contact.updated_at = utcnow()
    return contact


def _set_consent(contact, channel, granted, at):
    current_at = getattr(contact, f"{channel}_consent_at")
    if current_at is not None and at < current_at:
        return False
    setattr(contact, f"{channel}_consent", granted)
    setattr(contact, f"{channel}_consent_at", at)
    return True


def record_consent(session, event):
    """``client.consent_changed`` from crm (the counter, the web)."""
    facts = event["payload"]
    if not facts.get("client_id"):
        return
    contact = session.get(Contact, str(facts["client_id"]), with_for_update=True)
    if contact is None:
        raise NotYetKnown(f"client {facts['client_id']} not known yet")
    at = parse_time(facts.get("changed_at") or event["occurred_at"])
    if _set_consent(contact, facts["channel"], bool(facts["granted"]), at):
        contact.updated_at = utcnow()
        if not facts["granted"]:
            _withdraw_queued(session, [contact.client_id], facts["channel"], "consent_withdrawn")


# --- who can be reached, how -----------------------------------------------------

def reachability(session, contact, channel):
    """``(address, None)`` when ``contact`` may get a message on ``channel``,
    else ``(None, reason)``."""
    if contact is None:
        return None, "unknown_client"
    if channel == "sms":
        if not contact.phone:
            return None, "no_phone"
        if not is_e164(contact.phone):
            return None, "invalid_phone"
        if session.get(OptOut, contact.phone) is not None:
            return None, "opted_out"
        if not contact.sms_consent:
            return None, "no_sms_consent"
        return contact.phone, None
    if channel == "email":
        if not contact.email:
            return None, "no_email"
        if not contact.email_consent:
            return None, "no_email_consent"
        return contact.email, None
    return None, "unknown_channel"


REASONS = {
    "unknown_client": ("client_id", "no such client"),
    "no_phone": ("client_id", "the client has no mobile number on file"),
    "invalid_phone": ("phone", "{phone!r} is not an E.164 number (like +12125550100); "
                               "correct it in the client's profile"),
    "no_sms_consent": ("client_id", "the client has not consented to text messages"),
    "opted_out": ("client_id", "the client replied STOP; nothing may be texted to them until "
                               "they reply START"),
    "no_email": ("client_id", "the client has no e-mail address on file"),
    "no_email_consent": ("client_id", "the client has not consented to e-mail"),
}


def _refuse(reason, contact):
    field, text = REASONS.get(reason, ("client_id", reason))
    message = text.format(phone=contact.phone if contact else None)
    raise InvalidInput(f"nothing was sent: {message}", {field: [message]})


def store_zone(session, settings, store_id):
    store = session.get(Store, str(store_id)) if store_id else None
    return quiet_hours.zone(store.timezone if store else None, settings.default_timezone)


# --- templates -----------------------------------------------------------------------

def _languages(language, default):
    out = []
    for lang in (language, (language or "").split("-")[0], default, (default or "").split("-")[0]):
        lang = (lang or "").lower()
        if lang and lang not in out:
            out.append(lang)
    return out


def resolve_template(session, settings, store_id, trigger, channel, language):
    """``(subject, body)`` for a trigger: the store's own wording in the
    client's language, else the chain's, else the store's or chain's in the
    default language, else the built-in wording."""
    languages = _languages(language, settings.default_language)
    scopes = [str(store_id), "chain"] if store_id else ["chain"]
    rows = session.scalars(select(Template).where(
        Template.trigger == trigger, Template.channel == channel,
        Template.scope.in_(scopes), Template.language.in_(languages))).all()
    if rows:
        best = min(rows, key=lambda t: (languages.index(t.language), scopes.index(t.scope)))
        fallback = templates.default(trigger, channel)
        return best.subject or (fallback[0] if fallback else None), best.body
    built_in = templates.default(trigger, channel)
    if built_in is None:
        raise LookupError(f"no wording for {trigger} on {channel}")
    return built_in


def client_values(contact, store):
    return {
        "first_name": contact.first_name if contact else "",
        "last_name": contact.last_name if contact else "",
        "store_name": store.name if store else "",
        "store_phone": (store.phone or "") if store else "",
    }


# --- putting messages in the queue ---------------------------------------------------

def _insert_message(session, values):
    """Insert unless this trigger already produced a message for this
    recipient (the exactly-once key); returns the message or None."""
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
    channels = channels or templates.TRIGGERS[trigger]["channels"]
    channel, address, reason = channels[0], None, None
    for candidate in channels:
        found, why = reachability(session, contact, candidate)
        if found:
            channel, address = candidate, found
            break
        reason = reason or why
    language = (contact.language or settings.default_language).lower()
    if body is None:
        subject, body = resolve_template(session, settings, store_id, trigger, channel, language)
    filled = client_values(contact, store) | (values or {})
    text = templates.render(body, filled)
    stats = sms_stats(text) if channel == "sms" else None
    status, not_before = "pending", now
    if address is None:
        status = "suppressed"
    elif channel == "sms" and not urgent:
        deferred = quiet_hours.deferred_until(now, store_zone(session, settings, store_id),
                                              settings.quiet_hours)
        if deferred is not None:
            status, not_before = "scheduled", deferred
    message = _insert_message(session, {
        "direction": "outbound", "channel": channel, "trigger": trigger,
        "trigger_key": str(key) if key else None, "recipient": f"client:{contact.client_id}",
        "client_id": contact.client_id, "store_id": store_id,
        "work_order_id": str(work_order_id) if work_order_id else None,
        "appointment_id": str(appointment_id) if appointment_id else None,
        "to_address": address, "from_address": settings.sender_for(store_id) if channel == "sms" else settings.smtp_from,
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


def publish(session, event_type, message, **extra):
    payload = {
        "message_id": message.id, "client_id": message.client_id, "store_id": message.store_id,
        "channel": message.channel, "status": message.status, "trigger": message.trigger,
        "work_order_id": message.work_order_id, "body": message.body,
        "direction": message.direction, "associate_id": message.associate_id,
        "error_code": message.error_code,
    } | extra
    emit(session, event_type, payload, store_id=message.store_id)


def _withdraw_queued(session, client_ids, channel, reason, phone=None):
    """Queued messages that may no longer go: suppressed, with the reason."""
    conditions = [Message.client_id.in_(client_ids)] if client_ids else []
    if phone:
        conditions.append(Message.to_address == phone)
    if not conditions:
        return 0
    rows = session.scalars(select(Message).where(
        Message.status.in_(QUEUED), Message.channel == channel, Message.direction == "outbound",
        or_(*conditions)).with_for_update()).all()
    for message in rows:
        message.status, message.error_code, message.updated_at = "suppressed", reason, utcnow()
        log_step(session, message, "suppressed", "system", reason=reason)
    return len(rows)


# --- triggers ---------------------------------------------------------------------

def _work_order_values(settings, p):
    token = p.get("tracking_token")
    return {
        "number": p.get("number") or "", "kind": KIND_WORDS.get(p.get("kind"), p.get("kind") or "job"),
        "tracking_url": settings.tracking_url(token),
    }


def on_estimate_ready(session, settings, event, now):
    p = event["payload"]
    values = _work_order_values(settings, p) | {
        "amount": templates.format_money(p.get("amount")),
        "approval_url": settings.approval_url(p.get("tracking_token")),
    }
    return enqueue_for_client(session, settings, trigger="estimate_ready", key=event["event_id"],
                              client_id=p["client_id"], store_id=p["store_id"], now=now,
                              values=values, work_order_id=p["work_order_id"])


def on_stage_changed(session, settings, event, now):
    p = event["payload"]
    if p.get("to_stage") != "ready_for_pickup":
        return None
    channels = ("email", "sms") if p.get("kind") == "appraisal" else None
    return enqueue_for_client(session, settings, trigger="ready_for_pickup", key=event["event_id"],
                              client_id=p["client_id"], store_id=p["store_id"], now=now,
                              values=_work_order_values(settings, p), channels=channels,
                              work_order_id=p["work_order_id"])


def on_pickup_reminder(session, settings, event, now):
    p = event["payload"]
    values = _work_order_values(settings, p) | {"days_waiting": p.get("days_waiting")}
    return enqueue_for_client(session, settings, trigger="pickup_reminder", key=event["event_id"],
                              client_id=p["client_id"], store_id=p["store_id"], now=now,
                              values=values, work_order_id=p["work_order_id"])


def on_overdue(session, settings, event, now):
    """An overdue job is the store's problem: a task for the store, never a
    text to the client."""
    p = event["payload"]
    values = _work_order_values(settings, p) | {
        "promised_date": p.get("promised_date") or "", "stage": p.get("stage") or "",
    }
    return create_task(session, settings, trigger="workorder_overdue", key=event["event_id"],
                       store_id=p["store_id"], associate_id=None, client_id=p.get("client_id"),
                       now=now, values=values, work_order_id=p["work_order_id"])


def _appointment_values(session, settings, appointment):
    local = appointment.starts_at.astimezone(store_zone(session, settings, appointment.store_id))
    return {"appointment_date": local.strftime("%a %d %b %Y"),
            "appointment_time": local.strftime("%H:%M"), "purpose": appointment.purpose or ""}


def on_appointment_booked(session, settings, event, now):
    p = event["payload"]
    appointment = session.get(Appointment, str(p["appointment_id"]), with_for_update=True)
    if appointment is None:
        appointment = Appointment(id=str(p["appointment_id"]), booked_at=parse_time(event["occurred_at"]))
        session.add(appointment)
    appointment.client_id, appointment.store_id = str(p["client_id"]), str(p["store_id"])
    appointment.staff_user_id, appointment.purpose = p.get("staff_user_id"), p.get("purpose") or ""
    appointment.starts_at, appointment.status = parse_time(p["starts_at"]), "booked"
    if appointment.starts_at <= now:
        return None
    return enqueue_for_client(session, settings, trigger="appointment_booked",
                              key=event["event_id"], client_id=p["client_id"],
                              store_id=p["store_id"], now=now,
                              values=_appointment_values(session, settings, appointment),
                              appointment_id=appointment.id, expires_at=appointment.starts_at)


def on_appointment_cancelled(session, settings, event, now):
    p = event["payload"]
    appointment = session.get(Appointment, str(p["appointment_id"]), with_for_update=True)
    if appointment is None:
        return
    appointment.status = "cancelled"
    rows = session.scalars(select(Message).where(
        Message.appointment_id == appointment.id, Message.status.in_(QUEUED)).with_for_update()).all()
    for message in rows:
        message.status, message.error_code = "suppressed", "appointment_cancelled"
        log_step(session, message, "suppressed", "system", reason="appointment_cancelled")


def queue_appointment_reminders(session, settings, now):
    """The reminder timer: each booked appointment starting within the
    reminder window gets one reminder (not when it was booked inside the
    window: the confirmation just went). Returns how many were queued."""
    window = timedelta(hours=settings.appointment_reminder_hours)
    due = session.scalars(select(Appointment).where(
        Appointment.status == "booked", Appointment.reminder_queued_at.is_(None),
        Appointment.starts_at > now, Appointment.starts_at <= now + window,
    ).order_by(Appointment.starts_at).limit(500).with_for_update(skip_locked=True)).all()
    queued = 0
    for appointment in due:
        appointment.reminder_queued_at = now
        if appointment.booked_at >= appointment.starts_at - window:
            continue
        if session.get(Contact, appointment.client_id) is None:
            continue
        message = enqueue_for_client(
            session, settings, trigger="appointment_reminder",
            key=f"appointment-reminder:{appointment.id}", client_id=appointment.client_id,
            store_id=appointment.store_id, now=now,
            values=_appointment_values(session, settings, appointment),
            appointment_id=appointment.id, expires_at=appointment.starts_at)
        queued += message is not None
    return queued


def on_layaway_payment_due(session, settings, event, now):
    p = event["payload"]
    values = {"amount_due": templates.format_money(p.get("amount_due")),
              "due_date": p.get("due_date") or "", "balance": templates.format_money(p.get("balance"))}
    return enqueue_for_client(session, settings, trigger="layaway_payment_due",
                              key=event["event_id"], client_id=p["client_id"],
                              store_id=p["store_id"], now=now, values=values)


def on_sale_completed(session, settings, event, now):
    p = event["payload"]
    if not p.get("client_id"):
        return None
    lines = "\n".join(
        "{}  {}".format(line.get("description") or line.get("kind", "item"),
                        templates.format_money(line.get("amount")))
        for line in p.get("lines") or [])
    values = {
        "receipt_number": p["receipt_number"], "total": templates.format_money(p["total"]),
        "subtotal": templates.format_money(p["subtotal"]), "tax": templates.format_money(p["tax"]),
        "lines": lines, "completed_date": str(p.get("completed_at") or "")[:10],
    }
    return enqueue_for_client(session, settings, trigger="receipt", key=event["event_id"],
                              client_id=p["client_id"], store_id=p["store_id"], now=now,
                              values=values)


def on_milestone(session, settings, event, now):
    """A milestone coming up: a task for the client's associate (or their
    home store), or a message to the client when the chain enables it."""
    p = event["payload"]
    contact = session.get(Contact, str(p["client_id"]))
    values = {"milestone": p.get("label") or p["kind"], "milestone_date": str(p["date"]),
              "days_until": p.get("days_until")}
    if settings.milestone_to_client:
        return enqueue_for_client(session, settings, trigger="milestone", key=event["event_id"],
                                  client_id=p["client_id"], store_id=p.get("home_store_id"),
                                  now=now, values=values)
    associate = p.get("associate_id") or (contact.associate_id if contact else None)
    store_id = p.get("home_store_id") or (contact.home_store_id if contact else None)
    if not associate and not store_id:
        return None
    return create_task(session, settings, trigger="milestone_task", key=event["event_id"],
                       store_id=store_id, associate_id=associate, client_id=p["client_id"],
                       now=now, values=values)


# --- staff messages and campaigns ---------------------------------------------------

def _may_write(identity):
    if identity.read_only:
        raise Forbidden("read-only role")


def _acting_store(identity, store_id, contact):
    store_id = str(store_id) if store_id else (identity.store_id or (
        contact.home_store_id if contact else None))
    if store_id is None and not identity.chain_wide:
        store_id = identity.store_ids[0] if identity.store_ids else None
    if store_id is not None and not identity.can_see_store(store_id):
        raise Forbidden("you may not act for this store")
    return store_id


def _client_in_scope(session, identity, contact):
    """A store user reaches the clients of their stores (home store, or a
    thread with one of their stores)."""
    if contact is None:
        return False
    if identity.chain_wide or not contact.home_store_id:
        return True
    if contact.home_store_id in identity.store_ids:
        return True
    return session.scalar(select(Message.id).where(
        Message.client_id == contact.client_id,
        Message.store_id.in_(identity.store_ids)).limit(1)) is not None


def send_staff_message(session, identity, settings, data, now):
    """``POST /messages``: a person writes to a client. Sent only with the
    client's consent for the channel; otherwise a 422 and nothing queued."""
    _may_write(identity)
    contact = session.get(Contact, str(data["client_id"]))
    if not _client_in_scope(session, identity, contact):
        raise InvalidInput("unknown client", {"client_id": ["no such client"]})
    store_id = _acting_store(identity, data.get("store_id"), contact)
    channel = data.get("channel") or "sms"
    _address, reason = reachability(session, contact, channel)
    if reason:
        _refuse(reason, contact)
    problems = templates.check("staff", data["body"])
    if problems:
        raise InvalidInput("the message has unknown placeholders", {"body": problems})
    store = session.get(Store, store_id) if store_id else None
    subject = data.get("subject") or (f"A message from {store.name}" if store else "A message for you")
    message = enqueue_for_client(
        session, settings, trigger="staff", key=None, client_id=contact.client_id,
        store_id=store_id, now=now, channels=(channel,), urgent=bool(data.get("urgent")),
        priority=3, work_order_id=data.get("work_order_id"), body=data["body"],
        subject=subject, identity=identity)
    _audit(session, identity, "message", message.id, "staff_message", store_id=store_id,
           client_id=contact.client_id, channel=channel, status=message.status)
    return message_view(message, _events(session, [message.id]).get(message.id, []))


def queue_campaign(session, identity, settings, data, now):
    """A holiday campaign: every consenting client is queued (never refused
    for volume); the queue drains at the from-number's rate."""
    _may_write(identity)
    if identity.role not in ("hq_admin", "store_manager"):
        raise Forbidden("only a store manager or HQ sends campaigns")
    store_id = str(data["store_id"])
    if not identity.can_see_store(store_id):
        raise Forbidden("you may not act for this store")
    problems = templates.check("campaign", data["body"])
    if problems:
        raise InvalidInput("the campaign text has unknown placeholders", {"body": problems})
    campaign_id = str(uuid.uuid4())
    counts = {"pending": 0, "scheduled": 0, "suppressed": 0, "unknown_clients": 0}
    channel = data.get("channel") or "sms"
    for client_id in dict.fromkeys(str(c) for c in data["client_ids"]):
        if session.get(Contact, client_id) is None:
            counts["unknown_clients"] += 1
            continue
        message = enqueue_for_client(
            session, settings, trigger="campaign", key=campaign_id, client_id=client_id,
            store_id=store_id, now=now, channels=(channel,), priority=9, body=data["body"],
            subject=data.get("subject") or data.get("name"), identity=identity)
        if message is not None:
            counts[message.status] += 1
    queued = counts["pending"] + counts["scheduled"]
    _audit(session, identity, "campaign", campaign_id, "campaign_queued", store_id=store_id,
           name=data.get("name"), **counts)
    rate = settings.sms_rate_per_second if channel == "sms" else None
    return {"campaign_id": campaign_id, "queued": queued, "scheduled": counts["scheduled"],
            "suppressed": counts["suppressed"], "unknown_clients": counts["unknown_clients"],
            "rate_per_second": rate,
            "estimated_seconds": round(queued / rate, 1) if rate else 0}


# --- templates ------------------------------------------------------------------------

def template_view(t):
    return {"id": t.id, "store_id": t.store_id, "trigger": t.trigger, "channel": t.channel,
            "language": t.language, "subject": t.subject, "body": t.body,
            "updated_by": t.updated_by, "updated_at": iso(t.updated_at),
            **templates.preview(t.trigger, t.body, t.subject)}


def _template_scope(identity, store_id):
    if identity.read_only:
        raise Forbidden("read-only role")
    if store_id is None:
        if identity.role != "hq_admin":
            raise Forbidden("only HQ changes the chain's templates")
        return "chain"
    if identity.role not in ("hq_admin", "store_manager") or not identity.can_see_store(store_id):
        raise Forbidden("only the store's manager or HQ changes its templates")
    return str(store_id)


def save_template(session, identity, data):
    trigger, channel = data["trigger"], data["channel"]
    errors = {}
    if trigger not in templates.EDITABLE:
        errors["trigger"] = [f"one of {', '.join(templates.EDITABLE)}"]
    elif channel not in templates.TRIGGERS[trigger]["channels"]:
        errors["channel"] = [f"{trigger} goes by {', '.join(templates.TRIGGERS[trigger]['channels'])}"]
    else:
        for field in ("body", "subject"):
            problems = templates.check(trigger, data.get(field) or "")
            if problems:
                errors[field] = problems
    if channel == "sms" and len(data["body"]) > MAX_BODY_CHARS:
        errors.setdefault("body", []).append(f"a text is at most {MAX_BODY_CHARS} characters")
    if errors:
        raise InvalidInput("the template cannot be saved", errors)
    store_id = str(data["store_id"]) if data.get("store_id") else None
    scope = _template_scope(identity, store_id)
    language = data["language"].lower()
    template = session.scalar(select(Template).where(
        Template.scope == scope, Template.trigger == trigger, Template.channel == channel,
        Template.language == language).with_for_update())
    action = "template_updated"
    if template is None:
        template = Template(scope=scope, store_id=store_id, trigger=trigger, channel=channel,
                            language=language)
        session.add(template)
        action = "template_created"
    template.subject = data.get("subject") if channel == "email" else None
    template.body, template.updated_by, template.updated_at = data["body"], identity.user_id, utcnow()
    session.flush()
    _audit(session, identity, "template", template.id, action, store_id=store_id,
           trigger=trigger, channel=channel, language=language)
    return template_view(template)


def list_templates(session, identity, q):
    query = select(Template).order_by(Template.trigger, Template.channel, Template.language,
                                      Template.scope)
    if q.get("store_id"):
        if not identity.can_see_store(q["store_id"]):
            raise Forbidden("you may not see this store")
        query = query.where(Template.scope.in_([str(q["store_id"]), "chain"]))
    elif not identity.chain_wide:
        query = query.where(or_(Template.scope == "chain", Template.store_id.in_(identity.store_ids)))
    for name in ("trigger", "channel", "language"):
        if q.get(name):
            query = query.where(getattr(Template, name) == q[name])
    return {"items": [template_view(t) for t in session.scalars(query).all()],
            "next_cursor": None}


def delete_template(session, identity, template_id):
    template = session.get(Template, template_id, with_for_update=True)
    if template is None or (template.store_id and not identity.can_see_store(template.store_id)):
        raise NotFound("no such template")
    _template_scope(identity, template.store_id)
    _audit(session, identity, "template", template.id, "template_deleted",
           store_id=template.store_id, trigger=template.trigger, channel=template.channel,
           language=template.language)
    session.delete(template)
    return {"id": template_id, "deleted": True}


def preview_template(data):
    trigger = data["trigger"]
    if trigger not in templates.TRIGGERS:
        raise InvalidInput("unknown trigger", {"trigger": [f"one of {', '.join(templates.TRIGGERS)}"]})
    problems = templates.check(trigger, data["body"])
    if problems:
        raise InvalidInput("the template has problems", {"body": problems})
    return templates.preview(trigger, data["body"], data.get("subject"))


# --- the message record -----------------------------------------------------------------

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


def _events(session, ids):
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
    if q.get("cursor"):
        at, mid = decode_cursor(q["cursor"])
        at = parse_time(at)
        query = query.where(or_(Message.created_at < at,
                                and_(Message.created_at == at, Message.id < mid)))
    limit = q.get("limit") or 50
    rows = session.scalars(query.order_by(Message.created_at.desc(), Message.id.desc())
                           .limit(limit + 1)).all()
    page = rows[:limit]
    events = _events(session, [m.id for m in page])
    return {"items": [message_view(m, events.get(m.id, [])) for m in page],
            "next_cursor": (encode_cursor([iso(page[-1].created_at), page[-1].id])
                            if len(rows) > limit else None)}


def get_message(session, identity, message_id):
    m = session.get(Message, message_id)
    if m is None or not (identity.chain_wide or m.store_id in identity.store_ids):
        raise NotFound("no such message")
    return message_view(m, _events(session, [m.id]).get(m.id, []))


# --- Twilio webhooks -------------------------------------------------------------------

class _Params(dict):
    """Form parameters for the validator, single or repeated values alike."""

    def getall(self, name):
        value = self[name]
        return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def public_url(settings, url):
    """The URL Twilio signed: ``PUBLIC_BASE_URL`` with the request's path
    and query (the gateway sits behind a proxy and may see another host)."""
    parts = urlsplit(str(url or ""))
    return settings.public_base_url.rstrip("/") + (parts.path or "/") + (
        "?" + parts.query if parts.query else "")


def verify_signature(settings, url, params, signature):
    """``X-Twilio-Signature`` must match the public URL and the form, signed
    with our auth token; otherwise ``Forbidden`` (403) and nothing changes."""
    if not settings.twilio_auth_token:
        raise Forbidden("Twilio webhooks are refused: no Twilio auth token is configured")
    if not signature or not isinstance(signature, str):
        raise Forbidden("missing X-Twilio-Signature")
    if not isinstance(params, dict):
        raise Forbidden("the webhook form could not be read")
    if not RequestValidator(settings.twilio_auth_token).validate(
            public_url(settings, url), _Params(params), signature):
        raise Forbidden("X-Twilio-Signature does not match this request")


def _param(params, *names):
    for name in names:
        value = params.get(name)
        if isinstance(value, (list, tuple)):
            value = value[0] if value else None
        if value not in (None, ""):
            return str(value)
    return None


def record_status(session, settings, url, params, now):
    """A delivery callback: recorded once, applied only if it moves the
    message forward (callbacks arrive out of order)."""
    sid = _param(params, "MessageSid", "SmsSid")
    status = (_param(params, "MessageStatus", "SmsStatus") or "").lower()
    error_code = _param(params, "ErrorCode")
    message_id = (parse_qs(urlsplit(str(url)).query).get("message_id") or [None])[0]
    message = None
    if sid:
        message = session.scalar(select(Message).where(Message.provider_sid == sid).with_for_update())
    if message is None and message_id:
        try:
            message = session.get(Message, str(uuid.UUID(message_id)), with_for_update=True)
        except ValueError:
            message = None
    if message is None or status not in RANK:
        return {"recorded": False, "reason": "unknown message" if message is None else "unknown status"}
    if message.provider_sid is None and sid:
        message.provider_sid = sid
    inserted = session.execute(insert(MessageEvent).values(
        message_id=message.id, status=status, source="callback",
        details={"sid": sid, "error_code": error_code} if error_code else {"sid": sid}, at=now,
    ).on_conflict_do_nothing(index_elements=["message_id", "status"],
                             index_where=MessageEvent.source == "callback")
        .returning(MessageEvent.id)).scalar()
    if inserted is not None and advances(message.status, status):
        message.status, message.updated_at = status, now
        if error_code:
            message.error_code = error_code
        if status == "failed" and error_code == "21610" and message.to_address:
            opt_out(session, settings, message.to_address, "carrier", None, now)
        publish(session, "message.status_changed", message)
    return {"recorded": inserted is not None, "message_id": message.id, "status": message.status}


def client_for_phone(session, phone):
    """Whose reply is this: the client we last texted at this number, else
    the most recently updated client with it."""
    last = session.scalar(select(Message.client_id).where(
        Message.direction == "outbound", Message.channel == "sms", Message.to_address == phone,
        Message.client_id.isnot(None)).order_by(Message.created_at.desc()).limit(1))
    if last:
        return session.get(Contact, last)
    return session.scalars(select(Contact).where(Contact.phone == phone)
                           .order_by(Contact.updated_at.desc()).limit(1)).first()


def opt_out(session, settings, phone, source, word, now):
    """Nothing more to this number: every client with it loses SMS consent
    now, queued texts are withdrawn, crm hears of it."""
    stmt = insert(OptOut).values(phone=phone, source=source, keyword=word, opted_out_at=now)
    session.execute(stmt.on_conflict_do_update(
        index_elements=[OptOut.phone], set_={"source": source, "keyword": word, "opted_out_at": now}))
    return _change_sms_consent(session, phone, False, source, word, now)


def opt_in(session, settings, phone, source, word, now):
    session.execute(delete(OptOut).where(OptOut.phone == phone))
    return _change_sms_consent(session, phone, True, source, word, now)


def _change_sms_consent(session, phone, granted, source, word, now):
    contacts = session.scalars(select(Contact).where(Contact.phone == phone).with_for_update()).all()
    for contact in contacts:
        contact.sms_consent, contact.sms_consent_at, contact.updated_at = granted, now, now
    changed = {"channel": "sms", "granted": granted, "source": source, "changed_at": now.isoformat(),
               "phone": phone}
    for contact in contacts or [None]:
        client_id = contact.client_id if contact else None
        emit(session, "client.consent_changed", changed | {"client_id": client_id},
             store_id=contact.home_store_id if contact else None)
        session.add(Audit(entity_type="client" if contact else "phone",
                          entity_id=client_id or phone,
                          action="sms_consent_granted" if granted else "sms_consent_withdrawn",
                          actor_id=None, actor_role="client" if source == "sms_reply" else SYSTEM,
                          store_id=contact.home_store_id if contact else None,
                          details={"phone": phone, "source": source, "keyword": word}))
    if not granted:
        _withdraw_queued(session, [c.client_id for c in contacts], "sms", "opted_out", phone=phone)
    return contacts


def _reply_text(settings, session, word, contact):
    store = session.get(Store, contact.home_store_id) if contact and contact.home_store_id else None
    chain = settings.chain_name
    if word == "stop":
        return STOP_REPLY.format(chain=chain)
    if word == "start":
        return START_REPLY.format(chain=chain)
    if word == "help":
        return HELP_REPLY.format(chain=store.name if store else chain,
                                 phone=(store.phone if store and store.phone else "your store"))
    return None


def twiml(text):
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)


def record_inbound(session, settings, params, now):
    """A client's text: kept in their thread and published for crm's
    timeline. STOP/UNSUBSCRIBE/START/HELP change consent at once and are
    answered in the webhook's TwiML reply, as carriers require."""
    sid = _param(params, "MessageSid", "SmsSid")
    phone = _param(params, "From")
    body = _param(params, "Body") or ""
    word = keyword(body)
    if sid:
        seen = session.scalar(select(Message).where(Message.provider_sid == sid))
        if seen is not None:   # Twilio retried the webhook
            contact = session.get(Contact, seen.client_id) if seen.client_id else None
            return {"message_id": seen.id, "keyword": word, "duplicate": True,
                    "twiml": twiml(_reply_text(settings, session, word, contact))}
    if not phone:
        raise InvalidInput("an inbound text needs From", {"From": ["missing"]})
    contact = client_for_phone(session, phone)
    store_id = None
    if contact is not None:
        store_id = session.scalar(select(Message.store_id).where(
            Message.client_id == contact.client_id, Message.store_id.isnot(None))
            .order_by(Message.created_at.desc()).limit(1)) or contact.home_store_id
    message = Message(
        id=str(uuid.uuid4()), direction="inbound", channel="sms", trigger=word or "reply",
        recipient=f"number:{_param(params, 'To') or ''}", client_id=contact.client_id if contact else None,
        store_id=store_id, to_address=_param(params, "To"), from_address=phone, body=body,
        status="received", not_before=now, provider_sid=sid, created_at=now, updated_at=now,
        created_by_role="client", **_stats_columns(body))
    session.add(message)
    session.flush()
    log_step(session, message, "received", "provider", sid=sid)
    if word == "stop":
        opt_out(session, settings, phone, "sms_reply", body.strip().upper(), now)
    elif word == "start":
        opt_in(session, settings, phone, "sms_reply", body.strip().upper(), now)
    publish(session, "message.received", message, from_number=phone)
    reply = _reply_text(settings, session, word, contact)
    if reply:
        answer = Message(
            id=str(uuid.uuid4()), direction="outbound", channel="sms", trigger="keyword_reply",
            recipient=f"number:{phone}", client_id=message.client_id, store_id=store_id,
            to_address=phone, from_address=message.to_address, body=reply, status="sent",
            urgent=True, not_before=now, sent_at=now, created_at=now, updated_at=now,
            created_by_role=SYSTEM, **_stats_columns(reply))
        session.add(answer)
        session.flush()
        log_step(session, answer, "sent", "system", via="twiml", in_reply_to=message.id)
    return {"message_id": message.id, "client_id": message.client_id, "keyword": word,
            "duplicate": False, "twiml": twiml(reply)}


def _stats_columns(text):
    stats = sms_stats(text)
    return {"encoding": stats["encoding"], "segments": stats["segments"]}
