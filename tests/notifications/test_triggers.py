"""Each trigger: the right text to the right client (or to the store, or to
an associate), through the real twilio SDK and SMTP."""
import uuid
from datetime import datetime, timedelta, timezone

from services.notifications import triggers

from .conftest import (
    ALICE,
    ALICE_PHONE,
    BRUNO,
    CELINE,
    EMMA,
    EMMA_PHONE,
    FROM_NUMBER,
    PUBLIC,
    STORE_A,
    STORE_B,
    STORE_B_NUMBER,
    work_order,
)


def test_estimate_ready_texts_the_client_an_approval_link(env):
    job = work_order(kind="resize")
    event = env.send("workorders", "workorder.estimate_ready",
                     job | {"amount": {"amount": 18500, "currency": "USD"}})
    sent = env.twilio.wait_for(1)[0]
    assert sent["To"] == ALICE_PHONE and sent["From"] == FROM_NUMBER
    assert "Alice" in sent["Body"] and "$185.00" in sent["Body"] and "WO-000123" in sent["Body"]
    assert f"{PUBLIC}/track/{job['tracking_token']}?approve=1" in sent["Body"]
    assert "resize" in sent["Body"] and "NYC Jewelers" in sent["Body"]
    [message] = env.messages(work_order_id=job["work_order_id"])
    assert sent["StatusCallback"] == f"{PUBLIC}/webhooks/twilio/status?message_id={message['id']}"
    env.wait_status(message["id"], "queued")
    message = env.as_().get_message(message["id"])
    assert message["provider_sid"].startswith("SM") and message["trigger"] == "estimate_ready"
    assert message["encoding"] == "GSM-7" and message["segments"] == 1
    types = [r.event_type for r in env.db.all("select event_type from outbox order by id")]
    assert types == ["message.sent"]
    payload = env.db.scalar("select envelope from outbox")["payload"]
    assert payload["message_id"] == message["id"] and payload["client_id"] == ALICE
    assert env.db.scalar("select count(*) from inbox where event_id = :e",
                         e=event["event_id"]) == 1


def test_ready_for_pickup_texts_the_tracking_link_and_other_stages_say_nothing(env):
    job = work_order(store_id=STORE_B, client_id=EMMA)
    quiet = env.send("workorders", "workorder.stage_changed",
                     job | {"from_stage": "approved", "to_stage": "in_progress"})
    env.send("workorders", "workorder.stage_changed",
             job | {"from_stage": "quality_check", "to_stage": "ready_for_pickup"})
    sent = env.twilio.wait_for(1)[0]
    assert sent["To"] == EMMA_PHONE
    assert sent["From"] == STORE_B_NUMBER          # store B's own number, by config
    assert f"{PUBLIC}/track/{job['tracking_token']}" in sent["Body"]
    assert "ready for pickup" in sent["Body"] and "MIA Jewelers" in sent["Body"]
    env.handled(quiet)
    assert len(env.messages(work_order_id=job["work_order_id"])) == 1


def test_appraisal_ready_goes_by_email(env):
    job = work_order(kind="appraisal")
    env.send("workorders", "workorder.stage_changed",
             job | {"from_stage": "quality_check", "to_stage": "ready_for_pickup"})
    [mail] = env.smtp.wait_for(1)
    assert mail["to"] == ["alice@example.test"]
    assert "appraisal" in mail["message"].get_content()
    assert env.twilio.messages() == []


def test_pickup_reminder(env):
    job = work_order()
    env.send("workorders", "workorder.pickup_reminder_due", job | {"days_waiting": 14})
    sent = env.twilio.wait_for(1)[0]
    assert "14 days" in sent["Body"] and job["tracking_token"] in sent["Body"]


def test_overdue_is_a_task_for_the_store_and_never_a_text_to_the_client(env):
    job = work_order()
    event = env.send("workorders", "workorder.overdue", job | {"stage": "in_progress"})
    env.handled(event)
    [task] = env.messages(work_order_id=job["work_order_id"])
    assert task["channel"] == "task" and task["status"] == "open"
    assert task["store_id"] == STORE_A and task["client_id"] == ALICE
    assert "WO-000123" in task["body"] and "2026-12-15" in task["body"]
    assert "Alice Archer" in task["body"]
    published = env.db.scalar("select envelope from outbox where event_type = 'message.sent'")
    assert published["payload"]["channel"] == "task"
    # A text to the client afterwards goes out first: the overdue notice never did.
    env.send("workorders", "workorder.pickup_reminder_due", job | {"days_waiting": 3})
    [sent] = env.twilio.wait_for(1)
    assert "3 days" in sent["Body"] and len(env.twilio.messages()) == 1
    assert env.as_().list_messages({"channel": "sms", "trigger": "workorder_overdue"})["items"] == []
    assert env.smtp.messages == []


def test_an_overdue_memo_is_one_task_for_the_store_whatever_the_daily_notices(env):
    memo = {"memo_id": str(uuid.uuid4()), "store_id": STORE_A, "direction": "out",
            "counterparty": "Estate show", "item_ids": [str(uuid.uuid4()), str(uuid.uuid4())],
            "due_date": "2026-11-20"}
    env.handled(env.send("inventory", "memo.overdue", memo))
    env.handled(env.send("inventory", "memo.overdue", memo))        # the next day's notice
    tasks = env.as_().list_messages({"channel": "task", "trigger": "memo_overdue"})["items"]
    assert len(tasks) == 1, tasks
    [task] = tasks
    assert task["status"] == "open" and task["store_id"] == STORE_A and task["client_id"] is None
    assert "Estate show" in task["body"] and "2 piece(s) were due back" in task["body"]
    assert "2026-11-20" in task["body"]
    assert env.twilio.messages() == [] and env.smtp.messages == []


