"""Faults, on the whole chain running as processes: each ends with nothing
lost and nothing done twice.

The shared RabbitMQ and PostgreSQL of the machine are never restarted: the
chain reaches the broker, and inventory its database, through TCP proxies
of the test (``tests.support.proxy``) that cut every connection and refuse
new ones, which is an outage as the services see it. Stripe is localstripe
behind an HTTP proxy that can swallow an answer.
"""
import json
import os
import signal
import time
import uuid

import eventlet
import pytest
import requests
import stripe
from kombu import Connection

from chassis.outbox import event_exchange
from tests.support.e2e import STRIPE_KEY, amqp_uri, wait_until

pytestmark = pytest.mark.faults

CHAIN = {"name": "faults", "broker_proxy": True, "db_proxy": ("inventory",),
         "stripe_proxy": True,
         # a sale whose worker was interrupted is resumed by a retry once its lease ends
         "env": {"SAGA_LEASE_SECONDS": "3", "SWEEP_AFTER_SECONDS": "1"}}
TAX = 887
HANDLER_QUEUE = "evt-payments-sale.completed--crm.on_sale_completed"


def usd(amount):
    return {"amount": amount, "currency": "USD"}


def with_tax(amount):
    return amount + (2 * amount * TAX + 10000) // 20000


def key():
    return {"Idempotency-Key": str(uuid.uuid4())}


