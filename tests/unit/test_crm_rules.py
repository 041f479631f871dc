"""The client book's pure rules: settings, phones, tiers, points, milestone
dates, price bands and recommendation scoring, by worked examples."""
from datetime import date

import pytest

from services.crm.rules import (
    Settings,
    looks_like_phone,
    metal_type,
    next_occurrence,
    normalize_email,
    normalize_phone,
    occurrence,
    parse_tier_overrides,
    points_for,
    price_band,
    rank,
    score,
    search_filters,
    taste,
    thresholds_for,
    tier_for,
)

# --- settings -------------------------------------------------------------------

DEFAULTS_ASKED = {
    "CRM_DEFAULT_COUNTRY": "US", "CRM_DEFAULT_CURRENCY": "USD",
    "CRM_TIER_LOYAL_SPEND": 100_000, "CRM_TIER_VIP_SPEND": 1_000_000,
    "CRM_TIER_THRESHOLDS": "", "CRM_TIER_WINDOW_DAYS": 365,
    "CRM_POINTS_PER_UNIT": 1, "CRM_POINTS_EXPIRE_DAYS": 730,
    "CRM_MILESTONE_NOTICE_DAYS": 14, "CRM_NAME_SIMILARITY": 0.6,
}


def test_settings_defaults():
    s = Settings()
    assert (s.default_country, s.default_currency) == ("US", "USD")
    assert (s.loyal_spend, s.vip_spend, s.tier_overrides) == (100_000, 1_000_000, {})
    assert (s.tier_window_days, s.points_per_unit, s.points_expire_days) == (365, 1, 730)
    assert (s.milestone_notice_days, s.name_similarity) == (14, 0.6)


def test_from_config_asks_each_setting_with_its_default():
    asked = {}

    def get(name, default):
        asked[name] = default
        return default

    assert Settings.from_config(get) == Settings()
    assert asked == DEFAULTS_ASKED


def test_from_config_reads_and_converts_text():
    given = {
        "CRM_DEFAULT_COUNTRY": "gb", "CRM_DEFAULT_CURRENCY": "gbp",
        "CRM_TIER_LOYAL_SPEND": "80000", "CRM_TIER_VIP_SPEND": "800000",
        "CRM_TIER_THRESHOLDS": "jpy=150000:1500000", "CRM_TIER_WINDOW_DAYS": "180",
        "CRM_POINTS_PER_UNIT": "2", "CRM_POINTS_EXPIRE_DAYS": "0",
        "CRM_MILESTONE_NOTICE_DAYS": "7", "CRM_NAME_SIMILARITY": "0.45",
    }
    s = Settings.from_config(lambda name, default: given[name])
    assert s == Settings(default_country="GB", default_currency="GBP", loyal_spend=80_000,
                         vip_spend=800_000, tier_overrides={"JPY": (150_000, 1_500_000)},
                         tier_window_days=180, points_per_unit=2, points_expire_days=0,
                         milestone_notice_days=7, name_similarity=0.45)
    assert type(s.loyal_spend) is int and type(s.name_similarity) is float


@pytest.mark.parametrize("raw, parsed", [
    ("JPY=150000:1500000,GBP=80000:800000", {"JPY": (150000, 1500000), "GBP": (80000, 800000)}),
    (" jpy = 150000:1500000 , ", {"JPY": (150000, 1500000)}),
    (",,KRW=1:2,", {"KRW": (1, 2)}),
    ("", {}),
    (None, {}),
    ("   ", {}),
])
def test_parse_tier_overrides(raw, parsed):
    assert parse_tier_overrides(raw) == parsed


@pytest.mark.parametrize("raw, bad", [
    ("JPY", "JPY"), ("JPY=1:2:3", "JPY=1:2:3"), ("JPY=a:b", "JPY=a:b"),
    ("JPY=1", "JPY=1"), ("USD=1:2,JPY=1=2:3", "JPY=1=2:3"),
])
def test_parse_tier_overrides_refuses(raw, bad):
    with pytest.raises(ValueError) as refused:
        parse_tier_overrides(raw)
    assert str(refused.value) == f"CRM_TIER_THRESHOLDS: {bad!r} is not CUR=LOYAL:VIP"
    assert refused.value.__suppress_context__


# --- contact facts ----------------------------------------------------------------

@pytest.mark.parametrize("raw, region, e164", [
    ("(202) 555-0143", "US", "+12025550143"),
    ("202 456 1111", None, "+12024561111"),           # no region: US
    ("020 7946 0958", "GB", "+442079460958"),
    ("020 7946 0958", "gb", "+442079460958"),
    ("+44 20 7946 0958", "US", "+442079460958"),      # a +code wins over the region
    ("+81 3-1234-5678", "US", "+81312345678"),
    (2024561111, "US", "+12024561111"),
])
def test_normalize_phone(raw, region, e164):
    assert normalize_phone(raw, region) == e164


