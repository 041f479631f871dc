"""HQ's read model: tables reporting fills from the services' events
(``projections``), its copy of the stores (``store.created`` /
``store.updated`` from the gateway), and the two kinds of HQ data it owns
itself (exchange rates, transfer requests). The schema is made by
``migrations/``.

Projection tables (``hq_*`` except ``hq_fx_rates`` and
``hq_transfer_requests``) are derived data: ``python -m
services.reporting.rebuild`` fills them again from the services' own data.

Order-independence: events of one piece (or job, or client) may arrive in
any order, on different queues. A row keeps *when* each of its facts was
true (``status_at``, ``price_at``, ``stage_at``, ``tier_at``) and an event
changes a fact only when it is newer, so any delivery order converges.
Totals (``hq_stock_totals``, ``hq_client_tiers``) change only by the
difference between a row's stake before and after an event, in the same
transaction, so they always equal the sum of the rows.
"""
import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, MetaData, Numeric, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def new_id():
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData()


class Store(Base):
    """The store facts reports need (time zone, code, name, currency), kept
    from the gateway's ``store.*`` events (``chassis.stores.record_store``)."""

    __tablename__ = "stores"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2))
    facts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


NO_STORE = "00000000-0000-0000-0000-000000000000"   # clients without a home store


class HqPiece(Base):
    """One piece as HQ sees it: where it is, in which status, what it is worth."""

    __tablename__ = "hq_pieces"
    item_id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    tag: Mapped[str | None] = mapped_column(String(16))
    store_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    status: Mapped[str | None] = mapped_column(String(20))
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    category: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    metal_type: Mapped[str | None] = mapped_column(String(20))
    ownership: Mapped[str | None] = mapped_column(String(20))
    currency: Mapped[str | None] = mapped_column(String(3))
    cost_amount: Mapped[int | None] = mapped_column(BigInteger)
    price_amount: Mapped[int | None] = mapped_column(BigInteger)
    price_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # NULL: not seen yet
    sold_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sale_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))


class HqStockTotal(Base):
    """Pieces in a store's stock value (in stock, reserved, in transit, on
    memo out, missing) per currency and ownership: the sum of ``hq_pieces``."""

    __tablename__ = "hq_stock_totals"
    store_id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    ownership: Mapped[str] = mapped_column(String(20), primary_key=True)
    pieces: Mapped[int] = mapped_column(BigInteger, default=0)
    cost: Mapped[int] = mapped_column(BigInteger, default=0)
    retail: Mapped[int] = mapped_column(BigInteger, default=0)


class HqSale(Base):
    __tablename__ = "hq_sales"
    sale_id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    store_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    associate_id: Mapped[str | None] = mapped_column(String(64))
    client_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    receipt_number: Mapped[str | None] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)


class HqSaleLine(Base):
    """A sale's line, with the sale's store, time and associate (so reports
    group lines without a join)."""

    __tablename__ = "hq_sale_lines"
    sale_id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    local_day: Mapped[date] = mapped_column(Date)             # the store's business day
    associate_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    category: Mapped[str | None] = mapped_column(String(20))
    metal_type: Mapped[str | None] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)          # after discount, before tax
    discount: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    cost: Mapped[int | None] = mapped_column(BigInteger)


class HqReturn(Base):
    __tablename__ = "hq_returns"
    return_id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    sale_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    store_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    returned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    local_day: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    refund: Mapped[int] = mapped_column(BigInteger)


class HqReturnedItem(Base):
    """A piece given back on a return; its figures are those of its sale line."""

    __tablename__ = "hq_returned_items"
    return_id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    item_id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    sale_id: Mapped[str] = mapped_column(UUID(as_uuid=False))


class HqWorkOrder(Base):
    __tablename__ = "hq_work_orders"
    work_order_id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    store_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    number: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str | None] = mapped_column(String(20))
    stage: Mapped[str | None] = mapped_column(String(30))
    stage_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    promised_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HqClient(Base):
    __tablename__ = "hq_clients"
    client_id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    known: Mapped[bool] = mapped_column(Boolean, default=False)     # client.created seen
    merged: Mapped[bool] = mapped_column(Boolean, default=False)
    home_store_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    facts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tier: Mapped[str | None] = mapped_column(String(10))
    tier_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HqClientTier(Base):
    """Clients per home store and tier: the sum of ``hq_clients``."""

    __tablename__ = "hq_client_tiers"
    store_id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)  # NO_STORE: none
    tier: Mapped[str] = mapped_column(String(10), primary_key=True)
    clients: Mapped[int] = mapped_column(BigInteger, default=0)


class HqFreshness(Base):
    """How far the read model has come, per event type: the newest event
    applied and how long after it happened it was applied."""

    __tablename__ = "hq_freshness"
    event_type: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lag_ms: Mapped[int] = mapped_column(BigInteger)
    applied: Mapped[int] = mapped_column(BigInteger, default=0)


# --- data HQ and the stores record here (never rebuilt) -------------------------------------

class HqFxRate(Base):
    """``rate`` units of the reporting currency buy one unit of ``currency``."""

    __tablename__ = "hq_fx_rates"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    currency: Mapped[str] = mapped_column(String(3))
    reporting_currency: Mapped[str] = mapped_column(String(3))
    rate = mapped_column(Numeric(24, 12))
    effective_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HqTransferRequest(Base):
    """A store asks another store for a piece; the owning store's manager
    ships it with ``POST /transfers`` (``transfer.shipped`` closes the request)."""

    __tablename__ = "hq_transfer_requests"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True, default=new_id)
    item_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    tag: Mapped[str | None] = mapped_column(String(16))
    from_store_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    to_store_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, shipped, received, declined
    note: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(String(64))
    requested_role: Mapped[str | None] = mapped_column(String(20))
    transfer_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    history = mapped_column(JSONB, default=list)   # [{at, change, actor_id, actor_role, store_id}]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HqOverdueMemo(Base):
    """A memo past its due date and not yet settled, from inventory's daily
    ``memo.overdue``; ``memo.closed`` settles it. Either may come first: a
    settled memo (``closed_at``) is never made overdue again."""

    __tablename__ = "hq_overdue_memos"
    memo_id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    store_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    direction: Mapped[str | None] = mapped_column(String(3))
    counterparty: Mapped[str | None] = mapped_column(String(200))
    due_date: Mapped[date | None] = mapped_column(Date)
    pieces: Mapped[int] = mapped_column(Integer, default=0)
    noticed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
