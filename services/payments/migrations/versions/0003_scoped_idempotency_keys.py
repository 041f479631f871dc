"""Idempotency keys scoped to their caller (issue 17): a key is unique per
store and user, not across the chain, so store B's sale with a key store A
used is a new sale, not a 409. Sales, layaways and single payments note who
made them (``created_by``: the user, or the role of a service's own call);
returns already did.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

KEYS = (("sales", "idempotency_key"), ("layaways", "idempotency_key"),
        ("returns", "idempotency_key"), ("tenders", "request_key"))


def upgrade():
    for table in ("sales", "layaways", "tenders"):
        op.add_column(table, sa.Column("created_by", sa.String(length=64), nullable=True))
    # the best known author of what was made before: the associate it was made as
    op.execute("update sales set created_by = associate_id where idempotency_key is not null")
    op.execute("update layaways set created_by = associate_id where idempotency_key is not null")
    for table, column in KEYS:
        op.drop_constraint(f"uq_{table}_{column}", table, type_="unique")
        op.create_unique_constraint(f"uq_{table}_{column}_scoped", table,
                                    ["store_id", "created_by", column])


def downgrade():
    for table, column in KEYS:
        op.drop_constraint(f"uq_{table}_{column}_scoped", table, type_="unique")
        op.create_unique_constraint(f"uq_{table}_{column}", table, [column])
    for table in ("sales", "layaways", "tenders"):
        op.drop_column(table, "created_by")
