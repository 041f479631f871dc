"""A client's texts to us (docs/API.md#messages): kept in their thread and
published for crm's timeline; STOP, START and HELP change consent at once
and are answered in the webhook's TwiML reply, as carriers require."""
import uuid

from sqlalchemy import select
from twilio.twiml.messaging_response import MessagingResponse

from chassis.errors import InvalidInput
from chassis.identity import SYSTEM

from .consent import opt_in, opt_out
from .models import Contact, Message, Store
from .records import log_step, publish
from .sms import keyword, sms_stats
from .webhooks import param

# Texts a client may answer with; carriers require these answers.
STOP_REPLY = ("You are unsubscribed from {chain} texts and will receive no more messages. "
              "Reply START to resubscribe.")
START_REPLY = ("You are resubscribed to {chain} texts. Reply HELP for help, STOP to unsubscribe. "
               "Msg & data rates may apply.")
HELP_REPLY = ("{chain}: for help call {phone}. Msg & data rates may apply. "
              "Reply STOP to unsubscribe.")


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


def _stats_columns(text):
    stats = sms_stats(text)
    return {"encoding": stats["encoding"], "segments": stats["segments"]}


def _thread_store(session, contact):
    """The store a client's reply belongs to: the one that last wrote to
    them, else their home store."""
    if contact is None:
        return None
    return session.scalar(select(Message.store_id).where(
        Message.client_id == contact.client_id, Message.store_id.isnot(None))
        .order_by(Message.created_at.desc()).limit(1)) or contact.home_store_id


def _record_answer(session, message, reply, now):
    """The keyword answer, sent in the TwiML reply: recorded as sent."""
    answer = Message(
        id=str(uuid.uuid4()), direction="outbound", channel="sms", trigger="keyword_reply",
        recipient=f"number:{message.from_address}", client_id=message.client_id,
        store_id=message.store_id, to_address=message.from_address,
        from_address=message.to_address, body=reply, status="sent", urgent=True,
        not_before=now, sent_at=now, created_at=now, updated_at=now, created_by_role=SYSTEM,
        **_stats_columns(reply))
    session.add(answer)
    session.flush()
    log_step(session, answer, "sent", "system", via="twiml", in_reply_to=message.id)


def record_inbound(session, settings, params, now):
    """A client's text, with the keyword it carries (if any) acted on."""
    sid = param(params, "MessageSid", "SmsSid")
    phone = param(params, "From")
    body = param(params, "Body") or ""
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
    message = Message(
        id=str(uuid.uuid4()), direction="inbound", channel="sms", trigger=word or "reply",
        recipient=f"number:{param(params, 'To') or ''}", client_id=contact.client_id if contact else None,
        store_id=_thread_store(session, contact), to_address=param(params, "To"),
        from_address=phone, body=body, status="received", not_before=now, provider_sid=sid,
        created_at=now, updated_at=now, created_by_role="client", **_stats_columns(body))
    session.add(message)
    session.flush()
    log_step(session, message, "received", "provider", sid=sid)
    if word == "stop":
        opt_out(session, phone, "sms_reply", body.strip().upper(), now)
    elif word == "start":
        opt_in(session, phone, "sms_reply", body.strip().upper(), now)
    publish(session, "message.received", message, from_number=phone)
    reply = _reply_text(settings, session, word, contact)
    if reply:
        _record_answer(session, message, reply, now)
    return {"message_id": message.id, "client_id": message.client_id, "keyword": word,
            "duplicate": False, "twiml": twiml(reply)}
