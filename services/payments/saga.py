"""The checkout saga (docs/ARCHITECTURE.md#checkout-saga-payments-orchestrates):
every commit between its durable steps is here (``Context.step``); the rules
it calls take a session (``sale_records``, ``tenders``, ``tender_checks``).

1. Validate and price everything, asking inventory and workorders; bad input
   is refused here and nothing exists yet (``pricing``, ``tender_checks``).
2. Create the sale ``pending`` with its lines and tenders (each tender with
   its key ``"{sale_id}:{index}"``) and the request's Idempotency-Key, unique.
3. Reserve every piece (all or none) BEFORE any tender is taken.
4. Take the tenders in the order given; cards are only authorized here.
5. Capture the cards: the point of no return. From here the sale only moves
   forward: completed (receipt number, events), then pieces sold and work
   orders marked paid (retried by the sweeper until done).
6. Any failure before 5: compensate in reverse (refund what was captured,
   void what was authorized, give points back), release the pieces, and the
   sale is ``failed`` with a reason.

One worker at a time drives a sale (a lease on the row); a crash leaves the
sale ``pending`` and the sweeper finishes it (every tender taken) or
compensates it (otherwise). A card whose outcome is unknown leaves the sale
pending and the caller gets 503; the same request again (same
Idempotency-Key) resumes from what Stripe says the PaymentIntent is.
"""
import logging
from contextlib import contextmanager
from datetime import timedelta

import eventlet
from sqlalchemy.exc import IntegrityError

from chassis.clock import now
from chassis.errors import Conflict, InvalidInput, Unavailable
from chassis.settings import setting

from . import pricing, sale_records as records, sale_views, tender_checks, tender_steps, terminal
from .common import require_exemption_right, require_writer, store_for
from .sale_records import UNFINISHED
from .tenders import CASH_LIKE, TAKEN, Declined, Unsettled, Waiting

log = logging.getLogger(__name__)


# --- steps 1 and 2: price, create ------------------------------------------------------

def prepare(ctx, data):
    """Everything checked, nothing changed. Raises InvalidInput or Conflict."""
    exempt = bool(data.get("tax_exempt"))
    if exempt:
        require_exemption_right(ctx.identity, "sale")
    store = ctx.read(store_for, ctx.identity, data["store_id"])
    errors = {}
    lines, unavailable, client_id = pricing.price_request_lines(ctx, store, data, errors)
    priced = pricing.priced(lines, store, exempt, errors)
    tenders = ctx.step(tender_checks.check, ctx.settings, store, data.get("tenders") or [],
                       priced["total"] if priced else -1, client_id, errors,
                       hq_rates=ctx.hq_rates, readers=True)
    if errors:
        raise InvalidInput("the sale cannot be made as asked", errors)
    if unavailable:
        raise Conflict("; ".join(unavailable))
    return {"store": store, "lines": pricing.with_amounts(lines, priced), "tenders": tenders,
            "priced": priced, "client_id": client_id, "exempt": exempt}


def create_sale(ctx, data, idempotency_key=None, req_hash=None):
    require_writer(ctx.identity)
    if idempotency_key:
        existing = ctx.read(records.by_key, ctx.identity, data["store_id"], idempotency_key)
        if existing is not None:
            return _replay(ctx, existing, req_hash)
    plan = prepare(ctx, data)
    at = now()
    sale = records.new_sale(ctx.identity, data, plan, idempotency_key, req_hash, at,
                            ctx.lease_until(at))
    try:
        lines, tenders = ctx.step(records.add_sale, ctx.identity, sale, plan, at)
        for row in lines + tenders:
            records.inserted_null(row)
    except IntegrityError:
        existing = (ctx.read(records.by_key, ctx.identity, data["store_id"], idempotency_key)
                    if idempotency_key else None)
        if existing is None:
            raise
        return _replay(ctx, existing, req_hash)
    return run(ctx, sale.id, claimed=(sale, lines, tenders), store=plan["store"])


def _replay(ctx, sale, req_hash):
    """The same Idempotency-Key: the first result, or resume a sale left pending."""
    if req_hash is not None and sale.request_hash != req_hash:
        raise Conflict("this Idempotency-Key was used for another request")
    if not ctx.identity.can_see_store(sale.store_id):
        raise Conflict("this Idempotency-Key was used for another request")
    if sale.status in UNFINISHED:
        return run(ctx, sale.id)
    return ctx.step(sale_views.get_sale, ctx.identity, sale.id)


# --- steps 3-6: run ---------------------------------------------------------------------

def claim(ctx, sale_id, at=None):
    """The sale's lease, if free at ``at`` (a sweep's time); it runs from now,
    never from a moment already past (a long sweep's later sales)."""
    at = at or now()
    return ctx.step(records.claim, sale_id, at, ctx.lease_until(max(at, now())))


