"""The crm service on its real database and a real broker; inventory (a
neighbour) is replaced with ``replace_dependencies``."""
import uuid
from datetime import datetime, timezone

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import replace_dependencies

import contracts
from chassis.db import Db as ChassisDb
from chassis.identity import Identity
from services.crm.rules import Settings
from services.crm.service import Service as Crm
from tests.conftest import wait_for
from tests.support.sqldb import SqlDb

STORE_A = "0a000000-0000-4000-8000-00000000000a"
STORE_B = "0b000000-0000-4000-8000-00000000000b"
STORE_GB = "0c000000-0000-4000-8000-00000000000c"

HQ = Identity(user_id="u-hq", role="hq_admin", username="hq")
MANAGER_A = Identity(user_id="u-mgr-a", role="store_manager", store_ids=(STORE_A,), store_id=STORE_A)
ASSOCIATE_A = Identity(user_id="u-sa-a", role="sales_associate", store_ids=(STORE_A,), store_id=STORE_A)
ASSOCIATE_B = Identity(user_id="u-sa-b", role="sales_associate", store_ids=(STORE_B,), store_id=STORE_B)
MANAGER_B = Identity(user_id="u-mgr-b", role="store_manager", store_ids=(STORE_B,), store_id=STORE_B)
JEWELER_A = Identity(user_id="u-bj-a", role="bench_jeweler", store_ids=(STORE_A,), store_id=STORE_A)
AUDITOR = Identity(user_id="u-aud", role="auditor")

# small thresholds so a test reaches each tier with a few sales
TIERS = {"CRM_TIER_LOYAL_SPEND": 100_000, "CRM_TIER_VIP_SPEND": 500_000,
         "CRM_POINTS_PER_UNIT": 1}
SETTINGS = Settings(loyal_spend=100_000, vip_spend=500_000)


def new_id():
    return str(uuid.uuid4())


def store_event(store_id, code, currency="USD", tz="America/New_York", country="US"):
    return contracts.build_envelope("store.created", {
        "id": store_id, "code": code, "name": f"{code} store", "currency": currency,
        "timezone": tz, "tax_rate_bps": 887, "country": country,
    }, producer="gateway")


def client_data(**over):
    data = {"first_name": "Grace", "last_name": "Hopper", "phone": "(212) 555-0123",
            "email": "Grace.Hopper@Example.com", "home_store_id": STORE_A,
            "consent": {"sms": True, "email": False, "source": "counter"},
            "ring_size": "6.5",
            "preferences": {"metals": ["white gold", "platinum"], "stones": ["sapphire"],
                            "designers": ["House"]},
            "milestones": [{"kind": "birthday", "date": "1960-12-09"},
                           {"kind": "custom", "label": "First visit", "date": "--05-01"}],
            "notes": "Prefers afternoon visits.", "tags": ["vip-prospect"]}
    data.update(over)
    return data


class Db(SqlDb):
    events = SqlDb.envelopes

    def domain(self, identity=None):
        """A chassis Db on the test database, to call domain functions directly."""
        return ChassisDb(self.engine, producer="crm", identity=identity or Identity.system())


@pytest.fixture
def crm(container_factory, database, service_config, rabbit_config):
    url = database("crm")
    container = container_factory(Crm, service_config("crm", url, **TIERS))
    container.inventory_mock = replace_dependencies(container, "inventory")
    container.start()
    dispatch = event_dispatcher()
    for sid, code, cur, tz, country in ((STORE_A, "NYC", "USD", "America/New_York", "US"),
                                        (STORE_B, "MIA", "USD", "America/New_York", "US"),
                                        (STORE_GB, "LON", "GBP", "Europe/London", "GB")):
        dispatch("gateway", "store.created", store_event(sid, code, cur, tz, country))
    db = Db(url)
    wait_for(lambda: db.scalar("select count(*) from stores") == 3, message="stores recorded")
    container.db_handle = db
    yield container
    db.engine.dispose()


@pytest.fixture
def db(crm):
    return crm.db_handle


@pytest.fixture
def as_(rpc_client):
    """``as_(identity).crm.method(...)``"""
    return lambda identity=HQ: rpc_client(identity)


@pytest.fixture
def publish(rabbit_config):
    """``publish(producer, event_type, payload)``: a contract-checked event."""
    dispatch = event_dispatcher()

    def send(producer, event_type, payload, envelope=None, **kw):
        envelope = envelope or contracts.build_envelope(event_type, payload, producer=producer, **kw)
        dispatch(producer, event_type, envelope)
        return envelope
    return send


def consumed(db, envelope, timeout=10):
    """Wait until the crm applied ``envelope`` (its inbox row is committed)."""
    wait_for(lambda: db.scalar("select count(*) from inbox where event_id = :e",
                               e=envelope["event_id"]) >= 1,
             timeout=timeout, message=f"{envelope['event_type']} consumed")


def money(amount, currency="USD"):
    return {"amount": amount, "currency": currency}


def sale_payload(client_id, total, store_id=STORE_A, sale_id=None, lines=None, tenders=None,
                 currency="USD", completed_at=None, **over):
    sale_id = sale_id or new_id()
    lines = lines or [{"kind": "item", "item_id": new_id(), "description": "Ring",
                       "amount": money(total, currency), "category": "ring",
                       "metal_type": "platinum"}]
    payload = {
        "sale_id": sale_id, "store_id": store_id, "client_id": client_id,
        "associate_id": "u-sa-a", "receipt_number": f"R-{sale_id[:6]}", "lines": lines,
        "tenders": tenders or [{"method": "card", "amount": money(total, currency)}],
        "subtotal": money(total, currency), "tax": money(0, currency),
        "total": money(total, currency),
        "completed_at": completed_at or datetime.now(timezone.utc).isoformat(),
    }
    payload.update(over)
    return payload
