"""Issue 17, docs/ARCHITECTURE.md#rule-7: the client book is the chain's. Any
store finds a client and sells to them, seeing what identifies them (name,
masked phone, tier, home store); the full profile and every change belong to
HQ and the stores the client belongs to (home store, stores of their
purchases, work orders and appointments). Merging clients of different home
stores and adjusting points are HQ's; a job's tracking token is for its
store and the client."""
from datetime import datetime, timedelta, timezone

import pytest

from chassis.errors import Forbidden, NotFound
from chassis.identity import Identity
from services.crm.scope import client_stores

from .conftest import (
    ASSOCIATE_A,
    ASSOCIATE_B,
    HQ,
    MANAGER_A,
    MANAGER_B,
    STORE_A,
    STORE_B,
    STORE_GB,
    client_data,
    consumed,
    new_id,
    sale_payload,
)

ASSOCIATE_GB = Identity(user_id="u-sa-gb", role="sales_associate", store_ids=(STORE_GB,),
                        store_id=STORE_GB)
IDENTIFYING = {"id", "first_name", "last_name", "phone", "tier", "home_store_id"}


def send(publish, db, producer, event_type, payload):
    envelope = publish(producer, event_type, payload)
    consumed(db, envelope)
    return envelope


def job(client_id, store_id, token="tok-" + "x" * 28, **over):
    return {"work_order_id": new_id(), "number": "WO-2001", "store_id": store_id,
            "client_id": client_id, "kind": "repair", "tracking_token": token, **over}


@pytest.fixture
def client(crm, as_):
    """Grace, of store A (store B has never served her)."""
    return as_(ASSOCIATE_A).crm.create_client(client_data())


def test_a_client_belongs_to_the_stores_of_home_purchases_jobs_and_appointments(
        crm, db, as_, publish, client):
    with db.domain().transaction() as session:
        assert client_stores(session, client["id"]) == {STORE_A}
    assert set(as_(ASSOCIATE_B).crm.get_client(client["id"])) == IDENTIFYING
    send(publish, db, "payments", "sale.completed", sale_payload(client["id"], 1_000,
                                                                 store_id=STORE_B))
    send(publish, db, "workorders", "workorder.created", job(client["id"], STORE_GB))
    starts = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)
    hq_booked = as_(HQ).crm.book_appointment({
        "client_id": client["id"], "store_id": STORE_GB, "starts_at": starts.isoformat(),
        "staff_user_id": "u-sa-gb"})
    with db.domain().transaction() as session:
        assert client_stores(session, client["id"]) == {STORE_A, STORE_B, STORE_GB}
    assert hq_booked["store_id"] == STORE_GB
    # store B sold to her, so her profile is B's too now; so for London's job
    assert as_(ASSOCIATE_B).crm.get_client(client["id"])["notes"] == "Prefers afternoon visits."
    assert as_(ASSOCIATE_GB).crm.timeline(client["id"])["items"]


def test_another_store_sees_what_identifies_a_client_and_nothing_more(crm, db, as_, client):
    other = as_(ASSOCIATE_B).crm
    seen = other.get_client(client["id"])
    assert seen == {"id": client["id"], "first_name": "Grace", "last_name": "Hopper",
                    "phone": "**********23", "tier": "new", "home_store_id": STORE_A}
    (found,) = other.search_clients({"q": "hopper"})["items"]
    assert found == seen
    (found,) = other.search_clients({"q": "212 555 0123"})["items"]   # a phone finds her
    assert found["id"] == client["id"] and "email" not in found
    assert "notes" in as_(ASSOCIATE_A).crm.get_client(client["id"])
    assert as_(ASSOCIATE_A).crm.search_clients({"q": "hopper"})["items"][0]["email"]
    for read in (lambda c: c.timeline(client["id"]), lambda c: c.loyalty_ledger(client["id"]),
                 lambda c: c.find_duplicates({"client_id": client["id"]})):
        with pytest.raises(NotFound):
            read(other)
    with pytest.raises(NotFound):
        as_(MANAGER_B).crm.client_history(client["id"])


def test_another_store_changes_nothing_of_a_client_but_still_sells_to_them(
        crm, db, as_, publish, client):
    wish = as_(ASSOCIATE_A).crm.add_wish(client["id"], {"description": "Pearl studs"})
    history_before = db.scalar("select count(*) from history")
    starts = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)
    writes = [
        lambda c: c.update_client(client["id"], {"notes": "owes us money"}),
        lambda c: c.update_client(client["id"], {"consent": {"sms": False}}),
        lambda c: c.update_client(client["id"], {"milestones": []}),
        lambda c: c.add_wish(client["id"], {"description": "A tiara"}),
        lambda c: c.remove_wish(client["id"], wish["id"]),
        lambda c: c.book_appointment({"client_id": client["id"], "store_id": STORE_B,
                                      "starts_at": starts.isoformat(), "staff_user_id": "u-sa-b"}),
    ]
    for write in writes:
        for someone in (ASSOCIATE_B, MANAGER_B):
            with pytest.raises(NotFound):
                write(as_(someone).crm)
    after = as_(HQ).crm.get_client(client["id"])
    assert after["notes"] == "Prefers afternoon visits." and after["consent"]["sms"] is True
    assert len(after["milestones"]) == 2 and [w["id"] for w in after["wishlist"]] == [wish["id"]]
    assert db.scalar("select count(*) from appointments") == 0
    assert db.scalar("select count(*) from history") == history_before
    assert db.events("client.updated") == []
    # selling to her still works: the sale is recorded (as the system) and
    # her points pay at store B's counter
    as_(HQ).crm.adjust_points(client["id"], {"points": 300, "reason": "welcome"})
    assert as_(ASSOCIATE_B).crm.redeem_points(client["id"], new_id(), 100)["balance"] == 200
    sale = send(publish, db, "payments", "sale.completed",
                sale_payload(client["id"], 5_000, store_id=STORE_B))
    assert db.scalar("select store_id::text from purchases where sale_id = :s",
                     s=sale["payload"]["sale_id"]) == STORE_B


