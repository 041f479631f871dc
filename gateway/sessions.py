"""Sessions (issue 17; docs/API.md#sessions): a session is one sign-in, a
shift at most ``SESSION_MAX_SECONDS`` long from it (refreshing never extends
it). It hands out short access tokens (``auth``) and one refresh token at a
time: ``<session id>.<secret>``, of which only a sha256 hash is stored.
Refreshing spends the token and gives a new pair; a token that is not the
session's current one (a spent one: someone kept a copy) ends the session.

A user's sessions end together when their ``session_epoch`` is raised;
``end_all`` is the one way to do it, in the caller's transaction
(deactivation, a password reset or change, a role change).

Every authenticated request asks ``check_live`` (one primary-key lookup of
the session joined to its user): an ended session, an inactive user or an
older epoch is refused at once, in every gateway process.
"""
import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from chassis.errors import Forbidden

from . import auth
from .models import SecurityPolicy, Session, User

REUSED = "refresh token reused"
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


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _new_refresh_token(session_id):
    token = f"{session_id}.{secrets.token_urlsafe(32)}"
    return token, _hash(token)


def start(session, settings, user, store_ids, limit=None, address=None, user_agent=None):
    """Sign-in: a new session of ``user`` and its first pair of tokens."""
    row = Session(id=str(uuid.uuid4()), user_id=user.id, epoch=user.session_epoch,
                  address=(address or "")[:64] or None, user_agent=(user_agent or "")[:200] or None,
                  expires_at=session.scalar(select(func.now()))
                  + timedelta(seconds=settings.session_max_s))
    refresh_token, row.refresh_hash = _new_refresh_token(row.id)
    session.add(row)
    session.flush()
    return pair(settings, user, row, store_ids, refresh_token, limit)


def pair(settings, user, row, store_ids, refresh_token, limit):
    access = auth.issue_access_token(settings, user, row.id, row.epoch, store_ids, limit)
    return {"access_token": access, "token_type": "bearer", "expires_in": settings.access_ttl_s,
            "refresh_token": refresh_token, "session_expires_at": row.expires_at, "limit": limit}


def session_id_of(refresh_token):
    """The session a refresh token names, or ``Unauthorized``."""
    session_id, _, secret = (refresh_token or "").partition(".")
    try:
        return str(uuid.UUID(session_id)) if secret else _not_valid()
    except ValueError:
        return _not_valid()


def _not_valid():
    raise auth.Unauthorized("the refresh token is not valid")


def refresh(session, refresh_token):
    """Spend ``refresh_token``: ``(user, row, new refresh token)``, or, for
    a token that is not the session's current one, end the session and
    answer ``(user, None, reason)``; ``Unauthorized`` for a dead session."""
    row = session.get(Session, session_id_of(refresh_token), with_for_update=True)
    if row is None or row.ended_at is not None:
        _not_valid()
    user = session.get(User, row.user_id)
    if not secrets.compare_digest(row.refresh_hash, _hash(refresh_token)):
        end(session, row.id, REUSED)
        return user, None, REUSED
    expired = session.scalar(select(func.now() >= row.expires_at))
    if expired or not user.active or user.session_epoch != row.epoch:
        end(session, row.id, "expired" if expired else "ended")
        return user, None, "the session has ended"
    token, row.refresh_hash = _new_refresh_token(row.id)
    row.generation += 1
    row.refreshed_at = func.now()
    session.flush()
    return user, row, token


def limit_for(session, user, totp_step="ask"):
    """What a session of ``user`` must do first: change the password, enrol
    a second factor (``totp_step``: the sign-in's answer from
    ``totp.sign_in_step``; on refresh, ``"ask"``: the policy is read again,
    so a session refreshed after enrolling is no longer limited), or nothing."""
    if user.must_change_password:
        return "password"
    if totp_step == "ask":
        required = session.scalar(select(SecurityPolicy.totp_required_roles)) or []
        totp_step = "enrol" if user.role in required and user.totp_confirmed_at is None else None
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
