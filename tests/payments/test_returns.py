"""Returns and exchanges: pieces back to stock, each refund tied to the
tender it came from, within the chain's return window."""
import pytest

from chassis.errors import Conflict, Forbidden, InvalidInput

from .conftest import ASSOCIATE_A, CLIENT, MANAGER_A, STORE_A, card, cash, new_key, payment_intents, usd


def test_a_return_refunds_the_card_first_and_puts_the_piece_back(platform, db, idb, as_, receive,
                                                                  stripe_client):
    a, b = receive(2, price=100000)
    terminal = as_(ASSOCIATE_A).payments
    sale = terminal.create_sale({"store_id": STORE_A, "client_id": CLIENT,
                                 "lines": [{"item_id": a}, {"item_id": b}],
                                 "tenders": [cash(117740), card(100000)]})
    key = new_key()
    manager = as_(MANAGER_A).payments        # 1,088.70 back is above an associate's limit
    with pytest.raises(Forbidden):
        terminal.create_return(sale["id"], {"item_ids": [a]}, key)
    done = manager.create_return(sale["id"], {"item_ids": [a]}, key)

    assert done["state"] == "completed" and done["amount"] == usd(108870)
    by_method = {e["method"]: e["amount"] for e in done["plan"]}
    assert by_method == {"card": usd(100000), "cash": usd(8870)}
    card_tender = next(t for t in sale["tenders"] if t["method"] == "card")
    assert [r["payment_id"] for r in done["refunds"]].count(card_tender["id"]) == 1
    refunds = stripe_client.v1.refunds.list(params={"limit": 10}).data
    assert [(r.amount, r.payment_intent) for r in refunds] == \
        [(100000, card_tender["card"]["payment_intent"])]
    assert idb.scalar("select status from items where id = :a", a=a) == "in_stock"
    assert idb.scalar("select status from items where id = :b", b=b) == "sold"
    returned = db.events("sale.returned")
    assert len(returned) == 1 and returned[0]["refund"] == usd(108870)
    assert sorted(e["method"] for e in db.events("payment.refunded")) == ["card", "cash"]
    # the same request again: the same return, nothing refunded twice
    assert manager.create_return(sale["id"], {"item_ids": [a]}, key) == done
    assert len(stripe_client.v1.refunds.list(params={"limit": 10}).data) == 1
    with pytest.raises(Conflict):
        manager.create_return(sale["id"], {"item_ids": [a]}, new_key())
    view = terminal.get_sale(sale["id"])
    assert [l["returned"] for l in view["lines"]] == [True, False]


def test_an_exchange_is_a_return_as_store_credit_then_a_sale_paid_with_it(platform, db, idb, as_,
                                                                          receive, stripe_client):
    a, b = receive(2, price=100000)
    terminal = as_(ASSOCIATE_A).payments
    sale = terminal.create_sale({"store_id": STORE_A, "client_id": CLIENT,
                                 "lines": [{"item_id": a}], "tenders": [card(108870)]})
    back = as_(MANAGER_A).payments.create_return(sale["id"], {"item_ids": [a],
                                                             "refund_method": "store_credit"})
    assert back["plan"] == [{"kind": "store_credit", "amount": usd(108870)}]
    assert terminal.get_store_credit(CLIENT)["balances"] == [usd(108870)]
    assert stripe_client.v1.refunds.list(params={"limit": 10}).data == []
    swap = terminal.create_sale({"store_id": STORE_A, "client_id": CLIENT, "lines": [{"item_id": b}],
                                 "tenders": [{"method": "store_credit", "amount": usd(108870)}]})
    assert swap["status"] == "completed"
    assert idb.scalar("select status from items where id = :a", a=a) == "in_stock"
    assert len(payment_intents(stripe_client)) == 1


def test_a_piece_not_in_the_sale_or_a_closed_window_is_refused(platform, db, idb, as_, receive):
    a, stranger = receive(2, price=100000)
    terminal = as_(ASSOCIATE_A).payments
    sale = terminal.create_sale({"store_id": STORE_A, "lines": [{"item_id": a}],
                                 "tenders": [cash(108870)]})
    with pytest.raises(InvalidInput) as err:
        terminal.create_return(sale["id"], {"item_ids": [stranger]})
    assert "item_ids" in err.value.errors
    with pytest.raises(InvalidInput):
        terminal.create_return(sale["id"], {"item_ids": [a], "refund_method": "store_credit"})
    db.execute("update sales set completed_at = completed_at - interval '31 days'")
    with pytest.raises(Conflict) as err:
        terminal.create_return(sale["id"], {"item_ids": [a]})
    assert "return window" in str(err.value)
    assert db.scalar("select count(*) from returns") == 0
    assert db.scalar("select count(*) from tender_refunds") == 0
    assert idb.scalar("select status from items where id = :a", a=a) == "sold"


def test_the_associate_refund_limit_holds_over_all_the_returns_of_a_sale(platform, db, idb, as_,
                                                                         receive):
    """Issue 17: two pieces returned in two requests, each under the 1,000.00
    limit, together above it: the second needs a store manager."""
    a, b = receive(2, price=60000)              # 600.00 + 8.87 % tax = 653.22 each
    terminal = as_(ASSOCIATE_A).payments
    sale = terminal.create_sale({"store_id": STORE_A, "lines": [{"item_id": a}, {"item_id": b}],
                                 "tenders": [cash(130644)]})
    first = terminal.create_return(sale["id"], {"item_ids": [a]}, new_key())
    assert first["state"] == "completed" and first["amount"] == usd(65322)
    with pytest.raises(Forbidden) as refused:
        terminal.create_return(sale["id"], {"item_ids": [b]}, new_key())
    assert "store manager" in str(refused.value) and "$653.22" in str(refused.value)
    assert db.scalar("select count(*) from returns") == 1
    assert idb.scalar("select status from items where id = :b", b=b) == "sold"
    done = as_(MANAGER_A).payments.create_return(sale["id"], {"item_ids": [b]}, new_key())
    assert done["state"] == "completed" and done["amount"] == usd(65322)


def test_a_return_key_is_its_callers_not_the_chains(platform, db, as_, receive):
    """Issue 17: the same Idempotency-Key from two users is two returns."""
    a, b = receive(2, price=50000)
    terminal = as_(ASSOCIATE_A).payments
    sale = terminal.create_sale({"store_id": STORE_A, "lines": [{"item_id": a}, {"item_id": b}],
                                 "tenders": [cash(108870)]})
    key = new_key()
    first = terminal.create_return(sale["id"], {"item_ids": [a]}, key)
    assert terminal.create_return(sale["id"], {"item_ids": [a]}, key) == first
    second = as_(MANAGER_A).payments.create_return(sale["id"], {"item_ids": [b]}, key)
    assert second["state"] == "completed" and second["id"] != first["id"]
    assert db.scalar("select count(*) from returns") == 2
