"""Printed documents (reportlab): the job envelope that travels with the
piece to the bench (docs/DOMAIN.md#the-jewelry-trade-in-one-page, "Work
order"), and the appraisal
document for the client's insurer. Pure functions of a view: bytes out, no
I/O. Page streams are left uncompressed so the text can be searched (and
tested) as is.

Money prints as a person reads it (docs/ARCHITECTURE.md#rule-6): Babel's
format in a locale, with the currency's ISO 4217 decimals
(``chassis.display.format_money``), in what ReportLab's standard fonts can
draw (cp1252): 150,000 JPY is "¥150,000", 1.500 KWD "KWD1.500". Callers
pass the store's locale (``chassis.display.locale_for(store.country)``): a
Berlin store prints "1.500,50 €"; a store with no country prints en_US.
"""
import io
from datetime import date, datetime

from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen import canvas

from chassis.display import DEFAULT_LOCALE, format_money as display_money

ENVELOPE_SIZE = (152 * mm, 229 * mm)   # a 6 x 9 in repair envelope
KIND_WORDS = {"repair": "Repair", "resize": "Resize", "engraving": "Engraving",
              "custom": "Custom design", "appraisal": "Appraisal"}
FONT_ENCODING = "cp1252"               # what ReportLab's standard fonts (Helvetica) draw


def format_money(value, locale=DEFAULT_LOCALE):
    """An amount as the page prints it; "-" when there is none."""
    return display_money(value, locale, empty="-", encoding=FONT_ENCODING)


def _date(value, fmt="%d %b %Y"):
    if not value:
        return ""
    if isinstance(value, str):
        value = (datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value))
    return value.strftime(fmt)


class _Writer:
    """A cursor down a page: lines, wrapped paragraphs, rules."""

    def __init__(self, pdf, left, top, width, bottom=15 * mm):
        self.pdf, self.left, self.y, self.width, self.bottom = pdf, left, top, width, bottom
        self.top = top

    def space(self, amount=2 * mm):
        self.y -= amount

    def line(self, text, font="Helvetica", size=9, right=None, gap=1.3):
        self._room(size * gap)
        self.y -= size * gap
        self.pdf.setFont(font, size)
        self.pdf.drawString(self.left, self.y, text)
        if right is not None:
            self.pdf.drawRightString(self.left + self.width, self.y, right)

    def paragraph(self, text, font="Helvetica", size=9, indent=0):
        for raw in (text or "").splitlines() or [""]:
            for part in simpleSplit(raw, font, size, self.width - indent) or [""]:
                self._room(size * 1.3)
                self.y -= size * 1.3
                self.pdf.setFont(font, size)
                self.pdf.drawString(self.left + indent, self.y, part)

    def label(self, text):
        self.space(1.5 * mm)
        self.line(text.upper(), "Helvetica-Bold", 7)

    def rule(self):
        self.space(1.5 * mm)
        self.pdf.setLineWidth(0.4)
        self.pdf.line(self.left, self.y, self.left + self.width, self.y)
        self.space(1 * mm)

    def _room(self, needed):
        if self.y - needed < self.bottom:
            self.pdf.showPage()
            self.y = self.top


def _envelope_head(w, job):
    """The store, the job number as a barcode the bench scans, rush, dates."""
    pdf, margin, width = w.pdf, w.left, ENVELOPE_SIZE[0]
    store = job["store"]
    w.line(store["name"], "Helvetica-Bold", 11, right=store.get("phone") or "")
    w.space(2 * mm)
    barcode = code128.Code128(job["number"], barHeight=14 * mm, barWidth=0.38 * mm, humanReadable=False)
    w.y -= 14 * mm
    barcode.drawOn(pdf, margin - barcode.lquiet, w.y)
    if job["rush"]:
        pdf.setFont("Helvetica-Bold", 16)
        pdf.drawRightString(width - margin, w.y + 4 * mm, "RUSH")
    w.line(job["number"], "Helvetica-Bold", 16, gap=1.4)
    w.line(f"{KIND_WORDS.get(job['kind'], job['kind'])}  ·  taken in {_date(job['created_at'])}",
           size=9, right=f"Promised {_date(job['promised_date'])}")
    w.rule()


def _envelope_piece(w, job):
    """Whose piece it is, what it is and how it came in."""
    client = job.get("client") or {}
    w.label("Client")
    w.line(f"{client.get('first_name', '')} {client.get('last_name', '')}".strip() or "-",
           "Helvetica-Bold", 10, right=client.get("phone") or "")
    w.label("Item")
    w.paragraph(job["item_description"])
    w.label("Condition at intake")
    intake = job.get("intake") or {}
    w.paragraph(intake.get("condition_notes") or "No remarks.")
    photos = len(intake.get("photos") or [])
    if photos:
        w.line(f"{photos} intake photo{'s' if photos != 1 else ''} on file", "Helvetica-Oblique", 8)
    w.rule()


def _envelope_work(w, job, locale):
    """The tasks with their prices, the total or estimate, deposits and the balance."""
    w.label("Work")
    for task in job.get("tasks") or []:
        qty = f"{task['quantity']} x " if task["quantity"] != 1 else ""
        text = f" \u201c{task['text']}\u201d" if task.get("text") else ""
        lines = simpleSplit(f"{qty}{task['description']}{text}", "Helvetica", 9, w.width - 30 * mm)
        w.line(lines[0], right=format_money(task["price"], locale) if task.get("price") else "to quote")
        for more in lines[1:]:
            w.line(more)
    if not job.get("tasks"):
        w.line("To be estimated", "Helvetica-Oblique")
    w.space(1 * mm)
    if job.get("estimate"):
        w.line("Estimate", "Helvetica-Bold", right=format_money(job["estimate"]["amount"], locale))
    else:
        w.line("Total", "Helvetica-Bold", right=format_money(job["total"], locale))
    if job["deposits"]["amount"]:
        w.line("Deposits", right=format_money(job["deposits"], locale))
    w.line("Balance due", "Helvetica-Bold", right=format_money(job["balance_due"], locale))
    w.rule()


