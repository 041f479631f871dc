"""Money as a client reads it in a text and an e-mail: Babel's patterns in
the locale of the store the message is about (its country's; en_US when the
store has no country) with the ISO 4217 number of decimals
(docs/ARCHITECTURE.md#rule-6): none for JPY and KRW, two for HUF, EUR and
USD, three for KWD and BHD. A text message writes Babel's no-break spaces
as plain ones when that keeps it GSM-7. The expected texts are written out
by hand: they are what the person sees."""
import uuid

import pytest

from services.notifications.sms import is_gsm7, plain_spacing, sms_stats
from services.notifications.templates import render, render_sms
from services.notifications.triggers import money_text
from tests.conftest import wait_for

from .conftest import ALICE, ALICE_PHONE, CELINE, STORE_A

NBSP, NNBSP, LRM, RLM = "\u00a0", "\u202f", "\u200e", "\u200f"


# Babel, en_US (a store with no country), ISO 4217 decimals: HUF has
# two, JPY and KRW none, KWD and BHD three (docs/ARCHITECTURE.md#rule-6).
@pytest.mark.parametrize("money, shown", [
    ({"amount": 18500, "currency": "USD"}, "$185.00"),
    ({"amount": 123456789, "currency": "EUR"}, "€1,234,567.89"),
    ({"amount": 5000, "currency": "JPY"}, "¥5,000"),
    ({"amount": 150000, "currency": "KRW"}, "₩150,000"),
    ({"amount": 1234, "currency": "KWD"}, "KWD1.234"),
    ({"amount": 1500, "currency": "BHD"}, "BHD1.500"),
    ({"amount": 1000000, "currency": "HUF"}, "HUF10,000.00"),
    ({"amount": -250, "currency": "GBP"}, "-£2.50"),
    ({"amount": 7, "currency": "SEK"}, "SEK0.07"),
    (None, ""),
])
def test_money_as_a_client_reads_it(money, shown):
    assert money_text(money) == shown


def test_each_currency_keeps_its_own_decimals_whatever_came_before():
    shown = [money_text({"amount": amount, "currency": currency})
             for amount, currency in [(1250, "BHD"), (150000, "JPY"), (1250, "BHD"),
                                      (150050, "USD"), (1250, "BHD"), (150000, "KRW"),
                                      (1000000, "HUF"), (1500, "KWD")]]
    assert shown == ["BHD1.250", "¥150,000", "BHD1.250", "$1,500.50", "BHD1.250", "₩150,000",
                     "HUF10,000.00", "KWD1.500"]


# currency: (amount due, balance) in minor units, and the two as printed
LAYAWAY = {
    "JPY": (25000, 125000, "¥25,000", "¥125,000"),
    "KRW": (250000, 1250000, "₩250,000", "₩1,250,000"),
    "KWD": (250, 1250, "KWD0.250", "KWD1.250"),
    "BHD": (5, 1005, "BHD0.005", "BHD1.005"),
    "HUF": (2500000, 12500000, "HUF25,000.00", "HUF125,000.00"),
    "EUR": (25050, 125099, "€250.50", "€1,250.99"),
    "USD": (25000, 125000, "$250.00", "$1,250.00"),
}

# currency: (subtotal, tax, total) in minor units, and the three as printed
RECEIPT = {
    "JPY": (150000, 15000, 165000, "¥150,000", "¥15,000", "¥165,000"),
    "KRW": (1500000, 150000, 1650000, "₩1,500,000", "₩150,000", "₩1,650,000"),
    "KWD": (1500, 75, 1575, "KWD1.500", "KWD0.075", "KWD1.575"),
    "BHD": (1250, 125, 1375, "BHD1.250", "BHD0.125", "BHD1.375"),
    "HUF": (1000000, 270000, 1270000, "HUF10,000.00", "HUF2,700.00", "HUF12,700.00"),
    "EUR": (150050, 30010, 180060, "€1,500.50", "€300.10", "€1,800.60"),
    "USD": (150050, 13316, 163366, "$1,500.50", "$133.16", "$1,633.66"),
}


