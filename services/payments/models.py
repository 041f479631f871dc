"""Payments tables. Money is integer minor units with its currency; times UTC
(docs/ARCHITECTURE.md#rule-6).

A *tender* is one way a client pays (one card, the cash, a gift card...).
It belongs to a sale, a layaway or a work-order deposit, and carries its own
idempotency key (``"{owner_id}:{index}"``) from which every Stripe call's
key is derived. Every refund is a ``tender_refunds`` row tied to the tender
it gives money back on.
"""
import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, MetaData, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

U = UUID(as_uuid=False)
TS = DateTime(timezone=True)


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
    """Store facts from the gateway's ``store.*`` events."""

    __tablename__ = "stores"
    id: Mapped[str] = mapped_column(U, primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    tax_rate_bps: Mapped[int] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(2))
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(40))
    hours: Mapped[str | None] = mapped_column(String(200))   # opening hours, as the store writes them
    last_receipt: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class Sale(Base):
    __tablename__ = "sales"
    # a key is its caller's: unique per store and user (docs/API.md#sales-and-payments)
    __table_args__ = (UniqueConstraint("store_id", "created_by", "idempotency_key",
                                       name="uq_sales_idempotency_key_scoped"),)
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(U)
    client_id: Mapped[str | None] = mapped_column(U)
    associate_id: Mapped[str | None] = mapped_column(String(64))
    associate_role: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[str | None] = mapped_column(String(64))   # who made it (its key's scope)
    register: Mapped[str] = mapped_column(String(40), default="main")
    # pending -> completed | compensating -> failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    failure_code: Mapped[str | None] = mapped_column(String(40))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    gross: Mapped[int] = mapped_column(BigInteger)
    discount_total: Mapped[int] = mapped_column(BigInteger)
    subtotal: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    tax_rate_bps: Mapped[int] = mapped_column(Integer)
    tax_exempt_id: Mapped[str | None] = mapped_column(String(64))
    receipt_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    layaway_id: Mapped[str | None] = mapped_column(U)
    reserved_at: Mapped[datetime | None] = mapped_column(TS)
    pieces_confirmed_at: Mapped[datetime | None] = mapped_column(TS)
    followups_done_at: Mapped[datetime | None] = mapped_column(TS)
    lease_until: Mapped[datetime | None] = mapped_column(TS)
    step: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
    completed_at: Mapped[datetime | None] = mapped_column(TS)
    failed_at: Mapped[datetime | None] = mapped_column(TS)


class SaleLine(Base):
    __tablename__ = "sale_lines"
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    sale_id: Mapped[str] = mapped_column(U)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))   # item, work_order, free, gift_card
    item_id: Mapped[str | None] = mapped_column(U)
    work_order_id: Mapped[str | None] = mapped_column(U)
    description: Mapped[str] = mapped_column(Text, default="")
    list_amount: Mapped[int] = mapped_column(BigInteger)
    discount_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_reason: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)          # after discount, before tax
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    taxable: Mapped[bool] = mapped_column(Boolean, default=True)
    cost_amount: Mapped[int | None] = mapped_column(BigInteger)
    category: Mapped[str | None] = mapped_column(String(20))
    metal_type: Mapped[str | None] = mapped_column(String(20))
    tag: Mapped[str | None] = mapped_column(String(16))
    # the piece as the receipt describes it for insurance, captured when priced
    # (receipt_content.insurance_facts): metal, stones, certificates
    insurance: Mapped[dict | None] = mapped_column(JSONB)
    gift_card_id: Mapped[str | None] = mapped_column(U)
    return_id: Mapped[str | None] = mapped_column(U)