def test_merging_clients_of_different_home_stores_is_for_hq(crm, db, as_, client):
    theirs = as_(ASSOCIATE_B).crm.create_client(client_data(
        last_name="Hoper", phone="+1 646 555 0199", email=None, home_store_id=STORE_B,
        notes="Store B's client"))
    ours = as_(ASSOCIATE_A).crm.create_client(client_data(last_name="Hopper-Smith"))
    for manager in (MANAGER_A, MANAGER_B):
        with pytest.raises(Forbidden):
            as_(manager).crm.merge_clients(client["id"], {"duplicate_id": theirs["id"]})
    with pytest.raises(NotFound):        # two of store A's: not store B's to merge
        as_(MANAGER_B).crm.merge_clients(client["id"], {"duplicate_id": ours["id"]})
    assert db.scalar("select count(*) from clients where merged_into is not null") == 0
    assert db.events("client.merged") == []
    assert as_(HQ).crm.get_client(theirs["id"])["notes"] == "Store B's client"
    # a store merges its own clients; HQ merges across stores
    assert as_(MANAGER_A).crm.merge_clients(client["id"], {"duplicate_id": ours["id"]})[
        "merged_ids"] == [ours["id"]]
    merged = as_(HQ).crm.merge_clients(client["id"], {"duplicate_id": theirs["id"]})
    assert sorted(merged["merged_ids"]) == sorted([ours["id"], theirs["id"]])
    # store B still serves the client it brought: its home store stays B's
    assert "notes" in as_(ASSOCIATE_B).crm.get_client(client["id"])


def test_points_adjustments_are_for_hq_admin(crm, db, as_, client):
    for someone in (MANAGER_A, MANAGER_B, ASSOCIATE_A):
        with pytest.raises(Forbidden):
            as_(someone).crm.adjust_points(client["id"], {"points": 500, "reason": "gift"})
    assert db.scalar("select count(*) from loyalty_ledger") == 0
    assert as_(HQ).crm.adjust_points(client["id"], {"points": 500, "reason": "gift"})["balance"] == 500


def test_a_jobs_tracking_token_is_shown_only_to_its_own_store(crm, db, as_, publish, client):
    token = "B-" + "t" * 30
    # Grace belongs to both stores (store B repairs her ring); each store reads her timeline
    send(publish, db, "workorders", "workorder.created", job(client["id"], STORE_B, token))
    send(publish, db, "notifications", "message.sent", {
        "message_id": new_id(), "client_id": client["id"], "store_id": STORE_B, "channel": "sms",
        "status": "sent", "trigger": "estimate_ready",
        "body": f"Your estimate is ready: https://shop.example.com/track/{token}?approve=1"})
    send(publish, db, "workorders", "workorder.created",
         job(client["id"], STORE_A, "A-" + "a" * 30, number="WO-1001"))

    def lines(identity):
        return as_(identity).crm.timeline(client["id"], {"limit": 50})["items"]

    seen_by_a = lines(ASSOCIATE_A)
    assert token not in repr(seen_by_a)
    (b_job,) = [x for x in seen_by_a if x["kind"] == "work_order" and x["store_id"] == STORE_B]
    assert "tracking_token" not in b_job["details"] and b_job["details"]["number"] == "WO-2001"
    (a_job,) = [x for x in seen_by_a if x["kind"] == "work_order" and x["store_id"] == STORE_A]
    assert a_job["details"]["tracking_token"] == "A-" + "a" * 30      # its own job's token
    for own in (ASSOCIATE_B, HQ):
        seen = lines(own)
        assert [x["details"]["tracking_token"] for x in seen
                if x["kind"] == "work_order" and x["store_id"] == STORE_B] == [token]
        assert any(token in (x["details"].get("body") or "") for x in seen)


def test_a_client_a_store_adds_without_a_home_store_is_that_stores(crm, as_):
    added = as_(ASSOCIATE_B).crm.create_client(client_data(home_store_id=None))
    assert added["home_store_id"] == STORE_B
    assert as_(ASSOCIATE_B).crm.get_client(added["id"])["notes"] == "Prefers afternoon visits."
    assert "notes" not in as_(ASSOCIATE_A).crm.get_client(added["id"])
    assert as_(HQ).crm.create_client(client_data(home_store_id=None, phone=None, email=None))[
        "home_store_id"] is None


def test_neighbours_ask_whether_a_caller_sees_a_client_in_full(crm, as_, client):
    """For payments' store credit view (a part of the full profile)."""
    assert as_(ASSOCIATE_A).crm.client_scope(client["id"]) == {"client_id": client["id"], "full": True}
    assert as_(ASSOCIATE_B).crm.client_scope(client["id"]) == {"client_id": client["id"], "full": False}
    assert as_(HQ).crm.client_scope(client["id"])["full"] is True
    with pytest.raises(NotFound):
        as_(ASSOCIATE_B).crm.client_scope(new_id())
