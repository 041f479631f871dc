"""Contacts, stores, appointments, templates, messages (the outgoing queue),
their events, sender slots and the audit log.

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

U = UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "contacts",
        sa.Column("client_id", U, primary_key=True),
        sa.Column("first_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("last_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("phone", sa.String(40)),
        sa.Column("email", sa.String(254)),
        sa.Column("language", sa.String(10)),
        sa.Column("home_store_id", U),
        sa.Column("associate_id", sa.String(64)),
        sa.Column("sms_consent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("email_consent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("sms_consent_at", TS),
        sa.Column("email_consent_at", TS),
        sa.Column("facts_at", TS),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_contacts_phone", "contacts", ["phone"])

    op.create_table(
        "sms_opt_outs",
        sa.Column("phone", sa.String(40), primary_key=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("keyword", sa.String(20)),
        sa.Column("opted_out_at", TS, nullable=False, server_default=sa.func.now()),
    )

    op.create_table(
        "stores",
        sa.Column("id", U, primary_key=True),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("phone", sa.String(40)),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    )

    op.create_table(
        "appointments",
        sa.Column("id", U, primary_key=True),
        sa.Column("client_id", U, nullable=False),
        sa.Column("store_id", U, nullable=False),
        sa.Column("staff_user_id", sa.String(64)),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(20), nullable=False, server_default="booked"),
        sa.Column("booked_at", TS, nullable=False),
        sa.Column("reminder_queued_at", TS),
    )
    op.execute("CREATE INDEX ix_appointments_reminder_due ON appointments (starts_at) "
               "WHERE status = 'booked' AND reminder_queued_at IS NULL")

    op.create_table(
        "message_templates",
        sa.Column("id", U, primary_key=True),
        sa.Column("scope", sa.String(40), nullable=False),
        sa.Column("store_id", U),
        sa.Column("trigger", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("subject", sa.Text),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("scope", "trigger", "channel", "language",
                            name="uq_message_templates_scope_trigger_channel_language"),
    )

    op.create_table(
        "messages",
        sa.Column("id", U, primary_key=True),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("trigger", sa.String(40), nullable=False),
        sa.Column("trigger_key", sa.String(100)),
        sa.Column("recipient", sa.String(120), nullable=False),
        sa.Column("client_id", U),
        sa.Column("store_id", U),
        sa.Column("work_order_id", U),
        sa.Column("appointment_id", U),
        sa.Column("associate_id", sa.String(64)),
        sa.Column("to_address", sa.String(254)),
        sa.Column("from_address", sa.String(254)),
        sa.Column("subject", sa.Text),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("language", sa.String(10)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("priority", sa.Integer, nullable=False, server_default="5"),
        sa.Column("not_before", TS, nullable=False),
        sa.Column("expires_at", TS),
        sa.Column("slot_at", TS),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("provider_sid", sa.String(200)),
        sa.Column("error_code", sa.String(40)),
        sa.Column("error_message", sa.Text),
        sa.Column("encoding", sa.String(10)),
        sa.Column("segments", sa.Integer),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_by_role", sa.String(32)),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("sent_at", TS),
        sa.CheckConstraint("direction IN ('outbound', 'inbound')", name="direction_known"),
        sa.CheckConstraint("channel IN ('sms', 'email', 'task')", name="channel_known"),
    )
    # Exactly once: one message per triggering event, recipient and channel.
    op.execute("CREATE UNIQUE INDEX uq_messages_trigger_recipient_channel "
               "ON messages (trigger_key, recipient, channel) WHERE trigger_key IS NOT NULL")
    op.execute("CREATE UNIQUE INDEX uq_messages_provider_sid ON messages (provider_sid) "
               "WHERE provider_sid IS NOT NULL")
    # The outgoing queue.
    op.execute("CREATE INDEX ix_messages_due ON messages (priority, not_before, created_at) "
               "WHERE status IN ('pending', 'scheduled')")
    op.execute("CREATE INDEX ix_messages_dispatching ON messages (slot_at) "
               "WHERE status = 'dispatching'")
    op.execute("CREATE INDEX ix_messages_client ON messages (client_id, created_at DESC, id DESC)")
    op.execute("CREATE INDEX ix_messages_store ON messages (store_id, created_at DESC, id DESC)")
    op.create_index("ix_messages_work_order_id", "messages", ["work_order_id"])
    op.create_index("ix_messages_appointment_id", "messages", ["appointment_id"])
    op.create_index("ix_messages_to_address", "messages", ["to_address"])

    op.create_table(
        "message_events",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("message_id", U, sa.ForeignKey("messages.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("details", JSONB, nullable=False, server_default="{}"),
        sa.Column("at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_message_events_message_id", "message_events", ["message_id"])
    # A callback Twilio repeats is recorded once.
    op.execute("CREATE UNIQUE INDEX uq_message_events_callback ON message_events "
               "(message_id, status) WHERE source = 'callback'")

    op.create_table(
        "senders",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("next_slot_at", TS, nullable=False),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("entity_type", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.String(100), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("actor_id", sa.String(64)),
        sa.Column("actor_role", sa.String(32)),
        sa.Column("store_id", U),
        sa.Column("details", JSONB, nullable=False, server_default="{}"),
        sa.Column("at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_audit_log_entity", "audit_log", ["entity_type", "entity_id"])


def downgrade():
    for table in ("audit_log", "senders", "message_events", "messages", "message_templates",
                  "appointments", "stores", "sms_opt_outs", "contacts"):
        op.drop_table(table)