class Tender(Base):
    __tablename__ = "tenders"
    # a key is its caller's: unique per store and user (docs/API.md#sales-and-payments)
    __table_args__ = (UniqueConstraint("store_id", "created_by", "request_key",
                                       name="uq_tenders_request_key_scoped"),)
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(120), unique=True)   # "{owner_id}:{index}"
    position: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(20))   # sale, layaway, deposit
    sale_id: Mapped[str | None] = mapped_column(U)
    layaway_id: Mapped[str | None] = mapped_column(U)
    work_order_id: Mapped[str | None] = mapped_column(U)
    store_id: Mapped[str] = mapped_column(U)
    client_id: Mapped[str | None] = mapped_column(U)
    register: Mapped[str] = mapped_column(String(40), default="main")
    method: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)          # in the store's currency
    currency: Mapped[str] = mapped_column(String(3))
    charge_amount: Mapped[int] = mapped_column(BigInteger)   # what the card is charged
    charge_currency: Mapped[str] = mapped_column(String(3))
    fx_rate: Mapped[str | None] = mapped_column(String(40))
    cash_received: Mapped[int | None] = mapped_column(BigInteger)
    change_due: Mapped[int | None] = mapped_column(BigInteger)
    payment_method: Mapped[str | None] = mapped_column(String(100))
    reader_id: Mapped[str | None] = mapped_column(U)    # a card taken on this store's reader
    next_action = mapped_column(JSONB)      # the cardholder's next step (a tap, 3-D Secure)
    gift_card_id: Mapped[str | None] = mapped_column(U)
    points: Mapped[int | None] = mapped_column(BigInteger)
    # pending -> authorized -> captured -> refunded ; failed, voided
    state: Mapped[str] = mapped_column(String(20), default="pending")
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    provider_intent_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    provider_charge_id: Mapped[str | None] = mapped_column(String(100))
    provider_status: Mapped[str | None] = mapped_column(String(40))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    disputed_at: Mapped[datetime | None] = mapped_column(TS)
    drawer_id: Mapped[str | None] = mapped_column(U)
    request_key: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str | None] = mapped_column(String(64))   # who sent request_key
    request_hash: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(TS)
    applied_at: Mapped[datetime | None] = mapped_column(TS)   # a single payment booked
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
    captured_at: Mapped[datetime | None] = mapped_column(TS)


class TerminalLocation(Base):
    """A store's Stripe Terminal location (made with its first reader)."""

    __tablename__ = "terminal_locations"
    store_id: Mapped[str] = mapped_column(U, primary_key=True)
    stripe_location_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(TS)


class TerminalReader(Base):
    """A card reader registered to a store (server-driven Stripe Terminal)."""

    __tablename__ = "terminal_readers"
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(U)
    stripe_reader_id: Mapped[str] = mapped_column(String(100), unique=True)
    stripe_location_id: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(100))
    device_type: Mapped[str | None] = mapped_column(String(60))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TS)


class TenderRefund(Base):
    __tablename__ = "tender_refunds"
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    tender_id: Mapped[str] = mapped_column(U)
    reason: Mapped[str] = mapped_column(String(40))    # compensation, return, layaway_cancel, provider
    return_id: Mapped[str | None] = mapped_column(U)
    amount: Mapped[int] = mapped_column(BigInteger)
    charge_amount: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(20), default="pending")   # pending, succeeded
    provider_refund_id: Mapped[str | None] = mapped_column(String(100))
    drawer_id: Mapped[str | None] = mapped_column(U)
    created_at: Mapped[datetime] = mapped_column(TS)
    done_at: Mapped[datetime | None] = mapped_column(TS)


class Return(Base):
    __tablename__ = "returns"
    # a key is its caller's: unique per store and user (docs/API.md#sales-and-payments)
    __table_args__ = (UniqueConstraint("store_id", "created_by", "idempotency_key",
                                       name="uq_returns_idempotency_key_scoped"),)
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    sale_id: Mapped[str] = mapped_column(U)
    store_id: Mapped[str] = mapped_column(U)
    client_id: Mapped[str | None] = mapped_column(U)
    item_ids = mapped_column(JSONB, default=list)
    refund_method: Mapped[str] = mapped_column(String(20))   # original, store_credit
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending, completed
    plan = mapped_column(JSONB, default=list)   # [{tender_id|store_credit, amount}]
    stock_returned_at: Mapped[datetime | None] = mapped_column(TS)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TS)
    completed_at: Mapped[datetime | None] = mapped_column(TS)


class Layaway(Base):
    __tablename__ = "layaways"
    # a key is its caller's: unique per store and user (docs/API.md#sales-and-payments)
    __table_args__ = (UniqueConstraint("store_id", "created_by", "idempotency_key",
                                       name="uq_layaways_idempotency_key_scoped"),)
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(U)
    client_id: Mapped[str] = mapped_column(U)
    associate_id: Mapped[str | None] = mapped_column(String(64))
    associate_role: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[str | None] = mapped_column(String(64))   # who made it (its key's scope)
    # pending -> active -> completed | cancelled ; pending -> failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    failure_reason: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    lines = mapped_column(JSONB, default=list)
    subtotal: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    installments: Mapped[int] = mapped_column(Integer)
    interval_days: Mapped[int] = mapped_column(Integer)
    next_tender: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    reserved_at: Mapped[datetime | None] = mapped_column(TS)
    released_at: Mapped[datetime | None] = mapped_column(TS)
    cancel_policy: Mapped[str | None] = mapped_column(String(20))
    cancel_plan = mapped_column(JSONB, default=list)
    register: Mapped[str] = mapped_column(String(40), default="main")
    tax_exempt_id: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(TS)
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
    completed_at: Mapped[datetime | None] = mapped_column(TS)
    cancelled_at: Mapped[datetime | None] = mapped_column(TS)


