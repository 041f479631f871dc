"""The pure rules: segments, keywords, quiet hours, templates, the
status order, the public URL a signature covers. No infrastructure."""
import math
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from services.notifications import quiet_hours, records, templates, webhooks
from services.notifications.settings import Settings, parse_number_map
from services.notifications.sms import GSM7_BASIC, GSM7_EXTENSION, is_e164, keyword, sms_stats

basic = st.sampled_from(sorted(GSM7_BASIC))
extension = st.sampled_from(sorted(GSM7_EXTENSION))
bmp_non_gsm = st.sampled_from(list("ąęłśćżźńőűçãõ✨€"[:-1]) + ["Ж", "中", "ß̈"[1]])


# --- segments --------------------------------------------------------------------------

@given(st.text(basic, max_size=700))
def test_gsm7_segments(text):
    stats = sms_stats(text)
    assert stats["encoding"] == "GSM-7" and stats["units"] == len(text)
    expected = 0 if not text else 1 if len(text) <= 160 else math.ceil(len(text) / 153)
    assert stats["segments"] == expected


@given(st.text(basic, min_size=1, max_size=400), st.text(bmp_non_gsm, min_size=1, max_size=3))
def test_one_non_gsm_character_makes_the_whole_text_ucs2(text, other):
    stats = sms_stats(text + other)
    assert stats["encoding"] == "UCS-2"
    n = len(text + other)
    assert stats["segments"] == (1 if n <= 70 else math.ceil(n / 67))


@given(st.lists(st.one_of(basic, extension), max_size=500))
def test_extension_characters_take_two_septets_and_are_never_split(chars):
    text = "".join(chars)
    stats = sms_stats(text)
    units = sum(2 if c in GSM7_EXTENSION else 1 for c in chars)
    assert stats["units"] == units
    if units <= 160:
        assert stats["segments"] == (1 if units else 0)
    else:
        assert math.ceil(units / 153) <= stats["segments"] <= math.ceil(units / 152)


def test_known_segment_edges():
    assert sms_stats("a" * 160)["segments"] == 1
    assert sms_stats("a" * 161)["segments"] == 2
    assert sms_stats("a" * 306)["segments"] == 2
    assert sms_stats("a" * 307)["segments"] == 3
    assert sms_stats("€" * 80)["units"] == 160 and sms_stats("€" * 80)["segments"] == 1
    assert sms_stats("a" * 152 + "€")["segments"] == 1          # 154 septets, one part
    assert sms_stats("a" * 152 + "€" + "a" * 7)["segments"] == 2  # the € moves to part two
    assert sms_stats("é" * 70)["encoding"] == "GSM-7"            # é is in GSM-7
    assert sms_stats("ł" * 70)["segments"] == 1
    assert sms_stats("ł" * 71)["segments"] == 2
    assert sms_stats("💍" * 35)["units"] == 70 and sms_stats("💍" * 35)["segments"] == 1
    assert sms_stats("💍" * 36)["segments"] == 2
    assert sms_stats("")["segments"] == 0


@pytest.mark.parametrize("number, ok", [
    ("+12125550100", True), ("+442071234567", True), ("12125550100", False),
    ("+1 212 555 0100", False), ("+0123456789", False), ("555-0104", False), ("+1234", False),
    (None, False), ("+1234567890123456", False),
])
def test_e164(number, ok):
    assert is_e164(number) is ok


@pytest.mark.parametrize("body, word", [
    ("STOP", "stop"), ("stop", "stop"), (" Stop. ", "stop"), ("UNSUBSCRIBE", "stop"),
    ("end", "stop"), ("START", "start"), ("unstop", "start"), ("HELP", "help"), ("info!", "help"),
    ("stop it please", None), ("yes", None), ("", None), (None, None),
])
def test_keywords(body, word):
    assert keyword(body) == word


# --- quiet hours ------------------------------------------------------------------------

WINDOW = quiet_hours.parse("21:00-09:00")
ZONES = ["America/New_York", "Europe/London", "Asia/Tokyo", "Australia/Lord_Howe", "UTC",
         "America/St_Johns", "Asia/Kathmandu"]


@hsettings(max_examples=300)
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31),
                    timezones=st.just(timezone.utc)),
       st.sampled_from(ZONES),
       st.sampled_from(["21:00-09:00", "22:30-07:15", "01:00-06:00", "off"]))
