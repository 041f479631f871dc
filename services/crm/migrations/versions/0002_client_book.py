"""The client book: clients, milestones, purchases, loyalty ledger, timeline,
wish lists, appointments, profile reads and history.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = UUID(as_uuid=False)


def upgrade():
    # both are trusted extensions: the database owner may create them
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")

    op.create_table(
        "stores",
        sa.Column("id", ID, primary_key=True),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("country", sa.String(2)),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )

    op.create_table(
        "clients",
        sa.Column("id", ID, primary_key=True),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("full_name", sa.Text,
                  sa.Computed("lower(first_name || ' ' || last_name)", persisted=True)),
        sa.Column("phone", sa.String(20)),
        sa.Column("email", sa.String(254)),
        sa.Column("home_store_id", ID),
        sa.Column("associate_id", sa.String(64)),
        sa.Column("language", sa.String(10)),
        sa.Column("sms_consent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("sms_consent_at", sa.DateTime(timezone=True)),
        sa.Column("sms_consent_source", sa.String(40)),
        sa.Column("email_consent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("email_consent_at", sa.DateTime(timezone=True)),
        sa.Column("email_consent_source", sa.String(40)),
        sa.Column("ring_size", sa.String(10)),
        sa.Column("preferences", JSONB, nullable=False, server_default="{}"),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        sa.Column("tags", JSONB, nullable=False, server_default="[]"),
        sa.Column("tier", sa.String(10), nullable=False, server_default="new"),
        sa.Column("last_purchase_at", sa.DateTime(timezone=True)),
        sa.Column("merged_into", ID, sa.ForeignKey("clients.id")),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("tier IN ('new', 'loyal', 'vip')", name="tier_known"),
        sa.CheckConstraint("merged_into IS NULL OR merged_into <> id", name="not_merged_into_self"),
    )
    # search: trigram on names, exact on phone and e-mail (rule: keep search fast)
    op.execute("CREATE INDEX ix_clients_full_name_trgm ON clients USING gin (full_name gin_trgm_ops)")
    op.execute("CREATE INDEX ix_clients_full_name_order ON clients (full_name, id) "
               "WHERE merged_into IS NULL")
    op.execute("CREATE INDEX ix_clients_phone ON clients (phone) WHERE merged_into IS NULL")
    op.execute("CREATE INDEX ix_clients_email ON clients (email) WHERE merged_into IS NULL")
    op.execute("CREATE INDEX ix_clients_home_store_tier ON clients (home_store_id, tier) "
               "WHERE merged_into IS NULL")
    op.create_index("ix_clients_merged_into", "clients", ["merged_into"])

    op.create_table(
        "milestones",
        sa.Column("id", ID, primary_key=True),
        sa.Column("client_id", ID, sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("label", sa.String(100)),
        sa.Column("year", sa.Integer),
        sa.Column("month", sa.Integer, nullable=False),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("month BETWEEN 1 AND 12 AND day BETWEEN 1 AND 31", name="date_parts"),
    )
    op.create_index("ix_milestones_client_id", "milestones", ["client_id"])
    op.create_index("ix_milestones_month_day", "milestones", ["month", "day"])

    op.create_table(
        "milestone_notices",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("client_id", ID, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("label_key", sa.String(100), nullable=False, server_default=""),
        sa.Column("occurs_on", sa.Date, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("client_id", "kind", "label_key", "occurs_on", name="uq_milestone_notice"),
    )

    op.create_table(
        "purchases",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("client_id", ID, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("sale_id", ID, nullable=False),
        sa.Column("return_id", ID),
        sa.Column("store_id", ID),
        sa.Column("associate_id", sa.String(64)),
        sa.Column("receipt_number", sa.String(40)),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("lines", JSONB, nullable=False, server_default="[]"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(kind = 'sale' AND amount >= 0 AND return_id IS NULL) OR "
                           "(kind = 'return' AND amount <= 0 AND return_id IS NOT NULL)",
                           name="kind_sign"),
    )
    op.create_index("ix_purchases_client_at", "purchases", ["client_id", "at"])
    op.execute("CREATE UNIQUE INDEX uq_purchases_sale ON purchases (sale_id) WHERE kind = 'sale'")
    op.execute("CREATE UNIQUE INDEX uq_purchases_return ON purchases (return_id) WHERE kind = 'return'")

    op.create_table(
        "loyalty_ledger",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("client_id", ID, sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("points", sa.BigInteger, nullable=False),
        sa.Column("sale_id", ID),
        sa.Column("ref", sa.String(120), unique=True),
        sa.Column("reason", sa.String(200)),
        sa.Column("actor_id", sa.String(64)),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("kind IN ('earn', 'redeem', 'expire', 'adjust')", name="kind_known"),
        sa.CheckConstraint("(kind = 'earn' AND points >= 0) OR (kind IN ('redeem', 'expire') "
                           "AND points <= 0) OR kind = 'adjust'", name="kind_sign"),
    )
    op.create_index("ix_loyalty_ledger_client_id", "loyalty_ledger", ["client_id", "at"])
    op.create_index("ix_loyalty_ledger_sale_id", "loyalty_ledger", ["sale_id"])

    op.create_table(
        "timeline",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("client_id", ID, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("store_id", ID),
        sa.Column("ref_id", sa.String(64)),
        sa.Column("for_associate_id", sa.String(64)),
        sa.Column("details", JSONB, nullable=False, server_default="{}"),
    )
    op.execute("CREATE INDEX ix_timeline_client_at ON timeline (client_id, at DESC, id DESC)")
    op.create_index("ix_timeline_kind_ref", "timeline", ["kind", "ref_id"])

    op.create_table(
        "wishes",
        sa.Column("id", ID, primary_key=True),
        sa.Column("client_id", ID, sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("item_id", ID),
        sa.Column("description", sa.Text),
        sa.Column("note", sa.String(500)),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("(item_id IS NULL) <> (description IS NULL)", name="piece_or_description"),
    )
    op.create_index("ix_wishes_client_id", "wishes", ["client_id"])
    op.execute("CREATE INDEX ix_wishes_open_item ON wishes (item_id) "
               "WHERE status = 'open' AND item_id IS NOT NULL")

    op.create_table(
        "appointments",
        sa.Column("id", ID, primary_key=True),
        sa.Column("client_id", ID, sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("staff_user_id", sa.String(64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purpose", sa.String(500), nullable=False, server_default=""),
        sa.Column("status", sa.String(20), nullable=False, server_default="booked"),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )
    # An associate is never in two booked viewings at once, whoever books them
    # and however many terminals book at the same moment.
    op.execute(
        "ALTER TABLE appointments ADD CONSTRAINT appointments_staff_no_overlap "
        "EXCLUDE USING gist (staff_user_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        "WHERE (status = 'booked')"
    )
    op.create_index("ix_appointments_store_starts", "appointments", ["store_id", "starts_at"])
    op.create_index("ix_appointments_client_id", "appointments", ["client_id"])

    op.create_table(
        "profile_reads",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("client_id", ID, nullable=False),
        sa.Column("reader_id", sa.String(64)),
        sa.Column("reader_role", sa.String(32), nullable=False),
        sa.Column("store_id", ID),
        sa.Column("view", sa.String(10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_profile_reads_client_at", "profile_reads", ["client_id", "at"])
    op.create_index("ix_profile_reads_reader", "profile_reads", ["reader_id", "at"])

    op.create_table(
        "history",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("client_id", ID),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("change", sa.String(40), nullable=False),
        sa.Column("details", JSONB, nullable=False, server_default="{}"),
        sa.Column("actor_id", sa.String(64)),
        sa.Column("actor_role", sa.String(32)),
        sa.Column("store_id", ID),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_history_client_id", "history", ["client_id", "at"])
    op.create_index("ix_history_entity_id", "history", ["entity_id"])


def downgrade():
    for table in ("history", "profile_reads", "appointments", "wishes", "timeline",
                  "loyalty_ledger", "purchases", "milestone_notices", "milestones", "clients",
                  "stores"):
        op.drop_table(table)
