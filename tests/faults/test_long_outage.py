"""A December Saturday's database failover: HQ's reporting database is away
for two minutes while the stores keep selling. Nothing is parked for an
operator: every event that could not be applied waits with back-off
(chassis.backoff) and is applied once when the database is back.

Two minutes of wall time: ``make test`` runs this module beside the others
(with the browser tests), not after them. ``OUTAGE_SECONDS`` shortens it
for a quick local look.
"""
import os
import time

import eventlet
import pytest

from chassis.config import SERVICES
from tests.support.e2e import wait_until

from .test_faults import Shop

pytestmark = pytest.mark.faults

OUTAGE_S = float(os.environ.get("OUTAGE_SECONDS", "120"))
# the short schedule (0.2, 0.4, 0.8 s) alone would park an event within 2 s;
# after it, back-off doubles up to 5 s here (10 minutes in production)
CHAIN = {"name": "outage", "db_proxy": ("reporting",), "env": {"EVENT_RETRY_MAX_DELAY": "5"}}


@pytest.mark.timeout(OUTAGE_S + 300)
def test_a_two_minute_database_outage_parks_nothing_and_every_sale_reaches_hq_once(chain):
    shop = Shop(chain)
    items = [shop.piece(40000 + 1000 * i) for i in range(8)]
    sold = []
    began = time.monotonic()
    chain.db_proxies["reporting"].cut()
    try:
        # a sale every quarter of the outage, the first at once
        for n, item in enumerate(items):
            wait_until(lambda n=n: time.monotonic() - began >= n * OUTAGE_S / len(items),
                       timeout=OUTAGE_S + 10, interval=0.5, message="the next sale's turn")
            reply = shop.sale(item, None)
            assert reply.status_code == 201, reply.text       # the stores keep selling
            sold.append(reply.json()["id"])
        eventlet.sleep(max(0.0, OUTAGE_S - (time.monotonic() - began)))
    finally:
        chain.db_proxies["reporting"].restore()
    outage = time.monotonic() - began

    reporting = chain.db("reporting")
    wait_until(lambda: reporting.scalar("select count(*) from hq_sales where sale_id = any(:ids)",
                                        ids=sold) == len(sold),
               timeout=60, interval=1, message="every sale in HQ's read model")
    assert reporting.scalar("select count(*) from hq_sale_lines where sale_id = any(:ids)",
                            ids=sold) == len(sold)
    wait_until(lambda: reporting.scalar(
        "select count(*) from hq_pieces where item_id = any(:ids) and status = 'sold'",
        ids=[i["id"] for i in items]) == len(items), timeout=30, message="every piece sold at HQ")
    parked = {s: chain.dead_letters(s) for s in SERVICES}
    assert all(not p for p in parked.values()), parked
    # the events did wait: back-off past the short schedule, up to its cap
    assert any(name.endswith(".retry.5000ms") for name in chain.queue_names())
    print(f"\noutage {outage:.0f} s, {len(sold)} sales during it, events parked: 0")
