"""Deposits on work orders (repairs, custom work): one tender against the
balance workorders says is due. ``payment.captured`` carries the
``work_order_id``; workorders books it from that event."""
from chassis.errors import InvalidInput, NotFound

from . import cash_reports, single
from .common import audit, now, require_writer
from .models import Store, new_id
from .sales import check_tenders, new_tender


class _Owner:
    """What ``new_tender`` needs to know of the work order."""

    def __init__(self, work_order_id, store, client_id, register):
        self.id = work_order_id
        self.store_id = store.id
        self.client_id = client_id
        self.currency = store.currency
        self.register = register


def take_deposit(ctx, work_order_id, data, idempotency_key=None, req_hash=None):
    require_writer(ctx.identity)
    work_order_id = str(work_order_id)
    replay = single.replay(ctx, idempotency_key, req_hash, work_order_id=work_order_id)
    if replay is not None:
        return single.settle(ctx, replay)
    due = ctx.workorders.balance_due(work_order_id)   # NotFound crosses as itself
    with ctx.db.transaction() as session:
        store = session.get(Store, str(due["store_id"]))
        if store is None or not ctx.identity.can_see_store(store.id):
            raise NotFound("no such work order")
        client_id = str(due["client_id"]) if due.get("client_id") else None
        tender = data["tender"]
        errors = {}
        if tender["method"] == "loyalty_points":
            errors["tender.method"] = ["points pay for sales, not deposits"]
        entries = check_tenders(session, ctx, store, [tender], tender["amount"]["amount"],
                                client_id, errors, prefix="tender")
        balance = due["balance"]
        if not errors and (balance["currency"] != store.currency
                           or entries[0]["amount"] > balance["amount"]):
            errors["tender.amount"] = [f"more than the balance due ({balance['amount']} "
                                       f"{balance['currency']})"]
        if errors:
            raise InvalidInput("the deposit cannot be taken as asked", errors)
        owner = _Owner(work_order_id, store, client_id, data.get("register") or "main")
        payment_id = new_id()
        t = new_tender(owner, entries[0], "deposit", now(), position=0,
                       key=f"deposit:{work_order_id}:{payment_id}")
        t.id, t.work_order_id = payment_id, work_order_id
        t.request_key, t.request_hash = idempotency_key, req_hash
        session.add(t)
        session.flush()
        audit(session, ctx.identity, "work_order", work_order_id, "deposit_started", store.id,
              payment_id=t.id, amount=t.amount)
        tender_id = t.id
    return single.settle(ctx, tender_id)


def apply_deposit(session, ctx, t):
    store = session.get(Store, t.store_id)
    cash_reports.record_cash(session, ctx.identity, store, [t])
    audit(session, ctx.identity, "work_order", t.work_order_id, "deposit_received", t.store_id,
          payment_id=t.id, amount=t.amount, method=t.method)
