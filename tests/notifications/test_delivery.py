"""Exactly once, refusals and retries, delivery callbacks and their
signatures, quiet hours, the sending rate, and who sees which messages."""
import dataclasses
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chassis.clock import now
from chassis.errors import Forbidden, NotFound
from services.notifications import outgoing, triggers
from services.notifications.service import Service as Notifications
from tests.conftest import wait_for

from .conftest import (
    ALICE,
    ALICE_PHONE,
    BRUNO,
    EMMA,
    FROM_NUMBER,
    MANAGER_A,
    MANAGER_B,
    PUBLIC,
    STORE_A,
    STORE_B,
    client_payload,
    close,
    quiet_zone,
    sign,
    work_order,
)

STATUS_URL = "http://10.0.0.5:8000/webhooks/twilio/status"   # what the gateway may see behind a proxy


def estimate(env, **over):
    return env.send("workorders", "workorder.estimate_ready",
                    work_order(**over) | {"amount": {"amount": 18500, "currency": "USD"}})


def callback(env, message_id, status, sid, token=None, url_base=PUBLIC, **extra):
    query = f"?message_id={message_id}"
    params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
              "AccountSid": env.twilio.account_sid, "To": ALICE_PHONE, "From": FROM_NUMBER} | extra
    signature = sign(token or env.twilio.auth_token, f"{url_base}/webhooks/twilio/status{query}", params)
    return env.as_().twilio_status(STATUS_URL + query, params, signature)


def sent_message(env, client_id=ALICE):
    estimate(env, client_id=client_id)
    env.twilio.wait_for(1)
    [message] = env.messages(client_id=client_id)
    env.wait_status(message["id"], "queued")
    return env.as_().get_message(message["id"])


# --- exactly once ----------------------------------------------------------------------

def test_a_redelivered_event_sends_one_text(env):
    event = estimate(env)
    env.twilio.wait_for(1)
    env.redeliver(event)
    env.redeliver(event)
    other = estimate(env)   # another event for the same client: a text of its own
    env.twilio.wait_for(2)
    env.handled(other)
    assert len(env.twilio.messages()) == 2
    assert env.db.scalar("select count(*) from messages where trigger_key = :e",
                         e=event["event_id"]) == 1


def test_the_unique_key_holds_even_without_the_inbox(env):
    event = estimate(env)
    env.twilio.wait_for(1)
    db, settings, _ = env.direct()
    with db.transaction() as session:   # as if the inbox row were lost
        assert triggers.on_estimate_ready(session, settings, event, now()) is None
    assert env.db.scalar("select count(*) from messages") == 1


def test_redelivery_after_a_restart_sends_nothing_more(start_notifications, container_factory):
    env = start_notifications()
    event = estimate(env)
    env.twilio.wait_for(1)
    env.container.stop()
    restarted = container_factory(Notifications)   # same config, same database, fresh process state
    restarted.start()
    env.redeliver(event)
    marker = estimate(env, client_id=EMMA)
    env.twilio.wait_for(2)
    env.handled(marker)
    assert [m["To"] for m in env.twilio.messages()] == [ALICE_PHONE, "+13055550105"]
    close(restarted)


# --- refusals and retries ---------------------------------------------------------------

def test_a_number_twilio_refuses_is_failed_with_the_code_and_not_retried(env):
    env.twilio.refuse(ALICE_PHONE, code=21610)
    estimate(env)
    env.twilio.wait_for(1)
    [message] = env.messages(client_id=ALICE)
    env.wait_status(message["id"], "failed")
    message = env.as_().get_message(message["id"])
    assert message["error_code"] == "21610" and "unsubscribed" in message["error_message"]
    assert message["attempts"] == 1
    # Twilio says the number opted out: we record it, and crm hears of it.
    assert env.db.scalar("select source from sms_opt_outs where phone = :p", p=ALICE_PHONE) == "carrier"
    changed = env.db.scalar("select envelope from outbox where event_type = 'client.consent_changed'")
    assert changed["payload"]["client_id"] == ALICE and changed["payload"]["granted"] is False
    failed = env.db.scalar("select envelope from outbox where event_type = 'message.status_changed'")
    assert failed["payload"]["status"] == "failed" and failed["payload"]["error_code"] == "21610"
    assert len(env.twilio.messages()) == 1


def test_a_transient_failure_is_retried_with_back_off(env):
    env.twilio.fail_next(1, status=503)
    estimate(env)
    env.twilio.wait_for(2)
    message = env.messages(client_id=ALICE)[0]
    env.wait_status(message["id"], "queued")
    message = env.as_().get_message(message["id"])
    assert message["attempts"] == 2 and message["error_code"] is None
    assert [h["status"] for h in message["history"]] == ["pending", "retry", "queued"]
    assert len(env.twilio.accepted()) == 1


def test_a_send_interrupted_by_a_crash_is_failed_not_repeated(env):
    estimate(env)
    env.twilio.wait_for(1)
    [message] = env.messages(client_id=ALICE)
    env.wait_status(message["id"], "queued")
    env.db.execute("update messages set status = 'dispatching', slot_at = now() - interval '1 hour'")
    db, settings, senders = env.direct()
    with db.transaction() as session:
        assert outgoing.recover_interrupted(session, settings, now()) == 1
    assert env.as_().get_message(message["id"])["error_code"] == "interrupted"
    assert len(env.twilio.messages()) == 1


