"""The store's country, kept from ``store.*`` events: the repair envelope,
the appraisal and the tracking page print money in the store's locale
(``chassis.display.locale_for``). Stores recorded before this revision have
none (en_US) until their next ``store.updated``.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("stores", sa.Column("country", sa.String(2)))


def downgrade():
    op.drop_column("stores", "country")
