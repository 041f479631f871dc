"""The client book's pure rules, without infrastructure."""
from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st
from marshmallow import ValidationError

from contracts.money import unit
from contracts.rpc.crm import ClientInput, MilestoneDate
from services.crm import rules
from services.crm.loyalty import purchase_summary, return_summary
from services.crm.rules import Settings

SETTINGS = Settings(loyal_spend=100_000, vip_spend=1_000_000,
                    tier_overrides={"JPY": (150_000, 1_500_000)})


@pytest.mark.parametrize("raw, region, e164", [
    ("(212) 555-0123", "US", "+12125550123"),
    ("212.555.0123", "US", "+12125550123"),
    ("+1 212 555 0123", "GB", "+12125550123"),
    ("020 7946 0958", "GB", "+442079460958"),
    ("+44 (0)20 7946 0958", "US", "+442079460958"),
    ("01 42 68 53 00", "FR", "+33142685300"),
])
def test_phone_numbers_become_e164_in_the_stores_country(raw, region, e164):
    assert rules.normalize_phone(raw, region) == e164


@pytest.mark.parametrize("raw, region", [("hello", "US"), ("555", "US"), ("020 7946 0958", "US")])
def test_impossible_phone_numbers_are_refused_with_a_reason(raw, region):
    with pytest.raises(ValueError) as err:
        rules.normalize_phone(raw, region)
    assert "phone number" in str(err.value)


@pytest.mark.parametrize("raw, parsed", [
    ("1960-12-09", {"year": 1960, "month": 12, "day": 9}),
    ("--02-29", {"year": None, "month": 2, "day": 29}),
    ("02-29", {"year": None, "month": 2, "day": 29}),
    ("2024-02-29", {"year": 2024, "month": 2, "day": 29}),
])
def test_milestone_dates_with_or_without_year(raw, parsed):
    assert MilestoneDate().deserialize(raw) == parsed


@pytest.mark.parametrize("raw", ["2023-02-29", "1960-13-01", "12/09/1960", "09.12.1960",
                                 "--04-31", "1960-12-9", "", "1800-01-01", 19601209])
def test_impossible_milestone_dates_are_refused(raw):
    with pytest.raises(ValidationError):
        MilestoneDate().deserialize(raw)


def test_client_schema_reports_every_bad_field():
    with pytest.raises(ValidationError) as err:
        ClientInput().load({"first_name": "", "last_name": "X", "email": "no-at-sign",
                            "phone": "call me", "milestones": [{"kind": "custom", "date": "--01-01"}]})
    assert set(err.value.messages) == {"first_name", "email", "phone", "milestones"}


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_tier_grows_with_spend(low, high):
    low, high = sorted((low, high))
    order = rules.TIER_ORDER.index
    assert order(rules.tier_for({"USD": low}, SETTINGS)) <= order(rules.tier_for({"USD": high}, SETTINGS))


@pytest.mark.parametrize("spend, tier", [
    ({}, "new"), ({"USD": 99_999}, "new"), ({"USD": 100_000}, "loyal"),
    ({"USD": 999_999}, "loyal"), ({"USD": 1_000_000}, "vip"),
    ({"JPY": 149_999}, "new"), ({"JPY": 150_000}, "loyal"),
    ({"USD": 50_000, "GBP": 100_000}, "loyal"),       # the best currency counts
    ({"USD": -5_000}, "new"),
])
def test_tier_thresholds_per_currency(spend, tier):
    assert rules.tier_for(spend, SETTINGS) == tier


@given(st.integers(-10**9, 10**12), st.sampled_from(["USD", "JPY", "KWD", "GBP"]),
       st.integers(0, 10))
def test_points_are_whole_never_negative_and_proportional(amount, currency, per_unit):
    points = rules.points_for(amount, currency, per_unit)
    assert isinstance(points, int) and points >= 0
    assert points == (max(amount, 0) * per_unit) // unit(currency)


@pytest.mark.parametrize("amount, currency, points", [
    (150_000, "JPY", 150_000), (1_500_000, "KRW", 1_500_000),     # no minor unit
    (150_050, "USD", 1_500), (150_099, "EUR", 1_500), (1_000_000, "HUF", 10_000),
    (1_500, "KWD", 1), (1_999, "BHD", 1), (999, "KWD", 0),        # three decimals
])
def test_a_point_per_major_unit_whatever_the_currency_exponent(amount, currency, points):
    assert rules.points_for(amount, currency, 1) == points


def test_tier_overrides_parse_and_refuse_nonsense():
    assert rules.parse_tier_overrides("jpy=150000:1500000, GBP=80000:800000") == {
        "JPY": (150_000, 1_500_000), "GBP": (80_000, 800_000)}
    with pytest.raises(ValueError):
        rules.parse_tier_overrides("GBP=lots")


