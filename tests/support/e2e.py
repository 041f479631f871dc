"""The whole chain as processes, for end-to-end, fault and security tests.

``scripts.chain.Chain`` starts the processes; this module gives it what a test
run needs around it, on the machine's shared RabbitMQ and PostgreSQL but
apart from everything else there:

- ``prepare_databases()``: ``<component>_e2e`` databases owned by each
  component's role (made like ``make db-test`` makes the others), migrated
  once per test run; ``truncate()`` empties them
  before each chain, so every chain starts from an empty company.
- ``fresh_vhost(name)``: a dedicated RabbitMQ vhost (deleted and re-created:
  no queue or message of an earlier chain is left).
- ``E2EChain``: the chain with short timers, a test JWT secret, a free
  gateway port, localstripe (ours, so a test can put an ``HttpProxy`` in
  front of it), a Twilio capture server, optional TCP proxies in front of
  the broker or of one component's database, and the first hq_admin made
  with ``python -m gateway.create_admin``. ``chain.api`` is an HTTP client.

Every wait here polls with a deadline; nothing sleeps for a fixed time.
"""
import json
import os
import subprocess
import sys
import time
import urllib.parse
import uuid

import jwt
import pytest
import requests
from sqlalchemy import create_engine, text

from chassis.config import ALL_COMPONENTS
from scripts.chain import ROOT, Chain, ChainError

from .localstripe import LocalStripe, free_port
from .proxy import Proxy
from .sqldb import SqlDb
from .twilio_capture import TwilioCapture
from .waiting import wait_for

PG_HOST, PG_PORT = "127.0.0.1", 5432
AMQP_HOST, AMQP_PORT = "127.0.0.1", 5672
RABBIT_API = os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672").rstrip("/")

JWT_SECRET = "e2e-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
JWT_ISSUER = "jewelry-chain-e2e"
JWT_AUDIENCE = "jewelry-chain-e2e"
STRIPE_KEY = "sk_test_e2e"
STRIPE_WEBHOOK_SECRET = "whsec_e2e_secret"
TWILIO_FROM = "+15005550006"
ADMIN = ("hq.admin", "hq-admin-password-e2e")
PASSWORD = "correct-horse-battery-staple"
# the databases are ``<component>_<DB_SUFFIX>``: another suffix keeps a second
# chain (a developer's, kept running by hand) apart from the suite's
DB_SUFFIX = os.environ.get("E2E_DB_SUFFIX") or "e2e"

# short clocks: retries, outbox polling, the SMS queue (see chassis/config.py
# and each service's settings)
FAST = {
    "EVENT_RETRY_DELAYS": "0.2,0.4,0.8",
    "OUTBOX_POLL_INTERVAL": "0.2",
    "RPC_TIMEOUT": "4",
    "HEALTH_TIMEOUT": "1.5",
    "DB_POOL_SIZE": "4",
    "MAX_WORKERS": "10",
    "SMS_DRAIN_INTERVAL": "0.2",
    "SMS_RATE_PER_SECOND": "50",
    "SEND_RETRY_DELAYS": "0.2,0.5,1",
    "QUIET_HOURS": "off",
    "STRIPE_TIMEOUT": "2",
    "OTEL_TRACES_EXPORTER": "none",
    "LOG_LEVEL": "INFO",
}


# --------------------------------------------------------------------- waiting

def wait_until(predicate, timeout=20.0, interval=0.1, message="condition"):
    """``wait_for`` with the longer clock of a chain of processes."""
    return wait_for(predicate, timeout, interval, message)


# ------------------------------------------------------------------- databases

def db_password(component):
    return os.environ.get(f"{component.upper()}_DB_PASSWORD") or component


def database_url(component, host=PG_HOST, port=PG_PORT):
    """The SQLAlchemy URL of a component's e2e database (``port``: a proxy's)."""
    return (f"postgresql+psycopg://{component}:{urllib.parse.quote(db_password(component))}"
            f"@{host}:{port}/{component}_{DB_SUFFIX}")


