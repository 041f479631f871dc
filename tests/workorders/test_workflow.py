"""The stage machine through the service's interface: every allowed move,
a sample of forbidden ones (409, nothing changed), estimates and approval,
concurrent moves, money from payments, appraisals, the bench board."""
import base64
from datetime import date, timedelta

import eventlet
import pytest
from nameko.testing.services import entrypoint_waiter

import contracts
from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.workorders import stages

from .conftest import (
    ASSOCIATE_A,
    AUDITOR,
    CLIENT,
    HQ,
    JEWELER_A,
    JEWELER_B,
    MANAGER_A,
    MANAGER_B,
    STORE_A,
    STORE_B,
    b64,
    image,
    job,
    new_id,
    wait_for,
)

USD = "USD"

# the way from received to each stage, per flow
PATHS = {
    "repair": ["received", "awaiting_approval", "approved", "in_progress", "quality_check",
               "ready_for_pickup", "picked_up"],
    "custom": ["received", "awaiting_approval", "approved", "design", "design_approved", "casting",
               "setting", "quality_check", "ready_for_pickup", "picked_up"],
}


def step(client, wo_id, to_stage, amount=0, note="moved by the test"):
    """One move by the command that makes it."""
    if to_stage == "awaiting_approval":
        return client.workorders.estimate(wo_id, {"amount": {"amount": amount, "currency": USD}})
    if to_stage == "approved":
        return client.workorders.approve(wo_id, {"note": "client said yes"})
    return client.workorders.transition(wo_id, {"stage": to_stage, "note": note})


def job_at(client, kind, stage, amount=0, **over):
    """A new job driven along its path until it is at ``stage``."""
    wo = client.workorders.create_work_order(job(kind=kind, intake={"condition_notes": "",
                                                                    "photos": []}, **over))
    path = PATHS["custom" if kind == "custom" else "repair"]
    for to_stage in path[1:path.index(stage) + 1]:
        wo = step(client, wo["id"], to_stage, amount)
    assert wo["stage"] == stage
    return wo


def put_at(db, wo_id, stage):
    """Set a job's stage as the workflow would have left it (estimate 0,
    approved when past approval): a shortcut to test each move from there."""
    past_estimate = stage != "received"
    past_approval = stage not in ("received", "awaiting_approval")
    db.execute("update work_orders set stage = :s, "
               "estimate_amount = case when :e then 0 end, "
               "approved_at = case when :a then now() end where id = :w",
               s=stage, e=past_estimate, a=past_approval, w=wo_id)


def new_jobs(client, kinds):
    data = [job(kind=kind, intake={"condition_notes": "", "photos": []}) for kind in kinds]
    return [client.workorders.create_work_order(d) for d in data]


def test_every_allowed_move_is_made_recorded_and_published(workorders, db, as_):
    manager = as_(MANAGER_A)
    edges = [(kind, frm, to) for kind in ("repair", "custom") for frm in stages.stages_of(kind)
             for to in stages.next_stages(kind, frm)]
    assert len(edges) == 32
    jobs = new_jobs(manager, [kind for kind, _, _ in edges])
    for (kind, frm, to), wo in zip(edges, jobs):
        put_at(db, wo["id"], frm)
        assert step(manager, wo["id"], to)["stage"] == to, (kind, frm, to)
    events = [e["payload"] for e in db.events("workorder.stage_changed")]
    for (kind, frm, to), wo in zip(edges, jobs):
        last = db.all("select from_stage, to_stage, actor_id from work_order_history "
                      "where work_order_id = :w order by id desc limit 1", w=wo["id"])[0]
        assert tuple(last) == (frm, to, "u-mgr-a"), (kind, frm, to)
        mine = [(e["from_stage"], e["to_stage"]) for e in events if e["work_order_id"] == wo["id"]]
        assert mine == [(frm, to)], (kind, frm, to, mine)

    # and the whole way, command by command, for each flow
    for kind in ("repair", "custom"):
        wo = job_at(manager, kind, "picked_up")
        moves = [(h["from_stage"], h["to_stage"])
                 for h in manager.workorders.history(wo["id"])["items"] if h["from_stage"]]
        path = PATHS[kind]
        assert moves == list(zip(path, path[1:]))
    # received -> approved without an estimate, when the listed prices were agreed
    direct = manager.workorders.create_work_order(job())
    assert direct["estimate_required"] is False
    assert manager.workorders.transition(direct["id"], {"stage": "approved"})["approved_via"] == "counter"


