"""Overdue memos on HQ's screen (``hq_overdue_memos``, from ``memo.overdue``
and ``memo.closed``).

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hq_overdue_memos",
        sa.Column("memo_id", UUID(as_uuid=False), primary_key=True),
        sa.Column("store_id", UUID(as_uuid=False), nullable=False),
        sa.Column("direction", sa.String(3)),
        sa.Column("counterparty", sa.String(200)),
        sa.Column("due_date", sa.Date),
        sa.Column("pieces", sa.Integer, nullable=False, server_default="0"),
        sa.Column("noticed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("hq_overdue_memos_open", "hq_overdue_memos", ["store_id"],
                    postgresql_where=sa.text("closed_at IS NULL"))


def downgrade():
    op.drop_table("hq_overdue_memos")
