"""A sale's hold lapses (issue 19): a reservation its caller stopped waiting
for holds nothing, the sweeper gives back the pieces of a hold past its
time, and a sale that completes after its hold lapsed takes its pieces
again only if they are still in stock."""
import uuid
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook

from chassis.errors import Conflict

from .conftest import ASSOCIATE_A, STORE_A, piece


def new_sale():
    return str(uuid.uuid4())


def instant(seconds):
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).isoformat()


def lapse(db, sale_id):
    """The sale's holds are past their time (as if SALE_HOLD_MINUTES went by)."""
    db.execute("update sale_holds set expires_at = now() - interval '1 second' where sale_id = :s",
               s=sale_id)


def sweep(inventory):
    with entrypoint_hook(inventory, "expire_sale_holds") as expire:
        expire()


def test_a_reservation_arriving_after_its_deadline_holds_nothing(inventory, db, as_):
    sa = as_(ASSOCIATE_A)
    item = sa.inventory.receive_item(piece())["id"]
    late = new_sale()
    with pytest.raises(Conflict) as refused:
        sa.inventory.reserve_for_sale(late, [item], STORE_A, deadline=instant(-1))
    assert "no longer live" in str(refused.value)
    assert db.scalar("select status from items") == "in_stock"
    assert db.scalar("select count(*) from sale_holds") == 0
    assert db.scalar("select count(*) from outbox where event_type = 'item.reserved'") == 0
    # the piece is still sellable, and a live reservation carries its expiry
    live = new_sale()
    sa.inventory.reserve_for_sale(live, [item], STORE_A, deadline=instant(4))
    assert db.scalar("select status from items") == "reserved"
    minutes = db.scalar("select extract(epoch from expires_at - created_at) / 60 from sale_holds")
    assert 29 < minutes <= 30.1


def test_a_reservation_that_waited_on_a_lock_past_its_deadline_rolls_back(inventory, db, as_):
    sa = as_(ASSOCIATE_A)
    item = sa.inventory.receive_item(piece())["id"]
    with db.engine.connect() as other:       # a repricing (say) holds the piece's row
        other.exec_driver_sql(f"select id from items where id = '{item}' for update")
        call = sa.inventory.reserve_for_sale.call_async(new_sale(), [item], STORE_A,
                                                        deadline=instant(1))
        eventlet.sleep(1.5)
        other.rollback()
    with pytest.raises(Conflict) as refused:
        call.result()
    assert "no longer live" in str(refused.value)
    assert db.scalar("select status from items") == "in_stock"
    assert db.scalar("select count(*) from sale_holds") == 0


def test_the_sweeper_releases_an_expired_hold_and_leaves_a_live_one(inventory, db, as_):
    sa = as_(ASSOCIATE_A)
    stale, live, kept = (sa.inventory.receive_item(piece())["id"] for _ in range(3))
    stale_sale, live_sale, layaway = new_sale(), new_sale(), new_sale()
    sa.inventory.reserve_for_sale(stale_sale, [stale], STORE_A)
    sa.inventory.reserve_for_sale(live_sale, [live], STORE_A)
    sa.inventory.reserve_for_sale(layaway, [kept], STORE_A, reason="layaway")
    sa.inventory.keep_hold(layaway)          # an opened layaway: held until paid or cancelled
    lapse(db, stale_sale)
    db.execute("update sale_holds set created_at = now() - interval '1 year' where sale_id = :s",
               s=layaway)
    sweep(inventory)
    statuses = dict(db.all("select id::text, status from items"))
    assert statuses == {stale: "in_stock", live: "reserved", kept: "reserved"}
    assert dict(db.all("select sale_id::text, state from sale_holds")) == {
        stale_sale: "expired", live_sale: "reserved", layaway: "reserved"}
    released = db.envelopes("item.released")
    assert [(e["payload"]["item_id"], e["payload"]["sale_id"], e["payload"]["reason"])
            for e in released] == [(stale, stale_sale, "sale_expired")]
    change, actor = db.all("select change, actor_role from item_history where item_id = :i "
                           "order by id desc limit 1", i=stale)[0]
    assert (change, actor) == ("hold_expired", "system")
    sa.inventory.reserve_for_sale(new_sale(), [stale], STORE_A)   # sellable again
    sweep(inventory)                         # nothing more is due
    assert len(db.envelopes("item.released")) == 1
    with pytest.raises(Conflict):            # the lapsed sale's retry holds nothing
        sa.inventory.reserve_for_sale(stale_sale, [stale], STORE_A)


