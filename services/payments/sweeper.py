"""The sweeper: whatever a crash or a lost answer left half done, finished or
given back. Run by a timer; tests call ``sweep`` directly (with ``at`` in
the future to act as if the bound had passed)."""
import logging
from datetime import timedelta

from sqlalchemy import select

from . import layaways, returns, sales, single, tenders as tender_ops
from .common import now
from .models import TenderRefund

log = logging.getLogger(__name__)


def sweep(ctx, at=None, limit=50):
    at = at or now()
    bound = at - timedelta(seconds=ctx.settings.sweep_after_seconds)
    report = {"sales": {}, "followups": [], "layaways": {}, "payments": {}, "refunds": [],
              "returns": []}

    def attempt(bucket, key, fn, *args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:   # one stuck object must not stop the others
            log.warning("sweeper: %s %s not settled: %s", bucket, key, exc)
            result = f"error: {exc}"
        if isinstance(report[bucket], dict):
            report[bucket][key] = result
        else:
            report[bucket].append(key)

    for sale_id in sales.unfinished(ctx, bound, at, limit):
        attempt("sales", sale_id, sales.recover, ctx, sale_id, at)
    for sale_id in sales.unfollowed(ctx, bound, limit):
        attempt("followups", sale_id, sales.followups, ctx, sale_id)
    for layaway_id in layaways.unfinished(ctx, bound, at, limit):
        attempt("layaways", layaway_id, layaways.recover, ctx, layaway_id, at)
    for tender_id in single.unsettled(ctx, bound, at, limit):
        attempt("payments", tender_id,
                lambda t: single.settle(ctx, t, recovering=True, at=at)["payment"]["state"],
                tender_id)
    with ctx.db.transaction() as session:
        pending = session.scalars(select(TenderRefund.id).where(
            TenderRefund.state == "pending", TenderRefund.created_at < bound).limit(limit)).all()
    for refund_id in pending:
        attempt("refunds", refund_id, tender_ops.execute_refund, ctx, refund_id)
    for return_id in returns.unfinished_returns(ctx, bound, limit):
        attempt("returns", return_id, returns.resume_return, ctx, return_id)
    return report
