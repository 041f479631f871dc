"""Layaway records: pieces held for a client who pays over time, each rule
in the caller's ``session`` (``layaway_flow`` commits between them).

Opening is a small saga like a sale: reserve the pieces (reason
``layaway``), take the deposit, and the layaway is ``active`` with its
installment schedule; a refused deposit releases the pieces. Payments reduce
the balance (installments are paid in order); the last one completes it:
a sale with the same id is recorded (receipt, ``sale.completed``) and the
pieces are sold (``inventory.confirm_sale``). Cancelling releases the pieces
and gives the money back by policy: store credit (default) or refunds to the
original tenders, less a cancellation fee (config, default none). A daily
timer publishes ``layaway.payment_due`` once per installment
(docs/API.md#sales-and-payments).
"""
from datetime import timedelta

from sqlalchemy import or_, select, update

from chassis import scope
from chassis.clock import local_day, now
from chassis.errors import Conflict, InvalidInput
from chassis.outbox import emit
from chassis.pagination import after_time_cursor, page
from contracts.money import maybe_money, money

from . import cash_reports, sale_records, tenders
from .common import audit, iso, key_owner
from .models import Installment, Layaway, Sale, SaleLine, Store, Tender
from .money import bps_of, split_even
from .returns import refund_plan


def facts(lw, **extra):
    out = {"layaway_id": lw.id, "store_id": lw.store_id, "client_id": lw.client_id,
           "item_ids": [l["item_id"] for l in lw.lines],
           "balance": money(lw.total - lw.paid, lw.currency), "total": money(lw.total, lw.currency)}
    out.update(extra)
    return out


def by_key(session, identity, store_id, key):
    """The layaway this caller opened in this store with this Idempotency-Key."""
    return session.scalars(select(Layaway).where(
        Layaway.idempotency_key == key, Layaway.store_id == str(store_id),
        Layaway.created_by == key_owner(identity))).first()


def get(session, layaway_id):
    return session.get(Layaway, layaway_id)


def deposit_errors(priced, deposit, settings, errors):
    """The deposit is at least the minimum and less than the total."""
    if not priced or errors:
        return
    minimum = bps_of(priced["total"], settings.layaway_min_deposit_bps)
    if deposit["amount"]["amount"] < minimum:
        errors["deposit.amount"] = [(f"the deposit must be at least {minimum} "
                                     f"({settings.layaway_min_deposit_bps / 100:g}% of the total)")]
    elif deposit["amount"]["amount"] >= priced["total"]:
        errors["deposit.amount"] = ["that pays it all: make it a sale"]


def add_layaway(session, identity, plan, data, idempotency_key, req_hash, at):
    """The layaway ``pending`` with its schedule and its deposit; its id."""
    store, priced, deposit = plan["store"], plan["priced"], data["deposit"]
    remaining = priced["total"] - deposit["amount"]["amount"]
    start = local_day(at, store.timezone)
    lw = Layaway(store_id=store.id, client_id=plan["client_id"], associate_id=identity.user_id,
                 created_by=key_owner(identity),
                 associate_role=identity.role, status="pending", currency=store.currency,
                 lines=plan["lines"], subtotal=priced["subtotal"], tax=priced["tax"],
                 total=priced["total"], paid=0, installments=data["installments"],
                 interval_days=data["interval_days"], next_tender=1,
                 register=data.get("register") or "main",
                 tax_exempt_id=data.get("tax_exempt_id") if plan["exempt"] else None,
                 idempotency_key=idempotency_key, request_hash=req_hash,
                 created_at=at, updated_at=at, cancel_plan=[])
    session.add(lw)
    session.flush()
    for n, amount in enumerate(split_even(remaining, data["installments"]), start=1):
        session.add(Installment(layaway_id=lw.id, number=n, amount=amount, paid_amount=0,
                                due_date=start + timedelta(days=n * data["interval_days"])))
    session.add(tenders.new_tender(lw, plan["tenders"][0], "layaway", at, position=0))
    audit(session, identity, "layaway", lw.id, "created", store.id, total=lw.total,
          deposit=deposit["amount"]["amount"])
    return lw.id


def claim(session, layaway_id, at, until):
    return session.execute(update(Layaway).where(
        Layaway.id == layaway_id, Layaway.status == "pending",
        or_(Layaway.lease_until.is_(None), Layaway.lease_until < at))
        .values(lease_until=until).returning(Layaway.id)).first() is not None


