"""The TOTP second factor (issue 17; docs/API.md#second-factor).

The algorithm is RFC 6238 as authenticator apps implement it: HMAC-SHA1 over
the 30-second time step, 6 digits, a base32 secret of 160 bits. A code is
accepted for the current step and one step either side (clocks drift); a step
is good once: a code whose step is not after the user's ``totp_last_step`` is
refused, so a code seen over a shoulder cannot be used again.

The rules on the gateway's database (enrolment, confirmation, turning it off,
HQ's reset and the chain's policy) and the sign-in hook ``sign_in_step`` take
a SQLAlchemy session; the routes are ``totp_routes``. The secret is stored as
is in the gateway's database (it must be readable to check a code): whoever
reads that database can make codes.
"""
import base64
import hashlib
import hmac
import re
import secrets
import struct
import time
from urllib.parse import quote, urlencode

import segno
from sqlalchemy import func, or_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm.attributes import set_committed_value

from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError
from chassis.identity import HQ_ADMIN, STORE_MANAGER

from . import sessions
from .models import SecurityPolicy, User

STEP_S = 30
DIGITS = 6
SECRET_BYTES = 20          # 160 bits, RFC 4226's recommended length
WINDOW = 1                 # steps accepted either side of now
POLICY_ROLES = (HQ_ADMIN, STORE_MANAGER)
ISSUER = "Jewelry chain"   # when no issuer is given
_CODE = re.compile(r"^[0-9]{6}$")


class OneTimeCodeRequired(ServiceError):
    """Sign-in: the user has a second factor and the code is missing or wrong."""

    status = 401
    title = "One-time code required"


# --- RFC 6238, pure ------------------------------------------------------------------------------

def new_secret():
    """A random 160-bit secret in base32 (32 characters, no padding)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _key(secret):
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def step_at(at=None):
    """The time step of ``at`` (Unix seconds; default now)."""
    return int((time.time() if at is None else at) // STEP_S)


def code_at_step(secret, step, digits=DIGITS, digest=hashlib.sha1):
    """HOTP (RFC 4226) of ``step``: the code an authenticator shows."""
    mac = hmac.new(_key(secret), struct.pack(">Q", step), digest).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


def code_at(secret, at=None):
    return code_at_step(secret, step_at(at))


def normalize(code):
    """``"123 456"`` -> ``"123456"``; ``None`` when it cannot be a code."""
    if not isinstance(code, str):
        return None
    code = code.replace(" ", "")
    return code if _CODE.match(code) else None


def matching_step(secret, code, last_step=None, at=None):
    """The step ``code`` is right for, within one step of ``at`` and after
    ``last_step``; ``None`` when it is wrong, malformed or already used."""
    code = normalize(code)
    if code is None:
        return None
    now = step_at(at)
    found = None
    for step in range(now - WINDOW, now + WINDOW + 1):
        right = hmac.compare_digest(code_at_step(secret, step), code)
        if right and found is None and (last_step is None or step > last_step):
            found = step
    return found


def otpauth_uri(secret, account, issuer=None):
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    issuer = (issuer or ISSUER).replace(":", " ")
    label = quote(issuer, safe="") + ":" + quote(account, safe="@")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1",
                       "digits": DIGITS, "period": STEP_S}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


def qr_svg_data_uri(uri):
    """The URI as a QR code, an SVG in a ``data:`` URI (for an ``<img src>``)."""
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=4)


# --- the policy ----------------------------------------------------------------------------------

def policy(session, for_update=False):
    row = session.get(SecurityPolicy, 1, with_for_update=for_update)
    if row is None:            # the migration inserts it; an emptied database may not have it
        session.execute(insert(SecurityPolicy).values(id=1).on_conflict_do_nothing())
        row = session.get(SecurityPolicy, 1, with_for_update=for_update)
    return row


def policy_view(row):
    return {"totp_required_roles": list(row.totp_required_roles or []),
            "updated_at": row.updated_at, "updated_by": row.updated_by}


def required_for(session, role):
    return role in (policy(session).totp_required_roles or [])


def enrolment_required(session, user):
    """Must ``user`` enrol a second factor before anything else?"""
    return user.totp_confirmed_at is None and required_for(session, user.role)


def set_policy(session, roles, actor_id):
    row = policy(session, for_update=True)
    row.totp_required_roles = sorted(set(roles))
    row.updated_at = func.now()
    row.updated_by = actor_id
    session.flush()
    session.refresh(row)
    return policy_view(row)


# --- the sign-in hook ----------------------------------------------------------------------------

def sign_in_step(session, user, code):
    """After the password: ``None`` (go on), ``"enrol"`` (the policy wants a
    second factor the user has not set up: a session limited to enrolling),
    or ``OneTimeCodeRequired`` (401) when the user has one and ``code`` is
    missing or wrong. A right code's step is used up."""
    if user.totp_confirmed_at is None or not user.totp_secret:
        return "enrol" if enrolment_required(session, user) else None
    if not code:
        raise OneTimeCodeRequired("this account has a second factor: send the 6-digit code "
                                  "from the authenticator app in the `totp` field")
    if not _use(session, user, code):
        raise OneTimeCodeRequired("wrong one-time code")
    return None


