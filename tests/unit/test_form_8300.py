"""Form 8300 aggregation, pure: the threshold edge (10,000.00 is not above,
10,000.01 is), the 12-month window edge, what counts as cash, the fresh
count after a case, structuring. No infrastructure."""
from datetime import UTC, date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from hypothesis import given, settings, strategies as st

from services.payments.compliance import INSTRUMENT_LIMIT, THRESHOLD, CashPayment, due_date, evaluate, related, to_csv

CLIENT = "client-1"
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31),
                       timezones=st.just(UTC))
cents = st.integers(min_value=1, max_value=2 * THRESHOLD)


def pay(amount, at, method="cash", ref=None):
    return CashPayment(ref=ref or f"{at.isoformat()}:{amount}:{method}", client_id=CLIENT,
                       amount=amount, method=method, received_at=at, sale_id=None)


@given(amount=cents, at=moments)
def test_one_payment_is_reportable_exactly_when_above_ten_thousand(amount, at):
    cases, _ = evaluate([pay(amount, at)])
    assert bool(cases) == (amount > THRESHOLD)


def test_the_threshold_edge_in_cents():
    at = datetime(2024, 5, 1, tzinfo=UTC)
    assert evaluate([pay(1_000_000, at)])[0] == []
    assert len(evaluate([pay(1_000_001, at)])[0]) == 1
    assert evaluate([pay(600_000, at), pay(400_000, at + timedelta(days=3))])[0] == []
    assert len(evaluate([pay(600_000, at), pay(400_001, at + timedelta(days=3))])[0]) == 1


together_above = st.integers(1, THRESHOLD).flatmap(
    lambda first: st.tuples(st.just(first), st.integers(THRESHOLD - first + 1, THRESHOLD)))


@given(later=moments, amounts=together_above)
def test_related_payments_reach_back_exactly_twelve_months(later, amounts):
    first, second = amounts
    edge = later - relativedelta(months=12)
    inside, _ = evaluate([pay(first, edge), pay(second, later)])
    outside, _ = evaluate([pay(first, edge - timedelta(microseconds=1)), pay(second, later)])
    assert len(inside) == 1 and inside[0].total == first + second
    assert outside == []
    assert related(edge, later) and not related(edge - timedelta(microseconds=1), later)


@given(amount=st.integers(THRESHOLD // 2 + 1, THRESHOLD), at=moments,
       method=st.sampled_from(("cashiers_check", "money_order")))
def test_instruments_count_as_cash_only_up_to_ten_thousand(amount, at, method):
    counted, _ = evaluate([pay(amount, at, method), pay(amount, at + timedelta(hours=1), method)])
    assert len(counted) == 1
    big = INSTRUMENT_LIMIT + 1
    ignored, _ = evaluate([pay(big, at, method), pay(big, at + timedelta(hours=1), method)])
    assert ignored == []
    assert evaluate([pay(2 * THRESHOLD, at, "card"), pay(2 * THRESHOLD, at, "check")])[0] == []


payments = st.lists(st.tuples(cents, moments, st.sampled_from(("cash", "cash", "money_order", "card"))),
                    max_size=25)


@settings(max_examples=300)
@given(raw=payments)
def test_cases_are_above_the_threshold_within_twelve_months_and_opened_at_the_crossing(raw):
    ps = [pay(a, at, m, ref=str(n)) for n, (a, at, m) in enumerate(raw)]
    cases, open_group = evaluate(ps)
    seen = set()
    for case in cases:
        assert case.total == sum(p.amount for p in case.payments) > THRESHOLD
        assert case.payments[-1].received_at == case.triggered_at
        assert all(related(p.received_at, case.triggered_at) for p in case.payments)
        assert sum(p.amount for p in case.payments[:-1]) <= THRESHOLD    # the first crossing
        refs = {p.ref for p in case.payments}
        assert not refs & seen                                           # a payment counts once
        seen |= refs
    assert sum(p.amount for p in open_group) <= THRESHOLD
    assert all(p.method != "card" for c in cases for p in c.payments)


def test_the_count_starts_again_after_a_case():
    at = datetime(2024, 1, 10, tzinfo=UTC)
    cases, group = evaluate([pay(1_000_001, at), pay(900_000, at + timedelta(days=30))])
    assert len(cases) == 1 and [p.amount for p in group] == [900_000]
    cases, _ = evaluate([pay(1_000_001, at), pay(900_000, at + timedelta(days=30)),
                         pay(200_000, at + timedelta(days=60))])
    assert [c.total for c in cases] == [1_000_001, 1_100_000]


def test_several_payments_just_under_the_threshold_flag_structuring():
    at = datetime(2024, 3, 1, tzinfo=UTC)
    split, _ = evaluate([pay(950_000, at), pay(980_000, at + timedelta(days=2))])
    plain, _ = evaluate([pay(600_000, at), pay(500_000, at + timedelta(days=2))])
    assert split[0].structuring_suspected and not plain[0].structuring_suspected


def test_the_filing_is_due_fifteen_days_after_and_exports_as_csv():
    assert due_date(date(2024, 12, 20)) == date(2025, 1, 4)
    text = to_csv([{"id": "k1", "client_id": CLIENT, "store_id": "s1", "store_code": "NYC",
                    "total_cash": {"amount": 1_000_001, "currency": "USD"},
                    "first_payment_at": "2024-01-01T00:00:00+00:00",
                    "triggered_at": "2024-01-02T00:00:00+00:00", "due_date": "2024-01-17",
                    "structuring_suspected": True, "sale_ids": ["a", "b"], "status": "open"}])
    header, row = text.strip().split("\r\n")
    assert header.startswith("case_id,client_id,store_id,store_code,total_cash")
    assert row.startswith("k1,client-1,s1,NYC,10000.01,USD,") and ",yes,a b,open" in row
