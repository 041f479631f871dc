"""Tender checks, pure: one validator per method (``VALIDATORS``) against
the ``Terms`` of the store, no database; ``check_tenders`` adds that the
tenders pay the total, points pay once and Form 8300 needs the buyer."""
from types import SimpleNamespace

import pytest

from contracts.events.payments import TENDER_METHODS
from services.payments.tender_checks import (
    VALIDATORS,
    Refused,
    Terms,
    check_card,
    check_cash,
    check_gift_card,
    check_points,
    check_store_credit,
    check_tenders,
)


def usd(amount, currency="USD"):
    return {"amount": amount, "currency": currency}


def test_every_tender_method_has_its_validator():
    assert set(VALIDATORS) == set(TENDER_METHODS)


def test_a_card_in_another_currency_needs_a_rate_and_is_charged_in_its_units():
    terms = Terms(currency="USD")
    with pytest.raises(Refused) as refused:
        check_card({"payment_method": "pm", "currency": "JPY"}, 100000, terms)
    assert refused.value.field == "fx_rate" and "units of JPY for one USD" in refused.value.message
    extra = check_card({"payment_method": "pm", "currency": "JPY", "fx_rate": "151.2"}, 100000,
                       terms)
    assert extra == {"payment_method": "pm", "charge_currency": "JPY", "fx_rate": "151.2",
                     "charge_amount": 151200}
    with pytest.raises(Refused) as refused:
        check_card({"payment_method": "pm", "fx_rate": "2"}, 100, terms)
    assert refused.value.field == "fx_rate"
    assert check_card({"payment_method": "pm", "fx_rate": "1"}, 100, terms) == {"payment_method": "pm"}


def test_cash_received_gives_the_change():
    assert check_cash({"received": usd(2000)}, 1089, Terms("USD")) == {
        "cash_received": 2000, "change_due": 911}
    assert check_cash({}, 1089, Terms("USD")) == {}


def test_a_gift_card_must_exist_be_active_in_the_currency_and_hold_enough():
    cards = {"ABCD": SimpleNamespace(id="g1", status="active", currency="USD", balance=5000),
             "EURO": SimpleNamespace(id="g2", status="active", currency="EUR", balance=5000)}
    terms = Terms("USD", gift_card=cards.get)
    assert check_gift_card({"gift_card_code": "ab-cd"}, 5000, terms) == {"gift_card_id": "g1"}
    for code, amount, field in (("NONE", 1, "gift_card_code"), ("EURO", 1, "gift_card_code"),
                                ("ABCD", 5001, "amount")):
        with pytest.raises(Refused) as refused:
            check_gift_card({"gift_card_code": code}, amount, terms)
        assert refused.value.field == field


def test_store_credit_and_points_need_the_client():
    balances = {("c1", "USD"): 3000}
    terms = Terms("USD", client_id="c1", point_value=5,
                  store_credit=lambda client, currency: balances.get((client, currency), 0))
    assert check_store_credit({}, 3000, terms) == {}
    with pytest.raises(Refused) as refused:
        check_store_credit({}, 3001, terms)
    assert refused.value.message == "the client's store credit is 3000"
    assert check_points({}, 500, terms) == {"points": 100}
    with pytest.raises(Refused) as refused:
        check_points({"points": 99}, 500, terms)
    assert refused.value.field == "points"
    with pytest.raises(Refused):
        check_points({}, 501, terms)
    anonymous = Terms("USD")
    for check in (check_store_credit, check_points):
        with pytest.raises(Refused) as refused:
            check({}, 100, anonymous)
        assert refused.value.field == "method"


def test_the_tenders_pay_the_total_exactly_points_once_and_big_cash_names_the_buyer():
    terms = Terms("USD", client_id="c1")
    errors = {}
    out = check_tenders(terms, [{"method": "cash", "amount": usd(100)},
                                {"method": "cash", "amount": usd(50, "EUR")}], 100, errors)
    assert [t["position"] for t in out] == [0] and list(errors) == ["tenders.1.amount.currency"]
    errors = {}
    check_tenders(terms, [{"method": "cash", "amount": usd(100)}], 101, errors)
    assert errors == {"tenders": ["the tenders add up to 100, the total is 101 USD"]}
    errors = {}
    check_tenders(terms, [{"method": "loyalty_points", "amount": usd(1)}] * 2, 2, errors)
    assert errors == {"tenders": ["points can pay once per sale"]}
    errors = {}
    check_tenders(Terms("USD"), [{"method": "cash", "amount": usd(1000001)}], 1000001, errors)
    assert list(errors) == ["client_id"]
    errors = {}
    check_tenders(Terms("USD"), [{"method": "cash", "amount": usd(1000000)}], 1000000, errors)
    assert errors == {}
