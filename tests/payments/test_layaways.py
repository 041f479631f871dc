"""Layaway: held pieces, deposit, schedule, payments, completion as a sale,
cancellation by policy, and one reminder per installment."""
from datetime import timedelta

import pytest

from chassis.clock import now
from chassis.errors import Conflict, Forbidden, InvalidInput, Unavailable
from services.payments import layaways, sweeper

from .conftest import (
    ASSOCIATE_A,
    ASSOCIATE_B,
    CLIENT,
    DECLINED,
    HQ,
    MANAGER_A,
    OTHER_CLIENT,
    STORE_A,
    STORE_B,
    card,
    cash,
    new_key,
    payment_intents,
    usd,
)


def open_request(items, deposit, installments=3, interval_days=30):
    return {"store_id": STORE_A, "client_id": CLIENT, "item_ids": items, "deposit": deposit,
            "installments": installments, "interval_days": interval_days}


def test_a_layaway_holds_the_pieces_and_completes_as_a_sale(platform, db, idb, as_, receive,
                                                            stripe_client):
    items = receive(2, price=100000)
    terminal = as_(ASSOCIATE_A).payments
    key = new_key()
    lw = terminal.open_layaway(open_request(items, card(57740), installments=2), key)

    assert lw["status"] == "active" and lw["total"] == usd(217740)
    assert lw["balance"] == usd(160000)
    assert [i["amount"] for i in lw["installments"]] == [usd(80000), usd(80000)]
    assert idb.scalar("select count(*) from items where status = 'reserved' "
                      "and hold_reason = 'layaway'") == 2
    assert terminal.open_layaway(open_request(items, card(57740), installments=2), key) == lw

    paid = terminal.pay_layaway(lw["id"], {"tender": cash(80000)}, new_key())
    assert paid["payment"]["state"] == "captured"
    assert paid["layaway"]["installments"][0]["paid"] == usd(80000)
    with pytest.raises(InvalidInput):                 # more than the balance
        terminal.pay_layaway(lw["id"], {"tender": cash(90000)}, new_key())
    done = terminal.pay_layaway(lw["id"], {"tender": card(80000)}, new_key())["layaway"]

    assert done["status"] == "completed" and done["balance"] == usd(0)
    sale = terminal.get_sale(done["sale_id"])
    assert sale["status"] == "completed" and sale["receipt_number"] == "NYC-000001"
    assert sale["total"] == usd(217740) and len(sale["tenders"]) == 3
    assert idb.scalar("select count(*) from items where status = 'sold'") == 2
    assert [e["event_type"] for e in [r[0] for r in db.all(
        "select envelope from outbox where event_type like 'layaway.%' order by id")]] == \
        ["layaway.opened", "layaway.payment_received", "layaway.payment_received",
         "layaway.completed"]
    assert db.events("sale.completed")[0]["layaway_id"] == lw["id"]
    assert len(payment_intents(stripe_client)) == 2


def test_a_refused_deposit_releases_the_pieces(platform, db, idb, as_, receive):
    items = receive(1, price=100000)
    lw = as_(ASSOCIATE_A).payments.open_layaway(open_request(items, card(20000, DECLINED)))
    assert lw["status"] == "failed" and "deposit refused" in lw["failure_reason"]
    assert idb.scalar("select status from items") == "in_stock"
    assert db.events("layaway.opened") == []
    with pytest.raises(InvalidInput) as err:          # under the minimum deposit (10 %)
        as_(ASSOCIATE_A).payments.open_layaway(open_request(items, cash(1000)))
    assert "deposit.amount" in err.value.errors


