"""Work orders: jobs, tasks, photos, history, deposits, pickup reminders,
appraisals, the store and client facts, and the chain's repair price list
(seeded in USD).

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
STAGES = ("received", "awaiting_approval", "approved", "in_progress", "design",
          "design_approved", "casting", "setting", "quality_check",
          "ready_for_pickup", "picked_up", "cancelled")
KINDS = ("repair", "resize", "engraving", "custom", "appraisal")
CLOSED = "('ready_for_pickup','picked_up','cancelled')"

# code, name, unit, price in US cents
PRICE_LIST = [
    ("ring_size_down", "Ring sizing down", "each", 3500),
    ("ring_size_up", "Ring sizing up (per size)", "size", 4500),
    ("prong_retip", "Prong retip (per prong)", "prong", 3000),
    ("prong_rebuild", "Prong rebuild (per prong)", "prong", 6000),
    ("chain_solder", "Chain solder", "each", 2500),
    ("clasp_replace", "Clasp replacement", "each", 3500),
    ("jump_ring", "Jump ring replacement", "each", 1500),
    ("polish", "Clean and polish", "each", 2000),
    ("rhodium_plate", "Rhodium plating", "each", 4500),
    ("stone_tightening", "Stone tightening (per stone)", "stone", 1500),
    ("stone_setting", "Stone setting (per stone)", "stone", 5000),
    ("pearl_restring", "Pearl restringing (per inch)", "inch", 300),
    ("engraving_letter", "Engraving (per letter)", "letter", 150),
    ("watch_battery", "Watch battery", "each", 2500),
    ("appraisal_written", "Written appraisal", "each", 9500),
]


def _in(values):
    return "(" + ",".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.create_table(
        "stores",
        sa.Column("id", U, primary_key=True),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("phone", sa.String(40)),
        sa.Column("address", sa.Text),
        sa.Column("facts_at", TS, nullable=False),
    )
    op.create_table(
        "clients",
        sa.Column("id", U, primary_key=True),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(40)),
        sa.Column("email", sa.String(320)),
        sa.Column("merged_into", U),
        sa.Column("facts_at", TS, nullable=False),
    )
    op.create_table(
        "job_counters",
        sa.Column("store_id", U, sa.ForeignKey("stores.id", name="fk_job_counters_store_id_stores"),
                  primary_key=True),
        sa.Column("last_number", sa.Integer, nullable=False),
    )
    op.create_table(
        "repair_prices",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(10), nullable=False),
        sa.Column("price_amount", sa.BigInteger, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_by", sa.String(64)),
        sa.CheckConstraint("price_amount >= 0", name="ck_repair_prices_price_not_negative"),
    )
    op.create_table(
        "repair_price_changes",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("before", JSONB),
        sa.Column("after", JSONB, nullable=False),
        sa.Column("actor_id", sa.String(64)),
        sa.Column("actor_role", sa.String(20)),
        sa.Column("store_id", sa.String(64)),
        sa.Column("at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "work_orders",
        sa.Column("id", U, primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("store_id", U, sa.ForeignKey("stores.id", name="fk_work_orders_store_id_stores"),
                  nullable=False),
        sa.Column("client_id", U, sa.ForeignKey("clients.id", name="fk_work_orders_client_id_clients"),
                  nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("item_description", sa.Text, nullable=False),
        sa.Column("condition_notes", sa.Text, nullable=False, server_default=""),
        sa.Column("stage", sa.String(30), nullable=False),
        sa.Column("assignee_id", sa.String(64)),
        sa.Column("assignee_name", sa.String(100)),
        sa.Column("promised_date", sa.Date, nullable=False),
        sa.Column("rush", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("estimate_required", sa.Boolean, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("tasks_total", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("estimate_amount", sa.BigInteger),
        sa.Column("estimate_note", sa.Text),
        sa.Column("estimated_at", TS),
        sa.Column("estimated_by", sa.String(64)),
        sa.Column("approved_at", TS),
        sa.Column("approved_by", sa.String(64)),
        sa.Column("approved_via", sa.String(20)),
        sa.Column("paid_amount", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("paid_sale_id", U),
        sa.Column("paid_at", TS),
        sa.Column("tracking_token", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("created_by", sa.String(64)),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("stage_changed_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("ready_at", TS),
        sa.Column("overdue_notified_at", TS),
        sa.CheckConstraint(f"stage IN {_in(STAGES)}", name="ck_work_orders_stage_known"),
        sa.CheckConstraint(f"kind IN {_in(KINDS)}", name="ck_work_orders_kind_known"),
        sa.CheckConstraint("estimate_amount IS NULL OR estimate_amount >= 0",
                           name="ck_work_orders_estimate_not_negative"),
        sa.CheckConstraint("tasks_total >= 0 AND paid_amount >= 0",
                           name="ck_work_orders_amounts_not_negative"),
    )
    op.create_index("ix_work_orders_store_stage", "work_orders", ["store_id", "stage"])
    op.create_index("ix_work_orders_assignee", "work_orders", ["assignee_id"])
    op.create_index("ix_work_orders_client", "work_orders", ["client_id"])
    op.execute("CREATE INDEX ix_work_orders_overdue_watch ON work_orders (promised_date) "
               f"WHERE overdue_notified_at IS NULL AND stage NOT IN {CLOSED}")
    op.execute("CREATE INDEX ix_work_orders_waiting_pickup ON work_orders (ready_at) "
               "WHERE stage = 'ready_for_pickup'")

    def child(name, *columns, **kw):
        op.create_table(
            name,
            *columns,
            sa.Column("work_order_id", U,
                      sa.ForeignKey("work_orders.id", name=f"fk_{name}_work_order_id_work_orders"),
                      nullable=False),
            **kw,
        )

    child("work_order_tasks",
          sa.Column("id", U, primary_key=True),
          sa.Column("position", sa.Integer, nullable=False),
          sa.Column("code", sa.String(40)),
          sa.Column("description", sa.Text, nullable=False),
          sa.Column("quantity", sa.Integer, nullable=False, server_default="1"),
          sa.Column("text", sa.String(200)),
          sa.Column("unit_amount", sa.BigInteger),
          sa.Column("amount", sa.BigInteger))
    op.create_index("ix_work_order_tasks_order", "work_order_tasks", ["work_order_id", "position"],
                    unique=True)
    child("work_order_photos",
          sa.Column("id", U, primary_key=True),
          sa.Column("position", sa.Integer, nullable=False),
          sa.Column("storage_key", sa.String(200), nullable=False, unique=True),
          sa.Column("content_type", sa.String(40), nullable=False),
          sa.Column("size_bytes", sa.Integer, nullable=False),
          sa.Column("sha256", sa.String(64), nullable=False),
          sa.Column("caption", sa.String(200), nullable=False, server_default=""),
          sa.Column("purpose", sa.String(20), nullable=False, server_default="intake"),
          sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
          sa.Column("created_by", sa.String(64)))
    op.create_index("ix_work_order_photos_order", "work_order_photos", ["work_order_id", "position"],
                    unique=True)
    child("work_order_history",
          sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
          sa.Column("at", TS, nullable=False, server_default=sa.func.now()),
          sa.Column("actor_id", sa.String(64)),
          sa.Column("actor_role", sa.String(20)),
          sa.Column("actor_name", sa.String(100)),
          sa.Column("store_id", sa.String(64)),
          sa.Column("change", sa.String(30), nullable=False),
          sa.Column("from_stage", sa.String(30)),
          sa.Column("to_stage", sa.String(30)),
          sa.Column("note", sa.Text),
          sa.Column("details", JSONB, nullable=False, server_default="{}"))
    op.create_index("ix_work_order_history_order", "work_order_history", ["work_order_id", "id"])
    child("appraisals",
          sa.Column("id", U, primary_key=True),
          sa.Column("version", sa.Integer, nullable=False),
          sa.Column("document", JSONB, nullable=False),
          sa.Column("appraised_on", sa.Date, nullable=False),
          sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
          sa.Column("created_by", sa.String(64)))
    op.create_index("ix_appraisals_version", "appraisals", ["work_order_id", "version"], unique=True)

    # facts from payments' events: no foreign key, an event may name a job we never saw
    op.create_table(
        "work_order_payments",
        sa.Column("ref", sa.String(80), primary_key=True),
        sa.Column("work_order_id", U, nullable=False),
        sa.Column("payment_id", U, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("method", sa.String(20)),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_work_order_payments_order", "work_order_payments", ["work_order_id"])
    op.create_table(
        "pickup_reminders",
        sa.Column("work_order_id", U, primary_key=True),
        sa.Column("days", sa.Integer, primary_key=True),
        sa.Column("sent", sa.Boolean, nullable=False),
        sa.Column("at", TS, nullable=False, server_default=sa.func.now()),
    )

    prices = sa.table("repair_prices", sa.column("code"), sa.column("currency"), sa.column("name"),
                      sa.column("unit"), sa.column("price_amount"), sa.column("active"))
    op.bulk_insert(prices, [
        {"code": code, "currency": "USD", "name": name, "unit": unit, "price_amount": cents,
         "active": True}
        for code, name, unit, cents in PRICE_LIST
    ])


def downgrade():
    for name in ("pickup_reminders", "work_order_payments", "appraisals", "work_order_history",
                 "work_order_photos", "work_order_tasks", "work_orders", "repair_price_changes",
                 "repair_prices", "job_counters", "clients", "stores"):
        op.drop_table(name)
