"""Card-present payments with Stripe Terminal, server-driven
(docs/ARCHITECTURE.md#card-present-payments-stripe-terminal).

A store's readers are registered here (``register_reader``: the store's
Terminal location is made with its first one) and listed for its counter.
A sale's card tender that names a reader is a ``card_present``
PaymentIntent (created with the tender's key, its id committed before
anything else, as for every card) handed to that reader
(``process_payment_intent``, with its own idempotency key). The tender then
*waits* for the cardholder (``Waiting``; the sale answers 202) until the
reader's result is known: by webhook (``terminal.reader.action_succeeded``
/ ``action_failed``, ``reader_event``), or by asking Stripe when the same
request comes again or the sweeper passes (``advance``). The counter may
stop the wait (``stop_waiting``): the reader's action is cancelled, then
the PaymentIntent, unless the tap won the race (then the card stands).
"""
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from chassis.clock import now
from chassis.errors import Conflict, InvalidInput, Unavailable
from chassis.scope import one_or_own_stores

from . import tenders
from .common import MANAGERS, audit, iso, key_owner, request_hash, require_writer, store_for
from .models import Tender, TerminalLocation, TerminalReader
from .stripe_port import CardDeclined, OutcomeUnknown, ProviderRejected
from .tenders import Declined, Unsettled, Waiting

ANSWERED = ("requires_capture", "succeeded")


# --- readers ----------------------------------------------------------------------------

def reader_view(r):
    return {"id": r.id, "store_id": r.store_id, "label": r.label,
            "stripe_reader_id": r.stripe_reader_id, "location": r.stripe_location_id,
            "device_type": r.device_type, "serial_number": r.serial_number,
            "created_at": iso(r.created_at)}


def list_readers(session, identity, store_id=None):
    query = one_or_own_stores(select(TerminalReader), TerminalReader.store_id, identity, store_id)
    rows = session.scalars(query.order_by(TerminalReader.label, TerminalReader.id)).all()
    return {"items": [reader_view(r) for r in rows]}


def store_reader(session, store_id, reader_id):
    """The reader ``reader_id`` of this store, or None."""
    return session.scalars(select(TerminalReader).where(
        TerminalReader.id == str(reader_id), TerminalReader.store_id == str(store_id))).first()


def _location(session, store_id):
    return session.get(TerminalLocation, str(store_id))


def _keep_location(session, identity, store_id, location_id):
    made = session.execute(insert(TerminalLocation).values(
        store_id=str(store_id), stripe_location_id=location_id, created_at=now())
        .on_conflict_do_nothing().returning(TerminalLocation.store_id)).first()
    if made is not None:
        audit(session, identity, "terminal_location", store_id, "created", store_id,
              stripe_location_id=location_id)
    return session.get(TerminalLocation, str(store_id)).stripe_location_id


def _address(store, given):
    if given:
        return {k: v for k, v in given.items() if v}
    return {"line1": store.address or store.name, "country": store.country or "US"}


