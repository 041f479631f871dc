"""Notifications fixtures: the real service container on its test database,
the real twilio SDK talking to a local capture server, a local SMTP capture,
and the facts (stores, clients) it keeps from other services' events."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from nameko.standalone.events import event_dispatcher

import contracts
from chassis.db import Database, Db as ChassisDb
from chassis.identity import Identity
from services.notifications.senders import build_senders
from services.notifications.service import Service as Notifications
from services.notifications.settings import load_settings
from tests.conftest import wait_for
from tests.support.sqldb import SqlDb
from tests.support.twilio_capture import TwilioCapture, sign

from .smtp_capture import SmtpCapture

STORE_A = "0a000000-0000-4000-8000-00000000000a"
STORE_B = "0b000000-0000-4000-8000-00000000000b"

ALICE = "a1000000-0000-4000-8000-000000000001"     # texts and e-mail welcome, English
BRUNO = "b2000000-0000-4000-8000-000000000002"     # no consent at all
CELINE = "c3000000-0000-4000-8000-000000000003"    # e-mail only, French
DARIO = "d4000000-0000-4000-8000-000000000004"     # texts welcome, phone not E.164
EMMA = "e5000000-0000-4000-8000-000000000005"      # store B's client, texts welcome

ALICE_PHONE = "+12125550101"
EMMA_PHONE = "+13055550105"

HQ = Identity(user_id="u-hq", role="hq_admin", username="hq")
MANAGER_A = Identity(user_id="u-mgr-a", role="store_manager", store_ids=(STORE_A,), store_id=STORE_A)
ASSOCIATE_A = Identity(user_id="u-sa-a", role="sales_associate", store_ids=(STORE_A,), store_id=STORE_A)
MANAGER_B = Identity(user_id="u-mgr-b", role="store_manager", store_ids=(STORE_B,), store_id=STORE_B)
AUDITOR = Identity(user_id="u-aud", role="auditor")

PUBLIC = "https://shop.example.test"
FROM_NUMBER = "+15005550006"
STORE_B_NUMBER = "+13055550000"

CLIENTS = {
    ALICE: {"first_name": "Alice", "last_name": "Archer", "phone": ALICE_PHONE,
            "email": "alice@example.test", "consent": {"sms": True, "email": True},
            "home_store_id": STORE_A, "associate_id": "u-sa-a", "language": "en"},
    BRUNO: {"first_name": "Bruno", "last_name": "Bell", "phone": "+12125550102",
            "email": "bruno@example.test", "consent": {"sms": False, "email": False},
            "home_store_id": STORE_A},
    CELINE: {"first_name": "Céline", "last_name": "Carré", "phone": "+12125550103",
             "email": "celine@example.test", "consent": {"sms": False, "email": True},
             "home_store_id": STORE_A, "language": "fr"},
    DARIO: {"first_name": "Dario", "last_name": "Diaz", "phone": "555-0104",
            "email": None, "consent": {"sms": True, "email": False}, "home_store_id": STORE_A},
    EMMA: {"first_name": "Emma", "last_name": "Estes", "phone": EMMA_PHONE,
           "email": "emma@example.test", "consent": {"sms": True, "email": True},
           "home_store_id": STORE_B},
}


def envelope(producer, event_type, payload, event_id=None, occurred_at=None, store_id=None):
    return contracts.build_envelope(event_type, payload, producer=producer, event_id=event_id,
                                    occurred_at=occurred_at, store_id=store_id)


def client_payload(client_id, **over):
    return {"client_id": client_id, **CLIENTS[client_id]} | over


def quiet_zone(quiet=True, now=None):
    """A fixed-offset time zone where it is now the middle of the night
    (or the middle of the day), whatever the clock says."""
    now = now or datetime.now(timezone.utc)
    for offset in range(-12, 15):
        local_hour = (now.hour + offset) % 24
        if (2 <= local_hour <= 5) if quiet else (12 <= local_hour <= 15):
            if offset == 0:
                return "Etc/GMT"
            return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"
    raise AssertionError("no zone found")


Db = SqlDb


class Env:
    """What a test drives: events in, RPC, the captures, the database."""

    def __init__(self, container, twilio, smtp, rpc_client):
        self.container = container
        self.twilio = twilio
        self.smtp = smtp
        self.rpc_client = rpc_client
        self.db = Db(container.database_url)
        self.dispatch_raw = event_dispatcher()

    def as_(self, identity=HQ):
        return self.rpc_client(identity).notifications

    def send(self, producer, event_type, payload, **kwargs):
        event = envelope(producer, event_type, payload, **kwargs)
        self.dispatch_raw(producer, event_type, event)
        return event

    def redeliver(self, event):
        self.dispatch_raw(event["producer"], event["event_type"], event)

    def handled(self, event, count=1):
        """Wait until the inbox shows ``event`` processed by ``count`` consumers."""
        wait_for(lambda: self.db.scalar("select count(*) from inbox where event_id = :e",
                                        e=event["event_id"]) >= count,
                 message=f"{event['event_type']} handled")

    def messages(self, **filters):
        return self.as_().list_messages(filters)["items"]

    def wait_status(self, message_id, *statuses, timeout=10):
        return wait_for(lambda: self.db.scalar("select status from messages where id = :i",
                                               i=message_id) in statuses,
                        timeout=timeout, message=f"message {message_id} to be {statuses}")

    def direct(self):
        """The service's own pieces, to call domain functions with a chosen clock."""
        settings = load_settings()
        db = ChassisDb(self.db.engine, producer="notifications", identity=Identity.system())
        return db, settings, build_senders(settings)

    def seed(self, stores=((STORE_A, "NYC", "America/New_York", "+12125550100"),
                           (STORE_B, "MIA", "America/New_York", "+13055550100")),
             clients=tuple(CLIENTS)):
        for store_id, code, tz, phone in stores:
            self.send("gateway", "store.created", {
                "id": store_id, "code": code, "name": f"{code} Jewelers", "currency": "USD",
                "timezone": tz, "tax_rate_bps": 887, "phone": phone})
        for client_id in clients:
            self.send("crm", "client.created", client_payload(client_id),
                      occurred_at=datetime.now(timezone.utc) - timedelta(days=30))
        wait_for(lambda: self.db.scalar("select count(*) from stores") == len(stores)
                 and self.db.scalar("select count(*) from contacts") == len(clients),
                 message="stores and clients recorded")


