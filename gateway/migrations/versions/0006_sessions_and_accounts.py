"""Sessions and accounts (issue 17): the columns and tables that sessions,
user administration and the TOTP second factor share.

- ``users``: ``session_epoch`` (raising it ends every session of the user at
  once), ``must_change_password`` (a temporary password from HQ),
  ``password_changed_at``, the TOTP secret, when it was confirmed and the
  last time step used (a code is good once).
- ``sessions``: one row per sign-in (a refresh-token family): its hard end,
  the salt of its refresh tokens' macs and their generation, and when and why it
  ended.
- ``security_policy``: the chain's one row: the roles that must use TOTP.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"))
    op.add_column("users", sa.Column("must_change_password", sa.Boolean, nullable=False,
                                     server_default=sa.false()))
    op.add_column("users", sa.Column("password_changed_at", sa.DateTime(timezone=True)))
    op.add_column("users", sa.Column("totp_secret", sa.Text))
    op.add_column("users", sa.Column("totp_confirmed_at", sa.DateTime(timezone=True)))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger))
    op.create_table(
        "sessions",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("user_id", UUID(as_uuid=False), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_salt", sa.String(64), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False, server_default="0"),
        sa.Column("refreshed_at", sa.DateTime(timezone=True)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("ended_reason", sa.String(40)),
        sa.Column("address", sa.String(64)),
        sa.Column("user_agent", sa.String(200)),
    )
    op.create_index("sessions_user", "sessions", ["user_id", "created_at"])
    op.create_table(
        "security_policy",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("totp_required_roles", ARRAY(sa.String(20)), nullable=False, server_default="{}"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_by", sa.String(64)),
        sa.CheckConstraint("id = 1", name="security_policy_one_row"),
    )
    op.execute("INSERT INTO security_policy (id) VALUES (1)")


def downgrade():
    op.drop_table("security_policy")
    op.drop_table("sessions")
    for column in ("totp_last_step", "totp_confirmed_at", "totp_secret", "password_changed_at",
                   "must_change_password", "session_epoch"):
        op.drop_column("users", column)
