"""Stripe Terminal (issue 20): a store's card readers (``terminal_readers``)
and its Terminal location (``terminal_locations``, made on the first
reader's registration); a card tender taken on a reader names it
(``tenders.reader_id``), and a card that waits for the cardholder (a tap on
the reader, an authentication) keeps its next step (``tenders.next_action``).

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "terminal_locations",
        sa.Column("store_id", postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column("stripe_location_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_terminal_locations")),
    )
    op.create_table(
        "terminal_readers",
        sa.Column("id", postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column("store_id", postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column("stripe_reader_id", sa.String(length=100), nullable=False),
        sa.Column("stripe_location_id", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("device_type", sa.String(length=60), nullable=True),
        sa.Column("serial_number", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_readers")),
        sa.UniqueConstraint("stripe_reader_id", name=op.f("uq_terminal_readers_stripe_reader_id")),
    )
    op.create_index("ix_terminal_readers_store", "terminal_readers", ["store_id", "label"])
    op.add_column("tenders", sa.Column("reader_id", postgresql.UUID(as_uuid=False), nullable=True))
    op.add_column("tenders", sa.Column("next_action", postgresql.JSONB(), nullable=True))


def downgrade():
    op.drop_column("tenders", "next_action")
    op.drop_column("tenders", "reader_id")
    op.drop_index("ix_terminal_readers_store", table_name="terminal_readers")
    op.drop_table("terminal_readers")
    op.drop_table("terminal_locations")
