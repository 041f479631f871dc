"""Money in minor units, the one place that knows a currency's exponent
(docs/ARCHITECTURE.md#rule-6): an amount is an integer of minor units plus an
ISO 4217 code, never a float.

Exponents come from the ISO 4217 list itself (the ``iso4217`` package, kept
current with ISO's amendments): 0 for JPY and KRW, 2 for USD, EUR and HUF,
3 for KWD and BHD. A code that is not in the list (or has no minor unit, such
as XAU) counts with 2, the common case.
"""
from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import TypedDict

from iso4217 import Currency

DEFAULT_EXPONENT = 2


class Money(TypedDict):
    amount: int
    currency: str


@lru_cache(maxsize=None)
def exponent(currency: str) -> int:
    """Digits after the decimal point of ``currency`` (ISO 4217 minor units)."""
    try:
        value = Currency(str(currency).upper()).exponent
    except ValueError:
        return DEFAULT_EXPONENT
    return DEFAULT_EXPONENT if value is None else int(value)


def money(amount: int, currency: str) -> Money:
    """``{"amount": <int>, "currency": <code>}``."""
    return {"amount": int(amount), "currency": currency}


def maybe_money(amount: int | None, currency: str) -> Money | None:
    """``money`` of an amount that may be missing (None stays None)."""
    return None if amount is None else money(amount, currency)


def unit(currency: str) -> int:
    """Minor units in one major unit: 100 for USD, 1 for JPY, 1000 for KWD."""
    return int(10 ** exponent(currency))


def to_major(value: Money) -> Decimal:
    """``{"amount": 150050, "currency": "USD"}`` -> ``Decimal("1500.50")``:
    exact, with as many decimals as the currency has."""
    exp = exponent(value["currency"])
    return Decimal(int(value["amount"])).scaleb(-exp)


def major_text(value: Money) -> str:
    """The amount in major units as plain text (CSV, journals): ``"1500.50"``,
    ``"150000"`` for JPY, ``"1.500"`` for KWD; a minus sign when negative."""
    return format(to_major(value), "f")


def from_major(value: Decimal | int | str, currency: str) -> int:
    """Major units (``"1500.5"``) as minor units of ``currency``, rounded half
    to even where the value has more decimals than the currency."""
    scaled = Decimal(str(value)).scaleb(exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