def _use(session, user, code):
    """Check ``code`` and use its step up, atomically (two requests with one
    code: one wins). False when the code is wrong or its step was used."""
    step = matching_step(user.totp_secret, code, user.totp_last_step)
    if step is None:
        return False
    used = session.execute(
        update(User).where(User.id == user.id, User.totp_secret == user.totp_secret,
                           or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    if used.rowcount != 1:
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


# --- enrolment and turning it off ----------------------------------------------------------------

def status_view(user, required):
    return {"enabled": user.totp_confirmed_at is not None, "confirmed_at": user.totp_confirmed_at,
            "required": required}


def _me(session, user_id):
    user = session.get(User, user_id, with_for_update=True)
    if user is None or not user.active:
        raise NotFound("no such user")
    return user


def begin(session, user_id, issuer):
    """A new, unconfirmed secret for the caller (replacing an unconfirmed
    one); 409 when a confirmed one is on."""
    user = _me(session, user_id)
    if user.totp_confirmed_at is not None:
        raise Conflict("a second factor is already on; turn it off first (DELETE /me/totp)")
    user.totp_secret, user.totp_last_step = new_secret(), None
    session.flush()
    uri = otpauth_uri(user.totp_secret, user.username, issuer)
    return {"secret": user.totp_secret, "otpauth_uri": uri, "qr_svg": qr_svg_data_uri(uri)}


class WrongCode(InvalidInput):
    """A wrong code on the enrolment routes (422 on ``code``)."""

    def __init__(self):
        super().__init__("wrong one-time code", {"code": ["wrong one-time code"]})


def confirm(session, user_id, code):
    """The first right code from the app turns the second factor on."""
    user = _me(session, user_id)
    if user.totp_confirmed_at is not None:
        raise Conflict("the second factor is already on")
    if not user.totp_secret:
        raise Conflict("no enrolment is under way; begin with POST /me/totp")
    if not _use(session, user, code):
        raise WrongCode()
    user.totp_confirmed_at = func.now()
    session.flush()
    session.refresh(user)
    return status_view(user, required_for(session, user.role))


def turn_off(session, user_id, code):
    """The user turns their second factor off with a right code; 409 when
    the policy requires it for their role or none is on."""
    user = _me(session, user_id)
    if required_for(session, user.role):
        raise Conflict(f"the chain requires a second factor for {user.role}")
    if user.totp_confirmed_at is None:
        raise Conflict("no second factor is on")
    if not _use(session, user, code):
        raise WrongCode()
    _clear(user)
    session.flush()
    return status_view(user, False)


def reset(session, user_id, by_user_id):
    """HQ clears a user's second factor (a lost phone) and ends their
    sessions: they enrol again at their next sign-in if the policy says so."""
    if str(user_id) == str(by_user_id):
        raise Forbidden("another hq_admin resets your second factor; "
                        "yours is turned off with DELETE /me/totp and a code")
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("no such user")
    _clear(user)
    session.flush()
    sessions.end_all(session, user.id, "second factor reset")
    return status_view(user, required_for(session, user.role))


def _clear(user):
    user.totp_secret = user.totp_confirmed_at = user.totp_last_step = None