def note(session, layaway_id, **values):
    session.execute(update(Layaway).where(Layaway.id == layaway_id)
                    .values(updated_at=now(), **values))


def deposit_of(session, layaway_id):
    return session.scalars(select(Tender).where(Tender.layaway_id == layaway_id,
                                                Tender.position == 0)).one()


def _locked(session, layaway_id):
    return session.scalars(select(Layaway).where(Layaway.id == layaway_id).with_for_update()).one()


def opened(session, identity, layaway_id, deposit_id):
    """The deposit is in: the layaway is ``active``."""
    lw = _locked(session, layaway_id)
    if lw.status != "pending":
        return
    deposit = session.scalars(select(Tender).where(Tender.id == deposit_id).with_for_update()).one()
    lw.status, lw.paid, lw.updated_at = "active", deposit.amount, now()
    deposit.applied_at = now()
    store = session.get(Store, lw.store_id)
    cash_reports.record_cash(session, identity, store, [deposit])
    emit(session, "layaway.opened", facts(lw, amount=money(deposit.amount, lw.currency)),
         store_id=lw.store_id)
    audit(session, identity, "layaway", lw.id, "opened", lw.store_id, deposit=deposit.amount)


def open_failed(session, identity, layaway_id, reason):
    lw = _locked(session, layaway_id)
    if lw.status == "pending":
        lw.status, lw.updated_at, lw.released_at = "failed", now(), now()
        audit(session, identity, "layaway", lw.id, "failed", lw.store_id, reason=reason)


def unfinished(session, older_than, at, limit=50):
    return session.scalars(select(Layaway.id).where(
        Layaway.status == "pending", Layaway.updated_at < older_than,
        or_(Layaway.lease_until.is_(None), Layaway.lease_until < at)).limit(limit)).all()


# --- payments ---------------------------------------------------------------------------

def visible(session, identity, layaway_id, lock=False):
    return scope.visible(session, Layaway, identity, layaway_id, "layaway", lock)


def start_payment(session, identity, layaway_id, data, check, idempotency_key, req_hash):
    """A payment on an active layaway, pending; its tender's id. ``check``:
    ``tender_checks.check`` bound to the settings."""
    lw = visible(session, identity, layaway_id, lock=True)
    if lw.status != "active":
        raise Conflict(f"the layaway is {lw.status}")
    store = session.get(Store, lw.store_id)
    errors = {}
    entries = check(session, store, [data["tender"]], data["tender"]["amount"]["amount"],
                    lw.client_id, errors, prefix="tender")
    in_flight = sum(t.amount for t in session.scalars(select(Tender).where(
        Tender.layaway_id == lw.id, Tender.state.in_(("pending", "authorized")))).all())
    balance = lw.total - lw.paid - in_flight
    if not errors and entries[0]["amount"] > balance:
        errors["tender.amount"] = [f"more than the balance of {balance}"]
    if errors:
        raise InvalidInput("the payment cannot be taken as asked", errors)
    n = lw.next_tender
    lw.next_tender += 1
    lw.register = data.get("register") or lw.register
    t = tenders.new_tender(lw, entries[0], "layaway", now(), position=n)
    t.request_key, t.request_hash, t.created_by = idempotency_key, req_hash, key_owner(identity)
    session.add(t)
    session.flush()
    audit(session, identity, "layaway", lw.id, "payment_started", lw.store_id,
          payment_id=t.id, amount=t.amount)
    return t.id


def apply_payment(session, identity, t):
    """Book a captured layaway payment; False when the layaway is no longer
    active (the caller gives this payment back)."""
    lw = _locked(session, t.layaway_id)
    if lw.status != "active":
        return False
    lw.paid += t.amount
    lw.updated_at = now()
    left = t.amount
    for inst in session.scalars(select(Installment).where(Installment.layaway_id == lw.id)
                                .order_by(Installment.number)).all():
        part = min(left, inst.amount - inst.paid_amount)
        if part > 0:
            inst.paid_amount += part
            left -= part
    store = session.get(Store, lw.store_id)
    cash_reports.record_cash(session, identity, store, [t])
    emit(session, "layaway.payment_received",
         facts(lw, amount=money(t.amount, lw.currency)), store_id=lw.store_id)
    audit(session, identity, "layaway", lw.id, "payment_received", lw.store_id,
          payment_id=t.id, amount=t.amount, paid=lw.paid)
    if lw.paid >= lw.total:
        _complete(session, identity, lw, store)
    return True


