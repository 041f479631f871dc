"""Rebuild HQ's read model from the services' own data (``make rebuild-reporting``).

    python -m services.reporting.rebuild [--reset] [--page-size 500]

For when the read model is lost, or its schema changed (migrate first). It
pages through read-only RPC snapshots, as the system identity:

- gateway ``stores_snapshot``: every store (first: sales need their time zones);
- inventory ``snapshot_items``: every piece, its status and since when;
- payments ``list_sales(status=completed)``: sales, their lines and returns
  (a line's category, metal and cost are taken from its piece);
- workorders ``list_work_orders``: every job, its stage and promised day;
- crm ``search_clients``: every client (not merged), home store and tier;

then recounts the totals from the rows. The reporting service may keep
running and consuming events meanwhile: a snapshot row is kept only where it
is newer than what the events already brought (each row knows since when its
facts are true), and the totals are recounted under a lock the event
handlers wait for, so nothing that happens during the rebuild is lost.

``--reset`` empties the projection tables first (never the data reporting
owns: exchange rates, transfer requests; the stores are loaded again).
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
from chassis.clock import now  # noqa: E402
from chassis.db import make_engine  # noqa: E402
from chassis.identity import Identity  # noqa: E402

from . import clients, pieces, sales, stores, work_orders  # noqa: E402
from .freshness import mark_fresh  # noqa: E402
from .projections import PROJECTION_TABLES  # noqa: E402

log = logging.getLogger(__name__)
SOURCES = ("gateway", "inventory", "payments", "workorders", "crm")


def _pages(fetch):
    cursor = None
    while True:
        page = fetch(cursor)
        yield page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return


class Rebuild:
    """One rebuild: ``read`` pages a snapshot into the read model, a
    transaction per page, and counts the rows."""

    def __init__(self, engine, rpc, page_size, say):
        self.engine, self.rpc, self.page_size, self.say = engine, rpc, page_size, say
        self.started = now()
        self.counts = {}

    def transaction(self):
        return Session(self.engine, expire_on_commit=False)

    def read(self, name, fetch, load, counted=True):
        n = 0
        for items in _pages(fetch):
            with self.transaction() as session, session.begin():
                load(session, items)
            n += len(items)
        if counted:
            self.counts[name] = n
        self.say(f"reporting: {n} {name} read")

    def small_page(self, cursor, **query):
        return {"limit": min(self.page_size, 200), "cursor": cursor, **query}


def _read_sources(r, sources):
    rpc = r.rpc
    if "gateway" in sources:
        r.read("stores", lambda c: rpc.gateway.stores_snapshot(c, r.page_size),
               lambda session, views: stores.load_stores(session, views, r.started), counted=False)
    if "inventory" in sources:
        r.read("pieces", lambda c: rpc.inventory.snapshot_items(c, r.page_size), pieces.load_pieces)
    if "payments" in sources:
        r.read("sales", lambda c: rpc.payments.list_sales(r.small_page(c, status="completed")),
               lambda session, views: [sales.load_sale_view(session, v) for v in views])
        with r.transaction() as session, session.begin():
            sales.fill_line_facts(session)
    if "workorders" in sources:
        r.read("work_orders", lambda c: rpc.workorders.list_work_orders(r.small_page(c)),
               work_orders.load_work_orders)
    if "crm" in sources:
        r.read("clients", lambda c: rpc.crm.search_clients(r.small_page(c)),
               lambda session, views: clients.load_clients(session, views, r.started))


def rebuild(engine, rpc, reset=False, page_size=500, sources=SOURCES, say=log.info):
    """Fill the read model from ``rpc`` (a cluster RPC client acting as the
    system); returns how many rows of each kind of the read model were read."""
    r = Rebuild(engine, rpc, page_size, say)
    if reset:
        with r.transaction() as session, session.begin():
            session.execute(text("TRUNCATE {}".format(", ".join(PROJECTION_TABLES))))
        say("reporting: projection tables emptied")
    _read_sources(r, sources)
    with r.transaction() as session, session.begin():
        pieces.recount_stock(session)
    with r.transaction() as session, session.begin():
        clients.recount_clients(session)
        mark_fresh(session, "rebuild", r.started)
    say("reporting: totals recounted")
    return r.counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reset", action="store_true",
                        help="empty the projection tables first (a clean rebuild)")
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per RPC page")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from nameko.standalone.rpc import ClusterRpcClient
    engine = make_engine(config.database_url("reporting"), pool_size=2)
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
