"""When a failed event is tried again, and when it is parked
(docs/ARCHITECTURE.md#rule-3).

Two kinds of failure:

- **transient**: the handler could not reach something it needs (its
  database, the broker, a neighbour service) or lost a race the database
  settles by itself (a lock or statement timeout, a deadlock, a
  serialization failure). Waiting mends it: the event is tried again with
  capped exponential back-off for ``window_s`` (24 hours by default) from
  its first failure, so a December-Saturday failover parks nothing.
- **deterministic**: anything else (a payload the code cannot apply, a
  bug). Waiting mends nothing: after the short schedule the event is parked
  for an operator, as before.

Pure functions: what a handler does with them is in ``chassis.events``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import exc as sa_exc

from .db import database_unreachable
from .errors import Unavailable
from .rpc import BROKER_ERRORS

# SQLSTATEs of a statement that lost a race and would succeed later: lock
# not available (lock_timeout), query cancelled (statement_timeout), a
# serialization failure, a deadlock
RACE_STATES = ("55P03", "57014", "40001", "40P01")


def transient(exc: BaseException) -> bool:
    """True when ``exc`` says "not now" rather than "never"."""
    if isinstance(exc, Unavailable):
        return True
    if isinstance(exc, (sa_exc.DBAPIError, sa_exc.TimeoutError)):
        state = getattr(getattr(exc, "orig", None), "sqlstate", None)
        return database_unreachable(exc) or state in RACE_STATES
    return isinstance(exc, BROKER_ERRORS)


@dataclass(frozen=True)
class Schedule:
    """``delays``: the short schedule every failure starts with (seconds per
    attempt); a transient failure then waits twice as long each attempt, at
    most ``max_delay_s``, until ``window_s`` has passed since it first failed."""

    delays: Sequence[float] = (1, 5, 30)
    max_delay_s: float = 600
    window_s: float = 24 * 3600

    def next_delay(self, attempt: int, is_transient: bool, failing_for_s: float) -> float | None:
        """Seconds to wait before attempt ``attempt + 1`` after the ``attempt``-th
        failure (1-based); None to park the event now."""
        if attempt < 1:
            raise ValueError("attempt counts from 1")
        if attempt <= len(self.delays):
            return float(self.delays[attempt - 1])
        if not is_transient or failing_for_s >= self.window_s:
            return None
        last = float(self.delays[-1]) if self.delays else 1.0
        doublings = min(attempt - len(self.delays), 64)    # 2**64 s is past any cap
        return float(min(self.max_delay_s, max(last, 1.0) * 2 ** doublings))
