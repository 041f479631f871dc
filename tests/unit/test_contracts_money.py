"""contracts.money: ISO 4217 exponents and minor units, worked by hand."""
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import given, strategies as st

from contracts.money import DEFAULT_EXPONENT, exponent, from_major, major_text, maybe_money, money, to_major, unit


@pytest.mark.parametrize("currency, digits", [
    ("JPY", 0), ("KRW", 0), ("USD", 2), ("EUR", 2), ("HUF", 2), ("KWD", 3), ("BHD", 3),
    ("jpy", 0), ("kwd", 3),          # the code is read upper-case
    ("ZZZ", 2), ("", 2),             # not in the list: the common case
    ("XAU", 2),                      # in the list without a minor unit
])
def test_exponent(currency, digits):
    assert exponent(currency) == digits
    assert type(exponent(currency)) is int


# ISO 4217 minor units other than 2, typed from the standard's table
ISO_NOT_TWO = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}


@pytest.mark.parametrize("currency", sorted(ISO_NOT_TWO))
def test_exponent_from_the_iso_table(currency):
    assert exponent(currency) == ISO_NOT_TWO[currency]


def test_default_exponent_is_two():
    assert DEFAULT_EXPONENT == 2


def test_money_and_maybe_money():
    assert money(150050, "USD") == {"amount": 150050, "currency": "USD"}
    assert money("12", "JPY") == {"amount": 12, "currency": "JPY"}
    assert type(money("12", "JPY")["amount"]) is int
    assert maybe_money(None, "USD") is None
    assert maybe_money(0, "USD") == {"amount": 0, "currency": "USD"}   # zero is an amount
    assert maybe_money(-5, "KWD") == {"amount": -5, "currency": "KWD"}


@pytest.mark.parametrize("currency, minor", [("USD", 100), ("JPY", 1), ("KWD", 1000), ("ZZZ", 100)])
def test_unit(currency, minor):
    assert unit(currency) == minor
    assert type(unit(currency)) is int


@pytest.mark.parametrize("amount, currency, text", [
    (150050, "USD", "1500.50"),
    (5, "USD", "0.05"),              # five cents, not fifty
    (50, "USD", "0.50"),
    (0, "USD", "0.00"),
    (-5, "USD", "-0.05"),
    (-150050, "USD", "-1500.50"),
    (150000, "JPY", "150000"),
    (15000000, "JPY", "15000000"),
    (1500, "KWD", "1.500"),
    (1, "KWD", "0.001"),
    (1000000, "HUF", "10000.00"),
    ("150050", "EUR", "1500.50"),    # an amount read from text
])
def test_major_text_and_to_major(amount, currency, text):
    value = {"amount": amount, "currency": currency}
    assert major_text(value) == text
    assert to_major(value) == Decimal(text)
    assert str(to_major(value)) == text


@pytest.mark.parametrize("value, currency, minor", [
    ("1500.5", "USD", 150050),
    ("1500.50", "USD", 150050),
    ("0.01", "USD", 1),
    ("0", "USD", 0),
    ("-12.34", "USD", -1234),
    ("1500.505", "USD", 150050),     # half to even: 150050.5 -> 150050
    ("1500.515", "USD", 150052),     # 150051.5 -> 150052
    ("1500.5051", "USD", 150051),    # above the half
    ("150000", "JPY", 150000),
    ("0.5", "JPY", 0),
    ("1.5", "JPY", 2),
    ("2.5", "JPY", 2),
    ("1.5", "KWD", 1500),
    ("0.0005", "KWD", 0),
    ("0.0015", "KWD", 2),
    (Decimal("10000.00"), "HUF", 1000000),
    (7, "EUR", 700),
])
def test_from_major(value, currency, minor):
    assert from_major(value, currency) == minor
    assert type(from_major(value, currency)) is int


def test_from_major_rounds_half_to_even_whatever_the_callers_context():
    for rounding in (ROUND_HALF_UP, ROUND_DOWN):
        with localcontext() as context:
            context.rounding = rounding
            assert from_major("2.5", "JPY") == 2
            assert from_major("3.5", "JPY") == 4
            assert from_major("0.0005", "KWD") == 0
            assert from_major("1500.5059", "USD") == 150051


@given(amount=st.integers(-10**15, 10**15), currency=st.sampled_from(["JPY", "USD", "KWD"]))
def test_major_text_round_trips(amount, currency):
    # oracle: the digits of the amount with the point moved by hand
    digits = {"JPY": 0, "USD": 2, "KWD": 3}[currency]
    sign, body = ("-" if amount < 0 else ""), str(abs(amount)).rjust(digits + 1, "0")
    expected = sign + (f"{body[:-digits]}.{body[-digits:]}" if digits else body)
    value = {"amount": amount, "currency": currency}
    assert major_text(value) == expected
    assert from_major(expected, currency) == amount
