"""Inventory's settings, read once per container through
``chassis.settings.SettingsProvider`` (one pattern for every service)."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    # a repricing that moves a price by more than this share waits for a manager
    price_guard_percent: float = 10.0
    # a sale's hold (or an opening layaway's, until payments keeps it) lapses after this
    sale_hold_minutes: float = 30.0
    # a metal repricing changes at most this many pieces per transaction
    reprice_batch_size: int = 500


def load(get):
    d = Settings()
    return Settings(price_guard_percent=float(get("PRICE_GUARD_PERCENT", d.price_guard_percent)),
                    sale_hold_minutes=float(get("SALE_HOLD_MINUTES", d.sale_hold_minutes)),
                    reprice_batch_size=max(1, int(get("REPRICE_BATCH_SIZE", d.reprice_batch_size))))
