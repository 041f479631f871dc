"""Sales and payments over HTTP through the real gateway (its payment routes
mixed in), with the real inventory and payments services: the answers'
statuses and bodies, Idempotency-Key, receipts, the public Stripe webhook."""
import uuid

import pytest
import requests
import stripe
from nameko.testing.utils import find_free_port

from gateway import payment_schemas as views
from gateway.create_admin import create_first_admin
from gateway.payment_routes import PaymentRoutes
from gateway.service import Service as GatewayService
from services.reporting.service import Service as Reporting
from tests.conftest import wait_for
from tests.gateway.conftest import ADMIN, AUDIENCE, ISSUER, SECRET, Api, piece

from .conftest import DECLINED, card, cash, usd

# the gateway with the payment routes (until ``gateway/service.py`` registers the mixin)
Gateway = (GatewayService if issubclass(GatewayService, PaymentRoutes)
           else type("Service", (PaymentRoutes, GatewayService), {}))


@pytest.fixture
def http(platform, start_service, db, idb):
    port = find_free_port()
    start_service(Reporting)            # HQ's sales report reads its read model
    gateway = start_service(Gateway, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}", JWT_SECRET=SECRET,
                            JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE)
    create_first_admin(gateway.database_url, *ADMIN)
    with requests.Session() as session:
        api = Api(f"http://127.0.0.1:{port}", session)
        admin = api.as_(api.login(*ADMIN))
        store = admin.store("BOS")
        wait_for(lambda: db.scalar("select count(*) from stores where code = 'BOS'")
                 and idb.scalar("select count(*) from stores where code = 'BOS'"),
                 message="the new store reached payments and inventory")
        seller = admin.user("sales_associate", [store["id"]])
        api.admin, api.seller, api.store_id = admin, seller, store["id"]
        yield api


