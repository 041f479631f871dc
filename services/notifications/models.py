"""Notifications tables. ``messages`` is both the record of every text,
e-mail and task and the outgoing queue the sender loop drains. The
service's own database (docs/ARCHITECTURE.md#rule-1): contacts, stores and
appointments are copies kept from other services' events."""
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, MetaData, String, Text, func
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


class Contact(Base):
    """How to reach a client, kept from crm's ``client.*`` events and from the
    client's own STOP/START replies."""

    __tablename__ = "contacts"
    client_id: Mapped[str] = mapped_column(U, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str | None] = mapped_column(String(10))
    home_store_id: Mapped[str | None] = mapped_column(U)
    associate_id: Mapped[str | None] = mapped_column(String(64))
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    email_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    email_consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    facts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OptOut(Base):
    """A number that replied STOP (or that Twilio reports unsubscribed): no
    text goes to it, whatever crm says, until it replies START."""

    __tablename__ = "sms_opt_outs"
    phone: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    keyword: Mapped[str | None] = mapped_column(String(20))
    opted_out_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Store(Base):
    """A store's name, phone, time zone (quiet hours, appointment times) and
    country (the locale its money is written in), kept from ``store.*``."""

    __tablename__ = "stores"
    id: Mapped[str] = mapped_column(U, primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(String(2))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Appointment(Base):
    __tablename__ = "appointments"
    id: Mapped[str] = mapped_column(U, primary_key=True)
    client_id: Mapped[str] = mapped_column(U)
    store_id: Mapped[str] = mapped_column(U)
    staff_user_id: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    purpose: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="booked")
    booked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reminder_queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Template(Base):
    """Wording of one trigger on one channel in one language, for the whole
    chain (``scope = 'chain'``) or one store (``scope = <store id>``)."""

    __tablename__ = "message_templates"
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    scope: Mapped[str] = mapped_column(String(40))
    store_id: Mapped[str | None] = mapped_column(U)
    trigger: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    direction: Mapped[str] = mapped_column(String(10), default="outbound")
    channel: Mapped[str] = mapped_column(String(10))                # sms, email, task
    trigger: Mapped[str] = mapped_column(String(40))
    trigger_key: Mapped[str | None] = mapped_column(String(100))    # the triggering event id
    recipient: Mapped[str] = mapped_column(String(120))             # client:<id>, store:<id>, ...
    client_id: Mapped[str | None] = mapped_column(U)
    store_id: Mapped[str | None] = mapped_column(U)
    work_order_id: Mapped[str | None] = mapped_column(U)
    appointment_id: Mapped[str | None] = mapped_column(U)
    associate_id: Mapped[str | None] = mapped_column(String(64))
    to_address: Mapped[str | None] = mapped_column(String(254))
    from_address: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=5)
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    slot_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_sid: Mapped[str | None] = mapped_column(String(200))
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    encoding: Mapped[str | None] = mapped_column(String(10))
    segments: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_by_role: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MessageEvent(Base):
    """Each step of a message: queued, deferred, sent, every delivery callback."""

    __tablename__ = "message_events"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(U)
    status: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))   # queue, provider, callback, system
    details = mapped_column(JSONB, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Sender(Base):
    """A from-number's (or Messaging Service's) next free sending slot: the
    rate limit, shared by every replica through its row lock."""

    __tablename__ = "senders"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_slot_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Audit(Base):
    """Who did what, when, from which store: staff messages, templates,
    campaigns, consent changes."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    store_id: Mapped[str | None] = mapped_column(U)
    details = mapped_column(JSONB, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
