"""The ways a message leaves: Twilio for texts, SMTP for e-mail, and logging
stand-ins when neither is configured (``make run`` offline).

A sender returns ``{"sid", "status"}`` or raises ``SendError``; ``permanent``
says whether trying again could help (a refused number never will; a 503 or
a dropped connection may).
"""
import logging
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlsplit, urlunsplit

from nameko.extensions import DependencyProvider
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .settings import load_settings

log = logging.getLogger(__name__)

# Twilio error codes that mean "this recipient refuses texts".
UNSUBSCRIBED = 21610
# Twilio error codes worth another try: rate limits and queue overflow.
TRANSIENT_CODES = {20429, 20500, 20503, 30001, 30002}


class SendError(Exception):
    def __init__(self, message, code=None, permanent=True):
        super().__init__(message)
        self.message = message
        self.code = None if code is None else str(code)
        self.permanent = permanent


class BaseUrlHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending every request to ``api_base``
    instead of ``https://api.twilio.com`` (a local capture server in tests,
    a proxy in some deployments). The SDK's region/edge settings only choose
    among Twilio's hosts, so the host is rewritten here."""

    def __init__(self, api_base, **kwargs):
        super().__init__(**kwargs)
        base = urlsplit(api_base)
        self.scheme, self.netloc = base.scheme, base.netloc
        self.prefix = base.path.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        url = urlunsplit((self.scheme, self.netloc, self.prefix + parts.path, parts.query,
                          parts.fragment))
        return super().request(method, url, *args, **kwargs)


class TwilioSender:
    def __init__(self, settings):
        self.settings = settings
        kwargs = {"timeout": settings.twilio_timeout}
        http_client = (BaseUrlHttpClient(settings.twilio_api_base, **kwargs)
                       if settings.twilio_api_base else TwilioHttpClient(**kwargs))
        self.client = Client(settings.twilio_account_sid, settings.twilio_auth_token,
                             http_client=http_client)

    def send_sms(self, to, body, sender, status_callback):
        params = {"to": to, "body": body, "status_callback": status_callback}
        if sender.startswith("MG"):
            params["messaging_service_sid"] = sender
        else:
            params["from_"] = sender
        try:
            message = self.client.messages.create(**params)
        except TwilioRestException as exc:
            status = int(exc.status or 0)
            transient = status >= 500 or status == 429 or (exc.code in TRANSIENT_CODES)
            raise SendError(exc.msg or f"Twilio answered {status}", exc.code or status,
                            permanent=not transient) from None
        except (TwilioException, OSError) as exc:
            raise SendError(f"Twilio unreachable: {exc}", "network", permanent=False) from None
        except Exception as exc:  # requests' own errors (ConnectionError, Timeout)
            if exc.__class__.__module__.startswith(("requests", "urllib3")):
                raise SendError(f"Twilio unreachable: {exc}", "network", permanent=False) from None
            raise
        return {"sid": message.sid, "status": message.status or "queued"}


class LoggingSender:
    """Records texts as sent without sending them (no Twilio credentials)."""

    def __init__(self):
        self.sent = []

    def send_sms(self, to, body, sender, status_callback):
        sid = "LG" + uuid.uuid4().hex
        log.info("SMS (not sent: no Twilio credentials) from %s to %s: %s", sender, to, body)
        self.sent.append({"sid": sid, "to": to, "body": body, "from": sender})
        return {"sid": sid, "status": "sent"}


class SmtpMailer:
    def __init__(self, settings):
        self.settings = settings

    def send_email(self, to, subject, body, message_id):
        s = self.settings
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = s.smtp_from, to, subject or ""
        msg["Message-ID"] = make_msgid(idstring=str(message_id).replace("-", ""))
        msg["X-Message-Ref"] = str(message_id)
        msg.set_content(body)
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.twilio_timeout) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_user:
                    smtp.login(s.smtp_user, s.smtp_password or "")
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendError(f"recipient refused: {exc.recipients}", "smtp_recipient_refused") from None
        except smtplib.SMTPResponseException as exc:
            raise SendError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", f"smtp_{exc.smtp_code}",
                            permanent=500 <= exc.smtp_code < 600) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"SMTP unreachable: {exc}", "network", permanent=False) from None
        return {"sid": msg["Message-ID"], "status": "sent"}


class LoggingMailer:
    def __init__(self):
        self.sent = []

    def send_email(self, to, subject, body, message_id):
        log.info("E-mail (not sent: no SMTP_HOST) to %s: %s", to, subject)
        self.sent.append({"to": to, "subject": subject, "body": body})
        return {"sid": f"<{message_id}@log>", "status": "sent"}


class Senders:
    def __init__(self, sms, mail):
        self.sms = sms
        self.mail = mail


def build_senders(settings):
    sms = TwilioSender(settings) if settings.twilio_enabled else LoggingSender()
    mail = SmtpMailer(settings) if settings.smtp_host else LoggingMailer()
    return Senders(sms, mail)


class Messaging(DependencyProvider):
    """Injects the SMS and e-mail senders chosen by configuration."""

    def setup(self):
        settings = load_settings()
        self.senders = build_senders(settings)
        if not settings.twilio_enabled:
            log.warning("no Twilio credentials: texts are logged, not sent")
        elif not (settings.twilio_from_number or settings.twilio_messaging_service_sid):
            log.warning("Twilio is configured without TWILIO_FROM_NUMBER or "
                        "TWILIO_MESSAGING_SERVICE_SID: only stores in TWILIO_FROM_NUMBERS can text")

    def get_dependency(self, worker_ctx):
        return self.senders
