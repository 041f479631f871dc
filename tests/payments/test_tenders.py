"""Every kind of tender and line: gift cards (sold, redeemed, given back),
store credit, loyalty points through crm, work-order balances and deposits,
and how each is given back when a later tender fails."""
import pytest

from chassis.errors import Forbidden, InvalidInput, NotFound
from contracts.rpc.payments import payment_http_status

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
from .fakes import FakeCrm, FakeWorkorders

WORK_ORDER = "d0000000-0000-4000-8000-0000000000d1"


def test_a_gift_card_is_sold_then_pays_part_of_a_sale_then_is_given_back(platform, db, as_,
                                                                          receive):
    terminal = as_(ASSOCIATE_A).payments
    bought = terminal.create_sale({"store_id": STORE_A, "lines": [{"gift_card": {"amount": usd(50000)}}],
                                   "tenders": [cash(50000)]})
    assert bought["status"] == "completed" and bought["tax"] == usd(0)
    code = bought["gift_cards"][0]["code"]
    assert terminal.get_gift_card(code)["balance"] == usd(50000)

    item = receive(1, price=100000)[0]
    spent = terminal.create_sale({"store_id": STORE_A, "lines": [{"item_id": item}],
                                  "tenders": [{"method": "gift_card", "amount": usd(30000),
                                               "gift_card_code": f"{code[:4]}-{code[4:]}".lower()},
                                              card(78870)]})
    assert spent["status"] == "completed"
    assert terminal.get_gift_card(code)["balance"] == usd(20000)

    other = receive(1, price=100000)[0]
    failed = terminal.create_sale({"store_id": STORE_A, "lines": [{"item_id": other}],
                                   "tenders": [{"method": "gift_card", "amount": usd(20000),
                                                "gift_card_code": code}, card(88870, DECLINED)]})
    assert failed["status"] == "failed"
    assert [t["state"] for t in failed["tenders"]] == ["refunded", "failed"]
    card_view = terminal.get_gift_card(code)
    assert card_view["balance"] == usd(20000)
    assert [m["kind"] for m in card_view["movements"]] == ["issued", "redeemed", "redeemed", "refunded"]
    with pytest.raises(InvalidInput) as err:       # more than the balance: refused up front
        terminal.create_sale({"store_id": STORE_A, "lines": [{"item_id": other}],
                              "tenders": [{"method": "gift_card", "amount": usd(108870),
                                           "gift_card_code": code}]})
    assert "tenders.0.amount" in err.value.errors


def test_loyalty_points_are_redeemed_through_crm_and_given_back_on_failure(platform, db, as_,
                                                                           receive):
    FakeCrm.points[CLIENT] = 10000
    terminal = as_(ASSOCIATE_A).payments
    a, b = receive(2, price=100000)
    done = terminal.create_sale({"store_id": STORE_A, "client_id": CLIENT, "lines": [{"item_id": a}],
                                 "tenders": [{"method": "loyalty_points", "amount": usd(5000)},
                                             card(103870)]})
    assert done["status"] == "completed" and done["tenders"][0]["points"] == 5000
    assert FakeCrm.points[CLIENT] == 5000

    failed = terminal.create_sale({"store_id": STORE_A, "client_id": CLIENT, "lines": [{"item_id": b}],
                                   "tenders": [{"method": "loyalty_points", "amount": usd(5000)},
                                               card(103870, DECLINED)]})
    assert failed["status"] == "failed"
    assert FakeCrm.points[CLIENT] == 5000          # the 5,000 taken were given back
    assert ("refund", CLIENT, failed["id"]) in FakeCrm.calls

    too_many = terminal.create_sale({"store_id": STORE_A, "client_id": CLIENT,
                                     "lines": [{"item_id": b}],
                                     "tenders": [{"method": "loyalty_points", "amount": usd(9000)},
                                                 card(99870)]})
    assert too_many["status"] == "failed" and too_many["failure_code"] == "tender_unavailable"
    assert "not enough points" in too_many["failure_reason"]