class Installment(Base):
    __tablename__ = "layaway_installments"
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    layaway_id: Mapped[str] = mapped_column(U)
    number: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    reminded_at: Mapped[datetime | None] = mapped_column(TS)


class GiftCard(Base):
    __tablename__ = "gift_cards"
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    initial_amount: Mapped[int] = mapped_column(BigInteger)
    balance: Mapped[int] = mapped_column(BigInteger)
    store_id: Mapped[str] = mapped_column(U)
    sale_id: Mapped[str | None] = mapped_column(U)
    client_id: Mapped[str | None] = mapped_column(U)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(TS)


class GiftCardMovement(Base):
    __tablename__ = "gift_card_movements"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    gift_card_id: Mapped[str] = mapped_column(U)
    kind: Mapped[str] = mapped_column(String(20))   # issued, redeemed, refunded
    amount: Mapped[int] = mapped_column(BigInteger)  # signed: + adds to the balance
    tender_id: Mapped[str | None] = mapped_column(U)
    ref: Mapped[str] = mapped_column(String(200), unique=True)
    at: Mapped[datetime] = mapped_column(TS)
    actor_id: Mapped[str | None] = mapped_column(String(64))


class StoreCredit(Base):
    __tablename__ = "store_credit_accounts"
    client_id: Mapped[str] = mapped_column(U, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)


class StoreCreditMovement(Base):
    __tablename__ = "store_credit_movements"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(U)
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(20))    # issued, redeemed, refunded
    amount: Mapped[int] = mapped_column(BigInteger)  # signed
    ref: Mapped[str] = mapped_column(String(200), unique=True)
    store_id: Mapped[str | None] = mapped_column(U)
    at: Mapped[datetime] = mapped_column(TS)
    actor_id: Mapped[str | None] = mapped_column(String(64))


class Drawer(Base):
    __tablename__ = "drawers"
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(U)
    register: Mapped[str] = mapped_column(String(40))
    business_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    float_amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="open")
    counted: Mapped[int | None] = mapped_column(BigInteger)
    expected: Mapped[int | None] = mapped_column(BigInteger)
    over_short: Mapped[int | None] = mapped_column(BigInteger)
    opened_by: Mapped[str | None] = mapped_column(String(64))
    closed_by: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(TS)
    closed_at: Mapped[datetime | None] = mapped_column(TS)


class DrawerMovement(Base):
    __tablename__ = "drawer_movements"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    drawer_id: Mapped[str] = mapped_column(U)
    kind: Mapped[str] = mapped_column(String(20))   # cash_in, cash_out, sale, refund
    amount: Mapped[int] = mapped_column(BigInteger)  # signed
    reason: Mapped[str | None] = mapped_column(String(200))
    tender_id: Mapped[str | None] = mapped_column(U)
    at: Mapped[datetime] = mapped_column(TS)
    actor_id: Mapped[str | None] = mapped_column(String(64))


class CashPayment(Base):
    """Cash (Form 8300 sense) received from an identified client."""

    __tablename__ = "compliance_cash_payments"
    tender_id: Mapped[str] = mapped_column(U, primary_key=True)
    client_id: Mapped[str] = mapped_column(U)
    store_id: Mapped[str] = mapped_column(U)
    method: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)      # USD cents
    received_at: Mapped[datetime] = mapped_column(TS)
    sale_id: Mapped[str | None] = mapped_column(U)
    case_id: Mapped[str | None] = mapped_column(U)


class CashReportCase(Base):
    __tablename__ = "compliance_cases"
    id: Mapped[str] = mapped_column(U, primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(U)
    store_id: Mapped[str] = mapped_column(U)
    total_cash: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    sale_ids = mapped_column(JSONB, default=list)
    tender_ids = mapped_column(JSONB, default=list)
    first_payment_at: Mapped[datetime] = mapped_column(TS)
    triggered_at: Mapped[datetime] = mapped_column(TS)
    due_date: Mapped[date] = mapped_column(Date)
    structuring_suspected: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(TS)


class StripeEvent(Base):
    __tablename__ = "stripe_events"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(TS)


class History(Base):
    """Who changed what, when, from which store."""

    __tablename__ = "payment_history"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(64))
    change: Mapped[str] = mapped_column(String(60))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(40))
    store_id: Mapped[str | None] = mapped_column(U)
    details = mapped_column(JSONB, default=dict)
    at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
