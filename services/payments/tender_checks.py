"""Are the tenders of a request acceptable? One small validator per method
(``VALIDATORS``: method -> function), each a pure function of the tender and
the ``Terms`` it is taken on, testable without a database; ``check_tenders``
runs them and checks that together they pay the total (and Form 8300's
identified buyer, docs/API.md#sales-and-payments)."""
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from . import compliance, terminal
from .cash_reports import REPORT_CURRENCY
from .models import GiftCard, StoreCredit
from .money import convert, cross_rate, parse_rate


def normalize_code(code):
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())


@dataclass(frozen=True)
class Terms:
    """What tenders are checked against: the store's currency, the client,
    the value of a point and two look-ups (a gift card by code, a client's
    store credit balance in the currency)."""

    currency: str
    client_id: str | None = None
    point_value: int = 1
    gift_card: Callable = lambda code: None
    store_credit: Callable = lambda client_id, currency: 0
    hq_rates: dict | None = None        # HQ's exchange rates, from the gateway (never the counter)
    reader: Callable | None = None      # the store's reader by id; None: no reader here


class Refused(Exception):
    """The tender is refused: ``field`` (under the tender's own key) and why."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field, self.message = field, message


def check_reader(t, terms):
    """A card taken on one of the store's readers (a sale's only)."""
    if terms.reader is None:
        raise Refused("reader_id", "a card on a reader pays a sale only")
    reader = terms.reader(str(t["reader_id"]))
    if reader is None:
        raise Refused("reader_id", "no such reader in this store (GET /terminal/readers)")
    if (t.get("currency") or terms.currency) != terms.currency:
        raise Refused("currency", "a reader charges the store's currency")
    return {"reader_id": reader.id, "payment_method": None}


def check_card(t, amount, terms):
    if t.get("reader_id"):
        return check_reader(t, terms)
    currency = terms.currency
    extra = {"payment_method": t["payment_method"]}
    charge_currency = t.get("currency") or currency
    if charge_currency != currency:
        rate = parse_rate(t.get("fx_rate")) if t.get("fx_rate") is not None else None
        if rate is None:
            raise Refused("fx_rate", f"HQ has recorded no exchange rate to charge a card in "
                          f"{charge_currency}, not the store's {currency}: HQ must record one "
                          f"(POST /fx-rates) first (units of {charge_currency} for one "
                          f"{currency})")
        extra.update(charge_currency=charge_currency, fx_rate=str(rate),
                     charge_amount=convert(amount, currency, charge_currency, rate))
        if extra["charge_amount"] <= 0:
            raise Refused("amount", "too small to charge in " + charge_currency)
    elif t.get("fx_rate") is not None and parse_rate(t["fx_rate"]) != 1:
        raise Refused("fx_rate", "the card is charged in the store's currency")
    return extra


def check_cash(t, amount, terms):
    if not t.get("received"):
        return {}
    return {"cash_received": t["received"]["amount"],
            "change_due": t["received"]["amount"] - amount}


def check_instrument(t, amount, terms):
    """A cashier's check or a money order: its face amount is the tender."""
    return {}


def check_gift_card(t, amount, terms):
    card = terms.gift_card(normalize_code(t["gift_card_code"]))
    if card is None or card.status != "active":
        raise Refused("gift_card_code", "no such gift card")
    if card.currency != terms.currency:
        raise Refused("gift_card_code", f"the gift card is in {card.currency}")
    if card.balance < amount:
        raise Refused("amount", f"the gift card's balance is {card.balance}")
    return {"gift_card_id": card.id}


def check_store_credit(t, amount, terms):
    if not terms.client_id:
        raise Refused("method", "store credit needs the client")
    balance = terms.store_credit(terms.client_id, terms.currency)
    if balance < amount:
        raise Refused("amount", f"the client's store credit is {balance}")
    return {}


def check_points(t, amount, terms):
    if not terms.client_id:
        raise Refused("method", "paying with points needs the client")
    value = terms.point_value
    points, rest = divmod(amount, value)
    if rest or (t.get("points") is not None and t["points"] != points):
        raise Refused("points", f"one point is worth {value} minor units of {terms.currency}: "
                      f"{amount} is {amount / value:g} points")
    return {"points": points}


