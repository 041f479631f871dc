"""Store terminals over HTTP against the running platform: the routes a
counter uses on a December Saturday, timed one by one."""
import http.client
import json as jsonlib
import random
import time
import uuid
from datetime import date, timedelta
from urllib.parse import urlencode, urlsplit

import psycopg
import requests

from scripts.seed_large import plain_url, seed

from .stats import drive, summarize

BENCH_STORE_PREFIX = "BN"


class Terminal:
    """One store terminal, signed in, with keep-alive HTTP connections (one
    per request in flight: two green workers may use one terminal at once).

    Plain ``http.client`` rather than ``requests``: the terminals share the
    machine with the platform they measure, and a requests session cost
    2.5 times the CPU per call (1.3 ms against 0.5 ms on the machine the
    figures in bench/results came from). A real terminal is its own device."""

    def __init__(self, base, token):
        self.base = base
        where = urlsplit(base)
        self.host, self.port = where.hostname, where.port or 80
        self.headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
        self.idle = []

    def _send(self, method, path, body, headers):
        reused = bool(self.idle)
        conn = self.idle.pop() if reused else http.client.HTTPConnection(
            self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            reply = conn.getresponse()
            data = reply.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            if not reused:
                raise
            # the server closed an idle keep-alive connection before reading
            # this request: nothing was done, send it once more on a new one
            return self._send(method, path, body, headers)
        except BaseException:
            conn.close()
            raise
        if reply.will_close:
            conn.close()
        else:
            self.idle.append(conn)
        return reply, data

    def call(self, method, path, expect=(200, 201), params=None, json=None, headers=None):
        if params:
            path = f"{path}?{urlencode(params)}"
        body, all_headers = None, dict(self.headers, **(headers or {}))
        if json is not None:
            body = jsonlib.dumps(json).encode()
            all_headers["Content-Type"] = "application/json"
        reply, data = self._send(method, path, body, all_headers)
        if reply.status not in expect:
            raise RuntimeError(f"{method} {path}: {reply.status} {data[:200].decode(errors='replace')}")
        kind = reply.getheader("Content-Type", "")
        return jsonlib.loads(data) if data and kind.startswith("application/json") else None


def login(base, username, password):
    reply = requests.post(base + "/auth/token", json={"username": username, "password": password},
                          timeout=30)
    reply.raise_for_status()
    return reply.json()["access_token"]


def ensure_stores(admin, count):
    """Bench stores (USD, no tax so a sale's total is its price), made through
    the gateway so every service learns them from ``store.created``."""
    have, cursor = {}, None
    while True:
        page = admin.call("GET", "/stores", params={"limit": 200, **({"cursor": cursor} if cursor else {})})
        have.update({s["code"]: s["id"] for s in page["items"] if s["code"].startswith(BENCH_STORE_PREFIX)})
        cursor = page["next_cursor"]
        if not cursor:
            break
    for n in range(count):
        code = f"{BENCH_STORE_PREFIX}{n:03d}"
        if code not in have:
            store = admin.call("POST", "/stores", json={
                "code": code, "name": f"Bench {n:03d}", "currency": "USD",
                "timezone": "America/New_York", "tax_rate_bps": 0})
            have[code] = store["id"]
    return [have[f"{BENCH_STORE_PREFIX}{n:03d}"] for n in range(count)]


def wait_known(url, store_ids, timeout=120):
    """Until inventory has recorded every bench store."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(plain_url(url)) as conn:
        while time.monotonic() < deadline:
            known = conn.execute("SELECT count(*) FROM stores WHERE id = ANY(%s::uuid[])",
                                 (store_ids,)).fetchone()[0]
            if known == len(store_ids):
                return
            time.sleep(0.5)
    raise SystemExit("the bench stores did not reach inventory")


def seed_pieces(url, store_ids, items, sale_pieces):
    """Searchable stock (prefix Z) and pieces kept for checkout (prefix Y)."""
    seed(url, len(store_ids), items, store_ids=store_ids, prefix="Z")
    seed(url, len(store_ids), sale_pieces, store_ids=store_ids, prefix="Y", seed_value=13,
         status_weights=(100, 0, 0), price_range=(5_000, 500_000))  # cash under Form 8300
    with psycopg.connect(plain_url(url)) as conn:
        tags = [r[0] for r in conn.execute(
            "SELECT tag FROM items WHERE tag LIKE 'Z%%' ORDER BY random() LIMIT 2000").fetchall()]
        sale = conn.execute(
            "SELECT id::text, store_id::text, price_amount FROM items "
            "WHERE tag LIKE 'Y%%' AND status = 'in_stock'").fetchall()
    return tags, sale


def ensure_clients(admin, store_ids, count):
    clients = []
    page = admin.call("GET", "/clients", params={"q": "Benchclient", "limit": 200})
    clients += [c["id"] for c in page["items"]]
    for n in range(len(clients), count):
        c = admin.call("POST", "/clients", json={
            "first_name": "Benchclient", "last_name": f"N{n:05d}",
            "phone": f"+1212555{n:04d}", "home_store_id": store_ids[n % len(store_ids)],
            "consent": {"sms": False, "email": False}})
        clients.append(c["id"])
    return clients


class Pool:
    """Pieces for sale, each sold once."""

    def __init__(self, rows):
        self.rows = list(rows)
        random.Random(5).shuffle(self.rows)

    def take(self):
        if not self.rows:
            raise RuntimeError("out of bench pieces to sell")
        return self.rows.pop()


def sell(terminal, pool, method="cash", client_id=None):
    item_id, store_id, price = pool.take()
    tender = {"method": method, "amount": {"amount": price, "currency": "USD"}}
    if method == "card":
        tender["payment_method"] = "pm_card_visa"
    sale = terminal.call("POST", "/sales", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
        "store_id": store_id, "client_id": client_id, "lines": [{"item_id": item_id}],
        "tenders": [tender]})
    if sale["status"] != "completed":
        raise RuntimeError(f"sale {sale['status']}: {sale.get('failure_reason')}")
    return sale


def _mixed_workload(pool_t, terminals, ctx, searches):
    """One step of the counter's day: lookups, searches, clients, cash and
    card sales, repairs taken in and approved, the HQ screen."""
    rnd = random.Random(3)
    tags, stores, clients, pieces = ctx["tags"], ctx["stores"], ctx["clients"], ctx["pool"]
    promised = (date.today() + timedelta(days=10)).isoformat()
    orders = []

    def mixed(i):
        t = pool_t[i % terminals]
        r = rnd.random()
        if r < 0.30:
            t.call("GET", f"/items/by-tag/{rnd.choice(tags)}")
        elif r < 0.50:
            t.call("GET", "/items", params=rnd.choice(searches))
        elif r < 0.62:   # a client looked up by name: the bench's own, or one of the book
            q = (f"N{rnd.randrange(len(clients)):05d}" if r < 0.56 or not ctx.get("book")
                 else f"S{rnd.randrange(ctx['book']):07d}")
            t.call("GET", "/clients", params={"q": q})
        elif r < 0.77:
            sell(t, pieces, "cash", rnd.choice(clients))
        elif r < 0.82:
            sell(t, pieces, "card")
        elif r < 0.88:
            wo = t.call("POST", "/work-orders", json={
                "store_id": rnd.choice(stores), "client_id": rnd.choice(clients), "kind": "repair",
                "item_description": "Ring, worn prongs", "promised_date": promised,
                "tasks": [{"description": "retip prongs", "price": {"amount": 8000, "currency": "USD"}}],
                "estimate_required": False})
            orders.append(wo["id"])
        elif r < 0.94 and orders:
            t.call("POST", f"/work-orders/{orders.pop()}/transition",
                   json={"stage": "approved", "note": "bench"}, expect=(200, 409))
        else:
            t.call("GET", "/hq/summary", expect=(200, 404))
    return mixed


def phases(base, token, ctx, duration, terminals=20):
    """Each figure on its own, then the mixed counter workload."""
    pool_t = [Terminal(base, token) for _ in range(terminals)]
    tags, stores, pieces = ctx["tags"], ctx["stores"], ctx["pool"]
    results = []

    def by_tag(i):
        pool_t[i % terminals].call("GET", f"/items/by-tag/{tags[i % len(tags)]}")

    results.append(drive("GET /items/by-tag/{tag}", by_tag, terminals, duration=duration))

    searches = [
        {"store_id": s, "status": "in_stock"} for s in stores[:50]] + [
        {"category": c, "metal_type": "gold", "karat": 18, "status": "in_stock",
         "min_price": 100000, "max_price": 800000} for c in ("ring", "pendant", "bracelet")] + [
        {"q": w, "status": "in_stock"} for w in ("halo", "tennis", "vintage", "hoop")]

    def search(i):
        pool_t[i % terminals].call("GET", "/items", params=searches[i % len(searches)])

    results.append(drive("GET /items (search, 1st page)", search, terminals, duration=duration))
    results.append(drive("GET /items (search, 1 terminal)", search, 1, duration=duration / 2))

    def checkout(i):
        sell(pool_t[i % terminals], pieces)

    results.append(drive("POST /sales (one piece, cash)", checkout, terminals, duration=duration))

    mixed = _mixed_workload(pool_t, terminals, ctx, searches)
    results.append(drive("mixed counter workload", mixed, terminals, duration=duration))
    return results


def event_lag(base, token, ctx, samples=30):
    """From a completed sale to crm showing the new lifetime value."""
    t = Terminal(base, token)
    lags = []
    for n in range(samples):
        client = ctx["clients"][n % len(ctx["clients"])]
        before = t.call("GET", f"/clients/{client}")["lifetime_value"]
        sell(t, ctx["pool"], "cash", client)
        began = time.perf_counter()
        deadline = began + 10
        while time.perf_counter() < deadline:
            now = t.call("GET", f"/clients/{client}")["lifetime_value"]
            if now != before:
                lags.append(time.perf_counter() - began)
                break
            time.sleep(0.005)
    return summarize("event lag sale.completed -> crm lifetime value", lags,
                     sum(lags) or 1, errors=samples - len(lags))