def test_normalize_phone_refuses():
    with pytest.raises(ValueError) as refused:
        normalize_phone("hello", "US")
    assert str(refused.value) == "not a phone number"
    assert refused.value.__suppress_context__
    with pytest.raises(ValueError) as refused:
        normalize_phone("020 7946 0958", "US")
    assert str(refused.value) == ("not a valid phone number for US "
                                  "(give the country code, e.g. +44, for a foreign number)")
    with pytest.raises(ValueError) as refused:
        normalize_phone("12345", None)
    assert str(refused.value).startswith("not a valid phone number for US (")


@pytest.mark.parametrize("text, result", [
    ("+1 (202) 555-0143", True), ("12345", True), ("  12345  ", True), ("12.345/67", True),
    ("1234", False), ("1-2-3-4", False), ("abc12345", False), ("ann@example.com", False),
    ("+44 20 7946 0958", True), ("1 2 3 4 5", True), ("-----", False),
])
def test_looks_like_phone(text, result):
    assert looks_like_phone(text) is result


def test_normalize_email():
    assert normalize_email("  Ann@Example.COM ") == "ann@example.com"
    assert normalize_email("") is None
    assert normalize_email(None) is None


@pytest.mark.parametrize("word, metal", [
    ("rose gold", "gold"), ("Gold", "gold"), ("Platinum", "platinum"), ("sterling SILVER", "silver"),
    ("palladium", "palladium"), ("pt", "platinum"), (" PLAT ", "platinum"), ("Pt", "platinum"),
    ("plated", None), ("titanium", None), ("", None), (None, None),
])
def test_metal_type(word, metal):
    assert metal_type(word) == metal


# --- money, tiers, points ----------------------------------------------------------

@pytest.mark.parametrize("amount, currency, per_unit, points", [
    (150050, "USD", 1, 1500),      # 1,500.50 USD: 1,500 whole points
    (150000, "JPY", 1, 150000),
    (1500, "KWD", 2, 3),           # 1.500 KWD at 2 a unit
    (2999, "BHD", 1, 2),
    (150000, "KRW", 1, 150000),
    (150000, "krw", 1, 150000),
    (1000000, "HUF", 1, 10000),
    (150050, "EUR", 2, 3001),
    (1999, "KWD", 1, 1),
    (99, "USD", 1, 0),             # under one unit: nothing
    (100, "USD", 1, 1),            # exactly one unit
    (1, "JPY", 1, 1),              # one minor unit of JPY is a unit
    (150, "usd", 3, 4),
    (0, "USD", 1, 0),
    (-500, "USD", 1, 0),           # a refund never takes points below zero here
    (10000, "USD", 0, 0),
    (10000, "USD", -1, 0),
])
def test_points_for(amount, currency, per_unit, points):
    assert points_for(amount, currency, per_unit) == points


SMALL = Settings(loyal_spend=100_000, vip_spend=1_000_000,
                 tier_overrides={"JPY": (150_000, 1_500_000)})


def test_thresholds_for():
    assert thresholds_for("JPY", SMALL) == (150_000, 1_500_000)
    assert thresholds_for("jpy", SMALL) == (150_000, 1_500_000)
    assert thresholds_for("USD", SMALL) == (100_000, 1_000_000)


@pytest.mark.parametrize("spend, tier", [
    ({}, "new"),
    ({"USD": 0}, "new"),
    ({"USD": 99_999}, "new"),
    ({"USD": 100_000}, "loyal"),           # reaching the threshold is enough
    ({"USD": 999_999}, "loyal"),
    ({"USD": 1_000_000}, "vip"),
    ({"JPY": 149_999}, "new"),
    ({"JPY": 150_000}, "loyal"),           # the JPY override, not 100,000 minor units
    ({"JPY": 1_000_000}, "loyal"),
    ({"jpy": 1_500_000}, "vip"),
    ({"USD": 1_000_000, "EUR": 100_000}, "vip"),   # the best any currency reaches
    ({"EUR": 100_000, "USD": 1_000_000}, "vip"),
    ({"USD": 1_000_000, "EUR": 0}, "vip"),
    ({"EUR": 100_000, "USD": 0}, "loyal"),
])
def test_tier_for(spend, tier):
    assert tier_for(spend, SMALL) == tier


# --- milestones ----------------------------------------------------------------------

