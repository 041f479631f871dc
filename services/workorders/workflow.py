"""The bench's commands on a job (docs/API.md#work-orders): move it along
its workflow (``stages``; a move the workflow does not allow is 409) and
give it to a bench jeweler."""
from sqlalchemy import update

from chassis.clock import now
from chassis.errors import Conflict, Forbidden, InvalidInput
from chassis.identity import BENCH_JEWELER

from . import stages
from .approval import approve
from .jobs import ASSIGNERS, BENCH, load, record
from .models import WorkOrder
from .moves import move, refuse_move
from .views import full_view


def transition(session, identity, wo_id, data, at=None):
    """Move a job along its workflow; a move the workflow does not allow is 409."""
    at = at or now()
    to_stage, note = data["stage"], (data.get("note") or "").strip()
    if to_stage == "approved":
        return approve(session, identity, wo_id, {"note": note}, at=at)
    identity.require(BENCH, "move a job")
    wo = load(session, identity, wo_id)
    reason = stages.refusal(wo.kind, wo.stage, to_stage)
    if reason is None and to_stage in stages.BY_COMMAND:
        reason = f"{to_stage} is reached by {stages.BY_COMMAND[to_stage]}"
    if reason is not None:
        raise Conflict(reason)
    if to_stage == "cancelled" and not note:
        raise InvalidInput("say why the job is cancelled", {"note": ["a cancellation needs a reason"]})
    refuse_move(session, wo, to_stage)
    move(session, identity, wo, to_stage, note, at)
    return full_view(session, wo, at)


def assign(session, identity, wo_id, data, at=None):
    """Give the job to a bench jeweler (``user_id`` null: take it back)."""
    at = at or now()
    user_id = data.get("user_id")
    if identity.role == BENCH_JEWELER and not identity.read_only:
        if user_id != identity.user_id:
            raise Forbidden("a bench jeweler takes jobs for themselves only")
    else:
        identity.require(ASSIGNERS, "assign a job")
    wo = load(session, identity, wo_id)
    if not stages.is_unfinished(wo.stage):
        raise Conflict(f"the job is {wo.stage}: nothing is left for the bench")
    name = data.get("name") or (identity.username if user_id == identity.user_id else None)
    before = wo.assignee_id
    done = session.execute(
        update(WorkOrder).where(WorkOrder.id == wo.id, WorkOrder.stage == wo.stage)
        .values(assignee_id=user_id, assignee_name=name if user_id else None, updated_at=at)
        .returning(WorkOrder.id).execution_options(synchronize_session=False)).first()
    if done is None:
        raise Conflict("the job moved meanwhile")
    session.refresh(wo)
    record(session, identity, wo, "assigned", at, assignee_id=user_id, assignee_name=name,
           previous_assignee_id=before)
    return full_view(session, wo, at)
