"""Money rules, pure: allocations always add up, tax is the rate of the
taxable amount rounded half up, conversions keep minor units straight,
refund plans never give back more than was paid."""
from decimal import Decimal

from hypothesis import given, strategies as st

from contracts.money import exponent
from services.payments.money import allocate, bps_of, convert, price_lines, split_even
from services.payments.returns import refund_plan

amounts = st.integers(min_value=0, max_value=10**10)


@given(total=amounts, weights=st.lists(st.integers(0, 10**8), min_size=1, max_size=20))
def test_allocation_adds_up_and_follows_the_weights(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total and all(p >= 0 for p in parts)
    if sum(weights):
        assert all(p == 0 for p, w in zip(parts, weights) if w == 0)
        for p, w in zip(parts, weights):
            assert abs(p * sum(weights) - total * w) < sum(weights)   # within one unit


@given(total=amounts, n=st.integers(1, 52))
def test_installments_differ_by_at_most_one_unit(total, n):
    parts = split_even(total, n)
    assert sum(parts) == total and max(parts) - min(parts) <= 1


line = st.fixed_dictionaries({
    "list_amount": st.integers(1, 10**8), "taxable": st.booleans(),
}).flatmap(lambda l: st.fixed_dictionaries({
    "list_amount": st.just(l["list_amount"]), "taxable": st.just(l["taxable"]),
    "discount_amount": st.integers(0, l["list_amount"])}))


@given(lines=st.lists(line, min_size=1, max_size=15), rate=st.integers(0, 3000), exempt=st.booleans())
def test_tax_is_the_rate_of_the_taxable_amount_and_lines_add_up(lines, rate, exempt):
    priced = price_lines(lines, rate, exempt)
    taxable = 0 if exempt else sum(l["list_amount"] - l["discount_amount"] for l in lines
                                   if l["taxable"])
    assert priced["tax"] == bps_of(taxable, rate)
    assert abs(priced["tax"] * 10000 - taxable * rate) <= 5000          # half a cent at most
    assert sum(p["tax"] for p in priced["lines"]) == priced["tax"]
    assert sum(p["amount"] for p in priced["lines"]) == priced["subtotal"]
    assert priced["total"] == priced["subtotal"] + priced["tax"]
    assert priced["gross"] - priced["discount"] == priced["subtotal"]


def test_conversion_respects_each_currencys_minor_units():
    assert convert(108870, "USD", "EUR", Decimal("0.9215")) == 100324
    assert convert(100000, "USD", "JPY", Decimal("151.2")) == 151200      # 1,000.00 USD
    assert convert(100000, "USD", "KWD", Decimal("0.3075")) == 307500     # 307.500 KWD
    assert exponent("JPY") == 0 and exponent("BHD") == 3 and exponent("USD") == 2


class T:
    def __init__(self, n, method, amount, refunded=0, state="captured"):
        self.id, self.position, self.method, self.amount = f"t{n}", n, method, amount
        self.refunded_amount, self.state = refunded, state


class NoPending:
    def scalar(self, query):
        return 0


@given(paid=st.lists(st.tuples(st.sampled_from(["card", "cash", "gift_card", "loyalty_points"]),
                               st.integers(1, 10**6)), min_size=1, max_size=6),
       share=st.floats(0.01, 1.0))
def test_a_refund_plan_gives_back_what_was_asked_and_never_more_than_a_tender(paid, share):
    tenders = [T(n, m, a) for n, (m, a) in enumerate(paid)]
    asked = max(1, int(sum(a for _, a in paid) * share))
    plan = refund_plan(NoPending(), tenders, asked, "original", client_id="c")
    assert sum(e["amount"] for e in plan) == asked
    by_id = {t.id: t for t in tenders}
    for e in plan:
        if e["kind"] == "tender":
            assert 0 < e["amount"] <= by_id[e["tender_id"]].amount
            if by_id[e["tender_id"]].method == "loyalty_points":
                assert e["amount"] == by_id[e["tender_id"]].amount     # points come back whole
