"""The notifications service's settings, read the one way every service
reads them (``chassis.settings``: nameko config, then the environment,
then the default): a frozen ``Settings`` built by ``load``
(docs/ARCHITECTURE.md#configuration-and-running)."""
import json
from dataclasses import dataclass, field

from chassis.settings import flag, setting

from . import quiet_hours


def drain_interval(get=setting):
    """``SMS_DRAIN_INTERVAL``: seconds between turns of the sender loop."""
    return float(get("SMS_DRAIN_INTERVAL", 0.5))


def parse_number_map(raw):
    """``TWILIO_FROM_NUMBERS``: per-store senders, as JSON
    ``{"<store_id>": "+1212..."}`` or ``<store_id>=+1212...,<store_id>=MG...``.
    A value starting with ``MG`` is a Messaging Service SID."""
    if not raw:
        return {}
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    raw = str(raw).strip()
    if raw.startswith("{"):
        return {str(k): str(v) for k, v in json.loads(raw).items()}
    pairs = (p.split("=", 1) for p in raw.split(",") if "=" in p)
    return {k.strip(): v.strip() for k, v in pairs}


@dataclass(frozen=True)
class Settings:
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_from_number: str | None = None
    twilio_from_numbers: dict = field(default_factory=dict)
    twilio_api_base: str | None = None
    twilio_timeout: float = 10.0
    public_base_url: str = "http://127.0.0.1:8000"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "no-reply@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    quiet_hours: tuple | None = None
    sms_rate_per_second: float = 1.0
    drain_interval: float = 0.5
    retry_delays: tuple = (5.0, 30.0, 120.0, 600.0, 1800.0)
    dispatch_timeout: float = 120.0
    default_language: str = "en"
    default_timezone: str = "UTC"
    chain_name: str = "our store"
    milestone_to_client: bool = False
    appointment_reminder_hours: float = 24.0

    @property
    def twilio_enabled(self):
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    def sender_for(self, store_id):
        """The from-number or Messaging Service SID a store texts from."""
        if store_id and str(store_id) in self.twilio_from_numbers:
            return self.twilio_from_numbers[str(store_id)]
        if self.twilio_messaging_service_sid:
            return self.twilio_messaging_service_sid
        return self.twilio_from_number or "log"

    def status_callback_url(self, message_id):
        return f"{self.public_base_url.rstrip('/')}/webhooks/twilio/status?message_id={message_id}"

    def tracking_url(self, token):
        return f"{self.public_base_url.rstrip('/')}/track/{token}" if token else ""

    def approval_url(self, token):
        return f"{self.public_base_url.rstrip('/')}/track/{token}?approve=1" if token else ""


def load(get):
    """Every setting of the service, read through ``get`` (``chassis.settings.setting``)."""
    delays = str(get("SEND_RETRY_DELAYS", "5,30,120,600,1800"))
    settings = Settings(
        twilio_account_sid=get("TWILIO_ACCOUNT_SID", None),
        twilio_auth_token=get("TWILIO_AUTH_TOKEN", None),
        twilio_messaging_service_sid=get("TWILIO_MESSAGING_SERVICE_SID", None),
        twilio_from_number=get("TWILIO_FROM_NUMBER", None),
        twilio_from_numbers=parse_number_map(get("TWILIO_FROM_NUMBERS", None)),
        twilio_api_base=get("TWILIO_API_BASE", None),
        twilio_timeout=float(get("TWILIO_TIMEOUT", 10)),
        public_base_url=get("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
        smtp_host=get("SMTP_HOST", None),
        smtp_port=int(get("SMTP_PORT", 25)),
        smtp_from=get("SMTP_FROM", "no-reply@localhost"),
        smtp_user=get("SMTP_USER", None),
        smtp_password=get("SMTP_PASSWORD", None),
        smtp_starttls=flag(get("SMTP_STARTTLS", "false")),
        quiet_hours=quiet_hours.parse(get("QUIET_HOURS", "21:00-09:00")),
        sms_rate_per_second=float(get("SMS_RATE_PER_SECOND", 1)),
        drain_interval=drain_interval(get),
        retry_delays=tuple(float(x) for x in delays.split(",") if x.strip()),
        dispatch_timeout=float(get("SEND_DISPATCH_TIMEOUT", 120)),
        default_language=get("DEFAULT_LANGUAGE", "en"),
        default_timezone=get("DEFAULT_TIMEZONE", "UTC"),
        chain_name=get("CHAIN_NAME", "our store"),
        milestone_to_client=flag(get("MILESTONE_TO_CLIENT", "false")),
        appointment_reminder_hours=float(get("APPOINTMENT_REMINDER_HOURS", 24)),
    )
    if settings.sms_rate_per_second <= 0:
        raise ValueError("SMS_RATE_PER_SECOND must be above 0")
    return settings


def load_settings():
    """The settings as a container would read them now (the senders, tests, ``make bench``)."""
    return load(setting)