def test_a_layaway_text_shows_each_currency_as_written(env):
    for currency, (due, balance, _shown_due, _shown_balance) in LAYAWAY.items():
        env.send("payments", "layaway.payment_due", {
            "layaway_id": str(uuid.uuid4()), "store_id": STORE_A, "client_id": ALICE,
            "item_ids": [], "due_date": "2026-12-20",
            "amount_due": {"amount": due, "currency": currency},
            "balance": {"amount": balance, "currency": currency}})
    bodies = sorted(m["Body"] for m in env.twilio.wait_for(len(LAYAWAY), to=ALICE_PHONE))
    assert bodies == sorted(
        f"Hi Alice, your layaway payment of {shown_due} at NYC Jewelers is due on 2026-12-20. "
        f"Balance: {shown_balance}"
        for _due, _balance, shown_due, shown_balance in LAYAWAY.values())


def test_a_receipt_e_mail_shows_each_currency_as_written(env):
    for currency, (subtotal, tax, total, *_shown) in RECEIPT.items():
        env.send("payments", "sale.completed", {
            "sale_id": str(uuid.uuid4()), "store_id": STORE_A, "client_id": CELINE,
            "receipt_number": f"R-{currency}",
            "lines": [{"kind": "item", "item_id": str(uuid.uuid4()),
                       "description": "Solitaire ring",
                       "amount": {"amount": subtotal, "currency": currency}}],
            "tenders": [{"method": "card", "amount": {"amount": total, "currency": currency}}],
            "subtotal": {"amount": subtotal, "currency": currency},
            "tax": {"amount": tax, "currency": currency},
            "total": {"amount": total, "currency": currency},
            "completed_at": "2026-12-11T15:00:00+00:00"})
    # The lines as the mail client shows them (SMTP carries them ending in CRLF).
    mails = {m["message"]["Subject"]: m["message"].get_content().replace("\r\n", "\n")
             for m in env.smtp.wait_for(len(RECEIPT))}
    assert mails == {
        f"Your receipt R-{currency} from NYC Jewelers": (
            "Hello Céline,\n\nThank you for your purchase at NYC Jewelers on 2026-12-11.\n\n"
            f"Solitaire ring  {shown_subtotal}\n\n"
            f"Subtotal: {shown_subtotal}\nTax: {shown_tax}\nTotal: {shown_total}\n\n"
            f"Receipt R-{currency}\nNYC Jewelers +12125550100\n")
        for currency, (_s, _t, _total, shown_subtotal, shown_tax, shown_total) in RECEIPT.items()}


# --- the store's locale ------------------------------------------------------

@pytest.mark.parametrize("money, locale, shown", [
    ({"amount": 150050, "currency": "EUR"}, "de_DE", f"1.500,50{NBSP}€"),
    ({"amount": 1000000, "currency": "HUF"}, "hu_HU", f"10{NBSP}000,00{NBSP}Ft"),
    ({"amount": 15000000, "currency": "JPY"}, "ja_JP", "￥15,000,000"),
    ({"amount": 15000000, "currency": "JPY"}, "en_US", "¥15,000,000"),
    (None, "de_DE", ""),
])
def test_money_in_the_stores_locale(money, locale, shown):
    assert money_text(money, locale) == shown


def test_plain_spacing_writes_no_break_spaces_plain_and_drops_bidi_marks():
    assert plain_spacing(f"1.500,50{NBSP}€") == "1.500,50 €"
    assert plain_spacing(f"1{NNBSP}500,50{NBSP}€") == "1 500,50 €"
    assert plain_spacing(f"{RLM}1,500.50{NBSP}{RLM}₪") == "1,500.50 ₪"
    assert plain_spacing(f"{LRM}+1 212{LRM}") == "+1 212"
    assert plain_spacing("Déjà vu 10 000,00 Ft") == "Déjà vu 10 000,00 Ft"
    # the spaces it leaves are GSM-7's own (sms.py's table)
    assert not is_gsm7(NBSP) and not is_gsm7(NNBSP) and is_gsm7(plain_spacing(NBSP + NNBSP))


