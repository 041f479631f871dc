"""The gateway never signs with a secret written in the source, nor with one
it made up: without JWT_SECRET it refuses to start, saying what to set.
CORS_ORIGINS and TRUSTED_PROXIES are checked when read."""
import ipaddress
import logging

import pytest

from chassis.settings import MissingSecret
from gateway.settings import load


def settings_from(values):
    return load(lambda name, default=None: values.get(name, default))


@pytest.mark.parametrize("values", [{}, {"JWT_SECRET": ""}, {"JWT_SECRET": "   "}])
def test_without_a_secret_the_gateway_refuses_to_start_saying_what_to_set(values, caplog):
    with caplog.at_level(logging.CRITICAL), pytest.raises(MissingSecret) as refused:
        settings_from(values)
    assert "JWT_SECRET is not set" in str(refused.value)
    assert "Set JWT_SECRET" in caplog.text


def test_a_configured_secret_is_the_one_used():
    assert settings_from({"JWT_SECRET": "s" * 40}).jwt_secret == "s" * 40


def test_cors_origins_and_trusted_proxies_default_to_none():
    settings = settings_from({"JWT_SECRET": "s" * 40})
    assert settings.cors_origins == frozenset() and settings.trusted_proxies == ()


def test_cors_origins_and_trusted_proxies_are_read():
    settings = settings_from({"JWT_SECRET": "s" * 40,
                              "CORS_ORIGINS": "https://pos.example.com, http://127.0.0.1:5173",
                              "TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7"})
    assert settings.cors_origins == {"https://pos.example.com", "http://127.0.0.1:5173"}
    assert settings.trusted_proxies == (ipaddress.ip_network("10.0.0.0/8"),
                                        ipaddress.ip_network("192.168.1.7/32"))


@pytest.mark.parametrize("name, value", [
    ("CORS_ORIGINS", "*"), ("CORS_ORIGINS", "https://*.example.com"),
    ("CORS_ORIGINS", "https://pos.example.com/"), ("CORS_ORIGINS", "pos.example.com"),
    ("TRUSTED_PROXIES", "10.0.0.0/33"), ("TRUSTED_PROXIES", "proxy.internal"),
])
def test_a_malformed_origin_or_network_is_refused_at_start(name, value):
    with pytest.raises(ValueError, match=name):
        settings_from({"JWT_SECRET": "s" * 40, name: value})
