"""Issue 17, the gateway's edge as configured: the client address behind
TRUSTED_PROXIES, CORS for CORS_ORIGINS only, and the hourly purge of
sign-in failures that no longer count."""
import pytest
from nameko.testing.services import entrypoint_hook
from nameko.testing.utils import find_free_port

from gateway.service import Service as Gateway

from .conftest import AUDIENCE, ISSUER, SECRET

POS = "https://pos.example.com"
FORWARDED = {"X-Forwarded-For": "203.0.113.50, 198.51.100.7"}


@pytest.fixture
def gateway(start_service, request):
    """The gateway with the edge settings of the test's parameter."""
    port = find_free_port()
    container = start_service(Gateway, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}", JWT_SECRET=SECRET,
                              JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE, CORS_ORIGINS=POS,
                              **getattr(request, "param", {}))
    container.base_url = f"http://127.0.0.1:{port}"
    return container


def failed_signin(api):
    reply = api.post("/auth/token", {"username": "nobody", "password": "not-the-password"},
                     headers=FORWARDED)
    assert reply.status_code == 401, reply.text


@pytest.mark.parametrize("gateway", [{"TRUSTED_PROXIES": "127.0.0.0/8"}], indirect=True)
def test_behind_a_trusted_proxy_the_forwarded_client_is_throttled_and_audited(api, db):
    failed_signin(api)
    keys = {row.key for row in db.all("select key from signin_failures")}
    assert keys == {"user:nobody", "addr:198.51.100.7"}
    assert "198.51.100.7" in db.scalar("select detail from audit_log where route = '/auth/token'")


@pytest.mark.parametrize("gateway", [{}, {"TRUSTED_PROXIES": "10.0.0.0/8"}], indirect=True)
def test_an_untrusted_peer_cannot_name_another_client(api, db):
    failed_signin(api)
    keys = {row.key for row in db.all("select key from signin_failures")}
    assert keys == {"user:nobody", "addr:127.0.0.1"}


def test_cors_preflight_and_answers_for_a_configured_origin_only(api):
    asked = {"Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization, idempotency-key, x-store-id"}
    preflight = api.request("OPTIONS", "/sales", headers={"Origin": POS, **asked})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == POS
    assert "Idempotency-Key" in preflight.headers["Access-Control-Allow-Headers"]
    assert preflight.headers["X-Content-Type-Options"] == "nosniff"
    answer = api.get("/health", headers={"Origin": POS})
    assert answer.headers["Access-Control-Allow-Origin"] == POS and answer.headers["Vary"] == "Origin"
    # a route that refuses (401) still tells the browser it may read the refusal
    refused = api.get("/me", headers={"Origin": POS})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == POS

    other = {"Origin": "https://evil.example"}
    preflight = api.request("OPTIONS", "/sales", headers={**other, **asked})
    assert preflight.status_code == 405
    assert preflight.headers["Content-Type"].startswith("application/problem+json")
    for reply in (preflight, api.get("/health", headers=other)):
        assert not [k for k in reply.headers if k.lower().startswith("access-control-")]


def test_the_hourly_purge_forgets_failures_that_no_longer_count(gateway, db):
    with db.engine.begin() as conn:
        conn.exec_driver_sql("""
            insert into signin_failures (key, failures, last_failure_at, locked_until) values
            ('user:old', 3, now() - interval '2 hours', null),
            ('user:old-lock-over', 9, now() - interval '2 hours', now() - interval '1 minute'),
            ('user:recent', 2, now() - interval '1 minute', null),
            ('addr:still-locked', 200, now() - interval '2 hours', now() + interval '1 hour')""")
    with entrypoint_hook(gateway, "purge_signin_failures") as purge:
        purge()
    keys = {row.key for row in db.all("select key from signin_failures")}
    assert keys == {"user:recent", "addr:still-locked"}
