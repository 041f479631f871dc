"""Deposits on work orders (repairs, custom work): one tender against the
balance workorders says is due, each rule in the caller's ``session``.
``payment.captured`` carries the ``work_order_id``; workorders books it from
that event (docs/API.md#work-orders)."""
from chassis.clock import now
from chassis.errors import InvalidInput, NotFound

from . import cash_reports, tenders
from .common import audit, key_owner
from .models import Store, new_id


class _Owner:
    """What ``new_tender`` needs to know of the work order."""

    def __init__(self, work_order_id, store, client_id, register):
        self.id = work_order_id
        self.store_id = store.id
        self.client_id = client_id
        self.currency = store.currency
        self.register = register


def start_deposit(session, identity, check, work_order_id, due, data, idempotency_key, req_hash):
    """The deposit pending against ``due`` (workorders' balance); its tender's
    id. ``check``: ``tender_checks.check`` bound to the settings."""
    store = session.get(Store, str(due["store_id"]))
    if store is None or not identity.can_see_store(store.id):
        raise NotFound("no such work order")
    client_id = str(due["client_id"]) if due.get("client_id") else None
    tender = data["tender"]
    errors = {}
    if tender["method"] == "loyalty_points":
        errors["tender.method"] = ["points pay for sales, not deposits"]
    entries = check(session, store, [tender], tender["amount"]["amount"], client_id, errors,
                    prefix="tender")
    balance = due["balance"]
    if not errors and (balance["currency"] != store.currency
                       or entries[0]["amount"] > balance["amount"]):
        errors["tender.amount"] = [(f"more than the balance due ({balance['amount']} "
                                    f"{balance['currency']})")]
    if errors:
        raise InvalidInput("the deposit cannot be taken as asked", errors)
    owner = _Owner(work_order_id, store, client_id, data.get("register") or "main")
    payment_id = new_id()
    t = tenders.new_tender(owner, entries[0], "deposit", now(), position=0,
                           key=f"deposit:{work_order_id}:{payment_id}")
    t.id, t.work_order_id = payment_id, work_order_id
    t.request_key, t.request_hash, t.created_by = idempotency_key, req_hash, key_owner(identity)
    session.add(t)
    session.flush()
    audit(session, identity, "work_order", work_order_id, "deposit_started", store.id,
          payment_id=t.id, amount=t.amount)
    return t.id


def apply_deposit(session, identity, t):
    store = session.get(Store, t.store_id)
    cash_reports.record_cash(session, identity, store, [t])
    audit(session, identity, "work_order", t.work_order_id, "deposit_received", t.store_id,
          payment_id=t.id, amount=t.amount, method=t.method)


def describe_deposit(session, identity, t):
    return {"work_order_id": t.work_order_id}
