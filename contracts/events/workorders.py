"""Facts the work orders service publishes."""
from marshmallow import Schema, fields

from ..envelope import event_schema
from ..types import Money

STAGES = ("received", "awaiting_approval", "approved", "in_progress", "design",
          "design_approved", "casting", "setting", "quality_check",
          "ready_for_pickup", "picked_up", "cancelled")


class WorkOrderFacts(Schema):
    work_order_id = fields.UUID(required=True)
    number = fields.String(required=True)
    store_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    kind = fields.String(load_default=None, allow_none=True)
    promised_date = fields.Date(load_default=None, allow_none=True)
    tracking_token = fields.String(load_default=None, allow_none=True)


@event_schema("workorder.created")
class WorkOrderCreated(WorkOrderFacts):
    pass


@event_schema("workorder.stage_changed")
class WorkOrderStageChanged(WorkOrderFacts):
    from_stage = fields.String(required=True, allow_none=True)
    to_stage = fields.String(required=True)
    note = fields.String(load_default=None, allow_none=True)


@event_schema("workorder.estimate_ready")
class WorkOrderEstimateReady(WorkOrderFacts):
    amount = fields.Nested(Money, required=True)


@event_schema("workorder.overdue")
class WorkOrderOverdue(WorkOrderFacts):
    stage = fields.String(required=True)


@event_schema("workorder.pickup_reminder_due")
class WorkOrderPickupReminderDue(WorkOrderFacts):
    days_waiting = fields.Integer(required=True)
