"""One trace from a gateway request through RPC, the outbox and another
service's event handler (docs/ARCHITECTURE.md#rule-10), with the in-memory exporter."""
import uuid

import pytest
import requests
from nameko.testing.utils import find_free_port
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from chassis.telemetry import setup_tracing
from gateway.create_admin import create_first_admin
from gateway.service import Service as Gateway
from services.crm.service import Service as Crm
from services.inventory.service import Service as Inventory
from tests.conftest import wait_for
from tests.gateway.conftest import ADMIN, AUDIENCE, ISSUER, SECRET, Api, piece
from tests.inventory.conftest import Db


@pytest.fixture
def exporter():
    exporter = InMemorySpanExporter()
    setup_tracing("tests", exporter=exporter)
    yield exporter
    exporter.shutdown()


def test_one_trace_from_http_through_rpc_outbox_and_a_handler_elsewhere(
        exporter, start_service):
    inventory = start_service(Inventory)
    start_service(Crm)
    port = find_free_port()
    gateway = start_service(Gateway, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                            JWT_SECRET=SECRET, JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE)
    create_first_admin(gateway.database_url, *ADMIN)
    with requests.Session() as session:
        api = Api(f"http://127.0.0.1:{port}", session)
        admin = api.as_(api.login(*ADMIN))
        store = admin.store("NYC")
        db = Db(inventory.database_url)
        wait_for(lambda: db.scalar("select count(*) from stores") == 1, message="store known")
        item = admin.post("/items", piece(store["id"])).json()
        exporter.clear()
        hold = admin.post(f"/items/{item['id']}/reservations",
                          {"client_id": str(uuid.uuid4()), "hold_hours": 1})
        assert hold.status_code == 201, hold.text
        db.engine.dispose()

    def spans_of_the_request():
        spans = exporter.get_finished_spans()
        http = [s for s in spans if s.name == "POST /items/{id}/reservations"]
        if not http:
            return None
        trace_id = http[0].context.trace_id
        same = [s for s in spans if s.context.trace_id == trace_id]
        handler = [s for s in same if s.name == "crm.on_item_reserved"]
        return same if handler else None

    same = wait_for(spans_of_the_request, timeout=15, message="the handler's span")
    names = {s.name for s in same}
    assert "POST /items/{id}/reservations" in names           # the HTTP request
    assert any(n.startswith("RPC to inventory.hold_item") for n in names)  # the call
    assert "inventory.hold_item" in names                     # the RPC entrypoint
    assert "outbox publish item.reserved" in names            # the relay, after commit
    assert "crm.on_item_reserved" in names                    # another service's handler
    assert len({s.context.trace_id for s in same}) == 1

