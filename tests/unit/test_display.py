"""chassis.display: the exact text a person sees, in the store's locale."""
import pytest
from babel import localedata

from chassis import display
from chassis.display import locale_for

NBSP = "\u00a0"


def format_money(*args, **kwargs):
    """``chassis.display.format_money`` from a cold start.

    Today ``_pattern`` sets ``frac_prec`` on the pattern object Babel keeps in
    its locale data, which every currency of that locale shares: the decimals
    printed depend on which currency was formatted last (see
    ``test_decimals_do_not_depend_on_what_was_printed_before``). Each call
    here starts from fresh caches so that every other test checks one thing,
    whichever version of ``chassis.display`` it runs against."""
    localedata._cache.clear()
    display._locale.cache_clear()
    display._pattern.cache_clear()
    return display.format_money(*args, **kwargs)


def m(amount, currency):
    return {"amount": amount, "currency": currency}


@pytest.mark.parametrize("value, locale, text", [
    (m(15000000, "JPY"), "ja_JP", "￥15,000,000"),
    (m(15000000, "JPY"), "en_US", "¥15,000,000"),
    (m(150000, "KRW"), "ko_KR", "₩150,000"),
    (m(1000000, "HUF"), "hu_HU", f"10{NBSP}000,00{NBSP}Ft"),
    (m(1000000, "HUF"), "en_US", "HUF10,000.00"),
    (m(5, "USD"), "en_US", "$0.05"),                 # five cents, not fifty
    (m(50, "USD"), "en_US", "$0.50"),
    (m(0, "USD"), "en_US", "$0.00"),
    (m(-150050, "USD"), "en_US", "-$1,500.50"),
    (m(450000, "USD"), None, "$4,500.00"),           # no locale: en_US
    (m(450000, "USD"), "xx_XX", "$4,500.00"),        # unknown locale: en_US
    (m(450000, "USD"), "not a locale!", "$4,500.00"),
    (m(150050, "EUR"), "de_DE", f"1.500,50{NBSP}€"),
    (m(1500, "KWD"), "en_US", "KWD1.500"),
    (m(1, "KWD"), "en_US", "KWD0.001"),
    (m(1500, "BHD"), "en_US", "BHD1.500"),
    (m("150050", "USD"), "en_US", "$1,500.50"),      # amount as text
])
def test_format_money(value, locale, text):
    assert format_money(value, locale) == text


def test_missing_amount_prints_empty():
    assert format_money(None) == ""
    assert format_money(None, "en_US", empty="—") == "—"
    assert format_money({}, "en_US", empty="n/a") == "n/a"


def test_encoding_falls_back_to_en_us_then_to_the_code():
    # ReportLab's standard fonts take cp1252: the full-width yen is not in it
    assert format_money(m(15000000, "JPY"), "ja_JP", encoding="cp1252") == "¥15,000,000"
    assert format_money(m(15000000, "JPY"), "ja_JP", encoding="utf-8") == "￥15,000,000"
    assert format_money(m(150050, "EUR"), "de_DE", encoding="cp1252") == f"1.500,50{NBSP}€"
    # neither the locale's nor en_US's symbol fits ASCII: the amount and the code
    assert format_money(m(150050, "EUR"), "de_DE", encoding="ascii") == "1,500.50 EUR"
    assert format_money(m(15000000, "JPY"), "ja_JP", encoding="ascii") == "15,000,000 JPY"
    assert format_money(m(1500, "KWD"), "ar_KW", encoding="cp1252") == "KWD1.500"
    assert format_money(m(1500, "KWD"), "en_US", encoding="ascii") == "KWD1.500"


@pytest.mark.parametrize("country, language, locale", [
    ("JP", None, "ja_JP"),
    ("jp", None, "ja_JP"),
    ("HU", None, "hu_HU"),
    ("DE", None, "de_DE"),
    ("KW", None, "ar_KW"),
    ("US", None, "en_US"),
    ("AU", None, "en_AU"),          # English is de facto, not de jure
    ("GB", None, "en_GB"),
    ("CH", "fr", "fr_CH"),
    ("ch", "it", "it_CH"),
    (None, None, "en_US"),
    (None, "de", "de"),
    ("AQ", None, "en_US"),          # no official language: en_US
    ("ZZ", None, "en_US"),
    ("US", "zz", "en_US"),          # not a locale Babel knows
])
def test_locale_for(country, language, locale):
    assert locale_for(country, language) == locale


def test_locale_for_defaults():
    assert locale_for() == "en_US"
    assert locale_for("JP") == "ja_JP"


def test_decimals_do_not_depend_on_what_was_printed_before():
    usd, kwd, jpy = m(150050, "USD"), m(1500, "KWD"), m(15000000, "JPY")
    first = display.format_money(usd, "en_GB")
    display.format_money(kwd, "en_GB")
    display.format_money(jpy, "en_GB")
    assert (first, display.format_money(usd, "en_GB")) == ("US$1,500.50", "US$1,500.50")


def test_decimals_are_iso_4217s_where_the_locale_data_says_otherwise():
    # ISO 4217 gives the Iraqi dinar three decimals (CLDR none): the printed
    # amount must be the stored one
    assert display.format_money(m(1500, "IQD"), "en_US") == "IQD1.500"