VALIDATORS = {
    "card": check_card,
    "cash": check_cash,
    "cashiers_check": check_instrument,
    "money_order": check_instrument,
    "gift_card": check_gift_card,
    "store_credit": check_store_credit,
    "loyalty_points": check_points,
}


def with_hq_rate(t, terms):
    """The tender with HQ's rate as its ``fx_rate`` when a card is charged in
    another currency: whatever rate came with it is never used (the request
    schema refuses one; a rate is HQ's, docs/API.md#sales-and-payments)."""
    charge_currency = t.get("currency") or terms.currency
    t = {k: v for k, v in t.items() if k != "fx_rate"}
    if charge_currency != terms.currency:
        t["fx_rate"] = cross_rate(terms.hq_rates, terms.currency, charge_currency)
    return t


def check_one(n, t, terms):
    """The tender's entry (what ``tenders.new_tender`` records), or Refused."""
    t = with_hq_rate(t, terms)
    amount, currency = t["amount"], terms.currency
    if amount["currency"] != currency:
        raise Refused("amount.currency", f"amounts are in the store's currency ({currency}); to "
                      "charge a card in another currency give its currency (at HQ's rate)")
    entry = {"position": n, "method": t["method"], "amount": amount["amount"],
             "charge_amount": amount["amount"], "charge_currency": currency, "fx_rate": None}
    entry.update(VALIDATORS.get(t["method"], check_instrument)(t, amount["amount"], terms))
    return entry


def check_tenders(terms, tenders_in, total, errors, prefix="tenders"):
    """Each tender valid on its own, and together they pay exactly ``total``
    (a negative ``total``: not known, the lines were refused). Errors go
    into ``errors`` by field; returns the entries of the valid tenders."""
    currency, out = terms.currency, []
    for n, t in enumerate(tenders_in):
        try:
            out.append(check_one(n, t, terms))
        except Refused as refused:
            errors[f"{prefix}.{n}.{refused.field}"] = [refused.message]
    points = [t for t in tenders_in if t["method"] == "loyalty_points"
              and t["amount"]["currency"] == currency]
    if len(points) > 1:
        errors[prefix] = ["points can pay once per sale"]
    paid = sum(t["amount"]["amount"] for t in tenders_in if t["amount"]["currency"] == currency)
    if total >= 0 and not any(k.startswith(prefix) for k in errors) and paid != total:
        errors[prefix] = [f"the tenders add up to {paid}, the total is {total} {currency}"]
    cash = sum(t["amount"] for t in out if compliance.counts_as_cash(t["method"], t["amount"]))
    if currency == REPORT_CURRENCY and compliance.is_reportable(cash) and not terms.client_id:
        errors["client_id"] = ["cash above 10,000 USD needs the buyer identified (Form 8300)"]
    return out


def terms_in(session, settings, store, client_id, hq_rates=None, readers=False):
    """The ``Terms`` of a store's tenders, looking up gift cards and store
    credit in ``session``; ``hq_rates``: HQ's exchange rates (the gateway's);
    ``readers``: a card may be taken on one of the store's readers (a sale)."""
    return Terms(
        currency=store.currency, client_id=client_id, point_value=settings.loyalty_point_value,
        hq_rates=hq_rates,
        reader=(lambda reader_id: terminal.store_reader(session, store.id, reader_id))
        if readers else None,
        gift_card=lambda code: session.scalars(select(GiftCard).where(GiftCard.code == code)).first(),
        store_credit=lambda client, currency: getattr(
            session.get(StoreCredit, (client, currency)), "balance", 0),
    )


def check(session, settings, store, tenders_in, total, client_id, errors, prefix="tenders",
          hq_rates=None, readers=False):
    """``check_tenders`` of a store's request, in ``session``."""
    return check_tenders(terms_in(session, settings, store, client_id, hq_rates, readers),
                         tenders_in, total, errors, prefix)


def checker(settings, hq_rates=None):
    """``check`` with ``settings`` (and HQ's rates) given: ``(session, store,
    tenders_in, total, client_id, errors, prefix)``."""
    def bound(session, store, tenders_in, total, client_id, errors, prefix="tenders"):
        return check(session, settings, store, tenders_in, total, client_id, errors, prefix,
                     hq_rates)
    return bound
