"""``GET /hq/summary`` at chain scale: HQ's read model seeded for N stores
(projection rows written straight into the reporting service's database, as
the events would have left them), then the summary timed one request at a time.

    python -m bench.hq [--stores 500] [--pieces 2000] [--samples 40]

Uses the gateway at ``GATEWAY_URL`` (default http://127.0.0.1:8000) and the
reporting database ``REPORTING_DATABASE_URL``. Seeded rows are synthetic: run ``make
rebuild-reporting REBUILD_ARGS=--reset`` afterwards to bring the read model
back to the services' truth. ``bench.run`` rebuilds the model from the
services instead and calls ``measure``.
"""
import os
import time

import psycopg
import requests

from .stats import summarize

PREFIX = "HQB"   # synthetic stores made here when the chain has fewer


def _plain(url):
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}" if sep else url


def seed(url, store_ids=(), stores=500, pieces=2000, clients=500, sales_per_day=20, days=30,
         jobs=40):
    """Projection rows for ``stores`` stores (the given ones first, synthetic
    ones after): per store ``pieces`` pieces (90 % in stock, 4 % reserved,
    6 % sold), ``days`` days of sales (``sales_per_day`` one-line sales a
    day, today included, some returned), ``jobs`` work orders (a quarter
    closed) and ``clients`` clients in three tiers; then the totals.
    Returns the store ids."""
    with psycopg.connect(_plain(url), autocommit=False) as conn:
        have = _bench_stores(conn, store_ids, stores)
        _seed_pieces(conn, pieces)
        _seed_sales(conn, days, sales_per_day)
        _seed_jobs_and_clients(conn, jobs, clients)
        conn.commit()
    _recount(url)
    return have


def _bench_stores(conn, store_ids, stores):
    """The stores to seed, in the temporary table ``bench_stores``."""
    have = [str(s) for s in store_ids][:stores]
    missing = stores - len(have)
    if missing > 0:
        # reporting's copy of the stores; synthetic ones only there (no events)
        conn.execute(f"""
            INSERT INTO stores (id, code, name, currency, timezone, country)
            SELECT gen_random_uuid(), '{PREFIX}' || lpad(n::text, 4, '0'), 'HQ bench ' || n,
                   CASE WHEN mod(n, 10) = 0 THEN 'GBP' ELSE 'USD' END,
                   CASE WHEN mod(n, 10) = 0 THEN 'Europe/London'
                        WHEN mod(n, 3) = 0 THEN 'America/Los_Angeles' ELSE 'America/New_York' END,
                   CASE WHEN mod(n, 10) = 0 THEN 'GB' ELSE 'US' END
            FROM generate_series(1, %s) n
            WHERE NOT EXISTS (SELECT 1 FROM stores s
                              WHERE s.code = '{PREFIX}' || lpad(n::text, 4, '0'))""", (missing,))
        have += [r[0] for r in conn.execute(
            f"SELECT id::text FROM stores WHERE code LIKE '{PREFIX}%%' ORDER BY code LIMIT %s",
            (missing,)).fetchall()]
    conn.execute("CREATE TEMP TABLE bench_stores (id uuid, currency text, tz text) ON COMMIT DROP")
    conn.execute("INSERT INTO bench_stores SELECT id, currency, timezone FROM stores "
                 "WHERE id = ANY(%s::uuid[])", (have,))
    return have


def _seed_pieces(conn, pieces):
    conn.execute("""
        INSERT INTO hq_pieces (item_id, tag, store_id, status, status_at, category, description,
                               metal_type, ownership, currency, cost_amount, price_amount,
                               price_at, received_at, sold_at)
        SELECT gen_random_uuid(), upper(substr(md5(random()::text), 1, 8)), s.id,
               CASE WHEN r < 0.90 THEN 'in_stock' WHEN r < 0.94 THEN 'reserved' ELSE 'sold' END,
               now() - (random() * interval '30 days'),
               (ARRAY['ring','necklace','bracelet','earrings','pendant','watch'])[1 + mod(n, 6)],
               'bench piece', (ARRAY['gold','platinum','silver'])[1 + mod(n, 3)],
               CASE WHEN mod(n, 20) = 0 THEN 'memo_in' WHEN mod(n, 33) = 0 THEN 'consignment'
                    ELSE 'owned' END,
               s.currency, 20000 + mod(n * 7919, 400000), 50000 + mod(n * 7919, 900000),
               now() - interval '400 days', now() - mod(n, 500) * interval '1 day',
               CASE WHEN r >= 0.94 THEN now() - (random() * interval '30 days') END
        FROM bench_stores s, generate_series(1, %s) n, LATERAL (SELECT random() AS r) x""",
                 (pieces,))


