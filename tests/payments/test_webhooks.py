"""Stripe webhooks: signature verified, each event once, out-of-order
delivery never moves a payment backwards."""
import json
import time

import pytest
import stripe

from chassis.errors import InvalidInput, Unavailable

from .conftest import ASSOCIATE_A, STORE_A, WEBHOOK_SECRET, card, new_key, usd


def signed(event, secret=WEBHOOK_SECRET, at=None):
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=at or int(time.time()))
    return payload, header


def charge_event(kind, obj):
    return {"id": f"evt_{kind.replace('.', '_')}_{obj['id']}_{time.time_ns()}", "object": "event",
            "type": kind, "created": int(time.time()), "data": {"object": obj}}


@pytest.fixture
def card_sale(platform, as_, receive):
    item = receive(1, price=100000)[0]
    view = as_(ASSOCIATE_A).payments.create_sale(
        {"store_id": STORE_A, "lines": [{"item_id": item}], "tenders": [card(108870)]}, new_key())
    assert view["status"] == "completed"
    return view


def test_a_bad_or_stale_signature_is_refused_and_nothing_is_processed(card_sale, db, as_):
    hook = as_().payments.stripe_webhook
    event = charge_event("charge.refunded", {"id": "ch_x", "amount_refunded": 108870,
                                             "payment_intent": card_sale["tenders"][0]["card"]["payment_intent"]})
    payload, _ = signed(event)
    _, wrong = signed(event, secret="whsec_someone_else")
    _, stale = signed(event, at=int(time.time()) - 3600)
    for signature in (wrong, stale, "t=1,v1=deadbeef", ""):
        with pytest.raises(InvalidInput) as err:
            hook(payload, signature)
        assert "Stripe-Signature" in err.value.errors
    assert db.scalar("select count(*) from stripe_events") == 0
    assert db.scalar("select state from tenders") == "captured"


def test_each_event_is_applied_once_and_order_never_moves_a_payment_back(card_sale, db, as_,
                                                                         stripe_client):
    hook = as_().payments.stripe_webhook
    tender = card_sale["tenders"][0]
    intent = tender["card"]["payment_intent"]
    # Stripe's own event for the capture, as localstripe recorded it
    succeeded = stripe_client.v1.events.list(params={"type": "payment_intent.succeeded"}).data[0]
    succeeded = succeeded.to_dict()
    charge_id = succeeded["data"]["object"]["latest_charge"]["id"]
    refunded = charge_event("charge.refunded", {
        "id": charge_id, "object": "charge", "payment_intent": intent, "amount": 108870,
        "amount_refunded": 108870, "refunded": True, "currency": "usd"})
    failed_late = charge_event("payment_intent.payment_failed", {
        "id": intent, "object": "payment_intent", "status": "requires_payment_method",
        "last_payment_error": {"message": "Your card was declined."}})
    dispute = charge_event("charge.dispute.created", {
        "id": "dp_1", "object": "dispute", "charge": charge_id, "payment_intent": intent,
        "amount": 108870, "reason": "fraudulent"})

    # the refund (made in Stripe's dashboard) arrives before the older capture event
    assert hook(*signed(refunded))["outcome"] == "refunded"
    assert hook(*signed(refunded))["outcome"] == "duplicate"
    assert hook(*signed(succeeded))["outcome"] == "already_known"
    assert hook(*signed(failed_late))["outcome"] == "stale"
    assert hook(*signed(dispute))["outcome"] == "disputed"
    assert hook(*signed(dict(dispute, id="evt_again")))["outcome"] == "already_known"

    row = db.all("select state, refunded_amount, provider_status, disputed_at is not null "
                 "from tenders")[0]
    assert tuple(row) == ("refunded", 108870, "disputed", True)
    refunds = db.events("payment.refunded")
    assert [(r["amount"], r["reason"]) for r in refunds] == [(usd(108870), "provider")]
    assert len(db.events("payment.disputed")) == 1
    assert db.scalar("select count(*) from stripe_events") == 5
    view = as_().payments.get_sale(card_sale["id"])
    assert view["tenders"][0]["state"] == "refunded" and view["tenders"][0]["card"]["disputed"]


def test_a_capture_event_settles_a_payment_whose_answer_was_lost(platform, db, as_, receive,
                                                                 stripe_client):
    item = receive(1, price=100000)[0]
    terminal = as_(ASSOCIATE_A).payments
    request, key = {"store_id": STORE_A, "lines": [{"item_id": item}],
                    "tenders": [card(108870)]}, new_key()
    platform.proxy.swallow_next(r"/capture$")
    with pytest.raises(Unavailable):
        terminal.create_sale(request, key)
    assert db.scalar("select state from tenders") == "authorized"
    event = stripe_client.v1.events.list(params={"type": "payment_intent.succeeded"}).data[0]
    assert as_().payments.stripe_webhook(*signed(event.to_dict()))["outcome"] == "captured"
    assert db.scalar("select state from tenders") == "captured"
    view = terminal.create_sale(request, key)
    assert view["status"] == "completed"
    captures = [r for r in platform.proxy.requests if r[1].endswith("/capture")]
    assert len(captures) == 1                  # the retry did not capture again
    assert len(db.events("payment.captured")) == 1
