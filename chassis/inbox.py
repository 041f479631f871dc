"""Inbox: the events a consumer has applied, recorded with the effect."""
from sqlalchemy.dialects.postgresql import insert

from .tables import inbox


def claim(session, event, consumer):
    """Record ``event`` for ``consumer`` in the current transaction.

    Returns False when it was recorded before (a redelivery). A concurrent
    duplicate waits on the row lock of the first and then sees the conflict.
    """
    stmt = (
        insert(inbox)
        .values(event_id=event["event_id"], consumer=consumer, event_type=event["event_type"])
        .on_conflict_do_nothing()
        .returning(inbox.c.event_id)
    )
    return session.execute(stmt).first() is not None
