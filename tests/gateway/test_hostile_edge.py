"""The gateway's screen for hostile input (``gateway.screening``), strictly
typed cursors (``chassis.pagination``) and the headers every answer carries."""
import base64
import json
import uuid
from datetime import date, datetime, timezone

import pytest
from werkzeug.wrappers import Response

from chassis.errors import InvalidInput
from chassis.pagination import decode_cursor, decode_time_cursor, encode_cursor
from gateway import screening
from gateway.http import Reply, Route, problem


def cursor(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# --- the screen -----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    b"[" * 5000 + b"]" * 5000, b'{"a":' * 65 + b"1" + b"}" * 65, b'{"x": NaN}', b'{"x": Infinity}'])
def test_deep_or_not_json_bodies_are_a_400(raw):
    with pytest.raises(screening.BadRequest):
        screening.parse_json(raw)


def test_nesting_up_to_the_limit_and_brackets_in_strings_pass():
    assert screening.parse_json(b'{"a":' * 63 + b"1" + b"}" * 63)
    assert screening.parse_json(json.dumps({"note": "[" * 500}).encode()) == {"note": "[" * 500}


@pytest.mark.parametrize("body,field", [
    ({"name": "a\x00b"}, "name"), ({"name": "\ud800"}, "name"), ({"a": {"b": ["\udfffx"]}}, "a.b.0"),
    ({"price": {"amount": 2 ** 63}}, "price.amount"), ({"x": -(2 ** 63) - 1}, "x"),
    ({"at": "9999-12-31T23:30Z"}, "at"), ({"on": "0001-01-01"}, "on"), ({"k\x00": 1}, "k\x00"),
])
def test_what_no_route_accepts_is_a_422_naming_the_field(body, field):
    with pytest.raises(InvalidInput) as refused:
        screening.parse_json(json.dumps(body).encode())
    assert field in refused.value.errors


def test_ordinary_values_pass_the_screen():
    body = {"amount": 2 ** 63 - 1, "low": -(2 ** 63), "on": "2026-12-31", "at": "9998-01-01T00:00Z",
            "note": "Année 9999-12-31 was a joke", "flag": True, "ratio": 1.5, "name": "Zoë ✓"}
    assert screening.parse_json(json.dumps(body).encode()) == body


# --- cursors -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("values,types", [
    (["x", "y"], (str, uuid.UUID)), ([1, 2], (str, uuid.UUID)), (["2026-01-01", "x"], (date, uuid.UUID)),
    ([None, str(uuid.uuid4())], (str, uuid.UUID)), (["x"], (int,)), ([2 ** 64], (int,)),
    ([True], (int,)), (["2026-01-01T00:00:00"], (datetime,)), (["a\x00", str(uuid.uuid4())], (str, uuid.UUID)),
])
def test_a_cursor_of_the_wrong_types_is_a_422_on_cursor(values, types):
    with pytest.raises(InvalidInput) as refused:
        decode_cursor(cursor(values), types=types)
    assert "cursor" in refused.value.errors


def test_a_cursor_of_the_right_types_comes_back_typed():
    row = str(uuid.uuid4())
    assert decode_cursor(encode_cursor(["Ann", row.upper()]), types=(str, uuid.UUID)) == ["Ann", row]
    assert decode_cursor(encode_cursor(["2026-05-01", row]), types=(date, uuid.UUID)) == [date(2026, 5, 1), row]
    at = datetime(2026, 5, 1, 9, tzinfo=timezone.utc)
    assert decode_time_cursor(encode_cursor([at.isoformat(), row])) == (at, row)
    assert decode_cursor(encode_cursor([None, 7]), types=((date, type(None)), int)) == [None, 7]
    with pytest.raises(InvalidInput):
        decode_time_cursor(encode_cursor([at.isoformat(), 5]))


# --- headers -------------------------------------------------------------------------------------------

def test_every_answer_is_not_sniffed_and_api_answers_are_not_stored():
    answer = screening.secure(problem(404, "Not found"))
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"] == "no-store"
    pdf = screening.secure(Response(b"%PDF", mimetype="application/pdf",
                                    headers={"Cache-Control": "private, no-store"}))
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    assert pdf.headers["Cache-Control"] == "private, no-store"


def test_an_html_page_without_a_policy_gets_one_and_one_with_a_policy_keeps_it():
    receipt = Route("GET", "/sales/{id}/receipt.html").response_from_result(
        Reply("<html><body>receipt</body></html>", content_type="text/html"))
    policy = screening.secure(receipt).headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    own = screening.secure(Response("<html>", mimetype="text/html",
                                    headers={"Content-Security-Policy": "default-src 'self'"}))
    assert own.headers["Content-Security-Policy"] == "default-src 'self'"


def test_every_503_says_when_to_retry():
    assert screening.secure(problem(503, "Service unavailable")).headers["Retry-After"] == "5"
    assert "Retry-After" not in screening.secure(problem(500, "Internal error")).headers


# --- over HTTP ------------------------------------------------------------------------------------------

def test_hostile_requests_are_problems_with_the_headers(admin):
    for path in (f"/audit?cursor={cursor(['x'])}", f"/stores?cursor={cursor([1])}",
                 "/stores?limit=99999999999999999999", "/audit?since=9999-12-31T23:30Z",
                 "/audit?method=P%00ST"):
        reply = admin.get(path)
        assert reply.status_code == 422, (path, reply.text)
        assert reply.headers["Content-Type"] == "application/problem+json"
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Cache-Control"] == "no-store"
    deep = admin.request("POST", "/stores", data=b"[" * 5000 + b"]" * 5000,
                         headers={"Content-Type": "application/json"})
    assert deep.status_code == 400, deep.text
    surrogate = admin.request("POST", "/stores", data=b'{"code": "\\ud800"}',
                              headers={"Content-Type": "application/json"})
    assert surrogate.status_code == 422 and "code" in surrogate.json()["errors"]
    assert admin.get("/stores").json()["items"] == []


def test_a_stopped_service_is_a_503_with_retry_after(inventory, admin):
    inventory.stop()
    reply = admin.get(f"/items/{uuid.uuid4()}")
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    assert reply.headers["Cache-Control"] == "no-store"
