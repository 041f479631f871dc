"""The timeline the crm keeps from other services' events (no calls into
their databases), wish-list alerts, and consent reported by notifications."""
from datetime import datetime, timedelta, timezone

import pytest
from nameko.testing.services import entrypoint_waiter

from chassis.errors import InvalidInput

from .conftest import ASSOCIATE_A, STORE_A, STORE_GB, client_data, consumed, money, new_id, sale_payload


@pytest.fixture
def client(crm, as_):
    return as_(ASSOCIATE_A).crm.create_client(client_data())


def stamp(minutes):
    """An event time ``minutes`` after a fixed point, so order is explicit."""
    return datetime(2026, 6, 1, 12, tzinfo=timezone.utc) + timedelta(minutes=minutes)


def send(publish, db, producer, event_type, payload, minutes=None):
    kw = {"occurred_at": stamp(minutes)} if minutes is not None else {}
    envelope = publish(producer, event_type, payload, **kw)
    consumed(db, envelope)
    return envelope


def work_order(client_id, **over):
    payload = {"work_order_id": over.pop("work_order_id", new_id()), "number": "WO-1001",
               "store_id": STORE_A, "client_id": client_id, "kind": "resize"}
    payload.update(over)
    return payload


def message(client_id, message_id, status="sent", **over):
    payload = {"message_id": message_id, "client_id": client_id, "store_id": STORE_A,
               "channel": "sms", "status": status, "trigger": "pickup_ready",
               "body": "Your ring is ready"}
    payload.update(over)
    return payload


def test_timeline_gathers_purchases_work_orders_and_messages_newest_first(crm, db, as_, publish,
                                                                          client):
    job = work_order(client["id"])
    send(publish, db, "workorders", "workorder.created", job, minutes=1)
    send(publish, db, "payments", "sale.completed",
         sale_payload(client["id"], 45_000, completed_at=stamp(2).isoformat()))
    send(publish, db, "workorders", "workorder.stage_changed",
         dict(job, from_stage="in_progress", to_stage="ready_for_pickup"), minutes=3)
    sms = new_id()
    send(publish, db, "notifications", "message.sent", message(client["id"], sms), minutes=4)
    send(publish, db, "notifications", "message.status_changed",
         message(client["id"], sms, status="delivered"), minutes=5)
    send(publish, db, "notifications", "message.received",
         message(client["id"], new_id(), status="received", body="Thanks!",
                 from_number="+12125550123"), minutes=6)
    lines = as_().crm.timeline(client["id"])["items"]
    assert [(line["kind"], line["summary"]) for line in lines] == [
        ("message", "SMS from client (pickup ready)"),
        ("message", "SMS to client (pickup ready)"),
        ("work_order", "Work order WO-1001: ready for pickup"),
        ("purchase", "Purchase R-" + lines[3]["ref_id"][:6] + ": $450.00"),   # a US store
        ("work_order", "Work order WO-1001 taken in (resize)"),
    ]
    assert lines[1]["details"]["status"] == "delivered"         # a status updates its line
    first = as_().crm.timeline(client["id"], {"limit": 2})
    rest = as_().crm.timeline(client["id"], {"limit": 10, "cursor": first["next_cursor"]})
    assert [line["id"] for line in first["items"] + rest["items"]] == [line["id"] for line in lines]
    only = as_().crm.timeline(client["id"], {"kind": "work_order"})["items"]
    assert {line["kind"] for line in only} == {"work_order"}
    assert db.scalar("select count(*) from profile_reads where view = 'timeline'") == 4


def test_purchase_and_return_lines_print_money_as_the_store_reads_it(crm, db, as_, publish,
                                                                     client):
    sale = sale_payload(client["id"], 123_450, store_id=STORE_GB, currency="GBP",
                        completed_at=stamp(1).isoformat())
    send(publish, db, "payments", "sale.completed", sale)
    send(publish, db, "payments", "sale.returned", {
        "sale_id": sale["sale_id"], "return_id": new_id(), "store_id": STORE_GB,
        "client_id": client["id"], "item_ids": [sale["lines"][0]["item_id"]],
        "refund": money(23_450, "GBP"), "returned_at": stamp(2).isoformat()})
    lines = as_().crm.timeline(client["id"])["items"]
    assert [line["summary"] for line in lines] == [
        "Return: £234.50 refunded", f"Purchase {sale['receipt_number']}: £1,234.50"]


def test_events_for_unknown_clients_are_consumed_without_effect(crm, db, publish, client):
    send(publish, db, "workorders", "workorder.created", work_order(new_id()))
    send(publish, db, "notifications", "message.sent", message(None, new_id()))
    assert db.scalar("select count(*) from timeline") == 0


