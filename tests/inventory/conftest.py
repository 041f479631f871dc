import re
import uuid

import pytest
from nameko.standalone.events import event_dispatcher

import contracts
from chassis.identity import Identity
from services.inventory.service import Service as Inventory
from tests.conftest import wait_for
from tests.support.sqldb import SqlDb

STORE_A = "0a000000-0000-4000-8000-00000000000a"
STORE_B = "0b000000-0000-4000-8000-00000000000b"
STORE_GB = "0c000000-0000-4000-8000-00000000000c"

HQ = Identity(user_id="u-hq", role="hq_admin", username="hq")
MANAGER_A = Identity(user_id="u-mgr-a", role="store_manager", store_ids=(STORE_A,), store_id=STORE_A)
ASSOCIATE_A = Identity(user_id="u-sa-a", role="sales_associate", store_ids=(STORE_A,), store_id=STORE_A)
MANAGER_B = Identity(user_id="u-mgr-b", role="store_manager", store_ids=(STORE_B,), store_id=STORE_B)
AUDITOR = Identity(user_id="u-aud", role="auditor")


def store_event(store_id, code, currency="USD", tz="America/New_York", country=None,
                event_type="store.created"):
    facts = {"id": store_id, "code": code, "name": f"{code} store", "currency": currency,
             "timezone": tz, "tax_rate_bps": 887}
    if country:
        facts["country"] = country
    return contracts.build_envelope(event_type, facts, producer="gateway")


def piece(store_id=STORE_A, currency="USD", **over):
    data = {
        "store_id": store_id, "category": "ring", "description": "Solitaire engagement ring",
        "metal": {"type": "gold", "karat": 18, "color": "white", "weight_g": "3.250"},
        "stones": [{"type": "diamond", "shape": "round", "carat": "1.010", "color": "F",
                    "clarity": "VS1", "cut": "excellent",
                    "certificate": {"lab": "GIA", "number": uuid.uuid4().hex[:10]}}],
        "cost": {"amount": 150000, "currency": currency},
        "price": {"amount": 450000, "currency": currency}, "ownership": "owned",
    }
    data.update(over)
    return data


Db = SqlDb


@pytest.fixture
def inventory(start_service, rabbit_config):
    yield from start_inventory(start_service)


def start_inventory(start_service, **config):
    """The inventory service on its test database, the three stores known."""
    container = start_service(Inventory, **config)
    dispatch = event_dispatcher()
    for sid, code, cur, tz in ((STORE_A, "NYC", "USD", "America/New_York"),
                               (STORE_B, "MIA", "USD", "America/New_York"),
                               (STORE_GB, "LON", "GBP", "Europe/London")):
        dispatch("gateway", "store.created", store_event(sid, code, cur, tz))
    db = Db(container.database_url)
    wait_for(lambda: db.scalar("select count(*) from stores") == 3, message="stores recorded")
    container.db_handle = db
    yield container
    db.engine.dispose()


@pytest.fixture
def db(inventory):
    return inventory.db_handle


@pytest.fixture
def as_(rpc_client):
    """``as_(identity).inventory.method(...)``"""
    return lambda identity=HQ: rpc_client(identity)


_PDF_STRING = re.compile(rb"\(((?:[^()\\]|\\.)*)\) Tj")
_PDF_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.S)
_PDF_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(match):
    code = match.group(1)
    if code[:1].isdigit():
        return bytes([int(code, 8)])
    return _PDF_ESCAPES.get(code, code)


def pdf_texts(pdf):
    """The strings an uncompressed PDF (``pageCompression=0``) draws, in
    order, as a person reads them: PDF escapes undone, WinAnsi (cp1252)
    decoded, as ReportLab's standard fonts write them."""
    return [_PDF_ESCAPE.sub(_unescape, raw).decode("cp1252") for raw in _PDF_STRING.findall(pdf)]
