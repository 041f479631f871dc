"""The workorders service on its real database and a real broker. Stores and
clients arrive as the gateway's and crm's events; deposits as payments'."""
import importlib.util
import io
import os
import re
import uuid
from datetime import date, timedelta

import pytest
from nameko.standalone.events import event_dispatcher

import contracts
from chassis.components import migrations_dir
from chassis.db import Db as ChassisDb
from chassis.identity import Identity
from services.workorders.service import Service as Workorders
from tests.conftest import wait_for
from tests.support.sqldb import SqlDb

STORE_A = "0a000000-0000-4000-8000-00000000000a"
STORE_B = "0b000000-0000-4000-8000-00000000000b"
STORE_GB = "0c000000-0000-4000-8000-00000000000c"
CLIENT = "c1000000-0000-4000-8000-000000000001"
OTHER_CLIENT = "c2000000-0000-4000-8000-000000000002"
UNKNOWN = "4b3c2a10-0000-4000-8000-000000000000"

HQ = Identity(user_id="u-hq", role="hq_admin", username="hq")
MANAGER_A = Identity(user_id="u-mgr-a", role="store_manager", store_ids=(STORE_A,), store_id=STORE_A)
ASSOCIATE_A = Identity(user_id="u-sa-a", role="sales_associate", store_ids=(STORE_A,), store_id=STORE_A)
JEWELER_A = Identity(user_id="u-bj-a", role="bench_jeweler", store_ids=(STORE_A,), store_id=STORE_A,
                     username="jo.bench")
JEWELER_B = Identity(user_id="u-bj-b", role="bench_jeweler", store_ids=(STORE_B,), store_id=STORE_B)
MANAGER_B = Identity(user_id="u-mgr-b", role="store_manager", store_ids=(STORE_B,), store_id=STORE_B)
AUDITOR = Identity(user_id="u-aud", role="auditor")

PHOTO_MAX_BYTES = 200_000
STORES = ((STORE_A, "NYC", "USD", "America/New_York", "+1 212 555 0100"),
          (STORE_B, "MIA", "USD", "America/New_York", "+1 305 555 0100"),
          (STORE_GB, "LON", "GBP", "Europe/London", "+44 20 7946 0000"))


def new_id():
    return str(uuid.uuid4())


def _migration():
    path = os.path.join(migrations_dir("workorders"), "versions", "0002_work_orders.py")
    spec = importlib.util.spec_from_file_location("workorders_0002", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PRICE_LIST = _migration().PRICE_LIST


def image(kind="PNG", size=(24, 16), color=(200, 160, 40)):
    """A small real image file's bytes."""
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format=kind)
    return buf.getvalue()


def b64(data):
    import base64
    return base64.b64encode(data).decode()


def job(store_id=STORE_A, client_id=CLIENT, **over):
    data = {
        "store_id": store_id, "client_id": client_id, "kind": "repair",
        "item_description": "18K white gold solitaire ring, size 6",
        "intake": {"condition_notes": "Worn prongs, small chip on girdle",
                   "photos": [{"content_base64": b64(image()), "caption": "top view"}]},
        "tasks": [{"code": "prong_retip", "quantity": 4}, {"code": "polish"}],
        "promised_date": (date.today() + timedelta(days=7)).isoformat(),
        "rush": False,
    }
    data.update(over)
    return data


def store_event(store_id, code, currency, tz, phone, event_type="store.created", **more):
    """The gateway's event of a store; ``more``: other facts (``country="DE"``)."""
    return contracts.build_envelope(event_type, {
        "id": store_id, "code": code, "name": f"{code} boutique", "currency": currency,
        "timezone": tz, "tax_rate_bps": 887, "phone": phone, "address": f"1 Main St, {code}",
        **more,
    }, producer="gateway")


def client_event(client_id, first, last, phone, event_type="client.created"):
    return contracts.build_envelope(event_type, {
        "client_id": client_id, "first_name": first, "last_name": last, "phone": phone,
        "email": f"{first.lower()}@example.com", "home_store_id": STORE_A,
    }, producer="crm")


