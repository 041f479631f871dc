"""Consent first: STOP/START/HELP replies, staff messages, and nothing to a
client who has not agreed to the channel."""
from datetime import datetime, timedelta, timezone

import pytest

from chassis.errors import Forbidden, InvalidInput

from .conftest import (
    ALICE,
    ALICE_PHONE,
    ASSOCIATE_A,
    AUDITOR,
    BRUNO,
    DARIO,
    EMMA,
    MANAGER_B,
    PUBLIC,
    STORE_A,
    client_payload,
    sign,
    work_order,
)

GATEWAY_URL = "http://127.0.0.1:8000/webhooks/twilio/inbound"   # what the gateway sees


def inbound(env, body, phone=ALICE_PHONE, sid=None):
    params = {"MessageSid": sid or f"SM{abs(hash((body, phone, datetime.now()))):032d}"[:34],
              "AccountSid": env.twilio.account_sid, "From": phone, "To": "+15005550006",
              "Body": body, "NumMedia": "0"}
    signature = sign(env.twilio.auth_token, f"{PUBLIC}/webhooks/twilio/inbound", params)
    return env.as_().twilio_inbound(GATEWAY_URL, params, signature)


def consent_events(env):
    return [r.envelope for r in env.db.all(
        "select envelope from outbox where event_type = 'client.consent_changed' order by id")]


def test_stop_withdraws_consent_at_once_and_nothing_more_is_texted(env):
    # A text queued before the STOP (the sender has not reached it yet).
    env.db.execute("insert into senders (key, next_slot_at) values ('+15005550006', now() + interval '30 seconds')")
    estimate = env.send("workorders", "workorder.estimate_ready",
                        work_order() | {"amount": {"amount": 9900, "currency": "USD"}})
    env.handled(estimate)
    assert [m["status"] for m in env.messages(client_id=ALICE)] == ["pending"]

    reply = inbound(env, "Stop")
    assert reply["keyword"] == "stop"
    assert "<Message>You are unsubscribed from Maison Test texts" in reply["twiml"]
    assert "Reply START to resubscribe" in reply["twiml"]
    assert env.db.scalar("select sms_consent from contacts where client_id = :c", c=ALICE) is False
    assert env.db.scalar("select count(*) from sms_opt_outs where phone = :p", p=ALICE_PHONE) == 1
    [changed] = consent_events(env)
    assert changed["producer"] == "notifications"
    assert changed["payload"] | {"changed_at": None} == {
        "client_id": ALICE, "phone": ALICE_PHONE, "channel": "sms", "granted": False,
        "source": "sms_reply", "changed_at": None}
    received = env.db.scalar("select envelope from outbox where event_type = 'message.received'")
    assert received["payload"]["client_id"] == ALICE and received["payload"]["body"] == "Stop"
    audit = env.db.all("select action, actor_role from audit_log where entity_id = :c", c=ALICE)
    assert [(a.action, a.actor_role) for a in audit] == [("sms_consent_withdrawn", "client")]

    # The queued estimate is withdrawn; a new trigger goes by e-mail, which
    # she still accepts: STOP is about texts.
    env.db.execute("update senders set next_slot_at = now()")
    event = env.send("workorders", "workorder.pickup_reminder_due", work_order() | {"days_waiting": 9})
    env.handled(event)
    statuses = {m["trigger"]: (m["channel"], m["status"], m["error_code"])
                for m in env.messages(client_id=ALICE) if m["direction"] == "outbound"}
    assert statuses["estimate_ready"] == ("sms", "suppressed", "opted_out")
    assert statuses["pickup_reminder"][0] == "email"
    assert "9 days" in env.smtp.wait_for(1)[0]["message"].get_content()
    with pytest.raises(InvalidInput) as err:
        env.as_(ASSOCIATE_A).send_message({"client_id": ALICE, "body": "Are you there?"})
    assert "STOP" in err.value.errors["client_id"][0]

    # crm's older view of the client does not undo the STOP; nor does a new
    # consent at the counter: only START re-opens the number.
    env.send("crm", "client.updated", client_payload(ALICE),
             occurred_at=datetime.now(timezone.utc) - timedelta(minutes=5))
    later = env.send("crm", "client.consent_changed", {
        "client_id": ALICE, "channel": "sms", "granted": True, "source": "counter",
        "changed_at": datetime.now(timezone.utc).isoformat()})
    env.handled(later)
    with pytest.raises(InvalidInput):
        env.as_(ASSOCIATE_A).send_message({"client_id": ALICE, "body": "Are you there?"})
    assert env.twilio.messages() == []

    again = inbound(env, "START")
    assert "resubscribed" in again["twiml"]
    assert env.db.scalar("select sms_consent from contacts where client_id = :c", c=ALICE) is True
    assert [e["payload"]["granted"] for e in consent_events(env)] == [False, True]
    env.as_(ASSOCIATE_A).send_message({"client_id": ALICE, "body": "Welcome back"})
    assert env.twilio.wait_for(1)[0]["Body"] == "Welcome back"


