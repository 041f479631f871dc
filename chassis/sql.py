"""Statements compiled once that SQLAlchemy would compile on every execution.

SQLAlchemy keeps a statement's compiled SQL in a cache, except for
PostgreSQL's ``INSERT ... ON CONFLICT``: the dialect marks that construct
uncacheable, so an inbox claim or a read-model upsert was compiled anew for
every event, a fifth of a busy event handler's CPU. ``Precompiled`` compiles
such a statement once per set of columns given and runs its SQL with each
call's values::

    CLAIM = Precompiled(lambda: insert(inbox).on_conflict_do_nothing()
                        .returning(inbox.c.event_id))
    CLAIM.execute(session, {"event_id": ..., "consumer": ..., "event_type": ...})

The statement built must take its VALUES from the call (no ``.values()``):
one dict is one row; a list of dicts with the same keys runs as one
``executemany``, row by row in the order given.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from sqlalchemy import text
from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.orm import Session

# (compiled statement, its bind processors, the columns whose defaults to apply)
Entry = tuple[Any, Mapping[str, Callable[[Any], Any]], list[Any]]


class Precompiled:
    def __init__(self, build: Callable[[], Any]) -> None:
        self.build = build
        self._compiled: dict[tuple[int, tuple[str, ...]], Entry] = {}

    def compiled(self, dialect: Dialect, keys: tuple[str, ...]) -> Entry:
        """(compiled statement, its bind processors, the columns whose
        Python-side defaults fill what ``keys`` leave out), once per dialect
        and set of keys."""
        key = (id(dialect), keys)
        entry = self._compiled.get(key)
        if entry is None:
            compiled = self.build().compile(dialect=dialect, column_keys=list(keys))
            if compiled.update_prefetch:
                raise ValueError("Precompiled: a statement with onupdate defaults is not supported")
            defaults = [c for c in compiled.insert_prefetch if c.key not in keys]
            entry = self._compiled[key] = (compiled, compiled._bind_processors, defaults)
        return entry

    def execute(self, session: Session | Connection,
                values: Mapping[str, Any] | list[Any]) -> CursorResult[Any]:
        """Run with ``values`` (a dict, or a non-empty list of dicts) in
        ``session``'s transaction (a Session or a Connection)."""
        conn = session.connection() if isinstance(session, Session) else session
        rows = values if isinstance(values, list) else [values]
        compiled, processors, defaults = self.compiled(conn.dialect, tuple(sorted(rows[0])))
        params = []
        for row in rows:
            p = compiled.construct_params(row)
            for column in defaults:     # Python-side column defaults, as SQLAlchemy applies them
                d = column.default
                p[column.key] = d.arg(None) if d.is_callable else d.arg
            for name, process in processors.items():
                if p.get(name) is not None:
                    p[name] = process(p[name])
            params.append(p)
        return conn.exec_driver_sql(compiled.string, params if isinstance(values, list) else params[0])


def lock_key(session: Session | Connection, key: str) -> None:
    """Wait for, then hold until this transaction ends, the lock named ``key``
    (a PostgreSQL advisory lock): one transaction at a time for that name."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})