def code128_in(pdf):
    """The text of the first Code 128 barcode drawn in an uncompressed PDF,
    read back from its bars (checksum verified)."""
    from reportlab.graphics.barcode.code128 import _patterns
    block = re.search(rb"q\n1 0 0 1 [-\d.]+ [-\d.]+ cm\n((?:n [-\d.]+ 0 [\d.]+ [\d.]+ re f\*\n)+)Q", pdf)
    assert block, "no barcode drawn"
    bars = [(float(parts[1]), float(parts[3]))
            for parts in (line.split() for line in block.group(1).splitlines())]
    module = min(w for _, w in bars)
    widths, end = [], None
    for x, w in bars:
        if end is not None:
            widths.append(round((x - end) / module))
        widths.append(round(w / module))
        end = x + w
    table = {tuple("ABCDabcd".index(c) % 4 + 1 for c in p): v for v, p in _patterns.items()}
    values = [table[tuple(widths[i:i + 6])] for i in range(0, len(widths) - 7, 6)]
    start, *data, check = values
    assert (start + sum(i * v for i, v in enumerate(data, 1))) % 103 == check, "bad checksum"
    code, text = {103: "A", 104: "B", 105: "C"}[start], ""
    for v in data:
        if code == "C":
            if v < 100:
                text += f"{v:02d}"
            else:
                code = {100: "B", 101: "A"}[v]
        elif v == 99:
            code = "C"
        elif (code, v) in (("A", 100), ("B", 101)):
            code = {100: "B", 101: "A"}[v]
        else:
            text += chr(v + 32) if code == "B" or v < 64 else chr(v - 64)
    return text


_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _pdf_string(raw):
    """A PDF literal string's bytes, its escapes undone (``\\(``, ``\\245``...)."""
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i:i + 1] != b"\\":
            out += raw[i:i + 1]
            i += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
        if octal:
            out.append(int(octal.group(), 8) & 0xFF)
            i += 1 + len(octal.group())
        else:
            out += _ESCAPES.get(raw[i + 1:i + 2], raw[i + 1:i + 2])
            i += 2
    return bytes(out)


def pdf_strings(pdf):
    """Every string drawn on the pages of an uncompressed PDF, as a person
    reads it: ReportLab's standard fonts draw cp1252 (WinAnsi) text."""
    return [_pdf_string(raw).decode("cp1252")
            for raw in re.findall(rb"\(((?:[^()\\]|\\.)*)\) Tj", pdf, re.DOTALL)]


class Db(SqlDb):
    events = SqlDb.envelopes

    def counts(self):
        """What a refused request must leave untouched."""
        return {t: self.scalar(f"select count(*) from {t}") for t in (
            "work_orders", "work_order_tasks", "work_order_photos", "work_order_history",
            "appraisals", "outbox", "job_counters")}

    def transaction(self):
        """A transaction like a worker's (outbox included), for domain calls."""
        return ChassisDb(self.engine, producer="workorders", identity=Identity.system()).transaction()


@pytest.fixture
def photo_dir(tmp_path):
    path = tmp_path / "photos"
    path.mkdir()
    return path


@pytest.fixture
def storage_settings(photo_dir):
    """Where the services keep photos: a local folder here; a test module
    overrides it with an S3-compatible server (tests/storage/s3server.py)."""
    return {"STORAGE_BACKEND": "local", "STORAGE_DIR": str(photo_dir)}


def files_in(directory):
    return sorted(p for p in directory.rglob("*") if p.is_file())


@pytest.fixture
def photo_max_bytes():
    """PHOTO_MAX_BYTES of the services a test starts (one config per process)."""
    return PHOTO_MAX_BYTES


@pytest.fixture
def workorders(start_service, rabbit_config, storage_settings, photo_max_bytes):
    container = start_service(Workorders, PHOTO_MAX_BYTES=photo_max_bytes, **storage_settings)
    db = Db(container.database_url)
    for code, name, unit, cents in PRICE_LIST:   # the fixtures empty every table
        db.execute("insert into repair_prices (code, currency, name, unit, price_amount) "
                   "values (:c, 'USD', :n, :u, :p)", c=code, n=name, u=unit, p=cents)
    dispatch = event_dispatcher()
    for facts in STORES:
        dispatch("gateway", "store.created", store_event(*facts))
    dispatch("crm", "client.created", client_event(CLIENT, "Ada", "Lovelace", "+12125550123"))
    dispatch("crm", "client.created", client_event(OTHER_CLIENT, "Grace", "Hopper", "+12125550999"))
    wait_for(lambda: db.scalar("select count(*) from stores") == 3
             and db.scalar("select count(*) from clients") == 2, message="stores and clients known")
    container.db_handle = db
    container.dispatch = dispatch
    yield container
    db.engine.dispose()


@pytest.fixture
def db(workorders):
    return workorders.db_handle


@pytest.fixture
def as_(rpc_client):
    """``as_(identity).workorders.method(...)``"""
    return lambda identity=HQ: rpc_client(identity)


__all__ = ["wait_for", "new_id"]