def _complete(session, identity, lw, store):
    at = now()
    lw.status, lw.completed_at = "completed", at
    sale = Sale(id=lw.id, store_id=lw.store_id, client_id=lw.client_id,
                associate_id=lw.associate_id, associate_role=lw.associate_role,
                register=lw.register, status="pending", currency=lw.currency,
                gross=sum(l["list_amount"] for l in lw.lines),
                discount_total=sum(l.get("discount_amount") or 0 for l in lw.lines),
                subtotal=lw.subtotal, tax=lw.tax, total=lw.total,
                tax_rate_bps=store.tax_rate_bps, tax_exempt_id=lw.tax_exempt_id,
                layaway_id=lw.id, reserved_at=lw.reserved_at, created_at=lw.created_at,
                updated_at=at, step="layaway completed")
    session.add(sale)
    session.flush()
    lines = [SaleLine(sale_id=sale.id, **sale_records.line_columns(line)) for line in lw.lines]
    session.add_all(lines)
    session.flush()
    paid = session.scalars(select(Tender).where(Tender.layaway_id == lw.id,
                                                Tender.state.in_(("captured", "refunded")))
                           .order_by(Tender.position)).all()
    sale_records.finish(session, identity, sale, store, lines, paid)
    emit(session, "layaway.completed", facts(lw), store_id=lw.store_id)
    audit(session, identity, "layaway", lw.id, "completed", lw.store_id, sale_id=sale.id)


def completed_sale(session, layaway_id):
    return session.get(Sale, layaway_id)


def describe_payment(session, identity, t):
    """What a layaway payment's view says of its layaway."""
    return {"layaway": layaway_view(session, visible(session, identity, t.layaway_id))}


# --- cancellation -----------------------------------------------------------------------

def cancellable(session, identity, layaway_id):
    """``"cancelled"`` (already: finish giving back) or raises unless active."""
    lw = visible(session, identity, layaway_id)
    if lw.status not in ("cancelled", "active"):
        raise Conflict(f"the layaway is {lw.status}")
    return lw.status


def cancel(session, identity, settings, layaway_id, policy, reason):
    """The layaway cancelled (its pieces are released after this commits): the money back
    by ``policy``, less the fee, planned (``cancel_plan``) or credited."""
    lw = visible(session, identity, layaway_id, lock=True)
    if lw.status != "active":
        raise Conflict(f"the layaway is {lw.status}")
    fee = bps_of(lw.paid, settings.layaway_cancel_fee_bps)
    back = lw.paid - fee
    lw.status, lw.cancelled_at, lw.released_at, lw.cancel_policy = "cancelled", now(), now(), policy
    lw.updated_at = now()
    if back > 0 and policy == "store_credit":
        lw.cancel_plan = [{"kind": "store_credit", "amount": back}]
        tenders.credit(session, identity, lw.client_id, lw.currency, back,
                       f"layaway:{lw.id}:cancel", lw.store_id)
    elif back > 0:
        paid = session.scalars(select(Tender).where(Tender.layaway_id == lw.id)).all()
        lw.cancel_plan = refund_plan(session, paid, back, "original", lw.client_id)
    emit(session, "layaway.cancelled",
         facts(lw, amount=money(back, lw.currency), reason=reason), store_id=lw.store_id)
    audit(session, identity, "layaway", lw.id, "cancelled", lw.store_id, policy=policy,
          fee=fee, back=back, reason=reason)


# --- reminders ------------------------------------------------------------------------------

def remind_due(session, settings, at=None):
    """Daily: ``layaway.payment_due`` once per installment coming due."""
    at = at or now()
    horizon = at.date() + timedelta(days=settings.layaway_reminder_days + 1)
    sent = []
    rows = session.execute(
        select(Installment, Layaway).join(Layaway, Layaway.id == Installment.layaway_id)
        .where(Layaway.status == "active", Installment.reminded_at.is_(None),
               Installment.paid_amount < Installment.amount, Installment.due_date <= horizon)
        .order_by(Installment.due_date).with_for_update(of=Installment, skip_locked=True)).all()
    stores = {}
    for inst, lw in rows:
        store = stores.get(lw.store_id) or session.get(Store, lw.store_id)
        stores[lw.store_id] = store
        if inst.due_date > local_day(at, store.timezone) + timedelta(
                days=settings.layaway_reminder_days):
            continue
        inst.reminded_at = at
        emit(session, "layaway.payment_due", facts(
            lw, due_date=inst.due_date.isoformat(), installment_number=inst.number,
            amount_due=money(inst.amount - inst.paid_amount, lw.currency)), store_id=lw.store_id)
        sent.append(inst.id)
    return sent


