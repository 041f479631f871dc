"""Stripe webhooks: the signature is verified with the webhook secret (a bad
or stale one is 400 and nothing is processed), each event id is applied
once (``stripe_events``, in the same transaction as its effect), and events
arriving out of order never move a payment backwards: a tender only moves
pending -> authorized -> captured -> refunded, and the provider status only
up its rank (docs/API.md#sales-and-payments)."""
import logging

import stripe
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from chassis.clock import now
from chassis.errors import InvalidInput
from chassis.outbox import emit

from . import tenders, terminal
from .common import audit
from .models import StripeEvent, Tender, TenderRefund
from .money import round_half_up
from .stripe_port import plain

log = logging.getLogger(__name__)

READER_EVENTS = ("terminal.reader.action_succeeded", "terminal.reader.action_failed")
HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded",
           "charge.dispute.created")
RANK = {None: -1, "requires_payment_method": 0, "requires_confirmation": 1, "requires_action": 1,
        "processing": 2, "requires_capture": 3, "canceled": 4, "succeeded": 5,
        "partially_refunded": 6, "refunded": 7, "disputed": 8}


def _get(obj, key, default=None):
    try:
        value = obj[key]
    except (KeyError, TypeError, IndexError):
        return default
    return default if value is None else value


def _id(value):
    return value if isinstance(value, str) or value is None else _get(value, "id")


def verify(stripe_port, payload, signature):
    """The event, once its signature verifies (no database needed)."""
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", "replace")
    try:
        return stripe_port.construct_event(payload, signature or "")
    except stripe.SignatureVerificationError as exc:
        raise InvalidInput("the Stripe signature does not verify",
                           {"Stripe-Signature": [str(exc.user_message or exc)]}) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput("not a Stripe event", {"body": [str(exc)]}) from None


def handle(session, identity, event):
    """A verified event applied once, in the caller's transaction."""
    event_id, kind = event["id"], event["type"]
    fresh = session.execute(insert(StripeEvent).values(
        id=event_id, type=kind, outcome="received", received_at=now())
        .on_conflict_do_nothing().returning(StripeEvent.id)).first()
    if fresh is None:
        return {"event_id": event_id, "type": kind, "outcome": "duplicate"}
    obj = _get(_get(event, "data"), "object")
    resume = None
    if kind in READER_EVENTS:
        outcome, resume = terminal.reader_event(session, identity, kind, plain(obj))
    elif kind == "payment_intent.payment_failed" and terminal.waiting_sale(session, _id(obj)):
        # a card waiting for its cardholder was refused: the saga asks Stripe, cancels
        # the PaymentIntent, fails the tender and gives the sale back, in one place
        outcome, resume = "declined", terminal.waiting_sale(session, _id(obj))
    else:
        outcome = apply(session, identity, kind, obj)
    session.get(StripeEvent, event_id).outcome = outcome
    result = {"event_id": event_id, "type": kind, "outcome": outcome}
    if resume:
        result["resume_sale"] = resume      # the caller drives the sale on, once committed
    return result


def _tender(session, obj, kind):
    if kind.startswith("payment_intent."):
        intent, charge = _id(obj), _id(_get(obj, "latest_charge"))
    else:
        intent = _id(_get(obj, "payment_intent"))
        charge = _id(_get(obj, "charge")) if kind.startswith("charge.dispute") else _id(obj)
    query = select(Tender).with_for_update()
    if intent:
        t = session.scalars(query.where(Tender.provider_intent_id == intent)).first()
        if t is not None:
            return t
    if charge:
        return session.scalars(query.where(Tender.provider_charge_id == charge)).first()
    return None


def _forward(t, status):
    if RANK.get(status, -1) > RANK.get(t.provider_status, -1):
        t.provider_status = status
        return True
    return False


def apply(session, identity, kind, obj):
    if kind not in HANDLED:
        return "ignored"
    t = _tender(session, obj, kind)
    if t is None:
        return "unknown_payment"
    if kind == "payment_intent.succeeded":
        _forward(t, "succeeded")
        if t.state in ("pending", "authorized"):
            tenders.captured(session, identity, t, provider_charge_id=_id(_get(obj, "latest_charge"))
                                 or t.provider_charge_id)
            return "captured"
        if t.state in ("failed", "voided"):
            audit(session, identity, "tender", t.id, "provider_captured_a_void_payment",
                  t.store_id, intent=t.provider_intent_id)
            log.error("tender %s is %s but Stripe captured it: needs attention", t.id, t.state)
            return "needs_attention"
        return "already_known"
    if kind == "payment_intent.payment_failed":
        moved = _forward(t, "requires_payment_method")
        if t.state == "pending":
            error = _get(obj, "last_payment_error") or {}
            t.state, t.updated_at = "failed", now()
            t.failure_reason = f"card declined: {_get(error, 'message', 'declined')}"
            audit(session, identity, "tender", t.id, "failed", t.store_id, source="webhook")
            return "failed"
        return "recorded" if moved else "stale"
    if kind == "charge.refunded":
        return _refunded(session, identity, t, obj)
    if kind == "charge.dispute.created":
        if t.disputed_at is not None:
            return "already_known"
        t.disputed_at = now()
        _forward(t, "disputed")
        facts = tenders.payment_facts(t)
        facts.update(dispute_id=_get(obj, "id", ""), reason=_get(obj, "reason"))
        emit(session, "payment.disputed", facts, store_id=t.store_id)
        audit(session, identity, "tender", t.id, "disputed", t.store_id,
              dispute=_get(obj, "id"), reason=_get(obj, "reason"))
        return "disputed"
    return "ignored"


def _refunded(session, identity, t, obj):
    """A refund Stripe knows of (ours, or made in Stripe's dashboard)."""
    if t.state not in ("captured", "refunded"):
        _forward(t, "refunded" if _get(obj, "refunded") else "partially_refunded")
        return "stale"
    refunded_charge = int(_get(obj, "amount_refunded", 0))
    ours = int(session.scalar(select(func.coalesce(func.sum(TenderRefund.charge_amount), 0))
                              .where(TenderRefund.tender_id == t.id)) or 0)
    extra_charge = refunded_charge - ours
    _forward(t, "refunded" if refunded_charge >= t.charge_amount else "partially_refunded")
    if extra_charge <= 0:
        return "already_known"
    extra = min(t.amount - t.refunded_amount,
                round_half_up(extra_charge * t.amount, t.charge_amount))
    r = TenderRefund(key=f"stripe:{_id(obj)}:{refunded_charge}", tender_id=t.id, reason="provider",
                     amount=max(extra, 1), charge_amount=extra_charge, state="succeeded",
                     created_at=now(), done_at=now())
    session.add(r)
    session.flush()
    t.refunded_amount = min(t.amount, t.refunded_amount + r.amount)
    if t.refunded_amount >= t.amount:
        t.state = "refunded"
    t.updated_at = now()
    facts = tenders.payment_facts(t, r.amount)
    facts.update(refund_id=r.id, reason="provider")
    emit(session, "payment.refunded", facts, store_id=t.store_id)
    audit(session, identity, "tender", t.id, "refunded", t.store_id, amount=r.amount,
          source="stripe")
    return "refunded"