def _stripe(call, field, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except (CardDeclined, ProviderRejected) as exc:
        raise InvalidInput("Stripe refused the reader", {field: [str(exc)]}) from None
    except OutcomeUnknown as exc:
        raise Unavailable(str(exc)) from None


def register_reader(ctx, data):
    """A reader registered to a store (its registration code, shown on the
    reader, and a label); the store's Terminal location is made first."""
    identity = ctx.identity
    require_writer(identity, MANAGERS)
    store = ctx.read(store_for, identity, data["store_id"])
    location = ctx.read(_location, store.id)
    if location is None:
        address = _address(store, data.get("location_address"))
        # one location per store and address: a corrected address is a new request
        location_id = _stripe(ctx.stripe.create_location, "location_address",
                              f"{store.name} ({store.code})", address,
                              key=f"terminal-location:{store.id}:{request_hash(address)[:16]}",
                              metadata={"store_id": store.id})
        location_id = ctx.step(_keep_location, identity, store.id, location_id)
    else:
        location_id = location.stripe_location_id
    facts = _stripe(ctx.stripe.register_reader, "registration_code", data["registration_code"],
                    data["label"], location_id,
                    key=f"terminal-reader:{store.id}:{data['registration_code']}:{data['label']}",
                    metadata={"store_id": store.id})
    return ctx.step(_keep_reader, identity, store.id, facts, data["label"], location_id)


def _keep_reader(session, identity, store_id, facts, label, location_id):
    existing = session.scalars(select(TerminalReader).where(
        TerminalReader.stripe_reader_id == facts["id"])).first()
    if existing is not None:
        if existing.store_id != store_id:
            raise Conflict("this reader is registered to another store")
        return reader_view(existing)
    r = TerminalReader(store_id=store_id, stripe_reader_id=facts["id"],
                       stripe_location_id=facts.get("location") or location_id,
                       label=facts.get("label") or label, device_type=facts.get("device_type"),
                       serial_number=facts.get("serial_number"), created_by=key_owner(identity),
                       created_at=now())
    session.add(r)
    session.flush()
    audit(session, identity, "terminal_reader", r.id, "registered", store_id,
          stripe_reader_id=r.stripe_reader_id, label=r.label)
    return reader_view(r)


# --- a card on a reader -------------------------------------------------------------------

def _refuse(ctx, t, reason, status):
    """The reader's payment ended without a card: the PaymentIntent cancelled
    (so that nothing collects it later) and the tender failed."""
    try:
        ctx.stripe.cancel(t.provider_intent_id, key=f"{t.key}:cancel")
    except (CardDeclined, ProviderRejected, OutcomeUnknown):
        pass        # a failed tender is never captured; a lost cancel changes nothing
    ctx.step(tenders.mark_failed, ctx.identity, t.id, reason, provider_status=status)
    raise Declined(reason)


def _retrieve(ctx, t):
    try:
        return ctx.stripe.retrieve(t.provider_intent_id)
    except (OutcomeUnknown, ProviderRejected) as exc:
        raise Unsettled(str(exc)) from None


def _reader_row(ctx, t):
    return ctx.read(lambda session: session.get(TerminalReader, t.reader_id))


def _hand_over(ctx, t):
    reader = _reader_row(ctx, t)
    try:
        ctx.stripe.process_on_reader(reader.stripe_reader_id, t.provider_intent_id,
                                     key=f"{t.key}:reader")
    except (CardDeclined, ProviderRejected) as exc:
        _refuse(ctx, t, f"the reader {reader.label} could not take the payment: {exc}",
                "requires_payment_method")
    except OutcomeUnknown as exc:
        raise Unsettled(str(exc)) from None
    ctx.step(tenders.wait_for_cardholder, ctx.identity, t.id, "waiting_for_reader",
             {"type": "present_card", "reader_id": reader.id, "reader_label": reader.label})
    raise Waiting(f"waiting for the card on the reader {reader.label}")


def advance(ctx, tender_id, facts):
    """A reader tender moved on from what Stripe says its PaymentIntent
    (``facts``) and its reader are: authorized, refused (``Declined``), or
    still waiting (``Waiting``; handed to the reader the first time)."""
    t = ctx.step(tenders.get, tender_id)
    status = facts["status"]
    if status in ANSWERED:
        return ctx.step(tenders.card_answered, ctx.identity, tender_id, facts)
    if status == "canceled":
        _refuse(ctx, t, t.failure_reason or "the card payment was cancelled", status)
    if status == "processing":
        raise Unsettled("the card payment is processing")
    if t.provider_status != "waiting_for_reader":
        _hand_over(ctx, t)
    try:
        action = ctx.stripe.reader(_reader_row(ctx, t).stripe_reader_id)["action"]
    except (OutcomeUnknown, ProviderRejected) as exc:
        raise Unsettled(str(exc)) from None
    if action and action["payment_intent"] == t.provider_intent_id:
        if action["status"] == "failed":
            _refuse(ctx, t, f"card refused on the reader: {action['failure_message'] or 'declined'}",
                    status)
        if action["status"] == "succeeded":
            facts = _retrieve(ctx, t)
            if facts["status"] in ANSWERED:
                return ctx.step(tenders.card_answered, ctx.identity, tender_id, facts)
        raise Waiting("waiting for the card on the reader")
    if facts.get("error"):
        _refuse(ctx, t, f"card declined: {facts['error']}", status)
    _refuse(ctx, t, "the reader stopped asking for this payment", status)


def stop_waiting(ctx, tender_id, reason):
    """Stop a card waiting for its cardholder: the reader's action cancelled,
    then the PaymentIntent, and the tender failed; unless Stripe answered
    first (then the card stands: ``authorized``). Returns the tender's state."""
    t = ctx.step(tenders.get, tender_id)
    if not tenders.waiting(t):
        return t.state
    if t.reader_id:
        try:
            ctx.stripe.cancel_reader_action(_reader_row(ctx, t).stripe_reader_id,
                                            key=f"{t.key}:reader-cancel")
        except (CardDeclined, ProviderRejected):
            pass        # nothing in progress on the reader any more
        except OutcomeUnknown as exc:
            raise Unsettled(str(exc)) from None
    facts = _retrieve(ctx, t)
    if facts["status"] in ANSWERED:
        return ctx.step(tenders.card_answered, ctx.identity, tender_id, facts)
    try:
        facts = ctx.stripe.cancel(t.provider_intent_id, key=f"{t.key}:cancel")
    except (CardDeclined, ProviderRejected):
        facts = _retrieve(ctx, t)
    except OutcomeUnknown as exc:
        raise Unsettled(str(exc)) from None
    if facts["status"] in ANSWERED:
        return ctx.step(tenders.card_answered, ctx.identity, tender_id, facts)
    ctx.step(tenders.mark_failed, ctx.identity, tender_id, reason, provider_status=facts["status"])
    return "failed"


def waiting_tenders(session, sale_id):
    rows = session.scalars(select(Tender).where(Tender.sale_id == str(sale_id))
                           .order_by(Tender.position)).all()
    return [t for t in rows if tenders.waiting(t)]


def waiting_sale(session, intent_id):
    """The sale whose card, waiting for its cardholder, is ``intent_id``; or None."""
    t = session.scalars(select(Tender).where(Tender.provider_intent_id == intent_id)
                        .with_for_update()).first() if intent_id else None
    return t.sale_id if t is not None and tenders.waiting(t) else None


def reader_event(session, identity, kind, reader):
    """``terminal.reader.action_succeeded`` / ``action_failed``: the tender
    its action was for, authorized (forward only; a refusal is the saga's to
    record). Returns (outcome, the sale to drive on or None)."""
    action = reader.get("action") or {}
    process = action.get("process_payment_intent") or {}
    intent = process.get("payment_intent")
    intent = intent if isinstance(intent, str) or intent is None else intent.get("id")
    t = session.scalars(select(Tender).where(Tender.provider_intent_id == intent)
                        .with_for_update()).first() if intent else None
    if t is None:
        return "unknown_payment", None
    if t.state != "pending":
        return "already_known", None
    if kind.endswith("action_succeeded"):
        # the card was read and authorized: the PaymentIntent waits for its capture
        tenders.touch(t, state="authorized", provider_status="requires_capture", next_action=None)
        audit(session, identity, "tender", t.id, "authorized", t.store_id, source="reader")
        return "authorized", t.sale_id
    # refused: the sale driven on asks the reader (``advance``), cancels the
    # PaymentIntent and fails the tender, in one place
    return "declined", t.sale_id
