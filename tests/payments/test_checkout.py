"""The checkout saga against the real inventory service and the real stripe
SDK on localstripe: split tenders, compensation, the 20-terminal race,
crash recovery by the sweeper, a Stripe timeout retried, idempotency."""
from datetime import timedelta

import eventlet
import pytest

from chassis.clock import now
from chassis.errors import Conflict, InvalidInput, Unavailable
from chassis.validation import load
from contracts.rpc.payments import SaleRequest, sale_http_status
from services.payments import saga, sweeper

from .conftest import (
    ASSOCIATE_A,
    ASSOCIATE_B,
    CLIENT,
    DECLINED,
    MANAGER_A,
    STORE_A,
    STORE_B,
    card,
    cash,
    new_key,
    payment_intents,
    usd,
)


def sale(items, tenders, store_id=STORE_A, **extra):
    return {"store_id": store_id, "lines": [{"item_id": i} for i in items], "tenders": tenders,
            **extra}


def test_split_tenders_complete_the_sale_and_sell_the_pieces(platform, db, idb, as_, receive,
                                                               stripe_client):
    a, b = receive(2, price=100000)
    terminal = as_(ASSOCIATE_A).payments
    # 200,000 less a 10 % discount on b = 190,000; tax 8.87 % = 16,853 -> 206,853
    request = {"store_id": STORE_A, "client_id": CLIENT,
               "lines": [{"item_id": a},
                         {"item_id": b, "discount": {"percent_bps": 1000, "reason": "anniversary"}}],
               "tenders": [card(150000), cash(56853, received=usd(60000))]}
    view = terminal.create_sale(request, new_key())

    assert view["status"] == "completed" and sale_http_status(view) == 201
    assert (view["subtotal"], view["tax"], view["total"]) == (usd(190000), usd(16853), usd(206853))
    assert view["lines"][1]["discount"] == {"amount": usd(10000), "reason": "anniversary"}
    assert view["receipt_number"] == "NYC-000001"
    assert view["change_due"] == usd(3147)
    assert [t["state"] for t in view["tenders"]] == ["captured", "captured"]
    intents = payment_intents(stripe_client)
    assert [(pi.amount, pi.status, pi.metadata["tender_key"]) for pi in intents] == \
        [(150000, "succeeded", f"{view['id']}:0")]
    assert idb.scalar("select count(*) from items where status = 'sold'") == 2
    completed = db.events("sale.completed")
    assert len(completed) == 1 and completed[0]["total"] == usd(206853)
    assert len(db.events("payment.captured")) == 2
    # the next receipt of the store follows on
    c = receive(1, price=5000)[0]
    assert terminal.create_sale(sale([c], [cash(5444)]))["receipt_number"] == "NYC-000002"


def test_declined_card_after_cash_gives_the_cash_back_and_releases_the_pieces(
        platform, db, idb, as_, receive, stripe_client):
    a, b = receive(2, price=100000)
    view = as_(ASSOCIATE_A).payments.create_sale(
        sale([a, b], [cash(17740), card(200000, DECLINED)]), new_key())

    assert view["status"] == "failed" and view["failure_code"] == "payment_declined"
    assert "declined" in view["failure_reason"]
    assert sale_http_status(view) == 402
    assert [t["state"] for t in view["tenders"]] == ["refunded", "failed"]
    assert view["tenders"][0]["refunds"][0]["amount"] == usd(17740)
    assert idb.scalar("select count(*) from items where status = 'in_stock'") == 2
    assert idb.scalar("select count(*) from sale_holds where state = 'released'") == 2
    assert [pi.status for pi in payment_intents(stripe_client)] == ["requires_payment_method"]
    assert db.events("sale.failed")[0]["failure_code"] == "payment_declined"
    assert [e["method"] for e in db.events("payment.refunded")] == ["cash"]
    assert db.events("sale.completed") == []


