"""Purchases, lifetime value, tiers and loyalty points.

The points balance is the sum of the client's ledger entries. Every change
of a balance happens with the client's row locked (``resolve(lock=True)``),
so concurrent redemptions queue and the balance never goes below zero; each
sale redeems, earns or is refunded at most once (unique ``ref``).

Amounts are minor units of an ISO 4217 currency (docs/ARCHITECTURE.md#rule-6);
the timeline prints them with ``chassis.display.format_money`` in the
store's locale.
"""
from datetime import timedelta

from sqlalchemy import func, select

from chassis.clock import now
from chassis.display import format_money
from chassis.errors import Conflict, InvalidInput
from chassis.identity import HQ_ADMIN, STAFF, with_system
from chassis.outbox import emit

from . import rules, wishes
from .common import (
    add_timeline,
    decode_cursor,
    history,
    iso,
    page,
    require_full_view,
    require_writer,
    resolve,
    store_locale,
)
from .models import Client, LedgerEntry, Purchase, Store
from .scope import members_only

TENDER_ROLES = with_system(STAFF)        # payments' loyalty tender, on behalf of staff
ADJUSTERS = with_system((HQ_ADMIN,))    # docs/ARCHITECTURE.md#rule-7: points are HQ's


def balance(session, client_id):
    return int(session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0))
        .where(LedgerEntry.client_id == client_id)) or 0)


def lifetime_values(session, client_id):
    rows = session.execute(
        select(Purchase.currency, func.sum(Purchase.amount))
        .where(Purchase.client_id == client_id)
        .group_by(Purchase.currency).order_by(func.sum(Purchase.amount).desc())
    ).all()
    return [{"amount": int(total), "currency": currency} for currency, total in rows]


def lifetime_value(session, client, by_currency, settings):
    """One figure for the profile: the client's currency, else the home store's."""
    if len(by_currency) == 1:
        return by_currency[0]
    home = session.get(Store, client.home_store_id) if client.home_store_id else None
    currency = home.currency if home else settings.default_currency
    for value in by_currency:
        if value["currency"] == currency:
            return value
    return by_currency[0] if by_currency else {"amount": 0, "currency": currency}


def window_spend(session, client_id, settings, at=None):
    since = (at or now()) - timedelta(days=settings.tier_window_days)
    rows = session.execute(
        select(Purchase.currency, func.sum(Purchase.amount))
        .where(Purchase.client_id == client_id, Purchase.at >= since)
        .group_by(Purchase.currency)
    ).all()
    return {currency: int(total) for currency, total in rows}


def refresh_standing(session, identity, client, settings, at=None):
    """Recompute last purchase and tier; publish ``client.tier_changed``."""
    client.last_purchase_at = session.scalar(
        select(func.max(Purchase.at)).where(Purchase.client_id == client.id,
                                            Purchase.kind == "sale"))
    tier = rules.tier_for(window_spend(session, client.id, settings, at), settings)
    if tier != client.tier:
        old, client.tier = client.tier, tier
        history(session, identity, "client", client.id, "tier_changed", client.id,
                old_tier=old, new_tier=tier)
        emit(session, "client.tier_changed",
             {"client_id": client.id, "old_tier": old, "new_tier": tier},
             store_id=client.home_store_id)
    session.flush()
    return client.tier


# --- the ledger ------------------------------------------------------------------

def _entry(session, identity, client, kind, points, ref, sale_id=None, reason=None):
    entry = LedgerEntry(client_id=client.id, kind=kind, points=points, ref=ref,
                        sale_id=sale_id, reason=reason, actor_id=identity.user_id)
    session.add(entry)
    session.flush()
    history(session, identity, "points", client.id, kind, client.id, points=points, ref=ref,
            sale_id=sale_id, reason=reason)
    return entry


def _by_ref(session, ref):
    return session.scalars(select(LedgerEntry).where(LedgerEntry.ref == ref)).first()


def _result(client, sale_id, points, bal, **extra):
    return {"client_id": client.id, "sale_id": str(sale_id), "points": points, "balance": bal,
            **extra}