_prepared = set()


def prepare_databases(components=ALL_COMPONENTS):
    """Create, empty and migrate each ``<component>_e2e`` database, once per run."""
    todo = [c for c in components if c not in _prepared]
    if not todo:
        return
    from scripts.bootstrap_db import connect_admin, ensure_database
    admin = connect_admin()     # as make db-test does: postgres over TCP, else psql as postgres
    try:
        for component in todo:
            ensure_database(admin, f"{component}_{DB_SUFFIX}", component)
    finally:
        admin.close()
    for component in todo:
        url = database_url(component)
        engine = create_engine(url)
        with engine.begin() as conn:   # a schema from an older checkout goes
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        done = subprocess.run([sys.executable, "-m", "chassis.migrate", component, "--url", url],
                              cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"migrating {component}_{DB_SUFFIX} failed:\n{done.stdout}\n{done.stderr}")
        _prepared.add(component)


def truncate(url):
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            tables = conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'")).scalars().all()
            if tables:
                conn.execute(text("TRUNCATE {} RESTART IDENTITY CASCADE".format(
                    ", ".join(f'"{t}"' for t in tables))))
    finally:
        engine.dispose()


class Db(SqlDb):
    """Read (and, for fault set-up, write) one component's e2e database."""

    def __init__(self, component):
        self.component = component
        super().__init__(database_url(component), pool_size=2, max_overflow=2)


# --------------------------------------------------------------------- RabbitMQ

def _rabbit(method, path, body=None):
    parts = urllib.parse.urlsplit(RABBIT_API)
    base = f"{parts.scheme}://{parts.hostname}:{parts.port}"
    session = requests.Session()
    session.trust_env = False
    reply = session.request(method, base + "/api" + path, auth=(parts.username, parts.password),
                            json=body, timeout=10)
    if reply.status_code >= 400 and not (method == "DELETE" and reply.status_code == 404):
        raise RuntimeError(f"RabbitMQ management {method} {path}: {reply.status_code} {reply.text}")
    return reply.json() if reply.content and reply.headers.get("content-type", "").startswith(
        "application/json") else None


def fresh_vhost(name):
    """Delete and create vhost ``name``, with every permission for guest."""
    quoted = urllib.parse.quote(name, safe="")
    _rabbit("DELETE", f"/vhosts/{quoted}")
    _rabbit("PUT", f"/vhosts/{quoted}", {})
    _rabbit("PUT", f"/permissions/{quoted}/guest", {"configure": ".*", "write": ".*", "read": ".*"})
    return name


def delete_vhost(name):
    _rabbit("DELETE", f"/vhosts/{urllib.parse.quote(name, safe='')}")


def queue_info(vhost, queue):
    return _rabbit("GET", f"/queues/{urllib.parse.quote(vhost, safe='')}/"
                          f"{urllib.parse.quote(queue, safe='')}")


def queues(vhost):
    return _rabbit("GET", f"/queues/{urllib.parse.quote(vhost, safe='')}") or []


def amqp_uri(vhost, host=AMQP_HOST, port=AMQP_PORT):
    return f"pyamqp://guest:guest@{host}:{port}/{urllib.parse.quote(vhost, safe='')}"


# -------------------------------------------------------------------------- HTTP

