"""Layaway: pieces held for a client who pays over time.

Opening is a small saga like a sale: reserve the pieces (reason
``layaway``), take the deposit, and the layaway is ``active`` with its
installment schedule; a refused deposit releases the pieces. Payments reduce
the balance (installments are paid in order); the last one completes it:
a sale with the same id is recorded (receipt, ``sale.completed``) and the
pieces are sold (``inventory.confirm_sale``). Cancelling releases the pieces
and gives the money back by policy: store credit (default) or refunds to the
original tenders, less a cancellation fee (config, default none). A daily
timer publishes ``layaway.payment_due`` once per installment.
"""
from datetime import timedelta

from sqlalchemy import or_, select, update

from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from chassis.outbox import emit

from . import cash_reports, single, tenders as tender_ops
from .common import MANAGERS, audit, iso, local_date, now, require_writer, store_for
from .models import Installment, Layaway, Sale, SaleLine, Store, Tender
from .money import bps_of, money, price_lines, split_even
from .returns import refund_plan
from .sales import _line_columns, _price_lines, check_tenders, followups, new_tender, _finish


def _facts(lw, **extra):
    facts = {"layaway_id": lw.id, "store_id": lw.store_id, "client_id": lw.client_id,
             "item_ids": [l["item_id"] for l in lw.lines],
             "balance": money(lw.total - lw.paid, lw.currency), "total": money(lw.total, lw.currency)}
    facts.update(extra)
    return facts


def open_layaway(ctx, data, idempotency_key=None, req_hash=None):
    require_writer(ctx.identity)
    if idempotency_key:
        with ctx.db.transaction() as session:
            existing = session.scalars(select(Layaway).where(
                Layaway.idempotency_key == idempotency_key)).first()
        if existing is not None:
            if existing.request_hash != req_hash or not ctx.identity.can_see_store(existing.store_id):
                raise Conflict("this Idempotency-Key was used for another request")
            return run_open(ctx, existing.id) if existing.status == "pending" else get_layaway(ctx, existing.id)
    with ctx.db.transaction() as session:
        store = store_for(session, ctx.identity, data["store_id"])
    errors = {}
    client_id = str(data["client_id"])
    lines, unavailable, _ = _price_lines(
        ctx, store, {"lines": [{"item_id": i} for i in data["item_ids"]], "client_id": client_id},
        errors)
    errors = {k.replace("lines.", "item_ids."): v for k, v in errors.items()}
    exempt = bool(data.get("tax_exempt"))
    priced = price_lines(lines, store.tax_rate_bps, exempt) if not errors else None
    deposit = data["deposit"]
    with ctx.db.transaction() as session:
        entries = check_tenders(session, ctx, store, [deposit], deposit["amount"]["amount"],
                                client_id, errors, prefix="deposit")
    if priced and not errors:
        minimum = bps_of(priced["total"], ctx.settings.layaway_min_deposit_bps)
        if deposit["amount"]["amount"] < minimum:
            errors["deposit.amount"] = [f"the deposit must be at least {minimum} "
                                        f"({ctx.settings.layaway_min_deposit_bps / 100:g}% of the total)"]
        elif deposit["amount"]["amount"] >= priced["total"]:
            errors["deposit.amount"] = ["that pays it all: make it a sale"]
    if errors:
        raise InvalidInput("the layaway cannot be opened as asked", errors)
    if unavailable:
        raise Conflict("; ".join(unavailable))
    for line, p in zip(lines, priced["lines"]):
        line.update(amount=p["amount"], tax=p["tax"])
    at = now()
    remaining = priced["total"] - deposit["amount"]["amount"]
    start = local_date(store, at)
    with ctx.db.transaction() as session:
        lw = Layaway(store_id=store.id, client_id=client_id, associate_id=ctx.identity.user_id,
                     associate_role=ctx.identity.role, status="pending", currency=store.currency,
                     lines=lines, subtotal=priced["subtotal"], tax=priced["tax"],
                     total=priced["total"], paid=0, installments=data["installments"],
                     interval_days=data["interval_days"], next_tender=1,
                     register=data.get("register") or "main",
                     tax_exempt_id=data.get("tax_exempt_id") if exempt else None,
                     idempotency_key=idempotency_key, request_hash=req_hash,
                     created_at=at, updated_at=at, cancel_plan=[])
        session.add(lw)
        session.flush()
        for n, amount in enumerate(split_even(remaining, data["installments"]), start=1):
            session.add(Installment(layaway_id=lw.id, number=n, amount=amount, paid_amount=0,
                                    due_date=start + timedelta(days=n * data["interval_days"])))
        session.add(new_tender(lw, entries[0], "layaway", at, position=0))
        audit(session, ctx.identity, "layaway", lw.id, "created", store.id, total=lw.total,
              deposit=deposit["amount"]["amount"])
        layaway_id = lw.id
    return run_open(ctx, layaway_id)


