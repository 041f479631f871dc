"""services.payments.money: rounding, shares, rates and a sale's tax, worked
by hand (its exponents are contracts.money's; format_money, being replaced
by chassis.display, is not tested)."""
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from services.payments.money import allocate, bps_of, convert, parse_rate, price_lines, round_half_up, split_even


@pytest.mark.parametrize("numerator, denominator, result", [
    (5, 2, 3), (-5, 2, -3),          # halves go away from zero
    (4, 2, 2), (1, 2, 1), (-1, 2, -1),
    (1, 3, 0), (2, 3, 1), (-1, 3, 0), (-2, 3, -1),
    (15, 10, 2), (14, 10, 1), (-15, 10, -2), (-14, 10, -1), (25, 10, 3),
    (0, 5, 0), (7, 1, 7), (-7, 1, -7),
    (4999, 10000, 0), (5000, 10000, 1), (15000, 10000, 2),
])
def test_round_half_up(numerator, denominator, result):
    assert round_half_up(numerator, denominator) == result


@pytest.mark.parametrize("denominator", [0, -1, -10])
def test_round_half_up_needs_a_positive_denominator(denominator):
    with pytest.raises(ValueError, match="^denominator must be positive$"):
        round_half_up(10, denominator)


@given(n=st.integers(-10**12, 10**12), d=st.integers(1, 10**6))
def test_round_half_up_against_fractions(n, d):
    exact = Fraction(n, d)
    magnitude = int(abs(exact) + Fraction(1, 2))     # floor(|x| + 1/2)
    assert round_half_up(n, d) == (magnitude if n >= 0 else -magnitude)


@pytest.mark.parametrize("amount, bps, tax", [
    (10000, 887, 887),               # 8.87 % of 100.00
    (1999, 887, 177),                # 177.3113
    (100, 50, 1),                    # 0.5 -> 1
    (100, 49, 0),                    # 0.49 -> 0
    (-100, 50, -1),
    (0, 887, 0),
    (14000, 887, 1242),              # 1241.8
    (5000, 887, 444),                # 443.5 -> 444
    (123456, 0, 0),
    (10000, 10000, 10000),
])
def test_bps_of(amount, bps, tax):
    assert bps_of(amount, bps) == tax


@pytest.mark.parametrize("total, weights, parts", [
    (10, [1, 1, 1], [4, 3, 3]),                 # ties: the first gets the unit
    (100, [1, 2, 3], [17, 33, 50]),             # remainders 4, 2, 0 (of 6)
    (5, [1, 1, 2], [1, 1, 3]),                  # the largest remainder wins, not the first
    (1242, [9000, 5000], [798, 444]),           # remainders 6000 < 8000
    (10, [0, 3], [0, 10]),                      # a zero weight gets nothing
    (10, [-5, 1], [0, 10]),                     # a negative weight counts as zero
    (10, [0, 0], [5, 5]),                       # all zero: even split
    (7, [0, 0, 0], [3, 2, 2]),
    (0, [1, 2], [0, 0]),
    (1, [1, 1], [1, 0]),
    (10, ["1", "4"], [2, 8]),
    (9, [2, 1], [6, 3]),
    (2, [1, 1, 1], [1, 1, 0]),
    (10, [], []),
])
def test_allocate(total, weights, parts):
    assert allocate(total, weights) == parts


@given(total=st.integers(0, 10**9), weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
def test_allocate_is_hamilton_apportionment(total, weights):
    # oracle: exact quotas with fractions; floors, then the largest fractional
    # parts (earlier first on ties) get one unit each
    whole = sum(weights)
    if whole == 0:
        base, extra = divmod(total, len(weights))
        expected = [base + (i < extra) for i in range(len(weights))]
    else:
        quotas = [Fraction(total * w, whole) for w in weights]
        expected = [int(q) for q in quotas]
        order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - int(quotas[i])), i))
        for i in order[: total - sum(expected)]:
            expected[i] += 1
    assert allocate(total, weights) == expected


@pytest.mark.parametrize("total, n, parts", [
    (7, 3, [3, 2, 2]), (8, 3, [3, 3, 2]), (6, 3, [2, 2, 2]), (1, 3, [1, 0, 0]),
    (0, 2, [0, 0]), (5, 1, [5]), (100, 4, [25, 25, 25, 25]),
])
def test_split_even(total, n, parts):
    assert split_even(total, n) == parts


@pytest.mark.parametrize("value, rate", [
    ("1.25", Decimal("1.25")), (1, Decimal(1)), ("0.000001", Decimal("0.000001")),
    (Decimal("150.25"), Decimal("150.25")), (" 2 ", Decimal(2)),
])
def test_parse_rate(value, rate):
    assert parse_rate(value) == rate


