"""CORS only for the configured origins (gateway.cors): an allowed origin's
preflight is answered and its answers echo it; any other gets no CORS header."""
from werkzeug.test import Client
from werkzeug.wrappers import Response

from gateway.cors import Middleware, origins

POS = "https://pos.example.com"


def app(environ, start_response):
    if environ["REQUEST_METHOD"] == "OPTIONS":
        return Response("no route", status=405)(environ, start_response)
    return Response('{"ok":true}', mimetype="application/json")(environ, start_response)


def client(configured=POS):
    return Client(Middleware(app, origins(configured)))


def test_an_allowed_origins_preflight_is_answered():
    reply = client().options("/sales", headers={"Origin": POS, "Access-Control-Request-Method": "POST",
                                                "Access-Control-Request-Headers": "authorization"})
    assert reply.status_code == 204
    h = reply.headers
    assert h["Access-Control-Allow-Origin"] == POS and h["Vary"] == "Origin"
    assert "POST" in h["Access-Control-Allow-Methods"]
    for header in ("Authorization", "Content-Type", "Idempotency-Key", "X-Store-Id"):
        assert header in h["Access-Control-Allow-Headers"]
    assert int(h["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in h


def test_an_allowed_origins_answer_echoes_it_never_a_wildcard():
    reply = client(f"{POS}, http://127.0.0.1:5173").get("/items", headers={"Origin": POS})
    assert reply.status_code == 200
    assert reply.headers["Access-Control-Allow-Origin"] == POS
    assert reply.headers["Vary"] == "Origin"


def test_another_origin_gets_no_cors_header():
    c = client()
    preflight = c.options("/sales", headers={"Origin": "https://evil.example",
                                             "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 405
    answer = c.get("/items", headers={"Origin": "https://evil.example"})
    for reply in (preflight, answer):
        assert not [k for k in reply.headers.keys() if k.lower().startswith("access-control-")]
        assert reply.headers["Vary"] == "Origin"
    # an origin differing only by scheme or port is another origin
    assert "Access-Control-Allow-Origin" not in c.get(
        "/items", headers={"Origin": "http://pos.example.com"}).headers


def test_without_configured_origins_nothing_changes():
    reply = client("").options("/sales", headers={"Origin": POS, "Access-Control-Request-Method": "POST"})
    assert reply.status_code == 405
    assert not [k for k in reply.headers.keys() if k.lower().startswith("access-control-")]
    assert "Vary" not in reply.headers