def test_twenty_terminals_selling_one_piece_make_one_sale_and_one_charge(
        platform, db, idb, as_, receive, stripe_client):
    item = receive(1, price=100000)[0]
    terminals = [as_(ASSOCIATE_A) for _ in range(4)]
    calls = [terminals[n % 4].payments.create_sale.call_async(
        sale([item], [card(108870)]), new_key()) for n in range(20)]
    statuses, losers = [], []
    for call in calls:
        try:
            view = call.result()
        except Conflict as exc:     # seen taken up front: refused before any sale exists
            statuses.append(exc.status)
            continue
        statuses.append(sale_http_status(view))
        if view["status"] != "completed":   # lost the race at the reservation
            losers.append(view)
            assert view["failure_code"] == "piece_unavailable"
            assert all(t["state"] == "voided" for t in view["tenders"])

    assert statuses.count(201) == 1 and statuses.count(409) == 19
    intents = payment_intents(stripe_client)
    assert len(intents) == 1 and intents[0].status == "succeeded"
    assert idb.scalar("select status from items") == "sold"
    assert db.scalar("select count(*) from sales where status = 'completed'") == 1


def test_a_crash_between_capture_and_completion_is_finished_by_the_sweeper(
        platform, db, idb, domain, receive, stripe_client):
    item = receive(1, price=100000)[0]

    def crash(**kwargs):
        raise SystemExit("the payments process died right after Stripe captured")

    ctx = domain(ASSOCIATE_A, hooks={"after_capture": crash})
    data = load(SaleRequest(), sale([item], [card(108870)]))
    with pytest.raises(SystemExit):          # the service's own saga, stopped after capture
        saga.create_sale(ctx, data, new_key(), "h")
    sale_id = db.scalar("select id::text from sales")
    assert db.scalar("select status from sales") == "pending"
    assert db.scalar("select state from tenders") == "authorized"    # the capture is not recorded
    assert [pi.status for pi in payment_intents(stripe_client)] == ["succeeded"]
    assert idb.scalar("select status from items") == "reserved"

    # nothing happens before the lease and the bound have passed
    assert sweeper.sweep(domain())["sales"] == {}
    report = sweeper.sweep(domain(), at=now() + timedelta(minutes=10))
    assert report["sales"] == {sale_id: "completed"}

    assert db.scalar("select status from sales") == "completed"
    assert db.scalar("select state from tenders") == "captured"
    intents = payment_intents(stripe_client)
    assert len(intents) == 1 and intents[0].status == "succeeded"
    assert len([r for r in platform.proxy.requests if r[1].endswith("/capture")]) == 1
    assert idb.scalar("select status from items") == "sold"
    assert len(db.events("sale.completed")) == 1
    assert len(db.events("payment.captured")) == 1
    # sweeping again changes nothing
    assert sweeper.sweep(domain(), at=now() + timedelta(minutes=20))["sales"] == {}


def test_a_crash_before_every_tender_was_taken_is_given_back_by_the_sweeper(
        platform, db, idb, domain, receive, stripe_client):
    item = receive(1, price=100000)[0]

    def crash(tender_id, **kwargs):
        raise SystemExit("died after taking the cash, before the card")

    ctx = domain(ASSOCIATE_A, hooks={"after_tender": crash})
    with pytest.raises(SystemExit):
        saga.create_sale(ctx, load(SaleRequest(), sale([item], [cash(8870), card(100000)])),
                          new_key(), "h")
    assert db.all("select method, state from tenders order by position") == \
        [("cash", "captured"), ("card", "pending")]

    report = sweeper.sweep(domain(), at=now() + timedelta(minutes=10))
    assert list(report["sales"].values()) == ["failed"]
    assert db.scalar("select failure_code from sales") == "abandoned"
    assert db.all("select method, state from tenders order by position") == \
        [("cash", "refunded"), ("card", "voided")]
    assert idb.scalar("select status from items") == "in_stock"
    assert payment_intents(stripe_client) == []


