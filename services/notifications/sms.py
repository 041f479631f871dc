"""What a text costs and whether a number can take one: pure functions.

A text travels in segments. When every character is in the GSM 03.38
alphabet it is encoded in 7 bits (GSM-7): one segment holds 160 septets, a
multi-part text 153 per segment (the rest is the concatenation header), and
the extension characters (``^{}\\[~]|€`` and form feed) take two septets
each, never split between two segments. Any other character makes the whole
text UCS-2: 70 UTF-16 code units in one segment, 67 per segment when split,
and a character outside the Basic Multilingual Plane (an emoji) takes two
units, never split either.
"""
import re
import unicodedata

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

# Twilio refuses bodies over 1,600 characters.
MAX_BODY_CHARS = 1600

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def is_e164(number):
    """``+`` then 7 to 15 digits, the first not 0: what Twilio accepts as ``To``."""
    return isinstance(number, str) and bool(E164.match(number))


def is_gsm7(text):
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


# Bidi marks Babel puts around some locales' amounts (he_IL, ar_*): LRM, RLM, ALM.
BIDI_MARKS = frozenset("\u200e\u200f\u061c")


def plain_spacing(text):
    """``text`` with every space that GSM-7 lacks (Babel's no-break spaces,
    U+00A0 and U+202F, in de_DE's "1.500,50 €" or hu_HU's "10 000,00 Ft")
    written as a plain space, and its bidi marks dropped."""
    return "".join(
        "" if c in BIDI_MARKS
        else " " if unicodedata.category(c) == "Zs" and c not in GSM7_BASIC
        else c
        for c in text)


def _units(text):
    """(encoding, units of each character) for ``text``."""
    if is_gsm7(text):
        return "GSM-7", [2 if c in GSM7_EXTENSION else 1 for c in text]
    return "UCS-2", [2 if ord(c) > 0xFFFF else 1 for c in text]


def segments_of(units, single, multi):
    total = sum(units)
    if total == 0:
        return 0
    if total <= single:
        return 1
    count, used = 1, 0
    for unit in units:
        if used + unit > multi:
            count, used = count + 1, 0
        used += unit
    return count


def sms_stats(text):
    """``{"length", "encoding", "units", "segments"}`` of a text body.

    ``length`` is in characters, ``units`` in septets (GSM-7) or UTF-16 code
    units (UCS-2): what the segment limits count.
    """
    text = text or ""
    encoding, units = _units(text)
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_MULTI)
    return {
        "length": len(text),
        "encoding": encoding,
        "units": sum(units),
        "segments": segments_of(units, single, multi),
    }


# --- inbound keywords (the carriers' and Twilio's standard words) --------------

OPT_OUT = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE")
# Twilio's list also has YES; we leave it out: "yes" is how clients answer an
# estimate, and must not be read as a consent change.
OPT_IN = ("START", "UNSTOP")
HELP = ("HELP", "INFO")


def keyword(body):
    """``"stop"``, ``"start"``, ``"help"`` or None for an inbound text.

    Only a text that is the keyword alone counts (case, spaces and trailing
    punctuation aside): "stop by tomorrow?" is a conversation, not an opt-out.
    """
    word = re.sub(r"[\s.!]+$", "", (body or "").strip()).upper()
    if word in OPT_OUT:
        return "stop"
    if word in OPT_IN:
        return "start"
    if word in HELP:
        return "help"
    return None
