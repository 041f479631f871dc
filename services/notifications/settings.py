"""The notifications service's settings: nameko config first (tests override
there), then the environment (12-factor), then a local default."""
import json
from dataclasses import dataclass, field

from nameko import config
from nameko.extensions import DependencyProvider

from chassis.config import env

from . import quiet_hours


def setting(name, default=None):
    value = config.get(name)
    if value in (None, ""):
        value = env(name, default)
    return value


def _flag(value):
    return str(value).strip().lower() in ("1", "true", "yes", "on")


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


def load_settings():
    delays = str(setting("SEND_RETRY_DELAYS", "5,30,120,600,1800"))
    return Settings(
        twilio_account_sid=setting("TWILIO_ACCOUNT_SID"),
        twilio_auth_token=setting("TWILIO_AUTH_TOKEN"),
        twilio_messaging_service_sid=setting("TWILIO_MESSAGING_SERVICE_SID"),
        twilio_from_number=setting("TWILIO_FROM_NUMBER"),
        twilio_from_numbers=parse_number_map(setting("TWILIO_FROM_NUMBERS")),
        twilio_api_base=setting("TWILIO_API_BASE"),
        twilio_timeout=float(setting("TWILIO_TIMEOUT", 10)),
        public_base_url=setting("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
        smtp_host=setting("SMTP_HOST"),
        smtp_port=int(setting("SMTP_PORT", 25)),
        smtp_from=setting("SMTP_FROM", "no-reply@localhost"),
        smtp_user=setting("SMTP_USER"),
        smtp_password=setting("SMTP_PASSWORD"),
        smtp_starttls=_flag(setting("SMTP_STARTTLS", "false")),
        quiet_hours=quiet_hours.parse(setting("QUIET_HOURS", "21:00-09:00")),
        sms_rate_per_second=float(setting("SMS_RATE_PER_SECOND", 1)),
        drain_interval=float(setting("SMS_DRAIN_INTERVAL", 0.5)),
        retry_delays=tuple(float(x) for x in delays.split(",") if x.strip()),
        dispatch_timeout=float(setting("SEND_DISPATCH_TIMEOUT", 120)),
        default_language=setting("DEFAULT_LANGUAGE", "en"),
        default_timezone=setting("DEFAULT_TIMEZONE", "UTC"),
        chain_name=setting("CHAIN_NAME", "our store"),
        milestone_to_client=_flag(setting("MILESTONE_TO_CLIENT", "false")),
        appointment_reminder_hours=float(setting("APPOINTMENT_REMINDER_HOURS", 24)),
    )


class NotificationSettings(DependencyProvider):
    """Injects the ``Settings`` read when the container starts."""

    def setup(self):
        self.settings = load_settings()
        if self.settings.sms_rate_per_second <= 0:
            raise ValueError("SMS_RATE_PER_SECOND must be above 0")

    def get_dependency(self, worker_ctx):
        return self.settings
