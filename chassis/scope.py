"""Store scope, written once (docs/ARCHITECTURE.md#rule-7): a user of one
store never reads another's rows. A row of another store is simply not
found; a list asked for another store is refused; a list asked for no store
holds the caller's own stores (all of them for HQ, auditors and the system)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from .errors import Forbidden, NotFound
from .identity import Identity


def own_stores(query: Any, column: Any, identity: Identity) -> Any:
    """``query`` restricted to the caller's stores (unrestricted chain-wide)."""
    if identity.chain_wide:
        return query
    return query.where(column.in_(identity.store_ids or ("-",)))


def one_or_own_stores(query: Any, column: Any, identity: Identity, store_id: Any,
                      refusal: str = "you may not see this store") -> Any:
    """``query`` for ``store_id`` when one is asked for (403 ``refusal`` when
    it is not the caller's), else for the caller's own stores."""
    if store_id:
        if not identity.can_see_store(store_id):
            raise Forbidden(refusal)
        return query.where(column == str(store_id))
    return own_stores(query, column, identity)


def visible(session: Any, model: Any, identity: Identity, row_id: Any, what: str,
            lock: bool = False) -> Any:
    """The ``model`` row ``row_id`` when the caller may see its store (locked
    for update when ``lock``); ``NotFound("no such <what>")`` otherwise."""
    query = select(model).where(model.id == str(row_id))
    if lock:
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None or not identity.can_see_store(row.store_id):
        raise NotFound(f"no such {what}")
    return row
