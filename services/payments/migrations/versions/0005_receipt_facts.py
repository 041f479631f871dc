"""What a receipt prints without asking anyone (issue 20): the store's
opening hours (from ``store.*`` events) and, on each sale line, the piece
as an insurance description captured when the sale was priced (metal,
stones, certificates: ``receipt_content.insurance_facts``). Lines sold
before have none: their receipts print as before.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("stores", sa.Column("hours", sa.String(length=200), nullable=True))
    op.add_column("sale_lines", sa.Column("insurance", JSONB, nullable=True))


def downgrade():
    op.drop_column("sale_lines", "insurance")
    op.drop_column("stores", "hours")
