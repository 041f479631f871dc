"""The estimate and the client's approval (docs/API.md#work-orders): the
bench quotes a job, which then waits at ``awaiting_approval``; the client
approves at the counter or on the tracking page, and only then does the job
go to the bench."""
from sqlalchemy import update

from chassis.clock import now
from chassis.errors import Conflict, InvalidInput
from chassis.outbox import emit
from contracts.money import maybe_money

from .jobs import BENCH, COUNTER, facts, load, record, total_of
from .models import WorkOrder
from .moves import move, refuse_move
from .views import full_view


def _revise(session, identity, wo, values, note, at, previous):
    """A new amount for an estimate still waiting for the client."""
    revised = session.execute(
        update(WorkOrder).where(WorkOrder.id == wo.id, WorkOrder.stage == "awaiting_approval")
        .values(updated_at=at, **values).returning(WorkOrder.id)
        .execution_options(synchronize_session=False)).first()
    if revised is None:
        raise Conflict("the job moved meanwhile")
    session.refresh(wo)
    record(session, identity, wo, "estimate_revised", at, note=note,
           amount=values["estimate_amount"], previous=previous)


def estimate(session, identity, wo_id, data, at=None):
    """Quote the job; it waits for the client's approval (``estimate_ready``)."""
    identity.require(BENCH, "give an estimate")
    at = at or now()
    wo = load(session, identity, wo_id)
    amount = data["amount"]
    if wo.stage not in ("received", "awaiting_approval"):
        raise Conflict(f"the job is {wo.stage}: an estimate is given before approval")
    if amount["currency"] != wo.currency:
        raise InvalidInput("the estimate is in another currency",
                           {"amount.currency": [f"the store works in {wo.currency}"]})
    note = (data.get("note") or "").strip()
    values = {"estimate_amount": amount["amount"], "estimate_note": note, "estimated_at": at,
              "estimated_by": identity.user_id}
    previous = wo.estimate_amount
    if wo.stage == "received":
        move(session, identity, wo, "awaiting_approval", note, at, values=values, change="estimate",
             amount=amount["amount"], previous=previous)
    else:
        _revise(session, identity, wo, values, note, at, previous)
    emit(session, "workorder.estimate_ready",
         facts(wo, amount=maybe_money(wo.estimate_amount, wo.currency)), store_id=wo.store_id)
    return full_view(session, wo, at)


def approve(session, identity, wo_id, data, at=None, via="counter", wo=None):
    """The client approves the estimate (or, with no estimate needed, the
    listed prices): the job may go to the bench. Approving twice is 409."""
    at = at or now()
    if via == "counter":
        identity.require(COUNTER, "record the client's approval")
    wo = wo or load(session, identity, wo_id)
    if wo.approved_at is not None:
        raise Conflict(f"the job was already approved ({wo.approved_at.date().isoformat()})")
    refuse_move(session, wo, "approved")
    move(session, identity, wo, "approved", (data.get("note") or "").strip(), at,
         values={"approved_at": at, "approved_by": identity.user_id, "approved_via": via},
         change="approved", via=via,
         amount=total_of(wo))
    return full_view(session, wo, at)
