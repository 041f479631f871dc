"""The audit trail (docs/API.md#identity-stores-audit): one row per mutating
request, written by the gateway in its own database, for successes and
failures alike.

A request that reaches its handler gets its row *before* it runs (so a crash
leaves a row with no status, and no mutation runs unaudited: if the row cannot
be written the request is refused); the outcome is filled in afterwards.
Requests refused earlier (bad token, body too large) get one row at the end.
"""
from sqlalchemy import insert, select, update

from .models import AuditEntry
from .pagination import page

# each takes a connection in a transaction the caller shares with its own
# writes (the request's Idempotency-Key): one commit, not two

def begin(conn, **values):
    return conn.execute(insert(AuditEntry).values(**values).returning(AuditEntry.id)).scalar_one()


def finish(conn, entry_id, **values):
    conn.execute(update(AuditEntry).where(AuditEntry.id == entry_id).values(**values))


def record(conn, **values):
    conn.execute(insert(AuditEntry).values(**values))


def entry_view(row):
    return {c: getattr(row, c) for c in (
        "id", "at", "request_id", "actor_id", "actor_username", "actor_role", "store_id",
        "method", "route", "path", "entity_id", "status", "detail")}


def list_entries(session, params):
    """Newest first, filtered by entity, actor, store and time."""
    stmt = select(AuditEntry)
    for name in ("entity_id", "actor_id"):
        if params.get(name):
            stmt = stmt.where(getattr(AuditEntry, name) == params[name])
    if params.get("store_id"):
        stmt = stmt.where(AuditEntry.store_id == str(params["store_id"]))
    if params.get("since"):
        stmt = stmt.where(AuditEntry.at >= params["since"])
    return page(session, stmt, [(AuditEntry.id, "id")], params, entry_view, descending=True)
