"""The store's country, kept from ``store.*`` events: a tag label prints its
money in the store's locale (``chassis.display.locale_for``). Stores recorded
before this revision have none (en_US) until their next ``store.updated``.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("stores", sa.Column("country", sa.String(2)))


def downgrade():
    op.drop_column("stores", "country")
