"""No transaction waits on a locked row past DB_LOCK_TIMEOUT_MS (it answers
503, busy, never a late commit), and a chain-wide repricing changes pieces
in batches of their own transactions, stepping around the pieces a sale has
locked (issue 19)."""
import time

import eventlet
import pytest
from sqlalchemy import text

from chassis.db import Db, make_engine
from chassis.errors import Unavailable
from chassis.identity import Identity
from tests.gateway.conftest import piece as http_piece

from .conftest import MANAGER_A, start_inventory
from .test_http import http  # noqa: F401 (the fixture)
from .test_pricing import chain

GOLD_6000 = {"metal": "gold", "price_per_gram": {"amount": 6000, "currency": "USD"},
             "confirm": True}


@pytest.fixture
def inventory(start_service, rabbit_config):
    """A short lock wait, and repricing two pieces per transaction."""
    yield from start_inventory(start_service, DB_LOCK_TIMEOUT_MS=500, REPRICE_BATCH_SIZE=2)


def lock_row(db, item_id):
    """A connection holding the piece's row lock (a sale mid-reservation, say)."""
    conn = db.engine.connect()
    conn.exec_driver_sql(f"select id from items where id = '{item_id}' for update")
    return conn


def test_a_transaction_waiting_on_a_locked_row_gives_up_with_503(http, db):  # noqa: F811
    admin, nyc, _ = http
    item = admin.post("/items", http_piece(nyc["id"])).json()
    holder = lock_row(db, item["id"])
    try:
        began = time.monotonic()
        busy = admin.patch(f"/items/{item['id']}", {"description": "Rope chain, 18 in"})
        waited = time.monotonic() - began
    finally:
        holder.close()
    assert busy.status_code == 503, busy.text
    assert busy.headers["Content-Type"].startswith("application/problem+json")
    assert "locked by another transaction" in busy.json()["detail"]
    assert waited < 2.5          # the lock timeout (0.5 s), not the gateway's 3 s RPC deadline
    done = admin.patch(f"/items/{item['id']}", {"description": "Rope chain, 18 in"})
    assert done.status_code == 200 and done.json()["description"] == "Rope chain, 18 in"


def repriced_at(db):
    """When each piece was repriced: a transaction's own now()."""
    return db.all("select item_id::text, at from item_history where change = 'price_changed'")


def test_repricing_five_pieces_two_at_a_time_takes_three_transactions(inventory, db, as_):
    mgr = as_(MANAGER_A)
    ids = [mgr.inventory.receive_item(chain(price=70000))["id"] for _ in range(5)]
    result = mgr.inventory.set_metal_price(GOLD_6000)
    assert result["repriced"] == 5
    rows = repriced_at(db)
    assert sorted(i for i, _ in rows) == sorted(ids)
    assert len({at for _, at in rows}) == 3
    assert db.scalar("select count(*) from items where price_amount = 75000") == 5
    assert db.scalar("select count(*) from outbox where event_type = 'item.price_changed'") == 5
    assert db.scalar("select count(*) from metal_prices") == 1


def test_a_piece_locked_by_a_sale_does_not_hold_up_the_repricing(inventory, db, as_):
    mgr = as_(MANAGER_A)
    ids = sorted(mgr.inventory.receive_item(chain(price=70000))["id"] for _ in range(5))
    holder = lock_row(db, ids[0])
    call = mgr.inventory.set_metal_price.call_async(GOLD_6000)
    try:
        # the four others are repriced and committed while the first is still locked
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and len(repriced_at(db)) < 4:
            eventlet.sleep(0.05)
        assert sorted(i for i, _ in repriced_at(db)) == ids[1:]
    finally:
        holder.close()       # the sale is done with it: the repricing's retry takes it
    assert call.result()["repriced"] == 5
    assert db.scalar("select count(*) from items where price_amount = 75000") == 5


def test_a_piece_locked_throughout_is_503_and_the_same_price_again_reprices_it(inventory, db, as_):
    mgr = as_(MANAGER_A)
    ids = sorted(mgr.inventory.receive_item(chain(price=70000))["id"] for _ in range(3))
    holder = lock_row(db, ids[1])
    try:
        with pytest.raises(Unavailable) as busy:
            mgr.inventory.set_metal_price(GOLD_6000)
    finally:
        holder.close()
    assert "set the same price again" in str(busy.value)
    assert sorted(i for i, _ in repriced_at(db)) == [ids[0], ids[2]]
    assert mgr.inventory.set_metal_price(GOLD_6000)["repriced"] == 1
    assert db.scalar("select count(*) from items where price_amount = 75000") == 3


def test_a_statement_past_its_time_is_cancelled_and_answered_503(db):
    """DB_STATEMENT_TIMEOUT_MS on every connection make_engine opens."""
    engine = make_engine(db.url, pool_size=1, lock_timeout_ms=300, statement_timeout_ms=200)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("show lock_timeout").scalar() == "300ms"
            assert conn.exec_driver_sql("show timezone").scalar() == "UTC"
        began = time.monotonic()
        with pytest.raises(Unavailable) as busy:
            with Db(engine, "inventory", Identity.system()).transaction() as session:
                session.execute(text("select pg_sleep(2)"))
        assert time.monotonic() - began < 1.5
        assert "took too long" in str(busy.value)
    finally:
        engine.dispose()
