"""One tender at a time: take it, capture it, give it back.

Every step is its own committed transaction, so a crash between two steps
leaves a state the saga, a retry or the sweeper can continue from:

    pending --take--> authorized (card) --capture--> captured --refund--> refunded
    pending --take--> captured (cash, gift card, store credit, points)
    pending/authorized --compensate--> voided ; a refused take --> failed

A card tender's PaymentIntent is created with the tender's key as Stripe
idempotency key and its id is committed *before* it is confirmed; from then
on the tender is only ever advanced from what Stripe says the intent is
(``retrieve``), never by creating another one. Money moves once.
"""
import logging

from sqlalchemy import func, select, update

from chassis.errors import Conflict, InvalidInput, NotFound, Unavailable
from chassis.outbox import emit

from .common import audit, now
from .models import (
    Drawer, DrawerMovement, GiftCard, GiftCardMovement, StoreCredit, StoreCreditMovement,
    Tender, TenderRefund,
)
from .money import money
from .stripe_port import CardDeclined, OutcomeUnknown, ProviderRejected

log = logging.getLogger(__name__)

CASH_LIKE = ("cash", "cashiers_check", "money_order")
TAKEN = ("authorized", "captured")
SETTLED = ("captured", "refunded", "failed", "voided")


class Declined(Exception):
    """The tender was refused; nothing was taken by it."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class Unsettled(Exception):
    """Nobody knows yet whether money moved (Stripe or a neighbour did not
    answer). The tender is left as it is, to be settled from the provider."""


def owner_id(t):
    return t.sale_id or t.layaway_id or t.work_order_id


def _lock(session, tender_id):
    return session.scalars(select(Tender).where(Tender.id == str(tender_id))
                           .with_for_update()).one()


def _read(ctx, tender_id):
    with ctx.db.transaction() as session:
        return session.get(Tender, str(tender_id))


def payment_facts(t, amount=None):
    facts = {
        "payment_id": t.id, "store_id": t.store_id, "method": t.method,
        "amount": money(t.amount if amount is None else amount, t.currency),
        "sale_id": t.sale_id, "work_order_id": t.work_order_id, "layaway_id": t.layaway_id,
        "client_id": t.client_id,
    }
    if t.charge_currency != t.currency:
        facts["charge"] = money(t.charge_amount, t.charge_currency)
        facts["fx_rate"] = t.fx_rate
    return facts


def open_drawer(session, store_id, register):
    return session.scalars(select(Drawer).where(
        Drawer.store_id == store_id, Drawer.register == register, Drawer.status == "open")).first()


def _touch(t, **values):
    for k, v in values.items():
        setattr(t, k, v)
    t.updated_at = now()


def _captured(session, ctx, t, **values):
    if t.state == "captured":
        return
    _touch(t, state="captured", captured_at=now(), **values)
    emit(session, "payment.captured", payment_facts(t), store_id=t.store_id)
    audit(session, ctx.identity, "tender", t.id, "captured", t.store_id, method=t.method,
          amount=t.amount, owner=owner_id(t))


def _fail(ctx, tender_id, reason, **values):
    with ctx.db.transaction() as session:
        t = _lock(session, tender_id)
        if t.state == "pending":
            _touch(t, state="failed", failure_reason=reason[:500], **values)
            audit(session, ctx.identity, "tender", t.id, "failed", t.store_id, reason=reason)
    raise Declined(reason)


# --- taking -----------------------------------------------------------------------

def take(ctx, tender_id):
    """Take one tender; returns its new state (``authorized`` or ``captured``).

    Raises ``Declined`` (nothing taken) or ``Unsettled`` (card outcome unknown).
    """
    t = _read(ctx, tender_id)
    if t.state in TAKEN:
        return t.state
    if t.state in ("failed", "voided", "refunded"):
        raise Declined(t.failure_reason or f"the {t.method} tender was {t.state}")
    if t.method in CASH_LIKE:
        return _take_cash(ctx, tender_id)
    if t.method == "gift_card":
        return _take_balance(ctx, tender_id, "gift_card")
    if t.method == "store_credit":
        return _take_balance(ctx, tender_id, "store_credit")
    if t.method == "loyalty_points":
        return _take_points(ctx, t)
    return _take_card(ctx, t)


def _take_cash(ctx, tender_id):
    with ctx.db.transaction() as session:
        return take_cash_in(session, ctx, _lock(session, tender_id))


def take_cash_in(session, ctx, t):
    """A cash-like tender ``t`` (locked in ``session``) is in hand: into the
    register's open drawer, captured."""
    if t.state != "pending":
        return t.state
    if t.method == "cash":
        drawer = open_drawer(session, t.store_id, t.register)
        if drawer is not None:
            t.drawer_id = drawer.id
            session.add(DrawerMovement(drawer_id=drawer.id, kind="sale", amount=t.amount,
                                       tender_id=t.id, at=now(), actor_id=ctx.identity.user_id,
                                       reason=f"payment {t.key}"))
    _captured(session, ctx, t)
    return t.state


