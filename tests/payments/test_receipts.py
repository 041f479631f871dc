"""The receipt a client reads: every amount printed the way the store's
country writes it (chassis.display.format_money in locale_for(country)),
with the ISO 4217 decimals of the currency, in HTML and in the PDF (whose
standard fonts take cp1252: a symbol they cannot draw is written the en_US
way). Pure: a sale's view and its store in, the text a person sees out."""
import base64
import re
import zlib

import pytest

from services.payments import receipts

# currency: country, time zone, then the minor units of: the ring, its discount, the tax,
# the cash received (the sale: ring - discount + tax, paid in cash)
SALES = {
    "USD": ("US", "America/New_York", 450000, 25000, 37698, 470000),
    "EUR": ("DE", "Europe/Berlin", 150050, 5000, 27559, 180000),
    "HUF": ("HU", "Europe/Budapest", 1000000, 50000, 256500, 1300000),
    "JPY": ("JP", "Asia/Tokyo", 150000, 5000, 14500, 160000),
    "KRW": ("KR", "Asia/Seoul", 1500000, 50000, 145000, 1600000),
    "KWD": ("KW", "Asia/Kuwait", 1500250, 250, 0, 1600000),
    "BHD": ("BH", "Asia/Bahrain", 1500250, 250, 150000, 1700000),
}

NB, RLM = "\xa0", "\u200f"
KWD, BHD = f"{NB}د.ك.{RLM}", f"{NB}د.ب.{RLM}"

# list price, discount, subtotal, tax, total, cash tendered, cash received, change
ON_SCREEN = {
    "USD": ["$4,500.00", "-$250.00", "$4,250.00", "$376.98", "$4,626.98", "$4,626.98",
            "$4,700.00", "$73.02"],
    "EUR": [f"1.500,50{NB}€", f"-50,00{NB}€", f"1.450,50{NB}€", f"275,59{NB}€", f"1.726,09{NB}€",
            f"1.726,09{NB}€", f"1.800,00{NB}€", f"73,91{NB}€"],
    "HUF": [f"10{NB}000,00{NB}Ft", f"-500,00{NB}Ft", f"9{NB}500,00{NB}Ft", f"2{NB}565,00{NB}Ft",
            f"12{NB}065,00{NB}Ft", f"12{NB}065,00{NB}Ft", f"13{NB}000,00{NB}Ft", f"935,00{NB}Ft"],
    "JPY": ["￥150,000", "-￥5,000", "￥145,000", "￥14,500", "￥159,500", "￥159,500", "￥160,000",
            "￥500"],
    "KRW": ["₩1,500,000", "-₩50,000", "₩1,450,000", "₩145,000", "₩1,595,000", "₩1,595,000",
            "₩1,600,000", "₩5,000"],
    "KWD": [f"{RLM}1,500.250{KWD}", f"{RLM}-0.250{KWD}", f"{RLM}1,500.000{KWD}",
            f"{RLM}0.000{KWD}", f"{RLM}1,500.000{KWD}", f"{RLM}1,500.000{KWD}",
            f"{RLM}1,600.000{KWD}", f"{RLM}100.000{KWD}"],
    "BHD": [f"{RLM}1,500.250{BHD}", f"{RLM}-0.250{BHD}", f"{RLM}1,500.000{BHD}",
            f"{RLM}150.000{BHD}", f"{RLM}1,650.000{BHD}", f"{RLM}1,650.000{BHD}",
            f"{RLM}1,700.000{BHD}", f"{RLM}50.000{BHD}"],
}

ON_PAPER = {
    "USD": ON_SCREEN["USD"],
    "EUR": ON_SCREEN["EUR"],
    "HUF": ON_SCREEN["HUF"],
    "JPY": ["¥150,000", "-¥5,000", "¥145,000", "¥14,500", "¥159,500", "¥159,500", "¥160,000",
            "¥500"],
    "KRW": ["1,500,000 KRW", "-50,000 KRW", "1,450,000 KRW", "145,000 KRW", "1,595,000 KRW",
            "1,595,000 KRW", "1,600,000 KRW", "5,000 KRW"],
    "KWD": ["KWD1,500.250", "-KWD0.250", "KWD1,500.000", "KWD0.000", "KWD1,500.000",
            "KWD1,500.000", "KWD1,600.000", "KWD100.000"],
    "BHD": ["BHD1,500.250", "-BHD0.250", "BHD1,500.000", "BHD150.000", "BHD1,650.000",
            "BHD1,650.000", "BHD1,700.000", "BHD50.000"],
}


def _money(amount, currency):
    return {"amount": amount, "currency": currency}


def sale(currency):
    country, tz, ring, discount, tax, received = SALES[currency]
    subtotal = ring - discount
    total = subtotal + tax
    view = {
        "receipt_number": "S-000001", "completed_at": "2026-12-03T08:00:00+00:00",
        "lines": [{"description": "Ring", "kind": "item", "tag": "R1",
                   "list_price": _money(ring, currency),
                   "discount": {"amount": _money(discount, currency), "reason": "Trade-in"}}],
        "subtotal": _money(subtotal, currency), "tax": _money(tax, currency),
        "total": _money(total, currency), "tax_rate_bps": 1000, "tax_exempt": False,
        "tenders": [{"method": "cash", "amount": _money(total, currency),
                     "received": _money(received, currency),
                     "change": _money(received - total, currency)}],
        "gift_cards": [],
    }
    return view, {"name": "Store", "timezone": tz, "country": country, "address": None}


def pdf_texts(document):
    """The strings a PDF draws (ReportLab's ASCII85 + Flate content streams)."""
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", document, re.DOTALL):
        data = stream.strip()
        data = data[:-2] if data.endswith(b"~>") else data
        try:
            content = zlib.decompress(base64.a85decode(data))
        except ValueError:
            continue
        for raw in re.findall(rb"\(((?:[^()\\]|\\.)*)\) Tj", content, re.DOTALL):
            text = re.sub(rb"\\([0-7]{1,3}|.)", lambda m: bytes([int(m.group(1), 8)])
                          if m.group(1)[:1].isdigit() else m.group(1), raw)
            texts.append(text.decode("cp1252"))
    return texts


@pytest.mark.parametrize("currency", list(SALES))
def test_the_html_receipt_prints_each_amount_in_the_stores_locale(currency):
    view, store = sale(currency)
    amounts = [amount for _, _, amount in receipts.receipt_lines(view, store)]
    assert amounts == ON_SCREEN[currency]
    body = receipts.html(view, store)
    for amount in ON_SCREEN[currency]:
        assert f'<td class="amount">{amount}</td>' in body


@pytest.mark.parametrize("currency", list(SALES))
def test_the_pdf_receipt_prints_each_amount_in_cp1252(currency):
    view, store = sale(currency)
    amounts = [amount for _, _, amount in receipts.receipt_lines(view, store, encoding="cp1252")]
    assert amounts == ON_PAPER[currency]
    drawn = pdf_texts(receipts.pdf(view, store))
    printed = [a.replace(NB, " ") for a in ON_PAPER[currency]]   # ReportLab draws NBSP as a space
    assert [t for t in drawn if t in printed] == printed
    assert "Ring [R1]" in drawn and "S-000001" in " ".join(drawn)


def test_a_receipt_in_one_currency_does_not_change_the_next_ones_decimals():
    kuwait, kuwaiti_store = sale("KWD")
    receipts.pdf(kuwait, kuwaiti_store)              # KWD on paper: the en_US way, 3 decimals
    view, store = sale("USD")
    assert [a for _, _, a in receipts.receipt_lines(view, store)] == ON_SCREEN["USD"]