@pytest.mark.parametrize("lost", ["confirm", "capture"])
def test_a_stripe_timeout_then_the_same_request_again_makes_one_payment_intent(
        lost, platform, db, idb, as_, receive, stripe_client):
    item = receive(1, price=100000)[0]
    terminal = as_(ASSOCIATE_A).payments
    request, key = sale([item], [card(108870)]), new_key()
    platform.proxy.swallow_next(rf"^/v1/payment_intents/[^/]+/{lost}$")

    with pytest.raises(Unavailable):
        terminal.create_sale(request, key)
    assert db.scalar("select status from sales") == "pending"
    assert [pi.status for pi in payment_intents(stripe_client)] == \
        ["requires_capture" if lost == "confirm" else "succeeded"]

    view = terminal.create_sale(request, key)
    assert view["status"] == "completed"
    intents = payment_intents(stripe_client)
    assert len(intents) == 1 and intents[0].id == view["tenders"][0]["card"]["payment_intent"]
    assert platform.proxy.swallowed() and len([r for r in platform.proxy.requests
                                               if r[1] == "/v1/payment_intents"]) == 1
    assert idb.scalar("select status from items") == "sold"
    assert db.scalar("select count(*) from sales") == 1


def test_the_same_idempotency_key_answers_the_first_result(platform, db, as_, receive,
                                                           stripe_client):
    item = receive(1, price=100000)[0]
    terminal = as_(ASSOCIATE_A).payments
    key = new_key()
    first = terminal.create_sale(sale([item], [card(108870)]), key)
    again = terminal.create_sale(sale([item], [card(108870)]), key)
    assert again == first
    with pytest.raises(Conflict):
        terminal.create_sale(sale([item], [cash(108870)]), key)
    assert len(payment_intents(stripe_client)) == 1
    assert db.scalar("select count(*) from sales") == 1
    # a sale that failed answers its failure again, the same way
    other = receive(1, price=100000)[0]
    key = new_key()
    failed = terminal.create_sale(sale([other], [cash(8870), card(100000, DECLINED)]), key)
    assert failed["status"] == "failed"
    assert terminal.create_sale(sale([other], [cash(8870), card(100000, DECLINED)]), key) == failed
    assert len(payment_intents(stripe_client)) == 2


def test_bad_input_is_refused_with_nothing_reserved_and_nothing_charged(
        platform, db, idb, as_, receive, stripe_client):
    item = receive(1, price=100000)[0]
    other = receive(1, store_id=STORE_B)[0]
    big = receive(1, price=1500000)[0]
    cases = {
        "sum": (sale([item], [card(100000)]), "tenders"),
        "negative": (sale([item], [card(-5), card(108875)]), "tenders.0.amount.amount"),
        "currency": (sale([item], [card(108870, currency="EUR")]), "tenders.0.amount.currency"),
        "other_store": (sale([other], [card(108870)]), "lines.0.item_id"),
        "unknown_piece": (sale(["00000000-0000-4000-8000-000000000000"], [card(108870)]),
                          "lines.0.item_id"),
        "no_rate": (sale([item], [card(108870) | {"currency": "EUR"}]), "tenders.0.fx_rate"),
        "big_cash_anonymous": (sale([big], [cash(1633050)]), "client_id"),
        "not_a_line": (sale([item], [card(108870)]) | {"lines": [{"item_id": item, "amount": usd(5)}]},
                       "lines.0._schema"),
    }
    terminal = as_(ASSOCIATE_A).payments
    for case, (request, field) in cases.items():
        with pytest.raises(InvalidInput) as err:
            terminal.create_sale(request, new_key())
        assert field in err.value.errors, (case, err.value.errors)
    assert db.scalar("select count(*) from sales") == 0
    assert db.scalar("select count(*) from tenders") == 0
    assert idb.scalar("select count(*) from items where status <> 'in_stock'") == 0
    assert payment_intents(stripe_client) == []


