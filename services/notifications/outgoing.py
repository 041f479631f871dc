"""The outgoing queue: due messages are claimed, paced to each from-number's
throughput, sent, and their outcome recorded.

- Claiming happens in one short transaction (``FOR UPDATE SKIP LOCKED``, so
  replicas share the queue) and marks each message ``dispatching`` with the
  slot it may go at. Each from-number's next free slot is a row in
  ``senders``, locked while slots are handed out: at ``SMS_RATE_PER_SECOND``
  a long code never gets more than its throughput, however many replicas or
  campaigns there are. What does not fit waits in the queue; nothing fails
  for volume.
- Consent and quiet hours are checked again at claim time: a client who
  replied STOP after the message was queued gets nothing.
- The provider is called outside any transaction, after the claim has been
  committed. A replica that dies between the two leaves the message
  ``dispatching``; after ``SEND_DISPATCH_TIMEOUT`` it is marked failed
  (``interrupted``), never sent again: at most one text per trigger.
- A refusal for good (an unsubscribed or invalid number) is recorded as
  ``failed`` with Twilio's error code; a transient failure goes back to the
  queue with back-off (``SEND_RETRY_DELAYS``), then fails.

Messages are put in the queue by ``enqueue`` (docs/API.md#messages).
"""
import logging
import time as _time
from dataclasses import dataclass
from datetime import datetime, timedelta

import eventlet
from eventlet.greenpool import GreenPool
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from chassis.clock import now as clock_now

from . import quiet_hours
from .consent import opt_out, reachability
from .facts import store_zone
from .models import Contact, Message, OptOut, Sender
from .records import QUEUED, advances, log_step, publish
from .senders import UNSUBSCRIBED, SendError

log = logging.getLogger(__name__)

EMAIL_BATCH = 50


@dataclass(frozen=True)
class Job:
    message_id: str
    channel: str
    to: str
    sender: str
    subject: str | None
    body: str
    slot_at: datetime


def _due(now, channel):
    return (Message.status.in_(QUEUED), Message.not_before <= now,
            Message.channel == channel, Message.direction == "outbound")


def _ready(session, settings, message, now):
    """Re-check, at the last moment, that this message may go now."""
    if message.expires_at is not None and message.expires_at <= now:
        _suppress(session, message, "expired", now)
        return False
    if message.client_id:
        contact = session.get(Contact, message.client_id)
        address, reason = reachability(session, contact, message.channel)
        if reason:
            _suppress(session, message, reason, now)
            return False
        message.to_address = address
    elif message.channel == "sms" and session.get(OptOut, message.to_address or "") is not None:
        _suppress(session, message, "opted_out", now)
        return False
    if message.channel == "sms" and not message.urgent:
        until = quiet_hours.deferred_until(
            now, store_zone(session, settings, message.store_id), settings.quiet_hours)
        if until is not None:
            message.status, message.not_before, message.updated_at = "scheduled", until, now
            log_step(session, message, "scheduled", "queue", until=until.isoformat())
            return False
    return True


def _suppress(session, message, reason, now):
    message.status, message.error_code, message.updated_at = "suppressed", reason, now
    log_step(session, message, "suppressed", "queue", reason=reason)


def _dispatch(session, message, slot_at, now):
    message.status, message.slot_at = "dispatching", slot_at
    message.attempts, message.updated_at = message.attempts + 1, now
    return Job(message.id, message.channel, message.to_address, message.from_address,
               message.subject, message.body, slot_at)


def _claim_sender(session, settings, key, now, horizon):
    """Slots of one from-number up to ``now + horizon``, handed to the
    oldest due texts of that number (urgent and transactional first)."""
    interval = timedelta(seconds=1.0 / settings.sms_rate_per_second)
    session.execute(insert(Sender).values(key=key, next_slot_at=now).on_conflict_do_nothing())
    sender = session.scalar(select(Sender).where(Sender.key == key).with_for_update())
    limit = now + timedelta(seconds=horizon)
    if sender.next_slot_at > limit + interval + timedelta(seconds=60):
        # Only a clock that jumped back (or a replica's skewed clock) puts the
        # next slot this far ahead: start again from now rather than stall.
        sender.next_slot_at = now
    slot = max(sender.next_slot_at, now)
    if slot > limit:
        return []
    room = int((limit - slot) / interval) + 1
    rows = session.scalars(
        select(Message).where(*_due(now, "sms"), Message.from_address == key)
        .order_by(Message.priority, Message.not_before, Message.created_at)
        .limit(room).with_for_update(skip_locked=True)).all()
    jobs = []
    for message in rows:
        if _ready(session, settings, message, now):
            jobs.append(_dispatch(session, message, slot, now))
            slot += interval
    if jobs:
        sender.next_slot_at = slot
    return jobs


def claim(session, settings, now, horizon):
    """Claim what may be sent in the next ``horizon`` seconds."""
    jobs = []
    keys = session.scalars(select(Message.from_address).where(*_due(now, "sms")).distinct()).all()
    for key in keys:
        jobs.extend(_claim_sender(session, settings, key, now, horizon))
    mails = session.scalars(
        select(Message).where(*_due(now, "email"))
        .order_by(Message.priority, Message.not_before, Message.created_at)
        .limit(EMAIL_BATCH).with_for_update(skip_locked=True)).all()
    for message in mails:
        if _ready(session, settings, message, now):
            jobs.append(_dispatch(session, message, now, now))
    return jobs