FORBIDDEN = [
    ("repair", "received", "in_progress"),           # no work before approval
    ("repair", "received", "ready_for_pickup"),
    ("repair", "received", "awaiting_approval"),     # only an estimate does that
    ("repair", "awaiting_approval", "in_progress"),
    ("repair", "approved", "quality_check"),
    ("repair", "approved", "design"),                # a repair has no design stage
    ("repair", "in_progress", "ready_for_pickup"),   # no skipping the quality check
    ("repair", "in_progress", "in_progress"),
    ("repair", "ready_for_pickup", "in_progress"),
    ("repair", "ready_for_pickup", "cancelled"),
    ("repair", "picked_up", "cancelled"),
    ("custom", "received", "approved"),              # custom work is always estimated
    ("custom", "approved", "in_progress"),
    ("custom", "design", "casting"),                 # the client approves the design first
    ("custom", "casting", "quality_check"),
]


def test_forbidden_moves_are_409_and_change_nothing(workorders, db, as_):
    manager = as_(MANAGER_A)
    jobs = new_jobs(manager, [kind for kind, _, _ in FORBIDDEN])
    for (kind, at, to), wo in zip(FORBIDDEN, jobs):
        put_at(db, wo["id"], at)
        before = db.counts()
        with pytest.raises(Conflict):
            manager.workorders.transition(wo["id"], {"stage": to, "note": "not allowed"})
        assert db.counts() == before, (kind, at, to)
        assert db.scalar("select stage from work_orders where id = :w", w=wo["id"]) == at
    # the real way to a stage, and a forbidden move from there
    wo = job_at(manager, "custom", "design")
    with pytest.raises(Conflict):
        manager.workorders.transition(wo["id"], {"stage": "setting"})


def test_cancelled_is_final_and_needs_a_reason(workorders, db, as_):
    sa = as_(ASSOCIATE_A)
    wo = job_at(sa, "repair", "approved", amount=5000)
    before = db.counts()
    with pytest.raises(InvalidInput) as err:
        sa.workorders.transition(wo["id"], {"stage": "cancelled", "note": "  "})
    assert "note" in err.value.errors and db.counts() == before
    with pytest.raises(InvalidInput):
        sa.workorders.transition(wo["id"], {"stage": "polished"})
    done = sa.workorders.transition(wo["id"], {"stage": "cancelled", "note": "client changed mind"})
    assert done["stage"] == "cancelled" and done["balance_due"]["amount"] == 0
    assert done["estimate"]["status"] == "approved"
    for to in ("received", "approved", "in_progress", "cancelled"):
        with pytest.raises(Conflict):
            step(sa, wo["id"], to)


def test_estimate_and_client_approval(workorders, db, as_):
    sa, jeweler = as_(ASSOCIATE_A), as_(JEWELER_A)
    wo = sa.workorders.create_work_order(job(tasks=[{"description": "Rebuild the head"}]))
    assert wo["estimate_required"] is True and wo["total"]["amount"] == 0
    assert wo["allowed_stages"] == ["cancelled"]
    with pytest.raises(Conflict):       # no approval before an estimate when one is required
        sa.workorders.approve(wo["id"])
    with pytest.raises(Conflict):
        sa.workorders.transition(wo["id"], {"stage": "in_progress"})
    with pytest.raises(InvalidInput):
        jeweler.workorders.estimate(wo["id"], {"amount": {"amount": 100, "currency": "GBP"}})
    with pytest.raises(InvalidInput):
        jeweler.workorders.estimate(wo["id"], {"amount": {"amount": -1, "currency": USD}})
    quoted = jeweler.workorders.estimate(wo["id"], {"amount": {"amount": 18500, "currency": USD},
                                                    "note": "new head, 4 prongs, platinum"})
    assert quoted["stage"] == "awaiting_approval"
    assert quoted["estimate"]["amount"] == {"amount": 18500, "currency": USD}
    assert quoted["estimate"]["status"] == "awaiting_approval"
    assert quoted["total"]["amount"] == 18500 and quoted["balance_due"]["amount"] == 18500
    revised = jeweler.workorders.estimate(wo["id"], {"amount": {"amount": 16000, "currency": USD}})
    assert revised["stage"] == "awaiting_approval" and revised["total"]["amount"] == 16000
    ready = db.events("workorder.estimate_ready")
    assert [e["payload"]["amount"]["amount"] for e in ready] == [18500, 16000]
    assert ready[0]["payload"]["tracking_token"] == wo["tracking_token"]
    with pytest.raises(Forbidden):
        jeweler.workorders.approve(wo["id"])        # the counter records the client's yes
    approved = sa.workorders.approve(wo["id"], {"note": "by phone"})
    assert approved["stage"] == "approved" and approved["approved_via"] == "counter"
    assert approved["estimate"]["status"] == "approved"
    before = db.counts()
    with pytest.raises(Conflict) as err:
        sa.workorders.approve(wo["id"])
    assert "already approved" in str(err.value)
    with pytest.raises(Conflict):
        jeweler.workorders.estimate(wo["id"], {"amount": {"amount": 1, "currency": USD}})
    assert db.counts() == before
    changes = [(h["change"], h["to_stage"]) for h in sa.workorders.history(wo["id"])["items"]]
    assert changes == [("created", "received"), ("estimate", "awaiting_approval"),
                       ("estimate_revised", None), ("approved", "approved")]


