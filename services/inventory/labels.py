"""Printable tag labels: a small PDF with a Code 128 barcode of the tag,
the price, the metal and the carat weight.

The price is written the one way money is shown (``chassis.display``,
docs/ARCHITECTURE.md#rule-6): ISO 4217 decimals, in the store's locale, in
characters ReportLab's standard fonts can draw (cp1252)."""
import io

from reportlab.graphics.barcode import code128
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from chassis.display import format_money

LABEL_SIZE = (60 * mm, 25 * mm)
ENCODING = "cp1252"     # Helvetica's WinAnsi encoding
MAX_BATCH = 100         # labels in one PDF (a receiving batch)
FORMATS = ("pdf", "zpl")   # a PDF, or ZPL II for a tag printer (``zpl``)


def price_text(price, locale=None):
    """``{"amount": 150000, "currency": "JPY"}`` -> ``"¥150,000"`` (en_US)."""
    return format_money(price, locale, encoding=ENCODING)


def metal_line(item):
    """``"18K white gold 3.250 g · 1.010 ct"``."""
    metal = item.get("metal")
    line = ""
    if metal:
        purity = f"{metal['karat']}K" if metal.get("karat") else (
            str(metal["fineness"]) if metal.get("fineness") else "")
        line = " ".join(p for p in (purity, metal.get("color") or "", metal["type"],
                                    f"{metal['weight_g']} g") if p)
    if item.get("total_carat"):
        line = (line + " · " if line else "") + f"{item['total_carat']} ct"
    return line


def tag_label_pdf(item, locale=None):
    """PDF bytes of one piece's tag label (``item`` is an item view;
    ``locale`` the store's, ``chassis.display.locale_for``)."""
    return tag_labels_pdf([(item, locale)])


def tag_labels_pdf(labelled):
    """PDF bytes of several tag labels, one label-sized page each (a label
    printer's batch): ``labelled`` is ``[(item view, locale), ...]``."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=LABEL_SIZE, pageCompression=0)
    tags = [item["tag"] for item, _ in labelled]
    pdf.setTitle(f"Tag {tags[0]}" if len(tags) == 1 else f"Tags {', '.join(tags)}"[:200])
    for item, locale in labelled:
        _draw(pdf, item, locale)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def _draw(pdf, item, locale):
    barcode = code128.Code128(item["tag"], barHeight=9 * mm, barWidth=0.33 * mm)
    barcode.drawOn(pdf, 2 * mm, 13 * mm)
    pdf.setFont("Helvetica-Bold", 8)
    pdf.drawString(3 * mm, 9.5 * mm, item["tag"])
    pdf.drawRightString(LABEL_SIZE[0] - 3 * mm, 9.5 * mm, price_text(item["price"], locale))
    pdf.setFont("Helvetica", 6.5)
    pdf.drawString(3 * mm, 5.5 * mm, metal_line(item)[:60])
    pdf.drawString(3 * mm, 2.2 * mm, item["description"][:48])
