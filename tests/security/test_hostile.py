"""Hostile input, on the whole chain running as processes: every request of
the corpus below is answered with a 4xx ``application/problem+json`` (never a
500), and a write changes nothing. Then the headers every answer carries:
``X-Content-Type-Options``, ``Cache-Control: no-store`` on API answers, a
Content-Security-Policy on every HTML page, ``Retry-After`` on every 503.

The corpus: list cursors of the right shape (base64 of a JSON list) holding
values of the wrong types, NUL bytes in strings and query values, integers
past 64 bits, JSON nested thousands deep, lone surrogates, dates at the end
of the calendar, a template preview whose subject is not a template.
"""
import base64
import json
import uuid

import pytest

pytestmark = pytest.mark.e2e

CHAIN = {"name": "hostile"}
PROBLEM = "application/problem+json"


def cursor(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


LISTS = ("/clients", "/vendors", "/messages", "/memos", "/sales", "/appointments",
         "/compliance/cash-reports", "/items", "/stores", "/work-orders", "/audit",
         "/transfer-requests", "/segments", "/loyalty", "/timeline", "/history", "/wo-history",
         "/clients/duplicates", "/profile-reads", "/message-templates", "/drawers")
WRONG = ([["x", "y"], [1, 2], ["x"], [1], [1.5, "a"], [None, None], ["2026-01-01T00:00:00Z", 5],
          ["x", "y", "z"], [True], []])
# the values that are of the right types for a list (a real cursor may hold them)
RIGHT = {"/audit": [[1]], "/history": [[1]], "/profile-reads": [[1]], "/loyalty": [[1]], "/wo-history": [[1]],
         "/work-orders": [[1]], "/stores": [["x"]], "/timeline": [["2026-01-01T00:00:00Z", 5]]}
DEEP = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000
BIG = 99999999999999999999999
ENDS = ("9999-12-31T23:30Z", "9999-12-31T23:30:00+00:00", "9999-12-31", "0001-01-01T00:00:00+05:00",
        "0001-01-01")


def _list_path(name, ids):
    return {"/loyalty": f"/clients/{ids['client']}/loyalty",
            "/timeline": f"/clients/{ids['client']}/timeline",
            "/history": f"/clients/{ids['client']}/history",
            "/wo-history": f"/work-orders/{ids['work_order']}/history"}.get(name, name)


def _corpus():
    """(label, method, path, body or raw bytes, table that must not change)."""
    out = []
    for name in LISTS:
        for values in (v for v in WRONG if v not in RIGHT.get(name, [])):
            out.append((f"cursor {name} {values}", "GET", (name, {"cursor": cursor(values)}), None, None))
    for name in ("/clients", "/items", "/messages", "/sales", "/audit", "/vendors"):
        out.append((f"NUL query {name}", "GET", (name, {"q": "a\x00b", "store_id": "a\x00"}), None, None))
        out.append((f"NUL cursor {name}", "GET", (name, {"cursor": "\x00"}), None, None))
    out += [
        ("big min_price", "GET", ("/items", {"min_price": str(BIG)}), None, None),
        ("big max_price", "GET", ("/items", {"max_price": str(-BIG)}), None, None),
        ("big limit", "GET", ("/clients", {"limit": str(BIG)}), None, None),
        ("NUL client name", "POST", "/clients", {"first_name": "A\x00", "last_name": "B"}, ("crm", "clients")),
        ("NUL vendor", "POST", "/vendors", {"name": "V\x00"}, ("inventory", "vendors")),
        ("NUL key", "POST", "/vendors", {"name": "V", "x\x00": 1}, ("inventory", "vendors")),
        ("NUL username", "POST", "/auth/token", {"username": "a\x00", "password": "p"}, None),
        ("surrogate username", "POST", "/auth/token", {"username": "\ud800", "password": "p"}, None),
        ("surrogate password", "POST", "/auth/token", {"username": "a", "password": "\udfff"}, None),
        ("surrogate client", "POST", "/clients", {"first_name": "\ud800", "last_name": "B"}, ("crm", "clients")),
        ("surrogate vendor", "POST", "/vendors", {"name": "\udc00x"}, ("inventory", "vendors")),
        ("surrogate query", "GET", "/clients?q=%ED%A0%80&store_id=%00", None, None),
        ("NUL path", "GET", "/items/by-tag/a%00b", None, None),
        ("NUL tracking", "GET", "/track/a%00b", None, None),
        ("NaN", "POST", "/vendors", b'{"name": "V", "x": NaN}', ("inventory", "vendors")),
        ("big limit 2", "GET", "/items?limit=99999999999999999999999", None, None),
        ("deep list", "POST", "/vendors", DEEP.encode(), ("inventory", "vendors")),
        ("deep object", "POST", "/clients", DEEP_OBJECT.encode(), ("crm", "clients")),
        ("deep token", "POST", "/auth/token", DEEP.encode(), None),
        ("deep 100", "POST", "/vendors", ('{"name":"V","x":' + "[" * 100 + "]" * 100 + "}").encode(),
         ("inventory", "vendors")),
        ("big price", "POST", "/items", "item", ("inventory", "items")),
        ("big amount", "POST", "/metal-prices", {"metal": "gold", "price_per_gram": {"amount": BIG,
                                                                                     "currency": "USD"}},
         ("inventory", "metal_prices")),
        ("big nested int", "POST", "/vendors", {"name": "V", "x": [BIG]}, ("inventory", "vendors")),
        ("big negative", "POST", "/vendors", {"name": "V", "x": -BIG}, ("inventory", "vendors")),
        ("preview subject", "POST", "/message-templates/preview",
         {"trigger": "ready_for_pickup", "body": "Hello", "subject": "x {"}, None),
        ("preview body", "POST", "/message-templates/preview",
         {"trigger": "ready_for_pickup", "body": "x {", "subject": None}, None),
        ("preview subject }", "POST", "/message-templates/preview",
         {"trigger": "ready_for_pickup", "body": "Hello", "subject": "x }"}, None),
    ]
    for end in ENDS:
        out.append((f"appointment at {end}", "POST", "/appointments", ("appointment", end),
                    ("crm", "appointments")))
        out.append((f"sales since {end}", "GET", ("/sales", {"since": end}), None, None))
        out.append((f"cash reports until {end}", "GET", ("/compliance/cash-reports", {"until": end}), None, None))
        out.append((f"appointments on {end}", "GET", ("/appointments", {"date": end}), None, None))
        out.append((f"audit since {end}", "GET", ("/audit", {"since": end}), None, None))
    return out


CORPUS = _corpus()


@pytest.fixture(scope="module")
def company(chain):
    admin = chain.admin
    store = admin.ok("POST", "/stores", {"code": "HST", "name": "Hostile", "currency": "USD",
                                         "timezone": "Pacific/Kiritimati", "tax_rate_bps": 500}, 201)
    from tests.support.e2e import wait_until
    for component in ("crm", "workorders", "inventory"):
        wait_until(lambda c=component: chain.db(c).scalar(
            "select count(*) from stores where id = :s", s=store["id"]), message=f"store in {component}")
    client = admin.ok("POST", "/clients", {"first_name": "Hos", "last_name": "Tile",
                                           "home_store_id": store["id"]}, 201)
    work_order = admin.ok("POST", "/work-orders", {
        "store_id": store["id"], "client_id": client["id"], "kind": "repair",
        "item_description": "a ring", "promised_date": "2030-01-01"},
        (200, 201), headers={"Idempotency-Key": str(uuid.uuid4())})
    return {"store": store["id"], "client": client["id"], "work_order": work_order["id"]}


def _body(body, ids):
    if body == "item":
        return {"store_id": ids["store"], "category": "ring", "description": "ring",
                "metal": {"type": "gold", "karat": 18, "weight_g": "3.000"},
                "price": {"amount": BIG, "currency": "USD"}}
    if isinstance(body, tuple) and body[0] == "appointment":
        return {"client_id": ids["client"], "store_id": ids["store"], "starts_at": body[1],
                "staff_user_id": "someone"}
    return body


def send(api, method, path, body, ids):
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    params = None
    if isinstance(path, tuple):
        path, params = path
        path = _list_path(path, ids)
    body = _body(body, ids)
    if isinstance(body, bytes):
        return api.request(method, path, data=body, params=params,
                           headers=headers | {"Content-Type": "application/json"})
    if body is None:
        return api.request(method, path, params=params, headers=headers)
    return api.request(method, path, data=json.dumps(body).encode(), params=params,
                       headers=headers | {"Content-Type": "application/json"})


def test_the_corpus_is_large():
    assert len(CORPUS) > 200


@pytest.mark.parametrize("label,method,path,body,table", CORPUS, ids=[c[0] for c in CORPUS])
def test_hostile_input_is_a_problem_and_changes_nothing(chain, company, label, method, path, body, table):
    before = chain.db(table[0]).scalar(f"select count(*) from {table[1]}") if table else None
    reply = send(chain.admin, method, path, body, company)
    assert 400 <= reply.status_code < 500, f"{label}: {reply.status_code} {reply.text[:300]}"
    assert reply.headers["Content-Type"].startswith(PROBLEM), reply.headers["Content-Type"]
    assert reply.json()["status"] == reply.status_code
    if table:
        assert chain.db(table[0]).scalar(f"select count(*) from {table[1]}") == before


def test_a_wrong_cursor_is_a_422_on_cursor(chain, company):
    reply = chain.admin.get("/clients", params={"cursor": cursor(["x", "y"])})
    assert reply.status_code == 422, reply.text
    assert "cursor" in reply.json()["errors"]


def test_the_preview_subject_is_a_422_on_subject(chain, company):
    reply = chain.admin.post("/message-templates/preview",
                             {"trigger": "ready_for_pickup", "body": "Hello", "subject": "x {"})
    assert reply.status_code == 422, reply.text
    assert "subject" in reply.json()["errors"]


def test_a_good_cursor_still_pages(chain, company):
    for i in range(3):
        chain.admin.ok("POST", "/vendors", {"name": f"Vendor {i}"}, 201)
    first = chain.admin.ok("GET", "/vendors?limit=2")
    assert first["next_cursor"]
    second = chain.admin.ok("GET", f"/vendors?limit=2&cursor={first['next_cursor']}")
    assert second["items"] and second["items"][0]["id"] not in {v["id"] for v in first["items"]}


# --- headers --------------------------------------------------------------------------------------

def test_api_answers_are_not_sniffed_nor_stored(chain, company):
    for reply in (chain.admin.get("/clients"), chain.admin.get(f"/clients/{uuid.uuid4()}"),
                  chain.api.get("/health"), chain.api.get("/clients"),
                  chain.api.post("/auth/token", {"username": "nobody", "password": "x"}),
                  chain.admin.get("/no-such-route")):
        assert reply.headers.get("X-Content-Type-Options") == "nosniff", reply.url
        assert reply.headers.get("Cache-Control") == "no-store", (reply.url, reply.status_code)


def test_html_pages_carry_a_content_security_policy(chain, company):
    docs = chain.api.get("/docs")
    assert "Content-Security-Policy" in docs.headers
    token = chain.db("workorders").scalar(
        "select tracking_token from work_orders where id = :w", w=company["work_order"])
    page = chain.api.get(f"/track/{token}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
