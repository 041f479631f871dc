"""HQ's read model in the reporting service: events in (nameko's standalone
dispatcher, contract-checked envelopes), figures out (HTTP through the
gateway and the reporting service, or the read model's functions on the
reporting test database)."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

import contracts
from chassis.db import AlreadyProcessed
from gateway.models import Store as GatewayStore
from services.reporting import projections
from services.reporting.models import Store
from services.reporting.service import Service as Reporting
from tests.conftest import wait_for
from tests.gateway.conftest import ADMIN, Api, Db, admin, api, db, gateway, piece, store_body  # noqa: F401  (fixtures)
from tests.support.sqldb import SqlDb

NYC = "0a000000-0000-4000-8000-00000000000a"
LON = "0c000000-0000-4000-8000-00000000000c"
T0 = datetime(2031, 3, 3, 15, 0, tzinfo=timezone.utc)   # a Monday, 10:00 in New York


def new_id():
    return str(uuid.uuid4())


def usd(amount, currency="USD"):
    return {"amount": amount, "currency": currency}


def gbp(amount):
    return usd(amount, "GBP")


def event(event_type, payload, at=None, producer=None):
    producer = producer or next(p for p, t in projections.PROJECTIONS if t == event_type)
    return contracts.build_envelope(event_type, payload, producer=producer,
                                    store_id=payload.get("store_id"), occurred_at=at)


class Chain:
    """Events of a small chain, built in the order they happen."""

    def __init__(self, start=T0, step=timedelta(minutes=1)):
        self.at, self.step = start, step
        self.events = []

    def tick(self):
        self.at += self.step
        return self.at

    def add(self, event_type, **payload):
        e = event(event_type, payload, self.tick())
        self.events.append(e)
        return e

    def receive(self, store_id, cost, price, currency="USD", category="ring", metal="gold",
                ownership="owned"):
        item_id = new_id()
        self.add("item.received", item_id=item_id, tag=uuid.uuid4().hex[:8].upper(),
                 store_id=store_id, category=category, description=f"{metal} {category}",
                 ownership=ownership, cost=usd(cost, currency), price=usd(price, currency),
                 metal_type=metal, received_at=self.at.isoformat())
        return item_id

    def sell(self, store_id, lines, associate="u-seller", client_id=None, currency="USD"):
        """``lines``: (item_id or None, amount, cost, category, metal); tax 10%."""
        sale_id = new_id()
        for item_id, amount, cost, category, metal in lines:
            if item_id:
                self.add("item.reserved", item_id=item_id, store_id=store_id, reason="sale",
                         sale_id=sale_id)
        facts = [{"kind": "item" if item_id else "work_order", "item_id": item_id,
                  "work_order_id": None if item_id else new_id(), "amount": usd(amount, currency),
                  "cost": usd(cost, currency) if cost is not None else None,
                  "category": category, "metal_type": metal, "tax": usd(amount // 10, currency)}
                 for item_id, amount, cost, category, metal in lines]
        subtotal = sum(amount for _, amount, _, _, _ in lines)
        tax = sum(amount // 10 for _, amount, _, _, _ in lines)
        self.add("sale.completed", sale_id=sale_id, store_id=store_id, client_id=client_id,
                 associate_id=associate, receipt_number=f"R-{sale_id[:6]}", lines=facts,
                 tenders=[{"method": "cash", "amount": usd(subtotal + tax, currency)}],
                 subtotal=usd(subtotal, currency), tax=usd(tax, currency),
                 total=usd(subtotal + tax, currency), completed_at=self.at.isoformat())
        for item_id, amount, cost, _, _ in lines:
            if item_id:
                self.add("item.sold", item_id=item_id, store_id=store_id, sale_id=sale_id,
                         price=usd(amount, currency), cost=usd(cost, currency), ownership="owned")
        return sale_id

    def give_back(self, store_id, sale_id, item_ids, refund, currency="USD"):
        self.add("sale.returned", sale_id=sale_id, return_id=new_id(), store_id=store_id,
                 item_ids=item_ids, refund=usd(refund, currency), returned_at=self.tick().isoformat())
        for item_id in item_ids:
            self.add("item.returned", item_id=item_id, store_id=store_id, sale_id=sale_id)

    def job(self, store_id, promised, client_id=None, stages=()):
        wo = {"work_order_id": new_id(), "number": f"WO-{len(self.events)}", "store_id": store_id,
              "client_id": client_id or new_id(), "kind": "repair", "promised_date": promised}
        self.add("workorder.created", **wo)
        before = "received"
        for stage in stages:
            self.add("workorder.stage_changed", **wo, from_stage=before, to_stage=stage)
            before = stage
        return wo["work_order_id"]

    def client(self, store_id, tier=None):
        client_id = new_id()
        self.add("client.created", client_id=client_id, first_name="Ada", last_name="L",
                 home_store_id=store_id)
        if tier:
            self.add("client.tier_changed", client_id=client_id, old_tier="new", new_tier=tier)
        return client_id


def scripted_day(start=T0, step=timedelta(minutes=1)):
    """A day of two stores, with its expected figures (``expect``)."""
    c = Chain(start, step)
    today = start.date()

    def promised(days):
        return (today + timedelta(days=days)).isoformat()

    a = [c.receive(NYC, 100_000, 250_000) for _ in range(3)]                 # rings, gold
    b = c.receive(NYC, 40_000, 90_000, category="necklace", metal="silver")
    memo = c.receive(NYC, 500_000, 900_000, ownership="memo_in", metal="platinum")
    lon = [c.receive(LON, 80_000, 200_000, "GBP", category="bracelet") for _ in range(2)]
    c.add("item.price_changed", item_id=a[2], store_id=NYC, old_price=usd(250_000),
          new_price=usd(260_000), reason="manual")
    s1 = c.sell(NYC, [(a[0], 240_000, 100_000, "ring", "gold"),
                      (b, 90_000, 40_000, "necklace", "silver")], associate="u-ann")
    c.sell(NYC, [(None, 15_000, None, None, None)], associate="u-bob")      # a repair paid
    c.give_back(NYC, s1, [b], 99_000)
    s3 = c.sell(LON, [(lon[0], 190_000, 80_000, "bracelet", "gold")], associate="u-lee",
                currency="GBP")
    c.add("transfer.shipped", transfer_id=(t := new_id()), from_store_id=NYC, to_store_id=LON,
          item_ids=[a[1]])
    c.add("transfer.received", transfer_id=t, from_store_id=NYC, to_store_id=LON, item_ids=[a[1]])
    c.add("item.reserved", item_id=a[2], store_id=NYC, reason="hold", client_id=new_id())
    c.job(NYC, promised(-2))                                       # overdue
    c.job(NYC, promised(7), stages=("approved", "in_progress"))    # open
    c.job(NYC, promised(-30), stages=("approved", "in_progress", "quality_check",
                                      "ready_for_pickup", "picked_up"))   # done
    c.job(LON, promised(-1), stages=("approved", "in_progress", "quality_check",
                                     "ready_for_pickup"))          # open, not overdue (ready)
    c.client(NYC)
    c.client(NYC, "vip")
    loyal = c.client(LON, "loyal")
    dup = c.client(LON)
    c.add("client.merged", survivor_id=loyal, merged_id=dup)
    expect = {
        # NYC keeps a[2] (reserved, 260k) and b (returned); a[1] went to London
        "NYC": {"owned": (2, 140_000, 350_000), "memo_in": (1, 500_000, 900_000),
                "sales": 2, "pieces": 2, "revenue": 345_000, "cost": 140_000, "margin": 190_000,
                "returns": 1, "returned": 90_000, "open": 2, "overdue": 1,
                "clients": {"new": 1, "loyal": 0, "vip": 1}},
        "LON": {"owned_gbp": (1, 80_000, 200_000), "owned_usd": (1, 100_000, 250_000),
                "sales": 1, "pieces": 1, "revenue": 190_000, "cost": 80_000, "margin": 110_000,
                "open": 1, "overdue": 0, "clients": {"new": 0, "loyal": 1, "vip": 0}},
    }
    return c, expect, {"sale_nyc": s1, "sale_lon": s3, "pieces": a, "necklace": b, "memo": memo}


class Model(SqlDb):
    """The read model on the reporting test database, without nameko."""

    def apply(self, envelopes):
        for e in envelopes:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                projections.apply(session, e)

    def session(self):
        return Session(self.engine, expire_on_commit=False)

    def reset(self):
        self.execute("TRUNCATE {}".format(", ".join(projections.PROJECTION_TABLES)))


@pytest.fixture
def model(database):
    """The reporting test database with NYC (USD) and LON (GBP) stores."""
    m = Model(database("reporting"))
    with m.session() as session, session.begin():
        session.add_all([
            Store(id=NYC, code="NYC", name="Fifth Avenue", currency="USD",
                  timezone="America/New_York", country="US"),
            Store(id=LON, code="LON", name="Bond Street", currency="GBP",
                  timezone="Europe/London", country="GB")])
    yield m
    m.engine.dispose()


class Feed:
    """Dispatch envelopes to a running reporting service; return when each was handled."""

    def __init__(self, container):
        self.container = container
        self.dispatch = event_dispatcher()

    def __call__(self, envelopes):
        for e in envelopes:
            method = projections.handler_name(e["event_type"])
            outcome = {}

            def handled(worker_ctx, result, exc_info, event_id=e["event_id"]):
                if worker_ctx.args[0]["event_id"] != event_id:
                    return False
                outcome["exc"] = exc_info
                return True

            with entrypoint_waiter(self.container, method, timeout=10, callback=handled):
                self.dispatch(e["producer"], e["event_type"], e)
            exc = outcome.get("exc")
            if exc is not None and not isinstance(exc[1], AlreadyProcessed):
                raise exc[1]


@pytest.fixture
def reporting(start_service):
    container = start_service(Reporting)
    container.db_handle = Db(container.database_url)
    yield container
    container.db_handle.engine.dispose()


def add_stores(url, model, **extra):
    """NYC (USD) and LON (GBP) at fixed ids, straight into a database."""
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        for sid, code, currency, tz, country in ((NYC, "NYC", "USD", "America/New_York", "US"),
                                                 (LON, "LON", "GBP", "Europe/London", "GB")):
            session.add(model(id=sid, code=code, name=f"{code} boutique", currency=currency,
                              timezone=tz, country=country, **extra))
    engine.dispose()


@pytest.fixture
def hq(gateway, reporting, admin):  # noqa: F811  (fixtures)
    """The running gateway and reporting service with stores NYC (USD) and
    LON (GBP) at fixed ids (in the gateway, which owns them, and in
    reporting's copy), signed in as the first hq_admin; ``hq.feed(envelopes)``
    feeds reporting, ``hq.db`` is reporting's database."""
    add_stores(gateway.database_url, GatewayStore, tax_rate_bps=1000)
    add_stores(reporting.database_url, Store)
    admin.feed = Feed(reporting)
    admin.db = reporting.db_handle
    return admin


__all__ = ["wait_for", "store_body", "piece", "Api", "ADMIN", "Db"]
