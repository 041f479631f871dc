"""One move of a job from stage to stage, the way every command makes it:
a conditional update (``UPDATE ... WHERE stage = :from``, 409 when the job
moved meanwhile), a row of history and ``workorder.stage_changed`` through
the outbox in the same transaction (docs/ARCHITECTURE.md#rule-2). Which
moves exist is ``stages``' graph; whether the job's facts allow one is
``stages.guard``."""
from sqlalchemy import select, update

from chassis.errors import Conflict
from chassis.outbox import emit

from . import stages
from .jobs import balance_of, deposits_of, facts, has_appraisal, record
from .models import WorkOrder


def move(session, identity, wo, to_stage, note, at, *, values=None, change="stage", **details):
    """Apply one move if the job is still where it was read; 409 otherwise."""
    frm = wo.stage
    values = dict(values or {})
    values.update(stage=to_stage, stage_changed_at=at, updated_at=at)
    if to_stage == "ready_for_pickup":
        values["ready_at"] = at
    moved = session.execute(
        update(WorkOrder).where(WorkOrder.id == wo.id, WorkOrder.stage == frm)
        .values(**values).returning(WorkOrder.id)
        .execution_options(synchronize_session=False)
    ).first()
    if moved is None:
        current = session.scalar(select(WorkOrder.stage).where(WorkOrder.id == wo.id))
        raise Conflict(f"the job moved meanwhile: it is now {current}")
    session.refresh(wo)
    record(session, identity, wo, change, at, from_stage=frm, to_stage=to_stage, note=note,
           **details)
    emit(session, "workorder.stage_changed",
         facts(wo, from_stage=frm, to_stage=to_stage, note=note or None), store_id=wo.store_id)


def refuse_move(session, wo, to_stage):
    """409 with the reason when the graph or the job's facts refuse the move."""
    reason = stages.refusal(wo.kind, wo.stage, to_stage)
    if reason is None:
        reason = stages.guard(wo, to_stage, balance_due=balance_of(wo, deposits_of(session, wo)),
                              has_appraisal=has_appraisal(session, wo))
    if reason is not None:
        raise Conflict(reason)
