"""Money as a person reads it, in the store's locale (Babel): the one
formatter behind every label, envelope, appraisal, receipt, text message,
e-mail and report a person sees (``contracts.money`` has the amounts).

``format_money({"amount": 15000000, "currency": "JPY"}, "ja_JP")`` is
``"￥15,000,000"``; ``format_money({"amount": 1000000, "currency": "HUF"},
"hu_HU")`` is ``"10 000,00 Ft"``. The number of decimals is always the ISO
4217 exponent (``contracts.money.exponent``), whatever the locale's own
currency data says, so a printed amount always equals the amount stored.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Mapping

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberPattern, parse_pattern

from contracts.money import exponent, to_major

DEFAULT_LOCALE = "en_US"


@lru_cache(maxsize=256)
def _locale(name: str | None) -> Locale:
    try:
        return Locale.parse(name or DEFAULT_LOCALE)
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(DEFAULT_LOCALE)


@lru_cache(maxsize=1024)
def _pattern(locale_name: str, currency: str) -> NumberPattern:
    locale = _locale(locale_name)
    # a new pattern from the locale's text: Babel's own object is shared by
    # every currency of the locale, and setting its decimals would change them all
    pattern = parse_pattern(locale.currency_formats["standard"].pattern)
    exp = exponent(currency)
    pattern.frac_prec = (exp, exp)
    return pattern


def locale_for(country: str | None = None, language: str | None = None) -> str:
    """A store's locale from its country (ISO 3166 alpha-2) and, when known,
    its language: ``("JP", None)`` -> ``"ja_JP"``; nothing known: en_US."""
    if language and country:
        candidate = f"{language}_{country.upper()}"
    elif country:
        from babel.languages import get_official_languages
        languages = get_official_languages(country.upper(), de_facto=True)
        candidate = f"{languages[0]}_{country.upper()}" if languages else DEFAULT_LOCALE
    else:
        candidate = language or DEFAULT_LOCALE
    return str(_locale(candidate))


def _format(amount: Decimal, currency: str, name: str) -> str:
    return str(_pattern(name, currency).apply(amount, _locale(name), currency=currency,
                                              currency_digits=False))


def format_money(value: Mapping[str, object] | None, locale: str | None = None,
                 empty: str = "", encoding: str | None = None) -> str:
    """``{"amount": 450000, "currency": "USD"}`` -> ``"$4,500.00"`` (en_US).

    ``empty`` is what a missing amount prints as. ``encoding``: the text must
    fit it (a PDF's standard fonts take ``cp1252``); when the locale's symbols
    do not (``￥``, ``د.ك.``), the amount is written the en_US way, and failing
    that as ``"1.500 KWD"``."""
    if not value:
        return empty
    currency = str(value["currency"])
    amount = to_major({"amount": int(str(value["amount"])), "currency": currency})
    text = _format(amount, currency, str(_locale(locale)))
    if encoding is None or _fits(text, encoding):
        return text
    text = _format(amount, currency, DEFAULT_LOCALE)
    if _fits(text, encoding):
        return text
    return f"{format(amount, ',f')} {currency}"


def _fits(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True
