"""Receiving pieces: attributes, tags, certificates, history, events, scope."""
import base64

import pytest

from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound

from .conftest import AUDITOR, MANAGER_A, MANAGER_B, STORE_A, STORE_GB, piece


def test_receive_item_writes_piece_stones_history_and_event(inventory, db, as_):
    hq = as_()
    item = hq.inventory.receive_item(piece(attributes={"designer": "House"}))
    assert item["status"] == "in_stock" and len(item["tag"]) == 8
    assert item["metal"] == {"type": "gold", "karat": 18, "fineness": None, "color": "white",
                             "weight_g": "3.250"}
    assert item["stones"][0]["carat"] == "1.010" and item["total_carat"] == "1.010"
    full = hq.inventory.get_item(item["id"])
    assert full["location"]["code"] == "NYC"
    assert [h["change"] for h in full["history"]] == ["received"]
    assert full["history"][0]["actor_id"] == "u-hq"
    assert hq.inventory.get_item_by_tag(item["tag"].lower())["id"] == item["id"]
    rows = db.all("select event_type, envelope from outbox")
    assert [r.event_type for r in rows] == ["item.received"]
    assert rows[0].envelope["payload"]["item_id"] == item["id"]
    assert rows[0].envelope["actor_id"] == "u-hq"


def test_certificate_is_unique_per_lab_across_the_chain(inventory, db, as_):
    hq = as_()
    first = piece()
    hq.inventory.receive_item(first)
    again = piece(store_id=STORE_A)
    again["stones"] = first["stones"]
    with pytest.raises(Conflict) as err:
        hq.inventory.receive_item(again)
    assert first["stones"][0]["certificate"]["number"] in str(err.value)
    other_lab = piece()
    number = first["stones"][0]["certificate"]["number"]
    other_lab["stones"][0]["certificate"] = {"lab": "IGI", "number": number}
    hq.inventory.receive_item(other_lab)
    assert db.scalar("select count(*) from items") == 2


def test_store_user_cannot_see_another_stores_item(inventory, as_):
    item = as_(MANAGER_A).inventory.receive_item(piece())
    other = as_(MANAGER_B)
    with pytest.raises(NotFound):
        other.inventory.get_item(item["id"])
    with pytest.raises(NotFound):
        other.inventory.get_item_by_tag(item["tag"])
    with pytest.raises(Forbidden):
        other.inventory.receive_item(piece())
    with pytest.raises(Forbidden):
        as_(AUDITOR).inventory.receive_item(piece())


@pytest.mark.parametrize("change, fields", [
    ({"metal": {"type": "gold", "karat": 30, "weight_g": "-1"}}, {"metal.karat", "metal.weight_g"}),
    ({"price": {"amount": -5, "currency": "USD"}}, {"price.amount"}),
    ({"price": {"amount": 10.5, "currency": "USD"}}, {"price.amount"}),
    ({"stones": [{"type": "diamond", "carat": "0"}]}, {"stones.0.carat"}),
    ({"category": "tiara"}, {"category"}),
    ({"metal": None}, {"metal"}),
    ({"ownership": "borrowed"}, {"ownership"}),
    ({"store_id": "4b3c2a10-0000-4000-8000-000000000000"}, {"store_id"}),
    ({"vendor_id": "4b3c2a10-0000-4000-8000-000000000000"}, {"vendor_id"}),
    ({"price": {"amount": 100, "currency": "GBP"}, "cost": None}, {"price.currency"}),
])
def test_bad_input_is_refused_field_by_field_and_changes_nothing(inventory, db, as_, change, fields):
    with pytest.raises(InvalidInput) as err:
        as_().inventory.receive_item(piece(**change))
    assert fields <= set(err.value.errors), err.value.errors
    assert db.scalar("select count(*) from items") == 0
    assert db.scalar("select count(*) from outbox") == 0


def test_loose_stone_and_other_currency_store(inventory, as_):
    stone = as_().inventory.receive_item(piece(
        store_id=STORE_GB, currency="GBP", category="loose_stone", metal=None))
    assert stone["metal"] is None and stone["price"]["currency"] == "GBP"


def test_tag_label_is_a_pdf_with_the_tag(inventory, as_):
    hq = as_()
    item = hq.inventory.receive_item(piece())
    pdf = base64.b64decode(hq.inventory.tag_label(item["id"]))
    assert pdf.startswith(b"%PDF") and item["tag"].encode() in pdf
    assert b"4,500.00" in pdf and b"1.010 ct" in pdf


def test_vendors_and_price_history_on_patch(inventory, db, as_):
    hq = as_()
    vendor = hq.inventory.create_vendor({"name": "Atelier Rossi", "contact": {"phone": "+390612345678"}})
    item = hq.inventory.receive_item(piece(vendor_id=vendor["id"]))
    assert item["vendor_id"] == vendor["id"]
    assert [v["name"] for v in hq.inventory.list_vendors()["items"]] == ["Atelier Rossi"]
    updated = hq.inventory.update_item(item["id"], {"price": {"amount": 399000, "currency": "USD"},
                                                    "description": "Solitaire, reduced"})
    assert updated["price"]["amount"] == 399000
    assert updated["price_history"][0]["old"]["amount"] == 450000
    assert updated["price_history"][0]["new"]["amount"] == 399000
    types = [r[0] for r in db.all("select event_type from outbox order by id")]
    assert types == ["item.received", "item.price_changed", "item.updated"]
    assert hq.inventory.search_items({"q": "reduced"})["items"][0]["id"] == item["id"]


def test_one_statement_view_equals_the_view_built_from_the_rows(inventory, db, as_):
    """The counter's tag lookup reads the piece, its stones, history and store
    in one statement; what it answers is what the rows say, in their order."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from services.inventory.models import Item, ItemHistory, Stone, Store
    from services.inventory.views import item_view

    hq = as_()
    stones = [dict(piece()["stones"][0], carat=c, certificate=None) for c in ("0.250", "1.010", "0.030")]
    item = hq.inventory.receive_item(piece(stones=stones))
    hq.inventory.update_item(item["id"], {"price": {"amount": 470000, "currency": "USD"},
                                          "description": "Three-stone ring"})
    hq.inventory.update_item(item["id"], {"price": {"amount": 465000, "currency": "USD"}})
    with Session(db.engine) as session:
        row = session.get(Item, item["id"])
        expected = item_view(
            row, store=session.get(Store, row.store_id),
            stones=session.scalars(select(Stone).where(Stone.item_id == row.id)
                                   .order_by(Stone.position)).all(),
            history=session.scalars(select(ItemHistory).where(ItemHistory.item_id == row.id)
                                    .order_by(ItemHistory.id)).all())
    got = hq.inventory.get_item_by_tag(item["tag"])
    assert got == expected == hq.inventory.get_item(item["id"])
    assert [s["carat"] for s in got["stones"]] == ["0.250", "1.010", "0.030"]
    assert [h["change"] for h in got["history"]][:1] == ["received"] and len(got["price_history"]) == 2
