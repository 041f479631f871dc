"""Tokens and passwords (who calls: docs/ARCHITECTURE.md#rule-7).

Tokens are JWTs signed with one fixed algorithm, HS256: the algorithm named
in a token's header is never trusted (``alg: none`` or any other algorithm is
refused), and ``iss``, ``aud``, ``exp``, ``iat``, ``sub``, ``sid`` (the session)
and ``epoch`` (the user's session epoch at sign-in) are required. A token is
short (``ACCESS_TOKEN_TTL_SECONDS``): one whose ``exp`` lies further past its
``iat`` than that, or whose ``iat`` is older than a session may last
(``SESSION_MAX_SECONDS``), is refused whatever its ``exp`` says. Whether its
session is still live is asked of the database on every request
(``sessions.check_live``).

Passwords are argon2id hashes. Hashing is CPU work in C, so it runs in a real
thread (``eventlet.tpool``) and never stalls the event loop.
"""
import time
import uuid
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

from chassis.errors import ServiceError
from chassis.identity import ROLES, Identity

ALGORITHM = "HS256"
_hasher = PasswordHasher()
# verified against when the user does not exist, so both cases take as long
_DUMMY_HASH = _hasher.hash(uuid.uuid4().hex)


class Unauthorized(ServiceError):
    status = 401
    title = "Unauthorized"


LIMITS = ("password", "totp")   # what a limited session must do before anything else
LEEWAY_S = 5


@dataclass(frozen=True)
class Claims:
    """What a verified access token says: the caller, their session and its
    epoch, and the session's limit (``None``: a full session)."""
    identity: Identity
    sid: str
    epoch: int
    limit: str | None
    iat: int
    exp: int


def issue_access_token(settings, user, session_id, epoch, store_ids, limit=None):
    """A short access token (``access_ttl_s``) for one session of ``user``."""
    now = int(time.time())
    claims = {
        "sub": str(user.id), "username": user.username, "role": user.role,
        "store_ids": [str(s) for s in store_ids], "sid": str(session_id), "epoch": int(epoch),
        "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
        "iat": now, "exp": now + settings.access_ttl_s, "jti": uuid.uuid4().hex,
    }
    if limit:
        claims["limit"] = limit
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


# token -> (claims, settings): a terminal sends one token until it is refreshed
_VERIFIED: dict[str, tuple[Claims, object]] = {}
_VERIFIED_MAX = 10_000


def read_token(settings, token):
    """The claims of a well-signed, unexpired access token, or
    ``Unauthorized``. Only the token itself decides here (whether its session
    is still live is ``sessions.check_live``'s question, asked every time), so
    a token read before is answered from memory until it expires."""
    known = _VERIFIED.get(token)
    if known is not None and known[1] is settings and _fresh(settings, known[0]):
        return known[0]
    claims = _verify(settings, token)
    if not _fresh(settings, claims):
        raise Unauthorized("the token has expired")
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[token] = (claims, settings)
    return claims


def _fresh(settings, claims):
    """Unexpired, and never older than a session may last, whatever ``exp`` says."""
    now = time.time()
    return now < claims.exp + LEEWAY_S and now - claims.iat <= settings.session_max_s + LEEWAY_S


def _verify(settings, token):
    try:
        claims = jwt.decode(
            token, settings.jwt_secret, algorithms=[ALGORITHM],
            audience=settings.jwt_audience, issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "sid", "epoch"]},
            leeway=LEEWAY_S,
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("the token is not valid") from None
    if not _well_formed(claims):
        raise Unauthorized("the token is not valid")
    if claims["exp"] - claims["iat"] > settings.access_ttl_s or claims["iat"] > time.time() + LEEWAY_S:
        raise Unauthorized("the token's lifetime is longer than this gateway issues")
    identity = Identity(user_id=claims["sub"], role=claims["role"],
                        store_ids=tuple(claims.get("store_ids") or ()),
                        username=claims.get("username"))
    return Claims(identity, claims["sid"], claims["epoch"], claims.get("limit"),
                  claims["iat"], claims["exp"])


def _well_formed(claims):
    store_ids = claims.get("store_ids") or []
    numbers = (claims["epoch"], claims["iat"], claims["exp"])
    return (claims.get("role") in ROLES and _uuid(claims["sub"]) and _uuid(claims["sid"])
            and all(isinstance(n, int) and not isinstance(n, bool) for n in numbers)
            and claims.get("limit") in (None,) + LIMITS
            and isinstance(store_ids, list) and all(_uuid(s) for s in store_ids))


def _uuid(value):
    try:
        return isinstance(value, str) and bool(uuid.UUID(value))
    except ValueError:
        return False


def bearer_token(header):
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("a bearer token is required")
    return token.strip()


def hash_password(password):
    return tpool.execute(_hasher.hash, password)


def hash_password_blocking(password):
    """For scripts that run outside the event loop."""
    return _hasher.hash(password)


def check_password(password_hash, password):
    """(matches, needs_rehash); constant work whether or not the user exists."""
    try:
        tpool.execute(_hasher.verify, password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False, False
    if password_hash is None:
        return False, False
    return True, _hasher.check_needs_rehash(password_hash)
