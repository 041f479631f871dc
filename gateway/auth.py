"""Tokens and passwords (who calls: docs/ARCHITECTURE.md#rule-7).

Tokens are JWTs signed with one fixed algorithm, HS256: the algorithm named
in a token's header is never trusted (``alg: none`` or any other algorithm is
refused), and ``iss``, ``aud``, ``exp``, ``iat`` and ``sub`` are required.

Passwords are argon2id hashes. Hashing is CPU work in C, so it runs in a real
thread (``eventlet.tpool``) and never stalls the event loop.
"""
import time
import uuid

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


def issue_token(settings, user_id, username, role, store_ids):
    now = int(time.time())
    claims = {
        "sub": str(user_id), "username": username, "role": role,
        "store_ids": [str(s) for s in store_ids],
        "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
        "iat": now, "exp": now + settings.token_ttl_s, "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)
    return {"access_token": token, "token_type": "bearer", "expires_in": settings.token_ttl_s}


# token -> (identity, exp, settings): a terminal sends one token all day
_VERIFIED: dict[str, tuple[Identity, int, object]] = {}
_VERIFIED_MAX = 10_000
LEEWAY_S = 5


def verify_token(settings, token):
    """The caller a bearer token names, or ``Unauthorized``. A token verified
    before is answered from memory until it expires (nothing but its
    signature and expiry decides, so the answer cannot differ)."""
    known = _VERIFIED.get(token)
    if known is not None and known[2] is settings and time.time() < known[1] + LEEWAY_S:
        return known[0]
    identity, exp = _verify(settings, token)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[token] = (identity, exp, settings)
    return identity


def _verify(settings, token):
    try:
        claims = jwt.decode(
            token, settings.jwt_secret, algorithms=[ALGORITHM],
            audience=settings.jwt_audience, issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]}, leeway=LEEWAY_S,
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("the token is not valid") from None
    role, store_ids = claims.get("role"), claims.get("store_ids") or []
    if (role not in ROLES or not _uuid(claims["sub"]) or not isinstance(store_ids, list)
            or not all(_uuid(s) for s in store_ids)):
        raise Unauthorized("the token is not valid")
    return Identity(user_id=claims["sub"], role=role, store_ids=tuple(store_ids),
                    username=claims.get("username")), claims["exp"]


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
