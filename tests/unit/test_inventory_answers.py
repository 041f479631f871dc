"""Every inventory operation the console calls declares what it answers
(gateway/inventory_schemas.py): the console's API types come from the
OpenAPI document, and an operation without a success body is untyped there."""
import pytest

from gateway.openapi import build
from gateway.service import Service

OPERATIONS = [
    ("get", "/availability"), ("post", "/items/{id}/reservations"), ("delete", "/reservations/{id}"),
    ("get", "/holds"), ("get", "/memos"), ("post", "/memos"), ("post", "/memos/{id}/return"),
    ("get", "/price-changes"), ("post", "/price-changes/{id}/confirm"),
    ("post", "/price-changes/{id}/reject"), ("get", "/stock-counts"), ("post", "/stock-counts"),
    ("get", "/stock-counts/{id}"), ("post", "/stock-counts/{id}/close"),
    ("post", "/stock-counts/{id}/scans"), ("get", "/transfer-requests"),
    ("post", "/transfer-requests"), ("post", "/transfer-requests/{id}/decline"),
    ("get", "/transfers"), ("post", "/transfers"), ("post", "/transfers/{id}/receive"),
    ("get", "/vendors"), ("post", "/vendors"), ("patch", "/vendors/{id}"),
    ("post", "/metal-prices"), ("post", "/work-orders/{id}/deposits"),
]


@pytest.fixture(scope="module")
def spec():
    return build(Service)


def _resolve(spec, schema):
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


@pytest.mark.parametrize("method,path", OPERATIONS)
def test_the_operation_declares_its_answer(spec, method, path):
    answers = spec["paths"][path][method]["responses"]
    ok = [a for code, a in answers.items() if code.startswith("2")]
    assert ok and "content" in ok[0], f"{method.upper()} {path} declares no success body"
    body = _resolve(spec, ok[0]["content"]["application/json"]["schema"])
    assert body.get("properties"), f"{method.upper()} {path} answers an untyped object"


def test_times_are_date_times_and_money_is_the_money_schema(spec):
    schemas = spec["components"]["schemas"]
    for name in ("Reservation", "Transfer", "StockCount", "Memo", "Vendor", "PriceChange",
                 "TransferRequestView", "Hold"):
        for field, prop in schemas[name]["properties"].items():
            if field.endswith("_at"):
                assert prop.get("format") == "date-time", (name, field)
    assert "Money" in str(schemas["Hold"]["properties"]["price"])
    assert "Money" in str(schemas["StockCount"]["properties"]["shrinkage"])
