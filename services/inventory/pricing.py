"""Pricing by weight and the repricing guard: pure functions."""
from decimal import ROUND_HALF_UP, Decimal


def purity(karat=None, fineness=None):
    """Share of pure metal: 18K -> 0.75, 585 -> 0.585; unknown -> 1."""
    if karat:
        return Decimal(karat) / Decimal(24)
    if fineness:
        return Decimal(fineness) / Decimal(1000)
    return Decimal(1)


def weight_price(spot_per_gram, weight_g, markup, labor, karat=None, fineness=None):
    """Retail price in minor units: spot x weight x purity x markup + labor."""
    value = (Decimal(spot_per_gram) * Decimal(weight_g) * purity(karat, fineness) * Decimal(markup)
             + Decimal(labor))
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def change_ratio(old, new):
    """Relative size of a price change; a change from zero counts as total."""
    if old == 0:
        return Decimal(0) if new == 0 else Decimal(1)
    return abs(Decimal(new) - Decimal(old)) / Decimal(old)


def needs_confirmation(old, new, guard_percent):
    return change_ratio(old, new) * 100 > Decimal(str(guard_percent))


def aging_bucket(days):
    if days <= 90:
        return "0-90"
    if days <= 180:
        return "91-180"
    if days <= 365:
        return "181-365"
    return "365+"


AGING_BUCKETS = ("0-90", "91-180", "181-365", "365+")