def test_sales_over_http(http, db, idb):
    admin, seller, store_id = http.admin, http.seller, http.store_id
    items = [admin.post("/items", piece(store_id, price=usd(100000))).json()["id"] for _ in range(2)]
    key = str(uuid.uuid4())
    body = {"store_id": store_id, "lines": [{"item_id": items[0]}], "tenders": [card(108870)]}

    first = seller.post("/sales", body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    sale = first.json()
    assert sale["status"] == "completed" and sale["receipt_number"] == "BOS-000001"
    again = seller.post("/sales", body, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.json() == sale
    other_body = seller.post("/sales", dict(body, tenders=[cash(108870)]),
                             headers={"Idempotency-Key": key})
    assert other_body.status_code == 409

    taken = seller.post("/sales", body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert taken.status_code == 409 and taken.headers["Content-Type"] == "application/problem+json"

    declined = seller.post("/sales", {"store_id": store_id, "lines": [{"item_id": items[1]}],
                                      "tenders": [cash(8870), card(100000, DECLINED)]},
                           headers={"Idempotency-Key": str(uuid.uuid4())})
    assert declined.status_code == 402, declined.text
    assert declined.json()["status"] == "failed" and declined.json()["failure_reason"]
    assert idb.scalar("select status from items where id = :i", i=items[1]) == "in_stock"

    bad = seller.post("/sales", {"store_id": store_id, "lines": [{"item_id": items[1]}],
                                 "tenders": [card(-1)]})
    assert bad.status_code == 422 and "tenders.0.amount.amount" in bad.json()["errors"]

    assert seller.get(f"/sales/{sale['id']}").json()["id"] == sale["id"]
    pdf = seller.get(f"/sales/{sale['id']}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    html = seller.get(f"/sales/{sale['id']}/receipt.html")
    assert "BOS-000001" in html.text and html.headers["Content-Type"].startswith("text/html")
    assert seller.get("/compliance/cash-reports").status_code == 403
    assert admin.get("/compliance/cash-reports").json()["items"] == []
    # HQ's sales report reads the reporting model, which follows sale.completed
    wait_for(lambda: (admin.get("/reports/sales", params={"group_by": "store"}).json()
                      .get("rows") or [{}])[0].get("sales") == 1,
             message="the sale in HQ's sales report")

    # the Stripe webhook is public and refuses a bad signature
    forged = http.post("/webhooks/stripe", {"id": "evt_1", "type": "charge.refunded",
                                            "data": {"object": {}}},
                       headers={"Stripe-Signature": "t=1,v1=forged"})
    assert forged.status_code == 400 and "signature" in forged.json()["detail"]
    assert db.scalar("select count(*) from stripe_events") == 0



def test_the_receipt_prints_the_insurance_record_for_screen_paper_and_printer(http, db):
    """Issue 20: the receipt names the store's address, phone and hours (the
    hours reach payments with ``store.updated``), the associate, the piece as
    an insurance description captured at sale time (the line keeps it), the
    return policy's last day and the receipt number's barcode; the ESC/POS
    receipt opens the drawer only when asked and is cut at the end; another
    store's user gets 404; a bad option is 422."""
    admin, seller, store_id = http.admin, http.seller, http.store_id
    changed = admin.patch(f"/stores/{store_id}", {
        "address": "1 Newbury Street\nBoston, MA 02116", "phone": "+1 617 555 0100",
        "hours": "Mon-Sat 10:00-19:00"})
    assert changed.status_code == 200 and changed.json()["hours"] == "Mon-Sat 10:00-19:00", changed.text
    wait_for(lambda: db.scalar("select hours from stores where id = :s", s=store_id),
             message="the store's hours reached payments")
    ring = admin.post("/items", piece(store_id, price=usd(100000))).json()
    cert = ring["stones"][0]["certificate"]["number"]
    sale = seller.post("/sales", {"store_id": store_id, "lines": [{"item_id": ring["id"]}],
                                  "tenders": [card(108870)]}).json()
    assert sale["status"] == "completed", sale
    kept = db.scalar("select insurance from sale_lines where sale_id = :s", s=sale["id"])
    assert kept["stones"][0]["certificate"] == {"lab": "GIA", "number": cert}

    html = seller.get(f"/sales/{sale['id']}/receipt.html", params={"language": "es"})
    assert html.status_code == 200, html.text
    for text in ("1 Newbury Street", "Tel. +1 617 555 0100", "Horario: Mon-Sat 10:00-19:00",
                 seller.get("/me").json()["username"], "18K white gold, 3.250 g", "Diamond, round, 1.010 ct",
                 f"GIA certificado {cert}", "$1,088.70", "<svg", sale["receipt_number"]):
        assert text in html.text, text
    escpos = seller.get(f"/sales/{sale['id']}/receipt.escpos", params={"kick": "1", "width": "48"})
    assert escpos.status_code == 200 and escpos.headers["Content-Type"] == "application/vnd.escpos"
    assert escpos.content.startswith(b"\x1b@\x1bt\x10\x1bp\x00\x19\xfa") and escpos.content.endswith(b"\x1dVB\x03")
    code = b"{B" + sale["receipt_number"].encode()
    assert b"\x1dkI" + bytes([len(code)]) + code in escpos.content
    assert f"GIA certificate {cert}".encode() in escpos.content
    plain = seller.get(f"/sales/{sale['id']}/receipt.escpos")
    assert plain.status_code == 200 and b"\x1bp" not in plain.content
    # the drawer opens for a seller only, and the audit trail says who opened it, when, where
    jeweler = admin.user("bench_jeweler", [store_id])
    refused = jeweler.get(f"/sales/{sale['id']}/receipt.escpos", params={"kick": "1"})
    assert refused.status_code == 403 and refused.headers["Content-Type"] == "application/problem+json"
    kicks = [e for e in admin.get("/audit", params={"entity_id": sale["id"], "limit": 50}).json()["items"]
             if e["route"] == "/sales/{id}/receipt.escpos"]
    assert sorted((e["status"], e["actor_role"]) for e in kicks) == [
        (200, "sales_associate"), (403, "bench_jeweler")], kicks
    assert all(e["detail"] == f"cash drawer kick with the receipt of sale {sale['id']}" for e in kicks)
    assert seller.get(f"/sales/{sale['id']}/receipt.escpos", params={"width": "40"}).status_code == 422
    pdf = seller.get(f"/sales/{sale['id']}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    other = admin.store("PVD")
    outsider = admin.user("sales_associate", [other["id"]])
    for kind in ("html", "pdf", "escpos"):
        assert outsider.get(f"/sales/{sale['id']}/receipt.{kind}").status_code == 404, kind


def test_a_foreign_card_is_charged_at_hqs_rate_never_the_counters(http, db):
    """Issue 17: ``fx_rate`` 0.0001 would charge 1 EUR for a 10,000 USD ring:
    the counter's rate is refused (422), HQ's recorded rate is used, and
    without one the card is refused (422) until HQ records it."""
    admin, seller, store_id = http.admin, http.seller, http.store_id
    item = admin.post("/items", piece(store_id, price=usd(1000000))).json()["id"]
    body = {"store_id": store_id, "lines": [{"item_id": item}],
            "tenders": [card(1088700) | {"currency": "EUR"}]}

    forged = seller.post("/sales", dict(body, tenders=[card(1088700) | {"currency": "EUR",
                                                                        "fx_rate": "0.0001"}]))
    assert forged.status_code == 422, forged.text
    assert "HQ" in forged.json()["errors"]["tenders.0.fx_rate"][0]
    no_rate = seller.post("/sales", body)
    assert no_rate.status_code == 422, no_rate.text
    assert "HQ must record one" in no_rate.json()["errors"]["tenders.0.fx_rate"][0]
    assert db.scalar("select count(*) from sales") == 0

    assert admin.post("/fx-rates", {"currency": "EUR", "rate": "1.25"}).status_code == 201
    sold = seller.post("/sales", body)
    assert sold.status_code == 201, sold.text
    assert sold.json()["tenders"][0]["charge"] == {"amount": usd(870960, "EUR"), "fx_rate": "0.8"}


def test_a_sale_is_credited_only_to_staff_of_its_store(http, db):
    """Issue 17: ``associate_id`` must be a user of the sale's store in a store role."""
    admin, seller, store_id = http.admin, http.seller, http.store_id
    other_store = admin.store("PVD")["id"]
    stranger = admin.user("sales_associate", [other_store])
    colleague = admin.user("store_manager", [store_id])
    items = [admin.post("/items", piece(store_id, price=usd(100000))).json()["id"]
             for _ in range(2)]

    def sell(item, associate_id):
        return seller.post("/sales", {"store_id": store_id, "associate_id": associate_id,
                                      "lines": [{"item_id": item}], "tenders": [cash(108870)]})

    jeweler_elsewhere = admin.user("bench_jeweler", [other_store])
    for wrong in (stranger.id, jeweler_elsewhere.id, str(uuid.uuid4()), "made-up"):
        refused = sell(items[0], wrong)
        assert refused.status_code == 422, (wrong, refused.text)
        assert "associate_id" in refused.json()["errors"]
    assert db.scalar("select count(*) from sales") == 0
    credited = sell(items[0], colleague.id)
    assert credited.status_code == 201, credited.text
    assert db.scalar("select associate_id from sales") == colleague.id
    assert sell(items[1], seller.id).status_code == 201       # oneself, as by default


def test_another_stores_sale_with_the_same_key_is_a_new_sale(http, db, idb):
    """Issue 17: store B's sale with a key store A used got 409."""
    admin, seller, store_id = http.admin, http.seller, http.store_id
    other_store = admin.store("HFD")["id"]
    wait_for(lambda: db.scalar("select count(*) from stores where code = 'HFD'")
             and idb.scalar("select count(*) from stores where code = 'HFD'"),
             message="the new store reached payments and inventory")
    other_seller = admin.user("sales_associate", [other_store])
    mine = admin.post("/items", piece(store_id, price=usd(100000))).json()["id"]
    theirs = admin.post("/items", piece(other_store, price=usd(100000))).json()["id"]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = seller.post("/sales", {"store_id": store_id, "lines": [{"item_id": mine}],
                                   "tenders": [cash(108870)]}, headers=key)
    assert first.status_code == 201, first.text
    second = other_seller.post("/sales", {"store_id": other_store, "lines": [{"item_id": theirs}],
                                          "tenders": [cash(108870)]}, headers=key)
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first.json()["id"]
    again = seller.post("/sales", {"store_id": store_id, "lines": [{"item_id": mine}],
                                   "tenders": [cash(108870)]}, headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    assert db.scalar("select count(*) from sales") == 2


def test_the_layaways_of_a_store_over_http(http, db):
    """``GET /layaways``: the console's list, as its response schema says, in the caller's stores."""
    admin, seller, store_id = http.admin, http.seller, http.store_id
    item = admin.post("/items", piece(store_id, price=usd(100000))).json()["id"]
    opened = seller.post("/layaways", {"store_id": store_id, "client_id": str(uuid.uuid4()),
                                       "item_ids": [item], "deposit": cash(28870),
                                       "installments": 2, "interval_days": 7})
    assert opened.status_code == 201, opened.text
    assert views.LayawayView().load(opened.json())["status"] == "active"

    listed = seller.get("/layaways", params={"store_id": store_id, "status": "active"})
    assert listed.status_code == 200, listed.text
    page = views.LayawayPage().load(listed.json())         # exactly the schema: no field unknown
    assert [(lw["id"], lw["balance"], lw["next_due"]) for lw in listed.json()["items"]] == \
        [(opened.json()["id"], usd(80000), usd(40000))]
    assert str(page["items"][0]["next_due_date"]) == opened.json()["installments"][0]["due_date"]
    assert seller.get("/layaways", params={"status": "completed"}).json()["items"] == []
    assert seller.get("/layaways", params={"status": "lost"}).status_code == 422
    other_store = admin.store("WOR")["id"]
    assert seller.get("/layaways", params={"store_id": other_store}).status_code == 403


def test_a_drawer_movement_repeated_with_its_key_is_made_once(http, db):
    """A terminal that lost the answer sends the cash-out again with the same key:
    the first answer comes back and the drawer has one movement, not two."""
    opened = http.seller.post("/drawers", {"store_id": http.store_id, "float": usd(20000)})
    assert opened.status_code == 201, opened.text
    drawer = opened.json()["id"]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"kind": "cash_out", "amount": usd(1500), "reason": "window cleaner"}
    first = http.seller.post(f"/drawers/{drawer}/movements", body, headers=key)
    again = http.seller.post(f"/drawers/{drawer}/movements", body, headers=key)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert db.scalar("select count(*) from drawer_movements where drawer_id = :d", d=drawer) == 1
    other = http.seller.post(f"/drawers/{drawer}/movements", body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert other.status_code == 201
    assert db.scalar("select count(*) from drawer_movements where drawer_id = :d", d=drawer) == 2


def test_a_card_on_the_stores_reader_over_http(http, db, idb, platform):
    """Issue 20: a store manager registers the store's reader; a sale whose
    card names it answers 202 with Retry-After until the tap's webhook (signed,
    through the public route) lets the same request answer 201; the counter
    stops another sale's wait (402, the piece back in stock)."""
    admin, seller, store_id = http.admin, http.seller, http.store_id
    sim = platform.terminal
    sim.deliver = http.base + "/webhooks/stripe"
    manager = admin.user("store_manager", [store_id])
    registration = {"store_id": store_id, "registration_code": "simulated-wpe", "label": "Front",
                    "location_address": {"line1": "1 Main St", "city": "Boston", "state": "MA",
                                         "postal_code": "02108", "country": "US"}}
    assert seller.post("/terminal/readers", registration).status_code == 403
    made = manager.post("/terminal/readers", registration)
    assert made.status_code == 201, made.text
    reader = made.json()
    assert seller.get("/terminal/readers", params={"store_id": store_id}).json()["items"] == [reader]
    [location] = sim.locations.values()
    assert location["address"]["city"] == "Boston"

    items = [admin.post("/items", piece(store_id, price=usd(100000))).json()["id"] for _ in range(2)]
    tender = {"method": "card", "amount": usd(108870), "reader_id": reader["id"]}
    body = {"store_id": store_id, "lines": [{"item_id": items[0]}], "tenders": [tender]}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    waiting = seller.post("/sales", body, headers=key)
    assert waiting.status_code == 202 and waiting.headers["Retry-After"], waiting.text
    assert waiting.json()["tenders"][0]["next_action"]["type"] == "present_card"
    stripe_sim = stripe.StripeClient("sk_test_payments", base_addresses={"api": sim.url})
    stripe_sim.v1.test_helpers.terminal.readers.present_payment_method(
        reader["stripe_reader_id"], params={"type": "card_present"})
    wait_for(lambda: seller.post("/sales", body, headers=key).status_code == 201,
             message="the tap completed the sale")
    # the sale may complete by polling while the webhook is still being delivered
    wait_for(lambda: "terminal.reader.action_succeeded" in sim.sent or sim.failed,
             message="the reader's webhook delivered")
    assert "terminal.reader.action_succeeded" in sim.sent and not sim.failed, sim.failed

    other = dict(body, lines=[{"item_id": items[1]}])
    pending = seller.post("/sales", other, headers={"Idempotency-Key": str(uuid.uuid4())}).json()
    stopped = seller.post(f"/sales/{pending['id']}/cancel-wait",
                          headers={"Idempotency-Key": str(uuid.uuid4())})
    assert stopped.status_code == 402, stopped.text
    assert stopped.json()["tenders"][0]["failure_reason"] == "cancelled at the counter"
    assert idb.scalar("select status from items where id = :i", i=items[1]) == "in_stock"