def test_two_concurrent_moves_cannot_both_apply(workorders, db, as_):
    manager, jeweler = as_(MANAGER_A), as_(JEWELER_A)
    for _ in range(3):
        wo = job_at(manager, "repair", "in_progress")
        outcomes = []

        def move(client, stage):
            try:
                outcomes.append(client.workorders.transition(
                    wo["id"], {"stage": stage, "note": "race"})["stage"])
            except Conflict:
                outcomes.append("409")

        threads = [eventlet.spawn(move, jeweler, "quality_check"),
                   eventlet.spawn(move, manager, "cancelled")]
        for t in threads:
            t.wait()
        assert sorted(outcomes)[0] == "409" and len(set(outcomes)) == 2, outcomes
        winner = next(o for o in outcomes if o != "409")
        assert manager.workorders.get_work_order(wo["id"])["stage"] == winner
        moves = db.scalar("select count(*) from work_order_history where work_order_id = :w "
                          "and from_stage = 'in_progress'", w=wo["id"])
        assert moves == 1


def deposit(workorders, wo_id, amount, payment_id=None, event_type="payment.captured", **extra):
    envelope = contracts.build_envelope(event_type, {
        "payment_id": payment_id or new_id(), "store_id": STORE_A, "method": "cash",
        "amount": {"amount": amount, "currency": USD}, "work_order_id": wo_id, **extra,
    }, producer="payments")
    workorders.dispatch("payments", event_type, envelope)
    return envelope


def test_deposits_balance_and_pickup_paid_by_a_sale(workorders, db, as_):
    sa = as_(ASSOCIATE_A)
    wo = job_at(sa, "repair", "quality_check", amount=30000)
    first = deposit(workorders, wo["id"], 10000)
    workorders.dispatch("payments", "payment.captured", first)            # redelivered
    deposit(workorders, wo["id"], 10000, payment_id=first["payload"]["payment_id"])  # same payment
    sale_id = new_id()
    with entrypoint_waiter(workorders, "on_payment_captured", timeout=10,
                           callback=lambda ctx, *_: ctx.args[0]["payload"].get("sale_id") == sale_id):
        deposit(workorders, wo["id"], 5000, sale_id=sale_id)              # a sale's tender: not a deposit
    wait_for(lambda: db.scalar("select count(*) from inbox where consumer like '%on_payment%'") == 2,
             message="payment events handled")
    view = sa.workorders.get_work_order(wo["id"])
    assert (view["total"]["amount"], view["deposits"]["amount"], view["balance_due"]["amount"]) == (
        30000, 10000, 20000)
    refund_of = deposit(workorders, wo["id"], 2500, payment_id=first["payload"]["payment_id"],
                        event_type="payment.refunded", refund_id=new_id())
    wait_for(lambda: sa.workorders.balance_due(wo["id"])["balance"]["amount"] == 22500)
    assert refund_of["payload"]["amount"]["amount"] == 2500

    sa.workorders.transition(wo["id"], {"stage": "ready_for_pickup"})
    with pytest.raises(Conflict) as err:
        sa.workorders.transition(wo["id"], {"stage": "picked_up"})
    assert "22500" in str(err.value)
    due = sa.workorders.balance_due(wo["id"])
    assert due == {"work_order_id": wo["id"], "number": wo["number"], "store_id": STORE_A,
                   "client_id": CLIENT, "stage": "ready_for_pickup",
                   "total": {"amount": 30000, "currency": USD},
                   "deposits": {"amount": 7500, "currency": USD},
                   "paid": {"amount": 0, "currency": USD},
                   "balance": {"amount": 22500, "currency": USD}}
    with pytest.raises(NotFound):
        as_(MANAGER_B).workorders.balance_due(wo["id"])
    sale = new_id()
    paid = sa.workorders.mark_paid(wo["id"], sale)
    assert paid["balance"]["amount"] == 0 and paid["stage"] == "picked_up" and paid["repeated"] is False
    before = db.counts()
    again = sa.workorders.mark_paid(wo["id"], sale)       # payments retries: no second effect
    assert again["repeated"] is True and again["paid"]["amount"] == 22500
    assert db.counts() == before
    with pytest.raises(Conflict):
        sa.workorders.mark_paid(wo["id"], new_id())
    view = sa.workorders.get_work_order(wo["id"])
    assert view["paid_sale_id"] == sale and view["stage"] == "picked_up"
    changes = [h["change"] for h in sa.workorders.history(wo["id"])["items"]]
    assert changes.count("deposit") == 1 and changes.count("deposit_refunded") == 1
    assert changes[-2:] == ["paid", "stage"]
    last = db.events("workorder.stage_changed")[-1]["payload"]
    assert (last["from_stage"], last["to_stage"]) == ("ready_for_pickup", "picked_up")