def test_a_card_in_another_currency_is_charged_at_the_recorded_rate(platform, db, as_, receive,
                                                                    stripe_client):
    """Issue 17: the rate is HQ's (passed by the gateway beside the request),
    never the counter's: a tender's own fx_rate is refused."""
    item = receive(1, price=100000)[0]
    terminal = as_(ASSOCIATE_A).payments
    hq = {"reporting_currency": "USD", "rates": {"EUR": "1.25"}}      # 1 EUR = 1.25 USD
    with pytest.raises(InvalidInput) as err:
        terminal.create_sale(sale([item], [card(108870) | {"currency": "EUR", "fx_rate": "0.0001"}]),
                             new_key(), hq_fx_rates=hq)
    assert "HQ's" in err.value.errors["tenders.0.fx_rate"][0]
    assert db.scalar("select count(*) from sales") == 0 and payment_intents(stripe_client) == []

    view = terminal.create_sale(sale([item], [card(108870) | {"currency": "EUR"}]), new_key(),
                                hq_fx_rates=hq)
    assert view["status"] == "completed"
    assert view["tenders"][0]["charge"] == {"amount": usd(87096, "EUR"), "fx_rate": "0.8"}
    pi = payment_intents(stripe_client)[0]
    assert (pi.amount, pi.currency) == (87096, "eur")
    assert db.events("payment.captured")[0]["charge"] == usd(87096, "EUR")


def test_a_card_in_a_currency_hq_has_no_rate_for_is_refused(platform, db, as_, receive,
                                                            stripe_client):
    item = receive(1, price=100000)[0]
    with pytest.raises(InvalidInput) as err:
        as_(ASSOCIATE_A).payments.create_sale(
            sale([item], [card(108870) | {"currency": "JPY"}]), new_key(),
            hq_fx_rates={"reporting_currency": "USD", "rates": {"EUR": "1.25"}})
    assert "HQ must record one" in err.value.errors["tenders.0.fx_rate"][0]
    assert db.scalar("select count(*) from sales") == 0 and payment_intents(stripe_client) == []


def test_a_sold_piece_is_a_clear_conflict_before_anything_happens(platform, db, as_, receive):
    item = receive(1, price=100000)[0]
    terminal = as_(ASSOCIATE_A).payments
    assert terminal.create_sale(sale([item], [cash(108870)]))["status"] == "completed"
    with pytest.raises(Conflict) as err:
        terminal.create_sale(sale([item], [cash(108870)]))
    assert "sold" in str(err.value)
    assert db.scalar("select count(*) from sales") == 1
    eventlet.sleep(0)


def test_a_crash_between_reserving_and_completing_a_cash_sale_is_given_back(
        platform, db, idb, domain, receive):
    """Cash is taken with the completion in one transaction: a crash before it
    leaves nothing taken, and the sweeper releases the reserved piece."""
    item = receive(1, price=100000)[0]

    def crash(sale_id, **kwargs):
        raise SystemExit("died after reserving the piece")

    ctx = domain(ASSOCIATE_A, hooks={"after_reserve": crash})
    with pytest.raises(SystemExit):
        saga.create_sale(ctx, load(SaleRequest(), sale([item], [cash(108870)])), new_key(), "h")
    assert db.all("select status, reserved_at is null from sales") == [("pending", True)]
    assert db.all("select method, state from tenders") == [("cash", "pending")]
    assert idb.scalar("select status from items") == "reserved"

    report = sweeper.sweep(domain(), at=now() + timedelta(minutes=10))
    assert list(report["sales"].values()) == ["failed"]
    assert db.all("select method, state from tenders") == [("cash", "voided")]
    assert idb.scalar("select status from items") == "in_stock"
    assert db.events("payment.captured") == [] and db.events("sale.completed") == []