def _take_balance(ctx, tender_id, kind):
    reason = None
    with ctx.db.transaction() as session:
        t = _lock(session, tender_id)
        if t.state != "pending":
            return t.state
        if kind == "gift_card":
            taken = session.execute(
                update(GiftCard).where(GiftCard.id == t.gift_card_id, GiftCard.status == "active",
                                       GiftCard.currency == t.currency,
                                       GiftCard.balance >= t.amount)
                .values(balance=GiftCard.balance - t.amount).returning(GiftCard.id)).first()
            if taken:
                session.add(GiftCardMovement(gift_card_id=t.gift_card_id, kind="redeemed",
                                             amount=-t.amount, tender_id=t.id, ref=f"{t.key}:redeem",
                                             at=now(), actor_id=ctx.identity.user_id))
        else:
            taken = session.execute(
                update(StoreCredit).where(StoreCredit.client_id == t.client_id,
                                          StoreCredit.currency == t.currency,
                                          StoreCredit.balance >= t.amount)
                .values(balance=StoreCredit.balance - t.amount).returning(StoreCredit.client_id)).first()
            if taken:
                session.add(StoreCreditMovement(client_id=t.client_id, currency=t.currency,
                                                kind="redeemed", amount=-t.amount,
                                                ref=f"{t.key}:redeem", store_id=t.store_id, at=now(),
                                                actor_id=ctx.identity.user_id))
        if taken:
            _captured(session, ctx, t)
            return t.state
        reason = ("the gift card's balance is too low" if kind == "gift_card"
                  else "the client's store credit is too low")
    _fail(ctx, tender_id, reason)


def _take_points(ctx, t):
    try:
        ctx.crm.redeem_points(t.client_id, owner_id(t), t.points)
    except (Conflict, NotFound, InvalidInput) as exc:
        _fail(ctx, t.id, f"loyalty points refused: {exc.detail or exc}")
    except Unavailable as exc:
        # crm may or may not have taken them: refund_points (idempotent) gives them back
        _fail(ctx, t.id, f"loyalty points could not be redeemed: {exc.detail or exc}",
              provider_status="unknown")
    with ctx.db.transaction() as session:
        t = _lock(session, t.id)
        if t.state == "pending":
            _captured(session, ctx, t, provider_status="redeemed")
        return t.state


def _metadata(t):
    return {"tender_key": t.key, "tender_id": t.id, "sale_id": t.sale_id or "",
            "layaway_id": t.layaway_id or "", "work_order_id": t.work_order_id or "",
            "store_id": t.store_id}