def test_a_text_message_writes_the_amount_plain_when_that_keeps_it_gsm7():
    body = "Hi {first_name}, your payment of {amount} is due."
    amount = f"10{NBSP}000,00{NBSP}Ft"
    text = render_sms(body, {"first_name": "Anna", "amount": amount})
    assert text == "Hi Anna, your payment of 10 000,00 Ft is due."
    assert sms_stats(text) == {"length": 45, "encoding": "GSM-7", "units": 45, "segments": 1}
    assert sms_stats(render(body, {"first_name": "Anna", "amount": amount}))["encoding"] == "UCS-2"


def test_a_text_that_is_ucs2_anyway_keeps_babels_spaces_and_marks():
    body = "Hi {first_name}, your payment of {amount} is due."
    # "ő" is not GSM-7: the text is UCS-2 whatever the spaces
    assert render_sms(body, {"first_name": "Erdős", "amount": f"10{NBSP}000,00{NBSP}Ft"}) == (
        f"Hi Erdős, your payment of 10{NBSP}000,00{NBSP}Ft is due.")
    # the shekel sign is not GSM-7: the marks stay, right-to-left text needs them
    shekels = f"{RLM}1,500.50{NBSP}{RLM}₪"
    assert render_sms("Total {amount}", {"amount": shekels}) == f"Total {shekels}"


BERLIN = "0c000000-0000-4000-8000-00000000000c"
BUDAPEST = "0d000000-0000-4000-8000-00000000000d"
TOKYO = "0e000000-0000-4000-8000-00000000000e"

# store: (code, country, currency, zone)
ABROAD = {
    BERLIN: ("BER", "DE", "EUR", "Europe/Berlin"),
    BUDAPEST: ("BUD", "HU", "HUF", "Europe/Budapest"),
    TOKYO: ("TYO", "JP", "JPY", "Asia/Tokyo"),
}


def open_stores_abroad(env):
    for store_id, (code, country, currency, zone) in ABROAD.items():
        env.send("gateway", "store.created", {
            "id": store_id, "code": code, "name": f"{code} Jewelers", "currency": currency,
            "timezone": zone, "tax_rate_bps": 1900, "country": country.lower(),
            "phone": "+4930555000"})
    wait_for(lambda: env.db.scalar("select count(*) from stores where country is not null")
             == len(ABROAD), message="stores abroad recorded")
    assert {row[0]: row[1] for row in env.db.all("select code, country from stores")} == {
        "NYC": None, "MIA": None, "BER": "DE", "BUD": "HU", "TYO": "JP"}


# store: (amount due, balance) in minor units, and the two as the SMS shows them
LAYAWAY_ABROAD = {
    BERLIN: (150050, 300010, "1.500,50 €", "3.000,10 €"),
    BUDAPEST: (1000000, 12500000, "10 000,00 Ft", "125 000,00 Ft"),
    TOKYO: (25000, 125000, "￥25,000", "￥125,000"),
}


def test_a_layaway_text_shows_money_in_the_stores_locale(env):
    open_stores_abroad(env)
    for store_id, (due, balance, *_shown) in LAYAWAY_ABROAD.items():
        currency = ABROAD[store_id][2]
        env.send("payments", "layaway.payment_due", {
            "layaway_id": str(uuid.uuid4()), "store_id": store_id, "client_id": ALICE,
            "item_ids": [], "due_date": "2026-12-20",
            "amount_due": {"amount": due, "currency": currency},
            "balance": {"amount": balance, "currency": currency}})
    bodies = {m["Body"] for m in env.twilio.wait_for(len(LAYAWAY_ABROAD), to=ALICE_PHONE)}
    expected = {
        store_id: (f"Hi Alice, your layaway payment of {shown_due} at {ABROAD[store_id][0]} "
                   f"Jewelers is due on 2026-12-20. Balance: {shown_balance}")
        for store_id, (_d, _b, shown_due, shown_balance) in LAYAWAY_ABROAD.items()}
    assert bodies == set(expected.values())
    assert NBSP not in "".join(bodies)
    # Berlin's and Budapest's stay GSM-7 (one segment, not two); Tokyo's
    # fullwidth yen sign is Babel's ja_JP symbol and is not GSM-7.
    assert sms_stats(expected[BERLIN])["encoding"] == "GSM-7"
    assert sms_stats(expected[BUDAPEST]) == {
        "length": 107, "encoding": "GSM-7", "units": 107, "segments": 1}
    # as Babel writes it, the same text would be UCS-2 and take two segments
    assert sms_stats(expected[BUDAPEST].replace(" 000,00", f"{NBSP}000,00")) == {
        "length": 107, "encoding": "UCS-2", "units": 107, "segments": 2}
    assert sms_stats(expected[TOKYO])["encoding"] == "UCS-2"
    recorded = {row[0]: (row[1], row[2]) for row in env.db.all(
        "select store_id::text, encoding, segments from messages where channel = 'sms'")}
    assert recorded == {BERLIN: ("GSM-7", 1), BUDAPEST: ("GSM-7", 1), TOKYO: ("UCS-2", 2)}


