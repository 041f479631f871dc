"""The client book's pure rules: phone numbers, tiers, points, milestone
dates, price bands and recommendation ranking. No I/O here.

What the client book answers: docs/API.md#clients-crm (clienteling and
VIPs: docs/DOMAIN.md). Money is minor units of an ISO 4217 currency
(docs/ARCHITECTURE.md#rule-6), its exponent from ``contracts.money``."""
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import phonenumbers

from contracts.money import unit

TIER_ORDER = ("new", "loyal", "vip")

METAL_WORDS = ("platinum", "palladium", "silver", "gold")  # inventory's metal types
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]{5,}$")


# --- settings ------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """The chain's client-book policy (environment variables, see ``from_config``;
    ``chassis.settings.SettingsProvider`` loads it once per container)."""

    default_country: str = "US"
    default_currency: str = "USD"
    loyal_spend: int = 100_000          # minor units in 12 months: 1,000.00
    vip_spend: int = 1_000_000          # 10,000.00
    tier_overrides: dict = field(default_factory=dict)  # {"JPY": (150000, 1500000)}
    tier_window_days: int = 365
    points_per_unit: int = 1            # points per major currency unit spent
    points_expire_days: int = 730       # no activity for this long: the balance expires; 0 never
    milestone_notice_days: int = 14
    name_similarity: float = 0.6        # pg_trgm similarity for "similar name" duplicates

    @classmethod
    def from_config(cls, get):
        """``get(name, default)``: ``chassis.settings.setting`` (nameko config,
        then the environment, then the default)."""
        return cls(
            default_country=str(get("CRM_DEFAULT_COUNTRY", "US")).upper(),
            default_currency=str(get("CRM_DEFAULT_CURRENCY", "USD")).upper(),
            loyal_spend=int(get("CRM_TIER_LOYAL_SPEND", 100_000)),
            vip_spend=int(get("CRM_TIER_VIP_SPEND", 1_000_000)),
            tier_overrides=parse_tier_overrides(get("CRM_TIER_THRESHOLDS", "")),
            tier_window_days=int(get("CRM_TIER_WINDOW_DAYS", 365)),
            points_per_unit=int(get("CRM_POINTS_PER_UNIT", 1)),
            points_expire_days=int(get("CRM_POINTS_EXPIRE_DAYS", 730)),
            milestone_notice_days=int(get("CRM_MILESTONE_NOTICE_DAYS", 14)),
            name_similarity=float(get("CRM_NAME_SIMILARITY", 0.6)),
        )


def parse_tier_overrides(raw):
    """``"JPY=150000:1500000,GBP=80000:800000"`` -> {"JPY": (150000, 1500000), ...}."""
    out = {}
    for part in (raw or "").split(","):
        if not part.strip():
            continue
        try:
            currency, bounds = part.split("=")
            loyal, vip = (int(x) for x in bounds.split(":"))
        except ValueError:
            raise ValueError(f"CRM_TIER_THRESHOLDS: {part!r} is not CUR=LOYAL:VIP") from None
        out[currency.strip().upper()] = (loyal, vip)
    return out


# --- contact facts ---------------------------------------------------------------

def normalize_phone(raw, region):
    """E.164 for ``raw`` read as a number of ``region`` unless it has a +code.

    Raises ``ValueError`` with a message for the client when it is no phone
    number at all or not a valid one for its country.
    """
    try:
        number = phonenumbers.parse(str(raw), (region or "US").upper())
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"not a valid phone number for {region or 'US'} "
                         "(give the country code, e.g. +44, for a foreign number)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(text):
    return bool(_PHONE_LIKE.match(text.strip())) and sum(c.isdigit() for c in text) >= 5


def normalize_email(raw):
    return raw.strip().lower() if raw else None


def metal_type(word):
    """``"rose gold"`` -> ``"gold"``: the inventory metal a preference names."""
    lowered = (word or "").lower()
    for metal in METAL_WORDS:
        if metal in lowered:
            return metal
    return "platinum" if lowered.strip() in ("plat", "pt") else None


# --- money, tiers, points --------------------------------------------------------

def points_for(amount_minor, currency, points_per_unit):
    """Whole points earned for spending ``amount_minor`` (never negative)."""
    if amount_minor <= 0 or points_per_unit <= 0:
        return 0
    return amount_minor * points_per_unit // unit(currency)


def thresholds_for(currency, settings):
    return settings.tier_overrides.get(currency.upper(), (settings.loyal_spend, settings.vip_spend))


def tier_for(spend_by_currency, settings):
    """The tier a rolling-window spend earns: the best any currency reaches."""
    best = 0
    for currency, spent in spend_by_currency.items():
        loyal, vip = thresholds_for(currency, settings)
        if spent >= vip:
            best = max(best, 2)
        elif spent >= loyal:
            best = max(best, 1)
    return TIER_ORDER[best]


# --- milestones ------------------------------------------------------------------

def occurrence(year, month, day):
    """The day a month/day falls on in ``year``; 29 February is 1 March in a
    common year (the same arithmetic as the SQL in ``campaigns``)."""
    return date(year, month, 1) + timedelta(days=day - 1)


def next_occurrence(month, day, today):
    this_year = occurrence(today.year, month, day)
    return this_year if this_year >= today else occurrence(today.year + 1, month, day)


# --- recommendations -------------------------------------------------------------

def price_band(amounts):
    """Half to twice the median price of the pieces a client bought."""
    amounts = sorted(a for a in amounts if a and a > 0)
    if not amounts:
        return None, None
    mid = len(amounts) // 2
    median = amounts[mid] if len(amounts) % 2 else (amounts[mid - 1] + amounts[mid]) // 2
    return median // 2, median * 2


def taste(preferences, purchase_lines):
    """What a client likes: metals, categories (most bought first), stones,
    designers, and the price band of what they bought."""
    preferences = preferences or {}
    metals = []
    for word in preferences.get("metals") or []:
        metal = metal_type(word)
        if metal and metal not in metals:
            metals.append(metal)
    item_lines = [line for line in purchase_lines if line.get("kind", "item") == "item"]
    for metal, _ in Counter(line["metal_type"] for line in item_lines
                            if line.get("metal_type")).most_common():
        if metal not in metals:
            metals.append(metal)
    categories = [c for c, _ in Counter(line["category"] for line in item_lines
                                        if line.get("category")).most_common()]
    low, high = price_band([(line.get("amount") or {}).get("amount") for line in item_lines])
    return {
        "metals": metals[:3], "categories": categories[:3],
        "stones": [s.lower() for s in preferences.get("stones") or []],
        "designers": [d.lower() for d in preferences.get("designers") or []],
        "min_price": low, "max_price": high,
        "bought": {line.get("item_id") for line in item_lines if line.get("item_id")},
    }


def search_filters(profile, store_id, limit):
    """The ``inventory.search_items`` queries for a taste: metal x category."""
    base = {"store_id": store_id, "status": "in_stock", "limit": limit}
    if profile["min_price"] is not None:
        base.update(min_price=profile["min_price"], max_price=profile["max_price"])
    metals = profile["metals"] or [None]
    categories = profile["categories"] or [None]
    queries = []
    for metal in metals:
        for category in categories:
            q = dict(base)
            if metal:
                q["metal_type"] = metal
            if category:
                q["category"] = category
            queries.append(q)
    return queries[:6]


def score(item, profile):
    points = 0
    metal = (item.get("metal") or {}).get("type") or item.get("metal_type")
    if metal and metal in profile["metals"]:
        points += 3
    if item.get("category") in profile["categories"]:
        points += 2
    stones = {(s.get("type") or "").lower() for s in item.get("stones") or []}
    if stones & set(profile["stones"]):
        points += 2
    designer = str((item.get("attributes") or {}).get("designer") or "").lower()
    if designer and designer in profile["designers"]:
        points += 2
    return points


def rank(items, profile, limit):
    """Best matches first; each piece once; never one the client already owns."""
    seen, unique = set(), []
    for item in items:
        if item["id"] in seen or item["id"] in profile["bought"]:
            continue
        seen.add(item["id"])
        unique.append(item)
    unique.sort(key=lambda it: (-score(it, profile), -(it.get("price") or {}).get("amount", 0)))
    return [dict(item, match_score=score(item, profile)) for item in unique[:limit]]
