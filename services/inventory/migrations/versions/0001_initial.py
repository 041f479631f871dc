"""Stores, items, item history, and the runtime's outbox and inbox.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from chassis.tables import create_runtime_tables, drop_runtime_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_runtime_tables(op)
    op.create_table(
        "stores",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("tax_rate_bps", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "items",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("tag", sa.String(16), nullable=False, unique=True),
        sa.Column("store_id", UUID(as_uuid=False), sa.ForeignKey("stores.id"), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("metal_type", sa.String(20)),
        sa.Column("karat", sa.Integer),
        sa.Column("fineness", sa.Integer),
        sa.Column("metal_color", sa.String(40)),
        sa.Column("weight_g", sa.Numeric(10, 3)),
        sa.Column("vendor_id", UUID(as_uuid=False)),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("cost_amount", sa.BigInteger),
        sa.Column("price_amount", sa.BigInteger, nullable=False),
        sa.Column("ownership", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attributes", JSONB, nullable=False, server_default="{}"),
        sa.Column("photos", JSONB, nullable=False, server_default="[]"),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("price_amount >= 0", name="price_not_negative"),
        sa.CheckConstraint("cost_amount IS NULL OR cost_amount >= 0", name="cost_not_negative"),
        sa.CheckConstraint("weight_g IS NULL OR weight_g > 0", name="weight_positive"),
    )
    op.create_index("ix_items_store_status", "items", ["store_id", "status"])
    op.create_table(
        "item_history",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("item_id", UUID(as_uuid=False), sa.ForeignKey("items.id"), nullable=False),
        sa.Column("change", sa.String(40), nullable=False),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20)),
        sa.Column("details", JSONB, nullable=False, server_default="{}"),
        sa.Column("actor_id", sa.String(64)),
        sa.Column("actor_role", sa.String(32)),
        sa.Column("store_id", UUID(as_uuid=False)),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_item_history_item_id", "item_history", ["item_id"])


def downgrade():
    op.drop_table("item_history")
    op.drop_table("items")
    op.drop_table("stores")
    drop_runtime_tables(op)
