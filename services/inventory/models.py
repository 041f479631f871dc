"""Inventory tables."""
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger, DateTime, ForeignKey, Index, Integer, MetaData, Numeric, String, Text, func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class Store(Base):
    """The store facts inventory needs, kept from ``store.*`` events."""

    __tablename__ = "stores"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    tax_rate_bps: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Item(Base):
    """One physical piece: every piece is its own record."""

    __tablename__ = "items"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True,
                                    default=lambda: str(uuid.uuid4()))
    tag: Mapped[str] = mapped_column(String(16), unique=True)
    store_id: Mapped[str] = mapped_column(UUID(as_uuid=False), ForeignKey("stores.id"))
    category: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    metal_type: Mapped[str | None] = mapped_column(String(20))
    karat: Mapped[int | None] = mapped_column(Integer)
    fineness: Mapped[int | None] = mapped_column(Integer)
    metal_color: Mapped[str | None] = mapped_column(String(40))
    weight_g = mapped_column(Numeric(10, 3))
    vendor_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    currency: Mapped[str] = mapped_column(String(3))
    cost_amount: Mapped[int | None] = mapped_column(BigInteger)
    price_amount: Mapped[int] = mapped_column(BigInteger)
    ownership: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="in_stock")
    attributes = mapped_column(JSONB, default=dict)
    photos = mapped_column(JSONB, default=list)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())


Index("ix_items_store_status", Item.store_id, Item.status)


class ItemHistory(Base):
    """Every change of a piece: who, when, from which store, from and to."""

    __tablename__ = "item_history"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(UUID(as_uuid=False), ForeignKey("items.id"), index=True)
    change: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    details = mapped_column(JSONB, default=dict)
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    store_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
