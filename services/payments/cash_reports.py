"""Form 8300 cases in the database: record cash received from identified
clients, let the pure rules in ``compliance`` decide, open cases, list them
(docs/API.md#sales-and-payments)."""
from dateutil.relativedelta import relativedelta
from sqlalchemy import select, update

from chassis.clock import local_day, now
from chassis.errors import Forbidden
from chassis.identity import OVERSIGHT, with_system
from chassis.outbox import emit
from chassis.pagination import after_time_cursor, encode_cursor
from chassis.scope import one_or_own_stores
from chassis.sql import lock_key
from contracts.money import money

from . import compliance
from .common import audit, iso
from .models import CashPayment, CashReportCase, Store

REPORT_CURRENCY = "USD"


def record_cash(session, identity, store, tenders):
    """Called in the transaction that completes a sale, a layaway payment or
    a deposit. Returns the cases it opened."""
    if store.currency != REPORT_CURRENCY:
        return []
    cash = [t for t in tenders if t.method in compliance.CASH_METHODS and t.client_id
            and t.state in ("captured", "refunded")]
    opened = []
    for client_id in sorted({t.client_id for t in cash}):
        # one client's count at a time, chain-wide (two stores at once queue here)
        lock_key(session, f"form8300:{client_id}")
        for t in cash:
            if t.client_id == client_id and session.get(CashPayment, t.id) is None:
                session.add(CashPayment(tender_id=t.id, client_id=client_id, store_id=t.store_id,
                                        method=t.method, amount=t.amount,
                                        received_at=t.captured_at or now(),
                                        sale_id=t.sale_id or t.layaway_id))
        session.flush()
        opened += _evaluate(session, identity, store, client_id)
    return opened


def _evaluate(session, identity, store, client_id):
    since = now() - relativedelta(months=compliance.RELATED_MONTHS + 1)
    rows = session.scalars(select(CashPayment).where(
        CashPayment.client_id == client_id, CashPayment.case_id.is_(None),
        CashPayment.received_at >= since).order_by(CashPayment.received_at)).all()
    payments = [compliance.CashPayment(ref=r.tender_id, client_id=r.client_id, amount=r.amount,
                                       method=r.method, received_at=r.received_at,
                                       sale_id=r.sale_id) for r in rows]
    cases, _ = compliance.evaluate(payments)
    opened = []
    for case in cases:
        sale_ids = sorted({p.sale_id for p in case.payments if p.sale_id})
        row = CashReportCase(
            client_id=client_id, store_id=store.id, total_cash=case.total,
            currency=REPORT_CURRENCY, sale_ids=sale_ids,
            tender_ids=[p.ref for p in case.payments],
            first_payment_at=case.payments[0].received_at, triggered_at=case.triggered_at,
            due_date=compliance.due_date(local_day(case.triggered_at, store.timezone)),
            structuring_suspected=case.structuring_suspected, status="open", created_at=now(),
        )
        session.add(row)
        session.flush()
        session.execute(update(CashPayment).where(
            CashPayment.tender_id.in_([p.ref for p in case.payments])).values(case_id=row.id))
        emit(session, "compliance.cash_reportable", {
            "case_id": row.id, "store_id": store.id, "client_id": client_id,
            "total_cash": money(case.total, REPORT_CURRENCY), "sale_ids": sale_ids,
            "due_date": row.due_date.isoformat(),
            "structuring_suspected": case.structuring_suspected,
        }, store_id=store.id)
        audit(session, identity, "compliance_case", row.id, "opened", store.id,
              client_id=client_id, total=case.total, structuring=case.structuring_suspected)
        opened.append(row)
    return opened


def case_view(case, store=None):
    return {
        "id": case.id, "client_id": case.client_id, "store_id": case.store_id,
        "store_code": store.code if store else None,
        "total_cash": money(case.total_cash, case.currency), "sale_ids": case.sale_ids or [],
        "payment_ids": case.tender_ids or [],
        "first_payment_at": iso(case.first_payment_at), "triggered_at": iso(case.triggered_at),
        "due_date": case.due_date.isoformat(), "structuring_suspected": case.structuring_suspected,
        "status": case.status, "created_at": iso(case.created_at),
    }


def list_cases(session, identity, q):
    """Form 8300 candidates: HQ and auditors see the chain, managers their stores."""
    if identity.role not in with_system(OVERSIGHT):
        raise Forbidden("compliance reports are for managers, HQ and auditors")
    query = select(CashReportCase)
    query = one_or_own_stores(query, CashReportCase.store_id, identity, q.get("store_id"))
    if q.get("client_id"):
        query = query.where(CashReportCase.client_id == str(q["client_id"]))
    if q.get("status"):
        query = query.where(CashReportCase.status == q["status"])
    if q.get("since"):
        query = query.where(CashReportCase.triggered_at >= q["since"])
    if q.get("until"):
        query = query.where(CashReportCase.triggered_at < q["until"])
    query = after_time_cursor(query, CashReportCase.triggered_at, CashReportCase.id, q.get("cursor"))
    limit = q.get("limit") or 50
    rows = session.scalars(query.order_by(CashReportCase.triggered_at.desc(),
                                          CashReportCase.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    stores = {s.id: s for s in session.scalars(select(Store)).all()}
    return {"items": [case_view(c, stores.get(c.store_id)) for c in page],
            "next_cursor": (encode_cursor([iso(page[-1].triggered_at), page[-1].id])
                            if len(rows) > limit else None)}


def cases_csv(session, identity, q):
    items, cursor = [], None
    while True:
        page = list_cases(session, identity, dict(q, limit=200, cursor=cursor))
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return compliance.to_csv(items)
