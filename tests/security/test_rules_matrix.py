"""The rules a counter must not bend (issue 17), walked on the whole chain as
the users of store A, store B and HQ would, each attack of the issue tried as
it was made, with the exact answer asserted and nothing changed after it:

- the client book: store A finds store B's client by name or phone and sees
  what identifies them (masked phone); their profile, timeline, store
  credit, loyalty, history and wish list are 404 for A, and so is every
  change A tries; once the client buys at A, they are A's too. Merging
  clients of different home stores and adjusting points are HQ's;
- tracking tokens: store B's job keeps its token off A's view of the
  client's timeline (B and HQ see it), so A cannot approve B's estimate at
  ``/track/{token}/approve``; the client, with the token, can;
- refunds: the associate limit holds per sale over all its returns (two
  pieces in two requests);
- tax exemption: a store manager's, with a certificate number;
- a sale is credited only to staff of its store;
- a foreign card is charged at HQ's rate from ``/fx-rates``, never the
  counter's;
- Idempotency-Key: store B's sale with store A's key is its own sale; the
  same user's repeat answers the first result.

One chain for the file; the company is ``test_access``'s without its
catalogue of objects (each test makes what it needs).
"""
import itertools
import re
import uuid

import pytest

from tests.security.test_access import Company, usd, with_tax
from tests.support.e2e import wait_until

pytestmark = pytest.mark.e2e

CHAIN = {"name": "rules", "env": {"MAX_ASSOCIATE_REFUND": "100000"}}   # 1,000.00, as in the issue
IDENTIFYING = {"id", "first_name", "last_name", "phone", "tier", "home_store_id"}
PHONES = itertools.count(1000)          # every client a phone of their own


class Stores(Company):
    """Stores AAA, BBB and CCC; every store role at A and at B; HQ."""

    def _objects(self, A):
        return {}

    def piece(self, code="AAA", price=100000):
        return self._piece(self.store[code], price=price)

    def client(self, code="BBB", **over):
        """A client whom a sales associate of store ``code`` adds (their home store)."""
        seller = self.seller(code)
        body = {"first_name": "Beatrix", "last_name": f"Kiddo-{uuid.uuid4().hex[:6]}",
                "phone": f"212 555 {next(PHONES)}", "home_store_id": self.store[code],
                "notes": "Store B's client: allergic to nickel", "consent": {"sms": True, "email": False}}
        body.update(over)
        return seller.ok("POST", "/clients", body, 201)

    def seller(self, code):
        return (self.users if code == "AAA" else self.b_users)["sales_associate"]

    def manager(self, code):
        return (self.users if code == "AAA" else self.b_users)["store_manager"]

    def hq_view(self, client_id):
        view = self.admin.ok("GET", f"/clients/{client_id}")
        view.pop("last_read_at", None)
        return view

    def sold(self, code, client_id, price=100000, **body):
        """A piece of store ``code`` sold by its associate (by card)."""
        item = self.piece(code, price)
        sale = self.seller(code).post("/sales", {
            "store_id": self.store[code], "client_id": client_id, "lines": [{"item_id": item["id"]}],
            "tenders": [card(with_tax(price))], **body}, key=True)
        assert sale.status_code == 201, sale.text
        return item, sale.json()

    def status(self, item):
        return self.admin.ok("GET", f"/items/{item['id']}")["status"]

    def sales_of(self, code):
        return len(self.admin.ok("GET", "/sales", params={"store_id": self.store[code],
                                                          "limit": 200})["items"])


def card(amount, **over):
    return {"method": "card", "amount": usd(amount), "payment_method": "pm_card_visa", **over}


@pytest.fixture(scope="module")
def company(chain):
    return Stores(chain)


def problem(reply, status):
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/problem+json"), reply.headers
    return reply.json()


# --- the client book -----------------------------------------------------------------------------

