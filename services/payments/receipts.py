"""The client's receipt, as HTML (e-mail, screen) and PDF (print), from the
sale's view and its store. Times are shown in the store's time zone."""
import io
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from .money import format_money

METHOD_NAMES = {"card": "Card", "cash": "Cash", "store_credit": "Store credit",
                "gift_card": "Gift card", "loyalty_points": "Loyalty points",
                "cashiers_check": "Cashier's check", "money_order": "Money order"}


def _when(view, store):
    at = view.get("completed_at") or view.get("created_at")
    return datetime.fromisoformat(at).astimezone(ZoneInfo(store["timezone"])).strftime("%Y-%m-%d %H:%M")


def receipt_lines(view, store):
    """The receipt as (label, amount) rows, shared by HTML and PDF."""
    rows = []
    for line in view["lines"]:
        label = line["description"] or line["kind"]
        if line.get("tag"):
            label = f"{label} [{line['tag']}]"
        rows.append(("line", label, format_money(line["list_price"])))
        if line.get("discount"):
            rows.append(("discount", f"  Discount: {line['discount']['reason']}",
                         format_money({**line["discount"]["amount"],
                                       "amount": -line["discount"]["amount"]["amount"]})))
    rows.append(("total", "Subtotal", format_money(view["subtotal"])))
    tax_label = "Tax (exempt)" if view.get("tax_exempt") else f"Tax {view['tax_rate_bps'] / 100:g}%"
    rows.append(("total", tax_label, format_money(view["tax"])))
    rows.append(("grand", "Total", format_money(view["total"])))
    for t in view["tenders"]:
        label = METHOD_NAMES.get(t["method"], t["method"])
        if t.get("card", {}).get("last4"):
            label += f" ****{t['card']['last4']}"
        if t.get("charge"):
            label += f" (charged {format_money(t['charge']['amount'])} at {t['charge']['fx_rate']})"
        rows.append(("tender", label, format_money(t["amount"])))
        if t.get("received"):
            rows.append(("tender", "  Cash received", format_money(t["received"])))
            rows.append(("tender", "  Change", format_money(t["change"])))
    for card in view.get("gift_cards") or []:
        rows.append(("note", f"Gift card {card['code']}", format_money(card["balance"])))
    return rows


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
    for kind, label, amount in receipt_lines(view, store):
        line(label, amount, bold=kind == "grand")
    c.showPage()
    c.save()
    return buffer.getvalue()
