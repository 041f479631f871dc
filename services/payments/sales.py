"""The checkout saga (ARCHITECTURE, "Checkout saga").

1. Validate and price everything, asking inventory and workorders; bad input
   is refused here and nothing exists yet.
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
import secrets

from sqlalchemy import and_, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from chassis.outbox import emit

from . import cash_reports, compliance, tenders as tender_ops
from .common import audit, decode_time_cursor, encode_cursor, iso, now, require_writer, store_for
from .models import (
    GiftCard, GiftCardMovement, Return, Sale, SaleLine, StoreCredit, Store, Tender, TenderRefund,
)
from .money import bps_of, convert, money, parse_rate, price_lines

log = logging.getLogger(__name__)

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
UNFINISHED = ("pending", "compensating")


# --- step 1: validate and price ------------------------------------------------------

def normalize_code(code):
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())


def _discount(line, list_amount, currency, identity, settings, errors, field):
    d = line.get("discount")
    if not d:
        return 0, None
    if d.get("amount") is not None:
        if d["amount"]["currency"] != currency:
            errors[f"{field}.discount.amount.currency"] = [f"the store sells in {currency}"]
            return 0, None
        amount = d["amount"]["amount"]
    else:
        amount = bps_of(list_amount, d["percent_bps"])
    if amount > list_amount:
        errors[f"{field}.discount"] = ["more than the line's price"]
        return 0, None
    if identity.role == "sales_associate" and list_amount and \
            amount * 10000 > settings.max_associate_discount_bps * list_amount:
        raise Forbidden(f"a discount above {settings.max_associate_discount_bps / 100:g}% "
                        "needs a store manager")
    return amount, d["reason"]


def _price_lines(ctx, store, data, errors):
    """Lines with list price, discount and facts, from inventory and workorders."""
    lines, unavailable = [], []
    currency = store.currency
    item_ids = [str(l["item_id"]) for l in data["lines"] if l.get("item_id")]
    if len(item_ids) != len(set(item_ids)):
        errors["lines"] = ["the same piece appears twice"]
    items = {}
    if item_ids:
        items = {i["id"]: i for i in ctx.inventory.get_items(item_ids)}
    client_id = str(data["client_id"]) if data.get("client_id") else None
    for n, line in enumerate(data["lines"]):
        field = f"lines.{n}"
        entry = {"position": n, "taxable": True if line.get("taxable") is None else line["taxable"]}
        if line.get("item_id"):
            item = items.get(str(line["item_id"]))
            if item is None:
                errors[f"{field}.item_id"] = ["no such piece"]
                continue
            if item["store_id"] != store.id:
                errors[f"{field}.item_id"] = [f"piece {item['tag']} belongs to another store"]
                continue
            if item["price"]["currency"] != currency:
                errors[f"{field}.item_id"] = [f"piece {item['tag']} is priced in "
                                              f"{item['price']['currency']}, the store sells in {currency}"]
                continue
            if item["status"] != "in_stock":
                unavailable.append(f"piece {item['tag']} is {item['status']}")
            entry.update(kind="item", item_id=item["id"], tag=item["tag"],
                         description=item.get("description") or "",
                         list_amount=item["price"]["amount"],
                         cost_amount=(item.get("cost") or {}).get("amount"),
                         category=item.get("category"),
                         metal_type=(item.get("metal") or {}).get("type"))
        elif line.get("work_order_id"):
            try:
                due = ctx.workorders.balance_due(str(line["work_order_id"]))
            except NotFound:
                errors[f"{field}.work_order_id"] = ["no such work order"]
                continue
            if str(due["store_id"]) != store.id:
                errors[f"{field}.work_order_id"] = ["the work order belongs to another store"]
                continue
            balance = due["balance"]
            if balance["currency"] != currency or balance["amount"] <= 0:
                errors[f"{field}.work_order_id"] = ["nothing is due on this work order"]
                continue
            if client_id and due.get("client_id") and str(due["client_id"]) != client_id:
                errors[f"{field}.work_order_id"] = ["the work order is another client's"]
                continue
            client_id = client_id or (str(due["client_id"]) if due.get("client_id") else None)
            entry.update(kind="work_order", work_order_id=str(line["work_order_id"]),
                         description=line.get("description") or f"Work order {due.get('number') or ''}".strip(),
                         list_amount=balance["amount"])
        elif line.get("gift_card"):
            amount = line["gift_card"]["amount"]
            if amount["currency"] != currency:
                errors[f"{field}.gift_card.amount.currency"] = [f"the store sells in {currency}"]
                continue
            entry.update(kind="gift_card", description="Gift card", list_amount=amount["amount"],
                         taxable=False)
        else:
            amount = line["amount"]
            if amount["currency"] != currency:
                errors[f"{field}.amount.currency"] = [f"the store sells in {currency}"]
                continue
            entry.update(kind="free", description=line["description"], list_amount=amount["amount"])
        entry["discount_amount"], entry["discount_reason"] = _discount(
            line, entry["list_amount"], currency, ctx.identity, ctx.settings, errors, field)
        lines.append(entry)
    return lines, unavailable, client_id


def check_tenders(session, ctx, store, tenders_in, total, client_id, errors, prefix="tenders"):
    """Each tender valid on its own, and together they pay exactly ``total``."""
    currency = store.currency
    out, points_tenders = [], 0
    for n, t in enumerate(tenders_in):
        field = f"{prefix}.{n}"
        amount = t["amount"]
        if amount["currency"] != currency:
            errors[f"{field}.amount.currency"] = [
                f"amounts are in the store's currency ({currency}); to charge a card in another "
                "currency give currency and fx_rate"]
            continue
        entry = {"position": n, "method": t["method"], "amount": amount["amount"],
                 "charge_amount": amount["amount"], "charge_currency": currency, "fx_rate": None}
        method = t["method"]
        if method == "card":
            entry["payment_method"] = t["payment_method"]
            charge_currency = t.get("currency") or currency
            if charge_currency != currency:
                rate = parse_rate(t.get("fx_rate")) if t.get("fx_rate") is not None else None
                if rate is None:
                    errors[f"{field}.fx_rate"] = [
                        f"required when the card is charged in {charge_currency}, not the "
                        f"store's {currency}: units of {charge_currency} for one {currency}"]
                    continue
                entry.update(charge_currency=charge_currency, fx_rate=str(rate),
                             charge_amount=convert(amount["amount"], currency, charge_currency, rate))
                if entry["charge_amount"] <= 0:
                    errors[f"{field}.amount"] = ["too small to charge in " + charge_currency]
                    continue
            elif t.get("fx_rate") is not None and parse_rate(t["fx_rate"]) != 1:
                errors[f"{field}.fx_rate"] = ["the card is charged in the store's currency"]
                continue
        elif method == "cash" and t.get("received"):
            entry.update(cash_received=t["received"]["amount"],
                         change_due=t["received"]["amount"] - amount["amount"])
        elif method == "gift_card":
            card = session.scalars(select(GiftCard).where(
                GiftCard.code == normalize_code(t["gift_card_code"]))).first()
            if card is None or card.status != "active":
                errors[f"{field}.gift_card_code"] = ["no such gift card"]
                continue
            if card.currency != currency:
                errors[f"{field}.gift_card_code"] = [f"the gift card is in {card.currency}"]
                continue
            if card.balance < amount["amount"]:
                errors[f"{field}.amount"] = [f"the gift card's balance is {card.balance}"]
                continue
            entry["gift_card_id"] = card.id
        elif method == "store_credit":
            if not client_id:
                errors[f"{field}.method"] = ["store credit needs the client"]
                continue
            account = session.get(StoreCredit, (client_id, currency))
            balance = account.balance if account else 0
            if balance < amount["amount"]:
                errors[f"{field}.amount"] = [f"the client's store credit is {balance}"]
                continue
        elif method == "loyalty_points":
            points_tenders += 1
            if not client_id:
                errors[f"{field}.method"] = ["paying with points needs the client"]
                continue
            value = ctx.settings.loyalty_point_value
            points, rest = divmod(amount["amount"], value)
            if rest or (t.get("points") is not None and t["points"] != points):
                errors[f"{field}.points"] = [f"one point is worth {value} minor units of {currency}: "
                                             f"{amount['amount']} is {amount['amount'] / value:g} points"]
                continue
            entry["points"] = points
        out.append(entry)
    if points_tenders > 1:
        errors[prefix] = ["points can pay once per sale"]
    paid = sum(t["amount"]["amount"] for t in tenders_in if t["amount"]["currency"] == currency)
    if total >= 0 and not any(k.startswith(prefix) for k in errors) and paid != total:
        errors[prefix] = [f"the tenders add up to {paid}, the total is {total} {currency}"]
    cash = sum(t["amount"] for t in out if compliance.counts_as_cash(t["method"], t["amount"]))
    if currency == cash_reports.REPORT_CURRENCY and compliance.is_reportable(cash) and not client_id:
        errors["client_id"] = ["cash above 10,000 USD needs the buyer identified (Form 8300)"]
    return out


def prepare(ctx, data):
    """Everything checked, nothing changed. Raises InvalidInput or Conflict."""
    with ctx.db.read() as session:
        store = store_for(session, ctx.identity, data["store_id"])
    errors = {}
    lines, unavailable, client_id = _price_lines(ctx, store, data, errors)
    exempt = bool(data.get("tax_exempt"))
    priced = price_lines(lines, store.tax_rate_bps, exempt) if not errors else None
    with ctx.db.transaction() as session:
        tenders = check_tenders(session, ctx, store, data.get("tenders") or [],
                                priced["total"] if priced else -1, client_id, errors)
    if errors:
        raise InvalidInput("the sale cannot be made as asked", errors)
    if unavailable:
        raise Conflict("; ".join(unavailable))
    for line, p in zip(lines, priced["lines"]):
        line.update(amount=p["amount"], tax=p["tax"])
    return {"store": store, "lines": lines, "tenders": tenders, "priced": priced,
            "client_id": client_id, "exempt": exempt}


# --- step 2: create ------------------------------------------------------------------------

def create_sale(ctx, data, idempotency_key=None, req_hash=None):
    require_writer(ctx.identity)
    if idempotency_key:
        existing = _by_key(ctx, idempotency_key)
        if existing is not None:
            return _replay(ctx, existing, req_hash)
    plan = prepare(ctx, data)
    store, priced = plan["store"], plan["priced"]
    associate = data.get("associate_id") or ctx.identity.user_id
    at = now()
    sale = Sale(
        store_id=store.id, client_id=plan["client_id"], associate_id=associate,
        associate_role=ctx.identity.role if associate == ctx.identity.user_id else "sales_associate",
        register=data.get("register") or "main", status="pending",
        idempotency_key=idempotency_key, request_hash=req_hash, currency=store.currency,
        gross=priced["gross"], discount_total=priced["discount"], subtotal=priced["subtotal"],
        tax=priced["tax"], total=priced["total"], tax_rate_bps=store.tax_rate_bps,
        tax_exempt_id=data.get("tax_exempt_id") if plan["exempt"] else None,
        created_at=at, updated_at=at, step="created",
        lease_until=ctx.lease_until(at),    # this worker drives the sale it creates
    )
    try:
        with ctx.db.transaction() as session:
            session.add(sale)
            session.flush()
            lines = [SaleLine(sale_id=sale.id, **_line_columns(line)) for line in plan["lines"]]
            tenders = [new_tender(sale, t, "sale", at) for t in plan["tenders"]]
            session.add_all(lines + tenders)
            audit(session, ctx.identity, "sale", sale.id, "created", store.id,
                  total=sale.total, idempotency_key=idempotency_key)
        for row in lines + tenders:
            inserted_null(row)
    except IntegrityError:
        existing = _by_key(ctx, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return _replay(ctx, existing, req_hash)
    return run(ctx, sale.id, claimed=(sale, lines, tenders), store=store)


def inserted_null(row):
    """A row just inserted holds NULL in every column it was given no value
    for (these tables have no server defaults): known now, not read back when
    the row is used again in another transaction."""
    state = inspect(row)
    for attr in state.mapper.column_attrs:
        if attr.key not in state.dict:
            set_committed_value(row, attr.key, None)


def _line_columns(line):
    return {k: line.get(k) for k in (
        "position", "kind", "item_id", "work_order_id", "description", "list_amount",
        "discount_amount", "discount_reason", "amount", "tax", "taxable", "cost_amount",
        "category", "metal_type", "tag")}


def new_tender(owner, t, purpose, at, position=None, key=None):
    position = t["position"] if position is None else position
    return Tender(
        key=key or f"{owner.id}:{position}", position=position, purpose=purpose,
        sale_id=owner.id if purpose == "sale" else None,
        layaway_id=owner.id if purpose == "layaway" else None,
        store_id=owner.store_id, client_id=owner.client_id,
        register=getattr(owner, "register", None) or "main", method=t["method"],
        amount=t["amount"], currency=owner.currency, charge_amount=t["charge_amount"],
        charge_currency=t["charge_currency"], fx_rate=t.get("fx_rate"),
        cash_received=t.get("cash_received"), change_due=t.get("change_due"),
        payment_method=t.get("payment_method"), gift_card_id=t.get("gift_card_id"),
        points=t.get("points"), state="pending", created_at=at, updated_at=at,
    )


def _by_key(ctx, key):
    with ctx.db.read() as session:
        return session.scalars(select(Sale).where(Sale.idempotency_key == key)).first()


def _replay(ctx, sale, req_hash):
    """The same Idempotency-Key: the first result, or resume a sale left pending."""
    if req_hash is not None and sale.request_hash != req_hash:
        raise Conflict("this Idempotency-Key was used for another request")
    if not ctx.identity.can_see_store(sale.store_id):
        raise Conflict("this Idempotency-Key was used for another request")
    if sale.status in UNFINISHED:
        return run(ctx, sale.id)
    return get_sale(ctx, sale.id)


# --- steps 3-6: run ---------------------------------------------------------------------

def claim(ctx, sale_id, at=None):
    """Take the sale's lease; False when another worker is driving it."""
    at = at or now()
    with ctx.db.transaction() as session:
        got = session.execute(
            update(Sale).where(Sale.id == str(sale_id), Sale.status.in_(UNFINISHED),
                               or_(Sale.lease_until.is_(None), Sale.lease_until < at))
            .values(lease_until=ctx.lease_until(at)).returning(Sale.id)).first()
    return got is not None