def _claim(ctx, layaway_id, at=None):
    at = at or now()
    with ctx.db.transaction() as session:
        return session.execute(update(Layaway).where(
            Layaway.id == layaway_id, Layaway.status == "pending",
            or_(Layaway.lease_until.is_(None), Layaway.lease_until < at))
            .values(lease_until=ctx.lease_until(at)).returning(Layaway.id)).first() is not None


def _set(ctx, layaway_id, **values):
    with ctx.db.transaction() as session:
        session.execute(update(Layaway).where(Layaway.id == layaway_id)
                        .values(updated_at=now(), **values))


def _deposit(ctx, layaway_id):
    with ctx.db.transaction() as session:
        return session.scalars(select(Tender).where(Tender.layaway_id == layaway_id,
                                                    Tender.position == 0)).one()


def run_open(ctx, layaway_id, at=None):
    if not _claim(ctx, layaway_id, at):
        view = get_layaway(ctx, layaway_id)
        if view["status"] == "pending":
            raise Conflict("this layaway is being opened right now; ask again in a moment")
        return view
    try:
        _drive_open(ctx, layaway_id)
    except tender_ops.Unsettled as exc:
        _set(ctx, layaway_id, lease_until=None)
        raise Unavailable(f"the deposit's outcome is not known yet ({exc}); send the same "
                          "request again with the same Idempotency-Key") from None
    _set(ctx, layaway_id, lease_until=None)
    return get_layaway(ctx, layaway_id)


def _drive_open(ctx, layaway_id, recovering=False):
    with ctx.db.transaction() as session:
        lw = session.get(Layaway, layaway_id)
    if lw.status != "pending":
        return
    if lw.failure_reason:
        return _fail_open(ctx, layaway_id, lw.failure_reason)
    if lw.reserved_at is None:
        if recovering:
            return _fail_open(ctx, layaway_id, "the layaway stopped before its pieces were held")
        try:
            ctx.inventory.reserve_for_sale(lw.id, [l["item_id"] for l in lw.lines], lw.store_id,
                                           reason="layaway")
        except (Conflict, InvalidInput, Unavailable) as exc:
            return _fail_open(ctx, layaway_id, exc.detail or str(exc))
        _set(ctx, layaway_id, reserved_at=now())
    deposit = _deposit(ctx, layaway_id)
    try:
        if recovering:
            state = tender_ops.reconcile(ctx, deposit.id)
            if state == "pending":
                return _fail_open(ctx, layaway_id, "deposit never taken: the layaway stopped before it")
        tender_ops.collect(ctx, deposit.id)
    except tender_ops.Declined as exc:
        return _fail_open(ctx, layaway_id, f"deposit refused: {exc.reason}")
    with ctx.db.transaction() as session:
        lw = session.scalars(select(Layaway).where(Layaway.id == layaway_id).with_for_update()).one()
        if lw.status != "pending":
            return
        deposit = session.scalars(select(Tender).where(Tender.id == deposit.id).with_for_update()).one()
        lw.status, lw.paid, lw.updated_at = "active", deposit.amount, now()
        deposit.applied_at = now()
        store = session.get(Store, lw.store_id)
        cash_reports.record_cash(session, ctx.identity, store, [deposit])
        emit(session, "layaway.opened", _facts(lw, amount=money(deposit.amount, lw.currency)),
             store_id=lw.store_id)
        audit(session, ctx.identity, "layaway", lw.id, "opened", lw.store_id, deposit=deposit.amount)


def _fail_open(ctx, layaway_id, reason):
    _set(ctx, layaway_id, failure_reason=reason[:1000])
    deposit = _deposit(ctx, layaway_id)
    try:
        tender_ops.compensate(ctx, deposit.id)
        ctx.inventory.release(layaway_id)
    except (tender_ops.Unsettled, Unavailable):
        return          # the sweeper finishes giving back
    with ctx.db.transaction() as session:
        lw = session.scalars(select(Layaway).where(Layaway.id == layaway_id).with_for_update()).one()
        if lw.status == "pending":
            lw.status, lw.updated_at, lw.released_at = "failed", now(), now()
            audit(session, ctx.identity, "layaway", lw.id, "failed", lw.store_id, reason=reason)


