"""How far the read model has come, per event type: the newest event
applied, when, and how long after it happened."""
from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert

from chassis.clock import now
from chassis.sql import Precompiled

from .models import HqFreshness


def _fresh():
    t = HqFreshness.__table__
    stmt = insert(t)
    x = stmt.excluded
    return stmt.on_conflict_do_update(index_elements=[t.c.event_type], set_={
        "last_occurred_at": func.greatest(t.c.last_occurred_at, x.last_occurred_at),
        "last_applied_at": func.greatest(t.c.last_applied_at, x.last_applied_at),
        "lag_ms": case((x.last_occurred_at >= t.c.last_occurred_at, x.lag_ms), else_=t.c.lag_ms),
        "applied": t.c.applied + 1})


_FRESH = Precompiled(_fresh)


def mark_fresh(session, event_type, occurred_at, applied_at=None):
    applied_at = applied_at or now()
    lag_ms = max(0, int((applied_at - occurred_at).total_seconds() * 1000))
    _FRESH.execute(session, {"event_type": event_type, "last_occurred_at": occurred_at,
                             "last_applied_at": applied_at, "lag_ms": lag_ms, "applied": 1})


def freshness(session, at=None):
    """``as_of``: the newest event the read model reflects; ``lag_seconds``:
    how long after it happened the newest event was applied."""
    rows = session.scalars(select(HqFreshness)).all()
    if not rows:
        return {"as_of": None, "lag_seconds": None, "last_applied_at": None, "events_applied": 0}
    newest = max(rows, key=lambda r: r.last_occurred_at)
    return {"as_of": newest.last_occurred_at.isoformat(),
            "lag_seconds": round(newest.lag_ms / 1000, 3),
            "last_applied_at": max(r.last_applied_at for r in rows).isoformat(),
            "events_applied": sum(r.applied for r in rows if r.event_type != "rebuild")}
