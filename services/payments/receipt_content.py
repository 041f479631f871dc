"""What a receipt says, whatever prints it (HTML, PDF, ESC/POS): the store's
address, phone and hours, the associate, each piece as an insurance
description, totals, tenders, the return policy with its last day and the
receipt number for the barcode. Pure: a sale's view, the store's facts and
a few extras in, a ``Receipt`` out (docs/API.md#receipts-and-labels).

A receipt is the client's insurance record, so a piece's facts are the ones
captured when the sale was priced (``insurance_facts``, kept on the sale
line): the receipt never asks inventory again.

Wording: ``WORDS`` holds the receipt's fixed words per language; a language
with no entry prints in English. Amounts are always written the way the
store's country writes them (``chassis.display``), whatever the language."""
from dataclasses import dataclass, field
from datetime import timedelta

from chassis.clock import instant, zone
from chassis.display import format_money, locale_for

WORDS = {
    "en": {"receipt": "Receipt", "associate": "Associate", "phone": "Tel.", "hours": "Hours",
           "subtotal": "Subtotal", "tax": "Tax", "tax_exempt": "Tax (exempt)", "total": "Total",
           "discount": "Discount", "cash_received": "Cash received", "change": "Change",
           "gift_card": "Gift card", "certificate": "certificate", "charged": "charged",
           "policy": "Pieces may be returned in their original condition with this receipt "
                     "within {days} days.",
           "last_day": "Last day for returns", "thanks": "Thank you.",
           "insurance": "Keep this receipt: it describes your pieces for insurance.",
           "methods": {"card": "Card", "cash": "Cash", "store_credit": "Store credit",
                       "gift_card": "Gift card", "loyalty_points": "Loyalty points",
                       "cashiers_check": "Cashier's check", "money_order": "Money order"}},
    "es": {"receipt": "Recibo", "associate": "Asesor", "phone": "Tel.", "hours": "Horario",
           "subtotal": "Subtotal", "tax": "Impuesto", "tax_exempt": "Impuesto (exento)",
           "total": "Total", "discount": "Descuento", "cash_received": "Efectivo recibido",
           "change": "Cambio", "gift_card": "Tarjeta regalo", "certificate": "certificado",
           "charged": "cobrado",
           "policy": "Las piezas pueden devolverse en su estado original con este recibo "
                     "dentro de {days} d\u00edas.",
           "last_day": "\u00daltimo d\u00eda para devoluciones", "thanks": "Gracias.",
           "insurance": "Conserve este recibo: describe sus piezas para el seguro.",
           "methods": {"card": "Tarjeta", "cash": "Efectivo", "store_credit": "Saldo a favor",
                       "gift_card": "Tarjeta regalo", "loyalty_points": "Puntos",
                       "cashiers_check": "Cheque de caja", "money_order": "Giro postal"}},
    "fr": {"receipt": "Re\u00e7u", "associate": "Conseiller", "phone": "T\u00e9l.",
           "hours": "Horaires", "subtotal": "Sous-total", "tax": "Taxe",
           "tax_exempt": "Taxe (exon\u00e9r\u00e9)", "total": "Total", "discount": "Remise",
           "cash_received": "Esp\u00e8ces re\u00e7ues", "change": "Rendu",
           "gift_card": "Carte cadeau", "certificate": "certificat", "charged": "d\u00e9bit\u00e9",
           "policy": "Les pi\u00e8ces peuvent \u00eatre retourn\u00e9es en l'\u00e9tat avec ce "
                     "re\u00e7u sous {days} jours.",
           "last_day": "Dernier jour pour un retour", "thanks": "Merci.",
           "insurance": "Conservez ce re\u00e7u : il d\u00e9crit vos pi\u00e8ces pour "
                        "l'assurance.",
           "methods": {"card": "Carte", "cash": "Esp\u00e8ces", "store_credit": "Avoir",
                       "gift_card": "Carte cadeau", "loyalty_points": "Points fid\u00e9lit\u00e9",
                       "cashiers_check": "Ch\u00e8que de banque", "money_order": "Mandat"}},
}
DEFAULT_LANGUAGE = "en"


def language_of(requested=None, locale=None):
    """The receipt's language: the one asked for (the client's) when its
    words exist, else the store locale's, else English."""
    for candidate in (requested, locale):
        lang = str(candidate or "").replace("-", "_").split("_")[0].lower()
        if lang in WORDS:
            return lang
    return DEFAULT_LANGUAGE


# --- a piece as an insurance description ---------------------------------------------------

def insurance_facts(item):
    """What a receipt keeps of a piece (inventory's item view), captured when
    the sale is priced: category, metal, stones with their certificates."""
    metal = item.get("metal") or None
    stones = []
    for s in item.get("stones") or []:
        cert = s.get("certificate") or None
        stones.append({k: s.get(k) for k in ("type", "shape", "carat", "color", "clarity", "cut")}
                      | {"certificate": {"lab": cert.get("lab"), "number": cert.get("number")}
                         if cert else None})
    return {"category": item.get("category"),
            "metal": {k: metal.get(k) for k in ("type", "karat", "fineness", "color", "weight_g")}
            if metal else None,
            "total_carat": item.get("total_carat"), "stones": stones}


