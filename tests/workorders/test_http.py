"""docs/API.md#work-orders over HTTP: the real gateway in front of
the real workorders service, signed-in users of each role, and the public
tracking page (privacy first)."""
import re
from datetime import date, timedelta

import pytest
import requests
from nameko.testing.utils import find_free_port

import contracts
from gateway.create_admin import create_first_admin
from gateway.service import Service
from gateway.workorder_routes import WorkorderRoutes
from tests.gateway.conftest import ADMIN, AUDIENCE, ISSUER, SECRET, Api, Db as GatewayDb, live_token

from .conftest import b64, code128_in, image, new_id, wait_for

# The gateway's Service registers the routes with ``class Service(WorkorderRoutes, ...)``;
# until it does, the test composes the same class.
Gateway = (Service if issubclass(Service, WorkorderRoutes)
           else type("Service", (WorkorderRoutes, Service), {}))

ADA = "c1000000-0000-4000-8000-0000000000a1"
GRACE = "c1000000-0000-4000-8000-0000000000a2"


@pytest.fixture
def http(workorders, start_service, storage_settings):
    port = find_free_port()
    gateway = start_service(Gateway, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                            JWT_SECRET=SECRET, JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE,
                            **storage_settings)
    gateway_db = GatewayDb(gateway.database_url)
    create_first_admin(gateway_db.url, *ADMIN)
    with requests.Session() as session:
        api = Api(f"http://127.0.0.1:{port}", session)
        admin = api.as_(api.login(*ADMIN))
        admin.public, admin.database_url = api, gateway.database_url
        yield admin
    gateway_db.engine.dispose()


@pytest.fixture
def shop(http, workorders, db):
    """A store opened through the gateway, its staff, and two clients (crm's events)."""
    reply = http.post("/stores", {"code": "SOHO", "name": "SoHo boutique", "currency": "USD",
                                  "timezone": "America/New_York", "tax_rate_bps": 887,
                                  "country": "US", "phone": "+1 212 555 0199",
                                  "address": "99 Spring St, New York"})
    assert reply.status_code == 201, reply.text
    store = reply.json()
    other = http.post("/stores", {"code": "BOS", "name": "Boston", "currency": "USD",
                                  "timezone": "America/New_York", "tax_rate_bps": 625,
                                  "country": "US"}).json()
    for client_id, first, last, phone in ((ADA, "Ada", "Lovelace", "+12125550101"),
                                          (GRACE, "Grace", "Hopper", "+12125550202")):
        workorders.dispatch("crm", "client.created", contracts.build_envelope("client.created", {
            "client_id": client_id, "first_name": first, "last_name": last, "phone": phone,
            "email": f"{first.lower()}@example.com"}, producer="crm"))
    wait_for(lambda: db.scalar("select count(*) from stores where id in (:a, :b)",
                               a=store["id"], b=other["id"]) == 2
             and db.scalar("select count(*) from clients where id in (:a, :b)", a=ADA, b=GRACE) == 2,
             message="workorders knows the stores and clients")
    return Staff(http, store, other)


class Staff(dict):
    """Staff made on first use. Signing in is deliberately slow, so only
    those a job can be assigned to (and one who cannot) are real users; the
    others carry a token like the gateway's."""

    REAL = ("bench_jeweler", "other_jeweler", "sales_associate")

    ROLES = {"store_manager": ("store_manager", "store"), "sales_associate": ("sales_associate", "store"),
             "bench_jeweler": ("bench_jeweler", "store"), "auditor": ("auditor", None),
             "other_jeweler": ("bench_jeweler", "other"),
             "other_associate": ("sales_associate", "other")}

    def __init__(self, http, store, other):
        super().__init__(store=store, other=other)
        self.http = http

    def __missing__(self, name):
        role, where = self.ROLES[name]
        store_ids = [self[where]["id"]] if where else []
        if name in self.REAL:
            self[name] = self.http.user(role, store_ids)
        else:
            user_id, token = live_token(self.http.database_url, role, store_ids)
            self[name] = self.http.as_(token)
            self[name].id = user_id
        return self[name]


def intake(store, client_id=ADA, **over):
    body = {
        "store_id": store["id"], "client_id": client_id, "kind": "repair",
        "item_description": "Gold curb chain, 20 in",
        "intake": {"condition_notes": "Broken link near the clasp",
                   "photos": [{"content_base64": b64(image("JPEG")), "caption": "break"}]},
        "tasks": [{"code": "chain_solder"}, {"description": "Replace clasp"}],
        "promised_date": (date.today() + timedelta(days=5)).isoformat(),
    }
    body.update(over)
    return body


def problem(reply, status):
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    return reply.json()


