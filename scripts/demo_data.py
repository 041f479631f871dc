"""Load a small demo chain through the gateway, idempotently.

    python -m scripts.demo_data

Signs in as ADMIN_USERNAME / ADMIN_PASSWORD at GATEWAY_URL (default
http://127.0.0.1:8000), creates the demo stores that ``GET /stores`` does not
list yet, a demo vendor, and receives a handful of pieces in every store
that has none. A route the gateway does not have yet (404/405) is noted and
skipped. Money is in integer minor units of the store's currency.
"""
import hashlib
import json
import os
import sys

import requests

TIMEOUT = 15

STORES = [
    {"code": "NYC", "name": "Fifth Avenue", "currency": "USD", "timezone": "America/New_York",
     "tax_rate_bps": 887, "country": "US"},
    {"code": "MIA", "name": "Bal Harbour", "currency": "USD", "timezone": "America/New_York",
     "tax_rate_bps": 700, "country": "US"},
    {"code": "LON", "name": "Bond Street", "currency": "GBP", "timezone": "Europe/London",
     "tax_rate_bps": 2000, "country": "GB"},
]

VENDOR = {"name": "Demo Fine Jewelry Supply", "contact": {"email": "orders@example.com"}}


def _diamond(carat, shape="round", color="G", clarity="VS1", cut="excellent", cert=None):
    stone = {"type": "diamond", "shape": shape, "carat": carat, "color": color,
             "clarity": clarity, "cut": cut}
    if cert:
        stone["certificate"] = {"lab": "GIA", "number": cert}
    return stone


def pieces(code, currency):
    """The demo pieces of one store; certificate numbers differ per store."""
    def money(amount):
        return {"amount": amount, "currency": currency}

    def gold(karat, color, grams):
        return {"type": "gold", "karat": karat, "color": color, "weight_g": grams}

    serial = {"NYC": "22", "MIA": "33", "LON": "44"}.get(code, "99")
    return [
        {"category": "ring", "description": "Round brilliant solitaire engagement ring",
         "metal": {"type": "platinum", "karat": None, "color": "white", "weight_g": "5.200"},
         "stones": [_diamond("1.010", cert=f"{serial}14870193")],
         "cost": money(520000), "price": money(1250000), "ownership": "owned"},
        {"category": "ring", "description": "Three-stone oval sapphire ring with pear diamonds",
         "metal": gold(18, "yellow", "4.100"),
         "stones": [{"type": "sapphire", "shape": "oval", "carat": "1.200", "color": "blue"},
                    _diamond("0.250", shape="pear", clarity="VS2"),
                    _diamond("0.250", shape="pear", clarity="VS2")],
         "cost": money(240000), "price": money(580000), "ownership": "owned"},
        {"category": "necklace", "description": "Graduated diamond riviera necklace",
         "metal": gold(18, "white", "18.500"),
         "stones": [_diamond("3.000", color="H", clarity="SI1", cut="very_good")],
         "cost": money(610000), "price": money(1490000), "ownership": "owned"},
        {"category": "bracelet", "description": "Diamond tennis bracelet, 5 ct total",
         "metal": gold(14, "white", "12.600"),
         "stones": [_diamond("5.000", color="H", clarity="SI1", cut="very_good")],
         "cost": money(380000), "price": money(895000), "ownership": "memo_in"},
        {"category": "earrings", "description": "Polished hoop earrings, 30 mm",
         "metal": gold(18, "yellow", "6.800"), "stones": [],
         "cost": money(65000), "price": money(148000), "ownership": "owned"},
        {"category": "pendant", "description": "Emerald-cut emerald halo pendant",
         "metal": gold(18, "rose", "3.400"),
         "stones": [{"type": "emerald", "shape": "emerald", "carat": "0.900", "color": "green"},
                    _diamond("0.300", clarity="VS2")],
         "cost": money(150000), "price": money(365000), "ownership": "consignment"},
        {"category": "loose_stone", "description": "Cushion-cut diamond, GIA graded",
         "metal": None,
         "stones": [_diamond("2.030", shape="cushion", color="F", clarity="VVS2",
                             cert=f"{serial}01948822")],
         "cost": money(1800000), "price": money(3200000), "ownership": "owned"},
    ]


