"""Pricing by weight (pure) and metal repricing with its guard (service)."""
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from chassis.errors import Conflict, Forbidden
from services.inventory import pricing

from .conftest import ASSOCIATE_A, MANAGER_A, piece


def test_weight_price_uses_purity_markup_and_labor():
    # 10 g of 14K at 60.00/g pure, markup 2, labor 50.00
    assert pricing.weight_price(6000, Decimal("10"), "2", 5000, karat=14) == 75000
    assert pricing.weight_price(6000, Decimal("10"), "2", 5000, fineness=585) == 75200
    assert pricing.purity(24) == 1 and pricing.purity(fineness=925) == Decimal("0.925")


@given(st.integers(1, 10**9), st.integers(0, 10**9), st.floats(0.1, 50))
def test_guard_flags_exactly_the_changes_above_the_percentage(old, new, guard):
    flagged = pricing.needs_confirmation(old, new, guard)
    assert flagged == (abs(new - old) / Decimal(old) * 100 > Decimal(str(guard)))


@pytest.mark.parametrize("days, bucket", [(0, "0-90"), (90, "0-90"), (91, "91-180"),
                                          (365, "181-365"), (366, "365+")])
def test_aging_buckets(days, bucket):
    assert pricing.aging_bucket(days) == bucket


def chain(weight="10.000", price=70000):
    return piece(category="necklace", description="Rope chain", stones=[],
                 metal={"type": "gold", "karat": 14, "color": "yellow", "weight_g": weight},
                 price={"amount": price, "currency": "USD"},
                 pricing={"markup": "2", "labor": {"amount": 5000, "currency": "USD"}})


def test_new_spot_price_reprices_weight_priced_pieces_with_history(inventory, db, as_):
    mgr = as_(MANAGER_A)
    item = mgr.inventory.receive_item(chain(price=70000))
    fixed = mgr.inventory.receive_item(piece())
    result = mgr.inventory.set_metal_price({"metal": "gold",
                                            "price_per_gram": {"amount": 6000, "currency": "USD"}})
    assert result == {"metal": "gold", "price_per_gram": {"amount": 6000, "currency": "USD"},
                      "repriced": 1, "pending_confirmation": 0}
    repriced = mgr.inventory.get_item(item["id"])
    assert repriced["price"]["amount"] == 75000
    assert repriced["price_history"][0]["old"]["amount"] == 70000
    assert mgr.inventory.get_item(fixed["id"])["price"]["amount"] == 450000
    with pytest.raises(Forbidden):
        as_(ASSOCIATE_A).inventory.set_metal_price(
            {"metal": "gold", "price_per_gram": {"amount": 1, "currency": "USD"}})


def test_a_jump_above_the_guard_waits_for_a_manager(inventory, db, as_):
    mgr = as_(MANAGER_A)
    item = mgr.inventory.receive_item(chain(price=75000))
    result = mgr.inventory.set_metal_price({"metal": "gold",
                                            "price_per_gram": {"amount": 9000, "currency": "USD"}})
    assert result["repriced"] == 0 and result["pending_confirmation"] == 1
    assert mgr.inventory.get_item(item["id"])["price"]["amount"] == 75000
    pending = mgr.inventory.list_price_changes()["items"]
    assert [(p["old_price"], p["new_price"]) for p in pending] == [(75000, 110000)]
    with pytest.raises(Forbidden):
        as_(ASSOCIATE_A).inventory.decide_price_change(pending[0]["id"], True)
    assert mgr.inventory.decide_price_change(pending[0]["id"], True)["status"] == "applied"
    assert mgr.inventory.get_item(item["id"])["price"]["amount"] == 110000
    with pytest.raises(Conflict):
        mgr.inventory.decide_price_change(pending[0]["id"], True)
    assert db.scalar("select count(*) from outbox where event_type = 'item.price_changed'") == 1
