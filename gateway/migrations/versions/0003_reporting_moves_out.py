"""HQ's read model moves to the reporting service: drop the hq_* tables here.

Reporting keeps them in its own database now (``services/reporting``,
migration 0001), fed by the same events; the gateway only answers HTTP.

An existing installation keeps its exchange rates and transfer requests
(the two tables that are not derived from events) by copying them into the
reporting database BEFORE upgrading the gateway past this revision:

    python -m chassis.migrate reporting          # creates the empty tables
    pg_dump --data-only -t hq_fx_rates -t hq_transfer_requests "$GATEWAY_DB" \
        | psql "$REPORTING_DB"
    psql "$REPORTING_DB" -c "SELECT setval(pg_get_serial_sequence('hq_fx_rates', 'id'),
                                           coalesce(max(id), 1)) FROM hq_fx_rates"

The projection tables need no copy: ``make rebuild-reporting`` fills them
from the services (the reporting service running). The gateway's event
queues (``evt-*--gateway.hq_*``) no longer have a consumer: delete them once
the reporting service consumes its own.

Revision ID: 0003
Revises: 0002
"""
import importlib.util
import os

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

HQ_TABLES = ("hq_transfer_requests", "hq_fx_rates", "hq_freshness", "hq_client_tiers",
             "hq_clients", "hq_work_orders", "hq_returned_items", "hq_returns",
             "hq_sale_lines", "hq_sales", "hq_stock_totals", "hq_pieces")


def upgrade():
    for table in HQ_TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")


def downgrade():
    """The empty tables again, as 0002 made them."""
    path = os.path.join(os.path.dirname(__file__), "0002_reporting.py")
    spec = importlib.util.spec_from_file_location("gateway_migration_0002", path)
    previous = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previous)
    previous.upgrade()
