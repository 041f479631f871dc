"""Who may do what, on the whole chain running as processes.

- The access matrix, generated from the route table (``x-roles`` of every
  operation in ``/openapi.json``): every role gets exactly the routes its
  role allows; an auditor changes nothing (but their own account: sign-out).
- Store scope: on every store-scoped route, a user of another store gets
  404 or 403, and nothing of the first store changes.
- The rules a role table cannot show: a sales associate cannot refund beyond
  the limit, change a price or read the audit log; a bench jeweler cannot sell.
- Tokens: none, expired, tampered, ``alg: none``, wrong audience, wrong
  issuer, wrong key: 401.
- Mass assignment: fields a route does not own are refused, never applied.
- Sizes: an oversized body or photo is refused before it is read whole.
"""
import base64
import io
import json
import os
import re
import socket
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import jwt
import pytest

from tests.support.e2e import ADMIN, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, PASSWORD, forge_token, wait_until

pytestmark = pytest.mark.e2e

CHAIN = {"name": "access", "env": {
    "MAX_BODY_BYTES": str(1024 * 1024),
    "PHOTO_MAX_BYTES": str(64 * 1024),
    "MAX_ASSOCIATE_REFUND": "50000",          # 500.00: more needs a store manager
}}
ROLES = ("hq_admin", "store_manager", "sales_associate", "bench_jeweler", "auditor")
MUTATING = ("post", "put", "patch", "delete")
TAX = 887


def usd(amount):
    return {"amount": amount, "currency": "USD"}


def with_tax(amount):
    return amount + (2 * amount * TAX + 10000) // 20000