@pytest.mark.parametrize("value", [0, "0", "-1", "-0.5", "abc", "", None,
                                   "NaN", "sNaN", "Infinity", "-Infinity"])
def test_parse_rate_refuses(value):
    assert parse_rate(value) is None


@pytest.mark.parametrize("amount, frm, to, rate, result", [
    (10000, "USD", "JPY", "150.25", 15025),     # 100.00 USD -> 15,025 JPY
    (15025, "JPY", "USD", "0.0066", 9917),      # 99.165 USD: 9916.5 cents -> 9917
    (-15025, "JPY", "USD", "0.0066", -9917),    # half away from zero
    (15024, "JPY", "USD", "0.0066", 9916),      # 9915.84 cents
    (1000, "USD", "KWD", "0.307", 3070),        # 10.00 USD -> 3.070 KWD
    (3070, "KWD", "USD", "3.25", 998),          # 9.9775 USD -> 997.75 cents
    (5, "USD", "USD", "1", 5),
    (0, "USD", "EUR", "0.9", 0),
    (1, "EUR", "USD", "0.5", 1),                # half a cent -> 1
    (1, "EUR", "USD", "0.49", 0),
    (100, "JPY", "KRW", Decimal("9.05"), 905),
    (100, "JPY", "BHD", "0.0025", 250),         # 0.250 BHD
    (1000, "CLP", "ISK", "0.14", 140),
    (12345, "GBP", "EUR", "1.17", 14444),       # 144.4365 EUR
])
def test_convert(amount, frm, to, rate, result):
    got = convert(amount, frm, to, rate)
    assert got == result and type(got) is int


def test_price_lines_tax_on_the_taxable_total_allocated_back():
    lines = [{"list_amount": 10000, "discount_amount": 1000, "taxable": True},
             {"list_amount": 5000}]
    assert price_lines(lines, 887) == {
        "lines": [{"amount": 9000, "tax": 798}, {"amount": 5000, "tax": 444}],
        "gross": 15000, "discount": 1000, "subtotal": 14000, "tax": 1242, "total": 15242,
    }


def test_price_lines_untaxed_line_and_exemption():
    lines = [{"list_amount": 10000, "taxable": False}, {"list_amount": 5000, "discount_amount": 0}]
    assert price_lines(lines, 887) == {
        "lines": [{"amount": 10000, "tax": 0}, {"amount": 5000, "tax": 444}],
        "gross": 15000, "discount": 0, "subtotal": 15000, "tax": 444, "total": 15444,
    }
    assert price_lines(lines, 887, tax_exempt=True) == {
        "lines": [{"amount": 10000, "tax": 0}, {"amount": 5000, "tax": 0}],
        "gross": 15000, "discount": 0, "subtotal": 15000, "tax": 0, "total": 15000,
    }
    assert price_lines(lines, 887, True)["tax"] == 0


def test_price_lines_zero_rate_zero_amounts_and_nothing():
    assert price_lines([{"list_amount": 2500}, {"list_amount": 2500}], 0) == {
        "lines": [{"amount": 2500, "tax": 0}, {"amount": 2500, "tax": 0}],
        "gross": 5000, "discount": 0, "subtotal": 5000, "tax": 0, "total": 5000,
    }
    assert price_lines([{"list_amount": 0}, {"list_amount": 0}], 887)["lines"] == [
        {"amount": 0, "tax": 0}, {"amount": 0, "tax": 0}]
    assert price_lines([], 887) == {"lines": [], "gross": 0, "discount": 0,
                                   "subtotal": 0, "tax": 0, "total": 0}


def test_price_lines_one_minor_unit_of_tax():
    # 0.06 at 8.87 % is 0.0053 of tax: one cent goes to the only taxable line
    got = price_lines([{"list_amount": 6}, {"list_amount": 100, "taxable": False}], 887)
    assert got["lines"] == [{"amount": 6, "tax": 1}, {"amount": 100, "tax": 0}]
    assert (got["tax"], got["total"]) == (1, 107)
    # a full discount leaves nothing to tax
    # at 50 %, one untaxed or exempt unit would owe one unit of tax
    assert price_lines([{"list_amount": 1, "taxable": False}], 5000)["tax"] == 0
    assert price_lines([{"list_amount": 1}], 5000, tax_exempt=True)["tax"] == 0
    assert price_lines([{"list_amount": 1}], 5000)["tax"] == 1
    got = price_lines([{"list_amount": 5000, "discount_amount": 5000}], 887)
    assert got["lines"] == [{"amount": 0, "tax": 0}]
    assert (got["gross"], got["discount"], got["subtotal"], got["total"]) == (5000, 5000, 0, 0)
