"""A store's opening hours (issue 20), printed on its receipts and sent to
the services with ``store.created`` / ``store.updated``.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("stores", sa.Column("hours", sa.String(length=200), nullable=True))


def downgrade():
    op.drop_column("stores", "hours")
