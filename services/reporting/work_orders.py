"""Work orders from workorders' events: each job's store, number, stage and
promised day. Every job event carries the job's facts; the newest event's
win, an older one only fills what is not known yet."""
from sqlalchemy import case, func, or_, select
from sqlalchemy.dialects.postgresql import insert

from chassis.clock import day, instant

from .common import facts, insert_new
from .models import HqWorkOrder

CLOSED_STAGES = ("picked_up", "cancelled")
FINISHED_STAGES = ("ready_for_pickup",) + CLOSED_STAGES   # no longer overdue

_NEW_WORK_ORDER = insert_new(HqWorkOrder)


def _lock_work_order(session, work_order_id):
    _NEW_WORK_ORDER.execute(session, {"work_order_id": str(work_order_id)})
    return session.scalars(select(HqWorkOrder).where(HqWorkOrder.work_order_id == str(work_order_id))
                           .with_for_update()).one()


def _work_order_event(stage_of):
    def project(session, event):
        f, at = facts(event)
        wo = _lock_work_order(session, f["work_order_id"])
        if event.event_type == "workorder.created":
            wo.created_at = at
        known = {"store_id": str(f["store_id"]), "number": f["number"], "kind": f.get("kind"),
                 "promised_date": day(f.get("promised_date"))}
        newest = wo.stage_at is None or at > wo.stage_at
        for name, value in known.items():
            if value is not None and (newest or getattr(wo, name) is None):
                setattr(wo, name, value)
        stage = stage_of(f)
        if stage and newest:
            wo.stage, wo.stage_at = stage, at
    return project


workorder_created = _work_order_event(lambda f: "received")
workorder_stage_changed = _work_order_event(lambda f: f["to_stage"])
workorder_overdue = _work_order_event(lambda f: f.get("stage"))


def load_work_orders(session, views):
    """Jobs from workorders' ``list_work_orders``; a stage stays where an
    event brought a newer one."""
    if not views:
        return
    rows = [{"work_order_id": v["id"], "store_id": v["store_id"], "number": v.get("number"),
             "kind": v.get("kind"), "stage": v["stage"],
             "stage_at": instant(v.get("stage_changed_at") or v.get("updated_at")
                                 or v.get("created_at")),
             "promised_date": day(v.get("promised_date")), "created_at": instant(v.get("created_at"))}
            for v in views]
    stmt = insert(HqWorkOrder.__table__)
    x, t = stmt.excluded, HqWorkOrder.__table__.c
    newer = or_(t.stage_at.is_(None), x.stage_at >= t.stage_at)
    session.connection().execute(stmt.on_conflict_do_update(index_elements=[t.work_order_id], set_={
        "store_id": x.store_id, "number": x.number, "kind": x.kind,
        "promised_date": x.promised_date, "created_at": func.coalesce(t.created_at, x.created_at),
        "stage": case((newer, x.stage), else_=t.stage),
        "stage_at": case((newer, x.stage_at), else_=t.stage_at)}), rows)
