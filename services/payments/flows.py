"""The payments flows besides checkout: a layaway opened (a small saga like
a sale's), paid and cancelled; a work-order deposit; a return. Each commits
between its durable steps (``Context.step``) around inventory, crm and
Stripe, and calls rules that take a session
(docs/ARCHITECTURE.md#checkout-saga-payments-orchestrates)."""
from chassis.clock import now
from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable

from . import deposits, layaways, pricing, returns, saga, tender_checks, tender_steps, tenders
from .common import MANAGERS, require_exemption_right, require_writer, store_for
from .tender_steps import Booking
from .tenders import Declined, Unsettled

# --- layaways: opening --------------------------------------------------------------------

def open_layaway(ctx, data, idempotency_key=None, req_hash=None):
    require_writer(ctx.identity)
    if idempotency_key:
        existing = ctx.step(layaways.by_key, ctx.identity, data["store_id"], idempotency_key)
        if existing is not None:
            if existing.request_hash != req_hash or not ctx.identity.can_see_store(existing.store_id):
                raise Conflict("this Idempotency-Key was used for another request")
            if existing.status == "pending":
                return run_open(ctx, existing.id)
            return ctx.step(layaways.get_layaway, ctx.identity, existing.id)
    plan = _plan_layaway(ctx, data)
    layaway_id = ctx.step(layaways.add_layaway, ctx.identity, plan, data, idempotency_key,
                          req_hash, now())
    return run_open(ctx, layaway_id)


def _plan_layaway(ctx, data):
    """The pieces priced and the deposit checked, like a sale's step 1."""
    if data.get("tax_exempt"):
        require_exemption_right(ctx.identity, "layaway")
    store = ctx.step(store_for, ctx.identity, data["store_id"])
    errors, client_id = {}, str(data["client_id"])
    lines, unavailable, _ = pricing.price_request_lines(
        ctx, store, {"lines": [{"item_id": i} for i in data["item_ids"]], "client_id": client_id},
        errors)
    errors = {k.replace("lines.", "item_ids."): v for k, v in errors.items()}
    exempt = bool(data.get("tax_exempt"))
    priced = pricing.priced(lines, store, exempt, errors)
    deposit = data["deposit"]
    entries = ctx.step(tender_checks.check, ctx.settings, store, [deposit],
                       deposit["amount"]["amount"], client_id, errors, prefix="deposit",
                       hq_rates=ctx.hq_rates)
    layaways.deposit_errors(priced, deposit, ctx.settings, errors)
    if errors:
        raise InvalidInput("the layaway cannot be opened as asked", errors)
    if unavailable:
        raise Conflict("; ".join(unavailable))
    return {"store": store, "lines": pricing.with_amounts(lines, priced), "priced": priced,
            "tenders": entries, "client_id": client_id, "exempt": exempt}


def _claim(ctx, layaway_id, at=None):
    at = at or now()
    return ctx.step(layaways.claim, layaway_id, at, ctx.lease_until(at))


def run_open(ctx, layaway_id, at=None):
    if not _claim(ctx, layaway_id, at):
        view = ctx.step(layaways.get_layaway, ctx.identity, layaway_id)
        if view["status"] == "pending":
            raise Conflict("this layaway is being opened right now; ask again in a moment")
        return view
    try:
        _drive_open(ctx, layaway_id)
    except Unsettled as exc:
        ctx.step(layaways.note, layaway_id, lease_until=None)
        raise Unavailable(f"the deposit's outcome is not known yet ({exc}); send the same "
                          "request again with the same Idempotency-Key") from None
    ctx.step(layaways.note, layaway_id, lease_until=None)
    return ctx.step(layaways.get_layaway, ctx.identity, layaway_id)


def _reserve(ctx, lw, recovering):
    """The pieces held; a reason when they could not be."""
    if recovering:
        return "the layaway stopped before its pieces were held"
    reserve = ctx.inventory.reserve_for_sale
    try:
        reserve(lw.id, [l["item_id"] for l in lw.lines], lw.store_id, reason="layaway",
                deadline=saga.rpc_deadline(reserve))
    except (Conflict, InvalidInput, Unavailable) as exc:
        return exc.detail or str(exc)
    ctx.step(layaways.note, lw.id, reserved_at=now())
    return None