def test_appointment_booked_and_the_reminder_a_day_before(env):
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=23)
    appointment_id = str(uuid.uuid4())
    env.send("crm", "appointment.booked", {
        "appointment_id": appointment_id, "client_id": ALICE, "store_id": STORE_A,
        "staff_user_id": "u-sa-a", "starts_at": starts.isoformat(), "purpose": "ring viewing"},
        occurred_at=datetime.now(timezone.utc) - timedelta(days=3))
    booked = env.twilio.wait_for(1)[0]
    local = starts.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert local.strftime("%H:%M") in booked["Body"] and "booked" in booked["Body"]

    db, settings, _ = env.direct()
    for _ in range(2):   # the timer runs again: still one reminder
        with db.transaction() as session:
            triggers.queue_appointment_reminders(session, settings, datetime.now(timezone.utc))
    reminders = env.twilio.wait_for(2)
    assert "see you tomorrow" in reminders[1]["Body"]
    messages = env.messages(appointment_id=appointment_id)
    assert sorted(m["trigger"] for m in messages) == ["appointment_booked", "appointment_reminder"]


def test_cancelled_appointment_gets_no_reminder(env):
    starts = datetime.now(timezone.utc) + timedelta(hours=30)
    appointment_id = str(uuid.uuid4())
    booked = env.send("crm", "appointment.booked", {
        "appointment_id": appointment_id, "client_id": ALICE, "store_id": STORE_A,
        "staff_user_id": "u-sa-a", "starts_at": starts.isoformat()})
    env.twilio.wait_for(1)
    cancelled = env.send("crm", "appointment.cancelled", {
        "appointment_id": appointment_id, "client_id": ALICE, "store_id": STORE_A,
        "staff_user_id": "u-sa-a", "starts_at": starts.isoformat()})
    env.handled(cancelled)
    db, settings, _ = env.direct()
    with db.transaction() as session:
        assert triggers.queue_appointment_reminders(
            session, settings, starts - timedelta(hours=23)) == 0
    assert len(env.messages(appointment_id=appointment_id)) == 1
    assert env.db.scalar("select status from appointments where id = :i", i=appointment_id) == "cancelled"
    env.handled(booked)


def test_layaway_payment_due(env):
    env.send("payments", "layaway.payment_due", {
        "layaway_id": str(uuid.uuid4()), "store_id": STORE_A, "client_id": ALICE,
        "item_ids": [], "balance": {"amount": 125000, "currency": "USD"},
        "due_date": "2026-12-20", "amount_due": {"amount": 25000, "currency": "USD"}})
    sent = env.twilio.wait_for(1)[0]
    assert "$250.00" in sent["Body"] and "2026-12-20" in sent["Body"] and "$1,250.00" in sent["Body"]


def sale(client_id, **over):
    return {
        "sale_id": str(uuid.uuid4()), "store_id": STORE_A, "client_id": client_id,
        "receipt_number": "R-NYC-000456",
        "lines": [{"kind": "item", "item_id": str(uuid.uuid4()), "description": "Solitaire ring",
                   "amount": {"amount": 450000, "currency": "USD"}}],
        "tenders": [{"method": "card", "amount": {"amount": 487500, "currency": "USD"}}],
        "subtotal": {"amount": 450000, "currency": "USD"},
        "tax": {"amount": 37500, "currency": "USD"},
        "total": {"amount": 487500, "currency": "USD"},
        "completed_at": "2026-12-11T15:00:00+00:00",
    } | over


def test_receipt_by_email_after_a_sale_with_a_client(env):
    env.send("payments", "sale.completed", sale(CELINE))
    anonymous = env.send("payments", "sale.completed", sale(None))
    [mail] = env.smtp.wait_for(1)
    message = mail["message"]
    assert mail["to"] == ["celine@example.test"]
    assert message["Subject"] == "Your receipt R-NYC-000456 from NYC Jewelers"
    body = message.get_content()
    assert "Solitaire ring  $4,500.00" in body and "Total: $4,875.00" in body
    assert "Céline" in body
    [record] = env.messages(client_id=CELINE)
    env.wait_status(record["id"], "sent")
    env.handled(anonymous)
    assert len(env.messages(trigger="receipt")) == 1
    assert env.twilio.messages() == []


def test_receipt_is_not_sent_without_consent(env):
    event = env.send("payments", "sale.completed", sale(BRUNO))
    env.handled(event)
    [record] = env.messages(client_id=BRUNO)
    assert record["status"] == "suppressed" and record["error_code"] == "no_email_consent"
    assert env.smtp.messages == [] and env.twilio.messages() == []


def test_milestone_is_a_task_for_the_associate(env):
    event = env.send("crm", "milestone.upcoming", {
        "client_id": ALICE, "kind": "anniversary", "date": "2026-12-24", "days_until": 14,
        "home_store_id": STORE_A, "associate_id": "u-sa-a"})
    env.handled(event)
    [task] = env.messages(client_id=ALICE)
    assert task["channel"] == "task" and task["associate_id"] == "u-sa-a"
    assert "anniversary" in task["body"] and "14 days" in task["body"]
    assert env.twilio.messages() == []


def test_milestone_texts_the_client_when_the_chain_enables_it(start_notifications):
    env = start_notifications(MILESTONE_TO_CLIENT="true")
    env.send("crm", "milestone.upcoming", {
        "client_id": EMMA, "kind": "birthday", "date": "2026-12-24", "days_until": 7,
        "home_store_id": STORE_B, "associate_id": None})
    sent = env.twilio.wait_for(1)[0]
    assert sent["To"] == EMMA_PHONE and "birthday" in sent["Body"]
