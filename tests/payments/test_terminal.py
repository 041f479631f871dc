"""Card-present payments on a store's Stripe Terminal reader (server-driven),
with the real stripe SDK against the Terminal simulator in front of
localstripe: a tap completes the sale with one capture, a decline or the
counter's cancel gives everything back, a late or repeated webhook never
charges twice and the sale completes by asking Stripe; a keyed-in card that
needs authentication waits with its next step."""
import json
import urllib.request
from datetime import timedelta

import pytest
import stripe
from marshmallow import ValidationError

from chassis.clock import now
from chassis.errors import Forbidden, InvalidInput, NotFound
from contracts.rpc.payments import TenderInput, sale_http_status
from services.payments import saga, sweeper
from services.payments.tender_checks import Terms, check_tenders
from tests.conftest import wait_for

from .conftest import API_KEY, ASSOCIATE_A, ASSOCIATE_B, MANAGER_A, STORE_A, STORE_B, card, cash, new_key, usd

DECLINED_CARD = "4000000000000002"


def reader_card(amount, reader_id):
    return {"method": "card", "amount": usd(amount), "reader_id": reader_id}


def sale(items, tenders):
    return {"store_id": STORE_A, "lines": [{"item_id": i} for i in items], "tenders": tenders}


@pytest.fixture
def sim(platform, as_):
    """The simulator, its webhooks delivered to payments as Stripe would."""
    hook = as_().payments.stripe_webhook
    platform.terminal.deliver = lambda payload, signature: hook(payload, signature)
    return platform.terminal


@pytest.fixture
def register(as_, sim):
    def make(label="Counter 1", identity=MANAGER_A, store_id=STORE_A, code="simulated-wpe"):
        return as_(identity).payments.register_reader(
            {"store_id": store_id, "registration_code": code, "label": label})
    return make


@pytest.fixture
def tap(sim):
    """The cardholder presents a test card on the simulated reader."""
    client = stripe.StripeClient(API_KEY, base_addresses={"api": sim.url}, max_network_retries=0)

    def present(reader, number="4242424242424242"):
        return client.v1.test_helpers.terminal.readers.present_payment_method(
            reader["stripe_reader_id"], params={"type": "card_present",
                                                "card_present": {"number": number}})
    return present


def calls(sim, suffix):
    return [p for m, p in sim.calls if m == "POST" and p.endswith(suffix)]


def test_readers_are_registered_and_seen_per_store(register, as_, sim):
    first = register("Counter 1")
    second = register("Counter 2")
    assert first["store_id"] == STORE_A and first["stripe_reader_id"].startswith("tmr_")
    assert len(sim.locations) == 1 and second["location"] == first["location"]
    listed = as_(ASSOCIATE_A).payments.list_readers()["items"]
    assert [r["label"] for r in listed] == ["Counter 1", "Counter 2"]
    assert as_(ASSOCIATE_B).payments.list_readers()["items"] == []
    with pytest.raises(Forbidden):
        as_(ASSOCIATE_B).payments.list_readers(STORE_A)
    with pytest.raises(Forbidden):              # registering is a manager's
        register("Mine", identity=ASSOCIATE_A)
    with pytest.raises(Forbidden):
        register("Theirs", store_id=STORE_B)
    with pytest.raises(InvalidInput) as err:
        register("Bad", code="not-a-code")
    assert "registration_code" in err.value.errors


