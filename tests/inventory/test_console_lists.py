"""What the console lists: transfers by direction, held pieces, an open
stock count as it stands, and a vendor's edits (docs/API.md#inventory)."""
import pytest

from chassis.errors import Forbidden, InvalidInput, NotFound

from .conftest import AUDITOR, HQ, MANAGER_A, MANAGER_B, STORE_A, STORE_B, STORE_GB, piece

CLIENT = "c1000000-0000-4000-8000-000000000001"
SALE = "5a1e0000-0000-4000-8000-000000000001"


def test_transfers_by_direction_status_and_store_newest_first(inventory, as_):
    hq = as_(HQ)
    a, b = (hq.inventory.receive_item(piece())["id"] for _ in range(2))
    first = hq.inventory.ship_transfer({"item_ids": [a], "from_store_id": STORE_A, "to_store_id": STORE_B})
    second = hq.inventory.ship_transfer({"item_ids": [b], "from_store_id": STORE_A,
                                         "to_store_id": STORE_GB})
    as_(MANAGER_B).inventory.receive_transfer(first["id"])
    mgr_b = as_(MANAGER_B).inventory
    assert [t["id"] for t in mgr_b.list_transfers({"direction": "in"})["items"]] == [first["id"]]
    assert mgr_b.list_transfers({"direction": "out"})["items"] == []
    mine = as_(MANAGER_A).inventory
    assert [t["id"] for t in mine.list_transfers({"direction": "out"})["items"]] == [second["id"], first["id"]]
    assert [t["id"] for t in mine.list_transfers({"status": "shipped"})["items"]] == [second["id"]]
    page = mine.list_transfers({"limit": 1})
    assert page["items"][0]["id"] == second["id"] and page["next_cursor"]
    rest = mine.list_transfers({"limit": 1, "cursor": page["next_cursor"]})
    assert [t["id"] for t in rest["items"]] == [first["id"]] and rest["next_cursor"] is None
    with pytest.raises(Forbidden):
        mgr_b.list_transfers({"store_id": STORE_GB})
    with pytest.raises(InvalidInput):
        mine.list_transfers({"direction": "sideways"})
    assert len(hq.inventory.list_transfers({})["items"]) == 2


def test_holds_list_client_and_sale_holds_of_the_callers_stores(inventory, as_):
    mgr = as_(MANAGER_A).inventory
    held, sold, free = (mgr.receive_item(piece()) for _ in range(3))
    hold = mgr.hold_item(held["id"], {"client_id": CLIENT, "hold_hours": 24})
    as_(HQ).inventory.reserve_for_sale(SALE, [sold["id"]], STORE_A, "layaway")
    other = as_(HQ).inventory.receive_item(piece(store_id=STORE_B))
    as_(MANAGER_B).inventory.hold_item(other["id"], {"client_id": CLIENT, "hold_hours": 24})
    found = {h["item_id"]: h for h in mgr.list_holds({})["items"]}
    assert set(found) == {held["id"], sold["id"]}
    assert found[held["id"]]["reason"] == "hold" and found[held["id"]]["ref_id"] == hold["id"]
    assert found[held["id"]]["client_id"] == CLIENT and found[held["id"]]["expires_at"]
    assert found[sold["id"]]["reason"] == "layaway" and found[sold["id"]]["ref_id"] == SALE
    assert found[sold["id"]]["held_at"] and found[sold["id"]]["expires_at"] is None
    assert [h["item_id"] for h in mgr.list_holds({"reason": "hold"})["items"]] == [held["id"]]
    assert free["id"] not in str(mgr.list_holds({}))
    with pytest.raises(Forbidden):
        mgr.list_holds({"store_id": STORE_B})
    assert len(as_(HQ).inventory.list_holds({})["items"]) == 3


def test_an_open_count_shows_scanned_missing_and_unexpected_so_far(inventory, as_):
    mgr = as_(MANAGER_A).inventory
    items = [mgr.receive_item(piece()) for _ in range(2)]
    elsewhere = as_(HQ).inventory.receive_item(piece(store_id=STORE_B))
    count = mgr.open_count({"store_id": STORE_A})
    mgr.scan_tags(count["id"], {"tags": [items[0]["tag"], elsewhere["tag"]]})
    now = as_(AUDITOR).inventory.get_count(count["id"])
    assert now["status"] == "open" and now["scanned"] == 2
    assert now["missing"] == [items[1]["tag"]] and now["unexpected"] == [elsewhere["tag"]]
    assert [p["id"] for p in now["missing_pieces"]] == [items[1]["id"]]
    assert [c["id"] for c in mgr.list_counts({"status": "open"})["items"]] == [count["id"]]
    assert mgr.list_counts({"status": "open"})["items"][0]["scanned"] == 2
    with pytest.raises(NotFound):
        as_(MANAGER_B).inventory.get_count(count["id"])
    assert as_(MANAGER_B).inventory.list_counts({})["items"] == []
    mgr.close_count(count["id"], {})
    assert mgr.list_counts({"status": "open"})["items"] == []
    closed = mgr.get_count(count["id"])
    assert closed["status"] == "closed" and closed["missing"] == [items[1]["tag"]]


def test_a_vendor_is_edited_by_name_and_contact(inventory, as_):
    vendor = as_(MANAGER_A).inventory.create_vendor({"name": "Gem Co", "contact": {"phone": "1"}})
    changed = as_(MANAGER_B).inventory.update_vendor(vendor["id"], {"contact": {"email": "g@x.test"}})
    assert changed["name"] == "Gem Co" and changed["contact"] == {"email": "g@x.test"}
    assert as_(HQ).inventory.update_vendor(vendor["id"], {"name": "Gem & Co"})["name"] == "Gem & Co"
    with pytest.raises(InvalidInput):
        as_(HQ).inventory.update_vendor(vendor["id"], {})
    with pytest.raises(NotFound):
        as_(HQ).inventory.update_vendor("0e000000-0000-4000-8000-000000000000", {"name": "x"})
    with pytest.raises(Forbidden):
        as_(AUDITOR).inventory.update_vendor(vendor["id"], {"name": "x"})