def redeem_points(session, identity, client_id, sale_id, points):
    """Take ``points`` for payments' loyalty tender of ``sale_id``.

    A repeat for the same sale answers the first result; a second amount for
    the same sale, or not enough points, is a conflict and changes nothing.
    """
    require_writer(identity, TENDER_ROLES)
    client = resolve(session, client_id, lock=True)
    if _by_ref(session, f"sale:{sale_id}:refund") is not None:
        raise Conflict(f"the points of sale {sale_id} were given back; the sale is over")
    done = _by_ref(session, f"sale:{sale_id}:redeem")
    if done is not None:
        if -done.points != points:
            raise Conflict(f"sale {sale_id} already redeemed {-done.points} points")
        return _result(client, sale_id, -done.points, balance(session, client.id), repeated=True)
    available = balance(session, client.id)
    if points > available:
        raise Conflict(f"not enough points: {available} available, {points} asked")
    _entry(session, identity, client, "redeem", -points, f"sale:{sale_id}:redeem", sale_id)
    return _result(client, sale_id, points, available - points, repeated=False)


def refund_points(session, identity, client_id, sale_id):
    """Give back what ``sale_id`` redeemed (the sale failed). Idempotent; a
    refund that comes before its redemption closes the sale to it."""
    require_writer(identity, TENDER_ROLES)
    client = resolve(session, client_id, lock=True)
    done = _by_ref(session, f"sale:{sale_id}:refund")
    if done is None:
        redeemed = _by_ref(session, f"sale:{sale_id}:redeem")
        give_back = -redeemed.points if redeemed is not None else 0
        done = _entry(session, identity, client, "adjust", give_back, f"sale:{sale_id}:refund",
                      sale_id, reason="sale failed: redeemed points given back")
    return _result(client, sale_id, done.points, balance(session, client.id))


def adjust_points(session, identity, client_id, data):
    """HQ's correction; never takes the balance below zero."""
    require_writer(identity, ADJUSTERS)
    client = resolve(session, client_id, lock=True)
    available = balance(session, client.id)
    if available + data["points"] < 0:
        raise InvalidInput("the balance cannot go below zero",
                           {"points": [f"at least {-available}"]})
    entry = _entry(session, identity, client, "adjust", data["points"], None,
                   reason=data["reason"])
    return {"client_id": client.id, "entry_id": entry.id, "points": entry.points,
            "balance": available + data["points"]}


def ledger_view(entry):
    return {"id": entry.id, "kind": entry.kind, "points": entry.points, "sale_id": entry.sale_id,
            "reason": entry.reason, "actor_id": entry.actor_id, "at": iso(entry.at)}


def ledger(session, identity, client_id, query):
    """A page of the client's ledger, newest first, and the balance."""
    require_full_view(identity)
    client = members_only(session, identity, client_id)
    q = select(LedgerEntry).where(LedgerEntry.client_id == client.id)
    if query.get("cursor"):
        (last,) = decode_cursor(query["cursor"], types=(int,))
        q = q.where(LedgerEntry.id < int(last))
    rows = session.scalars(q.order_by(LedgerEntry.id.desc()).limit(query["limit"] + 1)).all()
    result = page(rows, query["limit"], lambda e: [e.id], ledger_view)
    result["balance"] = balance(session, client.id)
    return result


def expire_points(session, identity, settings, today):
    """Balances with no earning or redeeming for ``points_expire_days`` expire."""
    if settings.points_expire_days <= 0:
        return 0
    cutoff = today - timedelta(days=settings.points_expire_days)
    stale = session.execute(
        select(LedgerEntry.client_id)
        .join(Client, Client.id == LedgerEntry.client_id)
        .where(Client.merged_into.is_(None))
        .group_by(LedgerEntry.client_id)
        .having(func.sum(LedgerEntry.points) > 0,
                func.max(LedgerEntry.at).filter(
                    LedgerEntry.kind.in_(("earn", "redeem"))) < cutoff)
    ).scalars().all()
    expired = 0
    for client_id in stale:
        client = resolve(session, client_id, lock=True)
        points = balance(session, client.id)
        ref = f"expire:{client.id}:{today.isoformat()}"
        if points > 0 and _by_ref(session, ref) is None:
            _entry(session, identity, client, "expire", -points, ref,
                   reason=f"no activity for {settings.points_expire_days} days")
            expired += 1
    return expired


# --- purchases from payments -----------------------------------------------------

