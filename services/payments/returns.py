"""Returns and exchanges: pieces back to stock, money back. The records,
each rule in the caller's ``session`` (``flows`` commits between them).

A return names pieces of one completed sale, within the chain's return
window. The refund (line amounts after discount, plus their tax) goes back
to the sale's own tenders (cards first, then gift cards, store credit, cash;
points only when their whole tender comes back) or, when asked, as store
credit. Every refund is tied to the tender it gives money back on. An
exchange is a return as store credit followed by a new sale paying with it.

The return is recorded ``pending`` with its refund plan first; each refund
has its own idempotency key, so a retry or the sweeper finishes it
(docs/API.md#sales-and-payments).
"""
from datetime import timedelta

from sqlalchemy import func, select

from chassis.clock import now
from chassis.display import format_money, locale_for
from chassis.errors import Conflict, Forbidden, InvalidInput
from chassis.identity import SALES_ASSOCIATE
from chassis.outbox import emit
from contracts.money import money

from .common import audit, iso, key_owner
from .models import Return, Sale, SaleLine, Store, Tender, TenderRefund
from .sale_views import visible_sale

REFUND_ORDER = {"card": 0, "gift_card": 1, "store_credit": 2, "cash": 3, "cashiers_check": 3,
                "money_order": 3, "loyalty_points": 4}


def sale_tenders(session, sale):
    return session.scalars(select(Tender).where(
        (Tender.sale_id == sale.id) | (Tender.layaway_id == sale.id))
        .order_by(Tender.position)).all()


def refundable(session, t):
    pending = session.scalar(select(func.coalesce(func.sum(TenderRefund.amount), 0)).where(
        TenderRefund.tender_id == t.id, TenderRefund.state == "pending")) or 0
    return t.amount - t.refunded_amount - int(pending)


def refund_plan(session, tenders, amount, method, client_id):
    """Who gets how much back: pure allocation over the sale's tenders."""
    if method == "store_credit":
        return [{"kind": "store_credit", "amount": amount}]
    plan, left = [], amount
    for t in sorted(tenders, key=lambda t: (REFUND_ORDER.get(t.method, 9), -t.position)):
        if left <= 0:
            break
        if t.state not in ("captured", "refunded"):
            continue
        can = refundable(session, t)
        if can <= 0:
            continue
        if t.method == "loyalty_points":
            if left < can or t.refunded_amount:
                continue            # points come back whole or not at all
            part = can
        else:
            part = min(can, left)
        plan.append({"kind": "tender", "tender_id": t.id, "method": t.method, "amount": part})
        left -= part
    if left > 0:
        if not client_id:
            raise Conflict("the sale's payments cannot take this refund back and there is no "
                           "client to give store credit to")
        plan.append({"kind": "store_credit", "amount": left})
    return plan


def by_key(session, identity, sale_id, key):
    """The return this caller made in the sale's store with this Idempotency-Key."""
    store_id = select(Sale.store_id).where(Sale.id == str(sale_id)).scalar_subquery()
    return session.scalars(select(Return).where(
        Return.idempotency_key == key, Return.store_id == store_id,
        Return.created_by == key_owner(identity))).first()


def get(session, return_id):
    return session.get(Return, return_id)


def _returnable_sale(session, identity, settings, sale_id):
    sale = visible_sale(session, identity, sale_id, lock=True)
    if sale.status != "completed":
        raise Conflict(f"the sale is {sale.status}; only a completed sale takes returns")
    window = settings.return_window_days
    closes = sale.completed_at + timedelta(days=window)
    if now() > closes:
        raise Conflict(f"the return window of {window} days closed on {closes.date().isoformat()}")
    return sale


def _returned_lines(session, sale, data):
    """The sale's lines of the pieces asked for, checked."""
    lines = {l.item_id: l for l in session.scalars(select(SaleLine).where(
        SaleLine.sale_id == sale.id, SaleLine.kind == "item")).all()}
    wanted = [str(i) for i in data["item_ids"]]
    errors = [f"piece {i} is not in this sale" for i in wanted if i not in lines]
    if len(set(wanted)) != len(wanted):
        errors.append("the same piece appears twice")
    if errors:
        raise InvalidInput("these pieces cannot be returned on this sale", {"item_ids": errors})
    if data["refund_method"] == "store_credit" and not sale.client_id:
        raise InvalidInput("store credit needs a client",
                           {"refund_method": ["the sale has no client to hold store credit"]})
    done = [lines[i].tag or i for i in wanted if lines[i].return_id]
    if done:
        raise Conflict(f"already returned: {', '.join(done)}")
    return [lines[i] for i in wanted]