class Api:
    """A small HTTP client for the gateway; ``as_(token)`` signs requests."""

    def __init__(self, base, token=None, session=None):
        self.base = base
        self.token = token
        if session is None:
            session = requests.Session()
            session.trust_env = False   # straight to 127.0.0.1, whatever http_proxy says
        self.session = session
        self.id = None
        self.username = None
        self.role = None
        self.store_ids = []
        self.calls = []   # (method, path, status) of every mutating request: what the audit must show

    def as_(self, token):
        return Api(self.base, token, self.session)

    def request(self, method, path, headers=None, **kwargs):
        headers = dict(headers or {})
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        kwargs.setdefault("timeout", 20)
        reply = self.session.request(method, self.base + path, headers=headers, **kwargs)
        if method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
            self.calls.append((method.upper(), path.split("?", 1)[0], reply.status_code))
        return reply

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body=None, key=None, **kwargs):
        """POST JSON; ``key=True`` sends a fresh Idempotency-Key, a string that key."""
        if key is not None:
            headers = dict(kwargs.pop("headers", None) or {})
            headers["Idempotency-Key"] = str(uuid.uuid4()) if key is True else key
            kwargs["headers"] = headers
        return self.request("POST", path, json=body, **kwargs)

    def patch(self, path, body=None, **kwargs):
        return self.request("PATCH", path, json=body, **kwargs)

    def put(self, path, body=None, **kwargs):
        return self.request("PUT", path, json=body, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def ok(self, method, path, body=None, status=None, **kwargs):
        """The JSON of a request that must succeed (``status``: the exact one)."""
        reply = self.request(method, path, json=body, **kwargs)
        expected = (status,) if isinstance(status, int) else (status or (200, 201, 202))
        assert reply.status_code in expected, f"{method} {path}: {reply.status_code} {reply.text}"
        return reply.json() if reply.content else None

    def login(self, username, password):
        reply = self.post("/auth/token", {"username": username, "password": password})
        assert reply.status_code == 200, reply.text
        return reply.json()["access_token"]

    def user(self, role, store_ids=(), username=None):
        """Create a user (as this caller, an hq_admin) and sign in as them; the
        sign-in is counted among the new user's own calls (it is audited as theirs)."""
        username = username or f"{role}-{uuid.uuid4().hex[:6]}"
        created = self.ok("POST", "/users", {"username": username, "password": PASSWORD,
                                             "role": role, "store_ids": list(store_ids)}, 201)
        return self.sign_in(username, PASSWORD, created["id"], role, store_ids)

    def sign_in(self, username, password, user_id=None, role=None, store_ids=()):
        """A client signed in as ``username`` (``POST /auth/token`` counted as theirs)."""
        anonymous = Api(self.base, None, self.session)
        token = anonymous.login(username, password)
        api = self.as_(token)
        api.calls.extend(anonymous.calls)
        api.id, api.username, api.role = user_id, username, role
        api.store_ids = list(store_ids)
        return api


def forge_token(secret=JWT_SECRET, algorithm="HS256", headers=None, **claims):
    """A token shaped like the gateway's (or deliberately not). Its session
    exists nowhere, so the gateway refuses it even when well signed: a
    working token comes from signing in (``Api.sign_in``)."""
    now = int(time.time())
    body = {"sub": str(uuid.uuid4()), "username": "forged", "role": "hq_admin", "store_ids": [],
            "sid": str(uuid.uuid4()), "epoch": 0, "iss": JWT_ISSUER, "aud": JWT_AUDIENCE, "iat": now, "exp": now + 600}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, secret, algorithm=algorithm, headers=headers)


# ------------------------------------------------------------------------ chain

