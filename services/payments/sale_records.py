"""A sale's records, each rule in the caller's ``session``: the sale and
its lines created, its lease, its steps, its completion (receipt number,
gift cards, Form 8300 count, ``sale.completed``) and its failure
(``saga`` commits between them; docs/ARCHITECTURE.md#checkout-saga-payments-orchestrates)."""
import secrets

from sqlalchemy import inspect, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from chassis.clock import now
from chassis.outbox import emit
from contracts.money import maybe_money, money

from . import cash_reports, tenders
from .common import audit, iso, key_owner
from .models import GiftCard, GiftCardMovement, Sale, SaleLine, Store, Tender

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
UNFINISHED = ("pending", "compensating")
LINE_COLUMNS = ("position", "kind", "item_id", "work_order_id", "description", "list_amount",
                "discount_amount", "discount_reason", "amount", "tax", "taxable", "cost_amount",
                "category", "metal_type", "tag", "insurance")


def line_columns(line):
    return {k: line.get(k) for k in LINE_COLUMNS}


def inserted_null(row):
    """A row just inserted holds NULL in every column it was given no value
    for (these tables have no server defaults): known now, not read back when
    the row is used again in another transaction."""
    state = inspect(row)
    for attr in state.mapper.column_attrs:
        if attr.key not in state.dict:
            set_committed_value(row, attr.key, None)


def new_sale(identity, data, plan, idempotency_key, req_hash, at, lease_until):
    store, priced = plan["store"], plan["priced"]
    associate = data.get("associate_id") or identity.user_id
    return Sale(
        store_id=store.id, client_id=plan["client_id"], associate_id=associate,
        created_by=key_owner(identity),
        associate_role=identity.role if associate == identity.user_id else "sales_associate",
        register=data.get("register") or "main", status="pending",
        idempotency_key=idempotency_key, request_hash=req_hash, currency=store.currency,
        gross=priced["gross"], discount_total=priced["discount"], subtotal=priced["subtotal"],
        tax=priced["tax"], total=priced["total"], tax_rate_bps=store.tax_rate_bps,
        tax_exempt_id=data.get("tax_exempt_id") if plan["exempt"] else None,
        created_at=at, updated_at=at, step="created",
        lease_until=lease_until,    # this worker drives the sale it creates
    )


def add_sale(session, identity, sale, plan, at):
    """The sale ``pending`` with its lines and tenders; returns (lines, tenders)."""
    session.add(sale)
    session.flush()
    lines = [SaleLine(sale_id=sale.id, **line_columns(line)) for line in plan["lines"]]
    rows = [tenders.new_tender(sale, t, "sale", at) for t in plan["tenders"]]
    session.add_all(lines + rows)
    audit(session, identity, "sale", sale.id, "created", sale.store_id,
          total=sale.total, idempotency_key=sale.idempotency_key)
    return lines, rows


def by_key(session, identity, store_id, key):
    """The sale this caller made in this store with this Idempotency-Key."""
    return session.scalars(select(Sale).where(
        Sale.idempotency_key == key, Sale.store_id == str(store_id),
        Sale.created_by == key_owner(identity))).first()


def status(session, sale_id):
    return session.get(Sale, sale_id).status


def claim(session, sale_id, at, until):
    """Take the sale's lease; False when another worker is driving it."""
    got = session.execute(
        update(Sale).where(Sale.id == str(sale_id), Sale.status.in_(UNFINISHED),
                           or_(Sale.lease_until.is_(None), Sale.lease_until < at))
        .values(lease_until=until).returning(Sale.id)).first()
    return got is not None


def set_step(session, sale_id, step, until, **values):
    session.execute(update(Sale).where(Sale.id == sale_id).values(
        step=step, updated_at=now(), lease_until=until, **values))


def renew(session, sale_id, until):
    """Push the lease of a sale still being driven (not one given back) to ``until``."""
    session.execute(update(Sale).where(Sale.id == str(sale_id), Sale.status.in_(UNFINISHED),
                                       Sale.lease_until.is_not(None)).values(lease_until=until))


def release(session, sale_id):
    session.execute(update(Sale).where(Sale.id == sale_id).values(lease_until=None))


def note(session, sale_id, **values):
    session.execute(update(Sale).where(Sale.id == sale_id).values(**values))


def load(session, sale_id):
    sale = session.get(Sale, sale_id)
    lines = session.scalars(select(SaleLine).where(SaleLine.sale_id == sale_id)
                            .order_by(SaleLine.position)).all()
    rows = session.scalars(select(Tender).where(Tender.sale_id == sale_id)
                           .order_by(Tender.position)).all()
    return sale, lines, rows


def _locked(session, sale_id):
    return session.scalars(select(Sale).where(Sale.id == sale_id).with_for_update()).one()


def next_receipt_number(session, store_id):
    n = session.execute(update(Store).where(Store.id == store_id)
                        .values(last_receipt=Store.last_receipt + 1)
                        .returning(Store.last_receipt, Store.code)).one()
    return f"{n.code}-{n.last_receipt:06d}"


def new_gift_card_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))


def complete(session, identity, sale_id):
    """Every tender captured: the sale is done. Returns (sale, lines) or None."""
    sale = _locked(session, sale_id)
    if sale.status != "pending":
        return None
    _, lines, rows = load(session, sale_id)
    if any(t.state != "captured" for t in rows):
        raise RuntimeError(f"sale {sale_id}: completing with a tender not captured")
    finish(session, identity, sale, session.get(Store, sale.store_id), lines, rows)
    return sale, lines


