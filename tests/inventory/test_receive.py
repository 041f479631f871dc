"""Interface tests: the inventory container on real RabbitMQ and PostgreSQL."""
import uuid

import pytest
from nameko.standalone.events import event_dispatcher
from sqlalchemy import create_engine, text

import contracts
from chassis.errors import InvalidInput, NotFound
from chassis.identity import Identity
from services.inventory.service import Service as Inventory
from tests.conftest import wait_for

STORE_A = str(uuid.uuid4())
STORE_B = str(uuid.uuid4())


def store_event(store_id, code, currency="USD"):
    return contracts.build_envelope("store.created", {
        "id": store_id, "code": code, "name": f"{code} store", "currency": currency,
        "timezone": "America/New_York", "tax_rate_bps": 887,
    }, producer="gateway")


def piece(store_id, **over):
    data = {
        "store_id": store_id, "category": "ring", "description": "Solitaire 1ct",
        "metal": {"type": "gold", "karat": 18, "color": "white", "weight_g": "3.250"},
        "cost": {"amount": 150000, "currency": "USD"},
        "price": {"amount": 450000, "currency": "USD"}, "ownership": "owned",
    }
    data.update(over)
    return data


@pytest.fixture
def inventory(start_service, rabbit_config):
    container = start_service(Inventory)
    dispatch = event_dispatcher()
    for sid, code in ((STORE_A, "NYC"), (STORE_B, "MIA")):
        dispatch("gateway", "store.created", store_event(sid, code))
    engine = create_engine(container.config["DATABASE_URL"])
    wait_for(lambda: engine.connect().execute(text("select count(*) from stores")).scalar() == 2,
             message="stores recorded")
    yield container
    engine.dispose()


def test_receive_item_writes_row_history_and_outbox(inventory, rpc_client):
    hq = rpc_client()
    item = hq.inventory.receive_item(piece(STORE_A))
    assert item["status"] == "in_stock" and len(item["tag"]) == 8
    assert item["metal"]["weight_g"] == "3.250"
    assert hq.inventory.get_item(item["id"])["tag"] == item["tag"]
    assert hq.inventory.get_item_by_tag(item["tag"].lower())["id"] == item["id"]
    engine = create_engine(inventory.config["DATABASE_URL"])
    with engine.connect() as conn:
        rows = conn.execute(text("select event_type, envelope from outbox")).all()
        history = conn.execute(text("select change, to_status, actor_id from item_history")).all()
    engine.dispose()
    assert [r.event_type for r in rows] == ["item.received"]
    assert rows[0].envelope["payload"]["item_id"] == item["id"]
    assert rows[0].envelope["actor_id"] == "u-hq"
    assert [tuple(h) for h in history] == [("received", "in_stock", "u-hq")]


def test_store_user_cannot_see_another_stores_item(inventory, rpc_client):
    item = rpc_client().inventory.receive_item(piece(STORE_A))
    other = rpc_client(Identity(user_id="u-mia", role="store_manager", store_ids=(STORE_B,)))
    with pytest.raises(NotFound):
        other.inventory.get_item(item["id"])
    with pytest.raises(NotFound):
        other.inventory.get_item_by_tag(item["tag"])


def test_bad_input_is_refused_field_by_field_and_changes_nothing(inventory, rpc_client):
    hq = rpc_client()
    with pytest.raises(InvalidInput) as err:
        hq.inventory.receive_item(piece(STORE_A, metal={"type": "gold", "karat": 30, "weight_g": "-1"},
                                        price={"amount": -5, "currency": "USD"}))
    assert set(err.value.errors) >= {"metal.karat", "metal.weight_g", "price.amount"}
    with pytest.raises(InvalidInput) as err:
        hq.inventory.receive_item(piece(str(uuid.uuid4())))
    assert "store_id" in err.value.errors
    engine = create_engine(inventory.config["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from items")).scalar() == 0
        assert conn.execute(text("select count(*) from outbox")).scalar() == 0
    engine.dispose()
