"""One tender's records: what taking, capturing and giving back a tender
writes, each rule in the caller's ``session`` (``tender_steps`` commits
between them, around Stripe and crm):

    pending --take--> authorized (card) --capture--> captured --refund--> refunded
    pending --take--> captured (cash, gift card, store credit, points)
    pending/authorized --compensate--> voided ; a refused take --> failed

A card tender's PaymentIntent id is committed *before* it is confirmed;
from then on the tender is only ever advanced from what Stripe says the
intent is, never by creating another one. Money moves once
(docs/ARCHITECTURE.md#checkout-saga-payments-orchestrates).
"""
from sqlalchemy import func, select, update

from chassis.clock import now
from chassis.errors import Conflict
from chassis.outbox import emit
from contracts.money import money

from .common import audit
from .models import (
    Drawer,
    DrawerMovement,
    GiftCard,
    GiftCardMovement,
    StoreCredit,
    StoreCreditMovement,
    Tender,
    TenderRefund,
)

CASH_LIKE = ("cash", "cashiers_check", "money_order")
TAKEN = ("authorized", "captured")


class Declined(Exception):
    """The tender was refused; nothing was taken by it."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class Waiting(Exception):
    """A card waits for its cardholder (a tap on the store's reader, an
    authentication with the bank): nothing is decided yet, the tender stays
    pending with its next step (``next_action``) and the sale ``pending``."""


WAITING = ("waiting_for_reader", "requires_action")   # provider statuses of a waiting card


def waiting(t):
    return t.method == "card" and t.state == "pending" and t.provider_status in WAITING


class Unsettled(Exception):
    """Nobody knows yet whether money moved (Stripe or a neighbour did not
    answer). The tender is left as it is, to be settled from the provider."""


def owner_id(t):
    return t.sale_id or t.layaway_id or t.work_order_id


def new_tender(owner, t, purpose, at, position=None, key=None):
    """A pending tender row of ``owner`` (a sale, a layaway or a work order)."""
    position = t["position"] if position is None else position
    return Tender(
        key=key or f"{owner.id}:{position}", position=position, purpose=purpose,
        sale_id=owner.id if purpose == "sale" else None,
        layaway_id=owner.id if purpose == "layaway" else None,
        store_id=owner.store_id, client_id=owner.client_id,
        register=getattr(owner, "register", None) or "main", method=t["method"],
        amount=t["amount"], currency=owner.currency, charge_amount=t["charge_amount"],
        charge_currency=t["charge_currency"], fx_rate=t.get("fx_rate"),
        cash_received=t.get("cash_received"), change_due=t.get("change_due"),
        payment_method=t.get("payment_method"), reader_id=t.get("reader_id"),
        gift_card_id=t.get("gift_card_id"),
        points=t.get("points"), state="pending", created_at=at, updated_at=at,
    )


def lock(session, tender_id):
    return session.scalars(select(Tender).where(Tender.id == str(tender_id))
                           .with_for_update()).one()


def get(session, tender_id):
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


def touch(t, **values):
    for k, v in values.items():
        setattr(t, k, v)
    t.updated_at = now()


def captured(session, identity, t, **values):
    if t.state == "captured":
        return
    touch(t, state="captured", captured_at=now(), **values)
    emit(session, "payment.captured", payment_facts(t), store_id=t.store_id)
    audit(session, identity, "tender", t.id, "captured", t.store_id, method=t.method,
          amount=t.amount, owner=owner_id(t))


def mark_failed(session, identity, tender_id, reason, **values):
    t = lock(session, tender_id)
    if t.state == "pending":
        touch(t, state="failed", failure_reason=reason[:500], **values)
        audit(session, identity, "tender", t.id, "failed", t.store_id, reason=reason)


def set_provider(session, tender_id, **values):
    touch(lock(session, tender_id), **values)


# --- taking -----------------------------------------------------------------------

def take_cash(session, identity, tender_id):
    return take_cash_in(session, identity, lock(session, tender_id))


def take_cash_in(session, identity, t):
    """A cash-like tender ``t`` (locked in ``session``) is in hand: into the
    register's open drawer, captured."""
    if t.state != "pending":
        return t.state
    if t.method == "cash":
        drawer = open_drawer(session, t.store_id, t.register)
        if drawer is not None:
            t.drawer_id = drawer.id
            session.add(DrawerMovement(drawer_id=drawer.id, kind="sale", amount=t.amount,
                                       tender_id=t.id, at=now(), actor_id=identity.user_id,
                                       reason=f"payment {t.key}"))
    captured(session, identity, t)
    return t.state


