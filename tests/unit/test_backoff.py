"""When a failed event is tried again and when it is parked (chassis.backoff)."""
import psycopg.errors
import pytest
from sqlalchemy import exc as sa_exc

from chassis.backoff import Schedule, transient
from chassis.errors import Conflict, InvalidInput, Unavailable

DAY = 24 * 3600


def db_error(kind, orig):
    return kind("SELECT 1", {}, orig)


@pytest.mark.parametrize("exc", [
    Unavailable("the crm database is unreachable"),
    ConnectionRefusedError(111, "refused"),
    TimeoutError("timed out"),
    db_error(sa_exc.OperationalError, psycopg.errors.LockNotAvailable()),
    db_error(sa_exc.OperationalError, psycopg.errors.QueryCanceled()),
    db_error(sa_exc.OperationalError, psycopg.errors.DeadlockDetected()),
    db_error(sa_exc.OperationalError, psycopg.errors.SerializationFailure()),
    db_error(sa_exc.OperationalError, psycopg.errors.AdminShutdown()),
    db_error(sa_exc.OperationalError, psycopg.OperationalError("connection refused")),
    sa_exc.TimeoutError("QueuePool limit reached"),
], ids=lambda e: type(getattr(e, "orig", e)).__name__)
def test_what_waiting_mends_is_transient(exc):
    assert transient(exc)


@pytest.mark.parametrize("exc", [
    RuntimeError("a bug"), KeyError("note"), ValueError("bad payload"),
    Conflict("sold already"), InvalidInput("no such piece"),
    db_error(sa_exc.IntegrityError, psycopg.errors.UniqueViolation()),
    db_error(sa_exc.ProgrammingError, psycopg.errors.UndefinedColumn()),
    db_error(sa_exc.DataError, psycopg.errors.InvalidTextRepresentation()),
], ids=lambda e: type(getattr(e, "orig", e)).__name__)
def test_what_waiting_cannot_mend_is_not(exc):
    assert not transient(exc)


def test_every_failure_starts_with_the_short_schedule():
    s = Schedule(delays=(1, 5, 30), max_delay_s=600, window_s=DAY)
    for is_transient in (True, False):
        assert [s.next_delay(n, is_transient, 0) for n in (1, 2, 3)] == [1, 5, 30]


def test_a_deterministic_failure_is_parked_after_the_short_schedule():
    s = Schedule(delays=(1, 5, 30), max_delay_s=600, window_s=DAY)
    assert s.next_delay(4, False, 36) is None


def test_a_transient_failure_backs_off_doubling_up_to_the_cap_for_a_day():
    s = Schedule(delays=(1, 5, 30), max_delay_s=600, window_s=DAY)
    assert [s.next_delay(n, True, 60) for n in range(4, 10)] == [60, 120, 240, 480, 600, 600]
    assert s.next_delay(500, True, DAY - 1) == 600
    assert s.next_delay(500, True, DAY) is None
    # a two-minute outage: about seven attempts, none parked
    waited, attempt = 0.0, 1
    while waited < 120:
        delay = s.next_delay(attempt, True, waited)
        assert delay is not None
        waited, attempt = waited + delay, attempt + 1
    assert attempt <= 7


def test_the_attempt_counts_from_one():
    with pytest.raises(ValueError):
        Schedule().next_delay(0, True, 0)