def test_paid_in_advance_then_picked_up_by_hand(workorders, as_):
    sa = as_(ASSOCIATE_A)
    wo = job_at(sa, "repair", "in_progress", amount=4000)
    sa.workorders.mark_paid(wo["id"], new_id())
    assert sa.workorders.get_work_order(wo["id"])["stage"] == "in_progress"
    for stage in ("quality_check", "ready_for_pickup", "picked_up"):
        assert sa.workorders.transition(wo["id"], {"stage": stage})["stage"] == stage


def appraisal_data(**over):
    data = {
        "piece_description": "Lady's solitaire engagement ring, cathedral setting",
        "metal": {"type": "platinum", "fineness": 950, "weight_g": "4.120"},
        "stones": [{"type": "diamond", "shape": "round", "carat": "1.020", "color": "F",
                    "clarity": "VS1", "cut": "excellent",
                    "certificate": {"lab": "GIA", "number": "2141438167"}}],
        "replacement_value": {"amount": 1250000, "currency": USD},
        "appraiser": {"name": "Rosa Martinez", "credentials": "GIA Graduate Gemologist"},
        "notes": "Light wear on the shank.",
    }
    data.update(over)
    return data


def test_appraisal_document_written_stored_and_reprinted(workorders, db, as_):
    manager, jeweler = as_(MANAGER_A), as_(JEWELER_A)
    photos = [{"content_base64": b64(image("JPEG", (40, 30))), "caption": "face up"}]
    wo = job_at(manager, "appraisal", "in_progress", amount=9500,
                tasks=[{"code": "appraisal_written"}])
    manager.workorders.add_photo(wo["id"], photos[0])
    with pytest.raises(Conflict):     # no quality check of an appraisal never written
        jeweler.workorders.transition(wo["id"], {"stage": "quality_check"})
    with pytest.raises(NotFound):
        manager.workorders.appraisal_pdf(wo["id"])
    other = manager.workorders.create_work_order(job())
    before = db.counts()
    for bad, field in ((appraisal_data(replacement_value={"amount": 5, "currency": "GBP"}),
                        "replacement_value.currency"),
                       (appraisal_data(photo_ids=[other["id"]]), "photo_ids"),
                       (appraisal_data(appraised_on=(date.today() + timedelta(days=3)).isoformat()),
                        "appraised_on"),
                       (appraisal_data(stones=[{"type": "diamond", "carat": "0"}]), "stones.0.carat")):
        with pytest.raises(InvalidInput) as err:
            jeweler.workorders.write_appraisal(wo["id"], bad)
        assert field in err.value.errors, err.value.errors
    with pytest.raises(Conflict):
        jeweler.workorders.write_appraisal(other["id"], appraisal_data())   # a repair
    with pytest.raises(Forbidden):
        as_(ASSOCIATE_A).workorders.write_appraisal(wo["id"], appraisal_data())
    assert db.counts() == before

    written = jeweler.workorders.write_appraisal(wo["id"], appraisal_data())
    assert written["version"] == 1 and written["appraiser"]["name"] == "Rosa Martinez"
    pdf = base64.b64decode(manager.workorders.appraisal_pdf(wo["id"]))
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    for text in (wo["number"], "Replacement value", "$12,500.00", "Rosa Martinez",
                 "GIA 2141438167", "950 platinum, 4.120 g", "Ada Lovelace", "NYC boutique"):
        assert text.encode() in pdf, text
    assert b"/Subtype /Image" in pdf
    jeweler.workorders.write_appraisal(wo["id"], appraisal_data(
        replacement_value={"amount": 1300000, "currency": USD}))
    assert b"$13,000.00" in base64.b64decode(manager.workorders.appraisal_pdf(wo["id"]))
    reprint = base64.b64decode(manager.workorders.appraisal_pdf(wo["id"], 1))
    assert b"$12,500.00" in reprint and b"version 1" in reprint
    view = jeweler.workorders.transition(wo["id"], {"stage": "quality_check"})
    assert view["appraisal"]["version"] == 2