def metal_text(metal):
    """``"18K white gold, 3.250 g"``."""
    if not metal or not metal.get("type"):
        return ""
    purity = f"{metal['karat']}K" if metal.get("karat") else (
        str(metal["fineness"]) if metal.get("fineness") else "")
    name = " ".join(p for p in (purity, metal.get("color") or "", metal["type"]) if p)
    return f"{name}, {metal['weight_g']} g" if metal.get("weight_g") else name


def stone_text(stone):
    """``"Diamond, round, 1.010 ct, F, VS1"``."""
    parts = [str(stone.get("type") or "stone").capitalize(), stone.get("shape"),
             f"{stone['carat']} ct" if stone.get("carat") else None,
             stone.get("color"), stone.get("clarity")]
    return ", ".join(p for p in parts if p)


def insurance_lines(facts, words):
    """The description a policy needs, one short line each."""
    if not facts:
        return []
    lines = [metal_text(facts.get("metal"))]
    for stone in facts.get("stones") or []:
        lines.append(stone_text(stone))
        cert = stone.get("certificate")
        if cert and cert.get("number"):
            lines.append(f"  {cert.get('lab') or ''} {words['certificate']} {cert['number']}".rstrip())
    return [line for line in lines if line]


# --- the receipt -----------------------------------------------------------------------------

@dataclass
class Row:
    kind: str                 # line, discount, detail, total, grand, tender, note
    label: str
    amount: str = ""


@dataclass
class Receipt:
    language: str
    store_name: str
    store_lines: list         # address lines, phone, hours
    number: str
    when: str
    associate: str
    rows: list = field(default_factory=list)
    policy: str = ""
    last_day: str = ""
    footer: list = field(default_factory=list)


def _sold_at(view, store):
    at = instant(view.get("completed_at") or view.get("created_at"))
    return at.astimezone(zone(store["timezone"]))


def last_return_day(view, store, days):
    """Sale day (in the store's zone) + ``days``."""
    return _sold_at(view, store).date() + timedelta(days=days)


def _negative(value):
    return {**value, "amount": -value["amount"]}


def _lines(view, fmt, words, insurance):
    rows = []
    for line in view["lines"]:
        label = line["description"] or line["kind"]
        if line.get("tag"):
            label = f"{label} [{line['tag']}]"
        rows.append(Row("line", label, fmt(line["list_price"])))
        for detail in insurance_lines(insurance.get(line.get("index")), words):
            rows.append(Row("detail", f"  {detail}"))
        if line.get("discount"):
            rows.append(Row("discount", f"  {words['discount']}: {line['discount']['reason']}",
                            fmt(_negative(line["discount"]["amount"]))))
    rows.append(Row("total", words["subtotal"], fmt(view["subtotal"])))
    tax = words["tax_exempt"] if view.get("tax_exempt") else \
        f"{words['tax']} {view['tax_rate_bps'] / 100:g}%"
    rows.append(Row("total", tax, fmt(view["tax"])))
    rows.append(Row("grand", words["total"], fmt(view["total"])))
    return rows


def _tenders(view, fmt, words):
    rows = []
    for t in view["tenders"]:
        label = words["methods"].get(t["method"], t["method"])
        if (t.get("card") or {}).get("last4"):
            label += f" ****{t['card']['last4']}"
        if t.get("charge"):
            label += f" ({words['charged']} {fmt(t['charge']['amount'])} @ {t['charge']['fx_rate']})"
        rows.append(Row("tender", label, fmt(t["amount"])))
        if t.get("received"):
            rows.append(Row("tender", f"  {words['cash_received']}", fmt(t["received"])))
            rows.append(Row("tender", f"  {words['change']}", fmt(t["change"])))
    for card in view.get("gift_cards") or []:
        rows.append(Row("note", f"{words['gift_card']} {card['code']}", fmt(card["balance"])))
    return rows


def build(view, store, *, return_days, insurance=None, associate=None, language=None,
          encoding=None):
    """The receipt of a completed sale.

    ``store``: ``receipts.store_facts``; ``return_days``: the return window;
    ``insurance``: ``{line index: insurance_facts}`` kept on the sale lines;
    ``associate``: the name to print (the gateway's user); ``language``: the
    client's, used when its words exist; ``encoding``: what the text must fit
    (``cp1252`` for a PDF's or a receipt printer's code page)."""
    locale = locale_for(store.get("country"))
    lang = language_of(language, locale)
    words = WORDS[lang]

    def fmt(value):
        return format_money(value, locale, encoding=encoding)

    address = [part.strip() for part in (store.get("address") or "").splitlines() if part.strip()]
    extra = []
    if store.get("phone"):
        extra.append(f"{words['phone']} {store['phone']}")
    if store.get("hours"):
        extra.append(f"{words['hours']}: {store['hours']}")
    last_day = last_return_day(view, store, return_days)
    return Receipt(
        language=lang, store_name=store["name"], store_lines=address + extra,
        number=view.get("receipt_number") or "",
        when=_sold_at(view, store).strftime("%Y-%m-%d %H:%M"),
        associate=associate or "",
        rows=_lines(view, fmt, words, insurance or {}) + _tenders(view, fmt, words),
        policy=words["policy"].format(days=return_days),
        last_day=f"{words['last_day']}: {last_day.isoformat()}",
        footer=[words["insurance"], words["thanks"]])


def heading(receipt):
    """``"Receipt AAA-000123"`` in the receipt's language."""
    return f"{WORDS[receipt.language]['receipt']} {receipt.number}"


def associate_line(receipt):
    return f"{WORDS[receipt.language]['associate']}: {receipt.associate}" if receipt.associate else ""