def _step(ctx, sale_id, step, **values):
    with ctx.db.transaction() as session:
        session.execute(update(Sale).where(Sale.id == sale_id).values(
            step=step, updated_at=now(), lease_until=ctx.lease_until(), **values))


def _release(session, sale_id):
    session.execute(update(Sale).where(Sale.id == sale_id).values(lease_until=None))


def _release_lease(ctx, sale_id):
    with ctx.db.transaction() as session:
        _release(session, sale_id)


def run(ctx, sale_id, at=None, claimed=None, store=None):
    """Drive a pending sale to completed or failed (or leave it pending when a
    card's outcome is unknown: Unavailable). Returns the sale's view.
    ``claimed``: the (sale, lines, tenders) this worker just created, leased,
    and ``store`` its store, as read when the sale was priced."""
    sale_id = str(sale_id)
    if claimed is None and not claim(ctx, sale_id, at):
        with ctx.db.transaction() as session:
            status = session.get(Sale, sale_id).status
        if status in UNFINISHED:
            raise Conflict("this sale is being processed right now; ask again in a moment")
        return get_sale(ctx, sale_id)
    try:
        done = _drive(ctx, sale_id, claimed, store)
    except tender_ops.Unsettled as exc:
        _step(ctx, sale_id, "unsettled")
        _release_lease(ctx, sale_id)
        raise Unavailable(f"the card payment's outcome is not known yet ({exc}); the sale is "
                          "pending: send the same request again with the same Idempotency-Key") from None
    if done is not None:                        # completed here, lease already given back
        return completed_view(*done)
    with ctx.db.transaction() as session:       # the lease goes with the answer
        _release(session, sale_id)
        return sale_view(session, visible_sale(session, ctx.identity, sale_id))


