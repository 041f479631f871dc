"""Holds that expire by themselves, transfers, stock counts and memos."""
from datetime import date, timedelta

import pytest
from nameko.testing.services import entrypoint_hook

from chassis.errors import Conflict, InvalidInput, NotFound

from .conftest import MANAGER_A, MANAGER_B, STORE_A, STORE_B, piece

CLIENT = "c1000000-0000-4000-8000-000000000001"


def test_client_hold_reserves_then_releases(inventory, db, as_):
    mgr = as_(MANAGER_A)
    item = mgr.inventory.receive_item(piece())
    hold = mgr.inventory.hold_item(item["id"], {"client_id": CLIENT, "hold_hours": 24})
    assert hold["status"] == "reserved" and hold["state"] == "active"
    assert mgr.inventory.get_item(item["id"])["hold_reason"] == "hold"
    with pytest.raises(Conflict):
        mgr.inventory.hold_item(item["id"], {"client_id": CLIENT, "hold_hours": 24})
    with pytest.raises(NotFound):
        as_(MANAGER_B).inventory.release_hold(hold["id"])
    assert mgr.inventory.release_hold(hold["id"])["state"] == "released"
    assert mgr.inventory.release_hold(hold["id"])["state"] == "released"
    assert db.scalar("select status from items") == "in_stock"


def test_client_hold_expires_by_itself_on_the_timer(inventory, db, as_):
    mgr = as_(MANAGER_A)
    item = mgr.inventory.receive_item(piece())
    keep = mgr.inventory.receive_item(piece())
    hold = mgr.inventory.hold_item(item["id"], {"client_id": CLIENT, "hold_hours": 1})
    mgr.inventory.hold_item(keep["id"], {"client_id": CLIENT, "hold_hours": 48})
    db.execute("update reservations set expires_at = now() - interval '1 minute' where id = :id",
               id=hold["id"])
    with entrypoint_hook(inventory, "expire_holds") as fire_timer:
        fire_timer()
    assert db.scalar("select state from reservations where id = :id", id=hold["id"]) == "expired"
    assert db.scalar("select status from items where id = :id", id=item["id"]) == "in_stock"
    assert db.scalar("select status from items where id = :id", id=keep["id"]) == "reserved"
    assert db.scalar("select count(*) from outbox where event_type = 'item.released'") == 1


def test_transfer_ships_in_transit_and_receives_at_destination(inventory, db, as_):
    hq = as_()
    a, b = (hq.inventory.receive_item(piece())["id"] for _ in range(2))
    with pytest.raises(InvalidInput):
        hq.inventory.ship_transfer({"item_ids": [a], "from_store_id": STORE_A, "to_store_id": STORE_A})
    transfer = as_(MANAGER_A).inventory.ship_transfer(
        {"item_ids": [a, b], "from_store_id": STORE_A, "to_store_id": STORE_B})
    assert transfer["status"] == "shipped"
    assert {r[0] for r in db.all("select status from items")} == {"in_transit"}
    with pytest.raises(Conflict):
        hq.inventory.reserve_for_sale("5a1e0000-0000-4000-8000-000000000001", [a], STORE_A)
    received = as_(MANAGER_B).inventory.receive_transfer(transfer["id"])
    assert received["status"] == "received"
    assert as_(MANAGER_B).inventory.receive_transfer(transfer["id"])["status"] == "received"
    rows = db.all("select status, store_id::text from items")
    assert {tuple(r) for r in rows} == {("in_stock", STORE_B)}
    events = [r[0] for r in db.all("select event_type from outbox order by id")]
    assert events.count("transfer.shipped") == 1 and events.count("transfer.received") == 1
    with pytest.raises(NotFound):
        as_(MANAGER_A).inventory.get_item(a)


def test_stock_count_finds_missing_and_unexpected_and_marks_shrinkage(inventory, db, as_):
    mgr = as_(MANAGER_A)
    items = [mgr.inventory.receive_item(piece()) for _ in range(3)]
    elsewhere = as_().inventory.receive_item(piece(store_id=STORE_B))
    count = mgr.inventory.open_count({"store_id": STORE_A})
    with pytest.raises(NotFound):
        as_(MANAGER_B).inventory.scan_tags(count["id"], {"tags": [items[0]["tag"]]})
    mgr.inventory.scan_tags(count["id"], {"tags": [items[0]["tag"], items[1]["tag"].lower()]})
    scanned = mgr.inventory.scan_tags(count["id"], {"tags": [items[1]["tag"], elsewhere["tag"]]})
    assert scanned["scanned"] == 3
    result = mgr.inventory.close_count(count["id"], {"mark_missing": True})
    assert result["matched"] == 2
    assert result["missing"] == [items[2]["tag"]]
    assert result["unexpected"] == [elsewhere["tag"]]
    assert result["shrinkage"] == {"amount": 150000, "currency": "USD"}
    assert db.scalar("select status from items where id = :id", id=items[2]["id"]) == "missing"
    with pytest.raises(Conflict):
        mgr.inventory.scan_tags(count["id"], {"tags": [items[2]["tag"]]})
    assert db.scalar("select count(*) from outbox where event_type = 'stock_count.closed'") == 1


def test_memo_out_and_in_with_overdue_timer(inventory, db, as_):
    mgr = as_(MANAGER_A)
    lent = mgr.inventory.receive_item(piece())
    vendor_goods = mgr.inventory.receive_item(piece(ownership="memo_in"))
    with pytest.raises(InvalidInput):
        mgr.inventory.create_memo({"direction": "out", "store_id": STORE_A, "counterparty": "x",
                                   "item_ids": [lent["id"]], "due_date": "2001-01-01"})
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    out = mgr.inventory.create_memo({"direction": "out", "store_id": STORE_A,
                                     "counterparty": "Dealer Levi", "item_ids": [lent["id"]],
                                     "due_date": tomorrow})
    memo_in = mgr.inventory.create_memo({"direction": "in", "store_id": STORE_A,
                                         "counterparty": "Vendor Co", "item_ids": [vendor_goods["id"]],
                                         "due_date": tomorrow})
    assert db.scalar("select status from items where id = :id", id=lent["id"]) == "on_memo_out"
    value = mgr.inventory.stock_value_report(STORE_A)["stores"][0]
    assert value["memo_in"]["count"] == 1 and value["stock_value"]["cost"]["amount"] == 150000
    assert mgr.inventory.list_memos(True)["items"] == []
    db.execute("update memos set due_date = current_date - 2")
    overdue = mgr.inventory.list_memos(True)["items"]
    assert {m["id"] for m in overdue} == {out["id"], memo_in["id"]}
    for _ in range(2):
        with entrypoint_hook(inventory, "overdue_memos") as fire_timer:
            fire_timer()
    assert db.scalar("select count(*) from outbox where event_type = 'memo.overdue'") == 2
    mgr.inventory.return_memo(out["id"])
    mgr.inventory.return_memo(memo_in["id"])
    statuses = dict(db.all("select id::text, status from items"))
    assert statuses == {lent["id"]: "in_stock", vendor_goods["id"]: "returned_to_vendor"}
    assert as_(MANAGER_B).inventory.list_memos(True)["items"] == []
