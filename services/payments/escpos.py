"""The receipt as ESC/POS bytes, for the thermal receipt printers stores use
(docs/API.md#receipts-and-labels): the same content as the HTML and PDF
receipt (``receipt_content``), on 42 or 48 columns, the receipt number as
a Code 128 barcode (``GS k``), the paper cut at the end and, when asked, the
cash drawer's kick first (``ESC p 0 25 250``: pin 2, 50 ms on, 500 ms off).

Text goes out in the printer's Windows-1252 code page (``ESC t 16``);
amounts are formatted to fit it (``format_money(encoding="cp1252")``) and a
character it lacks prints as ``?``. Pure: a ``Receipt`` in, bytes out."""
from .receipt_content import associate_line, heading

ESC, GS, LF = b"\x1b", b"\x1d", b"\n"
ENCODING = "cp1252"
CODE_PAGE = 16                       # WPC1252
COLUMNS = (42, 48)                   # 80 mm paper: font A at 180 or 203 dpi

INIT = ESC + b"@"
CODE_PAGE_1252 = ESC + b"t" + bytes([CODE_PAGE])
KICK = ESC + b"p" + bytes([0, 25, 250])          # drawer pin 2, on 25 x 2 ms, off 250 x 2 ms
CUT = GS + b"V" + bytes([66, 3])                  # feed to the cutter (+3 dots), partial cut
LEFT, CENTER = ESC + b"a\x00", ESC + b"a\x01"
BOLD_ON, BOLD_OFF = ESC + b"E\x01", ESC + b"E\x00"
DOUBLE, NORMAL = GS + b"!\x11", GS + b"!\x00"     # double width and height / normal size


_CONTROLS = {c: "?" for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]}


def _text(value):
    """Printable text only: a control character in a description (ESC p ...
    opens the drawer, GS V cuts the paper) prints as ``?``, never as a command."""
    return value.translate(_CONTROLS).encode(ENCODING, "replace")


def wrap(text, width):
    """Words on lines of at most ``width`` characters (a longer word is cut)."""
    width = max(int(width), 1)
    lines, current = [], ""
    for word in text.split():
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return lines + ([current] if current else [])


def columns(label, amount, width):
    """``label`` left and ``amount`` right on ``width`` columns; a label too
    long for both wraps, the amount on its last line. Leading spaces (an
    indented detail) are kept."""
    room = width - len(amount) - 1 if amount else width
    # an indent is a detail's few spaces, never most of the line (a description
    # typed with leading spaces must not leave no room, or none at all)
    indent = min(len(label) - len(label.lstrip(" ")), max(room // 4, 0))
    label = label.lstrip(" ")
    parts = wrap(label, room - indent) or [""]
    lines = [" " * indent + p for p in parts]
    last = lines[-1]
    lines[-1] = last + " " * (width - len(last) - len(amount)) + amount if amount else last
    return lines


def barcode(value, height=80, module=2):
    """``GS k`` Code 128 (function B, ``m`` = 73) in code set B, its
    human-readable text below."""
    data = b"{B" + value.encode("ascii", "replace")
    return (GS + b"h" + bytes([height]) + GS + b"w" + bytes([module]) + GS + b"H\x02"
            + GS + b"f\x00" + GS + b"k" + bytes([73, len(data)]) + data)


class _Out:
    """Bytes being written, a line of text at a time."""

    def __init__(self, width):
        self.width, self.parts = width, []

    def raw(self, *data):
        self.parts.extend(data)

    def line(self, text=""):
        self.parts.append(_text(text) + LF)

    def wrapped(self, text):
        for part in wrap(text, self.width):
            self.line(part)

    def rule(self):
        self.line("-" * self.width)


def _header(out, receipt):
    out.raw(CENTER, BOLD_ON, DOUBLE)
    for part in wrap(receipt.store_name, out.width // 2):
        out.line(part)
    out.raw(NORMAL, BOLD_OFF)
    for fact in receipt.store_lines:
        out.wrapped(fact)
    out.raw(LEFT)
    out.rule()
    out.line(heading(receipt))
    out.line(receipt.when)
    if receipt.associate:
        out.line(associate_line(receipt))
    out.rule()


def _rows(out, receipt):
    for row in receipt.rows:
        grand = row.kind == "grand"
        if grand:
            out.raw(BOLD_ON)
        for part in columns(row.label, row.amount, out.width):
            out.line(part)
        if grand:
            out.raw(BOLD_OFF)
            out.rule()
    out.rule()


def _footer(out, receipt):
    out.wrapped(receipt.policy)
    out.raw(BOLD_ON)
    out.wrapped(receipt.last_day)
    out.raw(BOLD_OFF)
    if receipt.number:
        out.raw(CENTER)
        out.line()
        out.raw(barcode(receipt.number))
        out.line()
        out.raw(LEFT)
    out.line()
    for text in receipt.footer:
        out.wrapped(text)


def render(receipt, width=42, kick=False):
    """The receipt's bytes for a printer of ``width`` columns; ``kick``:
    open the cash drawer first."""
    if width not in COLUMNS:
        raise ValueError(f"width must be one of {COLUMNS}")
    out = _Out(width)
    out.raw(INIT, CODE_PAGE_1252)
    if kick:
        out.raw(KICK)
    _header(out, receipt)
    _rows(out, receipt)
    _footer(out, receipt)
    out.raw(CUT)
    return b"".join(out.parts)
