"""HQ's exchange rates, pure (issue 17): a card in another currency is
charged at the cross rate of HQ's rates into the reporting currency, and
never at a rate that came with the tender."""
from decimal import Decimal

from services.payments.money import cross_rate
from services.payments.tender_checks import Terms, check_one

HQ = {"reporting_currency": "USD", "rates": {"EUR": "1.25", "GBP": "1.27", "JPY": "0.0066"}}


def test_the_cross_rate_comes_from_hqs_rates_into_the_reporting_currency():
    assert cross_rate(HQ, "USD", "EUR") == Decimal("0.8")
    assert cross_rate(HQ, "EUR", "USD") == Decimal("1.25")
    assert cross_rate(HQ, "GBP", "EUR") == Decimal("1.016")
    assert cross_rate(HQ, "EUR", "JPY") == Decimal("189.393939394")
    assert cross_rate(HQ, "USD", "KWD") is None
    assert cross_rate(None, "USD", "EUR") is None
    assert cross_rate({"reporting_currency": "USD", "rates": {"EUR": "0"}}, "USD", "EUR") is None


def test_a_rate_that_came_with_the_tender_is_never_used():
    tender = {"method": "card", "amount": {"amount": 1000000, "currency": "USD"},
              "payment_method": "pm_card_visa", "currency": "EUR", "fx_rate": "0.0001"}
    entry = check_one(0, tender, Terms("USD", hq_rates=HQ))
    assert (entry["charge_amount"], entry["charge_currency"], entry["fx_rate"]) == \
        (800000, "EUR", "0.8")
    same = check_one(0, {**tender, "currency": None}, Terms("USD", hq_rates=HQ))
    assert (same["charge_amount"], same["fx_rate"]) == (1000000, None)


def test_rates_without_their_reporting_currency_convert_nothing():
    assert cross_rate({"rates": {"EUR": "1.25", "GBP": "1.27"}}, "GBP", "EUR") is None
