"""Sign-in throttling: failed sign-ins counted per username and per client
address, shared by every gateway process (gateway/throttle.py).

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
    op.create_table(
        "signin_failures",
        sa.Column("key", sa.String(200), primary_key=True),  # "user:<lower name>" / "addr:<ip>"
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
    )


def downgrade():
    op.drop_table("signin_failures")