def _load(ctx, sale_id):
    with ctx.db.transaction() as session:
        sale = session.get(Sale, sale_id)
        lines = session.scalars(select(SaleLine).where(SaleLine.sale_id == sale_id)
                                .order_by(SaleLine.position)).all()
        tenders = session.scalars(select(Tender).where(Tender.sale_id == sale_id)
                                  .order_by(Tender.position)).all()
    return sale, lines, tenders


def _drive(ctx, sale_id, loaded=None, store=None):
    """Returns (sale, lines, tenders, gift cards) when a cash-only sale was
    completed and its lease given back here; None otherwise."""
    sale, lines, tenders = loaded or _load(ctx, sale_id)
    if sale.status == "compensating":
        return compensate(ctx, sale_id)
    if sale.status != "pending":
        return
    item_ids = [l.item_id for l in lines if l.kind == "item"]
    cash = cash_only(tenders)
    reserved_now = False
    if item_ids and sale.reserved_at is None:
        try:
            ctx.inventory.reserve_for_sale(sale_id, item_ids, sale.store_id, reason="sale")
        except Conflict as exc:
            return fail(ctx, sale_id, "piece_unavailable", exc.detail or str(exc))
        except InvalidInput as exc:
            return fail(ctx, sale_id, "invalid", exc.detail or str(exc))
        except Unavailable as exc:
            return fail(ctx, sale_id, "inventory_unavailable", exc.detail or str(exc))
        reserved_now = True
        if not cash:            # a cash sale notes it with its completion, one transaction
            _step(ctx, sale_id, "reserved", reserved_at=now())
        ctx.hook("after_reserve", sale_id=sale_id)
    if cash:
        return _complete_cash(ctx, sale_id, reserved=reserved_now, known=loaded, store=store)
    for t in tenders:
        try:
            tender_ops.take(ctx, t.id)
        except tender_ops.Declined as exc:
            code = "payment_declined" if t.method == "card" else "tender_unavailable"
            return fail(ctx, sale_id, code, f"{t.method} (tender {t.position + 1}): {exc.reason}")
        if t.method not in tender_ops.CASH_LIKE:
            # a card or a balance took a while: note it and extend the lease (a
            # cash tender is done at once; its own row says it was taken)
            _step(ctx, sale_id, f"tender {t.position} taken")
        ctx.hook("after_tender", sale_id=sale_id, tender_id=t.id)
    for t in tenders:
        if t.method == "card":
            try:
                tender_ops.capture(ctx, t.id)
            except tender_ops.Declined as exc:
                return fail(ctx, sale_id, "payment_declined",
                            f"card (tender {t.position + 1}): {exc.reason}")
    followups(ctx, sale_id, complete(ctx, sale_id))


