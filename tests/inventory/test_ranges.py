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


@pytest.mark.parametrize("change,field", [
    (lambda p: p["metal"].update(weight_g="10000000.000"), "metal.weight_g"),    # NUMERIC(10, 3)
    (lambda p: p["stones"][0].update(carat="100000.000"), "stones.0.carat"),     # NUMERIC(8, 3)
    (lambda p: p["stones"].extend(dict(p["stones"][0], carat="60000.000", certificate=None)
                                  for _ in range(2)), "stones"),                 # together
])
def test_a_weight_past_its_column_is_refused_and_nothing_is_received(inventory, db, as_, change,
                                                                     field):
    body = piece()
    change(body)
    with pytest.raises(InvalidInput) as refused:
        as_(MANAGER_A).inventory.receive_item(body)
    assert field in refused.value.errors, refused.value.errors
    assert db.scalar("select count(*) from items") == 0
    most = piece()
    most["metal"]["weight_g"], most["stones"][0]["carat"] = "9999999.999", "99999.999"
    assert as_(MANAGER_A).inventory.receive_item(most)["total_carat"] == "99999.999"