@pytest.fixture
def twilio():
    capture = TwilioCapture()
    yield capture
    capture.close()


@pytest.fixture
def smtp():
    capture = SmtpCapture()
    yield capture
    capture.close()


@pytest.fixture
def start_notifications(start_service, twilio, smtp, rpc_client, rabbit_config):
    envs = []

    def start(seed=True, **overrides):
        cfg = {
            "TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_FROM_NUMBER": FROM_NUMBER, "TWILIO_FROM_NUMBERS": {STORE_B: STORE_B_NUMBER},
            "TWILIO_API_BASE": twilio.base_url, "PUBLIC_BASE_URL": PUBLIC,
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "SMTP_FROM": "receipts@shop.example.test",
            "QUIET_HOURS": "off", "SMS_RATE_PER_SECOND": 50, "SEND_RETRY_DELAYS": "0.2,0.2",
            "CHAIN_NAME": "Maison Test", "DB_POOL_SIZE": 5,
        } | overrides
        container = start_service(Notifications, **cfg)
        env = Env(container, twilio, smtp, rpc_client)
        envs.append(env)
        if seed:
            env.seed()
        return env

    yield start
    for env in envs:
        close(env.container)
        env.db.engine.dispose()


def close(container):
    """Stop a service and close its pool now rather than when garbage is
    collected: the test PostgreSQL has a limited number of connections."""
    container.stop()
    for dependency in container.dependencies:
        if isinstance(dependency, Database) and dependency.engine is not None:
            dependency.engine.dispose()


@pytest.fixture
def env(start_notifications):
    return start_notifications()


def work_order(client_id=ALICE, store_id=STORE_A, **over):
    return {"work_order_id": str(uuid.uuid4()), "number": "WO-000123", "store_id": store_id,
            "client_id": client_id, "kind": "repair", "promised_date": "2026-12-15",
            "tracking_token": "tok" + uuid.uuid4().hex[:12]} | over


__all__ = ["sign"]
