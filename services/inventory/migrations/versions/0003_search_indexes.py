"""Indexes for search at chain scale (1,000,000 pieces in 500 stores).

Every search is ordered newest-received first with a LIMIT, so each index
ends in (received_at DESC, id DESC): the planner walks one in order and stops
after a page. Measured with scripts/seed_large.py and EXPLAIN ANALYZE: the
common filtered searches read a first page in under 25 ms.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_items_received": "(received_at DESC, id DESC)",
    "ix_items_category_status_received": "(category, status, received_at DESC, id DESC)",
    "ix_items_metal_status_received": "(metal_type, karat, status, received_at DESC, id DESC)",
    "ix_items_category_metal_received": "(category, metal_type, received_at DESC, id DESC)",
}


def upgrade():
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON items {columns}")


def downgrade():
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
