"""Sessions (issue 17; docs/API.md#sessions): a session is one sign-in, a
shift at most ``SESSION_MAX_SECONDS`` long from it (refreshing never extends
it). It hands out short access tokens (``auth``) and one refresh token at a
time: ``<session id>.<generation>.<mac>``, the mac an HMAC-SHA256 under
``JWT_SECRET`` of the session, the generation and the session's random salt
(the database holds the salt, never a token). Refreshing spends the token
and gives the next generation's; a genuine token of an earlier generation (a
spent one: someone kept a copy) ends the session. A token whose mac is wrong
is refused and ends nothing, so knowing a session's id is not enough to end it.

A user's sessions end together when their ``session_epoch`` is raised;
``end_all`` is the one way to do it, in the caller's transaction
(deactivation, a password reset or change, a role change).

Every authenticated request asks ``check_live`` (one primary-key lookup of
the session joined to its user): an ended session, an inactive user or an
older epoch is refused at once, in every gateway process.
"""
import hashlib
import hmac
import re
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from chassis.errors import Forbidden

from . import auth, totp
from .models import Session, User

REUSED = "refresh token reused"
_GENERATION = re.compile(r"[0-9]{1,9}")
_MAC = re.compile(r"[0-9a-f]{64}")
LIMITED = {
    "password": ("Password change required",
                 "this session may only change its password (POST /me/password), then sign in again"),
    "totp": ("Second factor required",
             "this session may only enrol a second factor (POST /me/totp), then sign in again"),
}


class LimitedSession(Forbidden):
    """403 for a limited session on a route it may not call."""

    def __init__(self, limit):
        self.title, detail = LIMITED[limit]
        super().__init__(detail)


def end_all(session, user_id, reason):
    """End every session of ``user_id`` at once: tokens issued before carry
    an older epoch and are refused; the sessions' refresh tokens are spent."""
    session.execute(update(User).where(User.id == user_id)
                    .values(session_epoch=User.session_epoch + 1))
    session.execute(update(Session).where(Session.user_id == user_id, Session.ended_at.is_(None))
                    .values(ended_at=func.now(), ended_reason=reason))


def end(session, session_id, reason):
    session.execute(update(Session).where(Session.id == session_id, Session.ended_at.is_(None))
                    .values(ended_at=func.now(), ended_reason=reason))


def purge(session, keep_days=90):
    """Forget sessions whose hard end passed more than ``keep_days`` ago
    (every session has ended by then; the audit trail keeps who signed in when)."""
    cutoff = func.now() - timedelta(days=keep_days)
    session.execute(delete(Session).where(Session.expires_at < cutoff))


def _mac(settings, session_id, generation, salt):
    message = f"refresh|{session_id}|{generation}|{salt}".encode()
    return hmac.new(settings.jwt_secret.encode(), message, hashlib.sha256).hexdigest()


def refresh_token_of(settings, row):
    """The session's current refresh token."""
    return f"{row.id}.{row.generation}.{_mac(settings, row.id, row.generation, row.refresh_salt)}"


def start(session, settings, user, store_ids, limit=None, address=None, user_agent=None):
    """Sign-in: a new session of ``user`` and its first pair of tokens."""
    row = Session(id=str(uuid.uuid4()), user_id=user.id, epoch=user.session_epoch, generation=0,
                  refresh_salt=secrets.token_hex(32), address=_text(address, 64),
                  user_agent=_text(user_agent, 200),
                  expires_at=session.scalar(select(func.now()))
                  + timedelta(seconds=settings.session_max_s))
    session.add(row)
    session.flush()
    return pair(settings, user, row, store_ids, limit)


def _text(value, size):
    """A header's value as the table keeps it (no NUL: PostgreSQL refuses it)."""
    return (value or "").replace("\x00", "")[:size] or None


def pair(settings, user, row, store_ids, limit):
    access = auth.issue_access_token(settings, user, row.id, row.epoch, store_ids, limit)
    return {"access_token": access, "token_type": "bearer", "expires_in": settings.access_ttl_s,
            "refresh_token": refresh_token_of(settings, row),
            "session_expires_at": row.expires_at, "limit": limit}


def parse(refresh_token):
    """``(session id, generation, mac)`` of a refresh token, or ``Unauthorized``."""
    parts = (refresh_token or "").split(".")
    if len(parts) != 3 or not _GENERATION.fullmatch(parts[1]) or not _MAC.fullmatch(parts[2]):
        _not_valid()
    try:
        return str(uuid.UUID(parts[0])), int(parts[1]), parts[2]
    except ValueError:
        return _not_valid()


def _not_valid():
    raise auth.Unauthorized("the refresh token is not valid")


def refresh(session, settings, refresh_token):
    """Spend ``refresh_token``: ``(user, row, None)`` with the row at its next
    generation; or, for a spent token of this session or a session past its
    end, end the session and answer ``(user, None, why)``; ``Unauthorized``
    for a forged token or an ended session."""
    session_id, generation, mac = parse(refresh_token)
    row = session.get(Session, session_id, with_for_update=True)
    if row is None or row.ended_at is not None or generation > row.generation or \
            not hmac.compare_digest(mac, _mac(settings, row.id, generation, row.refresh_salt)):
        _not_valid()
    user = session.get(User, row.user_id)
    expired = session.scalar(select(func.now() >= row.expires_at))
    if generation < row.generation or expired or not user.active or user.session_epoch != row.epoch:
        why = REUSED if generation < row.generation else "the session has ended"
        end(session, row.id, REUSED if generation < row.generation else "expired" if expired else "ended")
        return user, None, why
    row.generation += 1
    row.refreshed_at = func.now()
    session.flush()
    return user, row, None


def limit_for(session, user, totp_step="ask"):
    """What a session of ``user`` must do first: change the password, enrol
    a second factor (``totp_step``: the sign-in's answer from
    ``totp.sign_in_step``; on refresh, ``"ask"``: the policy is read again,
    so a session refreshed after enrolling is no longer limited), or nothing."""
    if user.must_change_password:
        return "password"
    if totp_step == "ask":
        totp_step = "enrol" if totp.enrolment_required(session, user) else None
    return "totp" if totp_step == "enrol" else None


def check_live(engine, claims):
    """``Unauthorized`` unless the token's session and user are live: one
    lookup by primary key per request (no cache: an ended session is
    refused by every gateway process from the next request on)."""
    with engine.connect() as conn:
        found = conn.execute(
            select(Session.ended_at, Session.expires_at <= func.now(), User.active,
                   User.session_epoch)
            .join(User, User.id == Session.user_id)
            .where(Session.id == claims.sid, Session.user_id == claims.identity.user_id)).first()
    if found is None or found[0] is not None or found[3] != claims.epoch:
        raise auth.Unauthorized("the session has ended; sign in again")
    if found[1]:
        raise auth.Unauthorized("the session has expired; sign in again")
    if not found[2]:
        raise auth.Unauthorized("this user is no longer active")


def authenticate(engine, settings, header, limited_ok=False):
    """The caller of an ``Authorization`` header; a limited session only on
    the routes open to it (``Route(limited_ok=True)``), else 403."""
    claims = auth.read_token(settings, auth.bearer_token(header))
    check_live(engine, claims)
    if claims.limit and not limited_ok:
        raise LimitedSession(claims.limit)
    return claims.identity
