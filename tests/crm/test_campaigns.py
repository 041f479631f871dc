"""Segments for campaigns, milestone notices from the daily timer, and
recommendations from stock (inventory replaced with canned pieces)."""
from datetime import date, datetime, timedelta, timezone

import pytest
from nameko.testing.services import entrypoint_hook

from chassis.errors import Forbidden, InvalidInput, NotFound, Unavailable
from services.crm import campaigns

from .conftest import (
    ASSOCIATE_A,
    AUDITOR,
    HQ,
    JEWELER_A,
    MANAGER_A,
    SETTINGS,
    STORE_A,
    STORE_B,
    client_data,
    consumed,
    money,
    sale_payload,
)


def md(day):
    return f"{day.month:02d}-{day.day:02d}"


def sell(publish, db, client_id, total, **kw):
    consumed(db, publish("payments", "sale.completed", sale_payload(client_id, total, **kw)))


def test_segments_by_tier_store_milestone_last_purchase_and_consent(crm, db, as_, publish):
    hq = as_().crm
    today = datetime.now(timezone.utc).date()
    ada = hq.create_client(client_data(first_name="Ada", phone=None, email=None,
                                       milestones=[{"kind": "anniversary",
                                                    "date": "2001-" + md(today + timedelta(days=10))}]))
    bea = hq.create_client(client_data(first_name="Bea", phone=None, email=None,
                                       consent={"sms": False, "email": True},
                                       milestones=[{"kind": "birthday",
                                                    "date": "--" + md(today + timedelta(days=40))}]))
    cleo = hq.create_client(client_data(first_name="Cleo", phone=None, email=None,
                                        home_store_id=STORE_B, milestones=[]))
    sell(publish, db, ada["id"], 150_000)
    sell(publish, db, cleo["id"], 5_000)
    db.execute("update clients set last_purchase_at = now() - interval '200 days' where id = :c",
               c=cleo["id"])

    def names(**query):
        return [c["first_name"] for c in hq.segment(query)["items"]]

    assert names() == ["Ada", "Bea", "Cleo"]
    assert names(tier="loyal") == ["Ada"]
    assert names(store_id=STORE_B) == ["Cleo"]
    assert names(milestone_within_days=14) == ["Ada"]
    assert names(milestone_within_days=45) == ["Ada", "Bea"]
    assert names(milestone_within_days=45, milestone_kind="birthday") == ["Bea"]
    assert names(last_purchase_before=(today - timedelta(days=90)).isoformat()) == ["Cleo"]
    assert names(consent="email") == ["Bea"]
    assert [c["id"] for c in hq.segment({"consent": "email"})["items"]] == [bea["id"]]
    assert names(consent="sms") == ["Ada", "Cleo"]
    ada_row = hq.segment({"milestone_within_days": 14})["items"][0]
    assert ada_row["upcoming_milestones"][0]["next_on"] == (today + timedelta(days=10)).isoformat()
    assert ada_row["consent"] == {"sms": True, "email": False} and "notes" not in ada_row
    page = hq.segment({"limit": 2})
    assert len(page["items"]) == 2
    assert len(hq.segment({"limit": 2, "cursor": page["next_cursor"]})["items"]) == 1
    assert [c["first_name"] for c in as_(MANAGER_A).crm.segment({})["items"]] == ["Ada", "Bea"]
    assert len(as_(AUDITOR).crm.segment({})["items"]) == 3
    with pytest.raises(InvalidInput) as err:
        hq.segment({"milestone_within_days": -1, "tier": "gold"})
    assert {"milestone_within_days", "tier"} <= set(err.value.errors)


def test_milestone_notice_goes_out_once_per_client_milestone_and_year(crm, db, as_):
    hq = as_().crm
    day = date(2027, 3, 1)
    grace = hq.create_client(client_data(milestones=[
        {"kind": "anniversary", "date": "2017-03-10"},          # in 9 days
        {"kind": "birthday", "date": "--02-29"},                # 1 March in a common year
        {"kind": "custom", "label": "Daughter's graduation", "date": "--03-30"},   # too far
    ]))
    for today in (day - timedelta(days=1), day, day):           # runs on several days
        with db.domain().transaction() as session:
            campaigns.announce_milestones(session, today, SETTINGS)
    events = sorted((e["payload"] for e in db.events("milestone.upcoming")),
                    key=lambda p: p["date"])
    assert [(p["kind"], p["date"], p["days_until"]) for p in events] == [
        ("birthday", "2027-03-01", 1), ("anniversary", "2027-03-10", 10)]
    assert events[1]["years"] == 10 and events[1]["client_id"] == grace["id"]
    assert events[1]["home_store_id"] == STORE_A and events[1]["associate_id"] is None
    # in a later year they come again (2029: no 29 February, so 1 March)
    with db.domain().transaction() as session:
        campaigns.announce_milestones(session, date(2029, 3, 1), SETTINGS)
    assert len(db.events("milestone.upcoming")) == 4