def recover(ctx, layaway_id, at=None):
    if not _claim(ctx, layaway_id, at):
        return None
    try:
        _drive_open(ctx, layaway_id, recovering=True)
    except tender_ops.Unsettled:
        pass
    finally:
        _set(ctx, layaway_id, lease_until=None)
    return get_layaway(ctx, layaway_id)["status"]


def unfinished(ctx, older_than, at, limit=50):
    with ctx.db.transaction() as session:
        return session.scalars(select(Layaway.id).where(
            Layaway.status == "pending", Layaway.updated_at < older_than,
            or_(Layaway.lease_until.is_(None), Layaway.lease_until < at)).limit(limit)).all()


# --- payments ---------------------------------------------------------------------------

def _visible(session, identity, layaway_id, lock=False):
    query = select(Layaway).where(Layaway.id == str(layaway_id))
    if lock:
        query = query.with_for_update()
    lw = session.scalars(query).first()
    if lw is None or not identity.can_see_store(lw.store_id):
        raise NotFound("no such layaway")
    return lw


def pay(ctx, layaway_id, data, idempotency_key=None, req_hash=None):
    require_writer(ctx.identity)
    replay = single.replay(ctx, idempotency_key, req_hash, layaway_id=str(layaway_id))
    if replay is not None:
        return single.settle(ctx, replay)
    with ctx.db.transaction() as session:
        lw = _visible(session, ctx.identity, layaway_id, lock=True)
        if lw.status != "active":
            raise Conflict(f"the layaway is {lw.status}")
        store = session.get(Store, lw.store_id)
        errors = {}
        entries = check_tenders(session, ctx, store, [data["tender"]],
                                data["tender"]["amount"]["amount"], lw.client_id, errors,
                                prefix="tender")
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
        t = new_tender(lw, entries[0], "layaway", now(), position=n)
        t.request_key, t.request_hash = idempotency_key, req_hash
        session.add(t)
        session.flush()
        audit(session, ctx.identity, "layaway", lw.id, "payment_started", lw.store_id,
              payment_id=t.id, amount=t.amount)
        tender_id = t.id
    return single.settle(ctx, tender_id)


def apply_payment(session, ctx, t):
    """Book a captured layaway payment (in the caller's transaction)."""
    lw = session.scalars(select(Layaway).where(Layaway.id == t.layaway_id).with_for_update()).one()
    if lw.status != "active":
        return None        # cancelled meanwhile: the caller gives this payment back
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
    cash_reports.record_cash(session, ctx.identity, store, [t])
    emit(session, "layaway.payment_received",
         _facts(lw, amount=money(t.amount, lw.currency)), store_id=lw.store_id)
    audit(session, ctx.identity, "layaway", lw.id, "payment_received", lw.store_id,
          payment_id=t.id, amount=t.amount, paid=lw.paid)
    if lw.paid >= lw.total:
        _complete(session, ctx, lw, store)
    return lw


def _complete(session, ctx, lw, store):
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
    lines = []
    for line in lw.lines:
        row = SaleLine(sale_id=sale.id, **_line_columns(line))
        session.add(row)
        lines.append(row)
    session.flush()
    tenders = session.scalars(select(Tender).where(Tender.layaway_id == lw.id,
                                                   Tender.state.in_(("captured", "refunded")))
                              .order_by(Tender.position)).all()
    _finish(session, ctx, sale, store, lines, tenders)
    emit(session, "layaway.completed", _facts(lw), store_id=lw.store_id)
    audit(session, ctx.identity, "layaway", lw.id, "completed", lw.store_id, sale_id=sale.id)


def after_payment(ctx, t):
    """Once booked: a completed layaway's pieces are sold."""
    with ctx.db.transaction() as session:
        sale = session.get(Sale, t.layaway_id)
    if sale is not None:
        followups(ctx, sale.id)


# --- cancellation -----------------------------------------------------------------------