def cash_only(tenders):
    return bool(tenders) and all(t.method in tender_ops.CASH_LIKE for t in tenders)


def _complete_cash(ctx, sale_id, reserved=False, known=None, store=None):
    """Cash (and cheques, money orders) is in hand the moment it is counted:
    the tenders are taken and the sale completed in one transaction, then the
    pieces are confirmed sold and the lease given back with the follow-ups.
    ``known``: the (sale, lines, tenders) this worker created and leased
    (nobody else changes them while it holds the lease: not read again)."""
    with ctx.db.transaction() as session:
        sale = session.scalars(select(Sale).where(Sale.id == sale_id).with_for_update()).one()
        if sale.status != "pending":
            return None
        if known is not None:
            lines = [session.merge(l, load=False) for l in known[1]]
            tenders = [session.merge(t, load=False) for t in known[2]]
        else:
            tenders = session.scalars(select(Tender).where(Tender.sale_id == sale_id)
                                      .order_by(Tender.position).with_for_update()).all()
            lines = session.scalars(select(SaleLine).where(SaleLine.sale_id == sale_id)
                                    .order_by(SaleLine.position)).all()
        for t in tenders:
            tender_ops.take_cash_in(session, ctx, t)
        store = store if store is not None else session.get(Store, sale.store_id)
        if reserved:
            sale.reserved_at = now()        # written with the completion
        cards = _finish(session, ctx, sale, store, lines, tenders)
    for t in tenders:
        ctx.hook("after_tender", sale_id=sale_id, tender_id=t.id)
    followups(ctx, sale_id, (sale, lines), release=True)
    return sale, lines, tenders, cards


