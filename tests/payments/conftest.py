"""Payments beside the REAL inventory service, on real RabbitMQ and
PostgreSQL, with the real stripe SDK against localstripe (started here)
behind a proxy that can swallow a response, and the Terminal simulator in
front of both (tests/support/terminal_sim.py: readers and card_present
PaymentIntents; everything else goes through to localstripe). crm and workorders are tiny
fakes with the same names (tests/payments/fakes.py)."""
import uuid

import pytest
import stripe
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcClient

import contracts
from chassis.db import Database, Db as ChassisDb, make_engine
from chassis.identity import Identity
from services.inventory.service import Service as Inventory
from services.payments.common import Context, Settings
from services.payments.service import Service as Payments
from services.payments.stripe_port import StripePort
from tests.conftest import wait_for
from tests.support.http_proxy import HttpProxy
from tests.support.localstripe import LocalStripe
from tests.support.sqldb import SqlDb
from tests.support.terminal_sim import TerminalSim

from .fakes import FakeCrm, FakeWorkorders

STORE_A = "0a000000-0000-4000-8000-00000000000a"
STORE_B = "0b000000-0000-4000-8000-00000000000b"
STORE_GB = "0c000000-0000-4000-8000-00000000000c"
CLIENT = "c1000000-0000-4000-8000-000000000001"
OTHER_CLIENT = "c2000000-0000-4000-8000-000000000002"

HQ = Identity(user_id="u-hq", role="hq_admin", username="hq")
MANAGER_A = Identity(user_id="u-mgr-a", role="store_manager", store_ids=(STORE_A,), store_id=STORE_A)
ASSOCIATE_A = Identity(user_id="u-sa-a", role="sales_associate", store_ids=(STORE_A,), store_id=STORE_A)
ASSOCIATE_B = Identity(user_id="u-sa-b", role="sales_associate", store_ids=(STORE_B,), store_id=STORE_B)
AUDITOR = Identity(user_id="u-aud", role="auditor")

WEBHOOK_SECRET = "whsec_test_payments"
API_KEY = "sk_test_payments"
STORES = ((STORE_A, "NYC", "USD", "America/New_York", 887),
          (STORE_B, "MIA", "USD", "America/New_York", 700),
          (STORE_GB, "LON", "GBP", "Europe/London", 2000))


def store_event(store_id, code, currency, tz, tax):
    return contracts.build_envelope("store.created", {
        "id": store_id, "code": code, "name": f"{code} store", "currency": currency,
        "timezone": tz, "tax_rate_bps": tax, "country": "GB" if currency == "GBP" else "US",
    }, producer="gateway")


def piece(store_id=STORE_A, price=450000, currency="USD"):
    return {
        "store_id": store_id, "category": "ring", "description": "Solitaire engagement ring",
        "metal": {"type": "gold", "karat": 18, "color": "white", "weight_g": "3.250"},
        "cost": {"amount": price // 3, "currency": currency},
        "price": {"amount": price, "currency": currency}, "ownership": "owned",
    }


def usd(amount, currency="USD"):
    return {"amount": amount, "currency": currency}


def card(amount, pm="pm_card_visa", currency="USD", **extra):
    return {"method": "card", "amount": usd(amount, currency), "payment_method": pm, **extra}


def cash(amount, currency="USD", **extra):
    return {"method": "cash", "amount": usd(amount, currency), **extra}


DECLINED = "pm_card_chargeCustomerFail"   # localstripe declines this one on confirm


class Db(SqlDb):
    def events(self, event_type):
        return [e["payload"] for e in self.envelopes(event_type)]


@pytest.fixture(scope="session")
def localstripe():
    sandbox = LocalStripe().start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(localstripe):
    localstripe.flush()
    return localstripe


@pytest.fixture
def proxy(sandbox):
    p = HttpProxy("127.0.0.1", sandbox.port)
    yield p
    p.close()


@pytest.fixture
def terminal_sim(proxy):
    """Stripe Terminal in front of the proxy; a test sets ``deliver`` (where
    its webhooks go) and ``webhooks`` (once, twice, late, never)."""
    sim = TerminalSim(proxy.url, WEBHOOK_SECRET)
    yield sim
    sim.close()


@pytest.fixture
def stripe_client(sandbox):
    """The real SDK, straight to localstripe: what Stripe recorded."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": sandbox.url}, max_network_retries=0)


def payment_intents(client):
    return client.v1.payment_intents.list(params={"limit": 100}).data


@pytest.fixture
def dispose_engines():
    """Close the killed containers' connection pools (the database is shared)."""
    containers = []
    yield containers
    for container in containers:
        for dep in container.dependencies:
            if isinstance(dep, Database) and dep.engine is not None:
                dep.engine.dispose()


@pytest.fixture
def platform(dispose_engines, start_service, container_factory, proxy, terminal_sim, rabbit_config):
    """inventory (real) + payments + fake crm and workorders, stores known."""
    FakeCrm.reset()
    FakeWorkorders.reset()
    # nameko's config is one global: read each container's URL right after its start
    inventory = start_service(Inventory, DB_POOL_SIZE=4)
    idb = Db(inventory.database_url)
    payments = start_service(Payments, STRIPE_API_KEY=API_KEY, STRIPE_API_BASE=terminal_sim.url,
                             STRIPE_TIMEOUT=2, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                             DB_POOL_SIZE=4)
    dispose_engines += [inventory, payments]
    pdb = Db(payments.database_url)
    for fake in (FakeCrm, FakeWorkorders):
        container_factory(fake).start()     # no config of their own: they keep payments'
    dispatch = event_dispatcher()
    for facts in STORES:
        dispatch("gateway", "store.created", store_event(*facts))
    wait_for(lambda: pdb.scalar("select count(*) from stores") == 3
             and idb.scalar("select count(*) from stores") == 3, message="stores recorded")
    payments.db_handle, payments.inventory_db = pdb, idb
    payments.proxy = proxy
    payments.terminal = terminal_sim
    yield payments
    pdb.engine.dispose()
    idb.engine.dispose()


@pytest.fixture
def db(platform):
    return platform.db_handle


@pytest.fixture
def idb(platform):
    return platform.inventory_db


@pytest.fixture
def as_(rpc_client):
    """``as_(identity).payments.method(...)``"""
    return lambda identity=HQ: rpc_client(identity)


@pytest.fixture
def receive(as_):
    """Receive pieces into inventory; returns their ids."""
    def make(n=1, store_id=STORE_A, price=450000, currency="USD"):
        hq = as_()
        return [hq.inventory.receive_item(piece(store_id, price, currency))["id"] for _ in range(n)]
    return make


@pytest.fixture
def domain(platform, rabbit_config):
    """A payments ``Context`` for calling the domain functions directly (the
    saga with a crash hook, the sweeper), on the same databases, Stripe and
    neighbours as the running service."""
    engines, clients = [], []

    def make(identity=HQ, hooks=None, **settings):
        engine = make_engine(platform.database_url, pool_size=2)
        engines.append(engine)
        client = ClusterRpcClient(context_data=identity.to_context(), timeout=10)
        clients.append(client)
        rpc = client.start()
        port = StripePort(API_KEY, platform.terminal.url, timeout=2, webhook_secret=WEBHOOK_SECRET)
        return Context(db=ChassisDb(engine, "payments", identity), identity=identity, stripe=port,
                       inventory=rpc.inventory, crm=rpc.crm, workorders=rpc.workorders,
                       settings=Settings(**settings), hooks=hooks or {})

    yield make
    for client in clients:
        client.stop()
    for engine in engines:
        engine.dispose()


def new_key():
    return str(uuid.uuid4())
