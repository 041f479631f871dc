"""What every payments module shares: settings, the worker's context (its
database, caller, Stripe and neighbours), stores, audit and small helpers.

Rule modules take a ``session``; the orchestrating modules (``saga``,
``tender_steps``, ``flows``, ``sweeper``) commit between durable steps with
``Context.step``, one transaction per step (docs/ARCHITECTURE.md#checkout-saga-payments-orchestrates).
"""
import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta

from chassis.clock import now
from chassis.errors import Forbidden, InvalidInput
from chassis.identity import MANAGERS as MANAGER_ROLES, STAFF, with_system

from .models import History, Store

WRITERS = with_system(STAFF)
MANAGERS = with_system(MANAGER_ROLES)


def _rates(text):
    out = {}
    for part in str(text or "").split(","):
        if ":" in part:
            role, bps = part.split(":", 1)
            out[role.strip()] = int(bps)
    return out


@dataclass(frozen=True)
class Settings:
    """Chain policy; every value has a config key / environment variable."""

    return_window_days: int = 30
    commission_rates_bps: dict = field(default_factory=lambda: {
        "sales_associate": 500, "store_manager": 250, "hq_admin": 0})
    layaway_cancel_policy: str = "store_credit"      # or "refund" (to the original tenders)
    layaway_cancel_fee_bps: int = 0                 # kept on cancellation
    layaway_min_deposit_bps: int = 1000
    layaway_reminder_days: int = 3
    loyalty_point_value: int = 1                    # minor units one point is worth
    saga_lease_seconds: int = 15                    # renewed while its worker drives it
    sweep_after_seconds: int = 120
    terminal_wait_seconds: int = 300                # a card not presented by then: given back
    max_associate_discount_bps: int = 1500
    max_associate_refund: int = 100000              # minor units; more needs a store manager


def load_settings(get):
    """``get(name, default)``: ``chassis.settings.setting`` (config, then environment)."""
    d = Settings()
    policy = str(get("LAYAWAY_CANCEL_POLICY", d.layaway_cancel_policy))
    return Settings(
        return_window_days=int(get("RETURN_WINDOW_DAYS", d.return_window_days)),
        commission_rates_bps=_rates(get("COMMISSION_RATES_BPS", None)) or d.commission_rates_bps,
        layaway_cancel_policy=policy if policy in ("store_credit", "refund") else "store_credit",
        layaway_cancel_fee_bps=int(get("LAYAWAY_CANCEL_FEE_BPS", d.layaway_cancel_fee_bps)),
        layaway_min_deposit_bps=int(get("LAYAWAY_MIN_DEPOSIT_BPS", d.layaway_min_deposit_bps)),
        layaway_reminder_days=int(get("LAYAWAY_REMINDER_DAYS", d.layaway_reminder_days)),
        loyalty_point_value=int(get("LOYALTY_POINT_VALUE", d.loyalty_point_value)),
        saga_lease_seconds=int(get("SAGA_LEASE_SECONDS", d.saga_lease_seconds)),
        sweep_after_seconds=int(get("SWEEP_AFTER_SECONDS", d.sweep_after_seconds)),
        terminal_wait_seconds=int(get("TERMINAL_WAIT_SECONDS", d.terminal_wait_seconds)),
        max_associate_discount_bps=int(get("MAX_ASSOCIATE_DISCOUNT_BPS",
                                           d.max_associate_discount_bps)),
        max_associate_refund=int(get("MAX_ASSOCIATE_REFUND", d.max_associate_refund)),
    )


@dataclass
class Context:
    """Everything a payments flow may touch, passed in (no globals).

    ``db`` opens transactions (chassis ``Db``); ``inventory``, ``crm`` and
    ``workorders`` are RPC proxies with deadlines; ``stripe`` a ``StripePort``.
    ``hooks`` lets tests stop the saga at a chosen step (a simulated crash).
    ``hq_rates``: the exchange rates HQ recorded, passed by the gateway beside
    the request (never part of a request body).
    """

    db: object
    identity: object
    stripe: object
    inventory: object
    crm: object
    workorders: object
    settings: Settings = field(default_factory=Settings)
    hooks: dict = field(default_factory=dict)
    # HQ's exchange rates as the gateway read them from reporting for this request
    # (``money.cross_rate``); a card in another currency is charged at these only
    hq_rates: dict | None = None

    def step(self, rule, *args, **kwargs):
        """One durable step: ``rule(session, *args, **kwargs)`` in its own
        transaction, committed when it returns (rolled back if it raises)."""
        with self.db.transaction() as session:
            return rule(session, *args, **kwargs)

    def read(self, rule, *args, **kwargs):
        """``rule(session, ...)`` for a read of ONE statement (no transaction)."""
        with self.db.read() as session:
            return rule(session, *args, **kwargs)

    def hook(self, name, **kwargs):
        fn = self.hooks.get(name)
        if fn is not None:
            fn(**kwargs)

    def lease_until(self, at=None):
        return (at or now()) + timedelta(seconds=self.settings.saga_lease_seconds)


def request_hash(data):
    """A stable fingerprint of a request body (same key + other body = 409)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def key_owner(identity):
    """Whose an Idempotency-Key is: the user's (a service's own call: its
    role). A key is unique per store and owner, never across the chain."""
    return str(identity.user_id or identity.role)


def require_writer(identity, roles=WRITERS):
    if identity.read_only or identity.role not in roles:
        raise Forbidden("your role may not do this")


def require_exemption_right(identity, what):
    """A tax exemption is a store manager's (or HQ's) decision, not the counter's:
    a made-up certificate number must not take the tax off a sale."""
    if identity.role not in MANAGERS:
        raise Forbidden(f"a tax-exempt {what} needs a store manager: a {identity.role} may not "
                        "take the tax off")


def store_for(session, identity, store_id, write=True, field="store_id"):
    """The store a request acts for; unknown is bad input, another's is 403."""
    store = session.get(Store, str(store_id))
    if store is None:
        raise InvalidInput("unknown store", {field: ["unknown store"]})
    if not identity.can_see_store(store.id):
        raise Forbidden("you may not act for this store")
    if write:
        require_writer(identity)
    return store


def audit(session, identity, entity_type, entity_id, change, store_id=None, **details):
    session.add(History(
        entity_type=entity_type, entity_id=str(entity_id), change=change,
        actor_id=identity.user_id, actor_role=identity.role,
        store_id=str(identity.store_id or store_id) if (identity.store_id or store_id) else None,
        details=json.loads(json.dumps(details, default=str)), at=now(),
    ))


def iso(value):
    return value.isoformat() if value is not None else None