def _step(ctx, sale_id, step, **values):
    ctx.step(records.set_step, sale_id, step, ctx.lease_until(), **values)


@contextmanager
def _renewing(ctx, sale_id):
    """The lease is short (``SAGA_LEASE_SECONDS``) and renewed every third of
    it while this worker drives the sale: a slow card keeps it, a worker that
    died stops renewing, and the next request (or the sweeper) resumes the
    sale within one lease."""
    every = max(ctx.settings.saga_lease_seconds / 3, 0.2)

    def beat():
        while True:
            eventlet.sleep(every)
            try:
                ctx.step(records.renew, sale_id, ctx.lease_until())
            except Exception as exc:        # noqa: BLE001 - the next beat tries again
                log.warning("could not renew the lease of sale %s: %s", sale_id, exc)

    heart = eventlet.spawn(beat)
    try:
        yield
    finally:
        heart.kill()


def _leased_view(session, identity, sale_id):
    """The lease goes with the answer."""
    records.release(session, sale_id)
    return sale_views.get_sale(session, identity, sale_id)


def run(ctx, sale_id, at=None, claimed=None, store=None):
    """Drive a pending sale to completed or failed (or leave it pending when a
    card's outcome is unknown: Unavailable). Returns the sale's view.
    ``claimed``: the (sale, lines, tenders) this worker just created, leased,
    and ``store`` its store, as read when the sale was priced."""
    sale_id = str(sale_id)
    if claimed is None and not claim(ctx, sale_id, at):
        # another worker drives it (or did until its lease ends): its state now; the
        # gateway answers 202 with Retry-After, never a bare error
        return ctx.step(sale_views.get_sale, ctx.identity, sale_id)
    try:
        with _renewing(ctx, sale_id):
            try:
                done = _drive(ctx, sale_id, claimed, store)
            except Waiting:
                done = _give_up_if_overdue(ctx, sale_id, now())
    except Waiting as exc:
        # a card waits for its cardholder (a tap, an authentication): the sale stays
        # pending (202); the webhook, the same request again or the sweeper goes on
        log.info("sale %s waits: %s", sale_id, exc)
        _step(ctx, sale_id, "waiting_for_cardholder")
        return ctx.step(_leased_view, ctx.identity, sale_id)
    except Unsettled as exc:
        _step(ctx, sale_id, "unsettled")
        ctx.step(records.release, sale_id)
        raise Unavailable(f"the card payment's outcome is not known yet ({exc}); the sale is "
                          "pending: send the same request again with the same Idempotency-Key") from None
    if done is not None:                        # completed here, lease already given back
        return sale_views.completed_view(*done)
    return ctx.step(_leased_view, ctx.identity, sale_id)


def rpc_deadline(method):
    """When this call's caller stops waiting (ISO UTC): now + the call's RPC
    timeout. inventory holds nothing for a reservation that arrives later
    (sitting in a queue, waiting on a lock): the saga has failed it by then."""
    timeout = getattr(method, "timeout", None) or setting("RPC_TIMEOUT", 4.0)
    return (now() + timedelta(seconds=float(timeout))).isoformat()


def _reserve(ctx, sale, lines, cash):
    """Step 3: every piece held (all or none); False when the sale failed."""
    item_ids = [l.item_id for l in lines if l.kind == "item"]
    if not item_ids or sale.reserved_at is not None:
        return None
    reserve = ctx.inventory.reserve_for_sale
    try:
        reserve(sale.id, item_ids, sale.store_id, reason="sale", deadline=rpc_deadline(reserve))
    except Conflict as exc:
        return fail(ctx, sale.id, "piece_unavailable", exc.detail or str(exc)) or False
    except InvalidInput as exc:
        return fail(ctx, sale.id, "invalid", exc.detail or str(exc)) or False
    except Unavailable as exc:
        return fail(ctx, sale.id, "inventory_unavailable", exc.detail or str(exc)) or False
    if not cash:            # a cash sale notes it with its completion, one transaction
        _step(ctx, sale.id, "reserved", reserved_at=now())
    ctx.hook("after_reserve", sale_id=sale.id)
    return True


def _drive(ctx, sale_id, loaded=None, store=None):
    """Returns (sale, lines, tenders, gift cards) when a cash-only sale was
    completed and its lease given back here; None otherwise."""
    sale, lines, tenders = loaded or ctx.step(records.load, sale_id)
    if sale.status == "compensating":
        return compensate(ctx, sale_id)
    if sale.status != "pending":
        return None
    cash = cash_only(tenders)
    reserved = _reserve(ctx, sale, lines, cash)
    if reserved is False:
        return None
    if cash:
        return _complete_cash(ctx, sale_id, reserved=bool(reserved), known=loaded, store=store)
    if (_take_all(ctx, sale_id, tenders) and _keep_pieces(ctx, sale_id, lines)
            and _capture_cards(ctx, sale_id, tenders)):
        followups(ctx, sale_id, ctx.step(records.complete, ctx.identity, sale_id))
    return None