def recover_interrupted(session, settings, now):
    """Messages claimed by a sender that never reported back: failed, not
    retried (Twilio may have sent them; a second text is worse)."""
    cutoff = now - timedelta(seconds=settings.dispatch_timeout)
    rows = session.scalars(select(Message).where(
        Message.status == "dispatching", Message.slot_at < cutoff)
        .with_for_update(skip_locked=True)).all()
    for message in rows:
        message.status, message.error_code, message.updated_at = "failed", "interrupted", now
        message.error_message = "the send was interrupted; not retried, to avoid a duplicate"
        log_step(session, message, "failed", "system", reason="interrupted")
        publish(session, "message.status_changed", message)
    return len(rows)


def send(senders, settings, job):
    """Hand one job to its provider; returns the provider's answer."""
    if job.channel == "sms":
        return senders.sms.send_sms(job.to, job.body, job.sender,
                                    settings.status_callback_url(job.message_id))
    return senders.mail.send_email(job.to, job.subject, job.body, job.message_id)


def record_result(session, settings, job, now, result=None, error=None):
    message = session.get(Message, job.message_id, with_for_update=True)
    if message is None:
        return None
    if result is not None:
        if message.provider_sid is None:
            message.provider_sid = result["sid"]
        status = result.get("status") or "queued"
        if message.status == "dispatching" or advances(message.status, status):
            message.status = status
        message.sent_at, message.updated_at = now, now
        message.error_code = message.error_message = None
        log_step(session, message, status, "provider", sid=result["sid"])
        publish(session, "message.sent", message)
        return message
    delays = settings.retry_delays
    if error.permanent or message.attempts > len(delays):
        message.status, message.updated_at = "failed", now
        message.error_code, message.error_message = error.code, error.message[:1000]
        log_step(session, message, "failed", "provider", code=error.code,
                 error=error.message[:500], attempts=message.attempts)
        publish(session, "message.status_changed", message)
        if job.channel == "sms" and error.code == str(UNSUBSCRIBED) and job.to:
            opt_out(session, job.to, "carrier", None, now)
        return message
    delay = delays[message.attempts - 1]
    message.status, message.not_before, message.updated_at = "pending", now + timedelta(seconds=delay), now
    message.error_code, message.error_message = error.code, error.message[:1000]
    log_step(session, message, "retry", "provider", code=error.code, error=error.message[:500],
             attempt=message.attempts, retry_in=delay)
    return message


def _send_and_record(db, senders, settings, job, clock):
    try:
        result, error = send(senders, settings, job), None
    except SendError as exc:
        result, error = None, exc
    except Exception as exc:  # a bug or an unexpected library error: retry later
        log.exception("sending message %s failed", job.message_id)
        result, error = None, SendError(f"{type(exc).__name__}: {exc}", "internal", permanent=False)
    with db.transaction() as session:
        record_result(session, settings, job, clock(), result=result, error=error)
    return error is None


def drain(db, senders, settings, clock=clock_now, sleep=eventlet.sleep, horizon=None,
          concurrency=10):
    """One turn of the sender loop: claim, wait for each slot, send, record.

    ``db`` is a chassis ``Db`` (several short transactions). Returns how many
    messages were handed to a provider.
    """
    horizon = settings.drain_interval if horizon is None else horizon
    with db.transaction() as session:
        recover_interrupted(session, settings, clock())
        jobs = claim(session, settings, clock(), horizon)
    if not jobs:
        return 0
    pool = GreenPool(concurrency)
    for job in sorted(jobs, key=lambda j: j.slot_at):
        wait = (job.slot_at - clock()).total_seconds()
        if wait > 0:
            sleep(wait)
        pool.spawn(_send_and_record, db, senders, settings, job, clock)
    pool.waitall()
    return len(jobs)


def measure_drain_rate(db, senders, settings, count=20, store_id=None, clock=clock_now):
    """For ``make bench``: queue ``count`` texts from one from-number and
    drain them; returns the measured rate next to the configured one.

    The texts go to the senders given (a logging sender, or Twilio pointed at
    a capture server); the database is the service's own.
    """
    import uuid
    now = clock()
    key = f"bench-{uuid.uuid4().hex[:8]}"
    with db.transaction() as session:
        for i in range(count):
            session.add(Message(
                direction="outbound", channel="sms", trigger="bench", recipient=f"bench:{i}",
                to_address="+15005550006", from_address=key, body=f"bench {i}", status="pending",
                urgent=True, priority=9, not_before=now, created_at=now, updated_at=now))
    started = _time.monotonic()
    deadline = started + 10 + 3 * count / settings.sms_rate_per_second

    def waiting():
        with db.transaction() as session:
            return session.scalar(select(func.count()).where(
                Message.from_address == key, Message.status.in_(("pending", "dispatching"))))

    while waiting() and _time.monotonic() < deadline:
        if not drain(db, senders, settings, clock=clock):
            eventlet.sleep(0.01)   # another replica holds the next slot
    seconds = _time.monotonic() - started
    with db.transaction() as session:
        sent = session.scalar(select(func.count()).where(
            Message.from_address == key, Message.sent_at.isnot(None)))
    return {"messages": sent, "seconds": round(seconds, 3),
            "rate_per_second": round(sent / seconds, 3) if seconds else None,
            "configured_rate_per_second": settings.sms_rate_per_second}