def test_a_tap_completes_the_sale_with_one_capture_even_when_the_webhook_comes_twice(
        platform, db, idb, as_, receive, register, tap, sim):
    sim.webhooks = "twice"
    reader = register()
    item = receive(1, price=100000)[0]
    counter, key = as_(ASSOCIATE_A).payments, new_key()
    request = sale([item], [reader_card(108870, reader["id"])])
    view = counter.create_sale(request, key)

    assert view["status"] == "pending" and sale_http_status(view) == 202
    tender = view["tenders"][0]
    assert tender["state"] == "waiting_for_reader"
    assert tender["next_action"] == {"type": "present_card", "reader_id": reader["id"],
                                     "reader_label": "Counter 1"}
    assert counter.create_sale(request, key)["status"] == "pending"    # asked again: waits

    tap(reader)
    wait_for(lambda: db.scalar("select status from sales") == "completed",
             message="the webhook drove the sale on")
    wait_for(lambda: sim.sent.count("terminal.reader.action_succeeded") == 2, message="twice")
    view = counter.create_sale(request, key)
    assert view["status"] == "completed" and sale_http_status(view) == 201
    assert view["tenders"][0]["state"] == "captured" and view["tenders"][0]["card"]["last4"] == "4242"
    assert len(sim.intents) == 1 and len(calls(sim, "/process_payment_intent")) == 1
    assert len(calls(sim, "/capture")) == 1
    assert db.all("select outcome from stripe_events where type like 'terminal%'") == [("authorized",)]
    assert len(db.events("payment.captured")) == 1
    assert idb.scalar("select status from items") == "sold"
    # a return refunds the card that was tapped, as any card
    back = as_(MANAGER_A).payments.create_return(view["id"], {"item_ids": [item]}, new_key())
    assert back["state"] == "completed"
    assert db.scalar("select state from tenders") == "refunded"
    assert sim.intents[view["tenders"][0]["card"]["payment_intent"]]["latest_charge"][
        "amount_refunded"] == 108870


def test_a_reader_is_for_a_sales_card_in_the_stores_currency():
    """Checked before anything exists: a layaway's or deposit's card (no
    reader look-up in its terms), another store's reader, a reader with a
    payment_method."""
    tender = {"method": "card", "amount": usd(1000), "reader_id": "7e000000-0000-4000-8000-000000000001"}
    errors = {}
    check_tenders(Terms(currency="USD"), [tender], 1000, errors)
    assert errors == {"tenders.0.reader_id": ["a card on a reader pays a sale only"]}
    errors = {}
    check_tenders(Terms(currency="USD", reader=lambda reader_id: None), [tender], 1000, errors)
    assert "no such reader" in errors["tenders.0.reader_id"][0]
    with pytest.raises(ValidationError) as err:
        TenderInput().load(dict(tender, payment_method="pm_card_visa"))
    assert "reader_id" in err.value.messages


def test_a_declined_tap_fails_the_tender_and_releases_the_pieces(
        platform, db, idb, as_, receive, register, tap, sim):
    reader = register()
    item = receive(1, price=100000)[0]
    view = as_(ASSOCIATE_A).payments.create_sale(
        sale([item], [cash(8870), reader_card(100000, reader["id"])]), new_key())
    assert view["status"] == "pending"

    tap(reader, DECLINED_CARD)
    wait_for(lambda: db.scalar("select status from sales") == "failed", message="given back")
    view = as_(ASSOCIATE_A).payments.get_sale(view["id"])
    assert view["failure_code"] == "payment_declined" and sale_http_status(view) == 402
    assert "declined" in view["tenders"][1]["failure_reason"]
    assert [t["state"] for t in view["tenders"]] == ["refunded", "failed"]
    assert idb.scalar("select status from items") == "in_stock"
    assert [pi["status"] for pi in sim.intents.values()] == ["canceled"]
    assert calls(sim, "/capture") == []
    wait_for(lambda: len(sim.sent) == 2, message="both events delivered")
    assert sorted(db.all("select type, outcome from stripe_events")) == [
        ("payment_intent.payment_failed", "declined"),
        ("terminal.reader.action_failed", "already_known")]


def test_a_reader_that_never_answers_is_cancelled_at_the_counter(
        platform, db, idb, as_, receive, register, sim):
    sim.webhooks = "never"
    reader = register()
    item = receive(1, price=100000)[0]
    counter, key = as_(ASSOCIATE_A).payments, new_key()
    request = sale([item], [reader_card(108870, reader["id"])])
    view = counter.create_sale(request, key)
    for _ in range(2):                       # the counter asks again: one intent, one hand-over
        assert counter.create_sale(request, key)["status"] == "pending"
    assert len(sim.intents) == 1 and len(calls(sim, "/process_payment_intent")) == 1
    with pytest.raises(NotFound):            # another store's sale is not theirs to stop
        as_(ASSOCIATE_B).payments.stop_waiting(view["id"])

    view = counter.stop_waiting(view["id"])
    assert view["status"] == "failed" and view["failure_code"] == "payment_declined"
    assert view["tenders"][0]["state"] == "failed"
    assert view["tenders"][0]["failure_reason"] == "cancelled at the counter"
    assert sim.readers[reader["stripe_reader_id"]]["action"] is None
    assert [pi["status"] for pi in sim.intents.values()] == ["canceled"]
    assert idb.scalar("select status from items") == "in_stock"
    assert counter.create_sale(request, key)["status"] == "failed"      # the first result
    assert len(sim.intents) == 1