# --- reading ------------------------------------------------------------------------------------

def layaway_view(session, lw):
    c = lw.currency
    installments = session.scalars(select(Installment).where(Installment.layaway_id == lw.id)
                                   .order_by(Installment.number)).all()
    payments = session.scalars(select(Tender).where(Tender.layaway_id == lw.id)
                               .order_by(Tender.position)).all()
    return {
        "id": lw.id, "status": lw.status, "store_id": lw.store_id, "client_id": lw.client_id,
        "item_ids": [l["item_id"] for l in lw.lines], "failure_reason": lw.failure_reason,
        "lines": [{"item_id": l["item_id"], "tag": l.get("tag"), "description": l.get("description"),
                   "amount": money(l["amount"], c), "tax": money(l["tax"], c)} for l in lw.lines],
        "subtotal": money(lw.subtotal, c), "tax": money(lw.tax, c), "total": money(lw.total, c),
        "paid": money(lw.paid, c), "balance": money(lw.total - lw.paid, c),
        "installments": [{"number": i.number, "due_date": i.due_date.isoformat(),
                          "amount": money(i.amount, c), "paid": money(i.paid_amount, c),
                          "reminded": i.reminded_at is not None} for i in installments],
        "payments": [tenders.tender_view(t) for t in payments],
        "cancel_policy": lw.cancel_policy,
        "cancel_plan": [{**e, "amount": money(e["amount"], c)} for e in (lw.cancel_plan or [])],
        "sale_id": lw.id if lw.status == "completed" else None,
        "created_at": iso(lw.created_at), "completed_at": iso(lw.completed_at),
        "cancelled_at": iso(lw.cancelled_at),
    }


def get_layaway(session, identity, layaway_id):
    return layaway_view(session, visible(session, identity, layaway_id))


def _next_due(session, layaway_ids):
    """``{layaway id: (due date, amount still due)}`` of each one's first
    installment not paid in full."""
    rows = session.execute(
        select(Installment.layaway_id, Installment.due_date,
               Installment.amount - Installment.paid_amount)
        .where(Installment.layaway_id.in_(layaway_ids or ["00000000-0000-0000-0000-000000000000"]),
               Installment.paid_amount < Installment.amount)
        .order_by(Installment.layaway_id, Installment.number)).all()
    due = {}
    for layaway_id, due_date, amount in rows:
        due.setdefault(layaway_id, (due_date, amount))
    return due


def list_layaways(session, identity, q):
    """Layaways of one store or of the caller's stores, newest first, by
    ``status`` and ``client_id``: each with its client, balance and the next
    installment due (none once completed, cancelled or failed)."""
    query = scope.one_or_own_stores(select(Layaway), Layaway.store_id, identity, q.get("store_id"))
    if q.get("status"):
        query = query.where(Layaway.status == q["status"])
    if q.get("client_id"):
        query = query.where(Layaway.client_id == str(q["client_id"]))
    query = after_time_cursor(query, Layaway.created_at, Layaway.id, q.get("cursor"))
    limit = q.get("limit") or 50
    rows = session.scalars(query.order_by(Layaway.created_at.desc(), Layaway.id.desc())
                           .limit(limit + 1)).all()
    due = _next_due(session, [lw.id for lw in rows[:limit] if lw.status == "active"])
    return page(rows, limit, lambda lw: [iso(lw.created_at), lw.id],
                lambda lw: _list_item(lw, due.get(lw.id)))


def _list_item(lw, due):
    c = lw.currency
    return {"id": lw.id, "status": lw.status, "store_id": lw.store_id, "client_id": lw.client_id,
            "item_count": len(lw.lines), "total": money(lw.total, c), "paid": money(lw.paid, c),
            "balance": money(lw.total - lw.paid, c),
            "next_due_date": due[0].isoformat() if due else None,
            "next_due": maybe_money(due[1] if due else None, c),
            "created_at": iso(lw.created_at)}