@pytest.mark.parametrize("policy", ["store_credit", "refund"])
def test_cancelling_releases_the_pieces_and_pays_back_by_policy(policy, platform, db, idb, as_,
                                                                receive, stripe_client):
    items = receive(1, price=100000)
    terminal = as_(ASSOCIATE_A).payments
    lw = terminal.open_layaway(open_request(items, card(30000)))
    terminal.pay_layaway(lw["id"], {"tender": cash(20000)})
    with pytest.raises(Forbidden):              # an associate may not override the policy
        terminal.cancel_layaway(lw["id"], {"refund_method": "refund"})
    cancelled = as_(MANAGER_A).payments.cancel_layaway(lw["id"], {"refund_method": policy,
                                                                  "reason": "changed her mind"})
    assert cancelled["status"] == "cancelled"
    assert idb.scalar("select status from items") == "in_stock"
    refunds = stripe_client.v1.refunds.list(params={"limit": 10}).data
    if policy == "store_credit":
        assert terminal.get_store_credit(CLIENT)["balances"] == [usd(50000)]
        assert refunds == []
    else:
        assert sorted(e["kind"] + ":" + e.get("method", "") for e in cancelled["cancel_plan"]) == \
            ["tender:card", "tender:cash"]
        assert [r.amount for r in refunds] == [30000]
        assert [p["state"] for p in cancelled["payments"]] == ["refunded", "refunded"]
    assert db.events("layaway.cancelled")[0]["amount"] == usd(50000)
    with pytest.raises(Conflict):
        terminal.pay_layaway(lw["id"], {"tender": cash(100)})


def test_a_cancel_that_fails_midway_never_puts_an_active_layaways_pieces_back(
        platform, db, idb, as_, receive, monkeypatch):
    """The cancel commits before the pieces are released: a cancel that fails
    leaves them held for the still-active layaway; a release that fails after the
    cancel leaves them held until the cancel is repeated, which releases them."""
    from services.inventory import sales as inventory_sales
    items = receive(1, price=100000)
    terminal = as_(MANAGER_A).payments
    lw = terminal.open_layaway(open_request(items, cash(30000)))
    held = idb.scalar("select status from items")
    assert held != "in_stock"

    def refused(*args, **kwargs):
        raise RuntimeError("the database went away mid-cancel")
    monkeypatch.setattr(layaways, "cancel", refused)
    with pytest.raises(Exception):
        terminal.cancel_layaway(lw["id"], {"reason": "changed her mind"})
    assert terminal.get_layaway(lw["id"])["status"] == "active"
    assert idb.scalar("select status from items") == held          # not back in stock
    monkeypatch.undo()

    monkeypatch.setattr(inventory_sales, "release", refused)
    with pytest.raises(Exception):
        terminal.cancel_layaway(lw["id"], {"reason": "changed her mind"})
    assert terminal.get_layaway(lw["id"])["status"] == "cancelled"
    assert idb.scalar("select status from items") == held
    monkeypatch.undo()
    cancelled = terminal.cancel_layaway(lw["id"], {"reason": "changed her mind"})
    assert cancelled["status"] == "cancelled"
    assert idb.scalar("select status from items") == "in_stock"
    assert len(db.events("layaway.cancelled")) == 1


def test_payment_due_is_published_once_per_installment(platform, db, as_, receive, domain):
    items = receive(1, price=100000)
    lw = as_(ASSOCIATE_A).payments.open_layaway(open_request(items, cash(28870), 2, 7))
    ctx = domain()

    def remind(at=None):
        return ctx.step(layaways.remind_due, ctx.settings, at)

    assert remind() == []            # first due in 7 days, reminders 3 days ahead
    first = remind(now() + timedelta(days=5))
    again = remind(now() + timedelta(days=6))
    later = remind(now() + timedelta(days=12))
    assert (len(first), again, len(later)) == (1, [], 1)
    due = db.events("layaway.payment_due")
    assert [(d["installment_number"], d["amount_due"]) for d in due] == \
        [(1, usd(40000)), (2, usd(40000))]
    assert all(d["layaway_id"] == lw["id"] for d in due)


