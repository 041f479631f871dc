"""What the counter's printers receive: the receipt as ESC/POS bytes and tag
labels as ZPL, compared byte for byte with tests/golden/ (``UPDATE_GOLDEN=1``
rewrites them); and what every receipt says, whatever prints it: the
store's address, phone and hours, the associate, each piece as an insurance
description, the return policy's last day in the store's zone, the receipt
number as a barcode, amounts in the store's locale, words in the client's
language where they exist. Pure: fixed views in, bytes out."""
import re

import pytest

from services.inventory import zpl
from services.payments import escpos, receipt_content, receipts
from tests.support.golden import assert_golden

STORE = {"name": "Maison Aurum", "code": "MAU", "timezone": "America/New_York", "country": "US",
         "address": "12 Gold Street\nNew York, NY 10038", "phone": "+1 212 555 0100",
         "hours": "Mon-Sat 10:00-19:00, Sun 12:00-17:00"}

RING = {"id": "9b2f7c1e-0000-4000-8000-000000000001", "tag": "PXDPPXXF", "category": "ring",
        "description": "Solitaire ring", "store_id": "5d1c0000-0000-4000-8000-0000000000aa",
        "metal": {"type": "gold", "karat": 18, "fineness": None, "color": "white", "weight_g": "3.250"},
        "total_carat": "1.010", "price": {"amount": 100000, "currency": "USD"},
        "stones": [{"type": "diamond", "shape": "round", "carat": "1.010", "color": "F",
                    "clarity": "VS1", "cut": "excellent",
                    "certificate": {"lab": "GIA", "number": "2141438171"}}]}
CHAIN = {"id": "9b2f7c1e-0000-4000-8000-000000000002", "tag": "QX7K2M4A", "category": "necklace",
         "description": "Rope chain 50 cm, 3 mm ^ clasp_A ~ box", "store_id": RING["store_id"],
         "metal": {"type": "platinum", "karat": None, "fineness": 950, "color": None,
                   "weight_g": "12.400"},
         "total_carat": None, "price": {"amount": 1500000, "currency": "JPY"}, "stones": []}


def usd(amount):
    return {"amount": amount, "currency": "USD"}


def sale_view():
    """A completed sale at 23:30 New York time on Jan 31 (Feb 1 in UTC)."""
    return {
        "id": "6a0e0000-0000-4000-8000-000000000010", "status": "completed",
        "store_id": RING["store_id"], "receipt_number": "MAU-000123",
        "created_at": "2026-02-01T04:29:00+00:00", "completed_at": "2026-02-01T04:30:00+00:00",
        "lines": [
            {"index": 0, "kind": "item", "tag": "PXDPPXXF", "description": "Solitaire ring",
             "list_price": usd(100000), "discount": {"amount": usd(5000), "reason": "Anniversary"}},
            {"index": 1, "kind": "free", "tag": None, "description": "Engraving", "list_price": usd(5000),
             "discount": None},
        ],
        "subtotal": usd(100000), "tax": usd(8875), "total": usd(108875), "tax_rate_bps": 888,
        "tax_exempt": False,
        "tenders": [{"method": "card", "amount": usd(100000), "card": {"last4": "4242"}},
                    {"method": "cash", "amount": usd(8875), "received": usd(10000),
                     "change": usd(1125)}],
        "gift_cards": [],
    }


EXTRAS = {"return_days": 30, "insurance": {0: receipt_content.insurance_facts(RING)},
          "associate": "Ana Ruiz"}


def receipt(**over):
    return receipts.document(sale_view(), STORE, encoding="cp1252", **(EXTRAS | over))


# --- golden bytes ---------------------------------------------------------------------------

def test_the_escpos_receipt_on_42_columns_with_the_drawer_kick_is_its_golden_bytes():
    assert_golden("receipt_42_kick.escpos", escpos.render(receipt(), width=42, kick=True))


def test_the_escpos_receipt_on_48_columns_in_spanish_is_its_golden_bytes():
    assert_golden("receipt_48_es.escpos", escpos.render(receipt(language="es-MX"), width=48))


def test_one_zpl_tag_label_is_its_golden_bytes():
    assert_golden("label_ring.zpl", zpl.labels_zpl([(RING, "en_US")]))


def test_a_batch_of_zpl_labels_is_its_golden_bytes():
    assert_golden("labels_batch.zpl", zpl.labels_zpl([(RING, "en_US"), (CHAIN, "ja_JP")]))


# --- ESC/POS --------------------------------------------------------------------------------

def test_the_escpos_receipt_starts_clean_kicks_the_drawer_only_when_asked_and_ends_with_the_cut():
    with_kick = escpos.render(receipt(), kick=True)
    without = escpos.render(receipt())
    assert with_kick.startswith(b"\x1b@\x1bt\x10\x1bp\x00\x19\xfa")        # ESC @, ESC t 16, ESC p 0 25 250
    assert b"\x1bp" not in without and without.startswith(b"\x1b@\x1bt\x10")
    assert with_kick.endswith(b"\x1dVB\x03") and without.endswith(b"\x1dVB\x03")   # GS V 66 3


def test_the_escpos_barcode_is_code128_of_the_receipt_number():
    data = escpos.render(receipt())
    code = b"{BMAU-000123"
    assert b"\x1dkI" + bytes([len(code)]) + code in data                 # GS k 73 n {B...