def _debit_gift_card(session, identity, t):
    taken = session.execute(
        update(GiftCard).where(GiftCard.id == t.gift_card_id, GiftCard.status == "active",
                               GiftCard.currency == t.currency, GiftCard.balance >= t.amount)
        .values(balance=GiftCard.balance - t.amount).returning(GiftCard.id)).first()
    if taken:
        session.add(GiftCardMovement(gift_card_id=t.gift_card_id, kind="redeemed",
                                     amount=-t.amount, tender_id=t.id, ref=f"{t.key}:redeem",
                                     at=now(), actor_id=identity.user_id))
    return taken is not None


def _debit_store_credit(session, identity, t):
    taken = session.execute(
        update(StoreCredit).where(StoreCredit.client_id == t.client_id,
                                  StoreCredit.currency == t.currency,
                                  StoreCredit.balance >= t.amount)
        .values(balance=StoreCredit.balance - t.amount).returning(StoreCredit.client_id)).first()
    if taken:
        session.add(StoreCreditMovement(client_id=t.client_id, currency=t.currency,
                                        kind="redeemed", amount=-t.amount,
                                        ref=f"{t.key}:redeem", store_id=t.store_id, at=now(),
                                        actor_id=identity.user_id))
    return taken is not None


LOW_BALANCE = {"gift_card": "the gift card's balance is too low",
               "store_credit": "the client's store credit is too low"}


def take_balance(session, identity, tender_id):
    """A gift card or store credit tender: the balance debited and the tender
    captured; returns ``(state, None)`` or ``(None, reason)`` when too low."""
    t = lock(session, tender_id)
    if t.state != "pending":
        return t.state, None
    debit = _debit_gift_card if t.method == "gift_card" else _debit_store_credit
    if debit(session, identity, t):
        captured(session, identity, t)
        return t.state, None
    return None, LOW_BALANCE[t.method]


def points_redeemed(session, identity, tender_id):
    t = lock(session, tender_id)
    if t.state == "pending":
        captured(session, identity, t, provider_status="redeemed")
    return t.state


def wait_for_cardholder(session, identity, tender_id, status, next_action):
    """The card waits for its cardholder (``status``: one of ``WAITING``)."""
    t = lock(session, tender_id)
    if t.state != "pending" or t.provider_status == status:
        return t.state      # asked again: the wait keeps its start (TERMINAL_WAIT_SECONDS)
    touch(t, provider_status=status, next_action=next_action)
    audit(session, identity, "tender", t.id, status, t.store_id,
          next_action=(next_action or {}).get("type"))
    return t.state


def card_answered(session, identity, tender_id, facts):
    """Stripe authorized (``requires_capture``) or captured (``succeeded``) the card."""
    t = lock(session, tender_id)
    values = {"provider_status": facts["status"], "provider_charge_id": facts.get("charge_id"),
              "card_last4": facts.get("last4") or t.card_last4}
    if facts["status"] == "succeeded":
        captured(session, identity, t, **values)
    elif t.state == "pending":
        touch(t, state="authorized", **values)
    return t.state


def card_captured(session, identity, tender_id, facts):
    t = lock(session, tender_id)
    if t.state == "authorized":
        captured(session, identity, t, provider_status=facts["status"],
                 provider_charge_id=facts.get("charge_id") or t.provider_charge_id,
                 card_last4=facts.get("last4") or t.card_last4)
    return t.state


def reconciled(session, identity, tender_id, facts):
    """A card tender brought in line with its PaymentIntent (forward only)."""
    t = lock(session, tender_id)
    if t.state not in ("pending", "authorized"):
        return t.state
    status = facts["status"]
    values = {"provider_status": status,
              "provider_charge_id": facts.get("charge_id") or t.provider_charge_id}
    if status == "succeeded":
        captured(session, identity, t, **values)
    elif status == "requires_capture" and t.state == "pending":
        touch(t, state="authorized", **values)
    elif status == "canceled":
        touch(t, state="voided", failure_reason="the card payment was cancelled", **values)
    elif status == "requires_payment_method" and t.state == "pending":
        touch(t, state="failed", failure_reason=facts.get("error") or "card declined", **values)
    else:
        touch(t, **values)
    return t.state


# --- giving back --------------------------------------------------------------------

def void(session, identity, tender_id):
    t = lock(session, tender_id)
    if t.state in ("pending", "authorized"):
        touch(t, state="voided")
        audit(session, identity, "tender", t.id, "voided", t.store_id)


def points_given_back(session, tender_id):
    t = lock(session, tender_id)
    touch(t, provider_status="given_back", state="voided" if t.state == "pending" else t.state)
    return t.state


