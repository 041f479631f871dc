"""Printable tag labels: a small PDF with a Code 128 barcode of the tag,
the price, the metal and the carat weight."""
import io

from reportlab.graphics.barcode import code128
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

LABEL_SIZE = (60 * mm, 25 * mm)


def format_money(amount, currency):
    return f"{currency} {amount / 100:,.2f}"


def tag_label_pdf(item):
    """PDF bytes of one piece's tag label (``item`` is an item view)."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=LABEL_SIZE, pageCompression=0)
    pdf.setTitle(f"Tag {item['tag']}")
    barcode = code128.Code128(item["tag"], barHeight=9 * mm, barWidth=0.33 * mm)
    barcode.drawOn(pdf, 2 * mm, 13 * mm)
    pdf.setFont("Helvetica-Bold", 8)
    pdf.drawString(3 * mm, 9.5 * mm, item["tag"])
    price = item["price"]
    pdf.drawRightString(LABEL_SIZE[0] - 3 * mm, 9.5 * mm, format_money(price["amount"], price["currency"]))
    pdf.setFont("Helvetica", 6.5)
    metal = item.get("metal")
    line = ""
    if metal:
        purity = f"{metal['karat']}K" if metal.get("karat") else (
            str(metal["fineness"]) if metal.get("fineness") else "")
        line = " ".join(p for p in (purity, metal.get("color") or "", metal["type"],
                                    f"{metal['weight_g']} g") if p)
    if item.get("total_carat"):
        line = (line + " · " if line else "") + f"{item['total_carat']} ct"
    pdf.drawString(3 * mm, 5.5 * mm, line[:60])
    pdf.drawString(3 * mm, 2.2 * mm, item["description"][:48])
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
