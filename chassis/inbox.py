"""Inbox: the events a consumer has applied, recorded with the effect."""
from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .sql import Precompiled
from .tables import inbox

_CLAIM = Precompiled(lambda: insert(inbox).on_conflict_do_nothing().returning(inbox.c.event_id))


def claim(session: Session | Connection, event: Mapping[str, Any], consumer: str | None) -> bool:
    """Record ``event`` for ``consumer`` in the current transaction.

    Returns False when it was recorded before (a redelivery). A concurrent
    duplicate waits on the row lock of the first and then sees the conflict.
    """
    return _CLAIM.execute(session, {"event_id": event["event_id"], "consumer": consumer,
                                    "event_type": event["event_type"]}).first() is not None
