"""US Form 8300: cash received from one buyer above 10,000 USD, in one
transaction or in related transactions within 12 months. Pure functions.

What counts as cash: currency always; cashier's checks and money orders only
when their face amount is 10,000 USD or less (a larger instrument was
reported by the bank that issued it). Personal checks and cards never count.

The count: payments from one client are added up over any 12 months; a
payment is related to an earlier one received at most 12 calendar months
before it. When the total goes *above* 10,000.00 USD (exactly 10,000.00 is
not above), a report case opens with the payments that made it, due 15 days
after the day the total passed; then the count starts again from zero (the
IRS rule after a filing). Several payments each just under the threshold
in one case suggest structuring, which is flagged on the case.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from contracts.money import major_text

THRESHOLD = 1_000_000              # USD cents; reportable when the total is above this
INSTRUMENT_LIMIT = 1_000_000       # instruments of this face amount or less are cash
CASH_METHODS = ("cash", "cashiers_check", "money_order")
STRUCTURING_FLOOR = 900_000        # "just under": from 9,000.00 up to the threshold
FILING_DAYS = 15
RELATED_MONTHS = 12


@dataclass(frozen=True)
class CashPayment:
    ref: str                 # the tender's id
    client_id: str
    amount: int              # USD cents
    method: str
    received_at: datetime    # aware, UTC
    sale_id: str | None = None


@dataclass(frozen=True)
class Case:
    client_id: str
    payments: tuple
    total: int
    triggered_at: datetime
    structuring_suspected: bool


def counts_as_cash(method, amount):
    if method == "cash":
        return True
    return method in ("cashiers_check", "money_order") and amount <= INSTRUMENT_LIMIT


def related(earlier, later):
    """``earlier`` is within 12 months before ``later`` (both inclusive)."""
    return later - relativedelta(months=RELATED_MONTHS) <= earlier <= later


def is_reportable(total, threshold=THRESHOLD):
    return total > threshold


def just_under(amount, threshold=THRESHOLD, floor=STRUCTURING_FLOOR):
    return floor <= amount <= threshold


def structuring_suspected(payments, threshold=THRESHOLD, floor=STRUCTURING_FLOOR):
    """Two or more payments each just under the threshold."""
    return sum(1 for p in payments if just_under(p.amount, threshold, floor)) >= 2


def evaluate(payments, threshold=THRESHOLD):
    """Cases opened by ``payments`` of one client, and the payments still counting.

    ``payments`` need not be sorted; those that are not cash are ignored.
    Returns ``(cases, open_group)``.
    """
    cases, group = [], []
    for p in sorted(payments, key=lambda p: (p.received_at, p.ref)):
        if not counts_as_cash(p.method, p.amount):
            continue
        group = [q for q in group if related(q.received_at, p.received_at)] + [p]
        total = sum(q.amount for q in group)
        if is_reportable(total, threshold):
            cases.append(Case(p.client_id, tuple(group), total, p.received_at,
                              structuring_suspected(group, threshold)))
            group = []
    return cases, group


def due_date(day):
    """The filing is due 15 days after the day the total passed the threshold."""
    if isinstance(day, datetime):
        day = day.date()
    assert isinstance(day, date)
    return day + timedelta(days=FILING_DAYS)


CSV_COLUMNS = ("case_id", "client_id", "store_id", "store_code", "total_cash", "currency",
               "first_payment_at", "triggered_at", "due_date", "structuring_suspected",
               "sale_ids", "status")


def to_csv(cases):
    """Cases (views) as CSV text for the compliance officer."""
    import csv
    import io
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in cases:
        writer.writerow([
            c["id"], c["client_id"], c["store_id"], c.get("store_code") or "",
            major_text(c["total_cash"]), c["total_cash"]["currency"],
            c["first_payment_at"], c["triggered_at"], c["due_date"],
            "yes" if c["structuring_suspected"] else "no",
            " ".join(c["sale_ids"]), c["status"],
        ])
    return out.getvalue()