def fail(ctx, sale_id, code, reason):
    with ctx.db.transaction() as session:
        session.execute(update(Sale).where(Sale.id == sale_id, Sale.status == "pending").values(
            status="compensating", failure_code=code, failure_reason=reason[:1000],
            updated_at=now(), step="compensating"))
        audit(session, ctx.identity, "sale", sale_id, "failing", None, code=code, reason=reason)
    return compensate(ctx, sale_id)


def compensate(ctx, sale_id):
    """Give back every tender (last first) and release the pieces. What cannot
    be done now stays for the sweeper; the sale is ``failed`` once all is done."""
    sale, lines, tenders = _load(ctx, sale_id)
    if sale.status != "compensating":
        return
    unsettled = []
    for t in reversed(tenders):
        try:
            tender_ops.compensate(ctx, t.id)
        except tender_ops.Unsettled as exc:
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
    with ctx.db.transaction() as session:
        sale = session.scalars(select(Sale).where(Sale.id == sale_id).with_for_update()).one()
        if sale.status != "compensating":
            return
        sale.status, sale.failed_at, sale.updated_at, sale.step = "failed", now(), now(), "failed"
        emit(session, "sale.failed", {"sale_id": sale.id, "store_id": sale.store_id,
                                      "reason": sale.failure_reason or "failed",
                                      "failure_code": sale.failure_code,
                                      "client_id": sale.client_id}, store_id=sale.store_id)
        audit(session, ctx.identity, "sale", sale.id, "failed", sale.store_id,
              code=sale.failure_code, reason=sale.failure_reason)


def next_receipt_number(session, store_id):
    n = session.execute(update(Store).where(Store.id == store_id)
                        .values(last_receipt=Store.last_receipt + 1)
                        .returning(Store.last_receipt, Store.code)).one()
    return f"{n.code}-{n.last_receipt:06d}"


def new_gift_card_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))