def test_a_sale_confirmed_after_its_hold_lapsed_takes_the_piece_if_still_in_stock(inventory, db, as_):
    sa = as_(ASSOCIATE_A)
    item = sa.inventory.receive_item(piece())["id"]
    sale = new_sale()
    sa.inventory.reserve_for_sale(sale, [item], STORE_A)
    lapse(db, sale)
    sweep(inventory)
    assert db.scalar("select status from items") == "in_stock"
    sold = sa.inventory.confirm_sale(sale)
    assert [i["status"] for i in sold] == ["sold"]
    assert db.scalar("select state from sale_holds") == "sold"
    history = [h["change"] for h in sa.inventory.get_item(item)["history"]]
    assert history == ["received", "reserved", "hold_expired", "reserved", "sold"]
    assert sa.inventory.confirm_sale(sale)[0]["status"] == "sold"     # still idempotent


def test_a_hold_released_by_the_sweeper_then_confirmed_is_a_conflict_once_the_piece_is_gone(
        inventory, db, as_):
    sa = as_(ASSOCIATE_A)
    a, b = (sa.inventory.receive_item(piece())["id"] for _ in range(2))
    sale, other = new_sale(), new_sale()
    sa.inventory.reserve_for_sale(sale, [a, b], STORE_A)
    lapse(db, sale)
    sweep(inventory)
    sa.inventory.reserve_for_sale(other, [b], STORE_A)     # another terminal took one piece
    with pytest.raises(Conflict) as refused:
        sa.inventory.confirm_sale(sale)
    assert "lapsed" in str(refused.value)
    # nothing changed: the free piece is not taken, the other sale keeps its own
    assert dict(db.all("select id::text, status from items")) == {a: "in_stock", b: "reserved"}
    assert db.scalar("select count(*) from sale_holds where sale_id = :s and state = 'expired'",
                     s=sale) == 2
    assert db.scalar("select count(*) from outbox where event_type = 'item.sold'") == 0
    with pytest.raises(Conflict):            # an opening layaway in the same case cannot keep it
        sa.inventory.keep_hold(sale)


def test_a_cancelled_layaway_gives_its_pieces_back_from_the_event_alone(inventory, db, as_):
    """payments' own release call after the cancel may be lost; ``layaway.cancelled``
    comes through its outbox and puts the pieces back, once."""
    from nameko.standalone.events import event_dispatcher

    import contracts
    from tests.support.waiting import wait_for

    sa = as_(ASSOCIATE_A)
    kept = sa.inventory.receive_item(piece())["id"]
    layaway = new_sale()
    sa.inventory.reserve_for_sale(layaway, [kept], STORE_A, reason="layaway")
    sa.inventory.keep_hold(layaway)
    event = contracts.build_envelope("layaway.cancelled", {
        "layaway_id": layaway, "store_id": STORE_A, "client_id": str(uuid.uuid4()),
        "item_ids": [kept]}, producer="payments", store_id=STORE_A)
    dispatch = event_dispatcher()
    dispatch("payments", "layaway.cancelled", event)
    dispatch("payments", "layaway.cancelled", event)           # delivered twice
    wait_for(lambda: db.scalar("select status from items where id = :i", i=kept) == "in_stock",
             message="the piece back in stock")
    wait_for(lambda: db.scalar("select count(*) from inbox where event_id = :e",
                               e=event["event_id"]) == 1, message="the event recorded")
    eventlet.sleep(0.3)                                        # the second delivery settled
    assert [e["payload"]["reason"] for e in db.envelopes("item.released")] == ["layaway"]
    change, actor = db.all("select change, actor_role from item_history where item_id = :i "
                           "order by id desc limit 1", i=kept)[0]
    assert (change, actor) == ("released", "system")
