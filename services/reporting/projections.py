"""The one table of what reporting consumes: ``(producer, event type)`` ->
the rule that applies it. It drives the service's event handlers (one per
entry, generated on the service class) and so the queues reporting reads
and scales on; nothing else names these events.

``apply(session, event)`` runs inside ``db.inbox(event)`` (each event counts
once). Store facts keep the stores copy; every other event changes the read
model and moves its freshness (``as_of``).
"""

from . import clients, memos, pieces, sales, stores, work_orders
from .freshness import mark_fresh

PROJECTIONS = {
    ("inventory", "item.received"): pieces.item_received,
    ("inventory", "item.price_changed"): pieces.item_price_changed,
    ("inventory", "item.reserved"): pieces.item_reserved,
    ("inventory", "item.released"): pieces.item_released,
    ("inventory", "item.sold"): pieces.item_sold,
    ("inventory", "item.returned"): pieces.item_returned,
    ("inventory", "transfer.shipped"): pieces.transfer_shipped,
    ("inventory", "transfer.received"): pieces.transfer_received,
    ("inventory", "stock_count.closed"): pieces.stock_count_closed,
    ("inventory", "memo.opened"): pieces.memo_opened,
    ("inventory", "memo.closed"): memos.memo_closed,
    ("inventory", "memo.overdue"): memos.memo_overdue,
    ("payments", "sale.completed"): sales.sale_completed,
    ("payments", "sale.returned"): sales.sale_returned,
    ("workorders", "workorder.created"): work_orders.workorder_created,
    ("workorders", "workorder.stage_changed"): work_orders.workorder_stage_changed,
    ("workorders", "workorder.overdue"): work_orders.workorder_overdue,
    ("crm", "client.created"): clients.client_created,
    ("crm", "client.updated"): clients.client_updated,
    ("crm", "client.tier_changed"): clients.client_tier_changed,
    ("crm", "client.merged"): clients.client_merged,
    ("gateway", "store.created"): stores.store_changed,
    ("gateway", "store.updated"): stores.store_changed,
}

# copies of another service's facts, not news for the reports' freshness
COPIES = {("gateway", "store.created"), ("gateway", "store.updated")}

_BY_TYPE = {event_type: (producer, event_type) for producer, event_type in PROJECTIONS}

# derived from the events: emptied by ``rebuild --reset``
PROJECTION_TABLES = ("hq_pieces", "hq_stock_totals", "hq_sales", "hq_sale_lines", "hq_returns",
                     "hq_returned_items", "hq_work_orders", "hq_clients", "hq_client_tiers",
                     "hq_overdue_memos", "hq_freshness")


def handler_name(event_type):
    """The service method (and queue suffix) of an event type:
    ``stock_count.closed`` -> ``stock_count_closed``."""
    return event_type.replace(".", "_")


def apply(session, event, applied_at=None):
    """Apply one event (an envelope) to the read model."""
    key = _BY_TYPE[event.event_type]
    PROJECTIONS[key](session, event)
    if key not in COPIES:
        mark_fresh(session, event.event_type, event.occurred_at, applied_at)
