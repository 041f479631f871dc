"""Reading sales, gift cards and store credit: views and lists, scoped to
the stores the caller may see (docs/ARCHITECTURE.md#rule-7), each in the
caller's ``session``."""
from sqlalchemy import and_, or_, select

from chassis.errors import NotFound
from chassis.pagination import after_time_cursor, encode_cursor
from chassis.scope import one_or_own_stores, visible
from contracts.money import money

from . import tenders
from .common import iso
from .models import GiftCard, GiftCardMovement, Return, Sale, SaleLine, StoreCredit, Tender, TenderRefund
from .tender_checks import normalize_code

NO_ID = "00000000-0000-0000-0000-000000000000"


def sale_view(session, sale):
    lines = session.scalars(select(SaleLine).where(SaleLine.sale_id == sale.id)
                            .order_by(SaleLine.position)).all()
    rows = session.scalars(select(Tender).where(
        or_(Tender.sale_id == sale.id,
            and_(Tender.layaway_id == sale.id, Tender.layaway_id.is_not(None))))
        .order_by(Tender.layaway_id.nulls_first(), Tender.position)).all()
    refunds = session.scalars(select(TenderRefund).where(
        TenderRefund.tender_id.in_([t.id for t in rows] or [NO_ID]))
        .order_by(TenderRefund.created_at)).all()
    cards = session.scalars(select(GiftCard).where(GiftCard.sale_id == sale.id)).all()
    returns = session.scalars(select(Return).where(Return.sale_id == sale.id)
                              .order_by(Return.created_at)).all()
    return view(sale, lines, rows, refunds, cards, returns)


def completed_view(sale, lines, rows, cards):
    """The view of a sale this worker has just completed: nothing returned or
    refunded yet, so nothing more to read."""
    return view(sale, lines, rows, (), cards, ())


def _line(l, c):
    return {
        "index": l.position, "kind": l.kind, "item_id": l.item_id, "tag": l.tag,
        "work_order_id": l.work_order_id, "description": l.description,
        "list_price": money(l.list_amount, c),
        "discount": ({"amount": money(l.discount_amount, c), "reason": l.discount_reason}
                     if l.discount_amount else None),
        "amount": money(l.amount, c), "tax": money(l.tax, c), "taxable": l.taxable,
        "returned": l.return_id is not None, "return_id": l.return_id,
        "gift_card_id": l.gift_card_id,
    }


def view(sale, lines, rows, refunds, cards, returns):
    c = sale.currency
    status = "failed" if sale.status == "compensating" else sale.status
    return {
        "id": sale.id, "status": status, "store_id": sale.store_id, "client_id": sale.client_id,
        "associate_id": sale.associate_id, "register": sale.register,
        "receipt_number": sale.receipt_number,
        "gross": money(sale.gross, c), "discount_total": money(sale.discount_total, c),
        "subtotal": money(sale.subtotal, c), "tax": money(sale.tax, c),
        "total": money(sale.total, c), "tax_rate_bps": sale.tax_rate_bps,
        "tax_exempt": sale.tax_exempt_id is not None, "tax_exempt_id": sale.tax_exempt_id,
        "failure_code": sale.failure_code, "failure_reason": sale.failure_reason,
        "compensation_pending": sale.status == "compensating",
        "layaway_id": sale.layaway_id,
        "lines": [_line(l, c) for l in lines],
        "tenders": [tenders.tender_view(t, refunds) for t in rows],
        "change_due": money(sum(t.change_due or 0 for t in rows), c),
        "gift_cards": [{"id": g.id, "code": g.code, "balance": money(g.balance, g.currency)}
                       for g in cards],
        "returns": [{"id": r.id, "item_ids": r.item_ids, "amount": money(r.amount, r.currency),
                     "refund_method": r.refund_method, "state": r.state,
                     "created_at": iso(r.created_at)} for r in returns],
        "created_at": iso(sale.created_at), "completed_at": iso(sale.completed_at),
        "failed_at": iso(sale.failed_at),
    }


def visible_sale(session, identity, sale_id, lock=False):
    return visible(session, Sale, identity, sale_id, "sale", lock)


def get_sale(session, identity, sale_id):
    return sale_view(session, visible_sale(session, identity, sale_id))


def _sales_query(identity, q):
    query = select(Sale)
    query = one_or_own_stores(query, Sale.store_id, identity, q.get("store_id"))
    if q.get("client_id"):
        query = query.where(Sale.client_id == str(q["client_id"]))
    if q.get("receipt_number"):
        # typed at the counter in any case; receipt numbers are kept upper-case (store
        # codes are), so the unique index answers
        query = query.where(Sale.receipt_number == q["receipt_number"].strip().upper())
    if q.get("status") == "failed":
        query = query.where(Sale.status.in_(("failed", "compensating")))
    elif q.get("status"):
        query = query.where(Sale.status == q["status"])
    if q.get("since"):
        query = query.where(Sale.created_at >= q["since"])
    if q.get("until"):
        query = query.where(Sale.created_at < q["until"])
    return after_time_cursor(query, Sale.created_at, Sale.id, q.get("cursor"))


def list_sales(session, identity, q):
    limit = q.get("limit") or 50
    rows = session.scalars(_sales_query(identity, q)
                           .order_by(Sale.created_at.desc(), Sale.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    return {"items": [sale_view(session, s) for s in page],
            "next_cursor": (encode_cursor([iso(page[-1].created_at), page[-1].id])
                            if len(rows) > limit else None)}


def gift_card_view(session, identity, code):
    card = session.scalars(select(GiftCard).where(GiftCard.code == normalize_code(code))).first()
    if card is None:
        raise NotFound("no such gift card")
    moves = session.scalars(select(GiftCardMovement).where(GiftCardMovement.gift_card_id == card.id)
                            .order_by(GiftCardMovement.id)).all()
    return {"id": card.id, "code": card.code, "status": card.status,
            "balance": money(card.balance, card.currency),
            "initial_amount": money(card.initial_amount, card.currency),
            "issued_at": iso(card.created_at), "store_id": card.store_id,
            "movements": [{"kind": m.kind, "amount": money(m.amount, card.currency),
                           "at": iso(m.at)} for m in moves]}


def require_full_profile(scope):
    """crm's ``client_scope`` reply: a caller who does not see the client in
    full is told the client "simply is not found"."""
    if not (isinstance(scope, dict) and scope.get("full") is True):
        raise NotFound("no such client")


def store_credit_view(session, identity, client_id):
    rows = session.scalars(select(StoreCredit).where(StoreCredit.client_id == str(client_id))).all()
    return {"client_id": str(client_id),
            "balances": [money(r.balance, r.currency) for r in rows]}
