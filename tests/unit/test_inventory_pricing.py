"""Pricing by weight, the repricing guard and stock aging, worked by hand."""
from decimal import Decimal

import pytest

from services.inventory.pricing import (
    AGING_BUCKETS,
    aging_bucket,
    change_ratio,
    needs_confirmation,
    purity,
    weight_price,
)


@pytest.mark.parametrize("karat, fineness, share", [
    (18, None, Decimal("0.75")),
    (12, None, Decimal("0.5")),
    (24, None, Decimal("1")),
    ("18", None, Decimal("0.75")),
    (None, 585, Decimal("0.585")),
    (None, 999, Decimal("0.999")),
    (None, "925", Decimal("0.925")),
    (18, 585, Decimal("0.75")),         # karat first
    (0, 750, Decimal("0.75")),          # no karat: the fineness
    (None, None, Decimal("1")),         # unknown: all of it
    (None, 0, Decimal("1")),
])
def test_purity(karat, fineness, share):
    assert purity(karat, fineness) == share


def test_purity_defaults():
    assert purity() == Decimal(1)
    assert purity(18) == Decimal("0.75")
    assert purity(fineness=500) == Decimal("0.5")


@pytest.mark.parametrize("args, price", [
    # 60.00/g x 5.2 g x 18K (0.75) x 2.5 + 150.00 labor = 735.00
    (dict(spot_per_gram=6000, weight_g="5.2", markup="2.5", labor=15000, karat=18), 73500),
    # 100.00/g x 2 g x 585 x 1 = 117.00
    (dict(spot_per_gram=10000, weight_g=2, markup=1, labor=0, fineness=585), 11700),
    # no purity known: all metal
    (dict(spot_per_gram=10000, weight_g=2, markup=1, labor=0), 20000),
    (dict(spot_per_gram=1, weight_g="0.5", markup=1, labor=0), 1),      # 0.5 rounds up
    (dict(spot_per_gram=1, weight_g="0.49", markup=1, labor=0), 0),
    (dict(spot_per_gram=1, weight_g="1.5", markup=1, labor=0), 2),
    (dict(spot_per_gram=3, weight_g="0.5", markup=1, labor=0), 2),      # 1.5 -> 2
    (dict(spot_per_gram=0, weight_g=10, markup=3, labor=2500), 2500),   # labor only
    (dict(spot_per_gram=5000, weight_g=0, markup=3, labor=0), 0),
    (dict(spot_per_gram=7000, weight_g="3.1", markup="2", labor=5000, karat=14), 30317),
])
def test_weight_price(args, price):
    got = weight_price(**args)
    assert got == price and type(got) is int


@pytest.mark.parametrize("old, new, ratio", [
    (0, 0, Decimal(0)),
    (0, 5, Decimal(1)),                 # from zero: a total change
    (100, 150, Decimal("0.5")),
    (100, 50, Decimal("0.5")),
    (200, 100, Decimal("0.5")),
    (100, 100, Decimal(0)),
    (100, 0, Decimal(1)),
    (400, 401, Decimal("0.0025")),
])
def test_change_ratio(old, new, ratio):
    assert change_ratio(old, new) == ratio


@pytest.mark.parametrize("old, new, guard, confirm", [
    (10000, 12000, 20, False),          # exactly the guard: allowed
    (10000, 12001, 20, True),           # one minor unit above it
    (10000, 8000, 20, False),
    (10000, 7999, 20, True),
    (10000, 11250, "12.5", False),
    (10000, 11251, "12.5", True),
    (10000, 11251, 12.5, True),
    (10000, 11250, 12.5, False),
    (0, 1, 50, True),                   # from zero: 100 %
    (0, 1, 100, False),
    (0, 0, 0, False),
    (100, 100, 0, False),
    (100, 101, 0, True),
])
def test_needs_confirmation(old, new, guard, confirm):
    assert needs_confirmation(old, new, guard) is confirm


@pytest.mark.parametrize("days, bucket", [
    (-1, "0-90"), (0, "0-90"), (90, "0-90"), (91, "91-180"), (180, "91-180"),
    (181, "181-365"), (365, "181-365"), (366, "365+"), (10_000, "365+"),
])
def test_aging_bucket(days, bucket):
    assert aging_bucket(days) == bucket


def test_aging_buckets_in_order():
    assert AGING_BUCKETS == ("0-90", "91-180", "181-365", "365+")
