"""Stones and certificates, vendors, holds, transfers, stock counts, memos,
metal prices, price guard, and the search indexes.

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

U = UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "vendors",
        sa.Column("id", U, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("contact", JSONB, nullable=False, server_default="{}"),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
    )
    op.add_column("items", sa.Column("total_carat", sa.Numeric(8, 3)))
    op.add_column("items", sa.Column("hold_reason", sa.String(20)))
    op.add_column("items", sa.Column("hold_ref", U))
    op.add_column("items", sa.Column("pricing", JSONB))
    op.add_column("items", sa.Column("search_text", sa.Text, nullable=False, server_default=""))
    op.create_foreign_key("fk_items_vendor_id_vendors", "items", "vendors", ["vendor_id"], ["id"])
    op.create_check_constraint(
        "ck_items_status_known", "items",
        "status IN ('in_stock','reserved','sold','in_transit','on_memo_out','returned_to_vendor','missing')")
    op.drop_index("ix_items_store_status", "items")
    op.execute("CREATE INDEX ix_items_store_status_received ON items "
               "(store_id, status, received_at DESC, id DESC)")
    op.execute("CREATE INDEX ix_items_status_received ON items (status, received_at DESC, id DESC)")
    op.execute("CREATE INDEX ix_items_search_trgm ON items USING gin (search_text gin_trgm_ops)")
    op.create_index("ix_items_hold_ref", "items", ["hold_ref"])

    op.create_table(
        "stones",
        sa.Column("id", U, primary_key=True),
        sa.Column("item_id", U, sa.ForeignKey("items.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("shape", sa.String(20)),
        sa.Column("carat", sa.Numeric(8, 3), nullable=False),
        sa.Column("color", sa.String(20)),
        sa.Column("clarity", sa.String(10)),
        sa.Column("cut", sa.String(20)),
        sa.Column("cert_lab", sa.String(10)),
        sa.Column("cert_number", sa.String(40)),
        sa.CheckConstraint("carat > 0", name="carat_positive"),
    )
    op.create_index("ix_stones_item_id", "stones", ["item_id"])
    op.execute("CREATE UNIQUE INDEX uq_stones_certificate ON stones (cert_lab, cert_number) "
               "WHERE cert_number IS NOT NULL")

    op.create_table(
        "sale_holds",
        sa.Column("sale_id", U, primary_key=True),
        sa.Column("item_id", U, sa.ForeignKey("items.id"), primary_key=True),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_sale_holds_item_id", "sale_holds", ["item_id"])

    op.create_table(
        "reservations",
        sa.Column("id", U, primary_key=True),
        sa.Column("item_id", U, sa.ForeignKey("items.id"), nullable=False),
        sa.Column("store_id", U, nullable=False),
        sa.Column("client_id", U, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("ended_at", TS),
    )
    op.execute("CREATE INDEX ix_reservations_active_expiry ON reservations (expires_at) "
               "WHERE state = 'active'")

    op.create_table(
        "transfers",
        sa.Column("id", U, primary_key=True),
        sa.Column("from_store_id", U, nullable=False),
        sa.Column("to_store_id", U, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("item_ids", JSONB, nullable=False),
        sa.Column("shipped_by", sa.String(64)),
        sa.Column("shipped_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("received_by", sa.String(64)),
        sa.Column("received_at", TS),
    )
    op.create_table(
        "stock_counts",
        sa.Column("id", U, primary_key=True),
        sa.Column("store_id", U, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("opened_by", sa.String(64)),
        sa.Column("opened_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("closed_at", TS),
        sa.Column("result", JSONB),
    )
    op.create_table(
        "stock_count_scans",
        sa.Column("count_id", U, sa.ForeignKey("stock_counts.id"), primary_key=True),
        sa.Column("tag", sa.String(16), primary_key=True),
        sa.Column("scanned_at", TS, server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "memos",
        sa.Column("id", U, primary_key=True),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("store_id", U, nullable=False),
        sa.Column("counterparty", sa.String(200), nullable=False),
        sa.Column("vendor_id", U),
        sa.Column("item_ids", JSONB, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("overdue_notified_on", sa.Date),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
    )
    op.execute("CREATE INDEX ix_memos_open_due ON memos (due_date) WHERE status = 'open'")
    op.create_table(
        "metal_prices",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("metal", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("price_per_gram", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "price_change_requests",
        sa.Column("id", U, primary_key=True),
        sa.Column("item_id", U, sa.ForeignKey("items.id"), nullable=False),
        sa.Column("store_id", U, nullable=False),
        sa.Column("old_amount", sa.BigInteger, nullable=False),
        sa.Column("new_amount", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", TS),
    )


def downgrade():
    for table in ("price_change_requests", "metal_prices", "memos", "stock_count_scans",
                  "stock_counts", "transfers", "reservations", "sale_holds", "stones"):
        op.drop_table(table)
    op.execute("DROP INDEX IF EXISTS ix_items_search_trgm")
    op.execute("DROP INDEX IF EXISTS ix_items_status_received")
    op.execute("DROP INDEX IF EXISTS ix_items_store_status_received")
    op.drop_index("ix_items_hold_ref", "items")
    op.create_index("ix_items_store_status", "items", ["store_id", "status"])
    op.drop_constraint("ck_items_status_known", "items")
    op.drop_constraint("fk_items_vendor_id_vendors", "items")
    for col in ("search_text", "pricing", "hold_ref", "hold_reason", "total_carat"):
        op.drop_column("items", col)
    op.drop_table("vendors")
