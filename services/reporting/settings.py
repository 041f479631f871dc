"""Reporting's settings, read once per container (``chassis.settings``)."""
from dataclasses import dataclass

from chassis.settings import setting


@dataclass(frozen=True)
class Settings:
    reporting_currency: str = "USD"   # REPORTING_CURRENCY: the chain's currency for rollups


def load(get=setting):
    return Settings(reporting_currency=str(get("REPORTING_CURRENCY", "USD") or "USD").upper())