def record_sale(session, identity, payload, settings, at):
    """``sale.completed``: purchase, timeline, points, wishes, tier."""
    client = resolve(session, payload["client_id"], lock=True)
    total = payload["total"]
    exists = session.scalars(select(Purchase).where(Purchase.sale_id == str(payload["sale_id"]),
                                                    Purchase.kind == "sale")).first()
    if exists is not None:
        return client
    lines = [{
        "kind": line["kind"], "item_id": str(line["item_id"]) if line.get("item_id") else None,
        "work_order_id": str(line["work_order_id"]) if line.get("work_order_id") else None,
        "description": line.get("description") or "", "amount": line["amount"],
        "category": line.get("category"), "metal_type": line.get("metal_type"),
    } for line in payload["lines"]]
    session.add(Purchase(
        client_id=client.id, kind="sale", sale_id=str(payload["sale_id"]),
        store_id=str(payload["store_id"]), associate_id=payload.get("associate_id"),
        receipt_number=payload["receipt_number"], amount=total["amount"],
        currency=total["currency"], lines=lines, at=at,
    ))
    paid_in_points = sum(t["amount"]["amount"] for t in payload["tenders"]
                         if t["method"] == "loyalty_points")
    earned = rules.points_for(total["amount"] - paid_in_points, total["currency"],
                              settings.points_per_unit)
    if earned:
        _entry(session, identity, client, "earn", earned, f"sale:{payload['sale_id']}:earn",
               str(payload["sale_id"]), reason=f"receipt {payload['receipt_number']}")
    locale = store_locale(session, payload["store_id"], settings)
    add_timeline(session, client, "purchase", at,
                 purchase_summary(payload["receipt_number"], total, locale),
                 store_id=str(payload["store_id"]), ref_id=str(payload["sale_id"]),
                 details={"receipt_number": payload["receipt_number"], "total": total,
                          "lines": lines, "points_earned": earned,
                          "associate_id": payload.get("associate_id")})
    wishes.fulfil(session, identity, client, [line["item_id"] for line in lines if line["item_id"]])
    refresh_standing(session, identity, client, settings)
    return client


def record_return(session, identity, payload, settings, at):
    """``sale.returned``: a negative purchase; points earned on it come back."""
    client = resolve(session, payload["client_id"], lock=True)
    exists = session.scalars(select(Purchase).where(
        Purchase.return_id == str(payload["return_id"]), Purchase.kind == "return")).first()
    if exists is not None:
        return client
    refund = payload["refund"]
    session.add(Purchase(
        client_id=client.id, kind="return", sale_id=str(payload["sale_id"]),
        return_id=str(payload["return_id"]), store_id=str(payload["store_id"]),
        amount=-abs(refund["amount"]), currency=refund["currency"],
        lines=[{"kind": "item", "item_id": str(i)} for i in payload["item_ids"]], at=at,
    ))
    earned = _by_ref(session, f"sale:{payload['sale_id']}:earn")
    taken_back = 0
    if earned is not None:
        already = -int(session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.points), 0))
            .where(LedgerEntry.sale_id == str(payload["sale_id"]),
                   LedgerEntry.ref.like("return:%"))) or 0)
        owed = min(rules.points_for(abs(refund["amount"]), refund["currency"],
                                    settings.points_per_unit),
                   earned.points - already)
        taken_back = max(0, min(owed, balance(session, client.id)))
        if taken_back:
            _entry(session, identity, client, "adjust", -taken_back,
                   f"return:{payload['return_id']}", str(payload["sale_id"]),
                   reason="points of returned pieces")
    add_timeline(session, client, "return", at,
                 return_summary(refund, store_locale(session, payload["store_id"], settings)),
                 store_id=str(payload["store_id"]), ref_id=str(payload["return_id"]),
                 details={"sale_id": str(payload["sale_id"]), "refund": refund,
                          "item_ids": [str(i) for i in payload["item_ids"]],
                          "points_taken_back": taken_back})
    refresh_standing(session, identity, client, settings)
    return client


def purchase_summary(receipt_number, total, locale):
    """The timeline line of a sale: ``"Purchase R-000123: $4,500.00"``."""
    return f"Purchase {receipt_number}: {format_money(total, locale)}"


def return_summary(refund, locale):
    """The timeline line of a return: ``"Return: $4,500.00 refunded"``."""
    return f"Return: {format_money(refund, locale)} refunded"
