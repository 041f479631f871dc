"""The client book's tables. A merged client keeps its row, pointing at the
survivor (``merged_into``), so its old id still resolves."""
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Computed, Date, DateTime, ForeignKey, Integer, MetaData, String, Text, func
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
    """The store facts the client book needs, kept from ``store.*`` events."""

    __tablename__ = "stores"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Client(Base):
    __tablename__ = "clients"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True, default=new_id)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(
        Text, Computed("lower(first_name || ' ' || last_name)", persisted=True))
    phone: Mapped[str | None] = mapped_column(String(20))          # E.164
    email: Mapped[str | None] = mapped_column(String(254))         # lower case
    home_store_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    associate_id: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(10))
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sms_consent_source: Mapped[str | None] = mapped_column(String(40))
    email_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    email_consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    email_consent_source: Mapped[str | None] = mapped_column(String(40))
    ring_size: Mapped[str | None] = mapped_column(String(10))
    preferences = mapped_column(JSONB, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    tags = mapped_column(JSONB, default=list)
    tier: Mapped[str] = mapped_column(String(10), default="new")
    last_purchase_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    merged_into: Mapped[str | None] = mapped_column(UUID(as_uuid=False), ForeignKey("clients.id"))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())


class Milestone(Base):
    """Birthday, anniversary, engagement or a labelled custom date; the year
    may be unknown."""

    __tablename__ = "milestones"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(UUID(as_uuid=False), ForeignKey("clients.id"))
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str | None] = mapped_column(String(100))
    year: Mapped[int | None] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    day: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MilestoneNotice(Base):
    """``milestone.upcoming`` sent: once per client, milestone and occurrence."""

    __tablename__ = "milestone_notices"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    kind: Mapped[str] = mapped_column(String(20))
    label_key: Mapped[str] = mapped_column(String(100), default="")
    occurs_on = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Purchase(Base):
    """A sale (positive) or a return (negative) of a client, from payments."""

    __tablename__ = "purchases"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    kind: Mapped[str] = mapped_column(String(10))  # sale, return
    sale_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    return_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    store_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    associate_id: Mapped[str | None] = mapped_column(String(64))
    receipt_number: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    lines = mapped_column(JSONB, default=list)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LedgerEntry(Base):
    """Loyalty points: the balance is the sum of a client's entries."""

    __tablename__ = "loyalty_ledger"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(UUID(as_uuid=False), ForeignKey("clients.id"))
    kind: Mapped[str] = mapped_column(String(10))  # earn, redeem, expire, adjust
    points: Mapped[int] = mapped_column(BigInteger)
    sale_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    reason: Mapped[str | None] = mapped_column(String(200))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TimelineEntry(Base):
    __tablename__ = "timeline"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    summary: Mapped[str] = mapped_column(Text)
    store_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    ref_id: Mapped[str | None] = mapped_column(String(64))
    for_associate_id: Mapped[str | None] = mapped_column(String(64))
    details = mapped_column(JSONB, default=dict)


class Wish(Base):
    __tablename__ = "wishes"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(UUID(as_uuid=False), ForeignKey("clients.id"))
    item_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    description: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, fulfilled, removed
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())


class Appointment(Base):
    """A private viewing; an associate is never booked twice at once (an
    exclusion constraint in the database, see migration 0002)."""

    __tablename__ = "appointments"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(UUID(as_uuid=False), ForeignKey("clients.id"))
    store_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    staff_user_id: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    purpose: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default="booked")  # booked, cancelled
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProfileRead(Base):
    """Every read of a client's profile: who, when, which client, from where."""

    __tablename__ = "profile_reads"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    reader_id: Mapped[str | None] = mapped_column(String(64))
    reader_role: Mapped[str] = mapped_column(String(32))
    store_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    view: Mapped[str] = mapped_column(String(10))  # full, contact
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class History(Base):
    """Every change in the client book: who, when, from which store, what."""

    __tablename__ = "history"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    client_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    entity: Mapped[str] = mapped_column(String(20))   # client, appointment, wish, points
    entity_id: Mapped[str] = mapped_column(String(64))
    change: Mapped[str] = mapped_column(String(40))
    details = mapped_column(JSONB, default=dict)
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    store_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