def _drive_open(ctx, layaway_id, recovering=False):
    lw = ctx.step(layaways.get, layaway_id)
    if lw.status != "pending":
        return None
    if lw.failure_reason:
        return _fail_open(ctx, layaway_id, lw.failure_reason)
    if lw.reserved_at is None:
        refused = _reserve(ctx, lw, recovering)
        if refused:
            return _fail_open(ctx, layaway_id, refused)
    deposit = ctx.step(layaways.deposit_of, layaway_id)
    try:
        if recovering and tender_steps.reconcile(ctx, deposit.id) == "pending":
            return _fail_open(ctx, layaway_id, "deposit never taken: the layaway stopped before it")
        tender_steps.collect(ctx, deposit.id)
    except Declined as exc:
        return _fail_open(ctx, layaway_id, f"deposit refused: {exc.reason}")
    try:
        # the deposit is in: the pieces stay held until the layaway is paid or cancelled
        # (an Unavailable leaves the layaway pending: the sweeper keeps them and opens it)
        ctx.inventory.keep_hold(layaway_id)
    except (Conflict, NotFound) as exc:
        return _fail_open(ctx, layaway_id, f"the pieces' hold lapsed: {exc.detail or exc}")
    return ctx.step(layaways.opened, ctx.identity, layaway_id, deposit.id)


def _fail_open(ctx, layaway_id, reason):
    ctx.step(layaways.note, layaway_id, failure_reason=reason[:1000])
    deposit = ctx.step(layaways.deposit_of, layaway_id)
    try:
        tender_steps.compensate(ctx, deposit.id)
        ctx.inventory.release(layaway_id)
    except (Unsettled, Unavailable):
        return          # the sweeper finishes giving back
    ctx.step(layaways.open_failed, ctx.identity, layaway_id, reason)


def recover_layaway(ctx, layaway_id, at=None):
    if not _claim(ctx, layaway_id, at):
        return None
    try:
        _drive_open(ctx, layaway_id, recovering=True)
    except Unsettled:
        pass
    finally:
        ctx.step(layaways.note, layaway_id, lease_until=None)
    return ctx.step(layaways.get_layaway, ctx.identity, layaway_id)["status"]


# --- layaways: payments and cancellation ----------------------------------------------------

def _after_layaway_payment(ctx, t):
    """Once booked: a completed layaway's pieces are sold."""
    if ctx.step(layaways.completed_sale, t.layaway_id) is not None:
        saga.followups(ctx, t.layaway_id)


LAYAWAY_PAYMENT = Booking(book=layaways.apply_payment, describe=layaways.describe_payment,
                          after=_after_layaway_payment)
DEPOSIT = Booking(book=deposits.apply_deposit, describe=deposits.describe_deposit)
BOOKINGS = {"layaway": LAYAWAY_PAYMENT, "deposit": DEPOSIT}


def pay_layaway(ctx, layaway_id, data, idempotency_key=None, req_hash=None):
    require_writer(ctx.identity)
    replay = ctx.step(tender_steps.replay, ctx.identity, idempotency_key, req_hash,
                      layaway_id=str(layaway_id))
    if replay is not None:
        return tender_steps.settle(ctx, replay, LAYAWAY_PAYMENT)
    tender_id = ctx.step(layaways.start_payment, ctx.identity, layaway_id, data,
                         tender_checks.checker(ctx.settings, ctx.hq_rates),
                         idempotency_key, req_hash)
    return tender_steps.settle(ctx, tender_id, LAYAWAY_PAYMENT)