def envelope_pdf(job, locale=DEFAULT_LOCALE):
    """The job envelope for a work order view (``views.full_view``)."""
    buf = io.BytesIO()
    width, height = ENVELOPE_SIZE
    pdf = canvas.Canvas(buf, pagesize=ENVELOPE_SIZE, pageCompression=0)
    pdf.setTitle(f"Job envelope {job['number']}")
    pdf.setAuthor(job["store"]["name"])
    margin = 10 * mm
    w = _Writer(pdf, margin, height - margin, width - 2 * margin)
    _envelope_head(w, job)
    _envelope_piece(w, job)
    _envelope_work(w, job, locale)
    w.space(8 * mm)
    pdf.setLineWidth(0.4)
    pdf.line(margin, w.y, margin + 60 * mm, w.y)
    pdf.setFont("Helvetica", 7)
    pdf.drawString(margin, w.y - 3 * mm, "Client signature at intake")
    pdf.drawRightString(width - margin, w.y - 3 * mm, f"Bench: {job.get('assignee_name') or ''}")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def _metal_words(metal):
    if not metal:
        return "-"
    purity = (f"{metal['karat']}K" if metal.get("karat")
              else f"{metal['fineness']}" if metal.get("fineness") else "")
    parts = [purity, metal.get("color") or "", metal["type"]]
    words = " ".join(p for p in parts if p)
    return f"{words}, {metal['weight_g']} g" if metal.get("weight_g") else words


def _stone_words(stone):
    head = " ".join(p for p in (stone.get("shape") or "", stone["type"]) if p)
    grades = ", ".join(f"{k} {stone[k]}" for k in ("color", "clarity", "cut") if stone.get(k))
    words = f"{head}, {stone['carat']} ct" + (f"; {grades}" if grades else "")
    cert = stone.get("certificate")
    if cert:
        words += f"; certificate {cert['lab']} {cert['number']}"
    return words


def _appraisal_head(w, doc):
    """The store, the title, the job and version, the owner."""
    store = doc["store"]
    w.line(store["name"], "Helvetica-Bold", 14, right=store.get("phone") or "")
    if store.get("address"):
        w.paragraph(store["address"], size=8)
    w.rule()
    w.line("Appraisal for insurance replacement", "Helvetica-Bold", 16, gap=1.6)
    w.line(f"Job {doc['number']}  ·  version {doc['version']}", size=9,
           right=f"Appraised on {_date(doc['appraised_on'])}")
    owner = doc.get("owner") or {}
    w.line(f"Prepared for {owner.get('first_name', '')} {owner.get('last_name', '')}".strip(), size=9)
    w.rule()


def _appraisal_piece(w, doc):
    """The piece described: metal, stones, remarks."""
    w.label("Description")
    w.paragraph(doc["piece_description"], size=10)
    w.label("Metal")
    w.line(_metal_words(doc.get("metal")), size=10)
    w.label("Stones")
    for stone in doc.get("stones") or []:
        w.paragraph(_stone_words(stone), size=10)
    if not doc.get("stones"):
        w.line("None", size=10)
    if doc.get("notes"):
        w.label("Remarks")
        w.paragraph(doc["notes"], size=9)


def _appraisal_photos(w, photos):
    """Up to three photographs side by side; an unreadable one is left out."""
    w.label("Photographs")
    size = 45 * mm
    w._room(size + 4 * mm)
    w.y -= size + 2 * mm
    x = w.left
    for content, _content_type in photos[:3]:
        try:
            image = ImageReader(io.BytesIO(content))
        except Exception:  # an unreadable picture must not stop the document
            continue
        iw, ih = image.getSize()
        scale = min(size / iw, size / ih)
        w.pdf.drawImage(image, x, w.y, iw * scale, ih * scale)
        x += size + 5 * mm


def _appraisal_signature(w, doc):
    """The appraiser's signature line, name and credentials, and the fine print."""
    appraiser = doc["appraiser"]
    w.space(10 * mm)
    w.pdf.setLineWidth(0.4)
    w.pdf.line(w.left, w.y, w.left + 70 * mm, w.y)
    w.line(appraiser["name"], "Helvetica-Bold", 10)
    if appraiser.get("credentials"):
        w.line(appraiser["credentials"], size=9)
    w.space(4 * mm)
    w.paragraph("The replacement value is the estimated cost to replace the piece with one of "
                "like kind and quality at retail on the date above. It is not an offer to buy. "
                "Prices of metals and stones change; have the piece reappraised every few years.",
                "Helvetica-Oblique", 7.5)


def appraisal_pdf(doc, photos=(), locale=DEFAULT_LOCALE):
    """The appraisal document; ``photos`` are (bytes, content type) pairs."""
    buf = io.BytesIO()
    width, height = LETTER
    pdf = canvas.Canvas(buf, pagesize=LETTER, pageCompression=0)
    pdf.setTitle(f"Appraisal {doc['number']} v{doc['version']}")
    pdf.setAuthor(doc["store"]["name"])
    margin = 20 * mm
    w = _Writer(pdf, margin, height - margin, width - 2 * margin)
    _appraisal_head(w, doc)
    _appraisal_piece(w, doc)
    if photos:
        _appraisal_photos(w, photos)
    w.rule()
    w.line("Replacement value", "Helvetica-Bold", 12,
           right=format_money(doc["replacement_value"], locale))
    w.rule()
    _appraisal_signature(w, doc)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