def cancel(ctx, layaway_id, data):
    require_writer(ctx.identity)
    with ctx.db.transaction() as session:
        lw = _visible(session, ctx.identity, layaway_id)
        if lw.status == "cancelled":
            return _finish_cancel(ctx, lw.id)
        if lw.status != "active":
            raise Conflict(f"the layaway is {lw.status}")
    if data.get("refund_method") and ctx.identity.role not in MANAGERS:
        raise Forbidden("only a manager chooses how a cancelled layaway is paid back")
    policy = data.get("refund_method") or ctx.settings.layaway_cancel_policy
    ctx.inventory.release(str(layaway_id))
    with ctx.db.transaction() as session:
        lw = _visible(session, ctx.identity, layaway_id, lock=True)
        if lw.status != "active":
            raise Conflict(f"the layaway is {lw.status}")
        fee = bps_of(lw.paid, ctx.settings.layaway_cancel_fee_bps)
        back = lw.paid - fee
        lw.status, lw.cancelled_at, lw.released_at, lw.cancel_policy = "cancelled", now(), now(), policy
        lw.updated_at = now()
        if back > 0 and policy == "store_credit":
            lw.cancel_plan = [{"kind": "store_credit", "amount": back}]
            tender_ops.credit(session, ctx.identity, lw.client_id, lw.currency, back,
                              f"layaway:{lw.id}:cancel", lw.store_id)
        elif back > 0:
            tenders = session.scalars(select(Tender).where(Tender.layaway_id == lw.id)).all()
            lw.cancel_plan = refund_plan(session, tenders, back, "original", lw.client_id)
        emit(session, "layaway.cancelled",
             _facts(lw, amount=money(back, lw.currency), reason=data.get("reason")),
             store_id=lw.store_id)
        audit(session, ctx.identity, "layaway", lw.id, "cancelled", lw.store_id, policy=policy,
              fee=fee, back=back, reason=data.get("reason"))
    return _finish_cancel(ctx, str(layaway_id))


def _finish_cancel(ctx, layaway_id):
    with ctx.db.transaction() as session:
        lw = session.get(Layaway, layaway_id)
    try:
        for n, entry in enumerate(lw.cancel_plan or []):
            if entry["kind"] == "tender":
                tender_ops.refund(ctx, entry["tender_id"], entry["amount"], "layaway_cancel",
                                  f"layaway:{lw.id}:cancel:{n}")
            elif entry["kind"] == "store_credit" and lw.cancel_policy == "refund":
                with ctx.db.transaction() as session:
                    tender_ops.credit(session, ctx.identity, lw.client_id, lw.currency,
                                      entry["amount"], f"layaway:{lw.id}:cancel:{n}", lw.store_id)
    except tender_ops.Unsettled as exc:
        raise Unavailable(f"the refund is pending ({exc}); it will be completed") from None
    return get_layaway(ctx, layaway_id)


# --- reminders ------------------------------------------------------------------------------

def remind_due(ctx, at=None):
    """Daily: ``layaway.payment_due`` once per installment coming due."""
    at = at or now()
    horizon = at.date() + timedelta(days=ctx.settings.layaway_reminder_days + 1)
    sent = []
    with ctx.db.transaction() as session:
        rows = session.execute(
            select(Installment, Layaway).join(Layaway, Layaway.id == Installment.layaway_id)
            .where(Layaway.status == "active", Installment.reminded_at.is_(None),
                   Installment.paid_amount < Installment.amount, Installment.due_date <= horizon)
            .order_by(Installment.due_date).with_for_update(of=Installment, skip_locked=True)).all()
        stores = {}
        for inst, lw in rows:
            store = stores.get(lw.store_id) or session.get(Store, lw.store_id)
            stores[lw.store_id] = store
            today = local_date(store, at)
            if inst.due_date > today + timedelta(days=ctx.settings.layaway_reminder_days):
                continue
            inst.reminded_at = at
            emit(session, "layaway.payment_due", _facts(
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
        "payments": [tender_ops.tender_view(t) for t in payments],
        "cancel_policy": lw.cancel_policy,
        "cancel_plan": [{**e, "amount": money(e["amount"], c)} for e in (lw.cancel_plan or [])],
        "sale_id": lw.id if lw.status == "completed" else None,
        "created_at": iso(lw.created_at), "completed_at": iso(lw.completed_at),
        "cancelled_at": iso(lw.cancelled_at),
    }


def get_layaway(ctx, layaway_id):
    with ctx.db.transaction() as session:
        return layaway_view(session, _visible(session, ctx.identity, layaway_id))
