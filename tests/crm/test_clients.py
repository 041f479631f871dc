"""Client profiles: normalized contact facts, consent with when and how,
milestones, the view each role gets, audited reads, search and changes."""
import pytest

from chassis.errors import Forbidden, InvalidInput, NotFound

from .conftest import (
    ASSOCIATE_A,
    ASSOCIATE_B,
    AUDITOR,
    HQ,
    JEWELER_A,
    MANAGER_B,
    STORE_A,
    STORE_B,
    STORE_GB,
    client_data,
    new_id,
)


def test_create_normalizes_contact_keeps_consent_milestones_and_publishes(crm, db, as_):
    client = as_(ASSOCIATE_A).crm.create_client(client_data())
    assert client["phone"] == "+12125550123"
    assert client["email"] == "grace.hopper@example.com"
    assert client["consent"] == {"sms": True, "email": False}
    sms = client["consent_details"]["sms"]
    assert sms["granted"] is True and sms["source"] == "counter" and sms["changed_at"]
    assert client["consent_details"]["email"]["source"] == "counter"
    assert sorted(m["date"] for m in client["milestones"]) == ["--05-01", "1960-12-09"]
    assert [m["label"] for m in client["milestones"] if m["kind"] == "custom"] == ["First visit"]
    assert client["preferences"]["metals"] == ["white gold", "platinum"]
    assert client["tier"] == "new" and client["loyalty_points"] == 0
    assert client["lifetime_value"] == {"amount": 0, "currency": "USD"}
    assert client["associate_id"] == "u-sa-a"
    events = db.events("client.created")
    assert len(events) == 1 and events[0]["payload"]["phone"] == "+12125550123"
    assert events[0]["payload"]["consent"] == {"sms": True, "email": False}
    assert events[0]["store_id"] == STORE_A and events[0]["actor_id"] == "u-sa-a"
    assert db.scalar("select change from history where client_id = :c", c=client["id"]) == "created"


def test_phone_is_read_in_the_home_stores_country(crm, as_):
    london = as_().crm.create_client(client_data(home_store_id=STORE_GB, phone="020 7946 0958"))
    assert london["phone"] == "+442079460958"
    abroad = as_().crm.create_client(client_data(phone="+44 20 7946 0958"))
    assert abroad["phone"] == "+442079460958"


@pytest.mark.parametrize("change, fields", [
    ({"phone": "call me maybe"}, {"phone"}),
    ({"phone": "123"}, {"phone"}),
    ({"phone": "(212) 555-012"}, {"phone"}),          # parses, but no such US number
    ({"phone": "020 7946 0958"}, {"phone"}),          # a London number read in a US store
    ({"email": "grace.example.com"}, {"email"}),
    ({"milestones": [{"kind": "birthday", "date": "12/09/1960"}]}, {"milestones.0.date"}),
    ({"milestones": [{"kind": "anniversary", "date": "2021-02-30"}]}, {"milestones.0.date"}),
    ({"milestones": [{"kind": "custom", "date": "2021-02-03"}]}, {"milestones.0.label"}),
    ({"milestones": [{"kind": "divorce", "date": "2021-02-03"}]}, {"milestones.0.kind"}),
    ({"home_store_id": "4b3c2a10-0000-4000-8000-000000000000"}, {"home_store_id"}),
    ({"first_name": ""}, {"first_name"}),
    ({"phone": "nope", "email": "nope"}, {"phone", "email"}),
])
def test_bad_input_is_refused_field_by_field_and_changes_nothing(crm, db, as_, change, fields):
    with pytest.raises(InvalidInput) as err:
        as_().crm.create_client(client_data(**change))
    assert fields <= set(err.value.errors), err.value.errors
    assert db.scalar("select count(*) from clients") == 0
    assert db.scalar("select count(*) from outbox") == 0