def test_wished_piece_held_or_sold_for_someone_else_or_cheaper_alerts_the_associate(
        crm, db, as_, publish, client):
    sa = as_(ASSOCIATE_A).crm
    piece = new_id()
    wish = sa.add_wish(client["id"], {"item_id": piece, "note": "for their anniversary"})
    assert sa.add_wish(client["id"], {"item_id": piece})["id"] == wish["id"]   # once per piece
    sa.add_wish(client["id"], {"description": "Emerald-cut sapphire, 2 ct, platinum"})
    assert len(sa.get_client(client["id"])["wishlist"]) == 2
    # the client's own hold is no news; someone else's is
    send(publish, db, "inventory", "item.reserved", {
        "item_id": piece, "store_id": STORE_A, "reason": "hold", "client_id": client["id"]})
    send(publish, db, "inventory", "item.reserved", {
        "item_id": piece, "store_id": STORE_A, "reason": "hold", "client_id": new_id()})
    with entrypoint_waiter(crm, "on_item_price_changed", timeout=10):   # dearer: no news
        publish("inventory", "item.price_changed", {
            "item_id": piece, "store_id": STORE_A, "old_price": money(500_000),
            "new_price": money(550_000), "reason": "spot"})
    assert db.scalar("select count(*) from inbox where event_type = 'item.price_changed'") == 0
    send(publish, db, "inventory", "item.price_changed", {
        "item_id": piece, "store_id": STORE_A, "old_price": money(550_000),
        "new_price": money(420_000), "reason": "markdown"})
    send(publish, db, "inventory", "item.sold", {
        "item_id": piece, "store_id": STORE_A, "sale_id": new_id(), "price": money(420_000)})
    alerts = as_().crm.timeline(client["id"], {"kind": "wish_alert"})["items"]
    assert [a["details"]["event"] for a in alerts] == ["sold", "price_dropped", "reserved"]
    assert {a["for_associate_id"] for a in alerts} == {"u-sa-a"}
    assert alerts[1]["details"]["new_price"] == money(420_000)
    statuses = {w["item_id"]: w["status"] for w in sa.get_client(client["id"])["wishlist"]}
    assert statuses[piece] == "unavailable"


def test_buying_a_wished_piece_fulfils_the_wish(crm, db, as_, publish, client):
    sa = as_(ASSOCIATE_A).crm
    piece = new_id()
    sa.add_wish(client["id"], {"item_id": piece})
    sale = sale_payload(client["id"], 300_000, lines=[{
        "kind": "item", "item_id": piece, "amount": money(300_000), "category": "ring"}])
    send(publish, db, "payments", "sale.completed", sale)
    with entrypoint_waiter(crm, "on_item_sold", timeout=10):    # no open wish: read, no transaction
        publish("inventory", "item.sold", {
            "item_id": piece, "store_id": STORE_A, "sale_id": sale["sale_id"],
            "price": money(300_000)})
    assert sa.get_client(client["id"])["wishlist"] == []
    assert db.scalar("select status from wishes") == "fulfilled"
    assert db.scalar("select count(*) from timeline where kind = 'wish_alert'") == 0


def test_bad_wish_is_refused(crm, db, as_, client):
    for bad in ({}, {"item_id": new_id(), "description": "both"}, {"item_id": "ring-7"}):
        with pytest.raises(InvalidInput):
            as_().crm.add_wish(client["id"], bad)
    assert db.scalar("select count(*) from wishes") == 0


def test_stop_reply_reported_by_notifications_withdraws_sms_consent(crm, db, as_, publish, client):
    twin = as_().crm.create_client(client_data(first_name="Other", email=None))  # same phone
    send(publish, db, "notifications", "client.consent_changed", {
        "phone": "+12125550123", "channel": "sms", "granted": False, "source": "sms_reply",
        "changed_at": "2030-01-01T10:00:00+00:00"})
    for who in (client, twin):
        consent = as_().crm.get_client(who["id"])["consent_details"]["sms"]
        assert consent == {"granted": False, "source": "sms_reply",
                           "changed_at": "2030-01-01T10:00:00+00:00"}
    # an older report (START sent before the STOP) does not undo it
    send(publish, db, "notifications", "client.consent_changed", {
        "client_id": client["id"], "channel": "sms", "granted": True, "source": "sms_reply",
        "changed_at": "2029-12-31T10:00:00+00:00"})
    assert as_().crm.get_client(client["id"])["consent"]["sms"] is False
    send(publish, db, "notifications", "client.consent_changed", {
        "client_id": client["id"], "channel": "sms", "granted": True, "source": "sms_reply",
        "changed_at": "2030-01-02T10:00:00+00:00"})
    assert as_().crm.get_client(client["id"])["consent"]["sms"] is True
    assert db.events("client.consent_changed") == []      # not echoed back to notifications
    assert db.scalar("select count(*) from history where change = 'consent_changed'") == 3
