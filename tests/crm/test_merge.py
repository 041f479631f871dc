"""Likely duplicates (same phone, same e-mail, similar name) and a merge that
keeps everything of both and leaves the old id resolving to the survivor."""
from datetime import datetime, timedelta, timezone

import pytest

from chassis.errors import Forbidden, InvalidInput, NotFound
from services.crm import campaigns

from .conftest import (
    ASSOCIATE_A,
    ASSOCIATE_B,
    HQ,
    MANAGER_A,
    SETTINGS,
    STORE_A,
    STORE_B,
    client_data,
    consumed,
    money,
    new_id,
    sale_payload,
)


def send(publish, db, producer, event_type, payload):
    envelope = publish(producer, event_type, payload)
    consumed(db, envelope)
    return envelope


def test_duplicates_by_phone_email_and_similar_name(crm, as_):
    hq = as_().crm
    grace = hq.create_client(client_data())
    same_phone = hq.create_client(client_data(first_name="G.", last_name="H.", email=None))
    same_email = hq.create_client(client_data(first_name="Amazing", last_name="Grace", phone=None,
                                              email="grace.hopper@EXAMPLE.com"))
    typo = hq.create_client(client_data(first_name="Grace", last_name="Hoper", phone=None, email=None))
    hq.create_client(client_data(first_name="Alan", last_name="Turing", phone="+442079460958",
                                 email="alan@example.org"))
    found = hq.find_duplicates({"client_id": grace["id"]})["items"]
    reasons = {pair["duplicate"]["id"]: pair["reasons"] for pair in found}
    assert reasons == {same_phone["id"]: ["phone"], same_email["id"]: ["email"],
                       typo["id"]: ["name"]}
    assert all(pair["client"]["id"] == grace["id"] for pair in found)
    pairs = hq.find_duplicates({})
    assert len(pairs["items"]) == 3 and pairs["next_cursor"] is None  # each pair once
    first = hq.find_duplicates({"limit": 2})
    rest = hq.find_duplicates({"limit": 2, "cursor": first["next_cursor"]})
    assert len(first["items"]) == 2 and len(rest["items"]) == 1