def test_store_a_finds_store_bs_client_and_sees_only_what_identifies_them(company):
    client = company.client(phone="212 555 0177")
    wish = company.seller("BBB").ok("POST", f"/clients/{client['id']}/wishlist",
                                    {"description": "an emerald"}, 201)
    for a in (company.seller("AAA"), company.manager("AAA")):
        by_name = a.ok("GET", "/clients", params={"q": client["last_name"]})["items"]
        by_phone = a.ok("GET", "/clients", params={"q": "212 555 0177"})["items"]
        seen = a.ok("GET", f"/clients/{client['id']}")
        assert set(seen) == IDENTIFYING, seen
        assert re.fullmatch(r"\*+77", seen["phone"]), seen
        assert seen["home_store_id"] == company.store["BBB"]
        assert by_name == [seen] and [c["id"] for c in by_phone] == [client["id"]]
        assert set(by_phone[0]) == IDENTIFYING
        for path in ("timeline", "loyalty", "store-credit", "recommendations"):
            problem(a.get(f"/clients/{client['id']}/{path}"), 404)
        problem(a.get("/clients/duplicates", params={"client_id": client["id"]}), 404)
    problem(company.manager("AAA").get(f"/clients/{client['id']}/history"), 404)
    # store B and HQ see the whole profile, wish list included
    for b in (company.seller("BBB"), company.admin):
        full = b.ok("GET", f"/clients/{client['id']}")
        assert full["notes"] == client["notes"] and [w["id"] for w in full["wishlist"]] == [wish["id"]]
        assert b.get(f"/clients/{client['id']}/timeline").status_code == 200
        assert b.get(f"/clients/{client['id']}/store-credit").status_code == 200


def test_store_a_changes_nothing_of_store_bs_client(company):
    client = company.client()
    wish = company.seller("BBB").ok("POST", f"/clients/{client['id']}/wishlist",
                                    {"description": "a sapphire"}, 201)
    before = company.hq_view(client["id"])
    history = company.admin.ok("GET", f"/clients/{client['id']}/history")["items"]
    starts = "2030-05-06T15:00:00+00:00"
    for a in (company.seller("AAA"), company.manager("AAA")):
        writes = [
            a.patch(f"/clients/{client['id']}", {"notes": "owes us money"}),
            a.patch(f"/clients/{client['id']}", {"consent": {"sms": False}}),
            a.patch(f"/clients/{client['id']}", {"phone": "+1 917 555 0100"}),
            a.post(f"/clients/{client['id']}/wishlist", {"description": "a tiara"}, key=True),
            a.delete(f"/clients/{client['id']}/wishlist/{wish['id']}"),
            a.post("/appointments", {"client_id": client["id"], "store_id": company.store["AAA"],
                                     "staff_user_id": a.id, "purpose": "viewing",
                                     "starts_at": starts}, key=True),
        ]
        for reply in writes:
            problem(reply, 404)
    assert company.hq_view(client["id"]) == before
    assert company.admin.ok("GET", f"/clients/{client['id']}/history")["items"] == history
    assert company.admin.ok("GET", "/appointments", params={"store_id": company.store["AAA"]})[
        "items"] == []


def test_a_client_becomes_store_as_once_they_buy_there(company):
    client = company.client()
    seller = company.seller("AAA")
    assert "notes" not in seller.ok("GET", f"/clients/{client['id']}")
    company.sold("AAA", client["id"])              # any store sells to a client of the chain
    wait_until(lambda: "notes" in seller.ok("GET", f"/clients/{client['id']}"),
               message="the sale at A made the client A's")
    assert seller.ok("GET", f"/clients/{client['id']}")["notes"] == client["notes"]
    assert seller.get(f"/clients/{client['id']}/timeline").status_code == 200
    assert company.seller("BBB").get(f"/clients/{client['id']}/timeline").status_code == 200


def test_merges_across_home_stores_and_points_adjustments_are_hqs(company):
    theirs = company.client(first_name="Vernita", last_name="Green")
    ours = company.client("AAA", first_name="Vernita", last_name="Green", notes="Store A's")
    also_ours = company.client("AAA", first_name="Vernita", last_name="Greene", notes="A again")
    views = {c["id"]: company.hq_view(c["id"]) for c in (theirs, ours, also_ours)}
    for manager, target, other in ((company.manager("AAA"), ours, theirs),
                                   (company.manager("BBB"), theirs, ours)):
        problem(manager.post(f"/clients/{target['id']}/merge", {"duplicate_id": other["id"]},
                             key=True), 403)
    problem(company.manager("BBB").post(f"/clients/{ours['id']}/merge",
                                        {"duplicate_id": also_ours["id"]}, key=True), 404)
    for someone, client in ((company.manager("AAA"), ours), (company.manager("BBB"), theirs),
                            (company.manager("AAA"), theirs), (company.seller("AAA"), ours)):
        problem(someone.post(f"/clients/{client['id']}/loyalty/adjustments",
                             {"points": 5000, "reason": "gift"}, key=True), 403)
    assert {c: company.hq_view(c) for c in views} == views
    for client in (theirs, ours):
        assert company.admin.ok("GET", f"/clients/{client['id']}/loyalty")["items"] == []
    # a store merges its own clients; HQ merges across home stores and adjusts points
    company.manager("AAA").ok("POST", f"/clients/{ours['id']}/merge",
                              {"duplicate_id": also_ours["id"]})
    merged = company.admin.ok("POST", f"/clients/{ours['id']}/merge", {"duplicate_id": theirs["id"]})
    assert theirs["id"] in merged["merged_ids"]
    company.admin.ok("POST", f"/clients/{ours['id']}/loyalty/adjustments",
                     {"points": 500, "reason": "welcome"}, 201)


