"""The tag label a person reads: the price in the store's locale with as
many decimals as the currency has (ISO 4217), drawn in Helvetica (cp1252).
A 150,000 JPY ring used to be tagged "JPY 1,500.00"."""
import base64

import pytest
from nameko.standalone.events import event_dispatcher

from services.inventory.labels import tag_label_pdf, tag_labels_pdf
from tests.conftest import wait_for

from .conftest import pdf_texts, piece, store_event

RING = {"tag": "7K3M9QXR", "description": "Solitaire engagement ring", "total_carat": "1.010",
        "metal": {"type": "gold", "karat": 18, "fineness": None, "color": "white",
                  "weight_g": "3.250"}}


def label(amount, currency, locale=None):
    return pdf_texts(tag_label_pdf({**RING, "price": {"amount": amount, "currency": currency}},
                                   locale))


# ReportLab draws a no-break space as a space: what a person sees
@pytest.mark.parametrize("amount, currency, locale, shown", [
    (150000, "JPY", None, "¥150,000"),
    (150000, "JPY", "ja_JP", "¥150,000"),             # ￥ (full width) is not in cp1252
    (150000, "KRW", None, "150,000 KRW"),             # nor is ₩, in any locale
    (1500000, "KRW", "ko_KR", "1,500,000 KRW"),
    (1500, "KWD", None, "KWD1.500"),
    (1500, "KWD", "ar_KW", "KWD1.500"),
    (12345, "BHD", None, "BHD12.345"),
    (12345, "BHD", "ar_BH", "BHD12.345"),
    (1000000, "HUF", None, "HUF10,000.00"),
    (1000000, "HUF", "hu_HU", "10 000,00 Ft"),
    (150050, "EUR", None, "€1,500.50"),
    (150050, "EUR", "de_DE", "1.500,50 €"),
    (450000, "USD", None, "$4,500.00"),
    (450000, "USD", "en_US", "$4,500.00"),
    (5, "USD", "en_US", "$0.05"),
])
def test_the_label_prints_the_price_as_a_person_reads_it(amount, currency, locale, shown):
    assert label(amount, currency, locale) == [
        "7K3M9QXR", shown, "18K white gold 3.250 g · 1.010 ct", "Solitaire engagement ring"]


def test_a_batch_prints_each_piece_on_its_own_label_in_its_stores_locale():
    ring = {**RING, "price": {"amount": 150050, "currency": "EUR"}}
    band = {**RING, "tag": "B4ND0001", "description": "Wedding band", "total_carat": "0.000",
            "price": {"amount": 150000, "currency": "JPY"}}
    pdf = tag_labels_pdf([(ring, "de_DE"), (band, None)])
    assert pdf.count(b"/Type /Page\n") == 2
    texts = pdf_texts(pdf)
    assert texts[:2] == ["7K3M9QXR", "1.500,50 €"] and texts[4:6] == ["B4ND0001", "¥150,000"]


def test_the_label_no_longer_prints_the_old_shape():
    texts = label(150000, "JPY")
    assert "JPY 1,500.00" not in texts and "¥150,000" in texts


def test_a_yen_label_after_a_dollar_label_keeps_no_decimals():
    prices = [label(450000, "USD")[1], label(150000, "JPY")[1], label(450000, "USD")[1],
              label(150000, "JPY")[1], label(1500, "KWD")[1], label(150000, "JPY")[1]]
    assert prices == ["$4,500.00", "¥150,000", "$4,500.00", "¥150,000", "KWD1.500", "¥150,000"]


def test_the_label_is_in_the_locale_of_the_pieces_store(inventory, db, as_):
    """The store's country comes with its ``store.*`` events; the label of a
    piece of a Tokyo or Berlin store is written the way people there read money."""
    tokyo, berlin = "0d000000-0000-4000-8000-00000000000d", "0e000000-0000-4000-8000-00000000000e"
    dispatch = event_dispatcher()
    dispatch("gateway", "store.created", store_event(tokyo, "TYO", "JPY", "Asia/Tokyo", "JP"))
    dispatch("gateway", "store.created", store_event(berlin, "BER", "EUR", "Europe/Berlin"))
    wait_for(lambda: db.scalar("select count(*) from stores where id in (:a, :b)",
                               a=tokyo, b=berlin) == 2, message="stores recorded")
    hq = as_()
    ring = hq.inventory.receive_item(piece(tokyo, "JPY", cost={"amount": 50000, "currency": "JPY"},
                                           price={"amount": 150000, "currency": "JPY"}))
    chain = hq.inventory.receive_item(piece(berlin, "EUR", price={"amount": 150050, "currency": "EUR"}))

    def shown(item):
        return pdf_texts(base64.b64decode(hq.inventory.tag_label(item["id"])))[1]

    assert shown(ring) == "¥150,000"
    assert shown(chain) == "€1,500.50"          # no country known yet: en_US
    dispatch("gateway", "store.updated", store_event(berlin, "BER", "EUR", "Europe/Berlin", "DE",
                                                     event_type="store.updated"))
    wait_for(lambda: db.scalar("select country from stores where id = :b", b=berlin) == "DE",
             message="country recorded")
    assert shown(chain) == "1.500,50 €"
    assert db.scalar("select country from stores where id = :a", a=tokyo) == "JP"