def _keep_pieces(ctx, sale_id, lines):
    """Before the point of no return: the pieces' holds made firm (a sale that
    took long, a tap awaited, inventory away, must not capture a card for a
    piece whose hold lapsed and went to someone else). False: a piece is gone,
    the sale failed (its cards are voided, never captured)."""
    if not any(l.kind == "item" for l in lines):
        return True
    try:
        ctx.inventory.keep_hold(sale_id)
    except Conflict as exc:
        fail(ctx, sale_id, "piece_unavailable", exc.detail or str(exc))
        return False
    return True


def _take_all(ctx, sale_id, tenders):
    """Step 4, in the order given; False when one was refused (the sale failed)."""
    for t in tenders:
        try:
            tender_steps.take(ctx, t.id)
        except Declined as exc:
            code = "payment_declined" if t.method == "card" else "tender_unavailable"
            fail(ctx, sale_id, code, f"{t.method} (tender {t.position + 1}): {exc.reason}")
            return False
        if t.method not in CASH_LIKE:
            # a card or a balance took a while: note it and extend the lease (a
            # cash tender is done at once; its own row says it was taken)
            _step(ctx, sale_id, f"tender {t.position} taken")
        ctx.hook("after_tender", sale_id=sale_id, tender_id=t.id)
    return True


def _capture_cards(ctx, sale_id, tenders):
    """Step 5; False when a card could not be captured (the sale failed)."""
    for t in tenders:
        if t.method == "card":
            try:
                tender_steps.capture(ctx, t.id)
            except Declined as exc:
                fail(ctx, sale_id, "payment_declined", f"card (tender {t.position + 1}): {exc.reason}")
                return False
    return True


def cash_only(tenders):
    return bool(tenders) and all(t.method in CASH_LIKE for t in tenders)


def _complete_cash(ctx, sale_id, reserved=False, known=None, store=None):
    """Cash is in hand the moment it is counted: the tenders are taken and the
    sale completed in one transaction, then the pieces are confirmed sold and
    the lease given back with the follow-ups."""
    done = ctx.step(records.complete_cash, ctx.identity, sale_id, known, store, reserved)
    if done is None:
        return None
    sale, lines, tenders, _ = done
    for t in tenders:
        ctx.hook("after_tender", sale_id=sale_id, tender_id=t.id)
    followups(ctx, sale_id, (sale, lines), release=True)
    return done


def fail(ctx, sale_id, code, reason):
    ctx.step(records.failing, ctx.identity, sale_id, code, reason)
    return compensate(ctx, sale_id)


def compensate(ctx, sale_id):
    """Give back every tender (last first) and release the pieces. What cannot
    be done now stays for the sweeper; the sale is ``failed`` once all is done."""
    sale, lines, tenders = ctx.step(records.load, sale_id)
    if sale.status != "compensating":
        return
    unsettled = []
    for t in reversed(tenders):
        try:
            tender_steps.compensate(ctx, t.id)
        except Unsettled as exc:
            unsettled.append(f"{t.method}: {exc}")
    if any(l.kind == "item" for l in lines):
        try:
            ctx.inventory.release(sale_id)
        except Unavailable as exc:
            unsettled.append(f"inventory: {exc.detail or exc}")
    if unsettled:
        log.warning("sale %s: compensation incomplete (%s); the sweeper will retry",
                    sale_id, "; ".join(unsettled))
        _step(ctx, sale_id, "compensating")
        return
    ctx.step(records.failed, ctx.identity, sale_id)
    return


# --- after completion -------------------------------------------------------------------

def _followup_steps(ctx, sale, lines):
    steps = []
    if any(l.kind == "item" for l in lines) and sale.pieces_confirmed_at is None:
        steps.append(("inventory", lambda: ctx.inventory.confirm_sale(sale.id)))
    for line in lines:
        if line.kind == "work_order":
            steps.append(("workorders",
                          lambda wo=line.work_order_id, paid=line.list_amount:
                          ctx.workorders.mark_paid(wo, sale.id, paid)))
    return steps