@pytest.mark.parametrize("year, month, day, result", [
    (2025, 2, 29, date(2025, 3, 1)),       # 29 February in a common year: 1 March
    (2024, 2, 29, date(2024, 2, 29)),
    (2026, 12, 31, date(2026, 12, 31)),
    (2026, 1, 1, date(2026, 1, 1)),
    (2026, 6, 15, date(2026, 6, 15)),
])
def test_occurrence(year, month, day, result):
    assert occurrence(year, month, day) == result


@pytest.mark.parametrize("month, day, today, due", [
    (3, 10, date(2026, 3, 10), date(2026, 3, 10)),     # an anniversary due today is today
    (3, 10, date(2026, 3, 9), date(2026, 3, 10)),
    (3, 10, date(2026, 3, 11), date(2027, 3, 10)),     # passed: next year
    (1, 1, date(2026, 12, 31), date(2027, 1, 1)),
    (12, 31, date(2026, 12, 31), date(2026, 12, 31)),
    (2, 29, date(2026, 2, 28), date(2026, 3, 1)),
    (2, 29, date(2027, 3, 2), date(2028, 2, 29)),
])
def test_next_occurrence(month, day, today, due):
    assert next_occurrence(month, day, today) == due


# --- recommendations -----------------------------------------------------------------

@pytest.mark.parametrize("amounts, band", [
    ([], (None, None)),
    ([0, None, -5], (None, None)),          # nothing paid: no band
    ([100], (50, 200)),
    ([1], (0, 2)),
    ([0, 100], (50, 200)),
    ([100, 300], (100, 400)),               # even length: the mean of the middle two
    ([300, 100, 200, 400], (125, 500)),     # median 250
    ([101, 102], (50, 202)),                # median 101 (floored)
    ([5, 1, 3], (1, 6)),                    # odd length: the middle one
    ([1, 2, 3, 1000], (1, 4)),              # median (2 + 3) // 2 = 2
    ([10, 20, 30, 40, 50, 60], (17, 70)),   # median 35
])
def test_price_band(amounts, band):
    assert price_band(amounts) == band


def line(metal=None, category=None, amount=None, item_id=None, kind=None):
    out = {"metal_type": metal, "category": category, "item_id": item_id,
           "amount": None if amount is None else {"amount": amount, "currency": "USD"}}
    if kind:
        out["kind"] = kind
    return out


def test_taste():
    preferences = {"metals": ["Rose Gold", "gold", "PT", "titanium"],
                   "stones": ["Diamond", "SAPPHIRE"], "designers": ["Tiffany"]}
    lines = [
        line("silver", "ring", 20000, "i1"),
        line("silver", "necklace", 40000, "i2"),
        line("palladium", "ring", 60000, "i3"),
        line("silver", "ring", 80000, "i4"),
        line("gold", "brooch", None, "i5"),
        line("copper", "earrings", 999999, "s1", kind="service"),   # not a piece
        line(None, None, None, None),
    ]
    assert taste(preferences, lines) == {
        "metals": ["gold", "platinum", "silver"],
        "categories": ["ring", "necklace", "brooch"],
        "stones": ["diamond", "sapphire"], "designers": ["tiffany"],
        "min_price": 25000, "max_price": 100000,       # median of 20k, 40k, 60k, 80k is 50k
        "bought": {"i1", "i2", "i3", "i4", "i5"},
    }


def test_taste_from_purchases_only_and_from_nothing():
    lines = [line("silver", "ring", 100, "a"), line("gold", "ring", 300, "b"),
             line("gold", "pendant", 200, "c"), line(None, "ring", None, None, kind="item")]
    assert taste(None, lines) == {
        "metals": ["gold", "silver"], "categories": ["ring", "pendant"],
        "stones": [], "designers": [], "min_price": 100, "max_price": 400,
        "bought": {"a", "b", "c"},
    }
    assert taste({}, []) == {"metals": [], "categories": [], "stones": [], "designers": [],
                             "min_price": None, "max_price": None, "bought": set()}
    assert taste({"metals": None, "stones": None, "designers": None}, [])["metals"] == []


def test_taste_keeps_three_of_each():
    lines = [line(m, c, 100, f"{m}{c}") for m, c in
             [("gold", "ring"), ("gold", "ring"), ("gold", "ring"), ("silver", "band"),
              ("silver", "band"), ("platinum", "cuff"), ("palladium", "chain")]]
    got = taste({}, lines)
    assert got["metals"] == ["gold", "silver", "platinum"]
    assert got["categories"] == ["ring", "band", "cuff"]