def test_a_deferred_text_goes_at_the_end_of_the_window_within_a_day(now, zone, spec):
    window = quiet_hours.parse(spec)
    tz = ZoneInfo(zone)
    until = quiet_hours.deferred_until(now, tz, window)
    if window is None:
        assert until is None
        return
    local = now.astimezone(tz).time().replace(tzinfo=None)
    assert (until is not None) == quiet_hours.is_quiet(local, window)
    if until is not None:
        assert now < until <= now + timedelta(hours=25)
        end_local = until.astimezone(tz)
        assert (end_local.hour, end_local.minute) in ((window[1].hour, window[1].minute),
                                                       # a DST jump may shift the wall clock
                                                       ((window[1].hour + 1) % 24, window[1].minute))
        assert quiet_hours.deferred_until(until, tz, window) is None


def test_quiet_hours_examples():
    ny = ZoneInfo("America/New_York")
    at = datetime(2026, 12, 11, 3, 30, tzinfo=timezone.utc)     # 22:30 in New York
    assert quiet_hours.deferred_until(at, ny, WINDOW) == datetime(2026, 12, 11, 14, 0, tzinfo=timezone.utc)
    at = datetime(2026, 12, 11, 12, 0, tzinfo=timezone.utc)     # 07:00 in New York
    assert quiet_hours.deferred_until(at, ny, WINDOW) == datetime(2026, 12, 11, 14, 0, tzinfo=timezone.utc)
    assert quiet_hours.deferred_until(datetime(2026, 12, 11, 15, 0, tzinfo=timezone.utc), ny, WINDOW) is None
    assert quiet_hours.parse("off") is None and quiet_hours.parse("") is None
    assert quiet_hours.parse("8:00-8:00") is None
    with pytest.raises(ValueError):
        quiet_hours.parse("late")
    with pytest.raises(ValueError):
        quiet_hours.parse("25:00-09:00")
    assert quiet_hours.zone("Not/AZone", "Europe/Paris") == ZoneInfo("Europe/Paris")
    assert WINDOW == (time(21), time(9))


# --- templates ---------------------------------------------------------------------------

def test_every_built_in_wording_uses_only_its_triggers_placeholders():
    for (trigger, _channel), (subject, body) in templates.DEFAULTS.items():
        assert templates.check(trigger, body) == [], trigger
        assert templates.check(trigger, subject or "") == [], trigger
    for trigger, spec in templates.TRIGGERS.items():
        for channel in spec["channels"]:
            if trigger not in ("campaign", "staff"):
                assert templates.default(trigger, channel), (trigger, channel)


def test_render_fills_known_names_and_keeps_literal_braces():
    assert templates.render("Hi {first_name} {{ok}}", {"first_name": "Ana"}) == "Hi Ana {ok}"
    assert templates.render("Hi {first_name}", {}) == "Hi "


@hsettings(max_examples=60)
@given(st.text(alphabet=st.sampled_from("{}:!.[]a_ 0"), max_size=30))
def test_check_never_raises(text):
    assert isinstance(templates.check("receipt", text), list)


# --- delivery status order ------------------------------------------------------------------

CALLBACK_STATUSES = ["accepted", "queued", "sending", "sent", "delivered", "undelivered", "failed", "read"]


@given(st.lists(st.sampled_from(CALLBACK_STATUSES), min_size=1, max_size=8))
def test_status_never_moves_backwards_and_a_final_status_stays(sequence):
    status, seen = "queued", ["queued"]
    for new in sequence:
        before = status
        if records.advances(status, new):
            assert records.RANK[new] > records.RANK[status]
            status = new
        if before in records.FINAL and status != before:
            assert (before, status) == ("delivered", "read")
        seen.append(status)
    ranks = [records.RANK[s] for s in seen]
    assert ranks == sorted(ranks)
    assert status == max(["queued"] + [s for s in sequence], key=lambda s: records.RANK[s]) or \
        any(s in records.FINAL for s in sequence)


def test_public_url_and_senders():
    s = Settings(public_base_url="https://shop.example.com/", twilio_from_number="+15005550006",
                 twilio_from_numbers={"s-b": "MG123"}, twilio_messaging_service_sid=None)
    assert webhooks.public_url(s, "http://10.0.0.5:8000/webhooks/twilio/status?message_id=1") == \
        "https://shop.example.com/webhooks/twilio/status?message_id=1"
    assert s.sender_for("s-a") == "+15005550006" and s.sender_for("s-b") == "MG123"
    assert s.tracking_url("abc") == "https://shop.example.com/track/abc"
    assert parse_number_map("a=+1555,b=MG9") == {"a": "+1555", "b": "MG9"}
    assert parse_number_map('{"a": "+1555"}') == {"a": "+1555"}
