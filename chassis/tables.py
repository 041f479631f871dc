"""Tables the runtime keeps in every service's own database."""
from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID

runtime_metadata = MetaData()

outbox = Table(
    "outbox", runtime_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("envelope", JSONB, nullable=False),
    Column("headers", JSONB, nullable=False, server_default="{}"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
)
Index("outbox_unpublished", outbox.c.id, postgresql_where=outbox.c.published_at.is_(None))

inbox = Table(
    "inbox", runtime_metadata,
    Column("event_id", UUID(as_uuid=False), primary_key=True),
    Column("consumer", String(200), primary_key=True),
    Column("event_type", String(100), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def create_runtime_tables(op: Any) -> None:
    """Called from each service's first Alembic migration."""
    bind = op.get_bind()
    runtime_metadata.create_all(bind)


def drop_runtime_tables(op: Any) -> None:
    runtime_metadata.drop_all(op.get_bind())
