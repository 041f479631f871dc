"""Sign-in throttling (issue 17): failures are counted per username and per
client address in the gateway's database, so every gateway process sees the
same counts.

``max_failures`` failures within ``window_s`` of each other lock the key for
``lockout_s``; each further failure after a lockout doubles it, up to
``max_lockout_s``. While a key is locked every attempt is refused (429 with
``Retry-After``), the right password included, and not checked. A success
clears the username's count; the address's count only runs out with the
window (a caller cannot clear it by signing in to an account of their own).
Rows whose window has passed and that are not locked are purged hourly
(``purge``): they would count as a first failure anyway.
"""
import math

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from chassis.errors import ServiceError

from .models import SigninFailure


class TooManyAttempts(ServiceError):
    status = 429
    title = "Too many sign-in attempts"

    def __init__(self, detail, retry_after_s):
        super().__init__(detail)
        self.headers = {"Retry-After": str(retry_after_s)}


def keys(username, address):
    return [f"user:{username.lower()}"[:200], f"addr:{address or 'unknown'}"[:200]]


def check(session, keys):
    """Raise ``TooManyAttempts`` while any of ``keys`` is locked."""
    left = session.scalar(
        select(func.max(func.extract("epoch", SigninFailure.locked_until - func.now())))
        .where(SigninFailure.key.in_(keys), SigninFailure.locked_until > func.now()))
    if left is not None:
        raise TooManyAttempts("too many failed sign-ins; try again later",
                              max(1, math.ceil(float(left))))


def fail(session, keys, settings):
    """Count one failure against each key; lock those that reach the limit."""
    window = func.make_interval(0, 0, 0, 0, 0, 0, settings.signin_window_s)
    for key in keys:
        stmt = insert(SigninFailure).values(key=key, failures=1, last_failure_at=func.now())
        failures = session.execute(stmt.on_conflict_do_update(
            index_elements=[SigninFailure.key],
            set_={"failures": case(
                      (SigninFailure.last_failure_at < func.now() - window, 1),
                      else_=SigninFailure.failures + 1),
                  "last_failure_at": func.now()},
        ).returning(SigninFailure.failures)).scalar_one()
        limit = limit_for(key, settings)
        if failures >= limit:
            seconds = lockout_s(failures, settings, limit)
            session.execute(update(SigninFailure).where(SigninFailure.key == key).values(
                locked_until=func.now() + func.make_interval(0, 0, 0, 0, 0, 0, seconds)))


def limit_for(key, settings):
    """A username's limit, or an address's: a whole store behind one address
    (or a proxy that is not yet trusted to name the client) needs more."""
    if key.startswith("addr:"):
        return settings.signin_max_failures_per_address
    return settings.signin_max_failures


def lockout_s(failures, settings, limit=None):
    """The lockout after ``failures`` failures in a row (at least the limit)."""
    doublings = min(failures - (limit or settings.signin_max_failures), 32)
    return min(settings.signin_lockout_s * 2 ** doublings, settings.signin_max_lockout_s)


def succeed(session, username_key):
    session.execute(delete(SigninFailure).where(SigninFailure.key == username_key))


def purge(session, settings):
    """Delete the counts that no longer matter: last failure older than the
    window, and no lockout still running. Returns how many went."""
    window = func.make_interval(0, 0, 0, 0, 0, 0, settings.signin_window_s)
    return session.execute(delete(SigninFailure).where(
        SigninFailure.last_failure_at < func.now() - window,
        or_(SigninFailure.locked_until.is_(None), SigninFailure.locked_until <= func.now()),
    )).rowcount