# --- delivery callbacks -------------------------------------------------------------------

def test_callbacks_are_verified_and_never_move_a_status_backwards(env):
    message = sent_message(env)
    sid = message["provider_sid"]
    assert callback(env, message["id"], "delivered", sid)["status"] == "delivered"
    assert callback(env, message["id"], "sent", sid)["status"] == "delivered"
    assert callback(env, message["id"], "sending", sid)["status"] == "delivered"
    assert callback(env, message["id"], "delivered", sid)["recorded"] is False   # Twilio repeated it
    shown = env.messages(client_id=ALICE)[0]
    assert shown["status"] == "delivered"
    assert [d["status"] for d in shown["delivery"]] == ["sending", "sent", "delivered"]
    changes = env.db.all("select envelope from outbox where event_type = 'message.status_changed'")
    assert [c.envelope["payload"]["status"] for c in changes] == ["delivered"]


def test_undelivered_with_an_error_code(env):
    message = sent_message(env)
    callback(env, message["id"], "sent", message["provider_sid"])
    result = callback(env, message["id"], "undelivered", message["provider_sid"], ErrorCode="30003")
    assert result["status"] == "undelivered"
    assert env.as_().get_message(message["id"])["error_code"] == "30003"


@pytest.mark.parametrize("tamper", ["bad_signature", "no_signature", "other_token", "signed_for_proxy_url",
                                    "changed_form"])
def test_a_callback_with_a_bad_signature_is_refused_and_changes_nothing(env, tamper):
    message = sent_message(env)
    query = f"?message_id={message['id']}"
    params = {"MessageSid": message["provider_sid"], "MessageStatus": "delivered"}
    url = f"{PUBLIC}/webhooks/twilio/status{query}"
    signature = {
        "bad_signature": "bm90IGEgc2lnbmF0dXJl",
        "no_signature": None,
        "other_token": sign("someone-else", url, params),
        "signed_for_proxy_url": sign(env.twilio.auth_token, STATUS_URL + query, params),
        "changed_form": sign(env.twilio.auth_token, url, params | {"MessageStatus": "failed"}),
    }[tamper]
    with pytest.raises(Forbidden):
        env.as_().twilio_status(STATUS_URL + query, params, signature)
    assert env.as_().get_message(message["id"])["status"] == "queued"
    assert env.db.scalar("select count(*) from message_events where source = 'callback'") == 0


def test_an_inbound_stop_with_a_bad_signature_changes_no_consent(env):
    params = {"MessageSid": "SM" + "1" * 32, "From": ALICE_PHONE, "To": FROM_NUMBER, "Body": "STOP"}
    with pytest.raises(Forbidden):
        env.as_().twilio_inbound(f"{PUBLIC}/webhooks/twilio/inbound", params,
                                 sign("forged", f"{PUBLIC}/webhooks/twilio/inbound", params))
    assert env.db.scalar("select sms_consent from contacts where client_id = :c", c=ALICE) is True
    assert env.db.scalar("select count(*) from messages") == 0


def test_without_a_twilio_token_texts_are_logged_and_webhooks_refused(start_notifications):
    env = start_notifications(TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="")
    estimate(env)
    message = wait_for(lambda: env.messages(client_id=ALICE), message="the estimate recorded")[0]
    env.wait_status(message["id"], "sent")
    assert env.as_().get_message(message["id"])["provider_sid"].startswith("LG")
    assert env.twilio.messages() == []
    params = {"MessageSid": "x", "MessageStatus": "delivered"}
    with pytest.raises(Forbidden):
        env.as_().twilio_status(f"{PUBLIC}/webhooks/twilio/status", params,
                                sign("", f"{PUBLIC}/webhooks/twilio/status", params))


# --- quiet hours ---------------------------------------------------------------------------

def test_quiet_hours_defer_texts_to_the_morning_in_the_stores_time_zone(start_notifications):
    env = start_notifications(seed=False, QUIET_HOURS="21:00-09:00")
    night, day = quiet_zone(quiet=True), quiet_zone(quiet=False)
    env.seed(stores=((STORE_A, "NYC", night, "+12125550100"), (STORE_B, "MIA", day, "+13055550100")))
    estimate(env)                                         # store A: night
    estimate(env, client_id=EMMA, store_id=STORE_B)       # store B: day
    assert env.twilio.wait_for(1)[0]["To"] == "+13055550105"
    [deferred] = env.messages(client_id=ALICE)
    assert deferred["status"] == "scheduled"
    morning = datetime.fromisoformat(deferred["scheduled_for"])
    local = morning.astimezone(ZoneInfo(night))
    assert (local.hour, local.minute) == (9, 0)
    assert timedelta(0) < morning - datetime.now(timezone.utc) < timedelta(hours=12)
    # An urgent staff text may go at night.
    urgent = env.as_(MANAGER_A).send_message({"client_id": ALICE, "body": "Your ring is safe.",
                                              "urgent": True})
    env.wait_status(urgent["id"], "queued")
    assert len(env.twilio.messages(to=ALICE_PHONE)) == 1

    # The morning comes: the sender loop sends it.
    db, settings, senders = env.direct()
    assert outgoing.drain(db, senders, settings, clock=lambda: morning + timedelta(seconds=1)) == 1
    assert [m["Body"] for m in env.twilio.messages(to=ALICE_PHONE)][1].startswith("Hi Alice, the estimate")
    assert env.as_().get_message(deferred["id"])["status"] == "queued"


