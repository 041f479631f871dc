"""Messages people write: a staff member's message to one client (sent only
with consent, docs/API.md#messages) and a store's campaign to many, each
within the caller's stores (docs/ARCHITECTURE.md#rule-7)."""
import uuid

from sqlalchemy import select

from chassis.errors import Forbidden, InvalidInput
from chassis.identity import MANAGERS

from . import templates
from .consent import reachability, refuse
from .enqueue import enqueue_for_client
from .models import Contact, Message, Store
from .records import audit
from .views import events_of, message_view


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
        refuse(reason, contact)
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
    audit(session, identity, "message", message.id, "staff_message", store_id=store_id,
          client_id=contact.client_id, channel=channel, status=message.status)
    return message_view(message, events_of(session, [message.id]).get(message.id, []))


def _campaign_store(identity, data):
    _may_write(identity)
    if identity.role not in MANAGERS:
        raise Forbidden("only a store manager or HQ sends campaigns")
    store_id = str(data["store_id"])
    if not identity.can_see_store(store_id):
        raise Forbidden("you may not act for this store")
    problems = templates.check("campaign", data["body"])
    if problems:
        raise InvalidInput("the campaign text has unknown placeholders", {"body": problems})
    return store_id


def queue_campaign(session, identity, settings, data, now):
    """A holiday campaign: every consenting client is queued (never refused
    for volume); the queue drains at the from-number's rate."""
    store_id = _campaign_store(identity, data)
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
    audit(session, identity, "campaign", campaign_id, "campaign_queued", store_id=store_id,
          name=data.get("name"), **counts)
    rate = settings.sms_rate_per_second if channel == "sms" else None
    return {"campaign_id": campaign_id, "queued": queued, "scheduled": counts["scheduled"],
            "suppressed": counts["suppressed"], "unknown_clients": counts["unknown_clients"],
            "rate_per_second": rate,
            "estimated_seconds": round(queued / rate, 1) if rate else 0}
