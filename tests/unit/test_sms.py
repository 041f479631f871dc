"""What a text costs (GSM-7 and UCS-2 segments) and the inbound keywords,
worked by hand."""
import pytest

from services.notifications import sms
from services.notifications.sms import is_e164, is_gsm7, keyword, segments_of, sms_stats


@pytest.mark.parametrize("number, ok", [
    ("+12025550143", True), ("+1234567", True), ("+123456789012345", True),
    ("+123456", False),              # 6 digits: too short
    ("+1234567890123456", False),    # 16 digits: too long
    ("12025550143", False), ("+0123456789", False), ("+1202555014a", False),
    ("+1 202 555 0143", False), ("", False), (None, False), (12025550143, False),
])
def test_is_e164(number, ok):
    assert is_e164(number) is ok


@pytest.mark.parametrize("text, gsm", [
    ("Hello", True), ("", True), ("€10 {ok}", True), ("café à Zürich", True), ("crème brûlée", False),
    ("é ù ì ò Ç ñ ü à", True), ("ê", False), ("日本", False), ("😀", False), ("a\nb\rc", True),
])
def test_is_gsm7(text, gsm):
    assert is_gsm7(text) is gsm


def stats(length, encoding, units, segments):
    return {"length": length, "encoding": encoding, "units": units, "segments": segments}


@pytest.mark.parametrize("text, expected", [
    ("", stats(0, "GSM-7", 0, 0)),
    (None, stats(0, "GSM-7", 0, 0)),
    ("a", stats(1, "GSM-7", 1, 1)),
    ("a" * 160, stats(160, "GSM-7", 160, 1)),
    ("a" * 161, stats(161, "GSM-7", 161, 2)),           # 153 + 8
    ("a" * 306, stats(306, "GSM-7", 306, 2)),
    ("a" * 307, stats(307, "GSM-7", 307, 3)),
    ("€" * 80, stats(80, "GSM-7", 160, 1)),             # two septets each
    ("€" * 81, stats(81, "GSM-7", 162, 2)),             # 76 + 5 (152 + 10 septets)
    ("Your ring is ready: €1,500.00 {ref 42}", stats(38, "GSM-7", 41, 1)),
    # an extension character is never split: 152 + [€ + 151] + [1]
    ("a" * 152 + "€" + "a" * 152, stats(305, "GSM-7", 306, 3)),
    ("ê" * 70, stats(70, "UCS-2", 70, 1)),
    ("ê" * 71, stats(71, "UCS-2", 71, 2)),              # 67 + 4
    ("ê" * 134, stats(134, "UCS-2", 134, 2)),
    ("ê" * 135, stats(135, "UCS-2", 135, 3)),
    ("Hello ê", stats(7, "UCS-2", 7, 1)),
    ("😀" * 35, stats(35, "UCS-2", 70, 1)),             # two UTF-16 units each
    ("😀" * 36, stats(36, "UCS-2", 72, 2)),             # 33 + 3 emoji
    # an emoji is never split either: 66 + [😀 + 65] + [1]
    ("ê" * 66 + "😀" + "ê" * 66, stats(133, "UCS-2", 134, 3)),
    ("\uffff", stats(1, "UCS-2", 1, 1)),              # the last BMP code point: one unit
    ("\U00010000", stats(1, "UCS-2", 2, 1)),          # the first beyond it: two
])
def test_sms_stats(text, expected):
    assert sms_stats(text) == expected


@pytest.mark.parametrize("units, single, multi, count", [
    ([], 160, 153, 0),
    ([0, 0], 160, 153, 0),
    ([1] * 160, 160, 153, 1),
    ([1] * 161, 160, 153, 2),
    ([1] * 306, 160, 153, 2),
    ([1] * 307, 160, 153, 3),
    ([2] * 3, 5, 3, 3),              # each 2-unit character alone in a 3-unit segment
    ([1, 1, 1, 1], 3, 2, 2),
    ([1, 1, 1, 1, 1], 3, 2, 3),
    ([1, 2, 1], 3, 3, 2),            # 1 + 2 fit, then 1
    ([2, 2], 4, 3, 1),               # within the single-segment limit
    ([3, 1, 1], 4, 3, 2),            # exactly full: no empty segment
])
def test_segments_of(units, single, multi, count):
    assert segments_of(units, single, multi) == count


@pytest.mark.parametrize("body, word", [
    ("stop", "stop"), ("STOP", "stop"), (" Stop!! ", "stop"), ("stop.", "stop"),
    ("StopAll", "stop"), ("unsubscribe", "stop"), ("cancel", "stop"), ("end", "stop"),
    ("quit", "stop"), ("optout", "stop"), ("revoke", "stop"),
    ("start", "start"), ("Unstop!", "start"),
    ("help", "help"), ("HELP.", "help"), ("info", "help"),
    ("stop by tomorrow?", None), ("stop?", None), ("yes", None), ("STOP IT", None),
    ("", None), (None, None), ("   ", None), ("s t o p", None), (".stop", None),
])
def test_keyword(body, word):
    assert keyword(body) == word


NBSP, NNBSP, LRM, RLM, ALM = "\u00a0", "\u202f", "\u200e", "\u200f", "\u061c"


@pytest.mark.parametrize("text, plain", [
    (f"1.500,50{NBSP}€", "1.500,50 €"),                 # de_DE
    (f"10{NBSP}000,00{NBSP}Ft", "10 000,00 Ft"),         # hu_HU
    (f"1{NNBSP}500,50{NBSP}€", "1 500,50 €"),            # fr_FR
    (f"{RLM}1.500{NBSP}د.ك.{RLM}", "1.500 د.ك."),         # ar_KW: its marks dropped
    (f"{LRM}+1 212{ALM}", "+1 212"),
    ("Déjà vu 10 000,00 Ft", "Déjà vu 10 000,00 Ft"),   # nothing to change
    ("", ""),
])
def test_plain_spacing_writes_the_spaces_gsm7_lacks_plain_and_drops_bidi_marks(text, plain):
    assert sms.plain_spacing(text) == plain


def test_plain_spacing_keeps_a_text_gsm7_that_only_its_spaces_kept_from_it():
    babel = f"Due: 10{NBSP}000,00{NBSP}Ft"
    assert not sms.is_gsm7(babel) and sms.is_gsm7(sms.plain_spacing(babel))
