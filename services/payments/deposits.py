"""Deposits on work orders (repairs, custom work): one tender against the
balance due, each rule in the caller's ``session``. ``payment.captured``
carries the ``work_order_id``; workorders books it from that event
(docs/API.md#work-orders).

What is due is payments' own reckoning: the job's total and what sales paid
come from workorders, the deposits from payments' own tenders (captured, or
still being taken), never from workorders' copy of them, which waits on
``payment.captured``: a deposit whose event is late or parked is never
charged again."""
from sqlalchemy import func, select

from chassis.clock import now
from chassis.errors import InvalidInput, NotFound
from chassis.sql import lock_key

from . import cash_reports, tenders
from .common import audit, key_owner
from .models import Sale, SaleLine, Store, Tender, new_id

# a deposit being taken counts as taken: it may yet be captured
_COUNTED = ("pending", "authorized", "captured")


def lock_work_order(session, work_order_id):
    """Deposits and sales on one job, one at a time (until this transaction ends)."""
    lock_key(session, f"work_order:{work_order_id}")


def own_deposits(session, work_order_id, currency):
    """Every deposit payments took or is taking on the job, net of refunds."""
    return int(session.scalar(
        select(func.coalesce(func.sum(Tender.amount - Tender.refunded_amount), 0))
        .where(Tender.work_order_id == str(work_order_id), Tender.purpose == "deposit",
               Tender.currency == currency, Tender.state.in_(_COUNTED))) or 0)


def own_collections(session, work_order_id):
    """What payments' own sales collected on the job (or are collecting: a sale
    still pending counts), whether or not workorders has heard of them."""
    return int(session.scalar(
        select(func.coalesce(func.sum(SaleLine.list_amount), 0)).join(Sale, Sale.id == SaleLine.sale_id)
        .where(SaleLine.work_order_id == str(work_order_id), SaleLine.kind == "work_order",
               Sale.status.in_(("pending", "compensating", "completed")))) or 0)


def balance_due(session, work_order_id, due):
    """What is still due on the job by payments' books (minor units of
    ``due['balance']['currency']``; never below zero): the job's total (from
    workorders' ``balance_due`` answer, ``due``) less payments' own deposits and
    collections. Workorders' ``paid`` and deposits are its copies of these and
    may lag (``mark_paid`` postponed, ``payment.captured`` parked): not used."""
    balance = due["balance"]
    if due.get("stage") == "cancelled":
        return 0
    total = (due.get("total") or {}).get("amount") or 0
    return max(total - own_deposits(session, work_order_id, balance["currency"])
               - own_collections(session, work_order_id), 0)


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
    lock_work_order(session, work_order_id)
    left = balance_due(session, work_order_id, due)
    if not errors and (balance["currency"] != store.currency or entries[0]["amount"] > left):
        errors["tender.amount"] = [f"more than the balance due ({left} {balance['currency']})"]
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