def test_search_filters_metal_by_category():
    profile = {"metals": ["gold", "silver"], "categories": ["ring", "necklace"],
               "min_price": 25000, "max_price": 100000}
    base = {"store_id": "s1", "status": "in_stock", "limit": 20,
            "min_price": 25000, "max_price": 100000}
    assert search_filters(profile, "s1", 20) == [
        dict(base, metal_type="gold", category="ring"),
        dict(base, metal_type="gold", category="necklace"),
        dict(base, metal_type="silver", category="ring"),
        dict(base, metal_type="silver", category="necklace"),
    ]


def test_search_filters_without_taste_and_at_most_six():
    bare = {"metals": [], "categories": [], "min_price": None, "max_price": None}
    assert search_filters(bare, "s2", 5) == [{"store_id": "s2", "status": "in_stock", "limit": 5}]
    metals_only = dict(bare, metals=["gold"], min_price=0, max_price=0)
    assert search_filters(metals_only, "s2", 5) == [
        {"store_id": "s2", "status": "in_stock", "limit": 5, "metal_type": "gold",
         "min_price": 0, "max_price": 0}]
    categories_only = dict(bare, categories=["ring"])
    assert search_filters(categories_only, "s2", 5) == [
        {"store_id": "s2", "status": "in_stock", "limit": 5, "category": "ring"}]
    many = dict(bare, metals=["gold", "silver", "platinum"], categories=["ring", "band", "cuff"])
    got = search_filters(many, "s3", 9)
    assert [(q["metal_type"], q["category"]) for q in got] == [
        ("gold", "ring"), ("gold", "band"), ("gold", "cuff"),
        ("silver", "ring"), ("silver", "band"), ("silver", "cuff")]


PROFILE = {"metals": ["gold", "platinum"], "categories": ["ring"], "stones": ["diamond"],
           "designers": ["tiffany"], "bought": {"owned"}}


@pytest.mark.parametrize("item, points", [
    ({}, 0),
    ({"metal": {"type": "gold"}}, 3),
    ({"metal_type": "platinum"}, 3),                  # the flat field when there is no object
    ({"metal": {"type": None}, "metal_type": "gold"}, 3),
    ({"metal": {"type": "silver"}, "metal_type": "gold"}, 0),
    ({"category": "ring"}, 2),
    ({"category": "necklace"}, 0),
    ({"stones": [{"type": "Diamond"}, {"type": None}]}, 2),
    ({"stones": [{"type": "ruby"}, {}]}, 0),
    ({"attributes": {"designer": "TIFFANY"}}, 2),
    ({"attributes": {"designer": "Cartier"}}, 0),
    ({"attributes": {"designer": None}}, 0),
    ({"metal": {"type": "gold"}, "category": "ring", "stones": [{"type": "diamond"}],
      "attributes": {"designer": "Tiffany"}}, 9),
])
def test_score(item, points):
    assert score(item, PROFILE) == points


def test_score_with_an_empty_designer_in_the_profile():
    # an item without a designer does not match a profile that lists ""
    assert score({"attributes": {}}, dict(PROFILE, designers=[""])) == 0
    assert score({"metal": {}}, dict(PROFILE, metals=[None])) == 0


def test_rank_best_first_each_once_never_owned():
    items = [
        {"id": "a", "category": "ring", "price": {"amount": 500}},                   # 2
        {"id": "b", "metal": {"type": "gold"}, "price": {"amount": 100}},            # 3
        {"id": "owned", "metal": {"type": "gold"}, "category": "ring"},              # owned
        {"id": "c", "category": "ring", "price": {"amount": 900}},                   # 2, dearer
        {"id": "a", "metal": {"type": "gold"}, "category": "ring"},                  # again
        {"id": "d"},                                                                  # 0, no price
        {"id": "e", "price": {"amount": 50}},                                         # 0
    ]
    assert rank(items, PROFILE, 10) == [
        {"id": "b", "metal": {"type": "gold"}, "price": {"amount": 100}, "match_score": 3},
        {"id": "c", "category": "ring", "price": {"amount": 900}, "match_score": 2},
        {"id": "a", "category": "ring", "price": {"amount": 500}, "match_score": 2},
        {"id": "e", "price": {"amount": 50}, "match_score": 0},
        {"id": "d", "match_score": 0},
    ]
    assert [it["id"] for it in rank(items, PROFILE, 2)] == ["b", "c"]
    # no price counts as zero: a free piece and an unpriced one keep their order
    free_first = [{"id": "free", "price": {"amount": 0}}, {"id": "unpriced"}]
    assert [it["id"] for it in rank(free_first, PROFILE, 5)] == ["free", "unpriced"]
    assert rank([], PROFILE, 5) == []
    assert "match_score" not in items[0]        # the input is not changed
