"""The client's receipt, as HTML (e-mail, screen) and PDF (print), from the
sale's view and its store. Amounts are written the way the store's country
reads them (``chassis.display.format_money`` in ``locale_for(country)``,
ISO 4217 decimals: docs/ARCHITECTURE.md#rule-6); times in the store's time
zone. ReportLab's standard fonts take cp1252: a symbol they cannot draw
(``￥``, ``د.ك.``) is written the en_US way instead."""
import io
from html import escape

from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from chassis.clock import instant, zone
from chassis.display import format_money, locale_for

METHOD_NAMES = {"card": "Card", "cash": "Cash", "store_credit": "Store credit",
                "gift_card": "Gift card", "loyalty_points": "Loyalty points",
                "cashiers_check": "Cashier's check", "money_order": "Money order"}


def store_facts(store):
    """What a receipt shows of a store (a ``Store`` row)."""
    return {"name": store.name, "code": store.code, "timezone": store.timezone,
            "address": store.address, "country": store.country}


def _when(view, store):
    at = instant(view.get("completed_at") or view.get("created_at"))
    return at.astimezone(zone(store["timezone"])).strftime("%Y-%m-%d %H:%M")


def _negative(value):
    return {**value, "amount": -value["amount"]}


def _line_rows(view, fmt):
    rows = []
    for line in view["lines"]:
        label = line["description"] or line["kind"]
        if line.get("tag"):
            label = f"{label} [{line['tag']}]"
        rows.append(("line", label, fmt(line["list_price"])))
        if line.get("discount"):
            rows.append(("discount", f"  Discount: {line['discount']['reason']}",
                         fmt(_negative(line["discount"]["amount"]))))
    rows.append(("total", "Subtotal", fmt(view["subtotal"])))
    tax_label = "Tax (exempt)" if view.get("tax_exempt") else f"Tax {view['tax_rate_bps'] / 100:g}%"
    rows.append(("total", tax_label, fmt(view["tax"])))
    rows.append(("grand", "Total", fmt(view["total"])))
    return rows


def _tender_rows(view, fmt):
    rows = []
    for t in view["tenders"]:
        label = METHOD_NAMES.get(t["method"], t["method"])
        if t.get("card", {}).get("last4"):
            label += f" ****{t['card']['last4']}"
        if t.get("charge"):
            label += f" (charged {fmt(t['charge']['amount'])} at {t['charge']['fx_rate']})"
        rows.append(("tender", label, fmt(t["amount"])))
        if t.get("received"):
            rows.append(("tender", "  Cash received", fmt(t["received"])))
            rows.append(("tender", "  Change", fmt(t["change"])))
    for card in view.get("gift_cards") or []:
        rows.append(("note", f"Gift card {card['code']}", fmt(card["balance"])))
    return rows


def receipt_lines(view, store, encoding=None):
    """The receipt as (kind, label, amount) rows, shared by HTML and PDF;
    ``encoding``: what the text must fit (``"cp1252"`` for the PDF)."""
    locale = locale_for(store.get("country"))

    def fmt(value):
        return format_money(value, locale, encoding=encoding)
    return _line_rows(view, fmt) + _tender_rows(view, fmt)


def html(view, store):
    rows = "\n".join(
        f'<tr class="{kind}"><td>{escape(label)}</td><td class="amount">{escape(amount)}</td></tr>'
        for kind, label, amount in receipt_lines(view, store))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Receipt {escape(view['receipt_number'] or '')}</title>
<style>body{{font-family:sans-serif;max-width:28em;margin:1em auto}}td.amount{{text-align:right}}
tr.grand td{{font-weight:bold;border-top:1px solid #000}}</style></head>
<body>
<h1>{escape(store['name'])}</h1>
<p>{escape(store.get('address') or '')}</p>
<p>Receipt <strong>{escape(view['receipt_number'] or '')}</strong><br>{escape(_when(view, store))}</p>
<table>
{rows}
</table>
<p>Thank you.</p>
</body></html>
"""


def pdf(view, store):
    buffer = io.BytesIO()
    width, height = A6
    c = canvas.Canvas(buffer, pagesize=A6)
    c.setTitle(f"Receipt {view['receipt_number'] or ''}")
    y = height - 12 * mm

    def line(text, amount="", bold=False):
        nonlocal y
        if y < 12 * mm:
            c.showPage()
            y = height - 12 * mm
        c.setFont("Helvetica-Bold" if bold else "Helvetica", 8)
        c.drawString(8 * mm, y, text[:48])
        if amount:
            c.drawRightString(width - 8 * mm, y, amount)
        y -= 4.5 * mm

    line(store["name"], bold=True)
    line(f"Receipt {view['receipt_number'] or ''}")
    line(_when(view, store))
    y -= 2 * mm
    for kind, label, amount in receipt_lines(view, store, encoding="cp1252"):
        line(label, amount, bold=kind == "grand")
    c.showPage()
    c.save()
    return buffer.getvalue()
