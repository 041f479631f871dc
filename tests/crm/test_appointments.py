"""Private viewings: per store and associate, never two at once for one
associate (the database refuses the overlap), listed by the store's day."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound

from .conftest import ASSOCIATE_A, AUDITOR, JEWELER_A, MANAGER_A, MANAGER_B, STORE_A, STORE_B, client_data, new_id

NEW_YORK = ZoneInfo("America/New_York")


def at(days, hour, minute=0):
    """A New York wall-clock time ``days`` from today, as ISO 8601."""
    day = datetime.now(NEW_YORK).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).isoformat()


@pytest.fixture
def client(crm, as_):
    return as_(ASSOCIATE_A).crm.create_client(client_data())


def viewing(client_id, when, staff="u-sa-a", store=STORE_A, **over):
    data = {"client_id": client_id, "store_id": store, "starts_at": when,
            "staff_user_id": staff, "purpose": "engagement rings"}
    data.update(over)
    return data


def test_booking_publishes_for_reminders_and_shows_on_the_timeline(crm, db, as_, client):
    booked = as_(ASSOCIATE_A).crm.book_appointment(viewing(client["id"], at(2, 15)))
    assert booked["status"] == "booked"
    assert datetime.fromisoformat(booked["ends_at"]) - datetime.fromisoformat(booked["starts_at"]) \
        == timedelta(minutes=60)
    (event,) = db.events("appointment.booked")
    assert event["payload"]["appointment_id"] == booked["id"]
    assert event["payload"]["staff_user_id"] == "u-sa-a" and event["store_id"] == STORE_A
    line = as_().crm.timeline(client["id"])["items"][0]
    assert line["kind"] == "appointment" and line["ref_id"] == booked["id"]
    assert db.scalar("select change from history where entity = 'appointment'") == "booked"


def test_an_associate_is_never_booked_twice_at_once(crm, db, as_, client):
    sa = as_(ASSOCIATE_A).crm
    sa.book_appointment(viewing(client["id"], at(3, 14)))
    with pytest.raises(Conflict) as err:
        sa.book_appointment(viewing(client["id"], at(3, 14, 30)))
    assert "u-sa-a" in str(err.value)
    sa.book_appointment(viewing(client["id"], at(3, 15)))                    # right after: fine
    sa.book_appointment(viewing(client["id"], at(3, 14, 30), staff="u-other"))  # another associate
    assert db.scalar("select count(*) from appointments") == 3
    assert len(db.events("appointment.booked")) == 3


def test_concurrent_bookings_of_one_slot_one_wins(crm, db, as_, client):
    terminals = [as_(ASSOCIATE_A) for _ in range(4)]
    calls = [terminals[i % 4].crm.book_appointment.call_async(
        viewing(client["id"], at(4, 11, i % 3 * 10))) for i in range(12)]
    outcomes = []
    for call in calls:
        try:
            call.result()
            outcomes.append("booked")
        except Conflict:
            outcomes.append("taken")
    assert outcomes.count("booked") == 1 and outcomes.count("taken") == 11
    assert db.scalar("select count(*) from appointments") == 1
    assert len(db.events("appointment.booked")) == 1


def test_cancelling_frees_the_slot(crm, db, as_, client):
    sa = as_(ASSOCIATE_A).crm
    first = sa.book_appointment(viewing(client["id"], at(5, 10)))
    with pytest.raises(NotFound):
        as_(MANAGER_B).crm.cancel_appointment(first["id"])
    assert sa.cancel_appointment(first["id"])["status"] == "cancelled"
    assert sa.cancel_appointment(first["id"])["status"] == "cancelled"
    sa.book_appointment(viewing(client["id"], at(5, 10)))
    assert len(db.events("appointment.cancelled")) == 1


def test_the_days_book_follows_the_stores_time_zone_and_scope(crm, as_, client):
    sa = as_(ASSOCIATE_A).crm
    late = sa.book_appointment(viewing(client["id"], at(6, 21)))  # 02:00 UTC the next day
    early = sa.book_appointment(viewing(client["id"], at(6, 9), staff="u-other"))
    sa.book_appointment(viewing(client["id"], at(7, 9)))
    day = (datetime.now(NEW_YORK).date() + timedelta(days=6)).isoformat()
    listed = sa.list_appointments({"store_id": STORE_A, "date": day})
    assert [a["id"] for a in listed["items"]] == [early["id"], late["id"]]
    paged = sa.list_appointments({"store_id": STORE_A, "limit": 2})
    rest = sa.list_appointments({"store_id": STORE_A, "limit": 2, "cursor": paged["next_cursor"]})
    assert len(paged["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert len(as_(AUDITOR).crm.list_appointments({"store_id": STORE_A, "date": day})["items"]) == 2
    assert len(as_(AUDITOR).crm.list_appointments({})["items"]) == 3   # chain-wide, read-only
    with pytest.raises(Forbidden):
        as_(MANAGER_B).crm.list_appointments({"store_id": STORE_A})
    assert as_(MANAGER_B).crm.list_appointments({})["items"] == []
    with pytest.raises(Forbidden):
        as_(JEWELER_A).crm.list_appointments({"store_id": STORE_A})


@pytest.mark.parametrize("change, field", [
    ({"starts_at": "tomorrow at three"}, "starts_at"),
    ({"starts_at": "2030-01-01T15:00:00"}, "starts_at"),            # no time zone
    ({"starts_at": "2001-01-01T15:00:00+00:00"}, "starts_at"),      # in the past
    ({"duration_minutes": 5}, "duration_minutes"),
    ({"staff_user_id": ""}, "staff_user_id"),
    ({"store_id": "4b3c2a10-0000-4000-8000-000000000000"}, "store_id"),
])
def test_bad_booking_is_refused_and_changes_nothing(crm, db, as_, client, change, field):
    with pytest.raises(InvalidInput) as err:
        as_(MANAGER_A).crm.book_appointment(viewing(client["id"], at(2, 12), **change))
    assert field in err.value.errors
    assert db.scalar("select count(*) from appointments") == 0
    assert db.events("appointment.booked") == []


def test_booking_for_another_store_or_unknown_client_is_refused(crm, db, as_, client):
    with pytest.raises(Forbidden):
        as_(ASSOCIATE_A).crm.book_appointment(viewing(client["id"], at(2, 12), store=STORE_B))
    with pytest.raises(Forbidden):
        as_(AUDITOR).crm.book_appointment(viewing(client["id"], at(2, 12)))
    with pytest.raises(NotFound):
        as_(ASSOCIATE_A).crm.book_appointment(viewing(new_id(), at(2, 12)))
    assert db.scalar("select count(*) from appointments") == 0
