"""The RPCs payments' checkout saga relies on: all-or-none, idempotent,
and a unique piece is sold once even under concurrent terminals."""
import uuid

import eventlet
import pytest

from chassis.errors import Conflict, InvalidInput

from .conftest import ASSOCIATE_A, STORE_A, STORE_B, piece


def new_sale():
    return str(uuid.uuid4())


def test_twenty_concurrent_reservations_of_one_piece_exactly_one_wins(inventory, db, as_):
    item = as_().inventory.receive_item(piece())
    terminals = [as_(ASSOCIATE_A) for _ in range(4)]
    calls = [terminals[i % 4].inventory.reserve_for_sale.call_async(new_sale(), [item["id"]], STORE_A)
             for i in range(20)]
    outcomes = []
    for call in calls:
        try:
            call.result()
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")
    assert outcomes.count("won") == 1 and outcomes.count("conflict") == 19
    assert db.scalar("select count(*) from sale_holds") == 1
    assert db.scalar("select status from items") == "reserved"
    assert db.scalar("select count(*) from outbox where event_type = 'item.reserved'") == 1


def test_reserving_three_where_one_is_taken_reserves_none(inventory, db, as_):
    hq = as_()
    items = [hq.inventory.receive_item(piece())["id"] for _ in range(3)]
    hq.inventory.reserve_for_sale(new_sale(), [items[1]], STORE_A)
    with pytest.raises(Conflict) as err:
        hq.inventory.reserve_for_sale(new_sale(), items, STORE_A)
    assert "reserved" in str(err.value)
    statuses = dict(db.all("select id::text, status from items"))
    assert statuses == {items[0]: "in_stock", items[1]: "reserved", items[2]: "in_stock"}


def test_reserve_confirm_release_and_return_are_idempotent(inventory, db, as_):
    sa = as_(ASSOCIATE_A)
    a, b = (sa.inventory.receive_item(piece())["id"] for _ in range(2))
    sale = new_sale()
    first = sa.inventory.reserve_for_sale(sale, [a, b], STORE_A)
    again = sa.inventory.reserve_for_sale(sale, [b, a], STORE_A)
    assert sorted(i["id"] for i in first) == sorted(i["id"] for i in again)
    assert db.scalar("select count(*) from outbox where event_type = 'item.reserved'") == 2
    sa.inventory.confirm_sale(sale)
    sa.inventory.confirm_sale(sale)
    assert db.scalar("select count(*) from items where status = 'sold'") == 2
    assert db.scalar("select count(*) from outbox where event_type = 'item.sold'") == 2
    sa.inventory.return_to_stock([a], sale)
    sa.inventory.return_to_stock([a], sale)
    assert db.scalar("select status from items where id = :a", a=a) == "in_stock"
    assert db.scalar("select count(*) from outbox where event_type = 'item.returned'") == 1
    history = [h["change"] for h in sa.inventory.get_item(a)["history"]]
    assert history == ["received", "reserved", "sold", "returned"]

    failed = new_sale()
    c = sa.inventory.receive_item(piece())["id"]
    sa.inventory.reserve_for_sale(failed, [c], STORE_A)
    assert sa.inventory.release(failed)["released"] == [c]
    assert sa.inventory.release(failed)["released"] == []
    assert db.scalar("select status from items where id = :c", c=c) == "in_stock"
    with pytest.raises(Conflict):
        sa.inventory.confirm_sale(failed)  # released pieces are not sold afterwards


def test_piece_of_another_store_is_bad_input_for_a_sale(inventory, db, as_):
    hq = as_()
    other = hq.inventory.receive_item(piece(store_id=STORE_B))
    with pytest.raises(InvalidInput) as err:
        hq.inventory.reserve_for_sale(new_sale(), [other["id"]], STORE_A)
    assert "item_ids" in err.value.errors
    # and a sales associate of store A does not even see it
    with pytest.raises(InvalidInput):
        as_(ASSOCIATE_A).inventory.reserve_for_sale(new_sale(), [other["id"]])
    assert db.scalar("select status from items") == "in_stock"


def test_sold_piece_cannot_be_reserved_again(inventory, as_):
    hq = as_()
    item = hq.inventory.receive_item(piece())["id"]
    sale = new_sale()
    hq.inventory.reserve_for_sale(sale, [item], STORE_A)
    hq.inventory.confirm_sale(sale)
    with pytest.raises(Conflict):
        hq.inventory.reserve_for_sale(new_sale(), [item], STORE_A)
    eventlet.sleep(0)
