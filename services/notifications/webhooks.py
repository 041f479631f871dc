"""Twilio's webhooks (docs/API.md#messages): the signature that
authenticates them, and delivery callbacks, recorded once and applied only
when they move a message forward."""
import uuid
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from twilio.request_validator import RequestValidator

from chassis.errors import Forbidden

from .consent import opt_out
from .models import Message, MessageEvent
from .records import RANK, advances, publish
from .senders import UNSUBSCRIBED


class _Params(dict):
    """Form parameters for the validator, single or repeated values alike."""

    def getall(self, name):
        value = self[name]
        return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def public_url(settings, url):
    """The URL Twilio signed: ``PUBLIC_BASE_URL`` with the request's path
    and query (the gateway sits behind a proxy and may see another host)."""
    parts = urlsplit(str(url or ""))
    return settings.public_base_url.rstrip("/") + (parts.path or "/") + (
        "?" + parts.query if parts.query else "")


def verify_signature(settings, url, params, signature):
    """``X-Twilio-Signature`` must match the public URL and the form, signed
    with our auth token; otherwise ``Forbidden`` (403) and nothing changes."""
    if not settings.twilio_auth_token:
        raise Forbidden("Twilio webhooks are refused: no Twilio auth token is configured")
    if not signature or not isinstance(signature, str):
        raise Forbidden("missing X-Twilio-Signature")
    if not isinstance(params, dict):
        raise Forbidden("the webhook form could not be read")
    if not RequestValidator(settings.twilio_auth_token).validate(
            public_url(settings, url), _Params(params), signature):
        raise Forbidden("X-Twilio-Signature does not match this request")


def param(params, *names):
    """The first of ``names`` the form has a value for, as text."""
    for name in names:
        value = params.get(name)
        if isinstance(value, (list, tuple)):
            value = value[0] if value else None
        if value not in (None, ""):
            return str(value)
    return None


def _message_of(session, url, sid):
    """The message a callback is about: by Twilio's SID, else by the
    ``message_id`` we put in the callback URL."""
    message_id = (parse_qs(urlsplit(str(url)).query).get("message_id") or [None])[0]
    message = None
    if sid:
        message = session.scalar(select(Message).where(Message.provider_sid == sid).with_for_update())
    if message is None and message_id:
        try:
            message = session.get(Message, str(uuid.UUID(message_id)), with_for_update=True)
        except ValueError:
            message = None
    return message


def record_status(session, url, params, now):
    """A delivery callback: recorded once, applied only if it moves the
    message forward (callbacks arrive out of order)."""
    sid = param(params, "MessageSid", "SmsSid")
    status = (param(params, "MessageStatus", "SmsStatus") or "").lower()
    error_code = param(params, "ErrorCode")
    message = _message_of(session, url, sid)
    if message is None or status not in RANK:
        return {"recorded": False, "reason": "unknown message" if message is None else "unknown status"}
    if message.provider_sid is None and sid:
        message.provider_sid = sid
    inserted = session.execute(insert(MessageEvent).values(
        message_id=message.id, status=status, source="callback",
        details={"sid": sid, "error_code": error_code} if error_code else {"sid": sid}, at=now,
    ).on_conflict_do_nothing(index_elements=["message_id", "status"],
                             index_where=MessageEvent.source == "callback")
        .returning(MessageEvent.id)).scalar()
    if inserted is not None and advances(message.status, status):
        message.status, message.updated_at = status, now
        if error_code:
            message.error_code = error_code
        if status == "failed" and error_code == str(UNSUBSCRIBED) and message.to_address:
            opt_out(session, message.to_address, "carrier", None, now)
        publish(session, "message.status_changed", message)
    return {"recorded": inserted is not None, "message_id": message.id, "status": message.status}
