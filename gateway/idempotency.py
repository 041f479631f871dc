"""``Idempotency-Key`` for POSTs that create or pay (docs/API.md#conventions).

A route declared with ``idempotent=True`` accepts the header. The key is
kept per caller, the user AND the store the request acts for (issue 17: the
same key for another store is another request), with the route and a hash
of the request body:

- first use: the key is claimed (a row with no answer yet), the request runs,
  and its answer (status and body) is stored;
- same key, same route and body, answered: the stored answer is replayed;
- same key, another body or route: 409;
- same key while the first request still runs: 409 (retry later), except on
  a route whose service is itself idempotent by the key and answers 202 for
  work still in flight (``POST /sales``): the request goes through to it,
  unclaimed, and gets the work's state now.

An answer of 5xx (e.g. a service was unavailable) or 202 (still in flight)
releases the key so the client can retry with it. Keys are forgotten after ``IDEMPOTENCY_TTL_HOURS``.
"""
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from chassis.clock import now
from chassis.errors import Conflict, InvalidInput
from chassis.sql import Precompiled

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
_VALID = re.compile(r"^[\x21-\x7e]{1,255}$")
# a claim older than this whose request never answered (crashed gateway) may be taken over
STALE_CLAIM_S = 120


def body_hash(body, secret):
    """An HMAC-SHA256 of the body, keyed with a key derived from the gateway's
    secret: a body can hold a password (``POST /users``), and an unkeyed hash
    of it could be guessed offline from a copy of the database."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key = hmac.new(secret.encode(), b"idempotency request hash", hashlib.sha256).digest()
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


@dataclass
class Claim:
    user_id: str
    key: str
    store_id: str = ""
    replay_status: int | None = None
    replay_body: object = None
    owned: bool = True          # False: passed through while the first request runs

    @property
    def replay(self):
        return self.replay_status is not None


_KEYS = cast(Table, IdempotencyKey.__table__)
_CLAIM = Precompiled(lambda: insert(_KEYS).on_conflict_do_nothing().returning(_KEYS.c.key))


def check_key(key):
    if not _VALID.match(key):
        raise InvalidInput("bad Idempotency-Key",
                           {HEADER: ["1 to 255 visible ASCII characters"]})
    return key


def _this(c):
    """The row of claim ``c``: its user, store and key."""
    k = IdempotencyKey
    return (k.user_id == c.user_id, k.store_id == c.store_id, k.key == c.key)


def claim(conn, user_id, key, method, route, path, body, *, secret, store_id=None,
          pass_through=False):
    """Claim ``key`` for this request by ``user_id`` acting for ``store_id``
    (``None``: no store), or return the stored answer to replay (``conn``: in
    the transaction that also writes the request's audit row).
    ``pass_through``: while the first request runs, let this one through
    unclaimed (the service behind dedups by the key itself)."""
    digest = body_hash(body, secret)
    mine = Claim(user_id, key, str(store_id or "")[:64])
    inserted = _CLAIM.execute(conn, {
        "user_id": user_id, "store_id": mine.store_id, "key": key, "method": method,
        "route": route, "path": path, "request_hash": digest}).first()
    if inserted is not None:
        return mine
    k = IdempotencyKey
    stored = conn.execute(
        select(k.method, k.path, k.request_hash, k.status, k.response,
               (func.now() - k.created_at).label("age"))
        .where(*_this(mine)).with_for_update()
    ).first()
    if stored is None:  # expired and purged in between: try once more
        return claim(conn, user_id, key, method, route, path, body, secret=secret, store_id=store_id,
                     pass_through=pass_through)
    if (stored.method, stored.path, stored.request_hash) != (method, path, digest):
        raise Conflict(f"this {HEADER} was used for another request")
    if stored.status is not None:
        return Claim(user_id, key, mine.store_id, stored.status, stored.response)
    if stored.age.total_seconds() < STALE_CLAIM_S:
        if pass_through:
            return Claim(user_id, key, mine.store_id, owned=False)
        raise Conflict(f"a request with this {HEADER} is still in progress; retry later")
    conn.execute(update(IdempotencyKey).where(*_this(mine)).values(created_at=func.now()))
    return mine


def complete(conn, claim_, status, body):
    """Store the answer to ``claim_`` (its user, store and key); a 5xx or a
    202 (still in flight) releases the key; an unowned claim stores nothing."""
    if not claim_.owned:
        return
    if status >= 500 or status == 202:
        conn.execute(delete(IdempotencyKey).where(*_this(claim_), IdempotencyKey.status.is_(None)))
        return
    conn.execute(update(IdempotencyKey).where(*_this(claim_))
                 .values(status=status, response=body, completed_at=func.now()))


def purge(session, ttl_hours):
    cutoff = now() - timedelta(hours=ttl_hours)
    return session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)).rowcount
