"""Each service's copy of the stores it needs, kept from the gateway's
``store.created`` / ``store.updated`` events (the gateway owns stores).

Every service keeps its own ``stores`` table with the columns it needs;
``record_store`` writes whichever of the store's facts that table has.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy.dialects.postgresql import insert

from .clock import now

STORE_FACTS = ("id", "code", "name", "currency", "timezone", "tax_rate_bps", "country",
               "address", "phone", "hours")


def store_values(model: Any, facts: Mapping[str, Any]) -> dict[str, Any]:
    """The facts ``model``'s table has a column for; the id as text and the
    country as an upper-case alpha-2 code."""
    columns = model.__table__.c
    values = {k: facts.get(k) for k in STORE_FACTS if k in columns}
    values["id"] = str(facts["id"])
    if "country" in values:
        country = values["country"]
        values["country"] = country.upper()[:2] if country else None
    return values


def record_store(session: Any, model: Any, facts: Mapping[str, Any],
                 at: datetime | None = None, **extra: Any) -> None:
    """Insert or update the store ``facts`` describe in ``model``'s table.

    ``extra``: columns set only when the row is created (a receipt counter).
    A table with ``facts_at`` keeps the newest facts: an older event
    (``at``) changes nothing."""
    values = store_values(model, facts)
    columns = model.__table__.c
    stamp = {}
    if "updated_at" in columns:
        stamp["updated_at"] = now()
    if "facts_at" in columns:
        stamp["facts_at"] = at or now()
    stmt = insert(model).values(**values, **stamp, **extra)
    changes = {k: stmt.excluded[k] for k in list(values) + list(stamp) if k != "id"}
    where = (columns.facts_at <= stmt.excluded.facts_at) if "facts_at" in columns else None
    session.execute(stmt.on_conflict_do_update(index_elements=[columns.id], set_=changes,
                                               where=where))
