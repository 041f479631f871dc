"""What each event of another service says to whom: a text or e-mail to
the client, or a task for the store or the client's associate. One function
per event; ``service`` routes the events here, each handled once
(docs/ARCHITECTURE.md#rule-3)."""
from datetime import timedelta

from sqlalchemy import select

from chassis.display import format_money, locale_for

from .enqueue import create_task, enqueue_for_client
from .facts import record_appointment, store_locale, store_zone
from .models import Appointment, Contact, Message
from .records import QUEUED, log_step

KIND_WORDS = {"repair": "repair", "resize": "resize", "engraving": "engraving",
              "custom": "custom piece", "appraisal": "appraisal"}

# Money in a text or an e-mail is written with Babel in the locale of the
# store the message is about (``facts.store_locale``: its country's, en_US
# when unknown), ISO 4217 decimals (docs/ARCHITECTURE.md#rule-6).
DEFAULT_MONEY_LOCALE = locale_for(None)


def money_text(money, locale=DEFAULT_MONEY_LOCALE):
    """``{"amount": 18500, "currency": "USD"}`` -> ``"$185.00"``; none: ``""``.
    In ``"de_DE"`` EUR 150050 is ``"1.500,50 €"``, with Babel's no-break
    space before the sign (``templates.render_sms`` makes it a plain space in
    a text message)."""
    return format_money(money, locale)


def _work_order_values(settings, p):
    token = p.get("tracking_token")
    return {
        "number": p.get("number") or "", "kind": KIND_WORDS.get(p.get("kind"), p.get("kind") or "job"),
        "tracking_url": settings.tracking_url(token),
    }


def on_estimate_ready(session, settings, event, now):
    p = event.payload
    locale = store_locale(session, p.get("store_id"))
    values = _work_order_values(settings, p) | {
        "amount": money_text(p.get("amount"), locale),
        "approval_url": settings.approval_url(p.get("tracking_token")),
    }
    return enqueue_for_client(session, settings, trigger="estimate_ready", key=event.event_id,
                              client_id=p["client_id"], store_id=p["store_id"], now=now,
                              values=values, work_order_id=p["work_order_id"])


def on_stage_changed(session, settings, event, now):
    p = event.payload
    if p.get("to_stage") != "ready_for_pickup":
        return None
    channels = ("email", "sms") if p.get("kind") == "appraisal" else None
    return enqueue_for_client(session, settings, trigger="ready_for_pickup", key=event.event_id,
                              client_id=p["client_id"], store_id=p["store_id"], now=now,
                              values=_work_order_values(settings, p), channels=channels,
                              work_order_id=p["work_order_id"])


def on_pickup_reminder(session, settings, event, now):
    p = event.payload
    values = _work_order_values(settings, p) | {"days_waiting": p.get("days_waiting")}
    return enqueue_for_client(session, settings, trigger="pickup_reminder", key=event.event_id,
                              client_id=p["client_id"], store_id=p["store_id"], now=now,
                              values=values, work_order_id=p["work_order_id"])


def on_overdue(session, settings, event, now):
    """An overdue job is the store's problem: a task for the store, never a
    text to the client."""
    p = event.payload
    values = _work_order_values(settings, p) | {
        "promised_date": p.get("promised_date") or "", "stage": p.get("stage") or "",
    }
    return create_task(session, settings, trigger="workorder_overdue", key=event.event_id,
                       store_id=p["store_id"], associate_id=None, client_id=p.get("client_id"),
                       now=now, values=values, work_order_id=p["work_order_id"])


def on_memo_overdue(session, settings, event, now):
    """A memo past its due date is the store manager's to chase: one task per
    memo (the daily notices after the first add nothing), never a message out."""
    p = event.payload
    values = {"counterparty": p["counterparty"], "pieces": len(p["item_ids"]),
              "due_date": str(p["due_date"]),
              "what": "were due back from them" if p["direction"] == "out"
              else "were due to go back to them, or to be bought,"}
    return create_task(session, settings, trigger="memo_overdue", key=f"memo:{p['memo_id']}",
                       store_id=p["store_id"], associate_id=None, client_id=None, now=now,
                       values=values)


def _appointment_values(session, settings, appointment):
    local = appointment.starts_at.astimezone(store_zone(session, settings, appointment.store_id))
    return {"appointment_date": local.strftime("%a %d %b %Y"),
            "appointment_time": local.strftime("%H:%M"), "purpose": appointment.purpose or ""}


def on_appointment_booked(session, settings, event, now):
    p = event.payload
    appointment = record_appointment(session, event)
    if appointment.starts_at <= now:
        return None
    return enqueue_for_client(session, settings, trigger="appointment_booked",
                              key=event.event_id, client_id=p["client_id"],
                              store_id=p["store_id"], now=now,
                              values=_appointment_values(session, settings, appointment),
                              appointment_id=appointment.id, expires_at=appointment.starts_at)


def on_appointment_cancelled(session, settings, event, now):
    p = event.payload
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
    p = event.payload
    locale = store_locale(session, p.get("store_id"))
    values = {"amount_due": money_text(p.get("amount_due"), locale),
              "due_date": p.get("due_date") or "",
              "balance": money_text(p.get("balance"), locale)}
    return enqueue_for_client(session, settings, trigger="layaway_payment_due",
                              key=event.event_id, client_id=p["client_id"],
                              store_id=p["store_id"], now=now, values=values)


def on_sale_completed(session, settings, event, now):
    p = event.payload
    if not p.get("client_id"):
        return None
    locale = store_locale(session, p.get("store_id"))
    lines = "\n".join(
        "{}  {}".format(line.get("description") or line.get("kind", "item"),
                        money_text(line.get("amount"), locale))
        for line in p.get("lines") or [])
    values = {
        "receipt_number": p["receipt_number"], "total": money_text(p["total"], locale),
        "subtotal": money_text(p["subtotal"], locale), "tax": money_text(p["tax"], locale),
        "lines": lines, "completed_date": str(p.get("completed_at") or "")[:10],
    }
    return enqueue_for_client(session, settings, trigger="receipt", key=event.event_id,
                              client_id=p["client_id"], store_id=p["store_id"], now=now,
                              values=values)


def on_milestone(session, settings, event, now):
    """A milestone coming up: a task for the client's associate (or their
    home store), or a message to the client when the chain enables it."""
    p = event.payload
    contact = session.get(Contact, str(p["client_id"]))
    values = {"milestone": p.get("label") or p["kind"], "milestone_date": str(p["date"]),
              "days_until": p.get("days_until")}
    if settings.milestone_to_client:
        return enqueue_for_client(session, settings, trigger="milestone", key=event.event_id,
                                  client_id=p["client_id"], store_id=p.get("home_store_id"),
                                  now=now, values=values)
    associate = p.get("associate_id") or (contact.associate_id if contact else None)
    store_id = p.get("home_store_id") or (contact.home_store_id if contact else None)
    if not associate and not store_id:
        return None
    return create_task(session, settings, trigger="milestone_task", key=event.event_id,
                       store_id=store_id, associate_id=associate, client_id=p["client_id"],
                       now=now, values=values)