def refunded_on(session, sale):
    """What this sale's returns give back, those under way included."""
    return int(session.scalar(select(func.coalesce(func.sum(Return.amount), 0))
                              .where(Return.sale_id == sale.id)) or 0)


def _within_associate_limit(session, identity, settings, sale, amount):
    """An associate's refunds on one sale, all its returns together, stay
    within ``max_associate_refund``: two small returns are not a way round it
    (the sale's row is locked, so two at once are counted one after the other)."""
    if identity.role != SALES_ASSOCIATE:
        return
    limit, before = settings.max_associate_refund, refunded_on(session, sale)
    if before + amount <= limit:
        return
    store = session.get(Store, sale.store_id)
    locale = locale_for(store.country if store else None)
    shown = format_money(money(limit, sale.currency), locale)
    if not before:
        raise Forbidden(f"a refund above {shown} needs a store manager")
    raise Forbidden(f"refunds on one sale above {shown} need a store manager: "
                    f"{format_money(money(before, sale.currency), locale)} of this sale is "
                    f"already refunded and this return is "
                    f"{format_money(money(amount, sale.currency), locale)}")


def open_return(session, identity, settings, sale_id, data, idempotency_key, req_hash):
    """The return ``pending`` with its refund plan, its pieces marked; its id."""
    sale = _returnable_sale(session, identity, settings, sale_id)
    lines = _returned_lines(session, sale, data)
    wanted = [l.item_id for l in lines]
    amount = sum(l.amount + l.tax for l in lines)
    _within_associate_limit(session, identity, settings, sale, amount)
    plan = refund_plan(session, sale_tenders(session, sale), amount, data["refund_method"],
                       sale.client_id)
    r = Return(sale_id=sale.id, store_id=sale.store_id, client_id=sale.client_id,
               item_ids=wanted, refund_method=data["refund_method"], amount=amount,
               currency=sale.currency, state="pending", plan=plan,
               idempotency_key=idempotency_key, request_hash=req_hash,
               created_by=key_owner(identity), created_at=now())
    session.add(r)
    session.flush()
    for line in lines:
        line.return_id = r.id
    audit(session, identity, "return", r.id, "created", sale.store_id, sale_id=sale.id,
          item_ids=wanted, amount=amount, reason=data.get("reason"))
    return r.id


def completed(session, identity, return_id):
    """Every refund made and the pieces back in stock: ``sale.returned``."""
    r = session.scalars(select(Return).where(Return.id == return_id).with_for_update()).one()
    if r.state == "completed":
        return
    r.state, r.completed_at, r.stock_returned_at = "completed", now(), r.stock_returned_at or now()
    emit(session, "sale.returned", {
        "sale_id": r.sale_id, "return_id": r.id, "store_id": r.store_id,
        "client_id": r.client_id, "item_ids": r.item_ids,
        "refund": money(r.amount, r.currency), "returned_at": iso(r.completed_at),
        "refund_method": r.refund_method,
        "refunds": [{"payment_id": e.get("tender_id"), "method": e.get("method") or e["kind"],
                     "amount": money(e["amount"], r.currency)} for e in r.plan],
    }, store_id=r.store_id)
    audit(session, identity, "return", r.id, "completed", r.store_id)


def return_view(session, r):
    refunds = session.scalars(select(TenderRefund).where(TenderRefund.return_id == r.id)).all()
    return {"id": r.id, "sale_id": r.sale_id, "store_id": r.store_id, "client_id": r.client_id,
            "item_ids": r.item_ids, "refund_method": r.refund_method,
            "amount": money(r.amount, r.currency), "state": r.state,
            "plan": [{**e, "amount": money(e["amount"], r.currency)} for e in r.plan],
            "refunds": [{"id": x.id, "payment_id": x.tender_id,
                         "amount": money(x.amount, r.currency), "state": x.state} for x in refunds],
            "created_at": iso(r.created_at), "completed_at": iso(r.completed_at)}


def get_return(session, return_id):
    return return_view(session, session.get(Return, return_id))


def unfinished_returns(session, older_than, limit=50):
    return session.scalars(select(Return.id).where(
        Return.state == "pending", Return.created_at < older_than).limit(limit)).all()