@given(st.integers(1, 12), st.integers(1, 31), st.dates(date(2000, 1, 1), date(2100, 1, 1)))
def test_next_occurrence_is_the_coming_anniversary(month, day, today):
    if day > [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]:
        return
    coming = rules.next_occurrence(month, day, today)
    assert today <= coming < today + timedelta(days=367)
    if (month, day) != (2, 29):
        assert (coming.month, coming.day) == (month, day)
    else:
        assert (coming.month, coming.day) in ((2, 29), (3, 1))


def test_price_band_and_taste():
    assert rules.price_band([]) == (None, None)
    assert rules.price_band([100_000, 300_000, 200_000]) == (100_000, 400_000)
    taste = rules.taste({"metals": ["White Gold", "titanium"], "stones": ["Ruby"]}, [
        {"kind": "item", "item_id": "a", "category": "ring", "metal_type": "platinum",
         "amount": {"amount": 100_000, "currency": "USD"}},
        {"kind": "work_order", "category": None, "amount": {"amount": 5_000, "currency": "USD"}},
    ])
    assert taste["metals"] == ["gold", "platinum"] and taste["categories"] == ["ring"]
    assert (taste["min_price"], taste["max_price"]) == (50_000, 200_000)
    assert taste["bought"] == {"a"} and taste["stones"] == ["ruby"]
    assert len(rules.search_filters(taste, "s", 5)) == 2


# The exact text staff read on a client's timeline: Babel, in the locale of
# the store's country, with the currency's ISO 4217 decimals.
@pytest.mark.parametrize("total, locale, text", [
    ({"amount": 15_000_000, "currency": "JPY"}, "ja_JP", "Purchase R-1: ￥15,000,000"),
    ({"amount": 1_500_000, "currency": "KRW"}, "ko_KR", "Purchase R-1: ₩1,500,000"),
    ({"amount": 1_500, "currency": "KWD"}, "ar_KW", "Purchase R-1: \u200f1.500\xa0د.ك.\u200f"),
    ({"amount": 1_234, "currency": "BHD"}, "ar_BH", "Purchase R-1: \u200f1.234\xa0د.ب.\u200f"),
    ({"amount": 1_000_000, "currency": "HUF"}, "hu_HU", "Purchase R-1: 10\xa0000,00\xa0Ft"),
    ({"amount": 150_050, "currency": "EUR"}, "de_DE", "Purchase R-1: 1.500,50\xa0€"),
    ({"amount": 150_050, "currency": "EUR"}, "fr_FR", "Purchase R-1: 1\u202f500,50\xa0€"),
    ({"amount": 123_456_789, "currency": "USD"}, "en_US", "Purchase R-1: $1,234,567.89"),
    ({"amount": 5, "currency": "USD"}, "en_US", "Purchase R-1: $0.05"),
])
def test_purchase_lines_print_money_in_the_stores_locale(total, locale, text):
    assert purchase_summary("R-1", total, locale) == text


@pytest.mark.parametrize("refund, locale, text", [
    ({"amount": 150_000, "currency": "JPY"}, "ja_JP", "Return: ￥150,000 refunded"),
    ({"amount": 150_000, "currency": "KRW"}, "ko_KR", "Return: ₩150,000 refunded"),
    ({"amount": 1_005, "currency": "KWD"}, "ar_KW", "Return: \u200f1.005\xa0د.ك.\u200f refunded"),
    ({"amount": 1_005, "currency": "BHD"}, "ar_BH", "Return: \u200f1.005\xa0د.ب.\u200f refunded"),
    ({"amount": 1_000_050, "currency": "HUF"}, "hu_HU", "Return: 10\xa0000,50\xa0Ft refunded"),
    ({"amount": 150_050, "currency": "EUR"}, "de_DE", "Return: 1.500,50\xa0€ refunded"),
    ({"amount": 450_000, "currency": "USD"}, "en_US", "Return: $4,500.00 refunded"),
])
def test_return_lines_print_money_in_the_stores_locale(refund, locale, text):
    assert return_summary(refund, locale) == text


def test_a_line_keeps_its_currencys_decimals_whatever_the_locale_printed_before():
    # sv_SE: its pattern is shared with no locale another test prints in
    first = purchase_summary("R-1", {"amount": 150_050, "currency": "SEK"}, "sv_SE")
    purchase_summary("R-2", {"amount": 1_500, "currency": "KWD"}, "sv_SE")
    assert purchase_summary("R-1", {"amount": 150_050, "currency": "SEK"}, "sv_SE") == first
    assert first == "Purchase R-1: 1\xa0500,50\xa0kr"