def png(size=8, noise=0):
    from PIL import Image
    image = Image.new("RGB", (size, size), (180, 160, 40))
    if noise:
        image = Image.frombytes("RGB", (size, size), os.urandom(size * size * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def key():
    return {"Idempotency-Key": str(uuid.uuid4())}


# --- the company under test ---------------------------------------------------------------------

class Company:
    """Stores A, B and C; a user of every role at A and B; in store A, one of
    every kind of object a route can name."""

    def __init__(self, chain):
        self.chain = chain
        admin = self.admin = chain.admin
        self.store = {}
        for code in ("AAA", "BBB", "CCC"):
            made = admin.ok("POST", "/stores", {"code": code, "name": f"Store {code}", "currency": "USD",
                                                "timezone": "America/New_York", "tax_rate_bps": TAX}, 201)
            self.store[code] = made["id"]
        for store_id in self.store.values():
            for component in ("inventory", "crm", "workorders", "payments", "notifications",
                              "reporting"):
                wait_until(lambda c=component, s=store_id: chain.db(c).scalar(
                    "select count(*) from stores where id = :s", s=s), message=f"store in {component}")
        A, B = self.store["AAA"], self.store["BBB"]
        self.users = {"hq_admin": admin, "auditor": admin.user("auditor", [])}
        self.b_users = {}
        for role in ("store_manager", "sales_associate", "bench_jeweler"):
            self.users[role] = admin.user(role, [A])
            self.b_users[role] = admin.user(role, [B])
        self.objects = self._objects(A)

    def _piece(self, store_id, price=100000, **over):
        body = {"store_id": store_id, "category": "ring", "description": "Scoped ring",
                "metal": {"type": "gold", "karat": 18, "weight_g": "3.000"},
                "stones": [{"type": "diamond", "carat": "0.300",
                            "certificate": {"lab": "IGI", "number": uuid.uuid4().hex[:10]}}],
                "cost": usd(price // 2), "price": usd(price)}
        body.update(over)
        return self.admin.ok("POST", "/items", body, 201)

    def _objects(self, A):
        admin, manager, seller = self.admin, self.users["store_manager"], self.users["sales_associate"]
        bench = self.users["bench_jeweler"]
        o = {}
        o["vendor"] = manager.ok("POST", "/vendors", {"name": "Scoped Vendor"}, 201)
        o["item"] = self._piece(A)
        o["held"] = self._piece(A)
        o["shipped"] = self._piece(A)
        o["memo_piece"] = self._piece(A)
        o["sold"] = self._piece(A, price=100000)
        o["sold_cheap"] = self._piece(A, price=20000)
        o["layaway_piece"] = self._piece(A, price=50000)
        o["weighed"] = self._piece(A, pricing={"markup": "2.0", "labor": usd(5000)})
        o["client"] = seller.ok("POST", "/clients", {
            "first_name": "Alma", "last_name": "Scoped", "phone": "212 555 0160",
            "home_store_id": A, "consent": {"sms": True, "email": False}}, 201)
        o["client2"] = seller.ok("POST", "/clients", {
            "first_name": "Alma", "last_name": "Scoped-Two", "home_store_id": A}, 201)
        client = o["client"]["id"]
        o["wish"] = seller.ok("POST", f"/clients/{client}/wishlist", {"description": "a ruby"}, 201)
        o["hold"] = seller.ok("POST", f"/items/{o['held']['id']}/reservations",
                              {"client_id": client, "hold_hours": 24}, 201)
        o["transfer"] = manager.ok("POST", "/transfers", {"item_ids": [o["shipped"]["id"]],
                                                          "from_store_id": A,
                                                          "to_store_id": self.store["CCC"]}, 201)
        o["count"] = seller.ok("POST", "/stock-counts", {"store_id": A}, 201)
        o["memo"] = manager.ok("POST", "/memos", {
            "direction": "out", "store_id": A, "counterparty": "Ms. Lender",
            "item_ids": [o["memo_piece"]["id"]], "due_date": (date.today() + timedelta(days=7)).isoformat()},
            201)
        admin.ok("POST", "/metal-prices", {"metal": "gold", "price_per_gram": usd(6000),
                                           "confirm": True}, 201)
        admin.ok("POST", "/metal-prices", {"metal": "gold", "price_per_gram": usd(9000)}, 201)
        changes = admin.ok("GET", "/price-changes", params={"store_id": A})["items"]
        assert changes, "a price change waiting for a manager"
        o["price_change"] = changes[0]
        o["appointment"] = seller.ok("POST", "/appointments", {
            "client_id": client, "store_id": A, "staff_user_id": seller.id, "purpose": "viewing",
            "starts_at": (datetime.now(timezone.utc) + timedelta(days=3)).replace(microsecond=0).isoformat()},
            201)
        o["job"] = seller.ok("POST", "/work-orders", {
            "store_id": A, "client_id": client, "kind": "repair", "item_description": "A ring",
            "tasks": [{"description": "polish", "price": usd(5000)}],
            "promised_date": (date.today() + timedelta(days=5)).isoformat()}, 201)
        o["photo"] = bench.ok("POST", f"/work-orders/{o['job']['id']}/photos",
                              {"content_base64": png(), "caption": "intake"}, 201)
        o["appraisal_job"] = seller.ok("POST", "/work-orders", {
            "store_id": A, "client_id": client, "kind": "appraisal", "item_description": "A brooch",
            "promised_date": (date.today() + timedelta(days=5)).isoformat()}, 201)
        o["sale"] = seller.ok("POST", "/sales", {
            "store_id": A, "client_id": client,
            "lines": [{"item_id": o["sold"]["id"]}, {"item_id": o["sold_cheap"]["id"]},
                      {"gift_card": {"amount": usd(10000)}}],
            "tenders": [{"method": "card", "amount": usd(with_tax(120000) + 10000),
                         "payment_method": "pm_card_visa"}]}, 201)
        o["gift_card"] = o["sale"]["gift_cards"][0]
        o["layaway"] = seller.ok("POST", "/layaways", {
            "store_id": A, "client_id": client, "item_ids": [o["layaway_piece"]["id"]],
            "deposit": {"method": "cash", "amount": usd(10000)}, "installments": 2}, 201)
        o["drawer"] = seller.ok("POST", "/drawers", {"store_id": A, "register": "scoped",
                                                     "float": usd(20000)}, 201)
        wait_until(lambda: self.chain.db("notifications").scalar(
            "select count(*) from contacts where client_id = :c", c=client), message="contact known")
        o["message"] = seller.ok("POST", "/messages", {"client_id": client, "body": "Hello"}, 201)
        o["template"] = manager.ok("POST", "/message-templates", {
            "store_id": A, "trigger": "receipt", "channel": "sms",
            "body": "Thanks {first_name}, receipt {receipt_number}."}, 201)
        o["transfer_request"] = self.b_users["store_manager"].post(
            "/transfer-requests", {"item_id": o["item"]["id"], "note": "for a client"},
            headers=key()).json()
        return o

    def a_views(self):
        """Everything of store A a route could change, as HQ sees it."""
        o, get = self.objects, lambda path: self.admin.ok("GET", path)
        views = {name: get(f"/items/{o[name]['id']}") for name in
                 ("item", "held", "shipped", "memo_piece", "sold", "sold_cheap", "layaway_piece",
                  "weighed")}
        views.update({
            "client": get(f"/clients/{o['client']['id']}"),
            "client2": get(f"/clients/{o['client2']['id']}"),
            "job": get(f"/work-orders/{o['job']['id']}"),
            "appraisal_job": get(f"/work-orders/{o['appraisal_job']['id']}"),
            "sale": get(f"/sales/{o['sale']['id']}"),
            "layaway": get(f"/layaways/{o['layaway']['id']}"),
            "drawer": get(f"/drawers/{o['drawer']['id']}"),
            "message": get(f"/messages/{o['message']['id']}"),
            "appointment": get(f"/appointments/{o['appointment']['id']}"),
            "gift_card": get(f"/gift-cards/{o['gift_card']['code']}"),
            "store_credit": get(f"/clients/{o['client']['id']}/store-credit"),
            "memos": get(f"/memos?store_id={self.store['AAA']}"),
            "price_changes": get(f"/price-changes?store_id={self.store['AAA']}"),
            "templates": get(f"/message-templates?store_id={self.store['AAA']}"),
            "loyalty": get(f"/clients/{o['client']['id']}/loyalty"),
        })
        for volatile in ("client", "client2"):
            views[volatile].pop("last_read_at", None)
        return views


@pytest.fixture(scope="module")
def company(chain):
    return Company(chain)


@pytest.fixture(scope="module")
def operations(chain):
    spec = chain.api.ok("GET", "/openapi.json")
    ops = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            ops.append((method, path, op))
    assert len(ops) > 80
    return ops


def allowed(op, role, method):
    roles = op["x-roles"]
    if role == "auditor" and method in MUTATING and not op.get("x-limited-ok"):
        return False           # read-only, but for the routes about their own account
    return roles == ["any"] or role in roles


ENDS_SESSION = {("post", "/auth/logout")}


def caller(company, role, method, path):
    """The role's client; for a route that ends the caller's session, a fresh
    session of the same user (the module's own sessions must live on)."""
    api = company.users[role]
    if (method, path) not in ENDS_SESSION:
        return api
    return company.chain.api.sign_in(api.username, ADMIN[1] if role == "hq_admin" else PASSWORD)


def fill(path, value="00000000-0000-4000-8000-000000000000"):
    def one(match):
        name = match.group(1)
        return value if name == "id" or name.endswith("_id") else "unknown-" + name
    return re.sub(r"{([^}]+)}", one, path)


# --- the matrix -----------------------------------------------------------------------------------

def test_every_role_gets_exactly_the_routes_its_role_allows(company, operations):
    """For each operation and role, with unknown ids and an empty body: a role
    the route does not name is 403; a role it names gets past the gate (its
    answer is about the request: 404, 422, 200...), never 401 or 403."""
    wrong = []
    for method, path, op in operations:
        if op.get("security") == []:
            continue
        for role in ROLES:
            api = caller(company, role, method, path)
            reply = api.request(method.upper(), fill(path), json={} if method in MUTATING else None)
            if allowed(op, role, method):
                if reply.status_code in (401, 403) or reply.status_code >= 500:
                    wrong.append((role, method.upper(), path, reply.status_code, reply.text[:160]))
            elif reply.status_code != 403:
                wrong.append((role, method.upper(), path, reply.status_code, reply.text[:160]))
    assert not wrong, "\n".join(map(str, wrong))


def test_an_auditor_changes_nothing(company, operations):
    auditor = company.users["auditor"]
    before = company.a_views()
    for method, path, op in operations:
        if method in MUTATING and op.get("security") != [] and not op.get("x-limited-ok"):
            try:
                url = _concrete(company, path)
            except LookupError:
                url = fill(path)
            reply = auditor.request(method.upper(), url, json={})
            assert reply.status_code == 403, (method, path, reply.status_code, reply.text)
    assert company.a_views() == before
    audited = company.admin.ok("GET", "/audit", params={"actor_id": auditor.id, "limit": 200})["items"]
    own = {path for method, path, op in operations if op.get("x-limited-ok")} | {"/auth/token"}
    assert audited and all(e["status"] == 403 for e in audited if e["route"] not in own)


# --- store scope ------------------------------------------------------------------------------------

def _concrete(company, path):
    """``path`` with store A's object of the right kind in each parameter."""
    o = company.objects
    first = path.strip("/").split("/")[0]
    by_kind = {
        "items": o["item"]["id"], "reservations": o["hold"]["id"], "transfers": o["transfer"]["id"],
        "stock-counts": o["count"]["id"], "memos": o["memo"]["id"],
        "price-changes": o["price_change"]["id"], "clients": o["client"]["id"],
        "appointments": o["appointment"]["id"], "work-orders": o["job"]["id"],
        "sales": o["sale"]["id"], "layaways": o["layaway"]["id"], "drawers": o["drawer"]["id"],
        "messages": o["message"]["id"], "message-templates": o["template"]["id"],
        "transfer-requests": (o.get("transfer_request") or {}).get("id"),
        "stores": company.store["AAA"], "users": company.users["sales_associate"].id,
        "vendors": o["vendor"]["id"],
    }
    values = {"id": by_kind.get(first), "wish_id": o["wish"]["id"], "photo_id": o["photo"]["id"],
              "tag": o["item"]["tag"], "code": o["gift_card"]["code"],
              "tracking_token": o["job"]["tracking_token"]}
    if path.startswith("/work-orders/{id}/appraisal"):
        values["id"] = o["appraisal_job"]["id"]
    if path.startswith("/repair-prices/"):
        values["code"] = "prong_retip"

    def one(match):
        value = values.get(match.group(1))
        if value is None:
            raise LookupError(f"no store-A object for {{{match.group(1)}}} in {path}")
        return str(value)
    return re.sub(r"{([^}]+)}", one, path)


def _bodies(company):
    """A valid body for each store-scoped mutation, aimed at store A."""
    o, A = company.objects, company.store["AAA"]
    B_client = company.b_client
    return {
        ("patch", "/clients/{id}"): {"notes": "changed by another store"},
        ("post", "/clients/{id}/merge"): {"duplicate_id": o["client2"]["id"]},
        ("post", "/clients/{id}/wishlist"): {"description": "from another store"},
        ("post", "/clients/{id}/loyalty/adjustments"): {"points": 1000, "reason": "gift"},
        ("patch", "/items/{id}"): {"description": "changed by another store"},
        ("post", "/items/{id}/reservations"): {"client_id": B_client["id"], "hold_hours": 2},
        ("post", "/stock-counts/{id}/scans"): {"tags": [o["item"]["tag"]]},
        ("post", "/stock-counts/{id}/close"): {"mark_missing": True},
        ("post", "/work-orders/{id}/estimate"): {"amount": usd(100)},
        ("post", "/work-orders/{id}/approve"): {},
        ("post", "/work-orders/{id}/assign"): {"user_id": company.b_users["bench_jeweler"].id},
        ("post", "/work-orders/{id}/transition"): {"stage": "cancelled", "note": "not ours"},
        ("post", "/work-orders/{id}/photos"): {"content_base64": png()},
        ("post", "/work-orders/{id}/appraisal"): {
            "piece_description": "x", "replacement_value": usd(100), "appraiser": {"name": "B"}},
        ("post", "/work-orders/{id}/deposits"): {"tender": {"method": "cash", "amount": usd(100)}},
        ("post", "/sales/{id}/returns"): {"item_ids": [o["sold"]["id"]]},
        ("post", "/layaways/{id}/payments"): {"tender": {"method": "cash", "amount": usd(100)}},
        ("post", "/layaways/{id}/cancel"): {},
        ("post", "/drawers/{id}/movements"): {"kind": "cash_out", "amount": usd(100), "reason": "x"},
        ("post", "/drawers/{id}/close"): {"counted": usd(0)},
        ("post", "/transfer-requests/{id}/decline"): {"reason": "not yours to decline"},
        # store A named in the body
        ("post", "/items"): {"store_id": A, "category": "ring", "description": "planted",
                             "metal": {"type": "gold", "karat": 14, "weight_g": "1.000"},
                             "price": usd(100)},
        ("post", "/transfers"): {"item_ids": [o["item"]["id"]], "from_store_id": A,
                                 "to_store_id": company.store["BBB"]},
        ("post", "/stock-counts"): {"store_id": A},
        ("post", "/memos"): {"direction": "out", "store_id": A, "counterparty": "x",
                             "item_ids": [o["item"]["id"]],
                             "due_date": (date.today() + timedelta(days=3)).isoformat()},
        ("post", "/sales"): {"store_id": A, "lines": [{"item_id": o["item"]["id"]}],
                             "tenders": [{"method": "cash", "amount": usd(with_tax(100000))}]},
        ("post", "/layaways"): {"store_id": A, "client_id": o["client"]["id"],
                                "item_ids": [o["item"]["id"]], "installments": 2,
                                "deposit": {"method": "cash", "amount": usd(20000)}},
        ("post", "/work-orders"): {"store_id": A, "client_id": o["client"]["id"], "kind": "repair",
                                   "item_description": "x",
                                   "promised_date": (date.today() + timedelta(days=3)).isoformat()},
        ("post", "/appointments"): {"client_id": o["client"]["id"], "store_id": A,
                                    "staff_user_id": company.users["sales_associate"].id,
                                    "starts_at": (datetime.now(timezone.utc) + timedelta(days=4))
                                    .replace(microsecond=0).isoformat()},
        ("post", "/drawers"): {"store_id": A, "register": "intruder", "float": usd(0)},
        ("post", "/terminal/readers"): {"store_id": A, "registration_code": "simulated-wpe",
                                        "label": "intruder"},
        ("post", "/messages"): {"client_id": o["client"]["id"], "body": "from another store"},
        ("post", "/messages/campaigns"): {"store_id": A, "client_ids": [o["client"]["id"]],
                                          "body": "hello"},
        ("post", "/message-templates"): {"store_id": A, "trigger": "receipt", "channel": "sms",
                                         "body": "planted {first_name}"},
    }


# The client book is the chain's: a client is served at every store (their
# profile, wish list, points and timeline; tests/crm/test_clients.py), and so
# are gift cards and store credit, which every store redeems. These routes
# name a client or a card, not a store's object: another store's staff are
# meant to reach them.
CHAIN_BOOK = re.compile(r"^/(clients/\{id\}|gift-cards/\{code\})")
# lists that show the chain on purpose
CHAIN_LISTS = {
    "/clients": "the chain's client book",
    "/clients/duplicates": "the chain's client book",
    "/vendors": "the chain's vendors",
    "/metal-prices": "HQ only: the chain's spot prices, whoever set them",
    "/availability": "find a piece anywhere in the chain (cost hidden: checked below)",
    "/transfer-requests": "a store's own requests name the other store's pieces",
}
# routes that are chain-wide by design (no store's object in them), with why
CHAIN_WIDE = {
    ("post", "/vendors"): "vendors serve the whole chain",
    ("patch", "/vendors/{id}"): "vendors serve the whole chain",
    ("post", "/metal-prices"): "a manager's spot price reprices only their own stores' pieces "
                               "(checked below)",
    ("post", "/clients"): "the client book is the chain's; the new client is the caller's",
    ("post", "/message-templates/preview"): "renders text, stores nothing",
    ("post", "/transfer-requests"): "asking another store for a piece is the point",
    ("post", "/me/password"): "the caller's own account",
    ("post", "/users"): "hq only", ("patch", "/users/{id}"): "hq only",
    ("post", "/stores"): "hq only", ("patch", "/stores/{id}"): "hq only",
    ("put", "/repair-prices/{code}"): "hq only", ("post", "/fx-rates"): "hq only",
    ("post", "/me/totp"): "the caller's own second factor",
    ("post", "/me/totp/confirm"): "the caller's own second factor",
    ("delete", "/me/totp"): "the caller's own second factor",
    ("put", "/security-policy"): "hq only",
    ("post", "/auth/logout"): "ends the caller's own session, of no store",
}


def test_a_user_of_another_store_gets_404_or_403_and_changes_nothing(company, operations):
    B = company.store["BBB"]
    company.b_client = company.b_users["sales_associate"].ok("POST", "/clients", {
        "first_name": "Bo", "last_name": "Other", "home_store_id": B}, 201)
    bodies = _bodies(company)
    before = company.a_views()
    wrong, unmapped = [], []
    for method, path, op in operations:
        if op.get("security") == [] or path in ("/me", "/openapi.json"):
            continue
        named = "{" in path
        if method in MUTATING and (method, path) in CHAIN_WIDE or CHAIN_BOOK.match(path):
            continue
        if method in MUTATING and (method, path) not in bodies and not (named and method == "delete") \
                and not (named and "requestBody" not in op):
            unmapped.append((method, path))
            continue
        if not named and method not in MUTATING:
            continue                              # lists: see the next test
        role = next((r for r in ("store_manager", "sales_associate", "bench_jeweler")
                     if allowed(op, r, method)), None)
        if role is None:
            continue                              # hq or auditor only
        try:
            url = _concrete(company, path)
        except LookupError as exc:
            unmapped.append((method, path, str(exc)))
            continue
        body = bodies.get((method, path)) if method in MUTATING else None
        reply = company.b_users[role].request(method.upper(), url, json=body)
        expected = (403, 404)
        if not named:
            # store A's objects named in the body: "no such ..." on that field is a 404 too
            expected = (403, 404, 422)
            if reply.status_code == 422 and not reply.json().get("errors"):
                expected = (403, 404)
        if reply.status_code not in expected:
            wrong.append((role, method.upper(), path, reply.status_code, reply.text[:200]))
    assert not unmapped, f"routes this test does not know how to aim at store A: {unmapped}"
    assert not wrong, "\n".join(map(str, wrong))
    assert company.a_views() == before


def test_lists_filtered_by_another_store_show_nothing_of_it(company, operations):
    A = company.store["AAA"]
    a_ids = {str(v["id"]) for v in company.objects.values() if isinstance(v, dict) and v.get("id")}
    leaks = []
    for method, path, op in operations:
        if method != "get" or "{" in path or op.get("security") == [] or path in CHAIN_LISTS:
            continue
        for role, api in company.b_users.items():
            if not allowed(op, role, method):
                continue
            for query in ({"store_id": A}, {}):
                reply = api.get(path, params=query)
                if reply.status_code in (403, 404, 422):
                    continue
                found = sorted(i for i in a_ids if i in reply.text)
                if reply.status_code != 200 or found:
                    leaks.append((role, path, query, reply.status_code, found, reply.text[:200]))
    assert not leaks, "\n".join(map(str, leaks))
    # the chain-wide piece finder shows another store's pieces, never their cost or vendor
    found = company.b_users["sales_associate"].ok("GET", "/availability",
                                                  params={"store_id": A})["items"]
    theirs = [i for i in found if i["store_id"] == A]
    assert theirs and not any(i.get("cost") or i.get("vendor_id") or i.get("pricing") for i in theirs), \
        theirs


@pytest.mark.parametrize("path", ["/labels.pdf", "/labels.zpl"])
def test_a_batch_of_labels_with_another_stores_piece_is_404(company, path):
    """``GET /labels.pdf?item_ids=`` (and ``.zpl``) names pieces in its query:
    one of store A's among them and a user of store B gets 404, no label printed."""
    a_item = company.objects["item"]["id"]
    for role, api in company.b_users.items():
        reply = api.get(path, params={"item_ids": a_item})
        assert reply.status_code == 404, (role, reply.status_code, reply.text[:200])
    assert company.users["sales_associate"].get(path, params={"item_ids": a_item}).status_code == 200


def test_a_managers_spot_price_reprices_only_their_own_stores(company):
    weighed = company.objects["weighed"]
    before = company.admin.ok("GET", f"/items/{weighed['id']}")["price"]
    answer = company.b_users["store_manager"].ok(
        "POST", "/metal-prices", {"metal": "gold", "price_per_gram": usd(1), "confirm": True}, 201)
    assert answer["repriced"] == 0, answer
    assert company.admin.ok("GET", f"/items/{weighed['id']}")["price"] == before


# --- what each role may do, beyond the table ----------------------------------------------------

def test_a_sales_associate_cannot_refund_beyond_the_limit_change_a_price_or_read_the_audit(company):
    seller, manager = company.users["sales_associate"], company.users["store_manager"]
    o = company.objects
    sale = o["sale"]
    # 1,088.70 back is above the associate's limit of 500.00: a manager's job
    big = seller.post(f"/sales/{sale['id']}/returns", {"item_ids": [o["sold"]["id"]]}, key=True)
    assert big.status_code == 403, big.text
    assert company.admin.ok("GET", f"/items/{o['sold']['id']}")["status"] == "sold"
    assert all(not line["returned"] for line in company.admin.ok("GET", f"/sales/{sale['id']}")["lines"])
    small = seller.post(f"/sales/{sale['id']}/returns", {"item_ids": [o["sold_cheap"]["id"]]}, key=True)
    assert small.status_code == 201, small.text
    by_manager = manager.post(f"/sales/{sale['id']}/returns", {"item_ids": [o["sold"]["id"]]}, key=True)
    assert by_manager.status_code == 201, by_manager.text

    item = o["item"]
    assert seller.patch(f"/items/{item['id']}", {"price": usd(1)}).status_code == 403
    assert seller.post("/metal-prices", {"metal": "gold", "price_per_gram": usd(1),
                                         "confirm": True}).status_code == 403
    assert company.admin.ok("GET", f"/items/{item['id']}")["price"] == item["price"]
    assert seller.get("/audit").status_code == 403
    # a discount beyond the associate's limit needs a manager too
    discounted = seller.post("/sales", {"store_id": company.store["AAA"], "lines": [
        {"item_id": item["id"], "discount": {"percent_bps": 5000, "reason": "friend"}}],
        "tenders": [{"method": "cash", "amount": usd(with_tax(50000))}]}, key=True)
    assert discounted.status_code == 403, discounted.text
    assert company.admin.ok("GET", f"/items/{item['id']}")["status"] == "in_stock"


def test_a_bench_jeweler_cannot_sell(company):
    bench = company.users["bench_jeweler"]
    item, A = company.objects["item"], company.store["AAA"]
    sale = bench.post("/sales", {"store_id": A, "lines": [{"item_id": item["id"]}],
                                 "tenders": [{"method": "cash", "amount": usd(with_tax(100000))}]},
                      key=True)
    assert sale.status_code == 403, sale.text
    layaway = bench.post("/layaways", {"store_id": A, "client_id": company.objects["client"]["id"],
                                       "item_ids": [item["id"]], "installments": 2,
                                       "deposit": {"method": "cash", "amount": usd(20000)}}, key=True)
    assert layaway.status_code == 403, layaway.text
    hold = bench.post(f"/items/{item['id']}/reservations",
                      {"client_id": company.objects["client"]["id"]}, key=True)
    assert hold.status_code == 403
    assert company.admin.ok("GET", f"/items/{item['id']}")["status"] == "in_stock"
    # what the bench does: its own job
    job = company.objects["job"]
    assert bench.ok("GET", f"/work-orders/{job['id']}")["id"] == job["id"]


# --- tokens -------------------------------------------------------------------------------------------

def _tokens(company):
    user = company.users["store_manager"]
    real = user.token
    header, payload, signature = real.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    now = int(time.time())

    def b64(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    promoted = b64(dict(claims, role="hq_admin", store_ids=[]))
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    return {
        "none": None,
        "empty": "",
        "garbage": "not-a-jwt",
        "expired": forge_token(sub=user.id, role="store_manager", iat=now - 7200, exp=now - 3600),
        "tampered signature": f"{header}.{payload}.{flipped}",
        "tampered claims": f"{header}.{promoted}.{signature}",
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{promoted}.",
        "alg none (jwt)": jwt.encode(dict(claims, role="hq_admin"), None, algorithm="none"),
        "wrong audience": forge_token(sub=user.id, aud="someone-else"),
        "wrong issuer": forge_token(sub=user.id, iss="someone-else"),
        "wrong key": forge_token(secret="another-secret-0123456789-abcdefghijklmnop", sub=user.id),
        "HS512": forge_token(algorithm="HS512", sub=user.id),
        "no exp": forge_token(sub=user.id, exp=None),
        "unknown role": forge_token(sub=user.id, role="owner"),
    }


def test_bad_tokens_are_401_on_every_route(company, operations):
    """Every protected route refuses no token and a forged one; a few routes
    of each kind are tried with every way a token can be bad."""
    tokens = _tokens(company)
    sample = {("get", "/me"), ("get", "/items"), ("post", "/sales"), ("get", "/audit"),
              ("patch", "/items/{id}"), ("delete", "/reservations/{id}"), ("get", "/hq/summary")}
    wrong = []
    for method, path, op in operations:
        if op.get("security") == []:
            continue
        url = fill(path)
        names = tokens if (method, path) in sample else ("none", "tampered claims", "alg none")
        for name in names:
            token = tokens[name]
            headers = {} if token is None else {"Authorization": f"Bearer {token}"}
            reply = company.chain.api.request(method.upper(), url, headers=headers,
                                              json={} if method in MUTATING else None)
            if reply.status_code != 401 or "Bearer" not in reply.headers.get("WWW-Authenticate", ""):
                wrong.append((name, method.upper(), path, reply.status_code))
    assert not wrong, wrong[:40]
    # the real token still works, and nobody was let in under a forged one
    assert company.users["store_manager"].get("/me").status_code == 200
    assert jwt.decode(company.users["store_manager"].token, JWT_SECRET, algorithms=["HS256"],
                      audience=JWT_AUDIENCE, issuer=JWT_ISSUER)["role"] == "store_manager"


# --- mass assignment --------------------------------------------------------------------------------

def test_fields_a_route_does_not_own_are_refused_and_never_applied(company):
    admin, manager, seller = company.admin, company.users["store_manager"], company.users["sales_associate"]
    A, B = company.store["AAA"], company.store["BBB"]
    o = company.objects

    # a piece's status and store are the workflow's, not the receiving form's
    planted = manager.post("/items", {
        "store_id": A, "category": "ring", "description": "mass assigned",
        "metal": {"type": "gold", "karat": 14, "weight_g": "1.000"}, "price": usd(1000),
        "status": "sold", "tag": "FREEBIE1", "id": str(uuid.uuid4())})
    assert planted.status_code == 422, planted.text
    assert admin.ok("GET", "/items", params={"q": "mass assigned"})["items"] == []
    item = o["item"]
    for change in ({"store_id": B}, {"status": "missing"}, {"tag": "STOLEN1"},
                   {"cost": usd(1)}, {"description": "x", "store_id": B}):
        reply = manager.patch(f"/items/{item['id']}", change)
        assert reply.status_code == 422, (change, reply.text)
    now = admin.ok("GET", f"/items/{item['id']}")
    assert (now["store_id"], now["status"], now["tag"], now["cost"]) == \
        (A, "in_stock", item["tag"], item["cost"])

    # a sale's total, status and receipt are computed, never taken
    for extra in ({"total": usd(1)}, {"status": "completed"}, {"receipt_number": "AAA-999999"},
                  {"subtotal": usd(1), "tax": usd(0)}):
        reply = seller.post("/sales", {"store_id": A, "lines": [{"item_id": item["id"]}],
                                       "tenders": [{"method": "cash", "amount": usd(1)}], **extra},
                            key=True)
        assert reply.status_code == 422, (extra, reply.text)
    # nor a piece's price in its line
    line_price = seller.post("/sales", {"store_id": A, "lines": [{"item_id": item["id"],
                                                                   "amount": usd(1)}],
                                        "tenders": [{"method": "cash", "amount": usd(1)}]}, key=True)
    assert line_price.status_code == 422, line_price.text
    assert admin.ok("GET", f"/items/{item['id']}")["status"] == "in_stock"

    # a client's standing is earned, not written
    client = o["client"]
    for change in ({"lifetime_value": usd(10 ** 9)}, {"tier": "vip"}, {"loyalty_points": 10 ** 6},
                   {"merged_ids": []}, {"id": str(uuid.uuid4())}):
        reply = seller.patch(f"/clients/{client['id']}", change)
        assert reply.status_code == 422, (change, reply.text)
    view = admin.ok("GET", f"/clients/{client['id']}")
    assert view["tier"] != "vip" and view["loyalty_points"] < 10 ** 6

    # a user's role comes from their account, not from what they send
    token = company.chain.api.post("/auth/token", {"username": seller.username,
                                                   "password": "correct-horse-battery-staple",
                                                   "role": "hq_admin"})
    assert token.status_code in (200, 422), token.text
    if token.status_code == 200:
        me = company.chain.api.as_(token.json()["access_token"]).ok("GET", "/me")
        assert me["role"] == "sales_associate"
    assert seller.post("/users", {"username": "sneaky.one", "password": "long-enough-pass",
                                  "role": "hq_admin"}).status_code == 403
    # a work order's stage moves by the workflow only
    job = seller.post("/work-orders", {"store_id": A, "client_id": client["id"], "kind": "repair",
                                       "item_description": "x", "stage": "picked_up",
                                       "promised_date": date.today().isoformat()}, key=True)
    assert job.status_code == 422, job.text


# --- sizes ---------------------------------------------------------------------------------------------

def _raw(chain, head, body_parts=(), read_timeout=8.0):
    """Send a request by hand; returns (status, whether the server answered
    before it had the whole body)."""
    host, port = chain.url.split("//")[1].split(":")
    sock = socket.create_connection((host, int(port)), timeout=read_timeout)
    try:
        sock.sendall(head.encode("latin-1"))
        for part in body_parts:
            try:
                sock.sendall(part)
            except OSError:
                break                   # the server stopped reading: it had refused already
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else None
    finally:
        sock.close()


def test_an_oversized_body_is_refused_before_it_is_read(company):
    chain, token = company.chain, company.users["store_manager"].token
    claimed = 50 * 1024 * 1024                 # says 50 MiB; only the headers and 1 KiB are sent
    head = (f"POST /items HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {claimed}\r\n\r\n")
    assert _raw(chain, head, [b"{" + b" " * 1023]) == 413

    # no Content-Length at all (chunked): refused once past the limit, not read to the end
    head = (f"POST /vendors HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b" " * 65536
    parts = [b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(24)]   # 1.5 MiB, never ended
    assert _raw(chain, head, [b"1\r\n{\r\n", *parts]) == 413
    assert company.admin.ok("GET", "/me")["role"] == "hq_admin"        # the gateway is fine

    # and a small chunked body is read, not silently dropped (which would run the
    # request as if nothing had been sent)
    body = json.dumps({"name": "Chunked Vendor"}).encode()
    status = _raw(chain, head, [b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"])
    assert status in (201, 411), status
    if status == 201:
        assert any(v["name"] == "Chunked Vendor"
                   for v in company.admin.ok("GET", "/vendors", params={"limit": 200})["items"])


def test_an_oversized_photo_is_refused_and_nothing_is_kept(company):
    bench, job = company.users["bench_jeweler"], company.objects["job"]
    before = company.admin.ok("GET", f"/work-orders/{job['id']}")
    big = png(size=200, noise=1)                       # about 120 KiB: above the 64 KiB photo limit
    assert len(base64.b64decode(big)) > 64 * 1024
    reply = bench.post(f"/work-orders/{job['id']}/photos", {"content_base64": big}, key=True)
    assert reply.status_code in (413, 422), reply.text
    assert company.admin.ok("GET", f"/work-orders/{job['id']}")["intake"]["photos"] == \
        before["intake"]["photos"]
    not_an_image = base64.b64encode(b"%PDF-1.4 definitely not a photo").decode()
    reply = bench.post(f"/work-orders/{job['id']}/photos", {"content_base64": not_an_image}, key=True)
    assert reply.status_code == 422, reply.text