def followups(ctx, sale_id, loaded=None, release=False):
    """After completion: pieces sold, work orders paid. Retried until done.
    ``loaded``: the (sale, lines) ``complete`` just wrote, to save reading them;
    ``release``: give the sale's lease back with what is written at the end."""
    sale, lines = loaded or ctx.step(records.load, sale_id)[:2]
    end = {"lease_until": None} if release else {}
    if sale.status != "completed" or sale.followups_done_at is not None:
        if end:
            ctx.step(records.release, sale_id)
        return True
    done = {}   # what went through, written with the end (or before giving up)
    for neighbour, step in _followup_steps(ctx, sale, lines):
        try:
            step()
        except Unavailable as exc:
            log.warning("sale %s completed; follow-up postponed: %s", sale.id, exc)
            if done or end:
                ctx.step(records.note, sale.id, **done, **end)
            return False
        except Conflict as exc:
            # e.g. the pieces were released although the sale completed: a person must look;
            # retrying would not change the answer
            log.error("sale %s completed but %s refuses its follow-up: %s", sale.id, neighbour, exc)
            ctx.step(records.needs_attention, ctx.identity, sale, neighbour, str(exc))
            continue
        if neighbour == "inventory":
            done["pieces_confirmed_at"] = now()
    done["followups_done_at"] = now()
    ctx.step(records.note, sale.id, **done, **end)
    for k, v in done.items():       # the caller's copy says what was written
        setattr(sale, k, v)
    return True


# --- the sweeper's part -----------------------------------------------------------------------

def _finish_or_give_back(ctx, sale_id):
    for t in ctx.step(records.load, sale_id)[2]:
        tender_steps.reconcile(ctx, t.id)
    sale, lines, tenders = ctx.step(records.load, sale_id)
    reserved = sale.reserved_at is not None or not any(l.kind == "item" for l in lines)
    if reserved and all(t.state in TAKEN for t in tenders):
        for t in tenders:
            if t.state == "authorized":
                tender_steps.capture(ctx, t.id)
        ctx.step(records.complete, ctx.identity, sale_id)
        followups(ctx, sale_id)
    else:
        fail(ctx, sale_id, "abandoned",
             "the checkout stopped before every payment was taken; all was given back")


def _give_up_if_overdue(ctx, sale_id, at):
    """A sale whose card waits for its cardholder: past ``TERMINAL_WAIT_SECONDS``
    the wait is stopped (a card answered meanwhile stands) and the sale driven
    on; before, ``Waiting`` again."""
    waiting = ctx.step(terminal.waiting_tenders, sale_id)
    bound = at - timedelta(seconds=ctx.settings.terminal_wait_seconds)
    if not waiting or any(t.updated_at > bound for t in waiting):
        raise Waiting("the card still waits for its cardholder")
    for t in waiting:
        tender_steps.stop_waiting(ctx, t.id, "no card was presented in time")
    return _drive(ctx, sale_id)


def _resume_waiting(ctx, sale_id, at):
    """The sweeper's turn on a sale whose card waits: driven on from what
    Stripe says when the webhook was late or lost, given back when overdue."""
    try:
        _drive(ctx, sale_id)
    except Waiting:
        try:
            _give_up_if_overdue(ctx, sale_id, at)
        except Waiting:
            pass


def recover(ctx, sale_id, at=None):
    """A sale left unfinished (a crash, a lost answer): finish it when every
    tender was taken, otherwise give everything back; a card still waiting
    for its cardholder is asked about and waited for (up to a bound)."""
    at = at or now()
    if not claim(ctx, sale_id, at):
        return None
    try:
        with _renewing(ctx, sale_id):
            if ctx.step(records.status, sale_id) == "compensating":
                compensate(ctx, sale_id)
            elif ctx.step(terminal.waiting_tenders, sale_id):
                _resume_waiting(ctx, sale_id, at)
            else:
                _finish_or_give_back(ctx, sale_id)
    except (Unsettled, Declined) as exc:
        log.warning("sale %s not recovered yet: %s", sale_id, exc)
        if isinstance(exc, Declined):
            fail(ctx, sale_id, "payment_declined", exc.reason)
    finally:
        ctx.step(records.release, sale_id)
    return ctx.step(records.status, sale_id)


# --- the counter stops a wait -----------------------------------------------------------------

def stop_waiting(ctx, sale_id):
    """The counter cancels what a sale's card waits for (the tap on the
    reader, an authentication): the reader's action and the PaymentIntent
    are cancelled, the tender fails and the sale is given back
    (compensated). A tap that came first stands: the sale goes on."""
    require_writer(ctx.identity)
    ctx.read(sale_views.visible_sale, ctx.identity, sale_id)   # 404 unless the caller's store's
    # the counter's own repeat of the sale holds the lease for a moment every few seconds
    for _ in range(10):
        if claim(ctx, sale_id):
            break
        eventlet.sleep(0.3)
    else:
        raise Unavailable("the sale is being driven right now; cancel again in a moment")
    try:
        with _renewing(ctx, sale_id):
            for t in ctx.step(terminal.waiting_tenders, sale_id):
                tender_steps.stop_waiting(ctx, t.id, "cancelled at the counter")
    except Unsettled as exc:
        raise Unavailable(f"Stripe did not answer ({exc}); cancel again") from None
    finally:
        ctx.step(records.release, sale_id)
    return run(ctx, sale_id)
