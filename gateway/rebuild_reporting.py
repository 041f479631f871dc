"""Rebuild HQ's read model from the services' own data (``make rebuild-reporting``).

    python -m gateway.rebuild_reporting [--reset] [--page-size 500]

For when the read model is lost, or its schema changed (migrate first). It
pages through read-only RPC snapshots, as the system identity:

- inventory ``snapshot_items``: every piece, its status and since when;
- payments ``list_sales(status=completed)``: sales, their lines and returns
  (a line's category, metal and cost are taken from its piece);
- workorders ``list_work_orders``: every job, its stage and promised day;
- crm ``search_clients``: every client (not merged), home store and tier;

then recounts the totals from the rows. The gateway may keep running and
consuming events meanwhile: a snapshot row is kept only where it is newer
than what the events already brought (each row knows since when its facts
are true), and the totals are recounted under a lock the event handlers
wait for, so nothing that happens during the rebuild is lost.

``--reset`` empties the projection tables first (never the gateway's own
data: exchange rates, transfer requests, users, stores, audit).
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import chassis  # noqa: E402,F401  (green psycopg wait)
import argparse  # noqa: E402
import logging  # noqa: E402
import time  # noqa: E402

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from chassis import config  # noqa: E402
from chassis.db import make_engine  # noqa: E402
from chassis.identity import Identity  # noqa: E402

from . import reporting  # noqa: E402

log = logging.getLogger(__name__)
SOURCES = ("inventory", "payments", "workorders", "crm")


def _pages(fetch):
    cursor = None
    while True:
        page = fetch(cursor)
        yield page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return


def rebuild(engine, rpc, reset=False, page_size=500, sources=SOURCES, say=log.info):
    """Fill the read model from ``rpc`` (a cluster RPC client acting as the
    system); returns how many rows of each kind were read."""
    started = reporting.now()
    counts = {}
    if reset:
        with Session(engine) as session, session.begin():
            session.execute(text("TRUNCATE {}".format(", ".join(reporting.PROJECTION_TABLES))))
        say("reporting: projection tables emptied")

    def each_page(name, fetch, load):
        counts[name] = 0
        for items in _pages(fetch):
            with Session(engine, expire_on_commit=False) as session, session.begin():
                load(session, items)
            counts[name] += len(items)
        say(f"reporting: {counts[name]} {name} read")

    if "inventory" in sources:
        each_page("pieces", lambda c: rpc.inventory.snapshot_items(c, page_size),
                  reporting.load_pieces)
    if "payments" in sources:
        each_page("sales", lambda c: rpc.payments.list_sales(
            {"status": "completed", "limit": min(page_size, 200), "cursor": c}),
            lambda session, views: [reporting.load_sale_view(session, v) for v in views])
        with Session(engine) as session, session.begin():
            reporting.fill_line_facts(session)
    if "workorders" in sources:
        each_page("work_orders", lambda c: rpc.workorders.list_work_orders(
            {"limit": min(page_size, 200), "cursor": c}), reporting.load_work_orders)
    if "crm" in sources:
        each_page("clients", lambda c: rpc.crm.search_clients(
            {"limit": min(page_size, 200), "cursor": c}),
            lambda session, views: reporting.load_clients(session, views, started))
    with Session(engine) as session, session.begin():
        reporting.recount_stock(session)
    with Session(engine) as session, session.begin():
        reporting.recount_clients(session)
        reporting.mark_fresh(session, "rebuild", started)
    say("reporting: totals recounted")
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reset", action="store_true",
                        help="empty the projection tables first (a clean rebuild)")
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per RPC page")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from nameko.standalone.rpc import ClusterRpcClient
    engine = make_engine(config.database_url("gateway"), pool_size=2)
    began = time.monotonic()
    try:
        with ClusterRpcClient(context_data=Identity.system().to_context(), timeout=args.timeout,
                              uri=config.amqp_uri()) as rpc:
            counts = rebuild(engine, rpc, reset=args.reset, page_size=args.page_size)
    finally:
        engine.dispose()
    print("reporting rebuilt in {:.1f}s: {}".format(
        time.monotonic() - began, ", ".join(f"{n} {k}" for k, n in counts.items())))


if __name__ == "__main__":
    main()
