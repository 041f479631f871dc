"""Cards through Stripe PaymentIntents, with the real ``stripe`` SDK.

No automatic network retries (``max_network_retries = 0``) and a request
timeout: the saga decides what a failure means. Every call that changes
money carries an idempotency key derived from the tender's key. Outcomes:

- ``CardDeclined``: the card said no; nothing was taken.
- ``ProviderRejected``: Stripe refused the request (bad request, auth...);
  nothing was taken by that call.
- ``OutcomeUnknown``: no answer (timeout, connection reset, 5xx): the call
  may or may not have happened at Stripe. The tender stays as it is and is
  settled later by retrieving the PaymentIntent (retry with the same
  Idempotency-Key, or the sweeper); it is never guessed.
"""
import stripe
from nameko.extensions import DependencyProvider

from chassis.settings import required_secret, setting

LOCAL_API_BASE = "http://127.0.0.1:8420"   # localstripe, the local sandbox


class CardDeclined(Exception):
    def __init__(self, reason, code=None):
        super().__init__(reason)
        self.reason = reason
        self.code = code


class ProviderRejected(Exception):
    pass


class OutcomeUnknown(Exception):
    pass


def _id(value):
    if value is None or isinstance(value, str):
        return value
    return value.get("id")


def plain(obj):
    """A Stripe object as plain dicts and lists."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def intent_facts(pi):
    """What we keep of a PaymentIntent."""
    pi = plain(pi)
    charge = pi.get("latest_charge")
    error = pi.get("last_payment_error")
    last4 = None
    if isinstance(charge, dict):
        details = charge.get("payment_method_details") or {}
        last4 = (details.get("card") or details.get("card_present") or {}).get("last4")
    facts = {
        "id": pi["id"], "status": pi["status"], "charge_id": _id(charge),
        "amount": pi.get("amount"), "currency": (pi.get("currency") or "").upper(),
        "error": (error.get("message") if error else None), "last4": last4,
    }
    if pi["status"] == "requires_action":
        # what the cardholder must do (3-D Secure...): Stripe.js finishes it with the secret
        facts["next_action"] = {"type": (pi.get("next_action") or {}).get("type") or "use_stripe_sdk",
                                "payment_intent": pi["id"], "client_secret": pi.get("client_secret")}
    return facts


def reader_facts(reader):
    """What we keep of a Terminal reader and its current action."""
    reader = plain(reader)
    action = reader.get("action") or None
    out = {"id": reader["id"], "label": reader.get("label"), "status": reader.get("status"),
           "device_type": reader.get("device_type"), "serial_number": reader.get("serial_number"),
           "location": _id(reader.get("location")), "action": None}
    if action:
        process = action.get("process_payment_intent") or {}
        out["action"] = {"type": action.get("type"), "status": action.get("status"),
                         "payment_intent": _id(process.get("payment_intent")),
                         "failure_code": action.get("failure_code"),
                         "failure_message": action.get("failure_message")}
    return out


class StripePort:
    def __init__(self, api_key, api_base=None, timeout=10.0, webhook_secret=None):
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except stripe.CardError as exc:
            raise CardDeclined(exc.user_message or str(exc), exc.code) from None
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise OutcomeUnknown(f"Stripe did not answer: {exc.user_message or exc}") from None
        except stripe.StripeError as exc:
            status = getattr(exc, "http_status", None)
            if status is None or status >= 500:
                raise OutcomeUnknown(f"Stripe error {status}: {exc.user_message or exc}") from None
            raise ProviderRejected(f"Stripe refused ({status}): {exc.user_message or exc}") from None

    def create_intent(self, amount, currency, payment_method, key, metadata):
        pi = self._call(
            self.client.v1.payment_intents.create,
            params={"amount": amount, "currency": currency.lower(),
                    "payment_method": payment_method, "capture_method": "manual",
                    "metadata": metadata},
            options={"idempotency_key": key},
        )
        return intent_facts(pi)

    def create_reader_intent(self, amount, currency, key, metadata):
        """A ``card_present`` PaymentIntent, to be handed to a reader."""
        pi = self._call(
            self.client.v1.payment_intents.create,
            params={"amount": amount, "currency": currency.lower(),
                    "payment_method_types": ["card_present"], "capture_method": "manual",
                    "metadata": metadata},
            options={"idempotency_key": key},
        )
        return intent_facts(pi)

    def process_on_reader(self, reader_id, intent_id, key):
        """Hand the PaymentIntent to the reader: it asks for a tap (server-driven)."""
        return reader_facts(self._call(
            self.client.v1.terminal.readers.process_payment_intent, reader_id,
            params={"payment_intent": intent_id}, options={"idempotency_key": key}))

    def reader(self, reader_id):
        return reader_facts(self._call(self.client.v1.terminal.readers.retrieve, reader_id))

    def cancel_reader_action(self, reader_id, key):
        return reader_facts(self._call(self.client.v1.terminal.readers.cancel_action, reader_id,
                                       options={"idempotency_key": key}))

    def create_location(self, display_name, address, key, metadata):
        location = plain(self._call(
            self.client.v1.terminal.locations.create,
            params={"display_name": display_name, "address": address, "metadata": metadata},
            options={"idempotency_key": key}))
        return location["id"]

    def register_reader(self, registration_code, label, location, key, metadata):
        return reader_facts(self._call(
            self.client.v1.terminal.readers.create,
            params={"registration_code": registration_code, "label": label,
                    "location": location, "metadata": metadata},
            options={"idempotency_key": key}))

    def confirm(self, intent_id, key):
        return intent_facts(self._call(self.client.v1.payment_intents.confirm, intent_id,
                                       options={"idempotency_key": key}))

    def capture(self, intent_id, key):
        return intent_facts(self._call(self.client.v1.payment_intents.capture, intent_id,
                                       options={"idempotency_key": key}))

    def cancel(self, intent_id, key):
        return intent_facts(self._call(self.client.v1.payment_intents.cancel, intent_id,
                                       options={"idempotency_key": key}))

    def retrieve(self, intent_id):
        return intent_facts(self._call(self.client.v1.payment_intents.retrieve, intent_id))

    def refund(self, intent_id, amount, key, metadata):
        refund = self._call(
            self.client.v1.refunds.create,
            params={"payment_intent": intent_id, "amount": amount, "metadata": metadata},
            options={"idempotency_key": key},
        )
        refund = plain(refund)
        return {"id": refund["id"], "status": refund["status"], "amount": refund["amount"]}

    def construct_event(self, payload, signature):
        """Verify the webhook signature (raises ``stripe.SignatureVerificationError``)."""
        if not self.webhook_secret:
            raise stripe.SignatureVerificationError(
                "no STRIPE_WEBHOOK_SECRET is configured: webhooks are refused", signature)
        return stripe.Webhook.construct_event(payload, signature, self.webhook_secret,
                                              api_key=self.api_key)


def real_stripe(api_key, api_base):
    """Does payments talk to Stripe itself? A key and no ``STRIPE_API_BASE``
    (api.stripe.com), or a live key whatever the base. Not: localstripe (no
    key, or a key with a base pointing at a sandbox)."""
    live = str(api_key or "").startswith(("sk_live_", "rk_live_"))
    return bool(api_key) and (not api_base or live)


def load(get=setting):
    """The port's settings. ``STRIPE_WEBHOOK_SECRET`` has no default written
    here: with a real Stripe it is required (``MissingSecret`` refuses the
    start); with a sandbox and none, every webhook is refused."""
    api_key = get("STRIPE_API_KEY", None)
    # no key: the local sandbox (localstripe); a key: Stripe itself unless a base is set
    api_base = get("STRIPE_API_BASE", None if api_key else LOCAL_API_BASE)
    if real_stripe(api_key, api_base):
        webhook_secret = required_secret(
            get, "STRIPE_WEBHOOK_SECRET", "the signing secret of this deployment's webhook "
            "endpoint (whsec_..., Stripe dashboard: Developers, Webhooks) since STRIPE_API_KEY "
            "talks to Stripe itself")
    else:
        webhook_secret = get("STRIPE_WEBHOOK_SECRET", None) or None
    return {"api_key": api_key or "sk_test_local", "api_base": api_base,
            "timeout": float(get("STRIPE_TIMEOUT", 10)), "webhook_secret": webhook_secret}


class Stripe(DependencyProvider):
    """One configured Stripe client per container."""

    def setup(self):
        self.port = StripePort(**load())

    def get_dependency(self, worker_ctx):
        return self.port
