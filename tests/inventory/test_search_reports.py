"""Search filters, keyset pagination, and the aging and stock-value reports."""
import pytest

from chassis.errors import Forbidden, InvalidInput

from .conftest import MANAGER_A, MANAGER_B, STORE_A, STORE_B, piece


@pytest.fixture
def stock(inventory, as_):
    hq = as_()
    made = {
        "ring18": hq.inventory.receive_item(piece()),
        "ring14": hq.inventory.receive_item(piece(metal={"type": "gold", "karat": 14, "weight_g": "2.1"},
                                                  price={"amount": 120000, "currency": "USD"})),
        "plat": hq.inventory.receive_item(piece(category="bracelet", description="Tennis bracelet",
                                                metal={"type": "platinum", "fineness": 950, "weight_g": "12"},
                                                stones=[{"type": "diamond", "carat": "3.500"}],
                                                price={"amount": 900000, "currency": "USD"})),
        "b": hq.inventory.receive_item(piece(store_id=STORE_B)),
    }
    return made


def ids(result):
    return {i["id"] for i in result["items"]}


def test_filters(stock, as_):
    hq = as_()
    s = hq.inventory.search_items
    assert ids(s({"store_id": STORE_A})) == {stock[k]["id"] for k in ("ring18", "ring14", "plat")}
    assert ids(s({"karat": 14})) == {stock["ring14"]["id"]}
    assert ids(s({"metal_type": "platinum"})) == {stock["plat"]["id"]}
    assert ids(s({"category": "bracelet", "min_carat": "3"})) == {stock["plat"]["id"]}
    assert ids(s({"max_carat": "1.5", "store_id": STORE_A})) == {stock["ring18"]["id"], stock["ring14"]["id"]}
    assert ids(s({"min_price": 400000, "max_price": 500000, "store_id": STORE_A})) == {stock["ring18"]["id"]}
    assert ids(s({"q": "tennis"})) == {stock["plat"]["id"]}
    assert ids(s({"q": stock["ring14"]["tag"]})) == {stock["ring14"]["id"]}
    cert = stock["ring18"]["stones"][0]["certificate"]["number"]
    assert ids(s({"q": cert})) == {stock["ring18"]["id"]}
    assert ids(s({"status": "sold"})) == set()
    with pytest.raises(InvalidInput) as err:
        s({"min_price": 10, "max_price": 5})
    assert set(err.value.errors) == {"max_price"}
    with pytest.raises(InvalidInput) as err:
        s({"karat": 99, "status": "lost"})
    assert set(err.value.errors) == {"karat", "status"}


def test_scope_and_pagination(stock, as_):
    mine = as_(MANAGER_A).inventory.search_items({})
    assert stock["b"]["id"] not in ids(mine) and len(mine["items"]) == 3
    with pytest.raises(Forbidden):
        as_(MANAGER_A).inventory.search_items({"store_id": STORE_B})
    seen, cursor = [], None
    while True:
        page = as_().inventory.search_items({"limit": 1, "cursor": cursor})
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 4 and len(set(seen)) == 4
    with pytest.raises(InvalidInput):
        as_().inventory.search_items({"cursor": "not-a-cursor"})


def test_aging_and_stock_value(stock, db, as_):
    db.execute("update items set received_at = now() - interval '200 days' where id = :id",
               id=stock["plat"]["id"])
    aging = as_(MANAGER_A).inventory.aging_report(STORE_A)["stores"][0]["buckets"]
    assert aging["0-90"]["count"] == 2 and aging["181-365"]["count"] == 1
    assert aging["181-365"]["retail"] == 900000
    value = as_().inventory.stock_value_report(STORE_A)["stores"][0]
    assert value["owned"]["count"] == 3
    assert value["stock_value"]["retail"] == {"amount": 1470000, "currency": "USD"}
    with pytest.raises(Forbidden):
        as_(MANAGER_B).inventory.aging_report(STORE_A)