def complete(ctx, sale_id):
    """Every tender captured: the sale is done (one transaction)."""
    with ctx.db.transaction() as session:
        sale = session.scalars(select(Sale).where(Sale.id == sale_id).with_for_update()).one()
        if sale.status != "pending":
            return
        tenders = session.scalars(select(Tender).where(Tender.sale_id == sale_id)
                                  .order_by(Tender.position)).all()
        if any(t.state != "captured" for t in tenders):
            raise RuntimeError(f"sale {sale_id}: completing with a tender not captured")
        lines = session.scalars(select(SaleLine).where(SaleLine.sale_id == sale_id)
                                .order_by(SaleLine.position)).all()
        store = session.get(Store, sale.store_id)
        _finish(session, ctx, sale, store, lines, tenders)
    return sale, lines


def _finish(session, ctx, sale, store, lines, tenders):
    at = now()
    sale.receipt_number = next_receipt_number(session, store.id)
    sale.status, sale.completed_at, sale.updated_at, sale.step = "completed", at, at, "completed"
    cards = []
    for line in lines:
        if line.kind == "gift_card" and line.gift_card_id is None:
            card = GiftCard(code=new_gift_card_code(), currency=sale.currency,
                            initial_amount=line.amount, balance=line.amount, store_id=store.id,
                            sale_id=sale.id, client_id=sale.client_id, status="active",
                            created_at=at)
            session.add(card)
            session.flush()
            session.add(GiftCardMovement(gift_card_id=card.id, kind="issued", amount=line.amount,
                                         ref=f"{sale.id}:{line.position}:issue", at=at,
                                         actor_id=ctx.identity.user_id))
            line.gift_card_id = card.id
            cards.append(card)
            audit(session, ctx.identity, "gift_card", card.id, "issued", store.id,
                  amount=line.amount, sale_id=sale.id)
    cash_reports.record_cash(session, ctx.identity, store, tenders)
    emit(session, "sale.completed", completed_facts(sale, lines, tenders), store_id=store.id)
    audit(session, ctx.identity, "sale", sale.id, "completed", store.id,
          receipt_number=sale.receipt_number, total=sale.total)
    return cards


def completed_facts(sale, lines, tenders):
    c = sale.currency
    return {
        "sale_id": sale.id, "store_id": sale.store_id, "client_id": sale.client_id,
        "associate_id": sale.associate_id, "receipt_number": sale.receipt_number,
        "lines": [{
            "kind": l.kind, "item_id": l.item_id, "work_order_id": l.work_order_id,
            "description": l.description or "", "amount": money(l.amount, c),
            "discount": money(l.discount_amount, c) if l.discount_amount else None,
            "discount_reason": l.discount_reason,
            "cost": money(l.cost_amount, c) if l.cost_amount is not None else None,
            "category": l.category, "metal_type": l.metal_type, "tax": money(l.tax, c),
            "tag": l.tag, "gift_card_id": l.gift_card_id,
        } for l in lines],
        "tenders": [{"method": t.method, "amount": money(t.amount, c), "payment_id": t.id,
                     **({"charge": money(t.charge_amount, t.charge_currency), "fx_rate": t.fx_rate}
                        if t.charge_currency != c else {})} for t in tenders],
        "subtotal": money(sale.subtotal, c), "tax": money(sale.tax, c),
        "total": money(sale.total, c), "discount_total": money(sale.discount_total, c),
        "completed_at": iso(sale.completed_at), "layaway_id": sale.layaway_id,
        "register": sale.register,
    }


def followups(ctx, sale_id, loaded=None, release=False):
    """After completion: pieces sold, work orders paid. Retried until done.
    ``loaded``: the (sale, lines) ``complete`` just wrote, to save reading them;
    ``release``: give the sale's lease back with what is written at the end."""
    sale, lines = loaded or _load(ctx, sale_id)[:2]
    end = {"lease_until": None} if release else {}
    if sale.status != "completed" or sale.followups_done_at is not None:
        if end:
            _release_lease(ctx, sale_id)
        return True
    steps = []
    if any(l.kind == "item" for l in lines) and sale.pieces_confirmed_at is None:
        steps.append(("inventory", lambda: ctx.inventory.confirm_sale(sale.id)))
    for line in lines:
        if line.kind == "work_order":
            steps.append(("workorders",
                          lambda wo=line.work_order_id: ctx.workorders.mark_paid(wo, sale.id)))
    done = {}   # what went through, written with the end (or before giving up)
    for neighbour, step in steps:
        try:
            step()
        except Unavailable as exc:
            log.warning("sale %s completed; follow-up postponed: %s", sale.id, exc)
            if done or end:
                with ctx.db.transaction() as session:
                    session.execute(update(Sale).where(Sale.id == sale.id).values(**done, **end))
            return False
        except Conflict as exc:
            # e.g. the pieces were released although the sale completed: a person must look;
            # retrying would not change the answer
            log.error("sale %s completed but %s refuses its follow-up: %s", sale.id, neighbour, exc)
            with ctx.db.transaction() as session:
                audit(session, ctx.identity, "sale", sale.id, "needs_attention", sale.store_id,
                      neighbour=neighbour, problem=str(exc))
            continue
        if neighbour == "inventory":
            done["pieces_confirmed_at"] = now()
    done["followups_done_at"] = now()
    with ctx.db.transaction() as session:
        session.execute(update(Sale).where(Sale.id == sale.id).values(**done, **end))
    for k, v in done.items():       # the caller's copy says what was written
        setattr(sale, k, v)
    return True


