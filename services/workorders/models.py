"""Work orders tables (this service's own database:
docs/ARCHITECTURE.md#rule-1). A job is a row of ``work_orders``; every change of a
job is a row of ``work_order_history``. Stores and clients are the facts
this service keeps from the gateway's and crm's events."""
import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, MetaData, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

U = UUID(as_uuid=False)


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
    """Store facts from ``store.created/updated`` (gateway)."""

    __tablename__ = "stores"
    id: Mapped[str] = mapped_column(U, primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2))   # ISO 3166 alpha-2: its locale
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(Text)
    facts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Client(Base):
    """Client facts from ``client.created/updated/merged`` (crm)."""

    __tablename__ = "clients"
    id: Mapped[str] = mapped_column(U, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(320))
    merged_into: Mapped[str | None] = mapped_column(U)
    facts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JobCounter(Base):
    """The last job number given out per store (gapless: same transaction)."""

    __tablename__ = "job_counters"
    store_id: Mapped[str] = mapped_column(U, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class RepairPrice(Base):
    """The chain's repair price list, one line per task and currency."""

    __tablename__ = "repair_prices"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(10))
    price_amount: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str | None] = mapped_column(String(64))


class RepairPriceChange(Base):
    __tablename__ = "repair_price_changes"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    before = mapped_column(JSONB(none_as_null=True))
    after = mapped_column(JSONB)
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    store_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WorkOrder(Base):
    __tablename__ = "work_orders"
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    store_id: Mapped[str] = mapped_column(U)
    client_id: Mapped[str] = mapped_column(U)
    kind: Mapped[str] = mapped_column(String(20))
    item_description: Mapped[str] = mapped_column(Text)
    condition_notes: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str] = mapped_column(String(30))
    assignee_id: Mapped[str | None] = mapped_column(String(64))
    assignee_name: Mapped[str | None] = mapped_column(String(100))
    promised_date: Mapped[date] = mapped_column(Date)
    rush: Mapped[bool] = mapped_column(Boolean, default=False)
    estimate_required: Mapped[bool] = mapped_column(Boolean)
    currency: Mapped[str] = mapped_column(String(3))
    tasks_total: Mapped[int] = mapped_column(BigInteger, default=0)
    estimate_amount: Mapped[int | None] = mapped_column(BigInteger)
    estimate_note: Mapped[str | None] = mapped_column(Text)
    estimated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    estimated_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_via: Mapped[str | None] = mapped_column(String(20))
    paid_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_sale_id: Mapped[str | None] = mapped_column(U)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tracking_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    stage_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overdue_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Task(Base):
    __tablename__ = "work_order_tasks"
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    work_order_id: Mapped[str] = mapped_column(U)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    text: Mapped[str | None] = mapped_column(String(200))
    unit_amount: Mapped[int | None] = mapped_column(BigInteger)
    amount: Mapped[int | None] = mapped_column(BigInteger)


class Photo(Base):
    __tablename__ = "work_order_photos"
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    work_order_id: Mapped[str] = mapped_column(U)
    position: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    caption: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(String(20), default="intake")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(String(64))


class History(Base):
    """Every change of a job: who, in which role, from which store, when."""

    __tablename__ = "work_order_history"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    work_order_id: Mapped[str] = mapped_column(U)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    actor_name: Mapped[str | None] = mapped_column(String(100))
    store_id: Mapped[str | None] = mapped_column(String(64))
    change: Mapped[str] = mapped_column(String(30))
    from_stage: Mapped[str | None] = mapped_column(String(30))
    to_stage: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    details = mapped_column(JSONB, default=dict)


class Payment(Base):
    """Deposits and their refunds, from payments' events (one row each)."""

    __tablename__ = "work_order_payments"
    ref: Mapped[str] = mapped_column(String(80), primary_key=True)  # deposit:<payment_id> / refund:<id>
    work_order_id: Mapped[str] = mapped_column(U)
    payment_id: Mapped[str] = mapped_column(U)
    kind: Mapped[str] = mapped_column(String(10))  # deposit, refund
    method: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)  # a refund is negative
    currency: Mapped[str] = mapped_column(String(3))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PickupReminder(Base):
    """One row per job and threshold: the reminder went out (or was
    skipped for a later one) once."""

    __tablename__ = "pickup_reminders"
    work_order_id: Mapped[str] = mapped_column(U, primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Appraisal(Base):
    """An appraisal document; a new version each time it is redone."""

    __tablename__ = "appraisals"
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    work_order_id: Mapped[str] = mapped_column(U)
    version: Mapped[int] = mapped_column(Integer)
    document = mapped_column(JSONB)
    appraised_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(String(64))