def test_the_timer_entrypoint_runs_the_daily_review(crm, db, as_):
    soon = datetime.now(timezone.utc).date() + timedelta(days=3)
    as_().crm.create_client(client_data(milestones=[{"kind": "birthday", "date": "--" + md(soon)}]))
    with entrypoint_hook(crm, "daily_review") as fire:
        fire()
    with entrypoint_hook(crm, "daily_review") as fire:
        fire()
    (event,) = db.events("milestone.upcoming")
    assert event["payload"]["date"] == soon.isoformat()


CANNED = [
    {"id": "11111111-0000-4000-8000-000000000001", "category": "ring", "price": money(300_000),
     "metal": {"type": "platinum"}, "stones": [{"type": "sapphire"}], "attributes": {}},
    {"id": "11111111-0000-4000-8000-000000000002", "category": "ring", "price": money(250_000),
     "metal": {"type": "platinum"}, "stones": [{"type": "diamond"}], "attributes": {}},
    {"id": "11111111-0000-4000-8000-000000000003", "category": "ring", "price": money(200_000),
     "metal": {"type": "gold"}, "stones": [], "attributes": {"designer": "House"}},
]


def test_recommendations_ask_inventory_for_the_clients_taste_at_the_home_store(crm, db, as_,
                                                                             publish):
    client = as_(ASSOCIATE_A).crm.create_client(client_data(
        preferences={"metals": ["Platinum"], "stones": ["sapphire"], "designers": ["House"]}))
    bought = "11111111-0000-4000-8000-000000000002"
    sell(publish, db, client["id"], 200_000, lines=[{
        "kind": "item", "item_id": bought, "amount": money(200_000), "category": "ring",
        "metal_type": "gold"}])
    asked = []

    def search_items(filters):
        asked.append(filters)
        return {"items": [i for i in CANNED
                          if filters.get("metal_type") in (None, i["metal"]["type"])],
                "next_cursor": None}

    crm.inventory_mock.search_items.side_effect = search_items
    result = as_(ASSOCIATE_A).crm.recommendations(client["id"], {"limit": 5})
    assert asked == [
        {"store_id": STORE_A, "status": "in_stock", "limit": 5, "min_price": 100_000,
         "max_price": 400_000, "metal_type": "platinum", "category": "ring"},
        {"store_id": STORE_A, "status": "in_stock", "limit": 5, "min_price": 100_000,
         "max_price": 400_000, "metal_type": "gold", "category": "ring"},
    ]
    # already owned pieces are left out; sapphire + platinum first, then the designer's
    assert [i["id"] for i in result["items"]] == [CANNED[0]["id"], CANNED[2]["id"]]
    assert result["based_on"]["metals"] == ["platinum", "gold"]
    assert result["store_id"] == STORE_A


def test_recommendations_for_a_client_of_another_store_use_the_callers_store(crm, db, as_, publish):
    """A client of store B who bought at store A: A recommends from its own
    stock. A client store A never served is not A's to profile (issue 17)."""
    client = as_().crm.create_client(client_data(home_store_id=STORE_B, preferences={}))
    crm.inventory_mock.search_items.return_value = {"items": [], "next_cursor": None}
    with pytest.raises(NotFound):
        as_(ASSOCIATE_A).crm.recommendations(client["id"])
    assert crm.inventory_mock.search_items.call_args_list == []
    sell(publish, db, client["id"], 10_000, store_id=STORE_A)
    as_(ASSOCIATE_A).crm.recommendations(client["id"])
    calls = crm.inventory_mock.search_items.call_args_list
    assert calls and {call.args[0]["store_id"] for call in calls} == {STORE_A}
    with pytest.raises(Forbidden):
        as_(ASSOCIATE_A).crm.recommendations(client["id"], {"store_id": STORE_B})
    with pytest.raises(Forbidden):
        as_(JEWELER_A).crm.recommendations(client["id"])
    crm.inventory_mock.search_items.side_effect = Unavailable("inventory did not answer")
    with pytest.raises(Unavailable):
        as_(HQ).crm.recommendations(client["id"])
