"""The sweeper: whatever a crash or a lost answer left half done, finished or
given back (docs/ARCHITECTURE.md#checkout-saga-payments-orchestrates). Run by
a timer; tests call ``sweep`` directly (with ``at`` in the future to act as
if the bound had passed)."""
import logging
from datetime import timedelta

from chassis.clock import now

from . import flows, layaways, returns, saga, sale_records, tender_steps, tenders

log = logging.getLogger(__name__)


def _settle_payment(ctx, tender_id, purpose, at):
    booking = flows.BOOKINGS[purpose]
    return tender_steps.settle(ctx, tender_id, booking, recovering=True, at=at)["payment"]["state"]


def sweep(ctx, at=None, limit=50):
    at = at or now()
    bound = at - timedelta(seconds=ctx.settings.sweep_after_seconds)
    report = {"sales": {}, "followups": [], "layaways": {}, "payments": {}, "refunds": [],
              "returns": []}

    def attempt(bucket, key, fn, *args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001  (one stuck object must not stop the others)
            log.warning("sweeper: %s %s not settled: %s", bucket, key, exc)
            result = f"error: {exc}"
        if isinstance(report[bucket], dict):
            report[bucket][key] = result
        else:
            report[bucket].append(key)

    for sale_id in ctx.step(sale_records.unfinished, bound, at, limit):
        attempt("sales", sale_id, saga.recover, ctx, sale_id, at)
    for sale_id in ctx.step(sale_records.unfollowed, bound, limit):
        attempt("followups", sale_id, saga.followups, ctx, sale_id)
    for layaway_id in ctx.step(layaways.unfinished, bound, at, limit):
        attempt("layaways", layaway_id, flows.recover_layaway, ctx, layaway_id, at)
    for tender_id, purpose in ctx.step(tender_steps.unsettled, bound, at, limit):
        attempt("payments", tender_id, _settle_payment, ctx, tender_id, purpose, at)
    for refund_id in ctx.step(tenders.pending_refunds, bound, limit):
        attempt("refunds", refund_id, tender_steps.execute_refund, ctx, refund_id)
    for return_id in ctx.step(returns.unfinished_returns, bound, limit):
        attempt("returns", return_id, flows.resume_return, ctx, return_id)
    return report
