"""A sale's or layaway's hold carries the time it lapses (``expires_at``):
the sweeper releases a ``reserved`` hold past it, so a reservation that
committed after its sale gave up cannot hold a piece forever. Holds of sales
already reserved expire SALE_HOLD_MINUTES' default (30) after they were made;
those of layaways are kept (None), as an open layaway's are.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("sale_holds", sa.Column("expires_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE sale_holds SET expires_at = created_at + interval '30 minutes' "
               "WHERE state = 'reserved' AND reason = 'sale'")
    # the sweeper's question: the reserved holds due first
    op.create_index("ix_sale_holds_due", "sale_holds", ["expires_at"],
                    postgresql_where=sa.text("state = 'reserved' AND expires_at IS NOT NULL"))


def downgrade():
    op.drop_index("ix_sale_holds_due", table_name="sale_holds")
    op.drop_column("sale_holds", "expires_at")