@pytest.mark.parametrize("word", ["UNSUBSCRIBE", " stop ", "Cancel", "quit."])
def test_every_opt_out_word_counts_but_a_sentence_does_not(env, word):
    assert inbound(env, word)["keyword"] == "stop"
    assert env.db.scalar("select sms_consent from contacts where client_id = :c", c=ALICE) is False
    inbound(env, "START")
    assert inbound(env, "Please stop by the store tomorrow?")["keyword"] is None
    assert env.db.scalar("select sms_consent from contacts where client_id = :c", c=ALICE) is True


def test_help_is_answered_with_the_store_phone_and_changes_nothing(env):
    reply = inbound(env, "help")
    assert "NYC Jewelers: for help call +12125550100" in reply["twiml"]
    assert "Reply STOP to unsubscribe" in reply["twiml"]
    assert env.db.scalar("select sms_consent from contacts where client_id = :c", c=ALICE) is True
    assert consent_events(env) == []


def test_a_reply_joins_the_clients_thread_and_is_published_once(env):
    env.as_(ASSOCIATE_A).send_message({"client_id": ALICE, "body": "Your ring is resized."})
    env.twilio.wait_for(1)
    first = inbound(env, "Thank you! I'll come Saturday.", sid="SM" + "7" * 32)
    again = inbound(env, "Thank you! I'll come Saturday.", sid="SM" + "7" * 32)   # Twilio retried
    assert again["duplicate"] and again["message_id"] == first["message_id"]
    assert first["twiml"].replace(" ", "") in ('<?xml version="1.0" encoding="UTF-8"?><Response/>',
                                               '<?xmlversion="1.0"encoding="UTF-8"?><Response/>')
    thread = env.messages(client_id=ALICE)
    assert [(m["direction"], m["body"]) for m in thread] == [
        ("inbound", "Thank you! I'll come Saturday."), ("outbound", "Your ring is resized.")]
    assert thread[0]["store_id"] == STORE_A and thread[0]["status"] == "received"
    received = env.db.all("select envelope from outbox where event_type = 'message.received'")
    assert len(received) == 1 and received[0].envelope["payload"]["from_number"] == ALICE_PHONE


def test_staff_message_is_sent_with_consent_and_audited(env):
    message = env.as_(ASSOCIATE_A).send_message({"client_id": ALICE, "body": "Hi {first_name}!"})
    assert message["status"] == "pending" and message["created_by"] == "u-sa-a"
    assert env.twilio.wait_for(1)[0]["Body"] == "Hi Alice!"
    env.wait_status(message["id"], "queued")
    [audit] = env.db.all("select action, actor_id, actor_role, store_id::text as store_id "
                         "from audit_log where entity_id = :m", m=message["id"])
    assert (audit.action, audit.actor_id, audit.actor_role, audit.store_id) == (
        "staff_message", "u-sa-a", "sales_associate", STORE_A)


@pytest.mark.parametrize("client_id, field, words", [
    (BRUNO, "client_id", "not consented to text"),
    (DARIO, "phone", "not an E.164 number"),
])
def test_staff_message_without_consent_or_to_a_bad_number_is_refused(env, client_id, field, words):
    with pytest.raises(InvalidInput) as err:
        env.as_(ASSOCIATE_A).send_message({"client_id": client_id, "body": "Hello"})
    assert words in err.value.errors[field][0]
    assert env.db.scalar("select count(*) from messages") == 0
    assert env.db.scalar("select count(*) from audit_log") == 0


def test_staff_message_scope_and_roles(env):
    with pytest.raises(InvalidInput) as err:   # store B's client, for a store A associate
        env.as_(ASSOCIATE_A).send_message({"client_id": EMMA, "body": "Hello"})
    assert err.value.errors == {"client_id": ["no such client"]}
    with pytest.raises(Forbidden):
        env.as_(AUDITOR).send_message({"client_id": ALICE, "body": "Hello"})
    with pytest.raises(Forbidden):
        env.as_(MANAGER_B).send_message({"client_id": EMMA, "body": "Hello", "store_id": STORE_A})
    with pytest.raises(InvalidInput) as err:
        env.as_(ASSOCIATE_A).send_message({"client_id": ALICE, "body": ""})
    assert "body" in err.value.errors
    with pytest.raises(InvalidInput) as err:
        env.as_(ASSOCIATE_A).send_message({"client_id": ALICE, "body": "Hi {nickname}"})
    assert "{nickname}" in err.value.errors["body"][0]
    assert env.db.scalar("select count(*) from messages") == 0


def test_email_consent_is_separate_from_sms(env):
    message = env.as_(ASSOCIATE_A).send_message(
        {"client_id": ALICE, "body": "Your appraisal is attached.", "channel": "email",
         "subject": "Appraisal"})
    [mail] = env.smtp.wait_for(1)
    assert mail["message"]["Subject"] == "Appraisal" and mail["to"] == ["alice@example.test"]
    env.wait_status(message["id"], "sent")
    with pytest.raises(InvalidInput) as err:
        env.as_(ASSOCIATE_A).send_message({"client_id": DARIO, "body": "x", "channel": "email"})
    assert "no e-mail address" in err.value.errors["client_id"][0]
