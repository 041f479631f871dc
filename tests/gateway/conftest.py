"""Gateway fixtures: the gateway container on a free port, driven over HTTP
with ``requests`` (nameko's ``web_session`` does not work on werkzeug 3),
and the inventory container when a test needs it."""
import uuid

import jwt
import pytest
import requests
from nameko.testing.utils import find_free_port
from sqlalchemy import create_engine, text

from gateway.create_admin import create_first_admin
from gateway.service import Service as Gateway
from services.inventory.service import Service as Inventory
from tests.conftest import wait_for

SECRET = "gateway-tests-secret-0123456789-abcdefghijklmnop"
ISSUER = "gateway-tests"
AUDIENCE = "jewelry-chain-tests"
ADMIN = ("hq.admin", "hq-password-123")
PASSWORD = "correct-horse-battery"


def store_body(code="NYC", **over):
    body = {"code": code, "name": f"{code} boutique", "currency": "USD",
            "timezone": "America/New_York", "tax_rate_bps": 887}
    body.update(over)
    return body


def piece(store_id, **over):
    body = {
        "store_id": store_id, "category": "ring", "description": "Solitaire engagement ring",
        "metal": {"type": "gold", "karat": 18, "color": "white", "weight_g": "3.250"},
        "stones": [{"type": "diamond", "shape": "round", "carat": "1.010",
                    "certificate": {"lab": "GIA", "number": uuid.uuid4().hex[:10]}}],
        "cost": {"amount": 150000, "currency": "USD"},
        "price": {"amount": 450000, "currency": "USD"},
    }
    body.update(over)
    return body


class Api:
    """A small HTTP client for the gateway; ``as_(token)`` signs requests."""

    def __init__(self, base, session, token=None):
        self.base, self.session, self.token = base, session, token

    def as_(self, token):
        return Api(self.base, self.session, token)

    def request(self, method, path, headers=None, **kwargs):
        headers = dict(headers or {})
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        kwargs.setdefault("timeout", 15)
        return self.session.request(method, self.base + path, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, json=body, **kwargs)

    def patch(self, path, body=None, **kwargs):
        return self.request("PATCH", path, json=body, **kwargs)

    def login(self, username, password):
        reply = self.post("/auth/token", {"username": username, "password": password})
        assert reply.status_code == 200, reply.text
        return reply.json()["access_token"]

    def user(self, role, store_ids=(), username=None):
        """Create a user as the current caller, sign in as them: an ``Api``."""
        username = username or f"{role}-{uuid.uuid4().hex[:6]}"
        reply = self.post("/users", {"username": username, "password": PASSWORD, "role": role,
                                     "store_ids": list(store_ids)})
        assert reply.status_code == 201, reply.text
        api = self.as_(self.login(username, PASSWORD))
        api.id = reply.json()["id"]
        return api

    def store(self, code, **over):
        reply = self.post("/stores", store_body(code, **over))
        assert reply.status_code == 201, reply.text
        return reply.json()


class Db:
    def __init__(self, url):
        self.url = url
        self.engine = create_engine(url)

    def scalar(self, sql, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def all(self, sql, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).all()


@pytest.fixture
def inventory(start_service):
    container = start_service(Inventory)
    db = Db(container.database_url)
    container.db_handle = db
    yield container
    db.engine.dispose()


@pytest.fixture
def gateway(start_service):
    port = find_free_port()
    container = start_service(Gateway, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                              JWT_SECRET=SECRET, JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE)
    container.base_url = f"http://127.0.0.1:{port}"
    return container


@pytest.fixture
def db(gateway):
    handle = Db(gateway.database_url)
    yield handle
    handle.engine.dispose()


@pytest.fixture
def api(gateway):
    """Anonymous client."""
    with requests.Session() as session:
        yield Api(gateway.base_url, session)


@pytest.fixture
def admin(api, db):
    """The first hq_admin, made the way operators make it, signed in."""
    create_first_admin(db.url, *ADMIN)
    client = api.as_(api.login(*ADMIN))
    client.id = db.scalar("select id::text from users where username = :u", u=ADMIN[0])
    return client


def token(claims=None, secret=SECRET, algorithm="HS256", **over):
    """A token like the gateway's, or deliberately not (its session exists
    only if ``live_token`` made it)."""
    import time
    now = int(time.time())
    body = {"sub": str(uuid.uuid4()), "username": "x", "role": "hq_admin", "store_ids": [],
            "sid": str(uuid.uuid4()), "epoch": 0,
            "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600}
    body.update(claims or {})
    body.update(over)
    return jwt.encode(body, secret, algorithm=algorithm)


def live_token(database_url, role, store_ids=(), username=None, user_id=None):
    """``(user id, token)``: a user and a live session of theirs written straight
    into the gateway's database (no password to hash, no sign-in), and a token
    for it like the gateway's."""
    user_id = user_id or str(uuid.uuid4())
    username = username or f"{role}-{user_id[:8]}"
    session_id = str(uuid.uuid4())
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("insert into users (id, username, password_hash, role, active) "
                              "values (:id, :u, '!', :r, true)"), {"id": user_id, "u": username, "r": role})
            conn.execute(text("insert into sessions (id, user_id, epoch, expires_at, refresh_salt) "
                              "values (:id, :u, 0, now() + interval '12 hours', :h)"),
                         {"id": session_id, "u": user_id, "h": "0" * 64})
    finally:
        engine.dispose()
    return user_id, token(sub=user_id, role=role, store_ids=[str(s) for s in store_ids],
                          username=username, sid=session_id, epoch=0)


__all__ = ["wait_for", "store_body", "piece", "token"]