@pytest.mark.parametrize("width", [42, 48])
def test_no_escpos_text_line_is_wider_than_the_paper(width):
    data = escpos.render(receipt(), width=width)
    text = re.sub(rb"\x1b[@]|\x1b[tEa].|\x1bp...|\x1d[!hwHf].|\x1dk..[^\n]*|\x1dV..", b"", data,
                  flags=re.DOTALL)
    lines = text.decode("cp1252").split("\n")
    assert max(len(line) for line in lines) <= width
    assert any(line.endswith("$1,088.75") and len(line) == width for line in lines)


def test_an_unknown_width_is_refused():
    with pytest.raises(ValueError):
        escpos.render(receipt(), width=40)


# --- what every receipt says ---------------------------------------------------------------

def test_the_receipt_names_the_store_its_hours_and_the_associate():
    doc = receipt()
    assert doc.store_lines == ["12 Gold Street", "New York, NY 10038", "Tel. +1 212 555 0100",
                               "Hours: Mon-Sat 10:00-19:00, Sun 12:00-17:00"]
    assert receipt_content.associate_line(doc) == "Associate: Ana Ruiz"


def test_each_piece_is_described_for_insurance():
    details = [r.label for r in receipt().rows if r.kind == "detail"]
    assert details == ["  18K white gold, 3.250 g", "  Diamond, round, 1.010 ct, F, VS1",
                       "    GIA certificate 2141438171"]


def test_the_last_day_for_returns_counts_from_the_sale_day_in_the_stores_zone():
    # sold Jan 31 at 23:30 in New York (Feb 1 in UTC): 30 days later is Mar 2, not Mar 3
    doc = receipt()
    assert doc.last_day == "Last day for returns: 2026-03-02"
    assert "30 days" in doc.policy
    assert receipt(return_days=14).last_day.endswith("2026-02-14")


def test_amounts_are_written_the_stores_way_whatever_the_language():
    rows = {r.label: r.amount for r in receipt(language="fr").rows}
    assert rows["Total"] == "$1,088.75" and rows["Sous-total"] == "$1,000.00"


@pytest.mark.parametrize("asked, expected", [("es", "es"), ("es-MX", "es"), ("fr_CA", "fr"),
                                             ("de", "en"), (None, "en")])
def test_the_clients_language_is_used_where_its_words_exist(asked, expected):
    assert receipt(language=asked).language == expected


def test_a_store_in_spain_prints_spanish_by_default():
    assert receipt_content.language_of(None, "es_ES") == "es"


def test_the_html_receipt_has_the_facts_and_an_inline_barcode():
    body = receipts.html(sale_view(), STORE, **EXTRAS)
    assert "Mon-Sat 10:00-19:00" in body and "Ana Ruiz" in body and "GIA certificate 2141438171" in body
    assert "Last day for returns: 2026-03-02" in body
    assert "<svg" in body and "MAU-000123</text>" in body
    assert "<script" not in body and "src=" not in body and "href=" not in body   # nothing fetched


def test_the_pdf_receipt_has_the_facts():
    from tests.payments.test_receipts import pdf_texts
    drawn = " ".join(pdf_texts(receipts.pdf(sale_view(), STORE, **EXTRAS)))
    for text in ("Hours: Mon-Sat", "Associate: Ana Ruiz", "18K white gold, 3.250 g",
                 "GIA certificate 2141438171", "2026-03-02", "$1,088.75"):
        assert text in drawn, text


def test_a_sale_priced_before_insurance_was_kept_still_prints():
    doc = receipts.document(sale_view(), STORE, return_days=30)
    assert not [r for r in doc.rows if r.kind == "detail"] and doc.associate == ""


def test_insurance_facts_keep_only_what_the_receipt_needs():
    facts = receipt_content.insurance_facts(RING | {"cost": usd(1), "vendor_id": "v"})
    assert set(facts) == {"category", "metal", "total_carat", "stones"}
    assert facts["stones"][0]["certificate"] == {"lab": "GIA", "number": "2141438171"}


# --- ZPL --------------------------------------------------------------------------------------

def test_a_zpl_label_has_the_tag_barcode_the_price_and_escapes_commands_in_text():
    one = zpl.label(CHAIN, "ja_JP")
    assert one.startswith("^XA\n^CI28\n") and one.endswith("^XZ\n")
    assert "^BCN,64,N,N,N^FH_^FDQX7K2M4A^FS" in one
    assert "^FD¥1,500,000^FS" in one                                         # the label's font: ¥, not ￥
    assert "3 mm _5E clasp_5FA _7E b^FS" in one
    assert one.count("^FS") == 5


def test_a_batch_is_one_label_format_per_piece_in_order():
    data = zpl.labels_zpl([(RING, "en_US"), (CHAIN, "ja_JP")]).decode()
    assert data.count("^XA") == 2 and data.index("PXDPPXXF") < data.index("QX7K2M4A")
    assert "^FD$1,000.00^FS" in data


def test_a_description_cannot_command_the_printer_or_hang_the_receipt():
    """Text is printed, never obeyed: ESC p (the drawer kick) in a description
    prints as ``?``; a description typed with forty leading spaces still fits."""
    from services.payments import escpos
    assert escpos._text("Ring\x1bp0\x19\xfa\x1dV") == b"Ring?p0?\xfa?V"
    lines = escpos.columns(" " * 40 + "Engraving", "$1,000.00", 42)
    assert len(lines) == 1 and lines[0].endswith("$1,000.00") and "Engraving" in lines[0]
    assert all(len(line) <= 42 for line in escpos.columns(" " * 200 + "x" * 90, "$1.00", 42))
    assert escpos.wrap("abc", 0) == ["a", "b", "c"]