# --- tracking tokens -----------------------------------------------------------------------------

def test_store_bs_tracking_token_stays_off_store_as_timeline_and_only_the_client_approves(company):
    client = company.client()
    company.sold("AAA", client["id"])              # the client is A's too: A reads the timeline
    a, b = company.seller("AAA"), company.seller("BBB")
    wait_until(lambda: a.get(f"/clients/{client['id']}/timeline").status_code == 200,
               message="the client is A's")
    job = b.ok("POST", "/work-orders", {
        "store_id": company.store["BBB"], "client_id": client["id"], "kind": "repair",
        "item_description": "A sapphire ring", "promised_date": "2030-01-15"}, 201)
    token = job["tracking_token"]
    company.manager("BBB").ok("POST", f"/work-orders/{job['id']}/estimate",
                              {"amount": usd(25000), "note": "new prongs"})

    def timeline(api):
        return api.ok("GET", f"/clients/{client['id']}/timeline", params={"limit": 200})["items"]

    # B (and HQ) see the job's token, in the job and in the estimate's text message
    wait_until(lambda: sum(token in repr(line) for line in timeline(b)) >= 2, timeout=30,
               message="B's timeline shows its job and the estimate's message with the token")
    assert any(token in repr(line) for line in timeline(company.admin))
    seen_by_a = timeline(a)
    jobs = [line for line in seen_by_a if line["kind"] == "work_order"
            and line["store_id"] == company.store["BBB"]]
    assert jobs and all("tracking_token" not in line["details"] for line in jobs), jobs
    assert token not in a.get(f"/clients/{client['id']}/timeline", params={"limit": 200}).text
    problem(a.get(f"/work-orders/{job['id']}"), 404)
    # without the token, A has nothing to approve with
    for guess in ("B-" + "t" * 30, token[:-1] + ("x" if token[-1] != "x" else "y")):
        reply = company.chain.api.post(f"/track/{guess}/approve", headers={"Accept": "application/json"})
        problem(reply, 404)
    assert company.admin.ok("GET", f"/work-orders/{job['id']}")["stage"] == "awaiting_approval"
    # the client, with the token of their text message, approves
    approved = company.chain.api.post(f"/track/{token}/approve", headers={"Accept": "application/json"})
    assert approved.status_code == 200, approved.text
    assert company.admin.ok("GET", f"/work-orders/{job['id']}")["stage"] == "approved"


# --- refunds, tax exemption, associate, FX -----------------------------------------------------

def test_the_associate_refund_limit_holds_over_all_returns_of_a_sale(company):
    seller, manager, A = company.seller("AAA"), company.manager("AAA"), company.store["AAA"]
    first, second = company.piece(price=60000), company.piece(price=60000)   # 653.22 each with tax
    sale = seller.ok("POST", "/sales", {
        "store_id": A, "lines": [{"item_id": first["id"]}, {"item_id": second["id"]}],
        "tenders": [card(with_tax(120000))]}, 201, headers={"Idempotency-Key": str(uuid.uuid4())})
    one = seller.post(f"/sales/{sale['id']}/returns", {"item_ids": [first["id"]]}, key=True)
    assert one.status_code == 201, one.text              # 653.22: within 1,000.00
    two = seller.post(f"/sales/{sale['id']}/returns", {"item_ids": [second["id"]]}, key=True)
    problem(two, 403)                                    # 1,306.44 over the sale: a manager's
    assert company.status(second) == "sold"
    lines = company.admin.ok("GET", f"/sales/{sale['id']}")["lines"]
    assert [line["returned"] for line in lines if line.get("item_id") == second["id"]] == [False]
    assert manager.post(f"/sales/{sale['id']}/returns", {"item_ids": [second["id"]]},
                        key=True).status_code == 201
    assert company.status(second) == "in_stock"


