"""The Clients part of the API (docs/API.md#clients-crm) over HTTP: the real
gateway in front of the real crm service (inventory replaced), signed-in
users of each role."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from nameko.testing.utils import find_free_port

from gateway.crm_routes import CrmRoutes
from gateway.service import Service
from tests.conftest import wait_for
from tests.gateway.conftest import AUDIENCE, ISSUER, SECRET, Api, live_token

from .conftest import client_data, money

# The gateway's Service registers the routes with ``class Service(CrmRoutes, ...)``;
# until it does, the test composes the same class.
Gateway = Service if issubclass(Service, CrmRoutes) else type("Service", (CrmRoutes, Service), {})


@pytest.fixture
def http(crm, start_service):
    """The gateway, as hq_admin (tokens signed like the gateway's: no password hashing)."""
    port = find_free_port()
    gateway = start_service(Gateway, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                            JWT_SECRET=SECRET, JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE)
    with requests.Session() as session:
        api = Api(f"http://127.0.0.1:{port}", session)
        api.database_url = gateway.database_url
        yield signed(api, "hq_admin")


def signed(api, role, store_ids=()):
    """A user of ``role`` with a live session (written, not signed in: no password hashing)."""
    user_id, token = live_token(api.database_url, role, store_ids)
    client = api.as_(token)
    client.id, client.database_url = user_id, api.database_url
    return client


@pytest.fixture
def store(http, db):
    reply = http.post("/stores", {"code": "SOHO", "name": "SoHo boutique", "currency": "USD",
                                  "timezone": "America/New_York", "tax_rate_bps": 887,
                                  "country": "US"})
    assert reply.status_code == 201, reply.text
    store = reply.json()
    wait_for(lambda: db.scalar("select count(*) from stores where id = :s", s=store["id"]),
             message="crm knows the store")
    return store


@pytest.fixture
def staff(http, store):
    return {role: signed(http, role, [store["id"]] if role != "auditor" else [])
            for role in ("store_manager", "sales_associate", "bench_jeweler", "auditor")}


def body(store, **over):
    return client_data(home_store_id=store["id"], **over)


def problem(reply, status):
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    return reply.json()


def test_clients_over_http_with_roles_audit_and_idempotency(crm, db, http, store, staff):
    sa, jeweler, auditor = staff["sales_associate"], staff["bench_jeweler"], staff["auditor"]
    key = {"Idempotency-Key": "new-client-grace-1"}
    created = sa.post("/clients", body(store), headers=key)
    assert created.status_code == 201, created.text
    client = created.json()
    assert client["phone"] == "+12125550123" and client["tier"] == "new"
    again = sa.post("/clients", body(store), headers=key)
    assert again.json()["id"] == client["id"] and again.headers.get("Idempotent-Replayed") == "true"
    assert db.scalar("select count(*) from clients") == 1

    full = sa.get(f"/clients/{client['id']}").json()
    assert full["notes"] == "Prefers afternoon visits." and "lifetime_value" in full
    assert jeweler.get(f"/clients/{client['id']}").json() == {
        "id": client["id"], "first_name": "Grace", "last_name": "Hopper", "phone": "+12125550123"}
    assert db.scalar("select count(*) from profile_reads where reader_id = :u", u=sa.id) == 1
    reads = auditor.get(f"/profile-reads?client_id={client['id']}").json()["items"]
    assert {r["view"] for r in reads} == {"full", "contact"}

    found = sa.get("/clients", params={"q": "212 555 0123"}).json()
    assert [c["id"] for c in found["items"]] == [client["id"]] and found["next_cursor"] is None
    changed = sa.patch(f"/clients/{client['id']}", {"ring_size": "7",
                                                    "consent": {"email": True, "source": "web"}})
    assert changed.status_code == 200 and changed.json()["consent"]["email"] is True

    bad = problem(sa.post("/clients", body(store, phone="not a phone", email="nope",
                                           milestones=[{"kind": "birthday", "date": "09/12"}])), 422)
    assert {"phone", "email", "milestones.0.date"} <= set(bad["errors"])
    problem(sa.patch(f"/clients/{client['id']}", {"phone": "(212) 555-012"}), 422)
    problem(auditor.post("/clients", body(store)), 403)
    problem(jeweler.patch(f"/clients/{client['id']}", {"ring_size": "5"}), 403)
    problem(sa.get("/clients/4b3c2a10-0000-4000-8000-000000000000"), 404)
    assert db.scalar("select count(*) from clients") == 1


def test_merge_wishlist_timeline_duplicates_and_segments_over_http(crm, db, http, store, staff):
    sa, manager = staff["sales_associate"], staff["store_manager"]
    keep = sa.post("/clients", body(store)).json()
    dup = sa.post("/clients", body(store, first_name="Gracie", email=None)).json()
    pairs = sa.get("/clients/duplicates").json()["items"]
    assert [(p["client"]["id"], p["duplicate"]["id"]) for p in pairs] == [
        tuple(sorted((keep["id"], dup["id"])))]
    wish = sa.post(f"/clients/{dup['id']}/wishlist", {"description": "Pearl strand, 8 mm"})
    assert wish.status_code == 201 and wish.json()["status"] == "open"
    problem(sa.post(f"/clients/{keep['id']}/merge", {"duplicate_id": dup["id"]}), 403)
    problem(manager.post(f"/clients/{keep['id']}/merge", {"duplicate_id": keep["id"]}), 422)
    merged = manager.post(f"/clients/{keep['id']}/merge", {"duplicate_id": dup["id"]})
    assert merged.status_code == 200, merged.text
    assert merged.json()["wishlist"][0]["description"] == "Pearl strand, 8 mm"
    assert sa.get(f"/clients/{dup['id']}").json()["id"] == keep["id"]
    timeline = sa.get(f"/clients/{keep['id']}/timeline?limit=5").json()
    assert timeline == {"items": [], "next_cursor": None}
    members = http.get("/segments", params={"store_id": store["id"], "consent": "sms"}).json()
    assert [m["id"] for m in members["items"]] == [keep["id"]]
    problem(http.get("/segments", params={"milestone_within_days": "soon"}), 422)


def test_appointments_over_http_refuse_double_booking(crm, db, http, store, staff):
    sa = staff["sales_associate"]
    client = sa.post("/clients", body(store)).json()
    tz = ZoneInfo("America/New_York")
    day = datetime.now(tz).date() + timedelta(days=2)
    starts = datetime.combine(day, time(15), tzinfo=tz).isoformat()
    viewing = {"client_id": client["id"], "store_id": store["id"], "starts_at": starts,
               "staff_user_id": sa.id, "purpose": "anniversary band"}
    booked = sa.post("/appointments", viewing)
    assert booked.status_code == 201, booked.text
    conflict = problem(sa.post("/appointments", viewing), 409)
    assert sa.id in conflict["detail"]
    listed = sa.get("/appointments", params={"store_id": store["id"], "date": day.isoformat()})
    assert [a["id"] for a in listed.json()["items"]] == [booked.json()["id"]]
    cancelled = sa.post(f"/appointments/{booked.json()['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert sa.post("/appointments", viewing).status_code == 201


def test_recommendations_over_http(crm, db, http, store, staff):
    sa = staff["sales_associate"]
    client = sa.post("/clients", body(store, preferences={"metals": ["platinum"]})).json()
    piece = {"id": "11111111-0000-4000-8000-000000000009", "category": "ring",
             "price": money(250_000), "metal": {"type": "platinum"}, "stones": [],
             "attributes": {}}
    crm.inventory_mock.search_items.return_value = {"items": [piece], "next_cursor": None}
    reply = sa.get(f"/clients/{client['id']}/recommendations?limit=3")
    assert reply.status_code == 200, reply.text
    assert [i["id"] for i in reply.json()["items"]] == [piece["id"]]
    (call,) = crm.inventory_mock.search_items.call_args_list
    assert call.args[0] == {"store_id": store["id"], "status": "in_stock", "limit": 3,
                            "metal_type": "platinum"}


def test_another_stores_staff_find_a_client_over_http_but_see_and_change_no_more(
        crm, db, http, store, staff):
    """docs/ARCHITECTURE.md#rule-7 (issue 17): name, masked phone, tier and
    home store for another store; 404 for its full views and changes; points
    adjustments are HQ's."""
    reply = http.post("/stores", {"code": "MIA", "name": "Miami", "currency": "USD",
                                  "timezone": "America/New_York", "tax_rate_bps": 700,
                                  "country": "US"})
    assert reply.status_code == 201, reply.text
    other_store = reply.json()["id"]
    outsider = signed(http, "store_manager", [other_store])
    grace = staff["sales_associate"].post("/clients", body(store)).json()
    seen = outsider.get(f"/clients/{grace['id']}")
    assert seen.status_code == 200, seen.text
    assert seen.json() == {"id": grace["id"], "first_name": "Grace", "last_name": "Hopper",
                           "phone": "**********23", "tier": "new", "home_store_id": store["id"]}
    assert outsider.get("/clients", params={"q": "hopper"}).json()["items"] == [seen.json()]
    problem(outsider.get(f"/clients/{grace['id']}/timeline"), 404)
    problem(outsider.get(f"/clients/{grace['id']}/loyalty"), 404)
    problem(outsider.patch(f"/clients/{grace['id']}", {"notes": "changed by another store"}), 404)
    problem(staff["store_manager"].post(f"/clients/{grace['id']}/loyalty/adjustments",
                                        {"points": 1000, "reason": "gift"}), 403)
    assert db.scalar("select count(*) from loyalty_ledger") == 0
    assert http.get(f"/clients/{grace['id']}").json()["notes"] == "Prefers afternoon visits."
    given = http.post(f"/clients/{grace['id']}/loyalty/adjustments", {"points": 1000, "reason": "gift"})
    assert given.status_code == 201, given.text