def test_a_repair_from_counter_to_bench_to_pickup_over_http(workorders, db, http, shop):
    sa, jeweler, manager = shop["sales_associate"], shop["bench_jeweler"], shop["store_manager"]
    key = {"Idempotency-Key": "intake-ada-chain-1"}
    created = sa.post("/work-orders", intake(shop["store"]), headers=key)
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["number"] == "SOHO-000001" and job["stage"] == "received"
    assert job["estimate_required"] is True
    again = sa.post("/work-orders", intake(shop["store"]), headers=key)
    assert again.json()["id"] == job["id"] and again.headers.get("Idempotent-Replayed") == "true"
    assert db.scalar("select count(*) from work_orders") == 1

    envelope = jeweler.get(f"/work-orders/{job['id']}/envelope.pdf")
    assert envelope.status_code == 200 and envelope.headers["Content-Type"] == "application/pdf"
    assert envelope.content.startswith(b"%PDF-") and job["number"].encode() in envelope.content
    assert code128_in(envelope.content) == job["number"]
    photo = jeweler.get(job["intake"]["photos"][0]["url"])
    assert photo.headers["Content-Type"] == "image/jpeg" and photo.content == image("JPEG")

    problem(jeweler.post(f"/work-orders/{job['id']}/transition", {"stage": "in_progress"}), 409)
    problem(jeweler.post(f"/work-orders/{job['id']}/transition", {"stage": "sideways"}), 422)
    quoted = jeweler.post(f"/work-orders/{job['id']}/estimate",
                          {"amount": {"amount": 6500, "currency": "USD"}})
    assert quoted.status_code == 200 and quoted.json()["stage"] == "awaiting_approval"
    problem(jeweler.post(f"/work-orders/{job['id']}/approve"), 403)
    assert sa.post(f"/work-orders/{job['id']}/approve").json()["stage"] == "approved"
    problem(sa.post(f"/work-orders/{job['id']}/approve"), 409)

    problem(manager.post(f"/work-orders/{job['id']}/assign", {"user_id": sa.id}), 422)
    problem(manager.post(f"/work-orders/{job['id']}/assign", {"user_id": shop["other_jeweler"].id}), 422)
    problem(jeweler.post(f"/work-orders/{job['id']}/assign", {"user_id": manager.id}), 403)
    assigned = manager.post(f"/work-orders/{job['id']}/assign", {"user_id": jeweler.id})
    assert assigned.status_code == 200 and assigned.json()["assignee_id"] == jeweler.id
    board = jeweler.get("/work-orders", params={"store_id": shop["store"]["id"],
                                                "assignee_id": jeweler.id}).json()
    assert [j["id"] for j in board["items"]] == [job["id"]] and board["next_cursor"] is None
    columns = jeweler.get("/work-orders/board", params={"store_id": shop["store"]["id"]}).json()
    assert [j["id"] for j in columns["columns"]["approved"]] == [job["id"]]

    for stage in ("in_progress", "quality_check", "ready_for_pickup"):
        moved = jeweler.post(f"/work-orders/{job['id']}/transition", {"stage": stage, "note": "ok"})
        assert moved.status_code == 200 and moved.json()["stage"] == stage
    problem(sa.post(f"/work-orders/{job['id']}/transition", {"stage": "picked_up"}), 409)
    history = manager.get(f"/work-orders/{job['id']}/history").json()["items"]
    assert [h["to_stage"] for h in history if h["to_stage"]] == [
        "received", "awaiting_approval", "approved", "in_progress", "quality_check",
        "ready_for_pickup"]
    assert history[-1]["actor_id"] == jeweler.id and history[-1]["actor_role"] == "bench_jeweler"
    assert history[-1]["store_id"] == shop["store"]["id"]


def test_scope_roles_and_bad_input_over_http(workorders, db, http, shop):
    sa, store = shop["sales_associate"], shop["store"]
    job = sa.post("/work-orders", intake(store)).json()
    problem(shop["other_jeweler"].get(f"/work-orders/{job['id']}"), 404)
    problem(shop["other_jeweler"].get(f"/work-orders/{job['id']}/envelope.pdf"), 404)
    problem(shop["other_jeweler"].post(f"/work-orders/{job['id']}/transition",
                                       {"stage": "cancelled", "note": "x"}), 404)
    problem(shop["other_associate"].get("/work-orders", params={"store_id": store["id"]}), 403)
    problem(shop["bench_jeweler"].post("/work-orders", intake(store)), 403)
    problem(shop["auditor"].post(f"/work-orders/{job['id']}/transition",
                                 {"stage": "cancelled", "note": "x"}), 403)
    assert shop["auditor"].get(f"/work-orders/{job['id']}").status_code == 200
    problem(http.public.get(f"/work-orders/{job['id']}"), 401)
    before = db.scalar("select count(*) from work_orders")
    bad = problem(sa.post("/work-orders", intake(
        store, client_id=new_id(), promised_date=(date.today() - timedelta(days=1)).isoformat(),
        intake={"condition_notes": "", "photos": [{"content_base64": b64(b"not an image at all")}]})),
        422)
    assert {"client_id", "promised_date", "intake.photos.0"} <= set(bad["errors"])
    problem(sa.post("/work-orders", intake({"id": new_id()})), 422)
    problem(sa.post(f"/work-orders/{job['id']}/photos", {"content_base64": b64(b"GIF89a....")}), 422)
    assert db.scalar("select count(*) from work_orders") == before
    assert db.scalar("select count(*) from work_order_photos") == 1
    prices = sa.get("/repair-prices", params={"currency": "USD"}).json()["items"]
    assert any(p["code"] == "chain_solder" for p in prices)
    problem(shop["store_manager"].request("PUT", "/repair-prices/polish", json={
        "currency": "USD", "name": "Polish", "price": {"amount": 1, "currency": "USD"}}), 403)
    changed = http.request("PUT", "/repair-prices/polish", json={
        "currency": "USD", "name": "Clean and polish", "price": {"amount": 2200, "currency": "USD"}})
    assert changed.status_code == 200 and changed.json()["price"]["amount"] == 2200


