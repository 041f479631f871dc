"""Single payments: a layaway payment or a work-order deposit. One tender,
taken and captured at once, then booked (``applied_at``) exactly once.

The request's Idempotency-Key is stored on the tender (unique): the same
request again settles that same tender (a card already created is retrieved,
never created twice); another body with the key is a conflict.
"""
import logging

from sqlalchemy import and_, or_, select, update

from chassis.errors import Conflict, Unavailable

from . import tenders as tender_ops
from .common import audit, now
from .models import Tender

log = logging.getLogger(__name__)


def replay(ctx, idempotency_key, req_hash, **owner):
    """The tender a repeated request refers to, or None for a new request."""
    if not idempotency_key:
        return None
    with ctx.db.transaction() as session:
        t = session.scalars(select(Tender).where(Tender.request_key == idempotency_key)).first()
    if t is None:
        return None
    same_owner = all(str(getattr(t, k)) == str(v) for k, v in owner.items())
    if t.request_hash != req_hash or not same_owner or not ctx.identity.can_see_store(t.store_id):
        raise Conflict("this Idempotency-Key was used for another request")
    return t.id


def _claim(ctx, tender_id, at=None):
    at = at or now()
    with ctx.db.transaction() as session:
        return session.execute(update(Tender).where(
            Tender.id == tender_id, or_(Tender.lease_until.is_(None), Tender.lease_until < at))
            .values(lease_until=ctx.lease_until(at)).returning(Tender.id)).first() is not None


def _unlease(ctx, tender_id):
    with ctx.db.transaction() as session:
        session.execute(update(Tender).where(Tender.id == tender_id).values(lease_until=None))


def settle(ctx, tender_id, recovering=False, at=None):
    """Take, capture and book one payment; returns its view."""
    if not _claim(ctx, tender_id, at):
        view = payment_view(ctx, tender_id)
        if view["payment"]["state"] in ("pending", "authorized"):
            raise Conflict("this payment is being taken right now; ask again in a moment")
        return view
    try:
        if recovering:
            state = tender_ops.reconcile(ctx, tender_id)
            if state == "pending":
                tender_ops.compensate(ctx, tender_id)     # never taken: the client has gone
                return payment_view(ctx, tender_id)
        try:
            tender_ops.collect(ctx, tender_id)
        except tender_ops.Declined:
            return payment_view(ctx, tender_id)
        book(ctx, tender_id)
    except tender_ops.Unsettled as exc:
        if recovering:
            return payment_view(ctx, tender_id)
        raise Unavailable(f"the payment's outcome is not known yet ({exc}); send the same "
                          "request again with the same Idempotency-Key") from None
    finally:
        _unlease(ctx, tender_id)
    return payment_view(ctx, tender_id)


def book(ctx, tender_id):
    from . import deposits, layaways
    give_back = False
    with ctx.db.transaction() as session:
        t = session.scalars(select(Tender).where(Tender.id == tender_id).with_for_update()).one()
        if t.state != "captured" or t.applied_at is not None:
            return
        t.applied_at = now()
        if t.purpose == "layaway":
            give_back = layaways.apply_payment(session, ctx, t) is None
        else:
            deposits.apply_deposit(session, ctx, t)
        if give_back:
            audit(session, ctx.identity, "tender", t.id, "returned_unbooked", t.store_id,
                  reason="the layaway was no longer active")
    if give_back:
        tender_ops.compensate(ctx, tender_id)
    elif t.purpose == "layaway":
        layaways.after_payment(ctx, t)


def payment_view(ctx, tender_id):
    from . import layaways
    with ctx.db.transaction() as session:
        t = session.get(Tender, tender_id)
        view = {"payment": tender_ops.tender_view(t), "store_id": t.store_id,
                "client_id": t.client_id}
        view["payment"]["id"] = t.id
        if t.purpose == "layaway":
            view["layaway"] = layaways.layaway_view(session, layaways._visible(
                session, ctx.identity, t.layaway_id))
        else:
            view["work_order_id"] = t.work_order_id
        return view


def unsettled(ctx, older_than, at, limit=50):
    """Single payments a crash or a lost answer left unfinished."""
    with ctx.db.transaction() as session:
        return session.scalars(select(Tender.id).where(
            or_(Tender.purpose == "deposit", and_(Tender.purpose == "layaway", Tender.position > 0)),
            or_(Tender.state.in_(("pending", "authorized")),
                and_(Tender.state == "captured", Tender.applied_at.is_(None))),
            Tender.updated_at < older_than,
            or_(Tender.lease_until.is_(None), Tender.lease_until < at))
            .limit(limit)).all()

