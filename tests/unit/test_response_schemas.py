"""Issue 18: the console's API types come from the OpenAPI document, so the
payments, client-book, report and message operations declare what they
answer, with their times as date-times; a layaway in a list is exactly what
its schema says."""
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest

from gateway import openapi, payment_schemas
from gateway.service import Service
from services.payments.layaways import _list_item

DESCRIBED = [
    ("get", "/clients/{id}/history"), ("post", "/clients/{id}/loyalty/adjustments"),
    ("get", "/clients/{id}/store-credit"), ("get", "/compliance/cash-reports"),
    ("get", "/drawers"), ("post", "/drawers"), ("get", "/drawers/{id}"),
    ("post", "/drawers/{id}/close"), ("post", "/drawers/{id}/movements"), ("get", "/fx-rates"),
    ("get", "/gift-cards/{code}"), ("get", "/hq/summary"), ("get", "/layaways"),
    ("post", "/layaways"), ("get", "/layaways/{id}"), ("post", "/layaways/{id}/cancel"),
    ("post", "/layaways/{id}/payments"), ("get", "/message-templates"),
    ("get", "/message-templates/catalog"), ("post", "/message-templates/preview"),
    ("delete", "/message-templates/{id}"), ("get", "/messages"), ("get", "/profile-reads"),
    ("get", "/reports/aging"), ("get", "/reports/commissions"), ("get", "/reports/sales"),
    ("get", "/reports/stock-value"), ("get", "/reports/turnover"), ("get", "/sales"),
    ("post", "/sales/{id}/returns"),
]


@pytest.fixture(scope="module")
def document():
    return openapi.build(Service)


def _success(document, method, path):
    responses = document["paths"][path][method]["responses"]
    return next(r for code, r in responses.items() if code.startswith("2"))


@pytest.mark.parametrize("method,path", DESCRIBED)
def test_the_operation_declares_its_answer(document, method, path):
    assert "schema" in _success(document, method, path).get("content", {}).get(
        "application/json", {}), f"{method.upper()} {path} declares no success body"


def test_their_times_are_date_times_and_sale_lines_are_typed(document):
    schemas = document["components"]["schemas"]
    for name in ("SaleView", "LayawayView", "LayawaySummary", "DrawerView", "CashReportCase",
                 "ClientHistoryEntry", "ProfileRead", "FxRate", "HqSummary", "SalesReport"):
        for field, prop in schemas[name]["properties"].items():
            if field.endswith("_at") or field == "at":
                assert prop.get("format") == "date-time", (name, field)
    assert schemas["SaleView"]["properties"]["lines"]["items"] == {
        "$ref": "#/components/schemas/SaleLineView"}
    assert schemas["SaleView"]["properties"]["tenders"]["items"] == {
        "$ref": "#/components/schemas/TenderView"}


def test_a_listed_layaway_is_exactly_its_schema():
    layaway = SimpleNamespace(
        id="5d0e4bb8-7a43-4c29-9a57-1f3e39c8c7a1", status="active",
        store_id="0a000000-0000-4000-8000-00000000000a",
        client_id="c1000000-0000-4000-8000-000000000001", currency="JPY",
        lines=[{"item_id": "x"}, {"item_id": "y"}], total=300000, paid=100000,
        created_at=datetime(2026, 11, 2, 15, 30, tzinfo=timezone.utc))
    item = _list_item(layaway, (date(2026, 12, 2), 50000))
    assert item["balance"] == {"amount": 200000, "currency": "JPY"}
    assert (item["next_due_date"], item["next_due"], item["item_count"]) == \
        ("2026-12-02", {"amount": 50000, "currency": "JPY"}, 2)
    payment_schemas.LayawaySummary().load(item)          # no field it does not declare
    done = _list_item(SimpleNamespace(**{**vars(layaway), "status": "completed"}), None)
    assert (done["next_due_date"], done["next_due"]) == (None, None)
    payment_schemas.LayawaySummary().load(done)