def test_tracking_page_shows_the_job_and_nothing_private(workorders, db, http, shop):
    sa, public = shop["sales_associate"], http.public
    ada = sa.post("/work-orders", intake(shop["store"], item_description="Ada's secret ring")).json()
    grace = sa.post("/work-orders", intake(shop["store"], client_id=GRACE,
                                           item_description="Grace's pearls")).json()
    token = ada["tracking_token"]
    assert len(token) >= 22 and token != grace["tracking_token"]   # >= 128 random bits

    page = public.get(f"/track/{token}", headers={"Accept": "application/json"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    view = page.json()
    assert view["number"] == ada["number"] and view["stage"] == "received"
    assert view["promised_date"] == ada["promised_date"] and view["estimate"] is None
    assert view["store"] == {"name": "SoHo boutique", "phone": "+1 212 555 0199",
                             "address": "99 Spring St, New York", "country": "US"}
    html_page = public.get(f"/track/{token}")
    assert html_page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in html_page.headers["Content-Security-Policy"]
    assert ada["number"] in html_page.text and "+1 212 555 0199" in html_page.text
    for shown in (page.text, html_page.text):
        for private in ("Lovelace", "Ada", "+12125550101", "secret ring", "Broken link", "Hopper",
                        "Grace", grace["number"], "USD", "chain_solder", "65.00", ada["id"],
                        grace["tracking_token"]):
            assert private not in shown, private

    problem(public.get("/track/" + "A" * 32), 404)
    problem(public.get(f"/track/{token[:-1]}"), 404)
    problem(public.get("/track/short"), 404)
    problem(public.post(f"/track/{token}/approve", headers={"Accept": "application/json"}), 409)

    # an estimate awaiting approval is the one price the page shows, and the client may approve it
    sa.post(f"/work-orders/{ada['id']}/estimate", {"amount": {"amount": 6500, "currency": "USD"},
                                                   "note": "solder and a new clasp"})
    waiting = public.get(f"/track/{token}?format=json").json()
    assert waiting["estimate"]["amount"] == {"amount": 6500, "currency": "USD"}
    assert waiting["can_approve"] is True and "estimated_by" not in waiting["estimate"]
    html_page = public.get(f"/track/{token}")
    assert "$65.00" in html_page.text and f'action="/track/{token}/approve"' in html_page.text
    grace_page = public.get(f"/track/{grace['tracking_token']}?format=json").json()
    assert grace_page["estimate"] is None and grace_page["number"] == grace["number"]

    approved = public.post(f"/track/{token}/approve", allow_redirects=False)
    assert approved.status_code == 303 and approved.headers["Location"] == f"/track/{token}"
    after = public.get(f"/track/{token}?format=json").json()
    assert after["stage"] == "approved" and after["estimate"] is None and after["can_approve"] is False
    problem(public.post(f"/track/{token}/approve", headers={"Accept": "application/json"}), 409)
    job = sa.get(f"/work-orders/{ada['id']}").json()
    assert job["approved_via"] == "tracking_page" and job["stage"] == "approved"
    last = sa.get(f"/work-orders/{ada['id']}/history").json()["items"][-1]
    assert last["actor_role"] == "client" and last["actor_id"] is None
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)


@pytest.mark.parametrize("country, currency, amount, shown", [
    ("DE", "EUR", 150050, "1.500,50\u00a0€"),
    ("HU", "HUF", 1000000, "10\u00a0000,00\u00a0Ft"),
    ("JP", "JPY", 150000, "￥150,000"),   # a web page draws ja_JP's own yen sign
])
def test_the_tracking_page_prints_the_estimate_in_the_stores_locale(workorders, db, http, shop,
                                                                    country, currency, amount, shown):
    store = http.post("/stores", {"code": f"X{country}", "name": f"{country} boutique",
                                  "currency": currency, "timezone": "Europe/Berlin",
                                  "tax_rate_bps": 1900, "country": country}).json()
    wait_for(lambda: db.scalar("select country from stores where id = :s", s=store["id"]) == country,
             message="workorders knows the store and its country")
    wo = http.post("/work-orders", intake(store, tasks=[{"description": "Replace clasp"}])).json()
    http.post(f"/work-orders/{wo['id']}/estimate", {"amount": {"amount": amount, "currency": currency}})

    view = http.public.get(f"/track/{wo['tracking_token']}?format=json").json()
    assert view["store"]["country"] == country
    assert view["estimate"]["amount"] == {"amount": amount, "currency": currency}
    page = http.public.get(f"/track/{wo['tracking_token']}").text
    assert f'<p class="amount">{shown}</p>' in page