# --- the sending rate ------------------------------------------------------------------------

def _queue(env, count, key, at):
    for i in range(count):
        env.db.execute(
            "insert into messages (id, direction, channel, trigger, recipient, to_address, from_address,"
            " body, status, urgent, priority, not_before) values (:id, 'outbound', 'sms', 'campaign',"
            " :r, '+15005550007', :k, 'Happy holidays', 'pending', true, 9, :at)",
            id=str(uuid.uuid4()), r=f"n:{i}", k=key, at=at)


def test_a_from_number_gets_no_more_than_its_throughput(env):
    db, settings, _ = env.direct()
    settings = dataclasses.replace(settings, sms_rate_per_second=2.0)
    t0 = datetime.now(timezone.utc) + timedelta(days=1)   # out of the service's own loop's reach
    _queue(env, 5, "+15550001111", t0)
    _queue(env, 1, "+15550002222", t0)
    with db.transaction() as session:
        first = outgoing.claim(session, settings, t0, horizon=1.0)
    with db.transaction() as session:
        again = outgoing.claim(session, settings, t0, horizon=1.0)
    with db.transaction() as session:
        later = outgoing.claim(session, settings, t0 + timedelta(seconds=1), horizon=1.0)
    slots = sorted((j.slot_at - t0).total_seconds() for j in first if j.sender == "+15550001111")
    assert slots == [0.0, 0.5, 1.0]
    assert [j.sender for j in first].count("+15550002222") == 1   # another number: its own pace
    assert again == []
    assert sorted((j.slot_at - t0).total_seconds() for j in later) == [1.5, 2.0]


def test_a_campaign_queues_instead_of_failing_and_drains(env):
    result = env.as_(MANAGER_A).queue_campaign({
        "store_id": STORE_A, "name": "Holiday", "body": "Happy holidays, {first_name}!",
        "client_ids": [ALICE, EMMA, BRUNO, str(uuid.uuid4())]})
    assert (result["queued"], result["suppressed"], result["unknown_clients"]) == (2, 1, 1)
    assert result["rate_per_second"] == 50
    bodies = sorted(m["Body"] for m in env.twilio.wait_for(2))
    assert bodies == ["Happy holidays, Alice!", "Happy holidays, Emma!"]
    with pytest.raises(Forbidden):
        env.as_(MANAGER_B).queue_campaign({"store_id": STORE_A, "body": "x", "client_ids": [ALICE]})


def test_drain_rate_measurement_for_the_bench(env):
    db, settings, senders = env.direct()
    figures = outgoing.measure_drain_rate(db, senders, settings, count=5)
    assert figures["messages"] == 5 and figures["configured_rate_per_second"] == 50
    assert figures["rate_per_second"] > 0
    assert len(env.twilio.accepted(to="+15005550006")) == 5


# --- who sees what -------------------------------------------------------------------------

def test_messages_are_listed_by_client_and_work_order_within_the_callers_stores(env):
    job_a = estimate(env)["payload"]
    estimate(env, client_id=EMMA, store_id=STORE_B)
    env.twilio.wait_for(2)
    by_job = env.as_(MANAGER_A).list_messages({"work_order_id": job_a["work_order_id"]})["items"]
    assert [m["client_id"] for m in by_job] == [ALICE]
    assert [m["client_id"] for m in env.as_(MANAGER_B).list_messages({})["items"]] == [EMMA]
    assert env.as_(MANAGER_B).list_messages({"client_id": ALICE})["items"] == []
    with pytest.raises(NotFound):
        env.as_(MANAGER_B).get_message(by_job[0]["id"])
    with pytest.raises(Forbidden):
        env.as_(MANAGER_B).list_messages({"store_id": STORE_A})
    page = env.as_().list_messages({"limit": 1})
    rest = env.as_().list_messages({"limit": 1, "cursor": page["next_cursor"]})
    assert page["next_cursor"] and rest["next_cursor"] is None
    assert {page["items"][0]["id"], rest["items"][0]["id"]} == {m["id"] for m in env.messages()}


def test_an_event_for_a_client_not_yet_known_waits_for_the_client(start_notifications):
    env = start_notifications(EVENT_RETRY_DELAYS=[0.2, 0.5, 1, 2])
    newcomer = str(uuid.uuid4())
    estimate(env, client_id=newcomer)
    env.send("crm", "client.created", client_payload(ALICE) | {
        "client_id": newcomer, "first_name": "Nina", "phone": "+12125550199"})
    assert "Hi Nina" in env.twilio.wait_for(1, to="+12125550199")[0]["Body"]
