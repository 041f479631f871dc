"""The hourly clocks: overdue jobs published exactly once, pickup reminders
at 7, 14 and 30 days each once. The domain functions are called with a
chosen ``at`` (no waiting for wall-clock timers)."""
from datetime import date, datetime, timedelta, timezone

import eventlet
from nameko.testing.services import entrypoint_hook

from services.workorders import dues

from .conftest import HQ, MANAGER_A, STORE_B, job, wait_for
from .test_workflow import job_at


def run(db, fn, at):
    with db.transaction() as session:
        return fn(session, at=at)


def test_overdue_is_published_once_per_job_even_with_two_timers_at_once(workorders, db, as_):
    manager = as_(MANAGER_A)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    late_a = job_at(manager, "repair", "in_progress", promised_date=tomorrow)
    late_b = as_(HQ).workorders.create_work_order(job(promised_date=tomorrow, store_id=STORE_B))
    done = job_at(manager, "repair", "ready_for_pickup", promised_date=tomorrow)
    on_time = manager.workorders.create_work_order(
        job(promised_date=(date.today() + timedelta(days=10)).isoformat()))

    assert run(db, dues.flag_overdue, datetime.now(timezone.utc)) == 0
    at = datetime.now(timezone.utc) + timedelta(days=3)
    counts = []
    threads = [eventlet.spawn(lambda: counts.append(run(db, dues.flag_overdue, at))) for _ in range(2)]
    for t in threads:
        t.wait()
    assert sorted(counts) == [0, 2]
    assert run(db, dues.flag_overdue, at + timedelta(hours=1)) == 0
    assert run(db, dues.flag_overdue, at + timedelta(days=5)) == 0
    events = db.events("workorder.overdue")
    assert sorted(e["payload"]["work_order_id"] for e in events) == sorted([late_a["id"], late_b["id"]])
    assert {e["payload"]["stage"] for e in events} == {"in_progress", "received"}
    assert done["id"] not in {e["payload"]["work_order_id"] for e in events}
    assert on_time["id"] not in {e["payload"]["work_order_id"] for e in events}
    wait_for(lambda: db.scalar("select count(*) from outbox where event_type = 'workorder.overdue' "
                               "and published_at is not null") == 2, message="published")
    history = manager.workorders.history(late_a["id"])["items"]
    assert [h["change"] for h in history].count("overdue") == 1


def test_the_hourly_timer_runs_the_clocks(workorders, db, as_):
    wo = as_(MANAGER_A).workorders.create_work_order(job())
    db.execute("update work_orders set promised_date = :d where id = :w",
               d=date.today() - timedelta(days=2), w=wo["id"])
    with entrypoint_hook(workorders, "hourly_dues") as hourly:
        hourly()
        hourly()
    assert [e["payload"]["work_order_id"] for e in db.events("workorder.overdue")] == [wo["id"]]


def test_pickup_reminders_at_7_14_and_30_days_each_once(workorders, db, as_):
    manager = as_(MANAGER_A)
    waiting = job_at(manager, "repair", "ready_for_pickup")
    ready_at = datetime.fromisoformat(manager.workorders.get_work_order(waiting["id"])["ready_at"])

    def reminders_at(days, hours=0):
        return run(db, dues.pickup_reminders, ready_at + timedelta(days=days, hours=hours))

    assert [reminders_at(d) for d in (6, 7, 7.5, 13, 14, 20, 30, 31, 45)] == [0, 1, 0, 0, 1, 0, 1, 0, 0]
    sent = db.events("workorder.pickup_reminder_due")
    assert [e["payload"]["days_waiting"] for e in sent] == [7, 14, 30]
    assert {e["payload"]["work_order_id"] for e in sent} == {waiting["id"]}

    # a job found late gets only its latest reminder, and never the earlier ones after it
    late = job_at(manager, "repair", "ready_for_pickup")
    db.execute("update work_orders set ready_at = ready_at - interval '31 days' where id = :w",
               w=late["id"])
    now = datetime.now(timezone.utc)
    assert run(db, dues.pickup_reminders, now) == 1
    assert run(db, dues.pickup_reminders, now + timedelta(days=1)) == 0
    late_sent = [e["payload"]["days_waiting"] for e in db.events("workorder.pickup_reminder_due")
                 if e["payload"]["work_order_id"] == late["id"]]
    assert late_sent == [30]
    rows = db.all("select days, sent from pickup_reminders where work_order_id = :w order by days",
                  w=late["id"])
    assert [tuple(r) for r in rows] == [(7, False), (14, False), (30, True)]

    # picked up: no more reminders
    manager.workorders.transition(waiting["id"], {"stage": "picked_up"})
    assert run(db, dues.pickup_reminders, ready_at + timedelta(days=400)) == 0
