"""Integers past what the columns hold, sent straight over RPC (no gateway to
screen them): a 422 naming the field, never the database's range error, and
nothing stored."""
import pytest

from chassis.errors import InvalidInput

from .conftest import MANAGER_A, piece

BEYOND = 2 ** 63                      # one past BIGINT


@pytest.mark.parametrize("amount", [BEYOND, 2 ** 62])   # 2**62 fits the column, not a sale's sum
def test_a_price_past_the_safe_range_is_refused_and_nothing_is_received(inventory, db, as_, amount):
    with pytest.raises(InvalidInput) as refused:
        as_(MANAGER_A).inventory.receive_item(piece(price={"amount": amount, "currency": "USD"}))
    assert "price.amount" in refused.value.errors
    assert db.scalar("select count(*) from items") == 0


def test_filters_and_limits_past_the_range_are_refused(inventory, as_):
    manager = as_(MANAGER_A).inventory
    with pytest.raises(InvalidInput) as refused:
        manager.search_items({"min_price": BEYOND})
    assert "min_price" in refused.value.errors
    for call in (lambda: manager.list_vendors(BEYOND), lambda: manager.list_vendors("many"),
                 lambda: manager.list_memos(False, None, BEYOND)):
        with pytest.raises(InvalidInput) as refused:
            call()
        assert "limit" in refused.value.errors
    assert manager.list_vendors(200)["items"] == []
