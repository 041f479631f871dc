"""The bench workflow: every move of both flows written out, the refusals a
person reads, and the facts that guard a move."""
from types import SimpleNamespace

import pytest

from services.workorders.stages import allowed, flow, guard, is_unfinished, next_stages, refusal, stages_of

BENCH_STAGES = ["received", "awaiting_approval", "approved", "in_progress", "quality_check",
                "ready_for_pickup", "picked_up", "cancelled"]
CUSTOM_STAGES = ["received", "awaiting_approval", "approved", "design", "design_approved",
                 "casting", "setting", "quality_check", "ready_for_pickup", "picked_up",
                 "cancelled"]

BENCH_NEXT = {
    "received": ["awaiting_approval", "approved", "cancelled"],
    "awaiting_approval": ["approved", "cancelled"],
    "approved": ["in_progress", "cancelled"],
    "in_progress": ["quality_check", "cancelled"],
    "quality_check": ["in_progress", "ready_for_pickup", "cancelled"],
    "ready_for_pickup": ["picked_up"],
    "picked_up": [],
    "cancelled": [],
    "design": [], "design_approved": [], "casting": [], "setting": [], "nonsense": [],
}
CUSTOM_NEXT = {
    "received": ["awaiting_approval", "cancelled"],
    "awaiting_approval": ["approved", "cancelled"],
    "approved": ["design", "cancelled"],
    "design": ["design_approved", "cancelled"],
    "design_approved": ["design", "casting", "cancelled"],
    "casting": ["setting", "cancelled"],
    "setting": ["quality_check", "cancelled"],
    "quality_check": ["setting", "ready_for_pickup", "cancelled"],
    "ready_for_pickup": ["picked_up"],
    "picked_up": [],
    "cancelled": [],
    "in_progress": [], "nonsense": [],
}
ALL = sorted(set(BENCH_NEXT) | set(CUSTOM_NEXT))


@pytest.mark.parametrize("kind", ["repair", "resize", "engraving", "appraisal", None, "other"])
def test_bench_kinds(kind):
    assert stages_of(kind) == BENCH_STAGES
    for stage, after in BENCH_NEXT.items():
        assert next_stages(kind, stage) == after, stage
    assert flow(kind) is flow("repair")


def test_custom_flow():
    assert stages_of("custom") == CUSTOM_STAGES
    for stage, after in CUSTOM_NEXT.items():
        assert next_stages("custom", stage) == after, stage
    assert flow("custom") is not flow("repair")


@pytest.mark.parametrize("kind, table", [("repair", BENCH_NEXT), ("custom", CUSTOM_NEXT)])
def test_allowed_is_exactly_the_table(kind, table):
    for frm in ALL:
        for to in ALL:
            assert allowed(kind, frm, to) is (to in table.get(frm, [])), (frm, to)


@pytest.mark.parametrize("kind, frm, to, reason", [
    ("repair", "received", "bogus", "'bogus' is not a stage"),
    ("repair", "received", "received", "the job is already received"),
    ("repair", "picked_up", "picked_up", "the job is already picked_up"),
    ("repair", "approved", "design", "a repair job has no design stage"),
    ("custom", "approved", "in_progress", "a custom job has no in_progress stage"),
    ("repair", "picked_up", "cancelled", "the job is picked_up; it cannot move any more"),
    ("custom", "cancelled", "received", "the job is cancelled; it cannot move any more"),
    ("repair", "received", "in_progress", "a repair job cannot go from received to in_progress"),
    ("repair", "ready_for_pickup", "cancelled",
     "a repair job cannot go from ready_for_pickup to cancelled"),
    ("custom", "received", "approved", "a custom job cannot go from received to approved"),
    ("repair", "design", "in_progress", "a repair job cannot go from design to in_progress"),
    ("custom", "nonsense", "casting", "a custom job cannot go from nonsense to casting"),
    ("repair", "received", "approved", None),
    ("repair", "quality_check", "in_progress", None),
    ("custom", "quality_check", "setting", None),
    ("custom", "design_approved", "design", None),
])
def test_refusal(kind, frm, to, reason):
    assert refusal(kind, frm, to) == reason


def job(kind="repair", stage="received", estimate_required=False, estimate_amount=None):
    return SimpleNamespace(kind=kind, stage=stage, estimate_required=estimate_required,
                           estimate_amount=estimate_amount)


def test_guard_estimate_first():
    assert guard(job(), "awaiting_approval", balance_due=0, has_appraisal=False) == \
        "an estimate must be given first"
    assert guard(job(estimate_amount=0), "awaiting_approval", balance_due=0, has_appraisal=False) is None
    assert guard(job(estimate_amount=5000), "awaiting_approval", balance_due=0,
                 has_appraisal=False) is None


def test_guard_approval_needs_the_estimate_when_required():
    assert guard(job(estimate_required=True), "approved", balance_due=0, has_appraisal=False) == \
        "this job needs an estimate before it can be approved"
    assert guard(job(estimate_required=False), "approved", balance_due=0, has_appraisal=False) is None
    assert guard(job(stage="awaiting_approval", estimate_required=True), "approved",
                 balance_due=0, has_appraisal=False) is None


@pytest.mark.parametrize("due, reason", [
    (1, "1 (minor units) is still due: collect it with a sale first"),   # one unit blocks
    (150050, "150050 (minor units) is still due: collect it with a sale first"),
    (0, None),
    (-1, None),
])
def test_guard_pickup_needs_the_balance_paid(due, reason):
    assert guard(job(stage="ready_for_pickup"), "picked_up", balance_due=due,
                 has_appraisal=False) == reason


def test_guard_a_balance_does_not_block_other_moves():
    assert guard(job(stage="quality_check"), "ready_for_pickup", balance_due=500,
                 has_appraisal=False) is None


def test_guard_appraisal_document_before_quality_check():
    appraisal = job(kind="appraisal", stage="in_progress")
    assert guard(appraisal, "quality_check", balance_due=0, has_appraisal=False) == \
        "write the appraisal document before the quality check"
    assert guard(appraisal, "quality_check", balance_due=0, has_appraisal=True) is None
    assert guard(job(kind="repair", stage="in_progress"), "quality_check", balance_due=0,
                 has_appraisal=False) is None
    assert guard(job(kind="appraisal", stage="quality_check"), "ready_for_pickup", balance_due=0,
                 has_appraisal=False) is None
    assert guard(job(kind="appraisal", stage="setting"), "quality_check", balance_due=0,
                 has_appraisal=False) is None


@pytest.mark.parametrize("stage, unfinished", [
    ("received", True), ("in_progress", True), ("quality_check", True), ("casting", True),
    ("ready_for_pickup", False), ("picked_up", False), ("cancelled", False),
])
def test_is_unfinished(stage, unfinished):
    assert is_unfinished(stage) is unfinished