def test_a_tax_exemption_needs_a_store_manager_and_a_certificate(company):
    seller, manager, A = company.seller("AAA"), company.manager("AAA"), company.store["AAA"]
    item = company.piece(price=100000)
    sales = company.sales_of("AAA")

    def sell(api, **exempt):
        return api.post("/sales", {"store_id": A, "lines": [{"item_id": item["id"]}],
                                   "tenders": [card(100000)], "tax_exempt": True, **exempt}, key=True)

    problem(sell(seller, tax_exempt_id="MADE-UP-1"), 403)
    refused = problem(sell(manager), 422)
    assert "tax_exempt_id" in refused["errors"], refused
    assert company.status(item) == "in_stock" and company.sales_of("AAA") == sales
    exempt = sell(manager, tax_exempt_id="NY-ST-119-0042")
    assert exempt.status_code == 201, exempt.text
    assert exempt.json()["tax"] == usd(0) and exempt.json()["total"] == usd(100000)


def test_a_sale_is_credited_only_to_staff_of_its_store(company):
    seller, A = company.seller("AAA"), company.store["AAA"]
    item = company.piece()
    sales = company.sales_of("AAA")
    for stranger in (company.seller("BBB").id, company.manager("BBB").id, company.admin.id,
                     str(uuid.uuid4())):
        reply = seller.post("/sales", {"store_id": A, "associate_id": stranger,
                                       "lines": [{"item_id": item["id"]}],
                                       "tenders": [card(with_tax(100000))]}, key=True)
        assert "associate_id" in problem(reply, 422)["errors"]
    assert company.status(item) == "in_stock" and company.sales_of("AAA") == sales
    colleague = company.manager("AAA").id
    credited = seller.ok("POST", "/sales", {"store_id": A, "associate_id": colleague,
                                            "lines": [{"item_id": item["id"]}],
                                            "tenders": [card(with_tax(100000))]}, 201,
                         headers={"Idempotency-Key": str(uuid.uuid4())})
    assert company.admin.ok("GET", f"/sales/{credited['id']}")["associate_id"] == colleague


def test_a_foreign_card_is_charged_at_hqs_rate_never_the_counters(company):
    seller, A = company.seller("AAA"), company.store["AAA"]
    ring = company.piece(price=1000000)                       # 10,000.00 USD
    total = with_tax(1000000)
    body = {"store_id": A, "lines": [{"item_id": ring["id"]}],
            "tenders": [card(total, currency="EUR")]}
    forged = dict(body, tenders=[card(total, currency="EUR", fx_rate="0.0001")])
    assert "tenders.0.fx_rate" in problem(seller.post("/sales", forged, key=True), 422)["errors"]
    no_rate = problem(seller.post("/sales", body, key=True), 422)
    assert "HQ" in no_rate["errors"]["tenders.0.fx_rate"][0]
    assert company.status(ring) == "in_stock"
    problem(seller.post("/fx-rates", {"currency": "EUR", "rate": "0.0001"}), 403)
    company.admin.ok("POST", "/fx-rates", {"currency": "EUR", "rate": "1.25"}, 201)
    sold = seller.ok("POST", "/sales", body, 201, headers={"Idempotency-Key": str(uuid.uuid4())})
    charge = sold["tenders"][0]["charge"]
    assert charge == {"amount": {"amount": (total * 8 + 5) // 10, "currency": "EUR"},
                      "fx_rate": "0.8"}, charge


# --- idempotency keys ----------------------------------------------------------------------------

def test_idempotency_keys_belong_to_the_store_and_the_user(company):
    mine, theirs = company.piece("AAA"), company.piece("BBB")
    key = {"Idempotency-Key": f"till-1-{uuid.uuid4().hex[:8]}"}

    def sale(code, item):
        return {"store_id": company.store[code], "lines": [{"item_id": item["id"]}],
                "tenders": [card(with_tax(100000))]}

    first = company.seller("AAA").post("/sales", sale("AAA", mine), headers=key)
    assert first.status_code == 201, first.text
    other = company.seller("BBB").post("/sales", sale("BBB", theirs), headers=key)
    assert other.status_code == 201, other.text              # not 409: store B's own sale
    assert other.json()["id"] != first.json()["id"] and company.status(theirs) == "sold"
    again = company.seller("AAA").post("/sales", sale("AAA", mine), headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    problem(company.seller("AAA").post("/sales", sale("AAA", company.piece("AAA")), headers=key), 409)
    a_sales = [s["id"] for s in company.admin.ok("GET", "/sales", params={
        "store_id": company.store["AAA"], "limit": 200})["items"]]
    assert a_sales.count(first.json()["id"]) == 1
