"""What every work order rule shares: who may do what, a job read in the
caller's scope, a row of its history, the facts its events start with and
the money on it.

Each rule is a plain function of a session and the caller's identity
(nameko-free); it moves a job only by a conditional update (``UPDATE ...
WHERE stage = :from``), keeps the job's history and emits its events via the
outbox in the same transaction (docs/ARCHITECTURE.md#rule-2).

Scope (docs/ARCHITECTURE.md#rule-7): a user of one store never reads or
changes another store's jobs (NotFound). The auditor reads everything and
changes nothing.
"""
from sqlalchemy import func, select

from chassis.errors import NotFound
from chassis.identity import BENCH_LEADS, HQ_ADMIN, MANAGERS, SELLERS, STAFF, with_system

from . import pricing
from .models import Appraisal, History, Payment, WorkOrder

# who may do what (docs/API.md#conventions)
INTAKE = with_system(SELLERS)                  # take a job in at the counter
COUNTER = INTAKE                               # record the client's approval at the counter
BENCH = with_system(STAFF)                     # move a job, estimate it, add a photo
ASSIGNERS = with_system(MANAGERS)              # and a bench jeweler for themselves
APPRAISERS = with_system(BENCH_LEADS)          # write an appraisal document
PRICE_EDITORS = with_system((HQ_ADMIN,))       # the chain's repair price list


def load(session, identity, wo_id, lock=False):
    """The job, if the caller may see it (NotFound otherwise)."""
    wo = session.get(WorkOrder, str(wo_id), with_for_update=lock or None, populate_existing=True)
    if wo is None or not identity.can_see_store(wo.store_id):
        raise NotFound("no such work order")
    return wo


def record(session, identity, wo, change, at, *, from_stage=None, to_stage=None, note=None,
           **details):
    """One row of the job's history: who, in which role, from which store, when."""
    role = "client" if identity.role == "anonymous" else identity.role
    store_id = identity.store_id or (None if identity.chain_wide else wo.store_id)
    session.add(History(
        work_order_id=wo.id, at=at, actor_id=identity.user_id, actor_role=role,
        actor_name=identity.username, store_id=store_id, change=change, from_stage=from_stage,
        to_stage=to_stage, note=note or None, details=details,
    ))


def facts(wo, **extra):
    """The payload every ``workorder.*`` event starts with."""
    return {
        "work_order_id": wo.id, "number": wo.number, "store_id": wo.store_id,
        "client_id": wo.client_id, "kind": wo.kind, "promised_date": wo.promised_date.isoformat(),
        "tracking_token": wo.tracking_token,
    } | extra


# --- money on a job: minor units of the store's currency (docs/ARCHITECTURE.md#rule-6) ---

def deposits_of(session, wo):
    return int(session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.work_order_id == wo.id, Payment.currency == wo.currency)) or 0)


def total_of(wo):
    """The estimate when there is one, else the priced tasks."""
    return wo.estimate_amount if wo.estimate_amount is not None else wo.tasks_total


def balance_of(wo, deposits):
    if wo.stage == "cancelled":
        return 0
    return pricing.balance(total_of(wo), deposits, wo.paid_amount)


def has_appraisal(session, wo):
    return session.scalar(select(func.count()).select_from(Appraisal)
                          .where(Appraisal.work_order_id == wo.id)) > 0
