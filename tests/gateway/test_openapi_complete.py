"""The OpenAPI document is one a client generator (openapi-typescript,
openapi-python-client) types without guessing: every operation says what it
answers, answers list their ``required`` fields, times are date-times, and
nothing is spelt in a form generators read as an untyped object or as a
field a caller must send. Built from the route table, as the fuzzing does
(tests/security/test_fuzz.py): no chain needed."""
import json

from gateway.openapi import build
from gateway.service import Service

REFS = "#/components/schemas/"
DOCUMENT = json.loads(json.dumps(build(Service), default=str))
SCHEMAS = DOCUMENT["components"]["schemas"]
OPERATIONS = [(f"{method.upper()} {path}", operation)
              for path, methods in DOCUMENT["paths"].items() for method, operation in methods.items()]


def _nodes(node, where=""):
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _nodes(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _nodes(value, f"{where}/{i}")


def _reached(node, found=None):
    found = set() if found is None else found
    for _, n in _nodes(node):
        ref = n.get("$ref", "")
        if ref.startswith(REFS) and ref[len(REFS):] not in found:
            found.add(ref[len(REFS):])
            _reached(SCHEMAS[ref[len(REFS):]], found)
    return found


def _successes(operation):
    return {code: answer for code, answer in operation["responses"].items() if code.startswith("2")}


def _answered_schemas():
    found = set()
    for _, operation in OPERATIONS:
        _reached(_successes(operation), found)
    return found


def test_every_operation_declares_what_it_answers():
    bare = [label for label, operation in OPERATIONS
            if not any(code == "204" or answer.get("content") for code, answer in _successes(operation).items())]
    assert bare == []


def test_the_non_json_answers_declare_their_content():
    content = {label: set(answer.get("content", {})) for label, operation in OPERATIONS
               for answer in _successes(operation).values()}
    for label, kinds in content.items():
        if label.endswith(".pdf"):
            assert kinds == {"application/pdf"}, label
        elif label.endswith(".csv"):
            assert kinds == {"text/csv"}, label
        elif label.endswith(".html") or label == "GET /docs":
            assert kinds == {"text/html"}, label
        elif label.endswith(".escpos"):
            assert kinds == {"application/vnd.escpos"}, label
        elif label.endswith(".zpl"):
            assert kinds == {"application/vnd.zebra-zpl"}, label
    assert content["GET /openapi.json"] == {"application/json"}
    for label in ("GET /sales/{id}/receipt.escpos", "GET /items/{id}/label.zpl", "GET /labels.zpl"):
        assert label in content, label
    assert content["GET /work-orders/{id}/photos/{photo_id}"] >= {"image/jpeg", "image/png"}
    assert content["GET /track/{tracking_token}"] == {"application/json", "text/html"}
    assert "text/xml" in content["POST /webhooks/twilio/inbound"]
    for label in ("POST /webhooks/stripe", "POST /webhooks/twilio/status"):
        assert "application/json" in content[label], label


def test_every_answered_schema_lists_its_required_fields():
    answered = _answered_schemas()
    assert len(answered) > 30
    without = [name for name in sorted(answered)
               if SCHEMAS[name].get("properties") and not SCHEMAS[name].get("required")]
    assert without == []
    assert set(SCHEMAS["Store"]["required"]) == set(SCHEMAS["Store"]["properties"])
    assert "x-optional" not in json.dumps(DOCUMENT)


def test_a_schema_both_sent_and_answered_keeps_its_request_form():
    """``Metal`` is sent (receiving a piece) and answered (the piece): a
    caller need not send its optional fields; an answer carries them all."""
    assert set(SCHEMAS["Metal"]["required"]) < set(SCHEMAS["Metal"]["properties"])
    assert set(SCHEMAS["MetalReply"]["required"]) == set(SCHEMAS["Metal"]["properties"])
    assert "Metal" not in _answered_schemas()


def test_times_are_date_times():
    untyped = [f"{name}.{key}" for name, schema in SCHEMAS.items()
               for key, prop in schema.get("properties", {}).items()
               if key.endswith("_at") and prop.get("format") != "date-time"]
    assert untyped == []


def _resolved(schema):
    ref = schema.get("$ref", "") or (schema.get("allOf") or [{}])[0].get("$ref", "")
    return SCHEMAS[ref[len(REFS):]] if ref.startswith(REFS) else schema


def test_query_parameters_are_typed_and_their_enums_hold_no_null():
    found = []
    for label, operation in OPERATIONS:
        for parameter in operation.get("parameters", []):
            schema = _resolved(parameter["schema"])
            if parameter["in"] == "query" and (None in schema.get("enum", []) or "type" not in schema):
                found.append(f"{label} {parameter['name']}: {schema}")
    assert found == []


def test_an_enum_used_in_several_places_is_one_named_schema():
    """One type in a generated client, not one per place (a piece's status,
    and the status filter of two lists)."""
    items = [p for p in DOCUMENT["paths"]["/items"]["get"]["parameters"] if p["name"] == "status"]
    assert items[0]["schema"] == {"$ref": REFS + "ItemStatus"}
    assert SCHEMAS["Item"]["properties"]["status"] == {"$ref": REFS + "ItemStatus"}
    assert "missing" in SCHEMAS["ItemStatus"]["enum"]
    enums = [tuple(node["enum"]) for _, node in _nodes(DOCUMENT)
             if isinstance(node.get("enum"), list) and node.get("type") == "string"]
    assert [values for values in set(enums) if enums.count(values) > 1] == []


def test_no_default_null_and_no_untyped_nullable_reference():
    """``default: null`` makes TypeScript require an optional field;
    ``anyOf: [X, {type: object, nullable: true}]`` reads as an untyped object."""
    defaults = [where for where, node in _nodes(DOCUMENT) if "default" in node and node["default"] is None]
    assert defaults == []
    bad = [where for where, node in _nodes(DOCUMENT)
           if any(isinstance(option, dict) and option.get("type") == "object" and option.get("nullable")
                  and "properties" not in option for option in node.get("anyOf", []))]
    assert bad == []
    metal = SCHEMAS["Item"]["properties"]["metal"]
    assert metal == {"allOf": [{"$ref": REFS + "MetalReply"}], "nullable": True}


def test_the_store_code_pattern_takes_the_lowercase_codes_the_server_takes():
    import re
    pattern = SCHEMAS["StoreCreate"]["properties"]["code"]["pattern"]
    assert re.match(pattern, "nyc") and re.match(pattern, "NYC-2")


# what moves money or stock and may be retried by a terminal that lost the answer
MOVES_MONEY_OR_STOCK = (
    "POST /sales", "POST /layaways", "POST /layaways/{id}/payments", "POST /layaways/{id}/cancel",
    "POST /drawers/{id}/movements", "POST /drawers/{id}/close", "POST /transfers/{id}/receive",
    "POST /stock-counts/{id}/scans", "POST /work-orders/{id}/estimate",
    "POST /sales/{id}/cancel-wait",
)


def test_every_change_that_moves_money_or_stock_takes_an_idempotency_key():
    operations = dict(OPERATIONS)
    for name in MOVES_MONEY_OR_STOCK:
        headers = [p["name"] for p in operations[name].get("parameters", []) if p.get("in") == "header"]
        assert "Idempotency-Key" in headers, name


def test_a_sale_still_in_flight_is_a_documented_202_with_retry_after():
    [operation] = [op for label, op in OPERATIONS if label == "POST /sales"]
    accepted = operation["responses"]["202"]
    assert "Retry-After" in accepted["headers"] and "application/json" in accepted["content"]
    assert accepted["content"] == operation["responses"]["201"]["content"]
