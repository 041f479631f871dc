"""What a job costs and what was paid on it (docs/API.md#sales-and-payments):
deposits and their refunds kept from payments' events, the balance a sale
collects, and the sale that paid it (a job waiting at the counter is then
picked up). Amounts are minor units of the store's currency
(docs/ARCHITECTURE.md#rule-6)."""
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert

from chassis.clock import now
from chassis.errors import Conflict
from chassis.identity import Identity
from contracts.money import maybe_money

from .facts import occurred_at
from .jobs import balance_of, deposits_of, load, record, total_of
from .models import Payment, WorkOrder
from .moves import move


def balance_due(session, identity, wo_id):
    wo = load(session, identity, wo_id)
    deposits, c = deposits_of(session, wo), wo.currency
    return {"work_order_id": wo.id, "number": wo.number, "store_id": wo.store_id,
            "client_id": wo.client_id, "stage": wo.stage, "total": maybe_money(total_of(wo), c),
            "deposits": maybe_money(deposits, c), "paid": maybe_money(wo.paid_amount, c),
            "balance": maybe_money(balance_of(wo, deposits), c)}


def mark_paid(session, identity, wo_id, sale_id, at=None, amount=None):
    """A sale collected the balance (payments calls this after the sale
    completed; a repeat with the same sale changes nothing). At the counter
    that is the pickup: a job waiting at ``ready_for_pickup`` is picked up.
    ``amount``: what the sale collected, by payments' books (a deposit whose
    ``payment.captured`` has not arrived yet is not collected twice); without
    it, the balance by this service's copy of the deposits."""
    at = at or now()
    wo = load(session, identity, wo_id, lock=True)
    if wo.paid_sale_id == sale_id:
        return balance_due(session, identity, wo.id) | {"sale_id": sale_id, "repeated": True}
    if wo.paid_sale_id is not None:
        raise Conflict(f"the job was already paid by sale {wo.paid_sale_id}")
    if wo.stage == "cancelled":
        raise Conflict("the job is cancelled")
    due = int(amount) if amount is not None else balance_of(wo, deposits_of(session, wo))
    session.execute(update(WorkOrder).where(WorkOrder.id == wo.id).values(
        paid_amount=WorkOrder.paid_amount + due, paid_sale_id=sale_id, paid_at=at, updated_at=at
    ).execution_options(synchronize_session=False))
    session.refresh(wo)
    record(session, identity, wo, "paid", at, sale_id=sale_id, amount=due)
    if wo.stage == "ready_for_pickup":
        move(session, identity, wo, "picked_up", f"balance collected with sale {sale_id}", at,
             sale_id=sale_id)
    return balance_due(session, identity, wo.id) | {"sale_id": sale_id, "repeated": False}


def is_deposit_payment(event):
    p = event.payload
    return bool(p.get("work_order_id")) and not p.get("sale_id")


def record_payment(session, event):
    """A deposit captured or refunded by payments (``payment.captured`` /
    ``payment.refunded`` with ``work_order_id``); one row per payment or refund."""
    p = event.payload
    if not is_deposit_payment(event):
        return
    captured = event.event_type == "payment.captured"
    ref = (f"deposit:{p['payment_id']}" if captured
           else f"refund:{p.get('refund_id') or event['event_id']}")
    amount = p["amount"]["amount"] if captured else -p["amount"]["amount"]
    at = occurred_at(event)
    inserted = session.execute(insert(Payment).values(
        ref=ref, work_order_id=str(p["work_order_id"]), payment_id=str(p["payment_id"]),
        kind="deposit" if captured else "refund", method=p.get("method"), amount=amount,
        currency=p["amount"]["currency"], at=at,
    ).on_conflict_do_nothing().returning(Payment.ref)).first()
    wo = session.get(WorkOrder, str(p["work_order_id"]))
    if inserted is not None and wo is not None:
        actor = Identity.of_event(event)
        record(session, actor, wo, "deposit" if captured else "deposit_refunded", at,
               payment_id=str(p["payment_id"]), amount=amount, currency=p["amount"]["currency"],
               method=p.get("method"))