# store: (subtotal, tax, total) in minor units, and the three as the e-mail shows them
RECEIPT_ABROAD = {
    BERLIN: (150050, 28510, 178560,
             f"1.500,50{NBSP}€", f"285,10{NBSP}€", f"1.785,60{NBSP}€"),
    BUDAPEST: (1000000, 270000, 1270000,
               f"10{NBSP}000,00{NBSP}Ft", f"2{NBSP}700,00{NBSP}Ft", f"12{NBSP}700,00{NBSP}Ft"),
    TOKYO: (150000, 15000, 165000, "￥150,000", "￥15,000", "￥165,000"),
}


def test_a_receipt_e_mail_shows_money_in_the_stores_locale_as_babel_writes_it(env):
    open_stores_abroad(env)
    for store_id, (subtotal, tax, total, *_shown) in RECEIPT_ABROAD.items():
        code, _country, currency, _zone = ABROAD[store_id]
        env.send("payments", "sale.completed", {
            "sale_id": str(uuid.uuid4()), "store_id": store_id, "client_id": CELINE,
            "receipt_number": f"R-{code}",
            "lines": [{"kind": "item", "item_id": str(uuid.uuid4()),
                       "description": "Solitaire ring",
                       "amount": {"amount": subtotal, "currency": currency}}],
            "tenders": [{"method": "card", "amount": {"amount": total, "currency": currency}}],
            "subtotal": {"amount": subtotal, "currency": currency},
            "tax": {"amount": tax, "currency": currency},
            "total": {"amount": total, "currency": currency},
            "completed_at": "2026-12-11T15:00:00+00:00"})
    mails = {m["message"]["Subject"]: m["message"].get_content().replace("\r\n", "\n")
             for m in env.smtp.wait_for(len(RECEIPT_ABROAD))}
    assert mails == {
        f"Your receipt R-{code} from {code} Jewelers": (
            f"Hello Céline,\n\nThank you for your purchase at {code} Jewelers on 2026-12-11.\n\n"
            f"Solitaire ring  {shown_subtotal}\n\n"
            f"Subtotal: {shown_subtotal}\nTax: {shown_tax}\nTotal: {shown_total}\n\n"
            f"Receipt R-{code}\n{code} Jewelers +4930555000\n")
        for store_id, (_s, _t, _total, shown_subtotal, shown_tax, shown_total)
        in RECEIPT_ABROAD.items()
        for code in [ABROAD[store_id][0]]}


def test_a_store_updated_with_its_country_changes_the_money_of_later_texts(env):
    env.send("gateway", "store.updated", {
        "id": STORE_A, "code": "NYC", "name": "NYC Jewelers", "currency": "EUR",
        "timezone": "America/New_York", "tax_rate_bps": 887, "phone": "+12125550100",
        "country": "DE"})
    wait_for(lambda: env.db.scalar("select country from stores where id = :i", i=STORE_A) == "DE",
             message="store A's country recorded")
    env.send("payments", "layaway.payment_due", {
        "layaway_id": str(uuid.uuid4()), "store_id": STORE_A, "client_id": ALICE,
        "item_ids": [], "due_date": "2026-12-20",
        "amount_due": {"amount": 25050, "currency": "EUR"},
        "balance": {"amount": 125099, "currency": "EUR"}})
    [text] = env.twilio.wait_for(1, to=ALICE_PHONE)
    assert text["Body"] == ("Hi Alice, your layaway payment of 250,50 € at NYC Jewelers is due "
                            "on 2026-12-20. Balance: 1.250,99 €")