def test_store_credit_pays_and_is_checked_up_front(platform, db, as_, receive, domain):
    from services.payments import tenders
    ctx = domain(MANAGER_A)
    with ctx.db.transaction() as session:
        tenders.credit(session, ctx.identity, CLIENT, "USD", 20000, "test:goodwill", STORE_A)
    terminal = as_(ASSOCIATE_A).payments
    item = receive(1, price=100000)[0]
    with pytest.raises(InvalidInput) as err:
        terminal.create_sale({"store_id": STORE_A, "client_id": CLIENT, "lines": [{"item_id": item}],
                              "tenders": [{"method": "store_credit", "amount": usd(30000)}, card(78870)]})
    assert "tenders.0.amount" in err.value.errors
    view = terminal.create_sale({"store_id": STORE_A, "client_id": CLIENT, "lines": [{"item_id": item}],
                                 "tenders": [{"method": "store_credit", "amount": usd(20000)},
                                             card(88870)]})
    assert view["status"] == "completed"
    assert terminal.get_store_credit(CLIENT)["balances"] == [usd(0)]


def test_a_work_order_balance_and_a_free_line_are_sold_and_the_order_marked_paid(
        platform, db, as_, receive):
    FakeWorkorders.orders[WORK_ORDER] = {"store_id": STORE_A, "client_id": CLIENT,
                                         "balance": usd(12000)}
    view = as_(ASSOCIATE_A).payments.create_sale({
        "store_id": STORE_A,
        "lines": [{"work_order_id": WORK_ORDER},
                  {"description": "Gift wrapping", "amount": usd(500), "taxable": False}],
        "tenders": [cash(13564)]})
    assert view["status"] == "completed"
    assert view["client_id"] == CLIENT                     # taken from the work order
    assert (view["subtotal"], view["tax"]) == (usd(12500), usd(1064))
    assert FakeWorkorders.paid == [(WORK_ORDER, view["id"])]
    with pytest.raises(InvalidInput) as err:
        as_(ASSOCIATE_A).payments.create_sale({
            "store_id": STORE_A, "lines": [{"work_order_id": "d0000000-0000-4000-8000-0000000000ff"}],
            "tenders": [cash(100)]})
    assert "lines.0.work_order_id" in err.value.errors


def test_a_deposit_on_a_work_order_is_captured_with_the_work_order_id(platform, db, as_,
                                                                      stripe_client):
    FakeWorkorders.orders[WORK_ORDER] = {"store_id": STORE_A, "client_id": CLIENT,
                                         "balance": usd(80000)}
    terminal = as_(ASSOCIATE_A).payments
    key = new_key()
    first = terminal.take_deposit(WORK_ORDER, {"tender": card(30000)}, key)
    assert first["payment"]["state"] == "captured" and payment_http_status(first) == 201
    assert terminal.take_deposit(WORK_ORDER, {"tender": card(30000)}, key) == first
    captured = db.events("payment.captured")
    assert len(captured) == 1 and captured[0]["work_order_id"] == WORK_ORDER
    assert captured[0]["amount"] == usd(30000)
    assert len(payment_intents(stripe_client)) == 1

    declined = terminal.take_deposit(WORK_ORDER, {"tender": card(30000, DECLINED)}, new_key())
    assert declined["payment"]["state"] == "failed" and payment_http_status(declined) == 402
    with pytest.raises(InvalidInput) as err:
        terminal.take_deposit(WORK_ORDER, {"tender": card(90000)}, new_key())
    assert "tender.amount" in err.value.errors
    with pytest.raises(NotFound):          # another store's job does not exist for B
        as_(ASSOCIATE_B).payments.take_deposit(WORK_ORDER, {"tender": cash(100)}, new_key())


