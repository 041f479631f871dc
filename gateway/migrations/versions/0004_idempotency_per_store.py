"""Idempotency keys are scoped to the caller's user AND the store the
request acts for (issue 17, docs/ARCHITECTURE.md#rule-7): the same key sent
by one user for two stores is two requests, not a 409 or a replay.

``store_id`` is ``''`` for a request that acts for no store (HQ without a
store); keys kept before this revision get ``''`` and simply expire.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _pk_name():
    return sa.inspect(op.get_bind()).get_pk_constraint("idempotency_keys")["name"]


def upgrade():
    op.add_column("idempotency_keys",
                  sa.Column("store_id", sa.String(64), nullable=False, server_default=""))
    op.drop_constraint(_pk_name(), "idempotency_keys", type_="primary")
    op.create_primary_key("pk_idempotency_keys", "idempotency_keys", ["user_id", "store_id", "key"])


def downgrade():
    # keys of one user for several stores cannot all be kept under (user, key)
    op.execute("DELETE FROM idempotency_keys WHERE store_id <> ''")
    op.drop_constraint(_pk_name(), "idempotency_keys", type_="primary")
    op.drop_column("idempotency_keys", "store_id")
    op.create_primary_key("idempotency_keys_pkey", "idempotency_keys", ["user_id", "key"])
