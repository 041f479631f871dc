"""Form 8300: what counts as cash, the 12-month aggregation, the threshold
(above 10,000.00 USD, not at it), structuring and the filing date."""
from datetime import date, datetime, timezone

import pytest

from services.payments.compliance import (
    CSV_COLUMNS,
    Case,
    CashPayment,
    counts_as_cash,
    due_date,
    evaluate,
    is_reportable,
    just_under,
    related,
    structuring_suspected,
    to_csv,
)

UTC = timezone.utc


def at(y, mo, d, h=12, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def pay(ref, amount, when, method="cash", client="c1", sale=None):
    return CashPayment(ref=ref, client_id=client, amount=amount, method=method,
                       received_at=when, sale_id=sale)


@pytest.mark.parametrize("method, amount, cash", [
    ("cash", 5_000_000, True),
    ("cash", 1, True),
    ("cashiers_check", 1_000_000, True),        # 10,000.00 or less: cash
    ("cashiers_check", 1_000_001, False),       # larger: the bank reported it
    ("money_order", 1_000_000, True),
    ("money_order", 999_999, True),
    ("money_order", 1_000_001, False),
    ("personal_check", 100, False),
    ("card", 100, False),
    ("CASH", 100, False),
])
def test_counts_as_cash(method, amount, cash):
    assert counts_as_cash(method, amount) is cash


@pytest.mark.parametrize("earlier, later, result", [
    (at(2025, 3, 15, 10), at(2026, 3, 15, 10), True),     # exactly 12 months: related
    (at(2025, 3, 15, 9, 59), at(2026, 3, 15, 10), False),
    (at(2026, 3, 15, 10), at(2026, 3, 15, 10), True),      # the same moment
    (at(2026, 3, 15, 11), at(2026, 3, 15, 10), False),     # after: not earlier
    (at(2023, 2, 28), at(2024, 2, 29), True),              # 29 Feb - 12 months = 28 Feb
    (at(2023, 2, 27), at(2024, 2, 29), False),
    (at(2025, 6, 1), at(2026, 1, 1), True),
])
def test_related(earlier, later, result):
    assert related(earlier, later) is result


def test_threshold_is_above_not_at():
    assert is_reportable(1_000_000) is False
    assert is_reportable(1_000_001) is True
    assert is_reportable(0) is False
    assert is_reportable(11, threshold=10) is True
    assert is_reportable(10, 10) is False


@pytest.mark.parametrize("amount, result", [
    (899_999, False), (900_000, True), (950_000, True), (1_000_000, True), (1_000_001, False),
])
def test_just_under(amount, result):
    assert just_under(amount) is result


def test_just_under_with_its_own_bounds():
    assert just_under(95, threshold=100, floor=90) is True
    assert just_under(89, 100, 90) is False
    assert just_under(101, 100, 90) is False


def test_structuring_needs_two_payments_just_under():
    t = at(2026, 1, 1)
    assert structuring_suspected([pay("a", 950_000, t), pay("b", 900_000, t)]) is True
    assert structuring_suspected([pay("a", 950_000, t)]) is False
    assert structuring_suspected([pay("a", 950_000, t), pay("b", 500_000, t)]) is False
    assert structuring_suspected([]) is False
    small = [pay("a", 95, t), pay("b", 91, t)]
    assert structuring_suspected(small, threshold=100, floor=90) is True
    assert structuring_suspected(small) is False


def test_one_payment_above_the_threshold_opens_a_case():
    p = pay("t1", 1_000_001, at(2026, 3, 1, 15), client="c9")
    cases, group = evaluate([p])
    assert cases == [Case("c9", (p,), 1_000_001, at(2026, 3, 1, 15), False)]
    assert group == []


def test_exactly_the_threshold_opens_nothing():
    p = pay("t1", 1_000_000, at(2026, 3, 1))
    assert evaluate([p]) == ([], [p])


def test_related_payments_add_up_and_the_count_restarts_after_a_case():
    p1 = pay("t1", 600_000, at(2026, 1, 10))
    p2 = pay("t2", 400_001, at(2026, 6, 1))
    p3 = pay("t3", 300_000, at(2026, 6, 2))
    cases, group = evaluate([p3, p2, p1])                 # any order
    assert cases == [Case("c1", (p1, p2), 1_000_001, at(2026, 6, 1), False)]
    assert group == [p3]


def test_payments_more_than_twelve_months_apart_are_not_related():
    p1 = pay("t1", 600_000, at(2025, 1, 1))
    p2 = pay("t2", 600_000, at(2026, 1, 2))
    assert evaluate([p1, p2]) == ([], [p2])
    p3 = pay("t3", 600_000, at(2026, 1, 1))              # exactly 12 months after p1
    cases, group = evaluate([p1, p3])
    assert [c.total for c in cases] == [1_200_000] and group == []


def test_what_is_not_cash_is_ignored():
    check = pay("t1", 2_000_000, at(2026, 1, 1), method="personal_check")
    big_order = pay("t2", 1_500_000, at(2026, 1, 2), method="money_order")
    small_order = pay("t3", 600_000, at(2026, 1, 3), method="money_order")
    cash = pay("t4", 400_001, at(2026, 1, 4))
    cases, group = evaluate([check, big_order, small_order, cash])
    assert cases == [Case("c1", (small_order, cash), 1_000_001, at(2026, 1, 4), False)]
    assert group == []
    assert evaluate([check]) == ([], [])


def test_structuring_is_flagged_on_the_case():
    p1 = pay("t1", 950_000, at(2026, 2, 1))
    p2 = pay("t2", 950_000, at(2026, 2, 8))
    cases, group = evaluate([p1, p2])
    assert cases == [Case("c1", (p1, p2), 1_900_000, at(2026, 2, 8), True)]


def test_same_moment_sorted_by_reference_and_two_cases_in_a_row():
    t = at(2026, 4, 1)
    a, b = pay("a", 1_200_000, t), pay("b", 1_300_000, t)
    cases, group = evaluate([b, a])
    assert cases == [Case("c1", (a,), 1_200_000, t, False), Case("c1", (b,), 1_300_000, t, False)]
    assert group == []


def test_evaluate_with_its_own_threshold():
    p1, p2 = pay("t1", 60, at(2026, 1, 1)), pay("t2", 41, at(2026, 1, 2))
    assert evaluate([p1, p2], threshold=100) == ([Case("c1", (p1, p2), 101, at(2026, 1, 2), False)], [])
    assert evaluate([p1, p2], 101) == ([], [p1, p2])
    assert evaluate([]) == ([], [])


def test_structuring_uses_the_threshold_given():
    # with a 20,000.00 threshold, 9,500.00 and 11,000.00 are both "just under" it
    p1, p2 = pay("t1", 950_000, at(2026, 1, 1)), pay("t2", 1_100_000, at(2026, 1, 2))
    cases, group = evaluate([p1, p2], threshold=2_000_000)
    assert cases == [Case("c1", (p1, p2), 2_050_000, at(2026, 1, 2), True)]
    # with the usual threshold 11,000.00 is above it: one payment just under
    assert evaluate([p1, p2]) == ([Case("c1", (p1, p2), 2_050_000, at(2026, 1, 2), False)], [])


@pytest.mark.parametrize("day, due", [
    (date(2026, 3, 1), date(2026, 3, 16)),
    (date(2026, 12, 20), date(2027, 1, 4)),
    (datetime(2026, 2, 20, 23, 59, tzinfo=UTC), date(2026, 3, 7)),
])
def test_due_date_is_fifteen_days_later(day, due):
    got = due_date(day)
    assert got == due and type(got) is date


def test_csv_for_the_compliance_officer():
    cases = [
        {"id": "k1", "client_id": "c1", "store_id": "s1", "store_code": "NYC",
         "total_cash": {"amount": 1_000_001, "currency": "USD"},
         "first_payment_at": "2026-01-10T12:00:00Z", "triggered_at": "2026-06-01T12:00:00Z",
         "due_date": "2026-06-16", "structuring_suspected": True,
         "sale_ids": ["sa1", "sa2"], "status": "open"},
        {"id": "k2", "client_id": "c2", "store_id": "s2", "store_code": None,
         "total_cash": {"amount": 1_200_005, "currency": "USD"},
         "first_payment_at": "2026-02-01T12:00:00Z", "triggered_at": "2026-02-01T12:00:00Z",
         "due_date": "2026-02-16", "structuring_suspected": False,
         "sale_ids": [], "status": "filed"},
        {"id": "k3", "client_id": "c3", "store_id": "s3",
         "total_cash": {"amount": 1_000_100, "currency": "USD"},
         "first_payment_at": "a", "triggered_at": "b", "due_date": "c",
         "structuring_suspected": False, "sale_ids": ["x"], "status": "open"},
    ]
    assert to_csv(cases) == (
        "case_id,client_id,store_id,store_code,total_cash,currency,first_payment_at,"
        "triggered_at,due_date,structuring_suspected,sale_ids,status\r\n"
        "k1,c1,s1,NYC,10000.01,USD,2026-01-10T12:00:00Z,2026-06-01T12:00:00Z,2026-06-16,"
        "yes,sa1 sa2,open\r\n"
        "k2,c2,s2,,12000.05,USD,2026-02-01T12:00:00Z,2026-02-01T12:00:00Z,2026-02-16,"
        "no,,filed\r\n"
        "k3,c3,s3,,10001.00,USD,a,b,c,no,x,open\r\n"
    )
    assert to_csv([]) == ",".join(CSV_COLUMNS) + "\r\n"