def _take_card(ctx, t):
    if not t.provider_intent_id:
        try:
            facts = ctx.stripe.create_intent(t.charge_amount, t.charge_currency, t.payment_method,
                                             key=t.key, metadata=_metadata(t))
        except (CardDeclined, ProviderRejected) as exc:
            _fail(ctx, t.id, f"card refused: {getattr(exc, 'reason', None) or exc}")
        except OutcomeUnknown as exc:
            raise Unsettled(str(exc)) from None
        with ctx.db.transaction() as session:
            t = _lock(session, t.id)
            _touch(t, provider_intent_id=facts["id"], provider_status=facts["status"])
        ctx.hook("after_intent_created", tender_id=t.id)
    else:
        facts = _retrieve(ctx, t)
    return _advance_card(ctx, t.id, facts)


def _retrieve(ctx, t):
    try:
        return ctx.stripe.retrieve(t.provider_intent_id)
    except (OutcomeUnknown, ProviderRejected) as exc:
        raise Unsettled(str(exc)) from None


def _advance_card(ctx, tender_id, facts):
    t = _read(ctx, tender_id)
    if facts["status"] == "requires_confirmation":
        try:
            facts = ctx.stripe.confirm(t.provider_intent_id, key=f"{t.key}:confirm")
        except CardDeclined as exc:
            _fail(ctx, t.id, f"card declined: {exc.reason}", provider_status="requires_payment_method")
        except ProviderRejected:
            facts = _retrieve(ctx, t)     # already confirmed elsewhere? ask what it is now
            if facts["status"] == "requires_confirmation":
                _fail(ctx, t.id, "the card payment could not be confirmed")
        except OutcomeUnknown as exc:
            raise Unsettled(str(exc)) from None
    status = facts["status"]
    if status in ("requires_capture", "succeeded"):
        with ctx.db.transaction() as session:
            t = _lock(session, tender_id)
            values = {"provider_status": status, "provider_charge_id": facts.get("charge_id"),
                      "card_last4": facts.get("last4") or t.card_last4}
            if status == "succeeded":
                _captured(session, ctx, t, **values)
            elif t.state == "pending":
                _touch(t, state="authorized", **values)
            return t.state
    if status == "requires_payment_method":
        _fail(ctx, tender_id, f"card declined: {facts.get('error') or 'declined'}",
              provider_status=status)
    if status == "canceled":
        _fail(ctx, tender_id, "the card payment was cancelled", provider_status=status)
    if status == "requires_action":
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
    t = _read(ctx, tender_id)
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
    with ctx.db.transaction() as session:
        t = _lock(session, tender_id)
        if t.state == "authorized":
            _captured(session, ctx, t, provider_status=facts["status"],
                      provider_charge_id=facts.get("charge_id") or t.provider_charge_id)
        return t.state


def collect(ctx, tender_id):
    """Take and, for a card, capture at once (a single payment)."""
    state = take(ctx, tender_id)
    if state == "authorized":
        state = capture(ctx, tender_id)
    return state


def reconcile(ctx, tender_id):
    """Bring a card tender in line with its PaymentIntent (forward only)."""
    t = _read(ctx, tender_id)
    if t.method != "card" or not t.provider_intent_id or t.state not in ("pending", "authorized"):
        return t.state
    facts = _retrieve(ctx, t)
    status = facts["status"]
    with ctx.db.transaction() as session:
        t = _lock(session, tender_id)
        if t.state not in ("pending", "authorized"):
            return t.state
        values = {"provider_status": status,
                  "provider_charge_id": facts.get("charge_id") or t.provider_charge_id}
        if status == "succeeded":
            _captured(session, ctx, t, **values)
        elif status == "requires_capture" and t.state == "pending":
            _touch(t, state="authorized", **values)
        elif status == "canceled":
            _touch(t, state="voided", failure_reason="the card payment was cancelled", **values)
        elif status == "requires_payment_method" and t.state == "pending":
            _touch(t, state="failed", failure_reason=facts.get("error") or "card declined", **values)
        else:
            _touch(t, **values)
        return t.state


# --- giving back --------------------------------------------------------------------