class E2EChain:
    """A started, ready chain for one test module.

    ``broker_proxy`` / ``db_proxy=("payments", ...)``: put a cuttable TCP proxy
    (``self.broker``, ``self.db_proxies[component]``) between the processes and
    RabbitMQ, or between one component and PostgreSQL. ``stripe_proxy``: an
    ``HttpProxy`` (``self.stripe_proxy``) between payments and localstripe.
    """

    def __init__(self, name, log_dir, broker_proxy=False, db_proxy=(), stripe_proxy=False,
                 env=None, replicas=None):
        self.name = name
        self.vhost = f"jewelry_{DB_SUFFIX}_{name}"
        self.log_dir = os.fspath(log_dir)
        self.want_broker_proxy = broker_proxy
        self.want_db_proxy = tuple(db_proxy)
        self.want_stripe_proxy = stripe_proxy
        self.extra_env = dict(env or {})
        self.replicas = replicas
        self.chain = None
        self.broker = None
        self.db_proxies = {}
        self.stripe = None
        self.stripe_proxy = None
        self.twilio = None
        self.dbs = {}
        self.api = None
        self.admin = None

    # lifecycle ------------------------------------------------------------------------

    def start(self, ready_timeout=90):
        prepare_databases()
        for component in ALL_COMPONENTS:
            truncate(database_url(component))
        fresh_vhost(self.vhost)
        try:
            self._start(ready_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, ready_timeout):
        env = dict(FAST)
        if self.want_broker_proxy:
            self.broker = Proxy(AMQP_HOST, AMQP_PORT)
            env["AMQP_URI"] = amqp_uri(self.vhost, port=self.broker.port)
        else:
            env["AMQP_URI"] = amqp_uri(self.vhost)
        for component in ALL_COMPONENTS:
            port = PG_PORT
            if component in self.want_db_proxy:
                self.db_proxies[component] = Proxy(PG_HOST, PG_PORT)
                port = self.db_proxies[component].port
            env[f"{component.upper()}_DATABASE_URL"] = database_url(component, port=port)

        self.stripe = LocalStripe().start()
        stripe_base = self.stripe.url
        if self.want_stripe_proxy:
            from .http_proxy import HttpProxy
            self.stripe_proxy = HttpProxy("127.0.0.1", self.stripe.port)
            stripe_base = self.stripe_proxy.url
        self.twilio = TwilioCapture()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env.update({
            "JWT_SECRET": JWT_SECRET, "JWT_ISSUER": JWT_ISSUER, "JWT_AUDIENCE": JWT_AUDIENCE,
            "STRIPE_API_KEY": STRIPE_KEY, "STRIPE_API_BASE": stripe_base,
            "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
            "TWILIO_ACCOUNT_SID": self.twilio.account_sid,
            "TWILIO_AUTH_TOKEN": self.twilio.auth_token,
            "TWILIO_API_BASE": self.twilio.base_url,
            "TWILIO_FROM_NUMBER": TWILIO_FROM,
            "TWILIO_MESSAGING_SERVICE_SID": None, "TWILIO_FROM_NUMBERS": None,
            "PUBLIC_BASE_URL": base,
            "SMTP_HOST": None,
            "PROBE_PORT": None,
            "PHOTO_DIR": os.path.join(self.log_dir, "photos"),   # not the repository's var/
        })
        env.update(self.extra_env)
        self.env = env
        self.chain = Chain(env=env, replicas=self.replicas, gateway_port=port,
                           log_dir=self.log_dir, ready_timeout=ready_timeout)
        self.chain.start()
        try:
            self.chain.wait_ready(ready_timeout)
        except ChainError as exc:
            raise ChainError(f"{exc}\n{self.tails()}") from None
        self.url = self.chain.url
        admin_env = dict(self.chain.env, ADMIN_USERNAME=ADMIN[0], ADMIN_PASSWORD=ADMIN[1])
        done = subprocess.run([sys.executable, "-m", "gateway.create_admin"], env=admin_env,
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise ChainError(f"gateway.create_admin failed: {done.stdout}{done.stderr}")
        self.api = Api(self.url)
        self.admin = self.api.sign_in(*ADMIN, role="hq_admin")
        self.admin.id = self.admin.ok("GET", "/me")["id"]

    def stop(self):
        if self.chain is not None:
            self.chain.stop()
            self.chain = None
        for db in self.dbs.values():
            db.close()
        self.dbs.clear()
        for proxy in [self.broker, self.stripe_proxy, *self.db_proxies.values()]:
            if proxy is not None:
                try:
                    proxy.close()
                except Exception:
                    pass
        self.broker, self.stripe_proxy, self.db_proxies = None, None, {}
        if self.twilio is not None:
            self.twilio.close()
            self.twilio = None
        if self.stripe is not None:
            self.stripe.stop()
            self.stripe = None
        try:
            delete_vhost(self.vhost)
        except Exception:
            pass

    # helpers --------------------------------------------------------------------------

    def db(self, component):
        """Direct access to a component's database (not through any proxy)."""
        if component not in self.dbs:
            self.dbs[component] = Db(component)
        return self.dbs[component]

    def kill(self, component, index=0):
        return self.chain.kill(component, index)

    def restart(self, component, index=0):
        return self.chain.restart(component, index)

    def wait_healthy(self, timeout=60):
        return self.chain.wait_ready(timeout)

    def heal(self, timeout=60):
        """Start again any process that died unasked (a fault test's casualty), so
        that one test's failure does not become the next one's; returns their names."""
        dead = self.chain.dead()
        for label, _ in dead:
            name, _, index = label.rpartition("-")
            self.chain.restart(name, int(index))
        if dead:
            self.chain.wait_ready(timeout)
        return [label for label, _ in dead]

    def tails(self, lines=30):
        out = []
        for name, group in (self.chain.children.items() if self.chain else ()):
            for child in group:
                text = [line for line in child.tail(lines * 4).splitlines()
                        if '"level": "ERROR"' in line and "(expected)" not in line][-lines:]
                out.append(f"--- {child.label} ---\n" + "\n".join(line[:600] for line in text))
        return "\n".join(out)

    def log_text(self, component, index=0):
        path = self.chain.log_path(component, index)
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")

    def queue(self, name):
        return queue_info(self.vhost, name)

    def queue_names(self):
        return [q["name"] for q in queues(self.vhost)]

    def dead_letters(self, service):
        from chassis.dlq import list_parked
        return list_parked(service, amqp_uri(self.vhost))

    def replay_dead_letters(self, service, ids=None):
        from chassis.dlq import replay
        return replay(service, ids, amqp_uri(self.vhost))

    def rpc(self, service, method, *args, role="hq_admin", **kwargs):
        """An operator's RPC call straight to a service (not through any proxy)."""
        from nameko.standalone.rpc import ClusterRpcClient

        from chassis.identity import Identity
        identity = Identity(user_id=self.admin.id, role=role, username="e2e-operator")
        with ClusterRpcClient(context_data=identity.to_context(), timeout=30,
                              uri=amqp_uri(self.vhost), serializer="json") as client:
            return getattr(client[service], method)(*args, **kwargs)

    def twilio_sign(self, path, params):
        from .twilio_capture import sign
        return sign(self.twilio.auth_token, self.url + path, params)

    def stripe_signature(self, payload, secret=STRIPE_WEBHOOK_SECRET, at=None):
        import hashlib
        import hmac
        at = int(at or time.time())
        signed = f"{at}.{payload}".encode()
        digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return f"t={at},v1={digest}"


def dumps(value):
    return json.dumps(value, separators=(",", ":"))


# ----------------------------------------------------------------------- pytest

def module_chain(request, tmp_path_factory):
    """Start the chain a test module describes in ``CHAIN = {...}`` (E2EChain's
    options); the caller yields it and calls ``stop()``."""
    module = request.module
    options = dict(getattr(module, "CHAIN", {}))
    name = options.pop("name", module.__name__.rsplit(".", 1)[-1].replace("test_", ""))
    chain = E2EChain(name, tmp_path_factory.mktemp(f"chain-{name}"), **options)
    chain.start()
    return chain


def attach_logs(item, report):
    """On a failed test, the tail of every process's log goes into the report."""
    if report.when in ("setup", "call") and report.failed:
        chain = item.funcargs.get("chain") if hasattr(item, "funcargs") else None
        if isinstance(chain, E2EChain) and chain.chain is not None:
            report.sections.append(("chain logs (errors)", chain.tails(5)))


@pytest.fixture(scope="module")
def chain(request, tmp_path_factory):
    """The chain of processes a test module describes in ``CHAIN``; a
    conftest imports this fixture (and the report hook below) to use it."""
    running = module_chain(request, tmp_path_factory)
    yield running
    running.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    attach_logs(item, outcome.get_result())