# --- the sweeper's part -----------------------------------------------------------------------

def recover(ctx, sale_id, at=None):
    """A sale left unfinished (a crash, a lost answer): finish it when every
    tender was taken, otherwise give everything back."""
    if not claim(ctx, sale_id, at):
        return None
    try:
        sale, lines, tenders = _load(ctx, sale_id)
        if sale.status == "compensating":
            compensate(ctx, sale_id)
        else:
            for t in tenders:
                tender_ops.reconcile(ctx, t.id)
            sale, lines, tenders = _load(ctx, sale_id)
            reserved = sale.reserved_at is not None or not any(l.kind == "item" for l in lines)
            if reserved and all(t.state in tender_ops.TAKEN for t in tenders):
                for t in tenders:
                    if t.state == "authorized":
                        tender_ops.capture(ctx, t.id)
                complete(ctx, sale_id)
                followups(ctx, sale_id)
            else:
                fail(ctx, sale_id, "abandoned",
                     "the checkout stopped before every payment was taken; all was given back")
    except (tender_ops.Unsettled, tender_ops.Declined) as exc:
        log.warning("sale %s not recovered yet: %s", sale_id, exc)
        if isinstance(exc, tender_ops.Declined):
            fail(ctx, sale_id, "payment_declined", exc.reason)
    finally:
        _release_lease(ctx, sale_id)
    with ctx.db.transaction() as session:
        return session.get(Sale, sale_id).status


def unfinished(ctx, older_than, at, limit=50):
    with ctx.db.transaction() as session:
        return session.scalars(select(Sale.id).where(
            Sale.status.in_(UNFINISHED), Sale.updated_at < older_than,
            or_(Sale.lease_until.is_(None), Sale.lease_until < at))
            .order_by(Sale.updated_at).limit(limit)).all()


def unfollowed(ctx, older_than, limit=50):
    with ctx.db.transaction() as session:
        return session.scalars(select(Sale.id).where(
            Sale.status == "completed", Sale.followups_done_at.is_(None),
            Sale.completed_at < older_than).order_by(Sale.completed_at).limit(limit)).all()


# --- reading -----------------------------------------------------------------------------------

def sale_view(session, sale):
    lines = session.scalars(select(SaleLine).where(SaleLine.sale_id == sale.id)
                            .order_by(SaleLine.position)).all()
    tenders = session.scalars(select(Tender).where(
        or_(Tender.sale_id == sale.id, and_(Tender.layaway_id == sale.id, Tender.layaway_id.is_not(None))))
        .order_by(Tender.layaway_id.nulls_first(), Tender.position)).all()
    refunds = session.scalars(select(TenderRefund).where(
        TenderRefund.tender_id.in_([t.id for t in tenders] or ["00000000-0000-0000-0000-000000000000"]))
        .order_by(TenderRefund.created_at)).all()
    cards = session.scalars(select(GiftCard).where(GiftCard.sale_id == sale.id)).all()
    returns = session.scalars(select(Return).where(Return.sale_id == sale.id)
                              .order_by(Return.created_at)).all()
    return _view(sale, lines, tenders, refunds, cards, returns)


def completed_view(sale, lines, tenders, cards):
    """The view of a sale this worker has just completed: nothing returned or
    refunded yet, so nothing more to read."""
    return _view(sale, lines, tenders, (), cards, ())