def compensate(ctx, tender_id):
    """Undo a tender of a failed sale: void what is only authorized or never
    taken, refund what was captured. Raises ``Unsettled`` when that cannot
    be known or done now (the sweeper tries again)."""
    t = _read(ctx, tender_id)
    if t.method == "card" and t.state in ("pending", "authorized"):
        if t.provider_intent_id:
            facts = _retrieve(ctx, t)
            if facts["status"] == "processing":
                raise Unsettled("the card payment is still processing")
            if facts["status"] == "succeeded":
                reconcile(ctx, tender_id)      # it was captured after all: record, then refund
                return compensate(ctx, tender_id)
            if facts["status"] != "canceled":
                facts = _cancel_intent(ctx, t)
                if facts["status"] == "succeeded":
                    reconcile(ctx, tender_id)
                    return compensate(ctx, tender_id)
        _void(ctx, tender_id)
        return "voided"
    if t.method == "loyalty_points" and t.state in ("pending", "failed") \
            and t.provider_status != "given_back":
        try:
            ctx.crm.refund_points(t.client_id, owner_id(t))
        except Unavailable as exc:
            raise Unsettled(f"crm did not answer: {exc.detail or exc}") from None
        with ctx.db.transaction() as session:
            t = _lock(session, tender_id)
            _touch(t, provider_status="given_back",
                   state="voided" if t.state == "pending" else t.state)
        return t.state
    if t.state == "pending":
        _void(ctx, tender_id)
        return "voided"
    if t.state == "captured":
        remaining = t.amount - t.refunded_amount
        refund(ctx, tender_id, remaining, "compensation", f"{t.key}:compensation")
        return "refunded"
    return t.state


def _void(ctx, tender_id):
    with ctx.db.transaction() as session:
        t = _lock(session, tender_id)
        if t.state in ("pending", "authorized"):
            _touch(t, state="voided")
            audit(session, ctx.identity, "tender", t.id, "voided", t.store_id)