def cancel_layaway(ctx, layaway_id, data):
    require_writer(ctx.identity)
    if ctx.step(layaways.cancellable, ctx.identity, layaway_id) == "cancelled":
        ctx.inventory.release(str(layaway_id))   # a cancel whose release failed: finish it
        return _finish_cancel(ctx, str(layaway_id))
    if data.get("refund_method") and ctx.identity.role not in MANAGERS:
        raise Forbidden("only a manager chooses how a cancelled layaway is paid back")
    policy = data.get("refund_method") or ctx.settings.layaway_cancel_policy
    # the cancel is committed before the pieces go back: a failure in between leaves a
    # cancelled layaway still holding them (the cancel repeated releases them), never
    # pieces back in stock for a layaway that is still active
    ctx.step(layaways.cancel, ctx.identity, ctx.settings, layaway_id, policy, data.get("reason"))
    ctx.inventory.release(str(layaway_id))
    return _finish_cancel(ctx, str(layaway_id))


def _finish_cancel(ctx, layaway_id):
    lw = ctx.step(layaways.get, layaway_id)
    try:
        for n, entry in enumerate(lw.cancel_plan or []):
            if entry["kind"] == "tender":
                tender_steps.refund(ctx, entry["tender_id"], entry["amount"], "layaway_cancel",
                                    f"layaway:{lw.id}:cancel:{n}")
            elif entry["kind"] == "store_credit" and lw.cancel_policy == "refund":
                ctx.step(tenders.credit, ctx.identity, lw.client_id, lw.currency,
                         entry["amount"], f"layaway:{lw.id}:cancel:{n}", lw.store_id)
    except Unsettled as exc:
        raise Unavailable(f"the refund is pending ({exc}); it will be completed") from None
    return ctx.step(layaways.get_layaway, ctx.identity, layaway_id)


# --- work-order deposits --------------------------------------------------------------------

def take_deposit(ctx, work_order_id, data, idempotency_key=None, req_hash=None):
    require_writer(ctx.identity)
    work_order_id = str(work_order_id)
    due = ctx.workorders.balance_due(work_order_id)   # NotFound crosses as itself
    replay = ctx.step(tender_steps.replay, ctx.identity, idempotency_key, req_hash,
                      store_id=due["store_id"], work_order_id=work_order_id)
    if replay is not None:
        return tender_steps.settle(ctx, replay, DEPOSIT)
    tender_id = ctx.step(deposits.start_deposit, ctx.identity,
                         tender_checks.checker(ctx.settings, ctx.hq_rates), work_order_id,
                         due, data, idempotency_key, req_hash)
    return tender_steps.settle(ctx, tender_id, DEPOSIT)


# --- returns --------------------------------------------------------------------------------

def create_return(ctx, sale_id, data, idempotency_key=None, req_hash=None):
    require_writer(ctx.identity)
    if idempotency_key:
        existing = ctx.step(returns.by_key, ctx.identity, sale_id, idempotency_key)
        if existing is not None:
            if existing.request_hash != req_hash or existing.sale_id != str(sale_id):
                raise Conflict("this Idempotency-Key was used for another request")
            return resume_return(ctx, existing.id)
    return_id = ctx.step(returns.open_return, ctx.identity, ctx.settings, sale_id, data,
                         idempotency_key, req_hash)
    return resume_return(ctx, return_id)


def resume_return(ctx, return_id):
    r = ctx.step(returns.get, return_id)
    if r.state == "completed":
        return ctx.step(returns.get_return, return_id)
    try:
        for n, entry in enumerate(r.plan):
            key = f"return:{r.id}:{n}"
            if entry["kind"] == "tender":
                tender_steps.refund(ctx, entry["tender_id"], entry["amount"], "return", key,
                                    return_id=r.id)
            else:
                ctx.step(tenders.credit, ctx.identity, r.client_id, r.currency,
                         entry["amount"], key, r.store_id)
    except Unsettled as exc:
        raise Unavailable(f"the refund is pending ({exc}); it will be completed") from None
    if r.stock_returned_at is None:
        ctx.inventory.return_to_stock(r.item_ids, r.sale_id)
    ctx.step(returns.completed, ctx.identity, return_id)
    return ctx.step(returns.get_return, return_id)