def test_a_late_webhook_never_charges_twice_and_polling_completes_the_sale(
        platform, db, idb, as_, receive, register, tap, sim, domain):
    sim.webhooks = "late"
    reader, other = register(), register("Counter 2")
    a, b = receive(2, price=100000)
    counter, key = as_(ASSOCIATE_A).payments, new_key()
    request = sale([a], [reader_card(108870, reader["id"])])
    counter.create_sale(request, key)
    tap(reader)

    view = counter.create_sale(request, key)         # no webhook yet: Stripe is asked
    assert view["status"] == "completed" and view["tenders"][0]["state"] == "captured"
    sim.deliver_held(times=2)                        # the webhooks come late, twice
    assert sorted(db.all("select outcome from stripe_events where type like 'terminal%'")) == \
        [("already_known",)]
    assert len(calls(sim, "/capture")) == 1 and len(db.events("payment.captured")) == 1

    # a second sale's tap, its webhook lost: the sweeper asks the reader and completes it;
    # a third that nobody taps is given back once TERMINAL_WAIT_SECONDS have passed
    sim.webhooks = "never"
    second = counter.create_sale(sale([b], [reader_card(108870, other["id"])]), new_key())
    tap(other)
    c = receive(1, price=100000)[0]
    third = counter.create_sale(sale([c], [reader_card(108870, reader["id"])]), new_key())
    report = sweeper.sweep(domain(), at=now() + timedelta(minutes=3))
    assert report["sales"] == {second["id"]: "completed", third["id"]: "pending"}
    report = sweeper.sweep(domain(), at=now() + timedelta(minutes=10))
    assert report["sales"] == {third["id"]: "failed"}
    assert idb.all("select status from items order by status") == \
        [("in_stock",), ("sold",), ("sold",)]
    assert len(calls(sim, "/capture")) == 2


def test_a_keyed_in_card_that_needs_authentication_waits_with_its_next_step(
        platform, db, as_, receive, sandbox, stripe_client):
    pm = stripe_client.v1.payment_methods.create(params={
        "type": "card", "card": {"number": "4000002760003184", "exp_month": 12,
                                 "exp_year": 2030, "cvc": "123"}})
    item = receive(1, price=100000)[0]
    counter, key = as_(ASSOCIATE_A).payments, new_key()
    request = sale([item], [card(108870, pm.id)])
    view = counter.create_sale(request, key)

    assert view["status"] == "pending" and sale_http_status(view) == 202
    tender = view["tenders"][0]
    assert tender["state"] == "requires_action"
    step = tender["next_action"]
    assert step["type"] == "use_stripe_sdk" and step["client_secret"].startswith(step["payment_intent"])
    # the cardholder authenticates (Stripe.js with the client secret), then the counter asks again
    body = json.dumps({"client_secret": step["client_secret"], "success": True}).encode()
    urllib.request.urlopen(urllib.request.Request(
        f"{sandbox.url}/v1/payment_intents/{step['payment_intent']}/_authenticate", data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"}),
        timeout=5).read()
    view = counter.create_sale(request, key)
    assert view["status"] == "completed" and view["tenders"][0]["state"] == "captured"
    assert view["tenders"][0]["next_action"] is None


def test_the_counter_asking_again_past_the_wait_gets_the_sale_given_back(
        platform, db, idb, as_, receive, register, sim, domain):
    sim.webhooks = "never"
    reader = register()
    item = receive(1, price=100000)[0]
    view = as_(ASSOCIATE_A).payments.create_sale(
        sale([item], [reader_card(108870, reader["id"])]), new_key())
    assert saga.run(domain(ASSOCIATE_A), view["id"])["status"] == "pending"     # within the wait
    view = saga.run(domain(ASSOCIATE_A, terminal_wait_seconds=0), view["id"])
    assert view["status"] == "failed"
    assert view["tenders"][0]["failure_reason"] == "no card was presented in time"
    assert sim.readers[reader["stripe_reader_id"]]["action"] is None
    assert idb.scalar("select status from items") == "in_stock"
