"""The runtime's outbox and inbox.

Revision ID: 0001
Revises:
"""
from alembic import op

from chassis.tables import create_runtime_tables, drop_runtime_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_runtime_tables(op)


def downgrade():
    drop_runtime_tables(op)
