"""The TOTP second factor's pure rules (gateway/totp.py): RFC 6238's SHA1
test vectors, the +/-1 step window, a step good once, the otpauth:// URI
and its QR code."""
import base64
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from gateway import totp

# RFC 6238, appendix B: the SHA1 key is the ASCII "12345678901234567890"
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
               (1234567890, "89005924"), (2000000000, "69279037"), (20000000000, "65353130")]
NOW = 1_700_000_000.0


@pytest.mark.parametrize("at, code", RFC_VECTORS)
def test_the_rfc_6238_sha1_vectors(at, code):
    step = totp.step_at(at)
    assert totp.code_at_step(RFC_SECRET, step, digits=8) == code
    assert totp.code_at(RFC_SECRET, at) == code[-6:]           # the 6 digits an app shows


def test_a_new_secret_is_160_random_bits_in_base32():
    secret = totp.new_secret()
    assert len(secret) == 32 and secret == secret.upper() and "=" not in secret
    assert len(base64.b32decode(secret)) == 20
    assert totp.new_secret() != secret


def test_a_code_is_right_for_now_and_one_step_either_side_only():
    secret = totp.new_secret()
    now = totp.step_at(NOW)
    for offset in (-1, 0, 1):
        code = totp.code_at(secret, NOW + offset * 30)
        assert totp.matching_step(secret, code, at=NOW) == now + offset
    for offset in (-3, -2, 2, 3):
        code = totp.code_at(secret, NOW + offset * 30)
        if code not in {totp.code_at(secret, NOW + o * 30) for o in (-1, 0, 1)}:
            assert totp.matching_step(secret, code, at=NOW) is None


def test_a_step_is_good_once_and_never_an_earlier_one():
    secret = totp.new_secret()
    now = totp.step_at(NOW)
    code = totp.code_at(secret, NOW)
    assert totp.matching_step(secret, code, last_step=now - 1, at=NOW) == now
    assert totp.matching_step(secret, code, last_step=now, at=NOW) is None          # used
    earlier = totp.code_at(secret, NOW - 30)
    assert totp.matching_step(secret, earlier, last_step=now, at=NOW) is None      # older than the last
    later = totp.code_at(secret, NOW + 30)
    assert totp.matching_step(secret, later, last_step=now, at=NOW) == now + 1


@pytest.mark.parametrize("code", [None, "", "12345", "1234567", "12345a", "١٢٣٤٥٦", 123456, "12 34 5"])
def test_what_cannot_be_a_code_matches_nothing(code):
    assert totp.matching_step(RFC_SECRET, code, at=59) is None


def test_spaces_in_a_code_are_ignored():
    code = totp.code_at(RFC_SECRET, NOW)
    assert totp.matching_step(RFC_SECRET, f"{code[:3]} {code[3:]}", at=NOW) == totp.step_at(NOW)


def test_the_otpauth_uri_names_the_issuer_and_the_account():
    uri = totp.otpauth_uri("JBSWY3DPEHPK3PXP", "mia.manager@nyc", "Jewelry chain: test")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/Jewelry chain  test:mia.manager@nyc"
    assert parse_qs(parts.query) == {"secret": ["JBSWY3DPEHPK3PXP"], "issuer": ["Jewelry chain  test"],
                                     "algorithm": ["SHA1"], "digits": ["6"], "period": ["30"]}
    assert " " not in uri
    assert parse_qs(urlsplit(totp.otpauth_uri("S", "a")).query)["issuer"] == [totp.ISSUER]


def test_the_qr_code_is_an_svg_data_uri():
    image = totp.qr_svg_data_uri(totp.otpauth_uri(totp.new_secret(), "admin", "gateway"))
    assert image.startswith("data:image/svg+xml")
    assert "svg" in unquote(image) and "<script" not in unquote(image)
