"""HQ reporting: the read model fed by events, exchange rates, transfer requests.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "hq_pieces",
        sa.Column("item_id", ID, primary_key=True),
        sa.Column("tag", sa.String(16)),
        sa.Column("store_id", ID),
        sa.Column("status", sa.String(20)),
        sa.Column("status_at", TS),
        sa.Column("category", sa.String(20)),
        sa.Column("description", sa.Text),
        sa.Column("metal_type", sa.String(20)),
        sa.Column("ownership", sa.String(20)),
        sa.Column("currency", sa.String(3)),
        sa.Column("cost_amount", sa.BigInteger),
        sa.Column("price_amount", sa.BigInteger),
        sa.Column("price_at", TS),
        sa.Column("received_at", TS),
        sa.Column("sold_at", TS),
        sa.Column("sale_id", ID),
    )
    op.create_index("ix_hq_pieces_tag", "hq_pieces", ["tag"])
    op.create_index("ix_hq_pieces_store_status", "hq_pieces", ["store_id", "status"])

    op.create_table(
        "hq_stock_totals",
        sa.Column("store_id", ID, primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("ownership", sa.String(20), primary_key=True),
        sa.Column("pieces", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("cost", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("retail", sa.BigInteger, nullable=False, server_default="0"),
    )

    op.create_table(
        "hq_sales",
        sa.Column("sale_id", ID, primary_key=True),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("completed_at", TS, nullable=False),
        sa.Column("associate_id", sa.String(64)),
        sa.Column("client_id", ID),
        sa.Column("receipt_number", sa.String(40)),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("subtotal", sa.BigInteger, nullable=False),
        sa.Column("tax", sa.BigInteger, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "hq_sale_lines",
        sa.Column("sale_id", ID, primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("completed_at", TS, nullable=False),
        sa.Column("local_day", sa.Date, nullable=False),
        sa.Column("associate_id", sa.String(64)),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("item_id", ID),
        sa.Column("category", sa.String(20)),
        sa.Column("metal_type", sa.String(20)),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("discount", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("tax", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("cost", sa.BigInteger),
    )
    op.create_index("ix_hq_sale_lines_completed_at", "hq_sale_lines", ["completed_at"])
    op.create_index("ix_hq_sale_lines_local_day", "hq_sale_lines", ["local_day", "store_id"])
    op.create_index("ix_hq_sale_lines_item", "hq_sale_lines", ["item_id", "sale_id"])
    op.create_table(
        "hq_returns",
        sa.Column("return_id", ID, primary_key=True),
        sa.Column("sale_id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("returned_at", TS, nullable=False),
        sa.Column("local_day", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("refund", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_hq_returns_returned_at", "hq_returns", ["returned_at"])
    op.create_index("ix_hq_returns_local_day", "hq_returns", ["local_day", "store_id"])
    op.create_table(
        "hq_returned_items",
        sa.Column("return_id", ID, primary_key=True),
        sa.Column("item_id", ID, primary_key=True),
        sa.Column("sale_id", ID, nullable=False),
    )

    op.create_table(
        "hq_work_orders",
        sa.Column("work_order_id", ID, primary_key=True),
        sa.Column("store_id", ID),
        sa.Column("number", sa.String(40)),
        sa.Column("kind", sa.String(20)),
        sa.Column("stage", sa.String(30)),
        sa.Column("stage_at", TS),
        sa.Column("promised_date", sa.Date),
        sa.Column("created_at", TS),
    )
    op.create_index("ix_hq_work_orders_open", "hq_work_orders", ["store_id", "promised_date"],
                    postgresql_where=sa.text("stage NOT IN ('picked_up', 'cancelled')"))

    op.create_table(
        "hq_clients",
        sa.Column("client_id", ID, primary_key=True),
        sa.Column("known", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("merged", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("home_store_id", ID),
        sa.Column("facts_at", TS),
        sa.Column("tier", sa.String(10)),
        sa.Column("tier_at", TS),
    )
    op.create_table(
        "hq_client_tiers",
        sa.Column("store_id", ID, primary_key=True),
        sa.Column("tier", sa.String(10), primary_key=True),
        sa.Column("clients", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "hq_freshness",
        sa.Column("event_type", sa.String(100), primary_key=True),
        sa.Column("last_occurred_at", TS, nullable=False),
        sa.Column("last_applied_at", TS, nullable=False),
        sa.Column("lag_ms", sa.BigInteger, nullable=False),
        sa.Column("applied", sa.BigInteger, nullable=False, server_default="0"),
    )

    op.create_table(
        "hq_fx_rates",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reporting_currency", sa.String(3), nullable=False),
        sa.Column("rate", sa.Numeric(24, 12), nullable=False),
        sa.Column("effective_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("rate > 0", name="ck_hq_fx_rates_positive"),
    )
    op.create_index("ix_hq_fx_rates_currency", "hq_fx_rates",
                    ["reporting_currency", "currency", "effective_at"])
    op.create_table(
        "hq_transfer_requests",
        sa.Column("id", ID, primary_key=True),
        sa.Column("item_id", ID, nullable=False),
        sa.Column("tag", sa.String(16)),
        sa.Column("from_store_id", ID, nullable=False),
        sa.Column("to_store_id", ID, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("note", sa.Text),
        sa.Column("requested_by", sa.String(64)),
        sa.Column("requested_role", sa.String(20)),
        sa.Column("transfer_id", ID),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("reason", sa.Text),
        sa.Column("history", JSONB, nullable=False, server_default="[]"),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'shipped', 'received', 'declined')",
                           name="ck_hq_transfer_requests_status"),
    )
    op.create_index("ix_hq_transfer_requests_from", "hq_transfer_requests",
                    ["from_store_id", "created_at"])
    op.create_index("ix_hq_transfer_requests_to", "hq_transfer_requests",
                    ["to_store_id", "created_at"])
    op.create_index("ix_hq_transfer_requests_item", "hq_transfer_requests", ["item_id"])


def downgrade():
    for table in ("hq_transfer_requests", "hq_fx_rates", "hq_freshness", "hq_client_tiers",
                  "hq_clients", "hq_work_orders", "hq_returned_items", "hq_returns",
                  "hq_sale_lines", "hq_sales", "hq_stock_totals", "hq_pieces"):
        op.drop_table(table)
