"""Exchange rates into the chain's reporting currency (``REPORTING_CURRENCY``,
default USD): recorded by HQ (``POST /fx-rates``), read by the reports
(``Rates``: the newest rate of each currency at the report's time, and which
it used or missed), and money by currency (``Bag``) added up before one
conversion. An amount without a rate is left out of a rollup, never guessed.
"""
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import select

from chassis.clock import instant, now
from chassis.errors import InvalidInput
from contracts.money import exponent, money

from .models import HqFxRate
from .settings import load


def reporting_currency():
    return load().reporting_currency


def plain_rate(rate):
    """``Decimal('1.250000000000')`` -> ``'1.25'``."""
    return format(rate.normalize(), "f")


def _in_force(reporting, at):
    """The newest rate of each currency into ``reporting`` at ``at``."""
    return (select(HqFxRate)
            .where(HqFxRate.reporting_currency == reporting, HqFxRate.effective_at <= at)
            .distinct(HqFxRate.currency)
            .order_by(HqFxRate.currency, HqFxRate.effective_at.desc(), HqFxRate.id.desc()))


class Rates:
    """The newest rate of each currency at a time; remembers which it used."""

    def __init__(self, reporting, rates):
        self.reporting = reporting
        self.rates = rates              # currency -> (Decimal rate, effective_at)
        self.used, self.missing = set(), set()

    @classmethod
    def load(cls, session, at, reporting=None):
        reporting = reporting or reporting_currency()
        rows = session.scalars(_in_force(reporting, at)).all()
        return cls(reporting, {r.currency: (Decimal(r.rate), r.effective_at) for r in rows})

    def _rate(self, currency):
        if currency == self.reporting:
            return Decimal(1)
        if currency not in self.rates:
            self.missing.add(currency)
            return None
        self.used.add(currency)
        return self.rates[currency][0]

    def convert(self, amount, source, target):
        """Minor units of ``source`` as minor units of ``target``; None without a rate."""
        if source == target:
            return int(amount)
        if not amount:
            return 0
        r_from, r_to = self._rate(source), self._rate(target)
        if r_from is None or r_to is None:
            return None
        value = (Decimal(int(amount)) * r_from / r_to
                 * (Decimal(10) ** (exponent(target) - exponent(source))))
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))

    def view(self):
        return {"reporting_currency": self.reporting,
                "rates": [{"currency": c, "rate": plain_rate(self.rates[c][0]),
                           "effective_at": self.rates[c][1].isoformat(),
                           "per": f"1 {c} = {plain_rate(self.rates[c][0])} {self.reporting}"}
                          for c in sorted(self.used)],
                "rates_missing": sorted(self.missing)}


class Bag(dict):
    """Minor-unit amounts by currency (``{currency: amount}``), added up
    before one conversion."""

    __slots__ = ()

    def add(self, currency, amount):
        if currency and amount:
            self[currency] = self.get(currency, 0) + int(amount)
        return self

    def merge(self, other, sign=1):
        for currency, amount in other.items():
            self[currency] = self.get(currency, 0) + sign * amount
        return self

    def minus(self, other):
        return Bag(self).merge(other, -1)

    def money(self, target, rates):
        total = 0
        for currency, amount in self.items():
            if currency == target:
                total += amount
            else:
                converted = rates.convert(amount, currency, target)
                if converted is not None:
                    total += converted
        return money(total, target)


# --- recorded by HQ ---------------------------------------------------------------------------

def fx_view(r):
    return {"id": r.id, "currency": r.currency, "reporting_currency": r.reporting_currency,
            "rate": plain_rate(r.rate), "effective_at": r.effective_at.isoformat(),
            "created_by": r.created_by,
            "created_at": r.created_at.isoformat() if r.created_at else None}


def record_fx_rate(session, identity, data, reporting=None):
    """A rate into the reporting currency from ``effective_at`` (default now)."""
    reporting = reporting or reporting_currency()
    if data["currency"] == reporting:
        raise InvalidInput("the reporting currency has no rate",
                           {"currency": [f"{reporting} is the chain's reporting currency: "
                                         "its rate is 1"]})
    row = HqFxRate(currency=data["currency"], reporting_currency=reporting,
                   rate=Decimal(str(data["rate"])),
                   effective_at=instant(data.get("effective_at")) or now(),
                   created_by=identity.user_id)
    session.add(row)
    session.flush()
    session.refresh(row)
    return fx_view(row)


def list_fx_rates(session, at=None, reporting=None):
    """The rate in force for each currency, newest first."""
    reporting = reporting or reporting_currency()
    rows = session.scalars(_in_force(reporting, at or now())).all()
    return {"reporting_currency": reporting, "items": [fx_view(r) for r in rows]}
