"""The Messages part of docs/API.md#messages over HTTP: the real gateway in front of the
real notifications service, Twilio's webhooks as Twilio sends them (signed
forms), and the real twilio SDK talking to the capture server."""
import uuid

import pytest
import requests
from nameko.testing.utils import find_free_port

from gateway.create_admin import create_first_admin
from gateway.notification_routes import NotificationRoutes
from gateway.service import Service
from tests.conftest import wait_for
from tests.gateway.conftest import ADMIN, AUDIENCE, ISSUER, SECRET, Api, Db

from .conftest import ALICE, ALICE_PHONE, BRUNO, PUBLIC, client_payload, sign

# The gateway's Service registers the routes with ``class Service(NotificationRoutes, ...)``;
# until it does, the test composes the same class.
Gateway = (Service if issubclass(Service, NotificationRoutes)
           else type("Service", (NotificationRoutes, Service), {}))


@pytest.fixture
def http(start_notifications, start_service):
    env = start_notifications(seed=False)
    port = find_free_port()
    gateway = start_service(Gateway, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                            JWT_SECRET=SECRET, JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE)
    gateway_db = Db(gateway.database_url)
    create_first_admin(gateway_db.url, *ADMIN)
    with requests.Session() as session:
        api = Api(f"http://127.0.0.1:{port}", session)
        admin = api.as_(api.login(*ADMIN))
        store = admin.post("/stores", {"code": "N" + uuid.uuid4().hex[:5].upper(),
                                       "name": "SoHo boutique", "currency": "USD",
                                       "timezone": "America/New_York", "tax_rate_bps": 887,
                                       "phone": "+12125550180"})
        assert store.status_code == 201, store.text
        store = store.json()
        # The gateway publishes store.created itself; sent here too (the same
        # facts, recorded once) so the test does not hang on another suite
        # sharing the gateway's test database.
        env.send("gateway", "store.created", {k: store.get(k) for k in (
            "id", "code", "name", "currency", "timezone", "tax_rate_bps", "phone")})
        for client_id in (ALICE, BRUNO):
            env.send("crm", "client.created", client_payload(client_id, home_store_id=store["id"]))
        wait_for(lambda: env.db.scalar("select count(*) from contacts") == 2
                 and env.db.scalar("select count(*) from stores") == 1, message="facts recorded")
        associate = admin.user("sales_associate", [store["id"]])
        yield env, api, admin, associate, store
    gateway_db.engine.dispose()


def problem(reply, status):
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    return reply.json()


def twilio_post(api, path, params, signature):
    headers = {"X-Twilio-Signature": signature} if signature else {}
    return api.session.post(api.base + path, data=params, headers=headers, timeout=15)


def test_messages_over_http(http):
    env, api, admin, associate, store = http
    sent = associate.post("/messages", {"client_id": ALICE, "body": "Your ring is ready, {first_name}."},
                          headers={"Idempotency-Key": "msg-1"})
    assert sent.status_code == 201, sent.text
    message = sent.json()
    assert message["store_id"] == store["id"] and message["body"] == "Your ring is ready, Alice."
    again = associate.post("/messages", {"client_id": ALICE, "body": "Your ring is ready, {first_name}."},
                           headers={"Idempotency-Key": "msg-1"})
    assert again.json()["id"] == message["id"]
    assert env.twilio.wait_for(1)[0]["To"] == ALICE_PHONE
    env.wait_status(message["id"], "queued")
    listed = associate.get(f"/messages?client_id={ALICE}").json()
    assert [m["id"] for m in listed["items"]] == [message["id"]] and listed["next_cursor"] is None
    assert listed["items"][0]["status"] == "queued"

    refused = problem(associate.post("/messages", {"client_id": BRUNO, "body": "Hello"}), 422)
    assert "not consented" in refused["errors"]["client_id"][0]
    assert "body" in problem(associate.post("/messages", {"client_id": ALICE}), 422)["errors"]
    assert len(env.twilio.messages()) == 1

    # Twilio's delivery callback, signed for the public URL.
    params = {"MessageSid": env.as_().get_message(message["id"])["provider_sid"],
              "MessageStatus": "delivered", "AccountSid": env.twilio.account_sid}
    path = f"/webhooks/twilio/status?message_id={message['id']}"
    problem(twilio_post(api, path, params, "forged"), 403)
    problem(twilio_post(api, path, params, None), 403)
    ok = twilio_post(api, path, params, sign(env.twilio.auth_token, PUBLIC + path, params))
    assert ok.status_code == 200, ok.text
    assert associate.get(f"/messages/{message['id']}").json()["status"] == "delivered"


def test_stop_over_http_answers_in_twiml_and_withdraws_consent(http):
    env, api, admin, associate, store = http
    params = {"MessageSid": "SM" + "5" * 32, "From": ALICE_PHONE, "To": "+15005550006",
              "Body": "STOP", "AccountSid": env.twilio.account_sid}
    path = "/webhooks/twilio/inbound"
    problem(twilio_post(api, path, params, sign("forged", PUBLIC + path, params)), 403)
    assert env.db.scalar("select sms_consent from contacts where client_id = :c", c=ALICE) is True
    reply = twilio_post(api, path, params, sign(env.twilio.auth_token, PUBLIC + path, params))
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"].startswith("text/xml")
    assert "<Response><Message>You are unsubscribed" in reply.text
    assert env.db.scalar("select sms_consent from contacts where client_id = :c", c=ALICE) is False
    refused = problem(associate.post("/messages", {"client_id": ALICE, "body": "Hello"}), 422)
    assert "STOP" in refused["errors"]["client_id"][0]


def test_templates_over_http(http):
    env, api, admin, associate, store = http
    bad = problem(admin.post("/message-templates", {"trigger": "ready_for_pickup", "channel": "sms",
                                                    "body": "Hi {nickname}"}), 422)
    assert "{nickname}" in bad["errors"]["body"][0]
    saved = admin.post("/message-templates", {"trigger": "ready_for_pickup", "channel": "sms",
                                              "language": "es", "body": "Hola {first_name} ✨"})
    assert saved.status_code == 201, saved.text
    assert saved.json()["sms"] == {"length": 16, "encoding": "UCS-2", "units": 16, "segments": 1}
    problem(associate.post("/message-templates", {"trigger": "ready_for_pickup", "channel": "sms",
                                                  "body": "x"}), 403)
    listed = associate.get("/message-templates").json()["items"]
    assert [t["language"] for t in listed] == ["es"]
    assert associate.get("/message-templates/catalog").status_code == 200
    document = api.get("/openapi.json").json()
    assert {"/messages", "/webhooks/twilio/inbound", "/message-templates"} <= set(document["paths"])