def _view(sale, lines, tenders, refunds, cards, returns):
    c = sale.currency
    status = "failed" if sale.status == "compensating" else sale.status
    return {
        "id": sale.id, "status": status, "store_id": sale.store_id, "client_id": sale.client_id,
        "associate_id": sale.associate_id, "register": sale.register,
        "receipt_number": sale.receipt_number,
        "gross": money(sale.gross, c), "discount_total": money(sale.discount_total, c),
        "subtotal": money(sale.subtotal, c), "tax": money(sale.tax, c),
        "total": money(sale.total, c), "tax_rate_bps": sale.tax_rate_bps,
        "tax_exempt": sale.tax_exempt_id is not None, "tax_exempt_id": sale.tax_exempt_id,
        "failure_code": sale.failure_code, "failure_reason": sale.failure_reason,
        "compensation_pending": sale.status == "compensating",
        "layaway_id": sale.layaway_id,
        "lines": [{
            "index": l.position, "kind": l.kind, "item_id": l.item_id, "tag": l.tag,
            "work_order_id": l.work_order_id, "description": l.description,
            "list_price": money(l.list_amount, c),
            "discount": ({"amount": money(l.discount_amount, c), "reason": l.discount_reason}
                         if l.discount_amount else None),
            "amount": money(l.amount, c), "tax": money(l.tax, c), "taxable": l.taxable,
            "returned": l.return_id is not None, "return_id": l.return_id,
            "gift_card_id": l.gift_card_id,
        } for l in lines],
        "tenders": [tender_ops.tender_view(t, refunds) for t in tenders],
        "change_due": money(sum(t.change_due or 0 for t in tenders), c),
        "gift_cards": [{"id": g.id, "code": g.code, "balance": money(g.balance, g.currency)}
                       for g in cards],
        "returns": [{"id": r.id, "item_ids": r.item_ids, "amount": money(r.amount, r.currency),
                     "refund_method": r.refund_method, "state": r.state,
                     "created_at": iso(r.created_at)} for r in returns],
        "created_at": iso(sale.created_at), "completed_at": iso(sale.completed_at),
        "failed_at": iso(sale.failed_at),
    }


def visible_sale(session, identity, sale_id, lock=False):
    query = select(Sale).where(Sale.id == str(sale_id))
    if lock:
        query = query.with_for_update()
    sale = session.scalars(query).first()
    if sale is None or not identity.can_see_store(sale.store_id):
        raise NotFound("no such sale")
    return sale


def get_sale(ctx, sale_id):
    with ctx.db.transaction() as session:
        return sale_view(session, visible_sale(session, ctx.identity, sale_id))


def list_sales(session, identity, q):
    query = select(Sale)
    if q.get("store_id"):
        if not identity.can_see_store(q["store_id"]):
            raise Forbidden("you may not see this store")
        query = query.where(Sale.store_id == str(q["store_id"]))
    elif not identity.chain_wide:
        query = query.where(Sale.store_id.in_(identity.store_ids or ("-",)))
    if q.get("client_id"):
        query = query.where(Sale.client_id == str(q["client_id"]))
    if q.get("status") == "failed":
        query = query.where(Sale.status.in_(("failed", "compensating")))
    elif q.get("status"):
        query = query.where(Sale.status == q["status"])
    if q.get("since"):
        query = query.where(Sale.created_at >= q["since"])
    if q.get("until"):
        query = query.where(Sale.created_at < q["until"])
    if q.get("cursor"):
        at, sid = decode_time_cursor(q["cursor"])
        query = query.where(or_(Sale.created_at < at, and_(Sale.created_at == at, Sale.id < sid)))
    limit = q.get("limit") or 50
    rows = session.scalars(query.order_by(Sale.created_at.desc(), Sale.id.desc())
                           .limit(limit + 1)).all()
    page = rows[:limit]
    return {"items": [sale_view(session, s) for s in page],
            "next_cursor": (encode_cursor([iso(page[-1].created_at), page[-1].id])
                            if len(rows) > limit else None)}


def gift_card_view(session, identity, code):
    card = session.scalars(select(GiftCard).where(GiftCard.code == normalize_code(code))).first()
    if card is None:
        raise NotFound("no such gift card")
    moves = session.scalars(select(GiftCardMovement).where(GiftCardMovement.gift_card_id == card.id)
                            .order_by(GiftCardMovement.id)).all()
    return {"id": card.id, "code": card.code, "status": card.status,
            "balance": money(card.balance, card.currency),
            "initial_amount": money(card.initial_amount, card.currency),
            "issued_at": iso(card.created_at), "store_id": card.store_id,
            "movements": [{"kind": m.kind, "amount": money(m.amount, card.currency),
                           "at": iso(m.at)} for m in moves]}


def store_credit_view(session, identity, client_id):
    rows = session.scalars(select(StoreCredit).where(StoreCredit.client_id == str(client_id))).all()
    return {"client_id": str(client_id),
            "balances": [money(r.balance, r.currency) for r in rows]}

