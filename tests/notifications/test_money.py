"""Money as a client reads it in a text and an e-mail: Babel's en_US
patterns (this service's store copy keeps no country) with the ISO 4217
number of decimals (docs/ARCHITECTURE.md#rule-6): none for JPY and KRW,
two for HUF, EUR and USD, three for KWD and BHD. The expected texts are
written out by hand: they are what the person sees."""
import uuid

import pytest

from services.notifications.triggers import money_text

from .conftest import ALICE, ALICE_PHONE, CELINE, STORE_A


# Babel, en_US (the store copy keeps no country), ISO 4217 decimals: HUF has
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
