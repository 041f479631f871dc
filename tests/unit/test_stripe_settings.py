"""Payments never verifies webhooks with a secret written in the source: with
a real Stripe it refuses to start without STRIPE_WEBHOOK_SECRET; with a
sandbox and none, every webhook is refused."""
import pathlib

import pytest
import stripe

from chassis.settings import MissingSecret
from services.payments.stripe_port import StripePort, load, real_stripe

ROOT = pathlib.Path(__file__).resolve().parents[2]


def settings_from(values):
    return load(lambda name, default=None: values.get(name, default))


@pytest.mark.parametrize("values", [
    {"STRIPE_API_KEY": "sk_test_abc"},                                  # Stripe's test mode
    {"STRIPE_API_KEY": "sk_live_abc"},
    {"STRIPE_API_KEY": "sk_live_abc", "STRIPE_API_BASE": "http://10.0.0.5:8420"},  # live, anywhere
    {"STRIPE_API_KEY": "sk_test_abc", "STRIPE_WEBHOOK_SECRET": " "},
])
def test_a_real_stripe_without_a_webhook_secret_refuses_to_start(values):
    with pytest.raises(MissingSecret, match="Set STRIPE_WEBHOOK_SECRET"):
        settings_from(values)


def test_a_real_stripe_uses_the_configured_secret():
    assert settings_from({"STRIPE_API_KEY": "sk_test_abc",
                          "STRIPE_WEBHOOK_SECRET": "whsec_x"})["webhook_secret"] == "whsec_x"


@pytest.mark.parametrize("key, base, real", [
    (None, None, False), ("sk_test_local", "http://127.0.0.1:8420", False),
    ("sk_test_abc", None, True), ("sk_live_abc", "http://proxy", True), ("rk_live_abc", None, True),
])
def test_what_a_real_stripe_is(key, base, real):
    assert real_stripe(key, base) is real


def test_a_sandbox_without_a_secret_starts_and_refuses_every_webhook():
    config = settings_from({})
    assert config["webhook_secret"] is None
    port = StripePort(**config)
    with pytest.raises(stripe.SignatureVerificationError):
        port.construct_event('{"id": "evt_1", "type": "charge.refunded"}', "t=1,v1=00")


def test_no_webhook_secret_is_written_in_the_source():
    sources = [p for top in ("services", "gateway", "chassis", "scripts", "deploy")
               for p in (ROOT / top).rglob("*") if p.suffix in (".py", ".yaml", ".yml", ".env")]
    assert sources
    assert [p for p in sources if "whsec_local" in p.read_text()] == []