def test_every_profile_read_is_recorded_with_who_when_and_where(crm, db, as_):
    client = as_(ASSOCIATE_A).crm.create_client(client_data())
    as_(ASSOCIATE_B).crm.get_client(client["id"])      # staff of any store find the chain's clients
    as_(AUDITOR).crm.get_client(client["id"])
    rows = db.all("select reader_id, reader_role, store_id::text, view, at from profile_reads "
                  "where client_id = :c order by id", c=client["id"])
    # docs/ARCHITECTURE.md#rule-7: another store reads what identifies the client
    assert [(r.reader_id, r.reader_role, r.store_id, r.view) for r in rows] == [
        ("u-sa-b", "sales_associate", STORE_B, "identity"), ("u-aud", "auditor", None, "full")]
    assert all(r.at for r in rows)
    reads = as_(AUDITOR).crm.profile_reads({"client_id": client["id"]})
    assert [r["reader_id"] for r in reads["items"]] == ["u-aud", "u-sa-b"]
    with pytest.raises(Forbidden):
        as_(ASSOCIATE_A).crm.profile_reads({})


def test_bench_jeweler_sees_name_and_phone_only(crm, db, as_):
    client = as_().crm.create_client(client_data())
    jeweler = as_(JEWELER_A).crm
    seen = jeweler.get_client(client["id"])
    assert seen == {"id": client["id"], "first_name": "Grace", "last_name": "Hopper",
                    "phone": "+12125550123"}
    found = jeweler.search_clients({"q": "hopper"})["items"]
    assert found == [seen]
    for call in (lambda: jeweler.timeline(client["id"]),
                 lambda: jeweler.segment({}),
                 lambda: jeweler.update_client(client["id"], {"notes": "x"}),
                 lambda: jeweler.create_client(client_data())):
        with pytest.raises(Forbidden):
            call()
    assert db.scalar("select view from profile_reads") == "contact"


def test_auditor_reads_but_never_writes(crm, db, as_):
    client = as_().crm.create_client(client_data())
    auditor = as_(AUDITOR).crm
    assert auditor.get_client(client["id"])["notes"] == "Prefers afternoon visits."
    with pytest.raises(Forbidden):
        auditor.create_client(client_data())
    with pytest.raises(Forbidden):
        auditor.update_client(client["id"], {"ring_size": "7"})
    with pytest.raises(Forbidden):
        auditor.add_wish(client["id"], {"description": "Emerald studs"})
    assert db.scalar("select count(*) from clients") == 1


def test_unknown_client_is_not_found(crm, as_):
    with pytest.raises(NotFound):
        as_().crm.get_client(new_id())
    with pytest.raises(InvalidInput):
        as_().crm.get_client("not-an-id")


def test_search_by_name_with_typos_by_phone_in_any_format_and_by_email(crm, as_):
    hq = as_().crm
    grace = hq.create_client(client_data())
    hq.create_client(client_data(first_name="Alan", last_name="Turing", phone="+44 20 7946 0958",
                                 email="alan@example.org", home_store_id=STORE_GB))
    assert [c["id"] for c in hq.search_clients({"q": "Grace Hoper"})["items"]] == [grace["id"]]
    assert [c["id"] for c in hq.search_clients({"q": "hop"})["items"]] == [grace["id"]]
    assert [c["id"] for c in hq.search_clients({"q": "212-555-0123"})["items"]] == [grace["id"]]
    assert [c["id"] for c in hq.search_clients({"q": "+1 (212) 5550123"})["items"]] == [grace["id"]]
    assert [c["id"] for c in hq.search_clients({"q": "GRACE.hopper@example.com"})["items"]] == [grace["id"]]
    assert [c["last_name"] for c in hq.search_clients({"store_id": STORE_GB})["items"]] == ["Turing"]
    assert hq.search_clients({"q": "Grace", "tier": "vip"})["items"] == []
    found = hq.search_clients({"q": "Grace"})["items"][0]
    assert "notes" not in found and found["tier"] == "new"  # a list shows no private notes


