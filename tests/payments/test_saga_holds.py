"""The saga's holds lapse (issue 19): a reservation inventory receives after
the saga stopped waiting for it holds nothing, a sale's hold carries its
expiry, and an opened layaway keeps its pieces until paid or cancelled."""
import eventlet

from chassis.validation import load
from contracts.rpc.payments import SaleRequest
from services.payments import saga

from .conftest import ASSOCIATE_A, CLIENT, STORE_A, cash, new_key


class LateInventory:
    """inventory, but a reservation reaches it ``delay`` seconds after it was
    sent (it sat in a queue) while the caller waits only ``timeout``."""

    def __init__(self, inventory, delay, timeout):
        self._inventory, self._delay, self._timeout = inventory, delay, timeout

    def __getattr__(self, name):
        method = getattr(self._inventory, name)
        if name != "reserve_for_sale":
            return method

        def late(*args, **kwargs):
            eventlet.sleep(self._delay)
            return method(*args, **kwargs)
        late.timeout = self._timeout
        return late


def test_a_reservation_reaching_inventory_after_the_saga_stopped_waiting_holds_nothing(
        platform, db, idb, domain, receive):
    item = receive(1, price=100000)[0]
    ctx = domain(ASSOCIATE_A)
    ctx.inventory = LateInventory(ctx.inventory, delay=1.0, timeout=0.5)
    request = {"store_id": STORE_A, "lines": [{"item_id": item}], "tenders": [cash(108870)]}
    view = saga.create_sale(ctx, load(SaleRequest(), request), new_key(), "h")
    assert view["status"] == "failed" and view["failure_code"] == "piece_unavailable"
    assert "no longer live" in view["failure_reason"]
    assert idb.scalar("select status from items") == "in_stock"
    assert idb.scalar("select count(*) from sale_holds") == 0
    # the piece sells at once to the next customer
    again = saga.create_sale(domain(ASSOCIATE_A), load(SaleRequest(), request), new_key(), "h2")
    assert again["status"] == "completed"


def test_an_opened_layaway_keeps_its_pieces_while_a_sales_hold_lapses(platform, idb, as_, receive):
    items = receive(2, price=100000)
    terminal = as_(ASSOCIATE_A).payments
    lw = terminal.open_layaway({"store_id": STORE_A, "client_id": CLIENT, "item_ids": items[:1],
                                "deposit": cash(30000), "installments": 2, "interval_days": 30},
                               new_key())
    assert lw["status"] == "active"
    sale = terminal.create_sale({"store_id": STORE_A, "lines": [{"item_id": items[1]}],
                                 "tenders": [cash(108870)]}, new_key())
    assert sale["status"] == "completed"
    holds = dict(idb.all("select reason, extract(epoch from expires_at - created_at) / 60 "
                         "from sale_holds"))
    assert holds["layaway"] is None                  # kept: no sweeper releases it
    assert 29 < holds["sale"] <= 30.1


def test_a_card_is_never_captured_for_a_piece_whose_hold_lapsed_and_was_sold(
        platform, db, idb, domain, receive, stripe_client):
    """The sale took long (a tap awaited, inventory away): its hold lapsed, the
    sweeper gave the piece back and another sale took it. Before capturing, the
    saga makes the hold firm; here it cannot, so the card is voided, not captured."""
    from nameko.standalone.rpc import ClusterRpcClient

    from chassis.db import Db
    from chassis.identity import Identity
    from services.inventory import sales as inventory_sales

    from .conftest import ASSOCIATE_A as WHO, card, payment_intents

    item = receive(1, price=100000)[0]

    def meanwhile(tender_id, **kwargs):
        idb.execute("update sale_holds set expires_at = now() - interval '1 second'")
        with Db(idb.engine, "inventory", Identity.system()).transaction() as session:  # the sweeper
            inventory_sales.expire_sale_holds(session, Identity.system())
        with ClusterRpcClient(context_data=WHO.to_context(), timeout=10) as rpc:
            rpc.inventory.reserve_for_sale(new_key(), [item], STORE_A)      # someone else's sale

    ctx = domain(ASSOCIATE_A, hooks={"after_tender": meanwhile})
    request = {"store_id": STORE_A, "lines": [{"item_id": item}], "tenders": [card(108870)]}
    view = saga.create_sale(ctx, load(SaleRequest(), request), new_key(), "h")
    assert view["status"] == "failed" and view["failure_code"] == "piece_unavailable", view
    assert [pi.status for pi in payment_intents(stripe_client)] == ["canceled"]
    assert idb.scalar("select status from items where id = :i", i=item) == "reserved"   # the other's