class Gateway:
    def __init__(self, base_url):
        self.base = base_url.rstrip("/")
        self.http = requests.Session()
        self.http.trust_env = False  # straight to the gateway, whatever http_proxy says

    def call(self, method, path, **kwargs):
        return self.http.request(method, self.base + path, timeout=TIMEOUT, **kwargs)

    def sign_in(self, username, password):
        """True when signed in; False when the route does not exist yet."""
        resp = self.call("POST", "/auth/token", json={"username": username, "password": password})
        if resp.status_code in (404, 405):
            return False
        if resp.status_code != 200:
            raise SystemExit(f"demo: sign-in as {username!r} failed: {resp.status_code} {resp.text[:300]}")
        self.http.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        return True

    def list_all(self, path, params=None):
        """Every row of a paged list; None when the route does not exist."""
        params = dict(params or {}, limit=200)
        rows = []
        while True:
            resp = self.call("GET", path, params=params)
            if resp.status_code in (404, 405):
                return None
            resp.raise_for_status()
            body = resp.json()
            if isinstance(body, list):  # tolerate a bare list
                return rows + body
            rows += body.get("items", [])
            if not body.get("next_cursor"):
                return rows
            params["cursor"] = body["next_cursor"]


class _Skip(Exception):
    """A route the demo needs is not there (yet): stop, with this exit code."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def _stores(gw):
    """The demo stores by code, created where missing."""
    stores = gw.list_all("/stores")
    if stores is None:
        print("demo: GET /stores is not there yet; nothing loaded")
        raise _Skip(0)
    by_code = {s.get("code"): s for s in stores}
    for spec in STORES:
        if spec["code"] in by_code:
            print(f"demo: store {spec['code']} exists")
            continue
        resp = gw.call("POST", "/stores", json=spec, headers={"Idempotency-Key": f"demo-store-{spec['code']}"})
        if resp.status_code in (404, 405):
            print(f"demo: POST /stores answered {resp.status_code}; skipped")
            raise _Skip(0)
        if resp.status_code >= 400:
            print(f"demo: store {spec['code']}: {resp.status_code} {resp.text[:300]}", file=sys.stderr)
            raise _Skip(1)
        by_code[spec["code"]] = resp.json()
        print(f"demo: store {spec['code']} created")
    return by_code


def _vendor(gw):
    """The demo vendor's id, created if missing; None when vendors are not there."""
    vendors = gw.list_all("/vendors")
    if vendors is None:
        print("demo: /vendors is not there yet; pieces get no vendor")
        return None
    found = [v for v in vendors if v.get("name") == VENDOR["name"]]
    if found:
        return found[0].get("id")
    resp = gw.call("POST", "/vendors", json=VENDOR, headers={"Idempotency-Key": "demo-vendor"})
    if resp.status_code < 400:
        print(f"demo: vendor {VENDOR['name']!r} created")
        return resp.json().get("id")
    print(f"demo: POST /vendors answered {resp.status_code}; pieces get no vendor")
    return None


def _receive(gw, spec, store, vendor_id, failed):
    """The store's demo pieces, unless it has pieces already; the failures so far."""
    resp = gw.call("GET", "/items", params={"store_id": store["id"], "limit": 1})
    if resp.status_code in (404, 405):
        print("demo: GET /items is not there yet; no pieces received")
        raise _Skip(failed)
    if resp.status_code >= 400:
        print(f"demo: GET /items for {spec['code']}: {resp.status_code} {resp.text[:300]}", file=sys.stderr)
        return failed + 1
    if resp.json().get("items"):
        print(f"demo: store {spec['code']} has pieces already")
        return failed
    received = 0
    for piece in pieces(spec["code"], spec["currency"]):
        body = {"store_id": store["id"], **piece, "attributes": {"demo": True}}
        if vendor_id:
            body["vendor_id"] = vendor_id
        # a retry of the same piece is answered once; a changed piece is a new one
        key = "demo-item-" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]
        resp = gw.call("POST", "/items", json=body, headers={"Idempotency-Key": key})
        if resp.status_code in (404, 405):
            print(f"demo: POST /items answered {resp.status_code}; no pieces received")
            raise _Skip(failed)
        if resp.status_code >= 400:
            failed += 1
            print(f"demo: {spec['code']} {piece['description']!r}: {resp.status_code} {resp.text[:300]}",
                  file=sys.stderr)
            continue
        received += 1
    print(f"demo: store {spec['code']}: {received} pieces received")
    return failed


def load(gw):
    try:
        by_code = _stores(gw)
        vendor_id = _vendor(gw)
        failed = 0
        for spec in STORES:
            failed = _receive(gw, spec, by_code[spec["code"]], vendor_id, failed)
    except _Skip as stop:
        return stop.code
    return 1 if failed else 0


def main():
    base = os.environ.get("GATEWAY_URL") or "http://127.0.0.1:8000"
    username = os.environ.get("ADMIN_USERNAME") or "admin"
    password = os.environ.get("ADMIN_PASSWORD") or "showcase-velvet-tray-7"
    gw = Gateway(base)
    try:
        if not gw.sign_in(username, password):
            print("demo: POST /auth/token is not there yet; nothing loaded")
            return 0
        return load(gw)
    except requests.RequestException as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