def test_search_pages_with_a_cursor(crm, as_):
    hq = as_().crm
    for name in ("Ada", "Bea", "Cleo", "Dora", "Edith"):
        hq.create_client(client_data(first_name=name, last_name="Lovelace", phone=None, email=None))
    first = hq.search_clients({"q": "lovelace", "limit": 2})
    second = hq.search_clients({"q": "lovelace", "limit": 2, "cursor": first["next_cursor"]})
    third = hq.search_clients({"q": "lovelace", "limit": 2, "cursor": second["next_cursor"]})
    names = [c["first_name"] for p in (first, second, third) for c in p["items"]]
    assert names == ["Ada", "Bea", "Cleo", "Dora", "Edith"] and third["next_cursor"] is None
    with pytest.raises(InvalidInput) as err:
        hq.search_clients({"cursor": "garbage"})
    assert "cursor" in err.value.errors


def test_patch_changes_fields_consent_and_publishes_what_changed(crm, db, as_):
    sa = as_(ASSOCIATE_A).crm
    client = sa.create_client(client_data())
    changed = sa.update_client(client["id"], {
        "phone": "646-555-0199", "ring_size": "7", "tags": ["engaged", "engaged"],
        "consent": {"sms": False, "email": True, "source": "phone call"},
        "milestones": [{"kind": "birthday", "date": "1960-12-09"},
                       {"kind": "engagement", "date": "2026-02-14"}],
    })
    assert changed["phone"] == "+16465550199" and changed["ring_size"] == "7"
    assert changed["tags"] == ["engaged"]
    assert changed["consent"] == {"sms": False, "email": True}
    assert changed["consent_details"]["email"]["source"] == "phone call"
    assert sorted(m["kind"] for m in changed["milestones"]) == ["birthday", "engagement"]
    assert changed["notes"] == "Prefers afternoon visits."   # untouched fields stay
    consent = [e["payload"] for e in db.events("client.consent_changed")]
    assert sorted((c["channel"], c["granted"], c["source"]) for c in consent) == [
        ("email", True, "phone call"), ("sms", False, "phone call")]
    updated = db.events("client.updated")
    assert len(updated) == 1 and updated[0]["payload"]["phone"] == "+16465550199"
    change = db.scalar("select details from history where change = 'updated'")
    assert change["changes"]["ring_size"] == {"old": "6.5", "new": "7"}
    assert db.scalar("select actor_id from history where change = 'updated'") == "u-sa-a"
    # the same values again change nothing and publish nothing
    sa.update_client(client["id"], {"ring_size": "7", "consent": {"email": True}})
    assert len(db.events("client.updated")) == 1


def test_bad_patch_changes_nothing(crm, db, as_):
    client = as_().crm.create_client(client_data())
    for bad, field in (({"phone": "n/a", "ring_size": "8"}, "phone"),
                       ({"email": "nobody", "ring_size": "8"}, "email"),
                       ({"milestones": [{"kind": "birthday", "date": "1960-13-01"}]}, "milestones.0.date"),
                       ({"milestones": [{"kind": "birthday"}]}, "milestones.0.date"),
                       ({"tier": "vip"}, "tier")):
        with pytest.raises(InvalidInput) as err:
            as_().crm.update_client(client["id"], bad)
        assert field in err.value.errors
    again = as_().crm.get_client(client["id"])
    assert again["ring_size"] == "6.5" and len(again["milestones"]) == 2
    assert db.events("client.updated") == []


def test_store_staff_of_another_store_find_the_client_but_not_its_store_book(crm, as_):
    client = as_(ASSOCIATE_A).crm.create_client(client_data())
    other = as_(MANAGER_B).crm
    assert other.search_clients({"q": "hopper"})["items"][0]["id"] == client["id"]
    with pytest.raises(NotFound):      # docs/ARCHITECTURE.md#rule-7: changes are the client's stores'
        other.update_client(client["id"], {"ring_size": "6"})
    with pytest.raises(Forbidden):
        other.segment({"store_id": STORE_A})
    assert other.segment({})["items"] == []   # a manager's campaigns: their store's clients
    assert [c["id"] for c in as_(HQ).crm.segment({})["items"]] == [client["id"]]
