"""Clocks on jobs, run by the hourly timer (and called directly in tests).

- ``workorder.overdue``: once per job that passed its promised day (in the
  store's time zone) before it was ready. The job is claimed by a
  conditional update, so two replicas of the timer never both publish it
  (events through the outbox: docs/ARCHITECTURE.md#rule-2).
- ``workorder.pickup_reminder_due``: a job waiting at ``ready_for_pickup``
  for 7, 14 and 30 days, each once. A job found late (say 31 days) gets
  only the latest reminder; the earlier ones are recorded as skipped.
"""
from datetime import timedelta

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert

from chassis.clock import now
from chassis.identity import SYSTEM, Identity
from chassis.outbox import emit

from .jobs import facts, record
from .models import PickupReminder, Store, WorkOrder
from .queries import overdue_clause

PICKUP_REMINDER_DAYS = (7, 14, 30)
TIMER = Identity(user_id=None, role=SYSTEM, username="workorders:timer")


def flag_overdue(session, at=None, batch=500):
    """Publish ``workorder.overdue`` for each newly overdue job; returns how many."""
    at = at or now()
    claim = (select(WorkOrder.id).join(Store, Store.id == WorkOrder.store_id)
             .where(WorkOrder.overdue_notified_at.is_(None), overdue_clause(at))
             .order_by(WorkOrder.promised_date, WorkOrder.id).limit(batch)
             .with_for_update(of=WorkOrder, skip_locked=True))
    rows = session.scalars(
        update(WorkOrder)
        .where(WorkOrder.id.in_(claim.scalar_subquery()), WorkOrder.overdue_notified_at.is_(None))
        .values(overdue_notified_at=at)
        .returning(WorkOrder)
        .execution_options(synchronize_session=False)).all()
    for wo in rows:
        record(session, TIMER, wo, "overdue", at, promised_date=wo.promised_date.isoformat(),
               stage=wo.stage)
        emit(session, "workorder.overdue", facts(wo, stage=wo.stage), store_id=wo.store_id)
    return len(rows)


def pickup_reminders(session, at=None, batch=500):
    """Publish the pickup reminders that fell due; returns how many went out."""
    at = at or now()
    latest_due = case(
        *[(WorkOrder.ready_at <= at - timedelta(days=d), d)
          for d in sorted(PICKUP_REMINDER_DAYS, reverse=True)],
        else_=None)
    done = (select(PickupReminder.work_order_id)
            .where(PickupReminder.work_order_id == WorkOrder.id, PickupReminder.days == latest_due))
    waiting = session.scalars(
        select(WorkOrder)
        .where(WorkOrder.stage == "ready_for_pickup",
               WorkOrder.ready_at <= at - timedelta(days=min(PICKUP_REMINDER_DAYS)),
               ~done.exists())
        .order_by(WorkOrder.ready_at, WorkOrder.id).limit(batch)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)).all()
    sent = 0
    for wo in waiting:
        days_waiting = (at - wo.ready_at).days
        passed = [d for d in PICKUP_REMINDER_DAYS if d <= days_waiting]
        if not passed:
            continue
        latest = max(passed)
        new = set(session.scalars(
            insert(PickupReminder)
            .values([{"work_order_id": wo.id, "days": d, "sent": d == latest, "at": at}
                     for d in passed])
            .on_conflict_do_nothing()
            .returning(PickupReminder.days)).all())
        if latest in new:
            record(session, TIMER, wo, "pickup_reminder", at, days=latest,
                   skipped=sorted(new - {latest}))
            emit(session, "workorder.pickup_reminder_due", facts(wo, days_waiting=latest),
                 store_id=wo.store_id)
            sent += 1
    return sent