def test_a_cash_sale_completes_in_one_pass_and_gives_its_lease_back(db, idb, as_, receive):
    item = receive(1, price=100000)[0]
    view = as_(ASSOCIATE_A).payments.create_sale(sale([item], [cash(108870)]), new_key())
    assert view["status"] == "completed" and view["receipt_number"]
    assert view["tenders"][0]["state"] == "captured" and view["change_due"]["amount"] == 0
    assert db.all("select step, lease_until is null, reserved_at is not null, "
                  "pieces_confirmed_at is not null, followups_done_at is not null from sales") == \
        [("completed", True, True, True, True)]
    assert idb.scalar("select status from items") == "sold"
    assert view == as_(ASSOCIATE_A).payments.get_sale(view["id"])


def test_an_idempotency_key_is_its_callers_in_its_store(platform, db, as_, receive):
    """Issue 17: keys were global: store B's sale with a key store A used got
    409. A key is unique per store and user; the same caller's repeat still
    answers the first result."""
    a, a2 = receive(2, price=100000)
    b = receive(1, store_id=STORE_B, price=100000)[0]
    key = new_key()
    first = as_(ASSOCIATE_A).payments.create_sale(sale([a], [cash(108870)]), key)
    other_store = as_(ASSOCIATE_B).payments.create_sale(sale([b], [cash(107000)], STORE_B), key)
    assert other_store["status"] == "completed" and other_store["id"] != first["id"]
    other_user = as_(MANAGER_A).payments.create_sale(sale([a2], [cash(108870)]), key)
    assert other_user["status"] == "completed" and other_user["id"] != first["id"]
    assert as_(ASSOCIATE_A).payments.create_sale(sale([a], [cash(108870)]), key) == first
    with pytest.raises(Conflict):
        as_(ASSOCIATE_A).payments.create_sale(sale([a2], [cash(108870)]), key)
    assert db.scalar("select count(*) from sales") == 3
    assert db.scalar("select count(distinct created_by) from sales") == 3


def test_a_retry_while_another_worker_drives_the_sale_gets_its_state_and_then_the_sale(
        platform, db, idb, domain, receive, stripe_client):
    """A worker that died mid-sale keeps the lease for one short lease at most: a
    retry meanwhile gets the sale's state (202, never an error), and after it
    resumes the sale. A worker that is alive but slow keeps renewing its lease."""
    item, slow_item = receive(2, price=100000)
    lease = 1

    def crash(**kwargs):
        raise SystemExit("the payments process died after holding the piece")

    data = load(SaleRequest(), sale([item], [card(108870)]))
    key = new_key()
    with pytest.raises(SystemExit):
        saga.create_sale(domain(ASSOCIATE_A, hooks={"after_reserve": crash},
                                saga_lease_seconds=lease), data, key, "h")
    retry = domain(ASSOCIATE_A, saga_lease_seconds=lease)
    early = saga.create_sale(retry, data, key, "h")
    assert early["status"] == "pending" and sale_http_status(early) == 202, early
    eventlet.sleep(lease + 0.2)
    done = saga.create_sale(retry, data, key, "h")
    assert done["status"] == "completed" and done["id"] == early["id"]
    assert idb.scalar("select status from items where id = :i", i=item) == "sold"

    # alive but slow: held three leases long by its card; the lease is renewed meanwhile
    slow = load(SaleRequest(), sale([slow_item], [card(108870)]))
    slow_key = new_key()
    driver = eventlet.spawn(saga.create_sale, domain(
        ASSOCIATE_A, hooks={"after_reserve": lambda **kw: eventlet.sleep(3 * lease)},
        saga_lease_seconds=lease), slow, slow_key, "h")
    eventlet.sleep(2 * lease)
    meanwhile = saga.create_sale(domain(ASSOCIATE_A, saga_lease_seconds=lease), slow, slow_key, "h")
    assert meanwhile["status"] == "pending", meanwhile          # not driven a second time
    assert driver.wait()["status"] == "completed"
    assert db.scalar("select count(*) from sales where status = 'completed'") == 2
    assert len([r for r in platform.proxy.requests if r[1].endswith("/capture")]) == 2
    assert db.scalar("select count(*) from sales where lease_until is not null") == 0
