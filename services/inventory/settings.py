"""Inventory's settings, read once per container through
``chassis.settings.SettingsProvider`` (one pattern for every service)."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    # a repricing that moves a price by more than this share waits for a manager
    price_guard_percent: float = 10.0


def load(get):
    return Settings(price_guard_percent=float(get("PRICE_GUARD_PERCENT", 10)))
