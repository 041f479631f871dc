"""A day in the life of the chain: every service and the gateway running as
processes, driven over HTTP only, by a user of each role.

Three stores in two currencies. Pieces received with stones and
certificates; clients (one a duplicate, merged); a click-and-collect hold;
a sale paid by card, cash and points; a repair from intake to pickup with
the balance; a transfer; a stock count with one missing and one unexpected
tag; a layaway opened, paid and completed; a return; a cash sale over the
Form 8300 threshold; a STOP reply. At the end every piece's status, every
client's lifetime value and points, every text, the HQ figures and the
audit log agree with what was done, exactly.
"""
import base64
import io
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.e2e import wait_until

pytestmark = pytest.mark.e2e

CHAIN = {"name": "day"}

NYC_TAX, BOS_TAX, LON_TAX = 887, 625, 2000


def usd(amount):
    return {"amount": amount, "currency": "USD"}


def gbp(amount):
    return {"amount": amount, "currency": "GBP"}


def tax(amount, bps):
    """Tax of a line in minor units, rounded half up (as a till does)."""
    return (2 * amount * bps + 10000) // 20000


def points_for(amount_minor):
    """One point per major unit spent (crm's default)."""
    return max(0, amount_minor) // 100


def png():
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 180, 40)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def piece(store_id, description, price, currency="USD", category="ring", vendor_id=None,
          stones=1, **over):
    body = {
        "store_id": store_id, "category": category, "description": description,
        "metal": {"type": "gold", "karat": 18, "color": "yellow", "weight_g": "4.200"},
        "stones": [{"type": "diamond", "shape": "round", "carat": "0.500", "color": "G",
                    "clarity": "VS1", "cut": "excellent",
                    "certificate": {"lab": "GIA", "number": uuid.uuid4().hex[:12].upper()}}
                   for _ in range(stones)],
        "vendor_id": vendor_id,
        "cost": {"amount": price // 2, "currency": currency},
        "price": {"amount": price, "currency": currency},
        "ownership": "owned",
        "attributes": {"collection": "day-in-the-life"},
    }
    body.update(over)
    return body


class Day:
    """What was done, kept as the test goes, to reconcile at the end."""

    def __init__(self, chain):
        self.chain = chain
        self.admin = chain.admin
        self.pieces = {}        # name -> item
        self.by_id = {}         # item id -> item
        self.status = {}        # item id -> (status, store id) expected
        self.clients = {}       # name -> client
        self.ltv = Counter()    # client id -> lifetime value (minor units)
        self.points = Counter()  # client id -> points balance
        self.texts = []         # (to, words that must be in it)
        self.sales = Counter()  # store id -> completed sales
        self.net = Counter()    # store id -> net sales (subtotal), minor units
        self.total = Counter()  # store id -> sales total with tax, minor units
        self.returned = Counter()  # store id -> refunded, minor units


@pytest.fixture(scope="module")
def day(chain):
    return Day(chain)


def wait_for_store_everywhere(chain, store_id):
    for component in ("inventory", "crm", "workorders", "payments", "notifications"):
        wait_until(lambda c=component: chain.db(c).scalar(
            "select count(*) from stores where id = :s", s=store_id),
            message=f"store {store_id} known to {component}")


def client_view(api, client_id):
    return api.ok("GET", f"/clients/{client_id}")


def test_a_day_in_the_life(chain, day):
    admin = chain.admin

    # --- morning: HQ opens three stores in two currencies, and their staff --------------------
    nyc = admin.ok("POST", "/stores", {"code": "NYC", "name": "Fifth Avenue", "currency": "USD",
                                       "timezone": "America/New_York", "tax_rate_bps": NYC_TAX,
                                       "phone": "+1 212 555 0100"}, 201, headers=_key())
    bos = admin.ok("POST", "/stores", {"code": "BOS", "name": "Newbury Street", "currency": "USD",
                                       "timezone": "America/New_York", "tax_rate_bps": BOS_TAX},
                   201, headers=_key())
    lon = admin.ok("POST", "/stores", {"code": "LON", "name": "Bond Street", "currency": "GBP",
                                       "timezone": "Europe/London", "tax_rate_bps": LON_TAX,
                                       "country": "GB"}, 201, headers=_key())
    NYC, BOS, LON = nyc["id"], bos["id"], lon["id"]
    day.stores = {"NYC": NYC, "BOS": BOS, "LON": LON}
    for store_id in (NYC, BOS, LON):
        wait_for_store_everywhere(chain, store_id)

    manager = admin.user("store_manager", [NYC], "maria.manager")
    seller = admin.user("sales_associate", [NYC], "sam.seller")
    bench = admin.user("bench_jeweler", [NYC], "bea.bench")
    auditor = admin.user("auditor", [], "otto.auditor")
    boston = admin.user("store_manager", [BOS], "bob.boston")
    london = admin.user("sales_associate", [LON], "lena.london")
    london_manager = admin.user("store_manager", [LON], "lars.london")
    day.users = [admin, manager, seller, bench, auditor, boston, london, london_manager]
    assert {u.role for u in day.users} == {"hq_admin", "store_manager", "sales_associate",
                                           "bench_jeweler", "auditor"}

    # --- receiving: pieces with stones and certificates ------------------------------------------
    vendor = manager.ok("POST", "/vendors", {"name": "Aurum Supply",
                                             "contact": {"email": "orders@aurum.example"}}, 201)

    def receive(api, name, store_id, price, currency="USD", **over):
        item = api.ok("POST", "/items", piece(store_id, name, price, currency,
                                              vendor_id=vendor["id"] if currency == "USD" else None,
                                              **over), 201, headers=_key())
        assert item["status"] == "in_stock" and item["tag"] and item["stones"][0]["certificate"]
        day.pieces[name] = item
        day.by_id[item["id"]] = item
        day.status[item["id"]] = ("in_stock", store_id)
        return item

    solitaire = receive(manager, "solitaire", NYC, 500000, stones=1)
    pendant = receive(manager, "pendant", NYC, 100000, category="pendant")
    bracelet = receive(manager, "bracelet", NYC, 300000, category="bracelet", stones=3)
    band = receive(manager, "band", NYC, 80000)
    studs = receive(manager, "studs", NYC, 60000, category="earrings", stones=2)
    lost = receive(manager, "lost", NYC, 90000)
    riviera = receive(manager, "riviera", NYC, 200000, category="necklace", stones=5)
    watch = receive(manager, "watch", NYC, 1200000, category="watch")
    halo = receive(london_manager, "halo", LON, 300000, "GBP")

    # a certificate identifies one stone: a second piece with it is refused, and nothing is kept
    same_cert = piece(NYC, "copy of the solitaire", 500000)
    same_cert["stones"][0]["certificate"] = solitaire["stones"][0]["certificate"]
    refused = manager.post("/items", same_cert)
    assert refused.status_code == 409, refused.text
    assert manager.ok("GET", "/items", params={"q": "copy of the solitaire"})["items"] == []

    # --- clients: one walks in twice under two spellings; the manager merges them --------------
    def client(api, name, first, last, store_id, phone=None, sms=False, email=None):
        body = {"first_name": first, "last_name": last, "home_store_id": store_id,
                "consent": {"sms": sms, "email": False}}
        if phone:
            body["phone"] = phone
        if email:
            body["email"] = email
        made = api.ok("POST", "/clients", body, 201, headers=_key())
        day.clients[name] = made
        return made

    ann = client(seller, "ann", "Ann", "Archer", NYC, "(212) 555-0101", sms=True,
                 email="ann.archer@example.com")
    dup = client(seller, "ann-again", "Anne", "Archer", NYC, "+1 212-555-0101", sms=True)
    ben = client(seller, "ben", "Ben", "Baker", NYC, "212 555 0102", sms=True)
    dan = client(seller, "dan", "Dan", "Dorsey", NYC, "212 555 0104")           # no consent
    eve = client(seller, "eve", "Eve", "Evans", NYC, "212 555 0105", sms=True)
    fay = client(seller, "fay", "Fay", "Fisher", NYC)                            # no phone
    cara = client(london, "cara", "Cara", "Clarke", LON, "020 7946 0018", sms=True)
    assert ann["phone"] == dup["phone"] == "+12125550101"
    assert cara["phone"] == "+442079460018"

    duplicates = manager.ok("GET", "/clients/duplicates", params={"client_id": ann["id"]})["items"]
    pair = {frozenset((d["client"]["id"], d["duplicate"]["id"])) for d in duplicates}
    assert frozenset((ann["id"], dup["id"])) in pair
    assert seller.post(f"/clients/{ann['id']}/merge", {"duplicate_id": dup["id"]}).status_code == 403
    merged = manager.ok("POST", f"/clients/{ann['id']}/merge", {"duplicate_id": dup["id"]})
    assert dup["id"] in merged["merged_ids"]
    assert seller.ok("GET", f"/clients/{dup['id']}")["id"] == ann["id"]   # the old id finds Ann
    del day.clients["ann-again"]
    for name in day.clients:
        day.ltv[day.clients[name]["id"]] = 0
        day.points[day.clients[name]["id"]] = 0

    # --- Ann buys the pendant by card: her first receipt ----------------------------------------
    pendant_total = 100000 + tax(100000, NYC_TAX)
    first = seller.ok("POST", "/sales", {
        "store_id": NYC, "client_id": ann["id"], "lines": [{"item_id": pendant["id"]}],
        "tenders": [{"method": "card", "amount": usd(pendant_total), "payment_method": "pm_card_visa"}],
    }, 201, headers=_key())
    assert first["status"] == "completed" and first["total"] == usd(pendant_total)
    _sold(day, NYC, ann, pendant_total, 100000, first["receipt_number"], pendant)
    wait_until(lambda: client_view(seller, ann["id"])["loyalty_points"] == points_for(pendant_total),
               message="Ann's points for the pendant")

    # --- click and collect: the solitaire is held for Ann; nobody else can sell it ------------
    hold = seller.ok("POST", f"/items/{solitaire['id']}/reservations",
                     {"client_id": ann["id"], "hold_hours": 24}, 201, headers=_key())
    assert seller.ok("GET", f"/items/{solitaire['id']}")["status"] == "reserved"
    taken = seller.post("/sales", {"store_id": NYC, "client_id": ben["id"],
                                   "lines": [{"item_id": solitaire["id"]}],
                                   "tenders": [{"method": "cash", "amount": usd(544350)}]},
                        key=True)
    assert taken.status_code == 409, taken.text
    assert seller.ok("GET", f"/items/{solitaire['id']}")["status"] == "reserved"

    # Ann collects: the hold is released at the counter and the piece sold, paid by card,
    # cash and 1,000 of her points
    seller.ok("DELETE", f"/reservations/{hold['id']}")
    solitaire_total = 500000 + tax(500000, NYC_TAX)
    points_used = 1000
    split = seller.ok("POST", "/sales", {
        "store_id": NYC, "client_id": ann["id"], "lines": [{"item_id": solitaire["id"]}],
        "tenders": [
            {"method": "card", "amount": usd(400000), "payment_method": "pm_card_visa"},
            {"method": "cash", "amount": usd(solitaire_total - 400000 - points_used),
             "received": usd(solitaire_total - 400000 - points_used + 650)},
            {"method": "loyalty_points", "amount": usd(points_used), "points": points_used},
        ]}, 201, headers=_key())
    assert split["status"] == "completed" and split["total"] == usd(solitaire_total)
    assert sorted(t["method"] for t in split["tenders"]) == ["card", "cash", "loyalty_points"]
    day.points[ann["id"]] -= points_used
    _sold(day, NYC, ann, solitaire_total, 500000, split["receipt_number"], solitaire,
          earned=points_for(solitaire_total - points_used))

    # --- a repair: intake, estimate, approval, bench, ready (a text), pickup with the balance --
    promised = (date.today() + timedelta(days=7)).isoformat()
    job = seller.ok("POST", "/work-orders", {
        "store_id": NYC, "client_id": ben["id"], "kind": "repair",
        "item_description": "Platinum engagement ring, four-prong setting",
        "intake": {"condition_notes": "worn prongs, small chip on girdle",
                   "photos": [{"content_base64": png(), "caption": "at intake"}]},
        "tasks": [{"description": "Re-tip four prongs"}],
        "promised_date": promised}, 201, headers=_key())
    assert job["stage"] == "received" and job["number"].startswith("NYC-") and job["tracking_token"]
    assert bench.post("/sales", {"store_id": NYC, "lines": [{"description": "x", "amount": usd(100)}],
                                 "tenders": [{"method": "cash", "amount": usd(109)}]}).status_code == 403
    estimate = 15000
    quoted = bench.ok("POST", f"/work-orders/{job['id']}/estimate", {"amount": usd(estimate),
                                                                       "note": "four prongs"})
    assert quoted["stage"] == "awaiting_approval"
    day.texts.append((ben["phone"], [job["number"]]))                # the estimate, by text
    deposit = seller.ok("POST", f"/work-orders/{job['id']}/deposits",
                        {"tender": {"method": "cash", "amount": usd(5000)}}, 201, headers=_key())
    assert seller.ok("POST", f"/work-orders/{job['id']}/approve", {"note": "by phone"})["stage"] == "approved"
    bench.ok("POST", f"/work-orders/{job['id']}/assign", {"user_id": bench.id})
    for stage in ("in_progress", "quality_check", "ready_for_pickup"):
        moved = bench.ok("POST", f"/work-orders/{job['id']}/transition", {"stage": stage, "note": stage})
        assert moved["stage"] == stage
    day.texts.append((ben["phone"], [job["number"]]))                # ready for pickup, by text
    wait_until(lambda: len(chain.twilio.accepted(ben["phone"])) >= 2, message="Ben's two texts")
    early = bench.post(f"/work-orders/{job['id']}/transition", {"stage": "picked_up"})
    assert early.status_code == 409, early.text                     # not before the balance is paid
    due = seller.ok("GET", f"/work-orders/{job['id']}")
    balance = estimate - 5000
    assert due["balance_due"] == usd(balance), due
    pickup = seller.ok("POST", "/sales", {
        "store_id": NYC, "client_id": ben["id"], "lines": [{"work_order_id": job["id"]}],
        "tenders": [{"method": "card", "amount": usd(balance + tax(balance, NYC_TAX)),
                     "payment_method": "pm_card_visa"}]}, 201, headers=_key())
    assert pickup["total"] == usd(balance + tax(balance, NYC_TAX)), pickup
    _sold(day, NYC, ben, pickup["total"]["amount"], balance, pickup["receipt_number"])
    wait_until(lambda: seller.ok("GET", f"/work-orders/{job['id']}")["stage"] == "picked_up",
               message="the repair picked up once its balance was paid")
    assert deposit["payment"]["state"] == "captured", deposit

    # --- a transfer: the bracelet goes to Boston -----------------------------------------------
    transfer = manager.ok("POST", "/transfers", {"item_ids": [bracelet["id"]], "from_store_id": NYC,
                                                 "to_store_id": BOS}, 201, headers=_key())
    assert manager.ok("GET", f"/items/{bracelet['id']}")["status"] == "in_transit"
    assert manager.post(f"/transfers/{transfer['id']}/receive").status_code in (403, 404)
    boston.ok("POST", f"/transfers/{transfer['id']}/receive")
    day.status[bracelet["id"]] = ("in_stock", BOS)

    # --- a layaway for Fay: the riviera, a deposit and two payments -----------------------------
    riviera_total = 200000 + tax(200000, NYC_TAX)
    layaway = seller.ok("POST", "/layaways", {
        "store_id": NYC, "client_id": fay["id"], "item_ids": [riviera["id"]],
        "deposit": {"method": "card", "amount": usd(40000), "payment_method": "pm_card_visa"},
        "installments": 2, "interval_days": 14}, 201, headers=_key())
    assert layaway["status"] == "active" and layaway["total"] == usd(riviera_total)
    assert seller.ok("GET", f"/items/{riviera['id']}")["status"] == "reserved"
    rest = riviera_total - 40000
    seller.ok("POST", f"/layaways/{layaway['id']}/payments",
              {"tender": {"method": "cash", "amount": usd(rest // 2)}}, 201, headers=_key())
    last = seller.ok("POST", f"/layaways/{layaway['id']}/payments",
                     {"tender": {"method": "card", "amount": usd(rest - rest // 2),
                                 "payment_method": "pm_card_visa"}}, 201, headers=_key())
    done = seller.ok("GET", f"/layaways/{layaway['id']}")
    assert done["status"] == "completed" and done["balance"] == usd(0), (last, done)
    _sold(day, NYC, fay, riviera_total, 200000, item=riviera)

    # --- a stock count at NYC: the lost ring is not found, a Boston tag turns up ---------------
    count = seller.ok("POST", "/stock-counts", {"store_id": NYC}, 201, headers=_key())
    on_hand = [band, studs, watch]                       # what is in NYC's cases now
    seller.ok("POST", f"/stock-counts/{count['id']}/scans",
              {"tags": [p["tag"] for p in on_hand] + [bracelet["tag"]]})
    seller.ok("POST", f"/stock-counts/{count['id']}/scans", {"tags": [band["tag"].lower()]})
    assert seller.post(f"/stock-counts/{count['id']}/close", {"mark_missing": True}).status_code == 403
    closed = manager.ok("POST", f"/stock-counts/{count['id']}/close", {"mark_missing": True})
    assert closed.get("result", closed)["matched"] == 3, closed
    assert closed.get("result", closed)["missing"] == [lost["tag"]], closed
    assert closed.get("result", closed)["unexpected"] == [bracelet["tag"]], closed
    day.status[lost["id"]] = ("missing", NYC)

    # --- a return: Ann brings the pendant back; the manager refunds it to her card ------------
    returned = manager.ok("POST", f"/sales/{first['id']}/returns",
                         {"item_ids": [pendant["id"]], "refund_method": "original",
                          "reason": "changed her mind"}, 201, headers=_key())
    assert returned["amount"] == usd(pendant_total) and returned["state"] == "completed", returned
    assert [r["state"] for r in returned["refunds"]] == ["succeeded"], returned
    day.status[pendant["id"]] = ("in_stock", NYC)
    day.ltv[ann["id"]] -= pendant_total
    day.points[ann["id"]] -= points_for(pendant_total)
    day.returned[NYC] += pendant_total

    # --- a cash sale that trips Form 8300: Dan pays the watch in cash ---------------------------
    watch_total = 1200000 + tax(1200000, NYC_TAX)
    cash_sale = seller.ok("POST", "/sales", {
        "store_id": NYC, "client_id": dan["id"], "lines": [{"item_id": watch["id"]}],
        "tenders": [{"method": "cash", "amount": usd(watch_total)}]}, 201, headers=_key())
    _sold(day, NYC, dan, watch_total, 1200000, cash_sale["receipt_number"], watch)

    # --- London sells the halo ring to Cara, in pounds ------------------------------------------
    halo_total = 300000 + tax(300000, LON_TAX)
    london_sale = london.ok("POST", "/sales", {
        "store_id": LON, "client_id": cara["id"], "lines": [{"item_id": halo["id"]}],
        "tenders": [{"method": "card", "amount": gbp(halo_total), "payment_method": "pm_card_visa"}]},
        201, headers=_key())
    assert london_sale["total"] == gbp(halo_total)
    _sold(day, LON, cara, halo_total, 300000, london_sale["receipt_number"], halo)

    # --- Eve gets a note from the store, replies STOP; the next note is refused ----------------
    note = seller.ok("POST", "/messages", {"client_id": eve["id"], "body": "Your studs are in."},
                     201, headers=_key())
    day.texts.append((eve["phone"], ["Your studs are in."]))
    wait_until(lambda: chain.twilio.accepted(eve["phone"]), message="the note to Eve")
    form = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": chain.twilio.account_sid,
            "From": eve["phone"], "To": "+15005550006", "Body": "STOP"}
    reply = chain.api.post("/webhooks/twilio/inbound", data=form,
                           headers={"X-Twilio-Signature": chain.twilio_sign(
                               "/webhooks/twilio/inbound", form)})
    assert reply.status_code == 200 and "<Response>" in reply.text, reply.text
    wait_until(lambda: client_view(seller, eve["id"])["consent"]["sms"] is False,
               message="Eve's STOP reaching the client book")
    refused_note = seller.post("/messages", {"client_id": eve["id"], "body": "Last chance!"}, key=True)
    assert refused_note.status_code == 422, refused_note.text
    assert note["client_id"] == eve["id"]

    day.cash_sale = cash_sale

    # ==================================== end of the day =======================================
    _reconcile(chain, day, auditor)


def _key():
    return {"Idempotency-Key": str(uuid.uuid4())}


def _sold(day, store_id, client, total, net, receipt=None, item=None, earned=None):
    """Book a completed sale: the piece, the store's figures, the client's
    value and points, and the receipt text when they take texts."""
    if item is not None:
        day.status[item["id"]] = ("sold", store_id)
    day.sales[store_id] += 1
    day.net[store_id] += net
    day.total[store_id] += total
    day.ltv[client["id"]] += total
    day.points[client["id"]] += points_for(total) if earned is None else earned
    if client.get("consent", {}).get("sms") and client.get("phone"):
        day.texts.append((client["phone"], [receipt]))


def _reconcile(chain, day, auditor):
    admin = chain.admin

    # every piece: its status and where it is
    for item_id, (status, store_id) in day.status.items():
        item = auditor.ok("GET", f"/items/{item_id}")
        assert (item["status"], item["store_id"]) == (status, store_id), item

    # every client: lifetime value and points (crm applies sale events as they come)
    for name, c in day.clients.items():
        def agrees(c=c):
            view = auditor.ok("GET", f"/clients/{c['id']}")
            return (view["lifetime_value"]["amount"], view["loyalty_points"]) == \
                (day.ltv[c["id"]], day.points[c["id"]]) and view
        view = wait_until(agrees, timeout=20,
                          message=f"{name}'s lifetime value {day.ltv[c['id']]} and points "
                                  f"{day.points[c['id']]}")
        spent = day.ltv[c["id"]]
        assert view["tier"] == ("vip" if spent >= 1_000_000 else "loyal" if spent >= 100_000
                                else "new"), (name, spent, view["tier"])

    # every text that went out, and nothing else
    def texts_out():
        sent = chain.twilio.accepted()
        return len(sent) >= len(day.texts) and sent
    wait_until(texts_out, message=f"{len(day.texts)} texts")
    _queue_drained(chain, len(day.texts))
    sent = chain.twilio.accepted()
    assert sorted(m["To"] for m in sent) == sorted(to for to, _ in day.texts), \
        [(m["To"], m["Body"][:60]) for m in sent]
    for to, words in day.texts:
        assert any(all(w in m["Body"] for w in words) for m in sent if m["To"] == to), (to, words)
    listed = _all(admin, "/messages", {"channel": "sms", "direction": "outbound"})
    by_provider = [m for m in listed if m["provider_sid"]]
    assert sorted((m["provider_sid"], m["to"]) for m in by_provider) == \
        sorted((m["_sid"], m["To"]) for m in sent), (by_provider, sent)
    assert {m["status"] for m in by_provider} <= {"queued", "sent", "delivered"}, by_provider
    dan = day.clients["dan"]
    dan_messages = admin.ok("GET", "/messages", params={"client_id": dan["id"]})["items"]
    assert dan_messages and {m["status"] for m in dan_messages} == {"suppressed"}, dan_messages
    eve = day.clients["eve"]
    eve_thread = admin.ok("GET", "/messages", params={"client_id": eve["id"]})["items"]
    assert Counter((m["direction"], m.get("trigger")) for m in eve_thread) == Counter({
        ("outbound", "staff"): 1, ("inbound", "stop"): 1, ("outbound", "keyword_reply"): 1}), eve_thread

    # Form 8300: Dan's cash is a case, with its due date
    cases = admin.ok("GET", "/compliance/cash-reports")["items"]
    assert [c["client_id"] for c in cases] == [dan["id"]], cases
    case = cases[0]
    assert case["total_cash"] == day.cash_sale["total"] and case["sale_ids"] == [day.cash_sale["id"]]
    triggered = datetime.fromisoformat(case["triggered_at"]).astimezone(ZoneInfo("America/New_York"))
    assert case["due_date"] == (triggered.date() + timedelta(days=15)).isoformat(), case
    assert case["status"] == "open"

    # HQ's figures: sales per store and stock value per store
    report = admin.ok("GET", "/reports/sales", params={"group_by": "store"})
    by_store = {row["store"]: row for row in report["rows"]}
    assert set(by_store) == set(day.sales), by_store
    for store_id, count in day.sales.items():
        row = by_store[store_id]
        assert (row["sales"], row["net_sales"]["amount"], row["total"]["amount"],
                row["returned"]["amount"]) == (count, day.net[store_id], day.total[store_id],
                                               day.returned[store_id]), (store_id, row)
    stock = {s["store_id"]: s for s in admin.ok("GET", "/reports/stock-value")["stores"]}
    on_books = ("in_stock", "reserved", "in_transit", "on_memo_out", "missing")
    for store_id in day.stores.values():
        held = [day.by_id[i] for i, (st, s) in day.status.items() if s == store_id and st in on_books]
        owned = stock.get(store_id, {}).get("owned", {"count": 0, "cost": 0, "retail": 0})
        assert owned == {"count": len(held), "cost": sum(p["cost"]["amount"] for p in held),
                         "retail": sum(p["price"]["amount"] for p in held)}, (store_id, owned)

    # the audit log: every mutating request, by whom, with its outcome, and nothing more
    for user in day.users:
        entries = _audit_of(auditor, user.id)
        done = Counter((m, p, s) for m, p, s in user.calls)
        seen = Counter((e["method"], e["path"], e["status"]) for e in entries)
        assert seen == done, (user.username, done - seen, seen - done)
    assert auditor.post("/stores", {"code": "AUD", "name": "x", "currency": "USD",
                                    "timezone": "UTC", "tax_rate_bps": 0}).status_code == 403


def _queue_drained(chain, expected):
    """Texts are queued and sent by a timer: once the expected number went out,
    nothing is left in the queue to follow them."""
    wait_until(lambda: chain.db("notifications").scalar(
        "select count(*) from messages where status in ('pending', 'sending')") == 0,
        message="the outgoing queue drained")
    assert len(chain.twilio.accepted()) == expected


def _all(api, path, params=None):
    """Every item of a paginated list."""
    items, cursor = [], None
    while True:
        query = dict(params or {}, limit=200)
        if cursor:
            query["cursor"] = cursor
        page = api.ok("GET", path, params=query)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def _audit_of(api, actor_id):
    return _all(api, "/audit", {"actor_id": actor_id})


def test_hq_sees_the_same_day(chain, day):
    """HQ's summary (fed by events) agrees with the day, store by store."""
    assert day.status, "the day did not run"
    on_books = ("in_stock", "reserved", "in_transit", "on_memo_out", "missing")
    returns = Counter({day.stores["NYC"]: 1})
    open_jobs = Counter()   # the only repair was picked up

    def expected(store_id):
        held = [day.by_id[i] for i, (st, s) in day.status.items() if s == store_id and st in on_books]
        return {"pieces": len(held), "cost": sum(p["cost"]["amount"] for p in held),
                "retail": sum(p["price"]["amount"] for p in held),
                "sales": day.sales[store_id], "returns": returns[store_id],
                "open": open_jobs[store_id], "overdue": 0}

    def seen(store):
        owned = store["stock"]["owned"]
        return {"pieces": owned["pieces"], "cost": owned["cost"]["amount"],
                "retail": owned["retail"]["amount"], "sales": store["sales_today"]["sales"],
                "returns": store["sales_today"]["returns"],
                "open": store["work_orders"]["open"], "overdue": store["work_orders"]["overdue"]}

    def agrees():
        reply = chain.admin.get("/hq/summary")
        assert reply.status_code == 200, reply.text
        stores = {s["store_id"]: s for s in reply.json()["stores"]}
        for store_id in day.stores.values():
            assert seen(stores[store_id]) == expected(store_id), (store_id, stores[store_id])
        return True

    wait_until(agrees, timeout=20, message="HQ's summary to agree with the day")