def _sum(session, column, tender_id, *where):
    return int(session.scalar(select(func.coalesce(func.sum(column), 0))
                              .where(TenderRefund.tender_id == tender_id, *where)) or 0)


def open_refund(session, tender_id, amount, reason, key, return_id=None):
    """The refund row of ``amount`` on this tender (idempotent by ``key``); its id."""
    r = session.scalars(select(TenderRefund).where(TenderRefund.key == key)).first()
    if r is not None:
        return r.id
    t = lock(session, tender_id)
    if t.state not in ("captured", "refunded"):
        raise Conflict(f"the {t.method} payment was not captured; nothing to refund")
    pending = _sum(session, TenderRefund.amount, t.id, TenderRefund.state == "pending")
    refundable = t.amount - t.refunded_amount - pending
    if amount <= 0 or amount > refundable:
        raise Conflict(f"only {refundable} can still be refunded on this {t.method} payment")
    charged_back = _sum(session, TenderRefund.charge_amount, t.id)
    if amount == refundable:
        charge_amount = t.charge_amount - charged_back
    else:
        charge_amount = min(t.charge_amount - charged_back,
                            max(1, (amount * t.charge_amount + t.amount // 2) // t.amount))
    r = TenderRefund(key=key, tender_id=t.id, reason=reason, return_id=return_id, amount=amount,
                     charge_amount=charge_amount, state="pending", created_at=now())
    session.add(r)
    session.flush()
    return r.id


def refund_and_tender(session, refund_id):
    r = session.get(TenderRefund, refund_id)
    return r, session.get(Tender, r.tender_id)


def _give_back(session, identity, t, r):
    """The money of refund ``r`` back where tender ``t`` took it from."""
    if t.method == "loyalty_points":
        t.provider_status = "given_back"
    if t.method == "cash":
        drawer = open_drawer(session, t.store_id, t.register)
        if drawer is not None:
            r.drawer_id = drawer.id
            session.add(DrawerMovement(drawer_id=drawer.id, kind="refund", amount=-r.amount,
                                       tender_id=t.id, at=now(), actor_id=identity.user_id,
                                       reason=f"refund {r.key}"))
    elif t.method == "gift_card":
        session.execute(update(GiftCard).where(GiftCard.id == t.gift_card_id)
                        .values(balance=GiftCard.balance + r.amount))
        session.add(GiftCardMovement(gift_card_id=t.gift_card_id, kind="refunded",
                                     amount=r.amount, tender_id=t.id, ref=r.key, at=now(),
                                     actor_id=identity.user_id))
    elif t.method == "store_credit":
        credit(session, identity, t.client_id, t.currency, r.amount, r.key, t.store_id,
               kind="refunded")


def refund_done(session, identity, refund_id, provider_refund_id=None):
    """The provider (or nobody, for money in hand) gave it back: booked once."""
    r = session.scalars(select(TenderRefund).where(TenderRefund.id == refund_id)
                        .with_for_update()).one()
    if r.state == "succeeded":
        return r
    t = lock(session, r.tender_id)
    r.state, r.done_at, r.provider_refund_id = "succeeded", now(), provider_refund_id
    t.refunded_amount += r.amount
    touch(t, state="refunded" if t.refunded_amount >= t.amount else t.state)
    _give_back(session, identity, t, r)
    facts = payment_facts(t, r.amount)
    facts.update(refund_id=r.id, reason=r.reason, return_id=r.return_id)
    if t.charge_currency != t.currency:
        facts["charge"] = money(r.charge_amount, t.charge_currency)
    emit(session, "payment.refunded", facts, store_id=t.store_id)
    audit(session, identity, "tender", t.id, "refunded", t.store_id, amount=r.amount,
          reason=r.reason, refund_id=r.id)
    return r


def pending_refunds(session, older_than, limit=50):
    return session.scalars(select(TenderRefund.id).where(
        TenderRefund.state == "pending", TenderRefund.created_at < older_than).limit(limit)).all()


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
        # a card waiting for its cardholder shows what it waits for (the row stays pending)
        "state": t.provider_status if waiting(t) else t.state, "refunded": money(t.refunded_amount, t.currency),
        "failure_reason": t.failure_reason,
    }
    if t.method == "card":
        view["card"] = {"payment_intent": t.provider_intent_id, "last4": t.card_last4,
                        "status": t.provider_status, "disputed": t.disputed_at is not None,
                        "reader_id": t.reader_id}
        view["next_action"] = t.next_action if waiting(t) else None
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