def refund(ctx, tender_id, amount, reason, key, return_id=None):
    """Give ``amount`` back on this tender (to the card, the drawer, the gift
    card, the store credit or the points it came from). Idempotent by ``key``."""
    with ctx.db.transaction() as session:
        r = session.scalars(select(TenderRefund).where(TenderRefund.key == key)).first()
        if r is None:
            t = _lock(session, tender_id)
            if t.state not in ("captured", "refunded"):
                raise Conflict(f"the {t.method} payment was not captured; nothing to refund")
            pending = session.scalar(select(func.coalesce(func.sum(TenderRefund.amount), 0)).where(
                TenderRefund.tender_id == t.id, TenderRefund.state == "pending")) or 0
            refundable = t.amount - t.refunded_amount - int(pending)
            if amount <= 0 or amount > refundable:
                raise Conflict(f"only {refundable} can still be refunded on this {t.method} payment")
            charged_back = session.scalar(select(func.coalesce(func.sum(TenderRefund.charge_amount), 0))
                                          .where(TenderRefund.tender_id == t.id)) or 0
            if amount == refundable:
                charge_amount = t.charge_amount - int(charged_back)
            else:
                charge_amount = min(t.charge_amount - int(charged_back),
                                    max(1, (amount * t.charge_amount + t.amount // 2) // t.amount))
            r = TenderRefund(key=key, tender_id=t.id, reason=reason, return_id=return_id,
                             amount=amount, charge_amount=charge_amount, state="pending",
                             created_at=now())
            session.add(r)
            session.flush()
        refund_id = r.id
    return execute_refund(ctx, refund_id)


def execute_refund(ctx, refund_id):
    with ctx.db.transaction() as session:
        r = session.get(TenderRefund, refund_id)
        t = session.get(Tender, r.tender_id)
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
            ctx.crm.refund_points(t.client_id, owner_id(t))
        except Unavailable as exc:
            raise Unsettled(f"crm did not answer: {exc.detail or exc}") from None
    with ctx.db.transaction() as session:
        r = session.scalars(select(TenderRefund).where(TenderRefund.id == refund_id)
                            .with_for_update()).one()
        if r.state == "succeeded":
            return r
        t = _lock(session, r.tender_id)
        r.state, r.done_at, r.provider_refund_id = "succeeded", now(), provider_refund_id
        t.refunded_amount += r.amount
        _touch(t, state="refunded" if t.refunded_amount >= t.amount else t.state)
        if t.method == "loyalty_points":
            t.provider_status = "given_back"
        if t.method == "cash":
            drawer = open_drawer(session, t.store_id, t.register)
            if drawer is not None:
                r.drawer_id = drawer.id
                session.add(DrawerMovement(drawer_id=drawer.id, kind="refund", amount=-r.amount,
                                           tender_id=t.id, at=now(), actor_id=ctx.identity.user_id,
                                           reason=f"refund {r.key}"))
        elif t.method == "gift_card":
            session.execute(update(GiftCard).where(GiftCard.id == t.gift_card_id)
                            .values(balance=GiftCard.balance + r.amount))
            session.add(GiftCardMovement(gift_card_id=t.gift_card_id, kind="refunded",
                                         amount=r.amount, tender_id=t.id, ref=r.key, at=now(),
                                         actor_id=ctx.identity.user_id))
        elif t.method == "store_credit":
            credit(session, ctx.identity, t.client_id, t.currency, r.amount, r.key, t.store_id,
                   kind="refunded")
        facts = payment_facts(t, r.amount)
        facts.update(refund_id=r.id, reason=r.reason, return_id=r.return_id)
        if t.charge_currency != t.currency:
            facts["charge"] = money(r.charge_amount, t.charge_currency)
        emit(session, "payment.refunded", facts, store_id=t.store_id)
        audit(session, ctx.identity, "tender", t.id, "refunded", t.store_id, amount=r.amount,
              reason=r.reason, refund_id=r.id)
        return r


def credit(session, identity, client_id, currency, amount, ref, store_id, kind="issued"):
    """Add store credit for a client (returns, cancelled layaways). Idempotent by ``ref``."""
    if session.scalars(select(StoreCreditMovement.id).where(StoreCreditMovement.ref == ref)).first():
        return
    account = session.scalars(select(StoreCredit).where(
        StoreCredit.client_id == str(client_id), StoreCredit.currency == currency)
        .with_for_update()).first()
    if account is None:
        account = StoreCredit(client_id=str(client_id), currency=currency, balance=0)
        session.add(account)
    account.balance += amount
    session.add(StoreCreditMovement(client_id=str(client_id), currency=currency, kind=kind,
                                    amount=amount, ref=ref, store_id=store_id, at=now(),
                                    actor_id=identity.user_id))
    session.flush()
    audit(session, identity, "store_credit", client_id, kind, store_id, amount=amount, ref=ref)


def tender_view(t, refunds=None):
    view = {
        "id": t.id, "index": t.position, "method": t.method, "amount": money(t.amount, t.currency),
        "state": t.state, "refunded": money(t.refunded_amount, t.currency),
        "failure_reason": t.failure_reason,
    }
    if t.method == "card":
        view["card"] = {"payment_intent": t.provider_intent_id, "last4": t.card_last4,
                        "status": t.provider_status, "disputed": t.disputed_at is not None}
        if t.charge_currency != t.currency:
            view["charge"] = {"amount": money(t.charge_amount, t.charge_currency),
                              "fx_rate": t.fx_rate}
    if t.method == "cash" and t.cash_received is not None:
        view["received"] = money(t.cash_received, t.currency)
        view["change"] = money(t.change_due or 0, t.currency)
    if t.method == "loyalty_points":
        view["points"] = t.points
    if refunds is not None:
        view["refunds"] = [{"id": r.id, "amount": money(r.amount, t.currency), "reason": r.reason,
                            "state": r.state, "return_id": r.return_id}
                           for r in refunds if r.tender_id == t.id]
    return view