def test_a_payment_whose_answer_was_lost_is_booked_once_by_the_sweeper(platform, db, as_, receive,
                                                                      domain, stripe_client):

    items = receive(1, price=100000)
    terminal = as_(ASSOCIATE_A).payments
    lw = terminal.open_layaway(open_request(items, cash(28870), 2))
    platform.proxy.swallow_next(r"/capture$")
    with pytest.raises(Unavailable):
        terminal.pay_layaway(lw["id"], {"tender": card(40000)}, new_key())
    assert terminal.get_layaway(lw["id"])["paid"] == usd(28870)

    report = sweeper.sweep(domain(), at=now() + timedelta(minutes=10))
    assert list(report["payments"].values()) == ["captured"]
    after = terminal.get_layaway(lw["id"])
    assert after["paid"] == usd(68870) and after["installments"][0]["paid"] == usd(40000)
    assert len(db.events("layaway.payment_received")) == 1
    assert sweeper.sweep(domain(), at=now() + timedelta(minutes=20))["payments"] == {}
    assert [pi.status for pi in payment_intents(stripe_client)] == ["succeeded"]


def test_a_tax_exempt_layaway_needs_a_store_manager(platform, db, idb, as_, receive):
    """Issue 17: an associate may not take the tax off with a made-up certificate."""
    items = receive(1, price=100000)
    exempt = open_request(items, cash(20000)) | {"tax_exempt": True, "tax_exempt_id": "NY-ST-120"}
    with pytest.raises(Forbidden) as refused:
        as_(ASSOCIATE_A).payments.open_layaway(exempt, new_key())
    assert "tax-exempt layaway needs a store manager" in str(refused.value)
    assert db.scalar("select count(*) from layaways") == 0
    assert idb.scalar("select status from items") == "in_stock"
    lw = as_(MANAGER_A).payments.open_layaway(exempt, new_key())
    assert lw["status"] == "active" and lw["total"] == usd(100000)


def test_layaways_are_listed_by_store_status_and_client_with_the_next_installment_due(
        platform, db, as_, receive):
    """The console's layaway list: newest first, paged, scoped to the caller's stores."""
    items = receive(2, price=100000)
    terminal = as_(ASSOCIATE_A).payments
    first = terminal.open_layaway(open_request(items[:1], cash(28870), 2, 7), new_key())
    terminal.pay_layaway(first["id"], {"tender": cash(50000)}, new_key())   # 1st paid, 10000 of the 2nd
    second = terminal.open_layaway(dict(open_request(items[1:], cash(28870)), client_id=OTHER_CLIENT),
                                   new_key())
    as_(MANAGER_A).payments.cancel_layaway(second["id"], {"reason": "changed her mind"})
    elsewhere = as_(ASSOCIATE_B).payments.open_layaway(
        dict(open_request(receive(1, store_id=STORE_B, price=100000), cash(20000)),
             store_id=STORE_B), new_key())

    listed = terminal.list_layaways()
    assert [lw["id"] for lw in listed["items"]] == [second["id"], first["id"]]
    assert listed["next_cursor"] is None
    active = terminal.list_layaways({"status": "active"})["items"]
    schedule = terminal.get_layaway(first["id"])["installments"]
    assert active == [{
        "id": first["id"], "status": "active", "store_id": STORE_A, "client_id": CLIENT,
        "item_count": 1, "total": usd(108870), "paid": usd(78870), "balance": usd(30000),
        "next_due_date": schedule[1]["due_date"], "next_due": usd(30000),
        "created_at": first["created_at"]}]
    cancelled = terminal.list_layaways({"client_id": OTHER_CLIENT})["items"]
    assert [(lw["status"], lw["next_due_date"], lw["next_due"]) for lw in cancelled] == \
        [("cancelled", None, None)]

    one = terminal.list_layaways({"limit": 1})
    rest = terminal.list_layaways({"limit": 1, "cursor": one["next_cursor"]})
    assert [lw["id"] for lw in one["items"] + rest["items"]] == [second["id"], first["id"]]
    assert rest["next_cursor"] is None
    with pytest.raises(Forbidden):
        terminal.list_layaways({"store_id": STORE_B})
    with pytest.raises(InvalidInput):
        terminal.list_layaways({"status": "lost"})
    assert {lw["id"] for lw in as_(HQ).payments.list_layaways()["items"]} == \
        {first["id"], second["id"], elsewhere["id"]}