def test_a_deposit_whose_event_is_parked_is_not_charged_again(platform, db, as_):
    """Workorders never hears of the first deposit (its ``payment.captured`` is
    parked): its balance still says 800.00. Payments counts its own tenders."""
    FakeWorkorders.orders[WORK_ORDER] = {"store_id": STORE_A, "client_id": CLIENT,
                                         "balance": usd(80000)}
    terminal = as_(ASSOCIATE_A).payments
    first = terminal.take_deposit(WORK_ORDER, {"tender": cash(30000)}, new_key())
    assert first["payment"]["state"] == "captured"
    with pytest.raises(InvalidInput) as err:
        terminal.take_deposit(WORK_ORDER, {"tender": cash(60000)}, new_key())
    assert err.value.errors["tender.amount"] == ["more than the balance due (50000 USD)"]
    # the balance collected at the counter is what is left, and workorders is told so
    sale = terminal.create_sale({"store_id": STORE_A, "lines": [{"work_order_id": WORK_ORDER}],
                                 "tenders": [cash(50000 + 4435)]})
    assert sale["status"] == "completed" and sale["subtotal"] == usd(50000), sale
    assert FakeWorkorders.amounts == [50000]
    assert db.scalar("select coalesce(sum(amount), 0) from tenders where work_order_id = :w",
                     w=WORK_ORDER) == 30000
    # workorders' copy still says 800.00 due (as if mark_paid were postponed): nothing is
    # collected twice, neither as a deposit nor by another sale
    with pytest.raises(InvalidInput) as err:
        terminal.take_deposit(WORK_ORDER, {"tender": cash(100)}, new_key())
    assert err.value.errors["tender.amount"] == ["more than the balance due (0 USD)"]
    with pytest.raises(InvalidInput) as err:
        terminal.create_sale({"store_id": STORE_A, "lines": [{"work_order_id": WORK_ORDER}],
                              "tenders": [cash(100)]})
    assert "lines.0.work_order_id" in err.value.errors


def test_discounts_beyond_an_associates_limit_need_a_manager(platform, as_, receive):
    item = receive(1, price=100000)[0]
    request = {"store_id": STORE_A, "lines": [{"item_id": item, "discount": {
        "amount": usd(30000), "reason": "VIP"}}], "tenders": [cash(76209)]}
    with pytest.raises(Forbidden):
        as_(ASSOCIATE_A).payments.create_sale(request)
    assert as_(MANAGER_A).payments.create_sale(request)["status"] == "completed"


def test_a_tax_exempt_client_pays_no_tax_and_needs_a_certificate(platform, db, as_, receive):
    """Issue 17: the exemption is a store manager's; an associate gets 403."""
    item = receive(1, price=100000)[0]
    terminal = as_(MANAGER_A).payments
    with pytest.raises(InvalidInput) as err:
        terminal.create_sale({"store_id": STORE_A, "tax_exempt": True, "lines": [{"item_id": item}],
                              "tenders": [cash(100000)]})
    assert "tax_exempt_id" in err.value.errors
    exempt = {"store_id": STORE_A, "tax_exempt": True, "tax_exempt_id": "NY-ST-120",
              "lines": [{"item_id": item}], "tenders": [cash(100000)]}
    with pytest.raises(Forbidden) as refused:
        as_(ASSOCIATE_A).payments.create_sale(exempt, new_key())
    assert "tax-exempt sale needs a store manager" in str(refused.value)
    assert db.scalar("select count(*) from sales") == 0
    view = terminal.create_sale(exempt)
    assert view["tax"] == usd(0) and view["total"] == usd(100000)


def test_a_user_of_another_store_neither_sells_for_it_nor_sees_its_sales(platform, as_, receive):
    item = receive(1, price=100000)[0]
    view = as_(ASSOCIATE_A).payments.create_sale({"store_id": STORE_A, "lines": [{"item_id": item}],
                                                  "tenders": [cash(108870)]})
    with pytest.raises(NotFound):
        as_(ASSOCIATE_B).payments.get_sale(view["id"])
    with pytest.raises(Forbidden):
        as_(ASSOCIATE_B).payments.create_sale({"store_id": STORE_A, "lines": [{"item_id": item}],
                                               "tenders": [cash(108870)]})
    assert as_(ASSOCIATE_B).payments.list_sales({"store_id": STORE_B})["items"] == []
