"""Tag labels in ZPL II, for the tag printers stores use (a 60 x 25 mm
label at 203 dpi, 8 dots a millimetre): the same facts as the PDF label
(``labels``): the tag as a Code 128 barcode (``^BC``) and in text, the
price in the store's locale, the metal and carat weight and a short
description. Several pieces are one label format each, one after the other
(a receiving batch).

Text is UTF-8 (``^CI28``); every text field goes through ``^FH`` so that a
``^``, ``~`` or ``_`` in a description is printed, never read as a command.
The price is written the way the PDF label writes it (in characters the
printer's resident font has: ``labels.price_text``). Pure: item views in,
bytes out."""
from .labels import metal_line, price_text

DOTS_PER_MM = 8
WIDTH, HEIGHT = 60 * DOTS_PER_MM, 25 * DOTS_PER_MM
MARGIN = 16
DESCRIPTION_CHARS = 36


def field_text(value):
    """``value`` for a ``^FH_ ^FD`` field: ``_``, ``^`` and ``~`` as hex escapes."""
    out = []
    for ch in value:
        out.append(f"_{ord(ch):02X}" if ch in "_^~" else ch)
    return "".join(out)


def _text(x, y, height, value, width=None, right=False):
    block = f"^FB{width},1,0,{'R' if right else 'L'},0" if width else ""
    return f"^FO{x},{y}^A0N,{height},{height}{block}^FH_^FD{field_text(value)}^FS"


def label(item, locale=None):
    """One piece's label format (``^XA`` ... ``^XZ``) as text."""
    tag = item["tag"]
    half = (WIDTH - 2 * MARGIN) // 2
    parts = [
        "^XA", "^CI28", f"^PW{WIDTH}", f"^LL{HEIGHT}", "^LH0,0",
        f"^FO{MARGIN},12^BY2,3,64^BCN,64,N,N,N^FH_^FD{field_text(tag)}^FS",
        _text(MARGIN, 86, 28, tag),
        _text(MARGIN + half, 86, 28, price_text(item["price"], locale), width=half, right=True),
        _text(MARGIN, 124, 22, metal_line(item)[:44]),
        _text(MARGIN, 156, 22, (item.get("description") or "")[:DESCRIPTION_CHARS]),
        "^XZ",
    ]
    return "\n".join(parts) + "\n"


def labels_zpl(labelled):
    """The bytes of several labels: ``labelled`` is ``[(item view, locale), ...]``."""
    return "".join(label(item, locale) for item, locale in labelled).encode("utf-8")