def test_merge_keeps_every_purchase_point_milestone_message_and_more(crm, db, as_, publish):
    sa = as_(ASSOCIATE_A).crm
    keep = sa.create_client(client_data(notes="Keeps the survivor's notes.", tags=["a"]))
    dup = as_(ASSOCIATE_B).crm.create_client(client_data(
        first_name="Grace", last_name="Hoper", phone="+1 646 555 0199", email=None,
        home_store_id=STORE_B, notes="Buys for her sister.", tags=["b"], ring_size=None,
        consent={"email": True, "source": "web"},
        preferences={"metals": ["gold"], "stones": ["ruby"], "designers": []},
        milestones=[{"kind": "anniversary", "date": "1985-06-20"},
                    {"kind": "birthday", "date": "1960-12-09"}]))
    # history on both sides
    for client, total in ((keep, 40_000), (dup, 70_000)):
        send(publish, db, "payments", "sale.completed", sale_payload(client["id"], total))
        send(publish, db, "notifications", "message.sent", {
            "message_id": new_id(), "client_id": client["id"], "channel": "sms",
            "status": "sent", "body": "Thank you"})
        send(publish, db, "workorders", "workorder.created", {
            "work_order_id": new_id(), "number": "WO-" + client["id"][:4], "store_id": STORE_A,
            "client_id": client["id"], "kind": "repair"})
    as_(HQ).crm.adjust_points(dup["id"], {"points": 250, "reason": "welcome"})
    as_(ASSOCIATE_B).crm.add_wish(dup["id"], {"description": "Tennis bracelet"})
    starts = (datetime.now(timezone.utc) + timedelta(days=3)).replace(microsecond=0)
    as_(ASSOCIATE_B).crm.book_appointment({
        "client_id": dup["id"], "store_id": STORE_B, "starts_at": starts.isoformat(),
        "staff_user_id": "u-sa-b"})
    before = {c["id"]: as_().crm.get_client(c["id"]) for c in (keep, dup)}
    lines_before = sum(len(as_().crm.timeline(c["id"], {"limit": 200})["items"]) for c in (keep, dup))

    # clients of different home stores: HQ merges them (docs/ARCHITECTURE.md#rule-7)
    merged = as_(HQ).crm.merge_clients(keep["id"], {"duplicate_id": dup["id"]})

    assert merged["id"] == keep["id"] and merged["merged_ids"] == [dup["id"]]
    assert merged["lifetime_value"] == money(110_000)
    assert merged["tier"] == "loyal"                               # 110,000 in 12 months
    assert merged["loyalty_points"] == (before[keep["id"]]["loyalty_points"]
                                        + before[dup["id"]]["loyalty_points"])
    assert db.scalar("select count(*) from purchases where client_id = :c", c=keep["id"]) == 2
    kinds = sorted((m["kind"], m["date"]) for m in merged["milestones"])
    assert kinds == [("anniversary", "1985-06-20"), ("birthday", "1960-12-09"),
                     ("birthday", "1960-12-09"), ("custom", "--05-01")]
    timeline = as_().crm.timeline(keep["id"], {"limit": 200})["items"]
    assert len(timeline) == lines_before
    assert sorted(line["kind"] for line in timeline if line["kind"] != "appointment") == [
        "message", "message", "purchase", "purchase", "work_order", "work_order"]
    assert [w["description"] for w in merged["wishlist"]] == ["Tennis bracelet"]
    assert db.scalar("select count(*) from appointments where client_id = :c", c=keep["id"]) == 1
    # the survivor keeps its facts and gains what only the duplicate had
    assert merged["phone"] == "+12125550123" and merged["ring_size"] == "6.5"
    assert merged["tags"] == ["a", "b"]
    assert merged["preferences"]["metals"] == ["white gold", "platinum", "gold"]
    assert "Buys for her sister." in merged["notes"] and "+16465550199" in merged["notes"]
    assert merged["consent"] == {"sms": True, "email": True}        # the newer e-mail consent
    # the old id resolves to the survivor, for reads, changes and payments alike
    assert as_().crm.get_client(dup["id"])["id"] == keep["id"]
    assert as_().crm.update_client(dup["id"], {"ring_size": "7"})["id"] == keep["id"]
    assert as_(ASSOCIATE_A).crm.redeem_points(dup["id"], new_id(), 100)["client_id"] == keep["id"]
    later = send(publish, db, "payments", "sale.completed", sale_payload(dup["id"], 5_000))
    assert db.scalar("select client_id::text from purchases where sale_id = :s",
                     s=later["payload"]["sale_id"]) == keep["id"]
    assert [c["id"] for c in as_().crm.search_clients({"q": "grace"})["items"]] == [keep["id"]]
    (event,) = db.events("client.merged")
    assert event["payload"] == {"survivor_id": keep["id"], "merged_id": dup["id"]}
    assert db.scalar("select count(*) from history where change in ('merged', 'merged_into')") == 2
    # merging again is the same answer, not a second merge
    again = as_(HQ).crm.merge_clients(keep["id"], {"duplicate_id": dup["id"]})
    assert again["id"] == keep["id"] and len(db.events("client.merged")) == 1


def test_merged_birthdays_bring_one_notice_a_year(crm, db, as_):
    today = datetime.now(timezone.utc).date()
    soon = today + timedelta(days=5)
    date = f"1970-{soon.month:02d}-{soon.day:02d}"
    keep = as_().crm.create_client(client_data(milestones=[{"kind": "birthday", "date": date}]))
    dup = as_().crm.create_client(client_data(first_name="Gracie", phone=None, email=None,
                                              milestones=[{"kind": "birthday", "date": date}]))
    with db.domain().transaction() as session:
        assert campaigns.announce_milestones(session, today, SETTINGS) == 2
    as_().crm.merge_clients(keep["id"], {"duplicate_id": dup["id"]})
    with db.domain().transaction() as session:
        assert campaigns.announce_milestones(session, today, SETTINGS) == 0
    assert db.scalar("select count(*) from milestone_notices") == 1


def test_merge_into_itself_or_by_an_associate_is_refused_and_changes_nothing(crm, db, as_):
    grace = as_().crm.create_client(client_data())
    other = as_().crm.create_client(client_data(first_name="Other"))
    outbox = len(db.events())
    with pytest.raises(InvalidInput) as err:
        as_(MANAGER_A).crm.merge_clients(grace["id"], {"duplicate_id": grace["id"]})
    assert "duplicate_id" in err.value.errors
    with pytest.raises(InvalidInput):
        as_(MANAGER_A).crm.merge_clients(grace["id"], {})
    with pytest.raises(Forbidden):
        as_(ASSOCIATE_A).crm.merge_clients(grace["id"], {"duplicate_id": other["id"]})
    with pytest.raises(NotFound):
        as_(HQ).crm.merge_clients(grace["id"], {"duplicate_id": new_id()})
    assert db.scalar("select count(*) from clients where merged_into is not null") == 0
    assert len(db.events()) == outbox
