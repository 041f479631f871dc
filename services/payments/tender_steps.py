"""One tender's durable steps: take it, capture it, give it back, each
record committed (``Context.step``) before and after the call to Stripe or
crm, so a crash between two steps leaves a state the saga, a retry or the
sweeper can continue from (docs/ARCHITECTURE.md#checkout-saga-payments-orchestrates).

A card tender's PaymentIntent is created with the tender's key as Stripe
idempotency key and its id is committed *before* it is confirmed; from then
on the tender is only ever advanced from what Stripe says the intent is
(``retrieve``), never by creating another one. Money moves once.

``settle`` is a single payment (a layaway payment, a work-order deposit):
taken, captured and booked once by the ``Booking`` its caller passes.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update

from chassis.clock import now
from chassis.errors import Conflict, InvalidInput, NotFound, Unavailable

from . import tenders, terminal
from .common import audit, key_owner
from .models import Layaway, Tender
from .stripe_port import CardDeclined, OutcomeUnknown, ProviderRejected
from .tenders import CASH_LIKE, TAKEN, Declined, Unsettled, Waiting

log = logging.getLogger(__name__)


def _fail(ctx, tender_id, reason, **values):
    ctx.step(tenders.mark_failed, ctx.identity, tender_id, reason, **values)
    raise Declined(reason)


# --- taking -----------------------------------------------------------------------

def take(ctx, tender_id):
    """Take one tender; returns its new state (``authorized`` or ``captured``).

    Raises ``Declined`` (nothing taken) or ``Unsettled`` (card outcome unknown).
    """
    t = ctx.step(tenders.get, tender_id)
    if t.state in TAKEN:
        return t.state
    if t.state in ("failed", "voided", "refunded"):
        raise Declined(t.failure_reason or f"the {t.method} tender was {t.state}")
    if t.method in CASH_LIKE:
        return ctx.step(tenders.take_cash, ctx.identity, tender_id)
    if t.method in ("gift_card", "store_credit"):
        state, refused = ctx.step(tenders.take_balance, ctx.identity, tender_id)
        return state if refused is None else _fail(ctx, tender_id, refused)
    if t.method == "loyalty_points":
        return _take_points(ctx, t)
    return _take_card(ctx, t)


def _take_points(ctx, t):
    try:
        ctx.crm.redeem_points(t.client_id, tenders.owner_id(t), t.points)
    except (Conflict, NotFound, InvalidInput) as exc:
        _fail(ctx, t.id, f"loyalty points refused: {exc.detail or exc}")
    except Unavailable as exc:
        # crm may or may not have taken them: refund_points (idempotent) gives them back
        _fail(ctx, t.id, f"loyalty points could not be redeemed: {exc.detail or exc}",
              provider_status="unknown")
    return ctx.step(tenders.points_redeemed, ctx.identity, t.id)


def _metadata(t):
    return {"tender_key": t.key, "tender_id": t.id, "sale_id": t.sale_id or "",
            "layaway_id": t.layaway_id or "", "work_order_id": t.work_order_id or "",
            "store_id": t.store_id}


def _take_card(ctx, t):
    if not t.provider_intent_id:
        try:
            if t.reader_id:
                facts = ctx.stripe.create_reader_intent(t.charge_amount, t.charge_currency,
                                                        key=t.key, metadata=_metadata(t))
            else:
                facts = ctx.stripe.create_intent(t.charge_amount, t.charge_currency,
                                                 t.payment_method, key=t.key, metadata=_metadata(t))
        except (CardDeclined, ProviderRejected) as exc:
            _fail(ctx, t.id, f"card refused: {getattr(exc, 'reason', None) or exc}")
        except OutcomeUnknown as exc:
            raise Unsettled(str(exc)) from None
        ctx.step(tenders.set_provider, t.id, provider_intent_id=facts["id"],
                 provider_status=facts["status"])
        ctx.hook("after_intent_created", tender_id=t.id)
    else:
        facts = _retrieve(ctx, t)
    if t.reader_id:
        return terminal.advance(ctx, t.id, facts)
    return _advance_card(ctx, t.id, facts)


def _retrieve(ctx, t):
    try:
        return ctx.stripe.retrieve(t.provider_intent_id)
    except (OutcomeUnknown, ProviderRejected) as exc:
        raise Unsettled(str(exc)) from None


def _confirm(ctx, t):
    try:
        return ctx.stripe.confirm(t.provider_intent_id, key=f"{t.key}:confirm")
    except CardDeclined as exc:
        _fail(ctx, t.id, f"card declined: {exc.reason}", provider_status="requires_payment_method")
    except ProviderRejected:
        facts = _retrieve(ctx, t)     # already confirmed elsewhere? ask what it is now
        if facts["status"] == "requires_confirmation":
            _fail(ctx, t.id, "the card payment could not be confirmed")
        return facts
    except OutcomeUnknown as exc:
        raise Unsettled(str(exc)) from None


def _advance_card(ctx, tender_id, facts):
    t = ctx.step(tenders.get, tender_id)
    if facts["status"] == "requires_confirmation":
        facts = _confirm(ctx, t)
    status = facts["status"]
    if status in ("requires_capture", "succeeded"):
        return ctx.step(tenders.card_answered, ctx.identity, tender_id, facts)
    if status == "requires_payment_method":
        _fail(ctx, tender_id, f"card declined: {facts.get('error') or 'declined'}",
              provider_status=status)
    if status == "canceled":
        _fail(ctx, tender_id, "the card payment was cancelled", provider_status=status)
    if status == "requires_action":
        if t.purpose == "sale":
            # the cardholder authenticates (Stripe.js with the client secret); the sale
            # waits, and the same request again continues from what Stripe then says
            ctx.step(tenders.wait_for_cardholder, ctx.identity, tender_id, status,
                     facts.get("next_action"))
            raise Waiting("the card needs the cardholder's authentication")
        _cancel_intent(ctx, t)
        _fail(ctx, tender_id, "the card needs an authentication the counter cannot do",
              provider_status=status)
    raise Unsettled(f"the card payment is {status}")


def _cancel_intent(ctx, t):
    try:
        return ctx.stripe.cancel(t.provider_intent_id, key=f"{t.key}:cancel")
    except (CardDeclined, ProviderRejected):
        return _retrieve(ctx, t)
    except OutcomeUnknown as exc:
        raise Unsettled(str(exc)) from None


def capture(ctx, tender_id):
    """Capture an authorized card tender (the sale's point of no return)."""
    t = ctx.step(tenders.get, tender_id)
    if t.state == "captured":
        return t.state
    if t.state != "authorized":
        raise Declined(t.failure_reason or f"the card tender is {t.state}")
    try:
        facts = ctx.stripe.capture(t.provider_intent_id, key=f"{t.key}:capture")
    except (CardDeclined, ProviderRejected):
        facts = _retrieve(ctx, t)
        if facts["status"] != "succeeded":
            raise Declined(f"the card payment could not be captured ({facts['status']})") from None
    except OutcomeUnknown as exc:
        raise Unsettled(str(exc)) from None
    ctx.hook("after_capture", tender_id=t.id)
    return ctx.step(tenders.card_captured, ctx.identity, tender_id, facts)


def collect(ctx, tender_id):
    """Take and, for a card, capture at once (a single payment)."""
    state = take(ctx, tender_id)
    if state == "authorized":
        state = capture(ctx, tender_id)
    return state


def reconcile(ctx, tender_id):
    """Bring a card tender in line with its PaymentIntent (forward only)."""
    t = ctx.step(tenders.get, tender_id)
    if t.method != "card" or not t.provider_intent_id or t.state not in ("pending", "authorized"):
        return t.state
    return ctx.step(tenders.reconciled, ctx.identity, tender_id, _retrieve(ctx, t))


# --- giving back --------------------------------------------------------------------

def _compensate_card(ctx, t):
    """Void a card tender not captured; True when Stripe captured it after all."""
    if t.provider_intent_id:
        facts = _retrieve(ctx, t)
        if facts["status"] == "processing":
            raise Unsettled("the card payment is still processing")
        if facts["status"] != "succeeded" and facts["status"] != "canceled":
            facts = _cancel_intent(ctx, t)
        if facts["status"] == "succeeded":
            reconcile(ctx, t.id)      # it was captured after all: record, then refund
            return True
    ctx.step(tenders.void, ctx.identity, t.id)
    return False


def compensate(ctx, tender_id):
    """Undo a tender of a failed sale: void what is only authorized or never
    taken, refund what was captured. Raises ``Unsettled`` when that cannot
    be known or done now (the sweeper tries again)."""
    t = ctx.step(tenders.get, tender_id)
    if t.method == "card" and t.state in ("pending", "authorized"):
        return compensate(ctx, tender_id) if _compensate_card(ctx, t) else "voided"
    if t.method == "loyalty_points" and t.state in ("pending", "failed") \
            and t.provider_status != "given_back":
        try:
            ctx.crm.refund_points(t.client_id, tenders.owner_id(t))
        except Unavailable as exc:
            raise Unsettled(f"crm did not answer: {exc.detail or exc}") from None
        return ctx.step(tenders.points_given_back, tender_id)
    if t.state == "pending":
        ctx.step(tenders.void, ctx.identity, tender_id)
        return "voided"
    if t.state == "captured":
        remaining = t.amount - t.refunded_amount
        refund(ctx, tender_id, remaining, "compensation", f"{t.key}:compensation")
        return "refunded"
    return t.state


def refund(ctx, tender_id, amount, reason, key, return_id=None):
    """Give ``amount`` back on this tender (to the card, the drawer, the gift
    card, the store credit or the points it came from). Idempotent by ``key``."""
    refund_id = ctx.step(tenders.open_refund, tender_id, amount, reason, key, return_id)
    return execute_refund(ctx, refund_id)


def execute_refund(ctx, refund_id):
    r, t = ctx.step(tenders.refund_and_tender, refund_id)
    if r.state == "succeeded":
        return r
    provider_refund_id = None
    if t.method == "card":
        try:
            result = ctx.stripe.refund(t.provider_intent_id, r.charge_amount, key=r.key,
                                       metadata={"tender_key": t.key, "refund_key": r.key})
        except OutcomeUnknown as exc:
            raise Unsettled(str(exc)) from None
        except (CardDeclined, ProviderRejected) as exc:
            log.error("refund %s refused by Stripe: %s", r.key, exc)
            raise Unsettled(f"Stripe refused the refund: {exc}") from None
        provider_refund_id = result["id"]
    elif t.method == "loyalty_points":
        try:
            ctx.crm.refund_points(t.client_id, tenders.owner_id(t))
        except Unavailable as exc:
            raise Unsettled(f"crm did not answer: {exc.detail or exc}") from None
    return ctx.step(tenders.refund_done, ctx.identity, refund_id, provider_refund_id)


# --- single payments ------------------------------------------------------------------

@dataclass(frozen=True)
class Booking:
    """What a single payment's owner does with it (the caller passes it):
    ``book(session, identity, tender)`` in the transaction that marks it
    applied, False to give the payment back; ``after(ctx, tender)`` once
    committed; ``describe(session, identity, tender)`` adds to its view."""

    book: Callable
    describe: Callable
    after: Callable = lambda ctx, t: None


def replay(session, identity, idempotency_key, req_hash, store_id=None, **owner):
    """The tender a repeated request refers to, or None for a new request.
    A key is the caller's in one store (``store_id``: a work order's; a
    layaway's is read here): another store's or another user's same key is
    a new request."""
    if not idempotency_key:
        return None
    if store_id is None and owner.get("layaway_id"):
        store_id = session.scalar(select(Layaway.store_id).where(
            Layaway.id == str(owner["layaway_id"])))
        if store_id is None:
            return None             # no such layaway: the payment itself says so
    t = session.scalars(select(Tender).where(
        Tender.request_key == idempotency_key, Tender.store_id == str(store_id),
        Tender.created_by == key_owner(identity))).first()
    if t is None:
        return None
    same_owner = all(str(getattr(t, k)) == str(v) for k, v in owner.items())
    if t.request_hash != req_hash or not same_owner or not identity.can_see_store(t.store_id):
        raise Conflict("this Idempotency-Key was used for another request")
    return t.id


def _claim(session, tender_id, at, until):
    return session.execute(update(Tender).where(
        Tender.id == tender_id, or_(Tender.lease_until.is_(None), Tender.lease_until < at))
        .values(lease_until=until).returning(Tender.id)).first() is not None


def _unlease(session, tender_id):
    session.execute(update(Tender).where(Tender.id == tender_id).values(lease_until=None))


def settle(ctx, tender_id, booking, recovering=False, at=None):
    """Take, capture and book one payment; returns its view."""
    at = at or now()
    if not ctx.step(_claim, tender_id, at, ctx.lease_until(at)):
        view = ctx.step(payment_view, ctx.identity, tender_id, booking)
        if view["payment"]["state"] in ("pending", "authorized"):
            raise Conflict("this payment is being taken right now; ask again in a moment")
        return view
    try:
        _settle(ctx, tender_id, booking, recovering)
    except Unsettled as exc:
        if not recovering:
            raise Unavailable(f"the payment's outcome is not known yet ({exc}); send the same "
                              "request again with the same Idempotency-Key") from None
    finally:
        ctx.step(_unlease, tender_id)
    return ctx.step(payment_view, ctx.identity, tender_id, booking)


def _settle(ctx, tender_id, booking, recovering):
    if recovering and reconcile(ctx, tender_id) == "pending":
        compensate(ctx, tender_id)     # never taken: the client has gone
        return
    try:
        collect(ctx, tender_id)
    except Declined:
        return
    t, kept = ctx.step(_book, ctx.identity, tender_id, booking)
    if kept is False:
        compensate(ctx, tender_id)
    elif kept:
        booking.after(ctx, t)


def _book(session, identity, tender_id, booking):
    """Book a captured payment once: (tender, True) booked now, (tender,
    False) its owner refused it, (tender, None) nothing to do."""
    t = session.scalars(select(Tender).where(Tender.id == tender_id).with_for_update()).one()
    if t.state != "captured" or t.applied_at is not None:
        return t, None
    t.applied_at = now()
    if booking.book(session, identity, t) is False:
        audit(session, identity, "tender", t.id, "returned_unbooked", t.store_id,
              reason="the layaway was no longer active")
        return t, False
    return t, True


def payment_view(session, identity, tender_id, booking):
    t = session.get(Tender, tender_id)
    view = {"payment": tenders.tender_view(t), "store_id": t.store_id, "client_id": t.client_id}
    view["payment"]["id"] = t.id
    view.update(booking.describe(session, identity, t))
    return view


def unsettled(session, older_than, at, limit=50):
    """Single payments a crash or a lost answer left unfinished."""
    return session.execute(select(Tender.id, Tender.purpose).where(
        or_(Tender.purpose == "deposit", and_(Tender.purpose == "layaway", Tender.position > 0)),
        or_(Tender.state.in_(("pending", "authorized")),
            and_(Tender.state == "captured", Tender.applied_at.is_(None))),
        Tender.updated_at < older_than,
        or_(Tender.lease_until.is_(None), Tender.lease_until < at))
        .limit(limit)).all()


def stop_waiting(ctx, tender_id, reason):
    """Stop a card waiting for its cardholder (``terminal.stop_waiting``)."""
    return terminal.stop_waiting(ctx, tender_id, reason)
