"""The client's receipt, as HTML (e-mail, screen) and PDF (print), from the
sale's view and its store (what it says: ``receipt_content``; the thermal
printer's bytes: ``escpos``). Amounts are written the way the store's
country reads them (``chassis.display.format_money`` in
``locale_for(country)``, ISO 4217 decimals: docs/ARCHITECTURE.md#rule-6);
times in the store's time zone. ReportLab's standard fonts take cp1252: a
symbol they cannot draw (``￥``, ``د.ك.``) is written the en_US way instead.
The receipt number is printed as a Code 128 barcode (an inline SVG in the
HTML, no outside resource), scanned at the counter for a return."""
import base64
import io
from html import escape

from reportlab.graphics import renderSVG
from reportlab.graphics.barcode import code128, createBarcodeDrawing
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from sqlalchemy import select

from . import escpos, receipt_content
from .models import SaleLine

DEFAULT_RETURN_DAYS = 30   # RETURN_WINDOW_DAYS' default (chassis.settings)
FORMATS = ("html", "pdf", "escpos")
ESCPOS_TYPE = "application/vnd.escpos"


def store_facts(store):
    """What a receipt shows of a store (a ``Store`` row)."""
    return {"name": store.name, "code": store.code, "timezone": store.timezone,
            "address": store.address, "country": store.country, "phone": store.phone,
            "hours": store.hours}


def insurance_of(session, sale_id):
    """``{line index: insurance facts}`` kept on the sale's lines when it was priced."""
    rows = session.execute(select(SaleLine.position, SaleLine.insurance)
                           .where(SaleLine.sale_id == sale_id)).all()
    return {position: facts for position, facts in rows if facts}


def document(view, store, encoding=None, **extras):
    """``receipt_content.build`` with the return window defaulted."""
    extras.setdefault("return_days", DEFAULT_RETURN_DAYS)
    return receipt_content.build(view, store, encoding=encoding, **extras)


def receipt_lines(view, store, encoding=None, **extras):
    """The receipt's priced rows as (kind, label, amount): lines, totals,
    tenders (a piece's description rows left out)."""
    return [(r.kind, r.label, r.amount) for r in document(view, store, encoding, **extras).rows
            if r.kind != "detail"]


def barcode_svg(value):
    """The Code 128 of ``value`` as an inline ``<svg>`` element."""
    drawing = createBarcodeDrawing("Code128", value=value, barHeight=32, barWidth=1.2,
                                   humanReadable=True)
    text = renderSVG.drawToString(drawing)
    return text[text.index("<svg"):].strip()


def html(view, store, **extras):
    doc = document(view, store, **extras)
    rows = "\n".join(
        f'<tr class="{r.kind}"><td>{escape(r.label)}</td><td class="amount">{escape(r.amount)}</td></tr>'
        for r in doc.rows)
    facts = "<br>".join(escape(line) for line in doc.store_lines)
    associate = receipt_content.associate_line(doc)
    return f"""<!DOCTYPE html>
<html lang="{doc.language}"><head><meta charset="utf-8"><title>{escape(receipt_content.heading(doc))}</title>
<style>body{{font-family:sans-serif;max-width:28em;margin:1em auto}}td.amount{{text-align:right}}
tr.grand td{{font-weight:bold;border-top:1px solid #000}}tr.detail td{{font-size:85%;color:#333}}
.barcode{{text-align:center}}</style></head>
<body>
<h1>{escape(doc.store_name)}</h1>
<p class="store">{facts}</p>
<p>{escape(receipt_content.heading(doc))}<br>{escape(doc.when)}{'<br>' + escape(associate) if associate else ''}</p>
<table>
{rows}
</table>
<p class="policy">{escape(doc.policy)}<br><strong>{escape(doc.last_day)}</strong></p>
<div class="barcode">{barcode_svg(doc.number) if doc.number else ''}</div>
{''.join(f'<p>{escape(line)}</p>' for line in doc.footer)}
</body></html>
"""


def pdf(view, store, **extras):
    doc = document(view, store, encoding="cp1252", **extras)
    buffer = io.BytesIO()
    width, height = A6
    c = canvas.Canvas(buffer, pagesize=A6)
    c.setTitle(receipt_content.heading(doc))
    y = height - 12 * mm

    def room(needed):
        nonlocal y
        if y < needed:
            c.showPage()
            y = height - 12 * mm

    def line(text, amount="", bold=False, size=8):
        nonlocal y
        room(12 * mm)
        c.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        c.drawString(8 * mm, y, _fit(text[:60]))
        if amount:
            c.drawRightString(width - 8 * mm, y, amount)
        y -= 4.5 * mm if size >= 8 else 3.6 * mm

    line(doc.store_name, bold=True)
    for text in doc.store_lines:
        line(text, size=7)
    line(receipt_content.heading(doc))
    line(doc.when)
    if doc.associate:
        line(receipt_content.associate_line(doc))
    y -= 2 * mm
    for r in doc.rows:
        line(r.label, r.amount, bold=r.kind == "grand", size=7 if r.kind == "detail" else 8)
    y -= 2 * mm
    for text in escpos.wrap(doc.policy, 62):
        line(text, size=7)
    line(doc.last_day, bold=True, size=7)
    if doc.number:
        room(26 * mm)
        barcode = code128.Code128(doc.number, barHeight=10 * mm, barWidth=0.3 * mm)
        barcode.drawOn(c, (width - barcode.width) / 2, y - 10 * mm)
        y -= 14 * mm
        line(doc.number)
    for text in doc.footer:
        for part in escpos.wrap(text, 62):
            line(part, size=7)
    c.showPage()
    c.save()
    return buffer.getvalue()


def _fit(text):
    """Text Helvetica's WinAnsi encoding can draw ('?' for what it cannot)."""
    return text.encode("cp1252", "replace").decode("cp1252")


def render(fmt, view, store, options, **extras):
    """The receipt in ``fmt`` as the payments service answers it:
    ``{content_type, encoding, filename, body}`` (a binary body is base64).
    ``options``: ``ReceiptQuery`` (language; ESC/POS: width, kick)."""
    extras["language"] = options.get("language")
    name = f"receipt-{view['receipt_number']}"
    if fmt == "pdf":
        return {"content_type": "application/pdf", "encoding": "base64", "filename": f"{name}.pdf",
                "body": base64.b64encode(pdf(view, store, **extras)).decode()}
    if fmt == "escpos":
        data = escpos.render(document(view, store, encoding=escpos.ENCODING, **extras),
                             width=options.get("width") or 42, kick=bool(options.get("kick")))
        return {"content_type": ESCPOS_TYPE, "encoding": "base64", "filename": f"{name}.escpos",
                "body": base64.b64encode(data).decode()}
    return {"content_type": "text/html; charset=utf-8", "encoding": None, "filename": f"{name}.html",
            "body": html(view, store, **extras)}