def complete_cash(session, identity, sale_id, known=None, store=None, reserved=False):
    """Cash (and cheques, money orders) is in hand the moment it is counted:
    the tenders taken and the sale completed at once. ``known``: the (sale,
    lines, tenders) this worker created and leased (nobody else changes them
    while it holds the lease: not read again). Returns (sale, lines,
    tenders, gift cards) or None."""
    sale = _locked(session, sale_id)
    if sale.status != "pending":
        return None
    if known is not None:
        lines = [session.merge(l, load=False) for l in known[1]]
        rows = [session.merge(t, load=False) for t in known[2]]
    else:
        rows = session.scalars(select(Tender).where(Tender.sale_id == sale_id)
                               .order_by(Tender.position).with_for_update()).all()
        lines = session.scalars(select(SaleLine).where(SaleLine.sale_id == sale_id)
                                .order_by(SaleLine.position)).all()
    for t in rows:
        tenders.take_cash_in(session, identity, t)
    store = store if store is not None else session.get(Store, sale.store_id)
    if reserved:
        sale.reserved_at = now()        # written with the completion
    cards = finish(session, identity, sale, store, lines, rows)
    return sale, lines, rows, cards


def _issue_gift_card(session, identity, sale, store, line, at):
    card = GiftCard(code=new_gift_card_code(), currency=sale.currency,
                    initial_amount=line.amount, balance=line.amount, store_id=store.id,
                    sale_id=sale.id, client_id=sale.client_id, status="active", created_at=at)
    session.add(card)
    session.flush()
    session.add(GiftCardMovement(gift_card_id=card.id, kind="issued", amount=line.amount,
                                 ref=f"{sale.id}:{line.position}:issue", at=at,
                                 actor_id=identity.user_id))
    line.gift_card_id = card.id
    audit(session, identity, "gift_card", card.id, "issued", store.id,
          amount=line.amount, sale_id=sale.id)
    return card


def finish(session, identity, sale, store, lines, rows):
    """The sale completed: receipt number, gift cards issued, cash counted for
    Form 8300, ``sale.completed``. Returns the gift cards issued."""
    at = now()
    sale.receipt_number = next_receipt_number(session, store.id)
    sale.status, sale.completed_at, sale.updated_at, sale.step = "completed", at, at, "completed"
    cards = [_issue_gift_card(session, identity, sale, store, line, at) for line in lines
             if line.kind == "gift_card" and line.gift_card_id is None]
    cash_reports.record_cash(session, identity, store, rows)
    emit(session, "sale.completed", completed_facts(sale, lines, rows), store_id=store.id)
    audit(session, identity, "sale", sale.id, "completed", store.id,
          receipt_number=sale.receipt_number, total=sale.total)
    return cards


def completed_facts(sale, lines, rows):
    c = sale.currency
    return {
        "sale_id": sale.id, "store_id": sale.store_id, "client_id": sale.client_id,
        "associate_id": sale.associate_id, "receipt_number": sale.receipt_number,
        "lines": [{
            "kind": l.kind, "item_id": l.item_id, "work_order_id": l.work_order_id,
            "description": l.description or "", "amount": money(l.amount, c),
            "discount": money(l.discount_amount, c) if l.discount_amount else None,
            "discount_reason": l.discount_reason, "cost": maybe_money(l.cost_amount, c),
            "category": l.category, "metal_type": l.metal_type, "tax": money(l.tax, c),
            "tag": l.tag, "gift_card_id": l.gift_card_id,
        } for l in lines],
        "tenders": [{"method": t.method, "amount": money(t.amount, c), "payment_id": t.id,
                     **({"charge": money(t.charge_amount, t.charge_currency), "fx_rate": t.fx_rate}
                        if t.charge_currency != c else {})} for t in rows],
        "subtotal": money(sale.subtotal, c), "tax": money(sale.tax, c),
        "total": money(sale.total, c), "discount_total": money(sale.discount_total, c),
        "completed_at": iso(sale.completed_at), "layaway_id": sale.layaway_id,
        "register": sale.register,
    }


def failing(session, identity, sale_id, code, reason):
    """A pending sale starts giving everything back."""
    session.execute(update(Sale).where(Sale.id == sale_id, Sale.status == "pending").values(
        status="compensating", failure_code=code, failure_reason=reason[:1000],
        updated_at=now(), step="compensating"))
    audit(session, identity, "sale", sale_id, "failing", None, code=code, reason=reason)


def failed(session, identity, sale_id):
    """Everything given back: the sale is ``failed`` and says so."""
    sale = _locked(session, sale_id)
    if sale.status != "compensating":
        return
    sale.status, sale.failed_at, sale.updated_at, sale.step = "failed", now(), now(), "failed"
    emit(session, "sale.failed", {"sale_id": sale.id, "store_id": sale.store_id,
                                  "reason": sale.failure_reason or "failed",
                                  "failure_code": sale.failure_code,
                                  "client_id": sale.client_id}, store_id=sale.store_id)
    audit(session, identity, "sale", sale.id, "failed", sale.store_id,
          code=sale.failure_code, reason=sale.failure_reason)


def needs_attention(session, identity, sale, neighbour, problem):
    audit(session, identity, "sale", sale.id, "needs_attention", sale.store_id,
          neighbour=neighbour, problem=problem)


def unfinished(session, older_than, at, limit=50):
    return session.scalars(select(Sale.id).where(
        Sale.status.in_(UNFINISHED), Sale.updated_at < older_than,
        or_(Sale.lease_until.is_(None), Sale.lease_until < at))
        .order_by(Sale.updated_at).limit(limit)).all()


def unfollowed(session, older_than, limit=50):
    return session.scalars(select(Sale.id).where(
        Sale.status == "completed", Sale.followups_done_at.is_(None),
        Sale.completed_at < older_than).order_by(Sale.completed_at).limit(limit)).all()