class Shop:
    """One store, its manager and seller, and helpers to make pieces and clients."""

    def __init__(self, chain):
        self.chain = chain
        admin = chain.admin
        store = admin.ok("POST", "/stores", {"code": "FLT", "name": "Fault Lane", "currency": "USD",
                                             "timezone": "America/New_York", "tax_rate_bps": TAX}, 201)
        self.store_id = store["id"]
        for component in ("inventory", "crm", "workorders", "payments", "notifications"):
            wait_until(lambda c=component: chain.db(c).scalar(
                "select count(*) from stores where id = :s", s=self.store_id),
                message=f"the store known to {component}")
        self.manager = admin.user("store_manager", [self.store_id])
        self.seller = admin.user("sales_associate", [self.store_id])

    def piece(self, price=100000):
        return self.manager.ok("POST", "/items", {
            "store_id": self.store_id, "category": "ring", "description": "Fault-tested ring",
            "metal": {"type": "gold", "karat": 14, "weight_g": "2.500"},
            "cost": usd(price // 2), "price": usd(price)}, 201)

    def client(self, phone=None, sms=False):
        body = {"first_name": "Faye", "last_name": f"Test{uuid.uuid4().hex[:6]}",
                "home_store_id": self.store_id, "consent": {"sms": sms, "email": False}}
        if phone:
            body["phone"] = phone
        return self.seller.ok("POST", "/clients", body, 201)

    def sale(self, item, client, tender="cash", idempotency_key=None):
        total = with_tax(item["price"]["amount"])
        tenders = [{"method": "cash", "amount": usd(total)}] if tender == "cash" else \
            [{"method": "card", "amount": usd(total), "payment_method": "pm_card_visa"}]
        body = {"store_id": self.store_id, "client_id": client["id"] if client else None,
                "lines": [{"item_id": item["id"]}], "tenders": tenders}
        return self.seller.post("/sales", body, key=idempotency_key or True)


@pytest.fixture(scope="module")
def shop(chain):
    return Shop(chain)


def purchases(chain, sale_id):
    return chain.db("crm").scalar("select count(*) from purchases where sale_id = :s and kind = 'sale'",
                                  s=sale_id)


def queue_idle(chain, name):
    info = chain.queue(name) or {}
    return info.get("messages", 1) == 0 and info.get("messages_unacknowledged", 1) == 0


# --- make run's watcher brings a dead process back ---------------------------------------------

def test_make_runs_watcher_starts_a_killed_service_again_and_the_chain_heals(chain, shop):
    from scripts.keepalive import Keepalive
    lines = []
    keepalive = Keepalive(chain.chain, log=lines.append, first_delay=0.5)
    before = chain.chain.pid("crm")
    os.kill(before, signal.SIGKILL)                  # dies unasked (chain.kill would be asked for)
    wait_until(lambda: keepalive.tick() or chain.chain.pid("crm") != before, timeout=20, interval=0.2,
               message="crm started again")
    assert lines[0].startswith("run: crm-0 exited with code -9; starting it again in 0.5 s"), lines
    assert lines[-1].startswith("run: crm-0 started again (pid "), lines
    chain.wait_healthy(60)
    assert shop.seller.ok("GET", "/clients?limit=1") is not None      # crm answers again


# --- a service killed in the middle of an event handler ----------------------------------------

def test_a_service_killed_mid_handler_gets_the_event_again_and_applies_it_once(chain, shop):
    client = shop.client()
    item = shop.piece(100000)
    crm = chain.db("crm")
    # hold the client's row: crm's handler of the sale locks it, so it stops mid-transaction
    blocker = crm.engine.connect()
    tx = blocker.begin()
    blocker.exec_driver_sql("SELECT id FROM clients WHERE id = %(id)s FOR UPDATE", {"id": client["id"]})
    try:
        reply = shop.sale(item, client)
        assert reply.status_code == 201, reply.text
        sale = reply.json()
        wait_until(lambda: crm.scalar(
            "select count(*) from pg_stat_activity where datname = current_database() "
            "and wait_event_type = 'Lock' and pid <> pg_backend_pid()"),
            message="crm's handler waiting inside its transaction")
        chain.kill("crm")                               # SIGKILL, mid-handler
    finally:
        tx.rollback()
        blocker.close()
    assert purchases(chain, sale["id"]) == 0           # nothing of it was committed

    chain.restart("crm")
    wait_until(lambda: purchases(chain, sale["id"]) == 1, timeout=30,
               message="the sale recorded by crm after its restart")
    wait_until(lambda: queue_idle(chain, HANDLER_QUEUE), message="crm's queue drained")
    assert crm.scalar("select count(*) from loyalty_ledger where sale_id = :s", s=sale["id"]) == 1

    # the same event delivered again (a redelivery after an ack was lost): no second effect
    envelope = chain.db("payments").scalar(
        "select envelope from outbox where event_type = 'sale.completed' "
        "and envelope->'payload'->>'sale_id' = :s", s=sale["id"])
    with Connection(amqp_uri(chain.vhost), transport_options={"confirm_publish": True}) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=event_exchange("payments"), routing_key="sale.completed",
            declare=[event_exchange("payments")], message_id=envelope["event_id"], retry=True)
    wait_until(lambda: crm.scalar("select count(*) from inbox where event_id = :e",
                                  e=envelope["event_id"]) == 1, message="the inbox row")
    wait_until(lambda: queue_idle(chain, HANDLER_QUEUE), message="the duplicate consumed")
    view = shop.seller.ok("GET", f"/clients/{client['id']}")
    assert purchases(chain, sale["id"]) == 1
    assert view["lifetime_value"]["amount"] == sale["total"]["amount"]
    assert view["loyalty_points"] == sale["total"]["amount"] // 100


# --- a broker outage during a burst of sales --------------------------------------------------------

def test_a_broker_outage_during_a_burst_of_sales_loses_no_sale(chain, shop):
    clients = [shop.client() for _ in range(2)]
    items = [shop.piece(50000 + 1000 * i) for i in range(10)]
    before = chain.db("payments").scalar(
        "select count(*) from sales where status = 'completed' and store_id = :s", s=shop.store_id)
    keys = [str(uuid.uuid4()) for _ in items]
    answers = {}

    def sell(i):
        try:
            answers[i] = shop.sale(items[i], clients[i % 2], idempotency_key=keys[i])
        except requests.RequestException as exc:   # a hang would show up here
            answers[i] = exc

    def outage():
        wait_until(lambda: len(answers) >= 2, message="the burst under way")
        chain.broker.cut()                     # the broker is gone for every process
        eventlet.sleep(5.0)                    # longer than an RPC deadline
        chain.broker.restore()

    cutter = eventlet.spawn(outage)
    pool = eventlet.GreenPool(3)
    for i in range(len(items)):
        pool.spawn(sell, i)
    pool.waitall()
    cutter.wait()
    first_round = sorted(getattr(a, "status_code", None) for a in answers.values())
    for i, answer in answers.items():
        assert not isinstance(answer, Exception), f"sale {i}: no answer ({answer})"

    # a process the outage killed is started again (an orchestrator would), so that what
    # follows shows whether anything was lost; that it died at all fails the test below
    died = chain.chain.dead()
    chain.heal()
    chain.wait_healthy(60)
    # every sale not completed is asked again with its key until it has an answer: done
    # (201), or failed for good with nothing kept (then the piece is sold again, afresh)
    def settled(i):
        reply = shop.sale(items[i], clients[i % 2], idempotency_key=keys[i])
        answers[i] = reply
        # 503 (a problem) or 202 (still in flight: its state) means: ask again, same key
        return reply.status_code == 201 or reply.json().get("status") == "failed"
    failed = []
    for i in range(len(items)):
        if answers[i].status_code != 201:
            wait_until(lambda i=i: settled(i), timeout=40, interval=1,
                       message=f"sale {i} settled with its Idempotency-Key")
        if answers[i].status_code != 201:
            sale = answers[i].json()
            failed.append(sale)
            assert all(t["state"] != "captured" for t in sale["tenders"]), sale
            assert shop.seller.ok("GET", f"/items/{items[i]['id']}")["status"] == "in_stock"
            answers[i] = shop.sale(items[i], clients[i % 2])          # a new key: a new sale
    completed = [a.json() for a in answers.values() if a.status_code == 201]
    assert len(completed) == len(items), [(a.status_code, a.text[:200]) for a in answers.values()]

    payments = chain.db("payments")
    assert payments.scalar("select count(*) from sales where status = 'completed' and store_id = :s",
                           s=shop.store_id) - before == len(completed)
    assert len({s["id"] for s in completed}) == len(completed)
    # a follow-up the outage interrupted (the pieces marked sold) is the sweeper's to finish;
    # its timer runs every 30 s: the operator runs it now
    chain.rpc("payments", "sweep")
    for item in items:
        wait_until(lambda item=item: shop.seller.ok("GET", f"/items/{item['id']}")["status"] == "sold",
                   timeout=15, message=f"piece {item['tag']} sold")
    # every completed sale reached crm once
    ids = [s["id"] for s in completed]
    wait_until(lambda: chain.db("crm").scalar(
        "select count(*) from purchases where kind = 'sale' and sale_id = any(:ids)", ids=ids)
        == len(ids), timeout=30, message="every completed sale in crm")
    assert chain.db("crm").scalar("select count(*) from purchases where sale_id = any(:ids)",
                                  ids=ids) == len(ids)
    # and HQ's read model counts them too
    wait_until(lambda: _hq_sales_today(chain, shop.store_id) == before + len(ids), timeout=30,
               message="HQ's sales count")
    # and while the broker was away, every process stayed up, and the answers were the
    # documented ones: a sale done (201), a sale that failed with nothing kept (402, its
    # body), or "unavailable, try again with the same key" (503); never an internal error
    assert not died, f"killed by the broker outage: {died}"
    assert set(first_round) <= {201, 402, 503}, first_round


def _hq_sales_today(chain, store_id):
    reply = chain.admin.get("/hq/summary")
    assert reply.status_code == 200, reply.text
    stores = {s["store_id"]: s for s in reply.json()["stores"]}
    return stores.get(store_id, {}).get("sales_today", {}).get("sales")


# --- one service's database restarted -------------------------------------------------------------

def test_a_database_outage_is_answered_503_at_once_and_heals_without_a_restart(chain, shop):
    item = shop.piece(70000)
    pid = chain.chain.pid("inventory")
    chain.db_proxies["inventory"].cut()
    try:
        reply = shop.seller.get(f"/items/{item['id']}", timeout=8)     # a hang fails here
        assert reply.status_code == 503, reply.text
        assert reply.headers["Content-Type"] == "application/problem+json"
        write = shop.manager.post("/items", {
            "store_id": shop.store_id, "category": "ring", "description": "received in the dark",
            "metal": {"type": "gold", "karat": 14, "weight_g": "2.500"}, "price": usd(1000)},
            timeout=8)
        assert write.status_code == 503, write.text
        health = chain.api.get("/health", timeout=8).json()
        assert health["services"]["inventory"] == "down" and health["status"] == "degraded"
    finally:
        chain.db_proxies["inventory"].restore()
    wait_until(lambda: shop.seller.get(f"/items/{item['id']}").status_code == 200, timeout=30,
               message="inventory answering again")
    assert chain.chain.pid("inventory") == pid                       # healed by itself
    assert chain.db("inventory").scalar(
        "select count(*) from items where description = 'received in the dark'") == 0
    chain.wait_healthy(30)


# --- Stripe times out after capturing -----------------------------------------------------------

def _intents(chain):
    client = stripe.StripeClient(STRIPE_KEY, base_addresses={"api": chain.stripe.url},
                                 max_network_retries=0)
    return client.v1.payment_intents.list(params={"limit": 100}).data


@pytest.mark.parametrize("lost", ["confirm", "capture"])
def test_stripe_timing_out_after_capture_then_a_retry_makes_one_payment(chain, shop, lost):
    client = shop.client()
    item = shop.piece(120000)
    before = {pi.id for pi in _intents(chain)}
    sale_key = str(uuid.uuid4())
    chain.stripe_proxy.swallow_next(rf"^/v1/payment_intents/[^/]+/{lost}$")

    first = shop.sale(item, client, tender="card", idempotency_key=sale_key)
    assert first.status_code == 503, first.text                # the outcome is unknown: not guessed
    assert chain.stripe_proxy.swallowed()
    again = shop.sale(item, client, tender="card", idempotency_key=sale_key)
    assert again.status_code == 201, again.text
    sale = again.json()
    new = [pi for pi in _intents(chain) if pi.id not in before]
    assert len(new) == 1 and new[0].status == "succeeded", new
    assert new[0].id == sale["tenders"][0]["card"]["payment_intent"]
    assert chain.db("payments").scalar("select count(*) from sales where idempotency_key = :k",
                                       k=sale_key) == 1
    wait_until(lambda: purchases(chain, sale["id"]) == 1, message="crm recorded the sale")
    third = shop.sale(item, client, tender="card", idempotency_key=sale_key)
    assert third.status_code == 201 and third.json()["id"] == sale["id"]
    assert len([pi for pi in _intents(chain) if pi.id not in before]) == 1


# --- webhooks replayed and reordered --------------------------------------------------------------

def _stripe_event(kind, obj):
    return {"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": kind,
            "created": int(time.time()), "data": {"object": obj}}


def _post_stripe(chain, event):
    payload = json.dumps(event)
    return chain.api.post("/webhooks/stripe", data=payload, headers={
        "Stripe-Signature": chain.stripe_signature(payload), "Content-Type": "application/json"})


def test_stripe_webhooks_replayed_and_reordered_change_the_state_once(chain, shop):
    client = shop.client()
    item = shop.piece(100000)
    reply = shop.sale(item, client, tender="card")
    assert reply.status_code == 201, reply.text
    sale = reply.json()
    tender = sale["tenders"][0]
    intent = tender["card"]["payment_intent"]
    charge = chain.db("payments").scalar("select provider_charge_id from tenders where id = :t",
                                         t=tender["id"])
    total = sale["total"]["amount"]
    refunded = _stripe_event("charge.refunded", {
        "id": charge, "object": "charge", "payment_intent": intent, "amount": total,
        "amount_refunded": total // 4, "refunded": False})
    disputed = _stripe_event("charge.dispute.created", {
        "id": "dp_" + uuid.uuid4().hex[:12], "object": "dispute", "charge": charge,
        "payment_intent": intent, "amount": total, "reason": "fraudulent"})
    succeeded = _stripe_event("payment_intent.succeeded", {
        "id": intent, "object": "payment_intent", "status": "succeeded", "latest_charge": charge,
        "amount": total, "currency": "usd"})

    outcomes = []
    # newest first, then the old one, then every one again
    for event in (disputed, refunded, succeeded, refunded, disputed, succeeded):
        answer = _post_stripe(chain, event)
        assert answer.status_code == 200, answer.text
        outcomes.append(answer.json()["outcome"])
    assert outcomes == ["disputed", "refunded", "already_known", "duplicate", "duplicate",
                        "duplicate"], outcomes
    view = shop.seller.ok("GET", f"/sales/{sale['id']}")
    card = view["tenders"][0]
    assert card["refunded"] == usd(total // 4) and card["card"]["disputed"] is True, card
    assert card["state"] == "captured"
    payments = chain.db("payments")
    for kind in ("payment.refunded", "payment.disputed"):
        assert payments.scalar(
            "select count(*) from outbox where event_type = :k "
            "and envelope->'payload'->>'payment_id' = :t", k=kind, t=tender["id"]) == 1, kind
    bad = chain.api.post("/webhooks/stripe", data=json.dumps(refunded),
                         headers={"Stripe-Signature": "t=1,v1=deadbeef"})
    assert bad.status_code == 400


def test_twilio_callbacks_replayed_and_reordered_move_a_message_forward_once(chain, shop):
    client = shop.client("+1 212 555 0177", sms=True)
    wait_until(lambda: chain.db("notifications").scalar(
        "select count(*) from contacts where client_id = :c", c=client["id"]),
        message="notifications knows the client")
    message = shop.seller.ok("POST", "/messages", {"client_id": client["id"], "body": "Ready soon"},
                             201, headers=key())
    sent = wait_until(lambda: chain.twilio.accepted("+12125550177"), message="the text sent")
    sid = sent[0]["_sid"]
    path = f"/webhooks/twilio/status?message_id={message['id']}"
    notifications = chain.db("notifications")

    def callback(status):
        form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": chain.twilio.account_sid,
                "To": "+12125550177", "From": "+15005550006"}
        reply = chain.api.post(path, data=form,
                               headers={"X-Twilio-Signature": chain.twilio_sign(path, form)})
        assert reply.status_code == 200, reply.text
        return reply.json()

    wait_until(lambda: notifications.scalar("select provider_sid from messages where id = :m",
                                            m=message["id"]) == sid, message="the sid recorded")
    results = [callback(s) for s in ("delivered", "sent", "delivered", "queued", "sent")]
    assert [r["recorded"] for r in results] == [True, True, False, True, False], results
    assert {r["status"] for r in results} == {"delivered"}
    view = shop.seller.ok("GET", f"/messages/{message['id']}")
    assert view["status"] == "delivered"
    assert notifications.scalar(
        "select count(*) from outbox where event_type = 'message.status_changed' "
        "and envelope->'payload'->>'message_id' = :m and envelope->'payload'->>'status' = 'delivered'",
        m=message["id"]) == 1
    forged = chain.api.post(path, data={"MessageSid": sid, "MessageStatus": "failed"},
                            headers={"X-Twilio-Signature": "forged"})
    assert forged.status_code == 403
    assert shop.seller.ok("GET", f"/messages/{message['id']}")["status"] == "delivered"


# --- a poison message ------------------------------------------------------------------------------

POISON = """
CREATE OR REPLACE FUNCTION e2e_poison() RETURNS trigger AS $$
BEGIN
  IF NEW.client_id = '{client}' THEN
    RAISE EXCEPTION 'e2e: a bug in crm refuses this purchase';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER e2e_poison BEFORE INSERT ON purchases FOR EACH ROW EXECUTE FUNCTION e2e_poison();
"""
CURE = "DROP TRIGGER IF EXISTS e2e_poison ON purchases; DROP FUNCTION IF EXISTS e2e_poison();"


def test_a_poison_message_is_parked_listed_and_replayed_while_the_queue_flows(chain, shop):
    crm = chain.db("crm")
    victim, bystander = shop.client(), shop.client()
    crm.execute(CURE)
    crm.execute(POISON.format(client=victim["id"]))      # crm has a bug for this one client
    try:
        poisoned = shop.sale(shop.piece(40000), victim)
        assert poisoned.status_code == 201, poisoned.text
        poisoned = poisoned.json()
        parked = wait_until(lambda: [m for m in chain.dead_letters("crm")
                                     if m["body"]["payload"].get("sale_id") == poisoned["id"]],
                            timeout=30, message="the poisoned event parked in crm's dead letters")
        # the queue behind it keeps flowing
        fine = shop.sale(shop.piece(41000), bystander)
        assert fine.status_code == 201, fine.text
        wait_until(lambda: purchases(chain, fine.json()["id"]) == 1, message="the next sale applied")
        assert purchases(chain, poisoned["id"]) == 0
        assert parked[0]["attempts"] == 4 and "a bug in crm" in parked[0]["error"], parked
        assert parked[0]["queue"] == HANDLER_QUEUE
        assert chain.dead_letters("crm") == parked or len(chain.dead_letters("crm")) == len(parked)
    finally:
        crm.execute(CURE)                                   # the fix is deployed

    replayed = chain.replay_dead_letters("crm", [parked[0]["message_id"]])
    assert replayed == [parked[0]["message_id"]]
    wait_until(lambda: purchases(chain, poisoned["id"]) == 1, message="the replayed event applied")
    assert chain.dead_letters("crm") == []
    assert chain.replay_dead_letters("crm") == []
    wait_until(lambda: queue_idle(chain, HANDLER_QUEUE), message="crm's queue drained")
    assert purchases(chain, poisoned["id"]) == 1
    view = shop.seller.ok("GET", f"/clients/{victim['id']}")
    assert view["lifetime_value"]["amount"] == poisoned["total"]["amount"]