def test_bench_board_assignment_and_scope(workorders, db, as_):
    manager, jeweler = as_(MANAGER_A), as_(JEWELER_A)
    later = job_at(manager, "repair", "in_progress",
                   promised_date=(date.today() + timedelta(days=9)).isoformat())
    rush = job_at(manager, "repair", "in_progress", rush=True,
                  promised_date=(date.today() + timedelta(days=10)).isoformat())
    late = job_at(manager, "repair", "in_progress")
    db.execute("update work_orders set promised_date = :d where id = :w",
               d=date.today() - timedelta(days=3), w=late["id"])
    queued = manager.workorders.create_work_order(job())
    as_(HQ).workorders.create_work_order(job(store_id=STORE_B))

    board = jeweler.workorders.board({"store_id": STORE_A})
    assert [j["id"] for j in board["columns"]["in_progress"]] == [late["id"], rush["id"], later["id"]]
    assert [j["id"] for j in board["columns"]["received"]] == [queued["id"]]
    assert board["overdue"] == 1 and board["columns"]["in_progress"][0]["overdue"] is True

    with pytest.raises(Forbidden):
        jeweler.workorders.assign(rush["id"], {"user_id": "u-bj-other"})
    assert jeweler.workorders.assign(rush["id"], {"user_id": "u-bj-a"})["assignee_name"] == "jo.bench"
    manager.workorders.assign(late["id"], {"user_id": "u-bj-a", "name": "Jo Bench"})
    mine = jeweler.workorders.list_work_orders({"assignee_id": "u-bj-a"})["items"]
    assert [j["id"] for j in mine] == [late["id"], rush["id"]]
    assert jeweler.workorders.board({"store_id": STORE_A})["by_assignee"] == {"u-bj-a": 2, "": 2}
    overdue = manager.workorders.list_work_orders({"store_id": STORE_A, "overdue": True})["items"]
    assert [j["id"] for j in overdue] == [late["id"]]
    page = manager.workorders.list_work_orders({"stage": "in_progress", "limit": 2})
    rest = manager.workorders.list_work_orders({"stage": "in_progress", "cursor": page["next_cursor"]})
    assert [j["id"] for j in page["items"] + rest["items"]] == [late["id"], rush["id"], later["id"]]
    assert rest["next_cursor"] is None

    # a bench jeweler sees only the jobs of their store
    other = as_(JEWELER_B)
    assert other.workorders.list_work_orders()["items"][0]["store_id"] == STORE_B
    assert len(other.workorders.list_work_orders()["items"]) == 1
    with pytest.raises(Forbidden):
        other.workorders.list_work_orders({"store_id": STORE_A})
    with pytest.raises(NotFound):
        other.workorders.board({"store_id": STORE_A})
    with pytest.raises(NotFound):
        other.workorders.transition(late["id"], {"stage": "quality_check"})
    with pytest.raises(NotFound):
        other.workorders.assign(late["id"], {"user_id": "u-bj-b"})
    with pytest.raises(Forbidden):
        as_(AUDITOR).workorders.transition(late["id"], {"stage": "quality_check"})
    assert jeweler.workorders.transition(late["id"], {"stage": "quality_check"})["stage"] == "quality_check"

    counts = as_(AUDITOR).workorders.summary()
    assert counts[STORE_A] == {"open": 4, "overdue": 1, "ready_for_pickup": 0}
    assert counts[STORE_B]["open"] == 1
    assert as_(MANAGER_B).workorders.summary() == {STORE_B: counts[STORE_B]}
