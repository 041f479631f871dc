"""Sales, tenders, refunds, returns, layaways, gift cards, store credit,
cash drawers, Form 8300 cases, Stripe webhook events and the history.

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

TABLES = ("compliance_cases", "compliance_cash_payments", "drawer_movements", "drawers",
          "gift_card_movements", "gift_cards", "layaway_installments", "layaways",
          "payment_history", "returns", "sale_lines", "sales", "store_credit_accounts",
          "store_credit_movements", "stores", "stripe_events", "tender_refunds", "tenders")


def upgrade():
    op.create_table('compliance_cases',
    sa.Column('id', U, nullable=False),
    sa.Column('client_id', U, nullable=False),
    sa.Column('store_id', U, nullable=False),
    sa.Column('total_cash', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('sale_ids', JSONB, nullable=False, server_default='[]'),
    sa.Column('tender_ids', JSONB, nullable=False, server_default='[]'),
    sa.Column('first_payment_at', TS, nullable=False),
    sa.Column('triggered_at', TS, nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('structuring_suspected', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_cases'))
    )
    op.create_table('compliance_cash_payments',
    sa.Column('tender_id', U, nullable=False),
    sa.Column('client_id', U, nullable=False),
    sa.Column('store_id', U, nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('received_at', TS, nullable=False),
    sa.Column('sale_id', U, nullable=True),
    sa.Column('case_id', U, nullable=True),
    sa.PrimaryKeyConstraint('tender_id', name=op.f('pk_compliance_cash_payments'))
    )
    op.create_table('drawer_movements',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('drawer_id', U, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('tender_id', U, nullable=True),
    sa.Column('at', TS, nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drawer_movements'))
    )
    op.create_table('drawers',
    sa.Column('id', U, nullable=False),
    sa.Column('store_id', U, nullable=False),
    sa.Column('register', sa.String(length=40), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('float_amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('counted', sa.BigInteger(), nullable=True),
    sa.Column('expected', sa.BigInteger(), nullable=True),
    sa.Column('over_short', sa.BigInteger(), nullable=True),
    sa.Column('opened_by', sa.String(length=64), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('opened_at', TS, nullable=False),
    sa.Column('closed_at', TS, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drawers'))
    )
    op.create_table('gift_card_movements',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('gift_card_id', U, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('tender_id', U, nullable=True),
    sa.Column('ref', sa.String(length=200), nullable=False),
    sa.Column('at', TS, nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gift_card_movements')),
    sa.UniqueConstraint('ref', name=op.f('uq_gift_card_movements_ref'))
    )
    op.create_table('gift_cards',
    sa.Column('id', U, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('initial_amount', sa.BigInteger(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('store_id', U, nullable=False),
    sa.Column('sale_id', U, nullable=True),
    sa.Column('client_id', U, nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gift_cards')),
    sa.UniqueConstraint('code', name=op.f('uq_gift_cards_code'))
    )
    op.create_table('layaway_installments',
    sa.Column('id', U, nullable=False),
    sa.Column('layaway_id', U, nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('paid_amount', sa.BigInteger(), nullable=False),
    sa.Column('reminded_at', TS, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_layaway_installments'))
    )
    op.create_table('layaways',
    sa.Column('id', U, nullable=False),
    sa.Column('store_id', U, nullable=False),
    sa.Column('client_id', U, nullable=False),
    sa.Column('associate_id', sa.String(length=64), nullable=True),
    sa.Column('associate_role', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('lines', JSONB, nullable=False, server_default='[]'),
    sa.Column('subtotal', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('paid', sa.BigInteger(), nullable=False),
    sa.Column('installments', sa.Integer(), nullable=False),
    sa.Column('interval_days', sa.Integer(), nullable=False),
    sa.Column('next_tender', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('reserved_at', TS, nullable=True),
    sa.Column('released_at', TS, nullable=True),
    sa.Column('cancel_policy', sa.String(length=20), nullable=True),
    sa.Column('cancel_plan', JSONB, nullable=False, server_default='[]'),
    sa.Column('register', sa.String(length=40), nullable=False),
    sa.Column('tax_exempt_id', sa.String(length=64), nullable=True),
    sa.Column('lease_until', TS, nullable=True),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('updated_at', TS, nullable=False),
    sa.Column('completed_at', TS, nullable=True),
    sa.Column('cancelled_at', TS, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_layaways')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_layaways_idempotency_key'))
    )
    op.create_table('payment_history',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('entity_type', sa.String(length=20), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('change', sa.String(length=60), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.Column('actor_role', sa.String(length=40), nullable=True),
    sa.Column('store_id', U, nullable=True),
    sa.Column('details', JSONB, nullable=False, server_default='{}'),
    sa.Column('at', TS, server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_history'))
    )
    op.create_table('returns',
    sa.Column('id', U, nullable=False),
    sa.Column('sale_id', U, nullable=False),
    sa.Column('store_id', U, nullable=False),
    sa.Column('client_id', U, nullable=True),
    sa.Column('item_ids', JSONB, nullable=False, server_default='[]'),
    sa.Column('refund_method', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('plan', JSONB, nullable=False, server_default='[]'),
    sa.Column('stock_returned_at', TS, nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('completed_at', TS, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_returns')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_returns_idempotency_key'))
    )
    op.create_table('sale_lines',
    sa.Column('id', U, nullable=False),
    sa.Column('sale_id', U, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('item_id', U, nullable=True),
    sa.Column('work_order_id', U, nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('list_amount', sa.BigInteger(), nullable=False),
    sa.Column('discount_amount', sa.BigInteger(), nullable=False),
    sa.Column('discount_reason', sa.String(length=200), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('taxable', sa.Boolean(), nullable=False),
    sa.Column('cost_amount', sa.BigInteger(), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=True),
    sa.Column('metal_type', sa.String(length=20), nullable=True),
    sa.Column('tag', sa.String(length=16), nullable=True),
    sa.Column('gift_card_id', U, nullable=True),
    sa.Column('return_id', U, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_lines'))
    )
    op.create_table('sales',
    sa.Column('id', U, nullable=False),
    sa.Column('store_id', U, nullable=False),
    sa.Column('client_id', U, nullable=True),
    sa.Column('associate_id', sa.String(length=64), nullable=True),
    sa.Column('associate_role', sa.String(length=40), nullable=True),
    sa.Column('register', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('failure_code', sa.String(length=40), nullable=True),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('gross', sa.BigInteger(), nullable=False),
    sa.Column('discount_total', sa.BigInteger(), nullable=False),
    sa.Column('subtotal', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('tax_rate_bps', sa.Integer(), nullable=False),
    sa.Column('tax_exempt_id', sa.String(length=64), nullable=True),
    sa.Column('receipt_number', sa.String(length=40), nullable=True),
    sa.Column('layaway_id', U, nullable=True),
    sa.Column('reserved_at', TS, nullable=True),
    sa.Column('pieces_confirmed_at', TS, nullable=True),
    sa.Column('followups_done_at', TS, nullable=True),
    sa.Column('lease_until', TS, nullable=True),
    sa.Column('step', sa.String(length=40), nullable=True),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('updated_at', TS, nullable=False),
    sa.Column('completed_at', TS, nullable=True),
    sa.Column('failed_at', TS, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_sales_idempotency_key')),
    sa.UniqueConstraint('receipt_number', name=op.f('uq_sales_receipt_number'))
    )
    op.create_table('store_credit_accounts',
    sa.Column('client_id', U, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('client_id', 'currency', name=op.f('pk_store_credit_accounts'))
    )
    op.create_table('store_credit_movements',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('client_id', U, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('ref', sa.String(length=200), nullable=False),
    sa.Column('store_id', U, nullable=True),
    sa.Column('at', TS, nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_credit_movements')),
    sa.UniqueConstraint('ref', name=op.f('uq_store_credit_movements_ref'))
    )
    op.create_table('stores',
    sa.Column('id', U, nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('tax_rate_bps', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('last_receipt', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', TS, server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stores'))
    )
    op.create_table('stripe_events',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('received_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events'))
    )
    op.create_table('tender_refunds',
    sa.Column('id', U, nullable=False),
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('tender_id', U, nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('return_id', U, nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('charge_amount', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('provider_refund_id', sa.String(length=100), nullable=True),
    sa.Column('drawer_id', U, nullable=True),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('done_at', TS, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_refunds')),
    sa.UniqueConstraint('key', name=op.f('uq_tender_refunds_key'))
    )
    op.create_table('tenders',
    sa.Column('id', U, nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('sale_id', U, nullable=True),
    sa.Column('layaway_id', U, nullable=True),
    sa.Column('work_order_id', U, nullable=True),
    sa.Column('store_id', U, nullable=False),
    sa.Column('client_id', U, nullable=True),
    sa.Column('register', sa.String(length=40), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('charge_amount', sa.BigInteger(), nullable=False),
    sa.Column('charge_currency', sa.String(length=3), nullable=False),
    sa.Column('fx_rate', sa.String(length=40), nullable=True),
    sa.Column('cash_received', sa.BigInteger(), nullable=True),
    sa.Column('change_due', sa.BigInteger(), nullable=True),
    sa.Column('payment_method', sa.String(length=100), nullable=True),
    sa.Column('gift_card_id', U, nullable=True),
    sa.Column('points', sa.BigInteger(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('refunded_amount', sa.BigInteger(), nullable=False),
    sa.Column('provider_intent_id', sa.String(length=100), nullable=True),
    sa.Column('provider_charge_id', sa.String(length=100), nullable=True),
    sa.Column('provider_status', sa.String(length=40), nullable=True),
    sa.Column('card_last4', sa.String(length=4), nullable=True),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('disputed_at', TS, nullable=True),
    sa.Column('drawer_id', U, nullable=True),
    sa.Column('request_key', sa.String(length=255), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('lease_until', TS, nullable=True),
    sa.Column('applied_at', TS, nullable=True),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('updated_at', TS, nullable=False),
    sa.Column('captured_at', TS, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenders')),
    sa.UniqueConstraint('key', name=op.f('uq_tenders_key')),
    sa.UniqueConstraint('provider_intent_id', name=op.f('uq_tenders_provider_intent_id')),
    sa.UniqueConstraint('request_key', name=op.f('uq_tenders_request_key'))
    )

    # what the saga, the sweeper and the reports look up
    op.create_index("ix_sales_unfinished", "sales", ["updated_at"],
                    postgresql_where=sa.text("status IN ('pending', 'compensating')"))
    op.create_index("ix_sales_followups", "sales", ["completed_at"],
                    postgresql_where=sa.text("status = 'completed' AND followups_done_at IS NULL"))
    op.create_index("ix_sales_store_completed", "sales", ["store_id", "completed_at"])
    op.create_index("ix_sales_client", "sales", ["client_id"])
    op.create_index("ix_sale_lines_sale", "sale_lines", ["sale_id", "position"])
    op.create_index("ix_sale_lines_item", "sale_lines", ["item_id"])
    op.create_index("ix_tenders_sale", "tenders", ["sale_id", "position"])
    op.create_index("ix_tenders_layaway", "tenders", ["layaway_id", "position"])
    op.create_index("ix_tenders_work_order", "tenders", ["work_order_id"])
    op.create_index("ix_tenders_charge", "tenders", ["provider_charge_id"])
    op.create_index("ix_tenders_unsettled", "tenders", ["updated_at"],
                    postgresql_where=sa.text("state IN ('pending', 'authorized')"))
    op.create_index("ix_tender_refunds_tender", "tender_refunds", ["tender_id"])
    op.create_index("ix_returns_sale", "returns", ["sale_id"])
    op.create_index("ix_layaways_store_status", "layaways", ["store_id", "status"])
    op.create_index("ix_installments_layaway", "layaway_installments", ["layaway_id", "number"],
                    unique=True)
    op.create_index("ix_installments_unreminded", "layaway_installments", ["due_date"],
                    postgresql_where=sa.text("reminded_at IS NULL"))
    op.create_index("ix_gift_card_movements_card", "gift_card_movements", ["gift_card_id"])
    op.create_index("ix_drawers_open", "drawers", ["store_id", "register"], unique=True,
                    postgresql_where=sa.text("status = 'open'"))
    op.create_index("ix_drawers_store_date", "drawers", ["store_id", "business_date"])
    op.create_index("ix_drawer_movements_drawer", "drawer_movements", ["drawer_id"])
    op.create_index("ix_cash_payments_client", "compliance_cash_payments",
                    ["client_id", "received_at"])
    op.create_index("ix_cases_triggered", "compliance_cases", ["triggered_at"])
    op.create_index("ix_history_entity", "payment_history", ["entity_id", "id"])

    # money never goes below zero, states are known
    op.create_check_constraint("positive", "tenders", "amount > 0 AND charge_amount > 0")
    op.create_check_constraint(
        "state_known", "tenders",
        "state IN ('pending', 'authorized', 'captured', 'refunded', 'failed', 'voided')")
    op.create_check_constraint("refund_bounded", "tenders",
                               "refunded_amount >= 0 AND refunded_amount <= amount")
    op.create_check_constraint(
        "status_known", "sales",
        "status IN ('pending', 'completed', 'compensating', 'failed')")
    op.create_check_constraint("balance_not_negative", "gift_cards", "balance >= 0")
    op.create_check_constraint("balance_not_negative", "store_credit_accounts", "balance >= 0")
    op.create_check_constraint("paid_bounded", "layaways", "paid >= 0 AND paid <= total")
    op.create_check_constraint("positive", "tender_refunds", "amount > 0")


def downgrade():
    for table in TABLES:
        op.drop_table(table)
