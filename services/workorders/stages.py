"""The bench workflow (docs/API.md#work-orders): which stage may follow
which. Pure, no I/O.

A job goes ``received -> awaiting_approval -> approved -> in_progress ->
quality_check -> ready_for_pickup -> picked_up``. Custom work replaces the
bench stage with ``design -> design_approved -> casting -> setting``. Until
the piece is ready, a job may be ``cancelled`` (with a note). A failed
quality check sends the job back to the bench.

Some moves are made only by their own command, never by a bare transition:
``awaiting_approval`` by an estimate, and ``approved`` by an approval.
Whether a move is also allowed by the job's facts (an estimate required, a
balance due, an appraisal written) is checked by ``guard``.
"""
from contracts.events.workorders import STAGES

CLOSED = ("picked_up", "cancelled")
FINISHED = ("ready_for_pickup",) + CLOSED      # no longer "overdue"

LABELS = {
    "received": "Received", "awaiting_approval": "Estimate awaiting your approval",
    "approved": "Approved, waiting for the bench", "in_progress": "At the bench",
    "design": "Design", "design_approved": "Design approved", "casting": "Casting",
    "setting": "Stone setting", "quality_check": "Quality check",
    "ready_for_pickup": "Ready for pickup", "picked_up": "Picked up", "cancelled": "Cancelled",
}

_COMMON = {
    "received": {"awaiting_approval", "approved", "cancelled"},
    "awaiting_approval": {"approved", "cancelled"},
    "ready_for_pickup": {"picked_up"},
    "picked_up": set(),
    "cancelled": set(),
}

FLOWS = {
    "bench": _COMMON | {
        "approved": {"in_progress", "cancelled"},
        "in_progress": {"quality_check", "cancelled"},
        "quality_check": {"ready_for_pickup", "in_progress", "cancelled"},
    },
    "custom": _COMMON | {
        "received": {"awaiting_approval", "cancelled"},   # custom work is always estimated
        "approved": {"design", "cancelled"},
        "design": {"design_approved", "cancelled"},
        "design_approved": {"casting", "design", "cancelled"},
        "casting": {"setting", "cancelled"},
        "setting": {"quality_check", "cancelled"},
        "quality_check": {"ready_for_pickup", "setting", "cancelled"},
    },
}

# moves only their own command makes
BY_COMMAND = {"awaiting_approval": "an estimate (POST /work-orders/{id}/estimate)",
              "approved": "an approval (POST /work-orders/{id}/approve)"}


def flow(kind):
    return FLOWS["custom" if kind == "custom" else "bench"]


def stages_of(kind):
    """The stages a job of this kind can be in, in workflow order."""
    used = set(flow(kind))
    return [s for s in STAGES if s in used]


def next_stages(kind, stage):
    """Every stage the graph allows after ``stage`` (commands included)."""
    return sorted(flow(kind).get(stage, set()), key=STAGES.index)


def allowed(kind, from_stage, to_stage):
    return to_stage in flow(kind).get(from_stage, set())


def refusal(kind, from_stage, to_stage):
    """Why the graph refuses this move, or None when it allows it."""
    if to_stage not in STAGES:
        return f"{to_stage!r} is not a stage"
    if from_stage == to_stage:
        return f"the job is already {from_stage}"
    if to_stage not in flow(kind).get(from_stage, set()):
        if to_stage not in flow(kind):
            return f"a {kind} job has no {to_stage} stage"
        if from_stage in CLOSED:
            return f"the job is {from_stage}; it cannot move any more"
        return f"a {kind} job cannot go from {from_stage} to {to_stage}"
    return None


def guard(job, to_stage, *, balance_due, has_appraisal):
    """Why the job's facts refuse a move the graph allows, or None.

    ``job`` needs ``kind``, ``stage``, ``estimate_required`` and
    ``estimate_amount``; the balance is in minor units.
    """
    frm = job.stage
    if to_stage == "awaiting_approval" and job.estimate_amount is None:
        return "an estimate must be given first"
    if to_stage == "approved":
        if frm == "received" and job.estimate_required:
            return "this job needs an estimate before it can be approved"
    if to_stage == "picked_up" and balance_due > 0:
        return f"{balance_due} (minor units) is still due: collect it with a sale first"
    if (job.kind == "appraisal" and frm == "in_progress" and to_stage == "quality_check"
            and not has_appraisal):
        return "write the appraisal document before the quality check"
    return None


def is_unfinished(stage):
    return stage not in FINISHED
