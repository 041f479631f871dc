"""Who may be reached on which channel: consent as crm reports it, the
client's own STOP/START replies and the carriers' refusals, and the queued
messages a withdrawal stops (docs/API.md#messages: sent only with consent)."""
from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert

from chassis.clock import instant, now as clock_now
from chassis.errors import InvalidInput
from chassis.identity import SYSTEM
from chassis.outbox import emit

from .facts import NotYetKnown, set_consent
from .models import Audit, Contact, Message, OptOut
from .records import QUEUED, log_step
from .sms import is_e164

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


def record_consent(session, event):
    """``client.consent_changed`` from crm (the counter, the web)."""
    facts = event.payload
    if not facts.get("client_id"):
        return
    contact = session.get(Contact, str(facts["client_id"]), with_for_update=True)
    if contact is None:
        raise NotYetKnown(f"client {facts['client_id']} not known yet")
    at = instant(facts.get("changed_at") or event["occurred_at"])
    if set_consent(contact, facts["channel"], bool(facts["granted"]), at):
        contact.updated_at = clock_now()
        if not facts["granted"]:
            withdraw_queued(session, [contact.client_id], facts["channel"], "consent_withdrawn")


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


def refuse(reason, contact):
    """A 422 saying why nothing was sent (docs/ARCHITECTURE.md#rule-8)."""
    field, text = REASONS.get(reason, ("client_id", reason))
    message = text.format(phone=contact.phone if contact else None)
    raise InvalidInput(f"nothing was sent: {message}", {field: [message]})


def withdraw_queued(session, client_ids, channel, reason, phone=None):
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
        message.status, message.error_code, message.updated_at = "suppressed", reason, clock_now()
        log_step(session, message, "suppressed", "system", reason=reason)
    return len(rows)


def opt_out(session, phone, source, word, now):
    """Nothing more to this number: every client with it loses SMS consent
    now, queued texts are withdrawn, crm hears of it."""
    stmt = insert(OptOut).values(phone=phone, source=source, keyword=word, opted_out_at=now)
    session.execute(stmt.on_conflict_do_update(
        index_elements=[OptOut.phone], set_={"source": source, "keyword": word, "opted_out_at": now}))
    return _change_sms_consent(session, phone, False, source, word, now)


def opt_in(session, phone, source, word, now):
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
        store_id = contact.home_store_id if contact else None
        emit(session, "client.consent_changed", changed | {"client_id": client_id},
             store_id=store_id)
        session.add(Audit(entity_type="client" if contact else "phone",
                          entity_id=client_id or phone,
                          action="sms_consent_granted" if granted else "sms_consent_withdrawn",
                          actor_id=None, actor_role="client" if source == "sms_reply" else SYSTEM,
                          store_id=store_id,
                          details={"phone": phone, "source": source, "keyword": word}))
    if not granted:
        withdraw_queued(session, [c.client_id for c in contacts], "sms", "opted_out", phone=phone)
    return contacts
