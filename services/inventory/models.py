"""Inventory tables. Every piece is its own row; every change of a piece is
a row of ``item_history``."""
import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, MetaData, Numeric, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def new_id():
    return str(uuid.uuid4())


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
    country: Mapped[str | None] = mapped_column(String(2))  # the tag label's locale
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Vendor(Base):
    __tablename__ = "vendors"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    contact = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Item(Base):
    """One physical piece."""

    __tablename__ = "items"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True, default=new_id)
    tag: Mapped[str] = mapped_column(String(16), unique=True)
    store_id: Mapped[str] = mapped_column(UUID(as_uuid=False), ForeignKey("stores.id"))
    category: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    metal_type: Mapped[str | None] = mapped_column(String(20))
    karat: Mapped[int | None] = mapped_column(Integer)
    fineness: Mapped[int | None] = mapped_column(Integer)
    metal_color: Mapped[str | None] = mapped_column(String(40))
    weight_g = mapped_column(Numeric(10, 3))
    total_carat = mapped_column(Numeric(8, 3))
    vendor_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False), ForeignKey("vendors.id"))
    currency: Mapped[str] = mapped_column(String(3))
    cost_amount: Mapped[int | None] = mapped_column(BigInteger)
    price_amount: Mapped[int] = mapped_column(BigInteger)
    ownership: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="in_stock")
    hold_reason: Mapped[str | None] = mapped_column(String(20))
    hold_ref: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    # {"markup": "2.5", "labor": 5000} when priced by weight
    pricing = mapped_column(JSONB(none_as_null=True))
    attributes = mapped_column(JSONB, default=dict)
    photos = mapped_column(JSONB, default=list)
    search_text: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())

    # the times the server sets come back with the INSERT or UPDATE (RETURNING)
    # instead of a SELECT when the piece's view is built after a change
    __mapper_args__ = {"eager_defaults": True}


class Stone(Base):
    __tablename__ = "stones"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True, default=new_id)
    item_id: Mapped[str] = mapped_column(UUID(as_uuid=False), ForeignKey("items.id"))
    position: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    shape: Mapped[str | None] = mapped_column(String(20))
    carat = mapped_column(Numeric(8, 3))
    color: Mapped[str | None] = mapped_column(String(20))
    clarity: Mapped[str | None] = mapped_column(String(10))
    cut: Mapped[str | None] = mapped_column(String(20))
    cert_lab: Mapped[str | None] = mapped_column(String(10))
    cert_number: Mapped[str | None] = mapped_column(String(40))


class ItemHistory(Base):
    """Every change of a piece: who, when, from which store, from and to."""

    __tablename__ = "item_history"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(UUID(as_uuid=False), ForeignKey("items.id"))
    change: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    details = mapped_column(JSONB, default=dict)
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    store_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SaleHold(Base):
    """Pieces held for a sale or a layaway by payments (one row per piece)."""

    __tablename__ = "sale_holds"
    sale_id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    item_id: Mapped[str] = mapped_column(UUID(as_uuid=False), ForeignKey("items.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))  # reserved, sold, released, expired, returned
    # a ``reserved`` hold past this is released by the sweeper (``expired``);
    # None: kept until released or sold (an open layaway's pieces)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Reservation(Base):
    """A client hold (click and collect) that expires by itself."""

    __tablename__ = "reservations"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True, default=new_id)
    item_id: Mapped[str] = mapped_column(UUID(as_uuid=False), ForeignKey("items.id"))
    store_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    client_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    state: Mapped[str] = mapped_column(String(20), default="active")  # active, released, expired
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Transfer(Base):
    __tablename__ = "transfers"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True, default=new_id)
    from_store_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    to_store_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    status: Mapped[str] = mapped_column(String(20), default="shipped")
    item_ids = mapped_column(JSONB)
    shipped_by: Mapped[str | None] = mapped_column(String(64))
    shipped_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    received_by: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StockCount(Base):
    __tablename__ = "stock_counts"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    status: Mapped[str] = mapped_column(String(20), default="open")
    opened_by: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result = mapped_column(JSONB)


class StockCountScan(Base):
    __tablename__ = "stock_count_scans"
    count_id: Mapped[str] = mapped_column(UUID(as_uuid=False), ForeignKey("stock_counts.id"),
                                          primary_key=True)
    tag: Mapped[str] = mapped_column(String(16), primary_key=True)
    scanned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Memo(Base):
    __tablename__ = "memos"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True, default=new_id)
    direction: Mapped[str] = mapped_column(String(3))  # in, out
    store_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    counterparty: Mapped[str] = mapped_column(String(200))
    vendor_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    item_ids = mapped_column(JSONB)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, closed
    overdue_notified_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MetalPrice(Base):
    __tablename__ = "metal_prices"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    metal: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    price_per_gram: Mapped[int] = mapped_column(BigInteger)  # minor units per gram of pure metal
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PriceChangeRequest(Base):
    """A repricing above the guard: waits for a manager's confirmation."""

    __tablename__ = "price_change_requests"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True, default=new_id)
    item_id: Mapped[str] = mapped_column(UUID(as_uuid=False), ForeignKey("items.id"))
    store_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    old_amount: Mapped[int] = mapped_column(BigInteger)
    new_amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, applied, rejected
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