def _seed_sales(conn, days, sales_per_day):
    conn.execute("""
        WITH sales AS (
            SELECT gen_random_uuid() AS sale_id, s.id AS store_id, s.currency, s.tz,
                   date_trunc('day', now()) - d * interval '1 day'
                       + (k * interval '25 minutes') AS at,
                   60000 + mod(k * 104729, 500000) AS amount
            FROM bench_stores s, generate_series(0, %s - 1) d, generate_series(1, %s) k)
        , lines AS (
            INSERT INTO hq_sale_lines (sale_id, line_no, store_id, completed_at, local_day,
                                       associate_id, kind, item_id, category, metal_type,
                                       currency, amount, discount, tax, cost)
            SELECT sale_id, 0, store_id, least(at, now()), timezone(tz, least(at, now()))::date,
                   'bench-' || mod(abs(hashtext(sale_id::text)), 8),
                   'item', gen_random_uuid(), 'ring', 'gold', currency, amount, 0,
                   amount * 8 / 100, amount * 4 / 10
            FROM sales RETURNING sale_id, store_id, completed_at, local_day, currency, amount,
                                 item_id)
        , sold AS (
            INSERT INTO hq_sales (sale_id, store_id, completed_at, associate_id, currency,
                                  subtotal, tax, total)
            SELECT sale_id, store_id, completed_at, NULL, currency, amount, amount * 8 / 100,
                   amount + amount * 8 / 100 FROM lines RETURNING sale_id)
        , back AS (
            INSERT INTO hq_returns (return_id, sale_id, store_id, returned_at, local_day,
                                    currency, refund)
            SELECT gen_random_uuid(), sale_id, store_id, completed_at, local_day,
                   currency, amount FROM lines WHERE mod(abs(hashtext(sale_id::text)), 25) = 0
            RETURNING return_id, sale_id)
        INSERT INTO hq_returned_items (return_id, item_id, sale_id)
        SELECT b.return_id, l.item_id, b.sale_id FROM back b JOIN lines l USING (sale_id)""",
                 (days, sales_per_day))


def _seed_jobs_and_clients(conn, jobs, clients):
    conn.execute("""
        INSERT INTO hq_work_orders (work_order_id, store_id, number, kind, stage, stage_at,
                                    promised_date, created_at)
        SELECT gen_random_uuid(), s.id, 'B-' || n, 'repair',
               (ARRAY['received','approved','in_progress','quality_check','ready_for_pickup',
                      'picked_up','cancelled','in_progress'])[1 + mod(n, 8)],
               now() - n * interval '1 hour', current_date + (mod(n, 21) - 10), now() - interval '20 days'
        FROM bench_stores s, generate_series(1, %s) n""", (jobs,))
    conn.execute("""
        INSERT INTO hq_clients (client_id, known, merged, home_store_id, facts_at, tier, tier_at)
        SELECT gen_random_uuid(), true, false, s.id, now(),
               CASE WHEN mod(n, 20) = 0 THEN 'vip' WHEN mod(n, 5) = 0 THEN 'loyal' ELSE 'new' END, now()
        FROM bench_stores s, generate_series(1, %s) n""", (clients,))
    conn.execute("""
        INSERT INTO hq_freshness (event_type, last_occurred_at, last_applied_at, lag_ms, applied)
        VALUES ('bench.seed', now(), now(), 0, 0)
        ON CONFLICT (event_type) DO UPDATE SET last_occurred_at = now(), last_applied_at = now()""")


def _recount(url):
    """Totals from the rows, exactly as the rebuild does."""
    from sqlalchemy.orm import Session

    from chassis.db import make_engine
    from services.reporting import clients as client_rules, pieces as piece_rules
    engine = make_engine(url, pool_size=1)
    with Session(engine) as session, session.begin():
        piece_rules.recount_stock(session)
        client_rules.recount_clients(session)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def measure(base, token, samples=40, warmup=3):
    """Time ``GET /hq/summary`` one request after another."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    stores = None
    for _ in range(warmup):
        reply = session.get(base + "/hq/summary", timeout=60)
        reply.raise_for_status()
        stores = len(reply.json()["stores"])
    latencies, errors, began = [], 0, time.perf_counter()
    for _ in range(samples):
        t = time.perf_counter()
        reply = session.get(base + "/hq/summary", timeout=60)
        if reply.status_code == 200:
            latencies.append(time.perf_counter() - t)
        else:
            errors += 1
    return summarize(f"GET /hq/summary ({stores} stores, one at a time)", latencies,
                     time.perf_counter() - began, errors=errors, stores=stores,
                     bytes=len(reply.content))


def main():
    import argparse
    from chassis import config
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=500)
    parser.add_argument("--pieces", type=int, default=2000, help="pieces per store")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--no-seed", action="store_true", help="time the read model as it is")
    args = parser.parse_args()
    base = os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000").rstrip("/")
    reply = requests.post(base + "/auth/token", json={
        "username": os.environ.get("ADMIN_USERNAME", "admin"),
        "password": os.environ.get("ADMIN_PASSWORD", "showcase-velvet-tray-7")}, timeout=30)
    reply.raise_for_status()
    token = reply.json()["access_token"]
    if not args.no_seed:
        seed(config.database_url("reporting"), stores=args.stores, pieces=args.pieces)
    print(measure(base, token, args.samples))


if __name__ == "__main__":
    main()
